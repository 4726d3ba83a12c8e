#include "host/geometry/voxelise.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace cyto {
namespace {

// A cluster is far when its centre is more than this many radii away: the
// dipole term's relative error is then about (1/kOpening)^2 of the cluster's
// own (small) contribution. Barill et al. use 2.
constexpr double kOpening = 2.0;
constexpr int kLeafTriangles = 8;
constexpr double kInvFourPi = 0.25 / M_PI;
// Voxels per block edge in voxelise_surface: 4^3 blocks keep the voxel-by-
// voxel work to a thin shell around the surface.
constexpr int kBlock = 4;

Point3 sub(const Point3& a, const Point3& b) { return {a[0] - b[0], a[1] - b[1], a[2] - b[2]}; }
double dot(const Point3& a, const Point3& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
Point3 cross(const Point3& a, const Point3& b) {
  return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}
double norm(const Point3& a) { return std::sqrt(dot(a, a)); }

}  // namespace

double solid_angle(const Point3& a, const Point3& b, const Point3& c) {
  const double la = norm(a), lb = norm(b), lc = norm(c);
  const double numerator = dot(a, cross(b, c));
  const double denominator = la * lb * lc + dot(a, b) * lc + dot(b, c) * la + dot(c, a) * lb;
  return 2 * std::atan2(numerator, denominator);
}

namespace {

std::vector<Triangle3> triangles_of(const TriangleMesh& mesh) {
  std::vector<Triangle3> triangles(mesh.triangles.size());
  for (std::size_t t = 0; t < triangles.size(); ++t)
    for (int v = 0; v < 3; ++v) triangles[t][v] = mesh.vertices[std::size_t(mesh.triangles[t][v])];
  return triangles;
}

}  // namespace

WindingNumberTree::WindingNumberTree(const TriangleMesh& mesh) : WindingNumberTree(triangles_of(mesh)) {}

WindingNumberTree::WindingNumberTree(std::vector<Triangle3> triangles) : triangles_(std::move(triangles)) {
  if (triangles_.empty()) return;
  lo_ = hi_ = triangles_[0][0];
  std::vector<Point3> centroids(triangles_.size());
  for (std::size_t t = 0; t < triangles_.size(); ++t) {
    for (const Point3& v : triangles_[t])
      for (int a = 0; a < 3; ++a) {
        lo_[a] = std::min(lo_[a], v[a]);
        hi_[a] = std::max(hi_[a], v[a]);
      }
    for (int a = 0; a < 3; ++a)
      centroids[t][a] = (triangles_[t][0][a] + triangles_[t][1][a] + triangles_[t][2][a]) / 3;
  }
  nodes_.reserve(2 * triangles_.size() / kLeafTriangles + 2);
  build(0, std::int32_t(triangles_.size()), centroids);
}

// Median split along the longest axis of the centroids' box; triangles_ and
// centroids are permuted together so that every node owns a contiguous range.
std::int32_t WindingNumberTree::build(std::int32_t first, std::int32_t count,
                                      std::vector<Point3>& centroids) {
  const auto id = std::int32_t(nodes_.size());
  nodes_.emplace_back();
  {
    Node node;
    node.first = first;
    double area_sum = 0;
    Point3 weighted{0, 0, 0}, mean{0, 0, 0};
    for (std::int32_t t = first; t < first + count; ++t) {
      const Triangle3& tri = triangles_[t];
      const Point3 area_vector = cross(sub(tri[1], tri[0]), sub(tri[2], tri[0]));
      const double area = 0.5 * norm(area_vector);
      for (int a = 0; a < 3; ++a) {
        node.dipole[a] += 0.5 * area_vector[a];
        weighted[a] += area * centroids[t][a];
        mean[a] += centroids[t][a] / count;
      }
      area_sum += area;
    }
    for (int a = 0; a < 3; ++a) node.centre[a] = area_sum > 0 ? weighted[a] / area_sum : mean[a];
    for (std::int32_t t = first; t < first + count; ++t)
      for (const Point3& v : triangles_[t]) node.radius = std::max(node.radius, norm(sub(v, node.centre)));
    nodes_[id] = node;
  }
  if (count <= kLeafTriangles) {
    nodes_[id].count = count;
    return id;
  }
  Point3 lo = centroids[first], hi = centroids[first];
  for (std::int32_t t = first; t < first + count; ++t)
    for (int a = 0; a < 3; ++a) {
      lo[a] = std::min(lo[a], centroids[t][a]);
      hi[a] = std::max(hi[a], centroids[t][a]);
    }
  int axis = 0;
  for (int a = 1; a < 3; ++a)
    if (hi[a] - lo[a] > hi[axis] - lo[axis]) axis = a;
  std::vector<std::int32_t> order(count);
  std::iota(order.begin(), order.end(), first);
  const std::int32_t half = count / 2;
  std::nth_element(order.begin(), order.begin() + half, order.end(), [&](std::int32_t x, std::int32_t y) {
    return centroids[x][axis] < centroids[y][axis] || (centroids[x][axis] == centroids[y][axis] && x < y);
  });
  std::vector<Triangle3> tris(count);
  std::vector<Point3> cents(count);
  for (std::int32_t n = 0; n < count; ++n) {
    tris[n] = triangles_[order[n]];
    cents[n] = centroids[order[n]];
  }
  std::copy(tris.begin(), tris.end(), triangles_.begin() + first);
  std::copy(cents.begin(), cents.end(), centroids.begin() + first);
  const std::int32_t left = build(first, half, centroids);
  const std::int32_t right = build(first + half, count - half, centroids);
  nodes_[id].left = left;
  nodes_[id].right = right;
  return id;
}

double WindingNumberTree::winding_number(const Point3& p) const {
  if (nodes_.empty()) return 0;
  double omega = 0;
  // Median splits keep the depth near log2(n / kLeafTriangles): 64 levels
  // hold any mesh that fits in memory.
  std::int32_t stack[128];
  int top = 0;
  stack[top++] = 0;
  while (top > 0) {
    const Node& node = nodes_[stack[--top]];
    const Point3 r = sub(node.centre, p);
    const double distance = norm(r);
    if (distance > kOpening * node.radius) {
      // Solid angle of a surface element, n.(x - p)/|x - p|^3 dA, summed as
      // if the cluster's whole area vector sat at its centre.
      omega += dot(node.dipole, r) / (distance * distance * distance);
    } else if (node.count > 0) {
      for (std::int32_t t = node.first; t < node.first + node.count; ++t) {
        const Triangle3& tri = triangles_[t];
        omega += solid_angle(sub(tri[0], p), sub(tri[1], p), sub(tri[2], p));
      }
    } else {
      stack[top++] = node.left;
      stack[top++] = node.right;
    }
  }
  return omega * kInvFourPi;
}

double WindingNumberTree::exact_winding_number(const Point3& p) const {
  double omega = 0;
  for (const Triangle3& tri : triangles_)
    omega += solid_angle(sub(tri[0], p), sub(tri[1], p), sub(tri[2], p));
  return omega * kInvFourPi;
}

std::vector<std::uint8_t> voxelise_surface(const WindingNumberTree& tree, const DenseGrid& grid) {
  std::vector<std::uint8_t> inside(std::size_t(grid.voxels()), 0);
  if (tree.triangle_count() == 0) return inside;
  // Voxel-centre index range covering the surface's bounding box; voxel i's
  // centre sits at u = i in u = (x - origin) / h - 1/2.
  const int n[3] = {grid.nx, grid.ny, grid.nz};
  int first[3], last[3];
  for (int a = 0; a < 3; ++a) {
    const double lo = (tree.lo()[a] - grid.origin[a]) / grid.spacing[a] - 0.5;
    const double hi = (tree.hi()[a] - grid.origin[a]) / grid.spacing[a] - 0.5;
    first[a] = int(std::max(0.0, std::ceil(lo)));
    last[a] = int(std::min(double(n[a] - 1), std::floor(hi)));
    if (first[a] > last[a]) return inside;
  }
  int blocks[3];
  for (int a = 0; a < 3; ++a) blocks[a] = (last[a] - first[a]) / kBlock + 1;
  const std::int64_t block_count = std::int64_t(blocks[0]) * blocks[1] * blocks[2];

  // Blocks the surface may pass through: the box spanned by a block's voxel
  // centres (plus a quarter voxel against round-off) meets a triangle's
  // bounding box, and the triangle's plane cuts that box.
  std::vector<std::uint8_t> crossed(std::size_t(block_count), 0);
  const auto block_of = [&](int a, double u) { return (u - first[a]) / kBlock; };
  tree.for_each_triangle([&](const Triangle3& tri) {
    int b_lo[3], b_hi[3];
    for (int a = 0; a < 3; ++a) {
      double lo = tri[0][a], hi = tri[0][a];
      for (int v = 1; v < 3; ++v) {
        lo = std::min(lo, tri[v][a]);
        hi = std::max(hi, tri[v][a]);
      }
      const double u_lo = (lo - grid.origin[a]) / grid.spacing[a] - 0.5 - 0.25;
      const double u_hi = (hi - grid.origin[a]) / grid.spacing[a] - 0.5 + 0.25;
      // A block b spans u in [first + b*kBlock, first + b*kBlock + kBlock - 1].
      b_lo[a] = std::max(0, int(std::ceil(block_of(a, u_lo - (kBlock - 1)))));
      b_hi[a] = std::min(blocks[a] - 1, int(std::floor(block_of(a, u_hi))));
      if (b_lo[a] > b_hi[a]) return;
    }
    const Point3 normal = cross(sub(tri[1], tri[0]), sub(tri[2], tri[0]));
    const double normal_length = norm(normal);
    for (int bz = b_lo[2]; bz <= b_hi[2]; ++bz)
      for (int by = b_lo[1]; by <= b_hi[1]; ++by)
        for (int bx = b_lo[0]; bx <= b_hi[0]; ++bx) {
          const int b[3] = {bx, by, bz};
          if (normal_length > 0) {
            double plane_distance = 0, reach = 0;
            for (int a = 0; a < 3; ++a) {
              const double centre_u = first[a] + b[a] * kBlock + 0.5 * (kBlock - 1);
              const double centre = grid.origin[a] + (centre_u + 0.5) * grid.spacing[a];
              plane_distance += normal[a] * (centre - tri[0][a]);
              reach += std::abs(normal[a]) * (0.5 * (kBlock - 1) + 0.25) * grid.spacing[a];
            }
            if (std::abs(plane_distance) > reach) continue;
          }
          crossed[std::size_t(bx + std::int64_t(blocks[0]) * (by + std::int64_t(blocks[1]) * bz))] = 1;
        }
  });

#pragma omp parallel for schedule(dynamic, 16)
  for (std::int64_t block = 0; block < block_count; ++block) {
    const int b[3] = {int(block % blocks[0]), int(block / blocks[0] % blocks[1]),
                      int(block / (std::int64_t(blocks[0]) * blocks[1]))};
    int lo[3], hi[3];
    for (int a = 0; a < 3; ++a) {
      lo[a] = first[a] + b[a] * kBlock;
      hi[a] = std::min(last[a], lo[a] + kBlock - 1);
    }
    const auto index = [&](int i, int j, int k) {
      return std::size_t(i + std::int64_t(grid.nx) * (j + std::int64_t(grid.ny) * k));
    };
    if (!crossed[std::size_t(block)]) {
      Point3 centre;
      for (int a = 0; a < 3; ++a)
        centre[a] = grid.origin[a] + (0.5 * (lo[a] + hi[a]) + 0.5) * grid.spacing[a];
      const std::uint8_t value = std::abs(tree.winding_number(centre)) > 0.5;
      if (value)
        for (int k = lo[2]; k <= hi[2]; ++k)
          for (int j = lo[1]; j <= hi[1]; ++j)
            for (int i = lo[0]; i <= hi[0]; ++i) inside[index(i, j, k)] = 1;
      continue;
    }
    for (int k = lo[2]; k <= hi[2]; ++k)
      for (int j = lo[1]; j <= hi[1]; ++j)
        for (int i = lo[0]; i <= hi[0]; ++i) {
          const Point3 p = {grid.origin[0] + (i + 0.5) * grid.spacing[0],
                            grid.origin[1] + (j + 0.5) * grid.spacing[1],
                            grid.origin[2] + (k + 0.5) * grid.spacing[2]};
          inside[index(i, j, k)] = std::abs(tree.winding_number(p)) > 0.5;
        }
  }
  return inside;
}

}  // namespace cyto
