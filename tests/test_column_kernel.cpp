// The GPU kernel's per-thread body (kernels/column_march_k.hpp), run on the
// host for every column and z-chunk, must reproduce the CPU backend bitwise:
// same classification of every voxel, same pointwise functions, same
// operation order. This checks the GPU step's indexing, plane queue, outside
// skipping and vector lanes on every machine, GPU or not. Likewise the GPU's
// per-tile region sums (kernels/tile_sum_k.hpp) against cpu_region_tile_sums.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "host/backends/backend.hpp"
#include "host/parallel/decomposition.hpp"
#include "host/solver/simulation.hpp"
#include "kernels/column_march_k.hpp"
#include "kernels/cpu/cpu_kernels.hpp"
#include "kernels/tile_sum_k.hpp"
#include "tests/scenario_builders.hpp"

namespace cyto {
namespace {

using testing::box_scenario;
using testing::make_rule;
using testing::make_species;

// The scenario's cell model for steps of the planned dt, with the test's seed.
template <class Real>
void compile_test_model(const Scenario& s, const Discretisation& disc, CellModelTable<Real>& table) {
  compile_cell_model(s, disc, plan_time(s).max_dt, table);
  table.seed = (std::uint64_t(678) << 32) | 12345;  // seed words 12345, 678
}

// The first step's parameter block: step 1000, blood densities for recruitment.
template <class Real>
StepParameters<Real> first_step(const Scenario& s, const Discretisation& disc) {
  StepParameters<Real> p;
  fill_step_rates(s, disc, 0.0, plan_time(s).max_dt, nullptr, p);
  ModelDrive drive;
  drive.blood.assign(s.populations.size(), 2e5);
  fill_rule_drive(s, drive, p.rules);
  p.step = 1000;
  return p;
}

// What both runs below step with: the discretisation, the transport table,
// the cell model's tables and the first step's parameters.
template <class Real>
struct StepInputs {
  Discretisation disc;
  int fields;
  TransportTable<Real> table;
  CellModelTable<Real> model;
  StepParameters<Real> first;
  explicit StepInputs(const Scenario& s) : disc(discretise(s, rasterise_tissues(s))), fields(field_count(s)) {
    fill_transport_table(s, disc, plan_time(s).max_dt, table);
    compile_test_model(s, disc, model);
    first = first_step<Real>(s, disc);
  }
};

// One step of the column kernel over all columns, chunk by chunk, in a
// deliberately scrambled order (the result must not depend on it).
template <class Real, int NS>
void emulated_column_step(const ColumnStepArgs<Real>& a, int z_chunk) {
  constexpr int W = column_lanes<Real, NS>();
  const std::int64_t columns = column_count(a.layout, W);
  for (int k0 = ((a.layout.nz - 1) / z_chunk) * z_chunk; k0 >= 0; k0 -= z_chunk)
    for (std::int64_t c = columns - 1; c >= 0; --c)
      if (a.model.enabled())
        march_column<Real, NS, W, true>(a, column_first_element(a.layout, c, W), k0,
                                        std::min(k0 + z_chunk, a.layout.nz));
      else
        march_column<Real, NS, W, false>(a, column_first_element(a.layout, c, W), k0,
                                         std::min(k0 + z_chunk, a.layout.nz));
}

// Runs `steps` steps of `s` with the column kernel on the host (coefficients
// of the first step held, as the CPU reference below does).
template <class Real>
std::vector<std::vector<Real>> column_kernel_run(const Scenario& s,
                                                 const std::vector<std::vector<Real>>& initial,
                                                 const std::vector<std::vector<Real>>& source_fields,
                                                 int steps, int z_chunk) {
  const StepInputs<Real> in(s);
  const Discretisation& disc = in.disc;
  const int nf = in.fields;
  const std::vector<std::uint8_t> has_fixed = in.table.materials_with_fixed_fields(nf);
  std::vector<std::vector<Real>> current = initial, next = initial;

  ColumnStepArgs<Real> a;
  a.layout = disc.layout;
  for (int ax = 0; ax < 3; ++ax) a.inv_h2[ax] = Real(1.0 / (disc.grid.spacing[ax] * disc.grid.spacing[ax]));
  a.material = disc.material.data();
  a.material_has_fixed = has_fixed.data();
  a.coeff = step_coefficients(in.table, in.first);
  for (int f = 0; f < nf; ++f)
    a.source_field[f] = source_fields[f].empty() ? nullptr : source_fields[f].data();
  StepParameters<Real> step = in.first;
  for (int n = 0; n < steps; ++n) {
    a.model = model_for_step(in.model.view(), step);
    for (int f = 0; f < nf; ++f) {
      a.in[f] = current[f].data();
      a.out[f] = next[f].data();
    }
    dispatch_field_count(nf,
                         [&](auto count) { emulated_column_step<Real, decltype(count)::value>(a, z_chunk); });
    current.swap(next);
    ++step.step;
  }
  return current;
}

template <class Real>
std::vector<std::vector<Real>> cpu_backend_run(const Scenario& s,
                                               const std::vector<std::vector<Real>>& initial,
                                               const std::vector<std::vector<Real>>& source_fields,
                                               int steps) {
  const StepInputs<Real> in(s);
  const int nf = in.fields;
  auto cpu = make_cpu_backend<Real>(2);
  cpu->setup(in.disc, nf);
  for (int f = 0; f < nf; ++f) {
    cpu->upload_field(f, initial[f]);
    if (!source_fields[f].empty()) cpu->set_source_field(f, source_fields[f]);
  }
  cpu->set_transport_table(in.table);
  cpu->set_cell_model(in.model);
  StepParameters<Real> step = in.first;
  for (int n = 0; n < steps; ++n, ++step.step) cpu->step(step);
  std::vector<std::vector<Real>> out(nf);
  for (int f = 0; f < nf; ++f) cpu->download_field(f, out[f]);
  return out;
}

// Initial fields that vary from voxel to voxel (never test on constants),
// zero outside the organ, as the simulation uploads them.
template <class Real>
std::vector<std::vector<Real>> varied_fields(const Scenario& s, bool include_outside = false) {
  const Discretisation disc = discretise(s, rasterise_tissues(s));
  std::vector<std::vector<Real>> f(std::size_t(field_count(s)),
                                   std::vector<Real>(std::size_t(disc.layout.size), Real(0)));
  for (std::size_t sp = 0; sp < f.size(); ++sp)
    for (std::int64_t i = 0; i < disc.layout.size; ++i)
      if (include_outside || disc.material[i])
        f[sp][i] = Real(1 + 0.5 * std::sin(0.013 * double(i) + double(sp)) + 0.01 * double(i % 11));
  return f;
}

template <class Real>
void expect_column_kernel_matches_cpu(const Scenario& s, int steps, int z_chunk) {
  const int n_fields = field_count(s);
  std::vector<std::vector<Real>> initial = varied_fields<Real>(s);
  // Population 0 dense enough for its rules to show in float; population 1
  // at ~30 whole cells per voxel (the voxels are 30 mL) for stochastic death.
  if (!s.populations.empty())
    for (Real& v : initial[s.species.size()]) v *= Real(3e8);
  std::vector<std::vector<Real>> sources(n_fields);
  sources[0] = varied_fields<Real>(s)[0];
  const auto cpu = cpu_backend_run<Real>(s, initial, sources, steps);
  const auto gpu_body = column_kernel_run<Real>(s, initial, sources, steps, z_chunk);
  for (int sp = 0; sp < n_fields; ++sp) {
    std::int64_t differing = 0;
    for (std::size_t i = 0; i < cpu[sp].size(); ++i) differing += !(cpu[sp][i] == gpu_body[sp][i]);
    EXPECT_EQ(differing, 0) << "field " << sp << " of " << n_fields << ", z_chunk " << z_chunk;
    if (sp < int(s.species.size() + s.populations.size())) {  // budget amounts may stay put
      EXPECT_NE(cpu[sp], initial[sp]) << "field " << sp << ": nothing happened";
    }
  }
}

template <class Real>
void expect_column_kernel_matches_cpu(int n_species, std::array<int, 3> n, int steps, int z_chunk) {
  expect_column_kernel_matches_cpu<Real>(testing::two_tissue_scenario(n_species, n), steps, z_chunk);
}

// The two-tissue scenario with a cell model using every rule kind: two
// populations, Hill factors with integer and real powers, a rule limited to
// one tissue, deterministic and stochastic deaths with bursts, and the budget.
Scenario two_tissue_storm(std::array<int, 3> n) {
  Scenario s = testing::two_tissue_scenario(3, n);
  s.output.budget = true;
  for (const char* name : {"parenchyma", "macrophages"})
    s.populations.push_back(testing::make_population(name, 3e8));
  Rule sec = make_rule(RuleKind::Secretion, 1, 0);
  sec.base = 1e-2;
  sec.max = 2e-1;
  sec.activators.push_back(testing::hill(1, 1.1, 2));
  sec.inhibitors.push_back(testing::hill(2, 0.9, 1.5));
  s.rules.push_back(sec);
  Rule upt = make_rule(RuleKind::Uptake, 0, 1);
  upt.vmax = 1e-9;
  upt.km = 0.8;
  s.rules.push_back(upt);
  Rule lin = make_rule(RuleKind::Uptake, 1, 2);
  lin.clearance = 1.0;
  lin.tissues = {0};
  s.rules.push_back(lin);
  Rule grow = make_rule(RuleKind::Growth, 1);
  grow.rate = 0.3;
  grow.capacity = 5e8;
  grow.activators.push_back({0, 1.0, 1, {}});
  s.rules.push_back(grow);
  Rule recruit = make_rule(RuleKind::Recruitment, 1);
  recruit.rate = 0.2;
  recruit.capacity = 6e8;
  s.rules.push_back(recruit);
  Rule turnover = make_rule(RuleKind::Decay, 0);
  turnover.rate = 0.05;
  s.rules.push_back(turnover);
  for (DeathMode mode : {DeathMode::Deterministic, DeathMode::Stochastic}) {
    Rule death = make_rule(RuleKind::Death, mode == DeathMode::Deterministic ? 0 : 1);
    death.mode = mode;
    death.signal = {1.0, 0.5, 0.0};
    death.threshold = 1.2;
    death.rate = 2.0;
    death.burst = {1e-9, 0.0, 3e-9};
    if (mode == DeathMode::Stochastic) {
      death.priming = {0.0, 0.0, 1.0};
      death.priming_threshold = 1.0;
    }
    s.rules.push_back(death);
  }
  return s;
}

TEST(ColumnKernel, CellModelMatchesCpuBackendBitwise) {
  expect_column_kernel_matches_cpu<double>(two_tissue_storm({21, 19, 17}), 5, 4);
  expect_column_kernel_matches_cpu<float>(two_tissue_storm({23, 18, 15}), 5, 7);
}

// GPU overlap with MPI: a block stepped with stale halos, then its shell
// recomputed once the halos are in place (update_shell_voxel, the GPU's
// shell kernel body), equals the block stepped with the halos present, bit
// for bit, for every field, cell model included.
template <class Real>
void expect_shell_recompute_repairs_stale_halos(const Box& block, const std::array<bool, 6>& exchanged) {
  const Scenario s = two_tissue_storm({21, 19, 17});
  const TissueMap tissues = rasterise_tissues(s);
  const Discretisation disc = discretise(s, tissues, &block, exchanged);
  const int nf = field_count(s);
  TransportTable<Real> table;
  fill_transport_table(s, disc, plan_time(s).max_dt, table);
  CellModelTable<Real> model;
  compile_test_model(s, disc, model);
  const StepParameters<Real> step = first_step<Real>(s, disc);
  const std::vector<std::uint8_t> has_fixed = table.materials_with_fixed_fields(nf);
  const GridLayout& g = disc.layout;
  std::vector<std::vector<Real>> good(std::size_t(nf), std::vector<Real>(std::size_t(g.size)));
  for (int f = 0; f < nf; ++f)
    for (std::int64_t i = 0; i < g.size; ++i)
      good[std::size_t(f)][std::size_t(i)] =
          Real((f == 3 ? 3e8 : 1.0) * (1 + 0.5 * std::sin(0.013 * double(i) + f) + 0.01 * double(i % 11)));
  // Population 0 dense enough for its rules to show; population 1 at ~30 whole
  // cells per voxel (30 mL voxels) for stochastic death. The halo layers a
  // neighbour would fill hold other values until the halos arrive.
  std::vector<std::vector<Real>> stale = good;
  unsigned mask = 0;
  for (int face = 0; face < 6; ++face) {
    if (!exchanged[std::size_t(face)]) continue;
    mask |= 1u << face;
    for (auto& field : stale)
      for (std::int64_t n = 0; n < face_voxels(g, face); ++n)
        field[std::size_t(face_layer_index(g, face, true, n))] *= Real(7.5);
  }
  const auto run = [&](std::vector<std::vector<Real>>& in, std::vector<std::vector<Real>>& out) {
    ColumnStepArgs<Real> a;
    a.layout = g;
    for (int ax = 0; ax < 3; ++ax) a.inv_h2[ax] = Real(1.0 / (disc.grid.spacing[ax] * disc.grid.spacing[ax]));
    a.material = disc.material.data();
    a.material_has_fixed = has_fixed.data();
    a.coeff = step_coefficients(table, step);
    a.model = model_for_step(model.view(), step);
    for (int f = 0; f < nf; ++f) {
      a.in[f] = in[std::size_t(f)].data();
      a.out[f] = out[std::size_t(f)].data();
    }
    return a;
  };
  std::vector<std::vector<Real>> expected = good, repaired = good;
  const ColumnStepArgs<Real> with_halos = run(good, expected);
  dispatch_field_count(
      nf, [&](auto count) { emulated_column_step<Real, decltype(count)::value>(with_halos, 5); });
  const ColumnStepArgs<Real> without = run(stale, repaired);
  dispatch_field_count(nf,
                       [&](auto count) { emulated_column_step<Real, decltype(count)::value>(without, 5); });
  // Only the block's own voxels count: the column kernel also writes x-halo
  // columns of tissue, which the next exchange overwrites before anything reads them.
  const auto differing_voxels = [&](int f) {
    std::int64_t differing = 0;
    for (int k = 0; k < g.nz; ++k)
      for (int j = 0; j < g.ny; ++j)
        for (int i = 0; i < g.nx; ++i) {
          const std::size_t idx = std::size_t(g.index(i, j, k));
          differing +=
              std::memcmp(&expected[std::size_t(f)][idx], &repaired[std::size_t(f)][idx], sizeof(Real)) != 0;
        }
    return differing;
  };
  std::int64_t wrong_before = 0;
  for (int f = 0; f < nf; ++f) wrong_before += differing_voxels(f);
  EXPECT_GT(wrong_before, 0) << "stale halos changed nothing: the test would not see a missing repair";
  const ColumnStepArgs<Real> arrived = run(good, repaired);  // halos unpacked into the current fields
  dispatch_field_count(nf, [&](auto count) {
    constexpr int NS = decltype(count)::value;
    for (int face = 0; face < 6; ++face)
      if ((mask >> face) & 1u)
        for (std::int64_t n = 0; n < face_voxels(g, face); ++n)
          update_shell_voxel<Real, NS, true>(arrived, mask, face, n);
  });
  for (int f = 0; f < nf; ++f) EXPECT_EQ(differing_voxels(f), 0) << "field " << f;
}

TEST(ColumnKernel, ShellRecomputeAfterStaleHalosIsBitwiseTheFullStep) {
  // A block inside the grid (neighbours all round), and one at the grid's
  // low x, high y and both z edges (exchanging through high x and low y only).
  expect_shell_recompute_repairs_stale_halos<double>(Box{{4, 3, 2}, {13, 12, 11}},
                                                     {true, true, true, true, true, true});
  expect_shell_recompute_repairs_stale_halos<float>(Box{{0, 3, 0}, {15, 16, 17}},
                                                    {false, true, true, false, false, false});
}

TEST(ColumnKernel, MatchesCpuBackendBitwiseInDouble) {
  // Odd sizes: rows whose padding is not a whole vector, chunks that do not
  // divide nz; every field count the kernel is compiled for.
  for (int nf = 1; nf <= kMaxGpuFields; ++nf)
    expect_column_kernel_matches_cpu<double>(nf, {21, 19, 17}, 5, 4);
}

TEST(ColumnKernel, MatchesCpuBackendBitwiseInFloat) {
  for (int nf = 1; nf <= kMaxGpuFields; ++nf) expect_column_kernel_matches_cpu<float>(nf, {23, 18, 15}, 5, 7);
}

TEST(ColumnKernel, ResultDoesNotDependOnZChunk) {
  for (int z_chunk : {1, 2, 5, 40}) expect_column_kernel_matches_cpu<float>(4, {30, 26, 22}, 8, z_chunk);
}

TEST(ColumnKernel, LanesAreSixteenBytesForUpToEightFloatSpecies) {
  EXPECT_EQ((column_lanes<float, 1>()), 4);
  EXPECT_EQ((column_lanes<float, 8>()), 4);
  EXPECT_EQ((column_lanes<double, 4>()), 2);
  EXPECT_EQ((column_lanes<double, 8>()), 2);
  EXPECT_GE((column_lanes<double, 16>()), 1);
}

// Non-zero values outside the organ never leak in: they only meet closed
// faces (the kernel reads them as zero where it skips a plane).
TEST(ColumnKernel, ValuesOutsideTheOrganDoNotLeakIn) {
  const Scenario s = testing::two_tissue_scenario(3, {20, 20, 20});
  std::vector<std::vector<double>> initial = varied_fields<double>(s, /*include_outside=*/true);
  const std::vector<std::vector<double>> none(3);
  const auto cpu = cpu_backend_run<double>(s, initial, none, 4);
  const auto gpu_body = column_kernel_run<double>(s, initial, none, 4, 3);
  EXPECT_EQ(cpu, gpu_body);
}

}  // namespace
}  // namespace cyto

