// Error-controlled steps (issue: storm numerics): the step-doubling
// estimate of Simulation::step_error against the true local error of a
// step, its order, and that it leaves the state untouched.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "host/solver/simulation.hpp"
#include "host/solver/step_control.hpp"
#include "tests/scenario_builders.hpp"
#include "tests/test_backend.hpp"

namespace cyto {
namespace {

using Sim = Simulation<double>;

// A well-mixed organ (1.5 L, one voxel) exchanging IL-6 with plasma (3 L):
// the explicit coupling is first order in dt, and the exact solution is
// known: the difference c - P decays at 1.5 gamma.
constexpr double kGamma = 1e-3;  // 1/s
Scenario organ_and_plasma() {
  Scenario s = testing::box_scenario({1, 1, 1}, {1e-4, 1e-4, 1e-4});
  s.species.push_back(testing::make_species("IL6", {0.0}, 0, 1000.0));
  s.organs.push_back({"liver", {0}, 1500.0, {}});
  s.plasma.enabled = true;
  s.plasma.volume = 3000;
  s.plasma.initial = {10.0};
  s.plasma.clearance = {0.0};
  s.plasma.exchange.push_back({0, 0, kGamma, {}});
  s.time.end = 3600;
  s.output.interval = 3600;
  return s;
}

// The exact tissue and plasma levels dt after (c, P).
std::pair<double, double> exact_after(double c, double p, double dt) {
  const double equilibrium = (1500 * c + 3000 * p) / 4500;
  const double decay = std::exp(-1.5 * kGamma * dt);
  return {equilibrium + (c - equilibrium) * decay, equilibrium + (p - equilibrium) * decay};
}

TEST(StepControl, TheEstimateTracksTheTrueLocalErrorAtSecondOrderAndLeavesTheStateAlone) {
  const Scenario s = organ_and_plasma();
  Sim sim(s, testing::backend_under_test<double>(1));
  sim.advance_to(60);  // away from the initial state
  const double c0 = sim.field(0)[0], p0 = sim.plasma()[0];
  const double t0 = sim.time();
  const std::int64_t step0 = sim.steps();
  double previous = 0;
  for (double dt : {20.0, 10.0, 5.0}) {
    const StepError e = sim.step_error(dt);
    // Untouched: the same fields, plasma, time and step count, bitwise.
    ASSERT_EQ(sim.field(0)[0], c0);
    ASSERT_EQ(sim.plasma()[0], p0);
    ASSERT_EQ(sim.time(), t0);
    ASSERT_EQ(sim.steps(), step0);
    // The true local error of one step of dt, from the same state.
    const auto saved = sim.state();
    sim.advance({t0, step0, t0 + dt, 1});
    const auto [c_exact, p_exact] = exact_after(c0, p0, dt);
    const double truth = std::max(std::abs(sim.field(0)[0] - c_exact) / c_exact,
                                  std::abs(sim.plasma()[0] - p_exact) / p_exact);
    sim.restore(saved);
    std::printf("dt %4.0f s: estimate %.4g, true local error %.4g (ratio %.3f)\n", dt, e.relative, truth,
                e.relative / truth);
    EXPECT_GT(e.relative, 0.5 * truth) << dt;
    EXPECT_LT(e.relative, 2.0 * truth) << dt;
    if (previous > 0) {
      const double order = std::log2(previous / e.relative);  // local error of a first-order step: dt^2
      EXPECT_GT(order, 1.8) << dt;
      EXPECT_LT(order, 2.2) << dt;
    }
    previous = e.relative;
  }
}

// The controller shrinks a step that is too long until the estimate is
// within the tolerance, and proposes a longer one where it is well within.
TEST(StepControl, TheControllerMeetsTheToleranceAndGrowsTheNextStep) {
  const Scenario s = organ_and_plasma();
  Sim sim(s, testing::backend_under_test<double>(1));
  const StretchStep tight = choose_stretch_step(sim, 600.0, 1e-4, 1e9);
  EXPECT_LE(tight.error.relative, 1e-4);
  EXPECT_LT(tight.dt, 600.0);
  EXPECT_GT(tight.probes, 1);
  EXPECT_FALSE(tight.at_floor);
  EXPECT_EQ(describe_error_source(s, sim.fields(), tight.error).rfind("IL6", 0) == 0 ||
                describe_error_source(s, sim.fields(), tight.error) == "plasma IL6",
            true);
  const StretchStep loose = choose_stretch_step(sim, 1.0, 1e-2, 1e9);
  EXPECT_EQ(loose.dt, 1.0);  // well within: taken as it is
  EXPECT_EQ(loose.probes, 1);
  EXPECT_DOUBLE_EQ(loose.next_guess, 4.0);               // and the next stretch tries four times as long,
  EXPECT_EQ(loose.stretch_steps, kGrowingStretchSteps);  // after a short stretch
  const StretchStep capped = choose_stretch_step(sim, 100.0, 0.5, 30.0);
  EXPECT_EQ(capped.dt, 30.0);  // never above the stable step
}

// The probe on the backend's own copies of the fields gives, bitwise, the
// estimate of the probe that copies through the host (as on a GPU without
// room for the copies), and leaves the same state: species, a population,
// held values, a source field and two tissues.
TEST(StepControl, TheProbeOnTheBackendEqualsTheProbeThroughTheHost) {
  Scenario s = testing::two_tissue_scenario(3, {14, 12, 10});
  s.populations.push_back(testing::make_population("cells", 1e7));
  Rule uptake = testing::make_rule(RuleKind::Uptake, 0, 1);
  uptake.clearance = 1e-8;  // rho k = 0.1 /s
  s.rules.push_back(uptake);
  Rule turnover = testing::make_rule(RuleKind::Decay, 0);
  turnover.rate = 0.05;
  s.rules.push_back(turnover);
  Sim on_backend(s, testing::backend_under_test<double>(2));
  Sim through_host(s, testing::backend_under_test<double>(2));
  through_host.set_probe_through_host(true);
  const double dt = on_backend.time_plan().max_dt;
  on_backend.advance_to(20 * dt);
  through_host.advance_to(20 * dt);
  for (double probe : {dt, dt / 3, 4 * dt}) {
    const StepError a = on_backend.step_error(probe), b = through_host.step_error(probe);
    EXPECT_GT(a.relative, 0) << probe;
    EXPECT_EQ(a.relative, b.relative) << probe;
    EXPECT_EQ(a.what, b.what) << probe;
    const auto state_a = on_backend.state(), state_b = through_host.state();
    EXPECT_EQ(state_a.fields, state_b.fields) << probe;
    EXPECT_EQ(state_a.steps, state_b.steps) << probe;
  }
  // And both go on alike.
  on_backend.advance_to(30 * dt);
  through_host.advance_to(30 * dt);
  EXPECT_EQ(on_backend.state().fields, through_host.state().fields);
}

}  // namespace
}  // namespace cyto
