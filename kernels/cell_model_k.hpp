// Pointwise cell-model physics: the rules of a scenario compiled into a
// compact table, and the per-voxel update that interprets it. Shared by the
// CPU backend and the CUDA kernel, so both do the same arithmetic.
//
// A voxel's fields are v[0 .. n_species) cytokines (pg/mL), then
// v[n_species .. + n_populations) cell densities (cells/mL), then, where the
// budget is tracked, three cumulative amounts per species (pg/mL): secreted,
// released by dying cells, taken up.
//
// One reaction step of length dt, between the two halves of the step's
// linear terms (Strang splitting: kernels/voxel_update_k.hpp, linear_second_half):
//  1. death rules in order: where the signal sum_k w_k c_k reaches the
//     threshold (and the priming signal its own), cells die, either
//     deterministically (a fraction 1 - exp(-rate dt) of the density) or
//     stochastically (each whole cell with that probability, drawn from
//     Philox keyed by seed, voxel, step, population and rule); each dead cell
//     adds its burst to the voxel in this step, so released = burst x dead exactly;
//  2. the smooth rules (secretion, uptake, decay, growth, recruitment)
//     integrated together with one classical Runge-Kutta step or, where
//     their fastest loss rate times dt exceeds kStiffStepBound (fast uptake
//     or turnover), with one exponential step (ETD2RK: exact for constant
//     rates, second order, stable and non-negative for any dt).
#pragma once

#include <cmath>
#include <cstdint>

#include <Random123/philox.h>

#include "kernels/grid_layout.hpp"
#include "kernels/limits.hpp"
#include "kernels/portable_power_k.hpp"
#include "kernels/qualifiers.hpp"

namespace cyto {

enum class RuleCode : std::uint8_t {
  kSecretion,        // dc/dt += rho (rate + activated_rate prod(act)) prod(inh) suppression
  kUptakeLinear,     // dc/dt -= rho rate c (rate: the clearance)
  kUptakeSaturable,  // dc/dt -= rho rate c / (half_max + c) (rate: vmax)
  kTurnover,         // drho/dt -= rate rho
  kGrowth,           // drho/dt += rate prod(act) rho (1 - rho inverse_capacity)
  kRecruitment,      // drho/dt += recruitment_rate prod(act) (1 - rho inverse_capacity)
};

// A Hill factor on a species field: activation x^n / (1 + x^n) (times the
// step's receptor blockade, SmoothRuleDrive::blockade) or inhibition
// 1 / (1 + x^n), with x = c / half-max.
template <class Real>
struct HillFactorK {
  std::int16_t field = 0;
  std::uint8_t inhibits = 0;
  std::uint8_t integer_power =
      0;  // n for n = 1..4 (repeated products); 0: portable_pow (bitwise across backends)
  Real inv_half_max = 0;
  Real power = 1;
};

// A smooth rule's constants (fixed while dt is); which of them a rule uses
// is in RuleCode.
template <class Real>
struct SmoothRuleK {
  RuleCode code = RuleCode::kSecretion;
  std::int16_t population = 0;  // field index of the acting population
  std::int16_t species = 0;     // field index of the cytokine (secretion, uptake)
  std::uint8_t n_factors = 0;
  Real rate = 0;              // secretion base rate, uptake clearance or vmax, turnover or growth rate
  Real activated_rate = 0;    // secretion: max - base, reached at full activation
  Real half_max = 0;          // saturable uptake: the Michaelis-Menten constant km (pg/mL)
  Real inverse_capacity = 0;  // growth, recruitment: 1 / capacity (mL/cells)
  HillFactorK<Real> factor[kMaxHillTerms];  // activators first, then inhibitors
};

// What of a smooth rule changes from step to step (drug levels, blood
// densities): computed on the host for each step, in double, then rounded
// to Real. Part of the step's parameter block, one per smooth rule.
template <class Real>
struct SmoothRuleDrive {
  Real recruitment_rate = 0;  // recruitment: rate x blood density (cells/mL/s)
  Real suppression = 1;       // secretion: product of 1 - Emax A / (A + EC50) over suppressing drugs
  Real blockade[kMaxHillTerms] = {1, 1, 1, 1};  // per activation factor: 1 / (1 + A / IC50) over blockades
};

template <class Real>
struct DeathRuleK {
  std::int16_t population = 0;  // field index
  std::uint8_t stochastic = 0;
  std::uint8_t primed = 0;         // a priming signal must also reach its threshold
  std::uint32_t draw_below = 0;    // stochastic: a cell dies when its 32-bit draw is below this
  Real death_fraction = 0;         // deterministic: 1 - exp(-rate dt)
  Real threshold = 0;              // pg/mL
  Real priming_threshold = 0;      // pg/mL
  Real signal[kMaxSpecies] = {};   // weight per species
  Real priming[kMaxSpecies] = {};  // weight per species
  Real burst[kMaxSpecies] = {};    // pg per dead cell, per species
};

// The compiled model as the kernels see it (device pointers on the GPU): the
// tables and constants fixed while dt is, and the step's number and rule
// drive, which the host hands over with every step.
template <class Real>
struct CellModel {
  int n_species = 0;
  int n_populations = 0;
  int n_smooth = 0;
  int n_deaths = 0;
  const SmoothRuleK<Real>* smooth = nullptr;
  const DeathRuleK<Real>* deaths = nullptr;
  // [material * (n_smooth + n_deaths) + r]: 1 where rule r acts (smooth rules first, then deaths)
  const std::uint8_t* active = nullptr;
  const SmoothRuleDrive<Real>* drive = nullptr;  // per smooth rule: this step's (the step's parameter block)
  int budget_first = -1;                         // field of the first budget amount; -1: not tracked
  Real dt = 0;
  double voxel_volume_ml = 0;  // whole cells in a voxel = density x volume
  int nx = 0, ny = 0;          // global interior grid size, for the voxel's global number
  int origin[3] = {0, 0, 0};   // global position of the backend's first interior voxel (an MPI rank's block)
  std::uint32_t seed[2] = {0, 0};
  std::uint64_t step = 0;  // number of the step being taken (0 for the first), as the simulation counts

