// The scenario in words, in user units. describe_scenario(s) describes it
// as data: the files it names by name, a grid sized from the geometry by its
// voxel and padding. `cytostorm check` prints more: the grid as resolved and
// what each file holds, which need the files read (describe_scenario(s,
// geometry), host/geometry/geometry_description.hpp), built from the
// sections below.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "host/scenario/scenario.hpp"

namespace cyto {

// Heading, grid, tissues, geometry, species, sources, boundaries, seed,
// populations, rules, organs, plasma, infusions, therapies, time, output
// and checkpoints.
std::string describe_scenario(const Scenario& s);

// "Scenario <name> (<file>)", the description, the precision.
std::string describe_heading(const Scenario& s);
// "Grid": origin, extent, voxel and how it was sized; `grid` as resolved.
std::string describe_grid(const GridSettings& grid);
// "Tissues (n)" and each tissue's label.
std::string describe_tissues(const Scenario& s);
// "in liver within sphere at (...), radius ...", "in all tissue"
std::string describe_region(const Region& r, const Scenario& s);
// "sphere at (...), radius ..."
std::string describe_shape(const Shape& shape);
// "Geometry" item i: a shape, a mesh or a volume by its file name, followed
// by what the file holds where known (`file_facts`, e.g. " (35898
// triangles, 17951 vertices)"); for a volume then `notes` on the file and
// its label -> tissue map.
std::string describe_geometry_item(const Scenario& s, std::size_t i, const std::string& file_facts = "",
                                   const std::vector<std::string>& notes = {});
// Everything after the geometry: species, sources, boundaries, seed,
// populations, rules, organs, plasma, infusions, therapies, time, output
// and checkpoints.
std::string describe_model(const Scenario& s);

}  // namespace cyto
