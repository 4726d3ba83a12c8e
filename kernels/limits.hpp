// Documented maxima of a scenario (README "Limits", configs/SCHEMA.md), fixed
// at compile time because the kernels keep a voxel's values in registers.
#pragma once

namespace cyto {

// Fields per scenario: species + cell populations (+ budget fields where
// output.budget is on). The GPU kernel is compiled for each count up to this.
inline constexpr int kMaxSpecies = 16;
// Fields of a voxel: species and populations (at most kMaxSpecies together)
// and, with output.budget, three cumulative amounts per species.
inline constexpr int kMaxFields = 4 * kMaxSpecies;
// Rules of the cell model (secretion, uptake, decay, growth, recruitment, death).
inline constexpr int kMaxRules = 32;
// Hill factors (activators + inhibitors) of one rule.
inline constexpr int kMaxHillTerms = 4;

}  // namespace cyto
