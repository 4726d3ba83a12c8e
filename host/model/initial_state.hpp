// The fields at t = 0, dense (x fastest) over the whole grid, before they
// are copied into a backend's padded layout.
#pragma once

#include <cstddef>
#include <cstdint>
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

// Cells seeding `seeding` (index into Scenario::seedings) puts in each voxel
// (dense, x fastest; 0 outside its region): Poisson(density x voxel volume)
// drawn from the voxel's own Philox stream (host/model/poisson_seeding.hpp),
// the same for any thread count.
std::vector<std::int64_t> seeded_cells(const Scenario& s, const TissueMap& tissues, std::size_t seeding);

// What a seeding actually drew, for `cytostorm check`: cells per voxel over
// the voxels of its region, next to the mean it asked for.
struct SeedingSummary {
  std::size_t seeding = 0;    // index into Scenario::seedings
  std::int64_t voxels = 0;    // voxels of its region
  double requested_mean = 0;  // density x voxel volume
  double mean_cells = 0;      // drawn cells per voxel: mean
  double sd_cells = 0;        // and sample standard deviation
  double mean_density = 0;    // drawn cells/mL
  double total_cells = 0;
};
std::vector<SeedingSummary> seeding_summaries(const Scenario& s, const TissueMap& tissues);

}  // namespace cyto
