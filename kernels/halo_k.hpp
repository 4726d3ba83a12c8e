// MPI halo layers of a block: face f = 2 axis + side (side 0: the low face).
// A face layer is the block's extent in the other two axes (no edges or
// corners: the stencil has seven points), numbered with the faster of the
// two axes inner. The same numbering packs and unpacks, on either backend.
#pragma once

#include <cstdint>

#include "kernels/grid_layout.hpp"

namespace cyto {

CYTO_HD std::int64_t face_voxels(const GridLayout& g, int face) {
  switch (face / 2) {
    case 0:
      return std::int64_t(g.ny) * g.nz;
    case 1:
      return std::int64_t(g.nx) * g.nz;
    default:
      return std::int64_t(g.nx) * g.ny;
  }
}

// Storage index of voxel n of face f's layer: the interior layer next to the
// face (what a neighbour needs) or, with `halo`, the halo layer beyond it.
CYTO_HD std::int64_t face_layer_index(const GridLayout& g, int face, bool halo, std::int64_t n) {
  const int side = face % 2;
  switch (face / 2) {
    case 0: {
      const int i = side ? (halo ? g.nx : g.nx - 1) : (halo ? -1 : 0);
      return g.index(i, int(n % g.ny), int(n / g.ny));
    }
    case 1: {
      const int j = side ? (halo ? g.ny : g.ny - 1) : (halo ? -1 : 0);
      return g.index(int(n % g.nx), j, int(n / g.nx));
    }
    default: {
      const int k = side ? (halo ? g.nz : g.nz - 1) : (halo ? -1 : 0);
      return g.index(int(n % g.nx), int(n / g.nx), k);
    }
  }
}

}  // namespace cyto
