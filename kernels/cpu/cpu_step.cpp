#include <omp.h>

#include <algorithm>

#include "kernels/cpu/cpu_kernels.hpp"
#include "kernels/voxel_update_k.hpp"

namespace cyto {
namespace {

// The hot loop: a run of one material. Contiguous along x, so it
// vectorises; the rows j +- 1 and planes k +- 1 it reads were touched by the
// previous rows and planes and come from cache. Wall voxels (next to the
// outside) get the uniform formula first, then are recomputed with their
// closed faces masked: cheaper than splitting the run into short pieces.
template <class Real, bool kWithSourceField>
void uniform_run(const StepArgs<Real>& a, int s, std::int64_t row0, const TissueRun& run,
                 const WallVoxel* walls) {
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
    const Real diffused = uniform_diffusion_update(c[i], c[i - 1], c[i + 1], c[i - py], c[i + py], c[i - pz],
                                                   c[i + pz], kx, ky, kz);
    const Real voxel_rate = kWithSourceField ? rate + field[i] : rate;
    out[i] = decay_source_update(diffused, decay, voxel_rate, gain);
  }
  for (std::int32_t w = run.walls_begin; w < run.walls_end; ++w) {
    const std::int32_t i = walls[w].i;
    const Real diffused = walled_diffusion_update(c[i], c[i - 1], c[i + 1], c[i - py], c[i + py], c[i - pz],
                                                  c[i + pz], kx, ky, kz, unsigned(walls[w].open_faces));
    const Real voxel_rate = kWithSourceField ? rate + field[i] : rate;
    out[i] = decay_source_update(diffused, decay, voxel_rate, gain);
  }
}

// The cell model on every tissue voxel of a row, after its transport
// update: the row's fields are still in L1.
template <class Real>
void react_row(const StepArgs<Real>& a, const TissueRuns& tissue, std::int64_t r, std::int64_t base,
               std::uint64_t first_voxel) {
  const int nf = a.n_species;  // every field: species, populations, budget amounts
  Real v[kMaxFields];
  for (std::int64_t q = tissue.row_begin[r]; q < tissue.row_begin[r + 1]; ++q) {
    const TissueRun& run = tissue.runs[q];
    for (std::int32_t i = run.i_begin; i < run.i_end; ++i) {
      const std::int64_t idx = base + i;
      for (int f = 0; f < nf; ++f) v[f] = a.out[f][idx];
      react_voxel(a.model, run.material, first_voxel + std::uint64_t(i), v);
      const std::uint8_t* fixed = a.coeff.fixed + std::int64_t(run.material) * nf;
      for (int f = 0; f < nf; ++f)
        if (!fixed[f]) a.out[f][idx] = v[f];  // held (Dirichlet) values stay
    }
  }
}

template <class Real>
void step_row(const StepArgs<Real>& a, const TissueRuns& tissue, int j, int k) {
  const std::int64_t r = j + std::int64_t(a.layout.ny) * k;
  const std::int64_t base = a.layout.index(0, j, k);  // storage index of interior voxel (0, j, k)
  for (std::int64_t q = tissue.row_begin[r]; q < tissue.row_begin[r + 1]; ++q) {
    const TissueRun& run = tissue.runs[q];
    if (run.kind == TissueRun::kUniform) {
      for (int s = 0; s < a.n_species; ++s) {
        if (a.source_field && a.source_field[s])
          uniform_run<Real, true>(a, s, base, run, tissue.walls.data());
        else
          uniform_run<Real, false>(a, s, base, run, tissue.walls.data());
      }
    } else {
      for (std::int32_t i = run.i_begin; i < run.i_end; ++i) {
        const std::int64_t idx = base + i;
        for (int s = 0; s < a.n_species; ++s) a.out[s][idx] = general_voxel_update(a, s, idx, run.material);
      }
    }
  }
  if (a.model.enabled()) {
    const CellModel<Real>& m = a.model;  // the row's first voxel in the global grid (MPI blocks)
    const std::int64_t first =
        m.origin[0] + std::int64_t(m.nx) * ((j + m.origin[1]) + std::int64_t(m.ny) * (k + m.origin[2]));
    react_row(a, tissue, r, base, std::uint64_t(first));
  }
}

// The first plane of thread t's slab: planes split at equal shares of tissue voxels.
int slab_begin(const TissueRuns& tissue, int nz, int t, int threads) {
  const std::int64_t target = tissue.voxels_before_plane[nz] * t / threads;
  const auto it =
      std::lower_bound(tissue.voxels_before_plane.begin(), tissue.voxels_before_plane.end(), target);
  return int(it - tissue.voxels_before_plane.begin());
}

}  // namespace

template <class Real>
void cpu_fused_step(const StepArgs<Real>& a, const TissueRuns& tissue, int threads) {
  const GridLayout& g = a.layout;
  constexpr std::int64_t kBandBytes = 1 << 20;  // half of a 2 MiB L2: three planes of a band of rows
  const std::int64_t row_bytes = g.pitch * a.n_species * std::int64_t(sizeof(Real));
  const int band = int(std::clamp<std::int64_t>(kBandBytes / (3 * row_bytes), 1, g.ny));
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num(), n = omp_get_num_threads();
    const int k_begin = t == 0 ? 0 : slab_begin(tissue, g.nz, t, n);
    const int k_end = t + 1 == n ? g.nz : slab_begin(tissue, g.nz, t + 1, n);
    for (int j0 = 0; j0 < g.ny; j0 += band)
      for (int k = k_begin; k < k_end; ++k)
        for (int j = j0; j < std::min(j0 + band, g.ny); ++j) step_row(a, tissue, j, k);
  }
}

template void cpu_fused_step<float>(const StepArgs<float>&, const TissueRuns&, int);
template void cpu_fused_step<double>(const StepArgs<double>&, const TissueRuns&, int);

}  // namespace cyto
