// Scenario files: resolved values and --set overrides of good input; every
// refused input as a row of a table (tests/config_cases.hpp has the row type).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "host/scenario/config.hpp"
#include "host/scenario/limits.hpp"
#include "tests/config_cases.hpp"

namespace cyto {
namespace {

using namespace cyto::testing;

void expect_at(const SourceLocation& where, int line, int column, const std::string& key_path) {
  EXPECT_EQ(where.file, kFile);
  EXPECT_EQ(where.line, line);
  EXPECT_EQ(where.column, column);
  EXPECT_EQ(where.key_path, key_path);
}

constexpr const char* kFullScenario = R"(name: liver-focus
description: "A focus of infection in a liver lobe"
precision: double
grid:
  origin: [0 mm, 0 mm, 0 mm]
  extent: [4 mm, 3 mm, 2 mm]
  voxel: 25 um
tissues:
  - name: parenchyma
    label: 1
  - name: vessel
    label: 7
geometry:
  - tissue: parenchyma
    ellipsoid: {center: [2 mm, 1.5 mm, 1 mm], radii: [1.9 mm, 1.4 mm, 0.9 mm]}
  - tissue: vessel
    cylinder: {start: [0.5 mm, 1.5 mm, 1 mm], end: [3.5 mm, 1.5 mm, 1 mm], radius: 100 um}
species:
  - name: TNF
    diffusion: {parenchyma: 1200 um^2/min, default: 600 um^2/min}
    decay: 0.0275 /min
    initial:
      - {value: 10 pg/mL}
      - {value: 20 pg/mL, tissue: parenchyma}
      - {value: 1 ng/mL, sphere: {center: [2 mm, 1.5 mm, 1 mm], radius: 200 um}, tissue: parenchyma}
  - name: IL-6
    diffusion: 10 um^2/s
    half_life: 25 min
    initial: 5 ng/mL
sources:
  - name: infection_focus
    species: TNF
    rate: 50 pg/mL/min
    tissue: parenchyma
    sphere: {center: [2 mm, 1.5 mm, 1 mm], radius: 150 um}
    start: 0 min
    end: 30 min
  - species: IL-6
    rate: -1 pg/mL/s
    union:
      - box: {min: [1 mm, 1 mm, 0.5 mm], max: [1.5 mm, 1.5 mm, 1 mm]}
      - sphere: {center: [3 mm, 2 mm, 1 mm], radius: 0.2 mm}
boundaries:
  - tissue: vessel
    species: all
    dirichlet: 0 pg/mL
time:
  end: 2 h
  dt: 0.05 min
  substepping: false
  safety: 0.8
output:
  directory: out/liver
  interval: 10 min
  fields: [IL-6]
  snapshots: false
  progress_interval: 5 s
)";

// ---------------------------------------------------------------- valid input

TEST(Config, FullScenarioResolvesToInternalUnits) {
  const Scenario s = parse_scenario(kFullScenario, "liver.yaml");
  EXPECT_EQ(s.name, "liver-focus");
  EXPECT_EQ(s.description, "A focus of infection in a liver lobe");
  EXPECT_EQ(s.source_file, "liver.yaml");
  EXPECT_EQ(s.precision, Precision::Double);

  EXPECT_EQ(s.grid.origin, (Vec3{0, 0, 0}));
  EXPECT_DOUBLE_EQ(s.grid.extent[0], 4e-3);
  EXPECT_DOUBLE_EQ(s.grid.extent[1], 3e-3);
  EXPECT_DOUBLE_EQ(s.grid.extent[2], 2e-3);
  for (double h : s.grid.spacing) EXPECT_DOUBLE_EQ(h, 25e-6);

  ASSERT_EQ(s.tissues.size(), 2u);
  EXPECT_EQ(s.tissues[0].name, "parenchyma");
  EXPECT_EQ(s.tissues[0].label, 1);
  EXPECT_EQ(s.tissues[1].name, "vessel");
  EXPECT_EQ(s.tissues[1].label, 7);

  ASSERT_EQ(s.geometry.size(), 2u);
  EXPECT_EQ(s.geometry[0].tissue, 0);
  EXPECT_EQ(s.geometry[0].shape.kind, ShapeKind::Ellipsoid);
  EXPECT_DOUBLE_EQ(s.geometry[0].shape.a[1], 1.5e-3);
  EXPECT_DOUBLE_EQ(s.geometry[0].shape.b[2], 0.9e-3);
  EXPECT_EQ(s.geometry[1].tissue, 1);
  EXPECT_EQ(s.geometry[1].shape.kind, ShapeKind::Cylinder);
  EXPECT_DOUBLE_EQ(s.geometry[1].shape.a[0], 0.5e-3);
  EXPECT_DOUBLE_EQ(s.geometry[1].shape.b[0], 3.5e-3);
  EXPECT_DOUBLE_EQ(s.geometry[1].shape.radius, 100e-6);

  ASSERT_EQ(s.species.size(), 2u);
  const Species& tnf = s.species[0];
  EXPECT_EQ(tnf.name, "TNF");
  ASSERT_EQ(tnf.diffusion.size(), 2u);
  EXPECT_DOUBLE_EQ(tnf.diffusion[0], 1200e-12 / 60);  // listed
  EXPECT_DOUBLE_EQ(tnf.diffusion[1], 600e-12 / 60);   // default
  EXPECT_DOUBLE_EQ(tnf.decay_rate, 0.0275 / 60);
  ASSERT_EQ(tnf.initial.size(), 3u);
  EXPECT_DOUBLE_EQ(tnf.initial[0].value, 10);
  EXPECT_FALSE(tnf.initial[0].region.tissue);
  EXPECT_FALSE(tnf.initial[0].region.shape);
  EXPECT_DOUBLE_EQ(tnf.initial[1].value, 20);
  EXPECT_EQ(tnf.initial[1].region.tissue, 0);
  EXPECT_DOUBLE_EQ(tnf.initial[2].value, 1000);  // 1 ng/mL
  EXPECT_EQ(tnf.initial[2].region.tissue, 0);
  ASSERT_TRUE(tnf.initial[2].region.shape);
  EXPECT_EQ(tnf.initial[2].region.shape->kind, ShapeKind::Sphere);
  EXPECT_DOUBLE_EQ(tnf.initial[2].region.shape->radius, 200e-6);

  const Species& il6 = s.species[1];
  EXPECT_EQ(il6.name, "IL-6");
  EXPECT_DOUBLE_EQ(il6.diffusion[0], 10e-12);
  EXPECT_DOUBLE_EQ(il6.diffusion[1], 10e-12);
  EXPECT_DOUBLE_EQ(il6.decay_rate, std::log(2.0) / 1500);
  ASSERT_EQ(il6.initial.size(), 1u);
  EXPECT_DOUBLE_EQ(il6.initial[0].value, 5000);

  ASSERT_EQ(s.sources.size(), 2u);
  EXPECT_EQ(s.sources[0].name, "infection_focus");
  EXPECT_EQ(s.sources[0].species, 0);
  EXPECT_DOUBLE_EQ(s.sources[0].rate, 50.0 / 60);
  EXPECT_EQ(s.sources[0].region.tissue, 0);
  ASSERT_TRUE(s.sources[0].region.shape);
  EXPECT_DOUBLE_EQ(s.sources[0].region.shape->radius, 150e-6);
  EXPECT_DOUBLE_EQ(s.sources[0].start, 0);
  EXPECT_DOUBLE_EQ(s.sources[0].end, 1800);
  EXPECT_EQ(s.sources[1].name, "");
  EXPECT_EQ(s.sources[1].species, 1);
  EXPECT_DOUBLE_EQ(s.sources[1].rate, -1);
  EXPECT_FALSE(s.sources[1].region.tissue);
  ASSERT_TRUE(s.sources[1].region.shape);
  EXPECT_EQ(s.sources[1].region.shape->kind, ShapeKind::Union);
  ASSERT_EQ(s.sources[1].region.shape->parts.size(), 2u);
  EXPECT_EQ(s.sources[1].region.shape->parts[0].kind, ShapeKind::Box);
  EXPECT_DOUBLE_EQ(s.sources[1].region.shape->parts[1].radius, 0.2e-3);
  EXPECT_EQ(s.sources[1].end, std::numeric_limits<double>::infinity());

  ASSERT_EQ(s.boundaries.size(), 2u);  // "all" = one per species
  for (int k = 0; k < 2; ++k) {
    EXPECT_EQ(s.boundaries[k].tissue, 1);
    EXPECT_EQ(s.boundaries[k].species, k);
    EXPECT_DOUBLE_EQ(s.boundaries[k].value, 0);
  }

  EXPECT_DOUBLE_EQ(s.time.end, 7200);
  ASSERT_TRUE(s.time.dt);
  EXPECT_DOUBLE_EQ(*s.time.dt, 3);
  EXPECT_FALSE(s.time.substepping);
  EXPECT_DOUBLE_EQ(s.time.safety, 0.8);

  EXPECT_EQ(s.output.directory, "out/liver");
  EXPECT_DOUBLE_EQ(s.output.interval, 600);
  EXPECT_EQ(s.output.fields, std::vector<int>{1});
  EXPECT_FALSE(s.output.snapshots);
  EXPECT_DOUBLE_EQ(s.output.progress_interval, 5);

  EXPECT_TRUE(Contains(s.resolved_yaml, "liver-focus"));
  EXPECT_TRUE(Contains(s.resolved_yaml, "0.0275 /min"));
}

TEST(Config, ItemsRecordWhereTheyWereDefined) {
  const Scenario s = parse_scenario(kFullScenario, kFile);
  expect_at(s.grid.where, 5, 3, "grid");
  expect_at(s.tissues[1].where, 11, 5, "tissues[1]");
  expect_at(s.geometry[1].where, 16, 5, "geometry[1]");
  expect_at(s.geometry[1].shape.where, 17, 15, "geometry[1].cylinder");
  expect_at(s.species[1].where, 26, 5, "species[1]");
  expect_at(s.species[0].initial[2].where, 25, 9, "species[0].initial[2]");
  expect_at(s.species[1].initial[0].where, 29, 14, "species[1].initial");
  expect_at(s.sources[1].where, 38, 5, "sources[1]");
  expect_at(s.sources[1].region.shape->parts[1].where, 42, 17, "sources[1].union[1].sphere");
  expect_at(s.boundaries[1].where, 44, 5, "boundaries[0]");
  expect_at(s.time.where, 48, 3, "time");
  expect_at(s.time.dt_where, 49, 7, "time.dt");
  expect_at(s.output.where, 53, 3, "output");
}

TEST(Config, DefaultsOfOptionalSettings) {
  const Scenario s = parse_scenario(scenario(), kFile);
  EXPECT_EQ(s.precision, Precision::Float);
  EXPECT_EQ(s.grid.origin, (Vec3{0, 0, 0}));
  EXPECT_DOUBLE_EQ(s.species[0].diffusion[1], 100e-12 / 60);  // bare number: um^2/min
  EXPECT_EQ(s.species[0].decay_rate, 0);
  EXPECT_TRUE(s.species[0].initial.empty());
  EXPECT_TRUE(s.sources.empty());
  EXPECT_TRUE(s.boundaries.empty());
  EXPECT_FALSE(s.time.dt);
  expect_at(s.time.dt_where, 6, 7, "time");  // no dt: the time block
  EXPECT_TRUE(s.time.substepping);
  EXPECT_DOUBLE_EQ(s.time.safety, 0.9);
  EXPECT_EQ(s.output.directory, "output/t");
  EXPECT_EQ(s.output.fields, (std::vector<int>{0, 1}));
  EXPECT_TRUE(s.output.snapshots);
  EXPECT_DOUBLE_EQ(s.output.progress_interval, 2);
}

TEST(Config, VoxelPerAxisAndDtAuto) {
  const Scenario s = parse_scenario(
      scenario({{"grid",
                 "grid: {origin: [-1 mm, 0, 0], extent: [1 mm, 1 mm, 1 mm], voxel: [20 um, 25 um, 40 um]}"},
                {"geometry", "geometry: [{tissue: liver, box: {min: [-1 mm, 0, 0], max: [0, 1 mm, 1 mm]}}]"},
                {"time", "time: {end: 1 h, dt: auto}"}}),
      kFile);
  EXPECT_DOUBLE_EQ(s.grid.origin[0], -1e-3);
  EXPECT_DOUBLE_EQ(s.grid.spacing[0], 20e-6);
  EXPECT_DOUBLE_EQ(s.grid.spacing[1], 25e-6);
  EXPECT_DOUBLE_EQ(s.grid.spacing[2], 40e-6);
  EXPECT_FALSE(s.time.dt);
  EXPECT_EQ(s.time.dt_where.key_path, "time.dt");
}

TEST(Config, ShapeMayOverhangTheGridByHalfAVoxel) {
  // voxel 50 um: 25 um of slack on each side (0.53 mm is refused: ConfigShapes, OverhangMoreThanHalfAVoxel)
  const std::string ok = scenario(
      {{"geometry",
        "geometry: [{tissue: liver, sphere: {center: [0.5 mm, 0.5 mm, 0.5 mm], radius: 0.52 mm}}]"}});
  EXPECT_NO_THROW(parse_scenario(ok, kFile));
}

TEST(Config, SpeciesSelectionsAcceptAllANameOrAList) {
  const Scenario s = parse_scenario(scenario({{"output", "output: {interval: 10 min, fields: TNF}"}},
                                             "boundaries:\n"
                                             "  - {tissue: vessel, species: IL-6, dirichlet: 2 ng/mL}\n"
                                             "  - {tissue: liver, species: [TNF, IL-6], dirichlet: 0}\n"),
                                    kFile);
  EXPECT_EQ(s.output.fields, std::vector<int>{0});
  ASSERT_EQ(s.boundaries.size(), 3u);
  EXPECT_EQ(s.boundaries[0].species, 1);
  EXPECT_DOUBLE_EQ(s.boundaries[0].value, 2000);
  EXPECT_EQ(s.boundaries[2].tissue, 0);
  EXPECT_EQ(s.boundaries[2].species, 1);
}

TEST(Config, LoadsAFile) {
  const std::filesystem::path path = std::filesystem::temp_directory_path() / "cytostorm_test_config.yaml";
  {
    std::ofstream out(path);
    out << kFullScenario;
  }
  const Scenario s = load_scenario(path.string());
  std::filesystem::remove(path);
  EXPECT_EQ(s.source_file, path.string());
  EXPECT_EQ(s.name, "liver-focus");
  EXPECT_EQ(s.tissues[1].where.file, path.string());
  EXPECT_EQ(s.tissues[1].where.line, 11);
}

TEST(Config, DescribeShowsUserUnits) {
  const std::string text = describe_scenario(parse_scenario(kFullScenario, "liver.yaml"));
  EXPECT_TRUE(Contains(text, "liver-focus"));
  EXPECT_TRUE(Contains(text, "parenchyma 1200 um^2/min, vessel 600 um^2/min"));
  EXPECT_TRUE(Contains(text, "0.0275 /min (half-life 25.2"));
  EXPECT_TRUE(Contains(text, "label 7"));
  EXPECT_TRUE(Contains(text, "cylinder from"));
  EXPECT_TRUE(Contains(text, "infection_focus: TNF 50 pg/mL/min in parenchyma within sphere"));
  EXPECT_TRUE(Contains(text, "until 30 min"));
  EXPECT_TRUE(Contains(text, "vessel: IL-6 held at 0 pg/mL"));
  EXPECT_TRUE(Contains(text, "end 120 min, dt 0.05 min, substepping off"));
  EXPECT_TRUE(Contains(text, "every 10 min; fields IL-6; snapshots off; progress every 5 s"));
}

// ------------------------------------------------------------ the cell model

constexpr const char* kModelScenario = R"(name: storm
seed: 42
grid: {extent: [1 mm, 1 mm, 1 mm], voxel: 50 um}
tissues: [{name: liver, label: 1}, {name: vessel, label: 2}]
geometry: [{tissue: liver, box: {min: [0, 0, 0], max: [1 mm, 1 mm, 1 mm]}}]
species:
  - {name: TNF, diffusion: 1200 um^2/min}
  - {name: IL-6, diffusion: 600 um^2/min}
  - {name: IL-1b, diffusion: 5.56 um^2/min}
populations:
  - name: macrophage
    initial: 1e6 cells/mL
    seeding: {density: 1e5 cells/mL, tissue: liver, sphere: {center: [0.5 mm, 0.5 mm, 0.5 mm], radius: 200 um}}
  - name: epithelium
    initial:
      - {value: 2e8 cells/mL, tissue: liver}
    seeding:
      - {density: 1e4 cells/uL}
  - name: cart
rules:
  - name: il6_secretion
    type: secretion
    population: macrophage
    species: IL-6
    rate: 1e-3 pg/cell/min
    max_rate: 0.6 pg/cell/h
    activators: {species: TNF, half_max: 100 pg/mL, hill: 2}
    inhibitors: [{species: IL-1b, half_max: 1 ng/mL}]
    tissues: liver
  - type: uptake
    population: macrophage
    species: TNF
    clearance: 1e-9 mL/cell/min
  - name: tnf_uptake
    type: uptake
    population: epithelium
    species: TNF
    vmax: 0.01 pg/cell/min
    km: 50 pg/mL
  - type: decay
    population: macrophage
    half_life: 1 d
  - type: growth
    population: epithelium
    rate: 0.01 /h
    capacity: 3e8 cells/mL
  - type: recruitment
    population: cart
    rate: 0.5 /h
    capacity: 1e7 cells/mL
    activators: [{species: IL-6, half_max: 200 pg/mL}]
    tissues: [liver, vessel]
  - name: pyroptosis
    type: death
    population: epithelium
    signal: {IL-1b: 1, TNF: 0.5}
    threshold: 500 pg/mL
    rate: 0.1 /min
    mode: stochastic
    priming: {signal: TNF, threshold: 20 pg/mL}
    burst: {IL-1b: 0.05 pg/cell, IL-6: 2 ng/cell}
organs:
  - {name: lobe, tissues: [liver, vessel], volume: 1.5 L}
plasma:
  volume: 3 L
  initial: {IL-6: 5 pg/mL, default: 1 pg/mL}
  clearance: {TNF: 0.05 /min}
  half_life: {default: 2 h}
  blood: {cart: 1e3 cells/mL}
  blood_clearance: {cart: 0.1 /d}
  exchange:
    - {tissue: vessel, species: all, rate: 0.5 /min}
    - {tissue: liver, species: [IL-6], rate: 0.01 /min}
infusions:
  - {name: car_t, population: cart, cells: 1e8 cells, time: 0 h}
  - {species: IL-6, amount: 10 ug, start: 1 h, end: 2 h}
therapies:
  - name: anti-TNF-in-secretion
    effect: blockade
    species: TNF
    rules: il6_secretion
    ic50: 1 ug/mL
    doses: [{time: 6 h, amount: 8 mg}, {time: 12 h, amount: 8 mg}]
    half_life: 13 d
    volume: 5 L
  - name: infliximab
    effect: neutralization
    species: [TNF]
    k_on: 1e-6 mL/pg/min
    dose: {time: 1 h, amount: 5 mg}
    half_life: 10 d
    volume: 3 L
  - name: steroid
    effect: suppression
    rules: [il6_secretion]
    emax: 0.8
    ec50: 10 ng/mL
    doses: [{time: 2 h, amount: 1 mg}]
    half_life: 4 h
    volume: 40 L
time: {end: 24 h}
output: {interval: 1 h, fields: [IL-6, epithelium], budget: true}
)";

