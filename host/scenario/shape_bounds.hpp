// Bounding boxes of the scenario's analytic shapes (metres): what the reader
// checks against an explicit grid, and what a grid sized from the geometry
// covers.
#pragma once

#include "host/scenario/scenario.hpp"

namespace cyto {

struct Bounds {
  Vec3 lo{0, 0, 0};
  Vec3 hi{0, 0, 0};
};

Bounds shape_bounds(const Shape& shape);

}  // namespace cyto
