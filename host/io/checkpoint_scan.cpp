// The values of a loaded checkpoint: a file whose checksums verify can still
// hold a state no run reaches (written by a damaged process, or edited), and
// a run continued from it would blow up later, far from the cause.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "host/io/checkpoint.hpp"
#include "host/io/value_bounds.hpp"

namespace cyto {
namespace {

std::string describe(double v) { return std::isnan(v) ? "NaN" : std::isinf(v) ? "infinite" : "negative"; }

// The first bad value of one field, by the blow-up guard's rule.
template <class Real>
std::string scan_field(const std::string& name, const std::vector<Real>& values, const Box& block,
                       double largest) {
  const double tolerance = negative_tolerance<Real>() * std::max(largest, 1e-300);
  std::int64_t bad = -1, count = 0;
  for (std::size_t n = 0; n < values.size(); ++n)
    if (is_bad_value<Real>(double(values[n]), tolerance)) {
      if (bad < 0) bad = std::int64_t(n);
      ++count;
    }
  if (bad < 0) return "";
  const std::int64_t nx = std::max(block.size[0], 1), ny = std::max(block.size[1], 1);
  const std::int64_t i = block.lo[0] + bad % nx, j = block.lo[1] + bad / nx % ny,
                     k = block.lo[2] + bad / nx / ny;
  const double v = double(values[std::size_t(bad)]);
  return fmt::format("dataset /fields/{}: voxel ({}, {}, {}) holds {} ({}); {} voxel{} bad", name, i, j, k, v,
                     describe(v), count, count == 1 ? " is" : "s are");
}

std::string scan_levels(const char* dataset, const std::vector<double>& values) {
  for (std::size_t n = 0; n < values.size(); ++n)
    if (!std::isfinite(values[n]) || values[n] < 0)
      return fmt::format("dataset {}: entry {} holds {} ({})", dataset, n, values[n], describe(values[n]));
  return "";
}

}  // namespace

template <class Real>
std::vector<double> largest_field_values(const Checkpoint<Real>& c) {
  std::vector<double> largest;
  for (const std::vector<Real>& field : c.fields) {
    double most = 0;
    for (const Real v : field)
      if (std::isfinite(double(v))) most = std::max(most, std::abs(double(v)));
    largest.push_back(most);
  }
  return largest;
}

template <class Real>
std::string scan_checkpoint_values(const Checkpoint<Real>& c, const Box& block,
                                   const std::vector<double>* largest) {
  const std::vector<double> own = largest ? std::vector<double>() : largest_field_values(c);
  const std::vector<double>& bound = largest ? *largest : own;
  for (std::size_t f = 0; f < c.fields.size() && f < c.field_names.size() && f < bound.size(); ++f)
    if (std::string bad = scan_field(c.field_names[f], c.fields[f], block, bound[f]); !bad.empty())
      return bad;
  for (const auto& [dataset, values] :
       {std::pair{"/plasma/concentration", &c.plasma}, std::pair{"/plasma/blood", &c.blood},
        std::pair{"/plasma/drugs", &c.drugs}})
    if (std::string bad = scan_levels(dataset, *values); !bad.empty()) return bad;
  return "";
}

template std::vector<double> largest_field_values<float>(const Checkpoint<float>&);
template std::vector<double> largest_field_values<double>(const Checkpoint<double>&);
template std::string scan_checkpoint_values<float>(const Checkpoint<float>&, const Box&,
                                                   const std::vector<double>*);
template std::string scan_checkpoint_values<double>(const Checkpoint<double>&, const Box&,
                                                    const std::vector<double>*);

}  // namespace cyto
