// Observers' file formats: HDF5 snapshots + XDMF, time series (CSV, JSON),
// the run summary. Every file is written atomically (temporary name, fsync,
// rename), so a killed run never leaves a half-written file under a final name.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "host/core/atomic_file.hpp"
#include "host/geometry/dense_grid.hpp"
#include "host/scenario/scenario.hpp"

namespace cyto {

struct Box;  // decomposition.hpp
namespace par {
class Comm;  // parallel.hpp
}

// When to rewrite a growing index file (time series, XDMF): after the first
// addition, then at most once per min_interval_s of wall time; flush forces it.
class RewriteThrottle {
 public:
  explicit RewriteThrottle(double min_interval_s) : min_interval_s_(min_interval_s) {}
  // Records an addition; true when the file should be rewritten now.
  bool added() {
    stale_ = true;
    const bool first = !written_once_;
    return first ||
           std::chrono::duration<double>(std::chrono::steady_clock::now() - last_).count() >= min_interval_s_;
  }
  bool stale() const { return stale_; }
  void rewritten() {
    stale_ = false;
    written_once_ = true;
    last_ = std::chrono::steady_clock::now();
  }

 private:
  double min_interval_s_;
  std::chrono::steady_clock::time_point last_{};
  bool stale_ = false;
  bool written_once_ = false;
};

// One field to write: nx*ny*nz values of `precision`, x fastest.
struct FieldView {
  std::string name;  // species name; the dataset is /fields/<name>
  const void* data = nullptr;
  Precision precision = Precision::Float;
};

// HDF5 snapshots, one file per output time (snapshot_000042.h5 with
// /fields/<species> datasets in pg/mL and attributes time_s, step), the labels
// once in geometry.h5 (/labels, uint8, and /tissues names), and one XDMF file
// (<directory>/fields.xmf) describing the whole time series as a temporal
// collection of 3DCoRectMesh grids with cell-centred attributes. The XDMF is
// rewritten atomically after a snapshot (at most once per
// min_rewrite_interval_s of wall time, and on flush()), so it always lists
// only complete files and opens in ParaView or VisIt at any moment; the
// throttle bounds the cost of rewriting a growing index on long runs.
//
// Parallel runs: every rank constructs the writer with the communicator and
// calls write_collective(); each snapshot is still one file, written by all
// ranks together (parallel HDF5), with write()'s layout, so the same XDMF
// describes it. Rank 0 alone writes geometry.h5 and keeps fields.xmf
// (flush() and resume() write nothing on the other ranks).
class SnapshotWriter {
 public:
  SnapshotWriter(std::string directory, DenseGrid grid,
                 std::vector<std::uint8_t> labels,  // tissue label per voxel, dense, x fastest
                 std::vector<Tissue> tissues,       // label value -> name, for /tissues
                 double min_rewrite_interval_s = 0);
  // The writer of a parallel run, constructed by every rank of `comm`: rank 0
  // creates the directory and writes geometry.h5 from `labels`, the whole
  // label map, which the other ranks may pass empty (it is not read there).
  // Every rank returns after geometry.h5 is in place, or throws the same
  // RuntimeFailure (std::invalid_argument for a grid without voxels). With one
  // rank: the constructor above.
  SnapshotWriter(const par::Comm& comm, std::string directory, DenseGrid grid,
                 std::vector<std::uint8_t> labels, std::vector<Tissue> tissues,
                 double min_rewrite_interval_s = 0);
  void write(double time_s, std::int64_t step, const std::vector<FieldView>& fields);
  // write() by every rank of `comm` together: one file, in which each rank
  // writes its `block` of the grid from `block_fields` (the same names and
  // precisions on every rank; data: block.voxels() values, dense, x fastest,
  // may be null for an empty block). Voxels no block covers hold 0. Bad
  // field names, missing data and blocks outside the grid are refused before
  // writing; these and write failures give every rank the same
  // RuntimeFailure "cannot write <path>: <reason>". Only rank 0 rewrites the
  // XDMF. With one rank and the whole grid as block: write(), byte for byte.
  void write_collective(const par::Comm& comm, double time_s, std::int64_t step,
                        const std::vector<FieldView>& block_fields, const Box& block);
  void flush();  // rewrites the XDMF if snapshots were added since it was last written
  const std::string& xdmf_path() const { return xdmf_path_; }
  // Continues a restarted run: takes the snapshots of the earlier outputs at
  // `times` (snapshot_000000.h5 ...) back into the index with those of
  // `fields` (names and precisions; data unused) that their files hold, and
  // numbers the next snapshot after them. Returns how many files are missing
  // (left out of the index).
  int resume(const std::vector<double>& times, const std::vector<FieldView>& fields);

