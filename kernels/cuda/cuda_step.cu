// The fused step kernel (one thread per column of voxels, marching in z; the
// body is kernels/column_march_k.hpp), its launch plan, the copy kernel the
// benchmark compares with, the device probe and selection, and CUDA error
// reporting.
#include <cuda_runtime.h>

#include <algorithm>
#include <string>

#include "kernels/column_march_k.hpp"
#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/cuda_kernels.hpp"

namespace cyto {

void throw_cuda_error(cudaError_t code, const char* call, const char* file, int line) {
  std::string where = file;
  for (const char* dir : {"/kernels/", "/host/", "/tests/", "/benchmarks/"}) {
    const std::size_t at = where.rfind(dir);
    if (at != std::string::npos) {
      where = where.substr(at + 1);
      break;
    }
  }
  const bool out_of_memory = code == cudaErrorMemoryAllocation;
  cudaGetLastError();  // clear it, so a later launch check does not report it again
  throw DeviceError(std::string("CUDA error: ") + call + " failed at " + where + ":" + std::to_string(line) +
                        ": " + cudaGetErrorString(code) + " (" + cudaGetErrorName(code) + ")",
                    out_of_memory);
}

namespace {

constexpr int kMaxThreadsPerBlock = 256;
// Registers decide occupancy here: uncapped, ptxas gives the kernels
// 80-254 registers per thread (CUDA 13.0, sm_90; 152 for 4 float fields,
// 233 for 8), i.e. 8-12 warps per SM. Asking for 2 blocks of 256 threads
// per SM caps them at 128 (16 warps per SM) with no spills up to 7 float
// or 5 double fields and 8-136 bytes beyond. Which wins is for the GPU
// to say: scripts/gpu-bundle.sh also builds the uncapped variant (-D...=1).
#ifndef CYTOSTORM_GPU_MIN_BLOCKS_PER_SM
#define CYTOSTORM_GPU_MIN_BLOCKS_PER_SM 2
#endif
// 128 threads: registers are granted per block, so smaller blocks pack an
// SM more fully when a block's share does not divide its register file.
constexpr int kDefaultThreadsPerBlock = 128;

// The kernel parameters stay in the constant bank (__grid_constant__): the
// body takes them by reference without a copy to local memory.
template <class Real, int NF, bool kCellModel>
__global__ void __launch_bounds__(kMaxThreadsPerBlock, CYTOSTORM_GPU_MIN_BLOCKS_PER_SM)
    fused_step_kernel(const __grid_constant__ ColumnStepArgs<Real> args, int z_chunk, std::int64_t columns) {
  constexpr int W = column_lanes<Real, NF>();
  const std::int64_t column = std::int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (column >= columns) return;
  const int k_begin = int(blockIdx.y) * z_chunk;
  const int k_end = min(k_begin + z_chunk, args.layout.nz);
  march_column<Real, NF, W, kCellModel>(args, column_first_element(args.layout, column, W), k_begin, k_end);
}

__global__ void copy_kernel(uint4* __restrict__ dst, const uint4* __restrict__ src, std::size_t n) {
  const std::size_t stride = std::size_t(gridDim.x) * blockDim.x;
  for (std::size_t i = std::size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    dst[i] = src[i];
}

int device_sm_count() {
  int device = 0, sms = 0;
  CYTO_CUDA_CHECK(cudaGetDevice(&device));
  CYTO_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  return sms;
}

}  // namespace

CudaDeviceInfo cuda_probe_device(int device) {
  CudaDeviceInfo info;
  info.index = device;
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    info.reason = cudaGetErrorString(err);
    cudaGetLastError();  // clear the non-sticky error
    return info;
  }
  info.device_count = count;
  if (count == 0) {
    info.reason = "no CUDA device found";
    return info;
  }
  if (device < 0 || device >= count) {
    info.reason = "no CUDA device " + std::to_string(device) + " (" + std::to_string(count) + " found)";
    return info;
  }
  cudaDeviceProp prop{};
  const cudaError_t prop_err = cudaGetDeviceProperties(&prop, device);
  if (prop_err != cudaSuccess) {
    info.reason = cudaGetErrorString(prop_err);
    cudaGetLastError();
    return info;
  }
  info.available = true;
  info.name = prop.name;
  info.sm_count = prop.multiProcessorCount;
  info.compute_major = prop.major;
  info.compute_minor = prop.minor;
  info.memory_gib = double(prop.totalGlobalMem) / (1024.0 * 1024.0 * 1024.0);
  cudaDriverGetVersion(&info.driver_version);
  cudaRuntimeGetVersion(&info.runtime_version);
  return info;
}

void cuda_select_device(int device) { CYTO_CUDA_CHECK(cudaSetDevice(device)); }

// Thrown where a field count has no compiled kernel (the host validates
// counts long before; this guards the device against a silent no-op).
[[noreturn]] void unsupported_field_count(int n_fields) {
  throw DeviceError("internal: no GPU kernel for " + std::to_string(n_fields) + " fields (1 to " +
                        std::to_string(kMaxGpuFields) + " are compiled)",
                    false);
}

template <class Real>
ColumnLaunchPlan cuda_plan_fused_step(const GridLayout& layout, int n_fields, int threads_per_block,
                                      int z_chunk) {
  if (n_fields < 1 || n_fields > kMaxGpuFields) unsupported_field_count(n_fields);
  ColumnLaunchPlan plan;
  plan.threads_per_block =
      threads_per_block > 0 ? std::min(threads_per_block, kMaxThreadsPerBlock) : kDefaultThreadsPerBlock;
  dispatch_field_count(n_fields, [&](auto count) {
    constexpr int NF = decltype(count)::value;
    plan.lanes = column_lanes<Real, NF>();
    CYTO_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(
        &plan.resident_blocks_per_sm, fused_step_kernel<Real, NF, false>, plan.threads_per_block, 0));
  });
  plan.columns_per_plane = column_count(layout, plan.lanes);
  const std::int64_t blocks_per_plane =
      (plan.columns_per_plane + plan.threads_per_block - 1) / plan.threads_per_block;
  const std::int64_t nz = layout.nz;
  if (z_chunk > 0) {
    plan.z_chunk = int(std::min<std::int64_t>(z_chunk, nz));
  } else {
    const std::int64_t resident = std::int64_t(device_sm_count()) * std::max(1, plan.resident_blocks_per_sm);
    plan.z_chunk = choose_z_chunk(layout.nz, blocks_per_plane, resident);
  }
  // gridDim.y holds at most 65535 chunks.
  plan.z_chunk = int(std::max<std::int64_t>(plan.z_chunk, (nz + 65534) / 65535));
  plan.blocks = blocks_per_plane * ((nz + plan.z_chunk - 1) / plan.z_chunk);
  return plan;
}

