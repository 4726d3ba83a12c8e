// Pointwise diffusion physics: cell-centred finite volumes, 7-point stencil.
#pragma once

#include <cstdint>

#include "kernels/qualifiers.hpp"

namespace cyto {

// Bits of a wall voxel's open-face mask: a set bit means the neighbour
// across that face is the same material (flux flows); clear means outside.
enum OpenFace : std::uint8_t {
  kOpenWest = 1,
  kOpenEast = 2,
  kOpenSouth = 4,
  kOpenNorth = 8,
  kOpenBelow = 16,
  kOpenAbove = 32
};
inline constexpr std::uint8_t kAllFacesOpen = 63;

// Diffusivity on the face between two voxels: the harmonic mean, which makes
// the flux continuous across a jump in D and is zero when either side is
// impermeable (outside the organ has D = 0, giving no flux). Symmetric in its
// arguments bitwise, so the flux leaving one voxel is exactly the flux
// entering its neighbour and the scheme conserves mass exactly.
template <class Real>
CYTO_HD Real harmonic_face_diffusivity(Real d_self, Real d_neighbour) {
  if (d_self == d_neighbour) return d_self;  // exact in the uniform interior
  const Real sum = d_self + d_neighbour;
  return sum > Real(0) ? Real(2) * d_self * d_neighbour / sum : Real(0);
}

// Change of c over one explicit step due to the flux through one face:
// (D_face dt / h^2) (c_neighbour - c_self), with d_dt = D dt.
// Walled voxel: like uniform_diffusion_update, with each face's flux
// multiplied by 1 (open: the same material) or 0 (closed: outside).
template <class Real>
CYTO_HD Real walled_diffusion_update(Real c, Real west, Real east, Real south, Real north, Real below,
                                     Real above, Real kx, Real ky, Real kz, unsigned open_faces) {
  const auto open = [open_faces](unsigned bit) { return (open_faces & bit) ? Real(1) : Real(0); };
  return c + kx * (open(kOpenWest) * (west - c) + open(kOpenEast) * (east - c)) +
         ky * (open(kOpenSouth) * (south - c) + open(kOpenNorth) * (north - c)) +
         kz * (open(kOpenBelow) * (below - c) + open(kOpenAbove) * (above - c));
}

template <class Real>
CYTO_HD Real face_exchange(Real d_dt_self, Real d_dt_neighbour, Real inv_h2, Real c_self, Real c_neighbour) {
  return harmonic_face_diffusivity(d_dt_self, d_dt_neighbour) * inv_h2 * (c_neighbour - c_self);
}

// Uniform-coefficient update used where a voxel and its six neighbours share
// one material: the same sum as six face_exchange calls with equal D, grouped
// per axis (k = D dt / h^2 per axis).
template <class Real>
CYTO_HD Real uniform_diffusion_update(Real c, Real west, Real east, Real south, Real north, Real below,
                                      Real above, Real kx, Real ky, Real kz) {
  return c + kx * ((west - c) + (east - c)) + ky * ((south - c) + (north - c)) +
         kz * ((below - c) + (above - c));
}

}  // namespace cyto
