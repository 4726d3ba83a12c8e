// The grid, the tissues, and the geometry that paints tissues on the grid:
// shapes, and the mesh and label-map files that the scenario names (read
// later, by host/geometry: load_geometry).
#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <optional>
#include <system_error>
#include <utility>

#include "host/scenario/grid_fit.hpp"
#include "host/scenario/read_regions.hpp"
#include "host/scenario/read_sections.hpp"
#include "host/scenario/yaml_values.hpp"

namespace cyto::reader {
namespace {

using scenario_limits::kMaxTissues;

constexpr std::array<char, 3> kAxisNames{'x', 'y', 'z'};

// No extent: the grid is sized from the geometry, once the geometry layer
// has read its files (load_geometry).
void read_grid_from_geometry(const Document& doc, const MapReader& m, GridSettings& g) {
  g.from_geometry = true;
  g.padding = 2;
  if (auto o = m.get("origin"))
    doc.fail(*o, "expected no origin without an extent (the grid is sized from the geometry), found one");
  if (auto p = m.get("padding")) {
    g.padding = read_int(doc, *p);
    if (g.padding < 0 || g.padding > 1000)
      doc.fail(*p, fmt::format("expected a padding of 0 to 1000 voxels, found {}", g.padding));
  }
}

void read_explicit_grid(const Document& doc, const MapReader& m, const Field& extent, const Field& voxel,
                        GridSettings& g) {
  if (auto p = m.get("padding"))
    doc.fail(*p,
             "expected padding only without an extent (it pads a grid sized from the geometry), found both");
  if (auto o = m.get("origin")) g.origin = read_point(doc, *o);
  g.extent = read_vec3(doc, extent, Quantity::Length, Bound::Positive, "a list of 3 lengths [x, y, z]");
  for (std::size_t i = 0; i < 3; ++i) {
    if (g.spacing[i] <= g.extent[i]) continue;
    const Field at = voxel.node.IsScalar() ? voxel : element(voxel, i);
    doc.fail(at,
             fmt::format("expected a voxel size no larger than the grid extent along {} ({}), found \"{}\"",
                         kAxisNames[i], format_quantity(g.extent[i], Quantity::Length), at.node.Scalar()));
  }
}

Tissue read_tissue(const Reading& r, const Field& item) {
  const Document& doc = r.doc;
  const MapReader m(doc, item, {"name", "label"}, "a tissue {name, label}");
  Tissue t;
  t.where = doc.locate(item);
  const Field name = m.require("name", "the tissue's name");
  t.name = read_identifier(doc, name, "tissue");
  if (t.name == "default")
    doc.fail(name,
             "expected a tissue name other than \"default\" (it means \"every other tissue\" in "
             "diffusion maps), found \"default\"");
  for (const Tissue& other : r.s.tissues)
    if (other.name == t.name)
      doc.fail(name, fmt::format("expected a unique tissue name, found \"{}\" again (first at {})", t.name,
                                 other.where.key_path));
  const Field label = m.require("label", "the tissue's label, an integer from 1 to 255");
  t.label = read_int(doc, label);
  if (t.label < 1 || t.label > kMaxTissues)
    doc.fail(label, fmt::format("expected a label from 1 to {}, found {}", kMaxTissues, t.label));
  for (const Tissue& other : r.s.tissues)
    if (other.label == t.label)
      doc.fail(label, fmt::format("expected a unique label, found {} again (already tissue \"{}\")", t.label,
                                  other.name));
  return t;
}

// A file named in the scenario: relative paths are relative to the
// scenario file's directory, so a scenario and its meshes move together.
std::string resolve_file(const Reading& r, const Field& f) {
  const Document& doc = r.doc;
  const std::string text = scalar_text(doc, f, "a file name");
  if (text.empty()) doc.fail(f, "expected a file name, found an empty string");
  std::filesystem::path p(text);
  if (p.is_relative()) p = std::filesystem::path(r.base_directory) / p;
  std::error_code ec;
  if (!std::filesystem::exists(p, ec))
    doc.fail(f,
             fmt::format("cannot find \"{}\" (looked for {}{})", text, p.lexically_normal().string(),
                         std::filesystem::path(text).is_relative() ? ", relative to the scenario file" : ""));
  return p.lexically_normal().string();
}

// "90 deg", "1.5708 rad", or a bare number in degrees.
double read_angle(const Document& doc, const Field& f) {
  const std::string text = trim(scalar_text(doc, f, "an angle, e.g. \"90 deg\""));
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  const std::string unit = trim(std::string(end, text.data() + text.size()));
  if (ec != std::errc() || !std::isfinite(value) || !(unit.empty() || unit == "deg" || unit == "rad"))
    doc.fail(f, fmt::format("expected an angle in deg or rad (a bare number is in deg), found \"{}\"",
                            f.node.Scalar()));
  return unit == "rad" ? value : value * M_PI / 180;
}

// units, scale, rotate, translate: where a file's coordinates go.
Placement read_placement(const Document& doc, const MapReader& m, const std::string& default_unit) {
  Placement p;
  const auto unit = m.get("units");
  const std::string unit_text =
      unit ? scalar_text(doc, *unit, "a length unit (m, cm, mm, um)") : default_unit;
  try {
    p.unit = parse_quantity("1 " + unit_text, Quantity::Length);
  } catch (const UnitError&) {
    doc.fail(*unit, fmt::format("expected a length unit (m, cm, mm, um), found \"{}\"", unit_text));
  }
  if (auto s = m.get("scale")) {
    if (s->node.IsScalar()) {
      const double k = read_quantity(doc, *s, Quantity::Dimensionless, Bound::Positive);
      p.scale = {k, k, k};
    } else {
      p.scale = read_vec3(doc, *s, Quantity::Dimensionless, Bound::Positive,
                          "a positive number or a list of 3 [sx, sy, sz]");
    }
  }
  if (auto rot = m.get("rotate")) {
    if (!rot->node.IsSequence() || rot->node.size() != 3)
      doc.fail(*rot, fmt::format("expected 3 angles about x, y, z, e.g. [0, 0, 90 deg], found {}",
                                 describe_found(rot->node)));
    for (std::size_t i = 0; i < 3; ++i) p.rotation[i] = read_angle(doc, element(*rot, i));
  }
  if (auto t = m.get("translate")) p.translation = read_point(doc, *t);
  return p;
}

MeshFile read_mesh_file(const Reading& r, const Field& f) {
  const MapReader m(r.doc, f, {"file", "units", "scale", "rotate", "translate"},
                    "a mesh {file, units, scale, rotate, translate}");
  const Field file = m.require("file", "an STL or OBJ file");
  MeshFile mesh;
  mesh.where = r.doc.locate(file);
  mesh.file = resolve_file(r, file);
  mesh.placement = read_placement(r.doc, m, "m");
  return mesh;
}

// The labels map {value: tissue name}: each value once, >= 1. Whether the
// file holds them is checked when it is read.
std::vector<VolumeFile::LabelTissue> read_label_tissues(const Reading& r, const Field& labels) {
  const Document& doc = r.doc;
  if (!labels.node.IsMap() || labels.node.size() == 0)
    doc.fail(labels,
             fmt::format("expected a map from label value to tissue name, e.g. {{10: liver}}, found {}",
                         describe_found(labels.node)));
  std::vector<VolumeFile::LabelTissue> out;
  for (const auto& pair : labels.node) {
    const Field key{pair.first, child_path(labels.path, pair.first.Scalar()), pair.first.Mark()};
    const Field value{pair.second, key.path, pair.second.Mark()};
    VolumeFile::LabelTissue lt;
    lt.where = doc.locate(key);
    lt.label = read_int(doc, key);
    if (lt.label <= 0)
      doc.fail(key, fmt::format("expected a label value >= 1 (0 is background), found {}", lt.label));
    lt.tissue = r.tissue_ref(value);
    for (const auto& other : out)
      if (other.label == lt.label)
        doc.fail(key, fmt::format("expected each label once, found {} again", lt.label));
    out.push_back(lt);
  }
  return out;
}

VolumeFile read_volume_file(const Reading& r, const Field& f) {
  const MapReader m(r.doc, f, {"file", "labels", "units", "scale", "rotate", "translate"},
                    "a volume {file, labels, units, scale, rotate, translate}");
  const Field file = m.require("file", "a NIfTI (.nii, .nii.gz) or MetaImage (.mhd, .mha) label map");
  const Field labels = m.require("labels", "a map from label value to tissue name, e.g. {10: liver}");
  VolumeFile volume;
  volume.where = r.doc.locate(file);
  volume.labels_where = r.doc.locate(labels);
  volume.file = resolve_file(r, file);
  // The file's own unit (NIfTI) wins over the scenario's unless the
  // scenario names one; MetaImage has none and is read in mm by default.
  volume.unit_given = m.get("units").has_value();
  volume.placement = read_placement(r.doc, m, "mm");
  volume.labels = read_label_tissues(r, labels);
  return volume;
}

GeometryItem read_geometry_item(const Reading& r, const Field& item, const std::vector<std::string>& keys) {
  const Document& doc = r.doc;
  const MapReader m(doc, item, keys, "a geometry item {tissue, <shape or mesh>} or {volume}");
  GeometryItem g;
  g.where = doc.locate(item);
  if (auto p = m.get("priority")) g.priority = read_int(doc, *p);
  if (auto w = m.get("within")) g.within = r.tissue_ref(*w);
  const auto mesh = m.get("mesh");
  const auto volume = m.get("volume");
  const std::optional<Shape> shape = read_shape_choice(doc, m, false);
  if (!mesh && !volume && !shape)
    doc.fail(item,
             "expected one shape key (box, sphere, ellipsoid, cylinder or union), a mesh or a "
             "volume, found none");
  if (int(mesh.has_value()) + int(volume.has_value()) + int(shape.has_value()) > 1)
    doc.fail(item, fmt::format("expected exactly one of a shape, a mesh or a volume, found {}",
                               mesh && volume ? "a mesh and a volume"
                                              : (mesh ? "a mesh and a shape" : "a volume and a shape")));
  if (volume) {
    if (auto t = m.get("tissue"))
      doc.fail(*t, "expected no tissue beside a volume (its labels map names the tissues), found one");
    g.kind = GeometryKind::Volume;
    g.volume = read_volume_file(r, *volume);
  } else {
    g.tissue = r.tissue_ref(m.require("tissue", "the name of the tissue this shape or mesh is made of"));
    if (mesh) {
      g.kind = GeometryKind::Surface;
      g.mesh = read_mesh_file(r, *mesh);
    } else {
      g.shape = *shape;
    }
  }
  return g;
}

}  // namespace

void read_grid(Reading& r, const Field& f) {
  const Document& doc = r.doc;
  const MapReader m(doc, f, {"origin", "extent", "voxel", "padding"},
                    "a grid map {extent, voxel, origin} or {voxel, padding}");
  GridSettings& g = r.s.grid;
  g.where = doc.locate(f);
  const Field voxel = m.require("voxel", "a voxel size: one length or [lx, ly, lz]");
  if (voxel.node.IsScalar()) {
    const double h = read_quantity(doc, voxel, Quantity::Length, Bound::Positive);
    g.spacing = {h, h, h};
  } else {
    g.spacing = read_vec3(doc, voxel, Quantity::Length, Bound::Positive,
                          "a length or a list of 3 lengths [lx, ly, lz]");
  }
  if (const auto extent = m.get("extent")) {
    read_explicit_grid(doc, m, *extent, voxel, g);
  } else {
    read_grid_from_geometry(doc, m, g);
  }
}

void read_tissues(Reading& r, const Field& f) {
  const std::vector<Field> items =
      read_list(r.doc, f, "a non-empty list of tissues [{name, label}, ...]", true);
  if (items.size() > static_cast<std::size_t>(kMaxTissues))
    r.doc.fail(f, fmt::format("expected at most {} tissues, found {}", kMaxTissues, items.size()));
  for (const Field& item : items) r.s.tissues.push_back(read_tissue(r, item));
}

void read_geometry(Reading& r, const Field& f) {
  const std::vector<std::string> keys = with_shape_keys({"tissue", "mesh", "volume", "priority", "within"});
  for (const Field& item : read_list(
           r.doc, f, "a non-empty list of geometry items [{tissue, <shape or mesh>} or {volume}, ...]", true))
    r.s.geometry.push_back(read_geometry_item(r, item, keys));
  // A grid sized from the geometry, and the files against any grid, are
  // checked by the geometry layer once it has read the files.
  if (r.s.grid.from_geometry) return;
  for (const GeometryItem& g : r.s.geometry)
    if (g.kind == GeometryKind::Shape) check_shape_inside_grid(g.shape, r.s.grid);
}

}  // namespace cyto::reader
