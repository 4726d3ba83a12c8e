// The voxel grid as the host sees it: dense, no halo.
#pragma once

#include <cstdint>

#include "host/scenario/scenario.hpp"

namespace cyto {

// Dense (no halo) interior of the grid, x fastest: index = i + nx*(j + ny*k).
struct DenseGrid {
  int nx = 0, ny = 0, nz = 0;
  Vec3 origin{0, 0, 0};   // m
  Vec3 spacing{0, 0, 0};  // m
  std::int64_t voxels() const { return std::int64_t(nx) * ny * nz; }
};

}  // namespace cyto
