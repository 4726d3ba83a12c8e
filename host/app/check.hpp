// `cytostorm check`: the scenario through the validation pass a run goes
// through, and a report of what a run would be.
#pragma once

#include <string>

#include "host/app/run.hpp"

namespace cyto {

// The report of `cytostorm check`: the resolved scenario, grid size, tissue
// voxel counts, memory estimate and time step. `options` are the run's
// options that change the verdict (backend, precision, decomposition; the
// others are ignored): InputError wherever a run with them would refuse the
// scenario for bad input.
std::string check_scenario(Scenario scenario, const RunOptions& options = {});

}  // namespace cyto
