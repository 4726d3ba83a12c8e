#include "simulation.hpp"

#include <algorithm>

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
      backend_(std::move(backend)) {
  const int ns = int(scenario_.species.size());
  backend_->setup(disc_, ns);
  for (int s = 0; s < ns; ++s) backend_->upload_field(s, to_layout(initial_field(scenario_, tissues_, s)));
  region_of_material_ = disc_.material_tissue;  // region = tissue index; -1 for outside
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
void Simulation<Real>::advance_to(double t_target, const std::function<void()>& after_step) {
  const std::int64_t n = steps_between(time_, t_target, plan_.max_dt);
  if (n == 0) return;
  TraceRange trace("advance");
  const double t0 = time_;
  const double dt = (t_target - t0) / double(n);
  for (std::int64_t i = 0; i < n; ++i) {
    fill_coefficients(scenario_, disc_, t0 + double(i) * dt, dt, table_);
    if (!(table_ == applied_)) {
      backend_->set_coefficients(table_);
      applied_ = table_;
    }
    backend_->step();
    ++steps_;
    time_ = (i + 1 == n) ? t_target : t0 + double(i + 1) * dt;
    if (after_step) after_step();
  }
  backend_->synchronize();  // stepping time is measured to here, and faults surface here
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
  const int ns = int(scenario_.species.size());
  const int nt = int(scenario_.tissues.size());
  const double dv = voxel_volume_ml();
  TimeSeriesRow row;
  row.time_s = time_;
  row.step = steps_;
  row.stats.assign(ns, std::vector<RegionStats>(nt + 1));
  std::vector<double> sums, maxima;
  for (int s = 0; s < ns; ++s) {
    backend_->region_sum_max(s, region_of_material_, nt, sums, maxima);
    RegionStats& all = row.stats[s][0];
    double all_sum = 0, all_max = -std::numeric_limits<double>::infinity();
    for (int t = 0; t < nt; ++t) {
      const double count = double(tissues_.voxel_count[t]);
      row.stats[s][t + 1] = {sums[t] * dv, sums[t] / count, maxima[t]};
      all_sum += sums[t];
      all_max = std::max(all_max, maxima[t]);
    }
    all = {all_sum * dv, all_sum / double(tissues_.tissue_voxels), all_max};
  }
  return row;
}

template class Simulation<float>;
template class Simulation<double>;

}  // namespace cyto
