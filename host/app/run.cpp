#include "host/app/run.hpp"

#include <omp.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "host/app/stop_signals.hpp"
#include "host/core/build_info.hpp"
#include "host/core/progress.hpp"
#include "host/core/trace.hpp"
#include "host/geometry/geometry_description.hpp"
#include "host/io/background_writer.hpp"
#include "host/io/checkpoint.hpp"
#include "host/scenario/config.hpp"
#include "host/solver/blowup_guard.hpp"
#include "host/solver/simulation.hpp"

namespace cyto {
namespace {

const char* precision_name(Precision p) { return p == Precision::Float ? "float" : "double"; }

// More outputs than this is refused: each one scans every field and writes files.
constexpr double kMaxOutputs = 1e5;
// Wall seconds between rewrites of the growing index files (time series, XDMF).
constexpr double kIndexRewriteInterval = 10.0;

std::vector<double> output_times(const Scenario& s) {
  const double count = std::ceil(s.time.end / s.output.interval);
  if (!(count <= kMaxOutputs))
    throw InputError(s.output.where,
                     fmt::format("the run would write {:.3g} outputs (time.end / output.interval), "
                                 "more than the {:.0e} allowed; use a longer output.interval",
                                 count, kMaxOutputs));
  std::vector<double> times{0.0};
  for (std::int64_t k = 1;; ++k) {
    const double t = double(k) * s.output.interval;
    if (t >= s.time.end * (1 - 1e-12)) break;
    times.push_back(t);
  }
  times.push_back(s.time.end);
  return times;
}

std::int64_t planned_steps(const std::vector<double>& times, double max_dt) {
  std::int64_t total = 0;
  for (std::size_t i = 1; i < times.size(); ++i) total += steps_between(times[i - 1], times[i], max_dt);
  return total;
}

// Peak memory of a run, from the grid alone (so it can be checked before
// anything is allocated): per padded voxel two buffers per species and two
// copies of the material id; per dense voxel the tissue map, output labels
// and, while initial values are built, a double field and a region mask.
double memory_estimate_bytes(const Scenario& s, const DenseGrid& g) {
  const double real_size = s.precision == Precision::Float ? 4 : 8;
  const GridLayout layout = make_grid_layout(g.nx, g.ny, g.nz);
  const double padded = double(layout.size), dense = double(g.voxels());
  return padded * (2.0 * double(field_count(s)) * real_size + 2 * sizeof(MaterialId) + real_size) +
         dense * (1 + 1 + sizeof(double) + 1);
}

// Device memory the GPU backend allocates: two buffers per species, the
// material map, and the reductions' region index (one offset per tissue voxel).
double gpu_memory_estimate_bytes(const Scenario& s, const DenseGrid& g, std::int64_t tissue_voxels) {
  const double real_size = s.precision == Precision::Float ? 4 : 8;
  const GridLayout layout = make_grid_layout(g.nx, g.ny, g.nz);
  return double(layout.size) * (2.0 * double(field_count(s)) * real_size + sizeof(MaterialId)) +
         double(tissue_voxels) * sizeof(std::uint32_t);
}

template <class Real>
nlohmann::json backend_summary(const Backend<Real>& backend) {
  return {{"name", backend.name()},
          {"description", backend.description()},
          {"device", device_info_json(backend.device_info())}};
}

double physical_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? double(pages) * double(page) : 0;
}

std::string format_bytes(double bytes) {
  if (bytes >= 1024.0 * 1024 * 1024) return fmt::format("{:.2f} GiB", bytes / (1024.0 * 1024 * 1024));
  return fmt::format("{:.1f} MiB", bytes / (1024.0 * 1024));
}

// Refuses a grid whose memory estimate exceeds this machine's memory, before
// anything is allocated (a clear message instead of bad_alloc or swapping).
void check_memory(const Scenario& s, const DenseGrid& g) {
  const double needed = memory_estimate_bytes(s, g), available = physical_memory_bytes();
  if (available > 0 && needed > 0.9 * available)
    throw InputError(s.grid.where,
                     fmt::format("a grid of {} x {} x {} voxels with {} {} species needs about {}, more than "
                                 "the {} of memory on this machine; use larger voxels or fewer species",
                                 g.nx, g.ny, g.nz, s.species.size(), precision_name(s.precision),
                                 format_bytes(needed), format_bytes(available)));
}

// In float precision a concentration or rate beyond ~1e30 overflows within a
// few steps; refuse it rather than produce infinities.
void check_precision_range(const Scenario& s) {
  if (s.precision != Precision::Float) return;
  static constexpr double kFloatSafe = 1e30;
  const auto check = [](double value, const SourceLocation& where, const char* what) {
    if (std::abs(value) > kFloatSafe)
      throw InputError(where, fmt::format("{} {:.3g} is too large for float precision (|value| <= {:.0e}); "
                                          "use precision: double or other units",
                                          what, value, kFloatSafe));
  };
  for (const Species& sp : s.species)
    for (const InitialValue& init : sp.initial) check(init.value, init.where, "initial value");
  for (const Source& src : s.sources) check(src.rate, src.where, "source rate (pg/mL/s)");
  for (const DirichletBoundary& b : s.boundaries) check(b.value, b.where, "Dirichlet value");
  for (const Population& p : s.populations)
    for (const InitialValue& init : p.initial) check(init.value, init.where, "initial density (cells/mL)");
}

// Removes the files of an earlier run in the output directory (only names
// cytostorm writes), so that a new run never sits next to stale snapshots or
// a stale "finished" summary. Returns how many were removed.
int clear_previous_outputs(const std::string& directory) {
  namespace fs = std::filesystem;
  static const std::regex ours(
      R"((summary\.json|timeseries\.csv|timeseries\.json|populations\.csv|plasma\.csv|fields\.xmf|geometry\.h5|snapshot_\d{6}\.h5|diagnostic_step_\d{12}\.h5)(\.tmp\.\d+)?)");
  int removed = 0;
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(directory, ec)) {
    if (!entry.is_regular_file(ec) || !std::regex_match(entry.path().filename().string(), ours)) continue;
    if (!fs::remove(entry.path(), ec))
      throw RuntimeFailure(
          fmt::format("cannot remove the earlier output {}: {}", entry.path().string(), ec.message()));
    ++removed;
  }
  return removed;
}

