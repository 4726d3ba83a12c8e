// One qualifier for pointwise physics shared by the CPU and CUDA backends.
#pragma once

#if defined(__CUDACC__)
#define CYTO_HD __host__ __device__ __forceinline__
#else
#define CYTO_HD inline
#endif
