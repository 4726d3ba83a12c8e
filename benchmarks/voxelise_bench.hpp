// `cytostorm bench-voxelise`: how long turning a surface mesh into tissue
// voxels takes (the generalised-winding-number voxeliser, host/voxelise.hpp).
#pragma once

#include <cstdio>
#include <string>

namespace cyto::bench {

struct VoxeliseBenchArgs {
  int subdivisions = 7;  // the lobed organ: 20 * 4^s triangles (7: 327,680)
  std::string mesh;      // or a mesh file (STL/OBJ), in its own units
  int size = 256;        // a size^3 grid; the mesh's longest side spans size - 2 voxels
  int repeats = 3;       // timed repetitions; the median is reported
  int threads = 0;
  std::string output = "cytostorm-voxelise.json";
};

void run_voxelise_bench(const VoxeliseBenchArgs& args, std::FILE* out);

}  // namespace cyto::bench
