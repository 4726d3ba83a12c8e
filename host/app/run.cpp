// A run from its validation to its summary: set-up (output directory,
// restart, simulation), the time loop over the schedule of output times with
// its observers, and the end. With MPI every rank runs this.
#include "host/app/run.hpp"

#include <omp.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <regex>

#include <fmt/format.h>

#include "host/app/earlier_run.hpp"
#include "host/app/restart.hpp"
#include "host/app/run_context.hpp"
#include "host/app/run_observers.hpp"
#include "host/app/run_summary.hpp"
#include "host/app/stop_signals.hpp"
#include "host/app/validation.hpp"
#include "host/core/atomic_file.hpp"
#include "host/core/trace.hpp"
#include "host/io/output_directory.hpp"
#include "host/solver/step_control.hpp"

namespace cyto {

namespace {

// The run owns its output directory from here to its end: rank 0 holds the
// lock, and every rank refuses alike when another run holds it. What the
// directory held before (`earlier`, rank 0) is read first: once this run
// holds the lock, an earlier run's "running" summary can no longer be told
// from this one's.
std::unique_ptr<DirectoryLock> lock_output_directory(const RunContext& run, EarlierRun& earlier) {
  std::unique_ptr<DirectoryLock> lock;
  std::string refusal;
  if (run.root) {
    earlier = inspect_earlier_run(run.directory);
    try {
      lock = std::make_unique<DirectoryLock>(run.directory, run.log);
    } catch (const InputError& e) {
      refusal = e.detail();
    }
  }
  run.comm.broadcast(refusal);
  if (!refusal.empty()) throw InputError(SourceLocation{run.directory, 0, 0, ""}, refusal);
  return lock;
}

// A run from t = 0 starts in a directory without an earlier run's
// checkpoints (InputError: they are continued with --restart), and with
// the earlier run's outputs moved aside (never deleted); a restart sets
// aside the checkpoints past its own. Either removes the temporaries of
// killed writers. Returns where the earlier outputs went.
MovedAside prepare_output_directory(const RunContext& run, const std::optional<std::int64_t>& restart_step,
                                    const EarlierRun& earlier_run) {
  const std::string& directory = run.directory;
  if (run.root && earlier_run.state == EarlierRun::State::Killed)
    fmt::print(run.log, "note: the earlier run in {} was killed{}: its summary.json said \"{}\"{}\n",
               directory, earlier_run.process.empty() ? "" : " (" + earlier_run.process + ")",
               earlier_run.status, restart_step ? "; this run continues it" : "");
  if (run.root) {
    int other_hosts = 0;
    if (const int removed = remove_dead_temporaries(directory, &other_hosts))
      fmt::print(run.log, "removed {} temporary file{} of killed writers from {}\n", removed,
                 removed == 1 ? "" : "s", directory);
    if (other_hosts > 0)
      fmt::print(run.log,
                 "note: {} temporary file{} in {} {} written on another host, where this run cannot tell "
                 "whether {} writer still runs: left in place\n",
                 other_hosts, other_hosts == 1 ? "" : "s", directory, other_hosts == 1 ? "was" : "were",
                 other_hosts == 1 ? "its" : "their");
  }
  if (restart_step) {
    if (run.root) set_aside_later_checkpoints(directory, *restart_step, run.log);
    return {};
  }
  const std::vector<CheckpointFile> earlier = list_checkpoints(directory);
  if (!earlier.empty())
    throw InputError(SourceLocation{directory, 0, 0, ""},
                     fmt::format("the output directory holds {} checkpoint{} of an earlier run (newest {}): "
                                 "continue it with --restart latest, or remove them (or choose another "
                                 "--output) to start again from t = 0",
                                 earlier.size(), earlier.size() == 1 ? "" : "s", earlier.front().path));
  run.comm.barrier();  // every rank has looked for checkpoints before rank 0 moves outputs
  MovedAside moved;
  if (run.root) {
    moved = move_aside_previous_outputs(directory);
    if (moved.files > 0)
      fmt::print(run.log, "moved {} output file{} of an earlier run to {}/\n", moved.files,
                 moved.files == 1 ? "" : "s", moved.folder);
  }
  return moved;
}

// Fault injection for the tests of the failure paths: with
// CYTOSTORM_FAULT_NAN_AFTER_STEP=N the first tissue voxel of the first field
// becomes NaN after step N, as a hardware fault or a defect would make it.
// No valid scenario blows up by itself (the ranges are checked before the
// run and stiff rules take the exponential step), yet the guard's stop,
// diagnostic file and last good checkpoint must be tested end to end.
// One rank only.
constexpr const char* kFaultNanVariable = "CYTOSTORM_FAULT_NAN_AFTER_STEP";

std::optional<std::int64_t> fault_nan_after_step(const par::Comm& comm) {
  const char* text = std::getenv(kFaultNanVariable);
  if (text == nullptr || *text == '\0') return std::nullopt;
  const SourceLocation where{kFaultNanVariable, 0, 0, ""};
  char* end = nullptr;
  errno = 0;
  const long long step = std::strtoll(text, &end, 10);
  if (errno != 0 || *end != '\0' || step < 1)
    throw InputError(where, fmt::format("expected a step number of at least 1, found \"{}\"", text));
  if (comm.parallel()) throw InputError(where, "fault injection works with one rank only");
  return step;
}

template <class Real>
void make_first_tissue_value_nan(Simulation<Real>& sim) {
  std::vector<double> values = sim.field(0);
  const auto& tissue = sim.tissues().tissue;
  for (std::size_t i = 0; i < values.size(); ++i)
    if (tissue[i] != 0) {
      values[i] = std::numeric_limits<double>::quiet_NaN();
      break;
    }
  sim.set_field(0, values);
}

// The time loop: segments of equal steps from one output time to the next
// (RunPosition), the observers after every step and at every output time,
// and the checkpoint at a stop or at the end.
template <class Real>
class TimeLoop {
 public:
  TimeLoop(const RunContext& run, Simulation<Real>& sim, const ValidatedRun& plan, RunPosition position,
           RunTimings& timings, OutputRecorder<Real>& outputs, CheckpointRecorder<Real>& checkpoints,
           BackgroundWriter& writer, BlowUpGuard<Real>& guard, StepControlRecord& control)
      : run_(run),
        sim_(sim),
        times_(plan.output_times),
        max_dt_(sim.time_plan().max_dt),
        position_(position),
        timings_(timings),
        outputs_(outputs),
        checkpoints_(checkpoints),
        writer_(writer),
        guard_(guard),
        fault_nan_step_(fault_nan_after_step(run.comm)),
        stops_(run, checkpoints.state_bytes()),
        control_(control),
        // With dt: auto the step count is not known ahead: progress by simulated time.
        progress_(run.log, run.scenario.output.progress_interval, plan.plan.adaptive ? 0 : plan.total_steps,
                  run.scenario.time.end, sim.tissues().tissue_voxels, run.options.progress, sim.steps(),
                  sim.time()) {}

