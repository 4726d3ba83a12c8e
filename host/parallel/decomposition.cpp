#include "host/parallel/decomposition.hpp"

#include <algorithm>
#include <limits>
#include <sstream>

#include <fmt/format.h>

#include "host/core/error.hpp"

namespace cyto {
namespace {

int tiles_along(int voxels) { return (voxels + kReductionTile - 1) / kReductionTile; }

// Tissue voxels per tile, with a 3-D prefix sum for block totals in O(1).
struct TileCounts {
  std::array<int, 3> tiles{0, 0, 0};
  std::vector<std::int64_t> prefix;  // (tx + 1, ty + 1, tz + 1) inclusive prefix sums

  explicit TileCounts(const TissueMap& map) {
    const DenseGrid& g = map.grid;
    tiles = {tiles_along(g.nx), tiles_along(g.ny), tiles_along(g.nz)};
    const std::size_t px = std::size_t(tiles[0]) + 1, py = std::size_t(tiles[1]) + 1;
    prefix.assign(px * py * (std::size_t(tiles[2]) + 1), 0);
    for (int k = 0; k < g.nz; ++k)
      for (int j = 0; j < g.ny; ++j)
        for (int i = 0; i < g.nx; ++i)
          if (map.tissue[std::size_t(map.index(i, j, k))])
            ++prefix[at(i / kReductionTile + 1, j / kReductionTile + 1, k / kReductionTile + 1)];
    for (int a = 0; a < 3; ++a)
      for (int z = 1; z <= tiles[2]; ++z)
        for (int y = 1; y <= tiles[1]; ++y)
          for (int x = 1; x <= tiles[0]; ++x) {
            int d[3] = {x, y, z};  // the previous tile along axis a: prefix sums, one axis per pass
            --d[a];
            prefix[at(x, y, z)] += prefix[at(d[0], d[1], d[2])];
          }
  }
  std::size_t at(int x, int y, int z) const {
    return std::size_t(x) +
           (std::size_t(tiles[0]) + 1) * (std::size_t(y) + (std::size_t(tiles[1]) + 1) * std::size_t(z));
  }
  // Tissue voxels in tiles [lo, hi) along each axis.
  std::int64_t sum(const std::array<int, 3>& lo, const std::array<int, 3>& hi) const {
    std::int64_t s = 0;
    for (int corner = 0; corner < 8; ++corner) {
      int c[3];
      int sign = 1;
      for (int a = 0; a < 3; ++a) {
        c[a] = (corner >> a) & 1 ? hi[std::size_t(a)] : lo[std::size_t(a)];
        if (!((corner >> a) & 1)) sign = -sign;
      }
      s += sign * prefix[at(c[0], c[1], c[2])];
    }
    return s;
  }
  // Tissue per tile slab along `axis`.
  std::vector<std::int64_t> marginal(int axis) const {
    std::vector<std::int64_t> m(static_cast<std::size_t>(tiles[std::size_t(axis)]));
    for (int t = 0; t < tiles[std::size_t(axis)]; ++t) {
      std::array<int, 3> lo{0, 0, 0}, hi = tiles;
      lo[std::size_t(axis)] = t;
      hi[std::size_t(axis)] = t + 1;
      m[std::size_t(t)] = sum(lo, hi);
    }
    return m;
  }
};

// Tile boundaries splitting `marginal` into `parts` slabs of about equal
// tissue, each at least one tile: parts + 1 tile indices from 0 to the tile count.
std::vector<int> balanced_tile_cuts(const std::vector<std::int64_t>& marginal, int parts) {
  const int n = int(marginal.size());
  std::vector<std::int64_t> before(std::size_t(n) + 1, 0);
  for (int t = 0; t < n; ++t) before[std::size_t(t) + 1] = before[std::size_t(t)] + marginal[std::size_t(t)];
  std::vector<int> cuts{0};
  for (int q = 1; q < parts; ++q) {
    const double target = double(before.back()) * q / parts;
    int b = cuts.back() + 1;
    while (b < n && double(before[std::size_t(b)]) < target) ++b;
    // Take the nearer of b - 1 and b, then keep one tile for each part still to come.
    if (b - 1 > cuts.back() &&
        target - double(before[std::size_t(b) - 1]) < double(before[std::size_t(b)]) - target)
      --b;
    cuts.push_back(std::clamp(b, cuts.back() + 1, n - (parts - q)));
  }
  cuts.push_back(n);
  return cuts;
}

struct Candidate {
  std::array<int, 3> parts{1, 1, 1};
  std::array<std::vector<int>, 3> tile_cuts;
  std::vector<std::int64_t> tissue;  // per block
  int tissue_blocks = 0;
  double cost = 0;
};

Candidate evaluate(const TileCounts& counts, const std::array<int, 3>& grid,
                   const std::array<int, 3>& parts) {
  Candidate c;
  c.parts = parts;
  for (int a = 0; a < 3; ++a)
    c.tile_cuts[std::size_t(a)] = balanced_tile_cuts(counts.marginal(a), parts[std::size_t(a)]);
  const int blocks = parts[0] * parts[1] * parts[2];
  c.tissue.assign(std::size_t(blocks), 0);
  for (int b = 0; b < blocks; ++b) {
    const int bc[3] = {b % parts[0], (b / parts[0]) % parts[1], b / (parts[0] * parts[1])};
    std::array<int, 3> lo{}, hi{};
    for (int a = 0; a < 3; ++a) {
      lo[std::size_t(a)] = c.tile_cuts[std::size_t(a)][std::size_t(bc[a])];
      hi[std::size_t(a)] = c.tile_cuts[std::size_t(a)][std::size_t(bc[a]) + 1];
    }
    c.tissue[std::size_t(b)] = counts.sum(lo, hi);
    c.tissue_blocks += c.tissue[std::size_t(b)] > 0;
  }
  // Cost: the largest block's tissue plus the halo voxels it receives from tissue neighbours
  // (a halo voxel is packed, sent and unpacked: about the memory traffic of updating one).
  double worst = 0;
  for (int b = 0; b < blocks; ++b) {
    if (c.tissue[std::size_t(b)] == 0) continue;
    std::array<int, 3> bc{b % parts[0], (b / parts[0]) % parts[1], b / (parts[0] * parts[1])};
    std::array<int, 3> extent{};
    for (int a = 0; a < 3; ++a) {
      const auto& cut = c.tile_cuts[std::size_t(a)];
      extent[std::size_t(a)] =
          std::min(grid[std::size_t(a)], cut[std::size_t(bc[std::size_t(a)]) + 1] * kReductionTile) -
          cut[std::size_t(bc[std::size_t(a)])] * kReductionTile;
    }
    double halo = 0;
    for (int a = 0; a < 3; ++a)
      for (int side = -1; side <= 1; side += 2) {
        std::array<int, 3> nb = bc;
        nb[std::size_t(a)] += side;
        if (nb[std::size_t(a)] < 0 || nb[std::size_t(a)] >= parts[std::size_t(a)]) continue;
        if (c.tissue[std::size_t(nb[0] + parts[0] * (nb[1] + parts[1] * nb[2]))] == 0) continue;
        halo += double(extent[std::size_t((a + 1) % 3)]) * extent[std::size_t((a + 2) % 3)];
      }
    worst = std::max(worst, double(c.tissue[std::size_t(b)]) + halo);
  }
  c.cost = worst;
  return c;
}

Decomposition make_decomposition(const Candidate& c, const std::array<int, 3>& grid, bool automatic) {
  Decomposition d;
  d.grid = grid;
  d.parts = c.parts;
  d.automatic = automatic;
  for (int a = 0; a < 3; ++a)
    for (int t : c.tile_cuts[std::size_t(a)])
      d.cuts[std::size_t(a)].push_back(std::min(grid[std::size_t(a)], t * kReductionTile));
  d.tissue_voxels = c.tissue;
  d.rank_of_block.assign(c.tissue.size(), -1);
  for (std::size_t b = 0; b < c.tissue.size(); ++b)
    if (c.tissue[b] > 0) {
      d.rank_of_block[b] = int(d.block_of_rank.size());
      d.block_of_rank.push_back(int(b));
    }
  return d;
}

}  // namespace

std::array<int, 3> Decomposition::block_coordinates(int b) const {
  return {b % parts[0], (b / parts[0]) % parts[1], b / (parts[0] * parts[1])};
}

Box Decomposition::block(int b) const {
  const std::array<int, 3> c = block_coordinates(b);
  Box box;
  for (int a = 0; a < 3; ++a) {
    box.lo[std::size_t(a)] = cuts[std::size_t(a)][std::size_t(c[std::size_t(a)])];
    box.size[std::size_t(a)] =
        cuts[std::size_t(a)][std::size_t(c[std::size_t(a)]) + 1] - box.lo[std::size_t(a)];
  }
  return box;
}

int Decomposition::neighbour(int rank, int axis, int side) const {
  std::array<int, 3> c = block_coordinates(block_of_rank[std::size_t(rank)]);
  c[std::size_t(axis)] += side == 0 ? -1 : 1;
  if (c[std::size_t(axis)] < 0 || c[std::size_t(axis)] >= parts[std::size_t(axis)]) return -1;
  return rank_of_block[std::size_t(block_at(c))];
}

std::string Decomposition::text() const { return fmt::format("{}x{}x{}", parts[0], parts[1], parts[2]); }

double Decomposition::imbalance() const {
  std::int64_t total = 0, largest = 0;
  for (std::int64_t t : tissue_voxels) {
    total += t;
    largest = std::max(largest, t);
  }
  return total > 0 ? double(largest) * ranks() / double(total) : 1.0;
}

std::array<int, 3> parse_decomposition(const std::string& text, const std::string& option) {
  std::array<int, 3> parts{};
  std::istringstream in(text);
  char x1 = 0, x2 = 0;
  long v[3] = {0, 0, 0};
  const bool ok = bool(in >> v[0] >> x1 >> v[1] >> x2 >> v[2]) && in.peek() == EOF && x1 == 'x' &&
                  x2 == 'x' && v[0] > 0 && v[1] > 0 && v[2] > 0 && v[0] < 1000000 && v[1] < 1000000 &&
                  v[2] < 1000000;
  if (!ok || text.find_first_not_of("0123456789x") != std::string::npos)
    throw InputError(
        SourceLocation{option, 0, 0, ""},
        fmt::format("\"{}\" is not a decomposition: give blocks per axis as AxBxC, e.g. 2x2x1", text));
  for (int a = 0; a < 3; ++a) parts[std::size_t(a)] = int(v[a]);
  return parts;
}

Decomposition decompose(const TissueMap& tissues, int ranks,
                        const std::optional<std::array<int, 3>>& requested, const std::string& option) {
  const std::array<int, 3> grid{tissues.grid.nx, tissues.grid.ny, tissues.grid.nz};
  const TileCounts counts(tissues);
  const SourceLocation where{option, 0, 0, ""};
  static const char* const kAxis[3] = {"x", "y", "z"};
  if (requested) {
    const std::array<int, 3>& parts = *requested;
    for (int a = 0; a < 3; ++a)
      if (parts[std::size_t(a)] > counts.tiles[std::size_t(a)])
        throw InputError(
            where, fmt::format("decomposition {}x{}x{} does not divide the grid: {} has {} voxels, "
                               "{} tile{} of {} (a block is a whole number of tiles), so at most "
                               "{} block{} along {}",
                               parts[0], parts[1], parts[2], kAxis[a], grid[std::size_t(a)],
                               counts.tiles[std::size_t(a)], counts.tiles[std::size_t(a)] == 1 ? "" : "s",
                               kReductionTile, counts.tiles[std::size_t(a)],
                               counts.tiles[std::size_t(a)] == 1 ? "" : "s", kAxis[a]));
    const Candidate c = evaluate(counts, grid, parts);
    if (c.tissue_blocks != ranks)
      throw InputError(
          where, fmt::format("decomposition {}x{}x{} has {} block{} holding tissue ({} empty, given "
                             "to no rank), but {} rank{} run: one rank per tissue block; use {} "
                             "rank{}, or another decomposition",
                             parts[0], parts[1], parts[2], c.tissue_blocks, c.tissue_blocks == 1 ? "" : "s",
                             parts[0] * parts[1] * parts[2] - c.tissue_blocks, ranks, ranks == 1 ? "" : "s",
                             c.tissue_blocks, c.tissue_blocks == 1 ? "" : "s"));
    return make_decomposition(c, grid, false);
  }
  if (ranks == 1) return make_decomposition(evaluate(counts, grid, {1, 1, 1}), grid, true);
  std::optional<Candidate> best;
  int most_blocks = 0;
  const long limit = 4L * ranks;  // block grids with up to 4x as many blocks as ranks (empty ones dropped)
  for (int px = 1; px <= counts.tiles[0] && px <= limit; ++px)
    for (int py = 1; py <= counts.tiles[1] && long(px) * py <= limit; ++py)
      for (int pz = 1; pz <= counts.tiles[2] && long(px) * py * pz <= limit; ++pz) {
        Candidate c = evaluate(counts, grid, {px, py, pz});
        if (c.tissue_blocks <= ranks) most_blocks = std::max(most_blocks, c.tissue_blocks);
        if (c.tissue_blocks != ranks) continue;
        // Ties: fewer empty blocks, then the first found (deterministic order).
        const auto blocks = [](const Candidate& k) { return k.parts[0] * k.parts[1] * k.parts[2]; };
        if (!best || c.cost < best->cost || (c.cost == best->cost && blocks(c) < blocks(*best)))
          best = std::move(c);
      }
  if (!best)
    throw InputError(SourceLocation{"mpirun", 0, 0, ""},
                     fmt::format("{} ranks, but the tissue cannot be split into {} blocks that each hold "
                                 "tissue (blocks are whole tiles of {} voxels a side; the grid is {}x{}x{} "
                                 "voxels, {}x{}x{} tiles; the most found is {}): run with fewer ranks, or "
                                 "finer voxels",
                                 ranks, ranks, kReductionTile, grid[0], grid[1], grid[2], counts.tiles[0],
                                 counts.tiles[1], counts.tiles[2], most_blocks));
  return make_decomposition(*best, grid, true);
}

}  // namespace cyto
