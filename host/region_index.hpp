// Tissue voxels grouped by region, split into fixed chunks: what the GPU's
// deterministic per-region reductions walk (kernels/cuda_reduce.cu). Built
// on the host, where it is tested; uploaded once per region map.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/grid_layout.hpp"
#include "kernels/step_params.hpp"

namespace cyto {

struct RegionIndex {
  std::vector<std::uint32_t> voxels;               // storage offsets; region by region, in storage order
  std::vector<std::int64_t> chunk_offsets;         // chunk c is voxels[chunk_offsets[c] .. [c + 1])
  std::vector<std::int64_t> region_chunk_offsets;  // region r is chunks [region_chunk_offsets[r] .. [r + 1])
  int n_chunks() const { return int(chunk_offsets.size()) - 1; }
  int n_regions() const { return int(region_chunk_offsets.size()) - 1; }
};

// region_of_material[m] is the region of material m, -1 for none (as for
// Backend::region_sum_max). Chunks hold at most chunk_voxels voxels and never
// span two regions. Storage offsets must fit 32 bits (RuntimeFailure otherwise).
RegionIndex build_region_index(const GridLayout& layout, const std::vector<MaterialId>& material,
                               const std::vector<int>& region_of_material, int n_regions,
                               std::int64_t chunk_voxels);

}  // namespace cyto
