// Drug levels over time: one-compartment pharmacokinetics of each therapy
// (first-order elimination after each dose), in closed form.
#pragma once

#include <vector>

#include "host/scenario/scenario.hpp"

namespace cyto {

// Drug level of a therapy at time t (pg/mL).
double drug_level(const Therapy& therapy, double t);
// Its integral over [t0, t1] (pg/mL x s).
double drug_exposure(const Therapy& therapy, double t0, double t1);

// The level of every therapy at time t (pg/mL), in the scenario's order.
std::vector<double> drug_levels(const Scenario& s, double t);

// Neutralisation of each species over the step [t, t + dt]: k_on x the
// drug's mean level over the step, summed over the neutralising therapies
// (1/s); the same in tissue and plasma. `rates` gets one entry per species.
void neutralisation_rates(const Scenario& s, double t, double dt, std::vector<double>& rates);

}  // namespace cyto
