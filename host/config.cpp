#include "config.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string_view>

#include "shapes.hpp"
#include "units.hpp"

namespace cyto {
namespace {

constexpr std::array<std::string_view, 5> kShapeKinds{"box", "sphere", "ellipsoid", "cylinder", "union"};
constexpr std::array<char, 3> kAxisNames{'x', 'y', 'z'};

// ---- key paths: "species[1].diffusion.parenchyma" ----

std::string child_path(const std::string& parent, std::string_view key) {
  return parent.empty() ? std::string(key) : fmt::format("{}.{}", parent, key);
}

std::string index_path(const std::string& parent, std::size_t index) {
  return fmt::format("{}[{}]", parent, index);
}

// True when `path` is `ancestor` or lies below it.
bool is_within(const std::string& path, const std::string& ancestor) {
  if (ancestor.empty()) return true;
  if (!path.starts_with(ancestor)) return false;
  return path.size() == ancestor.size() || path[ancestor.size()] == '.' || path[ancestor.size()] == '[';
}

std::string describe_found(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return fmt::format("\"{}\"", node.Scalar());
    case YAML::NodeType::Sequence:
      return fmt::format("a list of {} item{}", node.size(), node.size() == 1 ? "" : "s");
    case YAML::NodeType::Map:
      return "a map";
    default:
      return "nothing (an empty value)";
  }
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

bool is_index(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

// ---- positions ----

// A value in the document with its key path and where to point at it.
struct Field {
  YAML::Node node;
  std::string path;
  YAML::Mark mark;
};

// An applied --set: the canonical key path it replaced and how the user wrote it.
struct Override {
  std::string path;
  std::string origin;  // "--set key.path=value"
};

class Document {
 public:
  Document(std::string file, std::vector<Override> overrides)
      : file_(std::move(file)), overrides_(std::move(overrides)) {}

  // Values that came from an override have no position in the file (their
  // marks point into the override's text), so they are reported at the override.
  SourceLocation locate(const YAML::Mark& mark, const std::string& path) const {
    for (const Override& o : overrides_)
      if (is_within(path, o.path)) return {o.origin, 0, 0, path};
    if (mark.is_null()) {
      // a map created to hold an override
      for (const Override& o : overrides_)
        if (is_within(o.path, path)) return {o.origin, 0, 0, path};
      return {file_, 0, 0, path};
    }
    return {file_, mark.line + 1, mark.column + 1, path};
  }
  SourceLocation locate(const Field& f) const { return locate(f.mark, f.path); }

  [[noreturn]] void fail(const Field& f, const std::string& message) const {
    throw InputError(locate(f), message);
  }
  [[noreturn]] void fail(const YAML::Mark& mark, const std::string& path, const std::string& message) const {
    throw InputError(locate(mark, path), message);
  }

 private:
  std::string file_;
  std::vector<Override> overrides_;
};

// An empty value ("key:") has no useful mark of its own; point at its key or list.
Field element(const Field& list, std::size_t index) {
  const YAML::Node node = list.node[index];
  return {node, index_path(list.path, index), node.IsNull() ? list.mark : node.Mark()};
}

// The keys of a YAML map, checked against the keys allowed there.
class MapReader {
 public:
  MapReader(const Document& doc, const Field& field, const std::vector<std::string>& allowed,
            std::string_view expected, std::string_view key_kind = "key")
      : doc_(doc), field_(field) {
    if (!field.node.IsMap())
      doc.fail(field, fmt::format("expected {}, found {}", expected, describe_found(field.node)));
    for (const auto& pair : field.node) {
      const YAML::Node& key = pair.first;
      if (!key.IsScalar())
        doc.fail(key.Mark(), field.path, fmt::format("expected a key name, found {}", describe_found(key)));
      const std::string& name = key.Scalar();
      const std::string path = child_path(field.path, name);
      if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
        const std::string hint = closest_match(name, allowed);
        doc.fail(key.Mark(), path,
                 hint.empty() ? fmt::format("unknown {} \"{}\"", key_kind, name)
                              : fmt::format("unknown {} \"{}\"; did you mean \"{}\"?", key_kind, name, hint));
      }
      if (const Entry* first = find(name)) {
        doc.fail(
            key.Mark(), path,
            fmt::format("duplicate key \"{}\" (first given at line {})", name, first->key_mark.line + 1));
      }
      const YAML::Node& value = pair.second;
      entries_.push_back({name, key.Mark(), Field{value, path, value.IsNull() ? key.Mark() : value.Mark()}});
    }
  }

  std::optional<Field> get(std::string_view key) const {
    if (const Entry* e = find(key)) return e->value;
    return std::nullopt;
  }

  // A missing key is reported at the map that should hold it.
  Field require(std::string_view key, std::string_view expected) const {
    if (const Entry* e = find(key)) return e->value;
    doc_.fail(field_, fmt::format("missing required key \"{}\" (expected {})", key, expected));
  }

  const YAML::Mark& key_mark(std::string_view key) const { return find(key)->key_mark; }
  const Field& field() const { return field_; }

 private:
  struct Entry {
    std::string key;
    YAML::Mark key_mark;
    Field value;
  };
  const Entry* find(std::string_view key) const {
    const auto it =
        std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.key == key; });
    return it == entries_.end() ? nullptr : &*it;
  }

