// The pieces the mesh readers and writers (STL: stl.cpp, OBJ: obj.cpp)
// share. For those files only; the public API is mesh_io.hpp.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "host/geometry/mesh_io.hpp"

namespace cyto::mesh_io {

// Indices are int32; a count must stay below this so that every index fits.
inline constexpr std::size_t kMaxCount = static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max());

// The most bytes a mesh file may hold (binary or text): 4 GiB, about 86
// million binary STL triangles or tens of millions of text ones; it bounds
// what is read from a file that keeps growing (docs/reference/limits.md).
inline constexpr std::uint64_t kMaxMeshFileBytes = std::uint64_t{4} << 30;

// InputError at the file and (text formats) line; line 0 for the whole file.
[[noreturn]] void fail(const std::string& name, int line, const std::string& message);

// ---- text ----

// A token for an error message: bounded, with bytes that a terminal would mangle escaped.
std::string printable(std::string_view token);
bool is_space(char c);
char to_lower(char c);
// Case-insensitive match against a lower-case keyword.
bool keyword_is(std::string_view token, std::string_view keyword);
// Editors on Windows like to start text files with a UTF-8 byte order mark.
std::string_view strip_bom(std::string_view text);
// LF, CRLF (counted at its LF) and the lone CR of classic Mac files end a line.
bool ends_line(std::string_view text, std::size_t pos);
// Saturating, so that a file with more than 2^31 lines cannot overflow the counter.
void next_line(int& line);
// The whole token as a double; false when it is not a number. Overflow gives +-inf.
bool parse_double(std::string_view token, double& out);
// The first non-finite coordinate of `p`, or nullptr.
const double* non_finite(const std::array<double, 3>& p);

// ---- checks ----

// Checks that apply to every format, after parsing.
void check_mesh(const TriangleMesh& mesh, const std::string& name);
// RuntimeFailure "cannot write <path>: <reason>".
[[noreturn]] void write_failure(const std::string& path, const std::string& reason);
// Writing a file the readers would reject helps nobody, so the writers refuse such meshes.
void check_writable(const std::string& path, const TriangleMesh& mesh, bool float32);

}  // namespace cyto::mesh_io
