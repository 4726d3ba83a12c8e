// Batch-job behaviour of the cytostorm binary, as a batch system exercises
// it: stop and restart bitwise, signals, --walltime, kill -9 while a
// checkpoint is written, damaged checkpoints, a full disk, changed
// scenarios and the blow-up guard. Each test runs the real binary.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "host/core/atomic_file.hpp"
#include "host/io/checkpoint.hpp"
#include "tests/cli_runner.hpp"

namespace cyto {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string config(const std::string& name) { return std::string(CYTOSTORM_SOURCE_DIR) + "/configs/" + name; }

// therapy_timing.yaml cut to 30 h (the first dose at 24 h is inside): a
// storm with stochastic pyroptosis, plasma, infusions and a drug; 1342 steps.
// Tolerance 1e-2: these tests are about stopping and restarting (bitwise, with
// the error-controlled steps), not about accuracy; at the default 1e-3 the
// storm takes four times the steps.
const std::string kStorm =
    config("therapy_timing.yaml") + " --set time.end=30h --set output.budget=true --set time.tolerance=1e-2";
// The default scenario cut short: about two seconds of stepping.
const std::string kOrgan = config("default.yaml") + " --set time.end=4h --set output.interval=30min";

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

class Batch : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           fmt::format("cytostorm_batch_{}_{}",
                       ::testing::UnitTest::GetInstance()->current_test_info()->name(), ::getpid());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  testing::CliResult run(const std::string& args) { return testing::run_cli(args); }
  std::string out(const std::string& name) const { return (dir_ / name).string(); }

