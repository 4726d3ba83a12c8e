#include "host/solver/simulation.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "host/backends/host_probe.hpp"
#include "host/core/exact_sum.hpp"
#include "host/core/trace.hpp"
#include "host/model/field_layout_copy.hpp"

namespace cyto {

namespace {

// This rank's block, with the faces a neighbour rank fills.
Discretisation discretise_block(const Scenario& s, const TissueMap& tissues, const Decomposition& d,
                                int rank) {
  const Box box = d.rank_box(rank);
  std::array<bool, 6> exchanged{};
  for (int f = 0; f < 6; ++f) exchanged[std::size_t(f)] = d.neighbour(rank, f / 2, f % 2) >= 0;
  return discretise(s, tissues, &box, exchanged);
}

}  // namespace

template <class Real>
Simulation<Real>::Simulation(const Scenario& scenario, std::unique_ptr<Backend<Real>> backend,
                             const ParallelOptions& parallel)
    : Simulation(scenario, rasterise_tissues(scenario), std::move(backend), parallel) {}

template <class Real>
Simulation<Real>::Simulation(const Scenario& scenario, TissueMap tissues,
                             std::unique_ptr<Backend<Real>> backend, const ParallelOptions& parallel)
    : scenario_(scenario),
      tissues_(std::move(tissues)),
      comm_(parallel.comm),
      decomposition_(decompose(tissues_, comm_.size(), parallel.decomposition)),
      disc_(discretise_block(scenario_, tissues_, decomposition_, comm_.rank())),
      plan_(plan_time(scenario_)),
      backend_(std::move(backend)),
      fields_(field_layout(scenario_)) {
  // Device buffers straight to MPI where the library is CUDA-aware; pinned host staging otherwise.
  halos_ = HaloExchange<Real>(comm_, decomposition_, disc_.layout, fields_.n_species,
                              comm_.parallel() && backend_->device_halos() && par::cuda_aware());
  const Scenario& s = scenario_;
  const int ns = fields_.n_species;
  std::vector<std::vector<double>> populations;
  for (int p = 0; p < fields_.n_populations; ++p) populations.push_back(initial_population(s, tissues_, p));
  backend_->setup(disc_, fields_.count());
  for (int sp = 0; sp < ns; ++sp) backend_->upload_field(sp, to_layout(initial_field(s, tissues_, sp)));
  for (int p = 0; p < fields_.n_populations; ++p)
    backend_->upload_field(fields_.population(p), to_layout(populations[std::size_t(p)]));
  for (int f = ns + fields_.n_populations; f < fields_.count(); ++f)
    backend_->upload_field(f, std::vector<Real>(std::size_t(disc_.layout.size), Real(0)));
  region_of_material_ = disc_.material_tissue;  // region = tissue index; -1 for outside
  plasma_ = PlasmaCompartment(s, tissues_, voxel_volume_ml());
  neutralisation_.assign(std::size_t(ns), 0.0);
}

template <class Real>
typename Simulation<Real>::State Simulation<Real>::state() const {
  State st;
  st.time = time_;
  st.steps = steps_;
  for (int f = 0; f < fields_.count(); ++f) {
    std::vector<Real> values = native_field(f);
    if (comm_.root()) st.fields.push_back(std::move(values));
  }
  st.plasma = plasma_.plasma();
  st.blood = plasma_.blood();
  return st;
}

template <class Real>
void Simulation<Real>::restore(const State& st) {
  if (int(st.fields.size()) != fields_.count())
    throw RuntimeFailure(
        fmt::format("internal: restoring {} fields into a run of {}", st.fields.size(), fields_.count()));
  bool blocks = false;
  for (int f = 0; f < fields_.count(); ++f) {
    const std::vector<Real>& values = st.fields[std::size_t(f)];
    if (std::int64_t(values.size()) == tissues_.grid.voxels()) {
      backend_->upload_field(f, to_layout(values));
    } else if (std::int64_t(values.size()) == disc_.block.voxels()) {
      backend_->upload_field(f, padded_from_block(values, disc_.layout));
      blocks = true;
    } else {
      throw RuntimeFailure(
          fmt::format("internal: restoring a field of {} values into a grid of {} (block {})", values.size(),
                      tissues_.grid.voxels(), disc_.block.voxels()));
    }
  }
  // This rank's blocks alone: the halos come from the neighbours, as in a step.
  if (comm_.any(blocks)) halos_.exchange(comm_, *backend_);
  time_ = st.time;
  steps_ = st.steps;  // the next step's number: the stochastic draws go on from there
  plasma_.restore(st.plasma, st.blood);
  amounts_measured_ = false;  // summed again from the fields restored: the same exact sums
}

template <class Real>
std::vector<double> Simulation<Real>::drug_levels() const {
  return cyto::drug_levels(scenario_, time_);
}

template <class Real>
void Simulation<Real>::tissue_reductions(const std::vector<int>& fields,
                                         std::vector<std::vector<double>>& sums,
                                         std::vector<std::vector<double>>* maxima) const {
  const int nt = int(scenario_.tissues.size());
  const std::size_t n = fields.size() * std::size_t(nt);
  std::vector<std::int64_t> words(n * ExactSum::kPackedWords);
  std::vector<double> highest(n);
  std::vector<double> tile_sums, tile_max;
  for (std::size_t q = 0; q < fields.size(); ++q) {
    backend_->region_tile_sums(fields[q], region_of_material_, nt, tile_sums, tile_max);
    std::vector<ExactSum> exact(static_cast<std::size_t>(nt));
    for (std::size_t t = 0; t < tile_sums.size(); t += std::size_t(nt))
      for (int r = 0; r < nt; ++r) exact[std::size_t(r)].add(tile_sums[t + std::size_t(r)]);
    for (int r = 0; r < nt; ++r) {
      const auto packed = exact[std::size_t(r)].packed();
      std::copy(packed.begin(), packed.end(),
                words.begin() + std::ptrdiff_t((q * nt + r) * ExactSum::kPackedWords));
      highest[q * nt + std::size_t(r)] = tile_max[std::size_t(r)];
    }
  }
  comm_.sum(words.data(), int(words.size()));
  if (maxima) comm_.max_keep_nan(highest.data(), int(highest.size()));
  sums.assign(fields.size(), std::vector<double>(std::size_t(nt)));
  if (maxima) maxima->assign(fields.size(), std::vector<double>(std::size_t(nt)));
  for (std::size_t q = 0; q < fields.size(); ++q)
    for (int r = 0; r < nt; ++r) {
      const std::size_t qr = q * nt + std::size_t(r);
      sums[q][std::size_t(r)] = ExactSum::from_packed(&words[qr * ExactSum::kPackedWords]).value();
      if (maxima) (*maxima)[q][std::size_t(r)] = highest[qr] == 0 ? 0.0 : highest[qr];
    }
}

template <class Real>
FieldScan Simulation<Real>::scan_field(int field) const {
  FieldScan scan = backend_->scan_field(field);
  if (!comm_.parallel()) return scan;
  comm_.min(&scan.min, 1);
  comm_.max_keep_nan(&scan.max, 1);
  comm_.sum(&scan.nonfinite, 1);
  return scan;
}

// The transport table and the rule tables for steps of length dt: built
// and handed to the backend only when dt changes.
template <class Real>
void Simulation<Real>::set_tables(double dt) {
  TransportTable<Real> table;
  fill_transport_table(scenario_, disc_, dt, table);
  if (!(table == transport_)) {
    backend_->set_transport_table(table);
    transport_ = std::move(table);
  }
  if (!scenario_.rules.empty()) {
    compile_cell_model(scenario_, disc_, dt, model_);
    backend_->set_cell_model(model_);
  }
  tables_dt_ = dt;
}

// The parameter block of the step [t, t + dt]: exchange with the plasma as
// it is now, drugs at their level over the step, the sources' windows.
template <class Real>
void Simulation<Real>::prepare_step(double t, double dt) {
  const Scenario& s = scenario_;
  if (!(dt == tables_dt_)) set_tables(dt);
  bool any_extra = false;
  if (s.plasma.enabled || !s.therapies.empty()) {
    neutralisation_rates(s, t, dt, neutralisation_);
    if (s.plasma.enabled) plasma_midpoint_ = plasma_.midpoint(s, dt, neutralisation_, start_amounts_);
    any_extra = transport_extras(s, plasma_, plasma_midpoint_, neutralisation_, extras_);
  }
  fill_step_rates(s, disc_, t, dt, any_extra ? &extras_ : nullptr, step_);
  if (!s.rules.empty())
    fill_rule_drive(s, ModelDrive{cyto::drug_levels(s, t + 0.5 * dt), plasma_.blood()}, step_.rules);
  step_.step = steps_;
}

template <class Real>
void Simulation<Real>::step_once() {
  if (halos_.active())
    halos_.step(comm_, *backend_, step_);
  else
    backend_->step(step_);
}

// The amounts of the species exchanged with plasma in each tissue, now.
template <class Real>
void Simulation<Real>::measure_tissue_amounts(std::vector<std::vector<double>>& amounts_by_species) const {
  const std::vector<int> exchanged_species = plasma_.exchanged_species();
  std::vector<std::vector<double>> sums;
  tissue_reductions(exchanged_species, sums, nullptr);  // one collective for all species
  amounts_by_species.resize(std::size_t(fields_.n_species));
  for (std::size_t q = 0; q < exchanged_species.size(); ++q) {
    std::vector<double>& amounts = amounts_by_species[std::size_t(exchanged_species[q])];
    amounts = std::move(sums[q]);
    for (double& amount : amounts) amount *= voxel_volume_ml();
  }
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
  bool reached = true;
  const std::int64_t steps_before = steps_;
  for (std::int64_t i = first; i < n; ++i) {
    take_step(t0 + double(i) * dt, dt);
    time_ = (i + 1 == n) ? t_target : t0 + double(i + 1) * dt;
    if (after_step && !after_step() && i + 1 < n) {
      reached = false;
      break;
    }
  }
  taken_.add(dt, steps_ - steps_before);
  backend_->synchronize();  // stepping time is measured to here, and faults surface here
  return reached;
}

// One step [t, t + dt] of everything: plasma infusions, the step's
// parameters, the fields (halos included), the plasma; the step count.
// The tissue and the plasma are coupled at second order: the tissue sees
// the plasma at the step's midpoint, the plasma the tissue amounts at both
// ends of the step. Those at the end are the next step's start: one
// reduction a step (two after a restore, which sums them again).
template <class Real>
void Simulation<Real>::take_step(double t, double dt) {
  const bool plasma = scenario_.plasma.enabled;
  if (plasma) {
    plasma_.give_infusions(scenario_, t, t + dt);
    if (!amounts_measured_) measure_tissue_amounts(start_amounts_);
  }
  prepare_step(t, dt);
  step_once();
  if (plasma) {
    measure_tissue_amounts(end_amounts_);
    plasma_.update(scenario_, dt, neutralisation_, start_amounts_, end_amounts_);
    std::swap(start_amounts_, end_amounts_);
    amounts_measured_ = true;
  }
  ++steps_;
  time_ = t + dt;
}

template <class Real>
StepError Simulation<Real>::step_error(double dt) {
  TraceRange trace("step error");
  const int n_fields = fields_.count();
  const int compared = fields_.n_species + fields_.n_populations;  // not the cumulative budget amounts
  const bool on_backend = !probe_through_host_ && backend_->prepare_probe(compared);
  HostProbe<Real> host;  // where the backend has no room for the copies
  const auto save_start = [&] {
    if (on_backend) return backend_->save_probe_start();
    host.save_start(*backend_, n_fields);
  };
  const auto restore_start = [&] {
    if (on_backend) return backend_->restore_probe_start();
    host.restore_start(*backend_);
  };
  const auto save_one_step = [&] {
    if (on_backend) return backend_->save_probe_one_step();
    host.save_one_step(*backend_, compared);
  };

  save_start();
  const PlasmaCompartment start_plasma = plasma_;
  const std::vector<std::vector<double>> start_amounts = start_amounts_;
  const bool amounts_measured = amounts_measured_;
  const double t0 = time_;
  const std::int64_t step0 = steps_;
  const auto back_to_start = [&] {
    restore_start();
    plasma_ = start_plasma;
    start_amounts_ = start_amounts;
    amounts_measured_ = amounts_measured;
    time_ = t0;
    steps_ = step0;
  };

  take_step(t0, dt);
  save_one_step();
  const PlasmaCompartment one_plasma = plasma_;
  back_to_start();
  take_step(t0, 0.5 * dt);
  take_step(t0 + 0.5 * dt, 0.5 * dt);

  // Per field: sums over the tissue of |one step - two half steps| and of
  // |two half steps|, in integers (fixed point, 2^-28 of the field's largest
  // value over all ranks): exact and in any order, so the estimate (and the
  // step chosen from it) is the same for any rank and thread count.
  std::vector<double> largest =
      on_backend ? backend_->probe_largest() : host.largest(*backend_, disc_.layout, disc_.material);
  comm_.max_keep_nan(largest.data(), compared);
  std::vector<double> to_fixed(std::size_t(compared), 0.0);
  for (int f = 0; f < compared; ++f)
    if (largest[std::size_t(f)] > 0 && std::isfinite(largest[std::size_t(f)]))
      to_fixed[std::size_t(f)] = kFixedPointSteps / largest[std::size_t(f)];
  std::vector<std::int64_t> sums =
      on_backend ? backend_->probe_sums(to_fixed) : host.sums(disc_.layout, disc_.material, to_fixed);
  comm_.sum(sums.data(), int(sums.size()));
  StepError e;
  e.dt = dt;
  // Relative to the size, but not below a level too low to matter: a
  // species or plasma level of kNegligibleConcentration, a population or
  // blood density of kNegligibleDensity (a field that starts at 0 would
  // otherwise count any change as a relative error of 1).
  const auto relative = [](double difference, double size, double negligible) {
    return difference / std::max(size, negligible);
  };
  const double tissue_voxels = double(tissues_.tissue_voxels);
  for (int f = 0; f < compared; ++f) {
    const double m = largest[std::size_t(f)];
    double r = 0;
    if (!std::isfinite(m)) {
      r = std::numeric_limits<double>::infinity();  // NaN or overflow: no step of this length
    } else if (m > 0) {
      const double quantum = m / kFixedPointSteps;
      const double negligible =
          tissue_voxels * (f < fields_.n_species ? kNegligibleConcentration : kNegligibleDensity);
      r = relative(double(sums[std::size_t(2 * f)]) * quantum, double(sums[std::size_t(2 * f + 1)]) * quantum,
                   negligible);
    }
    if (r > e.relative) {
      e.relative = r;
      e.what = f;
    }
  }
  const auto compare = [&](const std::vector<double>& a, const std::vector<double>& b, int what0,
                           double negligible) {
    for (std::size_t q = 0; q < a.size(); ++q) {
      double r = relative(std::fabs(a[q] - b[q]), std::fabs(b[q]), negligible);
      if (std::isnan(r)) r = std::numeric_limits<double>::infinity();
      if (r > e.relative) {
        e.relative = r;
        e.what = what0 + int(q);
      }
    }
  };
  compare(one_plasma.plasma(), plasma_.plasma(), kPlasmaFirst, kNegligibleConcentration);
  compare(one_plasma.blood(), plasma_.blood(), kPlasmaFirst + int(plasma_.plasma().size()),
          kNegligibleDensity);
  // The two half steps are about twice as accurate as the one step (first
  // order): the one step's error is about twice their difference.
  e.relative *= 2;
  back_to_start();
  backend_->synchronize();
  return e;
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
std::vector<Real> Simulation<Real>::local_field(int field) const {
  std::vector<Real> padded;
  backend_->download_field(field, padded);
  return block_from_padded(padded, disc_.layout);
}

template <class Real>
std::vector<Real> Simulation<Real>::native_field(int field) const {
  std::vector<Real> block = local_field(field);
  if (!comm_.parallel()) return block;
  const std::vector<std::vector<std::byte>> parts = comm_.gather(block.data(), block.size() * sizeof(Real));
  if (!comm_.root()) return {};
  std::vector<Real> whole(std::size_t(tissues_.grid.voxels()));
  for (int r = 0; r < comm_.size(); ++r)
    place_block(reinterpret_cast<const Real*>(parts[std::size_t(r)].data()), decomposition_.rank_box(r),
                tissues_.grid, whole.data());
  return whole;
}

// Whole-grid values -> this block and its halo layer (values of the neighbouring blocks; 0 beyond the grid).
template <class Real>
template <class Value>
std::vector<Real> Simulation<Real>::to_layout(const std::vector<Value>& dense) const {
  return padded_from_grid<Real>(dense, tissues_.grid, disc_.block, disc_.layout);
}

template <class Real>
std::vector<double> Simulation<Real>::field(int species) const {
  const std::vector<Real> native = native_field(species);
  return std::vector<double>(native.begin(), native.end());
}

template <class Real>
void Simulation<Real>::set_field(int species, const std::vector<double>& dense) {
  backend_->upload_field(species, to_layout(dense));
  amounts_measured_ = false;
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
  // Every field's tissue sums and maxima in one collective.
  std::vector<int> reduced;
  for (int f = 0; f < fields_.count(); ++f) reduced.push_back(f);
  std::vector<std::vector<double>> all_sums, all_maxima;
  tissue_reductions(reduced, all_sums, &all_maxima);
  const auto region_stats = [&](int field) {
    const std::vector<double>& sums = all_sums[std::size_t(field)];
    const std::vector<double>& maxima = all_maxima[std::size_t(field)];
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
    row.plasma = plasma_.plasma();
    row.blood = plasma_.blood();
  }
  row.drugs = drug_levels();
  return row;
}

template class Simulation<float>;
template class Simulation<double>;

}  // namespace cyto
