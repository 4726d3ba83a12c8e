// The tissue of a grid as runs of voxels along x: how the CPU step walks
// only tissue, built once by the host (host/model/discretisation.cpp).
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/step_params.hpp"

namespace cyto {

// A run of voxels along x in one row that share a material and a kind of update.
struct TissueRun {
  enum Kind : std::uint8_t {
    // One material whose neighbours are that material or outside: the
    // constant-coefficient stencil over the whole run, then the run's wall
    // voxels (those with an outside neighbour) recomputed with their closed
    // faces masked out.
    kUniform = 0,
    kGeneral = 1,  // anything else: per-face harmonic means, Dirichlet checks
  };
  std::int32_t i_begin;  // interior x index, inclusive
  std::int32_t i_end;    // exclusive
  MaterialId material;
  Kind kind;
  std::int32_t walls_begin;  // kUniform: the run's wall voxels are
  std::int32_t walls_end;    // TissueRuns::walls[walls_begin .. walls_end)
};

struct WallVoxel {
  std::int32_t i;           // interior x index
  std::uint8_t open_faces;  // OpenFace bits
};

// Tissue runs grouped by row: runs of row r = j + ny * k are
// runs[row_begin[r] .. row_begin[r + 1]). Voxels in no run (outside) are never touched.
struct TissueRuns {
  std::vector<std::int64_t> row_begin;
  std::vector<TissueRun> runs;
  std::vector<WallVoxel> walls;                   // wall voxels of uniform runs, run by run
  std::vector<std::int64_t> voxels_before_plane;  // tissue voxels in planes < k (nz + 1 entries)
};

}  // namespace cyto
