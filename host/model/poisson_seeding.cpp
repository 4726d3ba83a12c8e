#include "host/model/poisson_seeding.hpp"

#include <cmath>
#include <cstdint>

#include <Random123/philox.h>

namespace cyto {
namespace {

// Tries a PTRS draw may take: the low 24 bits of the counter's last word.
// Each try is accepted with probability above 0.9, so the bound is never
// met (probability below 0.1^(2^24)); it only makes the loop finite.
constexpr std::uint32_t kMaxDraws = 1u << 24;

// Below this mean, inversion (PTRS needs mean >= 10).
constexpr double kInversionBelow = 10.0;

// A 53-bit uniform in [0, 1) from two 32-bit words.
double uniform53(std::uint32_t high, std::uint32_t low) {
  const std::uint64_t bits = (std::uint64_t(high) << 21) ^ std::uint64_t(low >> 11);
  return double(bits & ((std::uint64_t(1) << 53) - 1)) * 0x1.0p-53;
}

// Draw `index` of a voxel's seeding stream: four 32-bit words, two uniforms.
// The top byte of the counter's last word marks seeding draws apart from the
// death draws (whose last word holds a step number); index 0 is the counter
// seeding has always used.
r123::Philox4x32::ctr_type seeding_block(const SeedingStreamKey& key, std::uint64_t voxel,
                                         std::uint32_t index) {
  r123::Philox4x32 generator;
  const r123::Philox4x32::key_type k = {{std::uint32_t(key.seed), std::uint32_t(key.seed >> 32)}};
  const r123::Philox4x32::ctr_type counter = {
      {std::uint32_t(voxel), std::uint32_t(voxel >> 32),
       std::uint32_t(key.population) | (std::uint32_t(key.seeding) << 16), 0xff000000u | index}};
  return generator(counter, k);
}

// Inversion of one uniform by sequential search of the cumulative sum.
std::int64_t poisson_by_inversion(double mean, double u) {
  double p = std::exp(-mean), cumulative = p;
  std::int64_t k = 0;
  while (u > cumulative && k < 10000000) {
    ++k;
    p *= mean / double(k);
    cumulative += p;
    if (p == 0) break;
  }
  return k;
}

// Loader's stirlerr(n) = log(n!) - log(sqrt(2 pi n) (n/e)^n), n >= 1.
double stirling_error(double n) {
  constexpr double kHalfLog2Pi = 0.918938533204672741780329736406;
  if (n <= 15) return std::lgamma(n + 1) - (n + 0.5) * std::log(n) + n - kHalfLog2Pi;
  constexpr double s0 = 1.0 / 12, s1 = 1.0 / 360, s2 = 1.0 / 1260, s3 = 1.0 / 1680, s4 = 1.0 / 1188;
  const double nn = n * n;
  if (n > 500) return (s0 - s1 / nn) / n;
  if (n > 80) return (s0 - (s1 - s2 / nn) / nn) / n;
  if (n > 35) return (s0 - (s1 - (s2 - s3 / nn) / nn) / nn) / n;
  return (s0 - (s1 - (s2 - (s3 - s4 / nn) / nn) / nn) / nn) / n;
}

// Loader's bd0(x, m) = x log(x / m) + m - x, without cancellation near x = m.
double deviance_term(double x, double m) {
  if (std::abs(x - m) < 0.1 * (x + m)) {
    double v = (x - m) / (x + m), s = (x - m) * v, ej = 2 * x * v;
    v *= v;
    for (int j = 1; j < 1000; ++j) {
      ej *= v;
      const double next = s + ej / double(2 * j + 1);
      if (next == s) return next;
      s = next;
    }
    return s;
  }
  return x * std::log(x / m) + m - x;
}

std::int64_t poisson_by_ptrs(double mean, const SeedingStreamKey& key, std::uint64_t voxel) {
  const double b = 0.931 + 2.53 * std::sqrt(mean);
  const double a = -0.059 + 0.02483 * b;
  const double log_inv_alpha = std::log(1.1239 + 1.1328 / (b - 3.4));
  const double v_r = 0.9277 - 3.6224 / (b - 2);
  for (std::uint32_t index = 0; index < kMaxDraws; ++index) {
    const auto words = seeding_block(key, voxel, index);
    const double u = uniform53(words.v[0], words.v[1]) - 0.5;
    const double v = uniform53(words.v[2], words.v[3]);
    const double us = 0.5 - std::abs(u);
    if (us < 0.013 && v > us) continue;  // also us == 0, where k would be infinite
    const double kd = std::floor((2 * a / us + b) * u + mean + 0.43);
    if (us >= 0.07 && v <= v_r) return std::int64_t(kd);  // the squeeze: kd >= 0 here
    // Beyond 2^62 the probability is 0 in double for any mean drawn.
    if (!(kd >= 0 && kd < 0x1.0p62)) continue;
    const std::int64_t k = std::int64_t(kd);
    if (std::log(v) + log_inv_alpha - std::log(a / (us * us) + b) <= poisson_log_pmf(k, mean)) return k;
  }
  return std::int64_t(std::floor(mean + 0.5));
}

}  // namespace

double poisson_log_pmf(std::int64_t k, double mean) {
  if (k == 0) return -mean;
  constexpr double kLog2Pi = 1.83787706640934548356065947281;
  const double x = double(k);
  return -stirling_error(x) - deviance_term(x, mean) - 0.5 * (kLog2Pi + std::log(x));
}

std::int64_t poisson_cells(double mean, const SeedingStreamKey& key, std::uint64_t voxel) {
  if (!(mean > 0)) return 0;
  if (mean < kInversionBelow) {
    const auto words = seeding_block(key, voxel, 0);
    return poisson_by_inversion(mean, uniform53(words.v[0], words.v[1]));
  }
  return poisson_by_ptrs(mean, key, voxel);
}

}  // namespace cyto
