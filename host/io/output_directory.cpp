#include "host/io/output_directory.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <regex>
#include <sstream>

#include <fmt/format.h>

#include "host/core/atomic_file.hpp"
#include "host/core/error.hpp"

namespace cyto {
namespace {

namespace fs = std::filesystem;

// Every file name cytostorm writes into an output directory, but checkpoints
// (a fresh run refuses to start next to them) and the lock file.
const char* const kOutputNames =
    R"(summary\.json|timeseries\.csv|timeseries\.json|populations\.csv|plasma\.csv|fields\.xmf|geometry\.h5)"
    R"(|snapshot_\d{6}\.h5|diagnostic_step_\d{12}\.h5|checkpoint_\d{12}\.h5\.superseded)";

bool is_output_name(const std::string& name) {
  static const std::regex ours(kOutputNames);
  return std::regex_match(name, ours);
}

// The temporaries of any file cytostorm writes there, checkpoints and the
// --walltime write probe included.
bool is_output_temporary(const std::string& name) {
  static const std::regex ours(
      fmt::format(R"((?:{}|checkpoint_\d{{12}}\.h5|\.write_probe\.\d+)\.tmp\..+)", kOutputNames));
  return std::regex_match(name, ours);
}

std::string utc_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

// What the lock file says of its holder ("pid 12 on host n1 since ...").
std::string read_holder(int fd) {
  char text[512] = {};
  const ssize_t n = ::pread(fd, text, sizeof text - 1, 0);
  std::string holder = n > 0 ? std::string(text, std::size_t(n)) : std::string();
  while (!holder.empty() && (holder.back() == '\n' || holder.back() == '\r')) holder.pop_back();
  for (char& c : holder)
    if (c < ' ' || c > '~') c = '?';  // one printable line, whatever the file holds
  return holder.empty() ? "its pid and host are not recorded yet" : holder;
}

}  // namespace

DirectoryLock::DirectoryLock(const std::string& directory, std::FILE* log)
    : path_(directory + "/" + kLockFileName) {
  // The file is removed when the lock is given back, so a lock taken on a
  // file that was removed (or replaced) meanwhile is no lock: taken again.
  for (int attempt = 0; attempt < 100; ++attempt) {
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0)
      throw RuntimeFailure(fmt::format("cannot create the lock file {}: {}", path_, std::strerror(errno)));
    struct flock lock {};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    // An open-file-description lock is not dropped when some other descriptor
    // of the file is closed, and conflicts within one process too.
    int result = ::fcntl(fd_, F_OFD_SETLK, &lock);
    if (result != 0 && errno == EINVAL) result = ::fcntl(fd_, F_SETLK, &lock);  // kernels before 3.15
    if (result != 0) {
      const int error = errno;
      const std::string holder = read_holder(fd_);
      ::close(fd_);
      fd_ = -1;
      if (error == EAGAIN || error == EACCES)
        throw InputError(SourceLocation{directory, 0, 0, ""},
                         fmt::format("the output directory is in use by another cytostorm run ({}; lock file "
                                     "{}): wait for it to end, or choose another --output",
                                     holder, kLockFileName));
      fmt::print(log,
                 "warning: cannot lock the output directory {} ({}): make sure no other run writes into it\n",
                 directory, std::strerror(error));
      return;
    }
    struct stat held {
    }, named{};
    if (::fstat(fd_, &held) == 0 && ::stat(path_.c_str(), &named) == 0 && held.st_dev == named.st_dev &&
        held.st_ino == named.st_ino)
      break;
    ::close(fd_);
    fd_ = -1;
  }
  if (fd_ < 0) throw RuntimeFailure(fmt::format("cannot take the lock {}: it keeps being replaced", path_));
  const std::string record = fmt::format("pid {} on host {} since {}\n", ::getpid(), host_name(), utc_now());
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, record.data(), record.size(), 0) != ssize_t(record.size()))
    fmt::print(log, "warning: cannot record this run in the lock file {}: {}\n", path_, std::strerror(errno));
}

DirectoryLock::~DirectoryLock() {
  if (fd_ < 0) return;
  // Removed while still held: a run waiting to lock it takes it again (see above).
  ::unlink(path_.c_str());
  ::close(fd_);
}

LockProbe probe_directory_lock(const std::string& directory) {
  const std::string path = directory + "/" + kLockFileName;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return {errno == ENOENT ? LockProbe::State::Free : LockProbe::State::Unknown, {}};
  struct flock query {};
  query.l_type = F_WRLCK;
  query.l_whence = SEEK_SET;
  int result = ::fcntl(fd, F_OFD_GETLK, &query);
  if (result != 0 && errno == EINVAL) {
    query = {};
    query.l_type = F_WRLCK;
    query.l_whence = SEEK_SET;
    result = ::fcntl(fd, F_GETLK, &query);
  }
  LockProbe probe;
  if (result != 0)
    probe.state = LockProbe::State::Unknown;
  else if (query.l_type != F_UNLCK) {
    probe.state = LockProbe::State::Held;
    probe.holder = read_holder(fd);
  }
  ::close(fd);
  return probe;
}

