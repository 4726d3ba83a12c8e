// The qualifiers of pointwise physics shared by the CPU and CUDA backends:
// CYTO_HD, inlined everywhere (the hot path); CYTO_HD_CALL, a real call on
// the device for rare, register-hungry branches (still `inline` for linkage:
// the headers are compiled into every .cu file).
#pragma once

#if defined(__CUDACC__)
#define CYTO_HD __host__ __device__ __forceinline__
#else
#define CYTO_HD inline
#endif

#if defined(__CUDACC__)
#define CYTO_HD_CALL inline __host__ __device__ __noinline__
#else
#define CYTO_HD_CALL inline
#endif
