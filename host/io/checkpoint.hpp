// Checkpoints: everything a run needs to continue bitwise as if it had not
// stopped, in one HDF5 file per checkpoint (format documented in
// docs/guide/checkpoints.md). Every dataset carries a Fletcher-32 checksum and every
// metadata block the HDF5 1.10 format's own checksum; reading verifies all of
// them and refuses a damaged, truncated or foreign file with a message naming
// the file and the dataset.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "host/io/output.hpp"
#include "host/io/output_directory.hpp"
#include "host/parallel/decomposition.hpp"
#include "host/parallel/parallel.hpp"

namespace cyto {

// The format this build writes and the newest it reads. Version 2 added
// /outputs (the fingerprints of the outputs a restart continues); version 1
// files are still read, their outputs unverified.
inline constexpr int kCheckpointFormatVersion = 2;

// Where a run stands in its schedule of steps. Steps run in segments of
// equal length between output times: step i of a segment runs from
// t_start + i * dt to t_start + (i + 1) * dt, dt = (t_end - t_start) / steps,
// the last one ending exactly at t_end. A restart resumes inside the same
// segment with the same dt and times, so it repeats the arithmetic of an
// uninterrupted run.
struct RunPosition {
  double time = 0;                // s, after `step` steps
  std::int64_t step = 0;          // steps taken since t = 0
  std::int64_t next_output = 0;   // index of the next output time not yet written
  double segment_start_time = 0;  // s
  std::int64_t segment_start_step = 0;
  double segment_end_time = 0;     // s: the output time next_output, or (dt: auto) a stretch's end before it
  std::int64_t segment_steps = 0;  // steps in the segment
  double next_dt = 0;              // s: dt: auto's first step to try for the next stretch; 0: none yet
};

template <class Real>
struct Checkpoint {
  // Identity: what was run, by which build.
  std::string scenario_name;
  std::string scenario_yaml;  // the resolved scenario (after --set), as YAML text
  std::string scenario_hash;
  std::string build;  // build_info_json() as JSON text
  DenseGrid grid;
  std::vector<std::uint8_t> labels;  // tissue label per voxel, dense, x fastest

  RunPosition position;
  double max_dt = 0;       // s, the time plan's step limit
  std::uint64_t seed = 0;  // Philox key of random seeding and stochastic death (the counter holds the step)

  // Every field in FieldLayout order (species, populations, budget), dense, x
  // fastest, in the run's precision, with its dataset name under /fields.
  std::vector<std::string> field_names;
  std::vector<std::vector<Real>> fields;
  std::vector<double> plasma;  // pg/mL per species; empty without a plasma compartment
  std::vector<double> blood;   // cells/mL per population; empty without a plasma compartment
  std::vector<double> drugs;   // pg/mL per therapy at `position.time` (derived; kept for inspection)

  // The time series up to the last output written, flattened row by row.
  std::vector<double> timeseries;
  std::int64_t timeseries_rows = 0;
  std::int64_t timeseries_width = 0;

  double wall_seconds = 0;  // wall-clock time the run had used, over all its restarts

