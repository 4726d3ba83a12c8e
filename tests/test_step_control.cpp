// Error-controlled steps (issue: storm numerics): the step-doubling
// estimate of Simulation::step_error against the true local error of a
// step, its order, and that it leaves the state untouched.
#include <gtest/gtest.h>

#include <array>
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
// the coupling is second order in dt, and the exact solution is
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

TEST(StepControl, TheEstimateTracksTheTrueLocalErrorAtThirdOrderAndLeavesTheStateAlone) {
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
      // The coupling is second order (the tissue sees the plasma at the
      // step's midpoint, the plasma the tissue's trapezoid): a local error
      // of dt^3, and the estimate (which assumes first order, dt^2, and so
      // takes twice the difference) is 2 x 3/4 = 1.5 times the truth.
      const double order = std::log2(previous / e.relative);
      EXPECT_GT(order, 2.8) << dt;
      EXPECT_LT(order, 3.2) << dt;
      EXPECT_NEAR(e.relative / truth, 1.5, 0.05) << dt;
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

// Second order in time on a smooth storm (issue 17): LPS, given to one
// corner of a piece of liver, drives macrophage TNF, TNF drives IL-6; both
// decay, are taken up (the RK4 path: no rule is stiff here), exchange with
// plasma (the liver scaled up to an organ), and an antibody given at 1 h
// neutralises TNF. No threshold is crossed. Millimetre voxels, as at organ
// scale; `diffusing` gives the species their diffusivities (k = D dt / h^2
// < 0.004 a step), else every voxel is well mixed on its own.
Scenario smooth_storm(bool diffusing) {
  const double h = 1e-3;
  const auto d = [&](double um2_per_min) { return diffusing ? um2_per_min * 1e-12 / 60 : 0.0; };
  Scenario s = testing::box_scenario({6, 5, 4}, {h, h, h});
  s.species.push_back(testing::make_species("LPS", {d(500)}, std::log(2.0) / 3600, 0.0));
  s.species[0].initial.push_back(
      {Region{std::nullopt, testing::box_shape({0, 0, 0}, {2 * h, 2 * h, 2 * h})}, 100.0, {}});
  s.species.push_back(testing::make_species("TNF", {d(1000)}, 0.03 / 60, 0.0));
  s.species.push_back(testing::make_species("IL6", {d(800)}, 0.01 / 60, 0.0));
  s.populations.push_back(testing::make_population("macrophages", 1e6));
  s.populations.push_back(testing::make_population("hepatocytes", 1e8));
  Rule tnf = testing::make_rule(RuleKind::Secretion, 0, 1);
  tnf.base = 1e-8;
  tnf.max = 2e-5;
  tnf.activators.push_back(testing::hill(0, 20.0, 2));
  s.rules.push_back(tnf);
  Rule il6 = testing::make_rule(RuleKind::Secretion, 0, 2);
  il6.base = 0;
  il6.max = 5e-5;
  il6.activators.push_back(testing::hill(1, 100.0, 1));
  s.rules.push_back(il6);
  Rule tnf_uptake = testing::make_rule(RuleKind::Uptake, 0, 1);
  tnf_uptake.vmax = 2e-7;  // rho vmax / km = 1e-3 /s: k dt <= 0.24, below the stiff bound
  tnf_uptake.km = 200;
  s.rules.push_back(tnf_uptake);
  Rule il6_uptake = testing::make_rule(RuleKind::Uptake, 1, 2);
  il6_uptake.clearance = 2e-13;
  s.rules.push_back(il6_uptake);
  s.organs.push_back({"liver", {0}, 1500.0, {}});
  s.plasma.enabled = true;
  s.plasma.volume = 3000;
  s.plasma.initial = {0.0, 0.0, 0.0};
  s.plasma.clearance = {0.0, std::log(2.0) / 1200, std::log(2.0) / 3600};
  s.plasma.exchange.push_back({0, 1, 2e-4, {}});
  s.plasma.exchange.push_back({0, 2, 2e-4, {}});
  // Given at a step boundary for every dt below: the level is smooth within steps.
  s.therapies.push_back(testing::make_antibody("anti-TNF", 1, 2e-9, {{3600, 4e8, {}}}));
  s.time.end = 4 * 3600;
  s.output.interval = s.time.end;
  return s;
}

// The largest relative error, over plasma TNF and IL-6 and each species'
// tissue total at 4 h, of steps of 240, 120 and 60 s against steps of 3.75 s.
std::array<double, 3> smooth_storm_errors(bool diffusing) {
  const auto outputs = [&](double dt) {
    Scenario s = smooth_storm(diffusing);
    s.time.dt = dt;
    Sim sim(s, testing::backend_under_test<double>(2));
    sim.advance_to(s.time.end);
    std::vector<double> out = {sim.plasma()[1], sim.plasma()[2]};
    const TimeSeriesRow row = sim.statistics();
    for (int sp = 0; sp < 3; ++sp) out.push_back(row.stats[std::size_t(sp)][0].total_pg);
    return out;
  };
  const std::vector<double> reference = outputs(3.75);
  EXPECT_GT(reference[0], 1.0);  // the storm reaches the plasma
  EXPECT_GT(reference[1], 1.0);
  std::array<double, 3> errors{};
  const double steps[3] = {240, 120, 60};
  for (int n = 0; n < 3; ++n) {
    const std::vector<double> out = outputs(steps[n]);
    for (std::size_t q = 0; q < out.size(); ++q)
      errors[std::size_t(n)] =
          std::max(errors[std::size_t(n)], std::abs(out[q] - reference[q]) / std::abs(reference[q]));
  }
  std::printf("%s: largest relative error at dt 240, 120, 60 s: %.3g, %.3g, %.3g; orders %.3f, %.3f\n",
              diffusing ? "diffusing" : "well mixed", errors[0], errors[1], errors[2],
              std::log2(errors[0] / errors[1]), std::log2(errors[1] / errors[2]));
  return errors;
}

// The cell model between the two halves of the linear terms (Strang), the
// plasma at the step's midpoint and the tissue amounts' trapezoid: second
// order in every coupling but diffusion's.
TEST(TimeOrder, AWellMixedStormConvergesAtSecondOrder) {
  const std::array<double, 3> e = smooth_storm_errors(false);
  EXPECT_GE(std::log2(e[0] / e[1]), 1.9);
  EXPECT_GE(std::log2(e[1] / e[2]), 1.9);
}

// Diffusion is still split from the rest in Lie order (the explicit stencil
// comes first in the one pass over memory a step makes): with diffusion the
// order falls to one, though at these voxels the error stays small (2.9e-3
// at 240 s, against 2.0e-3 well mixed). Measured, so that the day this
// splitting becomes symmetric the test says so.
TEST(TimeOrder, DiffusionIsStillSplitAtFirstOrder) {
  const std::array<double, 3> e = smooth_storm_errors(true);
  EXPECT_GT(std::log2(e[1] / e[2]), 0.9);
  EXPECT_LT(std::log2(e[1] / e[2]), 1.3);
  EXPECT_LT(e[0], 5e-3);
}

}  // namespace
}  // namespace cyto
