#include "simulation.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "kernels/reaction_k.hpp"
#include "trace.hpp"

namespace cyto {

std::vector<double> initial_field(const Scenario& s, const TissueMap& tissues, int species) {
  std::vector<double> values(tissues.tissue.size(), 0.0);
  for (const InitialValue& init : s.species[species].initial) {
    const std::vector<std::uint8_t> mask = region_mask(tissues, init.region);
    for (std::size_t idx = 0; idx < values.size(); ++idx)
      if (mask[idx]) values[idx] = init.value;
  }
  for (const DirichletBoundary& b : s.boundaries) {
    if (b.species != species) continue;
    for (std::size_t idx = 0; idx < values.size(); ++idx)
      if (tissues.tissue[idx] == b.tissue + 1) values[idx] = b.value;
  }
  return values;
}

template <class Real>
Simulation<Real>::Simulation(const Scenario& scenario, std::unique_ptr<Backend<Real>> backend)
    : scenario_(scenario),
      tissues_(rasterise_tissues(scenario_)),
      disc_(discretise(scenario_, tissues_)),
      plan_(plan_time(scenario_)),
      backend_(std::move(backend)),
      fields_(field_layout(scenario_)) {
  const Scenario& s = scenario_;
  const int ns = fields_.n_species;
  std::vector<std::vector<double>> populations;
  for (int p = 0; p < fields_.n_populations; ++p) populations.push_back(initial_population(s, tissues_, p));
  check_stochastic_cell_counts(populations);
  backend_->setup(disc_, fields_.count());
  for (int sp = 0; sp < ns; ++sp) backend_->upload_field(sp, to_layout(initial_field(s, tissues_, sp)));
  for (int p = 0; p < fields_.n_populations; ++p)
    backend_->upload_field(fields_.population(p), to_layout(populations[std::size_t(p)]));
  for (int f = ns + fields_.n_populations; f < fields_.count(); ++f)
    backend_->upload_field(f, std::vector<Real>(std::size_t(disc_.layout.size), Real(0)));
  region_of_material_ = disc_.material_tissue;  // region = tissue index; -1 for outside

  const int nt = int(s.tissues.size());
  if (s.plasma.enabled) {
    plasma_ = s.plasma.initial;
    blood_ = s.plasma.blood_initial;
    exchange_rate_.assign(std::size_t(nt) * ns, 0.0);
    exchanging_.assign(std::size_t(ns), 0);
    for (const VascularExchange& e : s.plasma.exchange) {
      exchange_rate_[std::size_t(e.tissue) * ns + e.species] = e.rate;
      exchanging_[std::size_t(e.species)] |= e.rate > 0;
    }
    // An organ with a volume stands for the whole organ: its exchange with
    // plasma is that of its modelled voxels scaled up.
    std::vector<double> scale(std::size_t(nt), 1.0);
    for (const Organ& organ : s.organs) {
      if (!organ.volume) continue;
      std::int64_t voxels = 0;
      for (int t : organ.tissues) voxels += tissues_.voxel_count[std::size_t(t)];
      const double modelled = double(voxels) * voxel_volume_ml();
      for (int t : organ.tissues) scale[std::size_t(t)] = *organ.volume / modelled;
    }
    plasma_flow_.assign(std::size_t(nt) * ns, 0.0);
    plasma_uptake_.assign(std::size_t(ns), 0.0);
    for (int tissue = 0; tissue < nt; ++tissue)
      for (int sp = 0; sp < ns; ++sp) {
        const std::size_t ts = std::size_t(tissue) * ns + sp;
        plasma_flow_[ts] = scale[std::size_t(tissue)] * exchange_rate_[ts] / s.plasma.volume;
        plasma_uptake_[std::size_t(sp)] +=
            plasma_flow_[ts] * double(tissues_.voxel_count[std::size_t(tissue)]) * voxel_volume_ml();
      }
  } else {
    blood_.assign(std::size_t(fields_.n_populations), 0.0);
  }
  model_time_dependent_ = cell_model_is_time_dependent(s);
  neutralisation_.assign(std::size_t(ns), 0.0);
}

// Stochastic death draws one 32-bit number per cell, with a 16-bit batch
// index of four cells in the Philox counter: refused before anything is
// allocated where a voxel could hold more cells than that.
template <class Real>
void Simulation<Real>::check_stochastic_cell_counts(
    const std::vector<std::vector<double>>& populations) const {
  constexpr double kMaxStochasticCells = 4.0 * 65536;
  const Scenario& s = scenario_;
  for (const Rule& r : s.rules) {
    if (r.kind != RuleKind::Death || r.mode != DeathMode::Stochastic) continue;
    const std::vector<double>& initial = populations[std::size_t(r.population)];
    double most = *std::max_element(initial.begin(), initial.end());
    for (const Rule& g : s.rules)
      if ((g.kind == RuleKind::Growth || g.kind == RuleKind::Recruitment) && g.population == r.population)
        most = std::max(most, g.capacity);
    if (most * voxel_volume_ml() > kMaxStochasticCells)
      throw InputError(r.where,
                       fmt::format("stochastic death of \"{}\" would track up to {:.3g} cells in a voxel, "
                                   "more than the {:.0f} allowed; use smaller voxels or mode: deterministic",
                                   s.populations[std::size_t(r.population)].name, most * voxel_volume_ml(),
                                   kMaxStochasticCells));
  }
}

template <class Real>
typename Simulation<Real>::State Simulation<Real>::state() const {
  State st;
  st.time = time_;
  st.steps = steps_;
  for (int f = 0; f < fields_.count(); ++f) st.fields.push_back(native_field(f));
  st.plasma = plasma_;
  st.blood = blood_;
  return st;
}

template <class Real>
void Simulation<Real>::restore(const State& st) {
  if (int(st.fields.size()) != fields_.count())
    throw RuntimeFailure(
        fmt::format("internal: restoring {} fields into a run of {}", st.fields.size(), fields_.count()));
  for (int f = 0; f < fields_.count(); ++f) {
    if (std::int64_t(st.fields[std::size_t(f)].size()) != tissues_.grid.voxels())
      throw RuntimeFailure(fmt::format("internal: restoring a field of {} values into a grid of {}",
                                       st.fields[std::size_t(f)].size(), tissues_.grid.voxels()));
    std::vector<Real> padded(std::size_t(disc_.layout.size), Real(0));
    const GridLayout& g = disc_.layout;
    for (int k = 0; k < g.nz; ++k)
      for (int j = 0; j < g.ny; ++j)
        for (int i = 0; i < g.nx; ++i)
          padded[g.index(i, j, k)] = st.fields[std::size_t(f)][tissues_.index(i, j, k)];
    backend_->upload_field(f, padded);
  }
  time_ = st.time;
  steps_ = st.steps;
  plasma_ = st.plasma;
  blood_ = st.blood;
  model_.smooth.clear();  // the rule tables are sent again, with the step number
  model_.deaths.clear();
}

template <class Real>
std::vector<double> Simulation<Real>::drug_levels() const {
  std::vector<double> levels;
  for (const Therapy& t : scenario_.therapies) levels.push_back(drug_level(t, time_));
  return levels;
}

// Doses into the plasma that fall in [t0, t1): boluses whole, spread
// infusions by their overlap with the interval.
template <class Real>
void Simulation<Real>::give_infusions(double t0, double t1) {
  const double volume = scenario_.plasma.volume;
  for (const Infusion& inf : scenario_.infusions) {
    double amount = 0;
    if (!inf.end) {
      if (inf.start >= t0 && inf.start < t1) amount = inf.amount;
    } else {
      const double overlap = std::min(t1, *inf.end) - std::max(t0, inf.start);
      if (overlap > 0) amount = inf.amount * overlap / (*inf.end - inf.start);
    }
    if (amount == 0) continue;
    if (inf.species >= 0)
      plasma_[std::size_t(inf.species)] += amount / volume;
    else
      blood_[std::size_t(inf.population)] += amount / volume;
  }
}

template <class Real>
void Simulation<Real>::tissue_sums(int field, std::vector<double>& per_tissue) const {
  std::vector<double> maxima;
  backend_->region_sum_max(field, region_of_material_, int(scenario_.tissues.size()), per_tissue, maxima);
}

// Coefficients and rule tables for the step [t, t + dt]: exchange with the
// plasma as it is now, drugs at their level over the step.
template <class Real>
void Simulation<Real>::prepare_step(double t, double dt) {
  const Scenario& s = scenario_;
  const int ns = fields_.n_species;
  const int nt = int(s.tissues.size());
  bool any_extra = false;
  if (s.plasma.enabled || !s.therapies.empty()) {
    extras_.decay.assign(std::size_t(nt) * ns, 0.0);
    extras_.source.assign(std::size_t(nt) * ns, 0.0);
    for (int tissue = 0; tissue < nt && s.plasma.enabled; ++tissue)
      for (int sp = 0; sp < ns; ++sp) {
        const std::size_t ts = std::size_t(tissue) * ns + sp;
        extras_.decay[ts] += exchange_rate_[ts];
        extras_.source[ts] += exchange_rate_[ts] * plasma_[std::size_t(sp)];
      }
    // Neutralisation: k_on x the drug's mean level over the step, the same in tissue and plasma.
    std::fill(neutralisation_.begin(), neutralisation_.end(), 0.0);
    for (const Therapy& therapy : s.therapies)
      if (therapy.effect == DrugEffect::Neutralisation)
        for (int sp : therapy.species)
          neutralisation_[std::size_t(sp)] += therapy.k_on * (drug_exposure(therapy, t, t + dt) / dt);
    for (int tissue = 0; tissue < nt; ++tissue)
      for (int sp = 0; sp < ns; ++sp)
        extras_.decay[std::size_t(tissue) * ns + sp] += neutralisation_[std::size_t(sp)];
    any_extra = true;
  }
  fill_coefficients(s, disc_, t, dt, table_, any_extra ? &extras_ : nullptr);
  if (!(table_ == applied_)) {
    backend_->set_coefficients(table_);
    applied_ = table_;
  }
  if (s.rules.empty()) return;
  const bool new_dt = model_.smooth.size() + model_.deaths.size() == 0 || dt != model_dt_;
  if (!new_dt && !model_time_dependent_) return;
  ModelDrive drive;
  for (const Therapy& therapy : s.therapies) drive.drug.push_back(drug_level(therapy, t + 0.5 * dt));
  drive.blood = blood_;
  compile_cell_model(s, disc_, dt, drive, model_);
  CellModel<Real> parameters;
  parameters.dt = Real(dt);
  parameters.voxel_volume_ml = voxel_volume_ml();
  parameters.nx = disc_.grid.nx;
  parameters.ny = disc_.grid.ny;
  parameters.seed[0] = std::uint32_t(s.seed);
  parameters.seed[1] = std::uint32_t(s.seed >> 32);
  parameters.step = std::uint64_t(steps_);
  backend_->set_cell_model(model_, parameters);
  model_dt_ = dt;
}

// The plasma over [t, t + dt] with the tissue amounts of the step's start:
//   dP/dt = S - K P,  K = clearance + (sum scale gamma V_tissue) / V + k_on drug,
//                     S = (sum scale gamma amount_tissue) / V,
// solved exactly for constant S and K.
template <class Real>
void Simulation<Real>::update_plasma(double dt) {
  const Scenario& s = scenario_;
  const int ns = fields_.n_species;
  const int nt = int(s.tissues.size());
  for (int sp = 0; sp < ns; ++sp) {
    const double k = s.plasma.clearance[std::size_t(sp)] + plasma_uptake_[std::size_t(sp)] +
                     neutralisation_[std::size_t(sp)];
    double source = 0;
    if (exchanging_[std::size_t(sp)])
      for (int tissue = 0; tissue < nt; ++tissue)
        source += plasma_flow_[std::size_t(tissue) * ns + sp] *
                  step_tissue_amounts_[std::size_t(sp)][std::size_t(tissue)];
    const DecaySourceCoefficients c = decay_source_coefficients(k, dt);
    plasma_[std::size_t(sp)] = plasma_[std::size_t(sp)] * c.decay_factor + source * c.source_gain;
  }
  for (std::size_t p = 0; p < blood_.size(); ++p) blood_[p] *= std::exp(-s.plasma.blood_clearance[p] * dt);
}

template <class Real>
std::vector<Real> Simulation<Real>::to_layout(const std::vector<double>& dense) const {
  const GridLayout& g = disc_.layout;
  std::vector<Real> out(std::size_t(g.size), Real(0));
  for (int k = 0; k < g.nz; ++k)
    for (int j = 0; j < g.ny; ++j)
      for (int i = 0; i < g.nx; ++i) out[g.index(i, j, k)] = Real(dense[tissues_.index(i, j, k)]);
  return out;
}

template <class Real>
typename Simulation<Real>::Segment Simulation<Real>::segment_to(double t_target) const {
  return Segment{time_, steps_, t_target, steps_between(time_, t_target, plan_.max_dt)};
}

template <class Real>
bool Simulation<Real>::advance(const Segment& segment, const std::function<bool()>& after_step) {
  const std::int64_t first = steps_ - segment.step_start;
  if (first < 0 || first > segment.steps)
    throw RuntimeFailure(fmt::format("internal: step {} is not in the segment of steps {} to {}", steps_,
                                     segment.step_start, segment.step_start + segment.steps));
  if (first == segment.steps) return true;
  TraceRange trace("advance");
  const double t0 = segment.t_start, t_target = segment.t_end;
  const std::int64_t n = segment.steps;
  const double dt = (t_target - t0) / double(n);
  const bool plasma = scenario_.plasma.enabled;
  bool reached = true;
  for (std::int64_t i = first; i < n; ++i) {
    const double t = t0 + double(i) * dt;
    if (plasma) {
      give_infusions(t, t + dt);
      step_tissue_amounts_.resize(std::size_t(fields_.n_species));
      for (int sp = 0; sp < fields_.n_species; ++sp) {
        if (!exchanging_[std::size_t(sp)]) continue;
        tissue_sums(sp, step_tissue_amounts_[std::size_t(sp)]);
        for (double& amount : step_tissue_amounts_[std::size_t(sp)]) amount *= voxel_volume_ml();
      }
    }
    prepare_step(t, dt);
    backend_->step();
    if (plasma) update_plasma(dt);
    ++steps_;
    time_ = (i + 1 == n) ? t_target : t0 + double(i + 1) * dt;
    if (after_step && !after_step() && i + 1 < n) {
      reached = false;
      break;
    }
  }
  backend_->synchronize();  // stepping time is measured to here, and faults surface here
  return reached;
}

template <class Real>
void Simulation<Real>::advance_to(double t_target, const std::function<void()>& after_step) {
  if (after_step)
    advance(segment_to(t_target), [&] {
      after_step();
      return true;
    });
  else
    advance(segment_to(t_target));
}

template <class Real>
std::vector<Real> Simulation<Real>::native_field(int species) const {
  std::vector<Real> padded;
  backend_->download_field(species, padded);
  const GridLayout& g = disc_.layout;
  std::vector<Real> dense(std::size_t(g.interior_voxels()));
  for (int k = 0; k < g.nz; ++k)
    for (int j = 0; j < g.ny; ++j) {
      const std::int64_t from = g.index(0, j, k);
      std::copy(padded.begin() + from, padded.begin() + from + g.nx, dense.begin() + tissues_.index(0, j, k));
    }
  return dense;
}

template <class Real>
std::vector<double> Simulation<Real>::field(int species) const {
  const std::vector<Real> native = native_field(species);
  return std::vector<double>(native.begin(), native.end());
}

template <class Real>
void Simulation<Real>::set_field(int species, const std::vector<double>& dense) {
  backend_->upload_field(species, to_layout(dense));
}

template <class Real>
void Simulation<Real>::set_source_field(int species, const std::vector<double>& dense) {
  backend_->set_source_field(species, to_layout(dense));
}

template <class Real>
double Simulation<Real>::voxel_volume_ml() const {
  const Vec3& h = disc_.grid.spacing;
  return h[0] * h[1] * h[2] * 1e6;  // m^3 -> mL
}

template <class Real>
TimeSeriesRow Simulation<Real>::statistics() const {
  const Scenario& s = scenario_;
  const int ns = fields_.n_species;
  const int nt = int(s.tissues.size());
  const double dv = voxel_volume_ml();
  TimeSeriesRow row;
  row.time_s = time_;
  row.step = steps_;
  // Regions: all tissue, each tissue, each organ.
  const auto region_stats = [&](int field) {
    std::vector<double> sums, maxima;
    backend_->region_sum_max(field, region_of_material_, nt, sums, maxima);
    std::vector<RegionStats> out(std::size_t(1 + nt) + s.organs.size());
    double all_sum = 0, all_max = -std::numeric_limits<double>::infinity();
    for (int t = 0; t < nt; ++t) {
      const double count = double(tissues_.voxel_count[std::size_t(t)]);
      out[std::size_t(t) + 1] = {sums[std::size_t(t)] * dv, sums[std::size_t(t)] / count,
                                 maxima[std::size_t(t)]};
      all_sum += sums[std::size_t(t)];
      all_max = std::max(all_max, maxima[std::size_t(t)]);
    }
    out[0] = {all_sum * dv, all_sum / double(tissues_.tissue_voxels), all_max};
    for (std::size_t o = 0; o < s.organs.size(); ++o) {
      double sum = 0, max = -std::numeric_limits<double>::infinity();
      std::int64_t count = 0;
      for (int t : s.organs[o].tissues) {
        sum += sums[std::size_t(t)];
        max = std::max(max, maxima[std::size_t(t)]);
        count += tissues_.voxel_count[std::size_t(t)];
      }
      out[std::size_t(1 + nt) + o] = {sum * dv, sum / double(count), max};
    }
    return out;
  };
  for (int sp = 0; sp < ns; ++sp) row.stats.push_back(region_stats(sp));
  for (int p = 0; p < fields_.n_populations; ++p)
    row.populations.push_back(region_stats(fields_.population(p)));
  if (fields_.budget)
    for (int sp = 0; sp < ns; ++sp) {
      const std::vector<RegionStats> secreted = region_stats(fields_.secreted(sp));
      const std::vector<RegionStats> released = region_stats(fields_.released(sp));
      const std::vector<RegionStats> taken_up = region_stats(fields_.taken_up(sp));
      std::vector<BudgetStats> budget(secreted.size());
      for (std::size_t r = 0; r < budget.size(); ++r)
        budget[r] = {secreted[r].total_pg, released[r].total_pg, taken_up[r].total_pg};
      row.budget.push_back(std::move(budget));
    }
  if (s.plasma.enabled) {
    row.plasma = plasma_;
    row.blood = blood_;
  }
  row.drugs = drug_levels();
  return row;
}

template class Simulation<float>;
template class Simulation<double>;

}  // namespace cyto
