// The blow-up guard's scan of a field (Backend::scan_field) on the CPU
// backend: exact range of the finite tissue values, NaN and infinities
// counted and left out of the range, outside voxels (material 0) ignored,
// and the same bits for any thread count. The GPU backend is compared with
// this one in tests/gpu/test_gpu_backend.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "host/backends/backend.hpp"
#include "host/model/discretisation.hpp"
#include "tests/scenario_builders.hpp"

namespace cyto {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A grid whose interior mixes outside voxels (material 0, every voxel with
// (i + 2j + 3k) % 5 == 0) with two tissue materials; the halo is material 0 too.
Discretisation patterned_discretisation(int nx, int ny, int nz) {
  Discretisation d;
  d.grid.nx = nx;
  d.grid.ny = ny;
  d.grid.nz = nz;
  d.grid.spacing = {1e-4, 1e-4, 1e-4};
  d.layout = make_grid_layout(nx, ny, nz);
  d.material.assign(std::size_t(d.layout.size), 0);
  for (int k = 0; k < nz; ++k)
    for (int j = 0; j < ny; ++j)
      for (int i = 0; i < nx; ++i)
        if ((i + 2 * j + 3 * k) % 5 != 0)
          d.material[std::size_t(d.layout.index(i, j, k))] = MaterialId(1 + (i + j + k) % 2);
  d.material_tissue = {-1, 0, 0};
  d.material_sources = {{}, {}, {}};
  return d;
}

// Storage offsets of the tissue voxels, and of the outside ones (interior and halo).
std::vector<std::size_t> offsets_where(const Discretisation& d, bool tissue) {
  std::vector<std::size_t> out;
  for (std::size_t n = 0; n < d.material.size(); ++n)
    if ((d.material[n] != 0) == tissue) out.push_back(n);
  return out;
}

// Tissue values in [0.5, 1.5), except one voxel at -2.25 and one at 1e6
// (both exact in float); outside voxels hold zeros.
template <class Real>
std::vector<Real> known_field(const Discretisation& d) {
  std::vector<Real> field(d.material.size(), Real(0));
  const std::vector<std::size_t> tissue = offsets_where(d, true);
  for (std::size_t n = 0; n < tissue.size(); ++n) field[tissue[n]] = Real(0.5 + double(n % 97) / 97.0);
  field[tissue[tissue.size() / 3]] = Real(-2.25);
  field[tissue[2 * tissue.size() / 3]] = Real(1e6);
  return field;
}

template <class Real>
FieldScan scan_on_cpu(const Discretisation& d, const std::vector<std::vector<Real>>& fields, int field,
                      int threads) {
  auto backend = make_cpu_backend<Real>(threads);
  backend->setup(d, int(fields.size()));
  for (std::size_t f = 0; f < fields.size(); ++f) backend->upload_field(int(f), fields[f]);
  return backend->scan_field(field);
}

template <class Real>
FieldScan scan_on_cpu(const Discretisation& d, const std::vector<Real>& field, int threads = 0) {
  return scan_on_cpu<Real>(d, std::vector<std::vector<Real>>{field}, 0, threads);
}

// Bitwise: a -0 where +0 is expected is a difference.
void expect_identical(const FieldScan& a, const FieldScan& b) {
  EXPECT_EQ(std::bit_cast<std::uint64_t>(a.min), std::bit_cast<std::uint64_t>(b.min))
      << a.min << " " << b.min;
  EXPECT_EQ(std::bit_cast<std::uint64_t>(a.max), std::bit_cast<std::uint64_t>(b.max))
      << a.max << " " << b.max;
  EXPECT_EQ(a.nonfinite, b.nonfinite);
}

template <class Real>
void expect_known_values_give_exact_range() {
  const Discretisation d = patterned_discretisation(19, 13, 11);
  const FieldScan scan = scan_on_cpu<Real>(d, known_field<Real>(d));
  EXPECT_EQ(scan.min, -2.25);
  EXPECT_EQ(scan.max, 1e6);
  EXPECT_EQ(scan.nonfinite, 0);
}
TEST(FieldScan, KnownValuesGiveExactRangeInFloat) { expect_known_values_give_exact_range<float>(); }
TEST(FieldScan, KnownValuesGiveExactRangeInDouble) { expect_known_values_give_exact_range<double>(); }

template <class Real>
void expect_nonfinite_values_counted_and_excluded() {
  const Discretisation d = patterned_discretisation(19, 13, 11);
  std::vector<Real> field = known_field<Real>(d);
  const std::vector<std::size_t> tissue = offsets_where(d, true);
  // Three NaN, two +inf, one -inf, none on the extremes; the first and last tissue voxels included.
  const std::size_t at[6] = {
      0, 5, tissue.size() / 2, tissue.size() / 2 + 1, 7 * tissue.size() / 8, tissue.size() - 1};
  const double value[6] = {kNaN, -kNaN, kNaN, kInf, kInf, -kInf};
  for (int n = 0; n < 6; ++n) field[tissue[at[n]]] = Real(value[n]);
  const FieldScan scan = scan_on_cpu<Real>(d, field);
  EXPECT_EQ(scan.min, -2.25);
  EXPECT_EQ(scan.max, 1e6);
  EXPECT_EQ(scan.nonfinite, 6);
  // Every tissue value non-finite: no range, everything counted.
  for (std::size_t n : tissue) field[n] = Real(n % 2 ? kNaN : -kInf);
  const FieldScan all_bad = scan_on_cpu<Real>(d, field);
  EXPECT_EQ(all_bad.min, kInf);
  EXPECT_EQ(all_bad.max, -kInf);
  EXPECT_EQ(all_bad.nonfinite, std::int64_t(tissue.size()));
}
TEST(FieldScan, NonFiniteValuesAreCountedAndExcludedInFloat) {
  expect_nonfinite_values_counted_and_excluded<float>();
}
TEST(FieldScan, NonFiniteValuesAreCountedAndExcludedInDouble) {
  expect_nonfinite_values_counted_and_excluded<double>();
}

template <class Real>
void expect_outside_voxels_ignored() {
  const Discretisation d = patterned_discretisation(19, 13, 11);
  const FieldScan clean = scan_on_cpu<Real>(d, known_field<Real>(d));
  std::vector<Real> field = known_field<Real>(d);
  const std::vector<std::size_t> outside = offsets_where(d, false);
  const double junk[5] = {-1e30, 1e30, kNaN, kInf, -kInf};
  for (std::size_t n = 0; n < outside.size(); ++n) field[outside[n]] = Real(junk[n % 5]);
  expect_identical(scan_on_cpu<Real>(d, field), clean);
  // No tissue at all: nothing is read.
  Discretisation empty = d;
  std::fill(empty.material.begin(), empty.material.end(), MaterialId(0));
  const FieldScan none = scan_on_cpu<Real>(empty, field);
  EXPECT_EQ(none.min, kInf);
  EXPECT_EQ(none.max, -kInf);
  EXPECT_EQ(none.nonfinite, 0);
}
TEST(FieldScan, OutsideVoxelsAreIgnoredInFloat) { expect_outside_voxels_ignored<float>(); }
TEST(FieldScan, OutsideVoxelsAreIgnoredInDouble) { expect_outside_voxels_ignored<double>(); }

// Zeros of either sign count as +0, so the extremes are the same bits
// whichever thread meets which zero first.
template <class Real>
void expect_negative_zero_counts_as_zero() {
  const Discretisation d = patterned_discretisation(19, 13, 11);
  std::vector<Real> all_negative(d.material.size(), Real(-0.0)), mixed = all_negative;
  for (std::size_t n = 0; n < mixed.size(); n += 3) mixed[n] = Real(0);
  for (const std::vector<Real>& field : {all_negative, mixed}) {
    const FieldScan scan = scan_on_cpu<Real>(d, field);
    EXPECT_EQ(scan.min, 0.0);
    EXPECT_FALSE(std::signbit(scan.min));
    EXPECT_FALSE(std::signbit(scan.max));
    EXPECT_EQ(scan.nonfinite, 0);
  }
}
TEST(FieldScan, NegativeZeroCountsAsZeroInFloat) { expect_negative_zero_counts_as_zero<float>(); }
TEST(FieldScan, NegativeZeroCountsAsZeroInDouble) { expect_negative_zero_counts_as_zero<double>(); }

template <class Real>
void expect_independent_of_thread_count() {
  const Discretisation d = patterned_discretisation(23, 17, 29);
  std::vector<Real> field = known_field<Real>(d);
  const std::vector<std::size_t> tissue = offsets_where(d, true);
  for (std::size_t n = 0; n < tissue.size(); n += 7) field[tissue[n]] = Real(n % 2 ? -0.0 : 0.0);
  for (std::size_t n = 11; n < tissue.size(); n += 101) field[tissue[n]] = Real(n % 3 ? kNaN : kInf);
  const FieldScan one = scan_on_cpu<Real>(d, field, 1);
  EXPECT_GT(one.nonfinite, 0);
  expect_identical(scan_on_cpu<Real>(d, field, 2), one);
  expect_identical(scan_on_cpu<Real>(d, field, 3), one);
}
TEST(FieldScan, IndependentOfThreadCountInFloat) { expect_independent_of_thread_count<float>(); }
TEST(FieldScan, IndependentOfThreadCountInDouble) { expect_independent_of_thread_count<double>(); }

// Each field is scanned on its own.
TEST(FieldScan, ScansTheFieldAsked) {
  const Discretisation d = patterned_discretisation(11, 9, 7);
  std::vector<std::vector<double>> fields(3, known_field<double>(d));
  for (double& v : fields[1]) v *= -2;
  fields[2][offsets_where(d, true)[4]] = kNaN;
  const FieldScan a = scan_on_cpu<double>(d, fields, 0, 0), b = scan_on_cpu<double>(d, fields, 1, 0),
                  c = scan_on_cpu<double>(d, fields, 2, 0);
  EXPECT_EQ(a.min, -2.25);
  EXPECT_EQ(a.max, 1e6);
  EXPECT_EQ(b.min, -2e6);
  EXPECT_EQ(b.max, 4.5);
  EXPECT_EQ(b.nonfinite, 0);
  EXPECT_EQ(c.nonfinite, 1);
}

// After steps the scan reads the current buffer: it agrees with a scan of
// the downloaded field, on a discretised scenario (a sphere and a cylinder in a box).
TEST(FieldScan, ScansTheCurrentFieldAfterSteps) {
  const Scenario s = testing::two_tissue_scenario(2, {20, 18, 16});
  const Discretisation d = discretise(s, rasterise_tissues(s));
  const int fields = field_count(s);
  TransportTable<double> table;
  fill_transport_table(s, d, plan_time(s).max_dt, table);
  StepParameters<double> step;
  fill_step_rates(s, d, 0.0, plan_time(s).max_dt, nullptr, step);
  auto backend = make_cpu_backend<double>(2);
  backend->setup(d, fields);
  backend->set_transport_table(table);
  for (int f = 0; f < fields; ++f) {
    std::vector<double> field(d.material.size(), 0.0);
    for (std::size_t n = 0; n < field.size(); ++n) field[n] = d.material[n] ? 1.0 + f : -7.0;
    backend->upload_field(f, field);
  }
  for (int n = 0; n < 5; ++n, ++step.step) backend->step(step);
  for (int f = 0; f < fields; ++f) {
    std::vector<double> current;
    backend->download_field(f, current);
    FieldScan expected;
    for (std::size_t n = 0; n < current.size(); ++n)
      if (d.material[n] != 0) {
        expected.min = std::min(expected.min, current[n]);
        expected.max = std::max(expected.max, current[n]);
      }
    expect_identical(backend->scan_field(f), expected);
    expect_identical(scan_on_cpu<double>(d, current, 1), expected);
  }
}

}  // namespace
}  // namespace cyto
