// The pieces the mesh readers and writers share: errors, tokens and
// numbers of text formats, the checks every mesh passes.
#include "host/geometry/mesh_io_common.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

#include <fmt/format.h>

namespace cyto::mesh_io {

[[noreturn]] void fail(const std::string& name, int line, const std::string& message) {
  throw InputError(SourceLocation{name, line, 0, ""}, message);
}

// A token for an error message: bounded, with bytes that a terminal would mangle escaped.
std::string printable(std::string_view token) {
  constexpr std::size_t kMaxShown = 40;
  std::string out = "\"";
  for (std::size_t i = 0; i < token.size() && i < kMaxShown; ++i) {
    const auto c = static_cast<unsigned char>(token[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  if (token.size() > kMaxShown) out += "...";
  out += '"';
  return out;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Case-insensitive match against a lower-case keyword.
bool keyword_is(std::string_view token, std::string_view keyword) {
  if (token.size() != keyword.size()) return false;
  for (std::size_t i = 0; i < token.size(); ++i) {
    if (to_lower(token[i]) != keyword[i]) return false;
  }
  return true;
}

// Editors on Windows like to start text files with a UTF-8 byte order mark.
std::string_view strip_bom(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  return text;
}

// LF, CRLF (counted at its LF) and the lone CR of classic Mac files end a line.
bool ends_line(std::string_view text, std::size_t pos) {
  return text[pos] == '\n' || (text[pos] == '\r' && (pos + 1 == text.size() || text[pos + 1] != '\n'));
}

// Saturating, so that a file with more than 2^31 lines cannot overflow the counter.
void next_line(int& line) {
  if (line < std::numeric_limits<int>::max()) ++line;
}

// The whole token as a double; false when it is not a number. Overflow gives +-inf, which the callers
// report as a non-finite coordinate. (strtod is locale-dependent, but only sees out-of-range numbers
// where from_chars exists, and cytostorm never leaves the "C" locale.)
bool parse_double(std::string_view token, double& out) {
  // from_chars rejects a leading '+', which some exporters write.
  if (token.size() > 1 && token[0] == '+' && token[1] != '+' && token[1] != '-') token.remove_prefix(1);
  if (token.empty()) return false;
#if defined(__cpp_lib_to_chars)
  const char* last = token.data() + token.size();
  const auto [end, ec] = std::from_chars(token.data(), last, out, std::chars_format::general);
  if (end != last) return false;
  if (ec == std::errc()) return true;
  // Out of range: from_chars leaves `out` unset, strtod gives +-HUGE_VAL or the underflowed value.
  if (ec != std::errc::result_out_of_range) return false;
#endif
  const std::string copy(token);  // NUL-terminated, so strtod cannot read past the token
  char* stop = nullptr;
  out = std::strtod(copy.c_str(), &stop);
  return stop == copy.c_str() + copy.size();
}

// The first non-finite coordinate of `p`, or nullptr.
const double* non_finite(const std::array<double, 3>& p) {
  for (const double& x : p) {
    if (!std::isfinite(x)) return &x;
  }
  return nullptr;
}

// Checks that apply to every format, after parsing.
void check_mesh(const TriangleMesh& mesh, const std::string& name) {
  if (mesh.triangles.empty()) {
    if (mesh.vertices.empty()) fail(name, 0, "the mesh has no triangles");
    fail(name, 0, fmt::format("the mesh has no triangles ({} vertices but no faces)", mesh.vertices.size()));
  }
  if (mesh.vertices.size() > kMaxCount || mesh.triangles.size() > kMaxCount) {
    fail(name, 0, fmt::format("the mesh has more than {} vertices or triangles", kMaxCount));
  }
  // The parsers report non-finite coordinates with their line; this guards any path they missed.
  for (std::size_t i = 0; i < mesh.vertices.size(); ++i) {
    if (const double* bad = non_finite(mesh.vertices[i])) {
      fail(name, 0, fmt::format("vertex {} has a non-finite coordinate ({})", i + 1, *bad));
    }
  }
}

[[noreturn]] void write_failure(const std::string& path, const std::string& reason) {
  throw RuntimeFailure(fmt::format("cannot write {}: {}", path, reason));
}

// Writing a file the readers would reject helps nobody, so the writers refuse such meshes.
void check_writable(const std::string& path, const TriangleMesh& mesh, bool float32) {
  for (std::size_t i = 0; i < mesh.vertices.size(); ++i) {
    for (const double x : mesh.vertices[i]) {
      if (!std::isfinite(x))
        write_failure(path, fmt::format("vertex {} has a non-finite coordinate ({})", i + 1, x));
      if (float32 && std::fabs(x) > static_cast<double>(std::numeric_limits<float>::max())) {
        write_failure(path,
                      fmt::format("vertex {} coordinate {} is beyond the float32 range of STL", i + 1, x));
      }
    }
  }
  if (mesh.triangles.size() > kMaxCount) write_failure(path, "too many triangles");
  for (std::size_t t = 0; t < mesh.triangles.size(); ++t) {
    for (const std::int32_t v : mesh.triangles[t]) {
      if (v < 0 || static_cast<std::size_t>(v) >= mesh.vertices.size()) {
        write_failure(path, fmt::format("triangle {} refers to vertex index {} but the mesh has {} vertices",
                                        t + 1, v, mesh.vertices.size()));
      }
    }
  }
}

}  // namespace cyto::mesh_io
