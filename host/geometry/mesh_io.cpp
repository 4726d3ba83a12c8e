#include "host/geometry/mesh_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <limits>
#include <unordered_map>

#include <fmt/format.h>

#include "host/core/atomic_file.hpp"

namespace cyto {

namespace {

// Indices are int32; a count must stay below this so that every index fits.
constexpr std::size_t kMaxCount = static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max());

constexpr std::size_t kBinaryHeaderBytes = 80;
constexpr std::size_t kBinaryPreambleBytes = 84;  // header + uint32 triangle count
constexpr std::size_t kBinaryTriangleBytes = 50;  // normal, 3 vertices (12 float32), uint16 attribute

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

// Hash key of a point: the bit patterns of its coordinates, so that welding is exact.
struct PointKey {
  std::array<std::uint64_t, 3> bits;
  bool operator==(const PointKey& other) const { return bits == other.bits; }
};

struct PointKeyHash {
  std::size_t operator()(const PointKey& key) const {
    std::uint64_t h = 0;
    for (const std::uint64_t b : key.bits) {  // splitmix64 steps: all bits affect all bits
      h ^= b + 0x9e3779b97f4a7c15ULL;
      h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
      h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
      h ^= h >> 31;
    }
    return static_cast<std::size_t>(h);
  }
};

// Gives each distinct point one vertex, so that STL triangles (which repeat their corners) share
// vertices as the enclosed-volume and manifold checks need.
class Welder {
 public:
  Welder(TriangleMesh& mesh, const std::string& name) : mesh_(mesh), name_(name) {}

  void reserve(std::size_t count) {
    mesh_.vertices.reserve(count);
    index_.reserve(count);
  }

  // `p` must be finite: NaN never equals itself, and the callers report it with its position.
  std::int32_t add(const std::array<double, 3>& p) {
    PointKey key;
    for (int a = 0; a < 3; ++a) {
      const double x = p[a] + 0.0;  // -0 + 0 = +0: both zeros are the same point
      std::memcpy(&key.bits[a], &x, sizeof x);
    }
    if (const auto found = index_.find(key); found != index_.end()) return found->second;
    if (mesh_.vertices.size() >= kMaxCount) {
      fail(name_, 0, fmt::format("the mesh has more than {} distinct vertices", kMaxCount));
    }
    const auto index = static_cast<std::int32_t>(mesh_.vertices.size());
    mesh_.vertices.push_back(p);
    index_.emplace(key, index);
    return index;
  }

