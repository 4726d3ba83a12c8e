#include "host/model/pharmacokinetics.hpp"

#include <algorithm>
#include <cmath>

namespace cyto {

double drug_level(const Therapy& therapy, double t) {
  const double k = std::log(2.0) / therapy.half_life;
  double level = 0;
  for (const Dose& d : therapy.doses)
    if (d.time <= t) level += d.amount / therapy.volume * std::exp(-k * (t - d.time));
  return level;
}

double drug_exposure(const Therapy& therapy, double t0, double t1) {
  const double k = std::log(2.0) / therapy.half_life;
  double exposure = 0;
  for (const Dose& d : therapy.doses) {
    const double from = std::max(t0, d.time);
    if (!(t1 > from)) continue;
    // integral of C0 exp(-k (t - t_d)) over [from, t1]
    const double c0 = d.amount / therapy.volume;
    exposure += c0 * std::exp(-k * (from - d.time)) * (-std::expm1(-k * (t1 - from))) / k;
  }
  return exposure;
}

std::vector<double> drug_levels(const Scenario& s, double t) {
  std::vector<double> levels;
  for (const Therapy& therapy : s.therapies) levels.push_back(drug_level(therapy, t));
  return levels;
}

void neutralisation_rates(const Scenario& s, double t, double dt, std::vector<double>& rates) {
  rates.assign(s.species.size(), 0.0);
  for (const Therapy& therapy : s.therapies)
    if (therapy.effect == DrugEffect::Neutralisation)
      for (int sp : therapy.species)
        rates[std::size_t(sp)] += therapy.k_on * (drug_exposure(therapy, t, t + dt) / dt);
}

}  // namespace cyto
