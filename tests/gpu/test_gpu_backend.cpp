// The GPU backend against the CPU backend, and against itself: agreement on
// the default scenario, bitwise repeatability, independence of the launch
// shape, deterministic reductions, MPI halo faces and tile sums equal to the
// CPU's, the choice of device per local rank, and the failure messages
// users see.
#include <gtest/gtest.h>

#include <cuda_runtime_api.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <random>
#include <string>

#include "host/parallel/decomposition.hpp"
#include "host/scenario/config.hpp"
#include "host/solver/simulation.hpp"
#include "kernels/cuda/cuda_kernels.hpp"
#include "kernels/device_error.hpp"
#include "kernels/halo_k.hpp"
#include "tests/scenario_builders.hpp"

namespace cyto {
namespace {

// The repository root: CYTOSTORM_SOURCE_DIR in the environment (binaries
// carried to a lent GPU machine run from another checkout), else the build's.
std::string source_dir() {
  const char* from_environment = std::getenv("CYTOSTORM_SOURCE_DIR");
  return from_environment && *from_environment ? from_environment : CYTOSTORM_SOURCE_DIR;
}

Scenario default_scenario() { return load_scenario(source_dir() + "/configs/default.yaml", {}); }

// Sets an environment variable for one scope (the GPU backend's tuning knobs).
class ScopedEnvironment {
 public:
  ScopedEnvironment(const char* name, const char* value) : name_(name) { setenv(name, value, 1); }
  ~ScopedEnvironment() { unsetenv(name_); }
  ScopedEnvironment(const ScopedEnvironment&) = delete;
  ScopedEnvironment& operator=(const ScopedEnvironment&) = delete;

