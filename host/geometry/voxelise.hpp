// Voxelising triangle surfaces: which voxel centres lie inside a surface.
//
// "Inside" is decided by the generalised winding number w(p) (Jacobson et
// al. 2013): the signed solid angle of the surface seen from p over 4 pi. It
// is 1 inside and 0 outside a closed, outward-oriented surface, and degrades
// gracefully where the surface is not closed: a small hole or a flipped or
// duplicated triangle changes w only near itself, unlike a ray-parity test
// whose answer flips along every ray through a defect. A voxel is inside
// where |w| > 1/2, so a surface oriented inward throughout works too.
//
// Speed (Barill et al. 2018, "fast winding numbers"): a bounding-volume
// hierarchy over the triangles; a cluster far from p (distance > kOpening x
// its radius) contributes through its dipole (the area-weighted normal sum
// placed at the area-weighted centroid), a near one triangle by triangle,
// exactly. On the grid, blocks of voxels
// that no triangle comes near take the value at the block centre (w is
// constant there for a closed surface); only blocks the surface passes
// through are evaluated voxel by voxel.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "host/geometry/dense_grid.hpp"
#include "host/geometry/mesh_io.hpp"

namespace cyto {

using Point3 = std::array<double, 3>;
using Triangle3 = std::array<Point3, 3>;

class WindingNumberTree {
 public:
  // The triangles in world coordinates (metres); degenerate ones are kept
  // (they contribute nothing).
  explicit WindingNumberTree(std::vector<Triangle3> triangles);
  // A mesh's triangles, in its own coordinates.
  explicit WindingNumberTree(const TriangleMesh& mesh);

  // Fast (clustered) winding number at p: exact contributions from the
  // triangles near p, dipoles for far clusters. |error| up to ~0.05 where a
  // cluster is barely far enough (measured: tests/test_geometry_files.cpp);
  // the inside test only asks which side of 1/2 it is, and on a closed
  // surface w is 0 or 1. (A second-moment term, tried, did not reduce the
  // worst error at this opening distance, and opening wider costs ~d^2.)
  double winding_number(const Point3& p) const;
  // Brute force: the exact sum over every triangle. For tests.
  double exact_winding_number(const Point3& p) const;

  std::size_t triangle_count() const { return triangles_.size(); }
  template <class Fn>
  void for_each_triangle(Fn&& fn) const {
    for (const Triangle3& t : triangles_) fn(t);
  }
  const Point3& lo() const { return lo_; }
  const Point3& hi() const { return hi_; }

 private:
  struct Node {
    Point3 centre{};                    // area-weighted centroid of the node's triangles
    Point3 dipole{};                    // sum of area vectors (area x unit normal)
    double radius = 0;                  // max distance from centre to any of the node's vertices
    std::int32_t first = 0, count = 0;  // leaf: triangle range; inner: count = 0
    std::int32_t left = -1, right = -1;
  };
  std::int32_t build(std::int32_t first, std::int32_t count, std::vector<Point3>& centroids);

  std::vector<Triangle3> triangles_;
  std::vector<Node> nodes_;
  Point3 lo_{}, hi_{};
};

// Solid angle of the triangle seen from the origin of (a, b, c), signed:
// positive when the triangle's normal (b-a)x(c-a) points away from the
// origin (van Oosterom & Strackee 1983).
double solid_angle(const Point3& a, const Point3& b, const Point3& c);

// 1 where the voxel centre lies inside the surface (|w| > 1/2), else 0;
// dense over `grid`, x fastest. Voxels outside the surface's bounding box
// are outside without evaluation (there |w| <= 1/2 for any surface).
std::vector<std::uint8_t> voxelise_surface(const WindingNumberTree& tree, const DenseGrid& grid);

}  // namespace cyto
