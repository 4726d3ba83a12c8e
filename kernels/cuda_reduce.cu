// Per-region sums and maxima with CUB segmented reductions: deterministic
// (each segment is reduced by one thread block in a fixed tree order), so
// time series are bitwise reproducible run to run.
#include <cuda_runtime.h>

#include <algorithm>

#include <thrust/iterator/transform_iterator.h>
#include <cub/device/device_segmented_reduce.cuh>
#include <cuda/std/limits>

#include "cuda_check.hpp"
#include "cuda_kernels.hpp"

namespace cyto {
namespace {

struct CombineSumMax {
  __host__ __device__ SumMax operator()(const SumMax& a, const SumMax& b) const {
    // NaN-sticky maximum: a blow-up must show in the time series, never vanish.
    const double m = (a.max != a.max) ? a.max : ((b.max > a.max || b.max != b.max) ? b.max : a.max);
    return {a.sum + b.sum, m};
  }
};

template <class Real>
struct GatherVoxel {
  const Real* field;
  __host__ __device__ SumMax operator()(std::uint32_t offset) const {
    const double v = double(field[offset]);
    return {v, v};
  }
};

SumMax empty_region() { return {0.0, -cuda::std::numeric_limits<double>::infinity()}; }

// The two passes share one scratch buffer; it is sized for the larger.
template <class Real>
void reduce_passes(const DeviceRegionIndex& index, const Real* field, SumMax* chunk_partials,
                   SumMax* region_results, void* scratch, std::size_t& scratch_bytes, cudaStream_t stream) {
  const auto voxels = thrust::make_transform_iterator(index.voxels, GatherVoxel<Real>{field});
  std::size_t bytes_chunks = scratch_bytes, bytes_regions = scratch_bytes;
  CYTO_CUDA_CHECK(cub::DeviceSegmentedReduce::Reduce(
      scratch, bytes_chunks, voxels, chunk_partials, index.n_chunks, index.chunk_offsets,
      index.chunk_offsets + 1, CombineSumMax{}, empty_region(), stream));
  if (scratch != nullptr) CYTO_CUDA_CHECK_LAUNCH("cub::DeviceSegmentedReduce (voxel chunks)");
  CYTO_CUDA_CHECK(cub::DeviceSegmentedReduce::Reduce(
      scratch, bytes_regions, chunk_partials, region_results, index.n_regions, index.region_chunk_offsets,
      index.region_chunk_offsets + 1, CombineSumMax{}, empty_region(), stream));
  if (scratch != nullptr) CYTO_CUDA_CHECK_LAUNCH("cub::DeviceSegmentedReduce (regions)");
  if (scratch == nullptr) scratch_bytes = std::max(bytes_chunks, bytes_regions);
}

}  // namespace

std::size_t cuda_region_sum_max_scratch_bytes(const DeviceRegionIndex& index) {
  std::size_t bytes = 0;
  reduce_passes<float>(index, nullptr, nullptr, nullptr, nullptr, bytes, nullptr);
  std::size_t bytes_double = 0;
  reduce_passes<double>(index, nullptr, nullptr, nullptr, nullptr, bytes_double, nullptr);
  return std::max<std::size_t>({bytes, bytes_double, 1});
}

template <class Real>
void cuda_region_sum_max(const DeviceRegionIndex& index, const Real* field, SumMax* chunk_partials,
                         SumMax* region_results, void* scratch, std::size_t scratch_bytes, void* stream) {
  // CUB takes a null scratch pointer as a size query and would do nothing.
  if (scratch == nullptr) throw DeviceError("internal: cuda_region_sum_max without scratch memory", false);
  reduce_passes<Real>(index, field, chunk_partials, region_results, scratch, scratch_bytes,
                      static_cast<cudaStream_t>(stream));
}

template void cuda_region_sum_max<float>(const DeviceRegionIndex&, const float*, SumMax*, SumMax*, void*,
                                         std::size_t, void*);
template void cuda_region_sum_max<double>(const DeviceRegionIndex&, const double*, SumMax*, SumMax*, void*,
                                          std::size_t, void*);

}  // namespace cyto