  const Document& doc_;
  Field field_;
  std::vector<Entry> entries_;
};

// ---- scalar values ----

std::string scalar_text(const Document& doc, const Field& f, std::string_view expected) {
  if (!f.node.IsScalar()) doc.fail(f, fmt::format("expected {}, found {}", expected, describe_found(f.node)));
  return f.node.Scalar();
}

enum class Bound { Any, NonNegative, Positive };

double read_quantity(const Document& doc, const Field& f, Quantity q, Bound bound = Bound::Any) {
  const std::string text = scalar_text(doc, f, quantity_expectation(q));
  double value = 0;
  try {
    value = parse_quantity(text, q);
  } catch (const UnitError& e) {
    doc.fail(f, e.what());
  }
  if (bound == Bound::NonNegative && value < 0)
    doc.fail(f, fmt::format("expected a {} >= 0, found \"{}\"", quantity_name(q), text));
  if (bound == Bound::Positive && value <= 0)
    doc.fail(f, fmt::format("expected a {} > 0, found \"{}\"", quantity_name(q), text));
  return value;
}

// Three quantities written as [x, y, z].
Vec3 read_vec3(const Document& doc, const Field& f, Quantity q, Bound bound, std::string_view expected) {
  if (!f.node.IsSequence() || f.node.size() != 3)
    doc.fail(f, fmt::format("expected {}, found {}", expected, describe_found(f.node)));
  Vec3 v{};
  for (std::size_t i = 0; i < 3; ++i) v[i] = read_quantity(doc, element(f, i), q, bound);
  return v;
}

Vec3 read_point(const Document& doc, const Field& f) {
  return read_vec3(doc, f, Quantity::Length, Bound::Any, "a point [x, y, z] of 3 lengths");
}

int read_int(const Document& doc, const Field& f) {
  const std::string text = trim(scalar_text(doc, f, "an integer"));
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty())
    doc.fail(f, fmt::format("expected an integer, found \"{}\"", f.node.Scalar()));
  return value;
}

bool read_bool(const Document& doc, const Field& f) {
  const std::string text = scalar_text(doc, f, "true or false");
  std::string lowered = text;
  for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lowered == "true" || lowered == "yes" || lowered == "on") return true;
  if (lowered == "false" || lowered == "no" || lowered == "off") return false;
  doc.fail(f, fmt::format("expected true or false, found \"{}\"", text));
}

// Names that --set paths and outputs can use: a letter, then letters, digits, '_' or '-'.
std::string read_identifier(const Document& doc, const Field& f, std::string_view kind) {
  const std::string text = scalar_text(doc, f, fmt::format("a {} name", kind));
  const bool ok = !text.empty() && std::isalpha(static_cast<unsigned char>(text[0])) &&
                  std::all_of(text.begin(), text.end(), [](char c) {
                    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
                  });
  if (!ok)
    doc.fail(f,
             fmt::format("expected a {} name (a letter, then letters, digits, \"_\" or \"-\"), found \"{}\"",
                         kind, text));
  return text;
}

// The items of a list; an empty value counts as an empty list where one is allowed.
std::vector<Field> read_list(const Document& doc, const Field& f, std::string_view expected, bool non_empty) {
  if (!non_empty && f.node.IsNull()) return {};
  if (!f.node.IsSequence() || (non_empty && f.node.size() == 0))
    doc.fail(f, fmt::format("expected {}, found {}", expected, describe_found(f.node)));
  std::vector<Field> items;
  for (std::size_t i = 0; i < f.node.size(); ++i) items.push_back(element(f, i));
  return items;
}

std::vector<std::string> with_shape_keys(std::vector<std::string> keys) {
  keys.insert(keys.end(), kShapeKinds.begin(), kShapeKinds.end());
  return keys;
}

