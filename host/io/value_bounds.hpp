// What counts as a bad value of a field: NaN, infinity, or negative beyond
// round-off. One definition for the blow-up guard (host/solver), which scans
// a running state, and the checkpoint reader, which scans a loaded one: a
// checkpoint the guard let through is never refused on load, and the reverse.
#pragma once

#include <cmath>
#include <limits>

namespace cyto {

// Below -(this x the field's largest value) a value is negative beyond round-off.
template <class Real>
constexpr double negative_tolerance() {
  return 64 * double(std::numeric_limits<Real>::epsilon());
}

template <class Real>
bool is_bad_value(double v, double tolerance) {
  return !std::isfinite(v) || v < -tolerance;
}

}  // namespace cyto
