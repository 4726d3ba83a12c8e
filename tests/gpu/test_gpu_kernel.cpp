// GPU tests (ctest label "gpu"): skipped with the reason where the build has
// no CUDA or no device answers (on a machine without a GPU the runtime says
// "CUDA driver version is insufficient for CUDA runtime version").
#include <gtest/gtest.h>

#include <cmath>

#include "host/backend.hpp"
#include "kernels/cuda_kernels.hpp"
#include "tests/scenario_builders.hpp"

#ifdef CYTOSTORM_HAVE_CUDA
#include <cuda_runtime.h>
#endif

namespace cyto {
namespace {

#ifdef CYTOSTORM_HAVE_CUDA
void check(cudaError_t err, const char* what) {
  ASSERT_EQ(err, cudaSuccess) << what << ": " << cudaGetErrorString(err);
}

template <class T>
T* to_device(const std::vector<T>& host) {
  T* ptr = nullptr;
  check(cudaMalloc(&ptr, host.size() * sizeof(T)), "cudaMalloc");
  check(cudaMemcpy(ptr, host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice), "cudaMemcpy");
  return ptr;
}

// The straightforward CUDA kernel, run on the same discretisation and
// coefficients as the CPU backend, for `steps` steps.
template <class Real>
double max_relative_difference_gpu_vs_cpu(int steps) {
  const double h = 1.0 / 32;
  Scenario s = testing::box_scenario({32, 30, 28}, {h, h, h});
  s.geometry.clear();
  s.tissues.push_back({"vessel", 2, {}});
  s.geometry.push_back({0, testing::sphere_shape({0.5, 0.47, 0.44}, 0.42), {}});
  s.geometry.push_back({1, testing::cylinder_shape({0.2, 0.47, 0.44}, {0.8, 0.47, 0.44}, 0.06), {}});
  s.species.push_back(testing::make_species("a", {1.0, 3.0}, 2.0, 1.0));
  s.species.push_back(testing::make_species("b", {0.4, 0.2}, 0.0, 0.0));
  Source src;
  src.species = 1;
  src.rate = 30;
  src.region.shape = testing::sphere_shape({0.4, 0.4, 0.4}, 0.1);
  s.sources.push_back(src);
  s.boundaries.push_back({1, 0, 0.25, {}});
  const TissueMap tissues = rasterise_tissues(s);
  const Discretisation disc = discretise(s, tissues);
  const double dt = plan_time(s).max_dt;
  CoefficientTable<Real> table;
  fill_coefficients(s, disc, 0.0, dt, table);

  auto cpu = make_cpu_backend<Real>(0);
  cpu->setup(disc, 2);
  std::vector<std::vector<Real>> initial(2, std::vector<Real>(std::size_t(disc.layout.size), Real(0)));
  for (std::int64_t i = 0; i < disc.layout.size; ++i)
    if (disc.material[i]) {
      initial[0][i] = Real(1 + 0.5 * std::sin(0.01 * double(i)));
      initial[1][i] = Real(0.1 * (i % 7));
    }
  for (int sp = 0; sp < 2; ++sp) cpu->upload_field(sp, initial[sp]);
  cpu->set_coefficients(table);
  for (int n = 0; n < steps; ++n) cpu->step();

  StepArgs<Real> args;
  args.layout = disc.layout;
  args.n_species = 2;
  for (int a = 0; a < 3; ++a) args.inv_h2[a] = Real(1 / (h * h));
  args.material = to_device(disc.material);
  args.coeff = {to_device(table.diffusion_dt), to_device(table.decay_factor), to_device(table.source_rate),
                to_device(table.source_gain), to_device(table.fixed)};
  std::vector<Real*> a_buf{to_device(initial[0]), to_device(initial[1])};
  std::vector<Real*> b_buf{to_device(initial[0]), to_device(initial[1])};
  Real** d_a = to_device(a_buf);
  Real** d_b = to_device(b_buf);
  for (int n = 0; n < steps; ++n) {
    args.in = (n % 2 == 0) ? d_a : d_b;
    args.out = (n % 2 == 0) ? d_b : d_a;
    EXPECT_EQ(cuda_fused_step(args), "");
  }
  check(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
  const std::vector<Real*>& result = (steps % 2 == 0) ? a_buf : b_buf;
  double worst = 0;
  for (int sp = 0; sp < 2; ++sp) {
    std::vector<Real> gpu(std::size_t(disc.layout.size)), ref;
    check(cudaMemcpy(gpu.data(), result[sp], gpu.size() * sizeof(Real), cudaMemcpyDeviceToHost),
          "cudaMemcpy");
    cpu->download_field(sp, ref);
    double max_ref = 0, max_diff = 0;
    for (std::size_t i = 0; i < gpu.size(); ++i) {
      max_ref = std::max(max_ref, std::abs(double(ref[i])));
      max_diff = std::max(max_diff, std::abs(double(gpu[i]) - double(ref[i])));
    }
    worst = std::max(worst, max_diff / max_ref);
  }
  cudaDeviceReset();
  return worst;
}
#endif

void skip_without_gpu() {
#ifndef CYTOSTORM_HAVE_CUDA
  GTEST_SKIP() << "built without CUDA (nvcc was not found at configure time)";
#else
  const CudaDeviceInfo info = cuda_probe_device();
  if (!info.available) GTEST_SKIP() << "no usable GPU: " << info.reason;
#endif
}

TEST(Gpu, FusedKernelMatchesCpuInDouble) {
  skip_without_gpu();
  if (::testing::Test::IsSkipped()) return;
#ifdef CYTOSTORM_HAVE_CUDA
  EXPECT_LE(max_relative_difference_gpu_vs_cpu<double>(200), 1e-12);
#endif
}

TEST(Gpu, FusedKernelMatchesCpuInFloat) {
  skip_without_gpu();
  if (::testing::Test::IsSkipped()) return;
#ifdef CYTOSTORM_HAVE_CUDA
  EXPECT_LE(max_relative_difference_gpu_vs_cpu<float>(200), 1e-5);
#endif
}

}  // namespace
}  // namespace cyto
