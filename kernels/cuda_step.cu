#include <cuda_runtime.h>

#include "cuda_kernels.hpp"
#include "voxel_update_k.hpp"

namespace cyto {
namespace {

template <class Real>
__global__ void fused_step_kernel(StepArgs<Real> a) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  const int j = blockIdx.y;
  const int k = blockIdx.z;
  if (i >= a.layout.nx) return;
  const std::int64_t idx = a.layout.index(i, j, k);
  const MaterialId m = a.material[idx];
  if (m == 0) return;  // outside the organ: never written, stays zero
  for (int s = 0; s < a.n_species; ++s) a.out[s][idx] = general_voxel_update(a, s, idx, m);
}

}  // namespace

CudaDeviceInfo cuda_probe_device() {
  CudaDeviceInfo info;
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    info.reason = cudaGetErrorString(err);
    cudaGetLastError();  // clear the non-sticky error
    return info;
  }
  if (count == 0) {
    info.reason = "no CUDA device found";
    return info;
  }
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, 0) != cudaSuccess) {
    info.reason = cudaGetErrorString(cudaGetLastError());
    return info;
  }
  info.available = true;
  info.name = prop.name;
  info.sm_count = prop.multiProcessorCount;
  info.compute_major = prop.major;
  info.compute_minor = prop.minor;
  info.memory_gib = double(prop.totalGlobalMem) / (1024.0 * 1024.0 * 1024.0);
  return info;
}

template <class Real>
std::string cuda_fused_step(const StepArgs<Real>& a) {
  const dim3 block(128, 1, 1);
  const dim3 grid((a.layout.nx + block.x - 1) / block.x, a.layout.ny, a.layout.nz);
  fused_step_kernel<Real><<<grid, block>>>(a);
  const cudaError_t err = cudaGetLastError();
  return err == cudaSuccess ? std::string() : std::string(cudaGetErrorString(err));
}

template std::string cuda_fused_step<float>(const StepArgs<float>&);
template std::string cuda_fused_step<double>(const StepArgs<double>&);

}  // namespace cyto