 private:
  const char* name_;
};

template <class Real>
struct Outcome {
  std::vector<std::vector<Real>> fields;
  TimeSeriesRow statistics;
};

template <class Real>
Outcome<Real> run_steps(const Scenario& s, std::unique_ptr<Backend<Real>> backend, int steps) {
  Simulation<Real> sim(s, std::move(backend));
  sim.advance_to(steps * sim.time_plan().max_dt);
  EXPECT_EQ(sim.steps(), steps);
  Outcome<Real> out;
  for (std::size_t sp = 0; sp < s.species.size(); ++sp) out.fields.push_back(sim.native_field(int(sp)));
  out.statistics = sim.statistics();
  return out;
}

// max |gpu - cpu| / max |cpu| per field after 1000 steps of the default scenario.
template <class Real>
void expect_default_scenario_agrees(double tolerance) {
  const Scenario s = default_scenario();
  const Outcome<Real> gpu = run_steps<Real>(s, make_gpu_backend<Real>(), 1000);
  const Outcome<Real> cpu = run_steps<Real>(s, make_cpu_backend<Real>(0), 1000);
  for (std::size_t sp = 0; sp < s.species.size(); ++sp) {
    double max_cpu = 0, max_diff = 0;
    for (std::size_t i = 0; i < cpu.fields[sp].size(); ++i) {
      max_cpu = std::max(max_cpu, std::abs(double(cpu.fields[sp][i])));
      max_diff = std::max(max_diff, std::abs(double(gpu.fields[sp][i]) - double(cpu.fields[sp][i])));
    }
    ASSERT_GT(max_cpu, 0.0) << s.species[sp].name;
    const double relative = max_diff / max_cpu;
    std::printf("  %s: max|gpu - cpu| / max|cpu| = %.3g\n", s.species[sp].name.c_str(), relative);
    EXPECT_LE(relative, tolerance) << s.species[sp].name;
    // Totals are summed in another order on each backend: equal to round-off.
    for (std::size_t r = 0; r < cpu.statistics.stats[sp].size(); ++r) {
      const double expected = cpu.statistics.stats[sp][r].total_pg;
      EXPECT_NEAR(gpu.statistics.stats[sp][r].total_pg, expected, 10 * tolerance * std::abs(expected));
      EXPECT_NEAR(gpu.statistics.stats[sp][r].max, cpu.statistics.stats[sp][r].max,
                  tolerance * std::abs(cpu.statistics.stats[sp][r].max));
    }
  }
}

TEST(GpuBackend, DefaultScenarioAgreesWithCpuInFloat) { expect_default_scenario_agrees<float>(1e-5); }
TEST(GpuBackend, DefaultScenarioAgreesWithCpuInDouble) { expect_default_scenario_agrees<double>(1e-12); }

// (f) Every scenario in configs/, cell model and plasma included, agrees
// between the backends in double precision after a few hundred steps: every
// species and population field, and the plasma levels.
TEST(GpuBackend, EveryConfigScenarioAgreesWithCpu) {
  namespace fs = std::filesystem;
  std::vector<fs::path> files;
  for (const fs::directory_entry& e : fs::directory_iterator(source_dir() + "/configs"))
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty());
  for (const fs::path& file : files) {
    Scenario s = load_scenario(file.string(), {});
    s.precision = Precision::Double;
    const int steps = 300;
    Simulation<double> gpu(s, make_gpu_backend<double>()), cpu(s, make_cpu_backend<double>(0));
    const double t = std::min(s.time.end, steps * gpu.time_plan().max_dt);
    gpu.advance_to(t);
    cpu.advance_to(t);
    const int fields = int(s.species.size() + s.populations.size());
    for (int f = 0; f < fields; ++f) {
      const std::vector<double> a = gpu.field(f), b = cpu.field(f);
      double scale = 0, diff = 0;
      for (std::size_t i = 0; i < a.size(); ++i) {
        scale = std::max(scale, std::abs(b[i]));
        diff = std::max(diff, std::abs(a[i] - b[i]));
      }
      const double relative = scale > 0 ? diff / scale : diff;
      std::printf("  %s field %d: max|gpu - cpu| / max|cpu| = %.3g\n", file.filename().c_str(), f, relative);
      EXPECT_LE(relative, 1e-9) << file << " field " << f;
    }
    for (std::size_t sp = 0; sp < gpu.plasma().size(); ++sp)
      EXPECT_NEAR(gpu.plasma()[sp], cpu.plasma()[sp], 1e-9 * std::abs(cpu.plasma()[sp]) + 1e-300)
          << file << " plasma " << sp;
  }
}

TEST(GpuBackend, TwoRunsAreBitwiseIdentical) {
  const Scenario s = default_scenario();
  const Outcome<float> a = run_steps<float>(s, make_gpu_backend<float>(), 300);
  const Outcome<float> b = run_steps<float>(s, make_gpu_backend<float>(), 300);
  EXPECT_EQ(a.fields, b.fields);
  for (std::size_t sp = 0; sp < s.species.size(); ++sp)
    for (std::size_t r = 0; r < a.statistics.stats[sp].size(); ++r) {
      EXPECT_EQ(a.statistics.stats[sp][r].total_pg, b.statistics.stats[sp][r].total_pg);  // bitwise, not near
      EXPECT_EQ(a.statistics.stats[sp][r].max, b.statistics.stats[sp][r].max);
    }
}

// The launch shape (threads per block, z-chunk length) changes which thread
// computes a voxel, never the result.
template <class Real>
void expect_launch_shape_does_not_matter() {
  const Scenario s = default_scenario();
  const Outcome<Real> automatic = run_steps<Real>(s, make_gpu_backend<Real>(), 200);
  ScopedEnvironment block("CYTOSTORM_GPU_BLOCK", "96");
  ScopedEnvironment chunk("CYTOSTORM_GPU_ZCHUNK", "3");
  Simulation<Real> probe(s, make_gpu_backend<Real>());
  const std::string launch = probe.backend().device_info().launch;
  EXPECT_NE(launch.find("96 threads per block"), std::string::npos) << launch;  // the knobs took effect
  EXPECT_NE(launch.find("z-chunks of 3 planes"), std::string::npos) << launch;
  const Outcome<Real> odd = run_steps<Real>(s, make_gpu_backend<Real>(), 200);
  EXPECT_EQ(automatic.fields, odd.fields);
  for (std::size_t sp = 0; sp < s.species.size(); ++sp)
    for (std::size_t r = 0; r < automatic.statistics.stats[sp].size(); ++r)
      EXPECT_EQ(automatic.statistics.stats[sp][r].total_pg, odd.statistics.stats[sp][r].total_pg);
}

TEST(GpuBackend, ResultDoesNotDependOnLaunchShapeInFloat) { expect_launch_shape_does_not_matter<float>(); }
TEST(GpuBackend, ResultDoesNotDependOnLaunchShapeInDouble) { expect_launch_shape_does_not_matter<double>(); }

// Every compiled variant that matters on the device (float with 4 and 2
// lanes, double with 2 and 1, 16-byte and narrower stores) against the CPU
// backend: the kernel does the CPU's IEEE operations in the CPU's order
// (--fmad=false, -ffp-contract=off), so the fields must agree bitwise.
// Two tissues, a Dirichlet species, a windowed source, a per-voxel source
// field, and z-chunks that do not divide nz.
template <class Real>
void expect_bitwise_equal_to_cpu(int n_species) {
  const Scenario s = testing::two_tissue_scenario(n_species, {37, 29, 23});
  ScopedEnvironment chunk("CYTOSTORM_GPU_ZCHUNK", "5");
  auto run = [&](std::unique_ptr<Backend<Real>> backend) {
    Simulation<Real> sim(s, std::move(backend));
    std::vector<double> field(std::size_t(sim.discretisation().grid.voxels()));
    for (std::size_t i = 0; i < field.size(); ++i) field[i] = 5.0 + std::sin(0.37 * double(i));
    sim.set_source_field(0, field);
    sim.advance_to(25 * sim.time_plan().max_dt);
    std::vector<std::vector<Real>> fields;
    for (int sp = 0; sp < n_species; ++sp) fields.push_back(sim.native_field(sp));
    return fields;
  };
  const auto gpu = run(make_gpu_backend<Real>());
  const auto cpu = run(make_cpu_backend<Real>(0));
  for (int sp = 0; sp < n_species; ++sp) {
    std::size_t differing = 0;
    for (std::size_t i = 0; i < cpu[sp].size(); ++i) differing += !(gpu[sp][i] == cpu[sp][i]);
    EXPECT_EQ(differing, 0u) << n_species << " species, species " << sp;
  }
}

TEST(GpuBackend, BitwiseEqualToCpuForEveryKernelShapeInFloat) {
  for (int ns : {1, 3, 8, 9, 16}) expect_bitwise_equal_to_cpu<float>(ns);
}
TEST(GpuBackend, BitwiseEqualToCpuForEveryKernelShapeInDouble) {
  for (int ns : {1, 3, 8, 9, 16}) expect_bitwise_equal_to_cpu<double>(ns);
}

// The step-error probe on the device's own copies of the fields: the CPU's
// estimate to the bit (the steps agree bitwise and the probe's sums are
// exact integers), the same state after it, and the probe through the host
// on the GPU gives it too. Species, a population with uptake and turnover
// (the cell model), a Dirichlet species and two tissues.
template <class Real>
void expect_probe_equal_to_cpu() {
  Scenario s = testing::two_tissue_scenario(3, {37, 29, 23});
  s.populations.push_back(testing::make_population("cells", 1e7));
  Rule uptake = testing::make_rule(RuleKind::Uptake, 0, 1);
  uptake.clearance = 1e-8;
  s.rules.push_back(uptake);
  Rule turnover = testing::make_rule(RuleKind::Decay, 0);
  turnover.rate = 0.05;
  s.rules.push_back(turnover);
  Simulation<Real> gpu(s, make_gpu_backend<Real>()), cpu(s, make_cpu_backend<Real>(0));
  Simulation<Real> gpu_host(s, make_gpu_backend<Real>());
  gpu_host.set_probe_through_host(true);
  const double dt = cpu.time_plan().max_dt;
  for (Simulation<Real>* sim : {&gpu, &cpu, &gpu_host}) sim->advance_to(20 * dt);
  for (double probe : {dt, dt / 3, 4 * dt}) {
    const StepError a = gpu.step_error(probe), b = cpu.step_error(probe), c = gpu_host.step_error(probe);
    EXPECT_GT(b.relative, 0) << probe;
    EXPECT_EQ(a.relative, b.relative) << probe;
    EXPECT_EQ(a.what, b.what) << probe;
    EXPECT_EQ(c.relative, b.relative) << probe;
    for (int f = 0; f < 4; ++f) {
      EXPECT_EQ(gpu.native_field(f), cpu.native_field(f)) << probe << " field " << f;
      EXPECT_EQ(gpu_host.native_field(f), cpu.native_field(f)) << probe << " field " << f;
    }
  }
}

TEST(GpuBackend, StepErrorProbeEqualsCpuInFloat) { expect_probe_equal_to_cpu<float>(); }
TEST(GpuBackend, StepErrorProbeEqualsCpuInDouble) { expect_probe_equal_to_cpu<double>(); }

// Out of memory: the message says how much the scenario needs and how much
// the device has, before anything is half-allocated.
TEST(GpuBackend, OutOfMemoryReportsNeededAndAvailable) {
  std::size_t free_bytes = 0, total_bytes = 0;
  ASSERT_EQ(cudaMemGetInfo(&free_bytes, &total_bytes), cudaSuccess);
  struct Hog {  // freed however the test ends, so later tests get the memory back
    void* ptr = nullptr;
    ~Hog() { cudaFree(ptr); }
  } hog;
  const std::size_t leave = std::size_t(64) << 20;  // less than the scenario below needs
  ASSERT_EQ(cudaMalloc(&hog.ptr, free_bytes - leave), cudaSuccess);
  const double h = 1e-5;
  Scenario s = testing::box_scenario({160, 160, 160}, {h, h, h});
  for (int sp = 0; sp < 4; ++sp)
    s.species.push_back(testing::make_species("s" + std::to_string(sp), {1e-11}));
  try {
    Simulation<double> sim(s, make_gpu_backend<double>());
    ADD_FAILURE() << "expected an out-of-memory error";
  } catch (const RuntimeFailure& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("not enough GPU memory"), std::string::npos) << message;
    EXPECT_NE(message.find("needs"), std::string::npos) << message;
    EXPECT_NE(message.find("GiB free of"), std::string::npos) << message;
  }
}

