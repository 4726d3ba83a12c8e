#include "host/model/initial_state.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include <Random123/philox.h>

namespace cyto {

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

namespace {

// A Poisson(mean) draw by inversion of one uniform in [0, 1).
std::int64_t poisson_draw(double mean, double u) {
  double p = std::exp(-mean), cumulative = p;
  std::int64_t k = 0;
  // Beyond 1e7 cells in a voxel the sum would be slow; so large a mean is
  // never a seeding density per voxel, and the mean itself is returned.
  if (mean > 1e4) return std::int64_t(std::floor(mean + 0.5));
  while (u > cumulative && k < 10000000) {
    ++k;
    p *= mean / double(k);
    cumulative += p;
    if (p == 0) break;
  }
  return k;
}

double uniform_from_philox(std::uint64_t seed, std::uint64_t voxel, int population, int seeding) {
  r123::Philox4x32 generator;
  const r123::Philox4x32::key_type key = {{std::uint32_t(seed), std::uint32_t(seed >> 32)}};
  // The top byte of the counter's last word marks seeding draws apart from
  // the death draws (whose last word holds a step number).
  const r123::Philox4x32::ctr_type counter = {{std::uint32_t(voxel), std::uint32_t(voxel >> 32),
                                               std::uint32_t(population) | (std::uint32_t(seeding) << 16),
                                               0xff000000u}};
  const auto draw = generator(counter, key);
  const std::uint64_t bits = (std::uint64_t(draw.v[0]) << 21) ^ std::uint64_t(draw.v[1] >> 11);
  return double(bits & ((std::uint64_t(1) << 53) - 1)) * 0x1.0p-53;
}

}  // namespace

std::vector<double> initial_population(const Scenario& s, const TissueMap& tissues, int population) {
  std::vector<double> values(tissues.tissue.size(), 0.0);
  for (const InitialValue& init : s.populations[std::size_t(population)].initial) {
    const std::vector<std::uint8_t> mask = region_mask(tissues, init.region);
    for (std::size_t idx = 0; idx < values.size(); ++idx)
      if (mask[idx]) values[idx] = init.value;
  }
  const DenseGrid& g = tissues.grid;
  const double voxel_ml = g.spacing[0] * g.spacing[1] * g.spacing[2] * 1e6;
  for (std::size_t q = 0; q < s.seedings.size(); ++q) {
    const Seeding& seeding = s.seedings[q];
    if (seeding.population != population) continue;
    const std::vector<std::uint8_t> mask = region_mask(tissues, seeding.region);
    for (std::size_t idx = 0; idx < values.size(); ++idx)
      if (mask[idx]) {
        const double u = uniform_from_philox(s.seed, idx, population, int(q));
        values[idx] += double(poisson_draw(seeding.density * voxel_ml, u)) / voxel_ml;
      }
  }
  const bool whole_cells = std::any_of(s.rules.begin(), s.rules.end(), [&](const Rule& r) {
    return r.kind == RuleKind::Death && r.mode == DeathMode::Stochastic && r.population == population;
  });
  if (whole_cells)
    for (double& v : values) v = std::floor(v * voxel_ml + 0.5) / voxel_ml;
  return values;
}

}  // namespace cyto
