// The benchmark suite behind `cytostorm bench`: which cases run, in what
// order, and whether they fit.
//
// The step is memory-bound: per step it must read and write every species of
// every tissue voxel once and read the material map once, so its compulsory
// traffic is
//   tissue voxels * 2 * species * sizeof(Real) + interior voxels * sizeof(MaterialId)
// (the material map is counted over the whole bounding box: that is what a
// kernel reads to find the tissue). Its floor is that traffic divided by the
// bandwidth of a plain copy, so each backend measures a copy in the same run:
// a large one through main memory (the fraction reported), and one over the
// same bytes as each case's fields, which is the like-for-like roofline where
// a case fits in a cache (small CPU cases fit in a large L3).
//
// The storm box adds the cell model: the same dense box with 7 fields is
// stepped with and without a representative rule set, on two backends set up
// side by side and timed in alternating rounds, so that both see the same
// load (this matters on a shared machine) and their ratio is the model's cost.
//
// The problems are scenario files, configs/bench/{box,organ,storm_box}.yaml,
// each a complete scenario for a cube of 100 voxels. The suite applies its
// own parameters on top (bench_problem.hpp): precision and species count as
// --set overrides, so that each case is validated like any scenario (the
// species count keeps the first N species of the file, which lists 16 of
// them, each with its own diffusivity and decay), then a resize to the
// case's grid that scales every shape with the side and keeps the voxel. So
// the problems are data, reviewed and checked like the shipped scenarios,
// while which cases run (sizes, species counts, precisions; the organ and the
// storm box at the largest size) stays the suite's, set by its options.
//
// Files: bench_options.cpp (the command line), bench_problem.cpp (the
// problem files), bench_measure.cpp (timing), bench_report.cpp (JSON and
// table), this file (the plan).
#include "benchmarks/bench_suite.hpp"

#include <algorithm>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "benchmarks/bench_common.hpp"
#include "benchmarks/bench_measure.hpp"
#include "benchmarks/bench_problem.hpp"
#include "benchmarks/bench_report.hpp"
#include "host/backends/backend.hpp"
#include "host/core/atomic_file.hpp"
#include "host/core/build_info.hpp"
#include "host/core/error.hpp"
#include "host/core/trace.hpp"

namespace cyto::bench {
namespace {

constexpr double kGiB = double(std::size_t(1) << 30);
// A resized sphere keeps at least this radius, so that a source ball on the
// smallest grids (--sizes 8) still covers voxel centres.
constexpr double kMinSphereRadiusVoxels = 1.5;

// Bytes a case needs in the backend's memory: two buffers per field and
// the material map (the GPU also holds the runs, small next to these), and
// on the CPU the staging field and the discretisation's own material map.
double case_bytes(int n, int fields, Precision p, bool gpu) {
  const double padded = double(make_grid_layout(n, n, n).size);
  const double real = double(real_bytes(p));
  if (gpu) return padded * (2.0 * fields * real + sizeof(MaterialId)) * 1.05 + 256.0 * (1 << 20);
  return padded * (2.0 * fields * real + real + 2.0 * sizeof(MaterialId)) + double(n) * n * n * 2.0;
}

// A case of box.yaml or organ.yaml: the first `species` species of the file.
CaseParameters box_case(int n, Precision p, int species) {
  return {n, p, species, {}, kMinSphereRadiusVoxels};
}
// A case of storm_box.yaml: its own species.
CaseParameters storm_case(int n, Precision p) { return {n, p, std::nullopt, {}, kMinSphereRadiusVoxels}; }

// The suite's three problems, read (and validated) before anything is measured.
struct Problems {
  BenchProblem box, organ, storm_box;
};

class Suite {
 public:
  Suite(const SuiteOptions& o, std::FILE* table)
      : o_(o),
        table_(table),
        problems_{load_bench_problem("box", o.problems), load_bench_problem("organ", o.problems),
                  load_bench_problem("storm_box", o.problems)} {}

