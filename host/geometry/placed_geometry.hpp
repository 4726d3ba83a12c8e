// The files a scenario names, read and placed in the world: its meshes and
// label maps in metres, each item's bounding box, and the grid resolved
// from them where the scenario sizes it from the geometry. The scenario
// (host/scenario) only names the files; this is where they are read, after
// the scenario is validated.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "host/geometry/label_volume.hpp"
#include "host/geometry/mesh_io.hpp"
#include "host/scenario/scenario.hpp"
#include "host/scenario/shape_bounds.hpp"

namespace cyto {

// A surface mesh (STL or OBJ) in world coordinates (metres), with its
// enclosed volume from the file's triangles (divergence theorem).
struct PlacedMesh {
  TriangleMesh mesh;
  double enclosed_volume = 0;           // m^3, signed (negative: inward-oriented)
  std::array<double, 3> file_extent{};  // the vertices' box in the file's own units, before placement
};

// A label map (NIfTI or MetaImage) placed in the world.
struct PlacedVolume {
  LabelVolume volume;  // index_to_world placed (metres); notes as shown to the user
  // Voxels in the file of each label the scenario maps, in the order of
  // VolumeFile::labels.
  std::vector<std::int64_t> source_voxels;
  std::array<double, 3> file_extent{};  // the image's box in the file's own units, before placement
};

// One geometry item of the scenario, placed.
struct PlacedItem {
  // World box: a shape's, a mesh's vertices', a volume's voxels that carry a
  // mapped label.
  Bounds bounds;
  std::optional<PlacedMesh> mesh;      // GeometryKind::Surface
  std::optional<PlacedVolume> volume;  // GeometryKind::Volume
};

struct PlacedGeometry {
  // The scenario's grid, with origin and extent set where it is sized from
  // the geometry (GridSettings::from_geometry): the bounding box of every
  // item, padded. Use it, not Scenario::grid, wherever the grid's position
  // or size matters (make_dense_grid, memory estimates, descriptions).
  GridSettings grid;
  std::vector<PlacedItem> items;  // one per Scenario::geometry item, in order
};

// Reads and places every mesh and label map of the scenario, resolves the
// grid, and checks what the reader could not: each file's contents (an
// InputError at the item's "file" key, with the file's own position in the
// message), that each mapped label is in its file (at "labels"), that each
// file's geometry reaches into the grid (at the item), and, on a grid sized
// from the geometry, that every shape of the scenario lies inside it (at the
// shape), as the reader does against an explicit grid.
PlacedGeometry load_geometry(const Scenario& scenario);

// The 3x4 affine (row-major) that maps file coordinates to metres:
// rotation * (scale * unit * x) + translation.
std::array<double, 12> placement_affine(const Placement& placement);

}  // namespace cyto
