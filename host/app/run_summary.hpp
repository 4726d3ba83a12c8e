// What a run reports: the first log lines, summary.json while it runs, when
// it fails and when it ends, and the last log lines. Internal to host/app.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "host/app/restart.hpp"
#include "host/app/run_context.hpp"
#include "host/app/run_observers.hpp"
#include "host/app/validation.hpp"
#include "host/solver/step_control.hpp"

namespace cyto {

// The lines that open a run's log: version, scenario, backend, grid, the
// steps to be taken and outputs; whether the grid resolves each death
// rule's fronts; the blocks of an MPI run.
template <class Real>
void log_run_start(const RunContext& run, const Simulation<Real>& sim, const ValidatedRun& validated);

// summary.json until the run ends: a killed run is never taken for a finished one.
void write_running_summary(const RunContext& run);
// summary.json of a run that failed (RuntimeFailure): what and where, and the
// newest checkpoint to go on from.
void write_failed_summary(const RunContext& run, const std::string& error, std::int64_t step, double time_s,
                          const std::string& last_checkpoint);

// How a run ended, and the wall-clock figures that summary.json reports.
struct RunEnd {
  std::string stop_reason;  // empty: finished
  double wall_seconds = 0;  // this run's, set-up included
  double loop_seconds = 0;  // from the first output to the end
  double stall_seconds = 0;
  double steps_per_second = 0;  // while stepping
  double background_seconds = 0;
  StepControlRecord step_control;  // dt: auto's error control
};

// The summary of a run that ended (finished or stopped), written to
// summary.json by rank 0; collective (the ranks' halo timings are gathered).
template <class Real>
nlohmann::json summarise_run(const RunContext& run, const Simulation<Real>& sim, const RunEnd& end,
                             const ValidatedRun& validated, const RunTimings& timings,
                             const OutputRecorder<Real>& outputs, const CheckpointRecorder<Real>& checkpoints,
                             const Restart<Real>* restart);

// The closing lines: where a stopped run left its checkpoint and how to go
// on; or a finished run's speed, totals and outputs (collective).
template <class Real>
void log_run_end(const RunContext& run, const Simulation<Real>& sim, const RunEnd& end,
                 const OutputRecorder<Real>& outputs, const CheckpointRecorder<Real>& checkpoints);

}  // namespace cyto