namespace cyto {
namespace {

// Time of a launch in the model choose_z_chunk minimises, relative to the
// ideal (every resident slot busy, no re-read planes).
double launch_efficiency(int nz, std::int64_t blocks_per_plane, std::int64_t resident, int length) {
  const std::int64_t chunks = (nz + length - 1) / length;
  const std::int64_t waves = (blocks_per_plane * chunks + resident - 1) / resident;
  return double(nz) * double(blocks_per_plane) / double(resident) / double(waves * (length + 2));
}

TEST(ColumnKernel, ZChunksKeepTheGpuBusyWithFewReReads) {
  struct Case {
    int nz;
    std::int64_t blocks_per_plane, resident;
  };
  // 512^3 and 256^3 with 4 or 8 float species at 2-3 resident 128-thread
  // blocks on 132 SMs, the default scenario, and a tall thin grid.
  for (const Case c : {Case{512, 520, 396}, Case{512, 520, 264}, Case{256, 132, 396}, Case{256, 132, 264},
                       Case{67, 105, 396}, Case{4000, 2, 396}}) {
    const int length = choose_z_chunk(c.nz, c.blocks_per_plane, c.resident);
    ASSERT_GE(length, 1);
    ASSERT_LE(length, c.nz);
    double best = 0;
    for (int l = 1; l <= c.nz; ++l)
      best = std::max(best, launch_efficiency(c.nz, c.blocks_per_plane, c.resident, l));
    EXPECT_DOUBLE_EQ(launch_efficiency(c.nz, c.blocks_per_plane, c.resident, length), best) << c.nz;
    // Big cubes fill the GPU; a thin column (2 blocks per plane) cannot
    // without short chunks, and only optimality is asserted for it.
    if (c.nz >= 256 && c.blocks_per_plane >= 100) {
      EXPECT_GE(best, 0.9) << c.nz;
    }
  }
  EXPECT_GE(choose_z_chunk(200000, 1, 100000), 4);  // at most 65535 chunks (gridDim.y)
}

}  // namespace
}  // namespace cyto

