// A wall-clock limit on every wait for other ranks (the collectives of
// par::Comm and Messages::wait), tied to the job's --walltime. A rank that
// has stopped answering (a frozen node, a hung file system, a process held by
// a debugger) keeps every other rank waiting in its next collective, so the
// run cannot act on --walltime and sits until the batch system kills it.
// From started + walltime + a margin (5% of the walltime, at least 5 s, at
// most 60 s) on, a rank still waiting prints one line ("rank 0 waited 12 s
// for rank 1 in the halo exchange ...": a collective finds the silent rank
// by a roll call the waiting ranks answer) and ends the job with
// kExitUnresponsive. By then a run that is answering has long stopped with
// its checkpoint (--walltime stops it before the limit).
//
// While a limit is set the waits poll non-blocking requests (MPI_Test);
// without one (the default) they block in MPI as before.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#ifdef CYTOSTORM_HAVE_MPI
#include <mpi.h>
#endif

namespace cyto::par {

class Comm;

void limit_waits(std::chrono::steady_clock::time_point started, double walltime_s);
void unlimit_waits();
bool waits_limited();
// Called with the one-line message on a rank that gives up, before it ends
// the job (rank 0 records it in summary.json); nullptr clears it.
void on_giving_up(std::function<void(const std::string& message)> last_words);

#ifdef CYTOSTORM_HAVE_MPI
// An MPI call's error code as a RuntimeFailure naming `what` and MPI's text.
void check_mpi(int code, const char* what);
// Completes `request` (a collective named `what`, e.g. "sum"); past the
// limit, ends the job.
void complete(MPI_Request& request, const Comm& comm, const char* what);
// Completes every request (point-to-point; peers[i] is request i's rank).
void complete_all(std::vector<MPI_Request>& requests, const std::vector<int>& peers, const Comm& comm,
                  const char* what);
#endif

}  // namespace cyto::par
