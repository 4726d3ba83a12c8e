// Wavefront OBJ meshes: the reader (vertices, faces of any size as fans,
// negative indices, continuation lines) and the writer.
#include <algorithm>
#include <charconv>
#include <iterator>
#include <vector>

#include <fmt/format.h>

#include "host/core/atomic_file.hpp"
#include "host/geometry/mesh_io_common.hpp"

namespace cyto {
namespace {

using namespace mesh_io;  // the shared pieces

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

}  // namespace

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

}  // namespace cyto
