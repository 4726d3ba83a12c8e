// Range checks against the run's precision, made before anything runs: every
// rate, power, capacity, density and per-step product that enters the
// reaction step must be representable, and must stay so for the states the
// scenario can reach, so that a bad input is refused at its YAML position
// instead of blowing up steps later (docs/reference/limits.md, "Ranges
// against the precision").
//
// The bounds, with S = 1e30 in float and 1e300 in double (headroom of 1e8 below
// the largest number, for the sums of a step and its Runge-Kutta stages):
//  - every value entering the step: finite and |value| <= S; the ones the
//    step divides by (a Hill half-max, a capacity) also >= 1/S;
//  - products per step: secretion (max rate) x largest density x dt,
//    uptake vmax x largest density x dt, burst x largest density, growth
//    rate x capacity x dt, recruitment rate x largest blood density x dt,
//    each <= S;
//  - a Hill power n with half-max K: (C / K)^n stays below the largest
//    number / 10 for concentrations up to C, the largest of 1e9 pg/mL (1
//    mg/mL, far above any cytokine level) and the concentrations the
//    scenario states (initial and Dirichlet values, thresholds);
//  - a seeding's mean cells per voxel <= 2^52 (the Poisson draw's range).
// The largest density is the largest of the population's initial values,
// its seeding densities (with 10 standard deviations of the draw), its
// capacities and its blood density.
#pragma once

#include "host/geometry/dense_grid.hpp"
#include "host/scenario/scenario.hpp"

namespace cyto {

// InputError (exit 2) at the offending value's YAML position.
void check_precision_range(const Scenario& s, const DenseGrid& grid, double dt);

}  // namespace cyto
