// libFuzzer target for the mesh readers (host/geometry/stl.cpp, obj.cpp); scripts/fuzz-mesh.sh builds and
// runs it.
//
// Which reader gets the input:
//   -DCYTO_FUZZ_STL  every input goes to parse_stl  (the script builds build-fuzz/fuzz_mesh_stl)
//   -DCYTO_FUZZ_OBJ  every input goes to parse_obj  (build-fuzz/fuzz_mesh_obj)
//   neither          the first byte chooses: even -> STL, odd -> OBJ; the rest is the file
// Separate targets keep each corpus in one format, so mutations are not wasted on the wrong reader.
//
// Only InputError is caught: it is the documented answer to bad input. Any other exception escapes and
// aborts, and so does a parsed mesh that breaks the readers' guarantees, so the fuzzer reports both.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "host/geometry/mesh_io.hpp"

namespace {

[[noreturn]] void broken(const char* what) {
  std::fprintf(stderr, "mesh reader guarantee broken: %s\n", what);
  std::abort();
}

// What every successfully parsed mesh promises its users.
void check(const cyto::TriangleMesh& mesh, bool welded) {
  if (mesh.triangles.empty()) broken("a mesh without triangles was accepted");
  for (const auto& p : mesh.vertices) {
    for (const double x : p) {
      if (!std::isfinite(x)) broken("a non-finite coordinate was accepted");
    }
  }
  std::vector<bool> used(mesh.vertices.size(), false);
  for (const auto& t : mesh.triangles) {
    for (const std::int32_t v : t) {
      if (v < 0 || static_cast<std::size_t>(v) >= mesh.vertices.size())
        broken("a triangle index is out of range");
      used[static_cast<std::size_t>(v)] = true;
    }
  }
  // STL vertices exist only as triangle corners.
  if (welded) {
    for (const bool u : used) {
      if (!u) broken("an STL vertex belongs to no triangle");
    }
  }
  const cyto::MeshBounds bounds = cyto::mesh_bounds(mesh);
  for (int a = 0; a < 3; ++a) {
    if (!(bounds.lo[a] <= bounds.hi[a])) broken("the bounds are empty or NaN");
  }
  (void)cyto::enclosed_volume(mesh);  // may overflow to inf for huge coordinates, but must not fail
}

void run(std::string_view bytes, bool stl) {
  const std::string name = stl ? "fuzz.stl" : "fuzz.obj";
  try {
    check(stl ? cyto::parse_stl(bytes, name) : cyto::parse_obj(bytes, name), stl);
  } catch (const cyto::InputError& e) {
    if (e.where().file != name) broken("an InputError does not name the file");
    if (e.where().line < 0) broken("an InputError has a negative line");
    if (stl && e.where().line > 0 && bytes.find('\0') != std::string_view::npos) {
      broken("a line number was reported for a binary STL");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
#if defined(CYTO_FUZZ_STL)
  run(bytes, true);
#elif defined(CYTO_FUZZ_OBJ)
  run(bytes, false);
#else
  if (size == 0) return 0;
  run(bytes.substr(1), (data[0] & 1U) == 0);
#endif
  return 0;
}
