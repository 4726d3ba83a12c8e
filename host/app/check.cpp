#include "host/app/check.hpp"

#include <cmath>
#include <filesystem>

#include <fmt/format.h>

#include "host/app/earlier_run.hpp"
#include "host/app/validation.hpp"
#include "host/core/progress.hpp"
#include "host/geometry/geometry_description.hpp"
#include "host/io/checkpoint.hpp"
#include "host/model/initial_state.hpp"
#include "host/parallel/decomposition.hpp"
#include "host/parallel/parallel.hpp"
#include "host/scenario/config.hpp"
#include "host/scenario/scenario_description.hpp"
#include "host/scenario/units.hpp"

namespace cyto {
namespace {

// Voxels per tissue, and geometry from files next to what the files say: a
// mesh's enclosed volume (divergence theorem), a label's volume in the source image.
std::string describe_tissues(const Scenario& s, const PlacedGeometry& geometry, const TissueMap& tissues,
                             const Discretisation& disc) {
  const DenseGrid& g = disc.grid;
  std::string out;
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
  return out;
}

// What each random seeding drew, next to what it asked for: a wrong draw
// shows here before a run, not as a quietly thin population after it.
std::string describe_seeding(const Scenario& s, const TissueMap& tissues) {
  if (s.seedings.empty()) return {};
  std::string out = "Seeded cells (drawn, Poisson per voxel; mean +- sd over the region's voxels):\n";
  for (const SeedingSummary& d : seeding_summaries(s, tissues)) {
    const Seeding& sd = s.seedings[d.seeding];
    out += fmt::format(
        "  {} {}: requested {} = {:.6g} cells/voxel; drawn {:.6g} +- {:.4g} cells/voxel "
        "over {} voxels = {} ({:.6g} cells)\n",
        s.populations[std::size_t(sd.population)].name, describe_region(sd.region, s),
        format_quantity(sd.density, Quantity::CellDensity), d.requested_mean, d.mean_cells, d.sd_cells,
        d.voxels, format_quantity(d.mean_density, Quantity::CellDensity), d.total_cells);
  }
  return out;
}

// The time step and the steps and outputs it makes.
std::string describe_time_plan(const Scenario& s, const ValidatedRun& v) {
  const TimePlan& plan = v.plan;
  std::string out;
  if (std::isfinite(plan.stability_limit))
    out += fmt::format("Stable explicit dt: {:.6g} s = {:.6g} min (Dmax {:.6g} um^2/min, {})\n",
                       plan.stability_limit, plan.stability_limit / 60, plan.max_diffusion * 6e13,
                       plan.max_diffusion_where);
  else
    out += "Stable explicit dt: unlimited (no diffusion)\n";
  if (plan.adaptive) {
    out += fmt::format(
        "Time step: error-controlled (time.tolerance {:g}), at most {}; steps chosen as the run "
        "goes; {} outputs to t = {}\n",
        s.time.tolerance, describe_step_cap(plan), v.output_times.size(), format_sim_time(s.time.end));
    return out;
  }
  out += fmt::format(
      "Time step used: {}{}; {} steps to t = {}, {} outputs\n", describe_step_sizes(v.steps, plan),
      plan.substepped ? fmt::format(" ({:.0f} sub-steps per requested dt)", plan.substeps_per_dt)
                      : std::string(),
      v.total_steps, format_sim_time(s.time.end), v.output_times.size());
  return out;
}

// Whether the grid resolves each death rule's fronts.
std::string describe_fronts(const Scenario& s, const ValidatedRun& v) {
  if (v.fronts.empty()) return {};
  std::string out = "Pyroptotic fronts (voxel against the front scale L; docs/numerics/method.md#fronts):\n";
  for (const FrontResolution& f : v.fronts) out += fmt::format("  {}\n", describe_front_resolution(s, f));
  return out;
}

// What mpirun -n P would choose: blocks and how even their tissue is.
std::string describe_decompositions(const TissueMap& tissues) {
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
  return fmt::format("MPI blocks (largest block's tissue / mean): {}\n", plans);
}

// What the output directory holds: a run now would be refused (a run in
// progress, checkpoints a fresh run must not overwrite), continue one that
// was killed, or move earlier outputs aside.
std::string describe_output_directory(const std::string& directory) {
  const EarlierRun earlier = inspect_earlier_run(directory);
  std::string out = fmt::format("Output directory: {} {}", directory, earlier.description);
  if (earlier.state != EarlierRun::State::InProgress) {
    const std::vector<CheckpointFile> checkpoints = list_checkpoints(directory);
    if (!checkpoints.empty())
      out += fmt::format(
          "; {} checkpoint{} (newest step {}): --restart latest continues, a run from t = 0 "
          "is refused",
          checkpoints.size(), checkpoints.size() == 1 ? "" : "s", checkpoints.front().step);
    else if (earlier.state != EarlierRun::State::None)
      out += "; a run from t = 0 moves its outputs to previous.<n>/";
  }
  return out + "\n";
}

}  // namespace

std::string check_scenario(Scenario s, const RunOptions& options) {
  apply_run_options(s, options);
  const PlacedGeometry geometry = load_geometry(s);
  const ValidatedRun v =
      validate_run(s, geometry, {options.backend, par::Comm::world().size(), options.decomposition});
  const TissueMap& tissues = v.tissues;
  const Discretisation disc = discretise(s, tissues);
  std::string out = describe_scenario(s, geometry);
  const DenseGrid& g = disc.grid;
  out += fmt::format("\nGrid: {} x {} x {} = {} voxels (voxel {:.6g} x {:.6g} x {:.6g} um)\n", g.nx, g.ny,
                     g.nz, g.voxels(), g.spacing[0] * 1e6, g.spacing[1] * 1e6, g.spacing[2] * 1e6);
  out += describe_tissues(s, geometry, tissues, disc);
  out += fmt::format("Materials (tissue x source combinations): {}\n", disc.n_materials() - 1);
  out += fmt::format("Memory estimate: {} at peak ({} species, {}, two buffers, halo and set-up included)\n",
                     format_bytes(memory_estimate_bytes(s, disc.grid)), s.species.size(),
                     precision_name(s.precision));
  out += fmt::format("GPU memory (gpu backend): {}\n",
                     format_bytes(gpu_memory_estimate_bytes(s, disc.grid, tissues.tissue_voxels)));
  out += describe_seeding(s, tissues);
  out += describe_time_plan(s, v);
  out += describe_fronts(s, v);
  out += fmt::format("GPU: {}\n", gpu_support_summary());
  out += fmt::format("{}\n", par::mpi_summary());
  out += describe_decompositions(tissues);
  out += describe_output_directory(s.output.directory);
  return out;
}

}  // namespace cyto
