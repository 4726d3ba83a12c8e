#include "host/app/validation.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "host/app/precision_range.hpp"
#include "host/model/cell_model.hpp"
#include "host/model/initial_state.hpp"
#include "host/parallel/decomposition.hpp"

namespace cyto {
namespace {

// More outputs than this is refused: each one scans every field and writes files.
constexpr double kMaxOutputs = 1e5;

double physical_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? double(pages) * double(page) : 0;
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

// The output times: 0, every output.interval, and time.end; refused beyond kMaxOutputs.
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

// The backend keeps a voxel's fields in fixed arrays (the GPU's kernels are
// compiled for each count): the scenario's fields must fit the kind's limit.
void check_field_capacity(const Scenario& s, BackendKind backend) {
  const int fields = field_count(s), most = max_fields(backend);
  if (fields < 1 || fields > most)
    throw InputError(SourceLocation{},
                     fmt::format("the {} backend runs 1 to {} fields, not {}",
                                 backend == BackendKind::Gpu ? "GPU" : "CPU", most, fields));
}

// Stochastic death draws one 32-bit number per cell, with a 16-bit batch
// index of four cells in the Philox counter: refused where a voxel could
// hold more cells than that, initially or grown to a growth or recruitment
// rule's capacity.
void check_stochastic_cell_counts(const Scenario& s, const TissueMap& tissues) {
  constexpr double kMaxStochasticCells = 4.0 * 65536;
  const Vec3& h = tissues.grid.spacing;
  const double voxel_ml = h[0] * h[1] * h[2] * 1e6;  // m^3 -> mL
  for (const Rule& r : s.rules) {
    if (r.kind != RuleKind::Death || r.mode != DeathMode::Stochastic) continue;
    const std::vector<double> initial = initial_population(s, tissues, r.population);
    double most = *std::max_element(initial.begin(), initial.end());
    for (const Rule& g : s.rules)
      if ((g.kind == RuleKind::Growth || g.kind == RuleKind::Recruitment) && g.population == r.population)
        most = std::max(most, g.capacity);
    if (most * voxel_ml > kMaxStochasticCells)
      throw InputError(
          r.where,
          fmt::format("stochastic death of \"{}\" would track up to {:.3g} cells in a voxel, "
                      "more than the {:.0f} allowed; use smaller voxels or mode: deterministic",
                      s.populations[std::size_t(r.population)].name, most * voxel_ml, kMaxStochasticCells));
  }
}

}  // namespace

ValidatedRun validate_run(const Scenario& s, const RunTarget& target) {
  return validate_run(s, load_geometry(s), target);
}

ValidatedRun validate_run(const Scenario& s, const PlacedGeometry& geometry, const RunTarget& target) {
  ValidatedRun v;
  // Everything that can be refused from the numbers alone comes before the
  // grid is allocated, so a check on a login node cannot exhaust its memory.
  const DenseGrid grid = make_dense_grid(geometry.grid);
  check_memory(s, grid);
  v.plan = plan_time(s);
  check_precision_range(s, grid, v.plan.max_dt);
  v.output_times = output_times(s);
  v.steps = planned_step_sizes(v.output_times, v.plan.max_dt);
  v.total_steps = v.steps.count();
  v.backend = resolve_backend_kind(target.backend);
  check_field_capacity(s, v.backend);
  v.tissues = rasterise_tissues(s, geometry);
  check_stochastic_cell_counts(s, v.tissues);
  v.fronts = assess_front_resolution(s, v.tissues);
  decompose(v.tissues, target.ranks, target.decomposition);
  return v;
}

std::string describe_step_sizes(const StepSizes& steps, const TimePlan& plan) {
  if (steps.count() == 0) return "no steps";
  std::string text = steps.min() == steps.max() ? fmt::format("{:.6g} s", steps.min())
                                                : fmt::format("{:.6g} to {:.6g} s (median {:.6g} s)",
                                                              steps.min(), steps.max(), steps.median());
  if (steps.max() < plan.max_dt * (1 - 1e-12))
    text += fmt::format(", under the {:.6g} s cap so that every output time ends a step", plan.max_dt);
  return text;
}

std::string describe_step_cap(const TimePlan& plan) {
  if (!std::isfinite(plan.adaptive_max_dt)) return "no limit (no diffusion)";
  return fmt::format("{:.6g} s (the stable explicit step x time.safety)", plan.adaptive_max_dt);
}

// Peak memory of a run, from the grid alone (so it can be checked before
// anything is allocated): per padded voxel two buffers per field and two
// copies of the material id; per dense voxel the tissue map, output labels
// and, while initial values are built, a double field and a region mask.
double memory_estimate_bytes(const Scenario& s, const DenseGrid& g) {
  const double real_size = s.precision == Precision::Float ? 4 : 8;
  const GridLayout layout = make_grid_layout(g.nx, g.ny, g.nz);
  const double padded = double(layout.size), dense = double(g.voxels());
  return padded * (2.0 * double(field_count(s)) * real_size + 2 * sizeof(MaterialId) + real_size) +
         dense * (1 + 1 + sizeof(double) + 1);
}

// Device memory the GPU backend allocates: two buffers per field, the
// material map, and the reductions' region index (one offset per tissue voxel).
double gpu_memory_estimate_bytes(const Scenario& s, const DenseGrid& g, std::int64_t tissue_voxels) {
  const double real_size = s.precision == Precision::Float ? 4 : 8;
  const GridLayout layout = make_grid_layout(g.nx, g.ny, g.nz);
  return double(layout.size) * (2.0 * double(field_count(s)) * real_size + sizeof(MaterialId)) +
         double(tissue_voxels) * sizeof(std::uint32_t);
}

std::string format_bytes(double bytes) {
  if (bytes >= 1024.0 * 1024 * 1024) return fmt::format("{:.2f} GiB", bytes / (1024.0 * 1024 * 1024));
  return fmt::format("{:.1f} MiB", bytes / (1024.0 * 1024));
}

const char* precision_name(Precision p) { return p == Precision::Float ? "float" : "double"; }

}  // namespace cyto
