// Every test of the GPU binary skips, with the reason printed, where the
// build has no CUDA or no GPU answers: a skip is visible, never a pass
// (gtest counts tests skipped by an environment as passed, so ctest matches
// the "GPU tests skipped:" line instead; see tests/CMakeLists.txt).
#include <gtest/gtest.h>

#include "host/backends/backend.hpp"

namespace {

class GpuEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    if (!cyto::gpu_backend_available()) GTEST_SKIP() << "GPU tests skipped: " << cyto::gpu_support_summary();
  }
};

const ::testing::Environment* const gpu_environment =
    ::testing::AddGlobalTestEnvironment(new GpuEnvironment);  // gtest owns it

}  // namespace
