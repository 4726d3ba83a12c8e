#include "host/solver/step_control.hpp"

#include <algorithm>
#include <cmath>

namespace cyto {
namespace {

constexpr int kMaxProbes = 8;

double controller_factor(double error, double tolerance) {
  if (!(error > 0)) return 4.0;
  return std::clamp(0.9 * std::sqrt(tolerance / error), 0.2, 4.0);
}

}  // namespace

std::string describe_error_source(const Scenario& s, const FieldLayout& fields, const StepError& e) {
  if (e.what < 0) return "no field changed";
  if (e.what >= kPlasmaFirst) {
    const int q = e.what - kPlasmaFirst;
    if (q < int(s.species.size())) return "plasma " + s.species[std::size_t(q)].name;
    return "blood " + s.populations[std::size_t(q) - s.species.size()].name;
  }
  if (e.what < fields.n_species) return s.species[std::size_t(e.what)].name;
  return "population " + s.populations[std::size_t(e.what - fields.n_species)].name;
}

template <class Real>
StretchStep choose_stretch_step(Simulation<Real>& sim, double guess, double tolerance, double max_dt) {
  StretchStep out;
  double dt = std::max(kMinAdaptiveDt, std::min(guess, max_dt));
  for (;;) {
    out.error = sim.step_error(dt);
    ++out.probes;
    const bool accepted = out.error.relative <= tolerance;
    if (accepted || dt <= kMinAdaptiveDt || out.probes >= kMaxProbes) {
      out.at_floor = !accepted;
      break;
    }
    dt = std::max(kMinAdaptiveDt, dt * std::min(0.9, controller_factor(out.error.relative, tolerance)));
  }
  out.dt = dt;
  const double growth = controller_factor(out.error.relative, tolerance);
  out.next_guess = std::min(max_dt, std::max(kMinAdaptiveDt, dt * growth));
  out.stretch_steps = growth >= 2 && dt < max_dt ? kGrowingStretchSteps : kStretchSteps;
  return out;
}

template StretchStep choose_stretch_step<float>(Simulation<float>&, double, double, double);
template StretchStep choose_stretch_step<double>(Simulation<double>&, double, double, double);

}  // namespace cyto
