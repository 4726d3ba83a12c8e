#include "host/model/cell_model.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace cyto {

FieldLayout field_layout(const Scenario& s) {
  return {int(s.species.size()), int(s.populations.size()), s.output.budget};
}

template <class Real>
CellModel<Real> CellModelTable<Real>::view() const {
  CellModel<Real> m;
  m.n_species = fields.n_species;
  m.n_populations = fields.n_populations;
  m.n_smooth = int(smooth.size());
  m.n_deaths = int(deaths.size());
  m.smooth = smooth.data();
  m.deaths = deaths.data();
  m.active = active.data();
  m.budget_first = fields.budget ? fields.secreted(0) : -1;
  m.dt = Real(dt);
  m.voxel_volume_ml = voxel_volume_ml;
  m.nx = nx;
  m.ny = ny;
  for (int a = 0; a < 3; ++a) m.origin[a] = origin[std::size_t(a)];
  m.seed[0] = std::uint32_t(seed);
  m.seed[1] = std::uint32_t(seed >> 32);
  return m;
}

namespace {

// 1 / (1 + A / IC50) over every blockade of `species` that covers rule `rule`.
double blockade_factor(const Scenario& s, const ModelDrive& drive, int rule, int species) {
  double factor = 1;
  for (std::size_t d = 0; d < s.therapies.size(); ++d) {
    const Therapy& t = s.therapies[d];
    if (t.effect != DrugEffect::Blockade) continue;
    if (std::find(t.species.begin(), t.species.end(), species) == t.species.end()) continue;
    if (!t.rules.empty() && std::find(t.rules.begin(), t.rules.end(), rule) == t.rules.end()) continue;
    factor /= 1 + drive.drug[d] / t.ic50;
  }
  return factor;
}

// Product of 1 - Emax A / (A + EC50) over every suppression that covers this secretion rule.
double suppression_factor(const Scenario& s, const ModelDrive& drive, int rule) {
  const Rule& r = s.rules[std::size_t(rule)];
  double factor = 1;
  for (std::size_t d = 0; d < s.therapies.size(); ++d) {
    const Therapy& t = s.therapies[d];
    if (t.effect != DrugEffect::Suppression) continue;
    const bool by_rule = std::find(t.rules.begin(), t.rules.end(), rule) != t.rules.end();
    const bool by_species = std::find(t.species.begin(), t.species.end(), r.species) != t.species.end();
    if (by_rule || by_species) factor *= 1 - t.emax * drive.drug[d] / (drive.drug[d] + t.ec50);
  }
  return factor;
}

template <class Real>
HillFactorK<Real> hill_factor(const HillTerm& term, bool inhibits) {
  HillFactorK<Real> f;
  f.field = std::int16_t(term.species);
  f.inhibits = inhibits ? 1 : 0;
  const double n = term.hill;
  f.integer_power = (n == std::floor(n) && n >= 1 && n <= 4) ? std::uint8_t(n) : 0;
  f.inv_half_max = Real(1 / term.half_max);
  f.power = Real(n);
  return f;
}

template <class Real>
SmoothRuleK<Real> smooth_rule(const Scenario& s, const FieldLayout& fields, int index) {
  const Rule& r = s.rules[std::size_t(index)];
  SmoothRuleK<Real> k;
  k.population = std::int16_t(fields.population(r.population));
  k.species = std::int16_t(std::max(r.species, 0));
  switch (r.kind) {
    case RuleKind::Secretion:
      k.code = RuleCode::kSecretion;
      k.rate = Real(r.base);
      k.activated_rate = Real(r.activators.empty() ? 0.0 : r.max - r.base);
      break;
    case RuleKind::Uptake:
      if (r.vmax > 0) {
        k.code = RuleCode::kUptakeSaturable;
        k.rate = Real(r.vmax);
        k.half_max = Real(r.km);
      } else {
        k.code = RuleCode::kUptakeLinear;
        k.rate = Real(r.clearance);
      }
      break;
    case RuleKind::Decay:
      k.code = RuleCode::kTurnover;
      k.rate = Real(r.rate);
      break;
    case RuleKind::Growth:
      k.code = RuleCode::kGrowth;
      k.rate = Real(r.rate);
      k.inverse_capacity = Real(1 / r.capacity);
      break;
    case RuleKind::Recruitment:
      k.code = RuleCode::kRecruitment;  // its rate scales with the blood: SmoothRuleDrive
      k.inverse_capacity = Real(1 / r.capacity);
      break;
    case RuleKind::Death:
      break;  // not a smooth rule
  }
  for (const HillTerm& a : r.activators) k.factor[k.n_factors++] = hill_factor<Real>(a, false);
  for (const HillTerm& i : r.inhibitors) k.factor[k.n_factors++] = hill_factor<Real>(i, true);
  return k;
}

// The drive of smooth rule `index` at the levels in `drive`.
template <class Real>
SmoothRuleDrive<Real> rule_drive(const Scenario& s, const ModelDrive& drive, int index) {
  const Rule& r = s.rules[std::size_t(index)];
  SmoothRuleDrive<Real> d;
  if (r.kind == RuleKind::Secretion) d.suppression = Real(suppression_factor(s, drive, index));
  if (r.kind == RuleKind::Recruitment)
    d.recruitment_rate = Real(r.rate * drive.blood[std::size_t(r.population)]);
  int q = 0;
  for (const HillTerm& a : r.activators) d.blockade[q++] = Real(blockade_factor(s, drive, index, a.species));
  return d;
}

template <class Real>
DeathRuleK<Real> death_rule(const Scenario& s, const FieldLayout& fields, const Rule& r, double dt) {
  DeathRuleK<Real> k;
  k.population = std::int16_t(fields.population(r.population));
  k.stochastic = r.mode == DeathMode::Stochastic ? 1 : 0;
  k.primed = r.priming.empty() ? 0 : 1;
  const double p = -std::expm1(-r.rate * dt);  // probability of death in one step
  k.death_fraction = Real(p);
  // A 32-bit draw u is below floor(p 2^32) with probability p (to 2^-32).
  k.draw_below = std::uint32_t(std::min(std::floor(p * 4294967296.0), 4294967295.0));
  k.threshold = Real(r.threshold);
  k.priming_threshold = Real(r.priming_threshold);
  for (std::size_t sp = 0; sp < s.species.size(); ++sp) {
    k.signal[sp] = Real(r.signal.empty() ? 0.0 : r.signal[sp]);
    k.priming[sp] = Real(r.priming.empty() ? 0.0 : r.priming[sp]);
    k.burst[sp] = Real(r.burst.empty() ? 0.0 : r.burst[sp]);
  }
  return k;
}

bool acts_in(const Rule& r, int tissue) {
  return r.tissues.empty() || std::find(r.tissues.begin(), r.tissues.end(), tissue) != r.tissues.end();
}

}  // namespace