TEST(ConfigModel, FullModelResolvesToInternalUnits) {
  const Scenario s = parse_scenario(kModelScenario, kFile);
  const double ln2 = std::log(2.0);
  EXPECT_EQ(s.seed, 42u);

  ASSERT_EQ(s.populations.size(), 3u);
  EXPECT_EQ(s.populations[0].name, "macrophage");
  ASSERT_EQ(s.populations[0].initial.size(), 1u);
  EXPECT_DOUBLE_EQ(s.populations[0].initial[0].value, 1e6);
  EXPECT_FALSE(s.populations[0].initial[0].region.tissue);
  ASSERT_EQ(s.populations[1].initial.size(), 1u);
  EXPECT_DOUBLE_EQ(s.populations[1].initial[0].value, 2e8);
  EXPECT_EQ(s.populations[1].initial[0].region.tissue, 0);
  EXPECT_TRUE(s.populations[2].initial.empty());
  expect_at(s.populations[1].where, 14, 5, "populations[1]");

  ASSERT_EQ(s.seedings.size(), 2u);
  EXPECT_EQ(s.seedings[0].population, 0);
  EXPECT_DOUBLE_EQ(s.seedings[0].density, 1e5);
  EXPECT_EQ(s.seedings[0].region.tissue, 0);
  ASSERT_TRUE(s.seedings[0].region.shape);
  EXPECT_DOUBLE_EQ(s.seedings[0].region.shape->radius, 200e-6);
  EXPECT_EQ(s.seedings[1].population, 1);
  EXPECT_DOUBLE_EQ(s.seedings[1].density, 1e7);  // 1e4 cells/uL
  EXPECT_FALSE(s.seedings[1].region.tissue);
  EXPECT_FALSE(s.seedings[1].region.shape);

  ASSERT_EQ(s.rules.size(), 7u);
  const Rule& sec = s.rules[0];
  EXPECT_EQ(sec.name, "il6_secretion");
  EXPECT_EQ(sec.kind, RuleKind::Secretion);
  EXPECT_EQ(sec.population, 0);
  EXPECT_EQ(sec.species, 1);
  EXPECT_DOUBLE_EQ(sec.base, 1e-3 / 60);
  EXPECT_DOUBLE_EQ(sec.max, 0.6 / 3600);
  ASSERT_EQ(sec.activators.size(), 1u);
  EXPECT_EQ(sec.activators[0].species, 0);
  EXPECT_DOUBLE_EQ(sec.activators[0].half_max, 100);
  EXPECT_DOUBLE_EQ(sec.activators[0].hill, 2);
  ASSERT_EQ(sec.inhibitors.size(), 1u);
  EXPECT_EQ(sec.inhibitors[0].species, 2);
  EXPECT_DOUBLE_EQ(sec.inhibitors[0].half_max, 1000);
  EXPECT_DOUBLE_EQ(sec.inhibitors[0].hill, 1);  // default
  EXPECT_EQ(sec.tissues, std::vector<int>{0});
  EXPECT_EQ(sec.signal, (std::vector<double>{0, 0, 0}));  // sized for every rule
  EXPECT_EQ(sec.burst, (std::vector<double>{0, 0, 0}));
  EXPECT_TRUE(sec.priming.empty());
  expect_at(sec.where, 21, 5, "rules[0]");

  const Rule& linear = s.rules[1];
  EXPECT_EQ(linear.name, "");
  EXPECT_EQ(linear.kind, RuleKind::Uptake);
  EXPECT_EQ(linear.species, 0);
  EXPECT_DOUBLE_EQ(linear.clearance, 1e-9 / 60);
  EXPECT_EQ(linear.vmax, 0);
  EXPECT_TRUE(linear.tissues.empty());

  const Rule& mm = s.rules[2];
  EXPECT_EQ(mm.kind, RuleKind::Uptake);
  EXPECT_EQ(mm.population, 1);
  EXPECT_DOUBLE_EQ(mm.vmax, 0.01 / 60);
  EXPECT_DOUBLE_EQ(mm.km, 50);
  EXPECT_EQ(mm.clearance, 0);

  EXPECT_EQ(s.rules[3].kind, RuleKind::Decay);
  EXPECT_DOUBLE_EQ(s.rules[3].rate, ln2 / 86400);

  EXPECT_EQ(s.rules[4].kind, RuleKind::Growth);
  EXPECT_DOUBLE_EQ(s.rules[4].rate, 0.01 / 3600);
  EXPECT_DOUBLE_EQ(s.rules[4].capacity, 3e8);
  EXPECT_TRUE(s.rules[4].activators.empty());

  const Rule& rec = s.rules[5];
  EXPECT_EQ(rec.kind, RuleKind::Recruitment);
  EXPECT_EQ(rec.population, 2);
  EXPECT_DOUBLE_EQ(rec.rate, 0.5 / 3600);
  EXPECT_DOUBLE_EQ(rec.capacity, 1e7);
  ASSERT_EQ(rec.activators.size(), 1u);
  EXPECT_EQ(rec.activators[0].species, 1);
  EXPECT_DOUBLE_EQ(rec.activators[0].half_max, 200);
  EXPECT_EQ(rec.tissues, (std::vector<int>{0, 1}));

  const Rule& death = s.rules[6];
  EXPECT_EQ(death.kind, RuleKind::Death);
  EXPECT_EQ(death.population, 1);
  EXPECT_EQ(death.signal, (std::vector<double>{0.5, 0, 1}));
  EXPECT_DOUBLE_EQ(death.threshold, 500);
  EXPECT_DOUBLE_EQ(death.rate, 0.1 / 60);
  EXPECT_EQ(death.mode, DeathMode::Stochastic);
  EXPECT_EQ(death.priming, (std::vector<double>{1, 0, 0}));
  EXPECT_DOUBLE_EQ(death.priming_threshold, 20);
  ASSERT_EQ(death.burst.size(), 3u);
  EXPECT_DOUBLE_EQ(death.burst[0], 0);
  EXPECT_DOUBLE_EQ(death.burst[1], 2000);  // 2 ng/cell
  EXPECT_DOUBLE_EQ(death.burst[2], 0.05);

  ASSERT_EQ(s.organs.size(), 1u);
  EXPECT_EQ(s.organs[0].name, "lobe");
  EXPECT_EQ(s.organs[0].tissues, (std::vector<int>{0, 1}));
  ASSERT_TRUE(s.organs[0].volume);
  EXPECT_DOUBLE_EQ(*s.organs[0].volume, 1500);

  const Plasma& p = s.plasma;
  EXPECT_TRUE(p.enabled);
  EXPECT_DOUBLE_EQ(p.volume, 3000);
  ASSERT_EQ(p.initial.size(), 3u);
  EXPECT_DOUBLE_EQ(p.initial[0], 1);  // default
  EXPECT_DOUBLE_EQ(p.initial[1], 5);
  EXPECT_DOUBLE_EQ(p.initial[2], 1);
  ASSERT_EQ(p.clearance.size(), 3u);
  EXPECT_DOUBLE_EQ(p.clearance[0], 0.05 / 60);   // its own clearance beats the default half-life
  EXPECT_DOUBLE_EQ(p.clearance[1], ln2 / 7200);  // half_life.default
  EXPECT_DOUBLE_EQ(p.clearance[2], ln2 / 7200);
  EXPECT_EQ(p.blood_initial, (std::vector<double>{0, 0, 1e3}));
  ASSERT_EQ(p.blood_clearance.size(), 3u);
  EXPECT_EQ(p.blood_clearance[0], 0);
  EXPECT_DOUBLE_EQ(p.blood_clearance[2], 0.1 / 86400);
  ASSERT_EQ(p.exchange.size(), 4u);  // "all" = one per species
  for (int k = 0; k < 3; ++k) {
    EXPECT_EQ(p.exchange[k].tissue, 1);
    EXPECT_EQ(p.exchange[k].species, k);
    EXPECT_DOUBLE_EQ(p.exchange[k].rate, 0.5 / 60);
  }
  EXPECT_EQ(p.exchange[3].tissue, 0);
  EXPECT_EQ(p.exchange[3].species, 1);
  EXPECT_DOUBLE_EQ(p.exchange[3].rate, 0.01 / 60);
  expect_at(p.where, 65, 3, "plasma");

  ASSERT_EQ(s.infusions.size(), 2u);
  EXPECT_EQ(s.infusions[0].name, "car_t");
  EXPECT_EQ(s.infusions[0].population, 2);
  EXPECT_EQ(s.infusions[0].species, -1);
  EXPECT_DOUBLE_EQ(s.infusions[0].amount, 1e8);
  EXPECT_DOUBLE_EQ(s.infusions[0].start, 0);
  EXPECT_FALSE(s.infusions[0].end);
  EXPECT_EQ(s.infusions[1].species, 1);
  EXPECT_EQ(s.infusions[1].population, -1);
  EXPECT_DOUBLE_EQ(s.infusions[1].amount, 1e7);  // 10 ug
  EXPECT_DOUBLE_EQ(s.infusions[1].start, 3600);
  ASSERT_TRUE(s.infusions[1].end);
  EXPECT_DOUBLE_EQ(*s.infusions[1].end, 7200);

  ASSERT_EQ(s.therapies.size(), 3u);
  const Therapy& blockade = s.therapies[0];
  EXPECT_EQ(blockade.name, "anti-TNF-in-secretion");
  EXPECT_EQ(blockade.effect, DrugEffect::Blockade);
  EXPECT_EQ(blockade.species, std::vector<int>{0});
  EXPECT_EQ(blockade.rules, std::vector<int>{0});
  EXPECT_DOUBLE_EQ(blockade.ic50, 1e6);
  ASSERT_EQ(blockade.doses.size(), 2u);
  EXPECT_DOUBLE_EQ(blockade.doses[0].time, 6 * 3600);
  EXPECT_DOUBLE_EQ(blockade.doses[0].amount, 8e9);
  EXPECT_DOUBLE_EQ(blockade.doses[1].time, 12 * 3600);
  EXPECT_DOUBLE_EQ(blockade.half_life, 13 * 86400);
  EXPECT_DOUBLE_EQ(blockade.volume, 5000);

  const Therapy& neutral = s.therapies[1];
  EXPECT_EQ(neutral.effect, DrugEffect::Neutralisation);  // US spelling accepted
  EXPECT_EQ(neutral.species, std::vector<int>{0});
  EXPECT_TRUE(neutral.rules.empty());
  EXPECT_DOUBLE_EQ(neutral.k_on, 1e-6 / 60);
  ASSERT_EQ(neutral.doses.size(), 1u);  // one "dose"
  EXPECT_DOUBLE_EQ(neutral.doses[0].time, 3600);
  EXPECT_DOUBLE_EQ(neutral.doses[0].amount, 5e9);

  const Therapy& steroid = s.therapies[2];
  EXPECT_EQ(steroid.effect, DrugEffect::Suppression);
  EXPECT_TRUE(steroid.species.empty());
  EXPECT_EQ(steroid.rules, std::vector<int>{0});
  EXPECT_DOUBLE_EQ(steroid.emax, 0.8);
  EXPECT_DOUBLE_EQ(steroid.ec50, 1e4);
  EXPECT_DOUBLE_EQ(steroid.half_life, 4 * 3600);
  EXPECT_DOUBLE_EQ(steroid.volume, 40000);

  EXPECT_EQ(s.output.fields, std::vector<int>{1});
  EXPECT_EQ(s.output.population_fields, std::vector<int>{1});
  EXPECT_TRUE(s.output.budget);
}

