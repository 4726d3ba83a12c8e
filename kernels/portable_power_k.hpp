// x^n with the same bits on the host and on the GPU: Hill factors with a
// non-integer power. The libraries' pow differ in their last bits (glibc's is
// correctly rounded in most cases, CUDA's within 2 ulps), so a Hill factor
// built on them breaks the bitwise CPU = GPU agreement, and a death
// threshold near the value can flip.
//
// x^n = 2^(n log2 x), from operations whose results IEEE 754 fixes exactly:
// +, -, *, / (correctly rounded; the project compiles without contraction
// into FMA: -ffp-contract=off, nvcc --fmad=false), frexp, ldexp and floor
// (exact), and fixed polynomials written once here:
//  - log2 x = e + ln(m) / ln 2 with x = m 2^e, m in [sqrt(1/2), sqrt(2)),
//    ln m = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.1716: the odd
//    series to s^23 (the next term is below 2^-57 of the sum);
//  - 2^y = 2^k e^(f ln 2), k = floor(y + 1/2), |f| <= 1/2: Taylor series of
//    e^t to t^14 (|t| <= 0.347; the next term is below 2^-58).
// Evaluated in double for both precisions, the float result rounded once.
// Accuracy (tests/test_portable_power.cpp, against long double powl over
// x = c / half-max in [1e-8, 1e8] and n in [1, 16]): float results within
// 1 ulp (almost all correctly rounded); double within 2 + 2|n log2 x| ulps,
// from the rounding of y = n log2 x, which every pow that is not computed in
// extended precision shares.
#pragma once

#include <cmath>

#include "kernels/qualifiers.hpp"

// The power is a call (CYTO_HD_CALL), not inlined, on the device: inlined,
// its ~40 operations in double took registers from the fused step kernels
// (stack frames and spills in every double kernel, ptxas -v) although the
// branch is taken only by non-integer powers.

namespace cyto {

// ln(m) for m in [sqrt(1/2), sqrt(2)): 2 s sum_k s^2k / (2k + 1).
CYTO_HD double portable_log_near_one(double m) {
  const double s = (m - 1.0) / (m + 1.0), s2 = s * s;
  double sum = 1.0 / 23;
  sum = sum * s2 + 1.0 / 21;
  sum = sum * s2 + 1.0 / 19;
  sum = sum * s2 + 1.0 / 17;
  sum = sum * s2 + 1.0 / 15;
  sum = sum * s2 + 1.0 / 13;
  sum = sum * s2 + 1.0 / 11;
  sum = sum * s2 + 1.0 / 9;
  sum = sum * s2 + 1.0 / 7;
  sum = sum * s2 + 1.0 / 5;
  sum = sum * s2 + 1.0 / 3;
  sum = sum * s2 + 1.0;
  return 2.0 * s * sum;
}

// log2(x) for finite x > 0 (subnormals included).
CYTO_HD double portable_log2(double x) {
  constexpr double kLog2E = 1.4426950408889634074;  // 1 / ln 2
  constexpr double kSqrtHalf = 0.70710678118654752440;
  int e = 0;
#ifdef __CUDA_ARCH__
  double m = frexp(x, &e);
#else
  double m = std::frexp(x, &e);
#endif
  if (m < kSqrtHalf) {  // [0.5, 1) -> [sqrt(1/2), sqrt(2)): exact doubling
    m = 2.0 * m;
    e -= 1;
  }
  return double(e) + portable_log_near_one(m) * kLog2E;
}

// 2^y for any y (0 below the subnormals, inf above the largest double).
CYTO_HD double portable_exp2(double y) {
  constexpr double kLn2 = 0.69314718055994530942;
  if (!(y < 1024.0)) return y != y ? y : HUGE_VAL;
  if (y < -1100.0) return 0.0;
#ifdef __CUDA_ARCH__
  const double k = floor(y + 0.5);
#else
  const double k = std::floor(y + 0.5);
#endif
  const double t = (y - k) * kLn2;   // y - k is exact: |y| < 2^11
  double sum = 1.0 / 87178291200.0;  // 1 / 14!
  sum = sum * t + 1.0 / 6227020800.0;
  sum = sum * t + 1.0 / 479001600.0;
  sum = sum * t + 1.0 / 39916800.0;
  sum = sum * t + 1.0 / 3628800.0;
  sum = sum * t + 1.0 / 362880.0;
  sum = sum * t + 1.0 / 40320.0;
  sum = sum * t + 1.0 / 5040.0;
  sum = sum * t + 1.0 / 720.0;
  sum = sum * t + 1.0 / 120.0;
  sum = sum * t + 1.0 / 24.0;
  sum = sum * t + 1.0 / 6.0;
  sum = sum * t + 0.5;
  sum = sum * t + 1.0;
  sum = sum * t + 1.0;
#ifdef __CUDA_ARCH__
  return ldexp(sum, int(k));
#else
  return std::ldexp(sum, int(k));
#endif
}

// x^n for x >= 0 (or NaN) and n >= 1, as the Hill factors use it.
CYTO_HD_CALL double portable_pow(double x, double n) {
  if (!(x > 0.0)) return x == 0.0 ? 0.0 : x;  // 0^n = 0 for n > 0; NaN stays NaN
  if (!(x < HUGE_VAL)) return x;
  return portable_exp2(n * portable_log2(x));
}

template <class Real>
CYTO_HD Real portable_pow(Real x, Real n) {
  return Real(portable_pow(double(x), double(n)));
}

}  // namespace cyto
