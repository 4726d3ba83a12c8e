#include "host/geometry/geometry.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

#include "host/geometry/label_to_tissue.hpp"
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

// Nearest-label resampling of a placed label map onto the grid: each voxel
// centre is mapped back to the file's index space and rounded. Only mapped
// labels paint; the rest of the volume leaves the grid as it was.
template <class Fn>
void for_each_voxel_in_volume(const DenseGrid& g, const LabelVolume& vol, const Bounds& mapped,
                              const LabelToTissue& tissue_of, Fn&& fn) {
  const std::array<double, 12>& m = vol.index_to_world;
  // Inverse of the 3x3 part (the placement keeps it invertible: scales > 0).
  const double a = m[0], b = m[1], c = m[2], d = m[4], e = m[5], f = m[6], gg = m[8], h = m[9], i = m[10];
  const double det = a * (e * i - f * h) - b * (d * i - f * gg) + c * (d * h - e * gg);
  const double inv[9] = {(e * i - f * h) / det,  (c * h - b * i) / det,  (b * f - c * e) / det,
                         (f * gg - d * i) / det, (a * i - c * gg) / det, (c * d - a * f) / det,
                         (d * h - e * gg) / det, (b * gg - a * h) / det, (a * e - b * d) / det};
  int lo[3], hi[3];
  const int n[3] = {g.nx, g.ny, g.nz};
  for (int ax = 0; ax < 3; ++ax) {
    lo[ax] = std::max(0, int(std::floor((mapped.lo[ax] - g.origin[ax]) / g.spacing[ax] - 0.5)));
    hi[ax] = std::min(n[ax] - 1, int(std::ceil((mapped.hi[ax] - g.origin[ax]) / g.spacing[ax] - 0.5)));
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
  return rasterise_tissues(scenario, load_geometry(scenario));
}

TissueMap rasterise_tissues(const Scenario& scenario, const PlacedGeometry& geometry) {
  TissueMap map;
  map.grid = make_dense_grid(geometry.grid);
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
      const WindingNumberTree tree(geometry.items[n].mesh->mesh);
      const std::vector<std::uint8_t> inside = voxelise_surface(tree, map.grid);
      for (std::size_t idx = 0; idx < inside.size(); ++idx)
        if (inside[idx] && may_paint(std::int64_t(idx))) {
          map.tissue[idx] = value;
          ++painted;
        }
      map.item_voxels[n] = painted;
    } else {
      const PlacedItem& placed = geometry.items[n];
      for_each_voxel_in_volume(map.grid, placed.volume->volume, placed.bounds,
                               LabelToTissue(item.volume.labels), [&](std::int64_t idx, int tissue) {
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
