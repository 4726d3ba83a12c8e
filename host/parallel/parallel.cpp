#include "host/parallel/parallel.hpp"

#include <cstdlib>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "host/core/error.hpp"
#include "host/parallel/wait_limit.hpp"

#ifdef CYTOSTORM_HAVE_MPI
#if __has_include(<mpi-ext.h>)
#include <mpi-ext.h>  // Open MPI's MPIX_Query_cuda_support
#endif
#endif

namespace cyto::par {
namespace {

int env_int(const char* name) {
  const char* value = std::getenv(name);
  if (!value || !*value) return 0;
  char* end = nullptr;
  const long n = std::strtol(value, &end, 10);
  return (*end == '\0' && n > 0 && n < std::numeric_limits<int>::max()) ? int(n) : 0;
}

#ifdef CYTOSTORM_HAVE_MPI
bool mpi_running() {
  int initialised = 0, finalised = 0;
  MPI_Initialized(&initialised);
  MPI_Finalized(&finalised);
  return initialised && !finalised;
}

// A collective as MPI's blocking call, or (while waits are limited) its
// non-blocking form polled against the deadline. The results are the same
// whatever order MPI reduces in: sums are of integers, the others are minima
// and maxima.
template <class Blocking, class Start>
void collective(const Comm& comm, const char* what, Blocking blocking, Start start) {
  if (!waits_limited()) {
    check_mpi(blocking(), what);
    return;
  }
  MPI_Request request = MPI_REQUEST_NULL;
  check_mpi(start(&request), what);
  complete(request, comm, what);
}

void max_keep_nan_op(void* in, void* inout, int* count, MPI_Datatype*) {
  const double* a = static_cast<const double*>(in);
  double* b = static_cast<double*>(inout);
  for (int i = 0; i < *count; ++i)
    if (b[i] == b[i] && (a[i] != a[i] || a[i] > b[i])) b[i] = a[i];
}
#endif

}  // namespace

bool built_with_mpi() {
#ifdef CYTOSTORM_HAVE_MPI
  return true;
#else
  return false;
#endif
}

int launcher_ranks() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "PMI_SIZE", "MV2_COMM_WORLD_SIZE"})
    if (const int n = env_int(name)) return n;
  // srun without an MPI-specific variable: SLURM_NTASKS within a step.
  if (std::getenv("SLURM_STEP_ID") && std::getenv("SLURM_PROCID"))
    if (const int n = env_int("SLURM_STEP_NUM_TASKS")) return n;
  return 1;
}

bool cuda_aware() {
#if defined(CYTOSTORM_HAVE_MPI) && defined(MPIX_CUDA_AWARE_SUPPORT) && MPIX_CUDA_AWARE_SUPPORT
  return mpi_running() && MPIX_Query_cuda_support() == 1;
#else
  return false;
#endif
}

std::string mpi_summary() {
#ifdef CYTOSTORM_HAVE_MPI
  char version[MPI_MAX_LIBRARY_VERSION_STRING];
  int length = 0;
  MPI_Get_library_version(version, &length);
  std::string text(version, std::size_t(length));
  if (const auto end = text.find_first_of(",\n"); end != std::string::npos) text.resize(end);
  return fmt::format("MPI: {} ({}CUDA-aware)", text, cuda_aware() ? "" : "not ");
#else
  return "MPI: not built in (install libopenmpi-dev and libhdf5-openmpi-dev and rebuild for scale-out)";
#endif
}

Session::Session(int& argc, char**& argv) {
  const int ranks = launcher_ranks();
#ifdef CYTOSTORM_HAVE_MPI
  if (ranks > 1 || std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMIX_RANK")) {
    int provided = 0;
    check_mpi(MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided), "initialisation");
    // Errors come back as codes and become one clear message, not an abort with a trace.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    active_ = true;
  }
#else
  (void)argc;
  (void)argv;
  if (ranks > 1)
    throw InputError(
        SourceLocation{"mpirun", 0, 0, ""},
        fmt::format("started as {} MPI ranks, but this cytostorm was built without MPI: each copy "
                    "would run the whole scenario alone. Install libopenmpi-dev and "
                    "libhdf5-openmpi-dev and rebuild, or run one process",
                    ranks));
