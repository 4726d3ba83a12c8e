// The validated scenario: plain structs, every dimensional value already
// converted to the internal units below. Produced by load_scenario()
// (config.hpp); consumed by geometry, discretisation and the solver. It is
// data: it names the mesh and label-map files it uses, and host/geometry
// reads them (load_geometry).
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

#include "host/core/error.hpp"
#include "host/scenario/limits.hpp"

namespace cyto {

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
  // Sized from the geometry's bounding box plus `padding` voxels on every
  // side (no extent given). Origin and extent then stay 0 here: the geometry
  // layer sets them once it has read the files (load_geometry ->
  // PlacedGeometry::grid, host/geometry/placed_geometry.hpp).
  bool from_geometry = false;
  int padding = 0;
  SourceLocation where;
};

struct Tissue {
  std::string name;
  int label = 0;  // 1..scenario_limits::kMaxTissues, unique
  SourceLocation where;
};

// Where a file's coordinates go: world = rotation * (scale * unit * x) + translation.
// The rotation is about x, then y, then z (fixed axes). The geometry layer
// turns it into an affine map (placement_affine, host/geometry/placed_geometry.hpp).
struct Placement {
  double unit = 1;  // metres per file unit
  Vec3 scale{1, 1, 1};
  Vec3 rotation{0, 0, 0};  // radians about x, y, z
  Vec3 translation{0, 0, 0};
};

// A surface mesh file (STL or OBJ) and where its coordinates go. The
// scenario names the file; host/geometry reads and places it
// (load_geometry), reporting a defect in the file at `where`.
struct MeshFile {
  std::string file;  // as resolved (relative to the scenario file)
  Placement placement;
  SourceLocation where;  // of the item's "mesh.file"
};

// A label map file (NIfTI or MetaImage), where it goes, and which of its
// labels become which tissue. Read and placed by host/geometry.
struct VolumeFile {
  std::string file;  // as resolved (relative to the scenario file)
  // The unit (metres per file unit) counts only where the scenario names
  // one ("units": unit_given), and then wins over the file's own; otherwise
  // the file's own unit applies (NIfTI), or mm where it has none (MetaImage).
  Placement placement;
  bool unit_given = false;
  struct LabelTissue {
    std::int32_t label = 0;
    int tissue = 0;  // index into Scenario::tissues
    SourceLocation where;
  };
  std::vector<LabelTissue> labels;
  SourceLocation where;         // of the item's "volume.file"
  SourceLocation labels_where;  // of "volume.labels": a label the file lacks is reported here
};

enum class GeometryKind { Shape, Surface, Volume };

// Geometry is painted in order of priority, then of appearance: a later item
// overwrites an earlier one where they overlap.
struct GeometryItem {
  int tissue = 0;  // index into Scenario::tissues (Shape, Surface)
  Shape shape;
  SourceLocation where;
  GeometryKind kind = GeometryKind::Shape;
  MeshFile mesh{};      // Surface
  VolumeFile volume{};  // Volume
  int priority = 0;
  // Paint only over voxels already of this tissue (a lesion or vessel kept
  // inside its organ), if set.
  std::optional<int> within = std::nullopt;
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
  // dt: auto adapts the step so that the estimated local error of each step,
  // relative to the fields' size, stays within this (Simulation::step_error).
  double tolerance = 1e-3;
  bool tolerance_given = false;
  SourceLocation tolerance_where;
  SourceLocation where;     // of the "time" block
  SourceLocation dt_where;  // of "time.dt" (for the stability error)
};

struct OutputSettings {
  std::string directory = "output";
  double interval = 0;                 // s, simulated time between outputs
  std::vector<int> fields;             // species indices written to snapshots
  std::vector<int> population_fields;  // population indices written to snapshots
  bool budget = false;                 // track secreted / released / taken-up amounts per species
  bool snapshots = true;               // HDF5 + XDMF field snapshots
  double progress_interval = 2.0;      // wall-clock seconds between progress lines
  SourceLocation where;
};

