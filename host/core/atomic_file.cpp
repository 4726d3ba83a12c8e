#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <regex>
#include <system_error>

#include <fmt/format.h>

#include "host/core/atomic_file.hpp"
#include "host/core/error.hpp"

namespace cyto {

namespace {

[[noreturn]] void fail(const std::string& path, int error) {
  throw RuntimeFailure(fmt::format("cannot write {}: {}", path, std::strerror(error)));
}

[[noreturn]] void abandon(const std::string& temporary, const std::string& path, int error) {
  ::unlink(temporary.c_str());
  fail(path, error);
}

// 0 or the errno of the failed write; retries short writes and EINTR.
int write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t written = ::write(fd, data, size);
    if (written < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    data += written;
    size -= static_cast<std::size_t>(written);
  }
  return 0;
}

// 0 or the errno of the failed open/fsync/close.
int sync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return errno;
  int error = ::fsync(fd) == 0 ? 0 : errno;
  if (::close(fd) != 0 && error == 0) error = errno;
  return error;
}

void rename_into_place(const std::string& temporary, const std::string& path) {
  if (::rename(temporary.c_str(), path.c_str()) != 0) abandon(temporary, path, errno);
  // Without this fsync the rename itself may be lost on a crash.
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  const int error = sync_path(parent.empty() ? "." : parent.string(), O_RDONLY | O_DIRECTORY);
  // EINVAL: the file system cannot sync directories; nothing more can be done.
  if (error != 0 && error != EINVAL) fail(path, error);
}

}  // namespace

namespace detail {

std::string temporary_path(const std::string& path) {
  return fmt::format("{}.tmp.{}@{}", path, ::getpid(), host_name());
}

void commit_temporary_file(const std::string& temporary, const std::string& path) {
  if (const int error = sync_path(temporary, O_RDONLY); error != 0) {
    abandon(temporary, path, error);
  }
  rename_into_place(temporary, path);
}

}  // namespace detail

void write_file_atomically(const std::string& path, const std::string& content) {
  const std::string temporary = detail::temporary_path(path);
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail(path, errno);
  int error = write_all(fd, content.data(), content.size());
  if (error == 0 && ::fsync(fd) != 0) error = errno;
  // close() can report deferred write errors (e.g. ENOSPC on network file systems).
  if (::close(fd) != 0 && error == 0) error = errno;
  if (error != 0) abandon(temporary, path, error);
  rename_into_place(temporary, path);
}

std::string host_name() {
  char name[HOST_NAME_MAX + 1] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "unknown-host";
  std::string host(name);
  // A host name never holds '/', but a file name must not either.
  for (char& c : host)
    if (c == '/' || c == '@') c = '_';
  return host;
}

TemporaryOwner temporary_owner(const std::string& file_name) {
  static const std::regex temporary(R"(.+\.tmp\.(\d{1,9})(?:@(.+))?)");
  std::smatch m;
  if (!std::regex_match(file_name, m, temporary)) return TemporaryOwner::NotTemporary;
  if (m[2].matched && m[2].str() != host_name()) return TemporaryOwner::OtherHost;
  const pid_t pid = pid_t(std::stol(m[1].str()));
  if (pid == ::getpid()) return TemporaryOwner::ThisProcess;
  // ESRCH: no such process. EPERM means it exists (another user's).
  if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH) return TemporaryOwner::Dead;
  return TemporaryOwner::Alive;
}

void ensure_directory(const std::string& directory) {
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  // create_directories does not report an existing non-directory on every library version.
  if (!error && !std::filesystem::is_directory(directory, error) && !error) {
    error = std::make_error_code(std::errc::not_a_directory);
  }
  if (error) {
    throw RuntimeFailure(fmt::format("cannot create directory {}: {}", directory, error.message()));
  }
}

}  // namespace cyto