// A failed launch names the kernel, the file and line, and CUDA's reason.
TEST(GpuBackend, FailedLaunchNamesKernelFileAndReason) {
  const GridLayout layout = make_grid_layout(16, 16, 16);
  ColumnLaunchPlan plan = cuda_plan_fused_step<float>(layout, 1);
  plan.threads_per_block = 1024;  // beyond the kernel's launch bounds
  ColumnStepArgs<float> args;
  args.layout = layout;
  try {
    cuda_fused_step(args, 1, plan, nullptr);
    ADD_FAILURE() << "expected a launch failure";
  } catch (const DeviceError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("launch of fused_step_kernel"), std::string::npos) << message;
    EXPECT_NE(message.find("kernels/cuda/cuda_step.cu:"), std::string::npos) << message;
    EXPECT_NE(message.find("cudaError"), std::string::npos) << message;
  }
}

// The blow-up guard's field scan, on the host: the range of the finite
// tissue values (zeros as +0) and the count of the others.
template <class Real>
FieldScan reference_scan(const Discretisation& d, const std::vector<Real>& field) {
  FieldScan scan;
  for (std::size_t n = 0; n < field.size(); ++n) {
    if (d.material[n] == 0) continue;
    const double v = double(field[n]);
    if (!std::isfinite(v)) {
      ++scan.nonfinite;
      continue;
    }
    scan.min = std::min(scan.min, v == 0 ? 0.0 : v);
    scan.max = std::max(scan.max, v == 0 ? 0.0 : v);
  }
  return scan;
}

