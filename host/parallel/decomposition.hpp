// Splitting the grid among MPI ranks: a 3-D Cartesian decomposition into
// blocks whose edges lie on reduction tiles (kReductionTile voxels a side,
// from the grid's origin). Blocks without tissue are given to no rank; each
// remaining block is one rank's. Every rank computes the same decomposition
// from the same tissue map.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "host/geometry/geometry.hpp"

namespace cyto {

// Edge of the tiles the global sums are taken over (kernels add a tile in a
// fixed order; tiles are combined exactly), and the granularity of blocks.
inline constexpr int kReductionTile = 8;

// A box of interior voxels: [lo, lo + size) along each axis (x, y, z).
struct Box {
  std::array<int, 3> lo{0, 0, 0};
  std::array<int, 3> size{0, 0, 0};
  std::int64_t voxels() const { return std::int64_t(size[0]) * size[1] * size[2]; }
  bool operator==(const Box&) const = default;
};

struct Decomposition {
  std::array<int, 3> grid{0, 0, 0};   // global interior voxels
  std::array<int, 3> parts{1, 1, 1};  // blocks along each axis
  // Block boundaries along each axis: parts + 1 values, from 0 to grid.
  std::array<std::vector<int>, 3> cuts;
  std::vector<int> rank_of_block;           // per block (x fastest); -1: no tissue, no rank
  std::vector<int> block_of_rank;           // per rank
  std::vector<std::int64_t> tissue_voxels;  // per block
  bool automatic = true;

  int ranks() const { return int(block_of_rank.size()); }
  int block_count() const { return parts[0] * parts[1] * parts[2]; }
  std::array<int, 3> block_coordinates(int block) const;
  int block_at(const std::array<int, 3>& c) const { return c[0] + parts[0] * (c[1] + parts[1] * c[2]); }
  Box block(int block) const;
  Box rank_box(int rank) const { return block(block_of_rank[std::size_t(rank)]); }
  // The rank across face 2 axis + side (side 0: towards lower indices) of
  // `rank`'s block; -1 at the grid's edge or where that block has no tissue.
  int neighbour(int rank, int axis, int side) const;
  // "2x2x1", for logs and summaries.
  std::string text() const;
  // Largest block's tissue voxels over the mean: 1 is perfect balance.
  double imbalance() const;
};

// Parses "AxBxC" (three positive integers); InputError naming `option` otherwise.
std::array<int, 3> parse_decomposition(const std::string& text, const std::string& option);

// The decomposition for `ranks` ranks: `requested` blocks per axis, or the
// automatic choice (the block grid with exactly `ranks` tissue blocks that
// minimises the largest block's tissue plus its halo). Cuts along each axis
// balance the tissue. InputError (named after `option`) when the request does
// not divide the grid, when its tissue blocks do not match the rank count,
// and when there are more ranks than tissue blocks can be made.
Decomposition decompose(const TissueMap& tissues, int ranks,
                        const std::optional<std::array<int, 3>>& requested,
                        const std::string& option = "--decomposition");

}  // namespace cyto