TEST(ConfigModel, DefaultsWithoutTheModelSections) {
  const Scenario s = parse_scenario(scenario(), kFile);
  EXPECT_EQ(s.seed, 0u);
  EXPECT_TRUE(s.populations.empty());
  EXPECT_TRUE(s.seedings.empty());
  EXPECT_TRUE(s.rules.empty());
  EXPECT_TRUE(s.organs.empty());
  EXPECT_FALSE(s.plasma.enabled);
  EXPECT_TRUE(s.infusions.empty());
  EXPECT_TRUE(s.therapies.empty());
  EXPECT_TRUE(s.output.population_fields.empty());
  EXPECT_FALSE(s.output.budget);
}

TEST(ConfigModel, OutputFieldsDefaultToEverySpeciesAndPopulation) {
  const std::string pops = "populations: [{name: macrophage}, {name: epithelium}]\n";
  Scenario s = parse_scenario(scenario({}, pops), kFile);
  EXPECT_EQ(s.output.fields, (std::vector<int>{0, 1}));
  EXPECT_EQ(s.output.population_fields, (std::vector<int>{0, 1}));
  s = parse_scenario(scenario({{"output", "output: {interval: 10 min, fields: all}"}}, pops), kFile);
  EXPECT_EQ(s.output.population_fields, (std::vector<int>{0, 1}));
  s = parse_scenario(scenario({{"output", "output: {interval: 10 min, fields: epithelium}"}}, pops), kFile);
  EXPECT_TRUE(s.output.fields.empty());
  EXPECT_EQ(s.output.population_fields, std::vector<int>{1});
}

TEST(ConfigModel, SecretionWithoutActivatorsKeepsItsBaseRate) {
  const Scenario s =
      parse_scenario(scenario({},
                              "populations: [{name: m}]\n"
                              "rules: [{type: secretion, population: m, species: TNF, rate: 2}]\n"),
                     kFile);
  ASSERT_EQ(s.rules.size(), 1u);
  EXPECT_DOUBLE_EQ(s.rules[0].base, 2.0 / 60);
  EXPECT_DOUBLE_EQ(s.rules[0].max, s.rules[0].base);
  EXPECT_EQ(s.rules[0].mode, DeathMode::Deterministic);
}

TEST(ConfigModel, PlasmaScalarsApplyToEverySpecies) {
  const Scenario s =
      parse_scenario(scenario({}, "plasma: {volume: 2.5 L, initial: 3 pg/mL, half_life: 30 min}\n"), kFile);
  EXPECT_DOUBLE_EQ(s.plasma.volume, 2500);
  EXPECT_EQ(s.plasma.initial, (std::vector<double>{3, 3}));
  EXPECT_DOUBLE_EQ(s.plasma.clearance[0], std::log(2.0) / 1800);
  EXPECT_DOUBLE_EQ(s.plasma.clearance[1], std::log(2.0) / 1800);
  EXPECT_TRUE(s.plasma.blood_initial.empty());  // no populations
  EXPECT_TRUE(s.plasma.exchange.empty());
}

TEST(ConfigModel, OverridesReachTheModelSectionsByName) {
  const Scenario s = parse_scenario(
      kModelScenario, kFile, {"rules.pyroptosis.threshold=2 ng/mL", "therapies.steroid.emax=0.5", "seed=7"});
  EXPECT_DOUBLE_EQ(s.rules[6].threshold, 2000);
  EXPECT_DOUBLE_EQ(s.therapies[2].emax, 0.5);
  EXPECT_EQ(s.seed, 7u);
}

TEST(ConfigModel, DescribeShowsTheModel) {
  const std::string text = describe_scenario(parse_scenario(kModelScenario, kFile));
  EXPECT_TRUE(Contains(text, "Seed 42"));
  EXPECT_TRUE(Contains(text, "Populations (3)"));
  EXPECT_TRUE(Contains(text, "initial   1e+06 cells/mL in all tissue"));
  EXPECT_TRUE(Contains(text, "seeded    100000 cells/mL on average (Poisson) in liver within sphere"));
  EXPECT_TRUE(Contains(text,
                       "il6_secretion: macrophage secretes IL-6 at 0.001 pg/cell/min, up to 0.01 "
                       "pg/cell/min activated by TNF (K 100 pg/mL, n 2), inhibited by IL-1b (K 1000 "
                       "pg/mL, n 1) (in liver)"));
  EXPECT_TRUE(Contains(text, "rules[1]: macrophage takes up TNF: clearance 1e-09 mL/cell/min"));
  EXPECT_TRUE(Contains(text, "tnf_uptake: epithelium takes up TNF: vmax 0.01 pg/cell/min, km 50 pg/mL"));
  EXPECT_TRUE(Contains(text, "cart is recruited from the blood at"));
  EXPECT_TRUE(Contains(text,
                       "pyroptosis: epithelium dies at 0.1 /min (stochastic) when 0.5*TNF + IL-1b >= 500 "
                       "pg/mL, primed by TNF >= 20 pg/mL; releases 2000 pg/cell IL-6, 0.05 pg/cell IL-1b"));
  EXPECT_TRUE(Contains(text, "lobe: tissues liver, vessel, volume 1500 mL"));
  EXPECT_TRUE(Contains(text, "Plasma (volume 3000 mL)"));
  EXPECT_TRUE(Contains(text, "TNF: initial 1 pg/mL, clearance 0.05 /min"));
  EXPECT_TRUE(Contains(text, "exchange vessel <-> plasma: TNF, IL-6, IL-1b at 0.5 /min"));
  EXPECT_TRUE(Contains(text, "exchange liver <-> plasma: IL-6 at 0.01 /min"));
  EXPECT_TRUE(Contains(
      text, "anti-TNF-in-secretion: blocks activation by TNF in rules il6_secretion (ic50 1e+06 pg/mL)"));
  EXPECT_TRUE(Contains(text, "car_t: 1e+08 cart cells, bolus at 0 min"));
  EXPECT_TRUE(Contains(text, "infusions[1]: 10 ug of IL-6, from 60 min until 120 min"));
  EXPECT_TRUE(Contains(text, "infliximab: neutralises TNF (k_on 1e-06 mL/pg/min)"));
  EXPECT_TRUE(Contains(text, "doses 8 mg at 360 min, 8 mg at 720 min"));
  EXPECT_TRUE(
      Contains(text, "steroid: suppresses secretion in rules il6_secretion (emax 0.8, ec50 10000 pg/mL)"));
  EXPECT_TRUE(Contains(text, "fields IL-6, epithelium"));
  EXPECT_TRUE(Contains(text, "budget on"));
}

TEST(ConfigModel, SpeciesAndPopulationsUpToTheLimitFit) {
  // 2 species + 14 populations (one more is refused: ConfigPopulations, TooManySpeciesAndPopulations)
  EXPECT_NO_THROW(
      parse_scenario(scenario({},
                              "populations: [{name: A}, {name: B}, {name: C}, {name: D}, {name: E}, "
                              "{name: F}, {name: G}, {name: H}, {name: I}, {name: J}, {name: K}, "
                              "{name: L}, {name: M}, {name: N}]\n"),
                     kFile));
}

// ------------------------------------------------------------------ overrides

TEST(ConfigOverrides, ChangeValuesByIndexAndByName) {
  const std::string yaml = scenario();
  EXPECT_DOUBLE_EQ(parse_scenario(yaml, kFile, {"species.0.decay=0.1 /min"}).species[0].decay_rate, 0.1 / 60);
  EXPECT_DOUBLE_EQ(parse_scenario(yaml, kFile, {"species[1].decay=0.2 /min"}).species[1].decay_rate,
                   0.2 / 60);
  EXPECT_DOUBLE_EQ(parse_scenario(yaml, kFile, {"species.IL-6.decay=0.3 /min"}).species[1].decay_rate,
                   0.3 / 60);
  EXPECT_DOUBLE_EQ(parse_scenario(yaml, kFile, {"time.end=4h"}).time.end, 14400);
  EXPECT_EQ(parse_scenario(yaml, kFile, {"tissues.vessel.label=9"}).tissues[1].label, 9);
}

TEST(ConfigOverrides, ValuesAreParsedAsYaml) {
  const Scenario s =
      parse_scenario(scenario(), kFile, {"grid.voxel=[20 um, 20 um, 40 um]", "output.fields=[IL-6]"});
  EXPECT_DOUBLE_EQ(s.grid.spacing[0], 20e-6);
  EXPECT_DOUBLE_EQ(s.grid.spacing[2], 40e-6);
  EXPECT_EQ(s.output.fields, std::vector<int>{1});
}