void expect_identical_scans(const FieldScan& gpu, const FieldScan& cpu, const std::string& what) {
  EXPECT_EQ(std::bit_cast<std::uint64_t>(gpu.min), std::bit_cast<std::uint64_t>(cpu.min))
      << what << ": " << gpu.min << " vs " << cpu.min;
  EXPECT_EQ(std::bit_cast<std::uint64_t>(gpu.max), std::bit_cast<std::uint64_t>(cpu.max))
      << what << ": " << gpu.max << " vs " << cpu.max;
  EXPECT_EQ(gpu.nonfinite, cpu.nonfinite) << what;
}

// The same fields give the same FieldScan, bit for bit, on the GPU as on the
// CPU (tests/test_field_scan.cpp checks the CPU's): NaN, infinities and
// zeros of both signs in the tissue, junk outside it (never read), a grid
// of many CUB tiles; then, after steps, the GPU's scan of its current field.
template <class Real>
void expect_field_scan_equal_to_cpu() {
  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  const Scenario s = testing::two_tissue_scenario(2, {67, 45, 31});
  const Discretisation d = discretise(s, rasterise_tissues(s));
  std::vector<std::size_t> tissue;
  for (std::size_t n = 0; n < d.material.size(); ++n)
    if (d.material[n] != 0) tissue.push_back(n);
  ASSERT_GT(tissue.size(), 1000u);
  ASSERT_LT(tissue.size(), d.material.size());
  std::vector<std::vector<Real>> fields(2, std::vector<Real>(d.material.size()));
  const double junk[4] = {nan, -1e30, inf, 1e30};
  for (std::size_t n = 0; n < d.material.size(); ++n) {
    fields[0][n] = Real(d.material[n] ? 100 * std::sin(0.37 * double(n)) : junk[n % 4]);
    fields[1][n] = Real(d.material[n] ? (n % 2 ? -0.0 : 0.0) : junk[n % 4]);
  }
  for (std::size_t n = 0; n < tissue.size(); n += 997) fields[0][tissue[n]] = Real(n % 3 ? nan : -inf);
  fields[0][tissue.back()] = Real(inf);
  for (std::size_t n = 5; n < tissue.size(); n += 13)
    if (std::isfinite(fields[0][tissue[n]])) fields[0][tissue[n]] = Real(-0.0);
  auto gpu = make_gpu_backend<Real>();
  auto cpu = make_cpu_backend<Real>(0);
  for (Backend<Real>* backend : {gpu.get(), cpu.get()}) {
    backend->setup(d, 2);
    for (int f = 0; f < 2; ++f) backend->upload_field(f, fields[std::size_t(f)]);
  }
  for (int f = 0; f < 2; ++f) {
    const FieldScan on_gpu = gpu->scan_field(f), on_cpu = cpu->scan_field(f);
    expect_identical_scans(on_gpu, on_cpu, "field " + std::to_string(f));
    expect_identical_scans(on_gpu, reference_scan(d, fields[std::size_t(f)]),
                           "reference " + std::to_string(f));
  }
  EXPECT_GT(gpu->scan_field(0).nonfinite, 10);
  EXPECT_EQ(gpu->scan_field(1).min, 0.0);
  EXPECT_FALSE(std::signbit(gpu->scan_field(1).min));

  // After steps (NaN and infinities spread): the current buffer is scanned.
  TransportTable<Real> table;
  fill_transport_table(s, d, plan_time(s).max_dt, table);
  gpu->set_transport_table(table);
  StepParameters<Real> step;
  fill_step_rates(s, d, 0.0, plan_time(s).max_dt, nullptr, step);
  for (int n = 0; n < 7; ++n, ++step.step) gpu->step(step);
  for (int f = 0; f < 2; ++f) {
    std::vector<Real> current;
    gpu->download_field(f, current);
    expect_identical_scans(gpu->scan_field(f), reference_scan(d, current),
                           "after steps " + std::to_string(f));
  }
}

