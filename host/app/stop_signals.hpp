// SIGTERM, SIGINT and SIGUSR1 (what SLURM sends before the time limit with
// --signal) ask a run to stop: the handler only records the signal, and the
// time loop finishes the current step, writes a checkpoint and exits with
// kExitStopped. A second SIGINT (Ctrl-C twice) ends the process at once.
//
// A launcher may kill the process before that checkpoint is complete (Open
// MPI's mpirun sends SIGKILL about a second after it forwards SIGTERM), so
// the handler can also put a prepared file in place at once: summary.json
// then says "stopping" from the moment the signal arrives, never "running"
// for a run that is already dead.
#pragma once

#include <functional>
#include <string>

namespace cyto {

class StopSignals {
 public:
  StopSignals();   // installs the handlers (and clears an earlier request)
  ~StopSignals();  // restores the previous handlers (and disarms the file below)
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // The first stop signal received since construction, or 0.
  static int received();
  // "SIGTERM", "SIGINT", "SIGUSR1".
  static const char* name(int signal);

  // On the first stop signal, the handler writes content(name(signal)) to
  // `path` atomically (a temporary next to it, fsync, rename: all
  // async-signal-safe), once. The texts are rendered here, beforehand: the
  // handler only copies bytes. Replaces an earlier arming. If a signal has
  // already arrived, the file is written now.
  static void write_on_signal(const std::string& path,
                              const std::function<std::string(const char*)>& content);
  // No file is written on a later signal, and one being written by the
  // handler on another thread is complete when this returns: the caller
  // writes the run's final file next.
  static void disarm();
};

}  // namespace cyto