TEST(ConfigOverrides, CreateMissingKeys) {
  const Scenario s = parse_scenario(scenario(), kFile,
                                    {"time.dt=0.5 min", "precision=double", "output.progress_interval=10 s",
                                     "sources=[{species: TNF, rate: 1}]", "species.TNF.initial=3"});
  ASSERT_TRUE(s.time.dt);
  EXPECT_DOUBLE_EQ(*s.time.dt, 30);
  EXPECT_EQ(s.precision, Precision::Double);
  EXPECT_DOUBLE_EQ(s.output.progress_interval, 10);
  ASSERT_EQ(s.sources.size(), 1u);
  EXPECT_DOUBLE_EQ(s.species[0].initial.at(0).value, 3);
  // a created value is located at its override
  EXPECT_EQ(s.time.dt_where.file, "--set time.dt=0.5 min");
  EXPECT_EQ(s.time.dt_where.line, 0);
}

TEST(ConfigOverrides, CreateIntermediateMaps) {
  const Scenario s = parse_scenario(scenario({{"time", "time:"}}), kFile, {"time.end=2 h"});
  EXPECT_DOUBLE_EQ(s.time.end, 7200);
  const Scenario t = parse_scenario(scenario({{"output", ""}}), kFile, {"output.interval=1 min"});
  EXPECT_DOUBLE_EQ(t.output.interval, 60);
}

TEST(ConfigOverrides, ResolvedYamlHoldsTheOverriddenValues) {
  const Scenario s = parse_scenario(scenario(), kFile, {"time.end=3 h", "species.TNF.decay=0.5"});
  EXPECT_TRUE(Contains(s.resolved_yaml, "3 h"));
  EXPECT_TRUE(Contains(s.resolved_yaml, "decay: 0.5"));
  EXPECT_FALSE(Contains(s.resolved_yaml, "1 h"));
  const Scenario again = parse_scenario(s.resolved_yaml, kFile);  // the resolved text is a valid scenario
  EXPECT_DOUBLE_EQ(again.time.end, 10800);
}

// ---------------------------------------------------------------- checkpoints

TEST(ConfigCheckpoint, DefaultsWithoutTriggers) {
  const Scenario none = parse_scenario(scenario(), kFile);
  EXPECT_FALSE(none.checkpoint.interval);
  EXPECT_FALSE(none.checkpoint.steps);
  EXPECT_FALSE(none.checkpoint.wall);
  EXPECT_EQ(none.checkpoint.keep, 2);
  EXPECT_EQ(none.checkpoint.where.file, kFile);
  EXPECT_EQ(none.checkpoint.where.key_path, "checkpoint");

  for (const std::string section : {"checkpoint:\n", "checkpoint: {}\n"}) {
    const Scenario s = parse_scenario(scenario({}, section), kFile);
    EXPECT_FALSE(s.checkpoint.interval) << section;
    EXPECT_FALSE(s.checkpoint.steps) << section;
    EXPECT_FALSE(s.checkpoint.wall) << section;
    EXPECT_EQ(s.checkpoint.keep, 2) << section;
    EXPECT_EQ(s.checkpoint.where.line, 8) << section;
    EXPECT_EQ(s.checkpoint.where.key_path, "checkpoint") << section;
  }
}

TEST(ConfigCheckpoint, EveryKeyWithUnits) {
  const Scenario s = parse_scenario(
      scenario({}, "checkpoint: {interval: 6 h, steps: 1000, wall: 30 min, keep: 5}\n"), kFile);
  ASSERT_TRUE(s.checkpoint.interval);
  EXPECT_DOUBLE_EQ(*s.checkpoint.interval, 6 * 3600);
  ASSERT_TRUE(s.checkpoint.steps);
  EXPECT_EQ(*s.checkpoint.steps, 1000);
  ASSERT_TRUE(s.checkpoint.wall);
  EXPECT_DOUBLE_EQ(*s.checkpoint.wall, 1800);
  EXPECT_EQ(s.checkpoint.keep, 5);
  expect_at(s.checkpoint.where, 8, 13, "checkpoint");

  // Block style; bare times are minutes; whole numbers may use an exponent; the limits themselves pass.
  const Scenario t = parse_scenario(scenario({},
                                             "checkpoint:\n  interval: 90\n  wall: 45 s\n  steps: 1e15\n"
                                             "  keep: 1000\n"),
                                    kFile);
  EXPECT_DOUBLE_EQ(*t.checkpoint.interval, 5400);
  EXPECT_DOUBLE_EQ(*t.checkpoint.wall, 45);
  EXPECT_EQ(*t.checkpoint.steps, 1'000'000'000'000'000);
  EXPECT_EQ(t.checkpoint.keep, 1000);
  expect_at(t.checkpoint.where, 9, 3, "checkpoint");

  // A checkpoint interval may be longer than the run (it then never fires).
  EXPECT_DOUBLE_EQ(*parse_scenario(scenario({}, "checkpoint: {interval: 2 d}\n"), kFile).checkpoint.interval,
                   2 * 86400);
  // Only one trigger set: the others stay unset.
  const Scenario u = parse_scenario(scenario({}, "checkpoint: {steps: 1}\n"), kFile);
  EXPECT_EQ(u.checkpoint.steps, std::optional<std::int64_t>(1));
  EXPECT_FALSE(u.checkpoint.interval);
  EXPECT_FALSE(u.checkpoint.wall);
}

TEST(ConfigCheckpoint, OverridesCreateAndChangeTheSection) {
  const Scenario s = parse_scenario(scenario(), kFile, {"checkpoint.steps=100"});
  EXPECT_EQ(s.checkpoint.steps, std::optional<std::int64_t>(100));
  EXPECT_EQ(s.checkpoint.keep, 2);
  EXPECT_TRUE(Contains(s.resolved_yaml, "checkpoint:"));
  EXPECT_EQ(parse_scenario(s.resolved_yaml, kFile).checkpoint.steps, std::optional<std::int64_t>(100));

  const Scenario t =
      parse_scenario(scenario({}, "checkpoint:\n  interval: 1 h\n"), kFile,
                     {"checkpoint.keep=7", "checkpoint.wall=2 h", "checkpoint.interval=10 min"});
  EXPECT_EQ(t.checkpoint.keep, 7);
  EXPECT_DOUBLE_EQ(*t.checkpoint.wall, 7200);
  EXPECT_DOUBLE_EQ(*t.checkpoint.interval, 600);

  const Scenario u = parse_scenario(scenario({}, "checkpoint:\n"), kFile, {"checkpoint.steps=5"});
  EXPECT_EQ(u.checkpoint.steps, std::optional<std::int64_t>(5));
}

TEST(ConfigCheckpoint, DescribeListsTheTriggers) {
  const std::string all = describe_scenario(
      parse_scenario(scenario({}, "checkpoint: {interval: 6 h, steps: 1000, wall: 30 min}\n"), kFile));
  EXPECT_TRUE(
      Contains(all, "Checkpoints: every 6 h simulated, every 1000 steps, every 30 min wall; keep 2\n"));
  const std::string one =
      describe_scenario(parse_scenario(scenario({}, "checkpoint: {steps: 1, keep: 3}\n"), kFile));
  EXPECT_TRUE(Contains(one, "Checkpoints: every 1 step; keep 3\n"));
  const std::string none = describe_scenario(parse_scenario(scenario(), kFile));
  EXPECT_TRUE(Contains(none, "Checkpoints: on signal, --walltime or --stop-at-step only; keep 2\n"));
}

// ------------------------------------------------------ scenario differences

::testing::AssertionResult SameDifferences(const std::vector<ScenarioDifference>& found,
                                           const std::vector<ScenarioDifference>& expected) {
  const auto text = [](const std::vector<ScenarioDifference>& ds) {
    std::string out;
    for (const ScenarioDifference& d : ds)
      out += "  " + d.key + ": \"" + d.before + "\" -> \"" + d.after + "\"\n";
    return out;
  };
  if (text(found) == text(expected)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "found:\n" << text(found) << "expected:\n" << text(expected);
}

TEST(ScenarioDifferences, IdenticalTextsHaveNone) {
  EXPECT_TRUE(scenario_differences(kFullScenario, kFullScenario).empty());
  const Scenario s = parse_scenario(kFullScenario, kFile);
  EXPECT_TRUE(scenario_differences(s.resolved_yaml, s.resolved_yaml).empty());
  // The same document in another layout (flow vs block, spacing) is the same.
  EXPECT_TRUE(
      scenario_differences("time: {end: 1 h, dt: auto}\n", "time:\n  end:   1 h\n  dt: auto\n").empty());
  EXPECT_TRUE(scenario_differences("", "").empty());
}

TEST(ScenarioDifferences, ChangedScalars) {
  const Scenario a = parse_scenario(scenario(), kFile);
  const Scenario b = parse_scenario(scenario(), kFile, {"time.end=2 h", "species.IL-6.diffusion=300"});
  EXPECT_TRUE(SameDifferences(scenario_differences(a.resolved_yaml, b.resolved_yaml),
                              {{"species.IL-6.diffusion", "200", "300"}, {"time.end", "1 h", "2 h"}}));
  // Compared by text: the same time written differently is a difference.
  EXPECT_TRUE(SameDifferences(scenario_differences("time: {end: 1 h}", "time: {end: 60 min}"),
                              {{"time.end", "1 h", "60 min"}}));
}

TEST(ScenarioDifferences, KeysOnlyInOneSide) {
  const std::string before = "name: a\ntime: {end: 1 h, dt: 0.5 min}\noutput: {interval: 10 min}\n";
  const std::string after =
      "name: a\ntime: {end: 1 h}\noutput: {interval: 10 min, budget: true}\n"
      "checkpoint: {steps: 100, keep: 3}\n";
  // Document order of `before` first, then the keys only in `after`, one per leaf.
  EXPECT_TRUE(SameDifferences(scenario_differences(before, after), {{"time.dt", "0.5 min", ""},
                                                                    {"output.budget", "", "true"},
                                                                    {"checkpoint.steps", "", "100"},
                                                                    {"checkpoint.keep", "", "3"}}));
  EXPECT_TRUE(SameDifferences(scenario_differences(after, before), {{"output.budget", "true", ""},
                                                                    {"checkpoint.steps", "100", ""},
                                                                    {"checkpoint.keep", "3", ""},
                                                                    {"time.dt", "", "0.5 min"}}));
}

TEST(ScenarioDifferences, ListItemsWithANameAreNamedByIt) {
  const std::string before = "species: [{name: TNF, decay: 0.1}, {name: IL-6, decay: 0.2}]\n";
  // Reordered and changed: matched by name, not by position.
  const std::string after = "species: [{name: IL-6, decay: 0.3}, {name: TNF, decay: 0.1}, {name: IL-10}]\n";
  const std::vector<ScenarioDifference> d = scenario_differences(before, after);
  EXPECT_TRUE(
      SameDifferences(d, {{"species.IL-6.decay", "0.2", "0.3"}, {"species.IL-10.name", "", "IL-10"}}));

  // The keys work as --set paths.
  const Scenario s = parse_scenario(scenario(), kFile, {"species.IL-6.decay=0.3 /min"});
  const std::vector<ScenarioDifference> e =
      scenario_differences(parse_scenario(scenario(), kFile).resolved_yaml, s.resolved_yaml);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].key, "species.IL-6.decay");
  EXPECT_EQ(e[0].before, "");
  EXPECT_EQ(e[0].after, "0.3 /min");
  const Scenario back = parse_scenario(s.resolved_yaml, kFile, {e[0].key + "=0.5 /min"});
  EXPECT_DOUBLE_EQ(back.species[1].decay_rate, 0.5 / 60);
}

TEST(ScenarioDifferences, ListItemsWithoutANameAreNamedByIndex) {
  const std::string before =
      "geometry:\n"
      "  - {tissue: liver, box: {min: [0, 0, 0], max: [1, 1, 1]}}\n"
      "  - {tissue: vessel, sphere: {center: [0, 0, 0], radius: 1}}\n"
      "  - {tissue: vessel, shape: a}\n";
  const std::string after =
      "geometry:\n"
      "  - {tissue: liver, box: {min: [0, 0, 0], max: [1, 2, 1]}}\n"
      "  - {tissue: vessel, sphere: {center: [0, 0, 0], radius: 1}}\n"
      "  - {tissue: vessel, shape: b}\n"
      "  - {tissue: liver, sphere: {center: [0, 0, 0], radius: 2}}\n";
  EXPECT_TRUE(SameDifferences(scenario_differences(before, after), {{"geometry[0].box.max[1]", "1", "2"},
                                                                    {"geometry[2].shape", "a", "b"},
                                                                    {"geometry[3].tissue", "", "liver"},
                                                                    {"geometry[3].sphere.center[0]", "", "0"},
                                                                    {"geometry[3].sphere.center[1]", "", "0"},
                                                                    {"geometry[3].sphere.center[2]", "", "0"},
                                                                    {"geometry[3].sphere.radius", "", "2"}}));

  // Duplicate names cannot name an item: those items go by index.
  EXPECT_TRUE(SameDifferences(scenario_differences("rules: [{name: r, rate: 1}, {name: r, rate: 2}]",
                                                   "rules: [{name: r, rate: 1}, {name: r, rate: 3}]"),
                              {{"rules[1].rate", "2", "3"}}));

  // An index key works as a --set path.
  const Scenario a = parse_scenario(scenario(), kFile);
  const Scenario b = parse_scenario(scenario(), kFile, {"geometry[0].tissue=vessel"});
  const std::vector<ScenarioDifference> d = scenario_differences(a.resolved_yaml, b.resolved_yaml);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].key, "geometry[0].tissue");
  EXPECT_EQ(parse_scenario(scenario(), kFile, {d[0].key + "=" + d[0].after}).geometry[0].tissue, 1);
}

