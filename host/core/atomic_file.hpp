// Files that appear whole or not at all: a run that is killed never leaves
// a half-written file under a final name. Writers whose files come from a
// library (HDF5) use the building blocks in detail: write under
// temporary_path(), then commit_temporary_file().
#pragma once

#include <string>

namespace cyto {

// Writes `content` to `path` atomically: `path.tmp.<pid>@<host>` is written, flushed
// with fsync, renamed over `path`, and the directory is fsync'ed.
// Throws RuntimeFailure naming the file and the OS error.
void write_file_atomically(const std::string& path, const std::string& content);

// Creates `directory` (and parents); RuntimeFailure if impossible.
void ensure_directory(const std::string& directory);

namespace detail {

// "<path>.tmp.<pid>@<host>": a name no other process writes, next to `path`
// so that the final rename stays within one file system. The host is in the
// name because on a shared file system only the host that wrote a temporary
// can tell whether its writer still lives.
std::string temporary_path(const std::string& path);

// Makes the complete `temporary` durable (fsync), renames it over `path` and
// fsyncs the directory. On failure `temporary` is removed and RuntimeFailure
// ("cannot write <path>: <reason>") is thrown; a previous `path` is untouched.
void commit_temporary_file(const std::string& temporary, const std::string& path);

}  // namespace detail

// This machine's host name (gethostname), as temporary names and the output
// directory lock record it.
std::string host_name();

// What a temporary file's name says of its writer.
enum class TemporaryOwner {
  NotTemporary,  // not a name temporary_path() makes
  ThisProcess,
  Alive,      // a process of this host that still runs (or that we may not signal)
  Dead,       // no process of this host has that pid: left behind by a killed writer
  OtherHost,  // written on another host: whether its writer lives cannot be told here
};
// Names without a host (written by earlier builds: "<path>.tmp.<pid>")
// count as this host's.
TemporaryOwner temporary_owner(const std::string& file_name);

}  // namespace cyto