TEST(GpuBackend, FieldScanEqualsCpuInFloat) { expect_field_scan_equal_to_cpu<float>(); }
TEST(GpuBackend, FieldScanEqualsCpuInDouble) { expect_field_scan_equal_to_cpu<double>(); }

TEST(GpuBackend, CopyBandwidthIsMeasured) {
  auto gpu = make_gpu_backend<float>();
  const std::size_t bytes = std::size_t(256) << 20;
  const std::vector<double> seconds = gpu->timed_copies(bytes, 5);
  ASSERT_EQ(seconds.size(), 5u);
  for (double t : seconds) {
    EXPECT_GT(t, 0.0);
    EXPECT_LT(2.0 * double(bytes) / t, 20e12);  // faster than any HBM: the timing is wrong
  }
}

// Elements of two arrays whose bytes differ (bitwise, not ==: -0 and +0 differ).
template <class T>
std::size_t differing_bits(const std::vector<T>& a, const std::vector<T>& b) {
  if (a.size() != b.size()) return std::max(a.size(), b.size());
  std::size_t differing = 0;
  for (std::size_t n = 0; n < a.size(); ++n) differing += std::memcmp(&a[n], &b[n], sizeof(T)) != 0;
  return differing;
}

// A box of n voxels whose material map holds ids 0 .. materials - 1: at
// random in the lower half (a new region almost every voxel) and in bands
// along x in the upper half (runs of one region). Never stepped: the
// tissue runs are the box's, only the map and the layout are used.
Discretisation mixed_material_discretisation(std::array<int, 3> n, int materials, unsigned seed) {
  const Scenario s = testing::box_scenario(n, {1e-5, 1e-5, 1e-5});
  Discretisation d = discretise(s, rasterise_tissues(s));
  std::mt19937 rng(seed);
  for (int k = 0; k < n[2]; ++k)
    for (int j = 0; j < n[1]; ++j)
      for (int i = 0; i < n[0]; ++i)
        d.material[std::size_t(d.layout.index(i, j, k))] = MaterialId(
            k < n[2] / 2 ? rng() % unsigned(materials) : unsigned(i / 3 + j) % unsigned(materials));
  return d;
}

