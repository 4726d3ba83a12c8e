// The stop-signal handler's file: written once, atomically, from inside the
// handler, with the text of the signal that arrived; never after disarm().
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "host/app/stop_signals.hpp"

namespace cyto {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

class StopSignalFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cytostorm_stop_signals_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    path_ = (dir_ / "summary.json").string();
    std::ofstream(path_) << "running\n";
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  std::string path_;
};

TEST_F(StopSignalFile, TheFirstSignalPutsItsTextInPlaceOnce) {
  const StopSignals signals;
  StopSignals::write_on_signal(path_,
                               [](const char* name) { return std::string("stopping: ") + name + "\n"; });
  EXPECT_EQ(slurp(path_), "running\n");  // nothing before a signal
  ASSERT_EQ(::raise(SIGUSR1), 0);
  EXPECT_EQ(StopSignals::received(), SIGUSR1);
  EXPECT_EQ(slurp(path_), "stopping: SIGUSR1\n");
  std::ofstream(path_) << "stopped\n";  // the run's own final file
  ASSERT_EQ(::raise(SIGTERM), 0);       // a second signal writes nothing
  EXPECT_EQ(slurp(path_), "stopped\n");
  for (const auto& entry : fs::directory_iterator(dir_))
    EXPECT_EQ(entry.path().filename().string().find(".tmp."), std::string::npos) << entry.path();
}

TEST_F(StopSignalFile, DisarmedWritesNothing) {
  const StopSignals signals;
  StopSignals::write_on_signal(path_, [](const char*) { return std::string("stopping\n"); });
  StopSignals::disarm();
  ASSERT_EQ(::raise(SIGTERM), 0);
  EXPECT_EQ(StopSignals::received(), SIGTERM);
  EXPECT_EQ(slurp(path_), "running\n");
}

TEST_F(StopSignalFile, ASignalBeforeTheArmingWritesAtTheArming) {
  const StopSignals signals;
  ASSERT_EQ(::raise(SIGTERM), 0);
  StopSignals::write_on_signal(path_, [](const char* name) { return std::string(name) + "\n"; });
  EXPECT_EQ(slurp(path_), "SIGTERM\n");
}

}  // namespace
}  // namespace cyto
