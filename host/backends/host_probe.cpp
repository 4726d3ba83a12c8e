#include "host/backends/host_probe.hpp"

#include <omp.h>

#include <limits>

#include "kernels/cpu/cpu_kernels.hpp"

namespace cyto {

template <class Real>
void HostProbe<Real>::save_start(const Backend<Real>& backend, int n_fields) {
  start_.resize(std::size_t(n_fields));
  for (int f = 0; f < n_fields; ++f) backend.download_field(f, start_[std::size_t(f)]);
}

template <class Real>
void HostProbe<Real>::restore_start(Backend<Real>& backend) const {
  for (std::size_t f = 0; f < start_.size(); ++f) backend.upload_field(int(f), start_[f]);
}

template <class Real>
void HostProbe<Real>::save_one_step(const Backend<Real>& backend, int compared) {
  one_.resize(std::size_t(compared));
  for (int f = 0; f < compared; ++f) backend.download_field(f, one_[std::size_t(f)]);
}

template <class Real>
std::vector<double> HostProbe<Real>::largest(const Backend<Real>& backend, const GridLayout& layout,
                                             const std::vector<MaterialId>& material) {
  current_.resize(one_.size());
  std::vector<double> largest(one_.size());
  for (std::size_t f = 0; f < one_.size(); ++f) {
    backend.download_field(int(f), current_[f]);
    const ProbeLargest r =
        cpu_probe_largest(layout, material.data(), one_[f].data(), current_[f].data(), omp_get_max_threads());
    largest[f] = r.nan > 0 ? std::numeric_limits<double>::quiet_NaN() : r.largest;
  }
  return largest;
}

template <class Real>
std::vector<std::int64_t> HostProbe<Real>::sums(const GridLayout& layout,
                                                const std::vector<MaterialId>& material,
                                                const std::vector<double>& to_fixed) const {
  std::vector<std::int64_t> sums(2 * one_.size(), 0);
  for (std::size_t f = 0; f < one_.size(); ++f) {
    if (to_fixed[f] == 0) continue;
    const ProbeSums r = cpu_probe_sums(layout, material.data(), one_[f].data(), current_[f].data(),
                                       to_fixed[f], omp_get_max_threads());
    sums[2 * f] = r.difference;
    sums[2 * f + 1] = r.size;
  }
  return sums;
}

template class HostProbe<float>;
template class HostProbe<double>;

}  // namespace cyto
