// Timing of the suite's cases on one backend: a case's steps after a short
// warm-up, the copies it is compared with, and for the storm box the same
// transport with and without the cell model, timed in alternating rounds.
// The figures come back as plain numbers (CaseTiming, StormTiming); the
// report (bench_report.hpp) turns them into the results' JSON.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "benchmarks/bench_suite.hpp"
#include "host/backends/backend.hpp"
#include "host/geometry/geometry.hpp"
#include "host/model/discretisation.hpp"
#include "host/scenario/scenario.hpp"

namespace cyto::bench {

// The "domain" of a case in the results.
inline constexpr const char* kBox = "box";
inline constexpr const char* kOrgan = "organ";
inline constexpr const char* kStormBox = "storm-box";

const char* precision_label(Precision p);
std::size_t real_bytes(Precision p);

struct Stats {
  double median = 0, min = 0, p90 = 0, mean = 0;
};
Stats stats_of(std::vector<double> v);

// CPU time of this process, all threads.
double process_cpu_seconds();

// The geometry of one grid, discretised once and shared by its cases (the
// material map depends on neither the species count nor the precision).
struct Domain {
  int n = 0;
  std::string kind;     // kBox, kOrgan or kStormBox
  std::string problem;  // the problem file it came from
  std::int64_t tissue_voxels = 0;
  Discretisation disc;
  TissueMap tissues;  // the storm box only: its initial values are painted on it
  bool organ() const { return kind == kOrgan; }
};

// The domain of `scenario` (a case of `problem`, resized to n voxels a side).
Domain make_domain(const Scenario& scenario, int n, const std::string& kind, const std::string& problem);

// What the cases of one backend are measured against: its device, the
// bandwidth of a large copy, and copies of each case's field bytes.
struct BackendBench {
  const SuiteOptions& options;
  bool gpu = false;
  BackendDeviceInfo device;
  double copy_bandwidth = 0;                        // bytes read + written per second
  std::map<std::size_t, double> same_bytes_copies;  // bandwidth by bytes, measured once per size

  // Timed steps for about target_seconds, from the fastest warm-up step.
  int timed_step_count(const std::vector<double>& warmup) const;
};

// One timed case.
struct CaseTiming {
  std::string label;  // "64^3 4 x float box"
  int species = 0;
  int fields = 0;  // transported fields: species, + populations in the storm box
  int steps = 0;
  Stats seconds_per_step;
  std::size_t field_bytes = 0;      // one buffer of every field, the same-bytes copy's size
  double same_bytes_bandwidth = 0;  // of that copy
  std::string launch;               // the GPU's plan for this grid
};

// The storm box: the same transport without ([0]) and with ([1]) the model.
struct StormTiming {
  CaseTiming transport, model;
  int populations = 0;
  int rules = 0;
  double cpu_seconds[2] = {0, 0};  // process CPU time of each one's rounds (all threads)
  double death_active_fraction_start = 0, death_active_fraction_end = 0;
};

// A dense-box or organ case: `scenario`'s coefficients on varied field values.
CaseTiming measure_transport(BackendBench& bench, const Domain& domain, const Scenario& scenario);

// The storm box's death rule, whose active share it reports; InputError at
// the problem file where it has none.
const Rule& storm_death_rule(const Scenario& scenario, const std::string& problem);

// The storm-box case pair.
StormTiming measure_storm(BackendBench& bench, const Domain& domain, const Scenario& scenario);

// "64^3 4 x float box"
std::string case_label(int n, int species, Precision p, const std::string& kind);
// "64^3 5+2 x float storm-box model" (species + populations; model or transport).
std::string storm_label(int n, const Scenario& s, bool model);

}  // namespace cyto::bench