// When a run writes checkpoints (<output.directory>/checkpoint_<step>.h5):
// whenever any of the set triggers fires, after the step that crosses it.
// Signals, --walltime and --stop-at-step write one whatever is set here.
struct CheckpointSettings {
  std::optional<double> interval;     // s of simulated time between checkpoints
  std::optional<std::int64_t> steps;  // steps between checkpoints
  std::optional<double> wall;         // s of wall-clock time between checkpoints
  int keep = 2;                       // newest good checkpoints kept; older ones are removed
  SourceLocation where;               // of the "checkpoint" block
};

// ---- The cytokine-storm model (DESIGN.md section 1) ----
//
// Further internal units:
//   cell density      cells/mL
//   per-cell rate     pg/cell/s   (secretion, Michaelis-Menten uptake)
//   per-cell amount   pg/cell     (burst on death)
//   clearance         mL/cell/s   (linear uptake)
//   volume            mL
//   mass              pg
//   drug level        pg/mL
//   binding rate      mL/pg/s     (neutralisation k_on)

// A cell population: a density field that does not diffuse.
struct Population {
  std::string name;
  std::vector<InitialValue> initial;  // values in cells/mL
  SourceLocation where;
};

// Random seeding of a population: every voxel of the region receives a
// Poisson(density * voxel volume) number of whole cells, drawn from Philox
// keyed by (scenario seed, population, voxel): reproducible, independent of
// threads and backends. Applied after the population's initial values, adding to them.
struct Seeding {
  int population = 0;  // index into Scenario::populations
  Region region;
  double density = 0;  // cells/mL (mean)
  SourceLocation where;
};

// A Hill factor on a rule: activation (c/K)^n / (1 + (c/K)^n) or inhibition
// 1 / (1 + (c/K)^n) by one species.
struct HillTerm {
  int species = 0;      // index into Scenario::species
  double half_max = 0;  // K, pg/mL, > 0
  double hill = 1;      // n >= 1
  SourceLocation where;
};

enum class RuleKind { Secretion, Uptake, Decay, Growth, Recruitment, Death };

enum class DeathMode { Deterministic, Stochastic };

// One rule. Fields not used by a kind stay at their defaults (see each kind).
//   Secretion   dc_s/dt += rho_p * (base + (max - base) * prod(activators)) * prod(inhibitors)
//               (without activators: rho_p * base * prod(inhibitors))
//   Uptake      dc_s/dt -= rho_p * clearance * c_s                (linear)
//               dc_s/dt -= rho_p * vmax * c_s / (km + c_s)        (Michaelis-Menten: vmax > 0)
//   Decay       drho_p/dt -= rate * rho_p                         (turnover of a population)
//   Growth      drho_p/dt += rate * prod(activators) * rho_p * (1 - rho_p / capacity)
//   Recruitment drho_p/dt += rate * prod(activators) * B_p * (1 - rho_p / capacity)
//               (B_p: the population's blood density in the plasma compartment)
//   Death       threshold-triggered pyroptosis: while sum_k signal[k] c_k >= threshold
//               (and, if primed, sum_k priming[k] c_k >= priming_threshold), cells die
//               at `rate`; each dead cell releases burst[k] pg of species k into the voxel.
struct Rule {
  std::string name;  // optional; therapies may name rules
  RuleKind kind = RuleKind::Secretion;
  int population = 0;        // index into Scenario::populations
  int species = -1;          // Secretion, Uptake: index into Scenario::species
  std::vector<int> tissues;  // indices into Scenario::tissues where the rule acts; empty = all

  double base = 0;       // Secretion: pg/cell/s
  double max = 0;        // Secretion: pg/cell/s (= base without activators)
  double clearance = 0;  // Uptake (linear): mL/cell/s
  double vmax = 0;       // Uptake (Michaelis-Menten): pg/cell/s
  double km = 0;         // Uptake (Michaelis-Menten): pg/mL
  double rate = 0;       // Decay, Growth, Recruitment, Death: 1/s
  double capacity = 0;   // Growth, Recruitment: cells/mL, > 0
  std::vector<HillTerm> activators;
  std::vector<HillTerm> inhibitors;

