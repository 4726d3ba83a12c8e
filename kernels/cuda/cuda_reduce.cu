// The blow-up guard's scan of a field (range and non-finite count), a
// single CUB reduction. (Region sums are per-tile sums: cuda_halo.cu.)
#include <cuda_runtime.h>

#include <algorithm>

#include <thrust/iterator/counting_iterator.h>
#include <thrust/iterator/transform_iterator.h>
#include <cub/device/device_reduce.cuh>
#include <cuda/std/cmath>
#include <cuda/std/limits>

#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/cuda_kernels.hpp"

namespace cyto {
namespace {

// The field scan: min, max and count combine in any order to the same bits
// (no NaN reaches min/max, and zeros are all +0).
struct CombineMinMaxCount {
  __host__ __device__ MinMaxCount operator()(const MinMaxCount& a, const MinMaxCount& b) const {
    return {b.min < a.min ? b.min : a.min, b.max > a.max ? b.max : a.max, a.nonfinite + b.nonfinite};
  }
};

__host__ __device__ inline MinMaxCount empty_scan() {
  return {cuda::std::numeric_limits<double>::infinity(), -cuda::std::numeric_limits<double>::infinity(), 0};
}

// Element i of the padded layout: nothing outside the tissue and in the halo
// (material 0; the field is not read there), a count for NaN or infinity.
template <class Real>
struct ScanVoxel {
  const Real* field;
  const MaterialId* material;
  __host__ __device__ MinMaxCount operator()(std::int64_t i) const {
    MinMaxCount r = empty_scan();
    if (material[i] == 0) return r;
    const double x = double(field[i]);
    if (!cuda::std::isfinite(x)) {
      r.nonfinite = 1;
      return r;
    }
    const double v = x == 0 ? 0.0 : x;  // -0 as +0, as on the CPU
    r.min = v;
    r.max = v;
    return r;
  }
};

template <class Real>
cudaError_t scan_pass(const Real* field, const MaterialId* material, std::int64_t size, MinMaxCount* result,
                      void* scratch, std::size_t& scratch_bytes, cudaStream_t stream) {
  const auto voxels = thrust::make_transform_iterator(thrust::counting_iterator<std::int64_t>(0),
                                                      ScanVoxel<Real>{field, material});
  return cub::DeviceReduce::Reduce(scratch, scratch_bytes, voxels, result, size, CombineMinMaxCount{},
                                   empty_scan(), stream);
}

}  // namespace

std::size_t cuda_field_scan_scratch_bytes(std::int64_t size) {
  std::size_t bytes_float = 0, bytes_double = 0;
  CYTO_CUDA_CHECK(scan_pass<float>(nullptr, nullptr, size, nullptr, nullptr, bytes_float, nullptr));
  CYTO_CUDA_CHECK(scan_pass<double>(nullptr, nullptr, size, nullptr, nullptr, bytes_double, nullptr));
  return std::max<std::size_t>({bytes_float, bytes_double, 1});
}

template <class Real>
void cuda_field_scan(const Real* field, const MaterialId* material, std::int64_t size, MinMaxCount* result,
                     void* scratch, std::size_t scratch_bytes, void* stream) {
  // CUB takes a null scratch pointer as a size query and would do nothing.
  if (scratch == nullptr) throw DeviceError("internal: cuda_field_scan without scratch memory", false);
  std::size_t needed = 0;
  CYTO_CUDA_CHECK(scan_pass<Real>(field, material, size, result, nullptr, needed, nullptr));
  if (needed > scratch_bytes)
    throw DeviceError("internal: cuda_field_scan with too little scratch memory", false);
  CYTO_CUDA_CHECK(scan_pass<Real>(field, material, size, result, scratch, scratch_bytes,
                                  static_cast<cudaStream_t>(stream)));
  CYTO_CUDA_CHECK_LAUNCH("cub::DeviceReduce::Reduce (field scan)");
}

template void cuda_field_scan<float>(const float*, const MaterialId*, std::int64_t, MinMaxCount*, void*,
                                     std::size_t, void*);
template void cuda_field_scan<double>(const double*, const MaterialId*, std::int64_t, MinMaxCount*, void*,
                                      std::size_t, void*);

namespace {

struct CombineProbeLargest {
  __host__ __device__ ProbeLargest operator()(const ProbeLargest& a, const ProbeLargest& b) const {
    return combine_probe_largest(a, b);
  }
};

struct CombineProbeSums {
  __host__ __device__ ProbeSums operator()(const ProbeSums& a, const ProbeSums& b) const {
    return {a.difference + b.difference, a.size + b.size};
  }
};

// Element i of the padded layout: nothing outside the tissue (material 0).
template <class Real>
struct ProbeLargestVoxel {
  const Real* one;
  const Real* two;
  const MaterialId* material;
  __host__ __device__ ProbeLargest operator()(std::int64_t i) const {
    if (material[i] == 0) return {0.0, 0};
    return probe_largest_term(one[i], two[i]);
  }
};

template <class Real>
struct ProbeSumVoxel {
  const Real* one;
  const Real* two;
  const MaterialId* material;
  double to_fixed;
  __host__ __device__ ProbeSums operator()(std::int64_t i) const {
    if (material[i] == 0) return {0, 0};
    return probe_sum_terms(one[i], two[i], to_fixed);
  }
};

template <class Real>
cudaError_t probe_largest_pass(const Real* one, const Real* two, const MaterialId* material,
                               std::int64_t size, ProbeLargest* result, void* scratch,
                               std::size_t& scratch_bytes, cudaStream_t stream) {
  const auto voxels = thrust::make_transform_iterator(thrust::counting_iterator<std::int64_t>(0),
                                                      ProbeLargestVoxel<Real>{one, two, material});
  return cub::DeviceReduce::Reduce(scratch, scratch_bytes, voxels, result, size, CombineProbeLargest{},
                                   ProbeLargest{0.0, 0}, stream);
}

template <class Real>
cudaError_t probe_sums_pass(const Real* one, const Real* two, double to_fixed, const MaterialId* material,
                            std::int64_t size, ProbeSums* result, void* scratch, std::size_t& scratch_bytes,
                            cudaStream_t stream) {
  const auto voxels = thrust::make_transform_iterator(thrust::counting_iterator<std::int64_t>(0),
                                                      ProbeSumVoxel<Real>{one, two, material, to_fixed});
  return cub::DeviceReduce::Reduce(scratch, scratch_bytes, voxels, result, size, CombineProbeSums{},
                                   ProbeSums{0, 0}, stream);
}

void require_probe_scratch(void* scratch, std::size_t needed, std::size_t scratch_bytes) {
  if (scratch == nullptr || needed > scratch_bytes)
    throw DeviceError("internal: a step-error probe reduction without enough scratch memory", false);
}

}  // namespace

std::size_t cuda_probe_scratch_bytes(std::int64_t size) {
  std::size_t bytes[4] = {0, 0, 0, 0};
  CYTO_CUDA_CHECK(
      probe_largest_pass<float>(nullptr, nullptr, nullptr, size, nullptr, nullptr, bytes[0], nullptr));
  CYTO_CUDA_CHECK(
      probe_largest_pass<double>(nullptr, nullptr, nullptr, size, nullptr, nullptr, bytes[1], nullptr));
  CYTO_CUDA_CHECK(
      probe_sums_pass<float>(nullptr, nullptr, 0.0, nullptr, size, nullptr, nullptr, bytes[2], nullptr));
  CYTO_CUDA_CHECK(
      probe_sums_pass<double>(nullptr, nullptr, 0.0, nullptr, size, nullptr, nullptr, bytes[3], nullptr));
  return std::max<std::size_t>({bytes[0], bytes[1], bytes[2], bytes[3], 1});
}

template <class Real>
void cuda_probe_largest(const Real* one, const Real* two, const MaterialId* material, std::int64_t size,
                        ProbeLargest* result, void* scratch, std::size_t scratch_bytes, void* stream) {
  std::size_t needed = 0;
  CYTO_CUDA_CHECK(probe_largest_pass<Real>(one, two, material, size, result, nullptr, needed, nullptr));
  require_probe_scratch(scratch, needed, scratch_bytes);
  CYTO_CUDA_CHECK(probe_largest_pass<Real>(one, two, material, size, result, scratch, scratch_bytes,
                                           static_cast<cudaStream_t>(stream)));
  CYTO_CUDA_CHECK_LAUNCH("cub::DeviceReduce::Reduce (probe largest)");
}

template <class Real>
void cuda_probe_sums(const Real* one, const Real* two, double to_fixed, const MaterialId* material,
                     std::int64_t size, ProbeSums* result, void* scratch, std::size_t scratch_bytes,
                     void* stream) {
  std::size_t needed = 0;
  CYTO_CUDA_CHECK(
      probe_sums_pass<Real>(one, two, to_fixed, material, size, result, nullptr, needed, nullptr));
  require_probe_scratch(scratch, needed, scratch_bytes);
  CYTO_CUDA_CHECK(probe_sums_pass<Real>(one, two, to_fixed, material, size, result, scratch, scratch_bytes,
                                        static_cast<cudaStream_t>(stream)));
  CYTO_CUDA_CHECK_LAUNCH("cub::DeviceReduce::Reduce (probe sums)");
}

template void cuda_probe_largest<float>(const float*, const float*, const MaterialId*, std::int64_t,
                                        ProbeLargest*, void*, std::size_t, void*);
template void cuda_probe_largest<double>(const double*, const double*, const MaterialId*, std::int64_t,
                                         ProbeLargest*, void*, std::size_t, void*);
template void cuda_probe_sums<float>(const float*, const float*, double, const MaterialId*, std::int64_t,
                                     ProbeSums*, void*, std::size_t, void*);
template void cuda_probe_sums<double>(const double*, const double*, double, const MaterialId*, std::int64_t,
                                      ProbeSums*, void*, std::size_t, void*);

}  // namespace cyto
