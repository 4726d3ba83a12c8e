// Scenarios built in code for verification tests (no YAML, SI units).
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "host/scenario/scenario.hpp"

namespace cyto::testing {

inline Shape box_shape(Vec3 lo, Vec3 hi) {
  Shape s;
  s.kind = ShapeKind::Box;
  s.a = lo;
  s.b = hi;
  return s;
}

inline Shape sphere_shape(Vec3 centre, double radius) {
  Shape s;
  s.kind = ShapeKind::Sphere;
  s.a = centre;
  s.radius = radius;
  return s;
}

inline Shape cylinder_shape(Vec3 start, Vec3 end, double radius) {
  Shape s;
  s.kind = ShapeKind::Cylinder;
  s.a = start;
  s.b = end;
  s.radius = radius;
  return s;
}

inline Shape union_shape(std::vector<Shape> parts) {
  Shape s;
  s.kind = ShapeKind::Union;
  s.parts = std::move(parts);
  return s;
}

// A box grid of n[0] x n[1] x n[2] voxels of the given spacing, one tissue
// filling it, no species yet.
inline Scenario box_scenario(std::array<int, 3> n, Vec3 spacing, Precision precision = Precision::Double) {
  Scenario s;
  s.name = "test";
  s.precision = precision;
  s.grid.spacing = spacing;
  for (int a = 0; a < 3; ++a) s.grid.extent[a] = n[a] * spacing[a];
  s.tissues.push_back({"tissue", 1, {}});
  s.geometry.push_back({0, box_shape({0, 0, 0}, s.grid.extent), {}});
  s.time.end = 1;
  s.output.interval = 1;
  s.output.directory = "unused";
  return s;
}

inline Species make_species(const std::string& name, std::vector<double> diffusion, double decay = 0,
                            double initial = 0) {
  Species sp;
  sp.name = name;
  sp.diffusion = std::move(diffusion);
  sp.decay_rate = decay;
  sp.initial.push_back({Region{}, initial, {}});
  return sp;
}

// Two tissues (a sphere pierced by a cylinder), n species with different
// diffusivities and decays, a windowed source, a Dirichlet species in the
// cylinder and a per-voxel source field on species 0.
inline Scenario two_tissue_scenario(int n_species, std::array<int, 3> n) {
  const double h = 1.0 / 32;
  Scenario s = box_scenario(n, {h, h, h});
  s.geometry.clear();
  s.tissues.push_back({"vessel", 2, {}});
  const Vec3 c = {n[0] * h / 2, n[1] * h / 2, n[2] * h / 2};
  s.geometry.push_back({0, sphere_shape(c, 0.45 * std::min({n[0], n[1], n[2]}) * h), {}});
  s.geometry.push_back({1, cylinder_shape({0.1, c[1], c[2]}, {n[0] * h - 0.1, c[1], c[2]}, 0.07), {}});
  for (int sp = 0; sp < n_species; ++sp)
    s.species.push_back(
        make_species("s" + std::to_string(sp), {1.0 + 0.1 * sp, 2.0 - 0.05 * sp}, 0.5 * sp, 0.1 * (sp + 1)));
  Source src;
  src.species = n_species - 1;
  src.rate = 30;
  src.region.shape = sphere_shape({c[0] - 0.1, c[1], c[2]}, 0.12);
  s.sources.push_back(src);
  if (n_species > 1) s.boundaries.push_back({1, 1, 0.25, {}});
  return s;
}

// Cell-model pieces: a population of uniform initial density, a Hill factor,
// a rule of a kind acting through a population (and species).
inline Population make_population(const std::string& name, double density) {
  Population p;
  p.name = name;
  p.initial.push_back({Region{}, density, {}});
  return p;
}

inline HillTerm hill(int species, double half_max, double n) { return {species, half_max, n, {}}; }

inline Rule make_rule(RuleKind kind, int population, int species = -1) {
  Rule r;
  r.kind = kind;
  r.population = population;
  r.species = species;
  return r;
}

// Observed order of convergence from errors at h and h/2.
// A neutralising antibody on one species: half-life 4 h, distribution
// volume 5 L, the doses given.
inline Therapy make_antibody(const std::string& name, int species, double k_on, std::vector<Dose> doses) {
  Therapy t;
  t.name = name;
  t.effect = DrugEffect::Neutralisation;
  t.species = {species};
  t.half_life = 4 * 3600.0;
  t.volume = 5000;
  t.k_on = k_on;
  t.doses = std::move(doses);
  return t;
}

inline double observed_order(double error_coarse, double error_fine) {
  return std::log2(error_coarse / error_fine);
}

}  // namespace cyto::testing
