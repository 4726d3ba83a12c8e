#include "host/app/restart.hpp"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "host/core/progress.hpp"
#include "host/scenario/config.hpp"

namespace cyto {
namespace {

// Keys that may differ between a checkpoint's scenario and the restarted
// one without being named: where outputs go and how often progress or
// checkpoints are written change nothing that is computed.
bool is_free_key(const std::string& key) {
  return key == "checkpoint" || key.rfind("checkpoint.", 0) == 0 || key == "output.directory" ||
         key == "output.progress_interval";
}

bool is_allowed(const std::string& key, const std::vector<std::string>& allowed) {
  for (const std::string& a : allowed)
    if (key == a || key.rfind(a + ".", 0) == 0 || key.rfind(a + "[", 0) == 0) return true;
  return false;
}

// Long lists in a message are cut to about this many characters: a whole
// message stays one readable line (about 300 characters).
constexpr std::size_t kListBudget = 80;

// With several ranks each reads its block, and a file one rank cannot read
// is refused by all.
template <class Real>
Checkpoint<Real> read_for_restart(const std::string& path, const par::Comm& comm, const Box* block) {
  if (!comm.parallel()) return read_checkpoint<Real>(path);
  std::optional<Checkpoint<Real>> c;
  std::string refusal;
  try {
    c = read_checkpoint_block<Real>(path, *block);
  } catch (const InputError& e) {
    refusal = e.what();
  }
  if (!comm.any(!refusal.empty())) {
    // Negative beyond round-off is judged against each field's largest value
    // over the whole grid, as the blow-up guard does.
    std::vector<double> largest = largest_field_values(*c);
    if (!largest.empty()) comm.max_keep_nan(largest.data(), int(largest.size()));
    if (const std::string bad = scan_checkpoint_values(*c, *block, &largest); !bad.empty())
      refusal = fmt::format(
          "{}: checkpoint: {}: the checksums verify, but no run reaches this state (the file "
          "was altered or written by a failing process); restart from an earlier checkpoint",
          path, bad);
  }
  if (comm.any(!refusal.empty())) {
    if (refusal.empty())
      refusal = fmt::format(
          "{}: checkpoint: another rank found a damaged part of this file (its checksums do not verify, or "
          "it holds values no run reaches)",
          path);
    throw InputError(SourceLocation{}, refusal);
  }
  return std::move(*c);
}

// The index of the first output time after t.
std::int64_t next_output_after(const std::vector<double>& times, double t) {
  std::int64_t k = 0;
  while (std::size_t(k) < times.size() && times[std::size_t(k)] <= t * (1 + 1e-12)) ++k;
  return k;
}

}  // namespace

template <class Real>
std::optional<Restart<Real>> load_restart(const Scenario& s, const RunOptions& opt, const par::Comm& comm,
                                          const Box* block) {
  const SourceLocation at{"--restart", 0, 0, ""};
  Restart<Real> r;
  if (opt.restart == "latest" || opt.restart == "auto") {
    const std::vector<CheckpointFile> files = list_checkpoints(s.output.directory);
    if (files.empty()) {
      if (opt.restart == "auto") return std::nullopt;
      throw InputError(at, fmt::format("--restart latest: no checkpoint_*.h5 in {}", s.output.directory));
    }
    std::string refused;  // the newest file's refusal
    for (const CheckpointFile& file : files) {
      try {
        r.checkpoint = read_for_restart<Real>(file.path, comm, block);
        r.path = file.path;
        break;
      } catch (const InputError& e) {
        fmt::print(opt.log, "warning: skipping {}\n", e.what());
        if (refused.empty()) refused = e.what();
      }
    }
    // Each refusal was a warning line above; the error is one line.
    if (r.path.empty())
      throw InputError(at, fmt::format("--restart {}: none of the {} checkpoints in {} can be read (each is "
                                       "named above); the newest: {}",
                                       opt.restart, files.size(), s.output.directory, refused));
  } else {
    r.checkpoint = read_for_restart<Real>(opt.restart, comm, block);
    r.path = opt.restart;
  }

  std::vector<std::string> differing, refused_keys;
  for (const ScenarioDifference& d : scenario_differences(r.checkpoint.scenario_yaml, s.resolved_yaml)) {
    if (is_free_key(d.key)) continue;
    r.changed_keys.push_back(d.key);
    if (!is_allowed(d.key, opt.allow_changes)) refused_keys.push_back(d.key);
    if (!is_allowed(d.key, opt.allow_changes))
      differing.push_back(fmt::format("{} ({} -> {})", d.key, d.before.empty() ? "absent" : d.before,
                                      d.after.empty() ? "absent" : d.after));
  }
  if (!differing.empty()) {
    const std::string keys = fmt::format("{}", fmt::join(r.changed_keys, ","));
    const std::string all = fmt::format("{}", fmt::join(differing, ", "));
    if (all.size() + keys.size() <= kListBudget + 20)
      throw InputError(at,
                       fmt::format("{} was written for another scenario; {} key{} differ{}: {}; restart with "
                                   "that scenario, or allow the change with --allow-changes {}",
                                   r.path, differing.size(), differing.size() == 1 ? "" : "s",
                                   differing.size() == 1 ? "s" : "", all, keys));
    // Many keys (another scenario altogether): the first few, in one line.
    throw InputError(at,
                     fmt::format("{} was written for another scenario; {} keys differ, first: {}; restart "
                                 "with that scenario, or allow changes with --allow-changes KEYS",
                                 r.path, differing.size(), summarise_list(refused_keys, ", ", kListBudget)));
  }
  r.changed = !r.changed_keys.empty();
  return r;
}

template <class Real>
void check_restart_matches(const Restart<Real>& r, const Simulation<Real>& sim,
                           const std::vector<std::string>& field_names) {
  const Checkpoint<Real>& c = r.checkpoint;
  const SourceLocation at{r.path, 0, 0, ""};
  const DenseGrid& g = sim.tissues().grid;
  if (c.grid.nx != g.nx || c.grid.ny != g.ny || c.grid.nz != g.nz || c.grid.origin != g.origin ||
      c.grid.spacing != g.spacing)
    throw InputError(at,
                     fmt::format("checkpoint: its grid ({} x {} x {}) is not this run's ({} x {} x {}, or "
                                 "another origin or spacing)",
                                 c.grid.nx, c.grid.ny, c.grid.nz, g.nx, g.ny, g.nz));
  const std::vector<std::uint8_t> labels = label_values(sim.scenario(), sim.tissues());
  std::int64_t differ = 0;
  if (c.labels.size() == labels.size()) {
    for (std::size_t i = 0; i < labels.size(); ++i) differ += labels[i] != c.labels[i];
  } else {  // this rank's block (a parallel restart)
    const std::vector<std::uint8_t> mine = block_of(labels, g, sim.block());
    for (std::size_t i = 0; i < mine.size(); ++i) differ += mine[i] != c.labels[i];
  }
  std::int64_t counts[1] = {differ};
  sim.comm().sum(counts, 1);
  differ = counts[0];
  if (differ > 0)
    throw InputError(at, fmt::format("checkpoint: {} voxels have other tissue labels than in this run: the "
                                     "geometry changed (a mesh or volume file, or the tissues)",
                                     differ));
  if (c.field_names != field_names)
    throw InputError(at, fmt::format("checkpoint: it holds the fields {}, this run has {}",
                                     fmt::join(c.field_names, ", "), fmt::join(field_names, ", ")));
  if (c.plasma.size() != sim.plasma().size() || c.blood.size() != sim.blood().size())
    throw InputError(at, "checkpoint: its plasma compartment does not match this run's");
}

template <class Real>
Continuation continue_from(const Restart<Real>& restart, Simulation<Real>& sim,
                           const std::vector<double>& times, double max_dt, const TimeSeriesRow& shape,
                           std::int64_t row_width) {
  const Checkpoint<Real>& c = restart.checkpoint;
  typename Simulation<Real>::State state;
  state.time = c.position.time;
  state.steps = c.position.step;
  state.fields = c.fields;
  state.plasma = c.plasma;
  state.blood = c.blood;
  sim.restore(state);
  if (row_width != c.timeseries_width)
    throw InputError(SourceLocation{restart.path, 0, 0, ""},
                     "checkpoint: its time series rows do not match this scenario's regions and species");
  Continuation go_on{c.position, unflatten_timeseries(c.timeseries, c.timeseries_rows, shape)};
  RunPosition& position = go_on.position;
  std::vector<TimeSeriesRow>& rows = go_on.rows;
  // The segment ends at the next output time, or (dt: auto) at a stretch's end between it and the one before.
  const std::size_t next = std::size_t(position.next_output);
  const bool on_schedule =
      !restart.changed && c.max_dt == max_dt && next < times.size() + 1 &&
      (next == times.size() || (position.segment_end_time <= times[next] &&
                                (next == 0 || position.segment_end_time > times[next - 1])));
  if (on_schedule) return go_on;
  // A changed scenario: continue from the checkpoint's time to the next output time of this one.
  rows.erase(std::remove_if(rows.begin(), rows.end(),
                            [&](const TimeSeriesRow& row) { return row.time_s > position.time; }),
             rows.end());
  // The next output not yet written (one at the checkpoint's own time included).
  position.next_output = rows.empty() ? 0 : next_output_after(times, rows.back().time_s);
  while (std::size_t(position.next_output) < times.size() &&
         times[std::size_t(position.next_output)] < position.time * (1 - 1e-12))
    ++position.next_output;
  position.segment_start_time = position.time;
  position.segment_start_step = position.step;
  position.segment_end_time = std::size_t(position.next_output) < times.size()
                                  ? std::max(times[std::size_t(position.next_output)], position.time)
                                  : position.time;
  position.segment_steps = steps_between(position.time, position.segment_end_time, max_dt);
  return go_on;
}

template <class Real>
void log_restart(std::FILE* log, const Restart<Real>& restart, const RunPosition& position,
                 int missing_snapshots, const std::string& directory) {
  const int missing = missing_snapshots;
  fmt::print(log, "restarting from {} (step {}, t = {}){}{}\n", restart.path, position.step,
             format_sim_time(position.time),
             restart.changed ? fmt::format("; changed: {}", fmt::join(restart.changed_keys, ", ")) : "",
             missing > 0 ? fmt::format("; {} earlier snapshot{} missing from {}", missing,
                                       missing == 1 ? " is" : "s are", directory)
                         : "");
}

template <class Real>
void verify_restart_outputs(const Restart<Real>& restart, const std::string& directory, const par::Comm& comm,
                            std::FILE* log) {
  std::string differs;
  if (comm.root()) {
    if (!restart.checkpoint.outputs_recorded)
      fmt::print(
          log,
          "warning: {} is a format-1 checkpoint (an earlier cytostorm), which records no fingerprints of "
          "the outputs: the snapshots this run continues cannot be verified\n",
          restart.path);
    else
      differs = compare_fingerprints(directory, restart.checkpoint.outputs);
  }
  comm.broadcast(differs);
  if (!differs.empty())
    throw InputError(
        SourceLocation{restart.path, 0, 0, ""},
        fmt::format("checkpoint: the outputs in {} are not those it was written with: {}; another "
                    "run (or a hand) changed them. Restore them, or start again from t = 0 in "
                    "another --output",
                    directory, differs));
}

void set_aside_later_checkpoints(const std::string& directory, std::int64_t step, std::FILE* log) {
  for (const CheckpointFile& later : list_checkpoints(directory))
    if (later.step > step) {
      std::error_code ec;
      std::filesystem::rename(later.path, later.path + ".superseded", ec);
      if (!ec)
        fmt::print(log, "renamed {} to {}.superseded: it is newer than the checkpoint restarted from\n",
                   later.path, later.path);
    }
}

template std::optional<Restart<float>> load_restart<float>(const Scenario&, const RunOptions&,
                                                           const par::Comm&, const Box*);
template void check_restart_matches<float>(const Restart<float>&, const Simulation<float>&,
                                           const std::vector<std::string>&);
template Continuation continue_from<float>(const Restart<float>&, Simulation<float>&,
                                           const std::vector<double>&, double, const TimeSeriesRow&,
                                           std::int64_t);
template void log_restart<float>(std::FILE*, const Restart<float>&, const RunPosition&, int,
                                 const std::string&);
template std::optional<Restart<double>> load_restart<double>(const Scenario&, const RunOptions&,
                                                             const par::Comm&, const Box*);
template void check_restart_matches<double>(const Restart<double>&, const Simulation<double>&,
                                            const std::vector<std::string>&);
template Continuation continue_from<double>(const Restart<double>&, Simulation<double>&,
                                            const std::vector<double>&, double, const TimeSeriesRow&,
                                            std::int64_t);
template void verify_restart_outputs<float>(const Restart<float>&, const std::string&, const par::Comm&,
                                            std::FILE*);
template void verify_restart_outputs<double>(const Restart<double>&, const std::string&, const par::Comm&,
                                             std::FILE*);
template void log_restart<double>(std::FILE*, const Restart<double>&, const RunPosition&, int,
                                  const std::string&);

}  // namespace cyto
