// Internal building blocks of write_file_atomically (output.hpp), shared with
// writers whose files are produced by a library (HDF5) rather than from a
// string: write under temporary_path(), then commit_temporary_file().
#pragma once

#include <string>

namespace cyto::detail {

// "<path>.tmp.<pid>": a name no other process writes, next to `path` so that
// the final rename stays within one file system.
std::string temporary_path(const std::string& path);

// Makes the complete `temporary` durable (fsync), renames it over `path` and
// fsyncs the directory. On failure `temporary` is removed and RuntimeFailure
// ("cannot write <path>: <reason>") is thrown; a previous `path` is untouched.
void commit_temporary_file(const std::string& temporary, const std::string& path);

}  // namespace cyto::detail
