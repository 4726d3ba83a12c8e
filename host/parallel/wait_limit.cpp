#include "host/parallel/wait_limit.hpp"

#include <algorithm>
#include <cstdio>
#include <set>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "host/core/error.hpp"
#include "host/parallel/parallel.hpp"

namespace cyto::par {
namespace {

using Clock = std::chrono::steady_clock;

struct Limit {
  bool set = false;
  Clock::time_point deadline;
  std::string description;  // "--walltime 2:00:00 plus a margin of 60 s"
};
Limit g_limit;
std::function<void(const std::string&)> g_last_words;

#ifdef CYTOSTORM_HAVE_MPI
// A collective does not say which rank it misses. A rank about to give up
// calls the roll (kRollCall to every other rank); every rank that is
// waiting polls, and answers (kPresent) from its poll loop. The ranks that
// stay silent for kRollCallPatience are the ones not answering: frozen,
// stopped, or still computing far past the deadline. Tags above any the
// halo exchange uses (0-5).
constexpr int kRollCallTag = 32001;
constexpr int kPresentTag = 32002;
constexpr double kRollCallPatience = 2.0;  // s; a waiting rank answers within milliseconds

void answer_roll_calls(const Comm& comm) {
  for (;;) {
    int pending = 0;
    MPI_Status status;
    if (MPI_Iprobe(MPI_ANY_SOURCE, kRollCallTag, comm.handle(), &pending, &status) != MPI_SUCCESS || !pending)
      return;
    int call = 0;
    const int me = comm.rank();
    if (MPI_Recv(&call, 1, MPI_INT, status.MPI_SOURCE, kRollCallTag, comm.handle(), MPI_STATUS_IGNORE) !=
            MPI_SUCCESS ||
        MPI_Send(&me, 1, MPI_INT, status.MPI_SOURCE, kPresentTag, comm.handle()) != MPI_SUCCESS)
      return;  // the job is ending anyway
  }
}

// "rank 2" / "ranks 2, 5" that did not answer the roll, or "" if all did.
std::string silent_ranks(const Comm& comm) {
  const int ranks = comm.size(), me = comm.rank();
  std::vector<char> answered(std::size_t(ranks), 0);
  answered[std::size_t(me)] = 1;
  int call = 0, heard = 1;
  std::vector<MPI_Request> calls;
  for (int r = 0; r < ranks; ++r) {
    if (r == me) continue;
    calls.emplace_back(MPI_REQUEST_NULL);
    MPI_Isend(&call, 1, MPI_INT, r, kRollCallTag, comm.handle(), &calls.back());
  }
  const Clock::time_point until = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                                     std::chrono::duration<double>(kRollCallPatience));
  while (heard < ranks && Clock::now() < until) {
    answer_roll_calls(comm);  // another rank giving up at the same time calls its own roll
    int pending = 0;
    MPI_Status status;
    if (MPI_Iprobe(MPI_ANY_SOURCE, kPresentTag, comm.handle(), &pending, &status) == MPI_SUCCESS && pending) {
      int who = 0;
      MPI_Recv(&who, 1, MPI_INT, status.MPI_SOURCE, kPresentTag, comm.handle(), MPI_STATUS_IGNORE);
      if (!answered[std::size_t(status.MPI_SOURCE)]) ++heard;
      answered[std::size_t(status.MPI_SOURCE)] = 1;
    } else {
      std::this_thread::yield();
    }
  }
  // The calls to silent ranks never complete; the job is ended right after.
  std::string names;
  int silent = 0;
  for (int r = 0; r < ranks; ++r)
    if (!answered[std::size_t(r)]) {
      if (++silent <= 8) names += fmt::format("{}{}", names.empty() ? "" : ", ", r);
    }
  if (silent > 8) names += fmt::format(" and {} more", silent - 8);
  return silent == 0 ? std::string() : fmt::format("rank{} {}", silent == 1 ? "" : "s", names);
}

// One line, then MPI_Abort: the launcher ends every rank (the frozen one too).
[[noreturn]] void give_up(const Comm& comm, const std::string& what, const std::string& peer,
                          Clock::time_point waiting_since) {
  const double waited = std::chrono::duration<double>(Clock::now() - waiting_since).count();
  const std::string message = fmt::format(
      "rank {} waited {:.0f} s for {} in the {}, past {}: a rank has stopped answering; ending "
      "the job (exit {})",
      comm.rank(), waited, peer, what, g_limit.description, int(kExitUnresponsive));
  fmt::print(stderr, "cytostorm: error: {}\n", message);
  std::fflush(stderr);
  if (g_last_words) try {
      g_last_words(message);
    } catch (...) {  // the job ends regardless
    }
  MPI_Abort(comm.handle(), kExitUnresponsive);
  std::_Exit(kExitUnresponsive);  // MPI_Abort does not return; if it did, no rank must go on
}

// Polls until `done()`; past the deadline, gives up. Spins briefly (a step's
// reductions answer within microseconds), then yields the core.
template <class Done, class Peer>
void poll(const Comm& comm, const char* what, Done done, Peer peer) {
  const Clock::time_point since = Clock::now();
  for (unsigned spins = 0; !done(); ++spins) {
    if (spins > 1000) std::this_thread::yield();
    if ((spins & 63) == 0) {
      answer_roll_calls(comm);
      if (Clock::now() > g_limit.deadline) give_up(comm, what, peer(), since);
    }
  }
}

#endif

}  // namespace

