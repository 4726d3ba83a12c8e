// The validated scenario: plain structs, every dimensional value already
// converted to the internal units below. Produced by load_scenario()
// (config.hpp); consumed by geometry, discretisation and the solver.
//
// Internal units (SI for space and time; the clinical unit for concentration):
//   length          m
//   time            s
//   concentration   pg/mL
//   diffusion       m^2/s
//   rate            1/s
//   source rate     pg/mL/s
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "error.hpp"
#include "kernels/step_params.hpp"

namespace cyto {

// Documented maxima (README "Limits"): run-time counts, bounded so that the
// per-material coefficient table stays small enough for on-chip memory.
// kMaxSpecies comes from kernels/step_params.hpp (the GPU kernel's limit).
inline constexpr int kMaxTissues = 255;  // label 0 is "outside"

using Vec3 = std::array<double, 3>;

enum class Precision { Float, Double };

enum class ShapeKind { Box, Sphere, Ellipsoid, Cylinder, Union };

// An analytic shape, in metres.
//   Box:       a = min corner, b = max corner
//   Sphere:    a = centre, radius
//   Ellipsoid: a = centre, b = semi-axes (radii)
//   Cylinder:  a = centre of one end cap, b = centre of the other, radius
//   Union:     parts
struct Shape {
  ShapeKind kind = ShapeKind::Box;
  Vec3 a{0, 0, 0};
  Vec3 b{0, 0, 0};
  double radius = 0;
  std::vector<Shape> parts;
  SourceLocation where;
};

struct GridSettings {
  Vec3 origin{0, 0, 0};   // position of the grid's min corner
  Vec3 extent{0, 0, 0};   // physical size along x, y, z
  Vec3 spacing{0, 0, 0};  // voxel size along x, y, z
  SourceLocation where;
};

struct Tissue {
  std::string name;
  int label = 0;  // 1..kMaxTissues, unique
  SourceLocation where;
};

// Geometry is painted in order: a later item overwrites an earlier one where
// they overlap.
struct GeometryItem {
  int tissue = 0;  // index into Scenario::tissues
  Shape shape;
  SourceLocation where;
};

// Where a source or an initial value applies: a whole tissue, a shape, or
// both (the shape intersected with the tissue). Neither set = every tissue voxel.
struct Region {
  std::optional<int> tissue;  // index into Scenario::tissues
  std::optional<Shape> shape;
};

// Initial values are applied in order; later entries overwrite earlier ones.
struct InitialValue {
  Region region;
  double value = 0;  // pg/mL
  SourceLocation where;
};

struct Species {
  std::string name;
  std::vector<double> diffusion;  // m^2/s, one per tissue (index = tissue index)
  double decay_rate = 0;          // 1/s (from "decay" or ln2 / "half_life")
  std::vector<InitialValue> initial;
  SourceLocation where;
};

// A constant-rate source, active on [start, end).
struct Source {
  std::string name;
  int species = 0;  // index into Scenario::species
  Region region;
  double rate = 0;                                       // pg/mL/s, may be negative (a sink)
  double start = 0;                                      // s
  double end = std::numeric_limits<double>::infinity();  // s
  SourceLocation where;
};

// Voxels of `tissue` hold `value` of `species` for all time.
struct DirichletBoundary {
  int tissue = 0;    // index into Scenario::tissues
  int species = 0;   // index into Scenario::species
  double value = 0;  // pg/mL
  SourceLocation where;
};

struct TimeSettings {
  double end = 0;            // s
  std::optional<double> dt;  // s; empty = "auto" (largest stable step)
  bool substepping = true;   // split a too-large dt into stable sub-steps
  double safety = 0.9;       // fraction of the explicit stability limit used by auto dt
  SourceLocation where;      // of the "time" block
  SourceLocation dt_where;   // of "time.dt" (for the stability error)
};

struct OutputSettings {
  std::string directory = "output";
  double interval = 0;             // s, simulated time between outputs
  std::vector<int> fields;         // species indices written to snapshots
  bool snapshots = true;           // HDF5 + XDMF field snapshots
  double progress_interval = 2.0;  // wall-clock seconds between progress lines
  SourceLocation where;
};

struct Scenario {
  std::string name;
  std::string description;
  std::string source_file;    // path of the YAML file as given
  std::string resolved_yaml;  // the input after --set overrides (for hashing, summaries, checkpoints)
  Precision precision = Precision::Float;
  GridSettings grid;
  std::vector<Tissue> tissues;
  std::vector<GeometryItem> geometry;
  std::vector<Species> species;
  std::vector<Source> sources;
  std::vector<DirichletBoundary> boundaries;
  TimeSettings time;
  OutputSettings output;
};

}  // namespace cyto
