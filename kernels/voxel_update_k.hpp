// The whole per-voxel update of one species (Lie splitting: explicit
// diffusion, then the exact decay-source step), shared by every backend.
#pragma once

#include "kernels/diffusion_k.hpp"
#include "kernels/reaction_k.hpp"
#include "kernels/step_params.hpp"

namespace cyto {

// How a voxel of material m is updated, from its six neighbours' materials
// (OpenFace order). Uniform/walled: every neighbour is m or outside and no
// species is held in m; the open bits say which faces carry flux. Anything
// else takes the per-face general path. The one rule both backends follow
// (the CPU's tissue runs and the GPU's surface path), so they agree bitwise.
struct VoxelClass {
  bool general;
  std::uint8_t open;  // OpenFace bits: neighbour of the same material
};

CYTO_HD VoxelClass classify_voxel(MaterialId m, const MaterialId (&neighbour)[6], bool material_has_fixed) {
  VoxelClass c{material_has_fixed, 0};
  for (int f = 0; f < 6; ++f) {
    if (neighbour[f] == m)
      c.open |= std::uint8_t(1u << f);
    else if (neighbour[f] != 0)
      c.general = true;
  }
  return c;
}

// General voxel from its six neighbours (west, east, south, north, below,
// above: the OpenFace order): per-face harmonic-mean diffusivities, where an
// outside neighbour has D = 0 and so contributes no flux. The faces are
// summed axis by axis, low side first, in this fixed order on every backend.
template <class Real>
CYTO_HD Real general_update_from_neighbours(Real c0, Real d_dt, const Real (&c_nb)[6],
                                            const Real (&d_dt_nb)[6], const Real (&inv_h2)[3],
                                            Real decay_factor, Real source_rate, Real source_gain) {
  Real change = Real(0);
  for (int axis = 0; axis < 3; ++axis) {
    change += face_exchange(d_dt, d_dt_nb[2 * axis], inv_h2[axis], c0, c_nb[2 * axis]);
    change += face_exchange(d_dt, d_dt_nb[2 * axis + 1], inv_h2[axis], c0, c_nb[2 * axis + 1]);
  }
  return decay_source_update(c0 + change, decay_factor, source_rate, source_gain);
}

// General voxel read straight from the padded fields (CPU backend);
// Dirichlet voxels held fixed.
template <class Real>
CYTO_HD Real general_voxel_update(const StepArgs<Real>& a, int s, std::int64_t idx, MaterialId m) {
  const int ns = a.n_species;
  const std::int64_t ms = std::int64_t(m) * ns + s;
  const Real* c = a.in[s];
  const Real c0 = c[idx];
  if (a.coeff.fixed[ms]) return c0;

  const std::int64_t stride[3] = {1, a.layout.pitch, a.layout.plane};
  Real c_nb[6], d_nb[6];
  for (int axis = 0; axis < 3; ++axis)
    for (int side = 0; side < 2; ++side) {
      const std::int64_t nb = side == 0 ? idx - stride[axis] : idx + stride[axis];
      c_nb[2 * axis + side] = c[nb];
      d_nb[2 * axis + side] = a.coeff.diffusion_dt[std::int64_t(a.material[nb]) * ns + s];
    }
  Real rate = a.coeff.source_rate[ms];
  if (a.source_field && a.source_field[s]) rate += a.source_field[s][idx];
  return general_update_from_neighbours(c0, a.coeff.diffusion_dt[ms], c_nb, d_nb, a.inv_h2,
                                        a.coeff.decay_factor[ms], rate, a.coeff.source_gain[ms]);
}

}  // namespace cyto
