// The step benchmark: one fused time step on dense boxes, 1, 4 and 8 species,
// float and double, reported as voxel-species updates per second and as a
// fraction of a plain copy measured in the same run.
//
// The step is memory-bound: per step it must read and write every field once
// and read the material map once, so its compulsory traffic is
//   tissue voxels * (2 * species * sizeof(Real) + sizeof(MaterialId))
// and its floor is that traffic divided by the copy bandwidth. Two copies are
// measured: one over the same number of bytes as the case (same cache level:
// the apples-to-apples roofline) and one of 2 x 1 GiB (main memory).
#include <benchmark/benchmark.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "host/backend.hpp"
#include "host/build_info.hpp"
#include "host/geometry.hpp"

namespace cyto {
namespace {

// Median seconds of `reps` parallel copies of `bytes_each` bytes (read + write).
double copy_seconds(std::size_t bytes_each, int reps) {
  const std::size_t n = bytes_each / sizeof(double);
  std::vector<double> src(n), dst(n);
#pragma omp parallel for schedule(static)
  for (std::size_t i = 0; i < n; ++i) {
    src[i] = double(i);
    dst[i] = 0;
  }
  std::vector<double> times;
  for (int r = 0; r < reps + 2; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
#pragma omp parallel for schedule(static)
    for (std::size_t i = 0; i < n; ++i) dst[i] = src[i];
    const auto t1 = std::chrono::steady_clock::now();
    if (r >= 2) times.push_back(std::chrono::duration<double>(t1 - t0).count());  // 2 warm-ups
  }
  benchmark::DoNotOptimize(dst.data());
  std::nth_element(times.begin(), times.begin() + times.size() / 2, times.end());
  return times[times.size() / 2];
}

std::string cpu_model_name() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);)
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown CPU";
}

// A dense box, or (organ = true) an ellipsoid touching the box's faces:
// pi/6 = 52% of the box is tissue, the rest must cost (almost) nothing.
Scenario dense_box(int n, int species, Precision precision, bool organ = false) {
  const double h = 10e-6;
  Scenario s;
  s.name = "bench";
  s.precision = precision;
  s.grid.spacing = {h, h, h};
  s.grid.extent = {n * h, n * h, n * h};
  s.tissues.push_back({"tissue", 1, {}});
  Shape shape;
  shape.kind = ShapeKind::Box;
  shape.b = s.grid.extent;
  if (organ) {
    shape.kind = ShapeKind::Ellipsoid;
    shape.a = {n * h / 2, n * h / 2, n * h / 2};
    shape.b = {n * h / 2 * 0.999, n * h / 2 * 0.8, n * h / 2 * 0.999};
  }
  s.geometry.push_back({0, shape, {}});
  for (int k = 0; k < species; ++k) {
    Species sp;
    sp.name = "s" + std::to_string(k);
    sp.diffusion = {(600.0 + 100.0 * k) * 1e-12 / 60};
    sp.decay_rate = 0.01 / 60;
    s.species.push_back(sp);
  }
  s.time.end = 60;
  s.output.interval = 60;
  return s;
}

struct Case {
  int n;
  int species;
  bool use_float;
  bool organ = false;
};

std::map<std::size_t, double> copy_bandwidth_by_bytes;  // measured before the cases run

