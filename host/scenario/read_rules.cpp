// The rules of the cell model: secretion, uptake, decay, growth,
// recruitment and death, each a variant with its own keys (a key of another
// variant is refused with the variant it belongs to).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "host/scenario/read_sections.hpp"
#include "host/scenario/yaml_values.hpp"

namespace cyto::reader {
namespace {

using scenario_limits::kMaxHillTerms;
using scenario_limits::kMaxRules;

// In the order of RuleKind.
const std::vector<Variant>& rule_variants() {
  static const std::vector<Variant> variants{
      {"secretion", {"species", "rate", "max_rate", "activators", "inhibitors"}},
      {"uptake", {"species", "clearance", "vmax", "km"}},
      {"decay", {"rate", "half_life"}},
      {"growth", {"rate", "capacity", "activators"}},
      {"recruitment", {"rate", "capacity", "activators"}},
      {"death", {"signal", "threshold", "rate", "mode", "priming", "burst"}},
  };
  return variants;
}

// The rule's type, which decides the keys it may have.
std::vector<Variant>::const_iterator read_rule_type(const Document& doc, const Field& type) {
  const std::vector<Variant>& variants = rule_variants();
  std::vector<std::string> types;
  for (const Variant& v : variants) types.push_back(v.name);
  const std::string type_name = scalar_text(doc, type, fmt::format("a rule type ({})", join_or(types)));
  const auto variant =
      std::find_if(variants.begin(), variants.end(), [&](const Variant& v) { return v.name == type_name; });
  if (variant == variants.end()) {
    const std::string hint = closest_match(type_name, types);
    doc.fail(type,
             hint.empty()
                 ? fmt::format("unknown rule type {} (expected {})", quote_value(type_name), join_or(types))
                 : fmt::format("unknown rule type {}; did you mean \"{}\"?", quote_value(type_name), hint));
  }
  return variant;
}

// One Hill term list: a map or a list of {species, half_max, hill}.
std::vector<HillTerm> read_hill_term_list(const Reading& r, const Field& f) {
  const Document& doc = r.doc;
  std::vector<HillTerm> terms;
  for (const Field& item :
       r.one_or_list(f, "a Hill term {species, half_max, hill} or a non-empty list of them")) {
    const MapReader t(doc, item, {"species", "half_max", "hill"}, "a Hill term {species, half_max, hill}");
    HillTerm h;
    h.where = doc.locate(item);
    h.species = r.species_ref(t.require("species", "the name of the species that acts"));
    h.half_max = read_quantity(doc, t.require("half_max", "the concentration of half effect"),
                               Quantity::Concentration, Bound::Positive);
    if (auto hill = t.get("hill")) {
      h.hill = read_quantity(doc, *hill, Quantity::Dimensionless);
      if (!(h.hill >= 1))
        doc.fail(*hill, fmt::format("expected a Hill power >= 1, found \"{}\"", hill->node.Scalar()));
    }
    terms.push_back(h);
  }
  return terms;
}

// Activators and inhibitors: each a map or a list of {species, half_max, hill}.
void read_hill_terms(const Reading& r, const MapReader& m, Rule& rule) {
  const auto activators = m.get("activators");
  const auto inhibitors = m.get("inhibitors");
  if (activators) rule.activators = read_hill_term_list(r, *activators);
  if (inhibitors) rule.inhibitors = read_hill_term_list(r, *inhibitors);
  const std::size_t n = rule.activators.size() + rule.inhibitors.size();
  if (n > static_cast<std::size_t>(kMaxHillTerms))
    r.doc.fail(
        inhibitors ? *inhibitors : *activators,
        fmt::format("expected at most {} Hill terms (activators and inhibitors together) per rule, found {}",
                    kMaxHillTerms, n));
}

void read_secretion(const Reading& r, const MapReader& m, Rule& rule) {
  const Document& doc = r.doc;
  rule.species = r.species_ref(m.require("species", "the name of the species secreted"));
  const Field rate = m.require("rate", "the secretion rate per cell, e.g. \"0.01 pg/cell/min\"");
  rule.base = read_quantity(doc, rate, Quantity::PerCellRate, Bound::NonNegative);
  read_hill_terms(r, m, rule);
  const auto max_rate = m.get("max_rate");
  if (rule.activators.empty()) {
    if (max_rate)
      doc.fail(*max_rate,
               "expected max_rate only with activators (it is the rate at full activation), found no "
               "activators");
    rule.max = rule.base;  // no activation: the rate stays at base
    return;
  }
  const Field max_field = m.require("max_rate", "the secretion rate per cell at full activation");
  rule.max = read_quantity(doc, max_field, Quantity::PerCellRate, Bound::NonNegative);
  if (rule.max < rule.base)
    doc.fail(max_field, fmt::format("expected a max_rate >= rate ({}), found \"{}\"",
                                    as_written(rate, Quantity::PerCellRate), max_field.node.Scalar()));
}

void read_uptake(const Reading& r, const MapReader& m, Rule& rule) {
  const Document& doc = r.doc;
  rule.species = r.species_ref(m.require("species", "the name of the species taken up"));
  const auto clearance = m.get("clearance");
  const auto vmax = m.get("vmax");
  const auto km = m.get("km");
  if (clearance && vmax)
    doc.fail(*vmax,
             "expected either clearance (linear uptake) or vmax and km (saturable uptake), found both");
  if (clearance) {
    if (km) doc.fail(*km, "expected km only with vmax (saturable uptake), found it with clearance");
    rule.clearance = read_quantity(doc, *clearance, Quantity::Clearance, Bound::Positive);
  } else if (vmax) {
    rule.vmax = read_quantity(doc, *vmax, Quantity::PerCellRate, Bound::Positive);
    rule.km = read_quantity(doc, m.require("km", "the concentration of half-maximal uptake"),
                            Quantity::Concentration, Bound::Positive);
  } else {
    doc.fail(
        m.field(),
        "missing required key \"clearance\" or \"vmax\" (expected a clearance per cell for linear uptake, "
        "or vmax and km for saturable uptake)");
  }
}

void read_population_decay(const Reading& r, const MapReader& m, Rule& rule) {
  const Document& doc = r.doc;
  const auto rate = m.get("rate");
  const auto half_life = m.get("half_life");
  if (rate && half_life) doc.fail(*half_life, "expected either rate or half_life, found both");
  if (rate) {
    rule.rate = read_quantity(doc, *rate, Quantity::Rate, Bound::Positive);
  } else if (half_life) {
    rule.rate = std::log(2.0) / read_quantity(doc, *half_life, Quantity::Time, Bound::Positive);
  } else {
    doc.fail(m.field(),
             "missing required key \"rate\" or \"half_life\" (expected the population's turnover rate or "
             "half-life)");
  }
}

// Growth and recruitment: logistic, at a rate scaled by the activators.
void read_growth(const Reading& r, const MapReader& m, const Field& type, Rule& rule) {
  const Document& doc = r.doc;
  if (rule.kind == RuleKind::Recruitment && !r.s.plasma.enabled)
    doc.fail(type, "a recruitment rule draws cells from the blood (plasma.blood); add a plasma section");
  rule.rate = read_quantity(doc, m.require("rate", "the per-capita rate, e.g. \"0.01 /min\""), Quantity::Rate,
                            Bound::Positive);
  rule.capacity = read_quantity(doc, m.require("capacity", "the carrying capacity, a cell density"),
                                Quantity::CellDensity, Bound::Positive);
  read_hill_terms(r, m, rule);
}

// A species name (weight 1) or a map of dimensionless weights by species.
std::vector<double> read_signal(const Reading& r, const Field& f) {
  const Document& doc = r.doc;
  std::vector<double> weights(r.s.species.size(), 0.0);
  if (f.node.IsScalar()) {
    weights[r.species_ref(f)] = 1.0;
    return weights;
  }
  const std::vector<std::string> names = r.species_names();
  const MapReader m(doc, f, names,
                    "a species name or a map of weights by species, e.g. {IL-1b: 1, IL-18: 0.5}", "species");
  bool any = false;
  for (std::size_t k = 0; k < names.size(); ++k) {
    if (auto w = m.get(names[k])) {
      weights[k] = read_quantity(doc, *w, Quantity::Dimensionless, Bound::NonNegative);
      any = any || weights[k] > 0;
    }
  }
  if (!any) doc.fail(f, "expected at least one species with a weight > 0, found none");
  return weights;
}

DeathMode read_death_mode(const Document& doc, const Field& mode) {
  const std::string text = scalar_text(doc, mode, "\"deterministic\" or \"stochastic\"");
  if (text == "deterministic") return DeathMode::Deterministic;
  if (text == "stochastic") return DeathMode::Stochastic;
  doc.fail(mode, fmt::format("expected \"deterministic\" or \"stochastic\", found \"{}\"", text));
}

void read_death(const Reading& r, const MapReader& m, Rule& rule) {
  const Document& doc = r.doc;
  rule.signal = read_signal(
      r, m.require("signal", "the species whose level triggers death: a name or {species: weight}"));
  rule.threshold = read_quantity(doc, m.require("threshold", "the signal concentration at which cells die"),
                                 Quantity::Concentration, Bound::Positive);
  rule.rate = read_quantity(doc, m.require("rate", "the death rate above threshold, e.g. \"0.1 /min\""),
                            Quantity::Rate, Bound::Positive);
  if (auto mode = m.get("mode")) rule.mode = read_death_mode(doc, *mode);
  if (auto priming = m.get("priming")) {
    const MapReader p(doc, *priming, {"signal", "threshold"}, "a priming condition {signal, threshold}");
    rule.priming = read_signal(r, p.require("signal", "the priming species: a name or {species: weight}"));
    rule.priming_threshold = read_quantity(doc, p.require("threshold", "the priming signal's threshold"),
                                           Quantity::Concentration, Bound::Positive);
  }
  if (auto burst = m.get("burst")) {
    const std::vector<std::string> names = r.species_names();
    const MapReader b(doc, *burst, names,
                      "a map of the amount released per dying cell by species, e.g. "
                      "{IL-1b: 0.05 pg/cell}",
                      "species");
    for (std::size_t k = 0; k < names.size(); ++k)
      if (auto amount = b.get(names[k]))
        rule.burst[k] = read_quantity(doc, *amount, Quantity::PerCellAmount, Bound::NonNegative);
  }
}

Rule read_rule(const Reading& r, const Field& item) {
  const Document& doc = r.doc;
  const std::vector<Variant>& variants = rule_variants();
  std::vector<std::string> types;
  for (const Variant& v : variants) types.push_back(v.name);
  if (!item.node.IsMap())
    doc.fail(item,
             fmt::format("expected a rule {{type, population, ...}}, found {}", describe_found(item.node)));
  // The type decides which keys the rule may have.
  const std::optional<Field> type = peek(item, "type");
  if (!type) doc.fail(item, fmt::format("missing required key \"type\" (expected {})", join_or(types)));
  const auto variant = read_rule_type(doc, *type);
  std::vector<std::string> keys{"type", "name", "population", "tissues"};
  keys.insert(keys.end(), variant->keys.begin(), variant->keys.end());
  const MapReader m(doc, item, keys, "a rule", "key",
                    keys_of_other_variants(variants, variant->name, "rule", "type"));

  Rule rule;
  rule.kind = static_cast<RuleKind>(variant - variants.begin());
  rule.where = doc.locate(item);
  if (auto name = m.get("name")) {
    rule.name = read_identifier(doc, *name, "rule");
    for (const Rule& other : r.s.rules)
      if (other.name == rule.name)
        doc.fail(*name, fmt::format("expected a unique rule name, found \"{}\" again (first at {})",
                                    rule.name, other.where.key_path));
  }
  rule.population =
      r.population_ref(m.require("population", "the name of the population that follows this rule"));
  if (auto tissues = m.get("tissues")) rule.tissues = indices(r.tissue_selection(*tissues));
  rule.signal.assign(r.s.species.size(), 0.0);
  rule.burst.assign(r.s.species.size(), 0.0);
  switch (rule.kind) {
    case RuleKind::Secretion:
      read_secretion(r, m, rule);
      break;
    case RuleKind::Uptake:
      read_uptake(r, m, rule);
      break;
    case RuleKind::Decay:
      read_population_decay(r, m, rule);
      break;
    case RuleKind::Growth:
    case RuleKind::Recruitment:
      read_growth(r, m, *type, rule);
      break;
    case RuleKind::Death:
      read_death(r, m, rule);
      break;
  }
  return rule;
}

}  // namespace

void read_rules(Reading& r, const Field& f) {
  const std::vector<Field> items =
      read_list(r.doc, f, "a list of rules [{type, population, ...}, ...]", false);
  if (items.size() > static_cast<std::size_t>(kMaxRules))
    r.doc.fail(f, fmt::format("expected at most {} rules, found {}", kMaxRules, items.size()));
  for (const Field& item : items) r.s.rules.push_back(read_rule(r, item));
}

}  // namespace cyto::reader
