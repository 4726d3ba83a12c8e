#include "host/model/initial_state.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "host/model/poisson_seeding.hpp"

namespace cyto {
namespace {

double voxel_volume_ml(const DenseGrid& g) { return g.spacing[0] * g.spacing[1] * g.spacing[2] * 1e6; }

}  // namespace

std::vector<double> initial_field(const Scenario& s, const TissueMap& tissues, int species) {
  std::vector<double> values(tissues.tissue.size(), 0.0);
  for (const InitialValue& init : s.species[species].initial) {
    const std::vector<std::uint8_t> mask = region_mask(tissues, init.region);
    for (std::size_t idx = 0; idx < values.size(); ++idx)
      if (mask[idx]) values[idx] = init.value;
  }
  for (const DirichletBoundary& b : s.boundaries) {
    if (b.species != species) continue;
    for (std::size_t idx = 0; idx < values.size(); ++idx)
      if (tissues.tissue[idx] == b.tissue + 1) values[idx] = b.value;
  }
  return values;
}

std::vector<double> initial_population(const Scenario& s, const TissueMap& tissues, int population) {
  std::vector<double> values(tissues.tissue.size(), 0.0);
  for (const InitialValue& init : s.populations[std::size_t(population)].initial) {
    const std::vector<std::uint8_t> mask = region_mask(tissues, init.region);
    for (std::size_t idx = 0; idx < values.size(); ++idx)
      if (mask[idx]) values[idx] = init.value;
  }
  const double voxel_ml = voxel_volume_ml(tissues.grid);
  for (std::size_t q = 0; q < s.seedings.size(); ++q) {
    if (s.seedings[q].population != population) continue;
    const std::vector<std::int64_t> cells = seeded_cells(s, tissues, q);
    for (std::size_t idx = 0; idx < values.size(); ++idx)
      if (cells[idx] > 0) values[idx] += double(cells[idx]) / voxel_ml;
  }
  const bool whole_cells = std::any_of(s.rules.begin(), s.rules.end(), [&](const Rule& r) {
    return r.kind == RuleKind::Death && r.mode == DeathMode::Stochastic && r.population == population;
  });
  if (whole_cells)
    for (double& v : values) v = std::floor(v * voxel_ml + 0.5) / voxel_ml;
  return values;
}

std::vector<std::int64_t> seeded_cells(const Scenario& s, const TissueMap& tissues, std::size_t seeding) {
  const Seeding& sd = s.seedings[seeding];
  const std::vector<std::uint8_t> mask = region_mask(tissues, sd.region);
  const double mean = sd.density * voxel_volume_ml(tissues.grid);
  const SeedingStreamKey key{s.seed, sd.population, int(seeding)};
  std::vector<std::int64_t> cells(mask.size(), 0);
  const auto voxels = std::int64_t(mask.size());
  // Each voxel's draw reads its own stream, so the threads only share out the work.
#pragma omp parallel for schedule(dynamic, 4096)
  for (std::int64_t idx = 0; idx < voxels; ++idx)
    if (mask[std::size_t(idx)]) cells[std::size_t(idx)] = poisson_cells(mean, key, std::uint64_t(idx));
  return cells;
}

std::vector<SeedingSummary> seeding_summaries(const Scenario& s, const TissueMap& tissues) {
  std::vector<SeedingSummary> out;
  const double voxel_ml = voxel_volume_ml(tissues.grid);
  for (std::size_t q = 0; q < s.seedings.size(); ++q) {
    const std::vector<std::uint8_t> mask = region_mask(tissues, s.seedings[q].region);
    const std::vector<std::int64_t> cells = seeded_cells(s, tissues, q);
    SeedingSummary summary;
    summary.seeding = q;
    summary.requested_mean = s.seedings[q].density * voxel_ml;
    // Welford's running mean and variance: no cancellation at 1e12 cells a voxel.
    double mean = 0, m2 = 0;
    for (std::size_t idx = 0; idx < cells.size(); ++idx) {
      if (!mask[idx]) continue;
      ++summary.voxels;
      const double x = double(cells[idx]), delta = x - mean;
      mean += delta / double(summary.voxels);
      m2 += delta * (x - mean);
      summary.total_cells += double(cells[idx]);
    }
    summary.mean_cells = mean;
    summary.sd_cells = summary.voxels > 1 ? std::sqrt(m2 / double(summary.voxels - 1)) : 0.0;
    summary.mean_density = mean / voxel_ml;
    out.push_back(summary);
  }
  return out;
}

}  // namespace cyto
