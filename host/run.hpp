// Whole runs and checks, as the CLI offers them.
#pragma once

#include <cstdio>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "backend.hpp"
#include "scenario.hpp"

namespace cyto {

struct RunOptions {
  BackendKind backend = BackendKind::Auto;
  int threads = 0;                              // 0: OpenMP's default
  std::optional<Precision> precision;           // overrides the scenario's
  std::optional<std::string> output_directory;  // overrides the scenario's
  bool progress = true;
  std::FILE* log = stdout;
};

// Runs the scenario to its end time, writing snapshots, time series and
// summary.json into the output directory; returns the summary.
nlohmann::json run_scenario(Scenario scenario, const RunOptions& options);

// The report of `cytostorm check`: the resolved scenario, grid size, tissue
// voxel counts, memory estimate and time step. Throws InputError like a run would.
std::string check_scenario(const Scenario& scenario);

// Stable 64-bit FNV-1a hash of the resolved scenario text, as 16 hex digits.
std::string scenario_hash(const Scenario& scenario);

}  // namespace cyto
