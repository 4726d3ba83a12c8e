#include "host/geometry/geometry.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

#include "host/geometry/shapes.hpp"
#include "host/geometry/voxelise.hpp"

namespace cyto {
namespace {

// Calls fn(index, i, j, k) for every voxel whose centre lies in `shape`,
// visiting only the voxels of the shape's bounding box.
template <class Fn>
void for_each_voxel_in(const DenseGrid& g, const Shape& shape, Fn&& fn) {
  const Bounds b = shape_bounds(shape);
  int lo[3], hi[3];
  const int n[3] = {g.nx, g.ny, g.nz};
  for (int a = 0; a < 3; ++a) {
    lo[a] = std::max(0, int(std::floor((b.lo[a] - g.origin[a]) / g.spacing[a] - 0.5)));
    hi[a] = std::min(n[a] - 1, int(std::ceil((b.hi[a] - g.origin[a]) / g.spacing[a] - 0.5)));
  }
#pragma omp parallel for schedule(static)
  for (int k = lo[2]; k <= hi[2]; ++k)
    for (int j = lo[1]; j <= hi[1]; ++j)
      for (int i = lo[0]; i <= hi[0]; ++i)
        if (shape_contains(shape, voxel_centre(g, i, j, k)))
          fn(i + std::int64_t(g.nx) * (j + std::int64_t(g.ny) * k));
}

// Tissue index of each mapped label (-1: unmapped): a table for label values
// below 2^16 (the usual), a binary search for the rare larger ones, so that
// a label of 2e9 costs no 2e9-entry table.
class LabelToTissue {
 public:
  explicit LabelToTissue(const std::vector<VolumeGeometry::LabelTissue>& labels) {
    for (const auto& lt : labels) {
      if (lt.label < kTable) {
        if (table_.size() <= std::size_t(lt.label)) table_.resize(std::size_t(lt.label) + 1, -1);
        table_[std::size_t(lt.label)] = lt.tissue;
      } else {
        large_.emplace_back(lt.label, lt.tissue);
      }
    }
    std::sort(large_.begin(), large_.end());
  }
  int operator()(std::int32_t label) const {
    if (label <= 0) return -1;
    if (label < kTable) return std::size_t(label) < table_.size() ? table_[std::size_t(label)] : -1;
    const auto it = std::lower_bound(large_.begin(), large_.end(), std::make_pair(label, INT32_MIN));
    return it != large_.end() && it->first == label ? it->second : -1;
  }