  // Runs to the end of the schedule or to a stop; the reason of the stop, or "" at the end.
  std::string run(bool fresh) {
    if (fresh) {
      record_outputs();
      start_schedule();
    }
    stops_.start(RunClock::now());
    while (!finished()) {
      const auto t0 = RunClock::now();
      const bool reached = sim_.advance(segment(), [this] { return after_step(); });
      timings_.stepping_seconds += seconds_between(t0, RunClock::now());
      position_.time = sim_.time();
      position_.step = sim_.steps();
      if (reached) {
        if (at_output_time()) record_outputs();
        next_segment();
      }
      if (!stop_reason_.empty()) break;
    }
    if (finished()) stop_reason_.clear();  // finished after all
    if (!stop_reason_.empty() || checkpoints_.periodic())
      checkpoints_.write(position_, stop_reason_.empty() ? "end of run" : stop_reason_, outputs_, writer_,
                         guard_, timings_);
    writer_.drain();
    if (stop_reason_.empty()) progress_.finish(sim_.steps(), sim_.time());
    return stop_reason_;
  }

 private:
  bool finished() const { return std::size_t(position_.next_output) >= times_.size(); }
  // A segment ends at the next output time, or (dt: auto) at a stretch's end before it.
  bool at_output_time() const { return sim_.time() == times_[std::size_t(position_.next_output)]; }

