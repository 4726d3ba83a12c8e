// The run an output directory holds, as its summary.json and its lock tell
// it: one that ended (finished, stopped, failed), one in progress, or one
// that was killed: its summary still says "running" or "stopping", but no
// process holds the directory any more (kill -9, a node failure, the
// out-of-memory killer, a launcher's SIGKILL mid-checkpoint). `cytostorm
// check` reports it, and a run into the directory says what it found before
// its own summary replaces the old one.
#pragma once

#include <string>

namespace cyto {

struct EarlierRun {
  enum class State { None, Ended, InProgress, Killed, Unknown };
  State state = State::None;
  std::string status;       // as summary.json records it ("finished", "running", ...); "" if none
  std::string process;      // "pid 12 on host n1", where recorded
  std::string description;  // one line for the log or `check`, without the directory
};

EarlierRun inspect_earlier_run(const std::string& directory);

}  // namespace cyto
