// The scenario's cell model compiled for the kernels (kernels/cell_model_k.hpp),
// and the whole-body state around the tissue: plasma compartment and drugs.
#pragma once

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

// The rule tables, owned; view() gives the kernels' CellModel (host pointers).
template <class Real>
struct CellModelTable {
  std::vector<SmoothRuleK<Real>> smooth;
  std::vector<DeathRuleK<Real>> deaths;
  std::vector<std::uint8_t> active;  // [material * (smooth + deaths) + rule]
  std::vector<int> smooth_rule;      // index into Scenario::rules of each smooth entry
  std::vector<int> death_rule;       // same for death entries
  FieldLayout fields;

  CellModel<Real> view() const;
};

// Levels that change during a run and enter the rules: drug concentrations
// (pg/mL) at the middle of the step and blood densities (cells/mL).
struct ModelDrive {
  std::vector<double> drug;   // per therapy
  std::vector<double> blood;  // per population
};

// Builds the tables for time step dt (death fractions and draw thresholds
// depend on dt) with the drug and blood levels in `drive`.
template <class Real>
void compile_cell_model(const Scenario& s, const Discretisation& disc, double dt, const ModelDrive& drive,
                        CellModelTable<Real>& table);

// Whether the tables change during a run (drugs acting on rules, recruitment from blood).
bool cell_model_is_time_dependent(const Scenario& s);

// Drug level of a therapy at time t (pg/mL): one-compartment PK, closed form.
double drug_level(const Therapy& therapy, double t);
// Its integral over [t0, t1] (pg/mL x s), closed form.
double drug_exposure(const Therapy& therapy, double t0, double t1);

// Initial density of every population, dense (x fastest): initial values in
// order, then random seeding; populations with a stochastic death rule hold
// whole cells per voxel.
std::vector<double> initial_population(const Scenario& s, const TissueMap& tissues, int population);

}  // namespace cyto