// ---- lengths in messages ----

// Writes lengths in mm for organ-sized values, in um below that.
struct LengthUnit {
  std::string_view name;
  double metres;
};

LengthUnit length_unit_for(double magnitude) {
  return magnitude >= 1e-3 ? LengthUnit{"mm", 1e-3} : LengthUnit{"um", 1e-6};
}

std::string length_in(double metres, const LengthUnit& unit) {
  const double value = metres / unit.metres;
  return fmt::format("{:g} {}", value == 0 ? 0.0 : value, unit.name);
}

// ---- shapes ----

Shape read_shape(const Document& doc, std::string_view kind, const Field& f);

// The one shape key of a map that may also hold other keys (tissue, value, ...).
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

Shape read_shape(const Document& doc, std::string_view kind, const Field& f) {
  Shape s;
  s.where = doc.locate(f);
  if (kind == "box") {
    const MapReader m(doc, f, {"min", "max"}, "a box {min: [x, y, z], max: [x, y, z]}");
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
  } else if (kind == "sphere") {
    const MapReader m(doc, f, {"center", "radius"}, "a sphere {center: [x, y, z], radius: r}");
    s.kind = ShapeKind::Sphere;
    s.a = read_point(doc, m.require("center", "the sphere's center [x, y, z]"));
    s.radius =
        read_quantity(doc, m.require("radius", "the sphere's radius"), Quantity::Length, Bound::Positive);
  } else if (kind == "ellipsoid") {
    const MapReader m(doc, f, {"center", "radii"}, "an ellipsoid {center: [x, y, z], radii: [rx, ry, rz]}");
    s.kind = ShapeKind::Ellipsoid;
    s.a = read_point(doc, m.require("center", "the ellipsoid's center [x, y, z]"));
    s.b = read_vec3(doc, m.require("radii", "the ellipsoid's semi-axes [rx, ry, rz]"), Quantity::Length,
                    Bound::Positive, "a list of 3 radii [rx, ry, rz]");
  } else if (kind == "cylinder") {
    const MapReader m(doc, f, {"start", "end", "radius"},
                      "a cylinder {start: [x, y, z], end: [x, y, z], radius: r}");
    s.kind = ShapeKind::Cylinder;
    s.a = read_point(doc, m.require("start", "the center of one end cap [x, y, z]"));
    const Field end_field = m.require("end", "the center of the other end cap [x, y, z]");
    s.b = read_point(doc, end_field);
    s.radius =
        read_quantity(doc, m.require("radius", "the cylinder's radius"), Quantity::Length, Bound::Positive);
    if (s.a == s.b)
      doc.fail(end_field, "expected an end different from start (the cylinder's axis), found the same point");
  } else {
    s.kind = ShapeKind::Union;
    const std::vector<std::string> shape_keys = with_shape_keys({});
    for (const Field& item :
         read_list(doc, f, "a non-empty list of shapes, e.g. [{sphere: {...}}, {box: {...}}]", true)) {
      const MapReader m(doc, item, shape_keys,
                        "a map with one shape key (box, sphere, ellipsoid, cylinder or union)");
      s.parts.push_back(*read_shape_choice(doc, m, true));
    }
  }
  return s;
}