// ---- fields by name ----

// Checkpoint dataset names of the fields, in FieldLayout order.
std::vector<std::string> checkpoint_field_names(const Scenario& s, const FieldLayout& layout) {
  std::vector<std::string> names;
  for (const Species& sp : s.species) names.push_back("species." + sp.name);
  for (const Population& p : s.populations) names.push_back("population." + p.name);
  if (layout.budget)
    for (const char* kind : {"secreted.", "released.", "taken_up."})
      for (const Species& sp : s.species) names.push_back(kind + sp.name);
  return names;
}

// The fields as users know them, in FieldLayout order: "TNF", "hepatocytes", "TNF (secreted)".
std::vector<std::string> display_field_names(const Scenario& s, const FieldLayout& layout) {
  std::vector<std::string> names;
  for (const Species& sp : s.species) names.push_back(sp.name);
  for (const Population& p : s.populations) names.push_back(p.name);
  if (layout.budget)
    for (const char* kind : {"secreted", "released", "taken up"})
      for (const Species& sp : s.species) names.push_back(fmt::format("{} ({})", sp.name, kind));
  return names;
}

// ---- restarts ----

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

template <class Real>
struct Restart {
  Checkpoint<Real> checkpoint;
  std::string path;
  bool changed = false;  // the scenario differs (allowed): the schedule is re-anchored
  std::vector<std::string> changed_keys;
};

// Chooses and reads the checkpoint to restart from; std::nullopt for "auto"
// with no checkpoint. InputError for a damaged file, a changed scenario not
// allowed by --allow-changes, or another geometry.
// With several ranks, each reads only its block (`block`), and the ranks
// agree: a file one rank cannot read is refused by all.
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
  if (comm.any(!refusal.empty())) {
    if (refusal.empty())
      refusal = fmt::format(
          "{}: checkpoint: another rank found a damaged part of this file (its "
          "checksums do not verify)",
          path);
    throw InputError(SourceLocation{}, refusal);
  }
  return std::move(*c);
}

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
    std::string refused;
    for (const CheckpointFile& file : files) {
      try {
        r.checkpoint = read_for_restart<Real>(file.path, comm, block);
        r.path = file.path;
        break;
      } catch (const InputError& e) {
        fmt::print(opt.log, "warning: skipping {}\n", e.what());
        refused += fmt::format("\n  {}", e.what());
      }
    }
    if (r.path.empty())
      throw InputError(at, fmt::format("--restart {}: none of the {} checkpoints in {} can be read:{}",
                                       opt.restart, files.size(), s.output.directory, refused));
  } else {
    r.checkpoint = read_for_restart<Real>(opt.restart, comm, block);
    r.path = opt.restart;
  }

  std::vector<std::string> differing;
  for (const ScenarioDifference& d : scenario_differences(r.checkpoint.scenario_yaml, s.resolved_yaml)) {
    if (is_free_key(d.key)) continue;
    r.changed_keys.push_back(d.key);
    if (!is_allowed(d.key, opt.allow_changes))
      differing.push_back(fmt::format("{} ({} -> {})", d.key, d.before.empty() ? "absent" : d.before,
                                      d.after.empty() ? "absent" : d.after));
  }
  if (!differing.empty())
    throw InputError(
        at, fmt::format("{} was written for another scenario; {} key{} differ{}: {}. Restart with the "
                        "scenario it was written for, or name the changes with --allow-changes {} "
                        "(the continuation is then not that of an uninterrupted run)",
                        r.path, differing.size(), differing.size() == 1 ? "" : "s",
                        differing.size() == 1 ? "s" : "", fmt::join(differing, ", "),
                        fmt::join(r.changed_keys, ",")));
  r.changed = !r.changed_keys.empty();
  return r;
}

// The values of `block` from whole-grid values (dense, x fastest).
template <class T>
std::vector<T> block_of(const std::vector<T>& whole, const DenseGrid& g, const Box& block) {
  std::vector<T> out(std::size_t(block.voxels()));
  std::size_t n = 0;
  for (int k = 0; k < block.size[2]; ++k)
    for (int j = 0; j < block.size[1]; ++j) {
      const auto from =
          whole.begin() + (std::int64_t(block.lo[0]) +
                           std::int64_t(g.nx) * (block.lo[1] + j + std::int64_t(g.ny) * (block.lo[2] + k)));
      std::copy(from, from + block.size[0], out.begin() + std::ptrdiff_t(n));
      n += std::size_t(block.size[0]);
    }
  return out;
}

// The checkpoint must describe this run's grid, geometry and fields.
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

// The index of the first output time after t.
std::int64_t next_output_after(const std::vector<double>& times, double t) {
  std::int64_t k = 0;
  while (std::size_t(k) < times.size() && times[std::size_t(k)] <= t * (1 + 1e-12)) ++k;
  return k;
}

// ---- checkpoint cost ----

