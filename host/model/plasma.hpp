// The whole body around the modelled tissue (scenario plasma:): one
// well-mixed plasma compartment per species and a blood density per
// population, exchanging with each tissue, cleared, dosed by infusions.
#pragma once

#include <cstdint>
#include <vector>

#include "host/geometry/geometry.hpp"
#include "host/model/coefficients.hpp"
#include "host/scenario/scenario.hpp"

namespace cyto {

class PlasmaCompartment {
 public:
  PlasmaCompartment() = default;
  // The initial state and the exchange of each tissue (voxel counts of the
  // whole grid, voxels of voxel_volume_ml). Without a plasma compartment,
  // plasma() is empty and the blood densities are 0.
  PlasmaCompartment(const Scenario& s, const TissueMap& tissues, double voxel_volume_ml);

  // Plasma concentration per species (pg/mL) and blood density per population (cells/mL).
  const std::vector<double>& plasma() const { return plasma_; }
  const std::vector<double>& blood() const { return blood_; }
  void restore(const std::vector<double>& plasma, const std::vector<double>& blood);

  // The species that exchange with plasma in some tissue.
  std::vector<int> exchanged_species() const;

  // Doses into the plasma that fall in [t0, t1): boluses whole, spread
  // infusions by their overlap with the interval.
  void give_infusions(const Scenario& s, double t0, double t1);

  // Adds the exchange with plasma at the levels `plasma` (pg/mL per
  // species) to a step's first-order terms: gamma to the decay rate, gamma
  // P to the source.
  void add_exchange(TransportExtras& extras, const std::vector<double>& plasma) const;

  // Over a step of dt each species follows
  //   dP/dt = S(t) - K P,  K = clearance + (sum scale gamma V_tissue) / V + k_on drug,
  //                        S = (sum scale gamma amount_tissue) / V,
  // with the tissue amounts ([species][tissue], pg; needed for the
  // exchanged species only) and the step's neutralisation rate per species.
  //
  // midpoint(): the levels halfway through the step with the amounts of its
  // start held, which the tissue sees over the whole step (the midpoint
  // rule: second order). Nothing changes.
  std::vector<double> midpoint(const Scenario& s, double dt, const std::vector<double>& neutralisation,
                               const std::vector<std::vector<double>>& amounts_start) const;
  // update(): the step itself, with S linear in time from the amounts at
  // the step's start to those at its end (the tissue's trapezoid: second
  // order), solved exactly for that S (exponential time differencing, so a
  // fast clearance is stable at any dt); blood densities cleared.
  void update(const Scenario& s, double dt, const std::vector<double>& neutralisation,
              const std::vector<std::vector<double>>& amounts_start,
              const std::vector<std::vector<double>>& amounts_end);

 private:
  double loss_rate(const Scenario& s, int species, const std::vector<double>& neutralisation) const;
  double source(int species, const std::vector<std::vector<double>>& amounts) const;

  int n_species_ = 0, n_tissues_ = 0;
  std::vector<double> plasma_, blood_;
  std::vector<double> exchange_rate_;     // gamma [tissue * n_species + species], 1/s
  std::vector<double> plasma_flow_;       // scale gamma / V_plasma [tissue * n_species + species], 1/(mL s)
  std::vector<double> plasma_uptake_;     // per species: sum over tissues of plasma_flow x tissue volume, 1/s
  std::vector<std::uint8_t> exchanging_;  // per species: exchanges with plasma somewhere
};

// The first-order terms of the step [t, t + dt] beyond each species' own
// decay, where there are any (a plasma compartment or therapies; else
// false): exchange with the plasma at the levels `plasma_levels` (the
// step's midpoint, PlasmaCompartment::midpoint), and neutralisation at the
// rates given (neutralisation_rates).
bool transport_extras(const Scenario& s, const PlasmaCompartment& plasma,
                      const std::vector<double>& plasma_levels, const std::vector<double>& neutralisation,
                      TransportExtras& extras);

}  // namespace cyto
