// The one pass of input checks that `cytostorm check` and `cytostorm run`
// both go through, so that check refuses whatever a run would refuse for bad
// input. Reading the YAML (load_scenario) checks each value where it stands;
// this pass checks what needs the whole scenario, its grid and tissues, and
// the run's options that change the verdict (backend, precision, ranks and
// decomposition). Every check throws InputError (exit 2) with the scenario
// position it concerns; the list, in the order they are made:
//
//   the geometry files             load_geometry (host/geometry)
//   the grid's voxels per axis     make_dense_grid (host/geometry)
//   the memory on this machine     here
//   the stable time step, steps    plan_time (host/model)
//   ranges against the precision   check_precision_range (precision_range.hpp,
//                                  after --precision; products need dt)
//   the number of outputs          here
//   the backend runs here          resolve_backend_kind (host/backends)
//   the fields the backend holds   here, with the backend kind's max_fields
//   every tissue painted           rasterise_tissues (host/geometry)
//   stochastic death's cell count  here
//   the MPI decomposition          decompose (host/parallel)
//
// Where a check lives in the lower layer that computes what it checks, this
// pass calls that function (the simulation calls it again for the value, and
// can no longer fail there). Regions that miss every tissue voxel are
// refused by discretise (host/model), which both the report of check and the
// run's simulation go through. What only a run meets (a checkpoint to
// restart from, an output directory holding an earlier run's checkpoints)
// is checked where the run meets it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "host/backends/backend.hpp"
#include "host/geometry/geometry.hpp"
#include "host/geometry/placed_geometry.hpp"
#include "host/model/discretisation.hpp"
#include "host/model/front_resolution.hpp"
#include "host/scenario/scenario.hpp"

namespace cyto {

// What a scenario is checked against besides itself (the scenario carries
// the precision, --precision applied).
struct RunTarget {
  BackendKind backend = BackendKind::Auto;
  int ranks = 1;                                    // MPI ranks the run has
  std::optional<std::array<int, 3>> decomposition;  // --decomposition; empty: automatic
};

// What the checks computed that the run goes on with.
struct ValidatedRun {
  BackendKind backend = BackendKind::Cpu;  // the one make_backend builds: Cpu or Gpu
  TimePlan plan;
  std::vector<double> output_times;     // 0, every output.interval, time.end
  std::int64_t total_steps = 0;         // steps from t = 0 to time.end
  StepSizes steps;                      // their lengths (max_dt is a cap: outputs are hit exactly)
  std::vector<FrontResolution> fronts;  // per death rule: does the grid resolve its fronts
  TissueMap tissues;
};

// The pass: InputError at the first check that fails. The first form loads
// the geometry files itself; the second takes them loaded (load_geometry),
// for a caller that describes them too.
ValidatedRun validate_run(const Scenario& scenario, const RunTarget& target);
ValidatedRun validate_run(const Scenario& scenario, const PlacedGeometry& geometry, const RunTarget& target);

// The steps' lengths for logs: "12 s", or "94.7 to 94.74 s (median 94.74 s), under the 96 s cap ...".
std::string describe_step_sizes(const StepSizes& steps, const TimePlan& plan);

// dt: auto's cap: "12 s (the stable explicit step x time.safety)", or "no limit (no diffusion)".
std::string describe_step_cap(const TimePlan& plan);

// Peak host memory of a run, from the grid alone; device memory of the GPU
// backend, given the tissue voxels.
double memory_estimate_bytes(const Scenario& scenario, const DenseGrid& grid);
double gpu_memory_estimate_bytes(const Scenario& scenario, const DenseGrid& grid, std::int64_t tissue_voxels);

// "12.3 MiB" or "1.25 GiB".
std::string format_bytes(double bytes);
// "float" or "double".
const char* precision_name(Precision precision);

}  // namespace cyto
