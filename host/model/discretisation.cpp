#include "host/model/discretisation.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include <fmt/format.h>

#include "host/model/field_layout_copy.hpp"
#include "kernels/voxel_update_k.hpp"

namespace cyto {
namespace {

// Materials are built incrementally: start from the tissue, then each
// source's region maps (material, source) to a new material.
struct MaterialBuilder {
  std::vector<int> tissue{-1};
  std::vector<std::vector<int>> sources{{}};
  std::map<std::pair<int, int>, MaterialId> with_source;

  MaterialId for_tissue(int t) {
    tissue.push_back(t);
    sources.emplace_back();
    return MaterialId(tissue.size() - 1);
  }
  MaterialId add_source(MaterialId m, int source, const SourceLocation& where) {
    auto [it, inserted] = with_source.try_emplace({m, source}, MaterialId(0));
    if (inserted) {
      if (tissue.size() >= std::numeric_limits<MaterialId>::max())
        throw InputError(where, "too many distinct combinations of tissues and overlapping sources");
      tissue.push_back(tissue[m]);
      auto list = sources[m];
      list.push_back(source);
      sources.push_back(std::move(list));
      it->second = MaterialId(tissue.size() - 1);
    }
    return it->second;
  }
};

std::string empty_region_message(const char* what, const Region& region, const Scenario& s) {
  return fmt::format(
      "this {} covers no tissue voxel: its {}{}{} contains no voxel centre of {} "
      "(a shape smaller than a voxel, or outside that tissue?)",
      what, region.shape ? "shape" : "", region.shape && region.tissue ? " within " : "",
      region.tissue ? "tissue \"" + s.tissues[*region.tissue].name + "\"" : "",
      region.tissue ? "it" : "any tissue");
}

bool material_has_fixed_species(const Scenario& s, int tissue) {
  return std::any_of(s.boundaries.begin(), s.boundaries.end(),
                     [&](const DirichletBoundary& b) { return b.tissue == tissue; });
}

// Appends one row's tissue voxels (in x order) as runs: a new run where the
// material or kind changes or a gap begins; wall voxels of uniform runs are
// listed for their fix-up.
template <class Voxel>
void append_row_runs(const std::vector<Voxel>& row, TissueRuns& tr, std::int64_t row_first_run) {
  for (std::size_t v = 0; v < row.size(); ++v) {
    const Voxel& x = row[v];
    const bool extends = std::int64_t(tr.runs.size()) > row_first_run && tr.runs.back().i_end == x.i &&
                         tr.runs.back().material == x.material && tr.runs.back().kind == x.kind;
    const auto n_walls = std::int32_t(tr.walls.size());
    if (extends)
      ++tr.runs.back().i_end;
    else
      tr.runs.push_back({x.i, x.i + 1, x.material, x.kind, n_walls, n_walls});
    if (x.kind == TissueRun::kUniform && x.open != kAllFacesOpen) {
      tr.walls.push_back({x.i, x.open});
      tr.runs.back().walls_end = n_walls + 1;
    }
  }
}

// Runs of the voxels for which keep(i, j, k) holds.
template <class Keep>
TissueRuns build_runs(const Scenario& scenario, const Discretisation& d, std::int64_t& uniform_voxels,
                      std::int64_t& walled_voxels, const Keep& keep) {
  const GridLayout& g = d.layout;
  std::vector<std::uint8_t> has_fixed(d.material_tissue.size(), 0);
  for (std::size_t m = 1; m < d.material_tissue.size(); ++m)
    has_fixed[m] = material_has_fixed_species(scenario, d.material_tissue[m]);

  TissueRuns tr;
  tr.row_begin.reserve(std::size_t(g.rows()) + 1);
  uniform_voxels = 0;
  walled_voxels = 0;
  struct Voxel {
    int i;
    MaterialId material;
    TissueRun::Kind kind;
    std::uint8_t open;
  };
  std::vector<Voxel> row;
  for (int k = 0; k < g.nz; ++k)
    for (int j = 0; j < g.ny; ++j) {
      tr.row_begin.push_back(std::int64_t(tr.runs.size()));
      const std::int64_t base = g.index(0, j, k);
      row.clear();
      for (int i = 0; i < g.nx; ++i) {
        const std::int64_t idx = base + i;
        const MaterialId m = d.material[idx];
        if (m == 0 || !keep(i, j, k)) continue;
        const MaterialId* mat = d.material.data();
        const MaterialId neighbour[6] = {mat[idx - 1],       mat[idx + 1],       mat[idx - g.pitch],
                                         mat[idx + g.pitch], mat[idx - g.plane], mat[idx + g.plane]};
        // neighbour[] is in OpenFace bit order: west, east, south, north, below, above.
        const VoxelClass path = classify_voxel(m, neighbour, has_fixed[m] != 0);
        const bool fast = !path.general;
        const std::uint8_t open = path.open;
        row.push_back({i, m, fast ? TissueRun::kUniform : TissueRun::kGeneral, open});
        uniform_voxels += fast && open == kAllFacesOpen;
        walled_voxels += fast && open != kAllFacesOpen;
      }
      append_row_runs(row, tr, tr.row_begin.back());
    }
  tr.row_begin.push_back(std::int64_t(tr.runs.size()));
  tr.voxels_before_plane.assign(std::size_t(g.nz) + 1, 0);
  for (int k = 0; k < g.nz; ++k) {
    std::int64_t in_plane = 0;
    for (std::int64_t q = tr.row_begin[std::size_t(k) * g.ny]; q < tr.row_begin[std::size_t(k + 1) * g.ny];
         ++q)
      in_plane += tr.runs[q].i_end - tr.runs[q].i_begin;
    tr.voxels_before_plane[k + 1] = tr.voxels_before_plane[k] + in_plane;
  }
  return tr;
}

}  // namespace

Discretisation discretise(const Scenario& scenario, const TissueMap& tissues, const Box* block,
                          const std::array<bool, 6>& exchanged) {
  Discretisation d;
  d.grid = tissues.grid;
  d.block = block ? *block : Box{{0, 0, 0}, {d.grid.nx, d.grid.ny, d.grid.nz}};
  d.exchanged = exchanged;
  d.layout = make_grid_layout(d.block.size[0], d.block.size[1], d.block.size[2]);

  MaterialBuilder builder;
  std::vector<MaterialId> of_tissue(scenario.tissues.size());
  for (std::size_t t = 0; t < scenario.tissues.size(); ++t) of_tissue[t] = builder.for_tissue(int(t));

  std::vector<MaterialId> dense(tissues.tissue.size(), 0);
  for (std::size_t idx = 0; idx < dense.size(); ++idx)
    if (tissues.tissue[idx]) dense[idx] = of_tissue[tissues.tissue[idx] - 1];
  for (std::size_t src = 0; src < scenario.sources.size(); ++src) {
    const Source& source = scenario.sources[src];
    const std::vector<std::uint8_t> mask = region_mask(tissues, source.region);
    std::int64_t covered = 0;
    for (std::size_t idx = 0; idx < dense.size(); ++idx)
      if (mask[idx]) {
        dense[idx] = builder.add_source(dense[idx], int(src), source.where);
        ++covered;
      }
    if (covered == 0) throw InputError(source.where, empty_region_message("source", source.region, scenario));
  }
  // Initial values are applied later, per species; a region that misses every
  // tissue voxel is a mistake to report now, before anything runs.
  for (const Species& sp : scenario.species)
    for (const InitialValue& init : sp.initial) {
      const std::vector<std::uint8_t> mask = region_mask(tissues, init.region);
      if (std::none_of(mask.begin(), mask.end(), [](std::uint8_t m) { return m != 0; }))
        throw InputError(init.where, empty_region_message("initial value", init.region, scenario));
    }
  for (const Population& p : scenario.populations)
    for (const InitialValue& init : p.initial) {
      const std::vector<std::uint8_t> mask = region_mask(tissues, init.region);
      if (std::none_of(mask.begin(), mask.end(), [](std::uint8_t m) { return m != 0; }))
        throw InputError(init.where, empty_region_message("initial value", init.region, scenario));
    }
  for (const Seeding& seeding : scenario.seedings) {
    const std::vector<std::uint8_t> mask = region_mask(tissues, seeding.region);
    if (std::none_of(mask.begin(), mask.end(), [](std::uint8_t m) { return m != 0; }))
      throw InputError(seeding.where, empty_region_message("seeding", seeding.region, scenario));
  }
  d.material_tissue = std::move(builder.tissue);
  d.material_sources = std::move(builder.sources);

  // The block and its halo layer: a neighbour block's material there, 0 beyond the grid.
  const GridLayout& g = d.layout;
  d.material = padded_from_grid<MaterialId>(dense, d.grid, d.block, g);
  d.runs = build_runs(scenario, d, d.uniform_voxels, d.walled_voxels, [](int, int, int) { return true; });
  if (std::find(exchanged.begin(), exchanged.end(), true) != exchanged.end()) {
    const auto in_shell = [&](int i, int j, int k) {
      return (exchanged[0] && i == 0) || (exchanged[1] && i == g.nx - 1) || (exchanged[2] && j == 0) ||
             (exchanged[3] && j == g.ny - 1) || (exchanged[4] && k == 0) || (exchanged[5] && k == g.nz - 1);
    };
    std::int64_t unused_uniform = 0, unused_walled = 0;
    d.inner = build_runs(scenario, d, unused_uniform, unused_walled,
                         [&](int i, int j, int k) { return !in_shell(i, j, k); });
    d.shell = build_runs(scenario, d, unused_uniform, unused_walled, in_shell);
  }
  return d;
}

int field_count(const Scenario& s) {
  const int ns = int(s.species.size());
  return ns + int(s.populations.size()) + (s.output.budget ? 3 * ns : 0);
}

TimePlan plan_time(const Scenario& s) {
  TimePlan plan;
  for (const Species& sp : s.species)
    for (std::size_t t = 0; t < sp.diffusion.size(); ++t)
      if (sp.diffusion[t] > plan.max_diffusion) {
        plan.max_diffusion = sp.diffusion[t];
        plan.max_diffusion_where = fmt::format("{} in {}", sp.name, s.tissues[t].name);
      }
  const Vec3& h = s.grid.spacing;
  const double inv_h2_sum = 1 / (h[0] * h[0]) + 1 / (h[1] * h[1]) + 1 / (h[2] * h[2]);
  plan.stability_limit = plan.max_diffusion > 0 ? 1 / (2 * plan.max_diffusion * inv_h2_sum)
                                                : std::numeric_limits<double>::infinity();
  const double safe = s.time.safety * plan.stability_limit;
  if (!s.time.dt) {
    plan.max_dt = std::min(safe, s.output.interval);
    plan.adaptive = true;
    plan.adaptive_max_dt = safe;
  } else if (*s.time.dt <= plan.stability_limit) {
    plan.max_dt = *s.time.dt;
  } else {
    const double dt = *s.time.dt;
    if (!s.time.substepping)
      throw InputError(s.time.dt_where,
                       fmt::format("dt = {:.6g} min exceeds the explicit diffusion stability limit "
                                   "dt <= 1 / (2 Dmax (1/hx^2 + 1/hy^2 + 1/hz^2)) = {:.6g} min "
                                   "(Dmax = {:.6g} um^2/min for {}, voxel {:.6g} x {:.6g} x {:.6g} um); "
                                   "use a smaller dt, dt: auto, or substepping: true",
                                   dt / 60, plan.stability_limit / 60, plan.max_diffusion * 1e12 * 60,
                                   plan.max_diffusion_where, h[0] * 1e6, h[1] * 1e6, h[2] * 1e6));
    plan.substepped = true;
    plan.substeps_per_dt = std::ceil(dt / safe);  // in double: a huge dt must not overflow an integer
    plan.max_dt = dt / plan.substeps_per_dt;
  }
  // A run that cannot finish is bad input, not a run that silently takes
  // unstable steps (or none) after an integer overflow.
  plan.total_steps = s.time.end / plan.max_dt;
  if (!(plan.max_dt > 0) || !std::isfinite(plan.max_dt) || !(plan.total_steps <= kMaxSteps))
    throw InputError(s.time.where,
                     fmt::format("the run would take {:.3g} steps of {:.3g} s (stability limit {:.3g} s, "
                                 "Dmax = {:.3g} um^2/min for {}), more than the {:.0e} allowed; "
                                 "coarsen the voxels, lower the diffusivity or shorten time.end",
                                 plan.total_steps, plan.max_dt, plan.stability_limit,
                                 plan.max_diffusion * 1e12 * 60, plan.max_diffusion_where, kMaxSteps));
  return plan;
}

std::int64_t steps_between(double t0, double t1, double max_dt) {
  if (!(t1 > t0)) return 0;
  // The tiny allowance keeps an interval that is an exact multiple of max_dt
  // from gaining a step through round-off in the division.
  return std::max<std::int64_t>(1, std::int64_t(std::ceil((t1 - t0) / max_dt * (1 - 1e-12))));
}

void StepSizes::add(double dt, std::int64_t steps) {
  if (steps <= 0) return;
  counts_[dt] += steps;
  count_ += steps;
}

double StepSizes::median() const {
  const std::int64_t middle = (count_ - 1) / 2;  // 0-based
  std::int64_t seen = 0;
  for (const auto& [dt, n] : counts_) {
    seen += n;
    if (seen > middle) return dt;
  }
  return 0;
}

StepSizes planned_step_sizes(const std::vector<double>& times, double max_dt) {
  StepSizes sizes;
  for (std::size_t i = 1; i < times.size(); ++i) {
    const std::int64_t n = steps_between(times[i - 1], times[i], max_dt);
    if (n > 0) sizes.add((times[i] - times[i - 1]) / double(n), n);
  }
  return sizes;
}

}  // namespace cyto
