#include "host/core/input_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "host/core/error.hpp"

namespace cyto {
namespace {

[[noreturn]] void refuse(const std::string& path, const std::string& message) {
  throw InputError(SourceLocation{path, 0, 0, ""}, message);
}

const char* kind_of(mode_t mode) {
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

}  // namespace

std::string describe_bytes(std::uint64_t bytes) {
  if (bytes < 1024) return fmt::format("{} bytes", bytes);
  if (bytes < (std::uint64_t{1} << 20)) return fmt::format("{:.1f} KiB", bytes / 1024.0);
  if (bytes < (std::uint64_t{1} << 30)) return fmt::format("{:.1f} MiB", bytes / 1048576.0);
  return fmt::format("{:.1f} GiB", bytes / 1073741824.0);
}

InputFile::InputFile(const std::string& path, std::string_view what, std::uint64_t max_bytes)
    : path_(path), what_(what), max_bytes_(max_bytes) {
  // O_NONBLOCK: opening a FIFO without a writer returns at once instead of
  // waiting for one; the type check below then refuses it unread.
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd_ < 0) refuse(path, fmt::format("cannot open{}: {}", subject(), std::strerror(errno)));
  struct stat info {};
  if (::fstat(fd_, &info) != 0) {
    const int error = errno;
    ::close(fd_);
    refuse(path, fmt::format("cannot read{}: {}", subject(), std::strerror(error)));
  }
  if (!S_ISREG(info.st_mode)) {
    ::close(fd_);
    if (S_ISDIR(info.st_mode))
      refuse(path, fmt::format("cannot open{}: {}", subject(), std::strerror(EISDIR)));
    refuse(path,
           fmt::format("cannot open{}: it is {}, not a regular file", subject(), kind_of(info.st_mode)));
  }
  size_ = static_cast<std::uint64_t>(info.st_size);
  if (size_ > max_bytes_) {
    ::close(fd_);
    refuse(path, fmt::format("cannot read{}: it holds {}, more than the limit of {}", subject(),
                             describe_bytes(size_), describe_bytes(max_bytes_)));
  }
  // Regular files never block; reads go back to the ordinary blocking mode.
  ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) & ~O_NONBLOCK);
}

InputFile::InputFile(InputFile&& other) noexcept
    : path_(std::move(other.path_)),
      what_(std::move(other.what_)),
      max_bytes_(other.max_bytes_),
      size_(other.size_),
      fd_(other.fd_) {
  other.fd_ = -1;
}

InputFile::~InputFile() {
  if (fd_ >= 0) ::close(fd_);
}

std::string InputFile::read_prefix(std::uint64_t limit) {
  std::string bytes;
  char buffer[1 << 16];
  while (bytes.size() < limit) {
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(sizeof buffer, limit - bytes.size()));
    const ssize_t got = ::read(fd_, buffer, want);
    if (got == 0) break;
    if (got < 0) {
      if (errno == EINTR) continue;
      refuse(path_, fmt::format("cannot read{}: {}", subject(), std::strerror(errno)));
    }
    bytes.append(buffer, static_cast<std::size_t>(got));
  }
  return bytes;
}

std::string InputFile::read_all() {
  std::string bytes;
  bytes.reserve(static_cast<std::size_t>(size_));
  // One byte past the limit proves a file that grew beyond what the format holds.
  bytes = read_prefix(max_bytes_ + 1);
  if (bytes.size() > max_bytes_) {
    refuse(path_, fmt::format("cannot read{}: it grew past the limit of {} while being read; is something "
                              "still writing it?",
                              subject(), describe_bytes(max_bytes_)));
  }
  return bytes;
}

int InputFile::release() {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

std::FILE* InputFile::release_as_stdio() {
  std::FILE* stream = ::fdopen(fd_, "rb");
  if (stream == nullptr) refuse(path_, fmt::format("cannot read{}: {}", subject(), std::strerror(errno)));
  fd_ = -1;
  return stream;
}

std::string read_input_file(const std::string& path, std::string_view what, std::uint64_t max_bytes) {
  return InputFile(path, what, max_bytes).read_all();
}

}  // namespace cyto
