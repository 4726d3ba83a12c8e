// The solver driver: scenario -> tissue map -> discretisation -> fields on a
// backend, and the time loop that steps them.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "backend.hpp"
#include "output.hpp"

namespace cyto {

template <class Real>
class Simulation {
 public:
  // Rasterises the geometry, plans the time step (InputError if dt is
  // unstable and sub-stepping is off) and uploads the initial conditions.
  Simulation(const Scenario& scenario, std::unique_ptr<Backend<Real>> backend);

  const Scenario& scenario() const { return scenario_; }
  const TissueMap& tissues() const { return tissues_; }
  const Discretisation& discretisation() const { return disc_; }
  const TimePlan& time_plan() const { return plan_; }
  const Backend<Real>& backend() const { return *backend_; }

  double time() const { return time_; }
  std::int64_t steps() const { return steps_; }

  // Steps in equal steps of at most time_plan().max_dt until time() == t_target
  // exactly; after_step (if set) runs after every step.
  void advance_to(double t_target, const std::function<void()>& after_step = {});

  // Dense interior values (x fastest, no halo).
  std::vector<double> field(int species) const;
  std::vector<Real> native_field(int species) const;
  void set_field(int species, const std::vector<double>& dense);
  // Adds a per-voxel source rate (pg/mL/s, dense) to a species.
  void set_source_field(int species, const std::vector<double>& dense);

  // Total, mean and max of every species over all tissue and per tissue.
  TimeSeriesRow statistics() const;

  double voxel_volume_ml() const;

 private:
  std::vector<Real> to_layout(const std::vector<double>& dense) const;

  Scenario scenario_;
  TissueMap tissues_;
  Discretisation disc_;
  TimePlan plan_;
  std::unique_ptr<Backend<Real>> backend_;
  CoefficientTable<Real> table_, applied_;
  std::vector<int> region_of_material_;
  double time_ = 0;
  std::int64_t steps_ = 0;
};

// Initial values of one species, dense: the scenario's initial list applied
// in order, then Dirichlet values in their tissues.
std::vector<double> initial_field(const Scenario& scenario, const TissueMap& tissues, int species);

}  // namespace cyto
