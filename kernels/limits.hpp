// Compile-time capacities of the kernels (docs/reference/limits.md):
// a voxel's values live in registers or fixed arrays, so their counts are
// bounded when the kernels are built. The scenario's own limits must fit
// within these.
#pragma once

namespace cyto {

// Species of a scenario: the capacity of the cell model's per-species
// arrays (death-rule signal, priming and burst weights; secretion and uptake
// sums of one voxel).
inline constexpr int kMaxSpecies = 16;
// Fields the GPU kernel is compiled for: one variant for each count of
// fields (species + populations + budget amounts) from 1 to this. It also
// bounds the species and populations of one voxel's cell-model state.
inline constexpr int kMaxGpuFields = 16;
// Fields of a voxel on the CPU: species and populations (at most
// kMaxGpuFields together) and, with output.budget, three cumulative amounts
// per species.
inline constexpr int kMaxFields = 4 * kMaxGpuFields;
// Rules of the cell model (secretion, uptake, decay, growth, recruitment, death).
inline constexpr int kMaxRules = 32;
// Hill factors (activators + inhibitors) of one rule.
inline constexpr int kMaxHillTerms = 4;

}  // namespace cyto