// Half a voxel of slack: a shape that ends on the boundary voxel's centre is fine.
void check_inside_grid(const Shape& s, const GridSettings& grid) {
  if (s.kind == ShapeKind::Union) {
    for (const Shape& part : s.parts) check_inside_grid(part, grid);
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

// ---- the scenario ----

class ScenarioReader {
 public:
  explicit ScenarioReader(const Document& doc) : doc_(doc) {}

  Scenario read(const YAML::Node& root) {
    if (root.IsNull())
      doc_.fail(root.Mark(), "",
                "expected a map of scenario settings at the top level, found an empty document");
    const MapReader top(doc_, Field{root, "", root.Mark()},
                        {"name", "description", "precision", "grid", "tissues", "geometry", "species",
                         "sources", "boundaries", "time", "output"},
                        "a map of scenario settings at the top level");
    s_.name = read_scenario_name(top.require("name", "the scenario's name"));
    if (auto f = top.get("description")) s_.description = scalar_text(doc_, *f, "a text");
    if (auto f = top.get("precision")) read_precision(*f);
    read_grid(top.require("grid", "the grid: extent and voxel"));
    read_tissues(top.require("tissues", "a list of tissues"));
    read_geometry(top.require("geometry", "a list of geometry items"));
    read_species(top.require("species", "a list of species"));
    if (auto f = top.get("sources")) read_sources(*f);
    if (auto f = top.get("boundaries")) read_boundaries(*f);
    read_time(top.require("time", "the time settings: end and optional dt"));
    read_output(top.require("output", "the output settings: at least interval"));
    return std::move(s_);
  }

 private:
  std::string read_scenario_name(const Field& f) {
    const std::string text = scalar_text(doc_, f, "a scenario name");
    // The name becomes a directory name ("output/<name>").
    const bool ok = !text.empty() && text[0] != '.' && std::all_of(text.begin(), text.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
    });
    if (!ok)
      doc_.fail(
          f, fmt::format("expected a scenario name of letters, digits, \"_\", \"-\" or \".\", found \"{}\"",
                         text));
    return text;
  }

  void read_precision(const Field& f) {
    const std::string text = scalar_text(doc_, f, "\"float\" or \"double\"");
    if (text == "float") {
      s_.precision = Precision::Float;
    } else if (text == "double") {
      s_.precision = Precision::Double;
    } else {
      doc_.fail(f, fmt::format("expected \"float\" or \"double\", found \"{}\"", text));
    }
  }

  void read_grid(const Field& f) {
    const MapReader m(doc_, f, {"origin", "extent", "voxel"}, "a grid map {extent, voxel, origin}");
    GridSettings& g = s_.grid;
    g.where = doc_.locate(f);
    if (auto o = m.get("origin")) g.origin = read_point(doc_, *o);
    g.extent = read_vec3(doc_, m.require("extent", "the grid's size [x, y, z]"), Quantity::Length,
                         Bound::Positive, "a list of 3 lengths [x, y, z]");
    const Field voxel = m.require("voxel", "a voxel size: one length or [lx, ly, lz]");
    if (voxel.node.IsScalar()) {
      const double h = read_quantity(doc_, voxel, Quantity::Length, Bound::Positive);
      g.spacing = {h, h, h};
    } else {
      g.spacing = read_vec3(doc_, voxel, Quantity::Length, Bound::Positive,
                            "a length or a list of 3 lengths [lx, ly, lz]");
    }
    for (std::size_t i = 0; i < 3; ++i) {
      if (g.spacing[i] <= g.extent[i]) continue;
      const Field at = voxel.node.IsScalar() ? voxel : element(voxel, i);
      doc_.fail(
          at, fmt::format("expected a voxel size no larger than the grid extent along {} ({}), found \"{}\"",
                          kAxisNames[i], format_quantity(g.extent[i], Quantity::Length), at.node.Scalar()));
    }
  }

  void read_tissues(const Field& f) {
    const std::vector<Field> items =
        read_list(doc_, f, "a non-empty list of tissues [{name, label}, ...]", true);
    if (items.size() > static_cast<std::size_t>(kMaxTissues))
      doc_.fail(f, fmt::format("expected at most {} tissues, found {}", kMaxTissues, items.size()));
    for (const Field& item : items) {
      const MapReader m(doc_, item, {"name", "label"}, "a tissue {name, label}");
      Tissue t;
      t.where = doc_.locate(item);
      const Field name = m.require("name", "the tissue's name");
      t.name = read_identifier(doc_, name, "tissue");
      if (t.name == "default")
        doc_.fail(name,
                  "expected a tissue name other than \"default\" (it means \"every other tissue\" in "
                  "diffusion maps), found \"default\"");
      for (const Tissue& other : s_.tissues)
        if (other.name == t.name)
          doc_.fail(name, fmt::format("expected a unique tissue name, found \"{}\" again (first at {})",
                                      t.name, other.where.key_path));
      const Field label = m.require("label", "the tissue's label, an integer from 1 to 255");
      t.label = read_int(doc_, label);
      if (t.label < 1 || t.label > kMaxTissues)
        doc_.fail(label, fmt::format("expected a label from 1 to {}, found {}", kMaxTissues, t.label));
      for (const Tissue& other : s_.tissues)
        if (other.label == t.label)
          doc_.fail(label, fmt::format("expected a unique label, found {} again (already tissue \"{}\")",
                                       t.label, other.name));
      s_.tissues.push_back(std::move(t));
    }
  }

  void read_geometry(const Field& f) {
    const std::vector<std::string> keys = with_shape_keys({"tissue"});
    for (const Field& item :
         read_list(doc_, f, "a non-empty list of geometry items [{tissue, <shape>}, ...]", true)) {
      const MapReader m(doc_, item, keys, "a geometry item {tissue, <shape>}");
      GeometryItem g;
      g.where = doc_.locate(item);
      g.tissue = tissue_ref(m.require("tissue", "the name of the tissue this shape is made of"));
      g.shape = *read_shape_choice(doc_, m, true);
      check_inside_grid(g.shape, s_.grid);
      s_.geometry.push_back(std::move(g));
    }
  }

  void read_species(const Field& f) {
    const std::vector<Field> items =
        read_list(doc_, f, "a non-empty list of species [{name, diffusion, ...}, ...]", true);
    if (items.size() > static_cast<std::size_t>(kMaxSpecies))
      doc_.fail(f, fmt::format("expected at most {} species, found {}", kMaxSpecies, items.size()));
    for (const Field& item : items) {
      const MapReader m(doc_, item, {"name", "diffusion", "decay", "half_life", "initial"},
                        "a species {name, diffusion, decay or half_life, initial}");
      Species sp;
      sp.where = doc_.locate(item);
      const Field name = m.require("name", "the species' name");
      sp.name = read_identifier(doc_, name, "species");
      if (sp.name == "all")
        doc_.fail(name,
                  "expected a species name other than \"all\" (it means \"every species\"), found \"all\"");
      for (const Species& other : s_.species)
        if (other.name == sp.name)
          doc_.fail(name, fmt::format("expected a unique species name, found \"{}\" again (first at {})",
                                      sp.name, other.where.key_path));
      sp.diffusion =
          read_diffusion(m.require("diffusion", "a diffusion coefficient, or a map by tissue name"));
      const auto decay = m.get("decay");
      const auto half_life = m.get("half_life");
      if (decay && half_life) doc_.fail(*half_life, "expected either decay or half_life, found both");
      if (decay) sp.decay_rate = read_quantity(doc_, *decay, Quantity::Rate, Bound::NonNegative);
      if (half_life)
        sp.decay_rate = std::log(2.0) / read_quantity(doc_, *half_life, Quantity::Time, Bound::Positive);
      if (auto initial = m.get("initial")) sp.initial = read_initial(*initial);
      s_.species.push_back(std::move(sp));
    }
  }

  std::vector<double> read_diffusion(const Field& f) {
    if (!f.node.IsMap()) {
      const double d = read_quantity(doc_, f, Quantity::Diffusion, Bound::NonNegative);
      return std::vector<double>(s_.tissues.size(), d);
    }
    std::vector<std::string> keys = tissue_names();
    keys.emplace_back("default");
    const MapReader m(doc_, f, keys, "a diffusion coefficient, or a map by tissue name", "tissue");
    std::optional<double> fallback;
    if (auto d = m.get("default"))
      fallback = read_quantity(doc_, *d, Quantity::Diffusion, Bound::NonNegative);
    std::vector<double> per_tissue;
    for (const Tissue& t : s_.tissues) {
      if (auto d = m.get(t.name)) {
        per_tissue.push_back(read_quantity(doc_, *d, Quantity::Diffusion, Bound::NonNegative));
      } else if (fallback) {
        per_tissue.push_back(*fallback);
      } else {
        doc_.fail(f, fmt::format("expected a diffusion coefficient for every tissue (or a \"default\"), "
                                 "found none for tissue \"{}\"",
                                 t.name));
      }
    }
    return per_tissue;
  }

  std::vector<InitialValue> read_initial(const Field& f) {
    if (f.node.IsScalar()) {
      return {InitialValue{Region{}, read_quantity(doc_, f, Quantity::Concentration, Bound::NonNegative),
                           doc_.locate(f)}};
    }
    const std::vector<std::string> keys = with_shape_keys({"value", "tissue"});
    std::vector<InitialValue> values;
    for (const Field& item :
         read_list(doc_, f, "a concentration, or a list of {value, tissue, <shape>}", false)) {
      const MapReader m(doc_, item, keys, "an initial value {value, tissue, <shape>}");
      InitialValue v;
      v.where = doc_.locate(item);
      v.value = read_quantity(doc_, m.require("value", "a concentration"), Quantity::Concentration,
                              Bound::NonNegative);
      v.region = read_region(m);
      values.push_back(std::move(v));
    }
    return values;
  }

  Region read_region(const MapReader& m) const {
    Region r;
    if (auto t = m.get("tissue")) r.tissue = tissue_ref(*t);
    r.shape = read_shape_choice(doc_, m, false);
    if (r.shape) check_inside_grid(*r.shape, s_.grid);
    return r;
  }

  void read_sources(const Field& f) {
    const std::vector<std::string> keys =
        with_shape_keys({"name", "species", "rate", "tissue", "start", "end"});
    for (const Field& item : read_list(doc_, f, "a list of sources [{species, rate, ...}, ...]", false)) {
      const MapReader m(doc_, item, keys, "a source {species, rate, tissue, <shape>, start, end}");
      Source src;
      src.where = doc_.locate(item);
      if (auto name = m.get("name")) src.name = scalar_text(doc_, *name, "a source name");
      src.species = species_ref(m.require("species", "the name of the species it produces"));
      src.rate = read_quantity(doc_, m.require("rate", quantity_expectation(Quantity::ConcentrationRate)),
                               Quantity::ConcentrationRate);
      src.region = read_region(m);
      if (auto start = m.get("start"))
        src.start = read_quantity(doc_, *start, Quantity::Time, Bound::NonNegative);
      if (auto end = m.get("end")) {
        src.end = read_quantity(doc_, *end, Quantity::Time);
        if (src.end <= src.start)
          doc_.fail(*end, fmt::format("expected an end after start ({}), found \"{}\"",
                                      format_quantity(src.start, Quantity::Time), end->node.Scalar()));
      }
      s_.sources.push_back(std::move(src));
    }
  }

  void read_boundaries(const Field& f) {
    for (const Field& item :
         read_list(doc_, f, "a list of boundaries [{tissue, species, dirichlet}, ...]", false)) {
      const MapReader m(doc_, item, {"tissue", "species", "dirichlet"},
                        "a boundary {tissue, species, dirichlet}");
      const int tissue =
          tissue_ref(m.require("tissue", "the name of the tissue whose voxels are held fixed"));
      const Field species = m.require("species", "a species name, a list of names, or \"all\"");
      const std::vector<int> which = species_selection(species);
      const double value = read_quantity(doc_, m.require("dirichlet", "the concentration held fixed"),
                                         Quantity::Concentration, Bound::NonNegative);
      for (int k : which) {
        for (const DirichletBoundary& other : s_.boundaries)
          if (other.tissue == tissue && other.species == k)
            doc_.fail(species,
                      fmt::format("expected one boundary per tissue and species, found a second for \"{}\" "
                                  "in \"{}\" (first at {})",
                                  s_.species[k].name, s_.tissues[tissue].name, other.where.key_path));
        s_.boundaries.push_back(DirichletBoundary{tissue, k, value, doc_.locate(item)});
      }
    }
  }

  void read_time(const Field& f) {
    const MapReader m(doc_, f, {"end", "dt", "substepping", "safety"},
                      "a time map {end, dt, substepping, safety}");
    TimeSettings& t = s_.time;
    t.where = doc_.locate(f);
    t.end = read_quantity(doc_, m.require("end", "the simulated time to stop at"), Quantity::Time,
                          Bound::Positive);
    t.dt_where = t.where;
    if (auto dt = m.get("dt")) {
      t.dt_where = doc_.locate(*dt);
      if (!(dt->node.IsScalar() && dt->node.Scalar() == "auto")) {
        if (!dt->node.IsScalar())
          doc_.fail(*dt, fmt::format("expected \"auto\" or a time > 0, found {}", describe_found(dt->node)));
        const std::string text = dt->node.Scalar();
        try {
          t.dt = parse_quantity(text, Quantity::Time);
        } catch (const UnitError& e) {
          doc_.fail(*dt, fmt::format("{} (dt may also be \"auto\")", e.what()));
        }
        if (*t.dt <= 0) doc_.fail(*dt, fmt::format("expected \"auto\" or a time > 0, found \"{}\"", text));
      }
    }
    if (auto sub = m.get("substepping")) t.substepping = read_bool(doc_, *sub);
    if (auto safety = m.get("safety")) {
      t.safety = read_quantity(doc_, *safety, Quantity::Dimensionless);
      if (!(t.safety > 0 && t.safety <= 1))
        doc_.fail(*safety, fmt::format("expected a safety factor above 0 and at most 1, found \"{}\"",
                                       safety->node.Scalar()));
    }
  }

  void read_output(const Field& f) {
    const MapReader m(doc_, f, {"directory", "interval", "fields", "snapshots", "progress_interval"},
                      "an output map {interval, directory, fields, snapshots, progress_interval}");
    OutputSettings& o = s_.output;
    o.where = doc_.locate(f);
    o.directory = "output/" + s_.name;
    if (auto dir = m.get("directory")) {
      o.directory = scalar_text(doc_, *dir, "a directory path");
      if (o.directory.empty()) doc_.fail(*dir, "expected a directory path, found an empty string");
    }
    const Field interval = m.require("interval", "the simulated time between outputs");
    o.interval = read_quantity(doc_, interval, Quantity::Time, Bound::Positive);
    if (o.interval > s_.time.end)
      doc_.fail(interval, fmt::format("expected an interval no longer than time.end ({}), found \"{}\"",
                                      format_quantity(s_.time.end, Quantity::Time), interval.node.Scalar()));
    if (auto fields = m.get("fields")) {
      o.fields = species_selection(*fields);
    } else {
      for (std::size_t k = 0; k < s_.species.size(); ++k) o.fields.push_back(static_cast<int>(k));
    }
    if (auto snapshots = m.get("snapshots")) o.snapshots = read_bool(doc_, *snapshots);
    if (auto progress = m.get("progress_interval"))
      o.progress_interval = read_quantity(doc_, *progress, Quantity::Time, Bound::Positive);
  }

  // "all", one species name, or a list of distinct names.
  std::vector<int> species_selection(const Field& f) const {
    std::vector<int> out;
    if (f.node.IsScalar() && f.node.Scalar() == "all") {
      for (std::size_t k = 0; k < s_.species.size(); ++k) out.push_back(static_cast<int>(k));
      return out;
    }
    if (f.node.IsScalar()) return {species_ref(f)};
    for (const Field& item :
         read_list(doc_, f, "\"all\", a species name or a non-empty list of names", true)) {
      const int k = species_ref(item);
      if (std::find(out.begin(), out.end(), k) != out.end())
        doc_.fail(item, fmt::format("expected each species once, found \"{}\" again", s_.species[k].name));
      out.push_back(k);
    }
    return out;
  }

  std::vector<std::string> tissue_names() const {
    std::vector<std::string> names;
    for (const Tissue& t : s_.tissues) names.push_back(t.name);
    return names;
  }

  std::vector<std::string> species_names() const {
    std::vector<std::string> names;
    for (const Species& sp : s_.species) names.push_back(sp.name);
    return names;
  }

  int reference(const Field& f, const std::vector<std::string>& names, std::string_view kind) const {
    const std::string name = scalar_text(doc_, f, fmt::format("a {} name", kind));
    const auto it = std::find(names.begin(), names.end(), name);
    if (it != names.end()) return static_cast<int>(it - names.begin());
    const std::string hint = closest_match(name, names);
    doc_.fail(f, hint.empty()
                     ? fmt::format("unknown {} \"{}\" (defined: {})", kind, name, fmt::join(names, ", "))
                     : fmt::format("unknown {} \"{}\"; did you mean \"{}\"?", kind, name, hint));
  }
  int tissue_ref(const Field& f) const { return reference(f, tissue_names(), "tissue"); }
  int species_ref(const Field& f) const { return reference(f, species_names(), "species"); }

  const Document& doc_;
  Scenario s_;
};

// ---- --set overrides ----

[[noreturn]] void override_error(const std::string& path, const std::string& message) {
  throw InputError(SourceLocation{"--set", 0, 0, path}, message);
}

struct PathStep {
  std::string key;
  bool bracketed;  // written as [n]
};

// "species[0].decay", "species.0.decay" and "species.TNF.decay" all name one value.
std::vector<PathStep> split_override_path(const std::string& path) {
  std::vector<PathStep> steps;
  std::size_t pos = 0;
  while (pos < path.size()) {
    if (path[pos] == '[') {
      const std::size_t close = path.find(']', pos);
      if (close == std::string::npos)
        override_error(path, fmt::format("expected \"]\" after \"{}\"", path.substr(pos)));
      const std::string index = path.substr(pos + 1, close - pos - 1);
      if (!is_index(index))
        override_error(path, fmt::format("expected a list index in [...], found \"[{}]\"", index));
      steps.push_back({index, true});
      pos = close + 1;
    } else {
      const std::size_t end = std::min(path.find_first_of(".[", pos), path.size());
      if (end == pos) override_error(path, fmt::format("expected a key name at \"{}\"", path.substr(pos)));
      steps.push_back({path.substr(pos, end - pos), false});
      pos = end;
    }
    if (pos < path.size() && path[pos] == '.') {
      ++pos;
      if (pos == path.size()) override_error(path, "expected a key name after the last \".\"");
    }
  }
  return steps;
}

// Applies each "key.path=value" to the document; returns what was replaced, by canonical path.
std::vector<Override> apply_overrides(YAML::Node& root, const std::vector<std::string>& overrides) {
  std::vector<Override> applied;
  for (const std::string& text : overrides) {
    const std::size_t eq = text.find('=');
    if (eq == std::string::npos)
      override_error(text, fmt::format("expected key.path=value, found \"{}\" (no \"=\")", text));
    const std::string path = trim(std::string_view(text).substr(0, eq));
    if (path.empty())
      override_error(path, fmt::format("expected key.path=value, found \"{}\" (no key path)", text));
    const std::vector<PathStep> steps = split_override_path(path);
    YAML::Node value;
    try {
      value = YAML::Load(text.substr(eq + 1));
    } catch (const YAML::Exception& e) {
      override_error(path, fmt::format("expected a YAML value after \"=\", found \"{}\" ({})",
                                       text.substr(eq + 1), e.msg));
    }
    if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);

    YAML::Node node = root;
    std::string canonical;
    for (std::size_t k = 0; k < steps.size(); ++k) {
      const PathStep& step = steps[k];
      const bool last = k + 1 == steps.size();
      // "time:" with no value becomes the map the override needs.
      if (node.IsNull()) node = YAML::Node(YAML::NodeType::Map);
      if (node.IsMap()) {
        if (step.bracketed)
          override_error(path, fmt::format("expected a list at \"{}\", found a map", canonical));
        canonical = child_path(canonical, step.key);
        if (last) {
          node[step.key] = value;
          break;
        }
        const YAML::Node& lookup = node;  // const access does not insert the key
        if (!lookup[step.key]) node[step.key] = YAML::Node(YAML::NodeType::Map);
        const YAML::Node child = node[step.key];
        node.reset(child);
      } else if (node.IsSequence()) {
        const YAML::Node& list = node;
        std::size_t index = 0;
        if (step.bracketed || is_index(step.key)) {
          const auto [end, ec] = std::from_chars(step.key.data(), step.key.data() + step.key.size(), index);
          if (ec != std::errc() || index >= list.size())
            override_error(path, fmt::format("index {} is out of range: {} has {} item{}", step.key,
                                             canonical, list.size(), list.size() == 1 ? "" : "s"));
        } else {
          std::vector<std::string> names;
          for (const YAML::Node& item : list)
            names.push_back(item.IsMap() && item["name"] && item["name"].IsScalar() ? item["name"].Scalar()
                                                                                    : "");
          const auto it = std::find(names.begin(), names.end(), step.key);
          if (it == names.end()) {
            const std::string hint = closest_match(step.key, names);
            override_error(path, hint.empty()
                                     ? fmt::format("no item named \"{}\" in {}", step.key, canonical)
                                     : fmt::format("no item named \"{}\" in {}; did you mean \"{}\"?",
                                                   step.key, canonical, hint));
          }
          index = static_cast<std::size_t>(it - names.begin());
        }
        canonical = index_path(canonical, index);
        if (last) {
          node[index] = value;
          break;
        }
        const YAML::Node child = node[index];
        node.reset(child);
      } else {
        override_error(path, fmt::format("expected a map or a list at \"{}\" to set \"{}\" in, found {}",
                                         canonical, step.key, describe_found(node)));
      }
    }
    applied.push_back({canonical, "--set " + text});
  }
  return applied;
}

}  // namespace

