// Scenario files: YAML -> validated Scenario (units converted, names resolved
// to indices). The schema is documented for users in configs/SCHEMA.md.
#pragma once

#include <string>
#include <vector>

#include "scenario.hpp"

namespace cyto {

// Loads a scenario file, applies overrides ("key.path=value", from --set),
// validates it and converts units. Every problem throws InputError with the
// file, line, column and key path of the offending value and a message saying
// what was expected and what was found. A value that came from an override is
// reported at "--set key.path=value" instead of a file position.
Scenario load_scenario(const std::string& path, const std::vector<std::string>& overrides = {});

// The same from text; display_name stands in for the file name in errors and
// in Scenario::source_file.
Scenario parse_scenario(const std::string& yaml_text, const std::string& display_name,
                        const std::vector<std::string>& overrides = {});

// A multi-line human description of the resolved scenario in user units
// (shown by `cytostorm check`): grid, tissues, geometry, species, sources,
// boundaries, seed, populations, rules, organs, plasma, infusions, therapies,
// time and output.
std::string describe_scenario(const Scenario& s);

}  // namespace cyto
