#include "host/geometry/placed_geometry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <utility>

#include "host/geometry/geometry.hpp"
#include "host/geometry/label_to_tissue.hpp"
#include "host/scenario/grid_fit.hpp"
#include "host/scenario/units.hpp"

namespace cyto {
namespace {

// A defect in a file is reported at the YAML key that names the file, with
// the file's own position in the message.
template <class Read>
auto read_named_file(const SourceLocation& where, Read&& read) {
  try {
    return read();
  } catch (const InputError& e) {
    throw InputError(where, e.what());
  }
}

// "mm" for 1e-3, else "<metres> m".
std::string unit_name(double metres) {
  for (const auto& [name, value] : {std::pair{"m", 1.0}, {"cm", 1e-2}, {"mm", 1e-3}, {"um", 1e-6}})
    if (metres == value) return name;
  return fmt::format("{} m", metres);
}

PlacedMesh place_mesh(const MeshFile& file) {
  PlacedMesh placed;
  placed.mesh = read_named_file(file.where, [&] { return read_mesh(file.file); });
  const MeshBounds raw = mesh_bounds(placed.mesh);
  for (int a = 0; a < 3; ++a) placed.file_extent[a] = raw.hi[a] - raw.lo[a];
  const std::array<double, 12> a = placement_affine(file.placement);
  for (auto& v : placed.mesh.vertices) {
    const std::array<double, 3> x = v;
    for (int r = 0; r < 3; ++r)
      v[r] = a[4 * r] * x[0] + a[4 * r + 1] * x[1] + a[4 * r + 2] * x[2] + a[4 * r + 3];
  }
  placed.enclosed_volume = enclosed_volume(placed.mesh);
  return placed;
}

// The file's index_to_world (already in metres) followed by the scenario's
// scale, rotation and translation.
void place_label_volume(LabelVolume& volume, const Placement& placement) {
  Placement placed = placement;
  placed.unit = 1;  // the reader already converted to metres
  const std::array<double, 12> a = placement_affine(placed);
  std::array<double, 12>& m0 = volume.index_to_world;
  std::array<double, 12> world{};
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 4; ++c) {
      double sum = c == 3 ? a[4 * r + 3] : 0;
      for (int k = 0; k < 3; ++k) sum += a[4 * r + k] * m0[4 * k + c];
      world[4 * r + c] = sum;
    }
  }
  m0 = world;
}

// Each label the scenario maps must be in the file: an InputError at
// "labels" naming the missing ones and those the file holds.
std::vector<std::int64_t> count_mapped_labels(const VolumeFile& file, const LabelVolume& volume) {
  const std::map<std::int32_t, std::int64_t> histogram = label_histogram(volume.labels);
  std::vector<std::int64_t> counts;
  std::string missing, present;
  for (const auto& lt : file.labels) {
    const auto count = histogram.find(lt.label);
    counts.push_back(count == histogram.end() ? 0 : count->second);
    if (counts.back() == 0) missing += fmt::format("{}{}", missing.empty() ? "" : ", ", lt.label);
  }
  int listed = 0;
  for (const auto& [label, count] : histogram) {
    if (label == 0) continue;
    if (++listed > 40) {
      present += ", ...";
      break;
    }
    present += fmt::format("{}{}", present.empty() ? "" : ", ", label);
  }
  if (!missing.empty())
    throw InputError(file.labels_where,
                     fmt::format("label {} not found in {} (it holds {})", missing, file.file,
                                 present.empty() ? std::string("only 0, background") : "labels " + present));
  return counts;
}

// The world box of the voxels that carry a mapped label: their index box,
// widened by half a voxel, through the affine.
Bounds mapped_label_bounds(const LabelVolume& vol, const LabelToTissue& tissue_of) {
  Bounds b;
  std::int64_t lo[3] = {vol.dims[0], vol.dims[1], vol.dims[2]}, hi[3] = {-1, -1, -1};
  std::size_t idx = 0;
  for (std::int64_t k = 0; k < vol.dims[2]; ++k)
    for (std::int64_t j = 0; j < vol.dims[1]; ++j)
      for (std::int64_t i = 0; i < vol.dims[0]; ++i, ++idx) {
        if (tissue_of(vol.labels[idx]) < 0) continue;
        const std::int64_t ijk[3] = {i, j, k};
        for (int a = 0; a < 3; ++a) {
          lo[a] = std::min(lo[a], ijk[a]);
          hi[a] = std::max(hi[a], ijk[a]);
        }
      }
  if (hi[0] < 0) return b;
  const std::array<double, 12>& m = vol.index_to_world;
  bool first = true;
  for (int corner = 0; corner < 8; ++corner) {
    const double u[3] = {corner & 1 ? hi[0] + 0.5 : lo[0] - 0.5, corner & 2 ? hi[1] + 0.5 : lo[1] - 0.5,
                         corner & 4 ? hi[2] + 0.5 : lo[2] - 0.5};
    for (int a = 0; a < 3; ++a) {
      const double x = m[4 * a] * u[0] + m[4 * a + 1] * u[1] + m[4 * a + 2] * u[2] + m[4 * a + 3];
      b.lo[a] = first ? x : std::min(b.lo[a], x);
      b.hi[a] = first ? x : std::max(b.hi[a], x);
    }
    first = false;
  }
  return b;
}

