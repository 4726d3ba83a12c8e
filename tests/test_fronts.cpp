// The pyroptotic front of the shipped sepsis model on a strip of liver
// (issue: storm numerics at every scale). Its speed converges at first
// order in the voxel size and stalls on voxels wider than about 1.5 front
// scales; the resolution verdict of check and run says so before a run.
// Deterministic death and uniform macrophages, so that the speed is a
// smooth function of the voxel size (no sampling noise).
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "host/app/validation.hpp"
#include "host/model/front_resolution.hpp"
#include "host/scenario/config.hpp"
#include "host/solver/simulation.hpp"
#include "tests/scenario_builders.hpp"
#include "tests/test_backend.hpp"

namespace cyto {
namespace {

using Sim = Simulation<double>;

constexpr double kUm = 1e-6;
// Every length below is a multiple of the coarsest voxel tested (160 um),
// so each resolution paints the same pieces.
constexpr double kStripLength = 4800 * kUm;
constexpr double kFocusLength = 320 * kUm;
constexpr double kThickness = 160 * kUm;  // y and z: one voxel; the front runs along x

int tissue_index(const Scenario& s, const std::string& name) {
  for (std::size_t t = 0; t < s.tissues.size(); ++t)
    if (s.tissues[t].name == name) return int(t);
  ADD_FAILURE() << "no tissue " << name;
  return 0;
}

// configs/sepsis.yaml with its liver as a strip along x (voxels of h along
// x), the focus at the strip's left end, and the central vein and the lung
// as separate pieces beyond it (they keep their exchange with plasma).
Scenario sepsis_strip(double h) {
  Scenario s = load_scenario(std::string(CYTOSTORM_SOURCE_DIR) + "/configs/sepsis.yaml");
  const int liver = tissue_index(s, "liver"), vein = tissue_index(s, "hepatic_vein"),
            lung = tissue_index(s, "lung");
  const double vein_start = kStripLength + kThickness, lung_start = vein_start + 2 * kThickness;
  s.grid.origin = {0, 0, 0};
  s.grid.spacing = {h, kThickness, kThickness};
  s.grid.extent = {lung_start + 2 * kThickness, kThickness, kThickness};
  s.geometry.clear();
  const auto piece = [](int tissue, double x0, double x1) {
    GeometryItem item;
    item.tissue = tissue;
    item.shape = testing::box_shape({x0, 0, 0}, {x1, kThickness, kThickness});
    return item;
  };
  s.geometry.push_back(piece(liver, 0, kStripLength));
  s.geometry.push_back(piece(vein, vein_start, vein_start + 2 * kThickness));
  s.geometry.push_back(piece(lung, lung_start, lung_start + 2 * kThickness));
  for (Source& source : s.sources)
    source.region.shape = testing::box_shape({0, 0, 0}, {kFocusLength, kThickness, kThickness});
  // Macrophages at their mean density instead of Poisson-seeded whole cells;
  // deterministic deaths.
  for (const Seeding& seeding : s.seedings) {
    Population& p = s.populations[std::size_t(seeding.population)];
    p.initial.push_back({seeding.region, seeding.density, {}});
  }
  s.seedings.clear();
  for (Rule& r : s.rules)
    if (r.kind == RuleKind::Death) r.mode = DeathMode::Deterministic;
  s.output.snapshots = false;
  return s;
}

int population_index(const Scenario& s, const std::string& name) {
  for (std::size_t p = 0; p < s.populations.size(); ++p)
    if (s.populations[p].name == name) return int(p);
  ADD_FAILURE() << "no population " << name;
  return 0;
}

struct FrontTrack {
  std::vector<double> times, positions;  // s, m: where the parenchyma is half dead
};

// Where the liver's parenchyma first falls to half its initial density,
// from the left (linear between voxel centres); 0 before any has.
double half_dead_position(const std::vector<double>& rho, double rho0, double h, int n_liver) {
  double x = 0;
  for (int i = 0; i < n_liver; ++i) {
    if (rho[std::size_t(i)] < 0.5 * rho0) continue;
    if (i == 0) return 0;
    const double r0 = rho[std::size_t(i) - 1], r1 = rho[std::size_t(i)];
    return (i - 0.5 + (0.5 * rho0 - r0) / (r1 - r0)) * h;
  }
  x = n_liver * h;
  return x;
}

FrontTrack track_front(double h, double end_hours, double d_scale = 1) {
  Scenario s = sepsis_strip(h);
  for (Species& sp : s.species)
    if (sp.name == "IL1b")
      for (double& d : sp.diffusion) d *= d_scale;
  s.time.end = end_hours * 3600;
  s.output.interval = 3600;
  Sim sim(s, testing::backend_under_test<double>(0));
  const int field = sim.fields().population(population_index(s, "parenchyma"));
  const int n_liver = int(std::lround(kStripLength / h));
  const double rho0 = sim.field(field)[0];
  FrontTrack track;
  for (int hour = 1; hour <= int(end_hours); ++hour) {
    sim.advance_to(hour * 3600.0);
    track.times.push_back(hour * 3600.0);
    track.positions.push_back(half_dead_position(sim.field(field), rho0, h, n_liver));
  }
  return track;
}

// Speed over 16-24 h, when the front is well away from the focus (m/s).
double window_speed(const FrontTrack& t) { return (t.positions[23] - t.positions[15]) / (8 * 3600.0); }

FrontResolution verdict_at(double h) {
  const Scenario s = sepsis_strip(h);
  const ValidatedRun v = validate_run(s, {BackendKind::Cpu, 1, std::nullopt});
  for (const FrontResolution& f : v.fronts)
    if (s.rules[std::size_t(f.rule)].name == "par_pyroptosis") return f;
  ADD_FAILURE() << "no verdict for par_pyroptosis";
  return {};
}

// The front converges under refinement at the order measured, and the
// verdict's expected deficit matches the measured one; at 1.5 L it never
// leaves the focus, and the verdict says pinned.
TEST(Fronts, SepsisFrontConvergesAndTheVerdictPredictsTheDeficit) {
  const double h[3] = {40 * kUm, 20 * kUm, 10 * kUm};
  double speed[3];
  for (int i = 0; i < 3; ++i) speed[i] = window_speed(track_front(h[i], 24));
  const double order = std::log2((speed[1] - speed[0]) / (speed[2] - speed[1]));
  const double converged = speed[2] + (speed[2] - speed[1]) / (std::pow(2.0, order) - 1);
  std::printf(
      "front speed 16-24 h at 40, 20, 10 um: %.4f %.4f %.4f mm/h; order %.2f; extrapolated %.4f mm/h\n",
      speed[0] * 3.6e6, speed[1] * 3.6e6, speed[2] * 3.6e6, order, converged * 3.6e6);
  EXPECT_LT(speed[0], speed[1]);
  EXPECT_LT(speed[1], speed[2]);
  EXPECT_GT(order, 1.2);
  EXPECT_LT(order, 2.2);
  for (int i = 0; i < 3; ++i) {
    const FrontResolution f = verdict_at(h[i]);
    const double measured = 1 - speed[i] / converged;
    std::printf("  %2.0f um = %.2f L: deficit measured %.1f%%, expected %.1f%%, %s\n", h[i] / kUm, f.ratio,
                100 * measured, 100 * f.expected_slowdown, front_verdict_name(f.verdict));
    EXPECT_NEAR(f.length, 52.08 * kUm, 0.05 * kUm);  // sqrt(100 um^2/min / (ln2 / 41.1 min + 0.02 /min))
    EXPECT_GT(f.expected_slowdown, measured / 1.5) << h[i];
    EXPECT_LT(f.expected_slowdown, measured * 1.5) << h[i];
    EXPECT_EQ(f.verdict, measured <= 0.05 ? FrontVerdict::Resolved : FrontVerdict::UnderResolved) << h[i];
  }
}

TEST(Fronts, SepsisFrontIsPinnedOnVoxelsOfOneAndAHalfFrontScales) {
  const double h = 80 * kUm;
  const FrontTrack t = track_front(h, 24);
  std::printf("80 um: front at %.3f mm after 12 h, %.3f mm after 24 h\n", t.positions[11] * 1e3,
              t.positions[23] * 1e3);
  EXPECT_LT(t.positions[23], 1e-3);             // within 1 mm of the strip's end: never got away
  EXPECT_EQ(t.positions[23], t.positions[17]);  // and stopped
  const FrontResolution f = verdict_at(h);
  EXPECT_EQ(f.verdict, FrontVerdict::Pinned) << f.ratio;
}

// The front scale's loss: decay, plasma exchange, linear and saturable
// uptake at the initial densities; the death rate where nothing else
// removes the signal; no front where the signal does not diffuse or the
// grid is one voxel; axes one voxel thick do not count.
Scenario one_death_rule(std::array<int, 3> n, Vec3 h) {
  Scenario s = testing::box_scenario(n, h);
  s.species.push_back(testing::make_species("IL1b", {6e-12}, 0, 0.0));  // 360 um^2/min
  s.populations.push_back(testing::make_population("cells", 1e8));
  Rule death = testing::make_rule(RuleKind::Death, 0);
  death.name = "pyroptosis";
  death.signal = {1.0};
  death.burst = {1e-6};
  death.threshold = 10;
  death.rate = 1e-3;
  s.rules.push_back(death);
  return s;
}

FrontResolution only_front(const Scenario& s) {
  const std::vector<FrontResolution> fronts = assess_front_resolution(s, rasterise_tissues(s));
  EXPECT_EQ(fronts.size(), 1u);
  return fronts.empty() ? FrontResolution{} : fronts[0];
}

TEST(Fronts, TheFrontScaleCountsEveryLossOfTheSignal) {
  const double h = 10 * kUm;
  Scenario s = one_death_rule({20, 20, 1}, {h, h, 1e-3});  // z: one voxel of 1 mm, not counted
  FrontResolution f = only_front(s);
  EXPECT_TRUE(f.loss_from_death_rate);  // nothing else removes IL1b
  EXPECT_DOUBLE_EQ(f.loss_rate, 1e-3);
  EXPECT_DOUBLE_EQ(f.voxel, h);
  EXPECT_NEAR(f.length, std::sqrt(6e-12 / 1e-3), 1e-12);
  s.species[0].decay_rate = 1e-4;
  Rule linear = testing::make_rule(RuleKind::Uptake, 0, 0);
  linear.clearance = 2e-12;  // x 1e8 cells/mL = 2e-4 /s
  s.rules.push_back(linear);
  Rule saturable = testing::make_rule(RuleKind::Uptake, 0, 0);
  saturable.vmax = 3e-10;  // / km x 1e8 = 3e-4 /s
  saturable.km = 100;
  s.rules.push_back(saturable);
  s.plasma.enabled = true;
  s.plasma.exchange.push_back({0, 0, 4e-4, {}});
  f = only_front(s);
  EXPECT_FALSE(f.loss_from_death_rate);
  EXPECT_NEAR(f.loss_rate, 1e-4 + 2e-4 + 3e-4 + 4e-4, 1e-15);
  EXPECT_NEAR(f.length, std::sqrt(6e-12 / 1e-3), 1e-12);
  EXPECT_NEAR(f.ratio, h / f.length, 1e-12);
  EXPECT_EQ(f.verdict, FrontVerdict::Resolved);  // 10 um / 77.5 um = 0.13 L
  EXPECT_NEAR(f.expected_slowdown, kFrontDeficitCoefficient * std::pow(f.ratio, kFrontDeficitOrder), 1e-12);
  const std::string line = describe_front_resolution(s, f);
  EXPECT_NE(line.find("pyroptosis: front scale L = sqrt(D / loss) = 77.5 um (IL1b in tissue"),
            std::string::npos)
      << line;
  EXPECT_NE(line.find("voxel 10 um = 0.13 L: resolved"), std::string::npos) << line;

  s.species[0].diffusion = {0.0};
  EXPECT_EQ(only_front(s).verdict, FrontVerdict::NoFront);
  EXPECT_EQ(only_front(one_death_rule({1, 1, 1}, {h, h, h})).verdict, FrontVerdict::NoFront);
}

// A measurement tool, not a test: FRONT_CASES="h_um:D_scale ..." runs the
// strip at each voxel size with the IL-1b diffusivity scaled, and prints the
// front position every hour (docs/numerics/method.md#fronts: why scaling D,
// as openCARP's tuneCV scales conductivities, does not rescue coarse grids).
// Run: build/tests/cytostorm_tests --gtest_also_run_disabled_tests --gtest_filter='Fronts.DISABLED_*'
TEST(Fronts, DISABLED_MeasureSepsisStrip) {
  const char* env = std::getenv("FRONT_CASES");
  std::istringstream in(env ? env : "160:1 80:1 40:1 20:1 10:1");
  std::string item;
  while (in >> item) {
    const double h_um = std::stod(item.substr(0, item.find(':')));
    const double scale =
        item.find(':') == std::string::npos ? 1.0 : std::stod(item.substr(item.find(':') + 1));
    const FrontTrack t = track_front(h_um * kUm, 30, scale);
    std::printf("h = %6.2f um D x %5.2f: speed 16-24 h %.4f mm/h | positions (mm) hourly:", h_um, scale,
                window_speed(t) * 3.6e6);
    for (double x : t.positions) std::printf(" %.3f", x * 1e3);
    std::printf("\n");
  }
}

}  // namespace
}  // namespace cyto
