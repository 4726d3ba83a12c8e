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
void uniform_run(const StepArgs<Real>& a, int f, std::int64_t row0, const TissueRun& run,
                 const WallVoxel* walls) {
  const MaterialTransport<Real> t =
      material_transport(a.coeff, std::int64_t(run.material) * a.n_fields + f, a.inv_h2);
  const std::int64_t py = a.layout.pitch;
  const std::int64_t pz = a.layout.plane;
  const Real* __restrict c = a.in[f] + row0;
  Real* __restrict out = a.out[f] + row0;
  const Real* __restrict field = kWithSourceField ? a.source_field[f] + row0 : nullptr;
#pragma omp simd
  for (std::int32_t i = run.i_begin; i < run.i_end; ++i)
    out[i] = uniform_voxel_update(c[i], c[i - 1], c[i + 1], c[i - py], c[i + py], c[i - pz], c[i + pz], t,
                                  kWithSourceField, kWithSourceField ? field[i] : Real(0));
  for (std::int32_t w = run.walls_begin; w < run.walls_end; ++w) {
    const std::int32_t i = walls[w].i;
    out[i] = walled_voxel_update(c[i], c[i - 1], c[i + 1], c[i - py], c[i + py], c[i - pz], c[i + pz],
                                 unsigned(walls[w].open_faces), t, kWithSourceField,
                                 kWithSourceField ? field[i] : Real(0));
  }
}

// A run of general voxels (every field, voxel by voxel), read straight from
// the padded fields: the per-face path, held fields keeping their value.
// Not inlined: general runs are few, and inlined into step_row their code
// costs the uniform runs' loop registers (a few percent on small grids).
template <class Real>
[[gnu::noinline]] void general_run(const StepArgs<Real>& a, std::int64_t row0, const TissueRun& run) {
  const int nf = a.n_fields;
  std::int64_t offset[6];
  neighbour_offsets(a.layout, offset);
  constexpr VoxelClass kGeneral{true, 0};
  for (std::int32_t i = run.i_begin; i < run.i_end; ++i) {
    const std::int64_t idx = row0 + i;
    MaterialId neighbour[6];
    neighbour_materials(a.material, idx, offset, neighbour);
    for (int f = 0; f < nf; ++f)
      voxel_update_from_memory(a.coeff, a.inv_h2, a.in, a.source_field, a.out, idx, offset, kGeneral,
                               run.material, neighbour, f, nf);
  }
}

// The cell model on every tissue voxel of row (j, k), after its transport
// update: the row's fields are still in L1.
template <class Real>
void react_row(const StepArgs<Real>& a, const TissueRuns& tissue, std::int64_t r, std::int64_t base, int j,
               int k) {
  const int nf = a.n_fields;  // every field: species, populations, budget amounts
  Real v[kMaxFields];
  for (std::int64_t q = tissue.row_begin[r]; q < tissue.row_begin[r + 1]; ++q) {
    const TissueRun& run = tissue.runs[q];
    for (std::int32_t i = run.i_begin; i < run.i_end; ++i) {
      const std::int64_t idx = base + i;
      for (int f = 0; f < nf; ++f) v[f] = a.out[f][idx];
      react_between_linear_halves(a.coeff, a.source_field, a.model, run.material,
                                  philox_voxel_key(a.model, i, j, k), idx, nf, v);
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
      for (int f = 0; f < a.n_fields; ++f) {
        if (a.source_field && a.source_field[f])
          uniform_run<Real, true>(a, f, base, run, tissue.walls.data());
        else
          uniform_run<Real, false>(a, f, base, run, tissue.walls.data());
      }
    } else {
      general_run(a, base, run);
    }
  }
  if (a.model.enabled()) react_row(a, tissue, r, base, j, k);
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
  const std::int64_t row_bytes = g.pitch * a.n_fields * std::int64_t(sizeof(Real));
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
