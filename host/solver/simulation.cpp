#include "host/solver/simulation.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "host/core/exact_sum.hpp"
#include "host/core/trace.hpp"
#include "kernels/halo_k.hpp"
#include "kernels/reaction_k.hpp"

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
    : Simulation(scenario, load_geometry(scenario), std::move(backend), parallel) {}

template <class Real>
Simulation<Real>::Simulation(const Scenario& scenario, const PlacedGeometry& geometry,
                             std::unique_ptr<Backend<Real>> backend, const ParallelOptions& parallel)
    : scenario_(scenario),
      tissues_(rasterise_tissues(scenario_, geometry)),
      comm_(parallel.comm),
      decomposition_(decompose(tissues_, comm_.size(), parallel.decomposition)),
      disc_(discretise_block(scenario_, tissues_, decomposition_, comm_.rank())),
      plan_(plan_time(scenario_)),
      backend_(std::move(backend)),
      fields_(field_layout(scenario_)) {
  for (int f = 0; f < 6; ++f)
    neighbour_[std::size_t(f)] = decomposition_.neighbour(comm_.rank(), f / 2, f % 2);
  // Device buffers straight to MPI where the library is CUDA-aware; pinned host staging otherwise.
  device_halos_ = comm_.parallel() && backend_->device_halos() && par::cuda_aware();
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
  for (int f = 0; f < fields_.count(); ++f) {
    std::vector<Real> values = native_field(f);
    if (comm_.root()) st.fields.push_back(std::move(values));
  }
  st.plasma = plasma_;
  st.blood = blood_;
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
      backend_->upload_field(f, block_to_layout(values));
      blocks = true;
    } else {
      throw RuntimeFailure(
          fmt::format("internal: restoring a field of {} values into a grid of {} (block {})", values.size(),
                      tissues_.grid.voxels(), disc_.block.voxels()));
    }
  }
  // This rank's blocks alone: the halos come from the neighbours, as in a step.
  if (comm_.any(blocks)) exchange_halos();
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
  for (int a = 0; a < 3; ++a) parameters.origin[a] = disc_.block.lo[std::size_t(a)];
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

// The block and its halo layer (values of the neighbouring blocks; 0 beyond the grid).
template <class Real>
template <class Value>
std::vector<Real> Simulation<Real>::to_layout(const std::vector<Value>& dense) const {
  const GridLayout& g = disc_.layout;
  const std::array<int, 3>& lo = disc_.block.lo;
  const DenseGrid& whole = tissues_.grid;
  std::vector<Real> out(std::size_t(g.size), Real(0));
  for (int k = -1; k <= g.nz; ++k)
    for (int j = -1; j <= g.ny; ++j)
      for (int i = -1; i <= g.nx; ++i) {
        const int gi = lo[0] + i, gj = lo[1] + j, gk = lo[2] + k;
        if (gi < 0 || gj < 0 || gk < 0 || gi >= whole.nx || gj >= whole.ny || gk >= whole.nz) continue;
        out[std::size_t(g.index(i, j, k))] = Real(dense[std::size_t(tissues_.index(gi, gj, gk))]);
      }
  return out;
}

// One block (dense, x fastest) into the padded layout; the halo is left 0.
template <class Real>
std::vector<Real> Simulation<Real>::block_to_layout(const std::vector<Real>& block) const {
  const GridLayout& g = disc_.layout;
  std::vector<Real> out(std::size_t(g.size), Real(0));
  for (int k = 0; k < g.nz; ++k)
    for (int j = 0; j < g.ny; ++j)
      std::copy(block.begin() + (std::int64_t(j) + std::int64_t(g.ny) * k) * g.nx,
                block.begin() + (std::int64_t(j) + std::int64_t(g.ny) * k + 1) * g.nx,
                out.begin() + g.index(0, j, k));
  return out;
}

template <class Real>
void Simulation<Real>::exchange_halos() {
  if (std::none_of(neighbour_.begin(), neighbour_.end(), [](int r) { return r >= 0; })) return;
  par::Messages messages(comm_);
  start_halo_exchange(messages);
  finish_halo_exchange(messages);
}

// Posts the receives and sends of this rank's face layers.
template <class Real>
void Simulation<Real>::start_halo_exchange(par::Messages& messages) {
  // Only species diffuse: populations and budget amounts never read a neighbour's value.
  const int ns = fields_.n_species;
  if (device_halos_) {
    // CUDA-aware MPI reads and writes device buffers. Packing first: it
    // waits for the device, so the previous step's unpacks are done with the
    // receive buffers before MPI writes into them again.
    Real* send[6] = {};
    for (int f = 0; f < 6; ++f)
      if (neighbour_[std::size_t(f)] >= 0) send[f] = backend_->pack_face_on_device(f, ns);
    for (int f = 0; f < 6; ++f) {
      if (neighbour_[std::size_t(f)] < 0) continue;
      const std::size_t bytes = std::size_t(face_voxels(disc_.layout, f)) * std::size_t(ns) * sizeof(Real);
      messages.receive(backend_->receive_buffer_on_device(f, ns), bytes, neighbour_[std::size_t(f)], f);
      messages.send(send[f], bytes, neighbour_[std::size_t(f)], f ^ 1);
    }
  } else {
    for (int f = 0; f < 6; ++f) {
      if (neighbour_[std::size_t(f)] < 0) continue;
      const std::size_t n = std::size_t(face_voxels(disc_.layout, f)) * std::size_t(ns);
      halo_receive_[f].resize(n);
      halo_send_[f].resize(n);
      messages.receive(halo_receive_[f].data(), n * sizeof(Real), neighbour_[std::size_t(f)], f);
    }
    for (int f = 0; f < 6; ++f) {
      if (neighbour_[std::size_t(f)] < 0) continue;
      backend_->pack_face(f, ns, halo_send_[f].data());
      // Tagged with the face it arrives at on the neighbour: the opposite one.
      messages.send(halo_send_[f].data(), halo_send_[f].size() * sizeof(Real), neighbour_[std::size_t(f)],
                    f ^ 1);
    }
  }
}

