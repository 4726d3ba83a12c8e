// Mesh files by extension, and the measures of a mesh the geometry checks
// need. The formats: stl.cpp, obj.cpp.
#include "host/geometry/mesh_io.hpp"

#include <cmath>
#include <filesystem>
#include <limits>

#include <fmt/format.h>

#include "host/core/input_file.hpp"
#include "host/geometry/mesh_io_common.hpp"

namespace cyto {
namespace {

using namespace mesh_io;  // the shared pieces

std::string read_whole_file(const std::string& path) {
  return read_input_file(path, "mesh file", kMaxMeshFileBytes);
}

}  // namespace

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
