// Whole runs and checks, as the CLI offers them.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "host/backends/backend.hpp"
#include "host/scenario/scenario.hpp"

namespace cyto {

struct RunOptions {
  BackendKind backend = BackendKind::Auto;
  int threads = 0;                              // 0: OpenMP's default
  std::optional<Precision> precision;           // overrides the scenario's
  std::optional<std::string> output_directory;  // overrides the scenario's
  bool progress = true;
  std::FILE* log = stdout;
  // Continue from a checkpoint: a file, "latest" (the newest valid one in the
  // output directory) or "auto" (latest if there is one, else from t = 0).
  std::string restart;
  // Scenario keys (as --set spells them; a key covers its sub-keys) that may
  // differ from the checkpoint's scenario.
  std::vector<std::string> allow_changes;
  // Stop in time to write a checkpoint before this much wall time has passed
  // since `started` (seconds).
  std::optional<double> walltime_s;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  // Stop (with a checkpoint) once this many steps have been taken since t = 0.
  std::optional<std::int64_t> stop_at_step;
  // MPI: blocks per axis (--decomposition); empty: chosen from the rank count and the organ.
  std::optional<std::array<int, 3>> decomposition;
};

// "HH:MM:SS", "MM:SS", "D-HH[:MM[:SS]]" or minutes, as SLURM writes times; seconds.
// InputError (at --walltime) otherwise.
double parse_walltime(const std::string& text);

// The options that override the scenario: --precision and --output.
void apply_run_options(Scenario& scenario, const RunOptions& options);

// Runs the scenario to its end time (or until stopped; summary "status" is
// then "stopped" and a checkpoint was written), writing snapshots, time
// series, checkpoints and summary.json into the output directory; returns
// the summary. Bad input is refused by validate_run (host/app/validation.hpp)
// before anything is allocated or written.
nlohmann::json run_scenario(Scenario scenario, const RunOptions& options);

// Stable 64-bit FNV-1a hash of the resolved scenario text, as 16 hex digits.
std::string scenario_hash(const Scenario& scenario);

}  // namespace cyto
