// The solver driver: scenario -> tissue map -> discretisation -> fields on a
// backend, and the time loop that steps them.
#pragma once

#include <array>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <vector>

#include "host/backends/backend.hpp"
#include "host/io/output.hpp"
#include "host/model/cell_model.hpp"
#include "host/model/coefficients.hpp"
#include "host/model/initial_state.hpp"
#include "host/model/pharmacokinetics.hpp"
#include "host/model/plasma.hpp"
#include "host/parallel/decomposition.hpp"
#include "host/parallel/parallel.hpp"
#include "host/solver/halo_exchange.hpp"

namespace cyto {

// How a run is spread over MPI ranks: the ranks, and the blocks per axis
// (automatic when empty). Default: this process alone.
struct ParallelOptions {
  par::Comm comm = par::Comm::self();
  std::optional<std::array<int, 3>> decomposition;
};

// The local error of one step (Simulation::step_error).
struct StepError {
  double dt = 0;        // s: the step probed
  double relative = 0;  // estimated relative error of one step of dt
  // What it is largest for: a field (species, then populations), or
  // kPlasmaFirst + a species (plasma), then + populations (blood); -1: none.
  int what = -1;
};
inline constexpr int kPlasmaFirst = 1 << 20;
// Levels below which step_error does not count relative changes: far below
// any assay (pg/mL) and below one cell in any tissue voxel (cells/mL).
inline constexpr double kNegligibleConcentration = 1e-6;
inline constexpr double kNegligibleDensity = 1.0;

template <class Real>
class Simulation {
 public:
  // Rasterises the geometry, plans the time step (InputError if dt is
  // unstable and sub-stepping is off) and uploads the initial conditions.
  // With several ranks each holds its block of the grid (parallel.decomposition);
  // every rank must construct, step and query in the same order.
  Simulation(const Scenario& scenario, std::unique_ptr<Backend<Real>> backend,
             const ParallelOptions& parallel = {});
  // With the scenario's tissues already rasterised (rasterise_tissues): the
  // run has them from its validation.
  Simulation(const Scenario& scenario, TissueMap tissues, std::unique_ptr<Backend<Real>> backend,
             const ParallelOptions& parallel = {});

  const Scenario& scenario() const { return scenario_; }
  const TissueMap& tissues() const { return tissues_; }
  const Discretisation& discretisation() const { return disc_; }
  const TimePlan& time_plan() const { return plan_; }
  const Backend<Real>& backend() const { return *backend_; }
  const par::Comm& comm() const { return comm_; }
  const Decomposition& decomposition() const { return decomposition_; }
  const Box& block() const { return disc_.block; }
  // Wall time spent waiting for halos (and unpacking them) and packing and
  // posting them, over all steps so far; 0 with one rank.
  double halo_wait_seconds() const { return halos_.wait_seconds(); }
  double halo_pack_seconds() const { return halos_.pack_seconds(); }
  // Whether halos go from device memory straight to MPI (CUDA-aware MPI and a GPU backend).
  bool device_halos() const { return halos_.device_halos(); }

  double time() const { return time_; }
  std::int64_t steps() const { return steps_; }
  // The lengths of the steps this object has taken (since construction, not
  // counting those before a restore).
  const StepSizes& steps_taken() const { return taken_; }

  // Everything that evolves: time, step count, every field (dense), plasma
  // and blood. restore() continues a run from it exactly as if it had not
  // stopped: the stochastic draws are keyed by the step number.
  // With several ranks, state() gathers the whole grid on the root (the
  // other ranks get no fields), and restore() takes on every rank either the
  // whole grid (each keeps its block) or just its block (local_field's
  // layout; the halos are then exchanged): a state saved by P ranks restores on Q.
  struct State {
    double time = 0;
    std::int64_t steps = 0;
    std::vector<std::vector<Real>> fields;  // FieldLayout order, dense, native precision
    std::vector<double> plasma, blood;
  };
  State state() const;
  void restore(const State& state);

  // A stretch of equal steps from (t_start, step_start) to t_end: step i of
  // it runs from t_start + i dt to t_start + (i + 1) dt, dt = (t_end -
  // t_start) / steps, and the last one ends exactly at t_end. Resuming a
  // segment after a restore repeats the arithmetic of an uninterrupted run.
  struct Segment {
    double t_start = 0;
    std::int64_t step_start = 0;
    double t_end = 0;
    std::int64_t steps = 0;
  };
  // The segment from the current time and step to t_target in steps of at most time_plan().max_dt.
  Segment segment_to(double t_target) const;
  // Takes the remaining steps of `segment` (the current step must lie in it);
  // after_step (if set) runs after every step and may stop the segment early
  // by returning false. Returns whether the segment's end was reached.
  bool advance(const Segment& segment, const std::function<bool()>& after_step = {});

