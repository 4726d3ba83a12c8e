// Errors that carry their origin up to the CLI, which prints one line and
// exits with a documented code. Library code never calls exit().
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace cyto {

// Where a value came from: a YAML file position, or a --set override.
// line and column are 1-based; 0 means unknown.
struct SourceLocation {
  std::string file;  // scenario path, or "--set" for command-line overrides
  int line = 0;
  int column = 0;
  std::string key_path;  // e.g. "species[1].diffusion.parenchyma"

  // "file:line:column" (or "file" / "--set key=value"), no trailing colon.
  std::string position() const;
};

// Bad input of any kind (YAML, units, geometry, command line). Exit code 2.
class InputError : public std::runtime_error {
 public:
  InputError(SourceLocation where, const std::string& message);
  const SourceLocation& where() const { return where_; }
  // The bare message without location.
  const std::string& detail() const { return detail_; }

 private:
  SourceLocation where_;
  std::string detail_;
};

// A failure while running (I/O, numerical blow-up, device error). Exit code 1.
class RuntimeFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Error lines are read on terminals and in batch logs. Quoted values are
// elided so that a line stays near 300 characters; a message that still
// exceeds kMaxErrorLine (a list of hundreds of items) is cut in the middle.
// The ceiling sits above the longest designed messages (a blow-up's report,
// ~550 characters), which keep every part (docs/reference/exit-codes.md).
inline constexpr std::size_t kMaxErrorLine = 1000;

// A value quoted in a message: the whole of a short one; a long one (or one
// spanning lines) as its start and end with its size, e.g.
// "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx ... xxxxxxxxxx" (10485760 characters).
std::string quote_value(std::string_view value);

// "a, b, c" while it fits `budget` characters, else as many as fit and
// "... (N in all)": lists in messages (keys that differ, names defined).
std::string summarise_list(const std::vector<std::string>& items, const char* separator, std::size_t budget);

// The message as one line of at most kMaxErrorLine characters (plus what
// the caller prefixes): control characters escaped, long quoted values
// elided with their size, and what still exceeds the limit cut in the
// middle, keeping the position at the start. Every error printed goes
// through it (the CLI's fail()).
std::string one_line(std::string_view message);

// Documented process exit codes (docs/reference/exit-codes.md).
enum ExitCode : int {
  kExitSuccess = 0,
  kExitRuntimeFailure = 1,
  kExitBadInput = 2,
  kExitStopped = 3,       // stopped early (signal, --walltime, --stop-at-step) after writing a checkpoint
  kExitUnresponsive = 4,  // MPI: a rank stopped answering; the others gave up past the --walltime deadline
};

}  // namespace cyto
