// The per-voxel terms of the step-error probe (Simulation::step_error): how
// far one whole step (`one`) lies from two half steps (`two`), summed over
// the tissue in fixed point so that the sums are exact in any order, on any
// backend and for any rank count.
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/qualifiers.hpp"

namespace cyto {

// The largest |one| or |two| seen, and how many voxels hold a NaN in either
// (NaN never enters the maximum, so it combines in any order).
struct ProbeLargest {
  double largest;
  long long nan;
};

// Sums of |one - two| and of |two|, each voxel's rounded to an integer
// number of 1 / to_fixed.
struct ProbeSums {
  long long difference;
  long long size;
};

template <class Real>
CYTO_HD ProbeLargest probe_largest_term(Real one, Real two) {
#ifdef __CUDA_ARCH__
  const double x = fabs(double(one)), y = fabs(double(two));
#else
  const double x = std::fabs(double(one)), y = std::fabs(double(two));
#endif
  if (x != x || y != y) return {0.0, 1};
  return {x > y ? x : y, 0};
}

CYTO_HD ProbeLargest combine_probe_largest(const ProbeLargest& a, const ProbeLargest& b) {
  return {a.largest > b.largest ? a.largest : b.largest, a.nan + b.nan};
}

template <class Real>
CYTO_HD ProbeSums probe_sum_terms(Real one, Real two, double to_fixed) {
  const double y = double(two);
#ifdef __CUDA_ARCH__
  return {(long long)(fabs(double(one) - y) * to_fixed + 0.5), (long long)(fabs(y) * to_fixed + 0.5)};
#else
  return {(long long)(std::fabs(double(one) - y) * to_fixed + 0.5),
          (long long)(std::fabs(y) * to_fixed + 0.5)};
#endif
}

}  // namespace cyto
