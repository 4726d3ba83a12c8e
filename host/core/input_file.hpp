// Every input file the program reads (scenario YAML, meshes, label maps)
// is opened here: only a regular file is accepted, and no more bytes are
// read than the format can hold. A FIFO, a device (/dev/zero,
// /dev/urandom), a directory or a file that keeps growing would otherwise
// make a reader block forever or read until memory runs out.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace cyto {

// An open, regular input file. Opening never blocks: the file is opened
// with O_NONBLOCK (a FIFO opens at once) and refused by its fstat type
// before anything is read. Movable, closes what it still owns.
class InputFile {
 public:
  // `what` names the file in messages ("cannot open mesh file: ..."; empty:
  // "cannot open: ..." where the path says enough);
  // `max_bytes` is the most the format can hold: a larger file is refused
  // before it is read. InputError (exit 2) at `path` for a missing or
  // unreadable file, one that is not a regular file, or one too large.
  InputFile(const std::string& path, std::string_view what, std::uint64_t max_bytes);
  InputFile(InputFile&& other) noexcept;
  InputFile& operator=(InputFile&&) = delete;
  InputFile(const InputFile&) = delete;
  ~InputFile();

  const std::string& path() const { return path_; }
  std::uint64_t size() const { return size_; }  // at open

  // The whole file; InputError if it grows past max_bytes while being read
  // (a file something keeps appending to).
  std::string read_all();
  // At most `limit` bytes from the start (a text header's prefix).
  std::string read_prefix(std::uint64_t limit);

  // Hand the descriptor over (for gzdopen or fdopen); the caller closes it.
  int release();
  // As a stdio stream the caller owns; InputError if that fails.
  std::FILE* release_as_stdio();

 private:
  std::string subject() const { return what_.empty() ? what_ : " " + what_; }

  std::string path_;
  std::string what_;
  std::uint64_t max_bytes_ = 0;
  std::uint64_t size_ = 0;
  int fd_ = -1;
};

// The whole of a regular file of at most `max_bytes` bytes.
std::string read_input_file(const std::string& path, std::string_view what, std::uint64_t max_bytes);

// "12.0 MiB", "348 bytes": sizes in messages.
std::string describe_bytes(std::uint64_t bytes);

}  // namespace cyto