TEST(ScenarioDifferences, DifferentStructureIsOneDifferenceAtItsKey) {
  EXPECT_TRUE(
      SameDifferences(scenario_differences("grid: {voxel: 50 um, extent: [1, 1, 1]}\n",
                                           "grid: {voxel: [50 um, 50 um, 25 um], extent: [1, 1, 1]}\n"),
                      {{"grid.voxel", "50 um", "[50 um, 50 um, 25 um]"}}));
  EXPECT_TRUE(SameDifferences(scenario_differences("plasma: {volume: 3 L}\n", "plasma: 3 L\n"),
                              {{"plasma", "{volume: 3 L}", "3 L"}}));
  EXPECT_TRUE(SameDifferences(scenario_differences("checkpoint:\n", "checkpoint: {steps: 10}\n"),
                              {{"checkpoint", "null", "{steps: 10}"}}));
  EXPECT_TRUE(SameDifferences(scenario_differences("fields: [TNF]\n", "fields: {a: TNF}\n"),
                              {{"fields", "[TNF]", "{a: TNF}"}}));
}

TEST(ScenarioDifferences, TextThatIsNotYamlIsAnInputError) {
  try {
    scenario_differences("time: {end: 1 h", "time: {end: 1 h}", "checkpoint_000000000010.h5");
    FAIL() << "no InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.where().file, "checkpoint_000000000010.h5");
    EXPECT_TRUE(Contains(e.detail(), "invalid YAML")) << e.detail();
  }
  EXPECT_THROW(scenario_differences("a: 1", "a: [1"), InputError);
}

// ------------------------------------------------------------------ bad input
//
// One row per input the reader must refuse: the input, where the error points
// (file, line:column, key path) and what it says. Each row is its own test,
// named <section>/BadScenario.IsRefused/<row>; a failure shows the input and
// the whole message.

class BadScenario : public ::testing::TestWithParam<BadInput> {};

TEST_P(BadScenario, IsRefused) {
  const BadInput& row = GetParam();
  SCOPED_TRACE(shown(row));
  const std::optional<InputError> e = refusal(row);
  ASSERT_TRUE(e) << "no InputError";
  EXPECT_EQ(e->where().position(), row.at.position()) << e->what();
  EXPECT_EQ(e->where().file, row.at.file) << e->what();
  EXPECT_EQ(e->where().line, row.at.line) << e->what();
  EXPECT_EQ(e->where().column, row.at.column) << e->what();
  EXPECT_EQ(e->where().key_path, row.at.key_path) << e->what();
  if (row.message.exact) {
    EXPECT_EQ(e->detail(), row.message.parts.at(0)) << e->what();
  } else {
    for (const std::string& part : row.message.parts) {
      EXPECT_TRUE(Contains(e->detail(), part)) << e->what();
    }
  }
  if (!row.printed.empty()) {
    EXPECT_TRUE(Contains(e->what(), row.printed));
  }
}

// ------------------------------------------------------- the file as a whole

// The temporary directory, found without throwing: the rows are built before
// main, and a failure here should fail one row, not the whole binary.
std::string temporary_directory() {
  std::error_code ignored;
  return std::filesystem::temp_directory_path(ignored).string();
}

const std::vector<BadInput> kDocumentRows{
    unreadable_file("MissingFile", "/nonexistent/cytostorm/scenario.yaml",
                    says("cannot open scenario file: No such file or directory")),
    unreadable_file("DirectoryInsteadOfFile", temporary_directory(),
                    says("cannot open scenario file: Is a directory")),
    {"MalformedYamlReportsTheParserPosition", "name: t\ngrid: {extent: [1 mm, 1 mm\nvoxel: 3\n", at(3, 6, ""),
     mentions("invalid YAML: ", "end of sequence flow not found")},
    {"TopLevelIsAList", "- a\n- b\n", at(1, 1, ""),
     says("expected a map of scenario settings at the top level, found a list of 2 items")},
    {"TopLevelIsEmpty", "# nothing but a comment\n", at(0, 0, ""),
     says("expected a map of scenario settings at the top level, found an empty document")},
    {"UnknownKeyWithoutACloseMatch", scenario_plus("colour: red\n"), at(8, 1, "colour"),
     says("unknown key \"colour\"")},
    {"MissingTime", scenario({{"time", ""}}), at(1, 1, ""), mentions("missing required key \"time\"")},
    {"NameWithASpace", scenario_with("name: my scenario"), at(1, 7, "name"),
     mentions("found \"my scenario\"")},
    {"BadPrecision", scenario_plus("precision: half\n"), at(8, 12, "precision"),
     says("expected \"float\" or \"double\", found \"half\"")},
};
INSTANTIATE_TEST_SUITE_P(ConfigDocument, BadScenario, ::testing::ValuesIn(kDocumentRows), row_name);

// ----------------------------------------------------------------------- grid

const std::vector<BadInput> kGridRows{
    {"TwoCoordinatesWhereThreeAreNeeded", scenario_with("grid: {extent: [1 mm, 1 mm], voxel: 50 um}"),
     at(2, 16, "grid.extent"), says("expected a list of 3 lengths [x, y, z], found a list of 2 items")},
    {"EmptyValueIsReportedAtItsKey", scenario_with("grid:\n  extent: [1 mm, 1 mm, 1 mm]\n  voxel:"),
     at(4, 3, "grid.voxel"),
     says("expected a length or a list of 3 lengths [lx, ly, lz], found nothing (an empty value)")},
    // a missing key is reported at its parent
    {"MissingVoxel", scenario_with("grid: {extent: [1 mm, 1 mm, 1 mm]}"), at(2, 7, "grid"),
     says("missing required key \"voxel\" (expected a voxel size: one length or [lx, ly, lz])")},
    {"ZeroVoxel", scenario_with("grid: {extent: [1 mm, 1 mm, 1 mm], voxel: 0 um}"), at(2, 43, "grid.voxel"),
     says("expected a length > 0, found \"0 um\"")},
    {"NegativeExtent", scenario_with("grid: {extent: [1 mm, -1 mm, 1 mm], voxel: 50 um}"),
     at(2, 23, "grid.extent[1]"), says("expected a length > 0, found \"-1 mm\"")},
    {"VoxelLargerThanExtent",
     scenario_with("grid: {extent: [1 mm, 1 mm, 1 mm], voxel: [50 um, 2 mm, 50 um]}"),
     at(2, 51, "grid.voxel[1]"),
     says("expected a voxel size no larger than the grid extent along y (1000 um), found \"2 mm\"")},
};
INSTANTIATE_TEST_SUITE_P(ConfigGrid, BadScenario, ::testing::ValuesIn(kGridRows), row_name);

// -------------------------------------------------------------------- tissues

const std::vector<BadInput> kTissueRows{
    {"LabelMustBeAnInteger", scenario_with("tissues: [{name: liver, label: 1}, {name: vessel, label: abc}]"),
     at(3, 58, "tissues[1].label"), says("expected an integer, found \"abc\"")},
    {"MissingLabel", scenario_with("tissues: [{name: liver, label: 1}, {name: vessel}]"),
     at(3, 36, "tissues[1]"), mentions("missing required key \"label\"")},
    {"LabelAbove255", scenario_with("tissues: [{name: liver, label: 1}, {name: vessel, label: 256}]"),
     at(3, 58, "tissues[1].label"), says("expected a label from 1 to 255, found 256")},
    {"LabelZero", scenario_with("tissues: [{name: liver, label: 0}, {name: vessel, label: 2}]"),
     at(3, 32, "tissues[0].label"), says("expected a label from 1 to 255, found 0")},
    {"DuplicateLabel", scenario_with("tissues: [{name: liver, label: 1}, {name: vessel, label: 1}]"),
     at(3, 58, "tissues[1].label"),
     says("expected a unique label, found 1 again (already tissue \"liver\")")},
    {"DuplicateName", scenario_with("tissues: [{name: liver, label: 1}, {name: liver, label: 2}]"),
     at(3, 43, "tissues[1].name"),
     says("expected a unique tissue name, found \"liver\" again (first at tissues[0])")},
    {"ReservedName", scenario_with("tissues: [{name: default, label: 1}]"), at(3, 18, "tissues[0].name"),
     mentions("other than \"default\"")},
};
INSTANTIATE_TEST_SUITE_P(ConfigTissues, BadScenario, ::testing::ValuesIn(kTissueRows), row_name);

// ------------------------------------------------- shapes (geometry, regions)

const std::vector<BadInput> kShapeRows{
    {"UnknownKeyInsideAShape",
     scenario_with("geometry: [{tissue: liver, sphere: {centre: [0.5 mm, 0.5 mm, 0.5 mm], radius: 0.1 mm}}]"),
     at(4, 37, "geometry[0].sphere.centre"), says("unknown key \"centre\"; did you mean \"center\"?")},
    {"UnknownTissueSuggestsTheClosestName",
     scenario_with("geometry: [{tissue: livr, box: {min: [0, 0, 0], max: [1 mm, 1 mm, 1 mm]}}]"),
     at(4, 21, "geometry[0].tissue"), says("unknown tissue \"livr\"; did you mean \"liver\"?")},
    {"UnknownTissueListsTheDefinedOnes",
     scenario_with("geometry: [{tissue: lung, box: {min: [0, 0, 0], max: [1 mm, 1 mm, 1 mm]}}]"),
     at(4, 21, "geometry[0].tissue"), says("unknown tissue \"lung\" (defined: liver, vessel)")},
    {"ShapeOutsideTheGrid",
     scenario(
         {{"grid", "grid: {extent: [4 mm, 3 mm, 2 mm], voxel: 50 um}"},
          {"geometry", "geometry: [{tissue: liver, box: {min: [1 mm, 0, 0], max: [5.2 mm, 1 mm, 1 mm]}}]"}}),
     at(4, 33, "geometry[0].box"),
     says("shape extends outside the grid: x from 1 mm to 5.2 mm, grid x from 0 mm to 4 mm")},
    // voxel 50 um: 25 um of slack on each side (Config.ShapeMayOverhangTheGridByHalfAVoxel)
    {"OverhangMoreThanHalfAVoxel",
     scenario_with(
         "geometry: [{tissue: liver, sphere: {center: [0.5 mm, 0.5 mm, 0.5 mm], radius: 0.53 mm}}]"),
     at(4, 36, "geometry[0].sphere"),
     says("shape extends outside the grid: x from -0.03 mm to 1.03 mm, grid x from 0 mm to 1 mm")},
    {"SourceShapeOutsideTheGrid",
     scenario_plus(
         "sources: [{species: TNF, rate: 1, sphere: {center: [0.5 mm, 0.5 mm, 0.5 mm], radius: 2 mm}}]\n"),
     at(8, 43, "sources[0].sphere"),
     says("shape extends outside the grid: x from -1.5 mm to 2.5 mm, grid x from 0 mm to 1 mm")},
    {"InitialShapeOutsideTheGrid",
     scenario_with("species: [{name: TNF, diffusion: 100, initial: [{value: 1, sphere: {center: [0, 0, 0], "
                   "radius: 2 mm}}]}, {name: IL-6, diffusion: 200}]"),
     at(5, 68, "species[0].initial[0].sphere"), mentions("shape extends outside the grid")},
    {"UnionPartOutsideTheGrid",
     scenario_with("geometry: [{tissue: liver, union: [{box: {min: [0, 0, 0], max: [1 mm, 1 mm, 1 mm]}}, "
                   "{sphere: {center: [0, 0, 0], radius: 0.5 mm}}]}]"),
     at(4, 95, "geometry[0].union[1].sphere"),
     says("shape extends outside the grid: x from -0.5 mm to 0.5 mm, grid x from 0 mm to 1 mm")},
    {"TwoShapesInOneItem",
     scenario_with("geometry: [{tissue: liver, box: {min: [0, 0, 0], max: [1 mm, 1 mm, 1 mm]}, "
                   "sphere: {center: [0.5 mm, 0.5 mm, 0.5 mm], radius: 0.1 mm}}]"),
     at(4, 76, "geometry[0].sphere"), says("expected one shape, found two: \"box\" and \"sphere\"")},
    {"NoShapeInAGeometryItem", scenario_with("geometry: [{tissue: liver}]"), at(4, 12, "geometry[0]"),
     says("expected one shape key (box, sphere, ellipsoid, cylinder or union), a mesh or a volume, found "
          "none")},
    {"FlatBox", scenario_with("geometry: [{tissue: liver, box: {min: [0, 0, 0], max: [1 mm, 0 mm, 1 mm]}}]"),
     at(4, 55, "geometry[0].box.max"), says("expected max > min on every axis, found y: min 0 um, max 0 um")},
    {"CylinderOfZeroLength",
     scenario_with("geometry: [{tissue: liver, cylinder: {start: [1, 1, 1], end: [1, 1, 1], radius: 1}}]"),
     at(4, 62, "geometry[0].cylinder.end"), mentions("found the same point")},
    {"EmptyUnion", scenario_with("geometry: [{tissue: liver, union: []}]"), at(4, 35, "geometry[0].union"),
     mentions("expected a non-empty list of shapes")},
};
INSTANTIATE_TEST_SUITE_P(ConfigShapes, BadScenario, ::testing::ValuesIn(kShapeRows), row_name);

