// Random seeding draws Poisson(density x voxel volume) cells per voxel for
// any mean: the sample mean and variance over many voxels match the Poisson
// mean and variance, from 1e-3 to 1e12 cells a voxel, and the draws do not
// depend on the thread count.
#include <omp.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "host/geometry/geometry.hpp"
#include "host/model/initial_state.hpp"
#include "host/model/poisson_seeding.hpp"

namespace cyto {
namespace {

struct Moments {
  double mean = 0, variance = 0;
};

// Welford's sample mean and variance of the draws for voxels 0 .. n-1.
Moments sample_moments(double mean, std::int64_t n, const SeedingStreamKey& key) {
  Moments m;
  double m2 = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const double x = double(poisson_cells(mean, key, std::uint64_t(i))), delta = x - m.mean;
    m.mean += delta / double(i + 1);
    m2 += delta * (x - m.mean);
  }
  m.variance = m2 / double(n - 1);
  return m;
}

class PoissonSeedingMoments : public testing::TestWithParam<double> {};

// Standard errors: of the sample mean sqrt(mu / n); of the sample variance
// sqrt((mu4 - sigma^4) / n) with the Poisson mu4 = mu (1 + 3 mu), sigma^2 = mu.
TEST_P(PoissonSeedingMoments, MeanAndVarianceWithinThreeStandardErrors) {
  const double mu = GetParam();
  // Enough voxels that even a mean of 1e-3 sees a few hundred cells.
  const std::int64_t n = 400000;
  for (std::uint64_t seed : {7ull, 0x9e3779b97f4a7c15ull}) {
    const Moments m = sample_moments(mu, n, {seed, 1, 2});
    const double se_mean = std::sqrt(mu / double(n));
    const double se_variance = std::sqrt((mu * (1 + 3 * mu) - mu * mu) / double(n));
    EXPECT_NEAR(m.mean, mu, 3 * se_mean) << "mean " << mu << " seed " << seed;
    EXPECT_NEAR(m.variance, mu, 3 * se_variance) << "mean " << mu << " seed " << seed;
  }
}

INSTANTIATE_TEST_SUITE_P(Means, PoissonSeedingMoments,
                         testing::Values(1e-3, 0.1, 1.0, 9.99, 10.0, 30.0, 745.0, 1e3, 1e4, 1e6, 1e9, 1e12));

// The probabilities the rejection test compares against: Loader's form
// against the direct sum of logs where that is exact enough, and the
// normalisation sum_k p(k) = 1 at a large mean.
TEST(PoissonSeeding, LogPmfMatchesDirectFormAndSumsToOne) {
  for (double mu : {10.0, 37.5, 1000.0})
    for (std::int64_t k : {0, 1, 5, 10, 15, 16, 36, 81, 501, 1000, 2000}) {
      const double direct = -mu + double(k) * std::log(mu) - std::lgamma(double(k) + 1);
      EXPECT_NEAR(poisson_log_pmf(k, mu), direct, 1e-12 * (1 + std::abs(direct))) << mu << " " << k;
    }
  const double mu = 1e12, sd = 1e6;
  long double total = 0;
  for (double x = mu - 12 * sd; x <= mu + 12 * sd; x += 1000)
    total += std::exp((long double)poisson_log_pmf(std::int64_t(x), mu)) * 1000;
  EXPECT_NEAR(double(total), 1.0, 1e-6);
}

// Small means keep the inversion seeding has always used: the same first
// uniform of the voxel's stream gives the same count as before.
TEST(PoissonSeeding, SmallMeansDrawByInversionOfTheFirstUniform) {
  const SeedingStreamKey key{7, 0, 0};
  std::int64_t total = 0;
  for (std::uint64_t voxel = 0; voxel < 1000; ++voxel) total += poisson_cells(1.28, key, voxel);
  // The count of the old inversion for these 1000 voxels (seed 7, population 0, seeding 0).
  EXPECT_EQ(total, 1282);
}

// A grid seeded at a mean of 1e6 cells a voxel: the per-voxel counts are
// the same with 1 thread and with 4, and the summary check prints reports them.
TEST(PoissonSeeding, DrawsIndependentOfThreadCountAndSummarised) {
  Scenario s;
  s.seed = 11;
  s.tissues.push_back(Tissue{});
  s.populations.push_back(Population{});
  s.populations.push_back(Population{});
  Seeding seeding;
  seeding.population = 1;
  seeding.density = 1e6 / 1e-3;  // 1e6 cells in a voxel of 1 uL
  s.seedings.push_back(seeding);
  TissueMap map;
  map.grid.nx = 40;
  map.grid.ny = 30;
  map.grid.nz = 20;
  map.grid.spacing = {1e-3, 1e-3, 1e-3};
  map.tissue.assign(std::size_t(map.grid.voxels()), 1);
  map.tissue_voxels = map.grid.voxels();
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const std::vector<std::int64_t> serial = seeded_cells(s, map, 0);
  omp_set_num_threads(4);
  const std::vector<std::int64_t> parallel = seeded_cells(s, map, 0);
  omp_set_num_threads(threads);
  EXPECT_EQ(serial, parallel);

  const std::vector<SeedingSummary> summary = seeding_summaries(s, map);
  ASSERT_EQ(summary.size(), 1u);
  EXPECT_EQ(summary[0].voxels, map.grid.voxels());
  EXPECT_NEAR(summary[0].requested_mean, 1e6, 1e-6);
  EXPECT_NEAR(summary[0].mean_cells, 1e6, 3 * std::sqrt(1e6 / 24000.0));
  EXPECT_NEAR(summary[0].sd_cells, 1e3, 3 * 1e3 / std::sqrt(2 * 24000.0));
  EXPECT_NEAR(summary[0].mean_density, summary[0].mean_cells / 1e-3, 1e-3);
}

}  // namespace
}  // namespace cyto
