// Whether the grid resolves the pyroptotic fronts a scenario's death rules
// can make. A threshold front's leading edge is the signal's diffusion
// length L = sqrt(D / loss): ahead of the front the signal falls as
// exp(-x / L). Voxels wider than a fraction of L make fronts run slow, and
// voxels wider than about L pin them (docs/numerics/method.md, "Fronts").
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "host/geometry/geometry.hpp"
#include "host/scenario/scenario.hpp"

namespace cyto {

enum class FrontVerdict {
  Resolved,       // voxel <= L / 4: front speed within about 5%
  UnderResolved,  // fronts move, slower than converged
  Pinned,         // voxel >= about L: fronts stall on the grid
  NoFront,        // the signal does not diffuse, or a single voxel: no front can travel
};

// The front scale of one death rule, at the tissue and signal species where
// it is narrowest.
struct FrontResolution {
  int rule = 0;                       // index into Scenario::rules
  int species = -1;                   // the signal species that sets L
  int tissue = -1;                    // where L is smallest among the tissues the rule acts in
  double diffusion = 0;               // m^2/s of that species there
  double loss_rate = 0;               // 1/s: decay + plasma exchange + linear uptake at the initial densities
  bool loss_from_death_rate = false;  // no loss: the rule's death rate stands in for it
  double length = 0;                  // m: sqrt(diffusion / loss_rate)
  double voxel = 0;                   // m: the largest spacing along an axis of more than one voxel
  double ratio = 0;                   // voxel / length
  FrontVerdict verdict = FrontVerdict::Resolved;
  // Expected relative front-speed deficit from the measured convergence
  // (kFrontDeficitCoefficient ratio^kFrontDeficitOrder); 1 where pinned.
  double expected_slowdown = 0;
};

// Measured on the sepsis IL-1b front (tests/test_fronts.cpp, L = 52 um):
// while the front moves, its speed falls short of the converged speed by
// about kFrontDeficitCoefficient (voxel / L)^kFrontDeficitOrder (3% at
// 0.19 L, 10% at 0.38 L, 33% at 0.77 L); at 1.02 L it slows and stalls
// within a day, at 1.54 L it never leaves the focus.
inline constexpr double kFrontDeficitCoefficient = 0.52;
inline constexpr double kFrontDeficitOrder = 1.7;
inline constexpr double kFrontPinnedRatio = 1.0;
// Voxel / L up to which the deficit stays within about 5%.
inline constexpr double kFrontResolvedRatio = 0.25;

// One entry per death rule, in rule order; `tissues` gives the initial
// population densities the uptake rules act with.
std::vector<FrontResolution> assess_front_resolution(const Scenario& scenario, const TissueMap& tissues);

const char* front_verdict_name(FrontVerdict verdict);  // "resolved", "under-resolved", ...
// One line for `check` and the run log, e.g.
// "par_pyroptosis: front scale L = 52 um (IL1b in liver); voxel 40 um = 0.77 L: under-resolved, ..."
std::string describe_front_resolution(const Scenario& scenario, const FrontResolution& front);
nlohmann::json front_resolution_json(const Scenario& scenario, const FrontResolution& front);

}  // namespace cyto
