// Files that appear whole or not at all: a run that is killed never leaves
// a half-written file under a final name. Writers whose files come from a
// library (HDF5) use the building blocks in detail: write under
// temporary_path(), then commit_temporary_file().
#pragma once

#include <string>

namespace cyto {

// Writes `content` to `path` atomically: `path.tmp.<pid>` is written, flushed
// with fsync, renamed over `path`, and the directory is fsync'ed.
// Throws RuntimeFailure naming the file and the OS error.
void write_file_atomically(const std::string& path, const std::string& content);

// Creates `directory` (and parents); RuntimeFailure if impossible.
void ensure_directory(const std::string& directory);

namespace detail {

// "<path>.tmp.<pid>": a name no other process writes, next to `path` so that
// the final rename stays within one file system.
std::string temporary_path(const std::string& path);

// Makes the complete `temporary` durable (fsync), renames it over `path` and
// fsyncs the directory. On failure `temporary` is removed and RuntimeFailure
// ("cannot write <path>: <reason>") is thrown; a previous `path` is untouched.
void commit_temporary_file(const std::string& temporary, const std::string& path);

}  // namespace detail
}  // namespace cyto