// Random values for every element of the layout, halo and row padding included.
template <class Real>
std::vector<Real> random_values(std::size_t count, std::mt19937& rng) {
  std::uniform_real_distribution<double> mantissa(-1.0, 1.0);
  std::uniform_int_distribution<int> exponent(-6, 6);
  std::vector<Real> values(count);
  for (Real& v : values) v = Real(std::ldexp(mantissa(rng), exponent(rng)));
  return values;
}

// (a) MPI halo faces: pack_face on the GPU gives the CPU's buffer for every
// face (all fields and fewer, nothing written beyond), in halo_k.hpp's
// order; unpack_face writes the same halo layers, nothing else, and has
// copied `src` by the time it returns.
template <class Real>
void expect_faces_equal_to_cpu() {
  const Discretisation d = mixed_material_discretisation({13, 9, 7}, 3, 11);
  const GridLayout& g = d.layout;
  const int fields = 3;
  std::mt19937 rng(5);
  std::vector<std::vector<Real>> values;
  for (int f = 0; f < fields; ++f) values.push_back(random_values<Real>(std::size_t(g.size), rng));
  auto gpu = make_gpu_backend<Real>();
  auto cpu = make_cpu_backend<Real>(1);
  for (Backend<Real>* backend : {gpu.get(), cpu.get()}) {
    backend->setup(d, fields);
    for (int f = 0; f < fields; ++f) backend->upload_field(f, values[std::size_t(f)]);
  }
  for (int face = 0; face < 6; ++face) {
    const std::size_t n = std::size_t(face_voxels(g, face));
    for (int used : {fields, 1}) {
      const Real untouched = Real(-12345);
      std::vector<Real> on_gpu(n * fields + 5, untouched), on_cpu(n * fields + 5, untouched);
      gpu->pack_face(face, used, on_gpu.data());
      cpu->pack_face(face, used, on_cpu.data());
      EXPECT_EQ(differing_bits(on_gpu, on_cpu), 0u) << "face " << face << ", " << used << " fields";
      for (std::size_t e = 0; e < on_gpu.size(); ++e) {
        const std::size_t f = e / n, v = e % n;
        const Real expected = f < std::size_t(used)
                                  ? values[f][std::size_t(face_layer_index(g, face, false, std::int64_t(v)))]
                                  : untouched;
        ASSERT_EQ(on_gpu[e], expected) << "face " << face << ", element " << e;
      }
    }
  }
  std::vector<std::vector<Real>> expected = values;
  for (int face = 0; face < 6; ++face) {
    const std::size_t n = std::size_t(face_voxels(g, face));
    std::vector<Real> src = random_values<Real>(n * fields, rng);
    for (std::size_t e = 0; e < src.size(); ++e)
      expected[e / n][std::size_t(face_layer_index(g, face, true, std::int64_t(e % n)))] = src[e];
    gpu->unpack_face(face, fields, src.data());
    cpu->unpack_face(face, fields, src.data());
    std::fill(src.begin(), src.end(), Real(99));  // the caller may reuse its buffer at once
  }
  for (int f = 0; f < fields; ++f) {
    std::vector<Real> on_gpu, on_cpu;
    gpu->download_field(f, on_gpu);
    cpu->download_field(f, on_cpu);
    EXPECT_EQ(differing_bits(on_gpu, on_cpu), 0u) << "field " << f;
    EXPECT_EQ(differing_bits(on_gpu, expected[std::size_t(f)]), 0u) << "field " << f;
  }
  // An unpack queued just before a pack leaves it intact: the two share the
  // device staging buffer, and the stream keeps them in order.
  for (int face = 0; face < 6; ++face) {
    const std::size_t n = std::size_t(face_voxels(g, face));
    std::vector<Real> on_gpu(n * fields), on_cpu(n * fields);
    gpu->unpack_face(face ^ 1, fields,
                     random_values<Real>(std::size_t(face_voxels(g, face ^ 1)) * fields, rng).data());
    gpu->pack_face(face, fields, on_gpu.data());
    cpu->pack_face(face, fields, on_cpu.data());
    EXPECT_EQ(differing_bits(on_gpu, on_cpu), 0u) << "face " << face << " after an unpack";
  }
}

