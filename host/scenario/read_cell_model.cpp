// Cell populations: density fields that do not diffuse, with their initial
// values and random seeding. Their rules: read_rules.cpp.
#include <fmt/format.h>

#include <utility>

#include "host/scenario/read_regions.hpp"
#include "host/scenario/read_sections.hpp"
#include "host/scenario/yaml_values.hpp"

namespace cyto::reader {
namespace {

using scenario_limits::kMaxSpeciesAndPopulations;

// Species and populations share one namespace of names (output.fields, "all").
std::string read_population_name(const Reading& r, const Field& name) {
  const Document& doc = r.doc;
  std::string text = read_identifier(doc, name, "population");
  if (text == "all")
    doc.fail(name,
             "expected a population name other than \"all\" (it means \"every species and population\"), "
             "found \"all\"");
  for (const Species& sp : r.s.species)
    if (sp.name == text)
      doc.fail(name, fmt::format("expected a population name that no species has, found \"{}\" (the "
                                 "species at {})",
                                 text, sp.where.key_path));
  for (const Population& other : r.s.populations)
    if (other.name == text)
      doc.fail(name, fmt::format("expected a unique population name, found \"{}\" again (first at {})", text,
                                 other.where.key_path));
  return text;
}

void read_seeding(Reading& r, const Field& f, int population) {
  const std::vector<std::string> keys = with_shape_keys({"density", "tissue"});
  for (const Field& item :
       r.one_or_list(f, "a seeding {density, tissue, <shape>} or a non-empty list of them")) {
    const MapReader m(r.doc, item, keys, "a seeding {density, tissue, <shape>}");
    Seeding sd;
    sd.population = population;
    sd.where = r.doc.locate(item);
    sd.density = read_quantity(r.doc, m.require("density", "the mean density of the cells seeded"),
                               Quantity::CellDensity, Bound::Positive);
    sd.region = read_region(r, m);
    r.s.seedings.push_back(std::move(sd));
  }
}

void read_population(Reading& r, const Field& item) {
  const MapReader m(r.doc, item, {"name", "initial", "seeding"}, "a population {name, initial, seeding}");
  Population p;
  p.where = r.doc.locate(item);
  p.name = read_population_name(r, m.require("name", "the population's name"));
  if (auto initial = m.get("initial")) p.initial = read_initial(r, *initial, Quantity::CellDensity);
  const int index = static_cast<int>(r.s.populations.size());
  r.s.populations.push_back(std::move(p));
  if (auto seeding = m.get("seeding")) read_seeding(r, *seeding, index);
}

}  // namespace

void read_populations(Reading& r, const Field& f) {
  const std::vector<Field> items =
      read_list(r.doc, f, "a list of populations [{name, initial, seeding}, ...]", false);
  const std::size_t species = r.s.species.size();
  const std::size_t total = species + items.size();
  if (total > static_cast<std::size_t>(kMaxSpeciesAndPopulations))
    r.doc.fail(f, fmt::format(
                      "expected at most {} species and populations together, found {} ({} species and "
                      "{} population{})",
                      kMaxSpeciesAndPopulations, total, species, items.size(), items.size() == 1 ? "" : "s"));
  for (const Field& item : items) read_population(r, item);
}

}  // namespace cyto::reader
