// The scenario reader's entry points: the file or text, --set overrides,
// then the sections in dependency order (read_sections.hpp).
#include "host/scenario/config.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <utility>

#include "host/core/input_file.hpp"
#include "host/scenario/overrides.hpp"
#include "host/scenario/read_sections.hpp"
#include "host/scenario/yaml_values.hpp"

namespace cyto {
namespace {

using reader::Document;
using reader::Field;
using reader::MapReader;
using reader::Reading;

// The name becomes a directory name ("output/<name>").
std::string read_scenario_name(const Document& doc, const Field& f) {
  const std::string text = reader::scalar_text(doc, f, "a scenario name");
  const bool ok = !text.empty() && text[0] != '.' && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
  if (!ok)
    doc.fail(f,
             fmt::format("expected a scenario name of letters, digits, \"_\", \"-\" or \".\", found \"{}\"",
                         text));
  return text;
}

Precision read_precision(const Document& doc, const Field& f) {
  const std::string text = reader::scalar_text(doc, f, "\"float\" or \"double\"");
  if (text == "float") return Precision::Float;
  if (text == "double") return Precision::Double;
  doc.fail(f, fmt::format("expected \"float\" or \"double\", found \"{}\"", text));
}

// The sections in an order where each refers only to sections read before it.
Scenario read_scenario(const Document& doc, const std::string& base_directory, const YAML::Node& root) {
  if (root.IsNull())
    doc.fail(root.Mark(), "",
             "expected a map of scenario settings at the top level, found an empty document");
  const MapReader top(doc, Field{root, "", root.Mark()},
                      {"name", "description", "precision", "seed", "grid", "tissues", "geometry", "species",
                       "populations", "sources", "boundaries", "rules", "organs", "plasma", "infusions",
                       "therapies", "time", "output", "checkpoint"},
                      "a map of scenario settings at the top level");
  Reading r(doc, base_directory);
  Scenario& s = r.s;
  s.name = read_scenario_name(doc, top.require("name", "the scenario's name"));
  if (auto f = top.get("description")) s.description = reader::scalar_text(doc, *f, "a text");
  if (auto f = top.get("precision")) s.precision = read_precision(doc, *f);
  if (auto f = top.get("seed")) s.seed = reader::read_seed(doc, *f);
  reader::read_grid(r, top.require("grid", "the grid: extent and voxel"));
  reader::read_tissues(r, top.require("tissues", "a list of tissues"));
  reader::read_geometry(r, top.require("geometry", "a list of geometry items"));
  reader::read_species(r, top.require("species", "a list of species"));
  if (auto f = top.get("populations")) reader::read_populations(r, *f);
  if (auto f = top.get("sources")) reader::read_sources(r, *f);
  if (auto f = top.get("boundaries")) reader::read_boundaries(r, *f);
  // Before the model: doses and infusions are checked against time.end.
  reader::read_time(r, top.require("time", "the time settings: end and optional dt"));
  // Plasma before rules: recruitment draws on the blood.
  if (auto f = top.get("plasma")) reader::read_plasma(r, *f);
  if (auto f = top.get("rules")) reader::read_rules(r, *f);
  if (auto f = top.get("organs")) reader::read_organs(r, *f);
  if (auto f = top.get("infusions")) reader::read_infusions(r, *f);
  if (auto f = top.get("therapies")) reader::read_therapies(r, *f);
  reader::read_output(r, top.require("output", "the output settings: at least interval"));
  s.checkpoint.where = doc.locate(YAML::Mark::null_mark(), "checkpoint");  // no section: the defaults
  if (auto f = top.get("checkpoint")) reader::read_checkpoint(r, *f);
  return std::move(s);
}

}  // namespace

Scenario parse_scenario(const std::string& yaml_text, const std::string& display_name,
                        const std::vector<std::string>& overrides) {
  YAML::Node root = reader::load_document(yaml_text, display_name);
  // A top level that is not a map is reported by validation, at the file.
  std::vector<reader::Override> applied;
  if (root.IsMap() || root.IsNull()) applied = reader::apply_overrides(root, overrides);

  const Document doc(display_name, std::move(applied));
  Scenario s;
  try {
    s = read_scenario(doc, std::filesystem::path(display_name).parent_path().string(), root);
  } catch (const InputError& e) {
    throw reader::blame_unclosed_quote(yaml_text, display_name, e);  // the likely cause, where it is
  }
  s.source_file = display_name;
  s.resolved_yaml = YAML::Dump(root);
  return s;
}

Scenario load_scenario(const std::string& path, const std::vector<std::string>& overrides) {
  return parse_scenario(read_input_file(path, "scenario file", reader::kMaxScenarioFileBytes), path,
                        overrides);
}

}  // namespace cyto