template <class Real>
void compile_cell_model(const Scenario& s, const Discretisation& disc, double dt,
                        CellModelTable<Real>& table) {
  table.fields = field_layout(s);
  table.dt = dt;
  const Vec3& h = disc.grid.spacing;
  table.voxel_volume_ml = h[0] * h[1] * h[2] * 1e6;  // m^3 -> mL
  table.nx = disc.grid.nx;
  table.ny = disc.grid.ny;
  table.origin = disc.block.lo;
  table.seed = s.seed;
  table.smooth.clear();
  table.deaths.clear();
  table.smooth_rule.clear();
  table.death_rule.clear();
  for (std::size_t r = 0; r < s.rules.size(); ++r) {
    if (s.rules[r].kind == RuleKind::Death) {
      table.deaths.push_back(death_rule<Real>(s, table.fields, s.rules[r], dt));
      table.death_rule.push_back(int(r));
    } else {
      table.smooth.push_back(smooth_rule<Real>(s, table.fields, int(r)));
      table.smooth_rule.push_back(int(r));
    }
  }
  const std::size_t n_rules = table.smooth.size() + table.deaths.size();
  table.active.assign(std::size_t(disc.n_materials()) * n_rules, 0);
  for (int m = 1; m < disc.n_materials(); ++m) {
    const int tissue = disc.material_tissue[std::size_t(m)];
    std::uint8_t* row = table.active.data() + std::size_t(m) * n_rules;
    for (std::size_t q = 0; q < table.smooth_rule.size(); ++q)
      row[q] = acts_in(s.rules[std::size_t(table.smooth_rule[q])], tissue);
    for (std::size_t q = 0; q < table.death_rule.size(); ++q)
      row[table.smooth.size() + q] = acts_in(s.rules[std::size_t(table.death_rule[q])], tissue);
  }
}

template <class Real>
void fill_rule_drive(const Scenario& s, const ModelDrive& drive, std::vector<SmoothRuleDrive<Real>>& rules) {
  if (drive.drug.size() != s.therapies.size())
    throw RuntimeFailure(
        fmt::format("internal: {} drug levels for {} therapies", drive.drug.size(), s.therapies.size()));
  rules.clear();
  for (std::size_t r = 0; r < s.rules.size(); ++r) {
    if (s.rules[r].kind == RuleKind::Death) continue;  // in the order compile_cell_model lists smooth rules
    if (s.rules[r].kind == RuleKind::Recruitment && std::size_t(s.rules[r].population) >= drive.blood.size())
      throw RuntimeFailure(
          fmt::format("internal: no blood density for population {}", s.rules[r].population));
    rules.push_back(rule_drive<Real>(s, drive, int(r)));
  }
}

template struct CellModelTable<float>;
template struct CellModelTable<double>;
template void compile_cell_model<float>(const Scenario&, const Discretisation&, double,
                                        CellModelTable<float>&);
template void compile_cell_model<double>(const Scenario&, const Discretisation&, double,
                                         CellModelTable<double>&);
template void fill_rule_drive<float>(const Scenario&, const ModelDrive&,
                                     std::vector<SmoothRuleDrive<float>>&);
template void fill_rule_drive<double>(const Scenario&, const ModelDrive&,
                                      std::vector<SmoothRuleDrive<double>>&);

}  // namespace cyto
