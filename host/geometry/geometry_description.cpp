#include "host/geometry/geometry_description.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "host/scenario/scenario_description.hpp"

namespace cyto {
namespace {

// What the item's file holds, after its name in the description.
std::string file_facts(const GeometryItem& g, const PlacedItem& placed) {
  if (g.kind == GeometryKind::Surface)
    return fmt::format(" ({} triangles, {} vertices)", placed.mesh->mesh.triangles.size(),
                       placed.mesh->mesh.vertices.size());
  if (g.kind == GeometryKind::Volume) {
    const LabelVolume& v = placed.volume->volume;
    const auto h = v.spacing();
    return fmt::format(": {}, {} x {} x {} voxels of {:.6g} x {:.6g} x {:.6g} mm", v.format, v.dims[0],
                       v.dims[1], v.dims[2], h[0] * 1e3, h[1] * 1e3, h[2] * 1e3);
  }
  return {};
}

}  // namespace

std::string describe_scenario(const Scenario& s, const PlacedGeometry& geometry) {
  std::string out = describe_heading(s) + describe_grid(geometry.grid) + describe_tissues(s);
  out += "Geometry (painted by priority, then in order; later items win)\n";
  // Where files are placed, the frame they are placed in.
  const bool files = std::any_of(s.geometry.begin(), s.geometry.end(),
                                 [](const GeometryItem& g) { return g.kind != GeometryKind::Shape; });
  if (files)
    out +=
        "  World frame: LPS (+x left, +y posterior, +z superior, as DICOM and ITK); NIfTI's RAS is converted "
        "(x, y negated), MetaImage is LPS; meshes, shapes and unoriented NIfTI keep their axes\n";
  for (std::size_t i = 0; i < s.geometry.size(); ++i) {
    const PlacedItem& placed = geometry.items[i];
    out += describe_geometry_item(s, i, file_facts(s.geometry[i], placed),
                                  placed.volume ? placed.volume->volume.notes : std::vector<std::string>{});
  }
  return out + describe_model(s);
}

}  // namespace cyto