  // Starts the binary with `args` (split on spaces), its output to `log`;
  // optionally with a file-size limit. Returns the pid.
  pid_t spawn(const std::string& args, const std::string& log, rlim_t file_size_limit = RLIM_INFINITY) {
    std::vector<std::string> words{CYTOSTORM_BINARY};
    std::istringstream split(args);
    for (std::string w; split >> w;) words.push_back(w);
    const pid_t pid = fork();
    if (pid == 0) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      if (file_size_limit != RLIM_INFINITY) {
        const rlimit limit{file_size_limit, file_size_limit};
        setrlimit(RLIMIT_FSIZE, &limit);
        signal(SIGXFSZ, SIG_IGN);  // a write past the limit fails with EFBIG, as on a full disk
      }
      std::vector<char*> argv;
      for (std::string& w : words) argv.push_back(w.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    return pid;
  }

  static int wait_exit(pid_t pid) {
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  fs::path dir_;
};

// Every output file of a run, byte for byte: time series, plasma and
// population tables, the XDMF index and every snapshot.
void expect_same_outputs(const fs::path& a, const fs::path& b) {
  int compared = 0;
  for (const auto& entry : fs::directory_iterator(a)) {
    const std::string name = entry.path().filename().string();
    if (name == "summary.json" || name.rfind("checkpoint_", 0) == 0) continue;
    ASSERT_TRUE(fs::exists(b / name)) << name;
    EXPECT_TRUE(slurp(entry.path()) == slurp(b / name)) << name << " differs";
    ++compared;
  }
  EXPECT_GE(compared, 4);
}

nlohmann::json summary(const fs::path& dir) {
  return nlohmann::json::parse(std::ifstream(dir / "summary.json"));
}

// N steps, a restart, M steps: the same bytes as N + M steps, stopped
// inside an output interval, with stochastic death, plasma and a drug.
TEST_F(Batch, StopAndRestartIsBitwiseTheUninterruptedRun) {
  for (const std::string precision : {"float", "double"}) {
    const std::string common = kStorm + " --quiet --precision " + precision + " --output ";
    ASSERT_EQ(run("run " + common + out("whole")).exit_code, 0);
    const testing::CliResult first = run("run " + common + out("parts") + " --stop-at-step 250");
    ASSERT_EQ(first.exit_code, kExitStopped) << first.output;
    EXPECT_NE(first.output.find("checkpoint_000000000250.h5"), std::string::npos) << first.output;
    EXPECT_EQ(summary(out("parts"))["status"], "stopped");
    // A second stop in the next part, then the rest.
    ASSERT_EQ(run("run " + common + out("parts") + " --restart latest --stop-at-step 777").exit_code,
              kExitStopped);
    const testing::CliResult last = run("run " + common + out("parts") + " --restart latest");
    ASSERT_EQ(last.exit_code, 0) << last.output;
    EXPECT_NE(last.output.find("restarting from " + out("parts") + "/checkpoint_000000000777.h5 (step 777"),
              std::string::npos)
        << last.output;
    expect_same_outputs(out("whole"), out("parts"));
    EXPECT_EQ(summary(out("parts"))["time"]["steps"], 1342);
    fs::remove_all(out("whole"));
    fs::remove_all(out("parts"));
  }
}

// SIGTERM, SIGUSR1 (SLURM's --signal) and SIGINT: the step finishes, a
// checkpoint is written, exit 3; the restart reproduces the uninterrupted run.
TEST_F(Batch, SignalsStopWithACheckpointAndTheRestartIsBitwise) {
  // The default scenario, 8 h: several seconds of stepping.
  const std::string organ = config("default.yaml") + " --quiet --output ";
  ASSERT_EQ(run("run " + organ + out("whole")).exit_code, 0);
  const double stepping_s = summary(out("whole"))["performance"]["stepping_s"];
  for (const int signal : {SIGTERM, SIGUSR1, SIGINT}) {
    const std::string dir = out(fmt::format("signal{}", signal));
    const pid_t pid = spawn("run " + organ + dir, out("log"));
    // Into the stepping: the first time-series row is written before the first step.
    const auto start = Clock::now();
    while (!fs::exists(fs::path(dir) / "timeseries.csv") && Clock::now() - start < std::chrono::seconds(30))
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::this_thread::sleep_for(std::chrono::duration<double>(0.2 * stepping_s));
    kill(pid, signal);
    const int code = wait_exit(pid);
    const std::string log = slurp(out("log"));
    ASSERT_EQ(code, kExitStopped) << log;
    EXPECT_NE(log.find(fmt::format("{} received", signal == SIGTERM   ? "SIGTERM"
                                                  : signal == SIGUSR1 ? "SIGUSR1"
                                                                      : "SIGINT")),
              std::string::npos)
        << log;
    ASSERT_EQ(list_checkpoints(dir).size(), 1u) << log;
    EXPECT_GT(list_checkpoints(dir)[0].step, 0);
    const testing::CliResult rest = run("run " + organ + dir + " --restart latest");
    ASSERT_EQ(rest.exit_code, 0) << rest.output;
    expect_same_outputs(out("whole"), dir);
  }
}

// kill -9 at random moments while checkpoints are being written (one per
// step): the newest checkpoint left is always complete and valid, and the
// run restarted from it ends exactly where the uninterrupted run does.
TEST_F(Batch, KillNineWhileWritingCheckpointsLeavesTheNewestValid) {
  // A 48^3 float box with 4 fields: checkpoints of 1.8 MB, one per step, so
  // most of the run is spent writing them.
  const std::string box = out("box.yaml");
  std::ofstream(box) << R"(name: kill-test
grid: {extent: [960 um, 960 um, 960 um], voxel: 20 um}
tissues: [{name: tissue, label: 1}]
geometry: [{tissue: tissue, box: {min: [0 um, 0 um, 0 um], max: [960 um, 960 um, 960 um]}}]
species:
  - {name: A, diffusion: 1200 um^2/min, decay: 0.05 /min, initial: 10 pg/mL}
  - {name: B, diffusion: 600 um^2/min, decay: 0.01 /min, initial: 1 pg/mL}
  - {name: C, diffusion: 300 um^2/min, decay: 0.02 /min, initial: 2 pg/mL}
  - {name: D, diffusion: 100 um^2/min, decay: 0.03 /min, initial: 3 pg/mL}
sources: [{species: A, rate: 1 pg/mL/s, sphere: {center: [480 um, 480 um, 480 um], radius: 200 um}}]
time: {end: 10 min}
output: {interval: 5 min, snapshots: false}
checkpoint: {steps: 1, keep: 2}
)";
  ASSERT_EQ(run("run " + box + " --quiet --output " + out("whole")).exit_code, 0);
  const std::string reference = slurp(out("whole") + "/timeseries.csv");
  std::mt19937 random(2026);
  int trials = 0, mid_write = 0, restarted = 0, no_checkpoint_yet = 0;
  while (mid_write < 20 && trials < 80) {
    ++trials;
    const std::string dir = out("killed");
    fs::remove_all(dir);
    const pid_t pid = spawn("run " + box + " --quiet --output " + dir, out("log"));
    // Wait until 0-3 checkpoints are complete and the next one's temporary
    // appears, then kill within 0-3 ms.
    const std::int64_t complete = std::uniform_int_distribution<int>(0, 3)(random);
    const auto start = Clock::now();
    bool writing = false;
    while (!writing && Clock::now() - start < std::chrono::seconds(20)) {
      std::error_code ec;
      const std::vector<cyto::CheckpointFile> done = list_checkpoints(dir);
      if (complete == 0 || (!done.empty() && done.front().step >= complete))
        for (const auto& entry : fs::directory_iterator(dir, ec))
          writing |= entry.path().filename().string().find(".h5.tmp.") != std::string::npos;
      if (!writing) std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    std::this_thread::sleep_for(
        std::chrono::microseconds(std::uniform_int_distribution<int>(0, 3000)(random)));
    kill(pid, SIGKILL);
    wait_exit(pid);
    bool temporary_left = false;
    for (const auto& entry : fs::directory_iterator(dir))
      temporary_left |= entry.path().filename().string().find(".h5.tmp.") != std::string::npos;
    mid_write += temporary_left;
    const std::vector<cyto::CheckpointFile> left = list_checkpoints(dir);
    if (left.empty()) {
      ++no_checkpoint_yet;
      continue;
    }
    // The newest is complete: every checksum verifies.
    EXPECT_NO_THROW(read_checkpoint<float>(left.front().path)) << "trial " << trials;
    const testing::CliResult rest =
        run("run " + box + " --quiet --output " + dir + " --restart latest --set checkpoint.steps=1000");
    ASSERT_EQ(rest.exit_code, 0) << rest.output;
    EXPECT_EQ(rest.output.find("warning"), std::string::npos) << rest.output;  // the newest was used
    EXPECT_TRUE(slurp(dir + "/timeseries.csv") == reference) << "trial " << trials;
    ++restarted;
  }
  std::printf(
      "[ info     ] kill -9: %d trials, %d killed mid-write (temporary left), %d restarted bitwise, %d "
      "before the first checkpoint\n",
      trials, mid_write, restarted, no_checkpoint_yet);
  EXPECT_GE(mid_write, 20);
  EXPECT_GE(restarted, 10);
}

// A damaged checkpoint is refused naming the file and the dataset; with
// --restart latest an older good one is used instead, with a warning.
TEST_F(Batch, DamagedCheckpointsAreRefusedAndLatestFallsBack) {
  const std::string dir = out("run");
  const std::string args = kStorm + " --quiet --output " + dir;
  ASSERT_EQ(run("run " + args + " --stop-at-step 100").exit_code, kExitStopped);
  ASSERT_EQ(run("run " + args + " --restart latest --stop-at-step 200").exit_code, kExitStopped);
  const std::string newest = dir + "/" + checkpoint_file_name(200);
  std::string bytes = slurp(newest);
  const std::string good = bytes;
  for (const StoredChunk& chunk : checkpoint_chunks(newest))
    if (chunk.dataset == "/fields/species.IL6") bytes[chunk.offset + 100] ^= 0x01;
  ASSERT_NE(bytes, good);
  std::ofstream(newest, std::ios::binary | std::ios::trunc) << bytes;
  const testing::CliResult refused = run("run " + args + " --restart " + newest);
  EXPECT_EQ(refused.exit_code, kExitBadInput) << refused.output;
  EXPECT_TRUE(std::regex_search(refused.output,
                                std::regex("error: .*checkpoint_000000000200\\.h5: checkpoint: dataset "
                                           "/fields/species\\.IL6: cannot be read: .*checksum")))
      << refused.output;
  // Truncated: refused too.
  std::ofstream(newest, std::ios::binary | std::ios::trunc) << good.substr(0, good.size() / 2);
  const testing::CliResult truncated = run("run " + args + " --restart " + newest);
  EXPECT_EQ(truncated.exit_code, kExitBadInput);
  EXPECT_NE(truncated.output.find(newest + ": checkpoint: cannot be opened as HDF5"), std::string::npos)
      << truncated.output;
  // latest: falls back to step 100, says so, and still ends bitwise.
  const testing::CliResult fallback = run("run " + args + " --restart latest");
  EXPECT_EQ(fallback.exit_code, 0) << fallback.output;
  EXPECT_NE(fallback.output.find("warning: skipping " + newest), std::string::npos) << fallback.output;
  EXPECT_NE(fallback.output.find("restarting from " + dir + "/checkpoint_000000000100.h5"),
            std::string::npos);
  ASSERT_EQ(run("run " + kStorm + " --quiet --output " + out("whole")).exit_code, 0);
  expect_same_outputs(out("whole"), dir);
}

TEST_F(Batch, FullDiskDuringACheckpointKeepsThePreviousOne) {
  const std::string dir = out("run");
  const std::string args = kOrgan + " --quiet --output " + dir + " --set output.snapshots=false";
  ASSERT_EQ(run("run " + args + " --stop-at-step 100").exit_code, kExitStopped);
  const std::string previous = dir + "/" + checkpoint_file_name(100);
  const std::string before = slurp(previous);
  // Files may grow to a third of a checkpoint: the time series fits, the next checkpoint does not.
  const pid_t pid =
      spawn("run " + args + " --restart latest --stop-at-step 300", out("log"), rlim_t(before.size() / 3));
  const int code = wait_exit(pid);
  const std::string log = slurp(out("log"));
  EXPECT_EQ(code, kExitRuntimeFailure) << log;
  EXPECT_TRUE(
      std::regex_search(log, std::regex("cytostorm: error: cannot write .*checkpoint_000000000300\\.h5: .*"
                                        "(File too large|No space left)")))
      << log;
  EXPECT_EQ(slurp(previous), before);  // untouched
  EXPECT_NO_THROW(read_checkpoint<float>(previous));
  EXPECT_FALSE(fs::exists(dir + "/" + checkpoint_file_name(300)));
  for (const auto& entry : fs::directory_iterator(dir))
    EXPECT_EQ(entry.path().filename().string().find(".tmp."), std::string::npos) << entry.path();
  EXPECT_EQ(summary(dir)["status"], "failed");
  // And with room again, the run goes on from it.
  EXPECT_EQ(run("run " + args + " --restart latest").exit_code, 0);
}

TEST_F(Batch, ChangedScenarioIsRefusedListingKeysUnlessAllowed) {
  const std::string dir = out("run");
  ASSERT_EQ(run("run " + kOrgan + " --quiet --output " + dir + " --set checkpoint.interval=1h").exit_code, 0);
  ASSERT_FALSE(list_checkpoints(dir).empty());  // a final checkpoint at the end
  const std::string longer =
      kOrgan + " --quiet --output " + dir + " --set time.end=6h --set species.TNF.decay=0.03/min";
  const testing::CliResult refused = run("run " + longer + " --restart latest");
  EXPECT_EQ(refused.exit_code, kExitBadInput);
  EXPECT_NE(refused.output.find("was written for another scenario; 2 keys differ: "), std::string::npos)
      << refused.output;
  EXPECT_NE(refused.output.find("time.end (4h -> 6h)"), std::string::npos) << refused.output;
  EXPECT_NE(refused.output.find("species.TNF.decay (0.0275 /min -> 0.03/min)"), std::string::npos);
  EXPECT_NE(refused.output.find("--allow-changes species.TNF.decay,time.end"), std::string::npos);
  const testing::CliResult partly = run("run " + longer + " --restart latest --allow-changes time.end");
  EXPECT_EQ(partly.exit_code, kExitBadInput) << partly.output;
  EXPECT_NE(partly.output.find("1 key differs: species.TNF.decay"), std::string::npos) << partly.output;
  const std::string before = slurp(dir + "/timeseries.csv");
  const testing::CliResult extended =
      run("run " + longer + " --restart latest --allow-changes time.end,species.TNF.decay");
  ASSERT_EQ(extended.exit_code, 0) << extended.output;
  EXPECT_EQ(summary(dir)["time"]["reached_s"], 6 * 3600.0);
  // The first 4 h are the earlier run's rows, unchanged.
  EXPECT_EQ(slurp(dir + "/timeseries.csv").substr(0, before.size()), before);
}

TEST_F(Batch, FreshRunOverCheckpointsIsRefusedAndAutoStartsFresh) {
  const std::string dir = out("run");
  const testing::CliResult fresh =
      run("run " + kStorm + " --quiet --output " + dir + " --restart auto --stop-at-step 10");
  EXPECT_EQ(fresh.exit_code, kExitStopped) << fresh.output;  // no checkpoint yet: from t = 0
  const testing::CliResult again = run("run " + kStorm + " --quiet --output " + dir);
  EXPECT_EQ(again.exit_code, kExitBadInput);
  EXPECT_NE(again.output.find("holds 1 checkpoint of an earlier run"), std::string::npos) << again.output;
  EXPECT_NE(again.output.find("--restart latest"), std::string::npos);
  EXPECT_EQ(run("run " + kStorm + " --quiet --output " + dir + " --restart auto").exit_code, 0);
  const testing::CliResult none =
      run("run " + kStorm + " --quiet --output " + out("empty") + " --restart latest");
  EXPECT_EQ(none.exit_code, kExitBadInput);
  EXPECT_NE(none.output.find("no checkpoint_*.h5 in"), std::string::npos) << none.output;
  for (const std::string bad : {"--walltime 2h", "--walltime -5", "--allow-changes time.end"}) {
    const testing::CliResult r = run("run " + kStorm + " --quiet --output " + out("bad") + " " + bad);
    EXPECT_EQ(r.exit_code, kExitBadInput) << bad << ": " << r.output;
  }
}

// --walltime: the run stops in time, with a checkpoint, and continues bitwise.
TEST_F(Batch, WalltimeStopsInTimeAndTheRestartIsBitwise) {
  // Without a time limit the scenario runs for several seconds.
  const std::string longer = config("default.yaml") + " --set time.end=8h --quiet --output ";
  const auto start = Clock::now();
  const testing::CliResult limited = run("run " + longer + out("limited") + " --walltime 00:00:02");
  const double took = std::chrono::duration<double>(Clock::now() - start).count();
  ASSERT_EQ(limited.exit_code, kExitStopped) << limited.output;
  EXPECT_LT(took, 2.0);
  EXPECT_NE(limited.output.find("--walltime 2.0 s"), std::string::npos) << limited.output;
  ASSERT_EQ(list_checkpoints(out("limited")).size(), 1u);
  ASSERT_EQ(run("run " + longer + out("limited") + " --restart latest").exit_code, 0);
  ASSERT_EQ(run("run " + longer + out("whole")).exit_code, 0);
  expect_same_outputs(out("whole"), out("limited"));
}

// A blow-up stops the run with exit 1 and leaves the newest checkpoint as
// the last good state: readable, finite, from before the blow-up.
TEST_F(Batch, BlowUpKeepsTheLastGoodCheckpoint) {
  // No valid scenario blows up by itself any more (stiff uptake, the cause
  // used before, now takes the exponential step), so the run is given a
  // fault: TNF turns NaN after step 70, past two good checkpoints (30, 60);
  // the guard finds it before the checkpoint of step 90.
  const testing::ScopedEnvironment fault("CYTOSTORM_FAULT_NAN_AFTER_STEP", "70");
  const std::string dir = out("run");
  const std::string yaml = out("hot.yaml");
  std::ofstream(yaml) << R"(name: hot
precision: double
grid: {extent: [200 um, 160 um, 120 um], voxel: 20 um}
tissues: [{name: tissue, label: 1}]
geometry: [{tissue: tissue, sphere: {center: [100 um, 80 um, 60 um], radius: 55 um}}]
species: [{name: TNF, diffusion: 1200 um^2/min, decay: 0.0275 /min, initial: 10 pg/mL}]
populations: [{name: cells, initial: 1e8 cells/mL}]
rules: [{type: uptake, population: cells, species: TNF, clearance: 9.3e-8 mL/cell/s}]
time: {end: 60 min, dt: 3 s}
output: {interval: 30 min}
checkpoint: {steps: 30, keep: 3}
)";
  const testing::CliResult r = run("run " + yaml + " --quiet --output " + dir);
  EXPECT_EQ(r.exit_code, kExitRuntimeFailure) << r.output;
  const std::smatch m = [&] {
    std::smatch found;
    std::regex_search(r.output, found, std::regex("blow-up: TNF is \\S+ \\(\\w+\\) at step (\\d+)"));
    return found;
  }();
  ASSERT_FALSE(m.empty()) << r.output;
  const std::int64_t blow_up_step = std::stoll(m[1].str());
  const std::vector<cyto::CheckpointFile> left = list_checkpoints(dir);
  ASSERT_FALSE(left.empty()) << r.output;
  EXPECT_LT(left.front().step, blow_up_step);
  const Checkpoint<double> last = read_checkpoint<double>(left.front().path);
  for (const auto& field : last.fields)
    for (double v : field) ASSERT_TRUE(std::isfinite(v) && v >= 0);
  EXPECT_EQ(summary(dir)["status"], "failed");
  EXPECT_EQ(summary(dir)["last_checkpoint"], left.front().path);
  // The message names that checkpoint, as the newest of a good state.
  EXPECT_NE(r.output.find("the newest checkpoint of a good state is " + left.front().path), std::string::npos)
      << r.output;
}

// A run owns its output directory: a second run into it is refused (exit 2)
// naming the first's pid and host, and once the first is killed (-9) its
// lock is stale. The next run moves the killed run's outputs aside and
// removes the temporaries of dead writers, not those of live ones.
TEST_F(Batch, ASecondRunIntoTheSameDirectoryIsRefusedAndAKilledRunsLockIsStale) {
  const std::string dir = out("run");
  const pid_t first =
      spawn("run " + config("default.yaml") + " --set time.end=10000h --quiet --output " + dir, out("log"));
  for (int i = 0; i < 1200 && slurp(dir + "/.cytostorm.lock").empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const testing::CliResult second = run("run " + kOrgan + " --quiet --output " + dir);
  EXPECT_EQ(second.exit_code, kExitBadInput) << second.output;
  EXPECT_TRUE(std::regex_search(
      second.output,
      std::regex(fmt::format("^cytostorm: error: {}: the output directory is in use by another "
                             "cytostorm run \\(pid {} on host {} since [^)]*\\)",
                             dir, first, host_name()))))
      << second.output;
  EXPECT_EQ(std::count(second.output.begin(), second.output.end(), '\n'), 1) << second.output;
  while (!fs::exists(dir + "/snapshot_000000.h5")) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  kill(first, SIGKILL);
  EXPECT_EQ(wait_exit(first), 128 + SIGKILL);
  ASSERT_TRUE(fs::exists(dir + "/.cytostorm.lock"));  // left behind, but no process holds it
  const std::string host = host_name();
  const std::vector<std::string> dead = {fmt::format("snapshot_000001.h5.tmp.{}@{}", first, host),
                                         fmt::format("checkpoint_000000000100.h5.tmp.{}@{}", first, host)};
  const std::string live = fmt::format("snapshot_000002.h5.tmp.{}@{}", ::getpid(), host);
  for (const std::string& name : dead) std::ofstream(dir + "/" + name) << "partial";
  std::ofstream(dir + "/" + live) << "being written";
  const testing::CliResult next = run("run " + kOrgan + " --output " + dir + " --stop-at-step 100");
  EXPECT_EQ(next.exit_code, kExitStopped) << next.output;
  EXPECT_NE(next.output.find("removed 2 temporary files of killed writers from " + dir), std::string::npos)
      << next.output;
  EXPECT_NE(next.output.find("output files of an earlier run to " + dir + "/previous.1/"), std::string::npos)
      << next.output;
  for (const std::string& name : dead) EXPECT_FALSE(fs::exists(dir + "/" + name)) << name;
  EXPECT_TRUE(fs::exists(dir + "/" + live));
  EXPECT_EQ(summary(dir + "/previous.1")["status"], "running");  // the killed run's, kept
  EXPECT_TRUE(fs::exists(dir + "/previous.1/snapshot_000000.h5"));
  EXPECT_EQ(summary(dir)["previous_outputs"]["moved_to"], dir + "/previous.1");
  EXPECT_FALSE(fs::exists(dir + "/.cytostorm.lock"));  // given back at the end
}

// A restart continues the snapshots its checkpoint saw: a snapshot changed
// since is refused naming it; a format-1 checkpoint (no fingerprints) is
// still read, with a warning. A checkpoint of another scenario is refused in
// one short line; a checkpoint path that is a directory says so.
TEST_F(Batch, RestartChecksItsOutputsAndSaysWhatIsWrongInOneLine) {
  const std::string dir = out("run");
  const std::string args = kOrgan + " --quiet --output " + dir;
  ASSERT_EQ(run("run " + args + " --stop-at-step 100").exit_code, kExitStopped);
  const std::string snapshot = dir + "/snapshot_000000.h5";
  const std::string good = slurp(snapshot);
  std::string bytes = good;
  bytes[bytes.size() / 2] ^= 0x01;
  std::ofstream(snapshot, std::ios::binary | std::ios::trunc) << bytes;
  const testing::CliResult changed = run("run " + args + " --restart latest");
  EXPECT_EQ(changed.exit_code, kExitBadInput) << changed.output;
  EXPECT_NE(changed.output.find("checkpoint: the outputs in " + dir +
                                " are not those it was written with: snapshot_000000.h5 has CRC-32"),
            std::string::npos)
      << changed.output;
  EXPECT_EQ(std::count(changed.output.begin(), changed.output.end(), '\n'), 1) << changed.output;

  const std::string other = run("run " + kStorm + " --quiet --output " + dir + " --restart latest").output;
  EXPECT_NE(other.find("was written for another scenario; "), std::string::npos) << other;
  EXPECT_TRUE(std::regex_search(other, std::regex("; \\d{2,} keys differ, first: "))) << other;
  EXPECT_EQ(std::count(other.begin(), other.end(), '\n'), 1) << other;
  // One line of at most ~300 characters besides the paths it names.
  std::string without_paths = other;
  for (std::size_t at; (at = without_paths.find(dir)) != std::string::npos;)
    without_paths.erase(at, dir.size());
  EXPECT_LE(without_paths.size(), 300u) << other;
  const std::string directory = run("run " + args + " --restart " + dir).output;
  EXPECT_NE(directory.find(dir + ": checkpoint: the path is a directory"), std::string::npos) << directory;

  std::ofstream(snapshot, std::ios::binary | std::ios::trunc) << good;
  const std::string newest = list_checkpoints(dir).front().path;
  write_checkpoint(newest, read_checkpoint<float>(newest), 1);
  const testing::CliResult old = run("run " + args + " --restart latest --stop-at-step 200");
  EXPECT_EQ(old.exit_code, kExitStopped) << old.output;
  EXPECT_NE(old.output.find("is a format-1 checkpoint"), std::string::npos) << old.output;
  EXPECT_EQ(read_checkpoint_header(list_checkpoints(dir).front().path).format_version,
            kCheckpointFormatVersion);
  EXPECT_EQ(run("run " + args + " --restart latest").exit_code, 0);
}

}  // namespace
}  // namespace cyto
