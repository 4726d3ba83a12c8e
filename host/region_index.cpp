#include "region_index.hpp"

#include <fmt/format.h>

#include <limits>

#include "error.hpp"

namespace cyto {

RegionIndex build_region_index(const GridLayout& g, const std::vector<MaterialId>& material,
                               const std::vector<int>& region_of_material, int n_regions,
                               std::int64_t chunk_voxels) {
  if (g.size > std::int64_t(std::numeric_limits<std::uint32_t>::max()))
    throw RuntimeFailure(fmt::format(
        "the grid has {} padded voxels per field; the GPU backend's reductions index at most 2^32 "
        "(use a coarser grid or the CPU backend)",
        g.size));
  // Counting sort by region keeps storage order within each region.
  std::vector<std::int64_t> count(std::size_t(n_regions) + 1, 0);
  for (std::int64_t idx = 0; idx < g.size; ++idx) {
    const int r = region_of_material[material[idx]];
    if (r >= 0) ++count[std::size_t(r) + 1];
  }
  for (int r = 0; r < n_regions; ++r) count[std::size_t(r) + 1] += count[std::size_t(r)];
  RegionIndex index;
  index.voxels.resize(std::size_t(count[std::size_t(n_regions)]));
  std::vector<std::int64_t> next(count.begin(), count.end() - 1);
  for (std::int64_t idx = 0; idx < g.size; ++idx) {
    const int r = region_of_material[material[idx]];
    if (r >= 0) index.voxels[std::size_t(next[std::size_t(r)]++)] = std::uint32_t(idx);
  }
  index.chunk_offsets.push_back(0);
  index.region_chunk_offsets.push_back(0);
  for (int r = 0; r < n_regions; ++r) {
    for (std::int64_t begin = count[std::size_t(r)]; begin < count[std::size_t(r) + 1]; begin += chunk_voxels)
      index.chunk_offsets.push_back(std::min(begin + chunk_voxels, count[std::size_t(r) + 1]));
    index.region_chunk_offsets.push_back(std::int64_t(index.chunk_offsets.size()) - 1);
  }
  return index;
}

}  // namespace cyto
