// The per-voxel transport update of one field (explicit diffusion, then the
// exact decay-source step; with a cell model, over the first half of the
// step, and linear_second_half after the cell model): the one recipe the
// CPU loop and both GPU paths (the column kernel's vectors and its
// per-voxel path) call, each voxel on its path: uniform, walled, general or held.
#pragma once

#include "kernels/diffusion_k.hpp"
#include "kernels/reaction_k.hpp"
#include "kernels/readonly_load_k.hpp"
#include "kernels/step_params.hpp"

namespace cyto {

// How a voxel of material m is updated, from its six neighbours' materials
// (OpenFace order). Uniform/walled: every neighbour is m or outside and no
// field is held in m; the open bits say which faces carry flux. Anything
// else takes the per-face general path (where a held field keeps its value).
// The one rule both backends follow (the CPU's tissue runs and the GPU's
// surface path), so they agree bitwise.
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

// Storage offsets of a voxel's six neighbours in OpenFace order (west,
// east, south, north, below, above).
CYTO_HD void neighbour_offsets(const GridLayout& g, std::int64_t (&offset)[6]) {
  offset[0] = -1;
  offset[1] = 1;
  offset[2] = -g.pitch;
  offset[3] = g.pitch;
  offset[4] = -g.plane;
  offset[5] = g.plane;
}

CYTO_HD void neighbour_materials(const MaterialId* material, std::int64_t idx,
                                 const std::int64_t (&offset)[6], MaterialId (&neighbour)[6]) {
  for (int f = 0; f < 6; ++f) neighbour[f] = load_readonly(material + idx + offset[f]);
}

// One field's coefficients in one material for this step, as the uniform
// and walled paths use them: k = D dt / h^2 per axis, and the exact
// decay-source step's factor, rate and gain.
template <class Real>
struct MaterialTransport {
  Real kx, ky, kz;
  Real decay_factor, source_rate, source_gain;
};

// Entry ms = material * n_fields + field of the coefficients.
template <class Real>
CYTO_HD MaterialTransport<Real> material_transport(const StepCoefficients<Real>& coeff, std::int64_t ms,
                                                   const Real (&inv_h2)[3]) {
  const Real d_dt = load_readonly(coeff.diffusion_dt + ms);
  const Real decay_factor = load_readonly(coeff.decay_factor + ms);
  const Real source_rate = load_readonly(coeff.source_rate + ms);
  const Real source_gain = load_readonly(coeff.source_gain + ms);
  return {d_dt * inv_h2[0], d_dt * inv_h2[1], d_dt * inv_h2[2], decay_factor, source_rate, source_gain};
}

// The voxel's source rate: its material's, plus the per-voxel source
// field's where the field has one. (The uniform and walled updates add it
// after the diffusion: computed earlier, it would stay live through the
// stencil and cost the GPU's vector path registers.)
template <class Real>
CYTO_HD Real voxel_source_rate(const MaterialTransport<Real>& t, bool has_source_field,
                               Real source_field_rate) {
  return has_source_field ? t.source_rate + source_field_rate : t.source_rate;
}

// Uniform voxel: its six neighbours are its material.
template <class Real>
CYTO_HD Real uniform_voxel_update(Real c, Real west, Real east, Real south, Real north, Real below,
                                  Real above, const MaterialTransport<Real>& t, bool has_source_field,
                                  Real source_field_rate) {
  const Real diffused = uniform_diffusion_update(c, west, east, south, north, below, above, t.kx, t.ky, t.kz);
  return decay_source_update(diffused, t.decay_factor,
                             voxel_source_rate(t, has_source_field, source_field_rate), t.source_gain);
}

// Walled voxel: neighbours of its material or outside; flux only through
// the open faces (OpenFace bits).
template <class Real>
CYTO_HD Real walled_voxel_update(Real c, Real west, Real east, Real south, Real north, Real below, Real above,
                                 unsigned open_faces, const MaterialTransport<Real>& t, bool has_source_field,
                                 Real source_field_rate) {
  const Real diffused =
      walled_diffusion_update(c, west, east, south, north, below, above, t.kx, t.ky, t.kz, open_faces);
  return decay_source_update(diffused, t.decay_factor,
                             voxel_source_rate(t, has_source_field, source_field_rate), t.source_gain);
}

// General voxel from its six neighbours (OpenFace order): per-face
// harmonic-mean diffusivities, where an outside neighbour has D = 0 and so
// contributes no flux. The faces are summed axis by axis, low side first,
// in this fixed order on every backend.
template <class Real>
CYTO_HD Real general_voxel_update(Real c0, Real d_dt, const Real (&c_nb)[6], const Real (&d_dt_nb)[6],
                                  const Real (&inv_h2)[3], Real decay_factor, Real source_rate,
                                  Real source_gain) {
  Real change = Real(0);
  for (int axis = 0; axis < 3; ++axis) {
    change += face_exchange(d_dt, d_dt_nb[2 * axis], inv_h2[axis], c0, c_nb[2 * axis]);
    change += face_exchange(d_dt, d_dt_nb[2 * axis + 1], inv_h2[axis], c0, c_nb[2 * axis + 1]);
  }
  return decay_source_update(c0 + change, decay_factor, source_rate, source_gain);
}

// Field `field` of one voxel (storage index idx, material m) read straight
// from the padded fields in[], into out[]: held where the path is general
// and the field is fixed in m (Dirichlet: the value stays), else general,
// uniform or walled. source_fields (may be nullptr, as may its entries):
// per-voxel source rates. The field pointers are looked up where they are
// used and each branch stores its own result: both keep the GPU kernel's
// registers and spills as they were before this function was shared.
template <class Real>
CYTO_HD void voxel_update_from_memory(const StepCoefficients<Real>& coeff, const Real (&inv_h2)[3],
                                      const Real* const* in, const Real* const* source_fields,
                                      Real* const* out, std::int64_t idx, const std::int64_t (&offset)[6],
                                      VoxelClass path, MaterialId m, const MaterialId (&neighbour)[6],
                                      int field, int n_fields) {
  const std::int64_t ms = std::int64_t(m) * n_fields + field;
  const Real* c = in[field];
  const Real c0 = load_readonly(c + idx);
  if (path.general && coeff.fixed[ms]) {
    out[field][idx] = c0;
    return;
  }
  Real c_nb[6];
  for (int f = 0; f < 6; ++f) c_nb[f] = load_readonly(c + idx + offset[f]);
  const Real d_dt = load_readonly(coeff.diffusion_dt + ms);
  const Real decay = load_readonly(coeff.decay_factor + ms);
  const Real gain = load_readonly(coeff.source_gain + ms);
  Real rate = load_readonly(coeff.source_rate + ms);
  if (source_fields && source_fields[field]) rate += load_readonly(source_fields[field] + idx);
  if (path.general) {
    Real d_nb[6];
    for (int f = 0; f < 6; ++f)
      d_nb[f] = load_readonly(coeff.diffusion_dt + std::int64_t(neighbour[f]) * n_fields + field);
    out[field][idx] = general_voxel_update(c0, d_dt, c_nb, d_nb, inv_h2, decay, rate, gain);
  } else {
    // rate already holds the voxel's source field.
    const MaterialTransport<Real> t{d_dt * inv_h2[0], d_dt * inv_h2[1], d_dt * inv_h2[2], decay, rate, gain};
    out[field][idx] = path.open == kAllFacesOpen
                          ? uniform_voxel_update(c0, c_nb[0], c_nb[1], c_nb[2], c_nb[3], c_nb[4], c_nb[5], t,
                                                 false, Real(0))
                          : walled_voxel_update(c0, c_nb[0], c_nb[1], c_nb[2], c_nb[3], c_nb[4], c_nb[5],
                                                unsigned(path.open), t, false, Real(0));
  }
}

// Strang splitting of the pointwise terms around the cell model: with a
// cell model the transport update applied the linear terms (decay, sources,
// plasma exchange, neutralisation) over the first half of the step (the
// step's coefficients are those of dt / 2), and this applies the second
// half to the voxel's fields v (material `material`, storage index idx).
// Held fields keep their value.
template <class Real>
CYTO_HD void linear_second_half(const StepCoefficients<Real>& coeff, const Real* const* source_fields,
                                std::int64_t idx, int material, int n_fields, Real* v) {
  for (int f = 0; f < n_fields; ++f) {
    const std::int64_t ms = std::int64_t(material) * n_fields + f;
    if (coeff.fixed[ms]) continue;
    Real rate = load_readonly(coeff.source_rate + ms);
    if (source_fields && source_fields[f]) rate += load_readonly(source_fields[f] + idx);
    v[f] = decay_source_update(v[f], load_readonly(coeff.decay_factor + ms), rate,
                               load_readonly(coeff.source_gain + ms));
  }
}

// The cell model of one voxel and the second half of its linear terms.
// Where the smooth rules are not stiff, the half comes after the cell model
// (half, cell model, half: Strang splitting, second order). Where they are
// stiff (the exponential step), it comes before (Lie splitting with the
// stiff part last): a stiff field then ends the step at the quasi-steady
// state of the levels the step ends with, instead of those of its midpoint,
// which at k dt >> 1 would cost far more accuracy than the order gains.
template <class Real>
CYTO_HD void react_between_linear_halves(const StepCoefficients<Real>& coeff,
                                         const Real* const* source_fields, const CellModel<Real>& m,
                                         int material, std::uint64_t key, std::int64_t idx, int n_fields,
                                         Real* v) {
  const std::uint8_t* active = m.active + std::int64_t(material) * (m.n_smooth + m.n_deaths);
  const bool stiff = smooth_loss_rate_bound(m, active, v) * double(m.dt) > kStiffStepBound;
  if (stiff) linear_second_half(coeff, source_fields, idx, material, n_fields, v);
  react_voxel(m, material, key, v);
  if (!stiff) linear_second_half(coeff, source_fields, idx, material, n_fields, v);
}

}  // namespace cyto
