#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/cpu/cpu_kernels.hpp"

namespace cyto {

template <class Real>
void cpu_region_sum_max(const GridLayout& g, const MaterialId* material,
                        const std::vector<int>& region_of_material, int n_regions, const Real* field,
                        int threads, std::vector<double>& sums, std::vector<double>& maxima) {
  const double lowest = -std::numeric_limits<double>::infinity();
  std::vector<double> plane_sum(std::size_t(g.nz) * n_regions, 0.0);
  std::vector<double> plane_max(std::size_t(g.nz) * n_regions, lowest);
#pragma omp parallel for schedule(static) num_threads(threads)
  for (int k = 0; k < g.nz; ++k) {
    double* psum = &plane_sum[std::size_t(k) * n_regions];
    double* pmax = &plane_max[std::size_t(k) * n_regions];
    for (int j = 0; j < g.ny; ++j) {
      const std::int64_t base = g.index(0, j, k);
      for (int i = 0; i < g.nx; ++i) {
        const int region = region_of_material[material[base + i]];
        if (region < 0) continue;
        const double v = double(field[base + i]);
        psum[region] += v;
        if (v > pmax[region] || v != v) pmax[region] = v;  // a NaN sticks (std::max would drop it)
      }
    }
  }
  sums.assign(n_regions, 0.0);
  maxima.assign(n_regions, lowest);
  for (int k = 0; k < g.nz; ++k)
    for (int r = 0; r < n_regions; ++r) {
      sums[r] += plane_sum[std::size_t(k) * n_regions + r];
      const double v = plane_max[std::size_t(k) * n_regions + r];
      if (v > maxima[r] || v != v) maxima[r] = v;
    }
}

template void cpu_region_sum_max<float>(const GridLayout&, const MaterialId*, const std::vector<int>&, int,
                                        const float*, int, std::vector<double>&, std::vector<double>&);
template void cpu_region_sum_max<double>(const GridLayout&, const MaterialId*, const std::vector<int>&, int,
                                         const double*, int, std::vector<double>&, std::vector<double>&);

template <class Real>
void cpu_region_tile_sums(const GridLayout& g, const MaterialId* material,
                          const std::vector<int>& region_of_material, int n_regions, const Real* field,
                          int tile, int threads, std::vector<double>& tile_sums,
                          std::vector<double>& maxima) {
  const int tx = (g.nx + tile - 1) / tile, ty = (g.ny + tile - 1) / tile, tz = (g.nz + tile - 1) / tile;
  const std::int64_t tiles = std::int64_t(tx) * ty * tz;
  const double lowest = -std::numeric_limits<double>::infinity();
  tile_sums.assign(std::size_t(tiles) * n_regions, 0.0);
  std::vector<double> tile_max(std::size_t(tiles) * n_regions, lowest);
#pragma omp parallel for schedule(static) num_threads(threads)
  for (std::int64_t t = 0; t < tiles; ++t) {
    const int i0 = int(t % tx) * tile, j0 = int((t / tx) % ty) * tile,
              k0 = int(t / (std::int64_t(tx) * ty)) * tile;
    double* sum = &tile_sums[std::size_t(t) * n_regions];
    double* max = &tile_max[std::size_t(t) * n_regions];
    for (int k = k0; k < std::min(k0 + tile, g.nz); ++k)
      for (int j = j0; j < std::min(j0 + tile, g.ny); ++j) {
        const std::int64_t base = g.index(0, j, k);
        for (int i = i0; i < std::min(i0 + tile, g.nx); ++i) {
          const int region = region_of_material[material[base + i]];
          if (region < 0) continue;
          const double v = double(field[base + i]);
          sum[region] += v;
          if (v > max[region] || v != v) max[region] = v;
        }
      }
  }
  maxima.assign(n_regions, lowest);
  for (std::int64_t t = 0; t < tiles; ++t)
    for (int r = 0; r < n_regions; ++r) {
      const double v = tile_max[std::size_t(t) * n_regions + r];
      if (maxima[r] == maxima[r] && (v > maxima[r] || v != v)) maxima[r] = v;
    }
  for (double& m : maxima)
    if (m == 0) m = 0.0;  // -0 as +0: which zero came first depends on the visiting order
}

template void cpu_region_tile_sums<float>(const GridLayout&, const MaterialId*, const std::vector<int>&, int,
                                          const float*, int, int, std::vector<double>&, std::vector<double>&);
template void cpu_region_tile_sums<double>(const GridLayout&, const MaterialId*, const std::vector<int>&, int,
                                           const double*, int, int, std::vector<double>&,
                                           std::vector<double>&);

template <class Real>
void cpu_field_scan(const GridLayout& g, const MaterialId* material, const Real* field, int threads,
                    double& min, double& max, std::int64_t& nonfinite) {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  std::int64_t bad = 0;
#pragma omp parallel for schedule(static) num_threads(threads) reduction(min : lo) reduction(max : hi) \
    reduction(+ : bad)
  for (int k = 0; k < g.nz; ++k)
    for (int j = 0; j < g.ny; ++j) {
      const std::int64_t base = g.index(0, j, k);
      for (int i = 0; i < g.nx; ++i) {
        if (material[base + i] == 0) continue;
        const double x = double(field[base + i]);
        if (!std::isfinite(x)) {
          ++bad;
          continue;
        }
        const double v = x == 0 ? 0.0 : x;  // -0 as +0: the extremes then do not depend on the order
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
    }
  min = lo;
  max = hi;
  nonfinite = bad;
}

template void cpu_field_scan<float>(const GridLayout&, const MaterialId*, const float*, int, double&, double&,
                                    std::int64_t&);
template void cpu_field_scan<double>(const GridLayout&, const MaterialId*, const double*, int, double&,
                                     double&, std::int64_t&);

template <class Real>
ProbeLargest cpu_probe_largest(const GridLayout& g, const MaterialId* material, const Real* one,
                               const Real* two, int threads) {
  double largest = 0;
  long long nan = 0;
#pragma omp parallel for schedule(static) num_threads(threads) reduction(max : largest) reduction(+ : nan)
  for (int k = 0; k < g.nz; ++k)
    for (int j = 0; j < g.ny; ++j) {
      const std::int64_t base = g.index(0, j, k);
      for (int i = 0; i < g.nx; ++i) {
        if (material[base + i] == 0) continue;
        const ProbeLargest term = probe_largest_term(one[base + i], two[base + i]);
        largest = std::max(largest, term.largest);
        nan += term.nan;
      }
    }
  return {largest, nan};
}

template <class Real>
ProbeSums cpu_probe_sums(const GridLayout& g, const MaterialId* material, const Real* one, const Real* two,
                         double to_fixed, int threads) {
  long long difference = 0, size = 0;
#pragma omp parallel for schedule(static) num_threads(threads) reduction(+ : difference, size)
  for (int k = 0; k < g.nz; ++k)
    for (int j = 0; j < g.ny; ++j) {
      const std::int64_t base = g.index(0, j, k);
      for (int i = 0; i < g.nx; ++i) {
        if (material[base + i] == 0) continue;
        const ProbeSums term = probe_sum_terms(one[base + i], two[base + i], to_fixed);
        difference += term.difference;
        size += term.size;
      }
    }
  return {difference, size};
}

template ProbeLargest cpu_probe_largest<float>(const GridLayout&, const MaterialId*, const float*,
                                               const float*, int);
template ProbeLargest cpu_probe_largest<double>(const GridLayout&, const MaterialId*, const double*,
                                                const double*, int);
template ProbeSums cpu_probe_sums<float>(const GridLayout&, const MaterialId*, const float*, const float*,
                                         double, int);
template ProbeSums cpu_probe_sums<double>(const GridLayout&, const MaterialId*, const double*, const double*,
                                          double, int);

template <class Real>
void cpu_copy_field(Real* dst, const Real* src, std::int64_t n, int threads) {
#pragma omp parallel for schedule(static) num_threads(threads)
  for (std::int64_t i = 0; i < n; ++i) dst[i] = src[i];
}

template void cpu_copy_field<float>(float*, const float*, std::int64_t, int);
template void cpu_copy_field<double>(double*, const double*, std::int64_t, int);

}  // namespace cyto
