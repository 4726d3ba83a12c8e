#include "kernels/cpu/cpu_kernels.hpp"

namespace cyto {

void cpu_copy(double* dst, const double* src, std::size_t n, int threads) {
#pragma omp parallel for schedule(static) num_threads(threads)
  for (std::size_t i = 0; i < n; ++i) dst[i] = src[i];
}

}  // namespace cyto
