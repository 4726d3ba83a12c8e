// Restarts (--restart): choosing and reading the checkpoint to continue
// from, checking that it belongs to this run, and where in the schedule of
// output times the run continues. Internal to host/app.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "host/app/run.hpp"
#include "host/io/checkpoint.hpp"
#include "host/solver/simulation.hpp"

namespace cyto {

template <class Real>
struct Restart {
  Checkpoint<Real> checkpoint;
  std::string path;
  bool changed = false;  // the scenario differs (allowed): the schedule is re-anchored
  std::vector<std::string> changed_keys;

  std::int64_t step() const { return checkpoint.position.step; }
};

// Chooses and reads the checkpoint to restart from; std::nullopt for "auto"
// with no checkpoint. InputError for a damaged file, or a changed scenario
// not allowed by --allow-changes. With several ranks, each reads only its
// block (`block`), and the ranks agree: a file one rank cannot read is
// refused by all.
template <class Real>
std::optional<Restart<Real>> load_restart(const Scenario& scenario, const RunOptions& options,
                                          const par::Comm& comm, const Box* block);

// The checkpoint must describe this run's grid, geometry, fields and plasma
// compartment (collective): InputError otherwise.
template <class Real>
void check_restart_matches(const Restart<Real>& restart, const Simulation<Real>& sim,
                           const std::vector<std::string>& field_names);

// The outputs the restart continues (geometry.h5 and the snapshots) must be
// those the checkpoint recorded (sizes; checksums of geometry.h5 and the
// newest snapshot): InputError naming the first that differs. A format-1
// checkpoint recorded none: a warning on `log`. Collective; rank 0 reads.
// The time series and fields.xmf are rebuilt from the checkpoint and need no check.
template <class Real>
void verify_restart_outputs(const Restart<Real>& restart, const std::string& directory, const par::Comm& comm,
                            std::FILE* log);

// Where a restarted run continues: its position in the schedule, and the
// checkpoint's time-series rows that stand.
struct Continuation {
  RunPosition position;
  std::vector<TimeSeriesRow> rows;
};

// Restores `sim` to the checkpoint's state and finds where the run goes on:
// at the checkpoint's own position, or, where the scenario or its time step
// changed, from the checkpoint's time to the next output time of this run
// (the rows after the checkpoint's time dropped). `shape` is a row of this
// run, `row_width` its flattened size (InputError if the checkpoint's differ).
template <class Real>
Continuation continue_from(const Restart<Real>& restart, Simulation<Real>& sim,
                           const std::vector<double>& times, double max_dt, const TimeSeriesRow& shape,
                           std::int64_t row_width);

// The log line of a restart.
template <class Real>
void log_restart(std::FILE* log, const Restart<Real>& restart, const RunPosition& position,
                 int missing_snapshots, const std::string& directory);

// Checkpoints past the restart point belong to the interrupted timeline (or
// could not be read): renamed to *.superseded, not deleted, and out of
// --restart latest's way.
void set_aside_later_checkpoints(const std::string& directory, std::int64_t step, std::FILE* log);

// The values of `block` from whole-grid values (dense, x fastest).
template <class T>
std::vector<T> block_of(const std::vector<T>& whole, const DenseGrid& g, const Box& block) {
  std::vector<T> out(std::size_t(block.voxels()));
  std::size_t n = 0;
  for (int k = 0; k < block.size[2]; ++k)
    for (int j = 0; j < block.size[1]; ++j) {
      const auto from =
          whole.begin() + (std::int64_t(block.lo[0]) +
                           std::int64_t(g.nx) * (block.lo[1] + j + std::int64_t(g.ny) * (block.lo[2] + k)));
      std::copy(from, from + block.size[0], out.begin() + std::ptrdiff_t(n));
      n += std::size_t(block.size[0]);
    }
  return out;
}

}  // namespace cyto
