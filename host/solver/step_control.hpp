// Error-controlled steps for dt: auto: before each stretch of steps, the
// local error of a step is estimated by step doubling
// (Simulation::step_error) and the step shrunk until it is within
// time.tolerance; the next stretch starts from a step grown or shrunk by
// the usual controller factor. Every choice is a function of the state at
// the stretch's start, so a run restarted there chooses the same steps.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>

#include "host/solver/simulation.hpp"

namespace cyto {

// Steps per stretch: the probe (three steps and copies of the fields) costs
// a tenth to a fifth of a stretch. While the step is still growing fast
// (the estimate far below the tolerance) stretches are short, so that a
// step cut small by a transient recovers within a few dozen steps.
inline constexpr int kStretchSteps = 40;
inline constexpr int kGrowingStretchSteps = 10;
// The smallest step the controller takes, whatever the estimate (s).
inline constexpr double kMinAdaptiveDt = 1e-3;
// The share of time.tolerance that each step's estimated local error may
// take. The key outputs carry the local errors of many steps: with steps
// held to half the tolerance they come within the tolerance itself on every
// shipped scenario (scripts/tolerance-check.sh); at the full tolerance one
// (frog_sepsis, 6 h) missed by 7%.
inline constexpr double kLocalErrorShare = 0.5;

struct StretchStep {
  double dt = 0;                      // s: the step chosen
  double next_guess = 0;              // s: the first step to try for the next stretch
  int stretch_steps = kStretchSteps;  // steps to take at dt before the next probe
  StepError error;                    // the estimate of dt
  int probes = 0;                     // step_error calls it took
  bool at_floor = false;              // kMinAdaptiveDt and still above the tolerance
};

// What the error control did over a run, for the log and summary.json.
struct StepControlRecord {
  std::int64_t stretches = 0;        // stretches planned (each after a probe)
  std::int64_t probes = 0;           // step_error calls, rejected steps included
  std::int64_t floor_stretches = 0;  // stretches at kMinAdaptiveDt still above the tolerance
  double max_error = 0;              // the largest estimate of a step taken
  double last_error = 0;             // the estimate of the last stretch's step
  void record(const StretchStep& step) {
    ++stretches;
    probes += step.probes;
    floor_stretches += step.at_floor ? 1 : 0;
    max_error = std::max(max_error, step.error.relative);
    last_error = step.error.relative;
  }
};

// "IL6", "population macrophages", "plasma TNF", "blood monocytes": what a
// step error is largest for.
std::string describe_error_source(const Scenario& scenario, const FieldLayout& fields,
                                  const StepError& error);

// Tries `guess` (at most max_dt), shrinking it until the estimated error is
// within `tolerance`. First-order steps: the error scales as dt^2, so the
// factor is 0.9 (tolerance / error)^(1/2), clamped to [0.2, 4].
template <class Real>
StretchStep choose_stretch_step(Simulation<Real>& sim, double guess, double tolerance, double max_dt);

}  // namespace cyto
