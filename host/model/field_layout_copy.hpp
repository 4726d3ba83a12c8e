// Fields between the host's dense order (x fastest, no halo: DenseGrid) and
// the kernels' padded layout (GridLayout: a halo layer, padded rows): the
// one place values cross between the two, for fields and the material map
// alike. A block is a rank's part of the grid (the whole grid for one rank).
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "host/geometry/dense_grid.hpp"
#include "host/parallel/decomposition.hpp"
#include "kernels/grid_layout.hpp"

namespace cyto {

// The box of the whole grid.
inline Box whole_grid_box(const DenseGrid& grid) { return Box{{0, 0, 0}, {grid.nx, grid.ny, grid.nz}}; }

// Whole-grid dense values -> `block`'s padded layout with its halo layer
// (the neighbouring blocks' values; 0 beyond the grid), converted to Out.
template <class Out, class In>
std::vector<Out> padded_from_grid(const std::vector<In>& dense, const DenseGrid& grid, const Box& block,
                                  const GridLayout& layout) {
  std::vector<Out> out(std::size_t(layout.size), Out(0));
  for (int k = -1; k <= layout.nz; ++k)
    for (int j = -1; j <= layout.ny; ++j)
      for (int i = -1; i <= layout.nx; ++i) {
        const int gi = block.lo[0] + i, gj = block.lo[1] + j, gk = block.lo[2] + k;
        if (gi < 0 || gj < 0 || gk < 0 || gi >= grid.nx || gj >= grid.ny || gk >= grid.nz) continue;
        out[std::size_t(layout.index(i, j, k))] =
            Out(dense[std::size_t(gi + std::int64_t(grid.nx) * (gj + std::int64_t(grid.ny) * gk))]);
      }
  return out;
}

// A block's own dense values (x fastest) -> its padded layout; the halo is left 0.
template <class T>
std::vector<T> padded_from_block(const std::vector<T>& block, const GridLayout& layout) {
  std::vector<T> out(std::size_t(layout.size), T(0));
  for (int k = 0; k < layout.nz; ++k)
    for (int j = 0; j < layout.ny; ++j) {
      const auto row = block.begin() + (std::int64_t(j) + std::int64_t(layout.ny) * k) * layout.nx;
      std::copy(row, row + layout.nx, out.begin() + layout.index(0, j, k));
    }
  return out;
}

// The padded layout -> the block's own dense values (no halo).
template <class T>
std::vector<T> block_from_padded(const std::vector<T>& padded, const GridLayout& layout) {
  std::vector<T> dense(std::size_t(layout.interior_voxels()));
  for (int k = 0; k < layout.nz; ++k)
    for (int j = 0; j < layout.ny; ++j) {
      const auto row = padded.begin() + layout.index(0, j, k);
      std::copy(row, row + layout.nx,
                dense.begin() + (std::int64_t(j) + std::int64_t(layout.ny) * k) * layout.nx);
    }
  return dense;
}

// The padded layout with its halo layer set to 0 (the block's own values kept).
template <class T>
std::vector<T> padded_without_halo(const std::vector<T>& padded, const GridLayout& layout) {
  return padded_from_block(block_from_padded(padded, layout), layout);
}

// A block's dense values (box.voxels() of them) written into whole-grid
// dense values at the block's place.
template <class T>
void place_block(const T* block, const Box& box, const DenseGrid& grid, T* whole) {
  for (int k = 0; k < box.size[2]; ++k)
    for (int j = 0; j < box.size[1]; ++j) {
      const T* row = block + (std::int64_t(j) + std::int64_t(box.size[1]) * k) * box.size[0];
      std::copy(row, row + box.size[0],
                whole + (box.lo[0] +
                         std::int64_t(grid.nx) * (box.lo[1] + j + std::int64_t(grid.ny) * (box.lo[2] + k))));
    }
}

// The values of `box` from whole-grid dense values.
template <class T>
std::vector<T> block_of_grid(const std::vector<T>& whole, const DenseGrid& grid, const Box& box) {
  std::vector<T> out(std::size_t(box.voxels()));
  for (int k = 0; k < box.size[2]; ++k)
    for (int j = 0; j < box.size[1]; ++j) {
      const auto row =
          whole.begin() +
          (box.lo[0] + std::int64_t(grid.nx) * (box.lo[1] + j + std::int64_t(grid.ny) * (box.lo[2] + k)));
      std::copy(row, row + box.size[0],
                out.begin() + (std::int64_t(j) + std::int64_t(box.size[1]) * k) * box.size[0]);
    }
  return out;
}

}  // namespace cyto
