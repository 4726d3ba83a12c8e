// One reduction tile's per-region sums and maxima: the body of the GPU's
// one-thread-per-tile kernel (kernels/cuda_halo.cu), here so that the host
// tests can run it too (tests/test_column_kernel.cpp) against
// cpu_region_tile_sums, whose bits it must reproduce.
#pragma once

#include <cstdint>
#include <limits>

#include "kernels/grid_layout.hpp"
#include "kernels/step_params.hpp"

namespace cyto {

// Tile t of edge `tile` (tx by ty tiles per plane, x fastest): for each
// region r, sum[r] is 0.0 plus the tile's voxels of region r one at a time
// in storage order (k, then j, then i), in double, and max[r] their maximum
// in the same order, a NaN sticking (v > max or v != v); -inf where the tile
// has none. That is cpu_region_tile_sums's order. The running sum and
// maximum of the region the walk is in stay in registers (tissue comes in
// runs) and move to and from sum/max when the region changes: the same
// additions in the same order, so the same bits. A material beyond the map
// (n_materials entries) or a region outside [0, n_regions) counts as none.
template <class Real>
CYTO_HD void region_tile_sum(const GridLayout& g, const MaterialId* material, const int* region_of_material,
                             int n_materials, int n_regions, const Real* field, int tile, int tx, int ty,
                             std::int64_t t, double* sum, double* max) {
  for (int r = 0; r < n_regions; ++r) {
    sum[r] = 0.0;
    max[r] = -std::numeric_limits<double>::infinity();
  }
  const int i0 = int(t % tx) * tile, j0 = int((t / tx) % ty) * tile,
            k0 = int(t / (std::int64_t(tx) * ty)) * tile;
  const int i1 = i0 + tile < g.nx ? i0 + tile : g.nx;
  const int j1 = j0 + tile < g.ny ? j0 + tile : g.ny;
  const int k1 = k0 + tile < g.nz ? k0 + tile : g.nz;
  int current = -1;  // the region whose running values are in s and m
  double s = 0.0, m = 0.0;
  for (int k = k0; k < k1; ++k)
    for (int j = j0; j < j1; ++j) {
      const std::int64_t base = g.index(0, j, k);
      for (int i = i0; i < i1; ++i) {
        const int id = material[base + i];
        const int region = id < n_materials ? region_of_material[id] : -1;
        if (region < 0 || region >= n_regions) continue;
        if (region != current) {
          if (current >= 0) {
            sum[current] = s;
            max[current] = m;
          }
          current = region;
          s = sum[region];
          m = max[region];
        }
        const double v = double(field[base + i]);
        s += v;
        if (v > m || v != v) m = v;  // a NaN sticks (std::max would drop it)
      }
    }
  if (current >= 0) {
    sum[current] = s;
    max[current] = m;
  }
}

}  // namespace cyto