PlacedVolume place_volume(const VolumeFile& file) {
  PlacedVolume placed;
  // A unit the scenario names wins over the file's own (NIfTI xyzt_units, with
  // a note when they differ: headers with a wrong unit exist); otherwise the
  // file's own applies, or mm where it has none (MetaImage).
  const double unit_if_unspecified = file.unit_given ? file.placement.unit : 1e-3;
  placed.volume =
      read_named_file(file.where, [&] { return read_label_volume(file.file, unit_if_unspecified); });
  LabelVolume& volume = placed.volume;
  if (file.unit_given) {
    // The scenario named the unit: the reader's "assumed" note would mislead.
    auto& notes = volume.notes;
    notes.erase(
        std::remove_if(notes.begin(), notes.end(),
                       [](const std::string& n) { return n.find("; assumed 1 unit") != std::string::npos; }),
        notes.end());
    if (volume.unit != file.placement.unit) {
      notes.push_back(fmt::format("the header's length unit ({}) is replaced by the scenario's units: {}",
                                  unit_name(volume.unit), unit_name(file.placement.unit)));
      for (double& m : volume.index_to_world) m *= file.placement.unit / volume.unit;
      volume.unit = file.placement.unit;
    }
  }
  const std::array<double, 3> h = volume.spacing();
  for (int a = 0; a < 3; ++a)
    placed.file_extent[a] = double(volume.dims[std::size_t(a)]) * h[a] / volume.unit;
  place_label_volume(volume, file.placement);
  placed.source_voxels = count_mapped_labels(file, volume);
  return placed;
}

PlacedItem place_item(const GeometryItem& item) {
  PlacedItem placed;
  switch (item.kind) {
    case GeometryKind::Shape:
      placed.bounds = shape_bounds(item.shape);
      break;
    case GeometryKind::Surface: {
      placed.mesh = place_mesh(item.mesh);
      const MeshBounds b = mesh_bounds(placed.mesh->mesh);
      placed.bounds = {b.lo, b.hi};
      break;
    }
    case GeometryKind::Volume:
      placed.volume = place_volume(item.volume);
      placed.bounds = mapped_label_bounds(placed.volume->volume, LabelToTissue(item.volume.labels));
      break;
  }
  return placed;
}

// The bounding box of every geometry item, padded, becomes the grid.
void size_grid_from_geometry(GridSettings& g, const std::vector<PlacedItem>& items) {
  Vec3 lo{}, hi{};
  bool any = false;
  for (const PlacedItem& item : items) {
    for (int i = 0; i < 3; ++i) {
      lo[i] = any ? std::min(lo[i], item.bounds.lo[i]) : item.bounds.lo[i];
      hi[i] = any ? std::max(hi[i], item.bounds.hi[i]) : item.bounds.hi[i];
    }
    any = true;
  }
  for (int i = 0; i < 3; ++i) {
    g.origin[i] = lo[i] - g.padding * g.spacing[i];
    g.extent[i] = std::max(hi[i] - lo[i], g.spacing[i]) + 2 * g.padding * g.spacing[i];
  }
}

// "120 mm", "1.2e+05 m": a length in the unit that reads best.
std::string readable_length(double metres) {
  for (const auto& [name, value] : {std::pair{"m", 1.0}, {"cm", 1e-2}, {"mm", 1e-3}})
    if (metres >= value) return fmt::format("{:.4g} {}", metres / value, name);
  return fmt::format("{:.4g} um", metres * 1e6);
}