  // The local error of one step of length dt from the current state (step
  // doubling): the step is taken, then from the same state two steps of
  // dt / 2, and the two results compared: per species and population the
  // difference summed over the tissue relative to the field's sum, plasma
  // and blood relative to their values; the largest, times 2 (for a
  // first-order step, the error of the one step). Everything (fields,
  // plasma, time, step count) is left exactly as it was. Collective; the
  // sums are exact, so every rank count gives the same estimate.
  StepError step_error(double dt);
  // For tests: the probe copies the fields through the host, as it does
  // where the backend has no room for its own copies (Backend::prepare_probe).
  void set_probe_through_host(bool through_host) { probe_through_host_ = through_host; }

  // Steps in equal steps of at most time_plan().max_dt until time() == t_target
  // exactly; after_step (if set) runs after every step.
  void advance_to(double t_target, const std::function<void()>& after_step = {});

  // Dense values of the whole grid (x fastest, no halo); with several ranks
  // gathered on the root, empty on the others (collective).
  std::vector<double> field(int species) const;
  std::vector<Real> native_field(int species) const;
  // This rank's block, dense (x fastest).
  std::vector<Real> local_field(int field) const;
  // Whole-grid values (the same on every rank).
  void set_field(int species, const std::vector<double>& dense);
  // Adds a per-voxel source rate (pg/mL/s, dense, whole grid) to a species.
  void set_source_field(int species, const std::vector<double>& dense);

  // Total, mean and max of every species and population over all tissue,
  // per tissue and per organ; plasma, blood and drug levels; the budget.
  // Sums are exact sums of per-tile sums: the same for any rank count.
  TimeSeriesRow statistics() const;
  // The blow-up guard's scan over every rank's tissue (collective).
  FieldScan scan_field(int field) const;

  double voxel_volume_ml() const;
  const FieldLayout& fields() const { return fields_; }

  // Plasma concentration per species (pg/mL) and blood density per
  // population (cells/mL); empty without a plasma compartment.
  const std::vector<double>& plasma() const { return plasma_.plasma(); }
  const std::vector<double>& blood() const { return plasma_.blood(); }
  // Drug level of every therapy at the current time (pg/mL).
  std::vector<double> drug_levels() const;

 private:
  template <class Value>
  std::vector<Real> to_layout(
      const std::vector<Value>& dense) const;  // whole grid -> this block, halo included
  // Sums over each tissue (exact, all ranks) and maxima of several fields.
  void tissue_reductions(const std::vector<int>& fields, std::vector<std::vector<double>>& sums,
                         std::vector<std::vector<double>>* maxima) const;
  // Of the species exchanged with plasma, [species][tissue] in pg (collective).
  void measure_tissue_amounts(std::vector<std::vector<double>>& amounts_by_species) const;
  void set_tables(double dt);  // what is fixed while dt is, to the backend
  void prepare_step(double t, double dt);
  void step_once();  // one step: halos exchanged (overlapping the inner update where the backend can)
  void take_step(double t, double dt);                     // the step [t, t + dt], plasma included; counts it
  static constexpr double kFixedPointSteps = 268435456.0;  // 2^28 steps up to a field's largest value

  Scenario scenario_;
  TissueMap tissues_;
  par::Comm comm_;
  Decomposition decomposition_;
  Discretisation disc_;
  HaloExchange<Real> halos_;
  TimePlan plan_;
  std::unique_ptr<Backend<Real>> backend_;
  FieldLayout fields_;
  // What the backend holds for steps of tables_dt_ (NaN: nothing yet).
  double tables_dt_ = std::numeric_limits<double>::quiet_NaN();
  TransportTable<Real> transport_;
  CellModelTable<Real> model_;
  StepParameters<Real> step_;  // the block of the step being taken
  TransportExtras extras_;
  std::vector<int> region_of_material_;
  PlasmaCompartment plasma_;
  std::vector<double> neutralisation_;  // per species over the current step, 1/s
  // The exchanged species' tissue amounts ([species][tissue], pg) at the
  // step's start, valid while amounts_measured_ (a step measures those at
  // its end, the next one's start), and at the step's end.
  std::vector<std::vector<double>> start_amounts_, end_amounts_;
  bool amounts_measured_ = false;
  std::vector<double> plasma_midpoint_;  // the plasma the step's tissue sees (pg/mL per species)
  double time_ = 0;
  std::int64_t steps_ = 0;
  StepSizes taken_;
  bool probe_through_host_ = false;
};

}  // namespace cyto
