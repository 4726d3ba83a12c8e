// Checking every CUDA call and launch (only for code that includes the CUDA
// runtime API: kernels/*.cu and host/gpu_backend.cpp).
#pragma once

#include <cuda_runtime_api.h>

#include "kernels/device_error.hpp"

namespace cyto {

// Throws DeviceError: "<call> failed at <file>:<line>: <CUDA error string> (<error name>)".
[[noreturn]] void throw_cuda_error(cudaError_t code, const char* call, const char* file, int line);

}  // namespace cyto

#define CYTO_CUDA_CHECK(call)                                                 \
  do {                                                                        \
    const cudaError_t cyto_cuda_status_ = (call);                             \
    if (cyto_cuda_status_ != cudaSuccess)                                     \
      ::cyto::throw_cuda_error(cyto_cuda_status_, #call, __FILE__, __LINE__); \
  } while (0)

// After a kernel launch: the launch itself (bad configuration, no kernel image
// for this GPU) fails through cudaGetLastError; faults inside the kernel
// surface at the next synchronising call, which is checked too.
#define CYTO_CUDA_CHECK_LAUNCH(kernel_name)                                                      \
  do {                                                                                           \
    const cudaError_t cyto_cuda_status_ = cudaGetLastError();                                    \
    if (cyto_cuda_status_ != cudaSuccess)                                                        \
      ::cyto::throw_cuda_error(cyto_cuda_status_, "launch of " kernel_name, __FILE__, __LINE__); \
  } while (0)