  nlohmann::json run() {
    check_cases();
    doc_ = {{"tool", "cytostorm bench"},
            {"complete", false},
            {"build", build_info_json()},
            {"date", iso_utc_now()},
            {"host", host_name()},
            {"options", options_json(o_)},
            {"bytes_per_step_formula", kBytesFormula},
            {"skipped_backends", nlohmann::json::array()},
            {"backends", nlohmann::json::array()}};
    save();  // fails early (before minutes of measuring) where the file cannot be written

    bool cpu = o_.backends == BackendSelection::Cpu || o_.backends == BackendSelection::All;
    if (o_.backends != BackendSelection::Cpu) {
      std::unique_ptr<Backend<float>> probe;
      try {
        probe = make_gpu_backend<float>();
      } catch (const InputError& e) {
        if (o_.backends == BackendSelection::Gpu) throw;
        say("GPU: skipped ({})\n\n", e.detail());
        doc_["skipped_backends"].push_back({{"backend", "gpu"}, {"reason", e.detail()}});
        cpu = true;  // auto falls back to the CPU
      }
      if (probe) run_backend(true, std::move(probe));
    }
    if (cpu) run_backend(false, make_cpu_backend<float>(o_.threads));
    doc_["complete"] = true;
    save();
    return doc_;
  }

 private:
  template <class... Args>
  void say(fmt::format_string<Args...> format, Args&&... args) {
    if (!table_) return;
    fmt::print(table_, format, std::forward<Args>(args)...);
    std::fflush(table_);
  }

  void save() {
    if (!o_.output.empty()) write_file_atomically(o_.output, doc_.dump(2) + "\n");
  }

  // The organ: at the largest size, 4 float species where the lists allow,
  // so that its dense-box counterpart is one of the cases.
  int organ_species() const {
    return std::count(o_.species.begin(), o_.species.end(), 4) ? 4 : o_.species.back();
  }
  Precision organ_precision() const {
    return std::count(o_.precisions.begin(), o_.precisions.end(), Precision::Float) ? Precision::Float
                                                                                    : o_.precisions.front();
  }

  // Every problem takes the options' parameters (InputError otherwise),
  // before anything is measured.
  void check_cases() const {
    const int smallest = std::min(o_.cpu_sizes.front(), o_.gpu_sizes.front());
    case_scenario(problems_.box, box_case(smallest, o_.precisions.front(), o_.species.back()));
    case_scenario(problems_.organ, box_case(smallest, organ_precision(), organ_species()));
    for (Precision p : o_.precisions) {
      const Scenario storm = case_scenario(problems_.storm_box, storm_case(smallest, p));
      storm_death_rule(storm, problems_.storm_box.file);
    }
  }

  // The whole suite on one backend; `probe` measures the copy and is then released.
  void run_backend(bool gpu, std::unique_ptr<Backend<float>> probe) {
    const TraceRange range(gpu ? "bench gpu" : "bench cpu");
    bench_.emplace(BackendBench{o_, gpu, probe->device_info(), 0, {}});
    const BackendDeviceInfo& device = bench_->device;

    std::size_t copy_bytes = o_.cpu_copy_bytes;
    int reps = o_.cpu_copy_repetitions;
    if (gpu) {
      copy_bytes = o_.gpu_copy_bytes_max;
      if (device.memory_gib > 0)
        copy_bytes = std::min(copy_bytes, std::size_t(device.memory_gib * kGiB / 4) >> 20 << 20);
      reps = o_.gpu_copy_repetitions;
    }
    Stats copy;
    {
      const TraceRange copy_range("copy");
      copy = stats_of(probe->timed_copies(copy_bytes, reps));
    }
    probe.reset();
    bench_->copy_bandwidth = 2.0 * double(copy_bytes) / copy.median;

    const std::size_t index = doc_["backends"].size();
    doc_["backends"].push_back({{"backend", gpu ? "gpu" : "cpu"},
                                {"device", device_info_json(device)},
                                {"copy_bytes", copy_bytes},
                                {"copy_repetitions", reps},
                                {"copy_seconds_median", copy.median},
                                {"copy_bandwidth_bytes_per_s", bench_->copy_bandwidth},
                                {"skipped_cases", nlohmann::json::array()},
                                {"cases", nlohmann::json::array()}});
    backend_ = &doc_["backends"][index];
    save();
    say("{}", table_heading(gpu, device, copy_bytes, reps, bench_->copy_bandwidth));

    // The organ and the storm box (in every precision) at the largest size.
    const std::vector<int>& sizes = gpu ? o_.gpu_sizes : o_.cpu_sizes;
    for (int n : sizes) {
      std::optional<Domain> domain;
      for (Precision p : o_.precisions)
        for (int species : o_.species) run_case(domain, problems_.box, kBox, box_case(n, p, species));
      if (n == sizes.back()) {
        domain.reset();
        run_case(domain, problems_.organ, kOrgan, box_case(n, organ_precision(), organ_species()));
        domain.reset();
        for (Precision p : o_.precisions) run_storm_case(domain, n, p);
      }
    }
    say("\n");
  }