// -------------------------------------------------------------------- species

// One more species than the limit, on line 5.
std::string too_many_species() {
  std::string list = "species: [";
  for (int k = 0; k <= scenario_limits::kMaxSpecies; ++k)
    list += (k ? ", " : "") + std::string("{name: S") + std::to_string(k) + ", diffusion: 1}";
  return scenario_with(list + "]");
}

const std::vector<BadInput> kSpeciesRows{
    {"UnknownKeySuggestsTheClosestKey", scenario_with("species:\n  - name: TNF\n    difusion: 100"),
     at(7, 5, "species[0].difusion"), says("unknown key \"difusion\"; did you mean \"diffusion\"?")},
    {"IncompatibleUnit", scenario_with("species:\n  - name: TNF\n    diffusion: 600 um/min"),
     at(7, 16, "species[0].diffusion"),
     says("expected a diffusion coefficient (length^2/time, e.g. \"600 um^2/min\"), found \"600 um/min\" "
          "(length/time)")},
    {"NegativeDiffusion", scenario_with("species:\n  - name: TNF\n    diffusion: -5 um^2/min"),
     at(7, 16, "species[0].diffusion"), says("expected a diffusion coefficient >= 0, found \"-5 um^2/min\"")},
    {"NegativeDecay", scenario_with("species:\n  - name: TNF\n    diffusion: 100\n    decay: -0.1 /min"),
     at(8, 12, "species[0].decay"), says("expected a rate >= 0, found \"-0.1 /min\"")},
    {"NonPositiveHalfLife",
     scenario_with("species:\n  - name: TNF\n    diffusion: 100\n    half_life: 0 min"),
     at(8, 16, "species[0].half_life"), says("expected a time > 0, found \"0 min\"")},
    {"DecayAndHalfLifeTogether",
     scenario_with("species:\n  - name: TNF\n    diffusion: 100\n    decay: 0.1\n    half_life: 5 min"),
     at(9, 16, "species[0].half_life"), says("expected either decay or half_life, found both")},
    {"DuplicateName", scenario_with("species: [{name: TNF, diffusion: 100}, {name: TNF, diffusion: 200}]"),
     at(5, 47, "species[1].name"),
     says("expected a unique species name, found \"TNF\" again (first at species[0])")},
    {"InvalidName", scenario_with("species:\n  - name: IL 6\n    diffusion: 1"), at(6, 11, "species[0].name"),
     says("expected a species name (a letter, then letters, digits, \"_\" or \"-\"), found \"IL 6\"")},
    {"ReservedName", scenario_with("species:\n  - name: all\n    diffusion: 1"), at(6, 11, "species[0].name"),
     mentions("other than \"all\"")},
    {"NegativeInitialValue", scenario_with("species:\n  - name: TNF\n    diffusion: 1\n    initial: -1"),
     at(8, 14, "species[0].initial"), says("expected a concentration >= 0, found \"-1\"")},
    {"DiffusionMapMissesATissue", scenario_with("species:\n  - name: TNF\n    diffusion: {liver: 100}"),
     at(7, 16, "species[0].diffusion"),
     says("expected a diffusion coefficient for every tissue (or a \"default\"), found none for tissue "
          "\"vessel\"")},
    {"DiffusionMapNamesAnUnknownTissue",
     scenario_with("species:\n  - name: TNF\n    diffusion: {livr: 100, default: 50}"),
     at(7, 17, "species[0].diffusion.livr"), says("unknown tissue \"livr\"; did you mean \"liver\"?")},
    {"DiffusionMapValueIsAMap",
     scenario_with("species:\n  - name: TNF\n    diffusion: {liver: {a: 1}, vessel: 2}"),
     at(7, 24, "species[0].diffusion.liver"),
     says("expected a diffusion coefficient (length^2/time, e.g. \"600 um^2/min\"), found a map")},
    {"TooManySpecies", too_many_species(), at(5, 10, "species"),
     says("expected at most 16 species, found 17")},
};
INSTANTIATE_TEST_SUITE_P(ConfigSpecies, BadScenario, ::testing::ValuesIn(kSpeciesRows), row_name);

// ------------------------------------------------------ sources and boundaries

const std::vector<BadInput> kSourceAndBoundaryRows{
    {"RateWithConcentrationUnit", scenario_plus("sources: [{species: TNF, rate: 5 pg/mL}]\n"),
     at(8, 32, "sources[0].rate"),
     mentions("expected a concentration rate (mass/volume/time", "found \"5 pg/mL\" (a concentration)")},
    {"SourceEndNotAfterStart",
     scenario_plus("sources: [{species: TNF, rate: 1, start: 30 min, end: 10 min}]\n"),
     at(8, 55, "sources[0].end"), says("expected an end after start (30 min), found \"10 min\"")},
    {"UnknownSpecies", scenario_plus("sources: [{species: TNFa, rate: 1}]\n"),
     at(8, 21, "sources[0].species"), says("unknown species \"TNFa\"; did you mean \"TNF\"?")},
    {"DuplicateBoundary",
     scenario_plus("boundaries:\n"
                   "  - {tissue: vessel, species: all, dirichlet: 0}\n"
                   "  - {tissue: vessel, species: [IL-6], dirichlet: 1}\n"),
     at(10, 31, "boundaries[1].species"),
     says("expected one boundary per tissue and species, found a second for \"IL-6\" in \"vessel\" (first "
          "at boundaries[0])")},
};
INSTANTIATE_TEST_SUITE_P(ConfigSourcesAndBoundaries, BadScenario, ::testing::ValuesIn(kSourceAndBoundaryRows),
                         row_name);

// ----------------------------------------------------------------------- time

const std::vector<BadInput> kTimeRows{
    {"MapWhereANumberIsExpected", scenario_with("time: {end: {h: 2}}"), at(6, 13, "time.end"),
     says("expected a time (e.g. \"30 min\"), found a map")},
    {"ListWhereAMapIsExpected", scenario_with("time: [1 h]"), at(6, 7, "time"),
     says("expected a time map {end, dt, substepping, safety, tolerance}, found a list of 1 item")},
    {"BadBoolean", scenario_with("time: {end: 1 h, substepping: maybe}"), at(6, 31, "time.substepping"),
     says("expected true or false, found \"maybe\"")},
    {"UnknownKeySuggestsByPrefix", scenario_with("time: {end: 1 h, substep: true}"),
     at(6, 18, "time.substep"), says("unknown key \"substep\"; did you mean \"substepping\"?")},
    {"DuplicateKey", scenario_with("time:\n  end: 1 h\n  end: 2 h"), at(8, 3, "time.end"),
     says("duplicate key \"end\" (first given at line 7)")},
    {"UnknownUnit", scenario_with("time: {end: 2 hourz}"), at(6, 13, "time.end"),
     mentions("unknown unit \"hourz\"; did you mean \"hour\"?", "expected a time")},
    {"UnitOnADimensionlessValue", scenario_with("time: {end: 1 h, safety: 0.9 min}"),
     at(6, 26, "time.safety"), mentions("expected a dimensionless number", "found \"0.9 min\"")},
    {"DtNotANumber", scenario_with("time: {end: 1 h, dt: fast}"), at(6, 22, "time.dt"),
     mentions("found \"fast\" (not a number)", "\"auto\"")},
    {"DtZero", scenario_with("time: {end: 1 h, dt: 0}"), at(6, 22, "time.dt"),
     says("expected \"auto\" or a time > 0, found \"0\"")},
    {"SafetyAboveOne", scenario_with("time: {end: 1 h, safety: 1.5}"), at(6, 26, "time.safety"),
     says("expected a safety factor above 0 and at most 1, found \"1.5\"")},
    {"ToleranceZero", scenario_with("time: {end: 1 h, tolerance: 0}"), at(6, 29, "time.tolerance"),
     says("expected a relative tolerance from 1e-8 to 0.5, found \"0\"")},
    {"ToleranceWithAFixedDt", scenario_with("time: {end: 1 h, dt: 1 s, tolerance: 1e-3}"),
     at(6, 38, "time.tolerance"),
     says("a tolerance drives dt: auto, but dt is set to 1 s: remove the tolerance or set dt: auto")},
    {"EndZero", scenario_with("time: {end: 0 h}"), at(6, 13, "time.end"),
     says("expected a time > 0, found \"0 h\"")},
};
INSTANTIATE_TEST_SUITE_P(ConfigTime, BadScenario, ::testing::ValuesIn(kTimeRows), row_name);

// --------------------------------------------------------------------- output

const std::vector<BadInput> kOutputRows{
    {"IntervalLongerThanTheRun", scenario_with("output: {interval: 2 h}"), at(7, 20, "output.interval"),
     says("expected an interval no longer than time.end (60 min), found \"2 h\"")},
    {"UnknownSpecies", scenario_with("output: {interval: 10 min, fields: [TNF, IL6]}"),
     at(7, 42, "output.fields[1]"), says("unknown species \"IL6\"; did you mean \"IL-6\"?")},
    {"FieldsNameSpeciesOrPopulations",
     scenario({{"output", "output: {interval: 10 min, fields: [TNF, macrophag]}"}},
              "populations: [{name: macrophage}]\n"),
     at(7, 42, "output.fields[1]"),
     says("unknown species or population \"macrophag\"; did you mean \"macrophage\"?")},
};
INSTANTIATE_TEST_SUITE_P(ConfigOutput, BadScenario, ::testing::ValuesIn(kOutputRows), row_name);

// ------------------------------------------------------- populations and seed

// One more species and population than the limit: 2 species and 15 populations (line 8).
std::string too_many_populations() {
  std::string populations = "populations: [";
  for (int p = 0; p < scenario_limits::kMaxSpeciesAndPopulations - 1; ++p)
    populations += (p ? ", " : "") + std::string("{name: P") + std::to_string(p) + "}";
  return scenario_plus(populations + "]\n");
}

const std::vector<BadInput> kPopulationRows{
    {"NamedLikeASpecies", scenario_plus("populations: [{name: TNF}]\n"), at(8, 22, "populations[0].name"),
     says("expected a population name that no species has, found \"TNF\" (the species at species[0])")},
    {"DuplicateName", scenario_plus("populations: [{name: m}, {name: m}]\n"),
     at(8, 33, "populations[1].name"),
     says("expected a unique population name, found \"m\" again (first at populations[0])")},
    {"ReservedName", scenario_plus("populations: [{name: all}]\n"), at(8, 22, "populations[0].name"),
     mentions("other than \"all\"")},
    {"TooManySpeciesAndPopulations", too_many_populations(), at(8, 14, "populations"),
     says("expected at most 16 species and populations together, found 17 (2 species and 15 populations)")},
    {"NegativeSeed", scenario_plus("seed: -1\n"), at(8, 7, "seed"),
     says("expected an integer >= 0, found \"-1\"")},
    {"SeedingDensityZero", scenario_plus("populations: [{name: m, seeding: {density: 0}}]\n"),
     at(8, 44, "populations[0].seeding.density"), says("expected a cell density > 0, found \"0\"")},
    {"InitialNotACellDensity", scenario_plus("populations: [{name: m, initial: 5 pg/mL}]\n"),
     at(8, 34, "populations[0].initial"), mentions("expected a cell density (cells/volume")},
};
INSTANTIATE_TEST_SUITE_P(ConfigPopulations, BadScenario, ::testing::ValuesIn(kPopulationRows), row_name);

// ---------------------------------------------------------------------- rules

// One more rule than the limit, from line 10.
std::string too_many_rules() {
  std::string rules = "rules:\n";
  for (int i = 0; i <= scenario_limits::kMaxRules; ++i)
    rules += "  - {type: decay, population: macrophage, rate: 1}\n";
  return with_rules(rules);
}

