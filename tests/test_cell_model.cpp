// Verification of the cell model (issue: the cytokine-storm model). Each test
// measures an error against a closed-form or high-accuracy solution, a
// conserved budget, a front speed or a statistical mean. Compiled into the
// unit tests (CPU backend) and the GPU tests (GPU backend, where the
// stochastic draws are also compared with the CPU's bitwise).
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <optional>

#include "host/app/validation.hpp"
#include "host/solver/simulation.hpp"
#include "host/solver/step_control.hpp"
#include "tests/scenario_builders.hpp"
#include "tests/test_backend.hpp"

namespace cyto {
namespace {

using testing::box_scenario;
using testing::hill;
using testing::make_population;
using testing::make_rule;
using testing::make_species;
using Sim = Simulation<double>;

Sim make_sim(const Scenario& s, int threads = 0) {
  return Sim(s, testing::backend_under_test<double>(threads));
}

Rule death_rule(const Scenario& s, int population, int signal_species, double threshold, double rate) {
  Rule r = make_rule(RuleKind::Death, population);
  r.signal.assign(s.species.size(), 0.0);
  r.signal[std::size_t(signal_species)] = 1;
  r.burst.assign(s.species.size(), 0.0);
  r.threshold = threshold;
  r.rate = rate;
  return r;
}

// One well-mixed voxel: no diffusion can act, so the solver is the ODE.
Scenario single_voxel(double end, double dt) {
  Scenario s = box_scenario({1, 1, 1}, {1e-4, 1e-4, 1e-4});
  s.time.end = end;
  s.time.dt = dt;
  s.output.interval = end;
  return s;
}

double value_at_end(const Scenario& s, int field) {
  Sim sim = make_sim(s);
  sim.advance_to(s.time.end);
  return sim.field(field)[0];
}

double relative_error(double value, double exact) { return std::abs(value - exact) / std::abs(exact); }

// (a) Each rule against its ODE limit in one voxel, error below 1e-6.

TEST(CellModel, SecretionWithActivationAndInhibitionIsLinearInTime) {
  Scenario s = single_voxel(600, 0.5);
  s.species.push_back(make_species("IL6", {0.0}, 0, 2.0));
  s.species.push_back(make_species("TNF", {0.0}, 0, 30.0));   // activator, held constant
  s.species.push_back(make_species("IL10", {0.0}, 0, 10.0));  // inhibitor, held constant
  s.populations.push_back(make_population("macrophages", 1e6));
  Rule r = make_rule(RuleKind::Secretion, 0, 0);
  r.base = 1e-7;
  r.max = 3e-6;
  r.activators.push_back(hill(1, 20.0, 2));
  r.inhibitors.push_back(hill(2, 40.0, 1.5));  // a non-integer power takes pow()
  s.rules.push_back(r);
  const double a = std::pow(30.0 / 20, 2), activation = a / (1 + a);
  const double inhibition = 1 / (1 + std::pow(10.0 / 40, 1.5));
  const double exact = 2.0 + 1e6 * (1e-7 + (3e-6 - 1e-7) * activation) * inhibition * 600;
  EXPECT_LT(relative_error(value_at_end(s, 0), exact), 1e-12);
}

TEST(CellModel, LinearUptakeDecaysExponentially) {
  Scenario s = single_voxel(3600, 2.0);
  s.species.push_back(make_species("IL6", {0.0}, 0, 500.0));
  s.populations.push_back(make_population("hepatocytes", 2e6));
  Rule r = make_rule(RuleKind::Uptake, 0, 0);
  r.clearance = 5e-10;  // mL/cell/s: rate rho k = 1e-3 /s
  s.rules.push_back(r);
  EXPECT_LT(relative_error(value_at_end(s, 0), 500.0 * std::exp(-1e-3 * 3600)), 1e-6);
}

TEST(CellModel, MichaelisMentenUptakeMatchesImplicitSolution) {
  Scenario s = single_voxel(1800, 1.0);
  s.species.push_back(make_species("IL6", {0.0}, 0, 400.0));
  s.populations.push_back(make_population("hepatocytes", 1e6));
  Rule r = make_rule(RuleKind::Uptake, 0, 0);
  r.vmax = 2e-7;  // pg/cell/s: rho vmax = 0.2 pg/mL/s
  r.km = 100;
  s.rules.push_back(r);
  // km ln(c0 / c) + (c0 - c) = rho vmax t, solved by Newton's method.
  const double c0 = 400, km = 100, vt = 0.2 * 1800;
  double c = 100;
  for (int it = 0; it < 100; ++it) {
    const double f = km * std::log(c0 / c) + (c0 - c) - vt, df = -km / c - 1;
    c -= f / df;
  }
  EXPECT_LT(relative_error(value_at_end(s, 0), c), 1e-6);
}

TEST(CellModel, PopulationDecayIsExponential) {
  Scenario s = single_voxel(7200, 10.0);
  s.species.push_back(make_species("IL6", {0.0}));
  s.populations.push_back(make_population("neutrophils", 5e6));
  Rule r = make_rule(RuleKind::Decay, 0);
  r.rate = 2e-4;
  s.rules.push_back(r);
  EXPECT_LT(relative_error(value_at_end(s, 1), 5e6 * std::exp(-2e-4 * 7200)), 1e-6);
}

TEST(CellModel, GrowthIsLogistic) {
  Scenario s = single_voxel(20000, 10.0);
  s.species.push_back(make_species("IL2", {0.0}, 0, 50.0));
  s.populations.push_back(make_population("CAR_T", 1e5));
  Rule r = make_rule(RuleKind::Growth, 0);
  r.rate = 5e-4;
  r.capacity = 1e7;
  r.activators.push_back(hill(0, 50.0, 1));  // activation 1/2, constant
  s.rules.push_back(r);
  const double k = 1e7, rt = 5e-4 * 0.5 * 20000;
  const double exact = k / (1 + (k / 1e5 - 1) * std::exp(-rt));
  EXPECT_LT(relative_error(value_at_end(s, 1), exact), 1e-6);
}

TEST(CellModel, RecruitmentFromBloodApproachesCapacity) {
  Scenario s = single_voxel(3600, 5.0);
  s.species.push_back(make_species("MCP1", {0.0}, 0, 100.0));
  s.populations.push_back(make_population("macrophages", 1e5));
  s.plasma.enabled = true;
  s.plasma.volume = 3000;
  s.plasma.initial = {0.0};
  s.plasma.clearance = {0.0};
  s.plasma.blood_initial = {4e5};
  s.plasma.blood_clearance = {0.0};
  Rule r = make_rule(RuleKind::Recruitment, 0);
  r.rate = 1e-3;
  r.capacity = 2e6;
  r.activators.push_back(hill(0, 100.0, 2));  // activation 1/2
  s.rules.push_back(r);
  // rho' = rate B A (1 - rho / K)  ->  rho = K - (K - rho0) exp(-rate B A t / K)
  const double k = 2e6, g = 1e-3 * 4e5 * 0.5 / k;
  const double exact = k - (k - 1e5) * std::exp(-g * 3600);
  EXPECT_LT(relative_error(value_at_end(s, 1), exact), 1e-6);
}

TEST(CellModel, DeterministicDeathAboveThresholdReleasesItsBurst) {
  Scenario s = single_voxel(1200, 3.0);
  s.species.push_back(make_species("IL1b", {0.0}, 0, 150.0));
  s.populations.push_back(make_population("hepatocytes", 1e7));
  Rule r = death_rule(s, 0, 0, 100.0, 1e-3);
  r.burst[0] = 2e-5;  // pg per dead cell
  s.rules.push_back(r);
  const double rho = 1e7 * std::exp(-1e-3 * 1200);
  Sim sim = make_sim(s);
  sim.advance_to(s.time.end);
  EXPECT_LT(relative_error(sim.field(1)[0], rho), 1e-12);
  EXPECT_LT(relative_error(sim.field(0)[0], 150.0 + 2e-5 * (1e7 - rho)), 1e-12);
}

TEST(CellModel, NoDeathBelowThresholdOrWithoutPriming) {
  Scenario s = single_voxel(600, 3.0);
  s.species.push_back(make_species("IL1b", {0.0}, 0, 99.999));
  s.species.push_back(make_species("LPS", {0.0}, 0, 5.0));
  s.populations.push_back(make_population("hepatocytes", 1e7));
  s.rules.push_back(death_rule(s, 0, 0, 100.0, 1e-2));
  EXPECT_EQ(value_at_end(s, 2), 1e7);  // just below the threshold: no cell dies
  s.species[0].initial[0].value = 100.0;
  Rule& r = s.rules[0];
  r.priming = {0.0, 1.0};
  r.priming_threshold = 10.0;  // LPS 5 < 10: not primed
  EXPECT_EQ(value_at_end(s, 2), 1e7);
  r.priming_threshold = 5.0;  // primed: cells die
  EXPECT_LT(relative_error(value_at_end(s, 2), 1e7 * std::exp(-1e-2 * 600)), 1e-12);
}

// A coupled system (secretion activated by a species that another population
// takes up) against a fine classical RK4 reference.
TEST(CellModel, CoupledSecretionAndUptakeMatchReference) {
  Scenario s = single_voxel(1800, 1.0);
  s.species.push_back(make_species("IL6", {0.0}, 0, 1.0));
  s.species.push_back(make_species("LPS", {0.0}, 0, 80.0));
  s.populations.push_back(make_population("macrophages", 1e6));
  Rule sec = make_rule(RuleKind::Secretion, 0, 0);
  sec.base = 1e-8;
  sec.max = 4e-6;
  sec.activators.push_back(hill(1, 30.0, 2));
  s.rules.push_back(sec);
  Rule upt = make_rule(RuleKind::Uptake, 0, 1);
  upt.vmax = 5e-8;
  upt.km = 20;
  s.rules.push_back(upt);
  auto rhs = [](const std::array<double, 2>& y) {
    const double x = std::max(y[1], 0.0) / 30, a = x * x / (1 + x * x);
    return std::array<double, 2>{1e6 * (1e-8 + (4e-6 - 1e-8) * a), -1e6 * 5e-8 * y[1] / (20 + y[1])};
  };
  std::array<double, 2> y{1.0, 80.0};
  const double h = 0.01;
  for (int n = 0; n < 180000; ++n) {
    auto add = [](std::array<double, 2> a, const std::array<double, 2>& b, double f) {
      return std::array<double, 2>{a[0] + f * b[0], a[1] + f * b[1]};
    };
    const auto k1 = rhs(y), k2 = rhs(add(y, k1, h / 2)), k3 = rhs(add(y, k2, h / 2)), k4 = rhs(add(y, k3, h));
    for (int i = 0; i < 2; ++i) y[i] += h / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
  }
  Sim sim = make_sim(s);
  sim.advance_to(s.time.end);
  EXPECT_LT(relative_error(sim.field(0)[0], y[0]), 1e-6);
  EXPECT_LT(relative_error(sim.field(1)[0], y[1]), 1e-6);
}

// (b) Mass balance: with decay and plasma exchange off, the change of total
// cytokine equals secreted + released - taken up, to 1e-10 relative.
TEST(CellModel, CytokineBudgetBalances) {
  const double h = 2e-5;
  Scenario s = box_scenario({14, 12, 10}, {h, h, h});
  s.geometry.clear();
  s.geometry.push_back({0, testing::sphere_shape({7 * h, 6 * h, 5 * h}, 5.5 * h), {}});
  s.species.push_back(make_species("DAMP", {1e-11}, 0, 1.0));
  s.species.push_back(make_species("IL6", {2e-11}, 0, 5.0));
  s.species[0].initial.push_back(
      {Region{std::nullopt, testing::sphere_shape({5 * h, 6 * h, 5 * h}, 2.5 * h)}, 500.0, {}});
  s.populations.push_back(make_population("parenchyma", 1e8));
  s.populations.push_back(make_population("macrophages", 5e6));
  Rule death = death_rule(s, 0, 0, 100.0, 2e-3);
  death.burst = {1e-5, 2e-6};
  s.rules.push_back(death);
  Rule sec = make_rule(RuleKind::Secretion, 1, 1);
  sec.base = 1e-8;
  sec.max = 1e-5;
  sec.activators.push_back(hill(0, 50, 2));
  s.rules.push_back(sec);
  Rule upt = make_rule(RuleKind::Uptake, 0, 1);
  upt.vmax = 1e-9;
  upt.km = 50;
  s.rules.push_back(upt);
  Rule upt2 = make_rule(RuleKind::Uptake, 1, 0);
  upt2.clearance = 1e-10;
  s.rules.push_back(upt2);
  s.output.budget = true;
  s.time.end = 1800;
  s.output.interval = 1800;
  Sim sim = make_sim(s);
  const TimeSeriesRow before = sim.statistics();
  sim.advance_to(s.time.end);
  const TimeSeriesRow after = sim.statistics();
  for (int sp = 0; sp < 2; ++sp) {
    const double change = after.stats[sp][0].total_pg - before.stats[sp][0].total_pg;
    const BudgetStats& b = after.budget[sp][0];
    EXPECT_GT(b.released_pg, 0) << sp;
    EXPECT_GT(b.taken_up_pg, 0) << sp;
    const double scale = std::max({std::abs(change), b.secreted_pg, b.released_pg, b.taken_up_pg});
    EXPECT_LT(std::abs(change - (b.secreted_pg + b.released_pg - b.taken_up_pg)) / scale, 1e-10) << sp;
  }
  EXPECT_GT(after.budget[1][0].secreted_pg, 0);
}

// (c) Threshold behaviour in a bar of tissue: a stimulus just below the
// death threshold fades away; just above, a self-sustaining wave of
// pyroptosis crosses the bar.
Scenario death_wave_bar(double stimulus) {
  const double h = 2e-5;
  Scenario s = box_scenario({120, 1, 1}, {h, h, h});
  s.species.push_back(make_species("DAMP", {1e-10}, 1e-3, 0.0));
  s.species[0].initial.push_back(
      {Region{std::nullopt, testing::box_shape({0, 0, 0}, {6 * h, h, h})}, stimulus, {}});
  s.populations.push_back(make_population("parenchyma", 1e8));
  Rule death = death_rule(s, 0, 0, 100.0, 5e-3);
  death.burst = {1e-5};
  s.rules.push_back(death);
  s.time.end = 3 * 3600;
  s.output.interval = s.time.end;
  return s;
}

TEST(CellModel, StimulusBelowThresholdFadesAboveItStartsAWave) {
  {
    Sim sim = make_sim(death_wave_bar(0.99 * 100.0));
    sim.advance_to(sim.scenario().time.end);
    for (double rho : sim.field(1)) EXPECT_EQ(rho, 1e8);
    for (double c : sim.field(0)) EXPECT_LT(c, 100.0);
  }
  {
    Sim sim = make_sim(death_wave_bar(1.01 * 100.0));
    const std::vector<double> far_before = {sim.field(1).back()};
    sim.advance_to(sim.scenario().time.end);
    const std::vector<double> rho = sim.field(1);
    EXPECT_LT(rho.back(), 0.5e8) << "the wave did not reach the far end";
    EXPECT_EQ(far_before[0], 1e8);
  }
}

// (c) Front speed: the reduced model c' = D c'' + f(c), f = rho M c / (K + c)
// - rho k c (secretion activated by c itself with Hill power 1, linear
// uptake) is of Fisher-KPP type with r = f'(0) = rho (M / K - k): its front
// travels at 2 sqrt(D r). Measured between t = 40/r and 80/r, where the
// pulled front's log-time correction is 1.3%.
double front_speed(double h) {
  const double D = 1e-10, r = 1e-3;  // m^2/s, 1/s: front width sqrt(D / r) = 316 um
  const double width = std::sqrt(D / r);
  const int n = int(std::lround(200 * width / h));
  Scenario s = box_scenario({n, 1, 1}, {h, 50 * h, 50 * h});
  s.species.push_back(make_species("c", {D}, 0, 0.0));
  s.species[0].initial.push_back(
      {Region{std::nullopt, testing::box_shape({0, 0, 0}, {2 * width, 50 * h, 50 * h})}, 1.0, {}});
  s.populations.push_back(make_population("cells", 1.0));
  Rule sec = make_rule(RuleKind::Secretion, 0, 0);
  sec.base = 0;
  sec.max = 2 * r;  // rho M / K = 2 r with K = 1
  sec.activators.push_back(hill(0, 1.0, 1));
  s.rules.push_back(sec);
  Rule upt = make_rule(RuleKind::Uptake, 0, 0);
  upt.clearance = r;  // rho k = r, so f'(0) = r and f(1) = 0
  s.rules.push_back(upt);
  s.time.end = 80 / r;
  s.output.interval = s.time.end;
  Sim sim = make_sim(s);
  auto position = [&] {
    const std::vector<double> c = sim.field(0);
    for (int i = 1; i < n; ++i)
      if (c[std::size_t(i)] < 0.5) {
        const double c0 = c[std::size_t(i) - 1], c1 = c[std::size_t(i)];
        return (i - 0.5 + (c0 - 0.5) / (c0 - c1)) * h;
      }
    return n * h;
  };
  sim.advance_to(40 / r);
  const double x40 = position();
  sim.advance_to(80 / r);
  return (position() - x40) / (40 / r);
}

TEST(CellModel, FisherKppFrontSpeedConvergesToTwoSqrtDr) {
  const double exact = 2 * std::sqrt(1e-10 * 1e-3);
  const double width = std::sqrt(1e-10 / 1e-3);
  const double coarse = front_speed(width / 2), medium = front_speed(width / 4),
               fine = front_speed(width / 8);
  const double e0 = std::abs(coarse / exact - 1), e1 = std::abs(medium / exact - 1),
               e2 = std::abs(fine / exact - 1);
  std::printf("front speed / 2 sqrt(D r): %.5f %.5f %.5f (h = width/2, /4, /8)\n", coarse / exact,
              medium / exact, fine / exact);
  // Converges under refinement: the change halves (at least) with h.
  EXPECT_LT(std::abs(fine - medium), 0.6 * std::abs(medium - coarse) + 1e-3 * exact);
  EXPECT_LT(e2, 0.03);
  EXPECT_LE(e2, e0 + 1e-3);
  (void)e1;
}

// (d) Stochastic death: whole cells, each dying with probability
// 1 - exp(-rate dt) per step above threshold. The dead fraction over many
// voxels matches 1 - exp(-rate t) within three standard errors, and the
// draws do not depend on the thread count.
Scenario stochastic_box() {
  const double h = 3e-5;  // 2.7e-8 mL per voxel: 10 cells at 3.7e8 cells/mL
  Scenario s = box_scenario({30, 30, 30}, {h, h, h});
  s.seed = 20261124;
  s.species.push_back(make_species("IL1b", {0.0}, 0, 500.0));
  s.populations.push_back(make_population("parenchyma", 10 / (h * h * h * 1e6)));
  Rule death = death_rule(s, 0, 0, 100.0, 1e-3);
  death.mode = DeathMode::Stochastic;
  s.rules.push_back(death);
  s.time.end = 900;
  s.time.dt = 15;
  s.output.interval = 900;
  return s;
}

TEST(CellModel, StochasticDeadFractionMatchesExpectation) {
  const Scenario s = stochastic_box();
  Sim sim = make_sim(s);
  const double volume = sim.voxel_volume_ml();
  const double cells0 = 10.0 * 27000;
  for (double t : {300.0, 600.0, 900.0}) {
    sim.advance_to(t);
    double alive = 0;
    for (double rho : sim.field(1)) {
      const double count = rho * volume;
      EXPECT_NEAR(count, std::round(count), 1e-9);  // whole cells
      alive += std::round(count);
    }
    const double p = 1 - std::exp(-1e-3 * t), dead = 1 - alive / cells0;
    const double standard_error = std::sqrt(p * (1 - p) / cells0);
    EXPECT_LT(std::abs(dead - p), 3 * standard_error)
        << "t = " << t << ": dead " << dead << ", expected " << p;
  }
}

TEST(CellModel, StochasticDrawsDoNotDependOnTheBackendOrThreads) {
  const Scenario s = stochastic_box();
  Sim one = make_sim(s, 1), reference(s, make_cpu_backend<double>(2));
  one.advance_to(s.time.end);
  reference.advance_to(s.time.end);
  EXPECT_EQ(one.field(1), reference.field(1));  // bitwise: integer counts, same draws
}

TEST(CellModel, TooManyCellsForStochasticDeathIsRefused) {
  Scenario s = stochastic_box();
  s.populations[0].initial[0].value = 1e14;  // 2.7e6 cells in a voxel
  try {
    validate_run(s, {BackendKind::Cpu, 1, std::nullopt});  // the checks that check and run go through
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("more than the 262144 allowed"), std::string::npos) << e.what();
  }
}

// Stochastic death removes whole cells and nothing else: fractions of a
// cell that growth adds between deaths are kept (here no cell dies: the
// probability is below 2^-32), so the density follows the logistic curve.
TEST(CellModel, StochasticDeathKeepsTheFractionsGrowthAdds) {
  Scenario s = single_voxel(3600, 5.0);
  s.species.push_back(make_species("IL1b", {0.0}, 0, 500.0));
  const double voxel_ml = 1e-4 * 1e-4 * 1e-4 * 1e6;
  s.populations.push_back(make_population("cells", 3 / voxel_ml));  // 3 whole cells
  Rule grow = make_rule(RuleKind::Growth, 0);
  grow.rate = 1e-4;
  grow.capacity = 100 / voxel_ml;
  s.rules.push_back(grow);
  Rule death = death_rule(s, 0, 0, 100.0, 1e-15);
  death.mode = DeathMode::Stochastic;
  s.rules.push_back(death);
  const double k = 100 / voxel_ml, rho0 = 3 / voxel_ml;
  const double exact = k / (1 + (k / rho0 - 1) * std::exp(-1e-4 * 3600));
  EXPECT_LT(relative_error(value_at_end(s, 1), exact), 1e-6);
}

// A run stopped and restored from its state continues bitwise as if it had
// not stopped: the draws depend on the step number, not on the history.
TEST(CellModel, RestoredRunDrawsTheSameDeaths) {
  const Scenario s = stochastic_box();
  Sim straight = make_sim(s);
  straight.advance_to(450);
  const Sim::State half = straight.state();
  straight.advance_to(s.time.end);
  Sim restarted = make_sim(s);
  restarted.restore(half);
  EXPECT_EQ(restarted.steps(), half.steps);
  restarted.advance_to(s.time.end);
  EXPECT_EQ(restarted.steps(), straight.steps());
  EXPECT_EQ(restarted.field(1), straight.field(1));
  // A run restored at another step draws other deaths.
  Sim shifted = make_sim(s);
  Sim::State other = half;
  other.steps += 1;
  shifted.restore(other);
  shifted.advance_to(s.time.end);
  EXPECT_NE(shifted.field(1), straight.field(1));
}

// Random seeding: whole cells, Poisson with the given mean density per
// voxel (mean within 3 standard errors), the same for the same seed and
// different for another.
TEST(CellModel, RandomSeedingIsReproduciblePoisson) {
  const double h = 3e-5;
  Scenario s = box_scenario({40, 40, 20}, {h, h, h});
  s.species.push_back(make_species("IL6", {0.0}));
  Population macrophages;
  macrophages.name = "macrophages";
  s.populations.push_back(macrophages);
  const double voxel_ml = h * h * h * 1e6, mean_cells = 0.7;
  s.seedings.push_back({0, Region{}, mean_cells / voxel_ml, {}});
  s.seed = 11;
  const TissueMap tissues = rasterise_tissues(s);
  const std::vector<double> a = initial_population(s, tissues, 0);
  double sum = 0, sum2 = 0;
  for (double rho : a) {
    const double count = rho * voxel_ml;
    ASSERT_NEAR(count, std::round(count), 1e-9);
    sum += count;
    sum2 += count * count;
  }
  const double n = double(a.size()), mean = sum / n, variance = sum2 / n - mean * mean;
  EXPECT_LT(std::abs(mean - mean_cells), 3 * std::sqrt(mean_cells / n));
  EXPECT_NEAR(variance, mean_cells, 0.03);  // Poisson: variance = mean (4 standard errors)
  EXPECT_EQ(initial_population(s, tissues, 0), a);
  s.seed = 12;
  EXPECT_NE(initial_population(s, tissues, 0), a);
}

// (e) Therapy: the PK curve and neutralisation against closed forms.
Therapy antibody(double k_on) {
  return testing::make_antibody("antibody", 0, k_on, {{600, 4e8, {}}, {3000, 2e8, {}}});
}

TEST(CellModel, DrugLevelFollowsOneCompartmentPk) {
  const Therapy t = antibody(1e-9);
  const double k = std::log(2.0) / t.half_life;
  for (double time : {0.0, 599.0, 600.0, 1000.0, 3000.0, 7200.0}) {
    double exact = 0;
    if (time >= 600) exact += 4e8 / 5000 * std::exp(-k * (time - 600));
    if (time >= 3000) exact += 2e8 / 5000 * std::exp(-k * (time - 3000));
    EXPECT_NEAR(drug_level(t, time), exact, 1e-12 * std::max(exact, 1.0)) << time;
  }
  // The exposure over an interval is the integral of the level: Simpson's
  // rule on each piece between doses (the level jumps at a dose).
  double sum = 0;
  const double pieces[] = {500, 600, 3000, 7000};
  for (int p = 0; p < 3; ++p) {
    const int n = 2000;
    const double a = pieces[p], step = (pieces[p + 1] - a) / n;
    const auto level = [&](double time) {
      return drug_level(t, std::min(std::max(time, a + 1e-9), a + n * step - 1e-9));
    };
    double piece = level(a) + level(a + n * step);
    for (int i = 1; i < n; ++i) piece += (i % 2 ? 4 : 2) * level(a + i * step);
    sum += piece * step / 3;
  }
  EXPECT_LT(relative_error(drug_exposure(t, 500, 7000), sum), 1e-9);
}

TEST(CellModel, NeutralisationMatchesClosedForm) {
  Scenario s = single_voxel(7200, 7.0);
  s.species.push_back(make_species("IL6", {0.0}, 0, 300.0));
  s.therapies.push_back(antibody(2e-8));  // k_on A ~ 1.6e-3 /s at the first peak
  const double exact = 300.0 * std::exp(-2e-8 * drug_exposure(s.therapies[0], 0, 7200));
  EXPECT_LT(relative_error(value_at_end(s, 0), exact), 1e-10);
}

TEST(CellModel, BlockadeAndSuppressionScaleSecretion) {
  Scenario s = single_voxel(600, 1.0);
  s.species.push_back(make_species("IL6", {0.0}, 0, 0.0));
  s.species.push_back(make_species("TNF", {0.0}, 0, 50.0));
  s.populations.push_back(make_population("macrophages", 1e6));
  Rule sec = make_rule(RuleKind::Secretion, 0, 0);
  sec.base = 0;
  sec.max = 1e-6;
  sec.name = "mac_IL6";
  sec.activators.push_back(hill(1, 50.0, 1));
  s.rules.push_back(sec);
  Therapy block;  // a long half-life: the level stays at dose / volume
  block.name = "anti_TNFR";
  block.effect = DrugEffect::Blockade;
  block.species = {1};
  block.half_life = 1e12;
  block.volume = 1000;
  block.ic50 = 2e5;
  block.doses = {{0, 4e8, {}}};  // level 4e5 = 2 IC50: activation / 3
  s.therapies.push_back(block);
  Therapy steroid = block;
  steroid.name = "steroid";
  steroid.effect = DrugEffect::Suppression;
  steroid.species = {0};
  steroid.emax = 0.8;
  steroid.ec50 = 4e5;  // suppression 1 - 0.8 / 2 = 0.6
  s.therapies.push_back(steroid);
  const double exact = 1e6 * 1e-6 * 0.5 / 3 * 0.6 * 600;
  EXPECT_LT(relative_error(value_at_end(s, 0), exact), 1e-9);
}

// Plasma exchange: a well-mixed tissue standing for a whole organ and the
// plasma relax to the common level that conserves the total amount.
TEST(CellModel, PlasmaExchangeConservesAndEquilibrates) {
  Scenario s = single_voxel(4 * 3600, 2.0);
  s.species.push_back(make_species("IL6", {0.0}, 0, 1000.0));
  s.organs.push_back({"liver", {0}, 1500.0, {}});
  s.plasma.enabled = true;
  s.plasma.volume = 3000;
  s.plasma.initial = {10.0};
  s.plasma.clearance = {0.0};
  s.plasma.exchange.push_back({0, 0, 1e-3, {}});
  Sim sim = make_sim(s);
  sim.advance_to(s.time.end);
  // Amounts: 1500 mL x 1000 + 3000 mL x 10 = 1.53e6 pg over 4500 mL.
  const double equilibrium = 1.53e6 / 4500;
  EXPECT_LT(relative_error(sim.field(0)[0], equilibrium), 1e-3);
  EXPECT_LT(relative_error(sim.plasma()[0], equilibrium), 1e-3);
  const double total = 1500 * sim.field(0)[0] + 3000 * sim.plasma()[0];
  EXPECT_LT(relative_error(total, 1.53e6), 1e-3);
}

// (f) Stiff rules (issue 17): where a voxel's fastest loss rate times dt
// exceeds kStiffStepBound, the smooth rules take the exponential step
// (ETD2RK), so the step is set by accuracy, not by the fastest rate.

// RK4's stability limit on the negative real axis: |k dt| <= 2.785.
constexpr double kRk4Limit = 2.785;

// One voxel where LPS (decaying with a half-life of 1 h) drives the
// macrophages' IL-6 secretion, and hepatocytes (linear, rho k = 0.5 /s) and
// macrophages (saturable, rho vmax / km = 0.2 /s) take IL-6 up fast: IL-6
// follows its quasi-steady state over hours while its loss rate is 0.5-0.7
// /s, so RK4 would need steps under 4 s.
constexpr double kStiffLossBound = 0.7;  // 1/s, smooth_loss_rate_bound of this voxel
Scenario stiff_uptake_voxel(std::optional<double> dt) {
  Scenario s = single_voxel(4 * 3600.0, 1.0);
  s.time.dt = dt;
  s.species.push_back(make_species("IL6", {0.0}, 0, 0.0));
  s.species.push_back(make_species("LPS", {0.0}, std::log(2.0) / 3600, 100.0));
  s.populations.push_back(make_population("macrophages", 1e6));
  s.populations.push_back(make_population("hepatocytes", 2e8));
  Rule sec = make_rule(RuleKind::Secretion, 0, 0);
  sec.base = 0;
  sec.max = 1e-5;  // up to 10 pg/mL/s
  sec.activators.push_back(hill(1, 50.0, 2));
  s.rules.push_back(sec);
  Rule linear = make_rule(RuleKind::Uptake, 1, 0);
  linear.clearance = 2.5e-9;
  s.rules.push_back(linear);
  Rule saturable = make_rule(RuleKind::Uptake, 0, 0);
  saturable.vmax = 1e-5;
  saturable.km = 50;
  s.rules.push_back(saturable);
  return s;
}

// IL-6 at the end of each hour.
std::vector<double> hourly_il6(Sim& sim) {
  std::vector<double> values;
  for (int hour = 1; hour <= 4; ++hour) {
    sim.advance_to(3600.0 * hour);
    values.push_back(sim.field(0)[0]);
  }
  return values;
}

std::vector<double> fine_stiff_reference() {
  const Scenario s = stiff_uptake_voxel(0.25);  // k dt <= 0.175: RK4 throughout
  Sim sim = make_sim(s);
  return hourly_il6(sim);
}

TEST(CellModel, StiffUptakeAtHundredTimesTheExplicitLimitMatchesAFineReference) {
  const double dt = 400;
  ASSERT_GE(dt, 100 * kRk4Limit / kStiffLossBound);
  const std::vector<double> reference = fine_stiff_reference();
  Sim sim = make_sim(stiff_uptake_voxel(dt));
  const std::vector<double> coarse = hourly_il6(sim);
  for (std::size_t h = 0; h < reference.size(); ++h) {
    EXPECT_GT(reference[h], 0.1) << h;  // IL-6 is there to be taken up
    EXPECT_LT(relative_error(coarse[h], reference[h]), 1e-2) << "hour " << h + 1;
  }
}

// The same voxel with error-controlled steps: they grow past 100x the
// explicit limit while the hourly outputs stay within 10x the tolerance.
TEST(CellModel, ErrorControlledStepsOnAStiffVoxelAreSetByAccuracy) {
  const std::vector<double> reference = fine_stiff_reference();
  Sim sim = make_sim(stiff_uptake_voxel(std::nullopt));
  const double tolerance = 1e-3;
  double guess = 1.0;
  std::vector<double> values;
  for (int hour = 1; hour <= 4; ++hour) {
    const double target = 3600.0 * hour;
    while (sim.time() < target) {
      const StretchStep chosen = choose_stretch_step(sim, guess, tolerance, target - sim.time());
      ASSERT_FALSE(chosen.at_floor);
      const std::int64_t steps = std::min<std::int64_t>(
          chosen.stretch_steps, std::int64_t(std::ceil((target - sim.time()) / chosen.dt)));
      const double end = std::min(target, sim.time() + double(steps) * chosen.dt);
      sim.advance(Sim::Segment{sim.time(), sim.steps(), end, steps});
      guess = chosen.next_guess;
    }
    values.push_back(sim.field(0)[0]);
  }
  // After the first minute's rise the steps grow to hours: the run takes
  // under a twentieth of the steps RK4 would need at its stability limit.
  const double explicit_limit = kRk4Limit / kStiffLossBound;
  EXPECT_GE(sim.steps_taken().max(), 100 * explicit_limit);
  EXPECT_LT(double(sim.steps_taken().count()), 0.05 * 4 * 3600 / explicit_limit);
  for (std::size_t h = 0; h < reference.size(); ++h)
    EXPECT_LT(relative_error(values[h], reference[h]), 10 * tolerance) << "hour " << h + 1;
}

// With constant gain and loss the exponential step is exact: secretion at
// 1 pg/mL/s against uptake at 0.05 /s, in steps of k dt = 3 (past RK4's limit).
TEST(CellModel, ExponentialStepIsExactForConstantRates) {
  Scenario s = single_voxel(120, 60);
  s.species.push_back(make_species("IL6", {0.0}, 0, 200.0));
  s.populations.push_back(make_population("macrophages", 1e6));
  s.populations.push_back(make_population("hepatocytes", 1e8));
  Rule sec = make_rule(RuleKind::Secretion, 0, 0);
  sec.base = 1e-6;
  sec.max = 1e-6;
  s.rules.push_back(sec);
  Rule uptake = make_rule(RuleKind::Uptake, 1, 0);
  uptake.clearance = 5e-10;
  s.rules.push_back(uptake);
  ASSERT_GT(0.05 * 60, kRk4Limit);
  const double exact = 20 + 180 * std::exp(-0.05 * 120);
  EXPECT_LT(relative_error(value_at_end(s, 0), exact), 1e-13);
}

// The budget still balances exactly on the exponential step.
TEST(CellModel, CytokineBudgetBalancesOnStiffSteps) {
  Scenario s = stiff_uptake_voxel(400);
  s.output.budget = true;
  Sim sim = make_sim(s);
  const TimeSeriesRow before = sim.statistics();
  sim.advance_to(s.time.end);
  const TimeSeriesRow after = sim.statistics();
  const double change = after.stats[0][0].total_pg - before.stats[0][0].total_pg;
  const BudgetStats& b = after.budget[0][0];
  EXPECT_GT(b.secreted_pg, 0);
  EXPECT_GT(b.taken_up_pg, 0);
  const double scale = std::max({std::abs(change), b.secreted_pg, b.taken_up_pg});
  EXPECT_LT(std::abs(change - (b.secreted_pg - b.taken_up_pg)) / scale, 1e-12);
}

}  // namespace
}  // namespace cyto