int remove_dead_temporaries(const std::string& directory, int* other_hosts) {
  int removed = 0, elsewhere = 0;
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(directory, ec)) {
    const std::string name = entry.path().filename().string();
    if (!is_output_temporary(name) || !entry.is_regular_file(ec)) continue;
    const TemporaryOwner owner = temporary_owner(name);
    if (owner == TemporaryOwner::OtherHost) ++elsewhere;
    if (owner == TemporaryOwner::Dead && fs::remove(entry.path(), ec)) ++removed;
  }
  if (other_hosts) *other_hosts = elsewhere;
  return removed;
}

MovedAside move_aside_previous_outputs(const std::string& directory) {
  std::vector<fs::path> earlier;
  int highest = 0;
  std::error_code ec;
  static const std::regex backup(R"(previous\.(\d{1,9}))");
  for (const fs::directory_entry& entry : fs::directory_iterator(directory, ec)) {
    const std::string name = entry.path().filename().string();
    std::smatch m;
    if (std::regex_match(name, m, backup)) highest = std::max(highest, std::stoi(m[1].str()));
    if (is_output_name(name) && entry.is_regular_file(ec)) earlier.push_back(entry.path());
  }
  MovedAside moved;
  if (earlier.empty()) return moved;
  // create_directory is false for an existing name: never into an older backup.
  for (int n = highest + 1;; ++n) {
    const fs::path folder = fs::path(directory) / fmt::format("previous.{}", n);
    if (fs::create_directory(folder, ec)) {
      moved.folder = folder.string();
      break;
    }
    if (ec || n > highest + 1000)
      throw RuntimeFailure(fmt::format("cannot create {} for the outputs of an earlier run: {}",
                                       folder.string(), ec ? ec.message() : "the name is taken"));
  }
  for (const fs::path& file : earlier) {
    fs::rename(file, fs::path(moved.folder) / file.filename(), ec);
    if (ec)
      throw RuntimeFailure(fmt::format("cannot move the earlier output {} to {}: {}", file.string(),
                                       moved.folder, ec.message()));
    ++moved.files;
  }
  return moved;
}

OutputFingerprint fingerprint_output(const std::string& directory, const std::string& name, bool checksum) {
  OutputFingerprint print{name, -1, -1};
  const std::string path = directory + "/" + name;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return print;
  const std::uintmax_t size = fs::file_size(path, ec);
  if (ec) return print;
  print.size = std::int64_t(size);
  if (!checksum) return print;
  std::FILE* in = std::fopen(path.c_str(), "rb");
  if (!in) return print;
  uLong crc = crc32_z(0L, Z_NULL, 0);
  std::vector<unsigned char> buffer(std::size_t(1) << 20);
  std::size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), in)) > 0) crc = crc32_z(crc, buffer.data(), n);
  const bool failed = std::ferror(in) != 0;
  std::fclose(in);
  if (!failed) print.crc32 = std::int64_t(crc);
  return print;
}

std::string fingerprints_to_text(const std::vector<OutputFingerprint>& prints) {
  std::string text;
  for (const OutputFingerprint& p : prints) text += fmt::format("{} {} {}\n", p.name, p.size, p.crc32);
  return text;
}

std::vector<OutputFingerprint> fingerprints_from_text(const std::string& text) {
  std::vector<OutputFingerprint> prints;
  std::istringstream lines(text);
  OutputFingerprint p;
  while (lines >> p.name >> p.size >> p.crc32) prints.push_back(p);
  return prints;
}

std::string compare_fingerprints(const std::string& directory,
                                 const std::vector<OutputFingerprint>& recorded) {
  std::string first;
  int differing = 0;
  for (const OutputFingerprint& was : recorded) {
    if (was.size < 0) continue;  // absent when recorded
    const OutputFingerprint now = fingerprint_output(directory, was.name, was.crc32 >= 0);
    if (now.size < 0) continue;  // missing now: reported as a missing snapshot
    std::string why;
    if (now.size != was.size)
      why = fmt::format("{} has {} bytes, the checkpoint recorded {}", was.name, now.size, was.size);
    else if (was.crc32 >= 0 && now.crc32 != was.crc32)
      why =
          fmt::format("{} has CRC-32 {:08x}, the checkpoint recorded {:08x}", was.name, now.crc32, was.crc32);
    if (why.empty()) continue;
    if (first.empty()) first = why;
    ++differing;
  }
  if (differing == 0) return "";
  return differing == 1 ? first : fmt::format("{} (and {} more files differ)", first, differing - 1);
}

}  // namespace cyto
