// End to end through the cytostorm binary: exit codes, one-line errors with
// their position, and the files a run leaves behind.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "host/backends/backend.hpp"
#include "tests/cli_runner.hpp"
#include "tests/shared_data.hpp"

namespace {

namespace fs = std::filesystem;

using Result = cyto::testing::CliResult;
using cyto::testing::run_cli;

std::string config(const std::string& name) { return std::string(CYTOSTORM_SOURCE_DIR) + "/configs/" + name; }

using cyto::testing::needs_missing_shared_data;

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("cytostorm_cli_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    std::ofstream(p) << text;
    return p.string();
  }

  // A small valid scenario; `extra` is appended (e.g. to add a bad key).
  std::string scenario(const std::string& extra = "",
                       const std::string& time_block = "time: {end: 10 min}\n") {
    return write("s.yaml", R"(name: small
grid: {extent: [200 um, 160 um, 120 um], voxel: 20 um}
tissues:
  - {name: tissue, label: 1}
  - {name: vessel, label: 2}
geometry:
  - tissue: tissue
    sphere: {center: [100 um, 80 um, 60 um], radius: 55 um}
  - tissue: vessel
    box: {min: [80 um, 60 um, 40 um], max: [120 um, 100 um, 80 um]}
species:
  - name: TNF
    diffusion: 1200 um^2/min
    decay: 0.0275 /min
    initial: 10 pg/mL
)" + time_block + "output: {interval: 5 min, directory: " +
                               (dir_ / "out").string() + "}\n" + extra);
  }

  fs::path dir_;
};

void expect_one_line_error(const Result& r, int code, const std::string& pattern) {
  EXPECT_EQ(r.exit_code, code) << r.output;
  EXPECT_TRUE(std::regex_search(r.output, std::regex(pattern)))
      << "pattern: " << pattern << "\noutput: " << r.output;
  EXPECT_EQ(r.output.find("terminate called"), std::string::npos);
}

TEST_F(Cli, ChecksEveryShippedScenario) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(std::string(CYTOSTORM_SOURCE_DIR) + "/configs"))
    if (e.path().extension() == ".yaml") names.push_back(e.path().filename().string());
  EXPECT_GE(names.size(), 3u);
  for (const std::string& name : names) {
    if (needs_missing_shared_data(config(name))) continue;
    const Result r = run_cli("check " + config(name));
    EXPECT_EQ(r.exit_code, 0) << name << "\n" << r.output;
    for (const char* part : {"Grid:", "Tissue voxels:", "Memory estimate:", "GPU memory (gpu backend):",
                             "Stable explicit dt:", "OK:"})
      EXPECT_NE(r.output.find(part), std::string::npos) << name << " lacks " << part;
  }
}

TEST_F(Cli, RunWritesCompleteOutputsAtomically) {
  const Result r = run_cli("run " + scenario() + " --set time.end=20min --threads 2");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const fs::path out = dir_ / "out";
  for (const char* f : {"summary.json", "timeseries.csv", "timeseries.json", "fields.xmf", "geometry.h5",
                        "snapshot_000000.h5", "snapshot_000004.h5"})
    EXPECT_TRUE(fs::exists(out / f)) << f;
  EXPECT_FALSE(fs::exists(out / "snapshot_000005.h5"));  // 0, 5, 10, 15, 20 min
  for (const auto& entry : fs::directory_iterator(out))
    EXPECT_EQ(entry.path().filename().string().find(".tmp."), std::string::npos) << entry.path();
  const auto summary = nlohmann::json::parse(std::ifstream(out / "summary.json"));
  EXPECT_EQ(summary["status"], "finished");
  // auto: the GPU where one answers, else the CPU; the device is recorded.
  EXPECT_EQ(summary["backend"]["name"], cyto::gpu_backend_available() ? "gpu" : "cpu");
  EXPECT_FALSE(summary["backend"]["device"]["name"].get<std::string>().empty());
  EXPECT_GT(summary["backend"]["device"]["compute_units"].get<int>(), 0);
  EXPECT_DOUBLE_EQ(summary["time"]["end_s"].get<double>(), 1200.0);  // the --set override took effect
  EXPECT_GT(summary["performance"]["voxel_species_updates_per_s"].get<double>(), 0);
  EXPECT_EQ(summary["scenario"]["hash"].get<std::string>().size(), 16u);
  // Progress lines are plain lines when stdout is not a terminal.
  EXPECT_EQ(r.output.find('\r'), std::string::npos);
  EXPECT_NE(r.output.find("step "), std::string::npos);
}

// Every shipped scenario also runs (briefly: its first 20 minutes, without
// its doses, which may fall after that and would be refused), writing its
// outputs; the full runs make the figures of README.md and docs/guide/.
TEST_F(Cli, RunsEveryShippedScenarioBriefly) {
  for (const auto& e : fs::directory_iterator(std::string(CYTOSTORM_SOURCE_DIR) + "/configs")) {
    if (e.path().extension() != ".yaml" || needs_missing_shared_data(e.path())) continue;
    const fs::path out = dir_ / e.path().stem();
    const Result r = run_cli(
        "run " + e.path().string() + " --threads 2 --quiet --backend cpu --output " + out.string() +
        " --set time.end=20min --set output.interval=10min --set 'therapies=[]' --set 'infusions=[]'");
    EXPECT_EQ(r.exit_code, 0) << e.path() << "\n" << r.output;
    EXPECT_TRUE(fs::exists(out / "timeseries.json")) << e.path();
  }
}

