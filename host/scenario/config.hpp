// Scenario files: YAML -> validated Scenario (units converted, names resolved
// to indices). The schema is documented for users in configs/SCHEMA.md.
//
// The reader validates everything the YAML says. The mesh and label-map
// files it names are read afterwards by the geometry layer (load_geometry,
// host/geometry/placed_geometry.hpp), which also sizes a grid given as
// {voxel, padding}; their errors point at the same YAML items.
#pragma once

#include <string>
#include <vector>

#include "host/scenario/scenario.hpp"
#include "host/scenario/scenario_description.hpp"  // describe_scenario

namespace cyto {

// Loads a scenario file, applies overrides ("key.path=value", from --set),
// validates it and converts units. Every problem throws InputError with the
// file, line, column and key path of the offending value and a message saying
// what was expected and what was found. A value that came from an override is
// reported at "--set key.path=value" instead of a file position.
// A file path the scenario names (a mesh, a label map) must exist; its
// contents are not read here.
Scenario load_scenario(const std::string& path, const std::vector<std::string>& overrides = {});

// The same from text; display_name stands in for the file name in errors and
// in Scenario::source_file.
Scenario parse_scenario(const std::string& yaml_text, const std::string& display_name,
                        const std::vector<std::string>& overrides = {});

// One difference between two resolved scenarios. `key` is a key path in the
// --set syntax ("time.end", "species.TNF.decay", "geometry[2].box.min[0]");
// `before` / `after` are the values as text ("" when the key is absent on that
// side; a map or list where the other side has something else is written in
// YAML flow style, e.g. "{steps: 100}", and null as "null").
struct ScenarioDifference {
  std::string key;
  std::string before;
  std::string after;
};

// Differences between two resolved scenarios (Scenario::resolved_yaml texts):
// every scalar that differs or is only in one of them, as one entry per leaf
// key path, and every key whose structure differs (a map in one, a scalar or a
// list in the other) as one entry at that key. Items of lists of maps with a
// unique "name" are named by it ("species.TNF"), others by index
// ("geometry[2]"), so each key can be given to --set. Scalars are compared by
// their text ("1 h" differs from "60 min"). Order: document order of
// `before`, then the keys only in `after` in their document order. Identical
// documents give an empty list. Text that is not YAML throws InputError at
// display_name.
std::vector<ScenarioDifference> scenario_differences(const std::string& before_yaml,
                                                     const std::string& after_yaml,
                                                     const std::string& display_name = "scenario");

}  // namespace cyto