 private:
  static constexpr std::int32_t kTable = 1 << 16;
  std::vector<int> table_;
  std::vector<std::pair<std::int32_t, int>> large_;
};

// Nearest-label resampling of a placed label map onto the grid: each voxel
// centre is mapped back to the file's index space and rounded. Only mapped
// labels paint; the rest of the volume leaves the grid as it was.
template <class Fn>
void for_each_voxel_in_volume(const DenseGrid& g, const VolumeGeometry& v, Fn&& fn) {
  const LabelVolume& vol = v.volume;
  const std::array<double, 12>& m = vol.index_to_world;
  // Inverse of the 3x3 part (the placement keeps it invertible: scales > 0).
  const double a = m[0], b = m[1], c = m[2], d = m[4], e = m[5], f = m[6], gg = m[8], h = m[9], i = m[10];
  const double det = a * (e * i - f * h) - b * (d * i - f * gg) + c * (d * h - e * gg);
  const double inv[9] = {(e * i - f * h) / det,  (c * h - b * i) / det,  (b * f - c * e) / det,
                         (f * gg - d * i) / det, (a * i - c * gg) / det, (c * d - a * f) / det,
                         (d * h - e * gg) / det, (b * gg - a * h) / det, (a * e - b * d) / det};
  const LabelToTissue tissue_of(v.labels);
  int lo[3], hi[3];
  const int n[3] = {g.nx, g.ny, g.nz};
  for (int ax = 0; ax < 3; ++ax) {
    lo[ax] = std::max(0, int(std::floor((v.lo[ax] - g.origin[ax]) / g.spacing[ax] - 0.5)));
    hi[ax] = std::min(n[ax] - 1, int(std::ceil((v.hi[ax] - g.origin[ax]) / g.spacing[ax] - 0.5)));
  }
#pragma omp parallel for schedule(static)
  for (int k = lo[2]; k <= hi[2]; ++k)
    for (int j = lo[1]; j <= hi[1]; ++j)
      for (int i0 = lo[0]; i0 <= hi[0]; ++i0) {
        const Vec3 x = voxel_centre(g, i0, j, k);
        const double r[3] = {x[0] - m[3], x[1] - m[7], x[2] - m[11]};
        std::int64_t idx[3];
        bool in = true;
        for (int ax = 0; ax < 3 && in; ++ax) {
          const double u = inv[3 * ax] * r[0] + inv[3 * ax + 1] * r[1] + inv[3 * ax + 2] * r[2];
          idx[ax] = std::int64_t(std::floor(u + 0.5));
          in = idx[ax] >= 0 && idx[ax] < vol.dims[ax];
        }
        if (!in) continue;
        const int tissue = tissue_of(
            vol.labels[std::size_t(idx[0] + vol.dims[0] * (idx[1] + std::int64_t(vol.dims[1]) * idx[2]))]);
        if (tissue >= 0) fn(i0 + std::int64_t(g.nx) * (j + std::int64_t(g.ny) * k), tissue);
      }
}

}  // namespace

std::array<double, 12> Placement::affine() const {
  const double cx = std::cos(rotation[0]), sx = std::sin(rotation[0]);
  const double cy = std::cos(rotation[1]), sy = std::sin(rotation[1]);
  const double cz = std::cos(rotation[2]), sz = std::sin(rotation[2]);
  // R = Rz * Ry * Rx: about x first, then y, then z (fixed axes).
  const double r[3][3] = {{cz * cy, cz * sy * sx - sz * cx, cz * sy * cx + sz * sx},
                          {sz * cy, sz * sy * sx + cz * cx, sz * sy * cx - cz * sx},
                          {-sy, cy * sx, cy * cx}};
  std::array<double, 12> a{};
  for (int row = 0; row < 3; ++row) {
    for (int col = 0; col < 3; ++col) a[4 * row + col] = r[row][col] * scale[col] * unit;
    a[4 * row + 3] = translation[row];
  }
  return a;
}

std::map<std::int32_t, std::int64_t> label_histogram(const std::vector<std::int32_t>& labels) {
  // Dense counting for the usual small label values, a map for the rest.
  constexpr std::int32_t kDense = 1 << 16;
  std::vector<std::int64_t> dense(kDense, 0);
  std::map<std::int32_t, std::int64_t> histogram;
  for (const std::int32_t v : labels) {
    if (v >= 0 && v < kDense)
      ++dense[std::size_t(v)];
    else
      ++histogram[v];
  }
  for (std::int32_t v = 0; v < kDense; ++v)
    if (dense[std::size_t(v)]) histogram[v] = dense[std::size_t(v)];
  return histogram;
}

Bounds geometry_item_bounds(const GeometryItem& item) {
  if (item.kind == GeometryKind::Shape) return shape_bounds(item.shape);
  if (item.kind == GeometryKind::Surface) {
    const MeshBounds b = mesh_bounds(item.surface->mesh);
    return {b.lo, b.hi};
  }
  return {item.volume->lo, item.volume->hi};
}

Bounds volume_bounds(const VolumeGeometry& v) {
  // The index box of the mapped labels, widened by half a voxel, through the affine.
  Bounds b;
  const LabelVolume& vol = v.volume;
  const LabelToTissue tissue_of(v.labels);
  std::int64_t lo[3] = {vol.dims[0], vol.dims[1], vol.dims[2]}, hi[3] = {-1, -1, -1};
  std::size_t idx = 0;
  for (std::int64_t k = 0; k < vol.dims[2]; ++k)
    for (std::int64_t j = 0; j < vol.dims[1]; ++j)
      for (std::int64_t i = 0; i < vol.dims[0]; ++i, ++idx) {
        if (tissue_of(vol.labels[idx]) < 0) continue;
        const std::int64_t ijk[3] = {i, j, k};
        for (int a = 0; a < 3; ++a) {
          lo[a] = std::min(lo[a], ijk[a]);
          hi[a] = std::max(hi[a], ijk[a]);
        }
      }
  if (hi[0] < 0) return b;
  const std::array<double, 12>& m = vol.index_to_world;
  bool first = true;
  for (int corner = 0; corner < 8; ++corner) {
    const double u[3] = {corner & 1 ? hi[0] + 0.5 : lo[0] - 0.5, corner & 2 ? hi[1] + 0.5 : lo[1] - 0.5,
                         corner & 4 ? hi[2] + 0.5 : lo[2] - 0.5};
    for (int a = 0; a < 3; ++a) {
      const double x = m[4 * a] * u[0] + m[4 * a + 1] * u[1] + m[4 * a + 2] * u[2] + m[4 * a + 3];
      b.lo[a] = first ? x : std::min(b.lo[a], x);
      b.hi[a] = first ? x : std::max(b.hi[a], x);
    }
    first = false;
  }
  return b;
}

DenseGrid make_dense_grid(const GridSettings& grid) {
  DenseGrid g;
  g.origin = grid.origin;
  g.spacing = grid.spacing;
  int* n[3] = {&g.nx, &g.ny, &g.nz};
  for (int a = 0; a < 3; ++a) {
    // Whole voxels covering the extent (a last partial voxel is kept, so every
    // shape validated against the extent lies on the grid); the tiny allowance
    // keeps an exact multiple from gaining a voxel through round-off.
    const double voxels = std::ceil(grid.extent[a] / grid.spacing[a] * (1 - 1e-9));
    if (!(voxels <= kMaxVoxelsPerAxis))
      throw InputError(grid.where, fmt::format("expected at most {} voxels along {}, found {:.4g} "
                                               "(extent {:.6g} um / voxel {:.6g} um)",
                                               kMaxVoxelsPerAxis, "xyz"[a], voxels, grid.extent[a] * 1e6,
                                               grid.spacing[a] * 1e6));
    *n[a] = std::max(1, int(voxels));
  }
  return g;
}

TissueMap rasterise_tissues(const Scenario& scenario) {
  TissueMap map;
  map.grid = make_dense_grid(scenario.grid);
  map.tissue.assign(std::size_t(map.grid.voxels()), 0);
  map.item_voxels.assign(scenario.geometry.size(), -1);
  std::vector<std::size_t> order(scenario.geometry.size());
  std::iota(order.begin(), order.end(), std::size_t(0));
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return scenario.geometry[a].priority < scenario.geometry[b].priority;
  });
  for (const std::size_t n : order) {
    const GeometryItem& item = scenario.geometry[n];
    const int within = item.within ? *item.within + 1 : -1;
    const auto may_paint = [&](std::int64_t idx) { return within < 0 || map.tissue[idx] == within; };
    if (item.kind == GeometryKind::Shape) {
      const auto value = std::uint8_t(item.tissue + 1);
      for_each_voxel_in(map.grid, item.shape, [&](std::int64_t idx) {
        if (may_paint(idx)) map.tissue[idx] = value;
      });
    } else if (item.kind == GeometryKind::Surface) {
      const auto value = std::uint8_t(item.tissue + 1);
      std::int64_t painted = 0;
      const WindingNumberTree tree(item.surface->mesh);
      const std::vector<std::uint8_t> inside = voxelise_surface(tree, map.grid);
      for (std::size_t idx = 0; idx < inside.size(); ++idx)
        if (inside[idx] && may_paint(std::int64_t(idx))) {
          map.tissue[idx] = value;
          ++painted;
        }
      map.item_voxels[n] = painted;
    } else {
      for_each_voxel_in_volume(map.grid, *item.volume, [&](std::int64_t idx, int tissue) {
        if (may_paint(idx)) map.tissue[idx] = std::uint8_t(tissue + 1);
      });
    }
  }
  map.voxel_count.assign(scenario.tissues.size(), 0);
  for (std::uint8_t t : map.tissue)
    if (t) ++map.voxel_count[t - 1];
  for (std::size_t t = 0; t < scenario.tissues.size(); ++t) {
    if (map.voxel_count[t] == 0) {
      const Tissue& tissue = scenario.tissues[t];
      throw InputError(
          tissue.where,
          fmt::format("tissue \"{}\" has no voxels: no geometry item paints it, or its shapes are "
                      "smaller than a voxel ({} x {} x {} um) or covered by later items",
                      tissue.name, scenario.grid.spacing[0] * 1e6, scenario.grid.spacing[1] * 1e6,
                      scenario.grid.spacing[2] * 1e6));
    }
    map.tissue_voxels += map.voxel_count[t];
  }
  return map;
}

std::vector<std::uint8_t> region_mask(const TissueMap& map, const Region& region) {
  std::vector<std::uint8_t> mask(map.tissue.size(), 0);
  const auto in_tissue = [&](std::int64_t idx) {
    const std::uint8_t t = map.tissue[idx];
    return t != 0 && (!region.tissue || t == *region.tissue + 1);
  };
  if (region.shape) {
    for_each_voxel_in(map.grid, *region.shape, [&](std::int64_t idx) { mask[idx] = in_tissue(idx); });
  } else {
    for (std::size_t idx = 0; idx < mask.size(); ++idx) mask[idx] = in_tissue(std::int64_t(idx));
  }
  return mask;
}

std::vector<std::uint8_t> label_values(const Scenario& scenario, const TissueMap& map) {
  std::vector<std::uint8_t> labels(map.tissue.size(), 0);
  for (std::size_t idx = 0; idx < labels.size(); ++idx)
    if (map.tissue[idx]) labels[idx] = std::uint8_t(scenario.tissues[map.tissue[idx] - 1].label);
  return labels;
}

}  // namespace cyto
