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

  // Adds the exchange with plasma as it is now to a step's first-order
  // terms: gamma to the decay rate, gamma P to the source.
  void add_exchange(TransportExtras& extras) const;

  // The plasma over a step of dt with the tissue amounts of the step's start
  // ([species][tissue], pg; needed for the exchanged species only) and the
  // step's neutralisation rate per species:
  //   dP/dt = S - K P,  K = clearance + (sum scale gamma V_tissue) / V + k_on drug,
  //                     S = (sum scale gamma amount_tissue) / V,
  // solved exactly for constant S and K; blood densities cleared.
  void update(const Scenario& s, double dt, const std::vector<double>& neutralisation,
              const std::vector<std::vector<double>>& tissue_amounts);

 private:
  int n_species_ = 0, n_tissues_ = 0;
  std::vector<double> plasma_, blood_;
  std::vector<double> exchange_rate_;     // gamma [tissue * n_species + species], 1/s
  std::vector<double> plasma_flow_;       // scale gamma / V_plasma [tissue * n_species + species], 1/(mL s)
  std::vector<double> plasma_uptake_;     // per species: sum over tissues of plasma_flow x tissue volume, 1/s
  std::vector<std::uint8_t> exchanging_;  // per species: exchanges with plasma somewhere
};

// The first-order terms of the step [t, t + dt] beyond each species' own
// decay, where there are any (a plasma compartment or therapies; else
// false): exchange with the plasma as it is now, and neutralisation at the
// rates given (neutralisation_rates).
bool transport_extras(const Scenario& s, const PlasmaCompartment& plasma,
                      const std::vector<double>& neutralisation, TransportExtras& extras);

}  // namespace cyto
