#include "geometry.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "shapes.hpp"

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

}  // namespace

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
  for (const GeometryItem& item : scenario.geometry) {
    const auto value = std::uint8_t(item.tissue + 1);
    for_each_voxel_in(map.grid, item.shape, [&](std::int64_t idx) { map.tissue[idx] = value; });
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