#endif
}

Session::~Session() {
#ifdef CYTOSTORM_HAVE_MPI
  if (active_ && mpi_running()) MPI_Finalize();
#endif
}

Comm Comm::self() { return Comm(); }

Comm Comm::world() {
  Comm c;
#ifdef CYTOSTORM_HAVE_MPI
  if (mpi_running()) {
    c.comm_ = MPI_COMM_WORLD;
    MPI_Comm_rank(c.comm_, &c.rank_);
    MPI_Comm_size(c.comm_, &c.size_);
  }
#endif
  return c;
}

void Comm::barrier() const {
#ifdef CYTOSTORM_HAVE_MPI
  if (parallel())
    collective(
        *this, "barrier", [&] { return MPI_Barrier(comm_); },
        [&](MPI_Request* r) { return MPI_Ibarrier(comm_, r); });
#endif
}

void Comm::sum(std::int64_t* values, int count) const {
#ifdef CYTOSTORM_HAVE_MPI
  if (parallel())
    collective(
        *this, "sum", [&] { return MPI_Allreduce(MPI_IN_PLACE, values, count, MPI_INT64_T, MPI_SUM, comm_); },
        [&](MPI_Request* r) {
          return MPI_Iallreduce(MPI_IN_PLACE, values, count, MPI_INT64_T, MPI_SUM, comm_, r);
        });
#else
  (void)values;
  (void)count;
#endif
}

void Comm::min(double* values, int count) const {
#ifdef CYTOSTORM_HAVE_MPI
  if (parallel())
    collective(
        *this, "minimum",
        [&] { return MPI_Allreduce(MPI_IN_PLACE, values, count, MPI_DOUBLE, MPI_MIN, comm_); },
        [&](MPI_Request* r) {
          return MPI_Iallreduce(MPI_IN_PLACE, values, count, MPI_DOUBLE, MPI_MIN, comm_, r);
        });
#else
  (void)values;
  (void)count;
#endif
}

void Comm::max_keep_nan(double* values, int count) const {
#ifdef CYTOSTORM_HAVE_MPI
  if (!parallel()) return;
  MPI_Op op;
  MPI_Op_create(&max_keep_nan_op, 1, &op);
  try {
    collective(
        *this, "maximum", [&] { return MPI_Allreduce(MPI_IN_PLACE, values, count, MPI_DOUBLE, op, comm_); },
        [&](MPI_Request* r) {
          return MPI_Iallreduce(MPI_IN_PLACE, values, count, MPI_DOUBLE, op, comm_, r);
        });
  } catch (...) {
    MPI_Op_free(&op);
    throw;
  }
  MPI_Op_free(&op);
#else
  (void)values;
  (void)count;
#endif
}

bool Comm::any(bool flag) const {
#ifdef CYTOSTORM_HAVE_MPI
  if (parallel()) {
    int value = flag ? 1 : 0;
    collective(
        *this, "flag reduction",
        [&] { return MPI_Allreduce(MPI_IN_PLACE, &value, 1, MPI_INT, MPI_LOR, comm_); },
        [&](MPI_Request* r) { return MPI_Iallreduce(MPI_IN_PLACE, &value, 1, MPI_INT, MPI_LOR, comm_, r); });
    return value != 0;
  }
#endif
  return flag;
}

void Comm::broadcast(void* data, std::size_t bytes, int from) const {
#ifdef CYTOSTORM_HAVE_MPI
  if (parallel())
    collective(
        *this, "broadcast", [&] { return MPI_Bcast(data, int(bytes), MPI_BYTE, from, comm_); },
        [&](MPI_Request* r) { return MPI_Ibcast(data, int(bytes), MPI_BYTE, from, comm_, r); });
#else
  (void)data;
  (void)bytes;
  (void)from;
#endif
}

void Comm::broadcast(std::string& text, int from) const {
  if (!parallel()) return;
  std::uint64_t length = text.size();
  broadcast(&length, sizeof length, from);
  text.resize(std::size_t(length));
  broadcast(text.data(), text.size(), from);
}

