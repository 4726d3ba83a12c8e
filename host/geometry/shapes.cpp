#include "host/geometry/shapes.hpp"

#include <algorithm>
#include <cmath>

namespace cyto {
namespace {

double dot(const Vec3& a, const Vec3& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
Vec3 sub(const Vec3& a, const Vec3& b) { return {a[0] - b[0], a[1] - b[1], a[2] - b[2]}; }

}  // namespace

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
