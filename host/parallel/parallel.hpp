// The MPI layer: every use of MPI in cytostorm goes through here, so that a
// build without MPI is the same program with one rank. MPI is initialised
// only when an MPI launcher (mpirun, srun) started the process: a plain
// `cytostorm run` never pays for MPI start-up.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#ifdef CYTOSTORM_HAVE_MPI
#include <mpi.h>
#endif

namespace cyto::par {

// Whether this build has MPI scale-out (CMake found MPI and parallel HDF5).
bool built_with_mpi();

// The rank count an MPI launcher announced in the environment (Open MPI,
// MPICH/PMI, PMIx, SLURM's srun); 1 when none did.
int launcher_ranks();

// One line: the MPI library and whether it is CUDA-aware, or that this build has no MPI.
std::string mpi_summary();

// Whether the MPI library can take device pointers (Open MPI's
// MPIX_Query_cuda_support at run time); false without MPI.
bool cuda_aware();

// Initialises MPI (threads: funneled) when launched by MPI and finalises it
// on destruction. A build without MPI started by a launcher with more than
// one rank is refused here: each copy would run the whole scenario alone.
class Session {
 public:
  Session(int& argc, char**& argv);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  bool active() const { return active_; }

 private:
  bool active_ = false;
};

// A group of ranks. Without MPI (or before MPI is initialised) it is one
// rank, and every collective is the identity. Collectives must be called
// by every rank of the group in the same order.
class Comm {
 public:
  static Comm self();   // this process alone
  static Comm world();  // every rank of the job (self() without an active Session)

  int rank() const { return rank_; }
  int size() const { return size_; }
  bool root() const { return rank_ == 0; }
  bool parallel() const { return size_ > 1; }

  void barrier() const;
  void sum(std::int64_t* values, int count) const;  // element-wise, in place, on every rank
  void min(double* values, int count) const;
  // Element-wise maximum where a NaN anywhere wins: as the serial scans do.
  void max_keep_nan(double* values, int count) const;
  // Whether `flag` is set on any rank (every rank gets the answer).
  bool any(bool flag) const;
  void broadcast(void* data, std::size_t bytes, int from = 0) const;
  void broadcast(std::string& text, int from = 0) const;
  // Root gets every rank's `bytes` (in rank order); other ranks get nothing.
  std::vector<std::vector<std::byte>> gather(const void* data, std::size_t bytes) const;

#ifdef CYTOSTORM_HAVE_MPI
  MPI_Comm handle() const { return comm_; }
#endif

 private:
  int rank_ = 0;
  int size_ = 1;
#ifdef CYTOSTORM_HAVE_MPI
  MPI_Comm comm_ = MPI_COMM_SELF;
#endif
};

// Ends every rank of the job with `code` (MPI_Abort): for a failure on one
// rank that the others cannot know about. Without MPI, returns.
void abort_job(const Comm& comm, int code);

// Non-blocking point-to-point messages of bytes; wait() completes all posted.
class Messages {
 public:
  explicit Messages(const Comm& comm) : comm_(comm) {}
  ~Messages();
  Messages(const Messages&) = delete;
  Messages& operator=(const Messages&) = delete;
  void receive(void* data, std::size_t bytes, int from, int tag);
  void send(const void* data, std::size_t bytes, int to, int tag);
  void wait();

 private:
  void post(bool sending, void* data, std::size_t bytes, int peer, int tag);
  const Comm& comm_;
#ifdef CYTOSTORM_HAVE_MPI
  std::vector<MPI_Request> requests_;
  std::vector<int> peers_;  // of each request: named when a wait gives up
#endif
};

}  // namespace cyto::par