  CYTO_HD bool enabled() const { return n_smooth + n_deaths > 0; }
};

template <class Real>
CYTO_HD Real hill_power(Real x, const HillFactorK<Real>& f) {
  switch (f.integer_power) {
    case 1:
      return x;
    case 2:
      return x * x;
    case 3:
      return x * x * x;
    case 4:
      return (x * x) * (x * x);
    default:
      // Not the library's pow, whose last bits differ between glibc and CUDA.
      return portable_pow(x, f.power);
  }
}

// Product of a rule's activation factors and of its inhibition factors.
template <class Real>
CYTO_HD void hill_products(const SmoothRuleK<Real>& r, const SmoothRuleDrive<Real>& drive, const Real* v,
                           Real& activation, Real& inhibition) {
  activation = Real(1);
  inhibition = Real(1);
  for (int q = 0; q < r.n_factors; ++q) {
    const HillFactorK<Real>& f = r.factor[q];
    const Real c = v[f.field];
    const Real xn = hill_power(c > Real(0) ? c * f.inv_half_max : Real(0), f);
    if (f.inhibits)
      inhibition *= Real(1) / (Real(1) + xn);
    else
      activation *= drive.blockade[q] * (xn / (Real(1) + xn));
  }
}

// Rates of the smooth rules at state v: secretion and uptake per species
// (both >= 0 for non-negative states), and the net rate per population.
template <class Real>
CYTO_HD void smooth_rates(const CellModel<Real>& m, const std::uint8_t* active, const Real* v,
                          Real* secretion, Real* uptake, Real* population_rate) {
  for (int s = 0; s < m.n_species; ++s) secretion[s] = uptake[s] = Real(0);
  for (int p = 0; p < m.n_populations; ++p) population_rate[p] = Real(0);
  // The rules are walked with a pointer and their drive indexed: of the
  // forms tried, the one both compilers keep fewest registers live for.
  const SmoothRuleK<Real>* rule = m.smooth;
  for (int q = 0; q < m.n_smooth; ++q, ++rule) {
    if (!active[q]) continue;
    const SmoothRuleK<Real>& r = *rule;
    const SmoothRuleDrive<Real>* drive = m.drive + q;
    const Real rho = v[r.population];
    const int p = r.population - m.n_species;
    Real activation, inhibition;
    hill_products(r, *drive, v, activation, inhibition);
    switch (r.code) {
      case RuleCode::kSecretion:
        secretion[r.species] +=
            rho * (r.rate + r.activated_rate * activation) * inhibition * drive->suppression;
        break;
      case RuleCode::kUptakeLinear:
        uptake[r.species] += rho * r.rate * v[r.species];
        break;
      case RuleCode::kUptakeSaturable: {
        const Real c = v[r.species] > Real(0) ? v[r.species] : Real(0);
        uptake[r.species] += rho * r.rate * c / (r.half_max + c);
        break;
      }
      case RuleCode::kTurnover:
        population_rate[p] -= r.rate * rho;
        break;
      case RuleCode::kGrowth:
        population_rate[p] += r.rate * activation * rho * (Real(1) - rho * r.inverse_capacity);
        break;
      case RuleCode::kRecruitment:
        population_rate[p] += drive->recruitment_rate * activation * (Real(1) - rho * r.inverse_capacity);
        break;
    }
  }
}

// Above this bound on (fastest loss rate) x dt a voxel's smooth rules take
// the exponential step: RK4's decay factor for a loss rate k is 4e-4 off
// e^(-k dt) at k dt = 0.5, 2% at 1, and past 2.785 the step is unstable.
inline constexpr double kStiffStepBound = 0.5;

// An upper bound of the fastest loss rate (1/s) of the smooth rules at state
// v, summed over the rules (at least the largest rate of any one field), with
// every Hill activation at its most (1): linear uptake rho k, saturable uptake
// rho vmax / km (its rate at c -> 0), turnover, growth's |d/drho| <= rate (1 +
// 2 rho / capacity), recruitment's drive / capacity. Cheap: no Hill factor
// is evaluated, so every voxel can afford it.
template <class Real>
CYTO_HD double smooth_loss_rate_bound(const CellModel<Real>& m, const std::uint8_t* active, const Real* v) {
  double bound = 0;
  const SmoothRuleK<Real>* rule = m.smooth;
  for (int q = 0; q < m.n_smooth; ++q, ++rule) {
    if (!active[q]) continue;
    const double rho = double(v[rule->population]);
    const double rate = double(rule->rate);
    switch (rule->code) {
      case RuleCode::kSecretion:
        break;
      case RuleCode::kUptakeLinear:
        bound += rho * rate;
        break;
      case RuleCode::kUptakeSaturable:
        bound += rho * rate / double(rule->half_max);
        break;
      case RuleCode::kTurnover:
        bound += rate;
        break;
      case RuleCode::kGrowth:
        bound += rate * (1.0 + 2.0 * rho * double(rule->inverse_capacity));
        break;
      case RuleCode::kRecruitment:
        bound += double(m.drive[q].recruitment_rate) * double(rule->inverse_capacity);
        break;
    }
  }
  return bound;
}

// The smooth rules at state v as gain - loss x level for each field f
// (species, then populations): gain[f] >= 0 and loss[f] >= 0 (1/s) for
// non-negative states. Species: secretion, and uptake rates over the level;
// populations: growth rho and recruitment as gains, turnover and the
// logistic terms (rate x rho / capacity) as losses.
template <class Real>
CYTO_HD void smooth_gains_and_losses(const CellModel<Real>& m, const std::uint8_t* active, const double* v,
                                     double* gain, double* loss) {
  const int nf = m.n_species + m.n_populations;
  for (int f = 0; f < nf; ++f) gain[f] = loss[f] = 0.0;
  Real state[kMaxGpuFields];  // the Hill factors read the state in Real, as in smooth_rates
  for (int f = 0; f < nf; ++f) state[f] = Real(v[f]);
  const SmoothRuleK<Real>* rule = m.smooth;
  for (int q = 0; q < m.n_smooth; ++q, ++rule) {
    if (!active[q]) continue;
    const SmoothRuleK<Real>& r = *rule;
    const double rho = v[r.population];
    const double rate = double(r.rate);
    Real activation, inhibition;
    hill_products(r, m.drive[q], state, activation, inhibition);
    switch (r.code) {
      case RuleCode::kSecretion:
        gain[r.species] += rho * (rate + double(r.activated_rate) * double(activation)) * double(inhibition) *
                           double(m.drive[q].suppression);
        break;
      case RuleCode::kUptakeLinear:
        loss[r.species] += rho * rate;
        break;
      case RuleCode::kUptakeSaturable: {
        const double c = v[r.species] > 0.0 ? v[r.species] : 0.0;
        loss[r.species] += rho * rate / (double(r.half_max) + c);
        break;
      }
      case RuleCode::kTurnover:
        loss[r.population] += rate;
        break;
      case RuleCode::kGrowth: {
        const double g = rate * double(activation);
        gain[r.population] += g * rho;
        loss[r.population] += g * rho * double(r.inverse_capacity);
        break;
      }
      case RuleCode::kRecruitment: {
        const double g = double(m.drive[q].recruitment_rate) * double(activation);
        gain[r.population] += g;
        loss[r.population] += g * double(r.inverse_capacity);
        break;
      }
    }
  }
}

// phi1(z) = (1 - e^-z) / z and phi2(z) = (e^-z - 1 + z) / z^2 for z >= 0,
// the exponential integrators' weights (phi1 -> 1, phi2 -> 1/2 as z -> 0);
// e^-z is portable_exp2's, the same bits on every backend. Below z = 1/2
// their series (to z^13, the next term under 3e-17 relative) avoid the
// cancellation of the closed forms.
CYTO_HD void exponential_weights(double z, double& decay, double& phi1, double& phi2) {
  constexpr double kLog2E = 1.4426950408889634074;
  decay = portable_exp2(-z * kLog2E);
  if (z < 0.5) {
    // phi_j(z) = sum_k (-z)^k / (k + j)!, k = 0..13, by Horner from the top.
    double c1 = 1.0 / 87178291200.0, c2 = 1.0 / 1307674368000.0;  // 1/14!, 1/15!
    phi1 = c1;
    phi2 = c2;
    for (int k = 12; k >= 0; --k) {
      c1 *= double(k + 2);
      c2 *= double(k + 3);
      phi1 = phi1 * -z + c1;
      phi2 = phi2 * -z + c2;
    }
  } else {
    phi1 = (1.0 - decay) / z;
    phi2 = (1.0 - phi1) / z;
  }
}

// The smooth rules of one voxel over dt by the exponential time-differencing
// Runge-Kutta pair of Cox and Matthews (ETD2RK, J Comput Phys 176, 2002),
// each field's loss rate at the step's start as its linear part:
//   predictor  y^ = y0 e^-z + gain0 dt phi1(z),               z = loss0 dt
//   corrector  y1 = y^ + (N(y^) - gain0) dt phi2(z),   N(y) = gain(y) - (loss(y) - loss0) y
// Exact where gains and losses are constant, second order otherwise, and a
// stiff field follows its quasi-steady state gain / loss at any dt instead
// of oscillating. In double; levels never go below zero. The budget: the
// secreted amount is the trapezoidal gain, and what was taken up is what
// balances the change exactly. A call on the device: only stiff voxels take it.
template <class Real>
CYTO_HD_CALL void exponential_smooth_step(const CellModel<Real>& m, const std::uint8_t* active, Real* v) {
  const int ns = m.n_species;
  const int nf = ns + m.n_populations;
  const double dt = double(m.dt);
  // Zeroed: the Hill factors' field indices are within nf, which the compiler cannot see.
  double y0[kMaxGpuFields] = {}, y[kMaxGpuFields] = {};
  double gain0[kMaxGpuFields], loss0[kMaxGpuFields], gain[kMaxGpuFields], loss[kMaxGpuFields];
  double phi2_dt[kMaxGpuFields];
  for (int f = 0; f < nf; ++f) y0[f] = double(v[f]);
  smooth_gains_and_losses(m, active, y0, gain0, loss0);
  for (int f = 0; f < nf; ++f) {
    double decay, phi1, phi2;
    exponential_weights(loss0[f] * dt, decay, phi1, phi2);
    y[f] = y0[f] * decay + gain0[f] * dt * phi1;
    phi2_dt[f] = phi2 * dt;
  }
  smooth_gains_and_losses(m, active, y, gain, loss);
  const bool budget = m.budget_first >= 0;
  for (int f = 0; f < nf; ++f) {
    const double nonlinear = gain[f] - (loss[f] - loss0[f]) * y[f];
    double next = y[f] + (nonlinear - gain0[f]) * phi2_dt[f];
    next = next > 0.0 ? next : 0.0;
    if (f < ns) {
      const Real secreted = Real(0.5 * dt * (gain0[f] + gain[f]));
      const Real taken_up = secreted - (Real(next) - v[f]);
      v[f] = v[f] + (secreted - taken_up);
      if (budget) {
        v[m.budget_first + f] += secreted;
        v[m.budget_first + 2 * ns + f] += taken_up;
      }
    } else {
      v[f] = Real(next);
    }
  }
}

// Whole cells of a density in a voxel (the nearest count).
CYTO_HD std::int64_t whole_cells(double density, double voxel_volume_ml) {
  const double count = density * voxel_volume_ml;
#ifdef __CUDA_ARCH__
  return count > 0 ? std::int64_t(floor(count + 0.5)) : 0;
#else
  return count > 0 ? std::int64_t(std::floor(count + 0.5)) : 0;
#endif
}

// How many of `cells` die: each with its own 32-bit Philox draw. The
// counter holds the voxel, the step, the population and the rule, and the
// batch of four cells; the key is the scenario's seed. Same draws on every
// backend and thread layout, and after a restart.
CYTO_HD std::int64_t stochastic_deaths(std::int64_t cells, std::uint32_t draw_below,
                                       const std::uint32_t (&seed)[2], std::uint64_t voxel,
                                       std::uint64_t step, int population, int rule) {
  r123::Philox4x32 generator;
  const r123::Philox4x32::key_type key = {{seed[0], seed[1]}};
  std::int64_t dead = 0;
  for (std::int64_t first = 0; first < cells; first += 4) {
    const std::uint32_t batch = std::uint32_t(first / 4);
    const r123::Philox4x32::ctr_type counter = {
        {std::uint32_t(voxel),
         std::uint32_t((voxel >> 32) & 0xffffu) | (std::uint32_t(population & 0xff) << 16) |
             (std::uint32_t(rule & 0xff) << 24),
         std::uint32_t(step), std::uint32_t((step >> 32) & 0xffffu) | (batch << 16)}};
    const r123::Philox4x32::ctr_type draw = generator(counter, key);
    for (int c = 0; c < 4 && first + c < cells; ++c) dead += draw.v[c] < draw_below ? 1 : 0;
  }
  return dead;
}

// The reaction step of one voxel of material `material`, in place on its
// fields v; `voxel` is its number in the interior grid (i + nx (j + ny k)).
template <class Real>
CYTO_HD void react_voxel(const CellModel<Real>& m, int material, std::uint64_t voxel, Real* v) {
  const int n_rules = m.n_smooth + m.n_deaths;
  const std::uint8_t* active = m.active + std::int64_t(material) * n_rules;
  const int ns = m.n_species;
  const bool budget = m.budget_first >= 0;

  for (int d = 0; d < m.n_deaths; ++d) {
    if (!active[m.n_smooth + d]) continue;
    const DeathRuleK<Real>& r = m.deaths[d];
    Real signal = Real(0), priming = Real(0);
    for (int s = 0; s < ns; ++s) {
      signal += r.signal[s] * v[s];
      priming += r.priming[s] * v[s];
    }
    if (!(signal >= r.threshold) || (r.primed && !(priming >= r.priming_threshold))) continue;
    const Real rho = v[r.population];
    Real dead;
    if (r.stochastic) {
      const std::int64_t cells = whole_cells(double(rho), m.voxel_volume_ml);
      const std::int64_t died =
          stochastic_deaths(cells, r.draw_below, m.seed, voxel, m.step, r.population - ns, d);
      // Whole cells die; any fraction of a cell that growth or recruitment
      // added stays (never below zero: the count was rounded).
      const Real left = rho - Real(double(died) / m.voxel_volume_ml);
      v[r.population] = left > Real(0) ? left : Real(0);
      dead = rho - v[r.population];
    } else {
      dead = rho * r.death_fraction;
      v[r.population] = rho - dead;
    }
    for (int s = 0; s < ns; ++s) {
      const Real released = r.burst[s] * dead;
      v[s] += released;
      if (budget) v[m.budget_first + ns + s] += released;
    }
  }

  // Every smooth rate but recruitment is proportional to its population's
  // density: where those are all zero nothing changes, and the RK4 step
  // (which would give exactly the same values) is skipped.
  bool any_smooth = false;
  for (int q = 0; q < m.n_smooth; ++q)
    any_smooth =
        any_smooth ||
        (active[q] && (m.smooth[q].code == RuleCode::kRecruitment || v[m.smooth[q].population] != Real(0)));
  if (!any_smooth) return;
  if (smooth_loss_rate_bound(m, active, v) * double(m.dt) > kStiffStepBound) {
    exponential_smooth_step(m, active, v);
    return;
  }

  // Classical RK4 on (species, populations); secretion and uptake are
  // accumulated apart so that the budget splits the change exactly.
  // Species and populations together are at most kMaxGpuFields.
  const int nf = ns + m.n_populations;
  Real y0[kMaxGpuFields], y[kMaxGpuFields];
  Real sec[kMaxSpecies], upt[kMaxSpecies], pop[kMaxGpuFields];
  Real sec_sum[kMaxSpecies], upt_sum[kMaxSpecies], pop_sum[kMaxGpuFields];
  for (int f = 0; f < nf; ++f) y0[f] = y[f] = v[f];
  for (int s = 0; s < ns; ++s) sec_sum[s] = upt_sum[s] = Real(0);
  for (int p = 0; p < m.n_populations; ++p) pop_sum[p] = Real(0);
  const Real dt = m.dt;
  for (int stage = 0; stage < 4; ++stage) {
    smooth_rates(m, active, y, sec, upt, pop);
    const Real weight = (stage == 0 || stage == 3) ? Real(1) : Real(2);
    const Real next = stage < 2 ? dt * Real(0.5) : dt;  // offset of the next stage
    for (int s = 0; s < ns; ++s) {
      sec_sum[s] += weight * sec[s];
      upt_sum[s] += weight * upt[s];
      if (stage < 3) y[s] = y0[s] + next * (sec[s] - upt[s]);
    }
    for (int p = 0; p < m.n_populations; ++p) {
      pop_sum[p] += weight * pop[p];
      if (stage < 3) y[ns + p] = y0[ns + p] + next * pop[p];
    }
  }
  const Real sixth = dt / Real(6);
  for (int s = 0; s < ns; ++s) {
    const Real secreted = sixth * sec_sum[s];
    const Real taken_up = sixth * upt_sum[s];
    v[s] = y0[s] + (secreted - taken_up);
    if (budget) {
      v[m.budget_first + s] += secreted;
      v[m.budget_first + 2 * ns + s] += taken_up;
    }
  }
  for (int p = 0; p < m.n_populations; ++p) v[ns + p] = y0[ns + p] + sixth * pop_sum[p];
}

// The key of a voxel's stochastic draws (react_voxel's `voxel`): its number
// in the global interior grid, i + nx (j + ny k), from its interior position
// (i, j, k) in the backend's block, whose first voxel is at m.origin. Every
// backend keys its draws here, so the draws depend neither on the backend
// nor on how the grid is split among ranks.
template <class Real>
CYTO_HD std::uint64_t philox_voxel_key(const CellModel<Real>& m, std::int64_t i, std::int64_t j,
                                       std::int64_t k) {
  return std::uint64_t((i + m.origin[0]) +
                       std::int64_t(m.nx) * ((j + m.origin[1]) + std::int64_t(m.ny) * (k + m.origin[2])));
}

// The same key from the voxel's padded storage index in layout g.
template <class Real>
CYTO_HD std::uint64_t philox_voxel_key(const CellModel<Real>& m, const GridLayout& g, std::int64_t index) {
  const std::int64_t k = index / g.plane - 1;
  const std::int64_t in_plane = index - (k + 1) * g.plane;
  const std::int64_t j = in_plane / g.pitch - 1;
  const std::int64_t i = in_plane - (j + 1) * g.pitch - 1;
  return philox_voxel_key(m, i, j, k);
}

}  // namespace cyto
