#include <omp.h>

#include "cpu_kernels.hpp"
#include "voxel_update_k.hpp"

namespace cyto {
namespace {

// The hot loop: a run of voxels whose whole stencil lies in one material.
// Contiguous along x, so it vectorises; the rows j +- 1 and planes k +- 1 it
// reads were touched by the previous rows and planes and come from cache.
template <class Real, bool kWithSourceField>
void uniform_run(const StepArgs<Real>& a, int s, std::int64_t row0, const TissueRun& run) {
  const std::int64_t ms = std::int64_t(run.material) * a.n_species + s;
  const Real d_dt = a.coeff.diffusion_dt[ms];
  const Real kx = d_dt * a.inv_h2[0];
  const Real ky = d_dt * a.inv_h2[1];
  const Real kz = d_dt * a.inv_h2[2];
  const Real decay = a.coeff.decay_factor[ms];
  const Real rate = a.coeff.source_rate[ms];
  const Real gain = a.coeff.source_gain[ms];
  const std::int64_t py = a.layout.pitch;
  const std::int64_t pz = a.layout.plane;
  const Real* __restrict c = a.in[s] + row0;
  Real* __restrict out = a.out[s] + row0;
  const Real* __restrict field = kWithSourceField ? a.source_field[s] + row0 : nullptr;
#pragma omp simd
  for (std::int32_t i = run.i_begin; i < run.i_end; ++i) {
    const Real diffused = uniform_diffusion_update(c[i], c[i - 1], c[i + 1], c[i - py], c[i + py],
                                                   c[i - pz], c[i + pz], kx, ky, kz);
    const Real voxel_rate = kWithSourceField ? rate + field[i] : rate;
    out[i] = decay_source_update(diffused, decay, voxel_rate, gain);
  }
}

}  // namespace

template <class Real>
void cpu_fused_step(const StepArgs<Real>& a, const TissueRuns& tissue, int threads) {
  const GridLayout& g = a.layout;
  const std::int64_t n_rows = g.rows();
#pragma omp parallel for schedule(static) num_threads(threads)
  for (std::int64_t r = 0; r < n_rows; ++r) {
    const int j = int(r % g.ny);
    const int k = int(r / g.ny);
    const std::int64_t base = g.index(0, j, k);  // storage index of interior voxel (0, j, k)
    for (std::int64_t q = tissue.row_begin[r]; q < tissue.row_begin[r + 1]; ++q) {
      const TissueRun& run = tissue.runs[q];
      if (run.kind == TissueRun::kUniform) {
        for (int s = 0; s < a.n_species; ++s) {
          if (a.source_field && a.source_field[s])
            uniform_run<Real, true>(a, s, base, run);
          else
            uniform_run<Real, false>(a, s, base, run);
        }
      } else {
        for (std::int32_t i = run.i_begin; i < run.i_end; ++i) {
          const std::int64_t idx = base + i;
          for (int s = 0; s < a.n_species; ++s)
            a.out[s][idx] = general_voxel_update(a, s, idx, run.material);
        }
      }
    }
  }
}

template void cpu_fused_step<float>(const StepArgs<float>&, const TissueRuns&, int);
template void cpu_fused_step<double>(const StepArgs<double>&, const TissueRuns&, int);

}  // namespace cyto