// The default scenario's organ is generated by the project: the committed
// mesh is exactly what `make-organ` writes, and check reports how well the
// voxels reproduce its volume.
TEST_F(Cli, MakeOrganReproducesTheCommittedMeshAndCheckReportsItsVolume) {
  const std::string out = (dir_ / "lobe.obj").string();
  const Result r = run_cli("make-organ " + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto slurp = [](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  EXPECT_EQ(slurp(out), slurp(config("meshes/liver_lobe.obj")));
  const Result check = run_cli("check " + config("default.yaml"));
  ASSERT_EQ(check.exit_code, 0) << check.output;
  const std::regex line(
      R"(mesh liver_lobe\.obj \(parenchyma\): \d+ voxels [0-9.e-]+ mL inside; mesh encloses [0-9.e-]+ mL \(([-+][0-9.]+)%\))");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(check.output, m, line)) << check.output;
  EXPECT_LT(std::abs(std::stod(m[1].str())), 0.5);  // 30 um voxels on a 4 mm lobe
  expect_one_line_error(run_cli("make-organ " + (dir_ / "lobe.ply").string()), 2,
                        "expected a file name ending in .stl or .obj");
}

TEST_F(Cli, BadMeshFilesAreOneLineErrorsNamingBothFiles) {
  // A binary STL whose triangle count disagrees with its size.
  std::string stl(80, ' ');
  const unsigned char count[4] = {5, 0, 0, 0};
  stl.append(reinterpret_cast<const char*>(count), 4);
  stl.append(50 * 3, '\0');
  write("bad.stl", stl);
  const std::string geometry = "geometry: [{tissue: tissue, mesh: {file: bad.stl, units: mm}}]\n";
  const std::string yaml =
      write("mesh.yaml", "name: m\ngrid: {voxel: 50 um}\ntissues: [{name: tissue, label: 1}]\n" + geometry +
                             "species: [{name: TNF, diffusion: 100}]\ntime: {end: 1 min}\n"
                             "output: {interval: 1 min}\n");
  expect_one_line_error(
      run_cli("check " + yaml), 2,
      R"(mesh\.yaml:4:\d+: geometry\[0\]\.mesh\.file: .*bad\.stl: binary STL declares 5 triangles)");
}

TEST_F(Cli, VoxeliseBenchmarkWritesItsFigures) {
  const std::string json = (dir_ / "voxelise.json").string();
  const Result r = run_cli("bench-voxelise --subdivisions 3 --size 40 --repeats 1 --output " + json);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = nlohmann::json::parse(std::ifstream(json));
  EXPECT_EQ(j["triangles"].get<int>(), 1280);
  EXPECT_LT(std::abs(j["volume_error_relative"].get<double>()), 0.02);
}

// The storm model end to end: populations, a death rule, plasma, an
// infusion and a drug give populations.csv and plasma.csv.
const char* kModel = R"(populations:
  - {name: cells, initial: 1e8 cells/mL}
rules:
  - {name: death, type: death, population: cells, signal: TNF, threshold: 5 pg/mL, rate: 0.1 /min,
     burst: {TNF: 1e-6 pg/cell}}
plasma:
  volume: 3 L
  exchange: [{tissue: tissue, species: TNF, rate: 0.01 /min}]
infusions:
  - {species: TNF, amount: 1 ug, time: 1 min}
therapies:
  - {name: antibody, effect: neutralisation, species: TNF, k_on: 1e-9 mL/pg/min,
     doses: [{time: 2 min, amount: 100 mg}], half_life: 10 d, volume: 5 L}
)";

TEST_F(Cli, StormModelRunWritesPopulationsAndPlasma) {
  const Result r = run_cli("run " + scenario(kModel) + " --threads 2");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const fs::path out = dir_ / "out";
  for (const char* f : {"populations.csv", "plasma.csv", "timeseries.json"})
    EXPECT_TRUE(fs::exists(out / f)) << f;
  const auto series = nlohmann::json::parse(std::ifstream(out / "timeseries.json"));
  const auto& cells = series["populations"]["cells"]["all"]["total_cells"];
  EXPECT_LT(cells.back().get<double>(), cells.front().get<double>());  // cells died
  EXPECT_GT(series["plasma"]["species"]["TNF"].back().get<double>(), 0.0);
  EXPECT_GT(series["drugs"]["antibody"].back().get<double>(), 0.0);
  // The death rule's front scale, against the 20 um voxel, where it is narrowest (the
  // tissue exchanging with plasma): sqrt(1200 um^2/min / (0.0275 + 0.01) /min) = 179 um.
  const auto summary = nlohmann::json::parse(std::ifstream(out / "summary.json"));
  ASSERT_EQ(summary["fronts"].size(), 1u) << summary.dump(2);
  EXPECT_EQ(summary["fronts"][0]["rule"], "death");
  EXPECT_EQ(summary["fronts"][0]["signal_species"], "TNF");
  EXPECT_EQ(summary["fronts"][0]["verdict"], "resolved");
  EXPECT_EQ(summary["fronts"][0]["tissue"], "tissue");
  EXPECT_NEAR(summary["fronts"][0]["front_scale_m"].get<double>(), 178.885e-6, 0.001e-6);
  EXPECT_NE(r.output.find("fronts of death: front scale L = sqrt(D / loss) = 179 um (TNF in tissue"),
            std::string::npos)
      << r.output;
}

