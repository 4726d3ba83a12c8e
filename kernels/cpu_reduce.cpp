#include <algorithm>
#include <limits>

#include "cpu_kernels.hpp"

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

}  // namespace cyto