  // Skips (with a printed and recorded reason) a case that would not fit:
  // `backends` of them with `fields` fields each at once.
  bool fits(int n, int fields, Precision p, const std::string& kind, const std::string& label,
            int backends = 1) {
    const BackendDeviceInfo& device = bench_->device;
    const bool gpu = bench_->gpu;
    const double needed = backends * case_bytes(n, fields, p, gpu);
    const double available = device.memory_gib * kGiB * (gpu ? 0.9 : 0.8);
    if (device.memory_gib <= 0 || needed <= available) return true;
    const std::string reason =
        fmt::format("needs about {:.1f} GiB, more than the {:.1f} GiB usable of the {}'s {:.1f} GiB",
                    needed / kGiB, available / kGiB, gpu ? "GPU" : "machine", device.memory_gib);
    say("{}", table_skipped_row(gpu, p, n, fields, kind, reason));
    (*backend_)["skipped_cases"].push_back({{"case", label}, {"reason", reason}});
    save();
    return false;
  }

  // A dense box or the organ: `domain` is made on the first case of its grid that fits.
  void run_case(std::optional<Domain>& domain, const BenchProblem& problem, const char* kind,
                const CaseParameters& parameters) {
    const int n = parameters.voxels_per_side;
    const int species = *parameters.species;
    const Precision p = *parameters.precision;
    if (!fits(n, species, p, kind, case_label(n, species, p, kind))) return;
    const Scenario s = case_scenario(problem, parameters);
    if (!domain) {
      const TraceRange range("discretise");
      domain = make_domain(s, n, kind, problem.file);
    }
    nlohmann::json result = case_json(*bench_, *domain, p, measure_transport(*bench_, *domain, s));
    if (domain->organ()) compare_with_box(result, (*backend_)["cases"]);
    say("{}", table_row(bench_->gpu, result));
    (*backend_)["cases"].push_back(std::move(result));
    save();
  }

  // The storm box in one precision: two cases, transport only and with the model.
  void run_storm_case(std::optional<Domain>& domain, int n, Precision p) {
    const Scenario s = case_scenario(problems_.storm_box, storm_case(n, p));
    const int fields = field_count(s);
    // Both backends hold their fields at once.
    if (!fits(n, fields, p, kStormBox,
              fmt::format("{}^3 {} x {} {}", n, fields, precision_label(p), kStormBox), 2))
      return;
    if (!domain) {
      const TraceRange range("discretise storm box");
      domain = make_domain(s, n, kStormBox, problems_.storm_box.file);
    }
    std::array<nlohmann::json, 2> results =
        storm_cases_json(*bench_, *domain, p, measure_storm(*bench_, *domain, s));
    for (nlohmann::json& result : results) {
      say("{}", table_row(bench_->gpu, result));
      (*backend_)["cases"].push_back(std::move(result));
    }
    save();
  }

  const SuiteOptions& o_;
  std::FILE* table_;
  const Problems problems_;
  nlohmann::json doc_;
  nlohmann::json* backend_ = nullptr;  // this backend's entry in doc_["backends"]
  std::optional<BackendBench> bench_;  // this backend's device and copies
};

}  // namespace

nlohmann::json run_suite(const SuiteOptions& options, std::FILE* table) {
  return Suite(options, table).run();
}

}  // namespace cyto::bench