// Waits for the halos and writes them into the fields.
template <class Real>
void Simulation<Real>::finish_halo_exchange(par::Messages& messages) {
  const int ns = fields_.n_species;
  messages.wait();
  for (int f = 0; f < 6; ++f) {
    if (neighbour_[std::size_t(f)] < 0) continue;
    if (device_halos_)
      backend_->unpack_face_on_device(f, ns);
    else
      backend_->unpack_face(f, ns, halo_receive_[f].data());
  }
}

template <class Real>
void Simulation<Real>::step_once() {
  const bool exchanging = std::any_of(neighbour_.begin(), neighbour_.end(), [](int r) { return r >= 0; });
  if (!exchanging) {
    backend_->step();
    return;
  }
  const auto t0 = std::chrono::steady_clock::now();
  par::Messages messages(comm_);
  start_halo_exchange(messages);
  const auto posted = std::chrono::steady_clock::now();
  const bool overlap = backend_->splits_steps();
  if (overlap) backend_->compute(StepPart::Inner);
  const auto t1 = std::chrono::steady_clock::now();
  finish_halo_exchange(messages);
  const auto t2 = std::chrono::steady_clock::now();
  if (overlap) {
    backend_->compute(StepPart::Shell);
    backend_->complete_step();
  } else {
    backend_->step();
  }
  halo_seconds_ += std::chrono::duration<double>(t2 - t1).count();
  pack_seconds_ += std::chrono::duration<double>(posted - t0).count();
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
      std::vector<int> exchanged_species;
      for (int sp = 0; sp < fields_.n_species; ++sp)
        if (exchanging_[std::size_t(sp)]) exchanged_species.push_back(sp);
      std::vector<std::vector<double>> sums;
      tissue_reductions(exchanged_species, sums, nullptr);  // one collective for all species
      step_tissue_amounts_.resize(std::size_t(fields_.n_species));
      for (std::size_t q = 0; q < exchanged_species.size(); ++q) {
        std::vector<double>& amounts = step_tissue_amounts_[std::size_t(exchanged_species[q])];
        amounts = std::move(sums[q]);
        for (double& amount : amounts) amount *= voxel_volume_ml();
      }
    }
    prepare_step(t, dt);
    step_once();
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
std::vector<Real> Simulation<Real>::local_field(int field) const {
  std::vector<Real> padded;
  backend_->download_field(field, padded);
  const GridLayout& g = disc_.layout;
  std::vector<Real> dense(std::size_t(g.interior_voxels()));
  for (int k = 0; k < g.nz; ++k)
    for (int j = 0; j < g.ny; ++j) {
      const std::int64_t from = g.index(0, j, k);
      std::copy(padded.begin() + from, padded.begin() + from + g.nx,
                dense.begin() + (std::int64_t(j) + std::int64_t(g.ny) * k) * g.nx);
    }
  return dense;
}

template <class Real>
std::vector<Real> Simulation<Real>::native_field(int field) const {
  std::vector<Real> block = local_field(field);
  if (!comm_.parallel()) return block;
  const std::vector<std::vector<std::byte>> parts = comm_.gather(block.data(), block.size() * sizeof(Real));
  if (!comm_.root()) return {};
  std::vector<Real> whole(std::size_t(tissues_.grid.voxels()));
  for (int r = 0; r < comm_.size(); ++r) {
    const Box box = decomposition_.rank_box(r);
    const Real* values = reinterpret_cast<const Real*>(parts[std::size_t(r)].data());
    for (int k = 0; k < box.size[2]; ++k)
      for (int j = 0; j < box.size[1]; ++j)
        std::copy(values + (std::int64_t(j) + std::int64_t(box.size[1]) * k) * box.size[0],
                  values + (std::int64_t(j) + std::int64_t(box.size[1]) * k + 1) * box.size[0],
                  whole.begin() + tissues_.index(box.lo[0], box.lo[1] + j, box.lo[2] + k));
  }
  return whole;
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
    row.plasma = plasma_;
    row.blood = blood_;
  }
  row.drugs = drug_levels();
  return row;
}

template class Simulation<float>;
template class Simulation<double>;

}  // namespace cyto
