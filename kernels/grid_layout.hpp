// Memory layout of every field: structure of arrays, one contiguous array per
// field, x fastest, with a one-voxel halo on every side (an MPI rank's block
// receives its neighbours' face layers there) and rows padded to a multiple of kRowAlignment
// elements (aligned rows for coalesced GPU access).
#pragma once

#include <cstdint>

#include "kernels/qualifiers.hpp"

namespace cyto {

struct GridLayout {
  static constexpr int kRowAlignment = 8;

  int nx = 0, ny = 0, nz = 0;  // interior voxels
  std::int64_t pitch = 0;      // elements per padded row, >= nx + 2
  std::int64_t plane = 0;      // elements per padded plane = pitch * (ny + 2)
  std::int64_t size = 0;       // elements per field = plane * (nz + 2)

  // Storage index of interior voxel (i, j, k), 0-based interior coordinates.
  CYTO_HD std::int64_t index(int i, int j, int k) const {
    return (i + 1) + pitch * (j + 1) + plane * (k + 1);
  }
  std::int64_t interior_voxels() const { return std::int64_t(nx) * ny * nz; }
  std::int64_t rows() const { return std::int64_t(ny) * nz; }
};

inline GridLayout make_grid_layout(int nx, int ny, int nz) {
  GridLayout g;
  g.nx = nx;
  g.ny = ny;
  g.nz = nz;
  const std::int64_t a = GridLayout::kRowAlignment;
  g.pitch = (std::int64_t(nx) + 2 + a - 1) / a * a;
  g.plane = g.pitch * (ny + 2);
  g.size = g.plane * (nz + 2);
  return g;
}

}  // namespace cyto