TEST_F(Cli, StormModelBadInputsAreOneClearError) {
  struct Case {
    std::string from, to, pattern;
  };
  const std::vector<Case> cases = {
      {"signal: TNF,", "signal: TNG,",
       "s\\.yaml:\\d+:\\d+: rules\\[0\\]\\.signal.*unknown species \"TNG\".*did you mean \"TNF\""},
      {"population: cells,", "population: cels,", "s\\.yaml:\\d+:\\d+: rules\\[0\\]\\.population.*\"cels\""},
      {"threshold: 5 pg/mL", "threshold: 5 cells/mL",
       "s\\.yaml:\\d+:\\d+: rules\\[0\\]\\.threshold: expected a concentration"},
      {"type: death, population: cells, signal: TNF, threshold: 5 pg/mL, rate: 0.1 /min,",
       "type: secretion, population: cells, species: TNF, rate: 1 pg/cell/min,",
       "s\\.yaml:\\d+:\\d+: .*\"burst\" belongs to a death rule"},
      {"time: 2 min, amount", "time: 2 h, amount", "s\\.yaml:\\d+:\\d+: .*after the end of the run"},
  };
  for (const Case& c : cases) {
    std::string text = kModel;
    const std::size_t at = text.find(c.from);
    ASSERT_NE(at, std::string::npos) << c.from;
    text.replace(at, c.from.size(), c.to);
    expect_one_line_error(run_cli("check " + scenario(text)), 2, c.pattern);
  }
  // A Hill power below 1, in a second rule.
  std::string model = kModel;
  const std::size_t rules_end = model.find("plasma:");
  model.insert(rules_end,
               "  - {type: secretion, population: cells, species: TNF, rate: 0 pg/cell/min, max_rate: 1 "
               "pg/cell/min, activators: [{species: TNF, half_max: 1 pg/mL, hill: 0.5}]}\n");
  expect_one_line_error(run_cli("check " + scenario(model)), 2,
                        "s\\.yaml:\\d+:\\d+: .*hill.*Hill power >= 1");
}

TEST_F(Cli, MissingFileIsBadInput) {
  expect_one_line_error(run_cli("check " + (dir_ / "nope.yaml").string()), 2,
                        "nope\\.yaml: cannot open scenario file: No such file");
}

TEST_F(Cli, MalformedYamlNamesLineAndColumn) {
  const std::string path = write("bad.yaml", "name: x\ngrid: {extent: [1 mm, 1 mm\n");
  expect_one_line_error(run_cli("check " + path), 2, "bad\\.yaml:\\d+:\\d+: ");
}

TEST_F(Cli, UnknownKeySuggestsTheKnownOne) {
  expect_one_line_error(run_cli("check " + scenario("outptu: {}\n")), 2,
                        "s\\.yaml:\\d+:1: .*unknown key \"outptu\".*did you mean \"output\"");
}

// Tissue "vessel" (line 5) is a 5 um sphere: it contains no voxel centre of a 20 um grid.
const char* const kEmptyTissueScenario = R"(name: empty
grid: {extent: [200 um, 160 um, 120 um], voxel: 20 um}
tissues:
  - {name: tissue, label: 1}
  - {name: vessel, label: 2}
geometry:
  - tissue: tissue
    sphere: {center: [100 um, 80 um, 60 um], radius: 55 um}
  - tissue: vessel
    sphere: {center: [101 um, 81 um, 61 um], radius: 5 um}
species:
  - {name: TNF, diffusion: 1200 um^2/min}
time: {end: 10 min}
output: {interval: 5 min}
)";

TEST_F(Cli, EmptyTissueIsBadInput) {
  const std::string path = write("empty.yaml", kEmptyTissueScenario);
  expect_one_line_error(run_cli("check " + path), 2,
                        "empty\\.yaml:5:\\d+: .*tissue \"vessel\" has no voxels");
}

TEST_F(Cli, UnstableDtWithoutSubsteppingStatesTheLimit) {
  const Result r = run_cli("check " + scenario("", "time: {end: 10 min, dt: 1 min, substepping: false}\n"));
  expect_one_line_error(
      r, 2, "s\\.yaml:\\d+:\\d+: time\\.dt: dt = 1 min exceeds the explicit diffusion stability limit");
  EXPECT_NE(r.output.find("0.0555556 min"), std::string::npos)
      << r.output;  // (20 um)^2 / (6 * 1200 um^2/min)
}