TEST(GpuBackend, HaloFacesEqualCpuInFloat) { expect_faces_equal_to_cpu<float>(); }
TEST(GpuBackend, HaloFacesEqualCpuInDouble) { expect_faces_equal_to_cpu<double>(); }

// Bitwise equal, except that any NaN equals any NaN: the GPU's arithmetic
// gives the canonical NaN where the CPU keeps an operand's payload.
std::size_t differing_values(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return std::max(a.size(), b.size());
  std::size_t differing = 0;
  for (std::size_t n = 0; n < a.size(); ++n)
    differing += !(std::isnan(a[n]) && std::isnan(b[n])) &&
                 std::bit_cast<std::uint64_t>(a[n]) != std::bit_cast<std::uint64_t>(b[n]);
  return differing;
}

// (b) region_tile_sums: the GPU's per-tile sums and per-region maxima are
// the CPU's bits. Grids that tiles do not divide, more tiles than a thread
// block, materials mapped to several regions (two to one, one to none, a
// region with no voxels), values over twelve binary orders of magnitude
// (the order of the additions shows), zeros of both signs, and a NaN and
// an infinity in one run.
template <class Real>
void expect_tile_sums_equal_to_cpu() {
  const std::vector<int> region_of_material = {-1, 0, 2, 1, 2, 3};
  const int n_regions = 5;  // region 4 has no material
  for (const std::array<int, 3>& n : {std::array<int, 3>{21, 13, 10}, std::array<int, 3>{70, 41, 33}}) {
    const Discretisation d = mixed_material_discretisation(n, int(region_of_material.size()), 3);
    const GridLayout& g = d.layout;
    std::mt19937 rng(17);
    std::vector<Real> field = random_values<Real>(std::size_t(g.size), rng);
    for (int i = 0; i < n[0]; i += 4) field[std::size_t(g.index(i, 1, 1))] = Real(i % 8 ? -0.0 : 0.0);
    std::vector<Real> second = field;
    second[std::size_t(g.index(2, 3, n[2] - 1))] = std::numeric_limits<Real>::quiet_NaN();
    second[std::size_t(g.index(5, 3, n[2] - 1))] = std::numeric_limits<Real>::infinity();
    auto gpu = make_gpu_backend<Real>();
    auto cpu = make_cpu_backend<Real>(2);
    for (Backend<Real>* backend : {gpu.get(), cpu.get()}) {
      backend->setup(d, 2);
      backend->upload_field(0, field);
      backend->upload_field(1, second);
    }
    const int tiles = ((n[0] + kReductionTile - 1) / kReductionTile) *
                      ((n[1] + kReductionTile - 1) / kReductionTile) *
                      ((n[2] + kReductionTile - 1) / kReductionTile);
    for (int f = 0; f < 2; ++f) {
      std::vector<double> gpu_sums, gpu_max, cpu_sums, cpu_max;
      gpu->region_tile_sums(f, region_of_material, n_regions, gpu_sums, gpu_max);
      cpu->region_tile_sums(f, region_of_material, n_regions, cpu_sums, cpu_max);
      const std::string what = std::to_string(n[0]) + "x" + std::to_string(n[1]) + "x" +
                               std::to_string(n[2]) + ", field " + std::to_string(f);
      ASSERT_EQ(cpu_sums.size(), std::size_t(tiles) * n_regions) << what;
      EXPECT_EQ(differing_values(gpu_sums, cpu_sums), 0u) << what;
      EXPECT_EQ(differing_values(gpu_max, cpu_max), 0u) << what;
      EXPECT_EQ(gpu_max[4], -std::numeric_limits<double>::infinity()) << what;
      EXPECT_EQ(std::isnan(gpu_max[1]), f == 1) << what;  // material 3, region 1, holds the NaN
      // A second call (the region map cached) gives the same again; and with fewer regions.
      std::vector<double> again_sums, again_max;
      gpu->region_tile_sums(f, region_of_material, n_regions, again_sums, again_max);
      EXPECT_EQ(differing_bits(again_sums, gpu_sums), 0u) << what;
      const std::vector<int> other_map = {-1, 1, 0, 0, -1, 1};
      gpu->region_tile_sums(f, other_map, 2, gpu_sums, gpu_max);
      cpu->region_tile_sums(f, other_map, 2, cpu_sums, cpu_max);
      EXPECT_EQ(differing_values(gpu_sums, cpu_sums), 0u) << what << ", other map";
      EXPECT_EQ(differing_values(gpu_max, cpu_max), 0u) << what << ", other map";
    }
  }
}

