// Whether geometry fits the grid: the checks the reader makes against an
// explicit grid, and the geometry layer against a grid it sized from the
// files (or against any grid, for the files themselves).
#pragma once

#include <string_view>

#include "host/scenario/scenario.hpp"
#include "host/scenario/shape_bounds.hpp"

namespace cyto {

// A shape (each part of a union) may overhang the grid by half a voxel: a
// shape that ends on the boundary voxel's centre is fine. InputError at the
// shape otherwise ("shape extends outside the grid: x from ... to ..., grid
// x from ... to ...").
void check_shape_inside_grid(const Shape& shape, const GridSettings& grid);

// A file's geometry (`what`: "mesh", "volume's labelled region") must reach
// into the grid on every axis. InputError at `where` otherwise, suggesting a
// grid sized from the geometry.
void check_box_meets_grid(const Bounds& box, const GridSettings& grid, const SourceLocation& where,
                          std::string_view what);

}  // namespace cyto
