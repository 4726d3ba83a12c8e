// Pointwise reaction physics for the linear decay-source model.
#pragma once

#include <cmath>

#include "kernels/qualifiers.hpp"

namespace cyto {

// Coefficients of the exact solution of dc/dt = s - lambda c over one step:
//   c(t + dt) = c(t) * decay_factor + s * source_gain
// with decay_factor = exp(-lambda dt) and source_gain = (1 - exp(-lambda dt)) / lambda
// (-> dt as lambda -> 0). Exact for any dt, so decay never limits the step.
struct DecaySourceCoefficients {
  double decay_factor;
  double source_gain;
};

inline DecaySourceCoefficients decay_source_coefficients(double decay_rate, double dt) {
  const double x = decay_rate * dt;
  if (x == 0.0) return {1.0, dt};
  const double em1 = std::expm1(-x);  // exp(-x) - 1 without cancellation
  return {1.0 + em1, -em1 / decay_rate};
}

template <class Real>
CYTO_HD Real decay_source_update(Real c, Real decay_factor, Real source_rate, Real source_gain) {
  return c * decay_factor + source_rate * source_gain;
}

}  // namespace cyto