const std::vector<BadInput> kRuleRows{
    {"UnknownSpeciesSuggests",
     with_rules("rules: [{type: secretion, population: macrophage, species: TNFa, rate: 1}]\n"),
     at(9, 60, "rules[0].species"), says("unknown species \"TNFa\"; did you mean \"TNF\"?")},
    {"UnknownActivatorSpecies",
     with_rules("rules: [{type: secretion, population: macrophage, species: TNF, rate: 1, "
                "activators: {species: IL6, half_max: 1}}]\n"),
     at(9, 96, "rules[0].activators.species"), says("unknown species \"IL6\"; did you mean \"IL-6\"?")},
    {"PopulationWhereASpeciesIsExpected",
     with_rules("rules: [{type: uptake, population: macrophage, species: epithelium, clearance: 1}]\n"),
     at(9, 57, "rules[0].species"),
     says("unknown species \"epithelium\": \"epithelium\" is a population, not a species (defined: TNF, "
          "IL-6)")},
    {"UnknownSignalSpecies",
     with_rules("rules: [{type: death, population: epithelium, signal: {TNF: 1, IL1b: 1}, "
                "threshold: 1, rate: 1}]\n"),
     at(9, 64, "rules[0].signal.IL1b"), says("unknown species \"IL1b\"; did you mean \"IL-6\"?")},
    {"UnknownPopulationSuggests", with_rules("rules: [{type: decay, population: macrophag, rate: 1}]\n"),
     at(9, 35, "rules[0].population"),
     says("unknown population \"macrophag\"; did you mean \"macrophage\"?")},
    {"UnknownPopulationListsTheDefinedOnes",
     with_rules("rules: [{type: decay, population: neutrophil, rate: 1}]\n"),
     at(9, 35, "rules[0].population"),
     says("unknown population \"neutrophil\" (defined: macrophage, epithelium)")},
    {"SpeciesWhereAPopulationIsExpected", with_rules("rules: [{type: decay, population: TNF, rate: 1}]\n"),
     at(9, 35, "rules[0].population"),
     says("unknown population \"TNF\": \"TNF\" is a species, not a population (defined: macrophage, "
          "epithelium)")},
    {"NoPopulationsDefined", scenario_plus("rules: [{type: decay, population: macrophage, rate: 1}]\n"),
     at(8, 35, "rules[0].population"), says("unknown population \"macrophage\" (none are defined)")},
    {"HillPowerBelowOne",
     with_rules("rules:\n"
                "  - {type: secretion, population: macrophage, species: IL-6, rate: 0, max_rate: 1,\n"
                "     activators: [{species: TNF, half_max: 10 pg/mL, hill: 0.5}]}\n"),
     at(11, 60, "rules[0].activators[0].hill"), says("expected a Hill power >= 1, found \"0.5\"")},
    {"ThresholdInCellsPerVolume",
     with_rules(
         "rules: [{type: death, population: epithelium, signal: TNF, threshold: 100 cells/mL, rate: 1}]\n"),
     at(9, 71, "rules[0].threshold"),
     says("expected a concentration (mass/volume, e.g. \"150 pg/mL\"), found \"100 cells/mL\" (a cell "
          "density)")},
    {"ThresholdAsARate",
     with_rules(
         "rules: [{type: death, population: epithelium, signal: TNF, threshold: 0.5 /min, rate: 1}]\n"),
     at(9, 71, "rules[0].threshold"), mentions("found \"0.5 /min\" (a rate)")},
    {"BurstInASecretionRule",
     with_rules("rules:\n"
                "  - type: secretion\n"
                "    population: macrophage\n"
                "    species: TNF\n"
                "    rate: 1 pg/cell/min\n"
                "    burst: {TNF: 1 pg/cell}\n"),
     at(14, 5, "rules[0].burst"),
     says("\"burst\" belongs to a death rule (type: death); this rule is a secretion rule")},
    {"CapacityInAnUptakeRule",
     with_rules("rules: [{type: uptake, population: macrophage, species: TNF, capacity: 1}]\n"),
     at(9, 62, "rules[0].capacity"),
     says("\"capacity\" belongs to a growth or recruitment rule (type: growth or recruitment); "
          "this rule is an uptake rule")},
    {"ThresholdInADecayRule", with_rules("rules: [{type: decay, population: macrophage, threshold: 1}]\n"),
     at(9, 47, "rules[0].threshold"), mentions("\"threshold\" belongs to a death rule")},
    // misspelt keys still get a suggestion
    {"MisspeltKeySuggests", with_rules("rules: [{type: death, population: macrophage, treshold: 1}]\n"),
     at(9, 47, "rules[0].treshold"), says("unknown key \"treshold\"; did you mean \"threshold\"?")},
    {"MissingType", with_rules("rules: [{population: macrophage, rate: 1}]\n"), at(9, 9, "rules[0]"),
     says("missing required key \"type\" (expected secretion, uptake, decay, growth, recruitment or death)")},
    {"UnknownType", with_rules("rules: [{type: secreton, population: macrophage}]\n"),
     at(9, 16, "rules[0].type"), says("unknown rule type \"secreton\"; did you mean \"secretion\"?")},
    {"MaxRateWithoutActivators",
     with_rules("rules: [{type: secretion, population: macrophage, species: TNF, rate: 1, max_rate: 2}]\n"),
     at(9, 84, "rules[0].max_rate"), mentions("expected max_rate only with activators")},
    {"ActivatorsWithoutMaxRate",
     with_rules("rules: [{type: secretion, population: macrophage, species: TNF, rate: 1, "
                "activators: {species: TNF, half_max: 1}}]\n"),
     at(9, 9, "rules[0]"), mentions("missing required key \"max_rate\"")},
    {"MaxRateBelowRate",
     with_rules("rules: [{type: secretion, population: macrophage, species: TNF, rate: 2, "
                "max_rate: 1, activators: {species: TNF, half_max: 1}}]\n"),
     at(9, 84, "rules[0].max_rate"), says("expected a max_rate >= rate (2 pg/cell/min), found \"1\"")},
    {"ClearanceAndVmaxTogether",
     with_rules(
         "rules: [{type: uptake, population: macrophage, species: TNF, clearance: 1, vmax: 2, km: 1}]\n"),
     at(9, 82, "rules[0].vmax"), mentions("expected either clearance (linear uptake) or vmax and km")},
    {"VmaxWithoutKm", with_rules("rules: [{type: uptake, population: macrophage, species: TNF, vmax: 2}]\n"),
     at(9, 9, "rules[0]"), mentions("missing required key \"km\"")},
    {"RateAndHalfLifeTogether",
     with_rules("rules: [{type: decay, population: macrophage, rate: 1, half_life: 2 h}]\n"),
     at(9, 67, "rules[0].half_life"), says("expected either rate or half_life, found both")},
    {"GrowthWithoutCapacity", with_rules("rules: [{type: growth, population: macrophage, rate: 1}]\n"),
     at(9, 9, "rules[0]"), mentions("missing required key \"capacity\"")},
    {"SignalWithoutAPositiveWeight",
     with_rules("rules: [{type: death, population: macrophage, signal: {TNF: 0}, threshold: 1, "
                "rate: 1}]\n"),
     at(9, 55, "rules[0].signal"), says("expected at least one species with a weight > 0, found none")},
    {"UnknownDeathMode",
     with_rules("rules: [{type: death, population: macrophage, signal: TNF, threshold: 1, rate: 1, "
                "mode: random}]\n"),
     at(9, 89, "rules[0].mode"), says("expected \"deterministic\" or \"stochastic\", found \"random\"")},
    {"BurstNotPerCell",
     with_rules("rules: [{type: death, population: macrophage, signal: TNF, threshold: 1, rate: 1, "
                "burst: {TNF: 1 pg}}]\n"),
     at(9, 96, "rules[0].burst.TNF"), mentions("expected a per-cell amount (mass/cell")},
    {"RecruitmentNeedsPlasma",
     with_rules("rules: [{type: recruitment, population: macrophage, rate: 1, capacity: 1e6}]\n"),
     at(9, 16, "rules[0].type"),
     says("a recruitment rule draws cells from the blood (plasma.blood); add a plasma section")},
    {"TooManyHillTerms",
     with_rules("rules: [{type: secretion, population: macrophage, species: TNF, rate: 1, max_rate: 2,\n"
                "  activators: [{species: TNF, half_max: 1}, {species: IL-6, half_max: 1}, {species: TNF, "
                "half_max: 2}],\n"
                "  inhibitors: [{species: IL-6, half_max: 1}, {species: IL-6, half_max: 2}]}]\n"),
     at(11, 15, "rules[0].inhibitors"),
     says("expected at most 4 Hill terms (activators and inhibitors together) per rule, found 5")},
    {"TooManyRules", too_many_rules(), at(10, 3, "rules"), says("expected at most 32 rules, found 33")},
    {"DuplicateName",
     with_rules("rules: [{name: r, type: decay, population: macrophage, rate: 1},\n"
                "        {name: r, type: decay, population: epithelium, rate: 1}]\n"),
     at(10, 16, "rules[1].name"), says("expected a unique rule name, found \"r\" again (first at rules[0])")},
};
INSTANTIATE_TEST_SUITE_P(ConfigRules, BadScenario, ::testing::ValuesIn(kRuleRows), row_name);

// --------------------------------------------------------------------- organs

const std::vector<BadInput> kOrganRows{
    {"NamedLikeATissue", scenario_plus("organs: [{name: liver, tissues: vessel}]\n"),
     at(8, 17, "organs[0].name"),
     says("expected an organ name that no tissue has (time series name organs and tissues alike), "
          "found \"liver\" (the tissue at tissues[0])")},
    {"DuplicateName", scenario_plus("organs: [{name: a, tissues: liver}, {name: a, tissues: vessel}]\n"),
     at(8, 44, "organs[1].name"),
     says("expected a unique organ name, found \"a\" again (first at organs[0])")},
    {"TissueInTwoOrgans",
     scenario_plus("organs: [{name: a, tissues: [liver, vessel]}, {name: b, tissues: [vessel]}]\n"),
     at(8, 67, "organs[1].tissues[0]"),
     says("expected each tissue in at most one organ, found \"vessel\" already in organ \"a\" (organs[0])")},
};
INSTANTIATE_TEST_SUITE_P(ConfigOrgans, BadScenario, ::testing::ValuesIn(kOrganRows), row_name);

// --------------------------------------------------------------------- plasma

const std::vector<BadInput> kPlasmaRows{
    {"MissingVolume", scenario_plus("plasma: {initial: 1}\n"), at(8, 9, "plasma"),
     mentions("missing required key \"volume\"")},
    {"ClearanceAndHalfLifeForOneSpecies",
     scenario_plus("plasma: {volume: 3 L, clearance: {TNF: 0.1 /min}, half_life: {TNF: 1 h}}\n"),
     at(8, 68, "plasma.half_life.TNF"),
     says("expected either a clearance or a half_life for \"TNF\", found both")},
    {"ClearanceAndHalfLifeForAll",
     scenario_plus("plasma: {volume: 3 L, clearance: 0.1 /min, half_life: 1 h}\n"),
     at(8, 55, "plasma.half_life"), mentions("found both")},
    {"UnknownSpeciesInInitial", scenario_plus("plasma: {volume: 3 L, initial: {TNF: 1, IL6: 2}}\n"),
     at(8, 41, "plasma.initial.IL6"), says("unknown species \"IL6\"; did you mean \"IL-6\"?")},
    {"VolumeAsAFlow", scenario_plus("plasma: {volume: 3 mL/min}\n"), at(8, 18, "plasma.volume"),
     mentions("expected a volume (e.g. \"3 L\"), found \"3 mL/min\" (volume/time)")},
    {"DuplicateExchange",
     scenario_plus("plasma:\n  volume: 3 L\n  exchange:\n    - {tissue: vessel, species: all, rate: 1}\n"
                   "    - {tissue: vessel, species: TNF, rate: 2}\n"),
     at(12, 33, "plasma.exchange[1].species"),
     says("expected one exchange per tissue and species, found a second for \"TNF\" in \"vessel\" "
          "(first at plasma.exchange[0])")},
};
INSTANTIATE_TEST_SUITE_P(ConfigPlasma, BadScenario, ::testing::ValuesIn(kPlasmaRows), row_name);

// ------------------------------------------------------------------ infusions

const std::vector<BadInput> kInfusionRows{
    {"WithoutPlasma", scenario_plus("infusions: [{species: TNF, amount: 1 ug, time: 0}]\n"),
     at(8, 12, "infusions"), says("an infusion goes into the plasma compartment; add a plasma section")},
    {"CellsGivenAsAMass",
     scenario_plus("populations: [{name: cart}]\nplasma: {volume: 3 L}\n"
                   "infusions: [{population: cart, amount: 1 ug, time: 0}]\n"),
     at(10, 40, "infusions[0].amount"),
     mentions("expected cells (a cell count) for an infusion of a population")},
    {"BolusAndWindowTogether",
     scenario_plus("plasma: {volume: 3 L}\n"
                   "infusions: [{species: TNF, amount: 1 ug, time: 0, start: 0}]\n"),
     at(9, 58, "infusions[0].start"), mentions("expected either time (a bolus) or start and end")},
    {"EndNotAfterStart",
     scenario_plus("plasma: {volume: 3 L}\n"
                   "infusions: [{species: TNF, amount: 1 ug, start: 10 min, end: 5 min}]\n"),
     at(9, 62, "infusions[0].end"), says("expected an end after start (10 min), found \"5 min\"")},
    // a bare number is shown with its default unit
    {"AfterTheEnd",
     scenario({{"time", "time: {end: 60}"}},
              "plasma: {volume: 3 L}\ninfusions: [{species: TNF, amount: 1 ug, "
              "time: 90}]\n"),
     at(9, 48, "infusions[0].time"),
     says("the infusion at 90 min is after the end of the run (time.end = 60 min)")},
};
INSTANTIATE_TEST_SUITE_P(ConfigInfusions, BadScenario, ::testing::ValuesIn(kInfusionRows), row_name);

// ------------------------------------------------------------------ therapies

// The dosing every therapy needs, and two rules for therapies to name.
const std::string kDosing = "dose: {time: 0, amount: 1 mg}, half_life: 1 h, volume: 1 L";
const std::string kTwoRules =
    "rules: [{name: sec, type: secretion, population: macrophage, species: IL-6, rate: 1},\n"
    "        {name: die, type: death, population: epithelium, signal: TNF, threshold: 1, rate: 1}]\n";

// A scenario with one therapy on line 8: `keys` and the dosing.
std::string with_therapy(const std::string& keys) {
  return scenario_plus("therapies: [{name: t, " + keys + ", " + kDosing + "}]\n");
}

