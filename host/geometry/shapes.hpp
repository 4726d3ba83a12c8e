// Analytic shapes: inside tests and bounding boxes (metres).
#pragma once

#include "host/scenario/scenario.hpp"

namespace cyto {

struct Bounds {
  Vec3 lo{0, 0, 0};
  Vec3 hi{0, 0, 0};
};

Bounds shape_bounds(const Shape& shape);
bool shape_contains(const Shape& shape, const Vec3& point);

}  // namespace cyto
