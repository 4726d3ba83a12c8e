// `cytostorm bench-checkpoint`: how fast a checkpoint is written next to what
// the disk takes for the same bytes written the same way (write, fsync,
// rename, directory fsync), measured in one run, and how long the checkpoint
// and output I/O stalls the time stepping of a real run.
#pragma once

#include <cstdio>
#include <string>

namespace cyto::bench {

struct CheckpointBenchArgs {
  int size = 128;                   // a size^3 grid
  int fields = 8;                   // fields in the checkpoint (the stall runs: as many species)
  std::string precision = "float";  // float | double
  int repeats = 5;                  // timed repetitions of each write and read; medians reported
  std::string directory;            // where to write; empty = the current directory. A fresh
                                    // subdirectory is made there and removed afterwards
  std::string output = "cytostorm-bench-checkpoint.json";
  int stall_steps = 200;  // steps of each stall run (about 10 checkpoints over them); 0 = no stall runs
  int stall_size = 64;    // the stall runs' box: stall_size^3 voxels
  int stall_repeats = 3;  // pairs of runs (without, then with checkpoints); medians reported
  int threads = 0;        // the stall runs' CPU threads; 0 = OpenMP's default
};

// Runs the benchmark, prints a table to `out` and writes the JSON to
// args.output (atomically):
//   {benchmark: "checkpoint", date, host, commit, build{...}, machine{cpu, logical_cores, memory_gib,
//    kernel, load_average_start[3], load_average_end[3]}, directory, file_system{type, magic},
//    problem{size, grid[3], fields, precision, voxels, field_bytes, checkpoint_file_bytes, repeats},
//    disk_write, checkpoint_write, checkpoint_read, checkpoint_read_cached: {samples_s[], median_s,
//    mb_per_s}, ratio_checkpoint_write_to_disk_write, stall{... | skipped}}
// Bandwidths are field bytes / median seconds, in MB (10^6 bytes) per second.
// The disk, checkpoint-write and read repetitions alternate (after one
// untimed round), so a drift in a shared machine's load hits all equally.
// InputError for a bad option; RuntimeFailure for an I/O error.
void run_checkpoint_bench(const CheckpointBenchArgs& args, std::FILE* out);

}  // namespace cyto::bench
