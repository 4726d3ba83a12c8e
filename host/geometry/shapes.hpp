// Analytic shapes: inside tests (metres).
#pragma once

#include "host/scenario/shape_bounds.hpp"

namespace cyto {

// Bounds and shape_bounds: host/scenario/shape_bounds.hpp.
bool shape_contains(const Shape& shape, const Vec3& point);

}  // namespace cyto
