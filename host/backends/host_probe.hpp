// The step-error probe (Simulation::step_error) through the host, for a
// backend without room for its own copies of the fields
// (Backend::prepare_probe false): the same copies as host vectors, and the
// same fixed-point sums (kernels/probe_k.hpp) over the same tissue voxels,
// so the estimate is bitwise the one the backend would give.
#pragma once

#include <cstdint>
#include <vector>

#include "host/backends/backend.hpp"

namespace cyto {

template <class Real>
class HostProbe {
 public:
  void save_start(const Backend<Real>& backend, int n_fields);
  void restore_start(Backend<Real>& backend) const;
  void save_one_step(const Backend<Real>& backend, int compared);
  // As Backend::probe_largest and probe_sums, against the backend's current
  // fields; `material` is the block's padded material map (its interior voxels count).
  std::vector<double> largest(const Backend<Real>& backend, const GridLayout& layout,
                              const std::vector<MaterialId>& material);
  std::vector<std::int64_t> sums(const GridLayout& layout, const std::vector<MaterialId>& material,
                                 const std::vector<double>& to_fixed) const;

 private:
  std::vector<std::vector<Real>> start_, one_, current_;
};

}  // namespace cyto
