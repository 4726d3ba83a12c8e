// The Hill factors' non-integer power (kernels/portable_power_k.hpp): its
// accuracy against long double powl over the range the Hill factors use,
// the stated bounds in ulps, and its edge cases. Its bits match the GPU's by
// construction (IEEE-exact operations only); the GPU tests run the same
// kernels on the device.
#include <cmath>
#include <cstdint>
#include <limits>

#include <gtest/gtest.h>

#include "kernels/cell_model_k.hpp"
#include "kernels/portable_power_k.hpp"

namespace cyto {
namespace {

// Distance in units in the last place of `exact` rounded to T.
template <class T>
double ulps(T value, long double exact) {
  const T rounded = T(exact);
  const T ulp = std::nextafter(rounded, std::numeric_limits<T>::infinity()) - rounded;
  return double(std::abs((long double)value - exact) / (long double)ulp);
}

struct Worst {
  double float_ulps = 0, double_excess = 0;
};

// x = c / half-max log-spaced over [1e-8, 1e8], n over [1, 16].
Worst worst_errors() {
  Worst w;
  for (int i = 0; i <= 4000; ++i) {
    const double x = std::pow(10.0, -8.0 + 16.0 * i / 4000.0) * (1 + 1e-3 * (i % 7));
    for (double n : {1.0, 1.1, 1.5, 2.25, 2.5, 3.3, 3.75, 4.5, 5.5, 7.1, 9.99, 12.5, 16.0}) {
      const long double exact = std::pow((long double)x, (long double)n);
      // The float case takes the inputs rounded to float, and a result that is a normal float.
      const float xf = float(x), nf = float(n);
      const long double exact_float = std::pow((long double)xf, (long double)nf);
      if (exact_float <= (long double)std::numeric_limits<float>::max() &&
          exact_float >= (long double)std::numeric_limits<float>::min())
        w.float_ulps = std::max(w.float_ulps, ulps(portable_pow(xf, nf), exact_float));
      // Bound: 2 + 2 |n log2 x| ulps.
      const double allowed = 2 + 2 * std::abs(n * std::log2(x));
      w.double_excess = std::max(w.double_excess, ulps(portable_pow(x, n), exact) / allowed);
    }
  }
  return w;
}

TEST(PortablePower, WithinStatedUlpsOfLongDouble) {
  const Worst w = worst_errors();
  EXPECT_LE(w.float_ulps, 1.0);
  EXPECT_LE(w.double_excess, 1.0);
  std::printf("portable_pow: worst float %.3f ulps; worst double error / (2 + 2|n log2 x|) ulps %.3f\n",
              w.float_ulps, w.double_excess);
}

TEST(PortablePower, LogAndExpPiecesNearOneUlp) {
  double worst_log = 0, worst_exp = 0;
  for (int i = 1; i < 20000; ++i) {
    const double x = 0.5 + 1.5 * i / 20000.0;  // the reduced range and past it
    const double log2_exact = double(std::log2((long double)x));
    if (std::abs(log2_exact) > 1e-3)
      worst_log = std::max(worst_log, ulps(portable_log2(x), std::log2((long double)x)));
    const double y = -30 + 60.0 * i / 20000.0;
    worst_exp = std::max(worst_exp, ulps(portable_exp2(y), std::exp2((long double)y)));
  }
  EXPECT_LE(worst_log, 4.0);
  EXPECT_LE(worst_exp, 2.0);
}

TEST(PortablePower, EdgeCases) {
  EXPECT_EQ(portable_pow(0.0, 1.5), 0.0);
  EXPECT_EQ(portable_pow(1.0, 2.5), 1.0);
  EXPECT_TRUE(std::isnan(portable_pow(std::nan(""), 2.5)));
  EXPECT_EQ(portable_pow(HUGE_VAL, 2.5), HUGE_VAL);
  EXPECT_EQ(portable_pow(1e300, 2.5), HUGE_VAL);  // overflows to inf, as pow does
  EXPECT_EQ(portable_pow(1e-300, 2.5), 0.0);      // underflows to 0
  EXPECT_EQ(portable_pow(4.0f, 1.5f), 8.0f);      // exact cases stay exact
  EXPECT_EQ(portable_pow(2.0, 10.0), 1024.0);
  EXPECT_GT(portable_pow(5e-324, 1.0), 0.0);  // subnormals are reduced correctly
  EXPECT_NEAR(portable_pow(1e-310, 1.01), std::pow(1e-310, 1.01), 1e-320);
}

// The Hill factor uses it for every power that is not 1, 2, 3 or 4.
TEST(PortablePower, HillFactorUsesItForNonIntegerPowers) {
  HillFactorK<double> f;
  f.integer_power = 0;
  f.power = 2.5;
  EXPECT_EQ(hill_power(3.0, f), portable_pow(3.0, 2.5));
  HillFactorK<float> g;
  g.integer_power = 0;
  g.power = 1.7f;
  EXPECT_EQ(hill_power(0.3f, g), portable_pow(0.3f, 1.7f));
}

}  // namespace
}  // namespace cyto
