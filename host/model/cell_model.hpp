// The scenario's cell model compiled for the kernels (kernels/cell_model_k.hpp):
// the field numbering, the rule tables and the rules' per-step drive.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "host/model/discretisation.hpp"
#include "host/scenario/scenario.hpp"
#include "kernels/cell_model_k.hpp"

namespace cyto {

// Field numbering shared by the host and the kernels: species, then
// populations, then (output.budget) secreted / released / taken-up per species.
struct FieldLayout {
  int n_species = 0;
  int n_populations = 0;
  bool budget = false;
  int population(int p) const { return n_species + p; }
  int secreted(int s) const { return n_species + n_populations + s; }
  int released(int s) const { return n_species + n_populations + n_species + s; }
  int taken_up(int s) const { return n_species + n_populations + 2 * n_species + s; }
  int count() const { return n_species + n_populations + (budget ? 3 * n_species : 0); }
};

FieldLayout field_layout(const Scenario& s);

// The rule tables and the constants they act with, owned: everything of
// the cell model that is fixed while the step length dt is. view() gives the
// kernels' CellModel (host pointers) without the step's drive and number,
// which travel with each step (StepParameters).
template <class Real>
struct CellModelTable {
  std::vector<SmoothRuleK<Real>> smooth;
  std::vector<DeathRuleK<Real>> deaths;
  std::vector<std::uint8_t> active;  // [material * (smooth + deaths) + rule]
  std::vector<int> smooth_rule;      // index into Scenario::rules of each smooth entry
  std::vector<int> death_rule;       // same for death entries
  FieldLayout fields;
  double dt = 0;                       // s
  double voxel_volume_ml = 0;          // whole cells in a voxel = density x volume
  int nx = 0, ny = 0;                  // the whole interior grid, for the voxels' global numbers
  std::array<int, 3> origin{0, 0, 0};  // global position of the block's first interior voxel
  std::uint64_t seed = 0;              // the scenario's seed: the stochastic draws' key

  CellModel<Real> view() const;
};

// Builds the tables and constants for steps of length dt (death fractions
// and draw thresholds depend on dt) over `disc`'s block.
template <class Real>
void compile_cell_model(const Scenario& s, const Discretisation& disc, double dt,
                        CellModelTable<Real>& table);

// Levels that change during a run and enter the rules: drug concentrations
// (pg/mL) at the middle of the step and blood densities (cells/mL).
struct ModelDrive {
  std::vector<double> drug;   // per therapy
  std::vector<double> blood;  // per population
};

// The rules' drive for one step (one entry per smooth rule, in the table's
// order): receptor blockade and secretion suppression from the drug levels,
// recruitment from the blood densities.
template <class Real>
void fill_rule_drive(const Scenario& s, const ModelDrive& drive, std::vector<SmoothRuleDrive<Real>>& rules);

}  // namespace cyto
