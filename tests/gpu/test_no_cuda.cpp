// Built only without CUDA: the GPU environment skips this with the reason.
#include <gtest/gtest.h>

TEST(GpuBackend, NeedsACudaBuild) { FAIL() << "the GPU environment should have skipped this test"; }
