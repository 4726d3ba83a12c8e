// What the parts of a run share: the scenario and options, the ranks and
// which of them reports, the run's clock, and the wall-time accounting that
// ends up in summary.json. Internal to host/app.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "host/app/run.hpp"
#include "host/model/cell_model.hpp"
#include "host/parallel/parallel.hpp"

namespace cyto {

using RunClock = std::chrono::steady_clock;

double seconds_between(RunClock::time_point a, RunClock::time_point b);

// Wall seconds between rewrites of the growing index files (time series, XDMF).
inline constexpr double kIndexRewriteInterval = 10.0;

// With MPI every rank runs: the stepping, reductions, guard scans and stop
// decisions are collective; rank 0 alone logs and writes the files (fields
// are gathered to it).
struct RunContext {
  RunContext(const Scenario& scenario, const RunOptions& options);

  const Scenario& scenario;
  const par::Comm comm;
  const bool root;
  // Other ranks log nowhere: one report per run.
  const std::unique_ptr<std::FILE, int (*)(std::FILE*)> quiet;
  const RunOptions options;  // as given, but logging to `quiet` on ranks other than 0
  std::FILE* const log;
  const std::string& directory;           // the output directory
  const RunClock::time_point wall_start;  // the run's wall time counts from here
  const std::string hash;                 // scenario_hash
};

// Wall seconds the run spent, as summary.json reports them.
struct RunTimings {
  double wall_before = 0;       // the runs before this restart, together
  double stepping_seconds = 0;  // inside Simulation::advance
  double copy_seconds = 0;      // stepping stood still while data was copied for (or written by) a writer
  RunClock::time_point loop_start;
};

// Checkpoint dataset names of the fields, in FieldLayout order.
std::vector<std::string> checkpoint_field_names(const Scenario& scenario, const FieldLayout& layout);
// The fields as users know them, in FieldLayout order: "TNF", "hepatocytes", "TNF (secreted)".
std::vector<std::string> display_field_names(const Scenario& scenario, const FieldLayout& layout);

}  // namespace cyto
