// The backend a shared test file runs on: the CPU backend in the unit tests,
// the GPU backend where the file is compiled into the GPU tests
// (CYTOSTORM_TESTS_ON_GPU; tests/gpu/gpu_environment.cpp skips them all,
// with the reason, where no GPU answers).
#pragma once

#include <memory>

#include "host/backends/backend.hpp"

namespace cyto::testing {

template <class Real>
std::unique_ptr<Backend<Real>> backend_under_test(int cpu_threads = 0) {
#ifdef CYTOSTORM_TESTS_ON_GPU
  (void)cpu_threads;  // the GPU result must not depend on it either
  return make_gpu_backend<Real>();
#else
  return make_cpu_backend<Real>(cpu_threads);
#endif
}

}  // namespace cyto::testing
