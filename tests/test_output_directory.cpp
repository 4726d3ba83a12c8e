// The output directory as a run owns it: the lock (a second holder refused
// with the first's pid and host, a killed holder's lock free again), the
// earlier run's outputs moved aside into numbered folders that are never
// overwritten, the temporaries of killed writers removed (only theirs), and
// the fingerprints by which a restart knows its outputs.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>

#include "host/app/earlier_run.hpp"
#include "host/core/atomic_file.hpp"
#include "host/core/error.hpp"
#include "host/io/output_directory.hpp"

namespace cyto {
namespace {

namespace fs = std::filesystem;

class OutputDirectory : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           fmt::format("cytostorm_outdir_{}_{}",
                       ::testing::UnitTest::GetInstance()->current_test_info()->name(), ::getpid());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void touch(const std::string& name, const std::string& text = "x") const {
    std::ofstream(dir_ / name) << text;
  }
  bool has(const std::string& name) const { return fs::exists(dir_ / name); }
  std::string dir() const { return dir_.string(); }

  fs::path dir_;
};

// The pid of a process that has ended (a child, waited for).
pid_t dead_pid() {
  const pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);
  return child;
}

// A child process that holds the lock of `directory` until killed; its pid
// once it holds it (-1 if it could not).
pid_t fork_lock_holder(const std::string& directory) {
  int ready[2];
  if (pipe(ready) != 0) return -1;
  const pid_t holder = fork();
  if (holder == 0) {
    DirectoryLock lock(directory, stderr);
    const char byte = 'y';
    if (write(ready[1], &byte, 1) != 1) _exit(1);
    for (;;) pause();
  }
  char byte = 0;
  const bool held = read(ready[0], &byte, 1) == 1;
  close(ready[0]);
  close(ready[1]);
  return held ? holder : -1;
}

std::string lock_refusal(const std::string& directory) {
  try {
    DirectoryLock lock(directory, stderr);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST_F(OutputDirectory, ASecondLockIsRefusedNamingTheHolderAndIsFreeAgainAfterward) {
  {
    DirectoryLock first(dir(), stderr);
    ASSERT_TRUE(first.held());
    const std::string message = lock_refusal(dir());
    EXPECT_NE(message.find(fmt::format("in use by another cytostorm run (pid {} on host {} since ",
                                       ::getpid(), host_name())),
              std::string::npos)
        << message;
    EXPECT_EQ(message.rfind(dir() + ": ", 0), 0u) << message;
  }
  EXPECT_FALSE(has(kLockFileName));  // given back: removed
  EXPECT_EQ(lock_refusal(dir()), "");
}

// A run killed with SIGKILL holds no lock: the kernel drops it with the
// process, although its lock file (and record) stay.
TEST_F(OutputDirectory, AKilledHoldersLockIsStale) {
  const pid_t holder = fork_lock_holder(dir());
  ASSERT_GT(holder, 0);
  EXPECT_NE(lock_refusal(dir()).find(fmt::format("pid {} on host", holder)), std::string::npos);
  kill(holder, SIGKILL);
  waitpid(holder, nullptr, 0);
  EXPECT_TRUE(has(kLockFileName));
  EXPECT_EQ(lock_refusal(dir()), "");
}

// Temporaries of a dead writer go; those of live processes (this test's own
// pid and its parent's) and of another host stay.
TEST_F(OutputDirectory, OnlyTemporariesOfDeadWritersAreRemoved) {
  const std::string host = host_name();
  const pid_t dead = dead_pid();
  const std::vector<std::string> gone = {
      fmt::format("snapshot_000003.h5.tmp.{}@{}", dead, host),
      fmt::format("checkpoint_000000000100.h5.tmp.{}@{}", dead, host),
      fmt::format("timeseries.csv.tmp.{}@{}", dead, host),
      fmt::format("fields.xmf.tmp.{}", dead),  // an earlier build's name: this host's
  };
  const std::vector<std::string> kept = {
      fmt::format("snapshot_000004.h5.tmp.{}@{}", ::getpid(), host),
      fmt::format("snapshot_000005.h5.tmp.{}@{}", ::getppid(), host),
      fmt::format("snapshot_000006.h5.tmp.{}@another-node", dead),
      fmt::format("notes.txt.tmp.{}@{}", dead, host),  // not a name cytostorm writes
  };
  for (const std::string& name : gone) touch(name);
  for (const std::string& name : kept) touch(name);
  int other_hosts = 0;
  EXPECT_EQ(remove_dead_temporaries(dir(), &other_hosts), int(gone.size()));
  EXPECT_EQ(other_hosts, 1);
  for (const std::string& name : gone) EXPECT_FALSE(has(name)) << name;
  for (const std::string& name : kept) EXPECT_TRUE(has(name)) << name;
  EXPECT_EQ(temporary_owner(fs::path(detail::temporary_path(dir() + "/x.h5")).filename().string()),
            TemporaryOwner::ThisProcess);
}

// Outputs of earlier runs go to previous.1, previous.2, ... (after the
// highest that exists); other files stay where they are.
TEST_F(OutputDirectory, EarlierOutputsAreMovedAsideNeverOverwritingABackup) {
  const auto earlier_run = [&](const std::string& tag) {
    for (const char* name :
         {"summary.json", "timeseries.csv", "fields.xmf", "geometry.h5", "snapshot_000000.h5"})
      touch(name, tag);
  };
  earlier_run("first");
  touch("notes.txt");
  MovedAside moved = move_aside_previous_outputs(dir());
  EXPECT_EQ(moved.files, 5);
  EXPECT_EQ(moved.folder, (dir_ / "previous.1").string());
  EXPECT_FALSE(has("summary.json"));
  EXPECT_TRUE(has("notes.txt"));
  earlier_run("second");
  moved = move_aside_previous_outputs(dir());
  EXPECT_EQ(moved.folder, (dir_ / "previous.2").string());
  std::ifstream first(dir_ / "previous.1" / "summary.json");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(first), {}), "first");
  fs::create_directory(dir_ / "previous.7");
  earlier_run("third");
  EXPECT_EQ(move_aside_previous_outputs(dir()).folder, (dir_ / "previous.8").string());
  EXPECT_EQ(move_aside_previous_outputs(dir()).files, 0);  // nothing left to move: no folder
  EXPECT_FALSE(has("previous.9"));
}

