// The GPU reductions' region index (host/region_index.hpp): every tissue voxel
// exactly once, in its region, in storage order; chunks bounded and never
// spanning regions; and a chunked sum in that order equals the CPU
// reduction to round-off.
#include <gtest/gtest.h>

#include <cmath>

#include "host/region_index.hpp"
#include "host/simulation.hpp"
#include "tests/scenario_builders.hpp"

namespace cyto {
namespace {

TEST(RegionIndex, CoversEveryTissueVoxelOnceInChunksWithinRegions) {
  const double h = 1.0 / 30;
  Scenario s = testing::box_scenario({30, 28, 26}, {h, h, h});
  s.geometry.clear();
  s.tissues.push_back({"vessel", 2, {}});
  s.geometry.push_back({0, testing::sphere_shape({0.5, 0.45, 0.4}, 0.4), {}});
  s.geometry.push_back({1, testing::cylinder_shape({0.1, 0.45, 0.4}, {0.9, 0.45, 0.4}, 0.08), {}});
  s.species.push_back(testing::make_species("c", {1.0, 1.0}, 0, 1.0));
  const TissueMap tissues = rasterise_tissues(s);
  const Discretisation disc = discretise(s, tissues);
  const int n_regions = 3;  // region 2 has no material: an empty region
  const std::int64_t chunk = 1000;
  const RegionIndex index =
      build_region_index(disc.layout, disc.material, disc.material_tissue, n_regions, chunk);

  ASSERT_EQ(index.n_regions(), n_regions);
  std::vector<int> seen(std::size_t(disc.layout.size), 0);
  for (int r = 0; r < n_regions; ++r) {
    std::int64_t voxels = 0;
    std::uint32_t previous = 0;
    for (std::int64_t c = index.region_chunk_offsets[r]; c < index.region_chunk_offsets[r + 1]; ++c) {
      const std::int64_t n = index.chunk_offsets[c + 1] - index.chunk_offsets[c];
      EXPECT_GT(n, 0);
      EXPECT_LE(n, chunk);
      for (std::int64_t p = index.chunk_offsets[c]; p < index.chunk_offsets[c + 1]; ++p) {
        const std::uint32_t offset = index.voxels[p];
        EXPECT_EQ(disc.material_tissue[disc.material[offset]], r);
        if (voxels > 0) {
          EXPECT_GT(offset, previous);  // storage order within the region
        }
        previous = offset;
        ++seen[offset];
        ++voxels;
      }
    }
    EXPECT_EQ(voxels, r < 2 ? tissues.voxel_count[r] : 0) << "region " << r;
  }
  for (std::int64_t i = 0; i < disc.layout.size; ++i) EXPECT_EQ(seen[i], disc.material[i] != 0 ? 1 : 0);

  // A chunked sum over a varied field agrees with the CPU backend's reduction.
  std::vector<double> field(std::size_t(disc.layout.size));
  for (std::size_t i = 0; i < field.size(); ++i) field[i] = 1 + std::sin(0.1 * double(i));
  std::vector<double> sums, maxima;
  cpu_region_sum_max(disc.layout, disc.material.data(), disc.material_tissue, n_regions, field.data(), 2,
                     sums, maxima);
  for (int r = 0; r < n_regions; ++r) {
    double sum = 0, max = -INFINITY;
    for (std::int64_t c = index.region_chunk_offsets[r]; c < index.region_chunk_offsets[r + 1]; ++c) {
      double partial = 0;
      for (std::int64_t p = index.chunk_offsets[c]; p < index.chunk_offsets[c + 1]; ++p) {
        partial += field[index.voxels[p]];
        max = std::max(max, field[index.voxels[p]]);
      }
      sum += partial;
    }
    EXPECT_NEAR(sum, sums[r], 1e-12 * std::abs(sums[r])) << "region " << r;
    EXPECT_EQ(max, maxima[r]) << "region " << r;
  }
}

}  // namespace
}  // namespace cyto