namespace cyto {
namespace {

// The GPU's tile-sum body (kernels/tile_sum_k.hpp), run on the host for
// every tile, gives cpu_region_tile_sums's bits: per-tile sums and the
// per-region maxima combined from its tiles as GpuBackend::region_tile_sums
// combines them. Grids that tiles do not divide, regions changing at every
// voxel (random materials) and in runs (bands), two materials to one
// region, one to none, a region without voxels, values over twelve binary
// orders of magnitude, zeros of both signs, NaN and infinity. (On the host
// even NaN payloads agree; the GPU test compares with the CPU backend.)
template <class Real>
void expect_tile_sum_body_matches_cpu(const std::array<int, 3>& n) {
  const Scenario s = testing::box_scenario(n, {1e-5, 1e-5, 1e-5});
  Discretisation d = discretise(s, rasterise_tissues(s));
  const GridLayout& g = d.layout;
  const std::vector<int> region_of_material = {-1, 0, 2, 1, 2, 3};
  const int n_regions = 5, materials = int(region_of_material.size());
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> mantissa(-1.0, 1.0);
  std::uniform_int_distribution<int> exponent(-6, 6);
  std::vector<Real> field(std::size_t(g.size));
  for (Real& v : field) v = Real(std::ldexp(mantissa(rng), exponent(rng)));
  for (int k = 0; k < n[2]; ++k)
    for (int j = 0; j < n[1]; ++j)
      for (int i = 0; i < n[0]; ++i)
        d.material[std::size_t(g.index(i, j, k))] = MaterialId(
            k < n[2] / 2 ? rng() % unsigned(materials) : unsigned(i / 3 + j) % unsigned(materials));
  for (int i = 0; i < n[0]; i += 4) field[std::size_t(g.index(i, 1, 1))] = Real(i % 8 ? -0.0 : 0.0);
  field[std::size_t(g.index(2, 3, n[2] - 1))] = std::numeric_limits<Real>::quiet_NaN();
  field[std::size_t(g.index(5, 3, n[2] - 1))] = std::numeric_limits<Real>::infinity();

  std::vector<double> cpu_sums, cpu_max;
  cpu_region_tile_sums(g, d.material.data(), region_of_material, n_regions, field.data(), kReductionTile, 3,
                       cpu_sums, cpu_max);
  const int t = kReductionTile;
  const int tx = (n[0] + t - 1) / t, ty = (n[1] + t - 1) / t, tz = (n[2] + t - 1) / t;
  const std::size_t tiles = std::size_t(tx) * std::size_t(ty) * std::size_t(tz);
  std::vector<double> sums(tiles * n_regions), tile_max(tiles * n_regions);
  for (std::size_t tile = 0; tile < tiles; ++tile)
    region_tile_sum(g, d.material.data(), region_of_material.data(), materials, n_regions, field.data(), t,
                    tx, ty, std::int64_t(tile), &sums[tile * n_regions], &tile_max[tile * n_regions]);
  std::vector<double> maxima(std::size_t(n_regions), -std::numeric_limits<double>::infinity());
  for (std::size_t tile = 0; tile < tiles; ++tile)
    for (std::size_t r = 0; r < std::size_t(n_regions); ++r) {
      const double v = tile_max[tile * n_regions + r];
      if (maxima[r] == maxima[r] && (v > maxima[r] || v != v)) maxima[r] = v;
    }
  for (double& m : maxima)
    if (m == 0) m = 0.0;
  ASSERT_EQ(sums.size(), cpu_sums.size());
  EXPECT_EQ(std::memcmp(sums.data(), cpu_sums.data(), sums.size() * sizeof(double)), 0);
  ASSERT_EQ(maxima.size(), cpu_max.size());
  EXPECT_EQ(std::memcmp(maxima.data(), cpu_max.data(), maxima.size() * sizeof(double)), 0);
  EXPECT_TRUE(std::isnan(maxima[1]));  // material 3, region 1, holds the NaN
  EXPECT_EQ(maxima[2], std::numeric_limits<double>::infinity());
  EXPECT_EQ(maxima[4], -std::numeric_limits<double>::infinity());
  // A material beyond the map and a region beyond n_regions count as none.
  std::vector<double> fewer_sums(tiles * 2), fewer_max(tiles * 2);
  for (std::size_t tile = 0; tile < tiles; ++tile)
    region_tile_sum(g, d.material.data(), region_of_material.data(), 4, 2, field.data(), t, tx, ty,
                    std::int64_t(tile), &fewer_sums[tile * 2], &fewer_max[tile * 2]);
  std::vector<double> cpu_fewer_sums, cpu_fewer_max;
  cpu_region_tile_sums(g, d.material.data(), {-1, 0, -1, 1, -1, -1}, 2, field.data(), kReductionTile, 1,
                       cpu_fewer_sums, cpu_fewer_max);
  EXPECT_EQ(std::memcmp(fewer_sums.data(), cpu_fewer_sums.data(), fewer_sums.size() * sizeof(double)), 0);
}

TEST(TileSumKernel, MatchesCpuRegionTileSumsBitwise) {
  for (const std::array<int, 3>& n : {std::array<int, 3>{21, 13, 10}, std::array<int, 3>{70, 41, 33}}) {
    expect_tile_sum_body_matches_cpu<float>(n);
    expect_tile_sum_body_matches_cpu<double>(n);
  }
}

}  // namespace
}  // namespace cyto