Scenario parse_scenario(const std::string& yaml_text, const std::string& display_name,
                        const std::vector<std::string>& overrides) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    const bool known = !e.mark.is_null();
    throw InputError(
        SourceLocation{display_name, known ? e.mark.line + 1 : 0, known ? e.mark.column + 1 : 0, ""},
        fmt::format("invalid YAML: {}", e.msg));
  }
  // A top level that is not a map is reported by validation, at the file.
  std::vector<Override> applied;
  if (root.IsMap() || root.IsNull()) applied = apply_overrides(root, overrides);

  const Document doc(display_name, std::move(applied));
  Scenario s = ScenarioReader(doc).read(root);
  s.source_file = display_name;
  s.resolved_yaml = YAML::Dump(root);
  return s;
}

Scenario load_scenario(const std::string& path, const std::vector<std::string>& overrides) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw InputError(SourceLocation{path, 0, 0, ""},
                     fmt::format("cannot open scenario file: {}", std::strerror(EISDIR)));
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw InputError(SourceLocation{path, 0, 0, ""},
                     fmt::format("cannot open scenario file: {}", std::strerror(errno)));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad())
    throw InputError(SourceLocation{path, 0, 0, ""},
                     fmt::format("cannot read scenario file: {}", std::strerror(errno)));
  return parse_scenario(text.str(), path, overrides);
}

}  // namespace cyto