  // Death only.
  std::vector<double> signal;    // weight per species (dimensionless), size = species count
  double threshold = 0;          // pg/mL
  std::vector<double> priming;   // weight per species; empty = no priming requirement
  double priming_threshold = 0;  // pg/mL
  std::vector<double> burst;     // pg/cell per species, size = species count (zeros: no burst)
  DeathMode mode = DeathMode::Deterministic;

  SourceLocation where;
};

// A group of tissues that forms one organ: reported together in the time
// series, and (with `volume`) standing for a whole organ in the plasma
// coupling: its exchange with plasma is scaled by volume / modelled volume.
struct Organ {
  std::string name;
  std::vector<int> tissues;      // indices into Scenario::tissues, each in at most one organ
  std::optional<double> volume;  // mL; empty = the modelled volume itself
  SourceLocation where;
};

// gamma_k (P_k - c_k) in the voxels of a tissue.
struct VascularExchange {
  int tissue = 0;   // index into Scenario::tissues
  int species = 0;  // index into Scenario::species
  double rate = 0;  // gamma, 1/s
  SourceLocation where;
};

// The well-mixed plasma compartment:
//   V dP_k/dt = sum over organs of scale * sum_voxels gamma_k (c_k - P_k) dV - clearance_k V P_k + infusions
//   dB_p/dt   = -blood_clearance_p B_p + infusions  (blood density of a population)
struct Plasma {
  bool enabled = false;
  double volume = 3000;                 // mL
  std::vector<double> initial;          // pg/mL per species
  std::vector<double> clearance;        // 1/s per species
  std::vector<double> blood_initial;    // cells/mL per population
  std::vector<double> blood_clearance;  // 1/s per population
  std::vector<VascularExchange> exchange;
  SourceLocation where;
};

// A dose into the plasma compartment: a species (amount in pg) or a
// population (a number of cells), given as a bolus at `start` or spread
// evenly over [start, end).
struct Infusion {
  std::string name;
  int species = -1;           // index into Scenario::species, or
  int population = -1;        // index into Scenario::populations
  double amount = 0;          // pg (species) or cells (population)
  double start = 0;           // s
  std::optional<double> end;  // s; empty = bolus at start
  SourceLocation where;
};

enum class DrugEffect { Neutralisation, Blockade, Suppression };

struct Dose {
  double time = 0;    // s
  double amount = 0;  // pg
  SourceLocation where;
};

// A drug with one-compartment pharmacokinetics:
//   A(t) = sum over doses given by t of (amount / volume) exp(-ln2 (t - t_dose) / half_life)
// and one effect:
//   Neutralisation  dc_s/dt -= k_on A c_s for each target species (tissue and plasma)
//   Blockade        each activation by a target species is scaled by 1 / (1 + A / ic50)
//                   (in every rule, or only in `rules` when given)
//   Suppression     secretion rates of the target rules (or of every secretion rule
//                   producing a target species) are scaled by 1 - emax A / (A + ec50)
struct Therapy {
  std::string name;
  std::vector<Dose> doses;
  double half_life = 0;  // s
  double volume = 0;     // mL
  DrugEffect effect = DrugEffect::Neutralisation;
  std::vector<int> species;  // targets (indices into Scenario::species)
  std::vector<int> rules;    // targets (indices into Scenario::rules)
  double k_on = 0;           // Neutralisation: mL/pg/s
  double ic50 = 0;           // Blockade: pg/mL
  double emax = 0;           // Suppression: 0..1
  double ec50 = 0;           // Suppression: pg/mL
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
  std::uint64_t seed = 0;  // for random seeding and stochastic death
  std::vector<Population> populations;
  std::vector<Seeding> seedings;
  std::vector<Rule> rules;
  std::vector<Organ> organs;
  Plasma plasma;
  std::vector<Infusion> infusions;
  std::vector<Therapy> therapies;
  TimeSettings time;
  OutputSettings output;
  CheckpointSettings checkpoint;
};

}  // namespace cyto
