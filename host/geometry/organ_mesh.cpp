#include "host/geometry/organ_mesh.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

namespace cyto {
namespace {

using P3 = std::array<double, 3>;

P3 normalised(const P3& v) {
  const double n = std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
  return {v[0] / n, v[1] / n, v[2] / n};
}

// Unit geodesic sphere: vertices on the unit sphere, outward triangles.
TriangleMesh unit_geodesic_sphere(int subdivisions) {
  const double t = (1 + std::sqrt(5.0)) / 2;
  TriangleMesh m;
  m.vertices = {{-1, t, 0},  {1, t, 0},  {-1, -t, 0}, {1, -t, 0}, {0, -1, t},  {0, 1, t},
                {0, -1, -t}, {0, 1, -t}, {t, 0, -1},  {t, 0, 1},  {-t, 0, -1}, {-t, 0, 1}};
  for (P3& v : m.vertices) v = normalised(v);
  m.triangles = {{0, 11, 5},  {0, 5, 1},  {0, 1, 7},  {0, 7, 10}, {0, 10, 11}, {1, 5, 9}, {5, 11, 4},
                 {11, 10, 2}, {10, 7, 6}, {7, 1, 8},  {3, 9, 4},  {3, 4, 2},   {3, 2, 6}, {3, 6, 8},
                 {3, 8, 9},   {4, 9, 5},  {2, 4, 11}, {6, 2, 10}, {8, 6, 7},   {9, 8, 1}};
  for (int s = 0; s < subdivisions; ++s) {
    std::map<std::pair<std::int32_t, std::int32_t>, std::int32_t> midpoints;
    const auto midpoint = [&](std::int32_t a, std::int32_t b) {
      const auto key = std::minmax(a, b);
      auto [it, inserted] =
          midpoints.try_emplace(std::make_pair(key.first, key.second), std::int32_t(m.vertices.size()));
      if (inserted) {
        const P3& va = m.vertices[a];
        const P3& vb = m.vertices[b];
        m.vertices.push_back(normalised({va[0] + vb[0], va[1] + vb[1], va[2] + vb[2]}));
      }
      return it->second;
    };
    std::vector<std::array<std::int32_t, 3>> finer;
    finer.reserve(m.triangles.size() * 4);
    for (const auto& tri : m.triangles) {
      const std::int32_t ab = midpoint(tri[0], tri[1]), bc = midpoint(tri[1], tri[2]),
                         ca = midpoint(tri[2], tri[0]);
      finer.push_back({tri[0], ab, ca});
      finer.push_back({tri[1], bc, ab});
      finer.push_back({tri[2], ca, bc});
      finer.push_back({ab, bc, ca});
    }
    m.triangles = std::move(finer);
  }
  return m;
}

struct Lobe {
  P3 centre;
  P3 radii;
};

// Smooth union of the lobes: negative inside. Each lobe contains the
// origin, so the union is star-shaped about it.
double organ_level(const P3& x) {
  static const Lobe lobes[] = {
      {{0.45, 0.05, 0.0}, {1.55, 1.35, 0.85}},   // right lobe
      {{-1.0, 0.25, 0.1}, {1.25, 0.95, 0.55}},   // left lobe, thinner
      {{0.1, -0.75, -0.15}, {0.7, 0.85, 0.5}},   // caudate
      {{0.9, -0.55, 0.25}, {0.75, 0.95, 0.55}},  // quadrate
  };
  constexpr double kBlend = 0.12;  // width of the fillet between lobes
  double sum = 0;
  for (const Lobe& lobe : lobes) {
    double r2 = 0;
    for (int a = 0; a < 3; ++a) {
      const double q = (x[a] - lobe.centre[a]) / lobe.radii[a];
      r2 += q * q;
    }
    sum += std::exp(-(std::sqrt(r2) - 1) / kBlend);
  }
  return -kBlend * std::log(sum);
}

}  // namespace

TriangleMesh make_icosphere(int subdivisions, double radius, const std::array<double, 3>& centre) {
  TriangleMesh m = unit_geodesic_sphere(subdivisions);
  for (P3& v : m.vertices)
    for (int a = 0; a < 3; ++a) v[a] = centre[a] + radius * v[a];
  return m;
}

TriangleMesh make_lobed_organ(int subdivisions) {
  TriangleMesh m = unit_geodesic_sphere(subdivisions);
  for (P3& d : m.vertices) {
    // The outermost crossing along the ray: step in from beyond every lobe,
    // then bisect.
    const auto level = [&](double r) { return organ_level({r * d[0], r * d[1], r * d[2]}); };
    double outside = 4.0, inside = outside;
    while (level(inside) > 0) inside -= 0.01;
    outside = inside + 0.01;
    for (int it = 0; it < 60; ++it) {
      const double mid = 0.5 * (inside + outside);
      (level(mid) > 0 ? outside : inside) = mid;
    }
    const double r = 0.5 * (inside + outside);
    d = {r * d[0], r * d[1], r * d[2]};
  }
  return m;
}

}  // namespace cyto