// Seconds to write `bytes` to `directory`, measured by writing and syncing a
// scratch file of up to 64 MiB there: the first estimate --walltime works
// with, before a checkpoint has been timed.
double probe_write_seconds(const std::string& directory, double bytes) {
  const std::size_t probe = std::size_t(std::clamp(bytes, 1.0 * (1 << 20), 64.0 * (1 << 20)));
  const std::string path = fmt::format("{}/.write_probe.{}", directory, ::getpid());
  const auto start = std::chrono::steady_clock::now();
  try {
    write_file_atomically(path, std::string(probe, '\0'));
  } catch (const RuntimeFailure&) {
    return 60;  // cannot measure: assume a slow disk
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::remove(path.c_str());
  return seconds * bytes / double(probe);
}

double seconds_between(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// With MPI, every rank runs this: the stepping, reductions, guard scans and
// stop decisions are collective; rank 0 alone logs and writes the files
// (fields are gathered to it).
template <class Real>
nlohmann::json run_with(const Scenario& s, const RunOptions& options) {
  using Clock = std::chrono::steady_clock;
  // From the start: a signal during set-up stops the run after its first step, with a checkpoint.
  const StopSignals signals;
  const par::Comm comm = par::Comm::world();
  const bool root = comm.root();
  // Other ranks log nowhere: one report per run.
  const std::unique_ptr<std::FILE, int (*)(std::FILE*)> quiet(
      root ? nullptr : std::fopen("/dev/null", "w"), [](std::FILE* f) { return f ? std::fclose(f) : 0; });
  RunOptions opt = options;
  if (!root) opt.log = quiet.get();
  std::FILE* log = opt.log;
  const auto wall_start = Clock::now();
  const PlacedGeometry geometry = load_geometry(s);
  check_memory(s, make_dense_grid(geometry.grid));
  check_precision_range(s);
  const std::vector<double> times = output_times(s);
  if (root) ensure_directory(s.output.directory);
  comm.barrier();
  std::optional<Restart<Real>> restart;
  // One process reads the whole checkpoint before setting up; several ranks
  // read their blocks, which are known once the grid is decomposed.
  if (!opt.restart.empty() && !comm.parallel()) restart = load_restart<Real>(s, opt, comm, nullptr);
  Simulation<Real> sim(s, geometry, make_backend<Real>(opt.backend, opt.threads),
                       ParallelOptions{comm, opt.decomposition});
  if (!opt.restart.empty() && comm.parallel()) restart = load_restart<Real>(s, opt, comm, &sim.block());
  const Discretisation& disc = sim.discretisation();
  const TimePlan& plan = sim.time_plan();
  const std::int64_t total_steps = planned_steps(times, plan.max_dt);
  const std::int64_t voxels = sim.tissues().tissue_voxels;
  const int ns = int(s.species.size());
  const std::vector<std::string> field_names = checkpoint_field_names(s, sim.fields());
  if (restart) check_restart_matches(*restart, sim, field_names);

  fmt::print(log, "cytostorm {} | scenario {} ({})\n", build_info().version, s.name, s.source_file);
  fmt::print(log, "backend {} | precision {} | grid {} x {} x {} ({} tissue voxels) | {} species{}\n",
             sim.backend().description(), precision_name(s.precision), disc.grid.nx, disc.grid.ny,
             disc.grid.nz, voxels, ns,
             s.populations.empty()
                 ? std::string()
                 : fmt::format(", {} populations, {} rules", s.populations.size(), s.rules.size()));
  fmt::print(log, "dt {:.6g} s (stability limit {:.6g} s) | {} steps to t = {} | output every {} -> {}\n",
             plan.max_dt, plan.stability_limit, total_steps, format_sim_time(s.time.end),
             format_sim_time(s.output.interval), s.output.directory);
  if (comm.parallel())
    fmt::print(log, "MPI: {} ranks, blocks {} ({}), largest block {:.2f}x the mean tissue | {}\n",
               comm.size(), sim.decomposition().text(),
               sim.decomposition().automatic ? "automatic" : "requested", sim.decomposition().imbalance(),
               par::mpi_summary());
  std::fflush(log);

  const std::string& directory = s.output.directory;
  if (!restart) {
    const std::vector<CheckpointFile> earlier = list_checkpoints(directory);
    if (!earlier.empty())
      throw InputError(
          SourceLocation{directory, 0, 0, ""},
          fmt::format("the output directory holds {} checkpoint{} of an earlier run (newest {}): "
                      "continue it with --restart latest, or remove them (or choose another "
                      "--output) to start again from t = 0",
                      earlier.size(), earlier.size() == 1 ? "" : "s", earlier.front().path));
    comm.barrier();  // every rank has looked for checkpoints before rank 0 clears the directory
    if (root)
      if (const int removed = clear_previous_outputs(directory))
        fmt::print(log, "replaced {} output file{} of an earlier run in {}\n", removed,
                   removed == 1 ? "" : "s", directory);
  } else if (root) {
    // Checkpoints past the restart point belong to the interrupted timeline
    // (or could not be read): set aside, not deleted, and out of --restart latest's way.
    for (const CheckpointFile& later : list_checkpoints(directory))
      if (later.step > restart->checkpoint.position.step) {
        std::error_code ec;
        std::filesystem::rename(later.path, later.path + ".superseded", ec);
        if (!ec)
          fmt::print(log, "renamed {} to {}.superseded: it is newer than the checkpoint restarted from\n",
                     later.path, later.path);
      }
  }
  // Until the run finishes, the summary says so: a killed run is never taken for a finished one.
  if (root)
    write_file_atomically(
        directory + "/summary.json",
        nlohmann::json{{"scenario", {{"name", s.name}, {"file", s.source_file}}}, {"status", "running"}}.dump(
            2) +
            "\n");
  TimeSeriesNames names;
  for (const Species& sp : s.species) names.species.push_back(sp.name);
  for (const Tissue& t : s.tissues) names.tissues.push_back(t.name);
  for (const Organ& o : s.organs) names.organs.push_back(o.name);
  for (const Population& p : s.populations) names.populations.push_back(p.name);
  for (const Therapy& t : s.therapies) names.therapies.push_back(t.name);
  names.plasma = s.plasma.enabled;
  names.budget = s.output.budget;
  const std::vector<std::string>& species_names = names.species;
  const std::vector<std::uint8_t> labels = label_values(s, sim.tissues());
  std::optional<SnapshotWriter> snapshots;
  // With several ranks every rank writes its block of each snapshot (parallel HDF5).
  if (s.output.snapshots)
    snapshots.emplace(comm, directory, disc.grid, root ? labels : std::vector<std::uint8_t>(), s.tissues,
                      kIndexRewriteInterval);
  // Rank 0 writes the series; the others keep the rows too, unwritten (no file of theirs).
  TimeSeriesWriter series(root ? directory : std::string(), names, kIndexRewriteInterval);
  const Precision native = sizeof(Real) == 4 ? Precision::Float : Precision::Double;

  // Which fields the snapshots hold (names and precision; the data comes later).
  std::vector<FieldView> snapshot_fields;
  for (int sp : s.output.fields) snapshot_fields.push_back({s.species[sp].name, nullptr, native});
  for (int p : s.output.population_fields)
    snapshot_fields.push_back({s.populations[p].name, nullptr, native});

  // Where the run stands: the segment of steps being taken and the next output.
  RunPosition position;
  double wall_before = 0;  // wall seconds of the runs before this restart
  const TimeSeriesRow shape = sim.statistics();
  const std::int64_t row_width = std::int64_t(flatten_timeseries_row(shape).size());
  // The time series written so far, flattened as checkpoints store it (kept up to date, not rebuilt).
  std::vector<double> flat_timeseries;
  if (restart) {
    const Checkpoint<Real>& c = restart->checkpoint;
    typename Simulation<Real>::State state;
    state.time = c.position.time;
    state.steps = c.position.step;
    state.fields = c.fields;
    state.plasma = c.plasma;
    state.blood = c.blood;
    sim.restore(state);
    wall_before = c.wall_seconds;
    if (row_width != c.timeseries_width)
      throw InputError(SourceLocation{restart->path, 0, 0, ""},
                       "checkpoint: its time series rows do not match this scenario's regions and species");
    std::vector<TimeSeriesRow> rows = unflatten_timeseries(c.timeseries, c.timeseries_rows, shape);
    position = c.position;
    const bool on_schedule = !restart->changed && c.max_dt == plan.max_dt &&
                             std::size_t(position.next_output) < times.size() + 1 &&
                             (std::size_t(position.next_output) == times.size() ||
                              times[std::size_t(position.next_output)] == position.segment_end_time);
    if (!on_schedule) {
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
      position.segment_steps = steps_between(position.time, position.segment_end_time, plan.max_dt);
    }
    std::vector<double> written_times;
    for (const TimeSeriesRow& row : rows) written_times.push_back(row.time_s);
    flat_timeseries.assign(c.timeseries.begin(),
                           c.timeseries.begin() + std::ptrdiff_t(rows.size()) * row_width);
    series.resume(std::move(rows));
    const int missing = snapshots ? snapshots->resume(written_times, snapshot_fields) : 0;
    fmt::print(log, "restarting from {} (step {}, t = {}){}{}\n", restart->path, position.step,
               format_sim_time(position.time),
               restart->changed ? fmt::format("; changed: {}", fmt::join(restart->changed_keys, ", ")) : "",
               missing > 0 ? fmt::format("; {} earlier snapshot{} missing from {}", missing,
                                         missing == 1 ? " is" : "s are", directory)
                           : "");
  }

  // Declared before the writer: its jobs use them until it is destroyed.
  std::mutex timing_mutex;
  std::vector<double> checkpoint_write_seconds;  // measured by the writer
  BackgroundWriter writer;
  // The guard's diagnostic snapshot waits for the writer: one HDF5 writer at a time.
  BlowUpGuard<Real> guard(sim, display_field_names(s, sim.fields()), directory, [&writer] {
    try {
      writer.drain();
    } catch (...) {  // reported by the caller's drain
    }
  });
  double copy_seconds = 0;  // stepping stalled while data was copied for the writer
  auto write_outputs = [&] {
    TraceRange trace("outputs");
    guard.check("writing the output");
    const TimeSeriesRow row = sim.statistics();
    series.append(row);
    const std::vector<double> flat = flatten_timeseries_row(row);
    flat_timeseries.insert(flat_timeseries.end(), flat.begin(), flat.end());
    if (!s.output.snapshots) return;
    const auto start = Clock::now();
    if (comm.parallel()) {
      // Collective MPI-IO stays on this thread (MPI is initialised for one
      // thread): every rank writes its block, and the time counts as a stall.
      std::vector<std::vector<Real>> blocks;
      for (int sp : s.output.fields) blocks.push_back(sim.local_field(sp));
      for (int p : s.output.population_fields) blocks.push_back(sim.local_field(sim.fields().population(p)));
      std::vector<FieldView> views = snapshot_fields;
      for (std::size_t i = 0; i < views.size(); ++i) views[i].data = blocks[i].data();
      snapshots->write_collective(comm, sim.time(), sim.steps(), views, sim.block());
      copy_seconds += seconds_between(start, Clock::now());
      return;
    }
    auto data = std::make_shared<std::vector<std::vector<Real>>>();
    for (int sp : s.output.fields) data->push_back(sim.native_field(sp));
    for (int p : s.output.population_fields) data->push_back(sim.native_field(sim.fields().population(p)));
    copy_seconds += seconds_between(start, Clock::now());
    writer.submit([&snapshots, &snapshot_fields, data, t = sim.time(), step = sim.steps()] {
      std::vector<FieldView> views = snapshot_fields;
      for (std::size_t i = 0; i < views.size(); ++i) views[i].data = (*data)[i].data();
      snapshots->write(t, step, views);
    });
  };

  // Checkpoints: written by the background writer from a copy of the state.
  const bool periodic = s.checkpoint.interval || s.checkpoint.steps || s.checkpoint.wall;
  std::int64_t last_checkpoint_step = restart ? restart->checkpoint.position.step : -1;
  Clock::time_point last_checkpoint_wall = wall_start;
  std::string last_checkpoint_path = restart ? restart->path : "";
  int checkpoints_written = 0;
  double state_bytes = 0;
  for (int f = 0; f < sim.fields().count(); ++f) state_bytes += double(disc.grid.voxels()) * sizeof(Real);
  const std::string hash = scenario_hash(s), build = build_info_json().dump();
  auto write_checkpoint_now = [&](const RunPosition& at, const char* why) {
    if (last_checkpoint_step == sim.steps()) return;
    guard.check("writing the checkpoint");
    const auto start = Clock::now();
    auto c = std::make_shared<Checkpoint<Real>>();
    c->scenario_name = s.name;
    c->scenario_yaml = s.resolved_yaml;
    c->scenario_hash = hash;
    c->build = build;
    c->grid = disc.grid;
    c->labels = labels;
    c->position = at;
    c->max_dt = plan.max_dt;
    c->seed = s.seed;
    c->field_names = field_names;
    if (comm.parallel()) {
      // Collective: every rank writes its block into the one file, on this thread.
      for (int f = 0; f < sim.fields().count(); ++f) c->fields.push_back(sim.local_field(f));
      c->labels = block_of(labels, disc.grid, sim.block());
      c->plasma = sim.plasma();
      c->blood = sim.blood();
      c->drugs = sim.drug_levels();
      c->timeseries = flat_timeseries;
      c->timeseries_rows = std::int64_t(series.rows().size());
      c->timeseries_width = row_width;
      c->wall_seconds = wall_before + seconds_between(wall_start, Clock::now());
      const std::string path = directory + "/" + checkpoint_file_name(sim.steps());
      const auto begin = Clock::now();
      write_checkpoint_collective(comm, path, *c, sim.block());
      const double seconds = seconds_between(begin, Clock::now());
      if (root) prune_checkpoints(directory, s.checkpoint.keep);  // rank 0's temporary names only
      {
        const std::lock_guard lock(timing_mutex);
        checkpoint_write_seconds.push_back(seconds);
      }
      copy_seconds += seconds_between(start, Clock::now());
      last_checkpoint_step = sim.steps();
      last_checkpoint_wall = Clock::now();
      last_checkpoint_path = path;
      ++checkpoints_written;
      if (opt.progress || std::string(why) != "periodic")
        fmt::print(log, "checkpoint {} at step {}, t = {} ({}, written by {} ranks)\n", path, sim.steps(),
                   format_sim_time(sim.time()), why, comm.size());
      return;
    }
    typename Simulation<Real>::State state = sim.state();
    c->fields = std::move(state.fields);
    c->plasma = state.plasma;
    c->blood = state.blood;
    c->drugs = sim.drug_levels();
    c->timeseries = flat_timeseries;
    c->timeseries_rows = std::int64_t(series.rows().size());
    c->timeseries_width = row_width;
    c->wall_seconds = wall_before + seconds_between(wall_start, Clock::now());
    copy_seconds += seconds_between(start, Clock::now());
    const std::string path = directory + "/" + checkpoint_file_name(sim.steps());
    const int keep = s.checkpoint.keep;
    writer.submit([c, path, keep, &directory, &timing_mutex, &checkpoint_write_seconds] {
      const auto begin = Clock::now();
      write_checkpoint(path, *c);
      const double seconds = seconds_between(begin, Clock::now());
      prune_checkpoints(directory, keep);
      const std::lock_guard lock(timing_mutex);
      checkpoint_write_seconds.push_back(seconds);
    });
    last_checkpoint_step = sim.steps();
    last_checkpoint_wall = Clock::now();
    last_checkpoint_path = path;
    ++checkpoints_written;
    if (opt.progress || std::string(why) != "periodic")
      fmt::print(log, "checkpoint {} at step {}, t = {} ({})\n", path, sim.steps(),
                 format_sim_time(sim.time()), why);
  };

  // --walltime: the time a checkpoint takes, first from a probe write, then measured.
  double probe_seconds = 0;
  if (opt.walltime_s && root) probe_seconds = probe_write_seconds(directory, state_bytes);
  auto checkpoint_estimate = [&] {
    const std::lock_guard lock(timing_mutex);
    if (checkpoint_write_seconds.empty()) return 2 * probe_seconds;
    return 1.5 * *std::max_element(checkpoint_write_seconds.begin(), checkpoint_write_seconds.end());
  };

  std::string stop_reason;
  double longest_step = 0;
  auto last_step_end = Clock::now();
  double next_checkpoint_time =
      s.checkpoint.interval ? (std::floor(sim.time() / *s.checkpoint.interval) + 1) * *s.checkpoint.interval
                            : 0;
  typename Simulation<Real>::Segment segment;
  ProgressReporter progress(log, s.output.progress_interval, total_steps, s.time.end, voxels, opt.progress,
                            sim.steps());
  auto after_step = [&]() -> bool {
    progress.update(sim.steps(), sim.time());
    const auto now = Clock::now();
    longest_step = std::max(longest_step, seconds_between(last_step_end, now));
    last_step_end = now;
    if (sim.steps() % kGuardInterval == 0) guard.check("the next output");
    if (const int signal = StopSignals::received())
      stop_reason = fmt::format("{} received", StopSignals::name(signal));
    else if (opt.stop_at_step && sim.steps() >= *opt.stop_at_step)
      stop_reason = fmt::format("--stop-at-step {}", *opt.stop_at_step);
    else if (opt.walltime_s) {
      const double left = *opt.walltime_s - seconds_between(opt.started, now);
      const double margin = std::min(60.0, 0.02 * *opt.walltime_s) + 0.5;
      if (left < 2 * checkpoint_estimate() + 2 * longest_step + margin)
        stop_reason = fmt::format("--walltime {}: {} left, a checkpoint takes about {}",
                                  format_duration(*opt.walltime_s), format_duration(std::max(left, 0.0)),
                                  format_duration(checkpoint_estimate()));
    }
    bool wall_due = s.checkpoint.wall && seconds_between(last_checkpoint_wall, now) >= *s.checkpoint.wall;
    if (comm.parallel()) {
      // Signals reach ranks at different moments and clocks differ: all ranks
      // stop (or checkpoint) at the same step when any of them would.
      std::int64_t flags[2] = {stop_reason.empty() ? 0 : 1, wall_due ? 1 : 0};
      comm.sum(flags, 2);
      if (flags[0] > 0 && stop_reason.empty())
        stop_reason = "another rank stopped the run (signal or --walltime)";
      wall_due = flags[1] > 0;
    }
    if (!stop_reason.empty()) return false;
    bool due = false;
    if (s.checkpoint.steps && sim.steps() % *s.checkpoint.steps == 0) due = true;
    if (s.checkpoint.interval && sim.time() >= next_checkpoint_time * (1 - 1e-12)) {
      due = true;
      next_checkpoint_time =
          (std::floor(sim.time() / *s.checkpoint.interval * (1 + 1e-12)) + 1) * *s.checkpoint.interval;
    }
    if (wall_due) due = true;
    if (due) {
      RunPosition at = position;
      at.time = sim.time();
      at.step = sim.steps();
      write_checkpoint_now(at, "periodic");
    }
    return true;
  };

  const auto step_start = Clock::now();
  double stepping_seconds = 0;
  nlohmann::json outcome;
  try {
    if (!restart) {
      write_outputs();
      position.next_output = 1;
      position.segment_start_time = 0;
      position.segment_start_step = 0;
      position.segment_end_time = times.size() > 1 ? times[1] : 0;
      position.segment_steps = steps_between(0, position.segment_end_time, plan.max_dt);
    }
    last_step_end = Clock::now();
    while (std::size_t(position.next_output) < times.size()) {
      segment = {position.segment_start_time, position.segment_start_step, position.segment_end_time,
                 position.segment_steps};
      const auto t0 = Clock::now();
      const bool reached = sim.advance(segment, after_step);
      stepping_seconds += seconds_between(t0, Clock::now());
      position.time = sim.time();
      position.step = sim.steps();
      if (reached) {
        write_outputs();
        ++position.next_output;
        position.segment_start_time = sim.time();
        position.segment_start_step = sim.steps();
        if (std::size_t(position.next_output) < times.size()) {
          position.segment_end_time = times[std::size_t(position.next_output)];
          position.segment_steps = steps_between(sim.time(), position.segment_end_time, plan.max_dt);
        } else {
          position.segment_end_time = sim.time();
          position.segment_steps = 0;
        }
      }
      if (!stop_reason.empty()) break;
    }
    if (std::size_t(position.next_output) >= times.size()) stop_reason.clear();  // finished after all
    if (!stop_reason.empty() || periodic)
      write_checkpoint_now(position, stop_reason.empty() ? "end of run" : stop_reason.c_str());
    writer.drain();
  } catch (const RuntimeFailure& failure) {
    // The queued writes finish (the newest checkpoint is complete); the
    // summary tells a batch script what happened.
    try {
      writer.drain();
    } catch (...) {
    }
    series.flush();
    if (root)
      write_file_atomically(directory + "/summary.json",
                            nlohmann::json{{"scenario", {{"name", s.name}, {"file", s.source_file}}},
                                           {"status", "failed"},
                                           {"error", failure.what()},
                                           {"step", sim.steps()},
                                           {"time_s", sim.time()},
                                           {"last_checkpoint", last_checkpoint_path}}
                                    .dump(2) +
                                "\n");
    throw;
  }
  const bool stopped = !stop_reason.empty();
  if (!stopped) progress.finish(sim.steps(), sim.time());
  series.flush();
  if (snapshots) snapshots->flush();
  const double loop_seconds = seconds_between(step_start, Clock::now());
  const double wall = seconds_between(wall_start, Clock::now());
  const double stall_seconds = copy_seconds + writer.wait_seconds();

  const double steps_per_s =
      stepping_seconds > 0
          ? double(sim.steps() - (restart ? restart->checkpoint.position.step : 0)) / stepping_seconds
          : 0;
  nlohmann::json summary = {{"scenario", {{"name", s.name}, {"file", s.source_file}, {"hash", hash}}},
                            {"build", build_info_json()},
                            {"backend", backend_summary(sim.backend())},
                            {"precision", precision_name(s.precision)},
                            {"grid",
                             {{"nx", disc.grid.nx},
                              {"ny", disc.grid.ny},
                              {"nz", disc.grid.nz},
                              {"spacing_m", disc.grid.spacing},
                              {"tissue_voxels", voxels}}},
                            {"species", species_names},
                            {"populations", names.populations},
                            {"rules", s.rules.size()},
                            {"time",
                             {{"end_s", s.time.end},
                              {"reached_s", sim.time()},
                              {"dt_s", plan.max_dt},
                              {"stability_limit_s", plan.stability_limit},
                              {"steps", sim.steps()},
                              {"outputs", times.size()}}},
                            {"performance",
                             {{"wall_s", wall},
                              {"wall_all_runs_s", wall_before + wall},
                              {"loop_s", loop_seconds},
                              {"stepping_s", stepping_seconds},
                              {"steps_per_s", steps_per_s},
                              {"voxel_updates_per_s", steps_per_s * double(voxels)},
                              {"voxel_species_updates_per_s", steps_per_s * double(voxels) * ns},
                              {"io_stall_s", stall_seconds},
                              {"io_stall_fraction", loop_seconds > 0 ? stall_seconds / loop_seconds : 0.0},
                              {"io_background_s", writer.busy_seconds()}}},
                            {"checkpoints",
                             {{"written", checkpoints_written},
                              {"last", last_checkpoint_path},
                              {"keep", s.checkpoint.keep},
                              {"bytes_of_fields", state_bytes},
                              {"write_s", checkpoint_write_seconds}}},
                            {"outputs",
                             {{"directory", directory},
                              {"xdmf", snapshots ? snapshots->xdmf_path() : ""},
                              {"timeseries_csv", directory + "/timeseries.csv"},
                              {"timeseries_json", directory + "/timeseries.json"}}},
                            {"status", stopped ? "stopped" : "finished"}};
  if (restart)
    summary["restart"] = {{"from", restart->path},
                          {"step", restart->checkpoint.position.step},
                          {"changed_keys", restart->changed_keys}};
  if (stopped) summary["stop_reason"] = stop_reason;
  if (comm.parallel()) {
    double halo[2] = {sim.halo_wait_seconds(), sim.halo_pack_seconds()};
    comm.max_keep_nan(halo, 2);
    summary["mpi"] = {{"ranks", comm.size()},
                      {"decomposition", sim.decomposition().text()},
                      {"automatic", sim.decomposition().automatic},
                      {"imbalance", sim.decomposition().imbalance()},
                      {"halo_wait_s_max", halo[0]},
                      {"halo_pack_s_max", halo[1]},
                      {"library", par::mpi_summary()},
                      {"halos", sim.device_halos()             ? "device memory (CUDA-aware MPI)"
                                : sim.backend().device_halos() ? "staged through pinned host memory"
                                                               : "host memory"}};
  }
  if (root) write_file_atomically(directory + "/summary.json", summary.dump(2) + "\n");

  if (stopped) {
    fmt::print(log, "stopped at step {}, t = {} ({}); checkpoint {}\n", sim.steps(),
               format_sim_time(sim.time()), stop_reason, last_checkpoint_path);
    fmt::print(
        log,
        "continue with: cytostorm run {} --restart latest{} (and the same --set and --precision options)\n",
        s.source_file, opt.output_directory ? fmt::format(" --output {}", directory) : "");
    return summary;
  }
  const TimeSeriesRow final_stats = sim.statistics();
  fmt::print(log, "finished: {} steps in {} ({:.3g} voxel-species updates/s stepping)\n", sim.steps(),
             format_duration(wall), steps_per_s * double(voxels) * ns);
  for (int sp = 0; sp < ns; ++sp)
    fmt::print(log, "  {:<12} total {:.6g} pg   mean {:.6g} pg/mL   max {:.6g} pg/mL\n", s.species[sp].name,
               final_stats.stats[sp][0].total_pg, final_stats.stats[sp][0].mean,
               final_stats.stats[sp][0].max);
  const TimeSeriesRow& initial_totals = series.rows().front();
  for (std::size_t p = 0; p < s.populations.size(); ++p) {
    const double initial = initial_totals.populations[p][0].total_pg;
    fmt::print(log, "  {:<12} {:.6g} cells ({:.1f}% of the initial {:.6g})\n", s.populations[p].name,
               final_stats.populations[p][0].total_pg,
               initial > 0 ? 100.0 * final_stats.populations[p][0].total_pg / initial : 0.0, initial);
  }
  for (std::size_t sp = 0; sp < final_stats.plasma.size(); ++sp)
    fmt::print(log, "  plasma {:<12} {:.6g} pg/mL\n", s.species[sp].name, final_stats.plasma[sp]);
  fmt::print(log, "outputs in {}/ (summary.json, timeseries.csv/.json{})\n", directory,
             snapshots ? ", fields.xmf + HDF5 snapshots" : "");
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

nlohmann::json run_scenario(Scenario scenario, const RunOptions& options) {
  // Geometry painting and reductions use OpenMP too: one thread count for all.
  if (options.threads > 0) omp_set_num_threads(options.threads);
  if (options.precision) scenario.precision = *options.precision;
  if (options.output_directory) scenario.output.directory = *options.output_directory;
  if (scenario.precision == Precision::Float) return run_with<float>(scenario, options);
  return run_with<double>(scenario, options);
}

std::string check_scenario(const Scenario& s) {
  // Everything that can be refused from the numbers alone comes before the
  // grid is allocated, so a check on a login node cannot exhaust its memory.
  const PlacedGeometry geometry = load_geometry(s);
  check_memory(s, make_dense_grid(geometry.grid));
  check_precision_range(s);
  const TimePlan plan = plan_time(s);
  const std::vector<double> times = output_times(s);
  const TissueMap tissues = rasterise_tissues(s, geometry);
  const Discretisation disc = discretise(s, tissues);
  std::string out = describe_scenario(s, geometry);
  const DenseGrid& g = disc.grid;
  out += fmt::format("\nGrid: {} x {} x {} = {} voxels (voxel {:.6g} x {:.6g} x {:.6g} um)\n", g.nx, g.ny,
                     g.nz, g.voxels(), g.spacing[0] * 1e6, g.spacing[1] * 1e6, g.spacing[2] * 1e6);
  const double per_tissue_voxel = 100.0 / double(tissues.tissue_voxels);
  out += fmt::format(
      "Tissue voxels: {} ({:.1f}% of the box); update paths: {:.1f}% uniform, {:.1f}% walled, "
      "{:.1f}% per-face (interfaces, Dirichlet)\n",
      tissues.tissue_voxels, 100.0 * double(tissues.tissue_voxels) / double(g.voxels()),
      double(disc.uniform_voxels) * per_tissue_voxel, double(disc.walled_voxels) * per_tissue_voxel,
      double(tissues.tissue_voxels - disc.uniform_voxels - disc.walled_voxels) * per_tissue_voxel);
  const double voxel_ml = g.spacing[0] * g.spacing[1] * g.spacing[2] * 1e6;
  for (std::size_t t = 0; t < s.tissues.size(); ++t)
    out += fmt::format("  {:<16} label {:>3}  {:>10} voxels  {:.4g} mL\n", s.tissues[t].name,
                       s.tissues[t].label, tissues.voxel_count[t], double(tissues.voxel_count[t]) * voxel_ml);
  // Geometry from files next to what the files say: a mesh's enclosed
  // volume (divergence theorem), a label's volume in the source image.
  for (std::size_t i = 0; i < s.geometry.size(); ++i) {
    const GeometryItem& item = s.geometry[i];
    const PlacedItem& placed = geometry.items[i];
    if (item.kind == GeometryKind::Surface) {
      const double voxelised = double(tissues.item_voxels[i]) * voxel_ml;
      const double enclosed = std::abs(placed.mesh->enclosed_volume) * 1e6;
      out += fmt::format(
          "  geometry {} mesh {} ({}): {} voxels {:.6g} mL inside; mesh encloses {:.6g} mL ({:+.2f}%){}\n",
          i + 1, std::filesystem::path(item.mesh.file).filename().string(), s.tissues[item.tissue].name,
          tissues.item_voxels[i], voxelised, enclosed, enclosed > 0 ? 100 * (voxelised / enclosed - 1) : 0.0,
          placed.mesh->enclosed_volume < 0 ? " (inward-oriented)" : "");
    } else if (item.kind == GeometryKind::Volume) {
      const LabelVolume& v = placed.volume->volume;
      const auto h = v.spacing();
      const double source_voxel_ml = h[0] * h[1] * h[2] * 1e6;
      for (std::size_t j = 0; j < item.volume.labels.size(); ++j) {
        const auto& lt = item.volume.labels[j];
        const std::int64_t source_voxels = placed.volume->source_voxels[j];
        const double in_file = double(source_voxels) * source_voxel_ml;
        const double on_grid = double(tissues.voxel_count[std::size_t(lt.tissue)]) * voxel_ml;
        out += fmt::format(
            "  geometry {} label {} ({}): {} voxels {:.6g} mL in {}; the tissue has {:.6g} mL on the "
            "grid ({:+.2f}%)\n",
            i + 1, lt.label, s.tissues[lt.tissue].name, source_voxels, in_file,
            std::filesystem::path(item.volume.file).filename().string(), on_grid,
            100 * (on_grid / in_file - 1));
      }
    }
  }
  out += fmt::format("Materials (tissue x source combinations): {}\n", disc.n_materials() - 1);
  out += fmt::format("Memory estimate: {} at peak ({} species, {}, two buffers, halo and set-up included)\n",
                     format_bytes(memory_estimate_bytes(s, disc.grid)), s.species.size(),
                     precision_name(s.precision));
  out += fmt::format("GPU memory (gpu backend): {}\n",
                     format_bytes(gpu_memory_estimate_bytes(s, disc.grid, tissues.tissue_voxels)));
  if (std::isfinite(plan.stability_limit))
    out += fmt::format("Stable explicit dt: {:.6g} s = {:.6g} min (Dmax {:.6g} um^2/min, {})\n",
                       plan.stability_limit, plan.stability_limit / 60, plan.max_diffusion * 6e13,
                       plan.max_diffusion_where);
  else
    out += "Stable explicit dt: unlimited (no diffusion)\n";
  out +=
      fmt::format("Time step used: {:.6g} s{}; {} steps to t = {}, {} outputs\n", plan.max_dt,
                  plan.substepped ? fmt::format(" ({:.0f} sub-steps per requested dt)", plan.substeps_per_dt)
                                  : std::string(),
                  planned_steps(times, plan.max_dt), format_sim_time(s.time.end), times.size());
  out += fmt::format("GPU: {}\n", gpu_support_summary());
  out += fmt::format("{}\n", par::mpi_summary());
  // What mpirun -n P would choose: blocks and how even their tissue is.
  std::string plans;
  for (int ranks : {2, 4, 8, 16, 64}) {
    try {
      const Decomposition d = decompose(tissues, ranks, std::nullopt);
      plans +=
          fmt::format("{}{} ranks {} ({:.2f}x)", plans.empty() ? "" : ", ", ranks, d.text(), d.imbalance());
    } catch (const InputError&) {
      plans += fmt::format("{}{} ranks: too many for the tissue", plans.empty() ? "" : ", ", ranks);
      break;
    }
  }
  out += fmt::format("MPI blocks (largest block's tissue / mean): {}\n", plans);
  return out;
}

}  // namespace cyto
