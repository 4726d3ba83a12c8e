// From labels to what the kernels read: a material per voxel (a distinct
// combination of tissue and active sources), tissue runs per row, and the
// time-step plan. The coefficients per material are in coefficients.hpp.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "host/geometry/geometry.hpp"
#include "host/parallel/decomposition.hpp"
#include "host/scenario/scenario.hpp"
#include "kernels/step_params.hpp"
#include "kernels/tissue_runs.hpp"

namespace cyto {

// The grid, or an MPI rank's block of it (layout, material and runs cover
// the block; grid stays the whole grid).
struct Discretisation {
  DenseGrid grid;
  GridLayout layout;
  Box block;  // the interior covered, in global voxels: the whole grid for one rank
  // Faces (2 axis + side) whose halo another rank fills; material there is the neighbour's.
  std::array<bool, 6> exchanged{};
  std::vector<MaterialId> material;                // layout.size entries, 0 outside the grid
  std::vector<int> material_tissue;                // per material: tissue index, -1 for material 0
  std::vector<std::vector<int>> material_sources;  // per material: indices into Scenario::sources
  TissueRuns runs;
  // With an exchanged face: the same voxels split into those away from
  // exchanged faces (computed while halos travel) and the shell next to them.
  TissueRuns inner, shell;
  std::int64_t uniform_voxels = 0;  // voxels updated by the constant-coefficient fast path
  std::int64_t walled_voxels = 0;   // same, with faces to the outside closed

  int n_materials() const { return int(material_tissue.size()); }
};

// `block` (default: the whole grid) with `exchanged` faces. Materials are
// numbered over the whole grid, so every rank has the same numbers.
Discretisation discretise(const Scenario& scenario, const TissueMap& tissues, const Box* block = nullptr,
                          const std::array<bool, 6>& exchanged = {});

// Fields the backend holds: species, populations and (output.budget) three
// budget amounts per species.
int field_count(const Scenario& scenario);

// The explicit diffusion limit and the step actually used.
struct TimePlan {
  double stability_limit = 0;       // s: 1 / (2 Dmax (1/hx^2 + 1/hy^2 + 1/hz^2)); inf without diffusion
  double max_dt = 0;                // s: the largest step taken
  double max_diffusion = 0;         // m^2/s
  std::string max_diffusion_where;  // "TNF in parenchyma"
  bool substepped = false;          // the requested dt was split into stable sub-steps
  double substeps_per_dt = 1;       // a count, kept in double: a huge requested dt must not overflow
  double total_steps = 0;           // about time.end / max_dt
  // dt: auto adapts the step to time.tolerance (error-controlled stretches
  // of steps, host/app); the step never exceeds adaptive_max_dt (the
  // stable step; infinite without diffusion) and is not tied to the output
  // interval. max_dt is then the first step tried and what advance_to takes.
  bool adaptive = false;
  double adaptive_max_dt = 0;
};

// More steps than this is refused as bad input (10^12 steps is weeks of GPU time).
inline constexpr double kMaxSteps = 1e12;

// Throws InputError at time.dt when dt exceeds the limit and sub-stepping is
// off, and at time when the run would take more than kMaxSteps steps.
TimePlan plan_time(const Scenario& scenario);

// Equal steps of at most max_dt covering [t0, t1].
std::int64_t steps_between(double t0, double t1, double max_dt);

// The lengths of a run's steps, as taken: equal within each stretch between
// two output times, so a handful of distinct lengths (max_dt is a cap).
class StepSizes {
 public:
  void add(double dt, std::int64_t steps);
  std::int64_t count() const { return count_; }
  double min() const { return count_ ? counts_.begin()->first : 0.0; }
  double max() const { return count_ ? counts_.rbegin()->first : 0.0; }
  double median() const;  // the middle step's length (the lower middle for an even count)

 private:
  std::map<double, std::int64_t> counts_;
  std::int64_t count_ = 0;
};

// The steps from each output time to the next (equal steps of at most max_dt).
StepSizes planned_step_sizes(const std::vector<double>& output_times, double max_dt);

}  // namespace cyto
