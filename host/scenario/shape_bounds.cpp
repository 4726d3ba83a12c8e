#include "host/scenario/shape_bounds.hpp"

#include <algorithm>
#include <cmath>

namespace cyto {

Bounds shape_bounds(const Shape& s) {
  switch (s.kind) {
    case ShapeKind::Box:
      return {s.a, s.b};
    case ShapeKind::Sphere:
      return {{s.a[0] - s.radius, s.a[1] - s.radius, s.a[2] - s.radius},
              {s.a[0] + s.radius, s.a[1] + s.radius, s.a[2] + s.radius}};
    case ShapeKind::Ellipsoid:
      return {{s.a[0] - s.b[0], s.a[1] - s.b[1], s.a[2] - s.b[2]},
              {s.a[0] + s.b[0], s.a[1] + s.b[1], s.a[2] + s.b[2]}};
    case ShapeKind::Cylinder: {
      // Exact box of a capped cylinder: along each axis the caps' discs reach
      // radius * sqrt(1 - (axis component of the unit direction)^2).
      const Vec3 d{s.b[0] - s.a[0], s.b[1] - s.a[1], s.b[2] - s.a[2]};
      const double len = std::sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
      Bounds box;
      for (int i = 0; i < 3; ++i) {
        const double u = len > 0 ? d[i] / len : 0;
        const double reach = s.radius * std::sqrt(std::max(0.0, 1.0 - u * u));
        box.lo[i] = std::min(s.a[i], s.b[i]) - reach;
        box.hi[i] = std::max(s.a[i], s.b[i]) + reach;
      }
      return box;
    }
    case ShapeKind::Union: {
      // Each part's bounds once: nested unions stay linear in their size.
      Bounds box = shape_bounds(s.parts.front());
      for (auto part_it = s.parts.begin() + 1; part_it != s.parts.end(); ++part_it) {
        const Shape& part = *part_it;
        const Bounds b = shape_bounds(part);
        for (int i = 0; i < 3; ++i) {
          box.lo[i] = std::min(box.lo[i], b.lo[i]);
          box.hi[i] = std::max(box.hi[i], b.hi[i]);
        }
      }
      return box;
    }
  }
  return {};
}

}  // namespace cyto
