// The whole per-voxel update of one species (Lie splitting: explicit
// diffusion, then the exact decay-source step), shared by every backend.
#pragma once

#include "diffusion_k.hpp"
#include "reaction_k.hpp"
#include "step_params.hpp"

namespace cyto {

// General voxel: per-face harmonic-mean diffusivities (outside neighbours have
// D = 0 and so contribute no flux), Dirichlet voxels held fixed.
template <class Real>
CYTO_HD Real general_voxel_update(const StepArgs<Real>& a, int s, std::int64_t idx, MaterialId m) {
  const int ns = a.n_species;
  const std::int64_t ms = std::int64_t(m) * ns + s;
  const Real* c = a.in[s];
  const Real c0 = c[idx];
  if (a.coeff.fixed[ms]) return c0;

  const Real d0 = a.coeff.diffusion_dt[ms];
  const std::int64_t stride[3] = {1, a.layout.pitch, a.layout.plane};
  Real change = Real(0);
  for (int axis = 0; axis < 3; ++axis) {
    const std::int64_t lo = idx - stride[axis];
    const std::int64_t hi = idx + stride[axis];
    const Real d_lo = a.coeff.diffusion_dt[std::int64_t(a.material[lo]) * ns + s];
    const Real d_hi = a.coeff.diffusion_dt[std::int64_t(a.material[hi]) * ns + s];
    change += face_exchange(d0, d_lo, a.inv_h2[axis], c0, c[lo]);
    change += face_exchange(d0, d_hi, a.inv_h2[axis], c0, c[hi]);
  }
  Real rate = a.coeff.source_rate[ms];
  if (a.source_field && a.source_field[s]) rate += a.source_field[s][idx];
  return decay_source_update(c0 + change, a.coeff.decay_factor[ms], rate, a.coeff.source_gain[ms]);
}

}  // namespace cyto
