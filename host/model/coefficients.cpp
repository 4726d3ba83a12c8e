#include "host/model/coefficients.hpp"

#include <algorithm>

#include "kernels/reaction_k.hpp"

namespace cyto {

template <class Real>
void fill_transport_table(const Scenario& s, const Discretisation& d, double dt,
                          TransportTable<Real>& table) {
  const int n_fields = field_count(s);  // the table's stride: every field
  const int n_species = int(s.species.size());
  const std::size_t n = std::size_t(d.n_materials()) * n_fields;
  table.diffusion_dt.assign(n, Real(0));
  table.fixed.assign(n, 0);
  for (int m = 1; m < d.n_materials(); ++m) {
    const int tissue = d.material_tissue[m];
    for (int sp = 0; sp < n_species; ++sp)
      table.diffusion_dt[std::size_t(m) * n_fields + sp] = Real(s.species[sp].diffusion[tissue] * dt);
  }
  for (const DirichletBoundary& b : s.boundaries)
    for (int m = 1; m < d.n_materials(); ++m)
      if (d.material_tissue[m] == b.tissue) table.fixed[std::size_t(m) * n_fields + b.species] = 1;
}

template <class Real>
void fill_step_rates(const Scenario& s, const Discretisation& d, double t, double dt,
                     const TransportExtras* extras, StepParameters<Real>& p) {
  const int n_fields = field_count(s);
  const int n_species = int(s.species.size());
  const std::size_t n = std::size_t(d.n_materials()) * n_fields;
  // With a cell model the kernels apply these linear terms in two halves,
  // before and after it (Strang splitting, linear_second_half): the factor
  // and gain of dt / 2. The rate is the step's: the amount a source adds is exact.
  const double linear_dt = s.rules.empty() ? dt : 0.5 * dt;
  p.decay_factor.assign(n, Real(1));
  p.source_rate.assign(n, Real(0));
  p.source_gain.assign(n, Real(0));
  for (int m = 1; m < d.n_materials(); ++m) {
    const int tissue = d.material_tissue[m];
    for (int sp = 0; sp < n_species; ++sp) {
      const std::size_t ms = std::size_t(m) * n_fields + sp;
      const std::size_t ts = std::size_t(tissue) * n_species + sp;
      const double decay_rate = s.species[sp].decay_rate + (extras ? extras->decay[ts] : 0.0);
      const DecaySourceCoefficients c = decay_source_coefficients(decay_rate, linear_dt);
      p.decay_factor[ms] = Real(c.decay_factor);
      p.source_gain[ms] = Real(c.source_gain);
      double rate = 0;
      for (int src : d.material_sources[m]) {
        const Source& source = s.sources[src];
        if (source.species != sp) continue;
        const double overlap = std::min(t + dt, source.end) - std::max(t, source.start);
        if (overlap > 0) rate += source.rate * (overlap / dt);
      }
      if (extras) rate += extras->source[ts];
      p.source_rate[ms] = Real(rate);
    }
  }
}

template void fill_transport_table<float>(const Scenario&, const Discretisation&, double,
                                          TransportTable<float>&);
template void fill_transport_table<double>(const Scenario&, const Discretisation&, double,
                                           TransportTable<double>&);
template void fill_step_rates<float>(const Scenario&, const Discretisation&, double, double,
                                     const TransportExtras*, StepParameters<float>&);
template void fill_step_rates<double>(const Scenario&, const Discretisation&, double, double,
                                      const TransportExtras*, StepParameters<double>&);

}  // namespace cyto