std::vector<std::vector<std::byte>> Comm::gather(const void* data, std::size_t bytes) const {
  std::vector<std::vector<std::byte>> parts;
  if (!parallel()) {
    parts.emplace_back(static_cast<const std::byte*>(data), static_cast<const std::byte*>(data) + bytes);
    return parts;
  }
#ifdef CYTOSTORM_HAVE_MPI
  const std::int64_t mine = std::int64_t(bytes);
  std::vector<std::int64_t> sizes(root() ? std::size_t(size_) : 0);
  collective(
      *this, "gather of sizes",
      [&] { return MPI_Gather(&mine, 1, MPI_INT64_T, sizes.data(), 1, MPI_INT64_T, 0, comm_); },
      [&](MPI_Request* r) {
        return MPI_Igather(&mine, 1, MPI_INT64_T, sizes.data(), 1, MPI_INT64_T, 0, comm_, r);
      });
  // Point-to-point, one rank at a time: a field block may exceed MPI's int counts in a Gatherv.
  if (root()) {
    parts.resize(std::size_t(size_));
    parts[0].assign(static_cast<const std::byte*>(data), static_cast<const std::byte*>(data) + bytes);
    for (int r = 1; r < size_; ++r) {
      parts[std::size_t(r)].resize(std::size_t(sizes[std::size_t(r)]));
      Messages messages(*this);
      messages.receive(parts[std::size_t(r)].data(), parts[std::size_t(r)].size(), r, 7);
      messages.wait();
    }
  } else {
    Messages messages(*this);
    messages.send(data, bytes, 0, 7);
    messages.wait();
  }
#endif
  return parts;
}

void abort_job(const Comm& comm, int code) {
#ifdef CYTOSTORM_HAVE_MPI
  if (comm.parallel()) MPI_Abort(comm.handle(), code);
#else
  (void)comm;
  (void)code;
#endif
}

Messages::~Messages() {
#ifdef CYTOSTORM_HAVE_MPI
  // Only on an exception path: complete what was posted so no buffer is written after it is freed.
  if (!requests_.empty()) MPI_Waitall(int(requests_.size()), requests_.data(), MPI_STATUSES_IGNORE);
#endif
}

// Messages larger than an int count are split into pieces of at most 1 GiB.
constexpr std::size_t kPieceBytes = std::size_t(1) << 30;

void Messages::receive(void* data, std::size_t bytes, int from, int tag) {
  post(false, data, bytes, from, tag);
}

void Messages::send(const void* data, std::size_t bytes, int to, int tag) {
  post(true, const_cast<void*>(data), bytes, to, tag);  // MPI_Isend only reads it
}

// One request per piece of at most kPieceBytes (one for an empty message).
void Messages::post(bool sending, void* data, std::size_t bytes, int peer, int tag) {
#ifdef CYTOSTORM_HAVE_MPI
  auto* p = static_cast<char*>(data);
  std::size_t done = 0;
  do {
    const int piece = int(std::min(kPieceBytes, bytes - done));
    requests_.emplace_back();
    peers_.push_back(peer);
    if (sending)
      check_mpi(MPI_Isend(p + done, piece, MPI_BYTE, peer, tag, comm_.handle(), &requests_.back()), "send");
    else
      check_mpi(MPI_Irecv(p + done, piece, MPI_BYTE, peer, tag, comm_.handle(), &requests_.back()),
                "receive");
    done += std::size_t(piece);
  } while (done < bytes);
#else
  (void)sending;
  (void)data;
  (void)bytes;
  (void)peer;
  (void)tag;
  throw RuntimeFailure("internal: a message without MPI");
#endif
}

void Messages::wait() {
#ifdef CYTOSTORM_HAVE_MPI
  if (requests_.empty()) return;
  if (waits_limited()) {
    complete_all(requests_, peers_, comm_, "exchange of messages (halos or gathered blocks)");
    requests_.clear();
    peers_.clear();
    return;
  }
  const int code = MPI_Waitall(int(requests_.size()), requests_.data(), MPI_STATUSES_IGNORE);
  requests_.clear();
  peers_.clear();
  check_mpi(code, "wait for messages");
#endif
}

}  // namespace cyto::par
