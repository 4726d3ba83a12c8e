// The pieces that make MPI results independent of the rank count: exact
// sums (order and grouping do not matter) and block decompositions (blocks
// tile the grid on reduction tiles, one per rank, each holding tissue).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "host/core/error.hpp"
#include "host/core/exact_sum.hpp"
#include "host/parallel/decomposition.hpp"

namespace cyto {
namespace {

TEST(ExactSum, OrderAndGroupingDoNotChangeTheSum) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> mantissa(-1, 1);
  std::uniform_int_distribution<int> exponent(-60, 60);
  std::vector<double> values(20000);
  for (double& v : values) v = std::ldexp(mantissa(rng), exponent(rng));
  ExactSum whole;
  for (double v : values) whole.add(v);
  const double reference = whole.value();
  for (int trial = 0; trial < 5; ++trial) {
    std::shuffle(values.begin(), values.end(), rng);
    // Split into groups (as ranks would), combine their packed words by integer sums.
    const int groups = 1 + trial * 2;
    std::vector<std::int64_t> words(ExactSum::kPackedWords, 0);
    for (int g = 0; g < groups; ++g) {
      ExactSum part;
      for (std::size_t i = std::size_t(g); i < values.size(); i += std::size_t(groups)) part.add(values[i]);
      const auto packed = part.packed();
      for (int w = 0; w < ExactSum::kPackedWords; ++w) words[std::size_t(w)] += packed[std::size_t(w)];
    }
    EXPECT_EQ(ExactSum::from_packed(words.data()).value(), reference) << groups << " groups";
  }
  // A plain double sum of the shuffled values would (almost surely) differ in the last bits.
  double naive = 0;
  for (double v : values) naive += v;
  EXPECT_NEAR(naive, reference, 1e-9 * std::abs(reference) + 1e-6);
}

TEST(ExactSum, IsCorrectlyRoundedWhereDoublesCancel) {
  ExactSum s;
  s.add(1e300);
  s.add(1.0);
  s.add(-1e300);
  EXPECT_EQ(s.value(), 1.0);  // a double sum in this order gives 0
  ExactSum t;
  t.add(0.1);
  t.add(0.2);
  // The exact sum of the two doubles, rounded once: 0.30000000000000004 (0x3FD3333333333334).
  EXPECT_EQ(t.value(), 0.1 + 0.2);
  ExactSum tiny;
  tiny.add(std::ldexp(1.0, -1074));
  tiny.add(std::ldexp(1.0, -1074));
  EXPECT_EQ(tiny.value(), std::ldexp(1.0, -1073));
  ExactSum negative;
  negative.add(-2.5);
  negative.add(1.0);
  EXPECT_EQ(negative.value(), -1.5);
  ExactSum empty;
  EXPECT_EQ(empty.value(), 0.0);
}

TEST(ExactSum, NonFiniteAddendsGiveNanOrInfinity) {
  ExactSum a;
  a.add(1.0);
  a.add(std::numeric_limits<double>::infinity());
  EXPECT_EQ(a.value(), std::numeric_limits<double>::infinity());
  ExactSum b;
  b.add(std::numeric_limits<double>::infinity());
  b.add(-std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isnan(b.value()));
  ExactSum c;
  c.add(std::nan(""));
  c.add(3.0);
  EXPECT_TRUE(std::isnan(c.value()));
}

// A box of tissue in a larger grid, with an empty corner region.
TissueMap map_of(int nx, int ny, int nz, const std::function<bool(int, int, int)>& inside) {
  TissueMap m;
  m.grid.nx = nx;
  m.grid.ny = ny;
  m.grid.nz = nz;
  m.tissue.assign(std::size_t(nx) * ny * nz, 0);
  for (int k = 0; k < nz; ++k)
    for (int j = 0; j < ny; ++j)
      for (int i = 0; i < nx; ++i)
        if (inside(i, j, k)) {
          m.tissue[std::size_t(m.index(i, j, k))] = 1;
          ++m.tissue_voxels;
        }
  m.voxel_count = {m.tissue_voxels};
  return m;
}

void expect_valid(const Decomposition& d, const TissueMap& m, int ranks) {
  ASSERT_EQ(d.ranks(), ranks);
  std::vector<int> owner(m.tissue.size(), -1);
  std::int64_t covered = 0;
  for (int r = 0; r < ranks; ++r) {
    const Box b = d.rank_box(r);
    for (int a = 0; a < 3; ++a)
      EXPECT_EQ(b.lo[std::size_t(a)] % kReductionTile, 0) << "block edges lie on tiles";
    std::int64_t tissue = 0;
    for (int k = b.lo[2]; k < b.lo[2] + b.size[2]; ++k)
      for (int j = b.lo[1]; j < b.lo[1] + b.size[1]; ++j)
        for (int i = b.lo[0]; i < b.lo[0] + b.size[0]; ++i) {
          const std::size_t idx = std::size_t(m.index(i, j, k));
          EXPECT_EQ(owner[idx], -1) << "blocks overlap";
          owner[idx] = r;
          tissue += m.tissue[idx] != 0;
        }
    EXPECT_GT(tissue, 0) << "rank " << r << " holds no tissue";
    covered += tissue;
  }
  EXPECT_EQ(covered, m.tissue_voxels) << "every tissue voxel belongs to a rank";
}

TEST(Decomposition, AutomaticGivesEveryRankATissueBlock) {
  const TissueMap box = map_of(45, 45, 3, [](int, int, int) { return true; });
  for (int ranks : {1, 2, 3, 4, 5, 6, 8}) expect_valid(decompose(box, ranks, std::nullopt), box, ranks);
  // An L-shaped organ: blocks in its empty corner are given to no rank.
  const TissueMap ell = map_of(64, 64, 16, [](int i, int j, int) { return i < 24 || j < 24; });
  for (int ranks : {2, 3, 4, 7, 8, 12}) expect_valid(decompose(ell, ranks, std::nullopt), ell, ranks);
  // The split follows the tissue, not the box: two slabs of the L hold about equal tissue.
  const Decomposition two = decompose(ell, 2, std::nullopt);
  EXPECT_LT(two.imbalance(), 1.25) << two.text();
}

TEST(Decomposition, RequestedBlockGridIsUsedOrRefusedClearly) {
  const TissueMap box = map_of(40, 20, 3, [](int, int, int) { return true; });  // 5 x 3 x 1 tiles
  const Decomposition d = decompose(box, 6, std::array<int, 3>{3, 2, 1});
  EXPECT_EQ(d.text(), "3x2x1");
  EXPECT_FALSE(d.automatic);
  expect_valid(d, box, 6);
  try {
    decompose(box, 6, std::array<int, 3>{6, 1, 1});
    FAIL() << "6 blocks along 5 tiles";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("does not divide the grid: x has 40 voxels, 5 tiles of 8"),
              std::string::npos)
        << e.what();
  }
  try {
    decompose(box, 4, std::array<int, 3>{3, 2, 1});
    FAIL() << "6 blocks for 4 ranks";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("6 blocks holding tissue"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("but 4 ranks run"), std::string::npos) << e.what();
  }
}

TEST(Decomposition, MoreRanksThanTissueBlocksIsRefused) {
  const TissueMap small = map_of(16, 16, 8, [](int, int, int) { return true; });  // 2 x 2 x 1 tiles
  try {
    decompose(small, 5, std::nullopt);
    FAIL() << "5 ranks on 4 tiles";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("5 ranks, but the tissue cannot be split into 5 blocks"),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("the most found is 4"), std::string::npos) << e.what();
  }
}

TEST(Decomposition, ParsesAxBxCAndRefusesAnythingElse) {
  EXPECT_EQ(parse_decomposition("2x3x1", "--decomposition"), (std::array<int, 3>{2, 3, 1}));
  for (const char* bad : {"", "2x3", "2x3x0", "2x3x-1", "2*3*1", "2x3x1x1", "axbxc", "2x3x1 "})
    EXPECT_THROW(parse_decomposition(bad, "--decomposition"), InputError) << bad;
}

}  // namespace
}  // namespace cyto