 private:
  struct Entry {
    std::string file;
    double time_s;
    std::vector<std::pair<std::string, Precision>> fields;
  };
  void write_xdmf() const;
  // geometry.h5 from the whole label map (the directory is created first).
  void write_geometry_file(const std::vector<std::uint8_t>& labels, const std::vector<Tissue>& tissues) const;

  std::string directory_;
  DenseGrid grid_;
  std::string xdmf_path_;
  std::vector<Entry> entries_;
  int next_index_ = 0;
  RewriteThrottle index_;
  bool index_owner_ = true;  // writes fields.xmf: false on ranks other than 0 of a parallel run
};

// One file with the labels, the tissues and every given field at one step,
// and a text attribute "finding" (what went wrong where): what a blow-up leaves
// for inspection.
void write_diagnostic_snapshot(const std::string& path, const DenseGrid& grid,
                               const std::vector<std::uint8_t>& labels, const std::vector<Tissue>& tissues,
                               double time_s, std::int64_t step, const std::vector<FieldView>& fields,
                               const std::string& finding);

// Amount and concentration statistics of one species over one region.
struct RegionStats {
  double total_pg = 0;  // integral of c over the region's volume (pg)
  double mean = 0;      // pg/mL, total / region volume
  double max = 0;       // pg/mL
};

// Cumulative amounts of one species over one region (pg), with output.budget.
struct BudgetStats {
  double secreted_pg = 0;
  double released_pg = 0;  // by dying cells (bursts)
  double taken_up_pg = 0;
};

struct TimeSeriesRow {
  double time_s = 0;
  std::int64_t step = 0;
  // stats[species][region]: region 0 is all tissue, regions 1..T the tissues,
  // then the organs.
  std::vector<std::vector<RegionStats>> stats;
  // populations[population][region], same regions; total in cells, mean and max in cells/mL.
  std::vector<std::vector<RegionStats>> populations;
  std::vector<std::vector<BudgetStats>> budget;  // [species][region]; empty without output.budget
  std::vector<double> plasma;                    // pg/mL per species; empty without a plasma compartment
  std::vector<double> blood;  // cells/mL per population; empty without a plasma compartment
  std::vector<double> drugs;  // pg/mL per therapy
};

// What a time series holds, by name (regions: "all", tissues, organs).
struct TimeSeriesNames {
  std::vector<std::string> species;
  std::vector<std::string> tissues;
  std::vector<std::string> organs;
  std::vector<std::string> populations;
  std::vector<std::string> therapies;
  bool plasma = false;
  bool budget = false;
};

// Writes timeseries.csv (tidy: one line per time, species and region) and
// timeseries.json (arrays per species and region), both rewritten atomically
// after an append (at most once per min_rewrite_interval_s of wall time, and
// on flush()), so they are always complete up to the last rewrite.
// With populations, populations.csv (the same tidy layout in cells); with a
// plasma compartment or drugs, plasma.csv (one line per time and quantity).
// An empty directory keeps the rows and writes nothing (MPI ranks but the first).
class TimeSeriesWriter {
 public:
  TimeSeriesWriter(std::string directory, std::vector<std::string> species_names,
                   std::vector<std::string> tissue_names, double min_rewrite_interval_s = 0);
  TimeSeriesWriter(std::string directory, TimeSeriesNames names, double min_rewrite_interval_s = 0);
  void append(const TimeSeriesRow& row);
  void flush();  // rewrites the files if rows were added since they were last written
  // Continues a restarted run from the rows it had written (rewritten at the next append or flush).
  void resume(std::vector<TimeSeriesRow> rows);
  const std::vector<TimeSeriesRow>& rows() const { return rows_; }

 private:
  std::string directory_;
  TimeSeriesNames names_;
  std::vector<TimeSeriesRow> rows_;
  RewriteThrottle files_;
};

}  // namespace cyto