  typename Simulation<Real>::Segment segment() const {
    return {position_.segment_start_time, position_.segment_start_step, position_.segment_end_time,
            position_.segment_steps};
  }

  // From t = 0 (its output written) to the first output time after it.
  void start_schedule() {
    position_.next_output = 1;
    position_.segment_start_time = 0;
    position_.segment_start_step = 0;
    plan_segment();
  }

  // A segment's end reached (and, at an output time, its outputs written): the next segment.
  void next_segment() {
    if (at_output_time()) ++position_.next_output;
    position_.segment_start_time = sim_.time();
    position_.segment_start_step = sim_.steps();
    if (!finished()) {
      plan_segment();
    } else {
      position_.segment_end_time = sim_.time();
      position_.segment_steps = 0;
    }
  }

  // The steps from the current time towards the next output time: one
  // segment of steps of at most max_dt to it; or, with dt: auto, a stretch
  // of the steps the error control chooses (the rest of the way to the
  // output where that is at most 1.5 stretches).
  void plan_segment() {
    const double t = sim_.time(), t_output = times_[std::size_t(position_.next_output)];
    const TimePlan& plan = sim_.time_plan();
    if (!plan.adaptive) {
      position_.segment_end_time = t_output;
      position_.segment_steps = steps_between(t, t_output, max_dt_);
      return;
    }
    const double local_target = kLocalErrorShare * run_.scenario.time.tolerance;
    const StretchStep step = choose_stretch_step(sim_, position_.next_dt > 0 ? position_.next_dt : max_dt_,
                                                 local_target, plan.adaptive_max_dt);
    control_.record(step);
    if (step.at_floor && control_.floor_stretches == 1)
      fmt::print(
          run_.log,
          "warning: at t = {} the error control reached its smallest step ({} s) with the error "
          "estimate {:.3g} above its target {:.3g} (time.tolerance x {}) ({}); going on at that step\n",
          format_sim_time(t), kMinAdaptiveDt, step.error.relative, local_target, kLocalErrorShare,
          describe_error_source(run_.scenario, sim_.fields(), step.error));
    position_.next_dt = step.next_guess;
    const std::int64_t to_output = steps_between(t, t_output, step.dt);
    if (to_output <= step.stretch_steps + step.stretch_steps / 2) {
      position_.segment_end_time = t_output;
      position_.segment_steps = to_output;
    } else {
      position_.segment_end_time = t + step.stretch_steps * step.dt;
      position_.segment_steps = step.stretch_steps;
    }
  }

  void record_outputs() {
    TraceRange trace("outputs");
    guard_.check("writing the output");
    outputs_.record(writer_, timings_);
  }

  // After every step: progress, the guard's scan, the reasons to stop and the
  // periodic checkpoints. False stops the segment.
  bool after_step() {
    if (fault_nan_step_ && sim_.steps() == *fault_nan_step_) make_first_tissue_value_nan(sim_);
    progress_.update(sim_.steps(), sim_.time());
    const auto now = RunClock::now();
    if (sim_.steps() % kGuardInterval == 0) guard_.check("the next output");
    stop_reason_ = stops_.after_step(sim_.steps(), now,
                                     run_.options.walltime_s ? checkpoints_.slowest_write() : std::nullopt);
    bool wall_due = checkpoints_.wall_due(now);
    if (run_.comm.parallel()) {
      // Signals reach ranks at different moments and clocks differ: all ranks
      // stop (or checkpoint) at the same step when any of them would.
      std::int64_t flags[2] = {stop_reason_.empty() ? 0 : 1, wall_due ? 1 : 0};
      run_.comm.sum(flags, 2);
      if (flags[0] > 0 && stop_reason_.empty())
        stop_reason_ = "another rank stopped the run (signal or --walltime)";
      wall_due = flags[1] > 0;
    }
    if (!stop_reason_.empty()) return false;
    if (checkpoints_.due(wall_due)) {
      RunPosition at = position_;
      at.time = sim_.time();
      at.step = sim_.steps();
      checkpoints_.write(at, "periodic", outputs_, writer_, guard_, timings_);
    }
    return true;
  }

