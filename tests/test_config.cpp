// Scenario files: resolved values, error positions and messages, --set overrides.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "host/config.hpp"

namespace cyto {
namespace {

constexpr const char* kFile = "test.yaml";

::testing::AssertionResult Contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" does not contain \"" << part << "\"";
}

// A minimal valid scenario with one top-level key per line, so that a test
// that replaces one key knows its line:
//   1 name, 2 grid, 3 tissues, 4 geometry, 5 species, 6 time, 7 output.
// `replaced` swaps a key's line for other text (an empty text drops the key,
// keeping the numbering); `extra` is appended from line 8.
std::string scenario(const std::map<std::string, std::string>& replaced = {}, const std::string& extra = "") {
  const std::vector<std::pair<std::string, std::string>> lines{
      {"name", "name: t"},
      {"grid", "grid: {extent: [1 mm, 1 mm, 1 mm], voxel: 50 um}"},
      {"tissues", "tissues: [{name: liver, label: 1}, {name: vessel, label: 2}]"},
      {"geometry", "geometry: [{tissue: liver, box: {min: [0, 0, 0], max: [1 mm, 1 mm, 1 mm]}}]"},
      {"species", "species: [{name: TNF, diffusion: 100}, {name: IL-6, diffusion: 200}]"},
      {"time", "time: {end: 1 h}"},
      {"output", "output: {interval: 10 min}"},
  };
  std::string text;
  for (const auto& [key, line] : lines) {
    const auto it = replaced.find(key);
    text += (it == replaced.end() ? line : it->second) + "\n";
  }
  return text + extra;
}

// The InputError that parsing must throw.
InputError parse_error(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  try {
    parse_scenario(yaml, kFile, overrides);
  } catch (const InputError& e) {
    return e;
  }
  ADD_FAILURE() << "no InputError for:\n" << yaml;
  return InputError(SourceLocation{}, "");
}

void expect_at(const InputError& e, const std::string& file, int line, int column,
               const std::string& key_path) {
  EXPECT_EQ(e.where().file, file) << e.what();
  EXPECT_EQ(e.where().line, line) << e.what();
  EXPECT_EQ(e.where().column, column) << e.what();
  EXPECT_EQ(e.where().key_path, key_path) << e.what();
}

void expect_at(const InputError& e, int line, int column, const std::string& key_path) {
  expect_at(e, kFile, line, column, key_path);
}

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
  // voxel 50 um: 25 um of slack on each side
  const std::string ok = scenario(
      {{"geometry",
        "geometry: [{tissue: liver, sphere: {center: [0.5 mm, 0.5 mm, 0.5 mm], radius: 0.52 mm}}]"}});
  EXPECT_NO_THROW(parse_scenario(ok, kFile));
  const std::string too_far = scenario(
      {{"geometry",
        "geometry: [{tissue: liver, sphere: {center: [0.5 mm, 0.5 mm, 0.5 mm], radius: 0.53 mm}}]"}});
  EXPECT_THROW(parse_scenario(too_far, kFile), InputError);
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

// ------------------------------------------------------------ file and syntax

TEST(ConfigErrors, MissingFile) {
  const std::string path = "/nonexistent/cytostorm/scenario.yaml";
  try {
    load_scenario(path);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(e.where().file, path);
    EXPECT_EQ(e.where().line, 0);
    EXPECT_EQ(e.where().position(), path);
    EXPECT_EQ(e.detail(), "cannot open scenario file: No such file or directory");
  }
}

TEST(ConfigErrors, DirectoryInsteadOfFile) {
  try {
    load_scenario(std::filesystem::temp_directory_path().string());
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(e.detail(), "cannot open scenario file: Is a directory");
  }
}

TEST(ConfigErrors, MalformedYamlReportsTheParserPosition) {
  const InputError e = parse_error("name: t\ngrid: {extent: [1 mm, 1 mm\nvoxel: 3\n");
  EXPECT_EQ(e.where().file, kFile);
  EXPECT_EQ(e.where().line, 3);
  EXPECT_EQ(e.where().column, 6);
  EXPECT_TRUE(Contains(e.detail(), "invalid YAML: "));
  EXPECT_TRUE(Contains(e.detail(), "end of sequence flow not found"));
}

TEST(ConfigErrors, TopLevelMustBeAMap) {
  const InputError e = parse_error("- a\n- b\n");
  expect_at(e, 1, 1, "");
  EXPECT_EQ(e.detail(), "expected a map of scenario settings at the top level, found a list of 2 items");
  const InputError empty = parse_error("# nothing but a comment\n");
  EXPECT_EQ(empty.where().file, kFile);
  EXPECT_EQ(empty.detail(), "expected a map of scenario settings at the top level, found an empty document");
}

// ----------------------------------------------------------------- wrong types

TEST(ConfigErrors, MapWhereANumberIsExpected) {
  const InputError e = parse_error(scenario({{"time", "time: {end: {h: 2}}"}}));
  expect_at(e, 6, 13, "time.end");
  EXPECT_EQ(e.detail(), "expected a time (e.g. \"30 min\"), found a map");
}

TEST(ConfigErrors, LabelMustBeAnInteger) {
  const InputError e =
      parse_error(scenario({{"tissues", "tissues: [{name: liver, label: 1}, {name: vessel, label: abc}]"}}));
  expect_at(e, 3, 58, "tissues[1].label");
  EXPECT_EQ(e.detail(), "expected an integer, found \"abc\"");
}

TEST(ConfigErrors, TwoCoordinatesWhereThreeAreNeeded) {
  const InputError e = parse_error(scenario({{"grid", "grid: {extent: [1 mm, 1 mm], voxel: 50 um}"}}));
  expect_at(e, 2, 16, "grid.extent");
  EXPECT_EQ(e.detail(), "expected a list of 3 lengths [x, y, z], found a list of 2 items");
}

TEST(ConfigErrors, EmptyValueIsReportedAtItsKey) {
  const InputError e = parse_error(scenario({{"grid", "grid:\n  extent: [1 mm, 1 mm, 1 mm]\n  voxel:"}}));
  expect_at(e, 4, 3, "grid.voxel");
  EXPECT_EQ(e.detail(),
            "expected a length or a list of 3 lengths [lx, ly, lz], found nothing (an empty value)");
}

TEST(ConfigErrors, ListWhereAMapIsExpected) {
  const InputError e = parse_error(scenario({{"time", "time: [1 h]"}}));
  expect_at(e, 6, 7, "time");
  EXPECT_EQ(e.detail(), "expected a time map {end, dt, substepping, safety}, found a list of 1 item");
}

TEST(ConfigErrors, BadBooleanAndPrecision) {
  InputError e = parse_error(scenario({{"time", "time: {end: 1 h, substepping: maybe}"}}));
  expect_at(e, 6, 31, "time.substepping");
  EXPECT_EQ(e.detail(), "expected true or false, found \"maybe\"");
  e = parse_error(scenario({}, "precision: half\n"));
  expect_at(e, 8, 12, "precision");
  EXPECT_EQ(e.detail(), "expected \"float\" or \"double\", found \"half\"");
}

// ------------------------------------------------------------- unknown keys

TEST(ConfigErrors, UnknownKeySuggestsTheClosestKey) {
  const InputError e = parse_error(scenario({{"species", "species:\n  - name: TNF\n    difusion: 100"}}));
  expect_at(e, 7, 5, "species[0].difusion");
  EXPECT_EQ(e.detail(), "unknown key \"difusion\"; did you mean \"diffusion\"?");
}

TEST(ConfigErrors, UnknownKeySuggestsByPrefix) {
  const InputError e = parse_error(scenario({{"time", "time: {end: 1 h, substep: true}"}}));
  expect_at(e, 6, 18, "time.substep");
  EXPECT_EQ(e.detail(), "unknown key \"substep\"; did you mean \"substepping\"?");
}

TEST(ConfigErrors, UnknownKeyWithoutACloseMatch) {
  const InputError e = parse_error(scenario({}, "colour: red\n"));
  expect_at(e, 8, 1, "colour");
  EXPECT_EQ(e.detail(), "unknown key \"colour\"");
}

TEST(ConfigErrors, UnknownKeyInsideAShape) {
  const InputError e = parse_error(scenario(
      {{"geometry",
        "geometry: [{tissue: liver, sphere: {centre: [0.5 mm, 0.5 mm, 0.5 mm], radius: 0.1 mm}}]"}}));
  expect_at(e, 4, 37, "geometry[0].sphere.centre");
  EXPECT_EQ(e.detail(), "unknown key \"centre\"; did you mean \"center\"?");
}

TEST(ConfigErrors, DuplicateKey) {
  const InputError e = parse_error(scenario({{"time", "time:\n  end: 1 h\n  end: 2 h"}}));
  expect_at(e, 8, 3, "time.end");
  EXPECT_EQ(e.detail(), "duplicate key \"end\" (first given at line 7)");
}

// --------------------------------------------------------------- missing keys

TEST(ConfigErrors, MissingRequiredKeyIsReportedAtItsParent) {
  InputError e = parse_error(scenario({{"grid", "grid: {extent: [1 mm, 1 mm, 1 mm]}"}}));
  expect_at(e, 2, 7, "grid");
  EXPECT_EQ(e.detail(), "missing required key \"voxel\" (expected a voxel size: one length or [lx, ly, lz])");

  e = parse_error(scenario({{"time", ""}}));
  expect_at(e, 1, 1, "");
  EXPECT_TRUE(Contains(e.detail(), "missing required key \"time\""));

  e = parse_error(scenario({{"tissues", "tissues: [{name: liver, label: 1}, {name: vessel}]"}}));
  expect_at(e, 3, 36, "tissues[1]");
  EXPECT_TRUE(Contains(e.detail(), "missing required key \"label\""));
}

// ---------------------------------------------------------------------- units

TEST(ConfigErrors, IncompatibleUnit) {
  const InputError e =
      parse_error(scenario({{"species", "species:\n  - name: TNF\n    diffusion: 600 um/min"}}));
  expect_at(e, 7, 16, "species[0].diffusion");
  EXPECT_EQ(e.detail(),
            "expected a diffusion coefficient (length^2/time, e.g. \"600 um^2/min\"), found \"600 um/min\" "
            "(length/time)");
}

TEST(ConfigErrors, UnknownUnit) {
  const InputError e = parse_error(scenario({{"time", "time: {end: 2 hourz}"}}));
  expect_at(e, 6, 13, "time.end");
  EXPECT_TRUE(Contains(e.detail(), "unknown unit \"hourz\"; did you mean \"hour\"?"));
  EXPECT_TRUE(Contains(e.detail(), "expected a time"));
}

TEST(ConfigErrors, UnitOnADimensionlessValue) {
  const InputError e = parse_error(scenario({{"time", "time: {end: 1 h, safety: 0.9 min}"}}));
  expect_at(e, 6, 26, "time.safety");
  EXPECT_TRUE(Contains(e.detail(), "expected a dimensionless number"));
  EXPECT_TRUE(Contains(e.detail(), "found \"0.9 min\""));
}

TEST(ConfigErrors, RateWithConcentrationUnit) {
  const InputError e = parse_error(scenario({}, "sources: [{species: TNF, rate: 5 pg/mL}]\n"));
  expect_at(e, 8, 32, "sources[0].rate");
  EXPECT_TRUE(Contains(e.detail(), "expected a concentration rate (mass/volume/time"));
  EXPECT_TRUE(Contains(e.detail(), "found \"5 pg/mL\" (a concentration)"));
}

// ---------------------------------------------------------------------- ranges

TEST(ConfigErrors, NegativeDiffusion) {
  const InputError e =
      parse_error(scenario({{"species", "species:\n  - name: TNF\n    diffusion: -5 um^2/min"}}));
  expect_at(e, 7, 16, "species[0].diffusion");
  EXPECT_EQ(e.detail(), "expected a diffusion coefficient >= 0, found \"-5 um^2/min\"");
}

TEST(ConfigErrors, NegativeDecay) {
  const InputError e = parse_error(
      scenario({{"species", "species:\n  - name: TNF\n    diffusion: 100\n    decay: -0.1 /min"}}));
  expect_at(e, 8, 12, "species[0].decay");
  EXPECT_EQ(e.detail(), "expected a rate >= 0, found \"-0.1 /min\"");
}

TEST(ConfigErrors, NonPositiveHalfLife) {
  const InputError e = parse_error(
      scenario({{"species", "species:\n  - name: TNF\n    diffusion: 100\n    half_life: 0 min"}}));
  expect_at(e, 8, 16, "species[0].half_life");
  EXPECT_EQ(e.detail(), "expected a time > 0, found \"0 min\"");
}

TEST(ConfigErrors, DecayAndHalfLifeTogether) {
  const InputError e = parse_error(scenario(
      {{"species", "species:\n  - name: TNF\n    diffusion: 100\n    decay: 0.1\n    half_life: 5 min"}}));
  expect_at(e, 9, 16, "species[0].half_life");
  EXPECT_EQ(e.detail(), "expected either decay or half_life, found both");
}

TEST(ConfigErrors, ZeroVoxel) {
  const InputError e = parse_error(scenario({{"grid", "grid: {extent: [1 mm, 1 mm, 1 mm], voxel: 0 um}"}}));
  expect_at(e, 2, 43, "grid.voxel");
  EXPECT_EQ(e.detail(), "expected a length > 0, found \"0 um\"");
}

TEST(ConfigErrors, NegativeExtent) {
  const InputError e = parse_error(scenario({{"grid", "grid: {extent: [1 mm, -1 mm, 1 mm], voxel: 50 um}"}}));
  expect_at(e, 2, 23, "grid.extent[1]");
  EXPECT_EQ(e.detail(), "expected a length > 0, found \"-1 mm\"");
}

TEST(ConfigErrors, VoxelLargerThanExtent) {
  const InputError e =
      parse_error(scenario({{"grid", "grid: {extent: [1 mm, 1 mm, 1 mm], voxel: [50 um, 2 mm, 50 um]}"}}));
  expect_at(e, 2, 51, "grid.voxel[1]");
  EXPECT_EQ(e.detail(),
            "expected a voxel size no larger than the grid extent along y (1000 um), found \"2 mm\"");
}

TEST(ConfigErrors, SourceEndNotAfterStart) {
  const InputError e =
      parse_error(scenario({}, "sources: [{species: TNF, rate: 1, start: 30 min, end: 10 min}]\n"));
  expect_at(e, 8, 55, "sources[0].end");
  EXPECT_EQ(e.detail(), "expected an end after start (30 min), found \"10 min\"");
}

TEST(ConfigErrors, LabelOutOfRange) {
  InputError e =
      parse_error(scenario({{"tissues", "tissues: [{name: liver, label: 1}, {name: vessel, label: 256}]"}}));
  expect_at(e, 3, 58, "tissues[1].label");
  EXPECT_EQ(e.detail(), "expected a label from 1 to 255, found 256");
  e = parse_error(scenario({{"tissues", "tissues: [{name: liver, label: 0}, {name: vessel, label: 2}]"}}));
  expect_at(e, 3, 32, "tissues[0].label");
}

TEST(ConfigErrors, DuplicateLabel) {
  const InputError e =
      parse_error(scenario({{"tissues", "tissues: [{name: liver, label: 1}, {name: vessel, label: 1}]"}}));
  expect_at(e, 3, 58, "tissues[1].label");
  EXPECT_EQ(e.detail(), "expected a unique label, found 1 again (already tissue \"liver\")");
}

TEST(ConfigErrors, DuplicateNames) {
  InputError e =
      parse_error(scenario({{"tissues", "tissues: [{name: liver, label: 1}, {name: liver, label: 2}]"}}));
  expect_at(e, 3, 43, "tissues[1].name");
  EXPECT_EQ(e.detail(), "expected a unique tissue name, found \"liver\" again (first at tissues[0])");

  e = parse_error(
      scenario({{"species", "species: [{name: TNF, diffusion: 100}, {name: TNF, diffusion: 200}]"}}));
  expect_at(e, 5, 47, "species[1].name");
  EXPECT_EQ(e.detail(), "expected a unique species name, found \"TNF\" again (first at species[0])");
}

TEST(ConfigErrors, InvalidAndReservedNames) {
  InputError e = parse_error(scenario({{"species", "species:\n  - name: IL 6\n    diffusion: 1"}}));
  expect_at(e, 6, 11, "species[0].name");
  EXPECT_EQ(e.detail(),
            "expected a species name (a letter, then letters, digits, \"_\" or \"-\"), found \"IL 6\"");

  e = parse_error(scenario({{"species", "species:\n  - name: all\n    diffusion: 1"}}));
  expect_at(e, 6, 11, "species[0].name");
  EXPECT_TRUE(Contains(e.detail(), "other than \"all\""));

  e = parse_error(scenario({{"tissues", "tissues: [{name: default, label: 1}]"}}));
  expect_at(e, 3, 18, "tissues[0].name");
  EXPECT_TRUE(Contains(e.detail(), "other than \"default\""));

  e = parse_error(scenario({{"name", "name: my scenario"}}));
  expect_at(e, 1, 7, "name");
  EXPECT_TRUE(Contains(e.detail(), "found \"my scenario\""));
}

TEST(ConfigErrors, TimeSettingsOutOfRange) {
  InputError e = parse_error(scenario({{"time", "time: {end: 1 h, dt: fast}"}}));
  expect_at(e, 6, 22, "time.dt");
  EXPECT_TRUE(Contains(e.detail(), "found \"fast\" (not a number)"));
  EXPECT_TRUE(Contains(e.detail(), "\"auto\""));

  e = parse_error(scenario({{"time", "time: {end: 1 h, dt: 0}"}}));
  expect_at(e, 6, 22, "time.dt");
  EXPECT_EQ(e.detail(), "expected \"auto\" or a time > 0, found \"0\"");

  e = parse_error(scenario({{"time", "time: {end: 1 h, safety: 1.5}"}}));
  expect_at(e, 6, 26, "time.safety");
  EXPECT_EQ(e.detail(), "expected a safety factor above 0 and at most 1, found \"1.5\"");

  e = parse_error(scenario({{"time", "time: {end: 0 h}"}}));
  expect_at(e, 6, 13, "time.end");
  EXPECT_EQ(e.detail(), "expected a time > 0, found \"0 h\"");
}

TEST(ConfigErrors, OutputIntervalLongerThanTheRun) {
  const InputError e = parse_error(scenario({{"output", "output: {interval: 2 h}"}}));
  expect_at(e, 7, 20, "output.interval");
  EXPECT_EQ(e.detail(), "expected an interval no longer than time.end (60 min), found \"2 h\"");
}

TEST(ConfigErrors, NegativeInitialValue) {
  const InputError e =
      parse_error(scenario({{"species", "species:\n  - name: TNF\n    diffusion: 1\n    initial: -1"}}));
  expect_at(e, 8, 14, "species[0].initial");
  EXPECT_EQ(e.detail(), "expected a concentration >= 0, found \"-1\"");
}

// ----------------------------------------------------------------- references

TEST(ConfigErrors, UnknownTissueSuggestsTheClosestName) {
  const InputError e = parse_error(
      scenario({{"geometry", "geometry: [{tissue: livr, box: {min: [0, 0, 0], max: [1 mm, 1 mm, 1 mm]}}]"}}));
  expect_at(e, 4, 21, "geometry[0].tissue");
  EXPECT_EQ(e.detail(), "unknown tissue \"livr\"; did you mean \"liver\"?");
}

TEST(ConfigErrors, UnknownTissueListsTheDefinedOnes) {
  const InputError e = parse_error(
      scenario({{"geometry", "geometry: [{tissue: lung, box: {min: [0, 0, 0], max: [1 mm, 1 mm, 1 mm]}}]"}}));
  expect_at(e, 4, 21, "geometry[0].tissue");
  EXPECT_EQ(e.detail(), "unknown tissue \"lung\" (defined: liver, vessel)");
}

TEST(ConfigErrors, UnknownSpecies) {
  InputError e = parse_error(scenario({}, "sources: [{species: TNFa, rate: 1}]\n"));
  expect_at(e, 8, 21, "sources[0].species");
  EXPECT_EQ(e.detail(), "unknown species \"TNFa\"; did you mean \"TNF\"?");

  e = parse_error(scenario({{"output", "output: {interval: 10 min, fields: [TNF, IL6]}"}}));
  expect_at(e, 7, 42, "output.fields[1]");
  EXPECT_EQ(e.detail(), "unknown species \"IL6\"; did you mean \"IL-6\"?");
}

TEST(ConfigErrors, DiffusionMapMustCoverEveryTissue) {
  InputError e = parse_error(scenario({{"species", "species:\n  - name: TNF\n    diffusion: {liver: 100}"}}));
  expect_at(e, 7, 16, "species[0].diffusion");
  EXPECT_EQ(e.detail(),
            "expected a diffusion coefficient for every tissue (or a \"default\"), found none for tissue "
            "\"vessel\"");

  e = parse_error(
      scenario({{"species", "species:\n  - name: TNF\n    diffusion: {livr: 100, default: 50}"}}));
  expect_at(e, 7, 17, "species[0].diffusion.livr");
  EXPECT_EQ(e.detail(), "unknown tissue \"livr\"; did you mean \"liver\"?");

  e = parse_error(
      scenario({{"species", "species:\n  - name: TNF\n    diffusion: {liver: {a: 1}, vessel: 2}"}}));
  expect_at(e, 7, 24, "species[0].diffusion.liver");
  EXPECT_EQ(e.detail(),
            "expected a diffusion coefficient (length^2/time, e.g. \"600 um^2/min\"), found a map");
}

TEST(ConfigErrors, DuplicateBoundary) {
  const InputError e = parse_error(scenario({},
                                            "boundaries:\n"
                                            "  - {tissue: vessel, species: all, dirichlet: 0}\n"
                                            "  - {tissue: vessel, species: [IL-6], dirichlet: 1}\n"));
  expect_at(e, 10, 31, "boundaries[1].species");
  EXPECT_EQ(e.detail(),
            "expected one boundary per tissue and species, found a second for \"IL-6\" in \"vessel\" (first "
            "at boundaries[0])");
}

TEST(ConfigErrors, TooManySpecies) {
  std::string list = "species: [";
  for (int k = 0; k <= kMaxSpecies; ++k)
    list += (k ? ", " : "") + std::string("{name: S") + std::to_string(k) + ", diffusion: 1}";
  const InputError e = parse_error(scenario({{"species", list + "]"}}));
  expect_at(e, 5, 10, "species");
  EXPECT_EQ(e.detail(), "expected at most 16 species, found 17");
}

// ---------------------------------------------------------------------- shapes

TEST(ConfigErrors, ShapeOutsideTheGrid) {
  const InputError e = parse_error(scenario(
      {{"grid", "grid: {extent: [4 mm, 3 mm, 2 mm], voxel: 50 um}"},
       {"geometry", "geometry: [{tissue: liver, box: {min: [1 mm, 0, 0], max: [5.2 mm, 1 mm, 1 mm]}}]"}}));
  expect_at(e, 4, 33, "geometry[0].box");
  EXPECT_EQ(e.detail(), "shape extends outside the grid: x from 1 mm to 5.2 mm, grid x from 0 mm to 4 mm");
}

TEST(ConfigErrors, SourceAndInitialShapesOutsideTheGrid) {
  InputError e = parse_error(scenario(
      {}, "sources: [{species: TNF, rate: 1, sphere: {center: [0.5 mm, 0.5 mm, 0.5 mm], radius: 2 mm}}]\n"));
  expect_at(e, 8, 43, "sources[0].sphere");
  EXPECT_EQ(e.detail(), "shape extends outside the grid: x from -1.5 mm to 2.5 mm, grid x from 0 mm to 1 mm");

  e = parse_error(
      scenario({{"species",
                 "species: [{name: TNF, diffusion: 100, initial: [{value: 1, sphere: {center: [0, 0, 0], "
                 "radius: 2 mm}}]}, {name: IL-6, diffusion: 200}]"}}));
  expect_at(e, 5, 68, "species[0].initial[0].sphere");
  EXPECT_TRUE(Contains(e.detail(), "shape extends outside the grid"));
}

TEST(ConfigErrors, UnionPartOutsideTheGrid) {
  const InputError e = parse_error(
      scenario({{"geometry",
                 "geometry: [{tissue: liver, union: [{box: {min: [0, 0, 0], max: [1 mm, 1 mm, 1 mm]}}, "
                 "{sphere: {center: [0, 0, 0], radius: 0.5 mm}}]}]"}}));
  expect_at(e, 4, 95, "geometry[0].union[1].sphere");
  EXPECT_EQ(e.detail(), "shape extends outside the grid: x from -0.5 mm to 0.5 mm, grid x from 0 mm to 1 mm");
}

TEST(ConfigErrors, TwoShapesInOneItem) {
  const InputError e =
      parse_error(scenario({{"geometry",
                             "geometry: [{tissue: liver, box: {min: [0, 0, 0], max: [1 mm, 1 mm, 1 mm]}, "
                             "sphere: {center: [0.5 mm, 0.5 mm, 0.5 mm], radius: 0.1 mm}}]"}}));
  expect_at(e, 4, 76, "geometry[0].sphere");
  EXPECT_EQ(e.detail(), "expected one shape, found two: \"box\" and \"sphere\"");
}

TEST(ConfigErrors, NoShapeInAGeometryItem) {
  const InputError e = parse_error(scenario({{"geometry", "geometry: [{tissue: liver}]"}}));
  expect_at(e, 4, 12, "geometry[0]");
  EXPECT_EQ(e.detail(), "expected one shape key (box, sphere, ellipsoid, cylinder or union), found none");
}

TEST(ConfigErrors, DegenerateShapes) {
  InputError e = parse_error(scenario(
      {{"geometry", "geometry: [{tissue: liver, box: {min: [0, 0, 0], max: [1 mm, 0 mm, 1 mm]}}]"}}));
  expect_at(e, 4, 55, "geometry[0].box.max");
  EXPECT_EQ(e.detail(), "expected max > min on every axis, found y: min 0 um, max 0 um");

  e = parse_error(scenario({{"geometry",
                             "geometry: [{tissue: liver, cylinder: {start: [1, 1, 1], end: [1, 1, 1], "
                             "radius: 1}}]"}}));
  expect_at(e, 4, 62, "geometry[0].cylinder.end");
  EXPECT_TRUE(Contains(e.detail(), "found the same point"));

  e = parse_error(scenario({{"geometry", "geometry: [{tissue: liver, union: []}]"}}));
  expect_at(e, 4, 35, "geometry[0].union");
  EXPECT_TRUE(Contains(e.detail(), "expected a non-empty list of shapes"));
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

TEST(ConfigOverrides, ErrorInAnOverriddenValueIsReportedAtTheOverride) {
  InputError e = parse_error(scenario(), {"time.end=abc"});
  expect_at(e, "--set time.end=abc", 0, 0, "time.end");
  EXPECT_EQ(e.detail(), "expected a time (e.g. \"30 min\"), found \"abc\" (not a number)");
  EXPECT_EQ(std::string(e.what()),
            "--set time.end=abc: time.end: expected a time (e.g. \"30 min\"), found \"abc\" (not a number)");

  e = parse_error(scenario(), {"grid.voxel=[20 um, 0 um, 40 um]"});
  expect_at(e, "--set grid.voxel=[20 um, 0 um, 40 um]", 0, 0, "grid.voxel[1]");

  e = parse_error(scenario(), {"species.TNF.difusion=3"});
  expect_at(e, "--set species.TNF.difusion=3", 0, 0, "species[0].difusion");
  EXPECT_EQ(e.detail(), "unknown key \"difusion\"; did you mean \"diffusion\"?");

  e = parse_error(scenario(), {"colour.shade=red"});
  expect_at(e, "--set colour.shade=red", 0, 0, "colour");
}

TEST(ConfigOverrides, ErrorsElsewhereKeepTheirFilePositions) {
  const InputError e = parse_error(scenario({{"time", "time: {end: 1 h, dt: fast}"}}), {"time.end=2 h"});
  expect_at(e, 6, 22, "time.dt");
}

TEST(ConfigOverrides, MalformedOverrides) {
  InputError e = parse_error(scenario(), {"time.end"});
  expect_at(e, "--set", 0, 0, "time.end");
  EXPECT_EQ(e.detail(), "expected key.path=value, found \"time.end\" (no \"=\")");

  e = parse_error(scenario(), {"=3"});
  expect_at(e, "--set", 0, 0, "");
  EXPECT_TRUE(Contains(e.detail(), "(no key path)"));

  e = parse_error(scenario(), {"time..end=3"});
  expect_at(e, "--set", 0, 0, "time..end");
  EXPECT_TRUE(Contains(e.detail(), "expected a key name"));

  e = parse_error(scenario(), {"species[x].decay=3"});
  expect_at(e, "--set", 0, 0, "species[x].decay");
  EXPECT_TRUE(Contains(e.detail(), "expected a list index"));

  e = parse_error(scenario(), {"time.end=[1"});
  expect_at(e, "--set", 0, 0, "time.end");
  EXPECT_TRUE(Contains(e.detail(), "expected a YAML value"));
}

TEST(ConfigOverrides, IndexOutOfRange) {
  InputError e = parse_error(scenario(), {"species.5.decay=1"});
  expect_at(e, "--set", 0, 0, "species.5.decay");
  EXPECT_EQ(e.detail(), "index 5 is out of range: species has 2 items");
  e = parse_error(scenario(), {"species[99999999999999999999999].decay=1"});
  EXPECT_EQ(e.detail(), "index 99999999999999999999999 is out of range: species has 2 items");
}

TEST(ConfigOverrides, NoItemWithThatName) {
  InputError e = parse_error(scenario(), {"species.TNFa.decay=1"});
  expect_at(e, "--set", 0, 0, "species.TNFa.decay");
  EXPECT_EQ(e.detail(), "no item named \"TNFa\" in species; did you mean \"TNF\"?");
  e = parse_error(scenario(), {"species.IL-10.decay=1"});
  EXPECT_EQ(e.detail(), "no item named \"IL-10\" in species; did you mean \"IL-6\"?");
  e = parse_error(scenario(), {"species.CXCL8.decay=1"});
  EXPECT_EQ(e.detail(), "no item named \"CXCL8\" in species");
}

TEST(ConfigOverrides, CannotDescendIntoAValue) {
  InputError e = parse_error(scenario(), {"time.end.unit=h"});
  expect_at(e, "--set", 0, 0, "time.end.unit");
  EXPECT_EQ(e.detail(), "expected a map or a list at \"time.end\" to set \"unit\" in, found \"1 h\"");
  e = parse_error(scenario(), {"time[0]=1"});
  expect_at(e, "--set", 0, 0, "time[0]");
  EXPECT_EQ(e.detail(), "expected a list at \"time\", found a map");
}

}  // namespace
}  // namespace cyto