TEST_F(OutputDirectory, FingerprintsFindAChangedFileButNotAMissingOne) {
  touch("snapshot_000000.h5", "abcdef");
  touch("geometry.h5", "labels");
  const std::vector<OutputFingerprint> recorded = {fingerprint_output(dir(), "geometry.h5", true),
                                                   fingerprint_output(dir(), "snapshot_000000.h5", true),
                                                   fingerprint_output(dir(), "snapshot_000001.h5", true)};
  EXPECT_EQ(recorded[1].size, 6);
  EXPECT_EQ(recorded[1].crc32, 0x4b8e39ef);  // CRC-32 of "abcdef"
  EXPECT_EQ(recorded[2].size, -1);
  EXPECT_EQ(compare_fingerprints(dir(), recorded), "");
  touch("snapshot_000000.h5", "abcdeF");  // same size, other bytes
  EXPECT_NE(compare_fingerprints(dir(), recorded).find("snapshot_000000.h5 has CRC-32"), std::string::npos);
  touch("snapshot_000000.h5", "abc");
  touch("geometry.h5", "other labels");
  EXPECT_EQ(compare_fingerprints(dir(), recorded),
            "geometry.h5 has 12 bytes, the checkpoint recorded 6 (and 1 more files differ)");
  fs::remove(dir_ / "snapshot_000000.h5");
  fs::remove(dir_ / "geometry.h5");
  EXPECT_EQ(compare_fingerprints(dir(), recorded), "");
  const std::vector<OutputFingerprint> back = fingerprints_from_text(fingerprints_to_text(recorded));
  ASSERT_EQ(back.size(), recorded.size());
  for (std::size_t n = 0; n < back.size(); ++n) {
    EXPECT_EQ(back[n].name, recorded[n].name);
    EXPECT_EQ(back[n].size, recorded[n].size);
    EXPECT_EQ(back[n].crc32, recorded[n].crc32);
  }
}

// What the directory holds, from summary.json and the lock: a run that
// ended, one in progress (its lock is held), one killed (it says "running"
// or "stopping", but nobody holds the lock), or a summary that is not one.
TEST_F(OutputDirectory, AnEarlierRunIsToldEndedInProgressOrKilled) {
  EXPECT_EQ(inspect_earlier_run(dir()).state, EarlierRun::State::None);
  EXPECT_EQ(inspect_earlier_run(dir() + "/missing").description, "does not exist yet");
  const auto summary = [&](const std::string& status, pid_t pid) {
    touch("summary.json",
          fmt::format(R"({{"status": "{}", "process": {{"pid": {}, "host": "{}", "ranks": 1}}}})", status,
                      pid, host_name()));
  };
  summary("finished", ::getpid());
  EXPECT_EQ(inspect_earlier_run(dir()).state, EarlierRun::State::Ended);

  // Killed: a dead pid, no lock file at all.
  const pid_t dead = dead_pid();
  for (const char* status : {"running", "stopping"}) {
    summary(status, dead);
    const EarlierRun killed = inspect_earlier_run(dir());
    EXPECT_EQ(killed.state, EarlierRun::State::Killed) << status;
    EXPECT_EQ(killed.process, fmt::format("pid {} on host {}", dead, host_name()));
    EXPECT_NE(killed.description.find(fmt::format("was killed (pid {} on host", dead)), std::string::npos)
        << killed.description;
  }

  // In progress: a live process holds the lock; after SIGKILL the lock file
  // stays but nobody holds it, and the same summary reads as killed.
  const pid_t holder = fork_lock_holder(dir());
  ASSERT_GT(holder, 0);
  summary("running", holder);
  const EarlierRun live = inspect_earlier_run(dir());
  EXPECT_EQ(live.state, EarlierRun::State::InProgress);
  EXPECT_NE(live.description.find(fmt::format("in progress (pid {} on host", holder)), std::string::npos)
      << live.description;
  kill(holder, SIGKILL);
  waitpid(holder, nullptr, 0);
  ASSERT_TRUE(has(kLockFileName));
  EXPECT_EQ(inspect_earlier_run(dir()).state, EarlierRun::State::Killed);

  touch("summary.json", "{\"status\": \"runn");
  const EarlierRun unreadable = inspect_earlier_run(dir());
  EXPECT_EQ(unreadable.state, EarlierRun::State::Unknown);
  EXPECT_NE(unreadable.description.find("cannot be read"), std::string::npos) << unreadable.description;
  fs::remove(dir_ / "summary.json");
  fs::create_directory(dir_ / "summary.json");  // not a file
  EXPECT_EQ(inspect_earlier_run(dir()).state, EarlierRun::State::Unknown);
}

}  // namespace
}  // namespace cyto
