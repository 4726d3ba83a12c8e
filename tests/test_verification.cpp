// Verification: each test measures an order, an error against an analytic
// solution, or a conserved quantity. Compiled twice: into the unit tests on
// the CPU backend, and into the GPU tests (ctest label gpu) on the GPU backend.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <numbers>

#include "host/solver/simulation.hpp"
#include "tests/scenario_builders.hpp"
#include "tests/test_backend.hpp"

namespace cyto {
namespace {

using testing::box_scenario;
using testing::make_species;
using testing::observed_order;

using Sim = Simulation<double>;

Sim make_sim(const Scenario& s, int threads = 0) {
  return Sim(s, testing::backend_under_test<double>(threads));
}

// Samples f at every voxel centre (dense, x fastest).
std::vector<double> sample(const DenseGrid& g, const std::function<double(const Vec3&)>& f) {
  std::vector<double> v(std::size_t(g.voxels()));
  for (int k = 0; k < g.nz; ++k)
    for (int j = 0; j < g.ny; ++j)
      for (int i = 0; i < g.nx; ++i)
        v[i + std::size_t(g.nx) * (j + std::size_t(g.ny) * k)] = f(voxel_centre(g, i, j, k));
  return v;
}

double rms_difference(const std::vector<double>& a, const std::vector<double>& b) {
  double sum = 0;
  for (std::size_t i = 0; i < a.size(); ++i) sum += (a[i] - b[i]) * (a[i] - b[i]);
  return std::sqrt(sum / double(a.size()));
}

// (a) A Gaussian spreading in free space: c = (t0/(t0+t))^{3/2} exp(-r^2 / (4 D (t0+t))).
// The walls are > 7 widths away, so the no-flux box is free space to round-off.
// dt follows h^2 (auto dt), so the error is O(h^2) in space and time together.
double gaussian_error(int n) {
  const double D = 1.0, t0 = 0.00125, t_end = 0.00125;
  const double h = 1.0 / n;
  Scenario s = box_scenario({n, n, n}, {h, h, h});
  s.species.push_back(make_species("c", {D}));
  s.time.end = t_end;
  s.output.interval = t_end;
  Sim sim = make_sim(s);
  const Vec3 centre{0.5, 0.5, 0.5};
  auto exact = [&](double t) {
    return [=](const Vec3& p) {
      double r2 = 0;
      for (int a = 0; a < 3; ++a) r2 += (p[a] - centre[a]) * (p[a] - centre[a]);
      return std::pow(t0 / (t0 + t), 1.5) * std::exp(-r2 / (4 * D * (t0 + t)));
    };
  };
  sim.set_field(0, sample(sim.tissues().grid, exact(0)));
  sim.advance_to(t_end);
  return rms_difference(sim.field(0), sample(sim.tissues().grid, exact(t_end)));
}

TEST(Verification, GaussianSpreadingConvergesAtSecondOrder) {
  const double e32 = gaussian_error(32), e64 = gaussian_error(64), e128 = gaussian_error(128);
  const double p1 = observed_order(e32, e64), p2 = observed_order(e64, e128);
  RecordProperty("errors", ::testing::PrintToString(std::vector<double>{e32, e64, e128}));
  std::printf("Gaussian: L2 errors %.3e %.3e %.3e, observed orders %.3f %.3f\n", e32, e64, e128, p1, p2);
  EXPECT_GT(p1, 1.8);
  EXPECT_LT(p1, 2.2);
  EXPECT_GT(p2, 1.8);
  EXPECT_LT(p2, 2.2);
  EXPECT_LT(e128, 1e-3);  // about 0.1% of the peak: the scheme is accurate, not just convergent
}

// (b) Manufactured steady solution with a jump in D across two labels
// (tissue A for x < 1/2, D = 1; tissue B for x > 1/2, D = 4):
//   u = 1 + phi(x) cos(pi y),  phi' = sin(pi x) / D(x),
// so u and the flux D du/dx are continuous at x = 1/2 and no flux leaves the
// box. The source f = -div(D grad u) + lambda u is given per voxel; starting
// from u, the run relaxes (rate >= lambda) to the discrete steady state,
// whose error against u is measured.
double manufactured_error(int n) {
  const double DA = 1.0, DB = 4.0, lambda = 20.0, pi = std::numbers::pi;
  const double h = 1.0 / n;
  Scenario s = box_scenario({n, n, 1}, {h, h, 1.0});
  s.tissues.push_back({"B", 2, {}});
  s.geometry.push_back({1, testing::box_shape({0.5, 0, 0}, {1, 1, 1}), {}});
  s.species.push_back(make_species("u", {DA, DB}, lambda));
  s.time.end = 0.4;  // lambda t = 8
  s.output.interval = s.time.end;
  Sim sim = make_sim(s);
  auto D = [&](double x) { return x < 0.5 ? DA : DB; };
  auto phi = [&](double x) {
    return x < 0.5 ? (1 - std::cos(pi * x)) / (pi * DA) : 1 / (pi * DA) - std::cos(pi * x) / (pi * DB);
  };
  auto u = [&](const Vec3& p) { return 1 + phi(p[0]) * std::cos(pi * p[1]); };
  auto f = [&](const Vec3& p) {
    const double x = p[0], cy = std::cos(pi * p[1]);
    // -div(D grad u) = -(D phi')' cos(pi y) + D phi pi^2 cos(pi y), with D phi' = sin(pi x)
    return (-pi * std::cos(pi * x) + D(x) * phi(x) * pi * pi) * cy + lambda * u(p);
  };
  const DenseGrid& g = sim.tissues().grid;
  sim.set_field(0, sample(g, u));
  sim.set_source_field(0, sample(g, f));
  sim.advance_to(s.time.end);
  return rms_difference(sim.field(0), sample(g, u));
}

TEST(Verification, ManufacturedSolutionWithDiffusivityJumpConvergesAtSecondOrder) {
  const double e16 = manufactured_error(16), e32 = manufactured_error(32), e64 = manufactured_error(64);
  const double p1 = observed_order(e16, e32), p2 = observed_order(e32, e64);
  std::printf("MMS (D jump 1:4): L2 errors %.3e %.3e %.3e, observed orders %.3f %.3f\n", e16, e32, e64, p1,
              p2);
  EXPECT_GT(p1, 1.8);
  EXPECT_LT(p1, 2.2);
  EXPECT_GT(p2, 1.8);
  EXPECT_LT(p2, 2.2);
}

// (c) Steady diffusion-decay around a uniform spherical source of radius a:
// outside, c = A exp(-r/L) / r with L = sqrt(D / lambda); inside,
// c = s/lambda + B sinh(r/L) / r; A, B from continuity of c and c' at r = a.
// The source is given per voxel as the sphere's volume fraction, so the
// discrete source strength matches the sphere's.
struct SphericalSourceResult {
  double max_relative_error;  // over a fixed shell 1.5 a <= r <= a + 3 L, where the walls' images add < 1e-4
  double fitted_decay_length;
};

SphericalSourceResult spherical_source(int n) {
  const double D = 1.0, lambda = 100.0, L = std::sqrt(D / lambda), a = 0.1, rate = 1.0;
  const double side = 1.6, h = side / n;
  Scenario s = box_scenario({n, n, n}, {h, h, h});
  s.species.push_back(make_species("c", {D}, lambda));
  s.time.end = 0.14;  // lambda t = 14: the start-up transient is below 1e-6
  s.output.interval = s.time.end;
  Sim sim = make_sim(s);
  const Vec3 centre{side / 2, side / 2, side / 2};
  const auto radius = [&](const Vec3& p) {
    return std::sqrt((p[0] - centre[0]) * (p[0] - centre[0]) + (p[1] - centre[1]) * (p[1] - centre[1]) +
                     (p[2] - centre[2]) * (p[2] - centre[2]));
  };
  const int sub = 8;  // volume fraction by 8^3 sub-samples where the surface cuts the voxel
  sim.set_source_field(0, sample(sim.tissues().grid, [&](const Vec3& p) {
                         const double r = radius(p);
                         if (r < a - h) return rate;
                         if (r > a + h) return 0.0;
                         int inside = 0;
                         for (int z = 0; z < sub; ++z)
                           for (int y = 0; y < sub; ++y)
                             for (int x = 0; x < sub; ++x) {
                               const Vec3 q{p[0] + h * ((x + 0.5) / sub - 0.5),
                                            p[1] + h * ((y + 0.5) / sub - 0.5),
                                            p[2] + h * ((z + 0.5) / sub - 0.5)};
                               inside += radius(q) <= a;
                             }
                         return rate * inside / double(sub * sub * sub);
                       }));
  sim.advance_to(s.time.end);

  // Continuity of c and dc/dr at r = a gives a 2x2 system for A (and B).
  const double al = a / L;
  const double m11 = std::exp(-al) / a, m12 = -std::sinh(al) / a;
  const double m21 = -std::exp(-al) * (1 / (L * a) + 1 / (a * a));
  const double m22 = -(std::cosh(al) / (L * a) - std::sinh(al) / (a * a));
  const double A = (rate / lambda) * m22 / (m11 * m22 - m12 * m21);
  const auto analytic = [&](double r) { return A * std::exp(-r / L) / r; };

  const std::vector<double> c = sim.field(0);
  const DenseGrid& g = sim.tissues().grid;
  SphericalSourceResult result{0, 0};
  // Least-squares fit of log(r c) = const - r / L_fit over the shell.
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  int count = 0;
  for (int k = 0; k < n; ++k)
    for (int j = 0; j < n; ++j)
      for (int i = 0; i < n; ++i) {
        const double r = radius(voxel_centre(g, i, j, k));
        if (r < 1.5 * a || r > a + 3 * L) continue;
        const double value = c[i + std::size_t(n) * (j + std::size_t(n) * k)];
        result.max_relative_error = std::max(result.max_relative_error, std::abs(value / analytic(r) - 1));
        const double y = std::log(r * value);
        sx += r;
        sy += y;
        sxx += r * r;
        sxy += r * y;
        ++count;
      }
  result.fitted_decay_length = -(count * sxx - sx * sx) / (count * sxy - sx * sy);
  return result;
}

TEST(Verification, SteadyProfileAroundSphericalSourceMatchesAnalytic) {
  const double L = 0.1;
  const SphericalSourceResult coarse = spherical_source(48), fine = spherical_source(96);
  std::printf(
      "spherical source: max relative error %.3e (h = 1.6/48), %.3e (h = 1.6/96); "
      "decay length %.5f, %.5f (exact %.5f)\n",
      coarse.max_relative_error, fine.max_relative_error, coarse.fitted_decay_length,
      fine.fitted_decay_length, L);
  EXPECT_LT(fine.max_relative_error, 0.01);
  // Second order: halving h cuts the error by about 4.
  EXPECT_GT(observed_order(coarse.max_relative_error, fine.max_relative_error), 1.7);
  EXPECT_NEAR(fine.fitted_decay_length / L, 1.0, 0.005);
}

// (d) No decay, no flux: the total amount is conserved exactly by the
// scheme, in an irregular domain of two tissues with different D.
TEST(Verification, MassIsConservedInIrregularDomain) {
  const double h = 1.0 / 48;
  Scenario s = box_scenario({48, 48, 48}, {h, h, h});
  s.geometry.clear();
  s.tissues.push_back({"vessel", 2, {}});
  s.geometry.push_back(
      {0,
       testing::union_shape({testing::sphere_shape({0.4, 0.5, 0.5}, 0.3),
                             testing::box_shape({0.5, 0.3, 0.2}, {0.95, 0.6, 0.45}),
                             testing::cylinder_shape({0.1, 0.1, 0.1}, {0.9, 0.9, 0.8}, 0.08)}),
       {}});
  s.geometry.push_back({1, testing::cylinder_shape({0.2, 0.5, 0.5}, {0.8, 0.5, 0.5}, 0.06), {}});
  Species sp = make_species("c", {1.0, 7.0}, 0.0, 1.0);
  sp.initial.push_back({Region{std::nullopt, testing::sphere_shape({0.55, 0.45, 0.5}, 0.12)}, 50.0, {}});
  s.species.push_back(sp);
  s.time.end = 0.02;
  s.output.interval = s.time.end;
  Sim sim = make_sim(s);
  const double before = sim.statistics().stats[0][0].total_pg;
  sim.advance_to(s.time.end);
  const TimeSeriesRow after = sim.statistics();
  std::printf("conservation: %lld steps, relative change %.3e\n", (long long)sim.steps(),
              std::abs(after.stats[0][0].total_pg - before) / before);
  ASSERT_GT(sim.steps(), 300);
  EXPECT_LE(std::abs(after.stats[0][0].total_pg - before), 1e-12 * before);
  // The initial peak must have spread, or nothing was tested.
  EXPECT_LT(after.stats[0][0].max, 0.5 * 50.0);
}

// (e) Bitwise identical results for 1 and 2 threads, float and double, with
// several species, sources, two tissues and a Dirichlet tissue.
template <class Real>
std::vector<std::vector<Real>> run_threads(int threads) {
  const double h = 1.0 / 40;
  Scenario s = box_scenario({40, 36, 30}, {h, h, h});
  s.geometry.clear();
  s.tissues.push_back({"vessel", 2, {}});
  s.geometry.push_back({0, testing::sphere_shape({0.5, 0.45, 0.37}, 0.4), {}});
  s.geometry.push_back({1, testing::cylinder_shape({0.2, 0.45, 0.37}, {0.8, 0.45, 0.37}, 0.05), {}});
  s.species.push_back(make_species("a", {1.0, 2.0}, 3.0, 1.0));
  s.species.push_back(make_species("b", {0.5, 0.1}, 0.0, 0.0));
  s.species.push_back(make_species("c", {0.3, 0.3}, 10.0, 2.0));
  Source src;
  src.species = 1;
  src.rate = 40;
  src.region.shape = testing::sphere_shape({0.4, 0.4, 0.4}, 0.1);
  src.start = 0.001;
  src.end = 0.004;
  s.sources.push_back(src);
  s.boundaries.push_back({1, 2, 0.5, {}});
  s.time.end = 0.01;
  s.output.interval = s.time.end;
  Simulation<Real> sim(s, testing::backend_under_test<Real>(threads));
  sim.advance_to(s.time.end);
  std::vector<std::vector<Real>> fields;
  for (int sp = 0; sp < 3; ++sp) fields.push_back(sim.native_field(sp));
  return fields;
}

TEST(Verification, ResultsAreBitwiseIndependentOfThreadCount) {
  EXPECT_EQ(run_threads<double>(1), run_threads<double>(2));
  EXPECT_EQ(run_threads<float>(1), run_threads<float>(2));
}

// Float and double runs of the same scenario agree to float round-off
// (relative to each field's maximum), after a few hundred steps.
TEST(Verification, FloatAgreesWithDouble) {
  const std::vector<std::vector<float>> f = run_threads<float>(2);
  const std::vector<std::vector<double>> d = run_threads<double>(2);
  for (std::size_t sp = 0; sp < d.size(); ++sp) {
    double max_abs = 0, max_diff = 0;
    for (std::size_t i = 0; i < d[sp].size(); ++i) {
      max_abs = std::max(max_abs, std::abs(d[sp][i]));
      max_diff = std::max(max_diff, std::abs(double(f[sp][i]) - d[sp][i]));
    }
    ASSERT_GT(max_abs, 0.01) << "species " << sp;  // the field is not trivially zero
    EXPECT_LE(max_diff / max_abs, 1e-5) << "species " << sp;
  }
}

// The exact decay-source step: a uniform field (no diffusion flux) follows
// c(t) = s/lambda + (c0 - s/lambda) exp(-lambda t) to round-off, whatever dt.
TEST(Verification, DecayAndSourceFollowTheOdeExactly) {
  Scenario s = box_scenario({6, 5, 4}, {0.1, 0.1, 0.1});
  const double lambda = 0.7, c0 = 3.0, rate = 0.4;
  s.species.push_back(make_species("c", {0.0}, lambda, c0));
  Source src;
  src.rate = rate;
  s.sources.push_back(src);
  s.time.end = 5.0;
  s.time.dt = 0.37;  // deliberately large: the reaction step is exact
  s.output.interval = s.time.end;
  Sim sim = make_sim(s);
  sim.advance_to(s.time.end);
  const double expected = rate / lambda + (c0 - rate / lambda) * std::exp(-lambda * s.time.end);
  for (double v : sim.field(0)) EXPECT_NEAR(v, expected, 1e-14 * expected);
}

// A source on for [start, end) not aligned with the steps injects exactly
// rate * volume * (end - start) when nothing decays or leaves.
TEST(Verification, TimeWindowedSourceInjectsExactAmount) {
  const double h = 0.05;
  Scenario s = box_scenario({20, 20, 20}, {h, h, h});
  s.species.push_back(make_species("c", {0.01}));
  Source src;
  src.rate = 2.5;
  src.region.shape = testing::box_shape({0.3, 0.3, 0.3}, {0.6, 0.55, 0.7});
  src.start = 0.123;
  src.end = 0.789;
  s.sources.push_back(src);
  s.time.end = 1.0;
  s.time.dt = 0.1;
  s.output.interval = 0.25;
  Sim sim = make_sim(s);
  int source_voxels = 0;
  for (std::uint8_t m : region_mask(sim.tissues(), src.region)) source_voxels += m;
  sim.advance_to(s.time.end);
  const double expected = src.rate * (src.end - src.start) * source_voxels * sim.voxel_volume_ml();
  EXPECT_NEAR(sim.statistics().stats[0][0].total_pg, expected, 1e-12 * expected);
}

// Dirichlet tissues at both ends of a bar: the steady state is linear, which
// the scheme reproduces exactly, so the error is round-off.
TEST(Verification, DirichletBarReachesLinearSteadyState) {
  const int n = 20;
  const double h = 1.0 / n;
  Scenario s = box_scenario({n, 3, 3}, {h, h, h});
  s.tissues.push_back({"left", 2, {}});
  s.tissues.push_back({"right", 3, {}});
  s.geometry.push_back({1, testing::box_shape({0, 0, 0}, {h, 3 * h, 3 * h}), {}});
  s.geometry.push_back({2, testing::box_shape({1 - h, 0, 0}, {1, 3 * h, 3 * h}), {}});
  s.species.push_back(make_species("c", {1.0, 1.0, 1.0}));
  s.boundaries.push_back({1, 0, 10.0, {}});
  s.boundaries.push_back({2, 0, 2.0, {}});
  s.time.end = 3.0;  // about 30 diffusion times of the bar
  s.output.interval = s.time.end;
  Sim sim = make_sim(s);
  sim.advance_to(s.time.end);
  const std::vector<double> c = sim.field(0);
  for (int i = 0; i < n; ++i) {
    // Centres of the Dirichlet voxels are at h/2 and 1 - h/2.
    const double x = (i + 0.5) * h;
    const double expected = 10.0 + (2.0 - 10.0) * (x - h / 2) / (1 - h);
    EXPECT_NEAR(c[i + n * (1 + 3 * 1)], expected, 1e-9) << "i = " << i;
  }
}

// The uniform and walled fast paths and the general per-face path compute
// the same update: a Dirichlet species forces every voxel of its tissue onto
// the general path, and the other species must not notice.
TEST(Verification, FastPathsAgreeWithGeneralPath) {
  const double h = 1.0 / 24;
  auto run = [&](bool force_general) {
    Scenario s = box_scenario({24, 24, 24}, {h, h, h});
    Species sp = make_species("c", {1.0}, 2.0, 1.0);
    sp.initial.push_back({Region{std::nullopt, testing::sphere_shape({0.5, 0.5, 0.5}, 0.2)}, 20.0, {}});
    s.species.push_back(sp);
    s.species.push_back(make_species("held", {1.0}, 0.0, 3.0));
    if (force_general) s.boundaries.push_back({0, 1, 3.0, {}});
    s.time.end = 0.01;
    s.output.interval = s.time.end;
    Sim sim = make_sim(s);
    EXPECT_EQ(sim.discretisation().uniform_voxels == 0, force_general);
    EXPECT_EQ(sim.discretisation().walled_voxels == 0, force_general);  // the box faces
    sim.advance_to(s.time.end);
    return sim.field(0);
  };
  const std::vector<double> fast = run(false), general = run(true);
  double worst = 0;
  for (std::size_t i = 0; i < fast.size(); ++i) worst = std::max(worst, std::abs(fast[i] - general[i]));
  EXPECT_LT(worst, 1e-12);
  EXPECT_GT(*std::max_element(fast.begin(), fast.end()), 1.5);  // something happened
}

}  // namespace
}  // namespace cyto