template <class Real>
void cuda_fused_step(const ColumnStepArgs<Real>& args, int n_fields, const ColumnLaunchPlan& plan,
                     void* stream) {
  const dim3 block(unsigned(plan.threads_per_block));
  const dim3 grid(unsigned((plan.columns_per_plane + plan.threads_per_block - 1) / plan.threads_per_block),
                  unsigned((args.layout.nz + plan.z_chunk - 1) / plan.z_chunk));
  dispatch_field_count(n_fields, [&](auto count) {
    constexpr int NF = decltype(count)::value;
    if (args.model.enabled())
      fused_step_kernel<Real, NF, true>
          <<<grid, block, 0, static_cast<cudaStream_t>(stream)>>>(args, plan.z_chunk, plan.columns_per_plane);
    else
      fused_step_kernel<Real, NF, false>
          <<<grid, block, 0, static_cast<cudaStream_t>(stream)>>>(args, plan.z_chunk, plan.columns_per_plane);
  });
  CYTO_CUDA_CHECK_LAUNCH("fused_step_kernel");
}

template <class Real, int NF, bool kCellModel>
__global__ void shell_step_kernel(const ColumnStepArgs<Real> args, unsigned exchanged_mask, int face,
                                  std::int64_t count) {
  for (std::int64_t n = std::int64_t(blockIdx.x) * blockDim.x + threadIdx.x; n < count;
       n += std::int64_t(gridDim.x) * blockDim.x)
    update_shell_voxel<Real, NF, kCellModel>(args, exchanged_mask, face, n);
}

template <class Real>
void cuda_shell_step(const ColumnStepArgs<Real>& args, int n_fields, unsigned exchanged_mask, void* stream) {
  // One launch per face, in face order: a voxel on two faces is done by the first (see update_shell_voxel).
  for (int face = 0; face < 6; ++face) {
    if (!((exchanged_mask >> face) & 1u)) continue;
    const std::int64_t count = face_voxels(args.layout, face);
    if (count == 0) continue;
    const int threads = 256;
    const unsigned blocks = unsigned(std::min<std::int64_t>((count + threads - 1) / threads, 65535));
    dispatch_field_count(n_fields, [&](auto count) {
      constexpr int NF = decltype(count)::value;
      if (args.model.enabled())
        shell_step_kernel<Real, NF, true>
            <<<blocks, threads, 0, static_cast<cudaStream_t>(stream)>>>(args, exchanged_mask, face, count);
      else
        shell_step_kernel<Real, NF, false>
            <<<blocks, threads, 0, static_cast<cudaStream_t>(stream)>>>(args, exchanged_mask, face, count);
    });
    CYTO_CUDA_CHECK_LAUNCH("shell_step_kernel");
  }
}

template void cuda_shell_step<float>(const ColumnStepArgs<float>&, int, unsigned, void*);
template void cuda_shell_step<double>(const ColumnStepArgs<double>&, int, unsigned, void*);

void cuda_copy(void* dst, const void* src, std::size_t bytes, void* stream) {
  const std::size_t n = bytes / sizeof(uint4);
  const int threads = 256;
  const unsigned blocks = unsigned(std::min<std::size_t>((n + threads - 1) / threads, 32 * 1024));
  if (n == 0) return;
  copy_kernel<<<blocks, threads, 0, static_cast<cudaStream_t>(stream)>>>(static_cast<uint4*>(dst),
                                                                         static_cast<const uint4*>(src), n);
  CYTO_CUDA_CHECK_LAUNCH("copy_kernel");
}

template ColumnLaunchPlan cuda_plan_fused_step<float>(const GridLayout&, int, int, int);
template ColumnLaunchPlan cuda_plan_fused_step<double>(const GridLayout&, int, int, int);
template void cuda_fused_step<float>(const ColumnStepArgs<float>&, int, const ColumnLaunchPlan&, void*);
template void cuda_fused_step<double>(const ColumnStepArgs<double>&, int, const ColumnLaunchPlan&, void*);

}  // namespace cyto
