// The fields at t = 0, dense (x fastest) over the whole grid, before they
// are copied into a backend's padded layout.
#pragma once

#include <vector>

#include "host/geometry/geometry.hpp"
#include "host/scenario/scenario.hpp"

namespace cyto {

// Initial values of one species: the scenario's initial list applied in
// order, then Dirichlet values in their tissues.
std::vector<double> initial_field(const Scenario& scenario, const TissueMap& tissues, int species);

// Initial density of every population: initial values in order, then
// random seeding; populations with a stochastic death rule hold whole cells
// per voxel.
std::vector<double> initial_population(const Scenario& s, const TissueMap& tissues, int population);

}  // namespace cyto