  // The outputs a restart appends to, as they were when the checkpoint was
  // written (snapshot_outputs): a restart refuses files that differ since.
  std::vector<OutputFingerprint> outputs;
  bool outputs_recorded = true;  // false for a format-1 file, which has no /outputs
};

// The fingerprints a checkpoint records: with snapshots, geometry.h5 and
// the snapshot files of the first `rows` output times (sizes; CRC-32 of
// geometry.h5 and of the newest snapshot, so that a restart reads two files,
// not all of them); without, none.
std::vector<OutputFingerprint> snapshot_outputs(const std::string& directory, bool snapshots,
                                                std::int64_t rows);

// The values must be a state a run can reach: every field value finite and
// not negative beyond round-off (below -64 epsilon of the field's precision
// times the field's largest value: the blow-up guard's bound, so that a
// state the guard let through is never refused, host/io/value_bounds.hpp);
// plasma, blood and drug levels finite and >= 0. "" or what is wrong,
// naming the dataset, the first bad voxel (i, j, k) of `block` (its offsets
// added) or entry, and its value. `largest`: each field's largest finite
// magnitude over the whole grid (a block's reader gets it from all ranks);
// null: largest_field_values(checkpoint).
template <class Real>
std::string scan_checkpoint_values(const Checkpoint<Real>& checkpoint, const Box& block,
                                   const std::vector<double>* largest = nullptr);
// The largest finite magnitude of each field that `checkpoint` holds.
template <class Real>
std::vector<double> largest_field_values(const Checkpoint<Real>& checkpoint);

// Writes `checkpoint` to `path` atomically. RuntimeFailure naming the file
// and the OS reason on failure; a previous file at `path` is untouched.
// (format_version other than the current one: for tests of old and future files.)
template <class Real>
void write_checkpoint(const std::string& path, const Checkpoint<Real>& checkpoint,
                      int format_version = kCheckpointFormatVersion);

// write_checkpoint by the ranks of `comm` together, into one file (parallel
// HDF5; every rank calls it). `checkpoint.labels` and each of
// `checkpoint.fields` hold only this rank's `block` of the grid (dense, x
// fastest); everything else (the global grid, names, position, plasma, time
// series, build) must be the same on every rank (rank 0's is written). The
// file is the format of write_checkpoint (datasets, shapes, types,
// attributes, chunks, Fletcher-32 checksums; the bytes may differ), read by
// read_checkpoint and read_checkpoint_block with any process count; with one
// rank it is write_checkpoint's file, byte for byte. Voxels no rank's block
// covers (blocks without tissue) are stored as 0. Blocks outside the grid,
// data that does not match the block, overlapping blocks (more voxels than
// the grid) and any write failure give every rank the same RuntimeFailure
// "cannot write <path>: <reason>"; a previous file at `path` is untouched.
template <class Real>
void write_checkpoint_collective(const par::Comm& comm, const std::string& path,
                                 const Checkpoint<Real>& checkpoint, const Box& block,
                                 int format_version = kCheckpointFormatVersion);

// Reads and verifies every dataset of a checkpoint. InputError naming the
// file and the dataset for a damaged, truncated or foreign file, a format
// version this build does not read, a precision other than Real's, or
// values no run can reach (scan_checkpoint_values: a file whose checksums
// verify can still hold them). A path that is not a regular file (a
// directory, a device, a FIFO) is refused naming what it is, before it is opened.
template <class Real>
Checkpoint<Real> read_checkpoint(const std::string& path);

// read_checkpoint of one process's part: the same validation of every
// dataset (of the values, only that they are finite: whether a value is
// negative beyond round-off depends on the whole field, so the caller scans
// with the ranks' largest values, scan_checkpoint_values), but `labels` and `fields` hold only `block` (of
// the global grid in `grid`; dense, x fastest). Independent reads: any number of processes may read blocks of
// one file at once, whatever the rank count that wrote it. The checksums verified are those of the chunks
// read (of the grids, the chunks `block` touches; all of every other dataset): a damaged chunk of a field or
// the labels is refused by the processes whose blocks touch it, so that a parallel restart must agree on a
// refusal (comm.any) for all ranks to stop. InputError naming the file as read_checkpoint, and for a block
// that does not lie inside the file's grid.
template <class Real>
Checkpoint<Real> read_checkpoint_block(const std::string& path, const Box& block);

// The format version and the precision ("float"/"double") of a checkpoint,
// read from its root attributes only; InputError if it is not a cytostorm
// checkpoint or is newer than this build reads.
struct CheckpointHeader {
  int format_version = 0;
  std::string precision;
  std::int64_t step = 0;
  double time = 0;
};
CheckpointHeader read_checkpoint_header(const std::string& path);

// Where each dataset's stored bytes lie in a checkpoint file: one entry per
// chunk (offset and size in bytes), for inspection and damage tests.
struct StoredChunk {
  std::string dataset;
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
};
std::vector<StoredChunk> checkpoint_chunks(const std::string& path);

// "checkpoint_<step, 12 digits>.h5"
std::string checkpoint_file_name(std::int64_t step);

// The checkpoints in `directory` (by name), newest step first.
struct CheckpointFile {
  std::string path;
  std::int64_t step = 0;
};
std::vector<CheckpointFile> list_checkpoints(const std::string& directory);

// Removes all but the newest `keep` checkpoints of `directory`, and the
// temporaries that a killed writer left behind (of processes of this host
// that are gone: temporary_owner, host/core/atomic_file.hpp).
// Returns how many files were removed.
int prune_checkpoints(const std::string& directory, int keep);

// Flattens time-series rows (every number of a row, in a fixed order) and
// back; `shape` gives the sizes of the rows to rebuild (a row of the run).
std::vector<double> flatten_timeseries_row(const TimeSeriesRow& row);
std::vector<TimeSeriesRow> unflatten_timeseries(const std::vector<double>& values, std::int64_t rows,
                                                const TimeSeriesRow& shape);

}  // namespace cyto
