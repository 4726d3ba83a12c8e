// --set key.path=value: changes to the scenario document before it is read.
#pragma once

#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "host/scenario/yaml_document.hpp"

namespace cyto::reader {

// Applies each "key.path=value" to the document, creating the maps a path
// needs; list items are named by index ("species[0]", "species.0") or by
// their "name" ("species.TNF"). Returns what was replaced, by canonical path
// ("species[0].decay"), so that the reader reports those values at the
// override. A malformed override is an InputError at "--set".
std::vector<Override> apply_overrides(YAML::Node& root, const std::vector<std::string>& overrides);

}  // namespace cyto::reader
