// `cytostorm bench`: the benchmark suite. A fixed set of cases (dense boxes of
// several sizes, species counts and precisions, plus one irregular organ and
// the storm box: a representative cell model against the same box transport
// only) runs on each backend next to a plain copy measured in the same run,
// and is reported as a table and as JSON (schema: run_suite). The problems
// are scenario files under configs/bench/ (bench_problem.hpp); the suite
// decides which cases to make of them.
#pragma once

#include <cstddef>
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "host/scenario/scenario.hpp"

namespace cyto::bench {

// The options as typed on the command line; an empty list means the default.
struct BenchArgs {
  std::string backend = "all";  // auto | cpu | gpu | all
  bool backend_given = false;   // --backend was typed (--quick then keeps it)
  std::string sizes;            // "128,256,512": voxels per axis, for every backend
  std::string species;          // "1,4,8"
  std::string precision;        // float | double | all | float,double
  int steps = 0;                // timed steps per case; 0 = about target_seconds' worth
  int threads = 0;              // CPU threads; 0 = OpenMP's default
  std::string output = "cytostorm-bench.json";
  bool quick = false;    // for tests and CI: CPU only (unless --backend is typed), sizes 32 and 48, few steps
  std::string problems;  // directory of the problem files; empty = the copies of configs/bench built in
};

enum class BackendSelection {
  Auto,  // the GPU where one answers, else the CPU
  Cpu,
  Gpu,  // no GPU is an error
  All,  // the GPU where one answers (else a printed skip), then the CPU
};

// The resolved suite.
struct SuiteOptions {
  BackendSelection backends = BackendSelection::All;
  std::vector<int> gpu_sizes{128, 256, 512};
  std::vector<int> cpu_sizes{64, 128};
  std::vector<int> species{1, 4, 8};
  std::vector<Precision> precisions{Precision::Float, Precision::Double};
  int steps = 0;  // timed steps per case; 0 = automatic (target_seconds, within min/max below)
  int threads = 0;
  bool quick = false;
  std::string output;           // JSON path; empty = no file
  std::string problems;         // directory of box.yaml, organ.yaml, storm_box.yaml; empty = built in
  double target_seconds = 0.5;  // timed seconds per case when steps = 0
  int cpu_min_steps = 10, cpu_max_steps = 1000;
  int gpu_min_steps = 50, gpu_max_steps = 2000;
  int warmup_steps = 3;
  std::size_t cpu_copy_bytes = std::size_t(512) << 20;    // per buffer
  std::size_t gpu_copy_bytes_max = std::size_t(2) << 30;  // per buffer; at most a quarter of the device
  int cpu_copy_repetitions = 5;
  int gpu_copy_repetitions = 20;
  int same_bytes_copy_repetitions = 10;
};

// Validates and resolves the command line; InputError (exit code 2) for a bad value.
SuiteOptions resolve_options(const BenchArgs& args);

// Runs the suite, prints its table to `table` (may be null) and, where
// options.output is set, rewrites that JSON file atomically when the suite
// starts and after every case (so an interrupted run keeps what it measured).
// Returns the document:
//   {tool, complete, build{...}, date, host, options{...}, skipped_backends[{backend, reason}],
//    backends[{backend, device{...}, copy_bytes, copy_repetitions, copy_seconds_median,
//              copy_bandwidth_bytes_per_s, skipped_cases[{case, reason}], cases[{case_keys()...}]}]}
// Cases, per backend: for each size, a dense box ("domain": "box", from
// configs/bench/box.yaml) per precision and species count; at the largest
// size the organ ("organ", organ.yaml, 4 float species where the lists allow)
// and, per precision, the storm box ("storm-box", storm_box.yaml): a dense
// box with 5 species and 2 cell populations (7 fields) timed twice in the
// same run, interleaved, as "model": "none" (transport only) and "model":
// "storm" (6 rules: 4 secretions with Hill factors, a Michaelis-Menten
// uptake, a deterministic death rule with a burst, active where IL1b is high
// in part of the box). Its species count is fixed (the --species list does
// not apply). Every case names its "problem" file. In every case "fields" is the number of
// transported fields (= species, + populations in the storm box),
// updates_per_s counts voxel-field updates and voxel_updates_per_s voxels.
// InputError where BackendSelection::Gpu was asked for and no GPU can run,
// and (before any measurement) where a problem file is not valid.
nlohmann::json run_suite(const SuiteOptions& options, std::FILE* table);

// Keys every case object has ("problem": the problem file, as
// configs/bench/box.yaml or DIR/box.yaml); the organ case has organ_case_keys() as well,
// both storm-box cases storm_case_keys(), and the storm-box case with the
// model ("model": "storm") storm_model_case_keys() too:
//   model                              "none" (transport only) or "storm"
//   populations, rules                 cell populations carried; rules applied (0 without the model)
//   transport_seconds_per_step_median  of the transport-only case of the same run
//   model_cost_vs_transport            t_model / t_transport (medians); _min: of the minima
//   death_active_fraction_start, _end  share of tissue voxels at or above the death
//                                      threshold before warm-up and after the timed steps
// and, on the CPU backend only, both storm-box cases cpu_seconds_per_step
// (process CPU time, all threads) and the model case
// model_cost_vs_transport_cpu_time: their ratio, which other processes on the
// cores bias less than the wall-time ratio.
const std::vector<std::string>& case_keys();
const std::vector<std::string>& organ_case_keys();
const std::vector<std::string>& storm_case_keys();
const std::vector<std::string>& storm_model_case_keys();

}  // namespace cyto::bench