// A scenario with two populations and two rules, then one therapy on line 11.
std::string with_therapy_on_rules(const std::string& keys) {
  return with_rules(kTwoRules + "therapies: [{name: t, " + keys + ", " + kDosing + "}]\n");
}

const std::vector<BadInput> kTherapyRows{
    {"DoseAfterTheEnd",
     scenario({{"time", "time: {end: 24 h}"}},
              "therapies:\n"
              "  - name: tocilizumab\n"
              "    effect: blockade\n"
              "    species: IL-6\n"
              "    ic50: 1 ug/mL\n"
              "    doses:\n"
              "      - {time: 6 h, amount: 8 mg}\n"
              "      - {time: 30 h, amount: 8 mg}\n"
              "    half_life: 13 d\n"
              "    volume: 5 L\n"),
     at(15, 16, "therapies[0].doses[1].time"),
     says("the dose at 30 h is after the end of the run (time.end = 24 h)")},
    {"IC50InANeutralisation", with_therapy("effect: neutralisation, species: TNF, ic50: 1"),
     at(8, 61, "therapies[0].ic50"),
     says("\"ic50\" belongs to a blockade therapy (effect: blockade); this therapy is a neutralisation "
          "therapy")},
    {"RulesInANeutralisation", with_therapy("effect: neutralisation, species: TNF, rules: r, k_on: 1"),
     at(8, 61, "therapies[0].rules"),
     says("\"rules\" belongs to a blockade or suppression therapy (effect: blockade or "
          "suppression); this therapy is a neutralisation therapy")},
    {"KOnInABlockade", with_therapy("effect: blockade, species: TNF, k_on: 1"),
     at(8, 55, "therapies[0].k_on"),
     says("\"k_on\" belongs to a neutralisation therapy (effect: neutralisation); this therapy is a "
          "blockade therapy")},
    {"UnknownEffect", with_therapy("effect: inhibition, species: TNF"), at(8, 31, "therapies[0].effect"),
     says("unknown therapy effect \"inhibition\" (expected neutralisation, blockade or suppression)")},
    {"BlockadeOfARuleWithoutThatActivator",
     with_therapy_on_rules("effect: blockade, species: TNF, rules: sec, ic50: 1"),
     at(11, 62, "therapies[0].rules"),
     says("expected a rule activated by a blocked species (TNF), found rule \"sec\" without such an "
          "activator")},
    {"SuppressionOfADeathRule", with_therapy_on_rules("effect: suppression, rules: [die], emax: 1, ec50: 1"),
     at(11, 52, "therapies[0].rules[0]"),
     mentions("expected a secretion rule (suppression scales secretion rates)")},
    {"UnknownRule", with_therapy_on_rules("effect: suppression, rules: cytokine_release, emax: 1, ec50: 1"),
     at(11, 51, "therapies[0].rules"), says("unknown rule \"cytokine_release\" (defined: sec, die)")},
    {"EmaxAboveOne", with_therapy_on_rules("effect: suppression, species: IL-6, emax: 1.5, ec50: 1"),
     at(11, 65, "therapies[0].emax"), says("expected an emax above 0 and at most 1, found \"1.5\"")},
    {"MissingSpecies", with_therapy("effect: neutralisation, k_on: 1"), at(8, 13, "therapies[0]"),
     mentions("missing required key \"species\"")},
    {"KOnAsARate", with_therapy("effect: neutralisation, species: TNF, k_on: 1 /min"),
     at(8, 67, "therapies[0].k_on"), mentions("expected a binding rate (volume/mass/time")},
    {"DuplicateName",
     scenario_plus("plasma: {volume: 3 L}\n"
                   "therapies:\n"
                   "  - {name: x, effect: neutralisation, species: TNF, k_on: 1, dose: {time: 0, amount: 1}, "
                   "half_life: 1 h, volume: 1 L}\n"
                   "  - {name: x, effect: neutralisation, species: TNF, k_on: 1, dose: {time: 0, amount: 1}, "
                   "half_life: 1 h, volume: 1 L}\n"),
     at(11, 12, "therapies[1].name"),
     says("expected a unique therapy name, found \"x\" again (first at therapies[0])")},
};
INSTANTIATE_TEST_SUITE_P(ConfigTherapies, BadScenario, ::testing::ValuesIn(kTherapyRows), row_name);

// ----------------------------------------------------------------- checkpoint

// A scenario with `block` ("checkpoint: {...}") on line 8.
std::string with_checkpoint(const std::string& block) { return scenario_plus(block + "\n"); }

const std::string kStepsRange =
    "expected a number of steps (a whole number from 1 to 1000000000000000), found ";
const std::string kKeepRange =
    "expected a number of checkpoints to keep (a whole number from 1 to 1000), found ";

const std::vector<BadInput> kCheckpointRows{
    {"IntervalZero", with_checkpoint("checkpoint: {interval: 0 h}"), at(8, 24, "checkpoint.interval"),
     says("expected a time > 0, found \"0 h\"")},
    {"IntervalNegative", with_checkpoint("checkpoint: {interval: -1 h}"), at(8, 24, "checkpoint.interval"),
     says("expected a time > 0, found \"-1 h\"")},
    {"WallZero", with_checkpoint("checkpoint: {wall: 0 min}"), at(8, 20, "checkpoint.wall"),
     says("expected a time > 0, found \"0 min\"")},
    {"StepsZero", with_checkpoint("checkpoint: {steps: 0}"), at(8, 21, "checkpoint.steps"),
     says(kStepsRange + "\"0\"")},
    {"StepsNegative", with_checkpoint("checkpoint: {steps: -5}"), at(8, 21, "checkpoint.steps"),
     says(kStepsRange + "\"-5\"")},
    {"StepsFractional", with_checkpoint("checkpoint: {steps: 2.5}"), at(8, 21, "checkpoint.steps"),
     says(kStepsRange + "\"2.5\"")},
    {"StepsNotANumber", with_checkpoint("checkpoint: {steps: many}"), at(8, 21, "checkpoint.steps"),
     says(kStepsRange + "\"many\"")},
    {"StepsWithAUnit", with_checkpoint("checkpoint: {steps: 100 steps}"), at(8, 21, "checkpoint.steps"),
     says(kStepsRange + "\"100 steps\"")},
    {"StepsAboveTheLimit", with_checkpoint("checkpoint: {steps: 1000000000000001}"),
     at(8, 21, "checkpoint.steps"), says(kStepsRange + "\"1000000000000001\"")},
    {"StepsAboveTheLimitWithAnExponent", with_checkpoint("checkpoint: {steps: 2e15}"),
     at(8, 21, "checkpoint.steps"), says(kStepsRange + "\"2e15\"")},
    {"StepsBeyondAnyInteger", with_checkpoint("checkpoint: {steps: 99999999999999999999999}"),
     at(8, 21, "checkpoint.steps"), says(kStepsRange + "\"99999999999999999999999\"")},
    {"StepsInfinite", with_checkpoint("checkpoint: {steps: inf}"), at(8, 21, "checkpoint.steps"),
     says(kStepsRange + "\"inf\"")},
    {"KeepZero", with_checkpoint("checkpoint: {keep: 0}"), at(8, 20, "checkpoint.keep"),
     says(kKeepRange + "\"0\"")},
    {"KeepNegative", with_checkpoint("checkpoint: {keep: -1}"), at(8, 20, "checkpoint.keep"),
     says(kKeepRange + "\"-1\"")},
    {"KeepFractional", with_checkpoint("checkpoint: {keep: 1.5}"), at(8, 20, "checkpoint.keep"),
     says(kKeepRange + "\"1.5\"")},
    {"KeepAboveTheLimit", with_checkpoint("checkpoint: {keep: 1001}"), at(8, 20, "checkpoint.keep"),
     says(kKeepRange + "\"1001\"")},
    {"KeepAList", with_checkpoint("checkpoint: {keep: [1]}"), at(8, 20, "checkpoint.keep"),
     says(
         "expected a number of checkpoints to keep (a whole number from 1 to 1000), found a list of 1 item")},
    {"MisspeltKey", with_checkpoint("checkpoint: {step: 100}"), at(8, 14, "checkpoint.step"),
     says("unknown key \"step\"; did you mean \"steps\"?")},
    {"UnknownKey", with_checkpoint("checkpoint: {every: 1 h}"), at(8, 14, "checkpoint.every"),
     says("unknown key \"every\"")},
    {"DuplicateKey", with_checkpoint("checkpoint: {steps: 10, steps: 20}"), at(8, 25, "checkpoint.steps"),
     says("duplicate key \"steps\" (first given at line 8)")},
    {"NotAMap", with_checkpoint("checkpoint: 100"), at(8, 13, "checkpoint"),
     says("expected a checkpoint map {interval, steps, wall, keep}, found \"100\"")},
    {"MisspeltSection", with_checkpoint("checkpiont: {steps: 10}"), at(8, 1, "checkpiont"),
     says("unknown key \"checkpiont\"; did you mean \"checkpoint\"?")},
    // a wall time with the wrong dimension: the unit parser's message, at the key
    BadInput("WallInMillimetres", scenario_plus("checkpoint:\n  wall: 30 mm\n"), at(9, 9, "checkpoint.wall"),
             mentions("expected a time", "found \"30 mm\""))
        .printed_as("test.yaml:9:9: checkpoint.wall:"),
    with_set("StepsZeroBySet", "checkpoint.steps=0", at_set("--set checkpoint.steps=0", "checkpoint.steps"),
             mentions("found \"0\"")),
    with_set("MisspeltKeyBySet", "checkpoint.stesp=10",
             at_set("--set checkpoint.stesp=10", "checkpoint.stesp"),
             says("unknown key \"stesp\"; did you mean \"steps\"?")),
};
INSTANTIATE_TEST_SUITE_P(ConfigCheckpoint, BadScenario, ::testing::ValuesIn(kCheckpointRows), row_name);

// ---------------------------------------------------------- --set overrides

const std::vector<BadInput> kOverrideRows{
    // an error in an overridden value is reported at the override
    with_set("ValueNotATime", "time.end=abc", at_set("--set time.end=abc", "time.end"),
             says("expected a time (e.g. \"30 min\"), found \"abc\" (not a number)"))
        .printed_as(
            "--set time.end=abc: time.end: expected a time (e.g. \"30 min\"), found \"abc\" (not a number)"),
    with_set("ValueOutOfRange", "grid.voxel=[20 um, 0 um, 40 um]",
             at_set("--set grid.voxel=[20 um, 0 um, 40 um]", "grid.voxel[1]"),
             says("expected a length > 0, found \"0 um\"")),
    with_set("MisspeltKey", "species.TNF.difusion=3",
             at_set("--set species.TNF.difusion=3", "species[0].difusion"),
             says("unknown key \"difusion\"; did you mean \"diffusion\"?")),
    with_set("UnknownSection", "colour.shade=red", at_set("--set colour.shade=red", "colour"),
             says("unknown key \"colour\"")),
    // errors elsewhere keep their file positions
    with_set(
        "ErrorInTheFile", "time.end=2 h", at(6, 22, "time.dt"),
        says("expected a time (e.g. \"30 min\"), found \"fast\" (not a number) (dt may also be \"auto\")"),
        scenario_with("time: {end: 1 h, dt: fast}")),
    with_set("NoEquals", "time.end", at_set("--set", "time.end"),
             says("expected key.path=value, found \"time.end\" (no \"=\")")),
    with_set("NoKeyPath", "=3", at_set("--set", ""), mentions("(no key path)")),
    with_set("EmptyKeyName", "time..end=3", at_set("--set", "time..end"), mentions("expected a key name")),
    with_set("IndexNotANumber", "species[x].decay=3", at_set("--set", "species[x].decay"),
             mentions("expected a list index")),
    with_set("ValueNotYaml", "time.end=[1", at_set("--set", "time.end"), mentions("expected a YAML value")),
    with_set("IndexOutOfRange", "species.5.decay=1", at_set("--set", "species.5.decay"),
             says("index 5 is out of range: species has 2 items")),
    with_set("IndexBeyondAnyInteger", "species[99999999999999999999999].decay=1",
             at_set("--set", "species[99999999999999999999999].decay"),
             says("index 99999999999999999999999 is out of range: species has 2 items")),
    with_set("NoItemNamedSuggests", "species.TNFa.decay=1", at_set("--set", "species.TNFa.decay"),
             says("no item named \"TNFa\" in species; did you mean \"TNF\"?")),
    with_set("NoItemNamedSuggestsTheClosest", "species.IL-10.decay=1", at_set("--set", "species.IL-10.decay"),
             says("no item named \"IL-10\" in species; did you mean \"IL-6\"?")),
    with_set("NoItemNamed", "species.CXCL8.decay=1", at_set("--set", "species.CXCL8.decay"),
             says("no item named \"CXCL8\" in species")),
    with_set("DescendIntoAValue", "time.end.unit=h", at_set("--set", "time.end.unit"),
             says("expected a map or a list at \"time.end\" to set \"unit\" in, found \"1 h\"")),
    with_set("IndexIntoAMap", "time[0]=1", at_set("--set", "time[0]"),
             says("expected a list at \"time\", found a map")),
};
INSTANTIATE_TEST_SUITE_P(ConfigOverrides, BadScenario, ::testing::ValuesIn(kOverrideRows), row_name);

}  // namespace
}  // namespace cyto
