#include "host/model/plasma.hpp"

#include <cmath>

#include "kernels/cell_model_k.hpp"  // exponential_weights
#include "kernels/reaction_k.hpp"

namespace cyto {

PlasmaCompartment::PlasmaCompartment(const Scenario& s, const TissueMap& tissues, double voxel_volume_ml)
    : n_species_(int(s.species.size())), n_tissues_(int(s.tissues.size())) {
  const int ns = n_species_;
  const int nt = n_tissues_;
  if (!s.plasma.enabled) {
    blood_.assign(s.populations.size(), 0.0);
    return;
  }
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
    for (int t : organ.tissues) voxels += tissues.voxel_count[std::size_t(t)];
    const double modelled = double(voxels) * voxel_volume_ml;
    for (int t : organ.tissues) scale[std::size_t(t)] = *organ.volume / modelled;
  }
  plasma_flow_.assign(std::size_t(nt) * ns, 0.0);
  plasma_uptake_.assign(std::size_t(ns), 0.0);
  for (int tissue = 0; tissue < nt; ++tissue)
    for (int sp = 0; sp < ns; ++sp) {
      const std::size_t ts = std::size_t(tissue) * ns + sp;
      plasma_flow_[ts] = scale[std::size_t(tissue)] * exchange_rate_[ts] / s.plasma.volume;
      plasma_uptake_[std::size_t(sp)] +=
          plasma_flow_[ts] * double(tissues.voxel_count[std::size_t(tissue)]) * voxel_volume_ml;
    }
}

void PlasmaCompartment::restore(const std::vector<double>& plasma, const std::vector<double>& blood) {
  plasma_ = plasma;
  blood_ = blood;
}

std::vector<int> PlasmaCompartment::exchanged_species() const {
  std::vector<int> species;
  for (std::size_t sp = 0; sp < exchanging_.size(); ++sp)
    if (exchanging_[sp]) species.push_back(int(sp));
  return species;
}

void PlasmaCompartment::give_infusions(const Scenario& s, double t0, double t1) {
  const double volume = s.plasma.volume;
  for (const Infusion& inf : s.infusions) {
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

void PlasmaCompartment::add_exchange(TransportExtras& extras, const std::vector<double>& plasma) const {
  const int ns = n_species_;
  for (int tissue = 0; tissue < n_tissues_; ++tissue)
    for (int sp = 0; sp < ns; ++sp) {
      const std::size_t ts = std::size_t(tissue) * ns + sp;
      extras.decay[ts] += exchange_rate_[ts];
      extras.source[ts] += exchange_rate_[ts] * plasma[std::size_t(sp)];
    }
}

double PlasmaCompartment::loss_rate(const Scenario& s, int sp,
                                    const std::vector<double>& neutralisation) const {
  return s.plasma.clearance[std::size_t(sp)] + plasma_uptake_[std::size_t(sp)] +
         neutralisation[std::size_t(sp)];
}

double PlasmaCompartment::source(int sp, const std::vector<std::vector<double>>& amounts) const {
  double total = 0;
  if (exchanging_[std::size_t(sp)])
    for (int tissue = 0; tissue < n_tissues_; ++tissue)
      total +=
          plasma_flow_[std::size_t(tissue) * n_species_ + sp] * amounts[std::size_t(sp)][std::size_t(tissue)];
  return total;
}

std::vector<double> PlasmaCompartment::midpoint(const Scenario& s, double dt,
                                                const std::vector<double>& neutralisation,
                                                const std::vector<std::vector<double>>& amounts_start) const {
  std::vector<double> levels(plasma_.size());
  for (int sp = 0; sp < n_species_; ++sp) {
    const DecaySourceCoefficients c = decay_source_coefficients(loss_rate(s, sp, neutralisation), 0.5 * dt);
    levels[std::size_t(sp)] =
        plasma_[std::size_t(sp)] * c.decay_factor + source(sp, amounts_start) * c.source_gain;
  }
  return levels;
}

void PlasmaCompartment::update(const Scenario& s, double dt, const std::vector<double>& neutralisation,
                               const std::vector<std::vector<double>>& amounts_start,
                               const std::vector<std::vector<double>>& amounts_end) {
  for (int sp = 0; sp < n_species_; ++sp) {
    const double s0 = source(sp, amounts_start), s1 = source(sp, amounts_end);
    double decay = 1, phi1 = 1, phi2 = 0.5;
    exponential_weights(loss_rate(s, sp, neutralisation) * dt, decay, phi1, phi2);
    plasma_[std::size_t(sp)] = plasma_[std::size_t(sp)] * decay + s0 * dt * phi1 + (s1 - s0) * dt * phi2;
  }
  for (std::size_t p = 0; p < blood_.size(); ++p) blood_[p] *= std::exp(-s.plasma.blood_clearance[p] * dt);
}

bool transport_extras(const Scenario& s, const PlasmaCompartment& plasma,
                      const std::vector<double>& plasma_levels, const std::vector<double>& neutralisation,
                      TransportExtras& extras) {
  if (!s.plasma.enabled && s.therapies.empty()) return false;
  const int ns = int(s.species.size());
  const int nt = int(s.tissues.size());
  extras.decay.assign(std::size_t(nt) * ns, 0.0);
  extras.source.assign(std::size_t(nt) * ns, 0.0);
  if (s.plasma.enabled) plasma.add_exchange(extras, plasma_levels);
  for (int tissue = 0; tissue < nt; ++tissue)
    for (int sp = 0; sp < ns; ++sp)
      extras.decay[std::size_t(tissue) * ns + sp] += neutralisation[std::size_t(sp)];
  return true;
}

}  // namespace cyto
