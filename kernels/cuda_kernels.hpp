// The CUDA side, as seen from host code: no CUDA types in this header, so
// host/ compiles without nvcc. Implemented in cuda_step.cu when CUDA is built.
#pragma once

#include <string>

#include "step_params.hpp"

namespace cyto {

struct CudaDeviceInfo {
  bool available = false;
  std::string reason;  // why not available (e.g. "CUDA driver version is insufficient ...")
  std::string name;
  int sm_count = 0;
  int compute_major = 0, compute_minor = 0;
  double memory_gib = 0;
};

// Asks the CUDA runtime for device 0. A machine without a GPU (no device,
// or "driver version is insufficient") reports available = false with the
// runtime's reason; never throws.
CudaDeviceInfo cuda_probe_device();

// One fused step over every interior voxel, with device pointers in `args`
// (the straightforward kernel: one thread per voxel, all species, calling
// the same pointwise physics as the CPU loops). Returns the CUDA error string,
// empty on success.
template <class Real>
std::string cuda_fused_step(const StepArgs<Real>& device_args);

}  // namespace cyto