template <class Real>
void BM_FusedStep(benchmark::State& state, Case c) {
  const Scenario s =
      dense_box(c.n, c.species, sizeof(Real) == 4 ? Precision::Float : Precision::Double, c.organ);
  const TissueMap tissues = rasterise_tissues(s);
  const Discretisation disc = discretise(s, tissues);
  const TimePlan plan = plan_time(s);
  auto backend = make_cpu_backend<Real>(0);
  backend->setup(disc, c.species);
  std::vector<Real> initial(std::size_t(disc.layout.size));
  for (std::size_t i = 0; i < initial.size(); ++i) initial[i] = Real(1 + (i % 97) * 0.01);
  for (int k = 0; k < c.species; ++k) backend->upload_field(k, initial);
  CoefficientTable<Real> table;
  fill_coefficients(s, disc, 0.0, plan.max_dt, table);
  backend->set_coefficients(table);
  backend->step();  // warm-up: first touch of the output buffers

  for (auto _ : state) backend->step();

  const double voxels = double(tissues.tissue_voxels);
  const double bytes = voxels * (2.0 * c.species * sizeof(Real) + sizeof(MaterialId));
  const double field_bytes = double(disc.layout.size) * c.species * sizeof(Real);
  state.counters["voxel_species_updates_per_s"] =
      benchmark::Counter(voxels * c.species, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["bytes_per_s"] = benchmark::Counter(bytes, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["compulsory_bytes_per_step"] = bytes;
  state.counters["tissue_fraction"] = voxels / double(std::int64_t(c.n) * c.n * c.n);
  const double copy = copy_bandwidth_by_bytes[std::size_t(field_bytes)];
  state.counters["copy_same_bytes_per_s"] = copy;
  // As a rate: (bytes / copy) * iterations / seconds = achieved bandwidth / copy bandwidth.
  state.counters["fraction_of_copy"] =
      benchmark::Counter(bytes / copy, benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(fmt::format("{}^3 {} x {} {}", c.n, c.organ ? "ellipsoid" : "box", c.species,
                             sizeof(Real) == 4 ? "float" : "double"));
}

}  // namespace
}  // namespace cyto

int main(int argc, char** argv) {
  using namespace cyto;
  benchmark::Initialize(&argc, argv);

  const std::vector<Case> cases = {{128, 1, true},
                                   {128, 4, true},
                                   {128, 8, true},
                                   {128, 1, false},
                                   {128, 4, false},
                                   {128, 8, false},
                                   // Irregular: cost should follow the tissue voxels, not the box.
                                   {128, 4, true, true}};
  // Copy bandwidth, same run: per case working set, and a main-memory-sized copy.
  for (const Case& c : cases) {
    const GridLayout g = make_grid_layout(c.n, c.n, c.n);
    const std::size_t bytes = std::size_t(g.size) * c.species * (c.use_float ? 4 : 8);
    if (!copy_bandwidth_by_bytes.count(bytes))
      copy_bandwidth_by_bytes[bytes] = 2.0 * double(bytes) / copy_seconds(bytes, 21);
  }
  const std::size_t big = std::size_t(1) << 30;
  const double dram_copy = 2.0 * double(big) / copy_seconds(big, 7);

  const BuildInfo b = build_info();
  benchmark::AddCustomContext("cytostorm_version", b.version);
  benchmark::AddCustomContext("cytostorm_commit", b.commit);
  benchmark::AddCustomContext("cytostorm_build", b.build_type + " " + b.compiler + " " + b.cxx_flags +
                                                     (b.native_arch ? " -march=native" : ""));
  benchmark::AddCustomContext("omp_threads", std::to_string(omp_get_max_threads()));
  benchmark::AddCustomContext("device", cpu_model_name());
  benchmark::AddCustomContext("copy_2x1GiB_bytes_per_s", fmt::format("{:.6g}", dram_copy));
  for (const auto& [bytes, bw] : copy_bandwidth_by_bytes)
    benchmark::AddCustomContext(fmt::format("copy_{}MiB_bytes_per_s", bytes >> 20),
                                fmt::format("{:.6g}", bw));
  fmt::print("copy bandwidth (read + write, {} threads): main memory {:.1f} GB/s", omp_get_max_threads(),
             dram_copy / 1e9);
  for (const auto& [bytes, bw] : copy_bandwidth_by_bytes)
    fmt::print(", {} MiB {:.1f} GB/s", bytes >> 20, bw / 1e9);
  fmt::print("\n");

  for (const Case& c : cases) {
    const std::string name = fmt::format("FusedStep/{}^3{}/{}species/{}", c.n, c.organ ? "/ellipsoid" : "",
                                         c.species, c.use_float ? "float" : "double");
    if (c.use_float)
      benchmark::RegisterBenchmark(name.c_str(), BM_FusedStep<float>, c)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
    else
      benchmark::RegisterBenchmark(name.c_str(), BM_FusedStep<double>, c)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
