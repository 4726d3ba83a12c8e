#include "run.hpp"

#include <omp.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <regex>

#include <fmt/format.h>

#include "build_info.hpp"
#include "config.hpp"
#include "progress.hpp"
#include "simulation.hpp"
#include "trace.hpp"

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
      R"((summary\.json|timeseries\.csv|timeseries\.json|populations\.csv|plasma\.csv|fields\.xmf|geometry\.h5|snapshot_\d{6}\.h5)(\.tmp\.\d+)?)");
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

// A NaN or infinity anywhere makes a species' total non-finite; name the
// first voxel where it appears so the user can see where the run went wrong.
template <class Real>
void check_finite(const Simulation<Real>& sim, const TimeSeriesRow& row) {
  const std::size_t ns = row.stats.size();
  for (std::size_t f = 0; f < ns + row.populations.size(); ++f) {
    const RegionStats& all = f < ns ? row.stats[f][0] : row.populations[f - ns][0];
    if (std::isfinite(all.total_pg)) continue;
    const std::vector<double> values = sim.field(int(f));
    const std::string& name =
        f < ns ? sim.scenario().species[f].name : sim.scenario().populations[f - ns].name;
    const DenseGrid& g = sim.tissues().grid;
    for (std::int64_t idx = 0; idx < g.voxels(); ++idx) {
      if (std::isfinite(values[idx])) continue;
      const int i = int(idx % g.nx), j = int(idx / g.nx % g.ny), k = int(idx / g.nx / g.ny);
      const Vec3 p = voxel_centre(g, i, j, k);
      throw RuntimeFailure(fmt::format(
          "{} is {} at voxel ({}, {}, {}), position ({:.6g}, {:.6g}, {:.6g}) mm, tissue \"{}\", at step {} "
          "(t = {}): the run overflowed or became unstable; outputs up to the previous output time are "
          "intact",
          name, values[idx], i, j, k, p[0] * 1e3, p[1] * 1e3, p[2] * 1e3,
          sim.scenario().tissues[sim.tissues().tissue[idx] - 1].name, sim.steps(),
          format_sim_time(sim.time())));
    }
  }
}

