// Everything one fused time step needs, as plain pointers so the same struct
// serves the OpenMP loops and (with device pointers) the CUDA kernel.
#pragma once

#include <cstdint>

#include "kernels/cell_model_k.hpp"
#include "kernels/diffusion_k.hpp"
#include "kernels/grid_layout.hpp"
#include "kernels/limits.hpp"

namespace cyto {

using MaterialId = std::uint16_t;  // 0 = outside the organ

// Per-material, per-field coefficients of one step of length dt, indexed
// [material * n_fields + field]. Material 0 (outside) has all zeros.
// diffusion_dt and fixed are fixed while dt is (the backend's table); the
// decay factor, source rate and gain change from step to step (plasma,
// drugs, source windows) and point into the step's parameter block.
template <class Real>
struct StepCoefficients {
  const Real* diffusion_dt = nullptr;   // D * dt (m^2)
  const Real* decay_factor = nullptr;   // exp(-lambda dt)
  const Real* source_rate = nullptr;    // effective source rate over the step (pg/mL/s)
  const Real* source_gain = nullptr;    // (1 - exp(-lambda dt)) / lambda (s)
  const std::uint8_t* fixed = nullptr;  // 1 where the field is held (Dirichlet)
};

template <class Real>
struct StepArgs {
  GridLayout layout;
  int n_fields = 0;                      // species, populations and budget amounts
  Real inv_h2[3] = {0, 0, 0};            // 1/hx^2, 1/hy^2, 1/hz^2
  const MaterialId* material = nullptr;  // per voxel, layout.size entries
  StepCoefficients<Real> coeff;
  const Real* const* in = nullptr;            // [field] -> field at t
  Real* const* out = nullptr;                 // [field] -> field at t + dt
  const Real* const* source_field = nullptr;  // optional [field] -> per-voxel rate (pg/mL/s) or nullptr
  CellModel<Real> model;                      // rules applied after transport (none: model.enabled() false)
};

// The fused step as the column-marching kernel sees it: field pointers by
// value (no pointer table to chase in device memory) and, per material,
// whether any field is held fixed there (such voxels take the general path,
// as in the CPU backend's run classification).
template <class Real>
struct ColumnStepArgs {
  GridLayout layout;
  Real inv_h2[3] = {0, 0, 0};
  const MaterialId* material = nullptr;
  const std::uint8_t* material_has_fixed = nullptr;  // per material
  StepCoefficients<Real> coeff;
  const Real* in[kMaxGpuFields] = {};
  Real* out[kMaxGpuFields] = {};
  const Real* source_field[kMaxGpuFields] = {};  // per-voxel source rate, nullptr where none
  CellModel<Real> model;
};

}  // namespace cyto
