// What diffuses and where it comes from: species (diffusion per tissue,
// decay, initial values), sources, and Dirichlet boundaries.
#include <fmt/format.h>

#include <cmath>
#include <optional>
#include <utility>

#include "host/scenario/read_regions.hpp"
#include "host/scenario/read_sections.hpp"
#include "host/scenario/yaml_values.hpp"

namespace cyto::reader {
namespace {

using scenario_limits::kMaxSpecies;

// The name is refused where it would be read as a keyword or collide.
std::string read_species_name(const Reading& r, const Field& name) {
  const Document& doc = r.doc;
  std::string text = read_identifier(doc, name, "species");
  if (text == "all")
    doc.fail(name, "expected a species name other than \"all\" (it means \"every species\"), found \"all\"");
  if (text == "default")
    doc.fail(name,
             "expected a species name other than \"default\" (it means \"every other species\" in plasma "
             "maps), found \"default\"");
  for (const Species& other : r.s.species)
    if (other.name == text)
      doc.fail(name, fmt::format("expected a unique species name, found \"{}\" again (first at {})", text,
                                 other.where.key_path));
  return text;
}

// One coefficient for every tissue, or a map by tissue name (with an optional "default").
std::vector<double> read_diffusion(const Reading& r, const Field& f) {
  const Document& doc = r.doc;
  if (!f.node.IsMap()) {
    const double d = read_quantity(doc, f, Quantity::Diffusion, Bound::NonNegative);
    return std::vector<double>(r.s.tissues.size(), d);
  }
  std::vector<std::string> keys = r.tissue_names();
  keys.emplace_back("default");
  const MapReader m(doc, f, keys, "a diffusion coefficient, or a map by tissue name", "tissue");
  std::optional<double> fallback;
  if (auto d = m.get("default")) fallback = read_quantity(doc, *d, Quantity::Diffusion, Bound::NonNegative);
  std::vector<double> per_tissue;
  for (const Tissue& t : r.s.tissues) {
    if (auto d = m.get(t.name)) {
      per_tissue.push_back(read_quantity(doc, *d, Quantity::Diffusion, Bound::NonNegative));
    } else if (fallback) {
      per_tissue.push_back(*fallback);
    } else {
      doc.fail(f, fmt::format("expected a diffusion coefficient for every tissue (or a \"default\"), "
                              "found none for tissue \"{}\"",
                              t.name));
    }
  }
  return per_tissue;
}

Species read_one_species(const Reading& r, const Field& item) {
  const Document& doc = r.doc;
  const MapReader m(doc, item, {"name", "diffusion", "decay", "half_life", "initial"},
                    "a species {name, diffusion, decay or half_life, initial}");
  Species sp;
  sp.where = doc.locate(item);
  sp.name = read_species_name(r, m.require("name", "the species' name"));
  sp.diffusion =
      read_diffusion(r, m.require("diffusion", "a diffusion coefficient, or a map by tissue name"));
  const auto decay = m.get("decay");
  const auto half_life = m.get("half_life");
  if (decay && half_life) doc.fail(*half_life, "expected either decay or half_life, found both");
  if (decay) sp.decay_rate = read_quantity(doc, *decay, Quantity::Rate, Bound::NonNegative);
  if (half_life)
    sp.decay_rate = std::log(2.0) / read_quantity(doc, *half_life, Quantity::Time, Bound::Positive);
  if (auto initial = m.get("initial")) sp.initial = read_initial(r, *initial, Quantity::Concentration);
  return sp;
}

Source read_source(const Reading& r, const Field& item, const std::vector<std::string>& keys) {
  const Document& doc = r.doc;
  const MapReader m(doc, item, keys, "a source {species, rate, tissue, <shape>, start, end}");
  Source src;
  src.where = doc.locate(item);
  if (auto name = m.get("name")) src.name = scalar_text(doc, *name, "a source name");
  src.species = r.species_ref(m.require("species", "the name of the species it produces"));
  src.rate = read_quantity(doc, m.require("rate", quantity_expectation(Quantity::ConcentrationRate)),
                           Quantity::ConcentrationRate);
  src.region = read_region(r, m);
  if (auto start = m.get("start")) src.start = read_quantity(doc, *start, Quantity::Time, Bound::NonNegative);
  if (auto end = m.get("end")) {
    src.end = read_quantity(doc, *end, Quantity::Time);
    if (src.end <= src.start)
      doc.fail(*end, fmt::format("expected an end after start ({}), found \"{}\"",
                                 format_quantity(src.start, Quantity::Time), end->node.Scalar()));
  }
  return src;
}

// One entry per species of the item ("species: all" gives several).
void read_boundary(Reading& r, const Field& item) {
  const Document& doc = r.doc;
  const MapReader m(doc, item, {"tissue", "species", "dirichlet"}, "a boundary {tissue, species, dirichlet}");
  const int tissue = r.tissue_ref(m.require("tissue", "the name of the tissue whose voxels are held fixed"));
  const Field species = m.require("species", "a species name, a list of names, or \"all\"");
  const std::vector<int> which = r.species_selection(species);
  const double value = read_quantity(doc, m.require("dirichlet", "the concentration held fixed"),
                                     Quantity::Concentration, Bound::NonNegative);
  for (int k : which) {
    for (const DirichletBoundary& other : r.s.boundaries)
      if (other.tissue == tissue && other.species == k)
        doc.fail(species,
                 fmt::format("expected one boundary per tissue and species, found a second for \"{}\" "
                             "in \"{}\" (first at {})",
                             r.s.species[k].name, r.s.tissues[tissue].name, other.where.key_path));
    r.s.boundaries.push_back(DirichletBoundary{tissue, k, value, doc.locate(item)});
  }
}

}  // namespace

void read_species(Reading& r, const Field& f) {
  const std::vector<Field> items =
      read_list(r.doc, f, "a non-empty list of species [{name, diffusion, ...}, ...]", true);
  if (items.size() > static_cast<std::size_t>(kMaxSpecies))
    r.doc.fail(f, fmt::format("expected at most {} species, found {}", kMaxSpecies, items.size()));
  for (const Field& item : items) r.s.species.push_back(read_one_species(r, item));
}

void read_sources(Reading& r, const Field& f) {
  const std::vector<std::string> keys =
      with_shape_keys({"name", "species", "rate", "tissue", "start", "end"});
  for (const Field& item : read_list(r.doc, f, "a list of sources [{species, rate, ...}, ...]", false))
    r.s.sources.push_back(read_source(r, item, keys));
}

void read_boundaries(Reading& r, const Field& f) {
  for (const Field& item :
       read_list(r.doc, f, "a list of boundaries [{tissue, species, dirichlet}, ...]", false))
    read_boundary(r, item);
}

}  // namespace cyto::reader