template <class Real>
nlohmann::json run_with(const Scenario& s, const RunOptions& opt) {
  std::FILE* log = opt.log;
  const auto wall_start = std::chrono::steady_clock::now();
  check_memory(s, make_dense_grid(s.grid));
  check_precision_range(s);
  const std::vector<double> times = output_times(s);
  Simulation<Real> sim(s, make_backend<Real>(opt.backend, opt.threads));
  const Discretisation& disc = sim.discretisation();
  const TimePlan& plan = sim.time_plan();
  const std::int64_t total_steps = planned_steps(times, plan.max_dt);
  const std::int64_t voxels = sim.tissues().tissue_voxels;
  const int ns = int(s.species.size());

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
  std::fflush(log);

  ensure_directory(s.output.directory);
  if (const int removed = clear_previous_outputs(s.output.directory))
    fmt::print(log, "replaced {} output file{} of an earlier run in {}\n", removed, removed == 1 ? "" : "s",
               s.output.directory);
  // Until the run finishes, the summary says so: a killed run is never taken for a finished one.
  write_file_atomically(
      s.output.directory + "/summary.json",
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
  std::optional<SnapshotWriter> snapshots;
  if (s.output.snapshots)
    snapshots.emplace(s.output.directory, disc.grid, label_values(s, sim.tissues()), s.tissues,
                      kIndexRewriteInterval);
  TimeSeriesWriter series(s.output.directory, names, kIndexRewriteInterval);

  const Precision native = sizeof(Real) == 4 ? Precision::Float : Precision::Double;
  auto write_outputs = [&] {
    TraceRange trace("outputs");
    const TimeSeriesRow row = sim.statistics();
    check_finite(sim, row);
    series.append(row);
    if (!snapshots) return;
    std::vector<std::vector<Real>> data;
    std::vector<FieldView> views;
    data.reserve(s.output.fields.size() + s.output.population_fields.size());
    for (int sp : s.output.fields) {
      data.push_back(sim.native_field(sp));
      views.push_back({s.species[sp].name, data.back().data(), native});
    }
    for (int p : s.output.population_fields) {
      data.push_back(sim.native_field(sim.fields().population(p)));
      views.push_back({s.populations[p].name, data.back().data(), native});
    }
    snapshots->write(sim.time(), sim.steps(), views);
  };

  ProgressReporter progress(log, s.output.progress_interval, total_steps, s.time.end, voxels, opt.progress);
  const auto step_start = std::chrono::steady_clock::now();
  double stepping_seconds = 0;
  write_outputs();
  const TimeSeriesRow initial_totals = sim.statistics();
  for (std::size_t k = 1; k < times.size(); ++k) {
    const auto t0 = std::chrono::steady_clock::now();
    sim.advance_to(times[k], [&] { progress.update(sim.steps(), sim.time()); });
    stepping_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    write_outputs();
  }
  progress.finish(sim.steps(), sim.time());
  series.flush();
  if (snapshots) snapshots->flush();
  const double loop_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - step_start).count();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();

  const double steps_per_s = stepping_seconds > 0 ? double(sim.steps()) / stepping_seconds : 0;
  nlohmann::json summary = {
      {"scenario", {{"name", s.name}, {"file", s.source_file}, {"hash", scenario_hash(s)}}},
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
        {"dt_s", plan.max_dt},
        {"stability_limit_s", plan.stability_limit},
        {"steps", sim.steps()},
        {"outputs", times.size()}}},
      {"performance",
       {{"wall_s", wall},
        {"loop_s", loop_seconds},
        {"stepping_s", stepping_seconds},
        {"steps_per_s", steps_per_s},
        {"voxel_updates_per_s", steps_per_s * double(voxels)},
        {"voxel_species_updates_per_s", steps_per_s * double(voxels) * ns}}},
      {"outputs",
       {{"directory", s.output.directory},
        {"xdmf", snapshots ? snapshots->xdmf_path() : ""},
        {"timeseries_csv", s.output.directory + "/timeseries.csv"},
        {"timeseries_json", s.output.directory + "/timeseries.json"}}},
      {"status", "finished"}};
  write_file_atomically(s.output.directory + "/summary.json", summary.dump(2) + "\n");

  const TimeSeriesRow final_stats = sim.statistics();
  fmt::print(log, "finished: {} steps in {} ({:.3g} voxel-species updates/s stepping)\n", sim.steps(),
             format_duration(wall), steps_per_s * double(voxels) * ns);
  for (int sp = 0; sp < ns; ++sp)
    fmt::print(log, "  {:<12} total {:.6g} pg   mean {:.6g} pg/mL   max {:.6g} pg/mL\n", s.species[sp].name,
               final_stats.stats[sp][0].total_pg, final_stats.stats[sp][0].mean,
               final_stats.stats[sp][0].max);
  for (std::size_t p = 0; p < s.populations.size(); ++p) {
    const double initial = initial_totals.populations[p][0].total_pg;
    fmt::print(log, "  {:<12} {:.6g} cells ({:.1f}% of the initial {:.6g})\n", s.populations[p].name,
               final_stats.populations[p][0].total_pg,
               initial > 0 ? 100.0 * final_stats.populations[p][0].total_pg / initial : 0.0, initial);
  }
  for (std::size_t sp = 0; sp < final_stats.plasma.size(); ++sp)
    fmt::print(log, "  plasma {:<12} {:.6g} pg/mL\n", s.species[sp].name, final_stats.plasma[sp]);
  fmt::print(log, "outputs in {}/ (summary.json, timeseries.csv/.json{})\n", s.output.directory,
             snapshots ? ", fields.xmf + HDF5 snapshots" : "");
  return summary;
}

}  // namespace

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
  check_memory(s, make_dense_grid(s.grid));
  check_precision_range(s);
  const TimePlan plan = plan_time(s);
  const std::vector<double> times = output_times(s);
  const TissueMap tissues = rasterise_tissues(s);
  const Discretisation disc = discretise(s, tissues);
  std::string out = describe_scenario(s);
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
    if (item.kind == GeometryKind::Surface) {
      const double voxelised = double(tissues.item_voxels[i]) * voxel_ml;
      const double enclosed = std::abs(item.surface->enclosed_volume) * 1e6;
      out += fmt::format(
          "  geometry {} mesh {} ({}): {} voxels {:.6g} mL inside; mesh encloses {:.6g} mL ({:+.2f}%){}\n",
          i + 1, std::filesystem::path(item.surface->file).filename().string(), s.tissues[item.tissue].name,
          tissues.item_voxels[i], voxelised, enclosed, enclosed > 0 ? 100 * (voxelised / enclosed - 1) : 0.0,
          item.surface->enclosed_volume < 0 ? " (inward-oriented)" : "");
    } else if (item.kind == GeometryKind::Volume) {
      const LabelVolume& v = item.volume->volume;
      const auto h = v.spacing();
      const double source_voxel_ml = h[0] * h[1] * h[2] * 1e6;
      for (const auto& lt : item.volume->labels) {
        const double in_file = double(lt.source_voxels) * source_voxel_ml;
        const double on_grid = double(tissues.voxel_count[std::size_t(lt.tissue)]) * voxel_ml;
        out += fmt::format(
            "  geometry {} label {} ({}): {} voxels {:.6g} mL in {}; the tissue has {:.6g} mL on the "
            "grid ({:+.2f}%)\n",
            i + 1, lt.label, s.tissues[lt.tissue].name, lt.source_voxels, in_file,
            std::filesystem::path(item.volume->file).filename().string(), on_grid,
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
  return out;
}

}  // namespace cyto
