// The body around the modelled tissue: organs (groups of tissues that stand
// for a whole organ) and the well-mixed plasma compartment with its
// clearance, blood cells and vascular exchange.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <utility>

#include "host/scenario/read_sections.hpp"
#include "host/scenario/yaml_values.hpp"

namespace cyto::reader {
namespace {

// Organs and tissues share the time series' column names.
std::string read_organ_name(const Reading& r, const Field& name) {
  const Document& doc = r.doc;
  std::string text = read_identifier(doc, name, "organ");
  if (text == "all")
    doc.fail(name, "expected an organ name other than \"all\" (it means \"every tissue\"), found \"all\"");
  for (const Tissue& t : r.s.tissues)
    if (t.name == text)
      doc.fail(name, fmt::format("expected an organ name that no tissue has (time series name organs and "
                                 "tissues alike), found \"{}\" (the tissue at {})",
                                 text, t.where.key_path));
  for (const Organ& other : r.s.organs)
    if (other.name == text)
      doc.fail(name, fmt::format("expected a unique organ name, found \"{}\" again (first at {})", text,
                                 other.where.key_path));
  return text;
}

Organ read_organ(const Reading& r, const Field& item) {
  const Document& doc = r.doc;
  const MapReader m(doc, item, {"name", "tissues", "volume"}, "an organ {name, tissues, volume}");
  Organ o;
  o.where = doc.locate(item);
  o.name = read_organ_name(r, m.require("name", "the organ's name"));
  for (const auto& [t, at] :
       r.tissue_selection(m.require("tissues", "a tissue name or a list of tissue names"))) {
    for (const Organ& other : r.s.organs)
      if (std::find(other.tissues.begin(), other.tissues.end(), t) != other.tissues.end())
        doc.fail(at, fmt::format("expected each tissue in at most one organ, found \"{}\" already in organ "
                                 "\"{}\" ({})",
                                 r.s.tissues[t].name, other.name, other.where.key_path));
    o.tissues.push_back(t);
  }
  if (auto volume = m.get("volume"))
    o.volume = read_quantity(doc, *volume, Quantity::Volume, Bound::Positive);
  return o;
}

// One value for every species, or a map by species name with an optional "default".
struct PerSpecies {
  std::vector<std::optional<double>> value;  // given by name
  std::vector<std::optional<Field>> at;
  std::optional<double> fallback;  // a scalar, or "default"
  std::optional<Field> fallback_at;
};

PerSpecies read_per_species(const Reading& r, const Field& f, Quantity q, Bound bound) {
  const Document& doc = r.doc;
  const std::size_t ns = r.s.species.size();
  PerSpecies out;
  out.value.resize(ns);
  out.at.resize(ns);
  if (!f.node.IsMap()) {
    out.fallback = read_quantity(doc, f, q, bound);
    out.fallback_at = f;
    return out;
  }
  std::vector<std::string> keys = r.species_names();
  keys.emplace_back("default");
  const MapReader m(
      doc, f, keys,
      fmt::format("{} for every species, or a map by species name (with an optional \"default\")",
                  with_article(quantity_name(q))),
      "species");
  if (auto d = m.get("default")) {
    out.fallback = read_quantity(doc, *d, q, bound);
    out.fallback_at = *d;
  }
  for (std::size_t k = 0; k < ns; ++k) {
    if (auto v = m.get(r.s.species[k].name)) {
      out.value[k] = read_quantity(doc, *v, q, bound);
      out.at[k] = *v;
    }
  }
  return out;
}

// A map by population name; populations not listed get 0.
std::vector<double> read_per_population(const Reading& r, const Field& f, Quantity q) {
  const std::vector<std::string> names = r.population_names();
  const MapReader m(r.doc, f, names, fmt::format("a map of {} by population name", quantity_name(q)),
                    "population");
  std::vector<double> values(names.size(), 0.0);
  for (std::size_t p = 0; p < names.size(); ++p)
    if (auto v = m.get(names[p])) values[p] = read_quantity(r.doc, *v, q, Bound::NonNegative);
  return values;
}

// Clearance by rate or by half-life; a species' own entry wins over a default.
std::vector<double> read_plasma_clearance(const Reading& r, const MapReader& m) {
  const Document& doc = r.doc;
  const std::size_t ns = r.s.species.size();
  PerSpecies rate, half_life;
  rate.value.resize(ns);
  half_life.value.resize(ns);
  if (auto c = m.get("clearance")) rate = read_per_species(r, *c, Quantity::Rate, Bound::NonNegative);
  if (auto h = m.get("half_life")) half_life = read_per_species(r, *h, Quantity::Time, Bound::Positive);
  if (rate.fallback && half_life.fallback)
    doc.fail(*half_life.fallback_at,
             "expected a default clearance or a default half_life, found both (give one, and per-species "
             "values of the other)");
  std::vector<double> clearance(ns, 0.0);
  for (std::size_t k = 0; k < ns; ++k) {
    if (rate.value[k] && half_life.value[k])
      doc.fail(*half_life.at[k],
               fmt::format("expected either a clearance or a half_life for \"{}\", found both",
                           r.s.species[k].name));
    if (rate.value[k]) {
      clearance[k] = *rate.value[k];
    } else if (half_life.value[k]) {
      clearance[k] = std::log(2.0) / *half_life.value[k];
    } else if (rate.fallback) {
      clearance[k] = *rate.fallback;
    } else if (half_life.fallback) {
      clearance[k] = std::log(2.0) / *half_life.fallback;
    }
  }
  return clearance;
}

// One entry per species of the item ("species: all" gives several).
void read_exchange_item(Reading& r, const Field& item) {
  const Document& doc = r.doc;
  const MapReader m(doc, item, {"tissue", "species", "rate"}, "a vascular exchange {tissue, species, rate}");
  const int tissue = r.tissue_ref(m.require("tissue", "the name of the tissue that exchanges with plasma"));
  const Field species = m.require("species", "a species name, a list of names, or \"all\"");
  const std::vector<int> which = r.species_selection(species);
  const double rate = read_quantity(doc, m.require("rate", "the exchange rate, e.g. \"0.5 /min\""),
                                    Quantity::Rate, Bound::NonNegative);
  for (int k : which) {
    for (const VascularExchange& other : r.s.plasma.exchange)
      if (other.tissue == tissue && other.species == k)
        doc.fail(species,
                 fmt::format("expected one exchange per tissue and species, found a second for \"{}\" in "
                             "\"{}\" (first at {})",
                             r.s.species[k].name, r.s.tissues[tissue].name, other.where.key_path));
    r.s.plasma.exchange.push_back(VascularExchange{tissue, k, rate, doc.locate(item)});
  }
}

}  // namespace

void read_organs(Reading& r, const Field& f) {
  for (const Field& item : read_list(r.doc, f, "a list of organs [{name, tissues, volume}, ...]", false))
    r.s.organs.push_back(read_organ(r, item));
}

void read_plasma(Reading& r, const Field& f) {
  const Document& doc = r.doc;
  const MapReader m(
      doc, f, {"volume", "initial", "clearance", "half_life", "blood", "blood_clearance", "exchange"},
      "a plasma map {volume, initial, clearance or half_life, blood, blood_clearance, exchange}");
  Plasma& p = r.s.plasma;
  p.enabled = true;
  p.where = doc.locate(f);
  p.volume = read_quantity(doc, m.require("volume", "the plasma volume, e.g. \"3 L\""), Quantity::Volume,
                           Bound::Positive);
  const std::size_t ns = r.s.species.size();
  p.initial.assign(ns, 0.0);
  if (auto initial = m.get("initial")) {
    const PerSpecies v = read_per_species(r, *initial, Quantity::Concentration, Bound::NonNegative);
    for (std::size_t k = 0; k < ns; ++k) p.initial[k] = v.value[k].value_or(v.fallback.value_or(0.0));
  }
  p.clearance = read_plasma_clearance(r, m);
  p.blood_initial.assign(r.s.populations.size(), 0.0);
  p.blood_clearance.assign(r.s.populations.size(), 0.0);
  if (auto blood = m.get("blood")) p.blood_initial = read_per_population(r, *blood, Quantity::CellDensity);
  if (auto bc = m.get("blood_clearance")) p.blood_clearance = read_per_population(r, *bc, Quantity::Rate);
  if (auto exchange = m.get("exchange")) {
    for (const Field& item :
         read_list(doc, *exchange, "a list of vascular exchanges [{tissue, species, rate}, ...]", false))
      read_exchange_item(r, item);
  }
}

}  // namespace cyto::reader