  const RunContext& run_;
  Simulation<Real>& sim_;
  const std::vector<double>& times_;
  const double max_dt_;
  RunPosition position_;  // the segment of steps being taken and the next output
  RunTimings& timings_;
  OutputRecorder<Real>& outputs_;
  CheckpointRecorder<Real>& checkpoints_;
  BackgroundWriter& writer_;
  BlowUpGuard<Real>& guard_;
  std::optional<std::int64_t> fault_nan_step_;  // CYTOSTORM_FAULT_NAN_AFTER_STEP
  StopConditions stops_;
  StepControlRecord& control_;
  ProgressReporter progress_;
  std::string stop_reason_;
};

// The restart as --restart asks: one process reads the whole checkpoint
// before setting up; several ranks read their blocks, which are known once
// the grid is decomposed (`block`).
template <class Real>
std::optional<Restart<Real>> restart_if_asked(const RunContext& run, const Box* block) {
  if (run.options.restart.empty() || run.comm.parallel() != (block != nullptr)) return std::nullopt;
  return load_restart<Real>(run.scenario, run.options, run.comm, block);
}

template <class Real>
nlohmann::json run_with(const Scenario& s, const RunOptions& options) {
  // From the start: a signal during set-up stops the run after its first step, with a checkpoint.
  const StopSignals signals;
  const RunContext run(s, options);
  ValidatedRun validated = validate_run(s, {options.backend, run.comm.size(), options.decomposition});
  if (run.root) ensure_directory(run.directory);
  EarlierRun earlier;
  const std::unique_ptr<DirectoryLock> lock = lock_output_directory(run, earlier);  // also a barrier
  std::optional<Restart<Real>> restart = restart_if_asked<Real>(run, nullptr);
  Simulation<Real> sim(s, std::move(validated.tissues), make_backend<Real>(options.backend, options.threads),
                       ParallelOptions{run.comm, options.decomposition});
  if (run.comm.parallel()) restart = restart_if_asked<Real>(run, &sim.block());
  const std::vector<std::string> field_names = checkpoint_field_names(s, sim.fields());
  if (restart) {
    check_restart_matches(*restart, sim, field_names);
    verify_restart_outputs(*restart, run.directory, run.comm, run.log);
  }
  log_run_start(run, sim, validated);
  const MovedAside moved =
      prepare_output_directory(run, restart ? std::optional(restart->step()) : std::nullopt, earlier);
  if (run.root) write_running_summary(run);

  const std::vector<std::uint8_t> labels = label_values(s, sim.tissues());
  OutputRecorder<Real> outputs(run, sim, labels);
  RunTimings timings;
  RunPosition position;
  if (restart) {
    Continuation go_on = continue_from(*restart, sim, validated.output_times, validated.plan.max_dt,
                                       outputs.shape(), outputs.row_width());
    timings.wall_before = restart->checkpoint.wall_seconds;
    position = go_on.position;
    const int missing = outputs.resume(std::move(go_on.rows), restart->checkpoint.timeseries);
    log_restart(run.log, *restart, position, missing, run.directory);
  }
  // Before the writer: its jobs use them until it is destroyed.
  CheckpointRecorder<Real> checkpoints(run, sim, labels, field_names, validated.plan.max_dt,
                                       restart ? &*restart : nullptr);
  BackgroundWriter writer;
  // The guard's diagnostic snapshot waits for the writer: one HDF5 writer at a time.
  BlowUpGuard<Real> guard(
      sim, display_field_names(s, sim.fields()), run.directory,
      [&writer] {
        try {
          writer.drain();
        } catch (...) {  // reported by the caller's drain
        }
      },
      // Every checkpoint is written after a clean scan; one whose write failed is not there.
      [&checkpoints] {
        std::error_code ec;
        return std::filesystem::is_regular_file(checkpoints.last_path(), ec) ? checkpoints.last_path()
                                                                             : std::string();
      });
  RunEnd end;
  TimeLoop<Real> loop(run, sim, validated, position, timings, outputs, checkpoints, writer, guard,
                      end.step_control);

  timings.loop_start = RunClock::now();
  try {
    end.stop_reason = loop.run(!restart);
  } catch (const RuntimeFailure& failure) {
    // The queued writes finish (the newest checkpoint is complete); the
    // summary tells a batch script what happened.
    try {
      writer.drain();
    } catch (...) {
    }
    outputs.flush_series();
    if (run.root) write_failed_summary(run, failure.what(), sim.steps(), sim.time(), checkpoints.last_path());
    throw;
  }
  outputs.flush();
  end.loop_seconds = seconds_between(timings.loop_start, RunClock::now());
  end.wall_seconds = seconds_between(run.wall_start, RunClock::now());
  end.stall_seconds = timings.copy_seconds + writer.wait_seconds();
  end.background_seconds = writer.busy_seconds();
  end.steps_per_second =
      timings.stepping_seconds > 0
          ? double(sim.steps() - (restart ? restart->step() : 0)) / timings.stepping_seconds
          : 0;
  nlohmann::json summary =
      summarise_run(run, sim, end, validated, timings, outputs, checkpoints, restart ? &*restart : nullptr);
  if (moved.files > 0) {
    summary["previous_outputs"] = {{"moved_to", moved.folder}, {"files", moved.files}};
    if (run.root) write_file_atomically(run.directory + "/summary.json", summary.dump(2) + "\n");
  }
  log_run_end(run, sim, end, outputs, checkpoints);
  return summary;
}

}  // namespace

double parse_walltime(const std::string& text) {
  // SLURM's forms: M, M:S, H:M:S, D-H, D-H:M, D-H:M:S.
  static const std::regex form(R"((?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?)");
  std::smatch m;
  if (!std::regex_match(text, m, form))
    throw InputError(
        SourceLocation{"--walltime", 0, 0, ""},
        fmt::format("expected a time like 02:00:00, 90 (minutes), 45:00 or 1-12:00:00, found \"{}\"", text));
  const auto number = [&](int i) { return m[i].matched ? std::stod(m[i].str()) : 0.0; };
  double seconds = 0;
  if (m[1].matched) {  // D-H[:M[:S]]
    seconds = number(1) * 86400 + number(2) * 3600 + number(3) * 60 + number(4);
  } else if (m[4].matched) {  // H:M:S
    seconds = number(2) * 3600 + number(3) * 60 + number(4);
  } else if (m[3].matched) {  // M:S
    seconds = number(2) * 60 + number(3);
  } else {  // M
    seconds = number(2) * 60;
  }
  if (!(seconds > 0))
    throw InputError(SourceLocation{"--walltime", 0, 0, ""},
                     fmt::format("expected a positive time, found \"{}\"", text));
  return seconds;
}

std::string scenario_hash(const Scenario& s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s.resolved_yaml) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return fmt::format("{:016x}", h);
}

void apply_run_options(Scenario& scenario, const RunOptions& options) {
  if (options.precision) scenario.precision = *options.precision;
  if (options.output_directory) scenario.output.directory = *options.output_directory;
}

nlohmann::json run_scenario(Scenario scenario, const RunOptions& options) {
  // Geometry painting and reductions use OpenMP too: one thread count for all.
  if (options.threads > 0) omp_set_num_threads(options.threads);
  apply_run_options(scenario, options);
  if (scenario.precision == Precision::Float) return run_with<float>(scenario, options);
  return run_with<double>(scenario, options);
}

}  // namespace cyto