TEST_F(Cli, SubsteppingSplitsAnUnstableDt) {
  const Result r = run_cli("check " + scenario("", "time: {end: 10 min, dt: 1 min}\n"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("sub-steps per requested dt"), std::string::npos) << r.output;
}

TEST_F(Cli, BadOverrideIsBadInput) {
  expect_one_line_error(run_cli("check " + scenario() + " --set time.end"), 2, "--set");
  expect_one_line_error(run_cli("check " + scenario() + " --set time.end=-3min"), 2, "--set.*time\\.end");
}

TEST_F(Cli, GpuWithoutGpuIsBadInputWithTheReason) {
  expect_one_line_error(run_cli("run " + scenario() + " --backend gpu"), 2, "GPU backend is not available");
}

TEST_F(Cli, UnknownOptionIsBadInput) {
  expect_one_line_error(run_cli("run " + scenario() + " --frobnicate"), 2, "frobnicate");
  expect_one_line_error(run_cli("launch"), 2, "error");
  const std::string launch = run_cli("launch").output;
  EXPECT_EQ(std::count(launch.begin(), launch.end(), '\n'), 1) << launch;
}

TEST_F(Cli, UnwritableOutputDirectoryIsARuntimeFailure) {
  write("blocker", "a file where the output directory should be");
  const Result r = run_cli("run " + scenario() + " --output " + (dir_ / "blocker" / "out").string());
  expect_one_line_error(r, 1, "blocker");
}

TEST_F(Cli, ImpossibleRunsAreRefusedBeforeAllocating) {
  // Too many steps (a huge diffusivity), too many outputs, too many voxels, too much memory.
  expect_one_line_error(run_cli("check " + scenario() + " --set 'species.0.diffusion=1e22 um^2/min'"), 2,
                        "time: the run would take .* steps .* more than the 1e\\+12 allowed");
  expect_one_line_error(
      run_cli("check " + scenario() + " --set time.end=1000h --set 'output.interval=0.001 s'"), 2,
      "output: the run would write .* outputs");
  expect_one_line_error(run_cli("check " + scenario() + " --set 'grid.voxel=[0.1 nm, 20 um, 20 um]'"), 2,
                        "grid: expected at most 1048576 voxels along x");
  expect_one_line_error(
      run_cli("check " + scenario() +
              " --set 'grid.extent=[200 um, 160 um, 10 m]' --set 'grid.voxel=[1 um, 1 um, 20 um]'"),
      2, "grid: a grid of 200 x 160 x 500000 voxels .* needs about .* more than the .* of memory");
  expect_one_line_error(run_cli("check " + scenario() + " --set 'time.end=1e308 d'"), 2,
                        "out of range once converted");
}

TEST_F(Cli, HugeRequestedDtIsSubSteppedStably) {
  const Result r = run_cli("check " + scenario("", "time: {end: 10 min, dt: 1e8 h}\n"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  // (20 um)^2 / (6 * 1200 um^2/min) = 3.333 s; 0.9 of it per step, not an overflowed count.
  // The sub-step comes out a hair under 3 s, so each 5 min takes 101 steps of 2.9703 s: the
  // steps taken, as reported.
  EXPECT_NE(r.output.find("Time step used: 2.9703 s, under the 3 s cap"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("202 steps to t = 10 min"), std::string::npos) << r.output;
}

// The steps between two outputs are equal and end on the output time, so
// they are often shorter than the planned dt: what is reported is what is
// taken. 5 min / 1.9 s -> 158 steps of 1.89873 s; the last 2 min -> 64 of 1.875 s.
TEST_F(Cli, TheStepsReportedAreTheStepsTaken) {
  const std::string file = scenario("", "time: {end: 12 min, dt: 1.9 s}\n");
  const Result check = run_cli("check " + file);
  ASSERT_EQ(check.exit_code, 0) << check.output;
  EXPECT_NE(check.output.find("Time step used: 1.875 to 1.89873 s (median 1.89873 s), under the 1.9 s cap"),
            std::string::npos)
      << check.output;
  EXPECT_NE(check.output.find("380 steps to t = 12 min"), std::string::npos) << check.output;
  const Result r = run_cli("run " + file + " --threads 2");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("dt 1.875 to 1.89873 s (median 1.89873 s), under the 1.9 s cap"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("steps taken by this run: 380, dt min 1.875 s, median 1.89873 s, max 1.89873 s"),
            std::string::npos)
      << r.output;
  const auto summary = nlohmann::json::parse(std::ifstream(dir_ / "out" / "summary.json"));
  const auto& time = summary["time"];
  EXPECT_DOUBLE_EQ(time["dt_s"].get<double>(), 300.0 / 158);
  EXPECT_DOUBLE_EQ(time["dt_cap_s"].get<double>(), 1.9);
  EXPECT_EQ(time["steps_taken"]["count"].get<int>(), 380);
  EXPECT_EQ(time["steps"].get<int>(), 380);
  EXPECT_DOUBLE_EQ(time["steps_taken"]["min_dt_s"].get<double>(), 120.0 / 64);
  EXPECT_DOUBLE_EQ(time["steps_taken"]["median_dt_s"].get<double>(), 300.0 / 158);
  EXPECT_DOUBLE_EQ(time["steps_taken"]["max_dt_s"].get<double>(), 300.0 / 158);
}

// dt: auto on a scenario whose reactions, plasma and drug set the step
// (voxels of 40 um, D = 1 um^2/min: a stable step of 4 h): the key outputs
// against fixed steps of 0.25 s, and the same values at the common output
// times whatever the output interval.
TEST_F(Cli, ErrorControlledStepsMeetTheToleranceWhateverTheOutputInterval) {
  const std::string file = scenario(kModel, "time: {end: 3 h}\n");
  const std::string small = " --set grid.voxel='40 um' --set species.0.diffusion='1 um^2/min' --threads 1";
  const auto series = [&](const std::string& name, const std::string& options) {
    const Result r = run_cli("run " + file + small + " --output " + (dir_ / name).string() + options);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return nlohmann::json::parse(std::ifstream(dir_ / name / "timeseries.json"));
  };
  const auto reference = series("fixed", " --set time.dt='0.25 s' --set output.interval='30 min'");
  const auto adaptive = series("auto", " --set time.tolerance=1e-2 --set output.interval='30 min'");
  const auto finer_outputs = series("auto10", " --set time.tolerance=1e-2 --set output.interval='10 min'");
  const auto summary = nlohmann::json::parse(std::ifstream(dir_ / "auto" / "summary.json"));
  EXPECT_TRUE(summary["time"]["adaptive"].get<bool>());
  EXPECT_LE(summary["time"]["error_control"]["largest_estimate"].get<double>(), 1e-2);
  EXPECT_LT(summary["time"]["steps"].get<int>(), 1000);  // against 43200 fixed steps
  const auto compare = [](const nlohmann::json& a, const nlohmann::json& b, int stride_b) {
    double worst = 0;
    const auto& pa = a["plasma"]["species"]["TNF"];
    const auto& pb = b["plasma"]["species"]["TNF"];
    const auto& ca = a["populations"]["cells"]["all"]["total_cells"];
    const auto& cb = b["populations"]["cells"]["all"]["total_cells"];
    for (std::size_t i = 0; i < pa.size(); ++i) {
      const std::size_t j = i * std::size_t(stride_b);
      const double p = pa[i].get<double>(), q = pb[j].get<double>();
      if (std::max(p, q) > 0) worst = std::max(worst, std::abs(p - q) / std::max(p, q));
      worst = std::max(worst, std::abs(ca[i].get<double>() - cb[j].get<double>()) / ca[0].get<double>());
    }
    return worst;
  };
  const double against_fixed = compare(reference, adaptive, 1);
  const double across_intervals = compare(adaptive, finer_outputs, 3);
  std::printf(
      "tolerance 1e-2: largest difference %.3g against fixed 0.25 s steps, %.3g between 30 and 10 min "
      "outputs\n",
      against_fixed, across_intervals);
  EXPECT_LT(against_fixed, 1e-2);
  EXPECT_LT(across_intervals, 1e-2);
}

TEST_F(Cli, RegionsThatMissEveryTissueVoxelAreBadInput) {
  const std::string tiny_source =
      "sources:\n  - species: TNF\n    rate: 1 pg/mL/min\n    sphere: {center: [101 um, 81 um, 61 um], "
      "radius: 5 um}\n";
  expect_one_line_error(run_cli("check " + scenario(tiny_source)), 2,
                        "s\\.yaml:\\d+:\\d+: sources\\[0\\]: this source covers no tissue voxel");
  expect_one_line_error(run_cli("check " + scenario() +
                                " --set 'species.0.initial=[{value: 3 pg/mL, sphere: {center: [5 um, 5 um, 5 "
                                "um], radius: 4 um}}]'"),
                        2, "species\\[0\\]\\.initial\\[0\\]: this initial value covers no tissue voxel");
}

TEST_F(Cli, OverflowStopsTheRunNamingSpeciesAndVoxel) {
  // A value turned NaN mid-run (CYTOSTORM_FAULT_NAN_AFTER_STEP: no valid
  // scenario blows up by itself, and stiff uptake, the cause used before,
  // now takes the exponential step): exit 1 and a message that says where,
  // never a "finished" run full of NaN. (Values that overflow by
  // themselves, such as a source of 1e306 pg/mL/s, are refused before the
  // run: CheckRefusesEverythingRunRefuses.)
  const cyto::testing::ScopedEnvironment fault("CYTOSTORM_FAULT_NAN_AFTER_STEP", "5");
  const std::string stiff_uptake =
      "precision: double\npopulations: [{name: cells, initial: 1e8 cells/mL}]\n"
      "rules:\n  - {type: uptake, population: cells, species: TNF, clearance: 1e10 mL/cell/s}\n";
  const Result r =
      run_cli("run " + scenario(stiff_uptake) + " --set time.end=60min --set output.interval=30min");
  expect_one_line_error(
      r, 1,
      "blow-up: TNF is -?(inf|nan) \\((NaN|infinite)\\) at step \\d+ \\(t = .*\\) in voxel "
      "\\(\\d+, \\d+, \\d+\\), position .* tissue \"(tissue|vessel)\"; neighbours -x .*, \\+z .*; "
      "the fields are in .*diagnostic_step_\\d{12}\\.h5");
  const auto summary = nlohmann::json::parse(std::ifstream(dir_ / "out" / "summary.json"));
  EXPECT_EQ(summary["status"], "failed");  // never "finished"
  EXPECT_EQ(summary["error"].get<std::string>().rfind("blow-up: TNF", 0), 0u);
  bool diagnostic = false;
  for (const auto& entry : fs::directory_iterator(dir_ / "out"))
    diagnostic |= entry.path().filename().string().rfind("diagnostic_step_", 0) == 0;
  EXPECT_TRUE(diagnostic);
}

TEST_F(Cli, AMalformedFaultInjectionIsRefused) {
  for (const char* bad : {"abc", "0", "-3", "12x", "99999999999999999999999"}) {
    const cyto::testing::ScopedEnvironment fault("CYTOSTORM_FAULT_NAN_AFTER_STEP", bad);
    expect_one_line_error(run_cli("run " + scenario() + " --quiet"), 2,
                          "CYTOSTORM_FAULT_NAN_AFTER_STEP: expected a step number of at least 1, found \"" +
                              std::string(bad) + "\"");
  }
}

TEST_F(Cli, RerunReplacesEarlierOutputsAndAKilledRunIsNotFinishedAndReportedKilled) {
  ASSERT_EQ(run_cli("run " + scenario() + " --quiet").exit_code, 0);
  const fs::path out = dir_ / "out";
  std::ofstream(out / "snapshot_000099.h5") << "stale";
  std::ofstream(out / "notes.txt") << "the user's own file";
  // A long run killed (SIGKILL, as a batch system does) after a moment: its
  // summary must not claim it finished.
  const std::string slow = scenario("", "time: {end: 100000 h}\n");
  std::system(("timeout -s KILL 2 " + std::string(CYTOSTORM_BINARY) + " run " + slow +
               " --quiet --set output.interval=10000h > /dev/null 2>&1")
                  .c_str());
  EXPECT_FALSE(fs::exists(out / "snapshot_000099.h5"));  // an earlier run's file, removed
  EXPECT_TRUE(fs::exists(out / "notes.txt"));            // not ours: kept
  const auto summary = nlohmann::json::parse(std::ifstream(out / "summary.json"));
  EXPECT_EQ(summary["status"], "running");
  // `check` and the next run tell it from a live run: its process is gone and
  // nobody holds the directory.
  const std::string killed = "holds a run that was killed \\(pid " + summary["process"]["pid"].dump() +
                             " on host [^)]+\\): summary.json still says \"running\" but no process holds "
                             "the directory; a run from t = 0 moves its outputs to previous";
  const Result check = run_cli("check " + slow + " --set output.interval=10000h");
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_TRUE(std::regex_search(check.output, std::regex("Output directory: .*/out " + killed)))
      << check.output;
  const Result rerun = run_cli("run " + scenario());
  EXPECT_EQ(rerun.exit_code, 0) << rerun.output;
  EXPECT_TRUE(std::regex_search(
      rerun.output,
      std::regex("note: the earlier run in .*/out was killed \\(pid " + summary["process"]["pid"].dump())))
      << rerun.output;
  const Result after = run_cli("check " + scenario());
  EXPECT_NE(after.output.find("/out holds a run that ended (summary.json: status \"finished\")"),
            std::string::npos)
      << after.output;
}

// One validation pass for check and run: every bad input that `run` refuses
// (exit 2), `check` refuses alike, with the same one-line message. The
// options that change the verdict (--backend, --precision, --decomposition)
// are given to both. What only a run meets (a checkpoint to restart from,
// --walltime, --output, an output directory holding an earlier run's
// checkpoints) is not check's, and is covered by the Batch tests.
TEST_F(Cli, CheckRefusesEverythingRunRefuses) {
  struct Case {
    std::string file;  // the scenario file; empty: the small scenario with `extra` and `time_block`
    std::string extra, time_block, options, pattern;
  };
  const std::string time = "time: {end: 10 min}\n";
  const auto storm = [](const std::string& from, const std::string& to) {
    std::string text = kModel;
    const std::size_t at = text.find(from);
    if (at != std::string::npos) text.replace(at, from.size(), to);
    return text;
  };
  // One population secreting TNF by `rule` (a secretion rule's rates and factors).
  const auto secreting = [](const std::string& rule) {
    return "populations: [{name: cells, initial: 1e8 cells/mL}]\nrules:\n  - {type: secretion, population: "
           "cells, species: TNF, " +
           rule + "}\n";
  };
  // A binary STL whose triangle count disagrees with its size, placed by a scenario.
  std::string stl(80, ' ');
  const unsigned char count[4] = {5, 0, 0, 0};
  stl.append(reinterpret_cast<const char*>(count), 4);
  stl.append(50 * 3, '\0');
  write("bad.stl", stl);
  const std::string mesh =
      write("mesh.yaml",
            "name: m\ngrid: {voxel: 50 um}\ntissues: [{name: tissue, label: 1}]\n"
            "geometry: [{tissue: tissue, mesh: {file: bad.stl, units: mm}}]\n"
            "species: [{name: TNF, diffusion: 100}]\ntime: {end: 1 min}\noutput: {interval: 1 min}\n");
  const std::string empty = write("empty.yaml", kEmptyTissueScenario);
  const std::string malformed = write("bad.yaml", "name: x\ngrid: {extent: [1 mm, 1 mm\n");
  // Stochastic death tracks at most 262144 cells a voxel: 1e14 cells/mL is 8e5 in a (20 um)^3 voxel.
  std::string crowded = storm("rate: 0.1 /min,", "rate: 0.1 /min, mode: stochastic,");
  crowded.replace(crowded.find("1e8 cells/mL"), 12, "1e14 cells/mL");
  // Five species with their budget amounts: 20 fields.
  std::string five_species = "species:\n";
  for (const char* name : {"A", "B", "C", "D", "E"})
    five_species += fmt::format("  - {{name: {}, diffusion: 1200 um^2/min, initial: 1 pg/mL}}\n", name);
  const std::string budget =
      write("budget.yaml",
            "name: budget\ngrid: {extent: [200 um, 160 um, 120 um], voxel: 20 um}\n"
            "tissues: [{name: tissue, label: 1}]\n"
            "geometry: [{tissue: tissue, sphere: {center: [100 um, 80 um, 60 um], radius: 55 um}}]\n" +
                five_species + "time: {end: 10 min}\noutput: {interval: 5 min, budget: true, directory: " +
                (dir_ / "out").string() + "}\n");
  std::vector<Case> cases = {
      // Reading the scenario.
      {(dir_ / "nope.yaml").string(), "", "", "", "nope\\.yaml: cannot open scenario file: No such file"},
      {malformed, "", "", "", "bad\\.yaml:\\d+:\\d+: "},
      {"", "outptu: {}\n", time, "", "s\\.yaml:\\d+:1: .*unknown key \"outptu\".*did you mean \"output\""},
      {"", storm("signal: TNF,", "signal: TNG,"), time, "",
       "s\\.yaml:\\d+:\\d+: rules\\[0\\]\\.signal.*unknown species \"TNG\".*did you mean \"TNF\""},
      {"", storm("population: cells,", "population: cels,"), time, "",
       "s\\.yaml:\\d+:\\d+: rules\\[0\\]\\.population.*\"cels\""},
      {"", storm("threshold: 5 pg/mL", "threshold: 5 cells/mL"), time, "",
       "s\\.yaml:\\d+:\\d+: rules\\[0\\]\\.threshold: expected a concentration"},
      {"",
       storm("type: death, population: cells, signal: TNF, threshold: 5 pg/mL, rate: 0.1 /min,",
             "type: secretion, population: cells, species: TNF, rate: 1 pg/cell/min,"),
       time, "", "s\\.yaml:\\d+:\\d+: .*\"burst\" belongs to a death rule"},
      {"", storm("time: 2 min, amount", "time: 2 h, amount"), time, "",
       "s\\.yaml:\\d+:\\d+: .*after the end of the run"},
      {"", "", time, "--set time.end", "--set"},
      {"", "", time, "--set time.end=-3min", "--set.*time\\.end"},
      {"", "", time, "--set 'time.end=1e308 d'", "out of range once converted"},
      {mesh, "", "", "",
       R"(mesh\.yaml:4:\d+: geometry\[0\]\.mesh\.file: .*bad\.stl: binary STL declares 5 triangles)"},
      // The grid, memory, precision and time plan.
      {"", "", time, "--set 'grid.voxel=[0.1 nm, 20 um, 20 um]'",
       "grid: expected at most 1048576 voxels along x"},
      {"", "", time, "--set 'grid.extent=[200 um, 160 um, 10 m]' --set 'grid.voxel=[1 um, 1 um, 20 um]'",
       "grid: a grid of 200 x 160 x 500000 voxels .* needs about .* more than the .* of memory"},
      {"", "precision: double\n", time, "--precision float --set 'species.0.initial=1e31 pg/mL'",
       "initial value 1e\\+31 is too large for float precision"},
      // Ranges against the precision: values, per-step products, Hill powers (precision_range.hpp).
      {"", "precision: double\nsources:\n  - {species: TNF, rate: 1e306 pg/mL/s}\n", time, "",
       "s\\.yaml:\\d+:\\d+: sources\\[0\\]: source rate \\(pg/mL/s\\) 1e\\+306 is too large for double "
       "precision"},
      {"", "precision: double\n" + secreting("rate: 1e308 pg/cell/min"), time, "",
       "s\\.yaml:\\d+:\\d+: rules\\[0\\]: rate 1\\.67e\\+306 is too large for double precision"},
      {"", "precision: double\n" + secreting("rate: 1e295 pg/cell/min"), time, "",
       "s\\.yaml:\\d+:\\d+: rules\\[0\\]: secretion rate x largest density x dt = .* per step overflows "
       "double precision"},
      {"",
       secreting("rate: 1e-3 pg/cell/min, max_rate: 1 pg/cell/min, activators: {species: TNF, half_max: 10 "
                 "pg/mL, hill: 256}"),
       time, "", "s\\.yaml:\\d+:\\d+: rules\\[0\\]: activators\\[0\\]\\.hill 256 overflows float precision"},
      {"",
       "precision: double\n" + secreting("rate: 1 pg/cell/min, inhibitors: "
                                         "{species: TNF, half_max: 10 pg/mL, hill: 40}"),
       time, "", "rules\\[0\\]: inhibitors\\[0\\]\\.hill 40 overflows double precision"},
      {"", "populations: [{name: cells, seeding: {density: 1e24 cells/mL}}]\n", time, "",
       "s\\.yaml:\\d+:\\d+: .*seeding density 1e\\+24 cells/mL is 8e\\+15 cells in a voxel, more than"},
      {"", "", "time: {end: 10 min, dt: 1 min, substepping: false}\n", "",
       "s\\.yaml:\\d+:\\d+: time\\.dt: dt = 1 min exceeds the explicit diffusion stability limit"},
      {"", "", time, "--set 'species.0.diffusion=1e22 um^2/min'",
       "time: the run would take .* steps .* more than the 1e\\+12 allowed"},
      {"", "", time, "--set time.end=1000h --set 'output.interval=0.001 s'",
       "output: the run would write .* outputs"},
      // The tissues and the regions on them.
      {empty, "", "", "", "empty\\.yaml:5:\\d+: .*tissue \"vessel\" has no voxels"},
      {"",
       "sources:\n  - species: TNF\n    rate: 1 pg/mL/min\n    sphere: {center: [101 um, 81 um, 61 um], "
       "radius: 5 um}\n",
       time, "", "s\\.yaml:\\d+:\\d+: sources\\[0\\]: this source covers no tissue voxel"},
      {"", "", time,
       "--set 'species.0.initial=[{value: 3 pg/mL, sphere: {center: [5 um, 5 um, 5 um], radius: 4 um}}]'",
       "species\\[0\\]\\.initial\\[0\\]: this initial value covers no tissue voxel"},
      {"", crowded, time, "",
       "s\\.yaml:\\d+:\\d+: rules\\[0\\]: stochastic death of \"cells\" would track up to 8e\\+05 cells in a "
       "voxel, more than the 262144 allowed"},
      // The run's options: backend, decomposition.
      {"", "", time, "--backend tpu", "--backend: tpu not in"},
      {"", "", time, "--precision half", "--precision: half not in"},
      {"", "", time, "--decomposition 2x2", "--decomposition: \"2x2\" is not a decomposition"},
      {"", "", time, "--set 'geometry.1.box.max=[200 um, 100 um, 80 um]' --decomposition 2x1x1",
       "--decomposition: decomposition 2x1x1 has 2 blocks holding tissue .* but 1 rank run"},
      {"", "", time, "--decomposition 1x1x9",
       "--decomposition: decomposition 1x1x9 does not divide the grid"},
  };
  if (!cyto::gpu_backend_available())
    cases.push_back({"", "", time, "--backend gpu", "--backend: the GPU backend is not available"});
  else  // more fields than the GPU's kernels are compiled for
    cases.push_back({budget, "", "", "--backend gpu", "the GPU backend runs 1 to 16 fields, not 20"});
  for (const Case& c : cases) {
    const std::string file = c.file.empty() ? scenario(c.extra, c.time_block) : c.file;
    const Result checked = run_cli("check " + file + " " + c.options);
    const Result ran = run_cli("run " + file + " --quiet " + c.options);
    SCOPED_TRACE(file + " " + c.options);
    expect_one_line_error(checked, 2, c.pattern);
    expect_one_line_error(ran, 2, c.pattern);
    EXPECT_EQ(std::count(checked.output.begin(), checked.output.end(), '\n'), 1) << checked.output;
    EXPECT_EQ(checked.output, ran.output);
    // At most about 300 characters besides the test's own directory paths.
    std::string without_paths = checked.output;
    for (std::size_t at; (at = without_paths.find(dir_.string())) != std::string::npos;)
      without_paths.erase(at, dir_.string().size());
    EXPECT_LE(without_paths.size(), 300u) << checked.output;
  }
}

TEST_F(Cli, EmptyOutputOptionIsBadInput) {
  expect_one_line_error(run_cli("run " + scenario() + " --output ''"), 2, "--output: expected a directory");
}

// An option's value that looks like an option is a forgotten value: refused
// for every subcommand, and nothing is created under the option's name.
TEST_F(Cli, OptionValuesThatLookLikeOptionsAreRefused) {
  const std::string yaml = scenario();
  const std::vector<std::string> cases = {"run " + yaml + " --output --quiet",
                                          "run " + yaml + " --restart --quiet",
                                          "run " + yaml + " --walltime --quiet",
                                          "run " + yaml + " --allow-changes --quiet",
                                          "check " + yaml + " --set --backend",
                                          "check " + yaml + " --decomposition -x",
                                          "bench --output --quick",
                                          "bench-voxelise --mesh --size",
                                          "bench-checkpoint --directory --size",
                                          "run " + yaml + " --output=--quiet --quiet"};
  for (const std::string& args : cases) {
    SCOPED_TRACE(args);
    expect_one_line_error(run_cli(args), 2,
                          R"(error: [a-z-]+ --?[a-z-]+: expected a value, found the option "-)");
  }
  EXPECT_FALSE(fs::exists("--quiet"));
  EXPECT_FALSE(fs::exists(dir_ / "out"));  // nothing ran
  // A negative number is a value.
  expect_one_line_error(run_cli("run " + yaml + " --walltime -5"), 2, "--walltime");
}

// A 10 MB value gives a line of about 300 characters that still names the
// file, line:col and key, and the value's size.
TEST_F(Cli, HugeValueGivesOneShortLine) {
  std::ifstream in(scenario());
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string diffusion = "diffusion: 1200 um^2/min";
  text.replace(text.find(diffusion), diffusion.size(),
               "diffusion: \"" + std::string(10u << 20, '7') + " um\"");
  const Result r = run_cli("check " + write("huge.yaml", text));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_LE(r.output.size(), 340u) << r.output.substr(0, 400);
  EXPECT_TRUE(std::regex_search(
      r.output, std::regex(R"(huge\.yaml:13:\d+: species\[0\]\.diffusion: .*\(10485763 characters\))")))
      << r.output.substr(0, 400);
}

}  // namespace
