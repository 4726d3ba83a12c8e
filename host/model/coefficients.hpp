// The transport coefficients the kernels read, per material and field
// ([material * n_fields + field]; fields are species, then cell populations
// and budget amounts, which neither diffuse nor decay): what is fixed while
// the step length dt is (TransportTable, handed to a backend once per dt),
// and what changes from step to step (StepParameters, the small block
// handed over with every step).
#pragma once

#include <cstdint>
#include <vector>

#include "host/model/discretisation.hpp"
#include "kernels/cell_model_k.hpp"

namespace cyto {

// Coefficients fixed while dt is.
template <class Real>
struct TransportTable {
  std::vector<Real> diffusion_dt;   // D * dt (m^2)
  std::vector<std::uint8_t> fixed;  // 1 where the field is held (Dirichlet)
  bool operator==(const TransportTable&) const = default;

  // Per material: 1 where any field is held fixed (such voxels take the
  // general path, exactly as build_runs classifies them).
  std::vector<std::uint8_t> materials_with_fixed_fields(int n_fields) const {
    std::vector<std::uint8_t> any(fixed.size() / std::size_t(n_fields), 0);
    for (std::size_t i = 0; i < fixed.size(); ++i) any[i / std::size_t(n_fields)] |= fixed[i];
    return any;
  }
};

template <class Real>
void fill_transport_table(const Scenario& scenario, const Discretisation& disc, double dt,
                          TransportTable<Real>& table);

// What changes from step to step: the step's parameter block. Computed on
// the host in double and rounded to Real; the CPU backend reads it in
// place, the GPU backend copies it to the device on the step's stream.
template <class Real>
struct StepParameters {
  // The step's number (0: the run's first): the simulation counts the steps,
  // and the stochastic draws are keyed by it.
  std::int64_t step = 0;
  // Exact decay-source step over [t, t + dt], per material and field.
  std::vector<Real> decay_factor;            // exp(-lambda dt)
  std::vector<Real> source_rate;             // effective source rate over the step (pg/mL/s)
  std::vector<Real> source_gain;             // (1 - exp(-lambda dt)) / lambda (s)
  std::vector<SmoothRuleDrive<Real>> rules;  // per smooth rule of the cell model, in its table's order
};

// The kernels' view of the table and a step's block (host pointers).
template <class Real>
StepCoefficients<Real> step_coefficients(const TransportTable<Real>& table,
                                         const StepParameters<Real>& step) {
  return {table.diffusion_dt.data(), step.decay_factor.data(), step.source_rate.data(),
          step.source_gain.data(), table.fixed.data()};
}

// A cell model's tables (CellModelTable::view) for the step of `step`'s
// block: the rules' drive (host pointers) and the step's number.
template <class Real>
CellModel<Real> model_for_step(CellModel<Real> tables, const StepParameters<Real>& step) {
  tables.drive = step.rules.data();
  tables.step = std::uint64_t(step.step);
  return tables;
}

// First-order terms that change from step to step, per tissue and species
// ([tissue * n_species + species]): vascular exchange gamma (P - c) adds
// gamma to the decay rate and gamma P to the source; neutralisation adds
// k_on x (mean drug level over the step) to the decay rate.
struct TransportExtras {
  std::vector<double> decay;   // 1/s
  std::vector<double> source;  // pg/mL/s
};

// The decay factors, source rates and gains of the step [t, t + dt]. A
// source active for part of the step contributes rate * (overlap / dt), so
// the injected amount is exact. With rules (a cell model), the factors and
// gains are those of dt / 2: the kernels apply them before and after the
// cell model (Strang splitting).
template <class Real>
void fill_step_rates(const Scenario& scenario, const Discretisation& disc, double t, double dt,
                     const TransportExtras* extras, StepParameters<Real>& parameters);

}  // namespace cyto
