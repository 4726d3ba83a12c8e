// Scale-out under mpirun: every rank count gives the single-rank result,
// bit for bit. Run as `mpirun -n P cytostorm_mpi_tests` (ctest runs P = 1,
// 2, 3, 4, 8); each test is collective, and rank 0 compares the gathered
// fields with a one-rank run of its own.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "host/core/error.hpp"
#include "host/parallel/parallel.hpp"
#include "host/scenario/config.hpp"
#include "host/solver/simulation.hpp"
#include "tests/shared_data.hpp"

#ifndef CYTOSTORM_SOURCE_DIR
#error "CYTOSTORM_SOURCE_DIR must be defined"
#endif

namespace cyto {
namespace {

std::vector<std::string> config_files() {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  for (const fs::directory_entry& e : fs::directory_iterator(std::string(CYTOSTORM_SOURCE_DIR) + "/configs"))
    if (e.path().extension() == ".yaml" && !testing::needs_missing_shared_data(e.path()))
      files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

// Stochastic death from the first step: the threshold is dropped, so the
// draws (keyed by the global voxel number) are exercised on every rank.
void start_deaths_now(Scenario& s) {
  for (Rule& r : s.rules)
    if (r.kind == RuleKind::Death && r.mode == DeathMode::Stochastic) {
      r.threshold = 0;
      r.priming.clear();
    }
}

bool has_stochastic_death(const Scenario& s) {
  return std::any_of(s.rules.begin(), s.rules.end(), [](const Rule& r) {
    return r.kind == RuleKind::Death && r.mode == DeathMode::Stochastic;
  });
}

template <class Real>
void expect_same_statistics(const TimeSeriesRow& a, const TimeSeriesRow& b, const std::string& what) {
  ASSERT_EQ(a.stats.size(), b.stats.size());
  for (std::size_t sp = 0; sp < a.stats.size(); ++sp)
    for (std::size_t r = 0; r < a.stats[sp].size(); ++r) {
      EXPECT_EQ(a.stats[sp][r].total_pg, b.stats[sp][r].total_pg)
          << what << " species " << sp << " region " << r;
      EXPECT_EQ(a.stats[sp][r].max, b.stats[sp][r].max) << what << " species " << sp << " region " << r;
    }
  for (std::size_t p = 0; p < a.populations.size(); ++p)
    for (std::size_t r = 0; r < a.populations[p].size(); ++r)
      EXPECT_EQ(a.populations[p][r].total_pg, b.populations[p][r].total_pg) << what << " population " << p;
  EXPECT_EQ(a.plasma, b.plasma) << what;
  EXPECT_EQ(a.blood, b.blood) << what;
}

// Runs `s` for `steps` steps on every rank of the world and, on rank 0, on
// its own; every field, the plasma and the statistics must agree bitwise.
template <class Real>
void expect_rank_count_does_not_matter(Scenario s, int steps, const std::string& what) {
  const par::Comm world = par::Comm::world();
  s.precision = sizeof(Real) == 4 ? Precision::Float : Precision::Double;
  Simulation<Real> parallel(s, make_cpu_backend<Real>(1), ParallelOptions{world, {}});
  const double t_end = std::min(s.time.end, steps * parallel.time_plan().max_dt);
  std::vector<std::vector<Real>> initial;
  for (int f = 0; f < parallel.fields().count(); ++f) initial.push_back(parallel.native_field(f));
  parallel.advance_to(t_end);
  std::vector<std::vector<Real>> fields;
  for (int f = 0; f < parallel.fields().count(); ++f) fields.push_back(parallel.native_field(f));
  const TimeSeriesRow stats = parallel.statistics();
  if (world.root()) {
    Simulation<Real> alone(s, make_cpu_backend<Real>(1), ParallelOptions{par::Comm::self(), {}});
    alone.advance_to(t_end);
    ASSERT_EQ(alone.steps(), parallel.steps());
    for (int f = 0; f < alone.fields().count(); ++f)
      EXPECT_TRUE(alone.native_field(f) == fields[std::size_t(f)])
          << what << ": field " << f << " differs from the one-rank run on " << world.size() << " ranks ("
          << parallel.decomposition().text() << ")";
    EXPECT_EQ(alone.plasma(), parallel.plasma()) << what;
    expect_same_statistics<Real>(alone.statistics(), stats, what);
    if (has_stochastic_death(s)) {
      // Some whole cell died somewhere: the stochastic path really ran.
      bool died = false;
      for (const Rule& r : s.rules) {
        if (r.kind != RuleKind::Death || r.mode != DeathMode::Stochastic) continue;
        const int f = parallel.fields().population(r.population);
        for (std::size_t v = 0; v < fields[std::size_t(f)].size() && !died; ++v)
          died = double(initial[std::size_t(f)][v] - fields[std::size_t(f)][v]) * alone.voxel_volume_ml() >=
                 0.999;
      }
      EXPECT_TRUE(died) << what << ": no cell died by the stochastic rule; the test would not see its draws";
    }
  }
}

TEST(Mpi, EveryConfigScenarioIsBitwiseTheOneRankResultInDouble) {
  for (const std::string& file : config_files()) {
    Scenario s = load_scenario(file, {});
    start_deaths_now(s);
    expect_rank_count_does_not_matter<double>(s, 12, std::filesystem::path(file).filename().string());
  }
}

TEST(Mpi, EveryConfigScenarioIsBitwiseTheOneRankResultInFloat) {
  for (const std::string& file : config_files()) {
    Scenario s = load_scenario(file, {});
    start_deaths_now(s);
    expect_rank_count_does_not_matter<float>(s, 12, std::filesystem::path(file).filename().string());
  }
}

// A state saved with P ranks continues on one, and one rank's state on P:
// both end where an uninterrupted run ends.
TEST(Mpi, StateMovesBetweenRankCountsBitwise) {
  const par::Comm world = par::Comm::world();
  Scenario s = load_scenario(std::string(CYTOSTORM_SOURCE_DIR) + "/configs/therapy_timing.yaml", {});
  start_deaths_now(s);
  s.precision = Precision::Float;
  Simulation<float> parallel(s, make_cpu_backend<float>(1), ParallelOptions{world, {}});
  const double dt = parallel.time_plan().max_dt;
  parallel.advance_to(20 * dt);
  Simulation<float>::State saved = parallel.state();  // fields on rank 0 only

  // P -> 1: rank 0 continues alone; 1 -> P: every rank takes rank 0's state.
  std::vector<std::vector<float>> continued_alone;
  if (world.root()) {
    Simulation<float> alone(s, make_cpu_backend<float>(1), ParallelOptions{par::Comm::self(), {}});
    alone.restore(saved);
    alone.advance_to(40 * dt);
    for (int f = 0; f < alone.fields().count(); ++f) continued_alone.push_back(alone.native_field(f));
  }
  for (std::size_t f = 0; f < std::size_t(parallel.fields().count()); ++f) {
    std::uint64_t n = world.root() ? saved.fields[f].size() : 0;
    world.broadcast(&n, sizeof n);
    if (!world.root()) saved.fields.emplace_back(std::size_t(n));
    world.broadcast(saved.fields[f].data(), std::size_t(n) * sizeof(float));
  }
  Simulation<float> resumed(s, make_cpu_backend<float>(1), ParallelOptions{world, {}});
  resumed.restore(saved);
  resumed.advance_to(40 * dt);
  parallel.advance_to(40 * dt);
  for (int f = 0; f < parallel.fields().count(); ++f) {
    const std::vector<float> straight = parallel.native_field(f), again = resumed.native_field(f);
    if (!world.root()) continue;
    EXPECT_TRUE(straight == again) << "field " << f << ": restored on " << world.size() << " ranks";
    EXPECT_TRUE(straight == continued_alone[std::size_t(f)]) << "field " << f << ": restored on one rank";
  }
}

// Every requested block grid that gives each rank a tissue block gives the same result.
TEST(Mpi, RequestedDecompositionsAgree) {
  const par::Comm world = par::Comm::world();
  Scenario s = load_scenario(std::string(CYTOSTORM_SOURCE_DIR) + "/configs/hlh.yaml", {});  // 80 x 40 x 3
  s.precision = Precision::Double;
  std::vector<std::array<int, 3>> grids;
  for (int px = 1; px <= world.size(); ++px)
    if (world.size() % px == 0 && world.size() / px <= 5) grids.push_back({px, world.size() / px, 1});
  std::vector<double> reference;
  for (const std::array<int, 3>& parts : grids) {
    Simulation<double> sim(s, make_cpu_backend<double>(1), ParallelOptions{world, parts});
    sim.advance_to(15 * sim.time_plan().max_dt);
    const std::vector<double> tnf = sim.field(0);
    if (!world.root()) continue;
    if (reference.empty())
      reference = tnf;
    else
      EXPECT_TRUE(tnf == reference) << "decomposition " << sim.decomposition().text();
  }
}

// GPU ranks: each rank's block on a GPU (ranks of one node share it when
// there is one), against one GPU rank. Halos are packed on the device.
TEST(Mpi, GpuRanksAreBitwiseTheOneGpuRankResult) {
  const par::Comm world = par::Comm::world();
  // Every rank must agree to skip, or the collectives below would wait forever.
  const bool here = gpu_backend_available();
  if (world.any(!here)) GTEST_SKIP() << "no GPU answers on some rank (" << gpu_support_summary() << ")";
  for (const char* name : {"therapy_timing.yaml", "hlh.yaml", "sepsis.yaml"}) {
    Scenario s = load_scenario(std::string(CYTOSTORM_SOURCE_DIR) + "/configs/" + name, {});
    start_deaths_now(s);
    s.precision = Precision::Double;
    Simulation<double> parallel(s, make_gpu_backend<double>(), ParallelOptions{world, {}});
    const double t_end = std::min(s.time.end, 40 * parallel.time_plan().max_dt);
    parallel.advance_to(t_end);
    std::vector<std::vector<double>> fields;
    for (int f = 0; f < parallel.fields().count(); ++f) fields.push_back(parallel.native_field(f));
    if (!world.root()) continue;
    Simulation<double> alone(s, make_gpu_backend<double>(), ParallelOptions{par::Comm::self(), {}});
    alone.advance_to(t_end);
    for (int f = 0; f < alone.fields().count(); ++f)
      EXPECT_TRUE(alone.native_field(f) == fields[std::size_t(f)])
          << name << ": GPU field " << f << " on " << world.size() << " ranks differs from one GPU rank";
    EXPECT_EQ(alone.plasma(), parallel.plasma()) << name;
  }
}

// A decomposition that does not fit the rank count is refused the same way on every rank.
TEST(Mpi, MismatchedDecompositionIsOneClearMessage) {
  const par::Comm world = par::Comm::world();
  Scenario s = load_scenario(std::string(CYTOSTORM_SOURCE_DIR) + "/configs/hlh.yaml", {});
  try {
    Simulation<double> sim(s, make_cpu_backend<double>(1),
                           ParallelOptions{world, std::array<int, 3>{world.size() + 1, 1, 1}});
    ADD_FAILURE() << "a decomposition of " << world.size() + 1 << " blocks ran on " << world.size()
                  << " ranks";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("block"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace cyto

int main(int argc, char** argv) {
  cyto::par::Session session(argc, argv);
  ::testing::InitGoogleTest(&argc, argv);
  const cyto::par::Comm world = cyto::par::Comm::world();
  if (!world.root()) {  // one report: rank 0's
    ::testing::TestEventListeners& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  const int failed = RUN_ALL_TESTS();
  return world.any(failed != 0) ? 1 : 0;
}