// A mesh or label map in metres read as mm is smaller than a voxel ("no
// voxels"), and one in mm read as metres needs more voxels than any machine
// holds: both are refused here naming the file's extent in its units and the
// unit that makes it organ-sized (5 mm to 2 m, nearest 10 cm).
void check_file_scale(const SourceLocation& where, const char* what, const std::array<double, 3>& file_extent,
                      double unit, const Vec3& scale, const Bounds& placed, const Vec3& spacing) {
  double voxels = 1, most = 0;
  for (int a = 0; a < 3; ++a) {
    const double across = (placed.hi[a] - placed.lo[a]) / spacing[a];
    voxels *= std::max(across, 1.0);
    most = std::max(most, across);
  }
  const bool too_small = most<1, too_large = voxels> 1099511627776.0;  // 2^40
  if (!too_small && !too_large) return;
  const auto& e = file_extent;
  const double size = std::max({e[0], e[1], e[2]}) * unit * std::max({scale[0], scale[1], scale[2]});
  std::string suggestion;
  double best = 0;
  for (const double candidate : {1.0, 1e-2, 1e-3, 1e-6}) {
    const double organ = size / unit * candidate;
    if (candidate == unit || organ < 5e-3 || organ > 2.0) continue;
    const double distance = std::abs(std::log10(organ / 0.1));
    if (suggestion.empty() || distance < best) {
      suggestion = unit_name(candidate);
      best = distance;
    }
  }
  const std::string voxel = readable_length(std::min({spacing[0], spacing[1], spacing[2]}));
  throw InputError(
      where,
      fmt::format("the {} spans {:.4g} x {:.4g} x {:.4g} in its file units, read as {} ({}): {}{}", what,
                  e[0], e[1], e[2], unit_name(unit), readable_length(size),
                  too_small ? "smaller than one voxel of " + voxel + ", so it has no voxels"
                            : fmt::format("{:.3g} voxels of {}", voxels, voxel),
                  suggestion.empty() ? std::string("; check units: and scale:")
                                     : fmt::format("; if the file is in {0}, set units: {0}", suggestion)));
}

void check_region_inside_grid(const Region& region, const GridSettings& grid) {
  if (region.shape) check_shape_inside_grid(*region.shape, grid);
}

// The region shapes the reader checks against an explicit grid, in its
// order: species' initial values, each population's initial values and
// seeding, sources.
void check_regions_inside_grid(const Scenario& s, const GridSettings& grid) {
  for (const Species& sp : s.species)
    for (const InitialValue& v : sp.initial) check_region_inside_grid(v.region, grid);
  for (std::size_t p = 0; p < s.populations.size(); ++p) {
    for (const InitialValue& v : s.populations[p].initial) check_region_inside_grid(v.region, grid);
    for (const Seeding& sd : s.seedings)
      if (sd.population == static_cast<int>(p)) check_region_inside_grid(sd.region, grid);
  }
  for (const Source& src : s.sources) check_region_inside_grid(src.region, grid);
}

}  // namespace

std::array<double, 12> placement_affine(const Placement& p) {
  const double cx = std::cos(p.rotation[0]), sx = std::sin(p.rotation[0]);
  const double cy = std::cos(p.rotation[1]), sy = std::sin(p.rotation[1]);
  const double cz = std::cos(p.rotation[2]), sz = std::sin(p.rotation[2]);
  // R = Rz * Ry * Rx: about x first, then y, then z (fixed axes).
  const double r[3][3] = {{cz * cy, cz * sy * sx - sz * cx, cz * sy * cx + sz * sx},
                          {sz * cy, sz * sy * sx + cz * cx, sz * sy * cx - cz * sx},
                          {-sy, cy * sx, cy * cx}};
  std::array<double, 12> a{};
  for (int row = 0; row < 3; ++row) {
    for (int col = 0; col < 3; ++col) a[4 * row + col] = r[row][col] * p.scale[col] * p.unit;
    a[4 * row + 3] = p.translation[row];
  }
  return a;
}

PlacedGeometry load_geometry(const Scenario& s) {
  PlacedGeometry placed;
  for (const GeometryItem& item : s.geometry) placed.items.push_back(place_item(item));
  placed.grid = s.grid;
  const bool sized_here = s.grid.from_geometry;
  if (sized_here) size_grid_from_geometry(placed.grid, placed.items);
  for (std::size_t n = 0; n < s.geometry.size(); ++n) {
    const GeometryItem& item = s.geometry[n];
    if (item.kind == GeometryKind::Shape) {
      if (sized_here) check_shape_inside_grid(item.shape, placed.grid);
    } else {
      const PlacedItem& p = placed.items[n];
      if (item.kind == GeometryKind::Surface)
        check_file_scale(item.mesh.where, "mesh", p.mesh->file_extent, item.mesh.placement.unit,
                         item.mesh.placement.scale, p.bounds, placed.grid.spacing);
      else
        check_file_scale(item.volume.where, "label map", p.volume->file_extent, p.volume->volume.unit,
                         item.volume.placement.scale, p.bounds, placed.grid.spacing);
      check_box_meets_grid(placed.items[n].bounds, placed.grid, item.where,
                           item.kind == GeometryKind::Surface ? "mesh" : "volume's labelled region");
    }
  }
  if (sized_here) check_regions_inside_grid(s, placed.grid);
  return placed;
}

}  // namespace cyto