#ifdef CYTOSTORM_HAVE_MPI
void check_mpi(int code, const char* what) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw RuntimeFailure(fmt::format("MPI {} failed: {}", what, std::string(text, std::size_t(length))));
}
#endif

void limit_waits(Clock::time_point started, double walltime_s) {
  const double margin = std::clamp(0.05 * walltime_s, 5.0, 60.0);
  g_limit.set = true;
  g_limit.deadline = started + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(walltime_s + margin));
  g_limit.description = fmt::format("--walltime ({:.0f} s) plus a margin of {:.0f} s", walltime_s, margin);
}

void unlimit_waits() { g_limit = Limit{}; }

bool waits_limited() { return g_limit.set; }

void on_giving_up(std::function<void(const std::string&)> last_words) {
  g_last_words = std::move(last_words);
}

#ifdef CYTOSTORM_HAVE_MPI
void complete(MPI_Request& request, const Comm& comm, const char* what) {
  int finished = 0;
  poll(
      comm, what,
      [&] {
        check_mpi(MPI_Test(&request, &finished, MPI_STATUS_IGNORE), what);
        return finished != 0;
      },
      [&comm] {
        const std::string silent = silent_ranks(comm);
        return silent.empty()
                   ? std::string(
                         "another rank (every rank answers a roll call: they wait in "
                         "different collectives)")
                   : fmt::format("{} (silent to a roll call for {:.0f} s)", silent, kRollCallPatience);
      });
}

void complete_all(std::vector<MPI_Request>& requests, const std::vector<int>& peers, const Comm& comm,
                  const char* what) {
  std::vector<int> indices(requests.size());
  poll(
      comm, what,
      [&] {
        // Completed requests become MPI_REQUEST_NULL: those left name the ranks not heard from.
        int count = 0;
        check_mpi(
            MPI_Testsome(int(requests.size()), requests.data(), &count, indices.data(), MPI_STATUSES_IGNORE),
            what);
        return count == MPI_UNDEFINED;  // no active request left
      },
      [&] {
        std::set<int> missing;
        for (std::size_t i = 0; i < requests.size(); ++i)
          if (requests[i] != MPI_REQUEST_NULL) missing.insert(peers[i]);
        std::string names;
        for (int r : missing) names += fmt::format("{}{}", names.empty() ? "" : ", ", r);
        return fmt::format("rank{} {}", missing.size() == 1 ? "" : "s", names);
      });
}
#endif

}  // namespace cyto::par