TEST(GpuBackend, RegionTileSumsEqualCpuInFloat) { expect_tile_sums_equal_to_cpu<float>(); }
TEST(GpuBackend, RegionTileSumsEqualCpuInDouble) { expect_tile_sums_equal_to_cpu<double>(); }

// Ranks sharing a node pick device (local rank mod device count) from the
// launcher's environment, and say which in device_info().launch; more ranks
// than GPUs share them (each works).
TEST(GpuBackend, LocalRankChoosesDevice) {
  for (const char* name : {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "SLURM_LOCALID"})
    if (std::getenv(name)) GTEST_SKIP() << name << " is set: launched by MPI, the test would override it";
  const int count = cuda_probe_device(0).device_count;
  ASSERT_GE(count, 1);
  struct Restore {  // later tests' own CUDA calls go to device 0, however this one ends
    ~Restore() { cudaSetDevice(0); }
  } restore;
  const Discretisation d = mixed_material_discretisation({12, 10, 9}, 2, 1);
  for (const auto& [name, rank] :
       {std::pair{"OMPI_COMM_WORLD_LOCAL_RANK", 3}, std::pair{"MPI_LOCALRANKID", count},
        std::pair{"SLURM_LOCALID", 2 * count + 1}}) {
    const std::string text = std::to_string(rank);
    ScopedEnvironment local(name, text.c_str());
    auto gpu = make_gpu_backend<float>();
    const std::string launch = gpu->device_info().launch;
    const std::string expected = "device " + std::to_string(rank % count) + " of " + std::to_string(count) +
                                 " (local rank " + text + " from " + name + ")";
    EXPECT_NE(launch.find(expected), std::string::npos) << launch;
    gpu->setup(d, 1);
    gpu->upload_field(0, std::vector<float>(std::size_t(d.layout.size), 2.5f));
    std::vector<float> face(std::size_t(face_voxels(d.layout, 4)));
    gpu->pack_face(4, 1, face.data());
    EXPECT_EQ(face.front(), 2.5f) << name;
  }
  {
    ScopedEnvironment bad("MPI_LOCALRANKID", "one");
    EXPECT_THROW(make_gpu_backend<double>(), InputError);
  }
  auto plain = make_gpu_backend<double>();  // no local rank: device 0
  EXPECT_EQ(plain->device_info().launch.rfind("device 0 of " + std::to_string(count), 0), 0u)
      << plain->device_info().launch;
}

}  // namespace
}  // namespace cyto
