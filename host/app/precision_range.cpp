#include "host/app/precision_range.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "host/core/error.hpp"
#include "host/model/poisson_seeding.hpp"

namespace cyto {
namespace {

// Concentrations every Hill factor must handle without overflow: 1 mg/mL.
constexpr double kReachableConcentration = 1e9;

// What the checks of one scenario share: the precision's bounds.
struct RangeLimits {
  const char* precision;
  double safe;     // S: largest magnitude of a value or per-step product
  double largest;  // the largest finite number of the precision
};

RangeLimits limits_for(Precision p) {
  if (p == Precision::Float) return {"float", 1e30, double(FLT_MAX)};
  return {"double", 1e300, DBL_MAX};
}

std::string advice(const RangeLimits& l) {
  return l.precision[0] == 'f' ? "check its units, or use precision: double" : "check its units";
}

// |value| <= S (and finite).
void check_value(const RangeLimits& l, double value, const SourceLocation& where, const std::string& what) {
  if (!(std::abs(value) <= l.safe))
    throw InputError(where, fmt::format("{} {:.3g} is too large for {} precision (|value| <= {:.0e}); {}",
                                        what, value, l.precision, l.safe, advice(l)));
}

// A value the step divides by: also >= 1/S.
void check_divisor(const RangeLimits& l, double value, const SourceLocation& where, const std::string& what) {
  check_value(l, value, where, what);
  if (std::abs(value) < 1 / l.safe)
    throw InputError(where,
                     fmt::format("{} {:.3g} is too small for {} precision (its inverse must be <= {:.0e}); "
                                 "{}",
                                 what, value, l.precision, l.safe, advice(l)));
}

// A per-step product a x b <= S, named by its factors.
void check_product(const RangeLimits& l, double product, const SourceLocation& where,
                   const std::string& what) {
  if (!(std::abs(product) <= l.safe))
    throw InputError(where, fmt::format("{} = {:.3g} per step overflows {} precision (<= {:.0e}); {}", what,
                                        product, l.precision, l.safe, advice(l)));
}

// The largest density (cells/mL) each population can hold: initial values,
// seedings (mean + 10 sd per voxel), capacities, blood density.
std::vector<double> largest_densities(const Scenario& s, double voxel_ml) {
  std::vector<double> most(s.populations.size(), 0.0);
  for (std::size_t p = 0; p < s.populations.size(); ++p)
    for (const InitialValue& v : s.populations[p].initial) most[p] = std::max(most[p], v.value);
  for (const Seeding& sd : s.seedings) {
    const double mean = sd.density * voxel_ml;
    most[std::size_t(sd.population)] += (mean + 10 * std::sqrt(mean) + 1) / voxel_ml;
  }
  for (const Rule& r : s.rules)
    if (r.kind == RuleKind::Growth || r.kind == RuleKind::Recruitment)
      most[std::size_t(r.population)] = std::max(most[std::size_t(r.population)], r.capacity);
  return most;
}

// Blood density a recruitment rule can see: initial plus every cell infused.
double largest_blood_density(const Scenario& s, int population) {
  if (!s.plasma.enabled) return 0;
  double blood = std::size_t(population) < s.plasma.blood_initial.size()
                     ? s.plasma.blood_initial[std::size_t(population)]
                     : 0.0;
  for (const Infusion& inf : s.infusions)
    if (inf.population == population) blood += inf.amount / s.plasma.volume;
  return blood;
}

// The largest concentration the scenario states (pg/mL).
double stated_concentration(const Scenario& s) {
  double most = kReachableConcentration;
  for (const Species& sp : s.species)
    for (const InitialValue& v : sp.initial) most = std::max(most, v.value);
  for (const DirichletBoundary& b : s.boundaries) most = std::max(most, b.value);
  for (const Rule& r : s.rules) most = std::max({most, r.threshold, r.priming_threshold});
  if (s.plasma.enabled)
    for (double c : s.plasma.initial) most = std::max(most, c);
  return most;
}

// (C / K)^n below the largest number / 10: n log10(C / K) <= log10(largest) - 1.
void check_hill(const RangeLimits& l, const HillTerm& h, double concentration, const SourceLocation& where,
                const std::string& what) {
  check_divisor(l, h.half_max, where, what + ".half_max");
  check_value(l, h.hill, where, what + ".hill");
  const double x = concentration / h.half_max;
  if (x > 1 && h.hill * std::log10(x) > std::log10(l.largest) - 1)
    throw InputError(where,
                     fmt::format("{}.hill {:g} overflows {} precision: (c / half_max)^{:g} exceeds {:.3g} "
                                 "for c up to {:.3g} pg/mL (half_max {:.3g} pg/mL); use a smaller hill{}",
                                 what, h.hill, l.precision, h.hill, l.largest / 10, concentration, h.half_max,
                                 l.precision[0] == 'f' ? " or precision: double" : ""));
}

void check_rule(const RangeLimits& l, const Scenario& s, std::size_t index, double rho, double dt,
                double concentration) {
  const Rule& r = s.rules[index];
  const SourceLocation& at = r.where;
  const std::pair<double, const char*> values[] = {{r.base, "rate"},
                                                   {r.max, "max_rate"},
                                                   {r.clearance, "clearance"},
                                                   {r.vmax, "vmax"},
                                                   {r.km, "km"},
                                                   {r.rate, "rate"},
                                                   {r.threshold, "threshold"},
                                                   {r.priming_threshold, "priming threshold"}};
  for (const auto& [value, key] : values) check_value(l, value, at, key);
  for (double w : r.signal) check_value(l, w, at, "signal weight");
  for (double w : r.priming) check_value(l, w, at, "priming weight");
  for (double b : r.burst) {
    check_value(l, b, at, "burst (pg/cell)");
    check_product(l, b * rho, at, "burst x largest density");
  }
  if (r.kind == RuleKind::Growth || r.kind == RuleKind::Recruitment)
    check_divisor(l, r.capacity, at, "capacity (cells/mL)");
  check_product(l, std::max(std::abs(r.base), std::abs(r.max)) * rho * dt, at,
                "secretion rate x largest density x dt");
  check_product(l, r.vmax * rho * dt, at, "vmax x largest density x dt");
  check_product(l, r.clearance * rho * dt, at, "clearance x largest density x dt");
  if (r.kind == RuleKind::Growth)
    check_product(l, r.rate * r.capacity * dt, at, "growth rate x capacity x dt");
  if (r.kind == RuleKind::Recruitment)
    check_product(l, r.rate * largest_blood_density(s, r.population) * dt, at,
                  "recruitment rate x largest blood density x dt");
  for (std::size_t i = 0; i < r.activators.size(); ++i)
    check_hill(l, r.activators[i], concentration, at, fmt::format("activators[{}]", i));
  for (std::size_t i = 0; i < r.inhibitors.size(); ++i)
    check_hill(l, r.inhibitors[i], concentration, at, fmt::format("inhibitors[{}]", i));
}

}  // namespace

void check_precision_range(const Scenario& s, const DenseGrid& grid, double dt) {
  const RangeLimits l = limits_for(s.precision);
  for (const Species& sp : s.species) {
    for (const InitialValue& init : sp.initial) check_value(l, init.value, init.where, "initial value");
    check_value(l, sp.decay_rate, sp.where, "decay rate (1/s)");
  }
  for (const Source& src : s.sources) check_value(l, src.rate, src.where, "source rate (pg/mL/s)");
  for (const DirichletBoundary& b : s.boundaries) check_value(l, b.value, b.where, "Dirichlet value");
  for (const Population& p : s.populations)
    for (const InitialValue& init : p.initial)
      check_value(l, init.value, init.where, "initial density (cells/mL)");
  const double voxel_ml = grid.spacing[0] * grid.spacing[1] * grid.spacing[2] * 1e6;
  for (const Seeding& sd : s.seedings) {
    check_value(l, sd.density, sd.where, "seeding density (cells/mL)");
    if (!(sd.density * voxel_ml <= kMaxPoissonMean))
      throw InputError(sd.where,
                       fmt::format("seeding density {:.3g} cells/mL is {:.3g} cells in a voxel, more than "
                                   "the {:.3g} a Poisson draw takes; check its units",
                                   sd.density, sd.density * voxel_ml, kMaxPoissonMean));
  }
  const std::vector<double> rho = largest_densities(s, voxel_ml);
  const double concentration = stated_concentration(s);
  for (std::size_t r = 0; r < s.rules.size(); ++r)
    check_rule(l, s, r, rho[std::size_t(s.rules[r].population)], dt, concentration);
}

}  // namespace cyto
