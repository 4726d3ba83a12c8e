// STL meshes: binary and ASCII readers (vertices welded so that triangles
// share them) and writers.
#include <algorithm>
#include <cstring>
#include <iterator>
#include <unordered_map>

#include <fmt/format.h>

#include "host/core/atomic_file.hpp"
#include "host/geometry/mesh_io_common.hpp"

namespace cyto {
namespace {

using namespace mesh_io;  // the shared pieces

constexpr std::size_t kBinaryHeaderBytes = 80;
constexpr std::size_t kBinaryPreambleBytes = 84;  // header + uint32 triangle count
constexpr std::size_t kBinaryTriangleBytes = 50;  // normal, 3 vertices (12 float32), uint16 attribute

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
// Writers.

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

}  // namespace cyto
