// The benchmark suite (`cytostorm bench`): its JSON in quick CPU mode
// (the storm box's model against its transport included), the command
// line's exit codes, and its problem files (configs/bench/*.yaml).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "benchmarks/bench_problem.hpp"
#include "benchmarks/bench_suite.hpp"
#include "host/backends/backend.hpp"
#include "host/core/error.hpp"
#include "host/geometry/geometry.hpp"
#include "host/model/discretisation.hpp"
#include "host/scenario/config.hpp"
#include "tests/cli_runner.hpp"

namespace {

#ifdef CYTOSTORM_HAVE_BENCH_SUITE  // the suite is not linked where benchmarks are not built

namespace fs = std::filesystem;

using Result = cyto::testing::CliResult;
using cyto::testing::run_cli;

fs::path temp_dir(const std::string& name) {
  const fs::path dir = fs::path(::testing::TempDir()) / ("cytostorm_bench_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void expect_positive_finite(const nlohmann::json& value, const std::string& what) {
  ASSERT_TRUE(value.is_number()) << what << " = " << value;
  const double v = value.get<double>();
  EXPECT_TRUE(std::isfinite(v) && v > 0) << what << " = " << v;
}

TEST(BenchSuite, QuickCpuRunReportsEveryFigure) {
  cyto::bench::BenchArgs args;
  args.quick = true;
  args.backend = "cpu";
  args.backend_given = true;
  args.threads = 1;  // one thread: robust to other processes on the cores (an OpenMP barrier is not)
  cyto::bench::SuiteOptions options = cyto::bench::resolve_options(args);
  const fs::path dir = temp_dir("library");
  options.output = (dir / "bench.json").string();
  const nlohmann::json doc = cyto::bench::run_suite(options, nullptr);

  // The file holds the returned document, complete.
  EXPECT_EQ(nlohmann::json::parse(std::ifstream(options.output)), doc);
  for (const char* key :
       {"tool", "complete", "build", "date", "host", "options", "skipped_backends", "backends"})
    EXPECT_TRUE(doc.contains(key)) << key;
  EXPECT_EQ(doc["tool"], "cytostorm bench");
  EXPECT_EQ(doc["complete"], true);
  for (const char* key : {"version", "commit", "build_type", "cxx_flags", "cuda_compiled"})
    EXPECT_TRUE(doc["build"].contains(key)) << key;

  ASSERT_EQ(doc["backends"].size(), 1u);
  const nlohmann::json& b = doc["backends"][0];
  EXPECT_EQ(b["backend"], "cpu");
  for (const char* key :
       {"backend", "name", "compute_units", "architecture", "memory_gib", "driver", "runtime"})
    EXPECT_TRUE(b["device"].contains(key)) << key;
  EXPECT_EQ(b["device"]["compute_units"], 1);
  EXPECT_EQ(doc["options"]["problems"], "configs/bench (built in)");
  expect_positive_finite(b["copy_bandwidth_bytes_per_s"], "copy_bandwidth_bytes_per_s");
  expect_positive_finite(b["copy_bytes"], "copy_bytes");
  EXPECT_TRUE(b["skipped_cases"].empty());

  // 2 sizes x 3 species counts x 2 precisions, the organ, and the storm box
  // (transport only and with the model) in both precisions.
  ASSERT_EQ(b["cases"].size(), 17u);
  int organs = 0, storm_transport = 0, storm_models = 0;
  for (const nlohmann::json& c : b["cases"]) {
    const std::string name = c["case"].get<std::string>();
    for (const std::string& key : cyto::bench::case_keys())
      EXPECT_TRUE(c.contains(key)) << name << ": " << key;
    for (const char* key : {"tissue_voxels", "interior_voxels", "steps_timed", "seconds_per_step_median",
                            "seconds_per_step_min", "seconds_per_step_p90", "updates_per_s",
                            "voxel_updates_per_s", "bytes_per_step", "effective_bandwidth_bytes_per_s",
                            "fraction_of_copy", "copy_same_bytes_bandwidth_bytes_per_s"})
      expect_positive_finite(c[key], name + ": " + key);
    const double fraction = c["fraction_of_copy"].get<double>();
    EXPECT_GT(fraction, 0) << name;
    EXPECT_LT(fraction, 2) << name;
    const double tissue = c["tissue_voxels"].get<double>();
    const int fields = c["fields"].get<int>();
    const double median = c["seconds_per_step_median"].get<double>();
    EXPECT_DOUBLE_EQ(c["updates_per_s"].get<double>(), tissue * fields / median) << name;
    EXPECT_DOUBLE_EQ(c["voxel_updates_per_s"].get<double>(), tissue / median) << name;
    const double real = c["precision"] == "float" ? 4 : 8;
    EXPECT_DOUBLE_EQ(c["bytes_per_step"].get<double>(),
                     tissue * 2 * fields * real + c["interior_voxels"].get<double>() * 2)
        << name;
    EXPECT_LE(c["seconds_per_step_min"].get<double>(), median) << name;
    EXPECT_LE(median, c["seconds_per_step_p90"].get<double>()) << name;
    // Each case names the problem file it was made from.
    const std::string domain = c["domain"].get<std::string>();
    EXPECT_EQ(c["problem"], domain == "box"     ? "configs/bench/box.yaml"
                            : domain == "organ" ? "configs/bench/organ.yaml"
                                                : "configs/bench/storm_box.yaml")
        << name;
    if (c["domain"] == "box") {
      EXPECT_EQ(c["fields"], c["species"]) << name;
      EXPECT_EQ(c["tissue_voxels"], c["interior_voxels"]) << name;
    } else if (c["domain"] == "storm-box") {
      // 5 species and 2 populations on the largest dense box, in each precision.
      EXPECT_EQ(c["nx"], 48) << name;
      EXPECT_EQ(c["tissue_voxels"], c["interior_voxels"]) << name;
      EXPECT_EQ(c["species"], 5) << name;
      EXPECT_EQ(c["fields"], 7) << name;
      for (const std::string& key : cyto::bench::storm_case_keys())
        EXPECT_TRUE(c.contains(key)) << name << ": " << key;
      EXPECT_EQ(c["populations"], 2) << name;
      expect_positive_finite(c["cpu_seconds_per_step"], name + ": cpu_seconds_per_step");
      if (c["model"] == "none") {
        ++storm_transport;
        EXPECT_EQ(c["rules"], 0) << name;
        for (const std::string& key : cyto::bench::storm_model_case_keys())
          EXPECT_FALSE(c.contains(key)) << name << ": " << key;
      } else {
        ++storm_models;
        EXPECT_EQ(c["model"], "storm") << name;
        EXPECT_EQ(c["rules"], 6) << name;
        for (const std::string& key : cyto::bench::storm_model_case_keys())
          expect_positive_finite(c[key], name + ": " + key);
        // The rules cost something on top of the same transport.
        EXPECT_GT(c["model_cost_vs_transport"].get<double>(), 1) << name;
        expect_positive_finite(c["model_cost_vs_transport_cpu_time"],
                               name + ": model_cost_vs_transport_cpu_time");
        EXPECT_GT(c["model_cost_vs_transport_cpu_time"].get<double>(), 1) << name;
        EXPECT_DOUBLE_EQ(c["model_cost_vs_transport"].get<double>(),
                         median / c["transport_seconds_per_step_median"].get<double>())
            << name;
        // The death rule acts in part of the box, not all of it.
        for (const char* key : {"death_active_fraction_start", "death_active_fraction_end"}) {
          EXPECT_GT(c[key].get<double>(), 0.02) << name << ": " << key;
          EXPECT_LT(c[key].get<double>(), 0.5) << name << ": " << key;
        }
      }
    } else {
      ++organs;
      EXPECT_EQ(c["domain"], "organ");
      EXPECT_EQ(c["nx"], 48);
      EXPECT_EQ(c["species"], 4);
      EXPECT_EQ(c["precision"], "float");
      const double tissue_fraction = c["tissue_fraction"].get<double>();
      EXPECT_GT(tissue_fraction, 0.3);
      EXPECT_LT(tissue_fraction, 0.6);
      for (const std::string& key : cyto::bench::organ_case_keys())
        expect_positive_finite(c[key], name + ": " + key);
    }
  }
  EXPECT_EQ(organs, 1);
  EXPECT_EQ(storm_transport, 2);
  EXPECT_EQ(storm_models, 2);
  // Each model case is paired with the transport-only case of its precision, timed in the same run.
  for (const nlohmann::json& m : b["cases"]) {
    if (m["domain"] != "storm-box" || m["model"] != "storm") continue;
    int pairs = 0;
    for (const nlohmann::json& c : b["cases"])
      if (c["domain"] == "storm-box" && c["model"] == "none" && c["precision"] == m["precision"]) {
        ++pairs;
        EXPECT_EQ(m["transport_seconds_per_step_median"], c["seconds_per_step_median"]) << m["case"];
        EXPECT_EQ(m["steps_timed"], c["steps_timed"]) << m["case"];
      }
    EXPECT_EQ(pairs, 1) << m["case"];
  }
}

TEST(BenchSuite, BadOptionsAreInputErrors) {
  const auto resolve = [](auto edit) {
    cyto::bench::BenchArgs args;
    edit(args);
    return cyto::bench::resolve_options(args);
  };
  EXPECT_THROW(resolve([](auto& a) { a.sizes = "0"; }), cyto::InputError);
  EXPECT_THROW(resolve([](auto& a) { a.sizes = "64,"; }), cyto::InputError);
  EXPECT_THROW(resolve([](auto& a) { a.sizes = "64x"; }), cyto::InputError);
  EXPECT_THROW(resolve([](auto& a) { a.species = "17"; }), cyto::InputError);
  EXPECT_THROW(resolve([](auto& a) { a.precision = "half"; }), cyto::InputError);
  EXPECT_THROW(resolve([](auto& a) { a.backend = "tpu"; }), cyto::InputError);
  EXPECT_THROW(resolve([](auto& a) { a.output = ""; }), cyto::InputError);

  const cyto::bench::SuiteOptions o = resolve([](auto& a) {
    a.sizes = "96,32,96";
    a.precision = "double";
  });
  EXPECT_EQ(o.cpu_sizes, (std::vector<int>{32, 96}));  // sorted, duplicates dropped
  EXPECT_EQ(o.gpu_sizes, o.cpu_sizes);
  EXPECT_EQ(o.precisions, std::vector<cyto::Precision>{cyto::Precision::Double});
  EXPECT_EQ(o.backends, cyto::bench::BackendSelection::All);
  // --quick runs the CPU only, unless a backend is named.
  EXPECT_EQ(resolve([](auto& a) { a.quick = true; }).backends, cyto::bench::BackendSelection::Cpu);
}

TEST(BenchCli, QuickCpuRunWritesJson) {
  const fs::path dir = temp_dir("cli");
  const fs::path out = dir / "results.json";
  const Result r = run_cli(
      "bench --quick --backend cpu --threads 1 --species 1,4 --precision float --output " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ASSERT_TRUE(fs::exists(out));
  const auto doc = nlohmann::json::parse(std::ifstream(out));
  // 2 sizes x 2 species counts, the organ, and the storm box without and with the model.
  EXPECT_EQ(doc["backends"][0]["cases"].size(), 7u);
  EXPECT_NE(r.output.find("cost/tissue voxel vs box"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("x transport"), std::string::npos) << r.output;
  for (const auto& entry : fs::directory_iterator(dir))
    EXPECT_EQ(entry.path().filename().string().find(".tmp."), std::string::npos) << entry.path();
  fs::remove_all(dir);
}

// Without a GPU, asking for one is bad input; with one, the quick GPU suite runs.
TEST(BenchCli, GpuBackendRunsOrSaysWhyNot) {
  const fs::path dir = temp_dir("gpu");
  const fs::path out = dir / "gpu.json";
  const Result r =
      run_cli("bench --quick --backend gpu --species 1,4 --precision float --output " + out.string());
  EXPECT_EQ(r.output.find("terminate called"), std::string::npos) << r.output;
  if (cyto::gpu_backend_available()) {
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const auto doc = nlohmann::json::parse(std::ifstream(out));
    ASSERT_EQ(doc["backends"].size(), 1u);
    EXPECT_EQ(doc["backends"][0]["backend"], "gpu");
    EXPECT_GT(doc["backends"][0]["device"]["compute_units"].get<int>(), 0);
    const nlohmann::json& cases = doc["backends"][0]["cases"];
    ASSERT_EQ(cases.size(), 7u);  // as on the CPU: the storm box runs on the GPU too
    const nlohmann::json& model = cases[6];
    EXPECT_EQ(model["domain"], "storm-box");
    EXPECT_EQ(model["model"], "storm");
    EXPECT_GT(model["model_cost_vs_transport"].get<double>(), 1);
    EXPECT_TRUE(std::isfinite(model["model_cost_vs_transport"].get<double>()));
  } else {
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find("GPU"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("cytostorm: error:"), std::string::npos) << r.output;
  }
  fs::remove_all(dir);
}

TEST(BenchCli, BadOptionsExitTwo) {
  for (const char* args : {"bench --sizes 0", "bench --species 0", "bench --precision half",
                           "bench --backend tpu", "bench --steps 0", "bench --output ''"}) {
    const Result r = run_cli(args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.output;
    EXPECT_NE(r.output.find("cytostorm: error:"), std::string::npos) << args << "\n" << r.output;
  }
}

// bench-checkpoint: disk and checkpoint bandwidth in one run, and the stall of
// a real run with checkpoints; its scratch directory is removed afterwards.
TEST(BenchCli, CheckpointBenchmarkWritesItsFigures) {
  const fs::path dir = temp_dir("checkpoint");
  const fs::path json = dir / "checkpoint.json";
  const Result r = run_cli("bench-checkpoint --size 24 --fields 2 --repeats 2 --stall-steps 40 --directory " +
                           dir.string() + " --output " + json.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = nlohmann::json::parse(std::ifstream(json));
  EXPECT_EQ(j["problem"]["field_bytes"].get<double>(), 24.0 * 24 * 24 * 2 * sizeof(float));
  for (const char* key : {"disk_write", "checkpoint_write", "checkpoint_read", "checkpoint_read_cached"}) {
    EXPECT_EQ(j[key]["samples_s"].size(), 2u) << key;
    expect_positive_finite(j[key]["mb_per_s"], std::string(key) + ".mb_per_s");
  }
  expect_positive_finite(j["ratio_checkpoint_write_to_disk_write"], "ratio");
  EXPECT_FALSE(j["file_system"]["type"].get<std::string>().empty());
  const auto& stall = j["stall"];
  EXPECT_EQ(stall["checkpoints_written"].get<double>(), 10.0);
  const double fraction = stall["io_stall_fraction"].get<double>();
  EXPECT_TRUE(fraction >= 0 && fraction < 1) << fraction;
  expect_positive_finite(stall["loop_time_ratio_with_to_without"], "loop_time_ratio_with_to_without");
  for (const auto& entry : fs::directory_iterator(dir))
    EXPECT_EQ(entry.path(), json) << "left behind: " << entry.path();
  fs::remove_all(dir);
}

// ---- the problem files ----

const fs::path kProblemDirectory = fs::path(CYTOSTORM_SOURCE_DIR) / "configs" / "bench";

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The 1-based line of the first occurrence of `needle` in `text`.
int line_of(const std::string& text, const std::string& needle) {
  const std::size_t at = text.find(needle);
  if (at == std::string::npos) return 0;
  return 1 + int(std::count(text.begin(), text.begin() + std::ptrdiff_t(at), '\n'));
}

// "FILE:LINE:", as errors begin.
std::string position(const fs::path& file, int line) {
  return file.string() + ":" + std::to_string(line) + ":";
}

// `text` with its first `before` replaced by `after` (which must be there).
std::string replaced(std::string text, const std::string& before, const std::string& after) {
  const std::size_t at = text.find(before);
  EXPECT_NE(at, std::string::npos) << before;
  if (at != std::string::npos) text.replace(at, before.size(), after);
  return text;
}

// Every configs/bench/*.yaml is a valid scenario and a cube the suite can
// resize, and the binary carries each as it is on disk (no more, no fewer).
TEST(BenchProblems, EveryFileLoadsValidatesAndIsBuiltIn) {
  std::set<std::string> on_disk;
  for (const auto& entry : fs::directory_iterator(kProblemDirectory))
    if (entry.path().extension() == ".yaml") on_disk.insert(entry.path().filename().string());
  for (const char* needed : {"box.yaml", "organ.yaml", "storm_box.yaml", "checkpoint_stall.yaml"})
    EXPECT_TRUE(on_disk.count(needed)) << needed;

  std::set<std::string> built_in;
  for (const cyto::bench::BuiltInProblem& p : cyto::bench::built_in_bench_problems())
    built_in.insert(p.file_name);
  EXPECT_EQ(built_in, on_disk) << "the binary's problems are not configs/bench/*.yaml: rebuild";

  for (const std::string& file : on_disk) {
    const fs::path path = kProblemDirectory / file;
    const std::string name = path.stem().string();
    EXPECT_NO_THROW(cyto::load_scenario(path.string())) << file;
    try {
      const cyto::bench::BenchProblem from_disk =
          cyto::bench::load_bench_problem(name, kProblemDirectory.string());
      EXPECT_EQ(from_disk.file, path.string());
      EXPECT_EQ(from_disk.voxels_per_side, 100) << file;
      const cyto::bench::BenchProblem from_binary = cyto::bench::load_bench_problem(name);
      EXPECT_EQ(from_binary.file, "configs/bench/" + file);
      EXPECT_EQ(from_binary.text, read_file(path)) << file << ": the binary's copy differs: rebuild";
      EXPECT_EQ(from_binary.voxels_per_side, 100) << file;
    } catch (const cyto::InputError& e) {
      ADD_FAILURE() << file << ": " << e.what();
    }
  }
}

// The organ's cost per tissue voxel is reported against the box's: both have
// the same species and source.
TEST(BenchProblems, OrganHasTheBoxSpeciesAndSource) {
  const cyto::Scenario box = cyto::bench::load_bench_problem("box").scenario;
  const cyto::Scenario organ = cyto::bench::load_bench_problem("organ").scenario;
  ASSERT_EQ(box.species.size(), organ.species.size());
  EXPECT_EQ(box.species.size(), std::size_t(cyto::kMaxSpecies));  // as many as --species allows
  for (std::size_t k = 0; k < box.species.size(); ++k) {
    EXPECT_EQ(box.species[k].name, organ.species[k].name) << k;
    EXPECT_EQ(box.species[k].diffusion, organ.species[k].diffusion) << k;
    EXPECT_EQ(box.species[k].decay_rate, organ.species[k].decay_rate) << k;
    EXPECT_EQ(box.species[k].initial.size(), organ.species[k].initial.size()) << k;
  }
  ASSERT_EQ(box.sources.size(), 1u);
  ASSERT_EQ(organ.sources.size(), 1u);
  EXPECT_EQ(box.sources[0].species, organ.sources[0].species);
  EXPECT_EQ(box.sources[0].rate, organ.sources[0].rate);
  ASSERT_TRUE(box.sources[0].region.shape && organ.sources[0].region.shape);
  EXPECT_EQ(box.sources[0].region.shape->a, organ.sources[0].region.shape->a);
  EXPECT_EQ(box.sources[0].region.shape->radius, organ.sources[0].region.shape->radius);
}

// A case: precision and species count as overrides, then the cube resized
// with the voxel kept and every shape scaled with the side.
TEST(BenchProblems, CasesAreResizedWithTheVoxelKept) {
  const cyto::bench::BenchProblem box = cyto::bench::load_bench_problem("box");
  const cyto::Scenario s = cyto::bench::case_scenario(box, {32, cyto::Precision::Double, 4, {}, 1.5});
  EXPECT_EQ(s.precision, cyto::Precision::Double);
  ASSERT_EQ(s.species.size(), 4u);
  EXPECT_EQ(s.species[3].name, "s3");
  EXPECT_EQ(s.output.fields, (std::vector<int>{0, 1, 2, 3}));
  const double h = s.grid.spacing[0];
  EXPECT_EQ(h, 10e-6);
  const double side = 32 * h;
  EXPECT_EQ(s.grid.extent, (cyto::Vec3{side, side, side}));
  EXPECT_EQ(cyto::make_dense_grid(s.grid).nx, 32);
  EXPECT_EQ(s.geometry[0].shape.b, (cyto::Vec3{side, side, side}));
  const cyto::Shape& ball = *s.sources[0].region.shape;
  EXPECT_EQ(ball.a, (cyto::Vec3{0.42 * side, 0.5 * side, 0.5 * side}));  // a share of the side, exactly
  EXPECT_EQ(ball.radius, 0.1 * side);
  EXPECT_NE(s.resolved_yaml.find("resized by the benchmark to 32 x 32 x 32 voxels"), std::string::npos);

  // On the smallest grid a sphere keeps its least radius.
  const cyto::Scenario small = cyto::bench::case_scenario(box, {8, std::nullopt, 1, {}, 1.5});
  EXPECT_EQ(small.precision, cyto::Precision::Float);
  EXPECT_EQ(small.sources[0].region.shape->radius, 1.5 * h);
  EXPECT_EQ(cyto::bench::case_scenario(box, {8, std::nullopt, 1, {}, 0}).sources[0].region.shape->radius,
            0.1 * 8 * h);

  // The storm box keeps its species, populations and rules.
  const cyto::Scenario storm = cyto::bench::case_scenario(cyto::bench::load_bench_problem("storm_box"),
                                                          {48, std::nullopt, {}, {}, 1.5});
  EXPECT_EQ(storm.species.size(), 5u);
  EXPECT_EQ(storm.populations.size(), 2u);
  EXPECT_EQ(storm.rules.size(), 6u);
  EXPECT_EQ(cyto::field_count(storm), 7);
  EXPECT_EQ(storm.species[1].initial[1].region.shape->radius, 0.3 * 48 * h);  // the hot ball

  // More species than the file has, or an override the scenario refuses: bad input.
  try {
    cyto::bench::case_scenario(box, {32, std::nullopt, 17, {}, 0});
    ADD_FAILURE() << "17 species accepted";
  } catch (const cyto::InputError& e) {
    EXPECT_EQ(e.where().file, "configs/bench/box.yaml");
    EXPECT_NE(std::string(e.what()).find("found 16"), std::string::npos) << e.what();
  }
  EXPECT_THROW(cyto::bench::case_scenario(box, {32, std::nullopt, 1, {"time.end=soon"}, 0}),
               cyto::InputError);
}

// A broken problem file is refused at its file:line, by the library and by
// `cytostorm bench --problems`, before anything is measured; so is a grid the
// suite cannot resize.
TEST(BenchProblems, BrokenFileIsRefusedAtItsLine) {
  const fs::path dir = temp_dir("problems");
  for (const char* file : {"box.yaml", "organ.yaml", "storm_box.yaml"})
    fs::copy_file(kProblemDirectory / file, dir / file);
  const std::string organ =
      replaced(read_file(dir / "organ.yaml"), "decay: 0.015 /min", "decay: 0.015 /fortnight");
  const int line = line_of(organ, "/fortnight");
  ASSERT_GT(line, 0);
  std::ofstream(dir / "organ.yaml", std::ios::binary | std::ios::trunc) << organ;
  try {
    cyto::bench::load_bench_problem("organ", dir.string());
    ADD_FAILURE() << "a broken problem file was accepted";
  } catch (const cyto::InputError& e) {
    EXPECT_EQ(e.where().file, (dir / "organ.yaml").string());
    EXPECT_EQ(e.where().line, line);
    EXPECT_NE(std::string(e.what()).find("fortnight"), std::string::npos) << e.what();
  }
  const fs::path out = dir / "results.json";
  const Result r =
      run_cli("bench --quick --backend cpu --problems " + dir.string() + " --output " + out.string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("cytostorm: error:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(position(dir / "organ.yaml", line)), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(out)) << "results written for a refused problem";

  // A grid that is not a cube of whole voxels: refused at the grid.
  const std::string box =
      replaced(read_file(dir / "box.yaml"), "voxel: 0.01 mm", "voxel: [0.01 mm, 0.01 mm, 0.02 mm]");
  std::ofstream(dir / "box.yaml", std::ios::binary | std::ios::trunc) << box;
  try {
    cyto::bench::load_bench_problem("box", dir.string());
    ADD_FAILURE() << "a box that is not a cube was accepted";
  } catch (const cyto::InputError& e) {
    EXPECT_EQ(e.where().file, (dir / "box.yaml").string());
    EXPECT_EQ(e.where().line, line_of(box, "  extent:"));  // the grid map begins with its first key
    EXPECT_NE(std::string(e.what()).find("the same on every axis"), std::string::npos) << e.what();
  }
  // A mesh cannot be scaled with the grid: refused at its geometry item.
  const std::string mesh =
      (fs::path(CYTOSTORM_SOURCE_DIR) / "configs" / "meshes" / "liver_lobe.obj").string();
  const std::string meshed = replaced(
      read_file(kProblemDirectory / "box.yaml"), "box: {min: [0 mm, 0 mm, 0 mm], max: [1 mm, 1 mm, 1 mm]}",
      "mesh: {file: " + mesh + ", units: mm, scale: 0.2, translate: [0.5 mm, 0.5 mm, 0.5 mm]}");
  std::ofstream(dir / "box.yaml", std::ios::binary | std::ios::trunc) << meshed;
  try {
    cyto::bench::load_bench_problem("box", dir.string());
    ADD_FAILURE() << "a mesh geometry was accepted";
  } catch (const cyto::InputError& e) {
    EXPECT_EQ(e.where().file, (dir / "box.yaml").string());
    EXPECT_EQ(e.where().line, line_of(meshed, "mesh: {file:") - 1);  // the item, which begins with its tissue
    EXPECT_NE(std::string(e.what()).find("a mesh or a label map cannot be"), std::string::npos) << e.what();
  }
  // A missing file names itself.
  try {
    cyto::bench::load_bench_problem("no_such_problem", dir.string());
    ADD_FAILURE() << "a missing problem file was accepted";
  } catch (const cyto::InputError& e) {
    EXPECT_EQ(e.where().file, (dir / "no_such_problem.yaml").string());
  }
  fs::remove_all(dir);
}

// --problems reads the files from a directory; each case names its file.
TEST(BenchCli, ProblemsFromADirectory) {
  const fs::path dir = temp_dir("problems_dir");
  const fs::path out = dir / "results.json";
  const Result r = run_cli(
      "bench --quick --backend cpu --threads 1 --sizes 16 --species 1 --precision float "
      "--problems " +
      kProblemDirectory.string() + " --output " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto doc = nlohmann::json::parse(std::ifstream(out));
  EXPECT_EQ(doc["options"]["problems"], kProblemDirectory.string());
  const nlohmann::json& cases = doc["backends"][0]["cases"];
  ASSERT_EQ(cases.size(), 4u);  // the box, the organ, and the storm box without and with the model
  EXPECT_EQ(cases[0]["problem"], (kProblemDirectory / "box.yaml").string());
  EXPECT_EQ(cases[1]["problem"], (kProblemDirectory / "organ.yaml").string());
  EXPECT_EQ(cases[3]["problem"], (kProblemDirectory / "storm_box.yaml").string());
  fs::remove_all(dir);
}

#endif  // CYTOSTORM_HAVE_BENCH_SUITE

}  // namespace
