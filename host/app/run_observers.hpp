// What watches a run's time loop: the outputs it records at output times
// (time series, snapshots), the checkpoints it writes (periodic, at a stop,
// at the end), and the reasons it stops early (a signal, --stop-at-step,
// --walltime). Internal to host/app.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "host/app/restart.hpp"
#include "host/app/run_context.hpp"
#include "host/io/background_writer.hpp"
#include "host/io/checkpoint.hpp"
#include "host/io/output.hpp"
#include "host/solver/blowup_guard.hpp"
#include "host/solver/simulation.hpp"

namespace cyto {

// The time series and the snapshots, and the time series flattened as
// checkpoints store it (kept up to date, not rebuilt). With several ranks
// every rank writes its block of each snapshot (parallel HDF5); rank 0 writes
// the series, the others keep the rows too, unwritten.
template <class Real>
class OutputRecorder {
 public:
  OutputRecorder(const RunContext& run, const Simulation<Real>& sim, const std::vector<std::uint8_t>& labels);

  // The statistics row and (output.snapshots) the snapshot of the current
  // state: the snapshot's fields are copied here and written by `writer`
  // (collectively, on this thread, with several ranks).
  void record(BackgroundWriter& writer, RunTimings& timings);
  // Continues from a checkpoint's rows (`flat`: the checkpoint's flattened
  // series, of which the first rows.size() rows stand). Returns how many of
  // their snapshots are missing from the output directory.
  int resume(std::vector<TimeSeriesRow> rows, const std::vector<double>& flat);
  // Rewrites the index files (time series; XDMF) if rows or snapshots were added since.
  void flush();
  // The time series alone: after a failure, which the snapshot writer may be part of.
  void flush_series();

  // A row of this run, for the sizes of rows to rebuild, and its flattened width.
  const TimeSeriesRow& shape() const { return shape_; }
  std::int64_t row_width() const { return row_width_; }
  const std::vector<TimeSeriesRow>& rows() const { return series_.rows(); }
  const std::vector<double>& flat_rows() const { return flat_rows_; }
  std::string xdmf_path() const { return snapshots_ ? snapshots_->xdmf_path() : ""; }
  bool snapshots() const { return snapshots_.has_value(); }

 private:
  const RunContext& run_;
  const Simulation<Real>& sim_;
  std::optional<SnapshotWriter> snapshots_;
  TimeSeriesWriter series_;
  std::vector<FieldView> snapshot_fields_;  // names and precision; the data comes with each snapshot
  TimeSeriesRow shape_;
  std::int64_t row_width_ = 0;
  std::vector<double> flat_rows_;
};

// Checkpoints, written by the background writer from a copy of the state
// (collectively, on this thread, with several ranks), and what --walltime
// needs to know of them: how long the slowest took.
template <class Real>
class CheckpointRecorder {
 public:
  // `restart`: the checkpoint this run continued from, if any (it counts as
  // the last one written).
  CheckpointRecorder(const RunContext& run, const Simulation<Real>& sim,
                     const std::vector<std::uint8_t>& labels, std::vector<std::string> field_names,
                     double max_dt, const Restart<Real>* restart);

  // Writes a checkpoint of the current state at `at` (after a guard check)
  // unless one was written at this step; `why` is logged ("periodic" only
  // with progress lines).
  void write(const RunPosition& at, const std::string& why, const OutputRecorder<Real>& outputs,
             BackgroundWriter& writer, BlowUpGuard<Real>& guard, RunTimings& timings);
  // Whether checkpoint.wall seconds have passed since the last checkpoint.
  bool wall_due(RunClock::time_point now) const;
  // Whether a periodic checkpoint is due after this step: every
  // checkpoint.steps steps, every checkpoint.interval of simulated time, or
  // `wall_time_due` (wall_due as the ranks decided it together).
  bool due(bool wall_time_due);
  // Whether the run writes a checkpoint at its end (checkpoint.* set).
  bool periodic() const { return periodic_; }

  // Seconds of the slowest checkpoint written so far (none yet: nullopt).
  std::optional<double> slowest_write() const;
  // The writes' seconds, once the writer is drained.
  const std::vector<double>& write_seconds() const { return write_seconds_; }
  double state_bytes() const { return state_bytes_; }
  int written() const { return written_; }
  const std::string& last_path() const { return last_path_; }

 private:
  void submit(std::shared_ptr<Checkpoint<Real>> c, const std::string& path, BackgroundWriter& writer);
  void write_collective(Checkpoint<Real>& c, const std::string& path);
  void count_written(const std::string& path, const std::string& why, const char* by);

  const RunContext& run_;
  const Simulation<Real>& sim_;
  const std::vector<std::uint8_t>& labels_;
  const std::vector<std::string> field_names_;
  const double max_dt_;
  const std::string build_;
  const bool periodic_;
  double state_bytes_ = 0;
  std::int64_t last_step_;
  RunClock::time_point last_wall_;
  std::string last_path_;
  int written_ = 0;
  double next_time_ = 0;  // simulated time of the next checkpoint.interval checkpoint
  // Measured by the writer's thread.
  mutable std::mutex timing_mutex_;
  std::vector<double> write_seconds_;
};

// The reasons to stop before the end: a stop signal, --stop-at-step, or
// --walltime, which stops in time to write a checkpoint (its cost estimated
// from a probe write until a checkpoint has been timed) and leave a margin
// of the longest step.
class StopConditions {
 public:
  StopConditions(const RunContext& run, double state_bytes);

  // The loop starts (the clock of the longest step starts over).
  void start(RunClock::time_point now) { last_step_end_ = now; }
  // After each step: why the run stops now, or "" to go on.
  std::string after_step(std::int64_t steps, RunClock::time_point now,
                         const std::optional<double>& slowest_checkpoint);

 private:
  double checkpoint_estimate(const std::optional<double>& slowest_checkpoint) const;

  const RunOptions& options_;
  double probe_seconds_ = 0;
  double longest_step_ = 0;
  RunClock::time_point last_step_end_ = RunClock::now();
};

}  // namespace cyto
