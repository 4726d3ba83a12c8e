#include "host/geometry/shapes.hpp"

#include <algorithm>
#include <cmath>

namespace cyto {
namespace {

double dot(const Vec3& a, const Vec3& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
Vec3 sub(const Vec3& a, const Vec3& b) { return {a[0] - b[0], a[1] - b[1], a[2] - b[2]}; }

}  // namespace

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
      const Vec3 d = sub(s.b, s.a);
      const double len = std::sqrt(dot(d, d));
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

bool shape_contains(const Shape& s, const Vec3& p) {
  switch (s.kind) {
    case ShapeKind::Box:
      return p[0] >= s.a[0] && p[0] <= s.b[0] && p[1] >= s.a[1] && p[1] <= s.b[1] && p[2] >= s.a[2] &&
             p[2] <= s.b[2];
    case ShapeKind::Sphere: {
      const Vec3 d = sub(p, s.a);
      return dot(d, d) <= s.radius * s.radius;
    }
    case ShapeKind::Ellipsoid: {
      double q = 0;
      for (int i = 0; i < 3; ++i) {
        const double t = (p[i] - s.a[i]) / s.b[i];
        q += t * t;
      }
      return q <= 1.0;
    }
    case ShapeKind::Cylinder: {
      const Vec3 axis = sub(s.b, s.a);
      const Vec3 rel = sub(p, s.a);
      const double len2 = dot(axis, axis);
      const double t = dot(rel, axis);  // projection times |axis|
      if (t < 0 || t > len2) return false;
      const double radial2 = dot(rel, rel) - t * t / len2;
      return radial2 <= s.radius * s.radius;
    }
    case ShapeKind::Union:
      return std::any_of(s.parts.begin(), s.parts.end(),
                         [&](const Shape& part) { return shape_contains(part, p); });
  }
  return false;
}

}  // namespace cyto
