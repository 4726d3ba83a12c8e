// The scenario in words with its geometry as placed (cytostorm check): the
// scenario's own sections (host/scenario/scenario_description.hpp) around
// the resolved grid and what each geometry file holds.
#pragma once

#include <string>

#include "host/geometry/placed_geometry.hpp"
#include "host/scenario/scenario.hpp"

namespace cyto {

// A multi-line description in user units: heading, grid (as resolved),
// tissues, geometry (each mesh's triangles and vertices, each label map's
// format, size, notes and label -> tissue map), then species to checkpoints.
std::string describe_scenario(const Scenario& s, const PlacedGeometry& geometry);

}  // namespace cyto
