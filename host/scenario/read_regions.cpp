#include "host/scenario/read_regions.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

#include "host/scenario/grid_fit.hpp"
#include "host/scenario/yaml_values.hpp"

namespace cyto::reader {
namespace {

constexpr std::array<std::string_view, 5> kShapeKinds{"box", "sphere", "ellipsoid", "cylinder", "union"};
constexpr std::array<char, 3> kAxisNames{'x', 'y', 'z'};

Shape read_shape(const Document& doc, std::string_view kind, const Field& f);

Shape read_box(const Document& doc, const Field& f) {
  const MapReader m(doc, f, {"min", "max"}, "a box {min: [x, y, z], max: [x, y, z]}");
  Shape s;
  s.kind = ShapeKind::Box;
  s.a = read_point(doc, m.require("min", "the box's min corner [x, y, z]"));
  const Field max_field = m.require("max", "the box's max corner [x, y, z]");
  s.b = read_point(doc, max_field);
  for (std::size_t i = 0; i < 3; ++i) {
    if (s.b[i] > s.a[i]) continue;
    const LengthUnit unit = length_unit_for(std::max(std::abs(s.a[i]), std::abs(s.b[i])));
    doc.fail(max_field, fmt::format("expected max > min on every axis, found {}: min {}, max {}",
                                    kAxisNames[i], length_in(s.a[i], unit), length_in(s.b[i], unit)));
  }
  return s;
}

Shape read_sphere(const Document& doc, const Field& f) {
  const MapReader m(doc, f, {"center", "radius"}, "a sphere {center: [x, y, z], radius: r}");
  Shape s;
  s.kind = ShapeKind::Sphere;
  s.a = read_point(doc, m.require("center", "the sphere's center [x, y, z]"));
  s.radius =
      read_quantity(doc, m.require("radius", "the sphere's radius"), Quantity::Length, Bound::Positive);
  return s;
}

Shape read_ellipsoid(const Document& doc, const Field& f) {
  const MapReader m(doc, f, {"center", "radii"}, "an ellipsoid {center: [x, y, z], radii: [rx, ry, rz]}");
  Shape s;
  s.kind = ShapeKind::Ellipsoid;
  s.a = read_point(doc, m.require("center", "the ellipsoid's center [x, y, z]"));
  s.b = read_vec3(doc, m.require("radii", "the ellipsoid's semi-axes [rx, ry, rz]"), Quantity::Length,
                  Bound::Positive, "a list of 3 radii [rx, ry, rz]");
  return s;
}

Shape read_cylinder(const Document& doc, const Field& f) {
  const MapReader m(doc, f, {"start", "end", "radius"},
                    "a cylinder {start: [x, y, z], end: [x, y, z], radius: r}");
  Shape s;
  s.kind = ShapeKind::Cylinder;
  s.a = read_point(doc, m.require("start", "the center of one end cap [x, y, z]"));
  const Field end_field = m.require("end", "the center of the other end cap [x, y, z]");
  s.b = read_point(doc, end_field);
  s.radius =
      read_quantity(doc, m.require("radius", "the cylinder's radius"), Quantity::Length, Bound::Positive);
  if (s.a == s.b)
    doc.fail(end_field, "expected an end different from start (the cylinder's axis), found the same point");
  return s;
}

Shape read_union(const Document& doc, const Field& f) {
  Shape s;
  s.kind = ShapeKind::Union;
  const std::vector<std::string> shape_keys = with_shape_keys({});
  for (const Field& item :
       read_list(doc, f, "a non-empty list of shapes, e.g. [{sphere: {...}}, {box: {...}}]", true)) {
    const MapReader m(doc, item, shape_keys,
                      "a map with one shape key (box, sphere, ellipsoid, cylinder or union)");
    s.parts.push_back(*read_shape_choice(doc, m, true));
  }
  return s;
}

Shape read_shape(const Document& doc, std::string_view kind, const Field& f) {
  Shape s;
  if (kind == "box") {
    s = read_box(doc, f);
  } else if (kind == "sphere") {
    s = read_sphere(doc, f);
  } else if (kind == "ellipsoid") {
    s = read_ellipsoid(doc, f);
  } else if (kind == "cylinder") {
    s = read_cylinder(doc, f);
  } else {
    s = read_union(doc, f);
  }
  s.where = doc.locate(f);
  return s;
}

}  // namespace

std::vector<std::string> with_shape_keys(std::vector<std::string> keys) {
  keys.insert(keys.end(), kShapeKinds.begin(), kShapeKinds.end());
  return keys;
}

std::optional<Shape> read_shape_choice(const Document& doc, const MapReader& m, bool required) {
  std::vector<std::pair<std::string_view, Field>> shapes;
  for (std::string_view kind : kShapeKinds)
    if (auto f = m.get(kind)) shapes.emplace_back(kind, *f);
  if (shapes.size() > 1) {
    const auto& [kind, f] = shapes[1];
    doc.fail(m.key_mark(kind), f.path,
             fmt::format("expected one shape, found two: \"{}\" and \"{}\"", shapes[0].first, kind));
  }
  if (shapes.empty()) {
    if (!required) return std::nullopt;
    doc.fail(m.field(), "expected one shape key (box, sphere, ellipsoid, cylinder or union), found none");
  }
  return read_shape(doc, shapes[0].first, shapes[0].second);
}

Region read_region(const Reading& r, const MapReader& m) {
  Region region;
  if (auto t = m.get("tissue")) region.tissue = r.tissue_ref(*t);
  region.shape = read_shape_choice(r.doc, m, false);
  if (region.shape && !r.s.grid.from_geometry) check_shape_inside_grid(*region.shape, r.s.grid);
  return region;
}

std::vector<InitialValue> read_initial(const Reading& r, const Field& f, Quantity q) {
  const Document& doc = r.doc;
  if (f.node.IsScalar())
    return {InitialValue{Region{}, read_quantity(doc, f, q, Bound::NonNegative), doc.locate(f)}};
  const std::vector<std::string> keys = with_shape_keys({"value", "tissue"});
  std::vector<InitialValue> values;
  for (const Field& item : read_list(
           doc, f, fmt::format("{}, or a list of {{value, tissue, <shape>}}", with_article(quantity_name(q))),
           false)) {
    const MapReader m(doc, item, keys, "an initial value {value, tissue, <shape>}");
    InitialValue v;
    v.where = doc.locate(item);
    v.value = read_quantity(doc, m.require("value", with_article(quantity_name(q))), q, Bound::NonNegative);
    v.region = read_region(r, m);
    values.push_back(std::move(v));
  }
  return values;
}

}  // namespace cyto::reader
