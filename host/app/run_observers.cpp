#include "host/app/run_observers.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include <fmt/format.h>

#include "host/app/stop_signals.hpp"
#include "host/core/atomic_file.hpp"
#include "host/core/build_info.hpp"
#include "host/core/progress.hpp"

namespace cyto {
namespace {

// Seconds to write `bytes` to `directory`, measured by writing and syncing a
// scratch file of up to 64 MiB there: the first estimate --walltime works
// with, before a checkpoint has been timed.
double probe_write_seconds(const std::string& directory, double bytes) {
  const std::size_t probe = std::size_t(std::clamp(bytes, 1.0 * (1 << 20), 64.0 * (1 << 20)));
  const std::string path = fmt::format("{}/.write_probe.{}", directory, ::getpid());
  const auto start = RunClock::now();
  try {
    write_file_atomically(path, std::string(probe, '\0'));
  } catch (const RuntimeFailure&) {
    return 60;  // cannot measure: assume a slow disk
  }
  const double seconds = seconds_between(start, RunClock::now());
  std::remove(path.c_str());
  return seconds * bytes / double(probe);
}

}  // namespace

// ---- outputs ----

template <class Real>
OutputRecorder<Real>::OutputRecorder(const RunContext& run, const Simulation<Real>& sim,
                                     const std::vector<std::uint8_t>& labels)
    : run_(run),
      sim_(sim),
      series_(
          run.root ? run.directory : std::string(),
          [&] {
            const Scenario& s = run.scenario;
            TimeSeriesNames names;
            for (const Species& sp : s.species) names.species.push_back(sp.name);
            for (const Tissue& t : s.tissues) names.tissues.push_back(t.name);
            for (const Organ& o : s.organs) names.organs.push_back(o.name);
            for (const Population& p : s.populations) names.populations.push_back(p.name);
            for (const Therapy& t : s.therapies) names.therapies.push_back(t.name);
            names.plasma = s.plasma.enabled;
            names.budget = s.output.budget;
            return names;
          }(),
          kIndexRewriteInterval) {
  const Scenario& s = run.scenario;
  if (s.output.snapshots)
    snapshots_.emplace(run.comm, run.directory, sim.discretisation().grid,
                       run.root ? labels : std::vector<std::uint8_t>(), s.tissues, kIndexRewriteInterval);
  const Precision native = sizeof(Real) == 4 ? Precision::Float : Precision::Double;
  for (int sp : s.output.fields) snapshot_fields_.push_back({s.species[sp].name, nullptr, native});
  for (int p : s.output.population_fields)
    snapshot_fields_.push_back({s.populations[p].name, nullptr, native});
  shape_ = sim.statistics();
  row_width_ = std::int64_t(flatten_timeseries_row(shape_).size());
}

template <class Real>
void OutputRecorder<Real>::record(BackgroundWriter& writer, RunTimings& timings) {
  const Scenario& s = run_.scenario;
  const TimeSeriesRow row = sim_.statistics();
  series_.append(row);
  const std::vector<double> flat = flatten_timeseries_row(row);
  flat_rows_.insert(flat_rows_.end(), flat.begin(), flat.end());
  if (!s.output.snapshots) return;
  const auto start = RunClock::now();
  if (run_.comm.parallel()) {
    // Collective MPI-IO stays on this thread (MPI is initialised for one
    // thread): every rank writes its block, and the time counts as a stall.
    std::vector<std::vector<Real>> blocks;
    for (int sp : s.output.fields) blocks.push_back(sim_.local_field(sp));
    for (int p : s.output.population_fields) blocks.push_back(sim_.local_field(sim_.fields().population(p)));
    std::vector<FieldView> views = snapshot_fields_;
    for (std::size_t i = 0; i < views.size(); ++i) views[i].data = blocks[i].data();
    snapshots_->write_collective(run_.comm, sim_.time(), sim_.steps(), views, sim_.block());
    timings.copy_seconds += seconds_between(start, RunClock::now());
    return;
  }
  auto data = std::make_shared<std::vector<std::vector<Real>>>();
  for (int sp : s.output.fields) data->push_back(sim_.native_field(sp));
  for (int p : s.output.population_fields) data->push_back(sim_.native_field(sim_.fields().population(p)));
  timings.copy_seconds += seconds_between(start, RunClock::now());
  writer.submit([this, data, t = sim_.time(), step = sim_.steps()] {
    std::vector<FieldView> views = snapshot_fields_;
    for (std::size_t i = 0; i < views.size(); ++i) views[i].data = (*data)[i].data();
    snapshots_->write(t, step, views);
  });
}

template <class Real>
int OutputRecorder<Real>::resume(std::vector<TimeSeriesRow> rows, const std::vector<double>& flat) {
  std::vector<double> written_times;
  for (const TimeSeriesRow& row : rows) written_times.push_back(row.time_s);
  flat_rows_.assign(flat.begin(), flat.begin() + std::ptrdiff_t(rows.size()) * row_width_);
  series_.resume(std::move(rows));
  return snapshots_ ? snapshots_->resume(written_times, snapshot_fields_) : 0;
}

template <class Real>
void OutputRecorder<Real>::flush() {
  series_.flush();
  if (snapshots_) snapshots_->flush();
}

template <class Real>
void OutputRecorder<Real>::flush_series() {
  series_.flush();
}

// ---- checkpoints ----

template <class Real>
CheckpointRecorder<Real>::CheckpointRecorder(const RunContext& run, const Simulation<Real>& sim,
                                             const std::vector<std::uint8_t>& labels,
                                             std::vector<std::string> field_names, double max_dt,
                                             const Restart<Real>* restart)
    : run_(run),
      sim_(sim),
      labels_(labels),
      field_names_(std::move(field_names)),
      max_dt_(max_dt),
      build_(build_info_json().dump()),
      periodic_(run.scenario.checkpoint.interval || run.scenario.checkpoint.steps ||
                run.scenario.checkpoint.wall),
      last_step_(restart ? restart->step() : -1),
      last_wall_(run.wall_start),
      last_path_(restart ? restart->path : "") {
  const DenseGrid& grid = sim.discretisation().grid;
  for (int f = 0; f < sim.fields().count(); ++f) state_bytes_ += double(grid.voxels()) * sizeof(Real);
  const std::optional<double>& interval = run.scenario.checkpoint.interval;
  next_time_ = interval ? (std::floor(sim.time() / *interval) + 1) * *interval : 0;
}

template <class Real>
void CheckpointRecorder<Real>::write(const RunPosition& at, const std::string& why,
                                     const OutputRecorder<Real>& outputs, BackgroundWriter& writer,
                                     BlowUpGuard<Real>& guard, RunTimings& timings) {
  if (last_step_ == sim_.steps()) return;
  guard.check("writing the checkpoint");
  const Scenario& s = run_.scenario;
  const auto start = RunClock::now();
  auto c = std::make_shared<Checkpoint<Real>>();
  c->scenario_name = s.name;
  c->scenario_yaml = s.resolved_yaml;
  c->scenario_hash = run_.hash;
  c->build = build_;
  c->grid = sim_.discretisation().grid;
  c->labels = labels_;
  c->position = at;
  c->max_dt = max_dt_;
  c->seed = s.seed;
  c->field_names = field_names_;
  const std::string path = run_.directory + "/" + checkpoint_file_name(sim_.steps());
  if (run_.comm.parallel()) {
    // Collective: every rank writes its block into the one file, on this thread.
    for (int f = 0; f < sim_.fields().count(); ++f) c->fields.push_back(sim_.local_field(f));
    c->labels = block_of(labels_, c->grid, sim_.block());
  } else {
    typename Simulation<Real>::State state = sim_.state();
    c->fields = std::move(state.fields);
  }
  c->plasma = sim_.plasma();
  c->blood = sim_.blood();
  c->drugs = sim_.drug_levels();
  c->timeseries = outputs.flat_rows();
  c->timeseries_rows = std::int64_t(outputs.rows().size());
  c->timeseries_width = outputs.row_width();
  c->wall_seconds = timings.wall_before + seconds_between(run_.wall_start, RunClock::now());
  if (run_.comm.parallel()) {
    // The snapshots before it are complete (written collectively, on this
    // thread); rank 0 reads them, and every rank writes the same datasets.
    std::string prints;
    if (run_.root)
      prints = fingerprints_to_text(snapshot_outputs(run_.directory, s.output.snapshots, c->timeseries_rows));
    run_.comm.broadcast(prints);
    c->outputs = fingerprints_from_text(prints);
    write_collective(*c, path);
    timings.copy_seconds += seconds_between(start, RunClock::now());
    count_written(path, why, "ranks");
    return;
  }
  timings.copy_seconds += seconds_between(start, RunClock::now());
  submit(std::move(c), path, writer);
  count_written(path, why, nullptr);
}

template <class Real>
void CheckpointRecorder<Real>::write_collective(Checkpoint<Real>& c, const std::string& path) {
  const auto begin = RunClock::now();
  write_checkpoint_collective(run_.comm, path, c, sim_.block());
  const double seconds = seconds_between(begin, RunClock::now());
  if (run_.root)
    prune_checkpoints(run_.directory, run_.scenario.checkpoint.keep);  // rank 0's temporaries only
  const std::lock_guard lock(timing_mutex_);
  write_seconds_.push_back(seconds);
}

template <class Real>
void CheckpointRecorder<Real>::submit(std::shared_ptr<Checkpoint<Real>> c, const std::string& path,
                                      BackgroundWriter& writer) {
  writer.submit([this, c, path, keep = run_.scenario.checkpoint.keep] {
    const auto begin = RunClock::now();
    // The writer runs its jobs in order: the snapshots before it are complete.
    c->outputs = snapshot_outputs(run_.directory, run_.scenario.output.snapshots, c->timeseries_rows);
    write_checkpoint(path, *c);
    const double seconds = seconds_between(begin, RunClock::now());
    prune_checkpoints(run_.directory, keep);
    const std::lock_guard lock(timing_mutex_);
    write_seconds_.push_back(seconds);
  });
}

template <class Real>
void CheckpointRecorder<Real>::count_written(const std::string& path, const std::string& why,
                                             const char* by) {
  last_step_ = sim_.steps();
  last_wall_ = RunClock::now();
  last_path_ = path;
  ++written_;
  if (!run_.options.progress && why == "periodic") return;
  if (by)
    fmt::print(run_.log, "checkpoint {} at step {}, t = {} ({}, written by {} {})\n", path, sim_.steps(),
               format_sim_time(sim_.time()), why, run_.comm.size(), by);
  else
    fmt::print(run_.log, "checkpoint {} at step {}, t = {} ({})\n", path, sim_.steps(),
               format_sim_time(sim_.time()), why);
}

template <class Real>
bool CheckpointRecorder<Real>::wall_due(RunClock::time_point now) const {
  const std::optional<double>& wall = run_.scenario.checkpoint.wall;
  return wall && seconds_between(last_wall_, now) >= *wall;
}

template <class Real>
bool CheckpointRecorder<Real>::due(bool wall_time_due) {
  const CheckpointSettings& every = run_.scenario.checkpoint;
  bool steps_due = false, interval_due = false;
  if (every.steps && sim_.steps() % *every.steps == 0) steps_due = true;
  if (every.interval && sim_.time() >= next_time_ * (1 - 1e-12)) {
    interval_due = true;
    next_time_ = (std::floor(sim_.time() / *every.interval * (1 + 1e-12)) + 1) * *every.interval;
  }
  return steps_due || interval_due || wall_time_due;
}

template <class Real>
std::optional<double> CheckpointRecorder<Real>::slowest_write() const {
  const std::lock_guard lock(timing_mutex_);
  if (write_seconds_.empty()) return std::nullopt;
  return *std::max_element(write_seconds_.begin(), write_seconds_.end());
}

template class OutputRecorder<float>;
template class OutputRecorder<double>;
template class CheckpointRecorder<float>;
template class CheckpointRecorder<double>;

// ---- stopping early ----

StopConditions::StopConditions(const RunContext& run, double state_bytes) : options_(run.options) {
  if (options_.walltime_s && run.root) probe_seconds_ = probe_write_seconds(run.directory, state_bytes);
}

double StopConditions::checkpoint_estimate(const std::optional<double>& slowest_checkpoint) const {
  return slowest_checkpoint ? 1.5 * *slowest_checkpoint : 2 * probe_seconds_;
}

std::string StopConditions::after_step(std::int64_t steps, RunClock::time_point now,
                                       const std::optional<double>& slowest_checkpoint) {
  longest_step_ = std::max(longest_step_, seconds_between(last_step_end_, now));
  last_step_end_ = now;
  if (const int signal = StopSignals::received())
    return fmt::format("{} received", StopSignals::name(signal));
  if (options_.stop_at_step && steps >= *options_.stop_at_step)
    return fmt::format("--stop-at-step {}", *options_.stop_at_step);
  if (options_.walltime_s) {
    const double left = *options_.walltime_s - seconds_between(options_.started, now);
    const double margin = std::min(60.0, 0.02 * *options_.walltime_s) + 0.5;
    const double checkpoint = checkpoint_estimate(slowest_checkpoint);
    if (left < 2 * checkpoint + 2 * longest_step_ + margin)
      return fmt::format("--walltime {}: {} left, a checkpoint takes about {}",
                         format_duration(*options_.walltime_s), format_duration(std::max(left, 0.0)),
                         format_duration(checkpoint));
  }
  return "";
}

}  // namespace cyto
