// The kernels hold every scenario the schema accepts: their compiled
// capacities (kernels/limits.hpp) cover the scenario's limits
// (host/scenario/limits.hpp). Raising a scenario limit without the kernels
// fails to compile here, not at run time.
#include "host/scenario/limits.hpp"
#include "kernels/limits.hpp"

namespace cyto {

// Death rules keep a weight per species.
static_assert(kMaxSpecies >= scenario_limits::kMaxSpecies,
              "kernels/limits.hpp: kMaxSpecies is below the scenario's species limit");
// The GPU kernel is compiled for each count of species and populations.
static_assert(kMaxGpuFields >= scenario_limits::kMaxSpeciesAndPopulations,
              "kernels/limits.hpp: the GPU's compiled field counts are below the scenario's limit on species "
              "and populations together");
// With output.budget, three cumulative amounts per species beside the species and populations.
static_assert(kMaxFields >= scenario_limits::kMaxSpeciesAndPopulations + 3 * scenario_limits::kMaxSpecies,
              "kernels/limits.hpp: kMaxFields is below species, populations and budget amounts together");
static_assert(kMaxRules >= scenario_limits::kMaxRules,
              "kernels/limits.hpp: kMaxRules is below the scenario's rule limit");
static_assert(kMaxHillTerms >= scenario_limits::kMaxHillTerms,
              "kernels/limits.hpp: kMaxHillTerms is below the scenario's limit on Hill terms per rule");

}  // namespace cyto
