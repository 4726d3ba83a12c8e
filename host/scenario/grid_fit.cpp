#include "host/scenario/grid_fit.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>

#include "host/scenario/units.hpp"

namespace cyto {
namespace {

constexpr std::array<char, 3> kAxisNames{'x', 'y', 'z'};

}  // namespace

void check_shape_inside_grid(const Shape& s, const GridSettings& grid) {
  if (s.kind == ShapeKind::Union) {
    for (const Shape& part : s.parts) check_shape_inside_grid(part, grid);
    return;
  }
  const auto [lo, hi] = shape_bounds(s);
  for (std::size_t i = 0; i < 3; ++i) {
    const double grid_lo = grid.origin[i];
    const double grid_hi = grid.origin[i] + grid.extent[i];
    const double slack = 0.5 * grid.spacing[i];
    if (lo[i] >= grid_lo - slack && hi[i] <= grid_hi + slack) continue;
    const LengthUnit unit =
        length_unit_for(std::max({std::abs(lo[i]), std::abs(hi[i]), std::abs(grid_lo), std::abs(grid_hi)}));
    throw InputError(s.where,
                     fmt::format("shape extends outside the grid: {} from {} to {}, grid {} from {} to {}",
                                 kAxisNames[i], length_in(lo[i], unit), length_in(hi[i], unit), kAxisNames[i],
                                 length_in(grid_lo, unit), length_in(grid_hi, unit)));
  }
}

void check_box_meets_grid(const Bounds& b, const GridSettings& grid, const SourceLocation& where,
                          std::string_view what) {
  for (std::size_t i = 0; i < 3; ++i) {
    const double grid_lo = grid.origin[i], grid_hi = grid.origin[i] + grid.extent[i];
    if (b.hi[i] > grid_lo && b.lo[i] < grid_hi) continue;
    const LengthUnit unit = length_unit_for(
        std::max({std::abs(b.lo[i]), std::abs(b.hi[i]), std::abs(grid_lo), std::abs(grid_hi)}));
    throw InputError(where,
                     fmt::format("the {} lies outside the grid: {} from {} to {}, grid {} from {} to {} "
                                 "(check its units and translate, or size the grid from the geometry: "
                                 "grid: {{voxel, padding}})",
                                 what, kAxisNames[i], length_in(b.lo[i], unit), length_in(b.hi[i], unit),
                                 kAxisNames[i], length_in(grid_lo, unit), length_in(grid_hi, unit)));
  }
}

}  // namespace cyto
