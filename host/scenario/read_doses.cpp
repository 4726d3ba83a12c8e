// What is given to the patient: infusions into the plasma compartment, and
// therapies (a drug's doses, pharmacokinetics and effect).
#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "host/scenario/read_sections.hpp"
#include "host/scenario/yaml_values.hpp"

namespace cyto::reader {
namespace {

// A time of a dose or an infusion: >= 0 and no later than time.end.
double read_dose_time(const Reading& r, const Field& f, std::string_view what) {
  const double t = read_quantity(r.doc, f, Quantity::Time, Bound::NonNegative);
  if (t > r.s.time.end)
    r.doc.fail(f, fmt::format("the {} at {} is after the end of the run (time.end = {})", what,
                              as_written(f, Quantity::Time), r.time_end_text));
  return t;
}

// ---- infusions ----

// What is infused: a species (amount, a mass) or a population (cells).
void read_infused(const Reading& r, const MapReader& m, const Field& item, Infusion& inf) {
  const Document& doc = r.doc;
  const auto species = m.get("species");
  const auto population = m.get("population");
  const auto amount = m.get("amount");
  const auto cells = m.get("cells");
  if (species && population) doc.fail(*population, "expected either species or population, found both");
  if (species) {
    inf.species = r.species_ref(*species);
    if (cells)
      doc.fail(*cells,
               "expected amount (a mass) for an infusion of a species, found cells (for a population)");
    inf.amount = read_quantity(doc, m.require("amount", "the mass infused, e.g. \"10 ug\""), Quantity::Mass,
                               Bound::Positive);
  } else if (population) {
    inf.population = r.population_ref(*population);
    if (amount)
      doc.fail(*amount,
               "expected cells (a cell count) for an infusion of a population, found amount (for a species)");
    inf.amount = read_quantity(doc, m.require("cells", "the number of cells infused, e.g. \"1e8 cells\""),
                               Quantity::CellCount, Bound::Positive);
  } else {
    doc.fail(item, "missing required key \"species\" or \"population\" (expected what is infused)");
  }
}

// When: a bolus at `time`, or spread evenly from `start` to `end`.
void read_infusion_timing(const Reading& r, const MapReader& m, const Field& item, Infusion& inf) {
  const Document& doc = r.doc;
  const auto time = m.get("time");
  const auto start = m.get("start");
  const auto end = m.get("end");
  if (time && (start || end))
    doc.fail(start ? *start : *end,
             "expected either time (a bolus) or start and end (an infusion spread evenly), found both");
  if (time) {
    inf.start = read_dose_time(r, *time, "infusion");
  } else if (start || end) {
    const Field start_field = m.require("start", "the time the infusion starts (with end)");
    const Field end_field = m.require("end", "the time the infusion stops (with start)");
    inf.start = read_dose_time(r, start_field, "infusion start");
    inf.end = read_quantity(doc, end_field, Quantity::Time);
    if (*inf.end <= inf.start)
      doc.fail(end_field, fmt::format("expected an end after start ({}), found \"{}\"",
                                      as_written(start_field, Quantity::Time), end_field.node.Scalar()));
  } else {
    doc.fail(item, "missing required key \"time\" (expected the time of a bolus, or start and end)");
  }
}

Infusion read_infusion(const Reading& r, const Field& item) {
  const MapReader m(r.doc, item, {"name", "species", "population", "amount", "cells", "time", "start", "end"},
                    "an infusion {species or population, amount or cells, time or start and end}");
  Infusion inf;
  inf.where = r.doc.locate(item);
  if (auto name = m.get("name")) inf.name = scalar_text(r.doc, *name, "an infusion name");
  read_infused(r, m, item, inf);
  read_infusion_timing(r, m, item, inf);
  return inf;
}

// ---- therapies ----

// In the order of DrugEffect.
const std::vector<Variant>& therapy_variants() {
  static const std::vector<Variant> variants{
      {"neutralisation", {"k_on"}},
      {"blockade", {"ic50", "rules"}},
      {"suppression", {"emax", "ec50", "rules"}},
  };
  return variants;
}

// The therapy's effect, which decides the keys it may have ("neutralization" is accepted too).
std::vector<Variant>::const_iterator read_effect(const Document& doc, const Field& effect) {
  const std::vector<Variant>& variants = therapy_variants();
  const std::string expected_effects = "neutralisation, blockade or suppression";
  std::string effect_name = scalar_text(doc, effect, fmt::format("a therapy effect ({})", expected_effects));
  if (effect_name == "neutralization") effect_name = "neutralisation";
  const auto variant =
      std::find_if(variants.begin(), variants.end(), [&](const Variant& v) { return v.name == effect_name; });
  if (variant == variants.end()) {
    const std::string hint =
        closest_match(effect_name, {"neutralisation", "neutralization", "blockade", "suppression"});
    doc.fail(effect, hint.empty() ? fmt::format("unknown therapy effect {} (expected {})",
                                                quote_value(effect_name), expected_effects)
                                  : fmt::format("unknown therapy effect {}; did you mean \"{}\"?",
                                                quote_value(effect_name), hint));
  }
  return variant;
}

// Rules are named by their optional "name".
int rule_ref(const Reading& r, const Field& f) {
  std::vector<std::string> names;
  std::vector<int> index;
  for (std::size_t i = 0; i < r.s.rules.size(); ++i) {
    if (r.s.rules[i].name.empty()) continue;
    names.push_back(r.s.rules[i].name);
    index.push_back(static_cast<int>(i));
  }
  const std::string name = scalar_text(r.doc, f, "a rule name");
  if (names.empty())
    r.doc.fail(
        f, fmt::format("unknown rule {} (no rule has a name; give the rule a \"name\")", quote_value(name)));
  return index[static_cast<std::size_t>(r.reference(f, names, "rule"))];
}

std::vector<std::string> target_names(const Reading& r, const std::vector<int>& species) {
  std::vector<std::string> names;
  for (int k : species) names.push_back(r.s.species[static_cast<std::size_t>(k)].name);
  return names;
}

// Blockade acts on activations: each target rule must be activated by a blocked species.
void check_blockade_targets(const Reading& r, const Therapy& t,
                            const std::vector<std::pair<int, Field>>& rule_targets) {
  for (const auto& [index, at] : rule_targets) {
    const Rule& rule = r.s.rules[static_cast<std::size_t>(index)];
    const bool acts = std::any_of(rule.activators.begin(), rule.activators.end(), [&](const HillTerm& h) {
      return std::find(t.species.begin(), t.species.end(), h.species) != t.species.end();
    });
    if (!acts)
      r.doc.fail(at, fmt::format("expected a rule activated by a blocked species ({}), found rule \"{}\" "
                                 "without such an activator",
                                 join_or(target_names(r, t.species)), rule.name));
  }
}

void read_suppression(const Reading& r, const MapReader& m, const Field& item,
                      const std::vector<std::pair<int, Field>>& rule_targets, Therapy& t) {
  const Document& doc = r.doc;
  const auto species = m.get("species");
  const auto rules = m.get("rules");
  if (species && rules)
    doc.fail(*rules, "expected either species (every secretion rule producing them) or rules, found both");
  if (!species && !rules)
    doc.fail(item, "missing required key \"species\" or \"rules\" (expected the secretion to suppress)");
  for (const auto& [index, at] : rule_targets)
    if (r.s.rules[static_cast<std::size_t>(index)].kind != RuleKind::Secretion)
      doc.fail(at, fmt::format("expected a secretion rule (suppression scales secretion rates), found "
                               "\"{}\", which is not one",
                               at.node.Scalar()));
  const Field emax = m.require("emax", "the largest fraction suppressed, above 0 and at most 1");
  t.emax = read_quantity(doc, emax, Quantity::Dimensionless);
  if (!(t.emax > 0 && t.emax <= 1))
    doc.fail(emax, fmt::format("expected an emax above 0 and at most 1, found \"{}\"", emax.node.Scalar()));
  t.ec50 = read_quantity(doc, m.require("ec50", "the drug level of half the maximal suppression"),
                         Quantity::Concentration, Bound::Positive);
}

// The targets (species, rules) and the effect's own parameters.
void read_drug_effect(const Reading& r, const MapReader& m, const Field& item, Therapy& t) {
  const Document& doc = r.doc;
  if (const auto species = m.get("species"))
    t.species =
        indices(r.name_selection(*species, "species", [&r](const Field& x) { return r.species_ref(x); }));
  std::vector<std::pair<int, Field>> rule_targets;
  if (const auto rules = m.get("rules")) {
    rule_targets = r.name_selection(*rules, "rule", [&r](const Field& x) { return rule_ref(r, x); });
    t.rules = indices(rule_targets);
  }
  switch (t.effect) {
    case DrugEffect::Neutralisation:
      m.require("species", "the species the drug binds: a name or a list of names");
      t.k_on = read_quantity(doc, m.require("k_on", "the binding rate, e.g. \"1e-6 mL/pg/min\""),
                             Quantity::BindingRate, Bound::Positive);
      break;
    case DrugEffect::Blockade:
      m.require("species", "the species whose activation is blocked: a name or a list of names");
      check_blockade_targets(r, t, rule_targets);
      t.ic50 = read_quantity(doc, m.require("ic50", "the drug level of half blockade"),
                             Quantity::Concentration, Bound::Positive);
      break;
    case DrugEffect::Suppression:
      read_suppression(r, m, item, rule_targets, t);
      break;
  }
}

// Pharmacokinetics: the doses, half-life and volume of distribution.
void read_pharmacokinetics(const Reading& r, const MapReader& m, const Field& item, Therapy& t) {
  const Document& doc = r.doc;
  const auto doses = m.get("doses");
  const auto dose = m.get("dose");
  if (doses && dose) doc.fail(*dose, "expected either doses (a list) or dose (one), found both");
  std::vector<Field> dose_items;
  if (dose) {
    dose_items.push_back(*dose);
  } else if (doses) {
    dose_items = read_list(doc, *doses, "a non-empty list of doses [{time, amount}, ...]", true);
  } else {
    doc.fail(item, "missing required key \"doses\" (expected a list of doses [{time, amount}, ...])");
  }
  for (const Field& d : dose_items) {
    const MapReader dm(doc, d, {"time", "amount"}, "a dose {time, amount}");
    Dose x;
    x.where = doc.locate(d);
    x.time = read_dose_time(r, dm.require("time", "the time the dose is given"), "dose");
    x.amount = read_quantity(doc, dm.require("amount", "the mass given, e.g. \"8 mg\""), Quantity::Mass,
                             Bound::Positive);
    t.doses.push_back(x);
  }
  t.half_life = read_quantity(doc, m.require("half_life", "the drug's elimination half-life"), Quantity::Time,
                              Bound::Positive);
  t.volume = read_quantity(doc, m.require("volume", "the drug's volume of distribution, e.g. \"5 L\""),
                           Quantity::Volume, Bound::Positive);
}

Therapy read_therapy(const Reading& r, const Field& item) {
  const Document& doc = r.doc;
  const std::vector<Variant>& variants = therapy_variants();
  if (!item.node.IsMap())
    doc.fail(item,
             fmt::format("expected a therapy {{name, effect, ...}}, found {}", describe_found(item.node)));
  const std::optional<Field> effect = peek(item, "effect");
  if (!effect)
    doc.fail(item, "missing required key \"effect\" (expected neutralisation, blockade or suppression)");
  const auto variant = read_effect(doc, *effect);
  std::vector<std::string> keys{"name", "effect", "species", "doses", "dose", "half_life", "volume"};
  keys.insert(keys.end(), variant->keys.begin(), variant->keys.end());
  const MapReader m(doc, item, keys, "a therapy", "key",
                    keys_of_other_variants(variants, variant->name, "therapy", "effect"));

  Therapy t;
  t.effect = static_cast<DrugEffect>(variant - variants.begin());
  t.where = doc.locate(item);
  const Field name = m.require("name", "the therapy's name");
  t.name = read_identifier(doc, name, "therapy");
  for (const Therapy& other : r.s.therapies)
    if (other.name == t.name)
      doc.fail(name, fmt::format("expected a unique therapy name, found \"{}\" again (first at {})", t.name,
                                 other.where.key_path));
  read_drug_effect(r, m, item, t);
  read_pharmacokinetics(r, m, item, t);
  return t;
}

}  // namespace

void read_infusions(Reading& r, const Field& f) {
  const std::vector<Field> items = read_list(
      r.doc, f, "a list of infusions [{species or population, amount or cells, time or start and end}, ...]",
      false);
  if (!items.empty() && !r.s.plasma.enabled)
    r.doc.fail(f, "an infusion goes into the plasma compartment; add a plasma section");
  for (const Field& item : items) r.s.infusions.push_back(read_infusion(r, item));
}

void read_therapies(Reading& r, const Field& f) {
  for (const Field& item : read_list(r.doc, f, "a list of therapies [{name, effect, ...}, ...]", false))
    r.s.therapies.push_back(read_therapy(r, item));
}

}  // namespace cyto::reader
