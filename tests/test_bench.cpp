// The benchmark suite (`cytostorm bench`): its JSON in quick CPU mode
// (the storm box's model against its transport included), and the command
// line's exit codes.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "benchmarks/bench_suite.hpp"
#include "host/backends/backend.hpp"
#include "host/core/error.hpp"
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

#endif  // CYTOSTORM_HAVE_BENCH_SUITE

}  // namespace
