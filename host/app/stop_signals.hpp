// SIGTERM, SIGINT and SIGUSR1 (what SLURM sends before the time limit with
// --signal) ask a run to stop: the handler only records the signal, and the
// time loop finishes the current step, writes a checkpoint and exits with
// kExitStopped. A second SIGINT (Ctrl-C twice) ends the process at once.
#pragma once

namespace cyto {

class StopSignals {
 public:
  StopSignals();   // installs the handlers (and clears an earlier request)
  ~StopSignals();  // restores the previous handlers
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // The first stop signal received since construction, or 0.
  static int received();
  // "SIGTERM", "SIGINT", "SIGUSR1".
  static const char* name(int signal);
};

}  // namespace cyto
