// Benchmark problems: scenario files under configs/bench/, read like any
// scenario and turned into the cases the benchmarks time.
//
// A problem file is a complete scenario written for a cube of whole voxels
// (configs/bench/box.yaml: 100 voxels of 0.01 mm a side). A case is made from
// it in two steps:
//   1. the benchmark's own parameters go in as --set overrides (precision,
//      the first N species of the file, run lengths), and the scenario reader
//      validates the result as it validates any scenario, so that a broken
//      problem is refused at its file:line:col;
//   2. the validated scenario is resized to n voxels a side: the voxel is
//      kept, and the grid and every shape scale with the side about the
//      grid's origin (a sphere may be kept from shrinking below a number of
//      voxels of radius: `cytostorm bench` keeps 1.5, so that a source ball
//      on its smallest grids still covers voxel centres).
// Step 2 is a plain change of scale, so a problem written once serves every
// --sizes; the numbers in the file are those of the 100-voxel problem.
//
// The files are compiled into the binary (bench_problems_built_in.cpp,
// generated from configs/bench/*.yaml at build time), so `cytostorm bench`
// runs anywhere; a directory given instead is read from disk, file by file.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "host/scenario/scenario.hpp"

namespace cyto::bench {

// A problem file as read and validated at its own size.
struct BenchProblem {
  std::string name;   // the file's stem: "box", "organ", "storm_box", "checkpoint_stall"
  std::string file;   // as shown in errors and results: "configs/bench/box.yaml", or DIR/box.yaml
  std::string text;   // the file's YAML
  Scenario scenario;  // as written (no overrides), validated
  int voxels_per_side = 0;
};

// How one case differs from the file.
struct CaseParameters {
  int voxels_per_side = 0;              // the case's grid: n^3 voxels
  std::optional<Precision> precision;   // unset: the file's
  std::optional<int> species;           // keep the first N species; unset: all
  std::vector<std::string> overrides;   // further "key.path=value", as --set takes them
  double min_sphere_radius_voxels = 0;  // a resized sphere keeps at least this radius, in voxels
};

// The problem `name` ("box") from `directory`, or from the built-in copies
// of configs/bench/ when `directory` is empty. InputError at the file's
// line and column when it is not a valid scenario, at its grid when the grid
// is not a cube of whole voxels, and at a geometry item that is not a shape
// (a mesh or label map cannot be scaled); InputError naming the file when
// there is no such file (or built-in problem).
BenchProblem load_bench_problem(const std::string& name, const std::string& directory = "");

// The scenario of one case: the parameters applied as overrides, validated,
// then resized (see the top of this file). InputError for a species count
// above the file's, or an override the scenario refuses. The resized
// scenario's resolved_yaml is the file after the overrides, with a comment
// line saying to what size it was resized.
Scenario case_scenario(const BenchProblem& problem, const CaseParameters& parameters);

// The names and texts of the built-in problems (configs/bench/*.yaml at
// build time), sorted by name.
struct BuiltInProblem {
  const char* file_name;  // "box.yaml"
  const char* text;
};
const std::vector<BuiltInProblem>& built_in_bench_problems();

// "configs/bench": where the built-in problems came from, as errors name them.
inline constexpr const char* kBuiltInProblemDirectory = "configs/bench";

}  // namespace cyto::bench
