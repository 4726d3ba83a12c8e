// Geometry, discretisation and time planning: the pieces between the
// scenario and the kernels.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include "host/geometry/shapes.hpp"
#include "host/io/output.hpp"
#include "host/model/discretisation.hpp"
#include "kernels/cpu/cpu_kernels.hpp"
#include "tests/scenario_builders.hpp"

namespace cyto {
namespace {

TEST(Geometry, GridCoversTheExtentWithWholeVoxels) {
  GridSettings g;
  g.spacing = {300e-6, 20e-6, 30e-6};
  g.extent = {1e-3, 1e-3, 4e-3};
  const DenseGrid d = make_dense_grid(g);
  EXPECT_EQ(d.nx, 4);    // 3.33 voxels: the last, partial one is kept
  EXPECT_EQ(d.ny, 50);   // an exact multiple gains no voxel through round-off
  EXPECT_EQ(d.nz, 134);  // 133.33
  g.spacing[0] = 1e-12;
  EXPECT_THROW(make_dense_grid(g), InputError);  // 1e9 voxels along x
}

TEST(Geometry, NestedUnionBoundsAreLinearInDepth) {
  // Each level used to evaluate its first part twice: 2^depth work.
  Shape s = testing::sphere_shape({0, 0, 0}, 1);
  for (int depth = 0; depth < 200; ++depth)
    s = testing::union_shape({s, testing::sphere_shape({double(depth), 0, 0}, 1)});
  const Bounds b = shape_bounds(s);
  EXPECT_DOUBLE_EQ(b.lo[0], -1);
  EXPECT_DOUBLE_EQ(b.hi[0], 200);
  EXPECT_TRUE(shape_contains(s, {150.2, 0, 0}));
}

TEST(TimePlan, HugeRequestedDtIsSplitIntoStableSteps) {
  const double h = 20e-6, D = 1200e-12 / 60;
  Scenario s = testing::box_scenario({10, 10, 10}, {h, h, h});
  s.species.push_back(testing::make_species("c", {D}));
  s.time.end = 600;
  s.time.dt = 3.6e11;  // 1e8 h: the sub-step count does not fit an int
  const TimePlan plan = plan_time(s);
  EXPECT_TRUE(plan.substepped);
  EXPECT_LE(plan.max_dt, plan.stability_limit);
  EXPECT_GT(plan.max_dt, 0.5 * plan.stability_limit);
  EXPECT_NEAR(plan.stability_limit, h * h / (6 * D), 1e-12);
}

TEST(TimePlan, RunsThatCannotFinishAreRefused) {
  const double h = 20e-6;
  Scenario s = testing::box_scenario({10, 10, 10}, {h, h, h});
  s.species.push_back(testing::make_species("c", {1e10}));  // dt ~ 1e-20 s
  s.time.end = 3600;
  EXPECT_THROW(plan_time(s), InputError);
}

TEST(Reductions, NonFiniteValuesAreNotHidden) {
  const GridLayout g = make_grid_layout(4, 3, 2);
  std::vector<MaterialId> material(std::size_t(g.size), 0);
  std::vector<double> field(std::size_t(g.size), 0.0);
  for (int k = 0; k < 2; ++k)
    for (int j = 0; j < 3; ++j)
      for (int i = 0; i < 4; ++i) {
        material[g.index(i, j, k)] = 1;
        field[g.index(i, j, k)] = 1.0;
      }
  field[g.index(2, 1, 1)] = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> sums, maxima;
  cpu_region_sum_max(g, material.data(), {-1, 0}, 1, field.data(), 2, sums, maxima);
  EXPECT_TRUE(std::isnan(sums[0]));
  EXPECT_TRUE(std::isnan(maxima[0]));  // std::max would have returned 1
}

TEST(TimeSeriesWriter, ThrottledRewritesWaitForFlush) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(::testing::TempDir()) / "cytostorm_throttle";
  fs::remove_all(dir);
  TimeSeriesWriter writer(dir.string(), {"c"}, {"t"}, /*min_rewrite_interval_s=*/3600);
  TimeSeriesRow row;
  row.stats = {{RegionStats{1, 1, 1}, RegionStats{1, 1, 1}}};
  const auto lines = [&] {
    std::ifstream in(dir / "timeseries.csv");
    return std::count(std::istreambuf_iterator<char>(in), {}, '\n');
  };
  writer.append(row);
  EXPECT_EQ(lines(), 1 + 2);  // the first append always writes: header + two regions
  row.time_s = 1;
  writer.append(row);
  EXPECT_EQ(lines(), 1 + 2);  // within the interval: not rewritten yet
  writer.flush();
  EXPECT_EQ(lines(), 1 + 4);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace cyto
