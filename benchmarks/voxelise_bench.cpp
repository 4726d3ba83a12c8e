#include "benchmarks/voxelise_bench.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "benchmarks/bench_common.hpp"
#include "host/core/build_info.hpp"
#include "host/core/error.hpp"
#include "host/geometry/mesh_io.hpp"
#include "host/geometry/organ_mesh.hpp"
#include "host/geometry/voxelise.hpp"
#include "host/io/output.hpp"

namespace cyto::bench {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

void run_voxelise_bench(const VoxeliseBenchArgs& args, std::FILE* out) {
  if (args.threads > 0) omp_set_num_threads(args.threads);
  const TriangleMesh mesh = args.mesh.empty() ? make_lobed_organ(args.subdivisions) : read_mesh(args.mesh);
  const std::string mesh_name =
      args.mesh.empty() ? fmt::format("lobed organ (make-organ --subdivisions {})", args.subdivisions)
                        : args.mesh;

  // A size^3 grid of cubic voxels: `size - 2` of them span the mesh's
  // longest side (a voxel of padding each side), the box centred on the mesh.
  const MeshBounds box = mesh_bounds(mesh);
  double longest = 0;
  for (int a = 0; a < 3; ++a) longest = std::max(longest, box.hi[a] - box.lo[a]);
  const double h = longest / (args.size - 2);
  DenseGrid grid;
  grid.nx = grid.ny = grid.nz = args.size;
  for (int a = 0; a < 3; ++a) {
    grid.origin[a] = 0.5 * (box.lo[a] + box.hi[a]) - 0.5 * args.size * h;
    grid.spacing[a] = h;
  }

  std::vector<double> build_s, voxelise_s;
  std::int64_t inside_voxels = 0;
  for (int r = 0; r < args.repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    const WindingNumberTree tree(mesh);
    build_s.push_back(seconds_since(start));
    const auto mid = std::chrono::steady_clock::now();
    const std::vector<std::uint8_t> inside = voxelise_surface(tree, grid);
    voxelise_s.push_back(seconds_since(mid));
    inside_voxels = std::count(inside.begin(), inside.end(), std::uint8_t(1));
  }
  const double voxel_volume = h * h * h;
  const double enclosed = enclosed_volume(mesh);
  const double total = median(build_s) + median(voxelise_s);
  fmt::print(out, "Voxelise {} ({} triangles) onto {} x {} x {} = {} voxels, {} threads\n", mesh_name,
             mesh.triangles.size(), grid.nx, grid.ny, grid.nz, grid.voxels(), omp_get_max_threads());
  fmt::print(out,
             "  tree {:.3f} s + voxelise {:.3f} s = {:.3f} s (median of {}); inside {} voxels, "
             "volume {:+.3f}% of the mesh's enclosed volume\n",
             median(build_s), median(voxelise_s), total, args.repeats, inside_voxels,
             100 * (double(inside_voxels) * voxel_volume / enclosed - 1));

  nlohmann::json j = {
      {"benchmark", "voxelise"},
      {"build", build_info_json()},
      {"threads", omp_get_max_threads()},
      {"mesh", mesh_name},
      {"triangles", mesh.triangles.size()},
      {"grid", {grid.nx, grid.ny, grid.nz}},
      {"voxels", grid.voxels()},
      {"repeats", args.repeats},
      {"tree_build_s", build_s},
      {"voxelise_s", voxelise_s},
      {"median_total_s", total},
      {"inside_voxels", inside_voxels},
      {"volume_error_relative", double(inside_voxels) * voxel_volume / enclosed - 1},
  };
  write_file_atomically(args.output, j.dump(2) + "\n");
}

}  // namespace cyto::bench
