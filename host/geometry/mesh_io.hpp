// Surface meshes from CAD tools and scanners: STL (binary and ASCII) and
// Wavefront OBJ readers and writers, plus the few measures the geometry
// checks need (bounds, enclosed volume). The readers take untrusted bytes:
// every defect is an InputError with the file and, for text, the line.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "host/core/error.hpp"

namespace cyto {

// A triangle soup with shared vertices, in the file's own units (no scaling).
struct TriangleMesh {
  std::vector<std::array<double, 3>> vertices;
  std::vector<std::array<std::int32_t, 3>> triangles;  // indices into vertices
};

// Parse from memory. `name` is the file name used in error messages.
// Every defect -> InputError whose SourceLocation.file = name and .line = the 1-based line for text
// formats (0 for binary, and for defects of the whole file such as "the mesh has no triangles").
// Never crashes, never hangs, never allocates unboundedly from a lying header.
// STL vertices with identical coordinates are welded (+0 and -0 count as identical) so that the
// mesh has shared vertices; OBJ keeps the file's own vertex list.
TriangleMesh parse_stl(std::string_view bytes, const std::string& name);  // binary or ASCII, detected
TriangleMesh parse_obj(std::string_view text, const std::string& name);

// Read a file: format from the extension (.stl / .obj, case-insensitive); anything else is an InputError
// listing the supported extensions. A missing/unreadable file is an InputError naming it (strerror).
TriangleMesh read_mesh(const std::string& path);

// Writers (used by tests and by a command that generates meshes). Atomic
// (write_file_atomically). Throw cyto::RuntimeFailure on I/O error, and on a mesh the format cannot hold (an
// index out of range, a non-finite coordinate, a coordinate beyond the float32 range for STL).
void write_stl_binary(const std::string& path, const TriangleMesh& mesh);  // float32 as STL requires
void write_stl_ascii(const std::string& path, const TriangleMesh& mesh);   // %.9g so float32 round-trips
// OBJ: "v x y z" with `significant_digits` (17 round-trips every double; fewer make smaller files
// for generated shapes), "f a b c" 1-based.
void write_obj(const std::string& path, const TriangleMesh& mesh, int significant_digits = 17);

// Axis-aligned box around all vertices; lo = +inf, hi = -inf for a mesh without vertices.
struct MeshBounds {
  std::array<double, 3> lo, hi;
};
MeshBounds mesh_bounds(const TriangleMesh& mesh);

// Signed volume by the divergence theorem, in file units cubed: positive for a closed mesh whose
// triangles wind counter-clockwise seen from outside. Meaningful only for closed meshes.
// Throws std::out_of_range for a triangle index outside the vertex list.
double enclosed_volume(const TriangleMesh& mesh);

}  // namespace cyto
