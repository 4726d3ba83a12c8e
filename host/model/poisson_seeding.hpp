// Poisson draws for random seeding: the number of cells a seeding puts in
// one voxel, Poisson(mean) with mean = density x voxel volume.
//
// Each draw reads its own Philox stream, keyed by the scenario's seed, with
// the voxel's number, the population, the seeding and a draw index in the
// counter: the count depends only on those, never on threads, ranks or the
// order voxels are visited.
//
// Method (docs/guide/storm-model.md, "Random seeding"):
//  - mean < 10: inversion of one uniform by sequential search (the method
//    seeding has always used, so small densities seed the same cells);
//  - mean >= 10: transformed rejection with squeeze, PTRS (W. Hormann, "The
//    transformed rejection method for generating Poisson random variables",
//    Insurance: Mathematics and Economics 12, 1993), two uniforms a try,
//    about 1.1 tries a draw; the acceptance test uses log p(k) in Loader's
//    saddle-point form (C. Loader, "Fast and accurate computation of
//    binomial probabilities", 2000), accurate to about 1e-14 absolute for
//    any k, where -mean + k log mean - lgamma(k + 1) would lose digits
//    to cancellation (~1e-3 at a mean of 1e12).
// Both are exact methods: the counts follow Poisson(mean) up to the 53-bit
// uniforms and the rounding of the acceptance test. Means up to
// kMaxPoissonMean are drawn; validation refuses larger ones.
#pragma once

#include <cstdint>

namespace cyto {

// Integers up to 2^53 are exact in a double; a mean this far below that
// keeps k = floor(...) exact with room for the spread (sqrt(mean) ~ 3e7).
inline constexpr double kMaxPoissonMean = 0x1.0p52;

// Which stream a voxel's seeding draw reads.
struct SeedingStreamKey {
  std::uint64_t seed = 0;
  int population = 0;  // < 65536
  int seeding = 0;     // index into Scenario::seedings, < 65536
};

// Poisson(mean) cells for one voxel; mean in [0, kMaxPoissonMean].
std::int64_t poisson_cells(double mean, const SeedingStreamKey& key, std::uint64_t voxel);

// log of the Poisson probability of k at mean (> 0), accurate for large k
// and mean (Loader's saddle-point form); exposed for the tests.
double poisson_log_pmf(std::int64_t k, double mean);

}  // namespace cyto
