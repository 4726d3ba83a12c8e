// The largest scenario the schema accepts (configs/SCHEMA.md "Limits"),
// checked by the reader with these messages:
//   "expected at most 255 tissues", "a label from 1 to 255",
//   "expected at most 16 species", "at most 16 species and populations together",
//   "expected at most 32 rules", "at most 4 Hill terms ... per rule".
// They are the scenario's own numbers: the kernels' compiled capacities
// (kernels/limits.hpp) must cover them, which host/model/kernel_capacity.cpp
// asserts at compile time.
#pragma once

namespace cyto {
namespace scenario_limits {

// Tissues, and the largest tissue label: labels are bytes, 0 is "outside".
inline constexpr int kMaxTissues = 255;
// Species (diffusing fields).
inline constexpr int kMaxSpecies = 16;
// Species and cell populations together: the fields every voxel carries.
inline constexpr int kMaxSpeciesAndPopulations = 16;
// Rules of the cell model.
inline constexpr int kMaxRules = 32;
// Hill factors (activators and inhibitors together) of one rule.
inline constexpr int kMaxHillTerms = 4;

}  // namespace scenario_limits
}  // namespace cyto
