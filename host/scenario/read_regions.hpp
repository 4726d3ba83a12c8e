// Shapes and the regions built from them (a tissue, a shape, or both), and
// initial values over regions: shared by geometry, species, populations,
// seedings and sources.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "host/scenario/read_context.hpp"
#include "host/scenario/units.hpp"

namespace cyto::reader {

// `keys` plus the shape keys (box, sphere, ellipsoid, cylinder, union).
std::vector<std::string> with_shape_keys(std::vector<std::string> keys);

// The one shape key of a map that may also hold other keys (tissue, value, ...).
std::optional<Shape> read_shape_choice(const Document& doc, const MapReader& m, bool required);

// A region's tissue and shape keys. Against an explicit grid the shape is
// checked here; a grid sized from the geometry is known only once the
// geometry layer has read the files, which then checks it.
Region read_region(const Reading& r, const MapReader& m);

// A concentration or cell density for every tissue voxel, or a list of regional values.
std::vector<InitialValue> read_initial(const Reading& r, const Field& f, Quantity q);

}  // namespace cyto::reader
