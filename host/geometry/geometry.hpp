// Geometry: tissue labels on the voxel grid (the organ, painted from the
// scenario's shapes and its placed mesh and label-map files), and regions
// of it for sources and initial values.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "host/geometry/dense_grid.hpp"
#include "host/geometry/placed_geometry.hpp"
#include "host/geometry/shapes.hpp"
#include "host/scenario/scenario.hpp"

namespace cyto {

// Voxels along one axis beyond this are refused (x indices are 32-bit, and
// 2^20 voxels per axis is far beyond any organ at any useful resolution).
inline constexpr int kMaxVoxelsPerAxis = 1 << 20;

// The grid's voxel counts: whole voxels covering the extent (the spacing is
// kept exactly, so the grid may reach up to one voxel past the extent).
// InputError at grid for more than kMaxVoxelsPerAxis along an axis. Give it
// the resolved grid (PlacedGeometry::grid): a Scenario::grid sized from the
// geometry has no extent yet.
DenseGrid make_dense_grid(const GridSettings& grid);

inline Vec3 voxel_centre(const DenseGrid& g, int i, int j, int k) {
  return {g.origin[0] + (i + 0.5) * g.spacing[0], g.origin[1] + (j + 0.5) * g.spacing[1],
          g.origin[2] + (k + 0.5) * g.spacing[2]};
}

// Voxels per label value.
std::map<std::int32_t, std::int64_t> label_histogram(const std::vector<std::int32_t>& labels);

struct TissueMap {
  DenseGrid grid;
  std::vector<std::uint8_t> tissue;       // dense, x fastest: 0 outside, else tissue index + 1
  std::vector<std::int64_t> voxel_count;  // per tissue index
  std::int64_t tissue_voxels = 0;         // all tissue voxels
  std::vector<std::int64_t>
      item_voxels;  // per mesh item: voxels inside it (before later items); -1 otherwise
  std::int64_t index(int i, int j, int k) const {
    return i + std::int64_t(grid.nx) * (j + std::int64_t(grid.ny) * k);
  }
};

// Paints the geometry items in order of priority, then of appearance (later
// wins) at voxel centres of geometry.grid: shapes by their inside test,
// meshes by the generalised winding number (voxelise.hpp), volumes by
// nearest label. A tissue left with no voxel is an InputError at its
// declaration.
TissueMap rasterise_tissues(const Scenario& scenario, const PlacedGeometry& geometry);
// The same after load_geometry(scenario): for callers that need nothing
// else from the files.
TissueMap rasterise_tissues(const Scenario& scenario);

// 1 for tissue voxels inside `region` (its tissue and/or shape), else 0.
std::vector<std::uint8_t> region_mask(const TissueMap& map, const Region& region);

// Tissue label values per voxel (0 outside), for output files.
std::vector<std::uint8_t> label_values(const Scenario& scenario, const TissueMap& map);

}  // namespace cyto