 private:
  TriangleMesh& mesh_;
  const std::string& name_;
  std::unordered_map<PointKey, std::int32_t, PointKeyHash> index_;
};

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

// ---------------------------------------------------------------------------------------------------
// Binary STL: 80-byte header, uint32 triangle count, then per triangle 12 little-endian float32
// (normal, 3 vertices) and a uint16 attribute.

std::uint32_t load_u32le(const unsigned char* p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

float load_f32le(const unsigned char* p) {
  const std::uint32_t bits = load_u32le(p);
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

// The size a binary STL with the triangle count stored in `bytes` must have (bytes.size() >= 84).
std::uint64_t binary_stl_size(std::string_view bytes) {
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  return kBinaryPreambleBytes + std::uint64_t{kBinaryTriangleBytes} * load_u32le(data + kBinaryHeaderBytes);
}

TriangleMesh parse_binary_stl(std::string_view bytes, const std::string& name) {
  if (bytes.size() < kBinaryPreambleBytes) {
    fail(name, 0,
         fmt::format("too short for a binary STL ({} bytes, need at least {})", bytes.size(),
                     kBinaryPreambleBytes));
  }
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::uint32_t count = load_u32le(data + kBinaryHeaderBytes);
  const std::uint64_t expected = binary_stl_size(bytes);
  if (expected != bytes.size()) {
    fail(name, 0,
         fmt::format("binary STL declares {} triangles ({} bytes) but the file has {} bytes", count, expected,
                     bytes.size()));
  }
  if (count > kMaxCount) {
    fail(name, 0,
         fmt::format("binary STL declares {} triangles, more than the {} supported", count, kMaxCount));
  }

  TriangleMesh mesh;
  mesh.triangles.reserve(count);  // bounded: the size check above proves the bytes are there
  Welder welder(mesh, name);
  welder.reserve(count / 2 + 2);  // a closed mesh has about half as many vertices as triangles
  for (std::uint32_t t = 0; t < count; ++t) {
    // Skip the stored normal: it is often wrong, and the winding says the same.
    const unsigned char* corners = data + kBinaryPreambleBytes + std::size_t{kBinaryTriangleBytes} * t + 12;
    std::array<std::int32_t, 3> triangle;
    for (int c = 0; c < 3; ++c) {
      std::array<double, 3> p;
      for (int a = 0; a < 3; ++a) p[a] = load_f32le(corners + 12 * c + 4 * a);
      if (const double* bad = non_finite(p)) {
        fail(name, 0,
             fmt::format("vertex {} of triangle {} has a non-finite coordinate ({})", c + 1, t + 1, *bad));
      }
      triangle[c] = welder.add(p);
    }
    mesh.triangles.push_back(triangle);
  }
  return mesh;
}

// ---------------------------------------------------------------------------------------------------
// ASCII STL.

// Whitespace-separated tokens with their line numbers.
class Tokens {
 public:
  explicit Tokens(std::string_view text) : text_(text) {}

  // The next token; empty at the end of the text, where line() stays at the last token's line.
  std::string_view next() {
    while (pos_ < text_.size() && is_space(text_[pos_])) {
      if (ends_line(text_, pos_)) next_line(line_);
      ++pos_;
    }
    const std::size_t start = pos_;
    while (pos_ < text_.size() && !is_space(text_[pos_])) ++pos_;
    if (pos_ > start) token_line_ = line_;
    return text_.substr(start, pos_ - start);
  }

  // Skips what is left of the current line: the free-text name after "solid" and "endsolid".
  void skip_line() {
    while (pos_ < text_.size() && !ends_line(text_, pos_)) ++pos_;
  }

  int line() const { return token_line_; }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  int line_ = 1;
  int token_line_ = 1;
};

class AsciiStlReader {
 public:
  AsciiStlReader(std::string_view text, const std::string& name)
      : tokens_(strip_bom(text)), name_(name), welder_(mesh_, name) {}

  TriangleMesh read() {
    std::string_view token = tokens_.next();
    if (!keyword_is(token, "solid")) unexpected(token, "\"solid\"");
    // Several solids may follow one another; they form one mesh.
    while (true) {
      tokens_.skip_line();  // the solid's name
      while (true) {
        token = tokens_.next();
        if (keyword_is(token, "endsolid")) break;
        if (!keyword_is(token, "facet")) unexpected(token, "\"facet\" or \"endsolid\"");
        facet();
      }
      tokens_.skip_line();  // the name repeated after "endsolid"
      token = tokens_.next();
      if (token.empty()) break;
      if (!keyword_is(token, "solid")) unexpected(token, "\"solid\" or the end of the file");
    }
    return std::move(mesh_);
  }

 private:
  [[noreturn]] void unexpected(std::string_view token, std::string_view wanted) {
    if (token.empty())
      fail(name_, tokens_.line(), fmt::format("unexpected end of file, expected {}", wanted));
    fail(name_, tokens_.line(), fmt::format("expected {} but found {}", wanted, printable(token)));
  }

  void expect(std::string_view keyword) {
    const std::string_view token = tokens_.next();
    if (!keyword_is(token, keyword)) unexpected(token, fmt::format("\"{}\"", keyword));
  }

  double number(std::string_view what) {
    const std::string_view token = tokens_.next();
    if (token.empty()) unexpected(token, fmt::format("a {}", what));
    double value;
    if (!parse_double(token, value))
      fail(name_, tokens_.line(), fmt::format("non-numeric {} {}", what, printable(token)));
    return value;
  }

  // After "facet": "normal nx ny nz outer loop (vertex x y z){3} endloop endfacet".
  void facet() {
    const int facet_line = tokens_.line();
    expect("normal");
    for (int a = 0; a < 3; ++a) number("normal component");  // checked for structure, then ignored
    expect("outer");
    expect("loop");
    std::array<std::int32_t, 3> triangle;
    int corners = 0;
    while (true) {
      const std::string_view token = tokens_.next();
      if (keyword_is(token, "endloop")) break;
      if (!keyword_is(token, "vertex")) unexpected(token, "\"vertex\" or \"endloop\"");
      if (corners == 3) {
        fail(name_, tokens_.line(),
             fmt::format("the facet at line {} has more than 3 vertices (STL facets are triangles)",
                         facet_line));
      }
      ++vertex_number_;
      const int vertex_line = tokens_.line();
      std::array<double, 3> p;
      for (double& x : p) x = number("coordinate");
      if (const double* bad = non_finite(p)) {
        fail(name_, vertex_line,
             fmt::format("vertex {} has a non-finite coordinate ({})", vertex_number_, *bad));
      }
      triangle[corners++] = welder_.add(p);
    }
    if (corners != 3) {
      fail(name_, tokens_.line(),
           fmt::format("the facet at line {} has {} vertices (STL facets are triangles)", facet_line,
                       corners));
    }
    expect("endfacet");
    if (mesh_.triangles.size() >= kMaxCount) {
      fail(name_, tokens_.line(), fmt::format("more than {} triangles", kMaxCount));
    }
    mesh_.triangles.push_back(triangle);
  }

  Tokens tokens_;
  const std::string& name_;
  TriangleMesh mesh_;
  Welder welder_;
  std::uint64_t vertex_number_ = 0;  // 1-based, in file order, for messages
};

// The first token is "solid" and there is no NUL byte. Text has no NULs, and nearly every binary STL
// has them (header padding, zero attribute counts), so a binary file whose header begins with "solid"
// but whose size is wrong gets the binary size message rather than a puzzling syntax error.
bool looks_like_ascii_stl(std::string_view bytes) {
  const std::string_view text = strip_bom(bytes);
  std::size_t i = 0;
  while (i < text.size() && is_space(text[i])) ++i;
  if (!keyword_is(text.substr(i, 5), "solid")) return false;
  if (i + 5 < text.size() && !is_space(text[i + 5])) return false;
  return bytes.find('\0') == std::string_view::npos;
}

// ---------------------------------------------------------------------------------------------------
// Wavefront OBJ.

bool is_integer(std::string_view text) {
  if (!text.empty() && text[0] == '-') text.remove_prefix(1);
  if (text.empty()) return false;
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

class ObjReader {
 public:
  explicit ObjReader(const std::string& name) : name_(name) {}

  // One logical line (continuations joined), numbered by its first physical line.
  void statement(std::string_view line, int line_number) {
    if (const std::size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    split(line);
    if (tokens_.empty()) return;
    if (tokens_[0] == "v") {
      vertex(line_number);
    } else if (tokens_[0] == "f") {
      face(line_number);
    }
    // Everything else (vt, vn, vp, o, g, s, usemtl, mtllib, l, p, curves, ...) does not shape the
    // surface, and OBJ has too many statements to reject the unknown ones.
  }

  TriangleMesh finish() {
    // Positive indices may refer forward, so they are checked once every vertex is known.
    if (max_index_ >= 0 && static_cast<std::size_t>(max_index_) >= mesh_.vertices.size()) {
      fail(name_, max_index_line_,
           fmt::format("face refers to vertex {} but the file defines only {} vertices", max_index_ + 1,
                       mesh_.vertices.size()));
    }
    check_mesh(mesh_, name_);
    return std::move(mesh_);
  }

 private:
  void split(std::string_view line) {
    tokens_.clear();
    std::size_t pos = 0;
    while (true) {
      while (pos < line.size() && is_space(line[pos])) ++pos;
      if (pos == line.size()) return;
      const std::size_t start = pos;
      while (pos < line.size() && !is_space(line[pos])) ++pos;
      tokens_.push_back(line.substr(start, pos - start));
    }
  }

  // "v x y z [w]", possibly followed by colour components; only x y z matter.
  void vertex(int line) {
    if (tokens_.size() < 4) {
      fail(name_, line, fmt::format("vertex needs 3 coordinates but has {}", tokens_.size() - 1));
    }
    std::array<double, 3> p;
    for (int a = 0; a < 3; ++a) {
      if (!parse_double(tokens_[1 + a], p[a])) {
        fail(name_, line, fmt::format("non-numeric coordinate {}", printable(tokens_[1 + a])));
      }
    }
    if (const double* bad = non_finite(p)) {
      fail(name_, line,
           fmt::format("vertex {} has a non-finite coordinate ({})", mesh_.vertices.size() + 1, *bad));
    }
    if (mesh_.vertices.size() >= kMaxCount)
      fail(name_, line, fmt::format("more than {} vertices", kMaxCount));
    mesh_.vertices.push_back(p);
  }

  // "f v1 v2 v3 ...": a polygon, fan-triangulated (exact for the convex polygons exporters write).
  void face(int line) {
    corners_.clear();
    for (std::size_t k = 1; k < tokens_.size(); ++k) corners_.push_back(face_vertex(tokens_[k], line));
    if (corners_.size() < 3) {
      fail(name_, line, fmt::format("face has {} vertices, needs at least 3", corners_.size()));
    }
    for (std::size_t k = 1; k + 1 < corners_.size(); ++k) {
      if (mesh_.triangles.size() >= kMaxCount)
        fail(name_, line, fmt::format("more than {} triangles", kMaxCount));
      mesh_.triangles.push_back({corners_[0], corners_[k], corners_[k + 1]});
    }
  }

  // "i", "i/t", "i//n" or "i/t/n" -> 0-based vertex index. Texture and normal indices are ignored
  // but must be integers where present.
  std::int32_t face_vertex(std::string_view token, int line) {
    const std::size_t slash = token.find('/');
    const std::string_view index_text = token.substr(0, slash);
    bool well_formed = is_integer(index_text);
    if (slash != std::string_view::npos) {
      const std::string_view rest = token.substr(slash + 1);
      const std::size_t slash2 = rest.find('/');
      const std::string_view texture = rest.substr(0, slash2);
      if (slash2 == std::string_view::npos) {
        well_formed = well_formed && is_integer(texture);
      } else {
        well_formed =
            well_formed && (texture.empty() || is_integer(texture)) && is_integer(rest.substr(slash2 + 1));
      }
    }
    if (!well_formed) {
      fail(name_, line,
           fmt::format("malformed face vertex {} (expected i, i/t, i//n or i/t/n)", printable(token)));
    }
    long long index = 0;
    const char* last = index_text.data() + index_text.size();
    const auto [end, ec] = std::from_chars(index_text.data(), last, index);
    const long long known = static_cast<long long>(mesh_.vertices.size());
    const auto limit = static_cast<long long>(kMaxCount);
    if (ec != std::errc() || end != last || index > limit || index < -limit) {
      fail(name_, line, fmt::format("face vertex index {} is out of range", printable(index_text)));
    }
    if (index == 0) fail(name_, line, "face vertex index 0 is invalid (OBJ indices start at 1)");
    if (index < 0) {
      // Relative to the vertices defined so far: -1 is the last one.
      if (-index > known) {
        fail(name_, line,
             fmt::format("relative face vertex index {} reaches before the first vertex ({} defined so far)",
                         index, known));
      }
      return static_cast<std::int32_t>(known + index);
    }
    if (index - 1 > max_index_) {
      max_index_ = index - 1;
      max_index_line_ = line;
    }
    return static_cast<std::int32_t>(index - 1);
  }

  const std::string& name_;
  TriangleMesh mesh_;
  std::vector<std::string_view> tokens_;  // reused: one allocation for the whole file
  std::vector<std::int32_t> corners_;
  long long max_index_ = -1;  // largest 0-based positive index referenced, and where
  int max_index_line_ = 0;
};

// ---------------------------------------------------------------------------------------------------
// Files.

std::string read_whole_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(path, 0, fmt::format("cannot open mesh file: {}", std::strerror(errno)));
  struct stat info {};
  int error = ::fstat(fd, &info) != 0 ? errno : 0;
  if (error == 0 && S_ISDIR(info.st_mode)) error = EISDIR;
  if (error != 0) {
    ::close(fd);
    fail(path, 0, fmt::format("cannot read mesh file: {}", std::strerror(error)));
  }
  std::string bytes;
  if (S_ISREG(info.st_mode) && info.st_size > 0) bytes.reserve(static_cast<std::size_t>(info.st_size));
  char buffer[1 << 16];
  while (true) {
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got == 0) break;
    if (got < 0) {
      if (errno == EINTR) continue;
      error = errno;
      ::close(fd);
      fail(path, 0, fmt::format("cannot read mesh file: {}", std::strerror(error)));
    }
    bytes.append(buffer, static_cast<std::size_t>(got));
  }
  ::close(fd);
  return bytes;
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

void append_u32le(std::string& out, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>((value >> (8 * i)) & 0xffU);
}

void append_f32le(std::string& out, float value) {
  std::uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  append_u32le(out, bits);
}

// Unit normal of a triangle by its winding, or zero for a degenerate one (as STL readers expect).
std::array<float, 3> facet_normal(const TriangleMesh& mesh, const std::array<std::int32_t, 3>& triangle) {
  const auto& a = mesh.vertices[static_cast<std::size_t>(triangle[0])];
  const auto& b = mesh.vertices[static_cast<std::size_t>(triangle[1])];
  const auto& c = mesh.vertices[static_cast<std::size_t>(triangle[2])];
  const double u[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]};
  const double v[3] = {c[0] - a[0], c[1] - a[1], c[2] - a[2]};
  const double n[3] = {u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]};
  const double length = std::sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
  if (!(length > 0.0) || !std::isfinite(length)) return {0.0F, 0.0F, 0.0F};
  return {static_cast<float>(n[0] / length), static_cast<float>(n[1] / length),
          static_cast<float>(n[2] / length)};
}

}  // namespace

// ---------------------------------------------------------------------------------------------------

TriangleMesh parse_stl(std::string_view bytes, const std::string& name) {
  TriangleMesh mesh;
  if (bytes.empty()) fail(name, 0, "the mesh has no triangles (the file is empty)");
  // A binary file whose size matches its own triangle count is binary whatever its header says:
  // many exporters start the header with "solid".
  if (bytes.size() >= kBinaryPreambleBytes && binary_stl_size(bytes) == bytes.size()) {
    mesh = parse_binary_stl(bytes, name);
  } else if (looks_like_ascii_stl(bytes)) {
    mesh = AsciiStlReader(bytes, name).read();
  } else {
    mesh = parse_binary_stl(bytes, name);
  }
  check_mesh(mesh, name);
  return mesh;
}

TriangleMesh parse_obj(std::string_view text, const std::string& name) {
  text = strip_bom(text);
  ObjReader reader(name);
  std::string joined;  // a logical line continued with trailing backslashes
  int joined_line = 0;
  int line = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find_first_of("\r\n", pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view physical = text.substr(pos, end - pos);
    pos = end + (text.substr(end, 2) == "\r\n" ? 2 : 1);  // LF, CRLF or a lone CR
    next_line(line);
    if (!physical.empty() && physical.back() == '\\') {
      if (joined.empty()) joined_line = line;
      joined.append(physical.substr(0, physical.size() - 1));
      joined += ' ';
      continue;
    }
    if (joined.empty()) {
      reader.statement(physical, line);
    } else {
      joined.append(physical);
      reader.statement(joined, joined_line);
      joined.clear();
    }
  }
  if (!joined.empty()) reader.statement(joined, joined_line);  // a backslash on the last line
  return reader.finish();
}

TriangleMesh read_mesh(const std::string& path) {
  std::string extension = std::filesystem::path(path).extension().string();
  for (char& c : extension) c = to_lower(c);
  if (extension != ".stl" && extension != ".obj") {
    fail(path, 0,
         fmt::format("unsupported mesh file extension {}; supported: .stl, .obj (any case)",
                     extension.empty() ? std::string("(none)") : printable(extension)));
  }
  const std::string bytes = read_whole_file(path);
  return extension == ".stl" ? parse_stl(bytes, path) : parse_obj(bytes, path);
}

void write_stl_binary(const std::string& path, const TriangleMesh& mesh) {
  check_writable(path, mesh, true);
  std::string out;
  out.reserve(kBinaryPreambleBytes + kBinaryTriangleBytes * mesh.triangles.size());
  // Not "solid ...": some readers take that for ASCII. NUL padding also marks the file as binary.
  const std::string_view header = "binary STL written by cytostorm";
  out.append(header);
  out.append(kBinaryHeaderBytes - header.size(), '\0');
  append_u32le(out, static_cast<std::uint32_t>(mesh.triangles.size()));
  for (const auto& triangle : mesh.triangles) {
    for (const float n : facet_normal(mesh, triangle)) append_f32le(out, n);
    for (const std::int32_t v : triangle) {
      for (const double x : mesh.vertices[static_cast<std::size_t>(v)])
        append_f32le(out, static_cast<float>(x));
    }
    out.append(2, '\0');  // attribute byte count
  }
  write_file_atomically(path, out);
}

void write_stl_ascii(const std::string& path, const TriangleMesh& mesh) {
  check_writable(path, mesh, true);
  std::string out = "solid cytostorm\n";
  auto sink = std::back_inserter(out);
  // %.9g is the shortest precision that makes every float32 round-trip.
  for (const auto& triangle : mesh.triangles) {
    const std::array<float, 3> n = facet_normal(mesh, triangle);
    fmt::format_to(sink, "  facet normal {:.9g} {:.9g} {:.9g}\n    outer loop\n", double{n[0]}, double{n[1]},
                   double{n[2]});
    for (const std::int32_t v : triangle) {
      const auto& p = mesh.vertices[static_cast<std::size_t>(v)];
      fmt::format_to(sink, "      vertex {:.9g} {:.9g} {:.9g}\n", double{static_cast<float>(p[0])},
                     double{static_cast<float>(p[1])}, double{static_cast<float>(p[2])});
    }
    out += "    endloop\n  endfacet\n";
  }
  out += "endsolid cytostorm\n";
  write_file_atomically(path, out);
}

void write_obj(const std::string& path, const TriangleMesh& mesh, int significant_digits) {
  check_writable(path, mesh, false);
  std::string out;
  auto sink = std::back_inserter(out);
  fmt::format_to(sink, "# cytostorm mesh: {} vertices, {} triangles\n", mesh.vertices.size(),
                 mesh.triangles.size());
  // %.17g round-trips every double.
  const int digits = std::clamp(significant_digits, 1, 17);
  for (const auto& p : mesh.vertices)
    fmt::format_to(sink, "v {:.{}g} {:.{}g} {:.{}g}\n", p[0], digits, p[1], digits, p[2], digits);
  for (const auto& t : mesh.triangles) fmt::format_to(sink, "f {} {} {}\n", t[0] + 1, t[1] + 1, t[2] + 1);
  write_file_atomically(path, out);
}

MeshBounds mesh_bounds(const TriangleMesh& mesh) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  MeshBounds bounds{{kInf, kInf, kInf}, {-kInf, -kInf, -kInf}};
  for (const auto& p : mesh.vertices) {
    for (int a = 0; a < 3; ++a) {
      bounds.lo[a] = std::fmin(bounds.lo[a], p[a]);
      bounds.hi[a] = std::fmax(bounds.hi[a], p[a]);
    }
  }
  return bounds;
}

double enclosed_volume(const TriangleMesh& mesh) {
  if (mesh.triangles.empty()) return 0.0;
  // Relative to the box centre the determinants stay small, so a mesh far from the origin does not
  // lose its volume to cancellation between huge terms.
  const MeshBounds bounds = mesh_bounds(mesh);
  std::array<double, 3> centre;
  for (int a = 0; a < 3; ++a) centre[a] = 0.5 * bounds.lo[a] + 0.5 * bounds.hi[a];  // no overflow
  auto corner = [&](std::int32_t index) {
    // at(): a negative index converts to a huge size_t and is rejected too.
    const auto& p = mesh.vertices.at(static_cast<std::size_t>(index));
    return std::array<double, 3>{p[0] - centre[0], p[1] - centre[1], p[2] - centre[2]};
  };
  double sum = 0.0;
  for (const auto& t : mesh.triangles) {
    const auto a = corner(t[0]);
    const auto b = corner(t[1]);
    const auto c = corner(t[2]);
    sum += a[0] * (b[1] * c[2] - b[2] * c[1]) + a[1] * (b[2] * c[0] - b[0] * c[2]) +
           a[2] * (b[0] * c[1] - b[1] * c[0]);
  }
  return sum / 6.0;
}

}  // namespace cyto
