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
    if ((spins & 63) == 0 && Clock::now() > g_limit.deadline) give_up(comm, what, peer(), since);
  }
}

void check(int code, const char* what) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw RuntimeFailure(fmt::format("MPI {} failed: {}", what, std::string(text, std::size_t(length))));
}
#endif

}  // namespace

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
        check(MPI_Test(&request, &finished, MPI_STATUS_IGNORE), what);
        return finished != 0;
      },
      [] { return std::string("another rank"); });  // a collective does not say which rank is missing
}

void complete_all(std::vector<MPI_Request>& requests, const std::vector<int>& peers, const Comm& comm,
                  const char* what) {
  std::vector<int> indices(requests.size());
  poll(
      comm, what,
      [&] {
        // Completed requests become MPI_REQUEST_NULL: those left name the ranks not heard from.
        int count = 0;
        check(
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
