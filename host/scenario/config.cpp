#include "host/scenario/config.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string_view>

#include "host/geometry/geometry.hpp"
#include "host/geometry/shapes.hpp"
#include "host/scenario/units.hpp"

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

// A key that is valid elsewhere but not here, with the reason (e.g. a death
// rule's "burst" on a secretion rule).
struct MisplacedKey {
  std::string key;
  std::string explanation;
};

// The keys of a YAML map, checked against the keys allowed there.
class MapReader {
 public:
  MapReader(const Document& doc, const Field& field, const std::vector<std::string>& allowed,
            std::string_view expected, std::string_view key_kind = "key",
            const std::vector<MisplacedKey>& misplaced = {})
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
        std::vector<std::string> elsewhere;
        for (const MisplacedKey& m : misplaced) {
          if (m.key == name) doc.fail(key.Mark(), path, m.explanation);
          elsewhere.push_back(m.key);
        }
        std::string hint = closest_match(name, allowed);
        if (hint.empty()) hint = closest_match(name, elsewhere);
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

std::uint64_t read_seed(const Document& doc, const Field& f) {
  const std::string text = trim(scalar_text(doc, f, "an integer >= 0"));
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range)
    doc.fail(f, fmt::format("expected an integer from 0 to {}, found \"{}\"",
                            std::numeric_limits<std::uint64_t>::max(), f.node.Scalar()));
  if (ec != std::errc() || end != text.data() + text.size() || text.empty())
    doc.fail(f, fmt::format("expected an integer >= 0, found \"{}\"", f.node.Scalar()));
  return value;
}

constexpr std::int64_t kMaxCheckpointSteps = 1'000'000'000'000'000;  // 1e15
constexpr std::int64_t kMaxCheckpointsKept = 1000;

// A whole number from lo to hi ("100", also "1e6"); `what` names it in messages.
std::int64_t read_count(const Document& doc, const Field& f, std::int64_t lo, std::int64_t hi,
                        std::string_view what) {
  const std::string expected = fmt::format("{} (a whole number from {} to {})", what, lo, hi);
  const std::string text = trim(scalar_text(doc, f, expected));
  const char* first = text.data();
  const char* last = text.data() + text.size();
  if (!text.empty() && *first == '+') ++first;
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(first, last, value);
  bool whole = !text.empty() && ec == std::errc() && end == last;
  bool too_large = ec == std::errc::result_out_of_range;
  if (!whole && !too_large) {
    // "1e6", "2.0": a number written in floating point that is still whole.
    double d = 0;
    const auto [dend, dec] = std::from_chars(first, last, d);
    if (first != last && dec == std::errc() && dend == last && std::isfinite(d) && d == std::floor(d)) {
      if (std::abs(d) <= 9e18) {
        value = static_cast<std::int64_t>(d);
        whole = true;
      } else {
        too_large = true;
      }
    }
  }
  if (!whole || too_large || value < lo || value > hi)
    doc.fail(f, fmt::format("expected {}, found \"{}\"", expected, f.node.Scalar()));
  return value;
}

// A quantity as the user wrote it, with the default unit added to a bare
// number: "30 h", "1440 min".
std::string as_written(const Field& f, Quantity q) {
  const std::string text = trim(f.node.Scalar());
  const bool bare =
      !text.empty() && (std::isdigit(static_cast<unsigned char>(text.back())) || text.back() == '.');
  return bare && !default_unit(q).empty() ? fmt::format("{} {}", text, default_unit(q)) : text;
}

// The value of `key` in a map node, before the map's keys are checked (some
// maps' allowed keys depend on one of their values).
std::optional<Field> peek(const Field& map, std::string_view key) {
  for (const auto& pair : map.node) {
    if (!pair.first.IsScalar() || pair.first.Scalar() != key) continue;
    const YAML::Node& value = pair.second;
    return Field{value, child_path(map.path, key), value.IsNull() ? pair.first.Mark() : value.Mark()};
  }
  return std::nullopt;
}

// "a or b", "a, b or c"
std::string join_or(const std::vector<std::string>& words) {
  if (words.empty()) return {};
  if (words.size() == 1) return words[0];
  return fmt::format("{} or {}", fmt::join(words.begin(), words.end() - 1, ", "), words.back());
}

std::string with_article(std::string_view word) {
  const bool vowel = !word.empty() && std::string_view("aeiou").find(word[0]) != std::string_view::npos;
  return fmt::format("{} {}", vowel ? "an" : "a", word);
}

// One variant of a map whose keys depend on a selector (a rule's type, a
// therapy's effect): its name and the keys only some variants have.
struct Variant {
  std::string name;
  std::vector<std::string> keys;
};

// For the variant `current`: the keys of the other variants, each with
// "\"burst\" belongs to a death rule (type: death); this rule is a secretion rule".
std::vector<MisplacedKey> keys_of_other_variants(const std::vector<Variant>& variants,
                                                 const std::string& current, std::string_view noun,
                                                 std::string_view selector) {
  const auto has = [](const Variant& v, const std::string& key) {
    return std::find(v.keys.begin(), v.keys.end(), key) != v.keys.end();
  };
  const Variant& mine =
      *std::find_if(variants.begin(), variants.end(), [&](const Variant& v) { return v.name == current; });
  std::vector<MisplacedKey> out;
  for (const Variant& v : variants) {
    for (const std::string& key : v.keys) {
      if (has(mine, key) ||
          std::any_of(out.begin(), out.end(), [&](const MisplacedKey& m) { return m.key == key; }))
        continue;
      std::vector<std::string> owners;
      for (const Variant& w : variants)
        if (has(w, key)) owners.push_back(w.name);
      const std::string which = join_or(owners);
      out.push_back(
          {key, fmt::format("\"{}\" belongs to {} {} ({}: {}); this {} is {} {}", key, with_article(which),
                            noun, selector, which, noun, with_article(current), noun)});
    }
  }
  return out;
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
  ScenarioReader(const Document& doc, std::string base_directory)
      : doc_(doc), base_directory_(std::move(base_directory)) {}

  Scenario read(const YAML::Node& root) {
    if (root.IsNull())
      doc_.fail(root.Mark(), "",
                "expected a map of scenario settings at the top level, found an empty document");
    const MapReader top(doc_, Field{root, "", root.Mark()},
                        {"name", "description", "precision", "seed", "grid", "tissues", "geometry", "species",
                         "populations", "sources", "boundaries", "rules", "organs", "plasma", "infusions",
                         "therapies", "time", "output", "checkpoint"},
                        "a map of scenario settings at the top level");
    s_.name = read_scenario_name(top.require("name", "the scenario's name"));
    if (auto f = top.get("description")) s_.description = scalar_text(doc_, *f, "a text");
    if (auto f = top.get("precision")) read_precision(*f);
    if (auto f = top.get("seed")) s_.seed = read_seed(doc_, *f);
    read_grid(top.require("grid", "the grid: extent and voxel"));
    read_tissues(top.require("tissues", "a list of tissues"));
    read_geometry(top.require("geometry", "a list of geometry items"));
    read_species(top.require("species", "a list of species"));
    if (auto f = top.get("populations")) read_populations(*f);
    if (auto f = top.get("sources")) read_sources(*f);
    if (auto f = top.get("boundaries")) read_boundaries(*f);
    // Before the model: doses and infusions are checked against time.end.
    read_time(top.require("time", "the time settings: end and optional dt"));
    // Plasma before rules: recruitment draws on the blood.
    if (auto f = top.get("plasma")) read_plasma(*f);
    if (auto f = top.get("rules")) read_rules(*f);
    if (auto f = top.get("organs")) read_organs(*f);
    if (auto f = top.get("infusions")) read_infusions(*f);
    if (auto f = top.get("therapies")) read_therapies(*f);
    read_output(top.require("output", "the output settings: at least interval"));
    s_.checkpoint.where = doc_.locate(YAML::Mark::null_mark(), "checkpoint");  // no section: the defaults
    if (auto f = top.get("checkpoint")) read_checkpoint(*f);
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
    const MapReader m(doc_, f, {"origin", "extent", "voxel", "padding"},
                      "a grid map {extent, voxel, origin} or {voxel, padding}");
    GridSettings& g = s_.grid;
    g.where = doc_.locate(f);
    const Field voxel = m.require("voxel", "a voxel size: one length or [lx, ly, lz]");
    if (voxel.node.IsScalar()) {
      const double h = read_quantity(doc_, voxel, Quantity::Length, Bound::Positive);
      g.spacing = {h, h, h};
    } else {
      g.spacing = read_vec3(doc_, voxel, Quantity::Length, Bound::Positive,
                            "a length or a list of 3 lengths [lx, ly, lz]");
    }
    const auto extent = m.get("extent");
    if (!extent) {
      // Sized from the geometry once it is read (resolve_grid_from_geometry).
      g.from_geometry = true;
      g.padding = 2;
      if (auto o = m.get("origin"))
        doc_.fail(*o,
                  "expected no origin without an extent (the grid is sized from the geometry), found one");
      if (auto p = m.get("padding")) {
        g.padding = read_int(doc_, *p);
        if (g.padding < 0 || g.padding > 1000)
          doc_.fail(*p, fmt::format("expected a padding of 0 to 1000 voxels, found {}", g.padding));
      }
      return;
    }
    if (auto p = m.get("padding"))
      doc_.fail(
          *p, "expected padding only without an extent (it pads a grid sized from the geometry), found both");
    if (auto o = m.get("origin")) g.origin = read_point(doc_, *o);
    g.extent = read_vec3(doc_, *extent, Quantity::Length, Bound::Positive, "a list of 3 lengths [x, y, z]");
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
    const std::vector<std::string> keys = with_shape_keys({"tissue", "mesh", "volume", "priority", "within"});
    for (const Field& item :
         read_list(doc_, f, "a non-empty list of geometry items [{tissue, <shape or mesh>} or {volume}, ...]",
                   true)) {
      const MapReader m(doc_, item, keys, "a geometry item {tissue, <shape or mesh>} or {volume}");
      GeometryItem g;
      g.where = doc_.locate(item);
      if (auto p = m.get("priority")) g.priority = read_int(doc_, *p);
      if (auto w = m.get("within")) g.within = tissue_ref(*w);
      const auto mesh = m.get("mesh");
      const auto volume = m.get("volume");
      const std::optional<Shape> shape = read_shape_choice(doc_, m, false);
      if (!mesh && !volume && !shape)
        doc_.fail(item,
                  "expected one shape key (box, sphere, ellipsoid, cylinder or union), a mesh or a "
                  "volume, found none");
      if (int(mesh.has_value()) + int(volume.has_value()) + int(shape.has_value()) > 1)
        doc_.fail(item, fmt::format("expected exactly one of a shape, a mesh or a volume, found {}",
                                    mesh && volume ? "a mesh and a volume"
                                                   : (mesh ? "a mesh and a shape" : "a volume and a shape")));
      if (volume) {
        if (auto t = m.get("tissue"))
          doc_.fail(*t, "expected no tissue beside a volume (its labels map names the tissues), found one");
        g.kind = GeometryKind::Volume;
        g.volume = read_volume(*volume);
      } else {
        g.tissue = tissue_ref(m.require("tissue", "the name of the tissue this shape or mesh is made of"));
        if (mesh) {
          g.kind = GeometryKind::Surface;
          g.surface = read_surface(*mesh);
        } else {
          g.shape = *shape;
        }
      }
      s_.geometry.push_back(std::move(g));
    }
    if (s_.grid.from_geometry) resolve_grid_from_geometry();
    for (const GeometryItem& g : s_.geometry) {
      if (g.kind == GeometryKind::Shape) check_inside_grid(g.shape, s_.grid);
      if (g.kind != GeometryKind::Shape) check_meets_grid(g);
    }
  }

  // A file named in the scenario: relative paths are relative to the
  // scenario file's directory, so a scenario and its meshes move together.
  std::string resolve_file(const Field& f) const {
    const std::string text = scalar_text(doc_, f, "a file name");
    if (text.empty()) doc_.fail(f, "expected a file name, found an empty string");
    std::filesystem::path p(text);
    if (p.is_relative()) p = std::filesystem::path(base_directory_) / p;
    std::error_code ec;
    if (!std::filesystem::exists(p, ec))
      doc_.fail(
          f, fmt::format("cannot find \"{}\" (looked for {}{})", text, p.lexically_normal().string(),
                         std::filesystem::path(text).is_relative() ? ", relative to the scenario file" : ""));
    return p.lexically_normal().string();
  }

  // units, scale, rotate, translate: where a file's coordinates go.
  Placement read_placement(const MapReader& m, const std::string& default_unit) const {
    Placement p;
    const auto unit = m.get("units");
    const std::string unit_text =
        unit ? scalar_text(doc_, *unit, "a length unit (m, cm, mm, um)") : default_unit;
    try {
      p.unit = parse_quantity("1 " + unit_text, Quantity::Length);
    } catch (const UnitError&) {
      doc_.fail(*unit, fmt::format("expected a length unit (m, cm, mm, um), found \"{}\"", unit_text));
    }
    if (auto s = m.get("scale")) {
      if (s->node.IsScalar()) {
        const double k = read_quantity(doc_, *s, Quantity::Dimensionless, Bound::Positive);
        p.scale = {k, k, k};
      } else {
        p.scale = read_vec3(doc_, *s, Quantity::Dimensionless, Bound::Positive,
                            "a positive number or a list of 3 [sx, sy, sz]");
      }
    }
    if (auto r = m.get("rotate")) {
      if (!r->node.IsSequence() || r->node.size() != 3)
        doc_.fail(*r, fmt::format("expected 3 angles about x, y, z, e.g. [0, 0, 90 deg], found {}",
                                  describe_found(r->node)));
      for (std::size_t i = 0; i < 3; ++i) p.rotation[i] = read_angle(element(*r, i));
    }
    if (auto t = m.get("translate")) p.translation = read_point(doc_, *t);
    return p;
  }

  // "90 deg", "1.5708 rad", or a bare number in degrees.
  double read_angle(const Field& f) const {
    const std::string text = trim(scalar_text(doc_, f, "an angle, e.g. \"90 deg\""));
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    const std::string unit = trim(std::string(end, text.data() + text.size()));
    if (ec != std::errc() || !std::isfinite(value) || !(unit.empty() || unit == "deg" || unit == "rad"))
      doc_.fail(f, fmt::format("expected an angle in deg or rad (a bare number is in deg), found \"{}\"",
                               f.node.Scalar()));
    return unit == "rad" ? value : value * M_PI / 180;
  }

  std::shared_ptr<const SurfaceGeometry> read_surface(const Field& f) {
    const MapReader m(doc_, f, {"file", "units", "scale", "rotate", "translate"},
                      "a mesh {file, units, scale, rotate, translate}");
    const Field file = m.require("file", "an STL or OBJ file");
    auto surface = std::make_shared<SurfaceGeometry>();
    surface->file = resolve_file(file);
    try {
      surface->mesh = read_mesh(surface->file);
    } catch (const InputError& e) {
      doc_.fail(file, e.what());
    }
    const Placement placement = read_placement(m, "m");
    const std::array<double, 12> a = placement.affine();
    for (auto& v : surface->mesh.vertices) {
      const std::array<double, 3> x = v;
      for (int r = 0; r < 3; ++r)
        v[r] = a[4 * r] * x[0] + a[4 * r + 1] * x[1] + a[4 * r + 2] * x[2] + a[4 * r + 3];
    }
    surface->enclosed_volume = enclosed_volume(surface->mesh);
    return surface;
  }

  std::shared_ptr<const VolumeGeometry> read_volume(const Field& f) {
    const MapReader m(doc_, f, {"file", "labels", "units", "scale", "rotate", "translate"},
                      "a volume {file, labels, units, scale, rotate, translate}");
    const Field file = m.require("file", "a NIfTI (.nii, .nii.gz) or MetaImage (.mhd, .mha) label map");
    const Field labels = m.require("labels", "a map from label value to tissue name, e.g. {10: liver}");
    auto volume = std::make_shared<VolumeGeometry>();
    volume->file = resolve_file(file);
    // The file's own unit (NIfTI) wins over the scenario's unless the
    // scenario names one; MetaImage has none and is read in mm by default.
    const bool unit_given = m.get("units").has_value();
    const Placement placement = read_placement(m, "mm");
    try {
      volume->volume = read_label_volume(volume->file, unit_given ? placement.unit : 1e-3);
    } catch (const InputError& e) {
      doc_.fail(file, e.what());
    }
    if (unit_given) {
      // The scenario named the unit: the reader's "assumed" note would mislead.
      auto& notes = volume->volume.notes;
      notes.erase(std::remove_if(
                      notes.begin(), notes.end(),
                      [](const std::string& n) { return n.find("; assumed 1 unit") != std::string::npos; }),
                  notes.end());
    }
    Placement placed = placement;
    placed.unit = 1;  // the reader already converted to metres
    const std::array<double, 12> a = placed.affine();
    std::array<double, 12>& m0 = volume->volume.index_to_world;
    std::array<double, 12> world{};
    for (int r = 0; r < 3; ++r) {
      for (int c = 0; c < 4; ++c) {
        double sum = c == 3 ? a[4 * r + 3] : 0;
        for (int k = 0; k < 3; ++k) sum += a[4 * r + k] * m0[4 * k + c];
        world[4 * r + c] = sum;
      }
    }
    m0 = world;
    if (!labels.node.IsMap() || labels.node.size() == 0)
      doc_.fail(labels,
                fmt::format("expected a map from label value to tissue name, e.g. {{10: liver}}, found {}",
                            describe_found(labels.node)));
    const std::map<std::int32_t, std::int64_t> histogram = label_histogram(volume->volume.labels);
    for (const auto& pair : labels.node) {
      const Field key{pair.first, child_path(labels.path, pair.first.Scalar()), pair.first.Mark()};
      const Field value{pair.second, key.path, pair.second.Mark()};
      VolumeGeometry::LabelTissue lt;
      lt.where = doc_.locate(key);
      lt.label = read_int(doc_, key);
      if (lt.label <= 0)
        doc_.fail(key, fmt::format("expected a label value >= 1 (0 is background), found {}", lt.label));
      lt.tissue = tissue_ref(value);
      for (const auto& other : volume->labels)
        if (other.label == lt.label)
          doc_.fail(key, fmt::format("expected each label once, found {} again", lt.label));
      const auto count = histogram.find(lt.label);
      lt.source_voxels = count == histogram.end() ? 0 : count->second;
      volume->labels.push_back(lt);
    }
    std::string missing, present;
    for (const auto& lt : volume->labels)
      if (lt.source_voxels == 0) missing += fmt::format("{}{}", missing.empty() ? "" : ", ", lt.label);
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
      doc_.fail(labels,
                fmt::format("label {} not found in {} (it holds {})", missing, volume->file,
                            present.empty() ? std::string("only 0, background") : "labels " + present));
    const Bounds box = volume_bounds(*volume);
    volume->lo = box.lo;
    volume->hi = box.hi;
    return volume;
  }

  // The bounding box of every geometry item, padded, becomes the grid.
  void resolve_grid_from_geometry() {
    GridSettings& g = s_.grid;
    Vec3 lo{}, hi{};
    bool any = false;
    const auto add = [&](const Vec3& a, const Vec3& b) {
      for (int i = 0; i < 3; ++i) {
        lo[i] = any ? std::min(lo[i], a[i]) : a[i];
        hi[i] = any ? std::max(hi[i], b[i]) : b[i];
      }
      any = true;
    };
    for (const GeometryItem& item : s_.geometry) {
      const Bounds b = geometry_item_bounds(item);
      add(b.lo, b.hi);
    }
    for (int i = 0; i < 3; ++i) {
      g.origin[i] = lo[i] - g.padding * g.spacing[i];
      g.extent[i] = std::max(hi[i] - lo[i], g.spacing[i]) + 2 * g.padding * g.spacing[i];
    }
  }

  void check_meets_grid(const GeometryItem& item) const {
    const Bounds b = geometry_item_bounds(item);
    const GridSettings& grid = s_.grid;
    for (std::size_t i = 0; i < 3; ++i) {
      const double grid_lo = grid.origin[i], grid_hi = grid.origin[i] + grid.extent[i];
      if (b.hi[i] > grid_lo && b.lo[i] < grid_hi) continue;
      const LengthUnit unit = length_unit_for(
          std::max({std::abs(b.lo[i]), std::abs(b.hi[i]), std::abs(grid_lo), std::abs(grid_hi)}));
      throw InputError(
          item.where,
          fmt::format("the {} lies outside the grid: {} from {} to {}, grid {} from {} to {} (check "
                      "its units and translate, or size the grid from the geometry: "
                      "grid: {{voxel, padding}})",
                      item.kind == GeometryKind::Surface ? "mesh" : "volume's labelled region", kAxisNames[i],
                      length_in(b.lo[i], unit), length_in(b.hi[i], unit), kAxisNames[i],
                      length_in(grid_lo, unit), length_in(grid_hi, unit)));
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
      if (sp.name == "default")
        doc_.fail(
            name,
            "expected a species name other than \"default\" (it means \"every other species\" in plasma "
            "maps), found \"default\"");
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
      if (auto initial = m.get("initial")) sp.initial = read_initial(*initial, Quantity::Concentration);
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

  // A concentration or cell density for every tissue voxel, or a list of regional values.
  std::vector<InitialValue> read_initial(const Field& f, Quantity q) {
    if (f.node.IsScalar())
      return {InitialValue{Region{}, read_quantity(doc_, f, q, Bound::NonNegative), doc_.locate(f)}};
    const std::vector<std::string> keys = with_shape_keys({"value", "tissue"});
    std::vector<InitialValue> values;
    for (const Field& item :
         read_list(doc_, f,
                   fmt::format("{}, or a list of {{value, tissue, <shape>}}", with_article(quantity_name(q))),
                   false)) {
      const MapReader m(doc_, item, keys, "an initial value {value, tissue, <shape>}");
      InitialValue v;
      v.where = doc_.locate(item);
      v.value =
          read_quantity(doc_, m.require("value", with_article(quantity_name(q))), q, Bound::NonNegative);
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
    const Field end = m.require("end", "the simulated time to stop at");
    t.end = read_quantity(doc_, end, Quantity::Time, Bound::Positive);
    time_end_text_ = as_written(end, Quantity::Time);
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
    const MapReader m(doc_, f,
                      {"directory", "interval", "fields", "snapshots", "budget", "progress_interval"},
                      "an output map {interval, directory, fields, snapshots, budget, progress_interval}");
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
      read_field_selection(*fields);
    } else {
      for (std::size_t k = 0; k < s_.species.size(); ++k) o.fields.push_back(static_cast<int>(k));
      for (std::size_t p = 0; p < s_.populations.size(); ++p)
        o.population_fields.push_back(static_cast<int>(p));
    }
    if (auto snapshots = m.get("snapshots")) o.snapshots = read_bool(doc_, *snapshots);
    if (auto budget = m.get("budget")) o.budget = read_bool(doc_, *budget);
    if (auto progress = m.get("progress_interval"))
      o.progress_interval = read_quantity(doc_, *progress, Quantity::Time, Bound::Positive);
  }

  // Each trigger is optional; an empty "checkpoint:" keeps the defaults.
  void read_checkpoint(const Field& f) {
    CheckpointSettings& c = s_.checkpoint;
    c.where = doc_.locate(f);
    if (f.node.IsNull()) return;
    const MapReader m(doc_, f, {"interval", "steps", "wall", "keep"},
                      "a checkpoint map {interval, steps, wall, keep}");
    if (auto interval = m.get("interval"))
      c.interval = read_quantity(doc_, *interval, Quantity::Time, Bound::Positive);
    if (auto steps = m.get("steps"))
      c.steps = read_count(doc_, *steps, 1, kMaxCheckpointSteps, "a number of steps");
    if (auto wall = m.get("wall")) c.wall = read_quantity(doc_, *wall, Quantity::Time, Bound::Positive);
    if (auto keep = m.get("keep"))
      c.keep = static_cast<int>(
          read_count(doc_, *keep, 1, kMaxCheckpointsKept, "a number of checkpoints to keep"));
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

  std::vector<std::string> population_names() const {
    std::vector<std::string> names;
    for (const Population& p : s_.populations) names.push_back(p.name);
    return names;
  }

  // A name that is one of `names`. When it is instead one of `other_names`
  // (a species given where a population is expected), the message says so.
  int reference(const Field& f, const std::vector<std::string>& names, std::string_view kind,
                const std::vector<std::string>& other_names = {}, std::string_view other_kind = {}) const {
    const std::string name = scalar_text(doc_, f, fmt::format("a {} name", kind));
    const auto it = std::find(names.begin(), names.end(), name);
    if (it != names.end()) return static_cast<int>(it - names.begin());
    const std::string defined =
        names.empty() ? "none are defined" : fmt::format("defined: {}", fmt::join(names, ", "));
    if (std::find(other_names.begin(), other_names.end(), name) != other_names.end())
      doc_.fail(f, fmt::format("unknown {} \"{}\": \"{}\" is {}, not {} ({})", kind, name, name,
                               with_article(other_kind), with_article(kind), defined));
    const std::string hint = closest_match(name, names);
    doc_.fail(f, hint.empty() ? fmt::format("unknown {} \"{}\" ({})", kind, name, defined)
                              : fmt::format("unknown {} \"{}\"; did you mean \"{}\"?", kind, name, hint));
  }
  int tissue_ref(const Field& f) const { return reference(f, tissue_names(), "tissue"); }
  int species_ref(const Field& f) const {
    return reference(f, species_names(), "species", population_names(), "population");
  }
  int population_ref(const Field& f) const {
    return reference(f, population_names(), "population", species_names(), "species");
  }

  // ---- the cytokine-storm model ----

  std::size_t species_count() const { return s_.species.size(); }
  std::size_t population_count() const { return s_.populations.size(); }

  // A map, or a list of maps, as a list.
  std::vector<Field> one_or_list(const Field& f, std::string_view expected) const {
    if (f.node.IsMap()) return {f};
    return read_list(doc_, f, expected, true);
  }

  // One name or a non-empty list of distinct names, each resolved by `ref`.
  template <typename Ref>
  std::vector<std::pair<int, Field>> name_selection(const Field& f, std::string_view kind,
                                                    const Ref& ref) const {
    std::vector<std::pair<int, Field>> out;
    if (f.node.IsScalar()) return {{ref(f), f}};
    for (const Field& item :
         read_list(doc_, f, fmt::format("a {} name or a non-empty list of {} names", kind, kind), true)) {
      const int i = ref(item);
      if (std::any_of(out.begin(), out.end(), [&](const auto& seen) { return seen.first == i; }))
        doc_.fail(item, fmt::format("expected each {} once, found \"{}\" again", kind, item.node.Scalar()));
      out.emplace_back(i, item);
    }
    return out;
  }
  std::vector<int> indices(const std::vector<std::pair<int, Field>>& selection) const {
    std::vector<int> out;
    for (const auto& [i, f] : selection) out.push_back(i);
    return out;
  }
  std::vector<std::pair<int, Field>> tissue_selection(const Field& f) const {
    return name_selection(f, "tissue", [this](const Field& x) { return tissue_ref(x); });
  }

  void read_populations(const Field& f) {
    const std::vector<Field> items =
        read_list(doc_, f, "a list of populations [{name, initial, seeding}, ...]", false);
    const std::size_t total = species_count() + items.size();
    if (total > static_cast<std::size_t>(kMaxSpecies))
      doc_.fail(f,
                fmt::format("expected at most {} species and populations together, found {} ({} species and "
                            "{} population{})",
                            kMaxSpecies, total, species_count(), items.size(), items.size() == 1 ? "" : "s"));
    for (const Field& item : items) {
      const MapReader m(doc_, item, {"name", "initial", "seeding"}, "a population {name, initial, seeding}");
      Population p;
      p.where = doc_.locate(item);
      const Field name = m.require("name", "the population's name");
      p.name = read_identifier(doc_, name, "population");
      if (p.name == "all")
        doc_.fail(
            name,
            "expected a population name other than \"all\" (it means \"every species and population\"), "
            "found \"all\"");
      for (const Species& sp : s_.species)
        if (sp.name == p.name)
          doc_.fail(name, fmt::format("expected a population name that no species has, found \"{}\" (the "
                                      "species at {})",
                                      p.name, sp.where.key_path));
      for (const Population& other : s_.populations)
        if (other.name == p.name)
          doc_.fail(name, fmt::format("expected a unique population name, found \"{}\" again (first at {})",
                                      p.name, other.where.key_path));
      if (auto initial = m.get("initial")) p.initial = read_initial(*initial, Quantity::CellDensity);
      const int index = static_cast<int>(s_.populations.size());
      s_.populations.push_back(std::move(p));
      if (auto seeding = m.get("seeding")) read_seeding(*seeding, index);
    }
  }

  void read_seeding(const Field& f, int population) {
    const std::vector<std::string> keys = with_shape_keys({"density", "tissue"});
    for (const Field& item :
         one_or_list(f, "a seeding {density, tissue, <shape>} or a non-empty list of them")) {
      const MapReader m(doc_, item, keys, "a seeding {density, tissue, <shape>}");
      Seeding sd;
      sd.population = population;
      sd.where = doc_.locate(item);
      sd.density = read_quantity(doc_, m.require("density", "the mean density of the cells seeded"),
                                 Quantity::CellDensity, Bound::Positive);
      sd.region = read_region(m);
      s_.seedings.push_back(std::move(sd));
    }
  }

  // ---- rules ----

  static const std::vector<Variant>& rule_variants() {
    static const std::vector<Variant> variants{
        {"secretion", {"species", "rate", "max_rate", "activators", "inhibitors"}},
        {"uptake", {"species", "clearance", "vmax", "km"}},
        {"decay", {"rate", "half_life"}},
        {"growth", {"rate", "capacity", "activators"}},
        {"recruitment", {"rate", "capacity", "activators"}},
        {"death", {"signal", "threshold", "rate", "mode", "priming", "burst"}},
    };
    return variants;
  }

  void read_rules(const Field& f) {
    const std::vector<Field> items =
        read_list(doc_, f, "a list of rules [{type, population, ...}, ...]", false);
    if (items.size() > static_cast<std::size_t>(kMaxRules))
      doc_.fail(f, fmt::format("expected at most {} rules, found {}", kMaxRules, items.size()));
    for (const Field& item : items) s_.rules.push_back(read_rule(item));
  }

  Rule read_rule(const Field& item) {
    const std::vector<Variant>& variants = rule_variants();
    std::vector<std::string> types;
    for (const Variant& v : variants) types.push_back(v.name);
    const std::string expected_types = join_or(types);
    if (!item.node.IsMap())
      doc_.fail(item, fmt::format("expected a rule {{type, population, ...}}, found {}",
                                  describe_found(item.node)));
    // The type decides which keys the rule may have.
    const std::optional<Field> type = peek(item, "type");
    if (!type) doc_.fail(item, fmt::format("missing required key \"type\" (expected {})", expected_types));
    const std::string type_name = scalar_text(doc_, *type, fmt::format("a rule type ({})", expected_types));
    const auto variant =
        std::find_if(variants.begin(), variants.end(), [&](const Variant& v) { return v.name == type_name; });
    if (variant == variants.end()) {
      const std::string hint = closest_match(type_name, types);
      doc_.fail(*type, hint.empty()
                           ? fmt::format("unknown rule type \"{}\" (expected {})", type_name, expected_types)
                           : fmt::format("unknown rule type \"{}\"; did you mean \"{}\"?", type_name, hint));
    }
    std::vector<std::string> keys{"type", "name", "population", "tissues"};
    keys.insert(keys.end(), variant->keys.begin(), variant->keys.end());
    const MapReader m(doc_, item, keys, "a rule", "key",
                      keys_of_other_variants(variants, type_name, "rule", "type"));

    Rule r;
    r.kind = static_cast<RuleKind>(variant - variants.begin());
    r.where = doc_.locate(item);
    if (auto name = m.get("name")) {
      r.name = read_identifier(doc_, *name, "rule");
      for (const Rule& other : s_.rules)
        if (other.name == r.name)
          doc_.fail(*name, fmt::format("expected a unique rule name, found \"{}\" again (first at {})",
                                       r.name, other.where.key_path));
    }
    r.population =
        population_ref(m.require("population", "the name of the population that follows this rule"));
    if (auto tissues = m.get("tissues")) r.tissues = indices(tissue_selection(*tissues));
    r.signal.assign(species_count(), 0.0);
    r.burst.assign(species_count(), 0.0);
    switch (r.kind) {
      case RuleKind::Secretion:
        read_secretion(m, r);
        break;
      case RuleKind::Uptake:
        read_uptake(m, r);
        break;
      case RuleKind::Decay:
        read_population_decay(m, r);
        break;
      case RuleKind::Growth:
      case RuleKind::Recruitment:
        if (r.kind == RuleKind::Recruitment && !s_.plasma.enabled)
          doc_.fail(*type,
                    "a recruitment rule draws cells from the blood (plasma.blood); add a plasma section");
        r.rate = read_quantity(doc_, m.require("rate", "the per-capita rate, e.g. \"0.01 /min\""),
                               Quantity::Rate, Bound::Positive);
        r.capacity = read_quantity(doc_, m.require("capacity", "the carrying capacity, a cell density"),
                                   Quantity::CellDensity, Bound::Positive);
        read_hill_terms(m, r);
        break;
      case RuleKind::Death:
        read_death(m, r);
        break;
    }
    return r;
  }

  // Activators and inhibitors: each a map or a list of {species, half_max, hill}.
  void read_hill_terms(const MapReader& m, Rule& r) {
    const auto read = [&](const Field& f) {
      std::vector<HillTerm> terms;
      for (const Field& item :
           one_or_list(f, "a Hill term {species, half_max, hill} or a non-empty list of them")) {
        const MapReader t(doc_, item, {"species", "half_max", "hill"},
                          "a Hill term {species, half_max, hill}");
        HillTerm h;
        h.where = doc_.locate(item);
        h.species = species_ref(t.require("species", "the name of the species that acts"));
        h.half_max = read_quantity(doc_, t.require("half_max", "the concentration of half effect"),
                                   Quantity::Concentration, Bound::Positive);
        if (auto hill = t.get("hill")) {
          h.hill = read_quantity(doc_, *hill, Quantity::Dimensionless);
          if (!(h.hill >= 1))
            doc_.fail(*hill, fmt::format("expected a Hill power >= 1, found \"{}\"", hill->node.Scalar()));
        }
        terms.push_back(h);
      }
      return terms;
    };
    const auto activators = m.get("activators");
    const auto inhibitors = m.get("inhibitors");
    if (activators) r.activators = read(*activators);
    if (inhibitors) r.inhibitors = read(*inhibitors);
    const std::size_t n = r.activators.size() + r.inhibitors.size();
    if (n > static_cast<std::size_t>(kMaxHillTerms))
      doc_.fail(inhibitors ? *inhibitors : *activators,
                fmt::format(
                    "expected at most {} Hill terms (activators and inhibitors together) per rule, found {}",
                    kMaxHillTerms, n));
  }

  void read_secretion(const MapReader& m, Rule& r) {
    r.species = species_ref(m.require("species", "the name of the species secreted"));
    const Field rate = m.require("rate", "the secretion rate per cell, e.g. \"0.01 pg/cell/min\"");
    r.base = read_quantity(doc_, rate, Quantity::PerCellRate, Bound::NonNegative);
    read_hill_terms(m, r);
    const auto max_rate = m.get("max_rate");
    if (r.activators.empty()) {
      if (max_rate)
        doc_.fail(*max_rate,
                  "expected max_rate only with activators (it is the rate at full activation), found no "
                  "activators");
      r.max = r.base;  // no activation: the rate stays at base
      return;
    }
    const Field max_field = m.require("max_rate", "the secretion rate per cell at full activation");
    r.max = read_quantity(doc_, max_field, Quantity::PerCellRate, Bound::NonNegative);
    if (r.max < r.base)
      doc_.fail(max_field, fmt::format("expected a max_rate >= rate ({}), found \"{}\"",
                                       as_written(rate, Quantity::PerCellRate), max_field.node.Scalar()));
  }

  void read_uptake(const MapReader& m, Rule& r) {
    r.species = species_ref(m.require("species", "the name of the species taken up"));
    const auto clearance = m.get("clearance");
    const auto vmax = m.get("vmax");
    const auto km = m.get("km");
    if (clearance && vmax)
      doc_.fail(*vmax,
                "expected either clearance (linear uptake) or vmax and km (saturable uptake), found both");
    if (clearance) {
      if (km) doc_.fail(*km, "expected km only with vmax (saturable uptake), found it with clearance");
      r.clearance = read_quantity(doc_, *clearance, Quantity::Clearance, Bound::Positive);
    } else if (vmax) {
      r.vmax = read_quantity(doc_, *vmax, Quantity::PerCellRate, Bound::Positive);
      r.km = read_quantity(doc_, m.require("km", "the concentration of half-maximal uptake"),
                           Quantity::Concentration, Bound::Positive);
    } else {
      doc_.fail(
          m.field(),
          "missing required key \"clearance\" or \"vmax\" (expected a clearance per cell for linear uptake, "
          "or vmax and km for saturable uptake)");
    }
  }

  void read_population_decay(const MapReader& m, Rule& r) {
    const auto rate = m.get("rate");
    const auto half_life = m.get("half_life");
    if (rate && half_life) doc_.fail(*half_life, "expected either rate or half_life, found both");
    if (rate) {
      r.rate = read_quantity(doc_, *rate, Quantity::Rate, Bound::Positive);
    } else if (half_life) {
      r.rate = std::log(2.0) / read_quantity(doc_, *half_life, Quantity::Time, Bound::Positive);
    } else {
      doc_.fail(m.field(),
                "missing required key \"rate\" or \"half_life\" (expected the population's turnover rate or "
                "half-life)");
    }
  }

  // A species name (weight 1) or a map of dimensionless weights by species.
  std::vector<double> read_signal(const Field& f) const {
    std::vector<double> weights(species_count(), 0.0);
    if (f.node.IsScalar()) {
      weights[species_ref(f)] = 1.0;
      return weights;
    }
    const std::vector<std::string> names = species_names();
    const MapReader m(doc_, f, names,
                      "a species name or a map of weights by species, e.g. {IL-1b: 1, IL-18: 0.5}",
                      "species");
    bool any = false;
    for (std::size_t k = 0; k < names.size(); ++k) {
      if (auto w = m.get(names[k])) {
        weights[k] = read_quantity(doc_, *w, Quantity::Dimensionless, Bound::NonNegative);
        any = any || weights[k] > 0;
      }
    }
    if (!any) doc_.fail(f, "expected at least one species with a weight > 0, found none");
    return weights;
  }

  void read_death(const MapReader& m, Rule& r) {
    r.signal = read_signal(
        m.require("signal", "the species whose level triggers death: a name or {species: weight}"));
    r.threshold = read_quantity(doc_, m.require("threshold", "the signal concentration at which cells die"),
                                Quantity::Concentration, Bound::Positive);
    r.rate = read_quantity(doc_, m.require("rate", "the death rate above threshold, e.g. \"0.1 /min\""),
                           Quantity::Rate, Bound::Positive);
    if (auto mode = m.get("mode")) {
      const std::string text = scalar_text(doc_, *mode, "\"deterministic\" or \"stochastic\"");
      if (text == "deterministic") {
        r.mode = DeathMode::Deterministic;
      } else if (text == "stochastic") {
        r.mode = DeathMode::Stochastic;
      } else {
        doc_.fail(*mode, fmt::format("expected \"deterministic\" or \"stochastic\", found \"{}\"", text));
      }
    }
    if (auto priming = m.get("priming")) {
      const MapReader p(doc_, *priming, {"signal", "threshold"}, "a priming condition {signal, threshold}");
      r.priming = read_signal(p.require("signal", "the priming species: a name or {species: weight}"));
      r.priming_threshold = read_quantity(doc_, p.require("threshold", "the priming signal's threshold"),
                                          Quantity::Concentration, Bound::Positive);
    }
    if (auto burst = m.get("burst")) {
      const std::vector<std::string> names = species_names();
      const MapReader b(doc_, *burst, names,
                        "a map of the amount released per dying cell by species, e.g. "
                        "{IL-1b: 0.05 pg/cell}",
                        "species");
      for (std::size_t k = 0; k < names.size(); ++k)
        if (auto amount = b.get(names[k]))
          r.burst[k] = read_quantity(doc_, *amount, Quantity::PerCellAmount, Bound::NonNegative);
    }
  }

  // ---- organs ----

  void read_organs(const Field& f) {
    for (const Field& item : read_list(doc_, f, "a list of organs [{name, tissues, volume}, ...]", false)) {
      const MapReader m(doc_, item, {"name", "tissues", "volume"}, "an organ {name, tissues, volume}");
      Organ o;
      o.where = doc_.locate(item);
      const Field name = m.require("name", "the organ's name");
      o.name = read_identifier(doc_, name, "organ");
      if (o.name == "all")
        doc_.fail(name,
                  "expected an organ name other than \"all\" (it means \"every tissue\"), found \"all\"");
      for (const Tissue& t : s_.tissues)
        if (t.name == o.name)
          doc_.fail(name,
                    fmt::format("expected an organ name that no tissue has (time series name organs and "
                                "tissues alike), found \"{}\" (the tissue at {})",
                                o.name, t.where.key_path));
      for (const Organ& other : s_.organs)
        if (other.name == o.name)
          doc_.fail(name, fmt::format("expected a unique organ name, found \"{}\" again (first at {})",
                                      o.name, other.where.key_path));
      for (const auto& [t, at] :
           tissue_selection(m.require("tissues", "a tissue name or a list of tissue names"))) {
        for (const Organ& other : s_.organs)
          if (std::find(other.tissues.begin(), other.tissues.end(), t) != other.tissues.end())
            doc_.fail(at,
                      fmt::format("expected each tissue in at most one organ, found \"{}\" already in organ "
                                  "\"{}\" ({})",
                                  s_.tissues[t].name, other.name, other.where.key_path));
        o.tissues.push_back(t);
      }
      if (auto volume = m.get("volume"))
        o.volume = read_quantity(doc_, *volume, Quantity::Volume, Bound::Positive);
      s_.organs.push_back(std::move(o));
    }
  }

  // ---- plasma ----

  // One value for every species, or a map by species name with an optional "default".
  struct PerSpecies {
    std::vector<std::optional<double>> value;  // given by name
    std::vector<std::optional<Field>> at;
    std::optional<double> fallback;  // a scalar, or "default"
    std::optional<Field> fallback_at;
  };

  PerSpecies read_per_species(const Field& f, Quantity q, Bound bound) const {
    PerSpecies out;
    out.value.resize(species_count());
    out.at.resize(species_count());
    if (!f.node.IsMap()) {
      out.fallback = read_quantity(doc_, f, q, bound);
      out.fallback_at = f;
      return out;
    }
    std::vector<std::string> keys = species_names();
    keys.emplace_back("default");
    const MapReader m(
        doc_, f, keys,
        fmt::format("{} for every species, or a map by species name (with an optional \"default\")",
                    with_article(quantity_name(q))),
        "species");
    if (auto d = m.get("default")) {
      out.fallback = read_quantity(doc_, *d, q, bound);
      out.fallback_at = *d;
    }
    for (std::size_t k = 0; k < species_count(); ++k) {
      if (auto v = m.get(s_.species[k].name)) {
        out.value[k] = read_quantity(doc_, *v, q, bound);
        out.at[k] = *v;
      }
    }
    return out;
  }

  // A map by population name; populations not listed get 0.
  std::vector<double> read_per_population(const Field& f, Quantity q) const {
    const std::vector<std::string> names = population_names();
    const MapReader m(doc_, f, names, fmt::format("a map of {} by population name", quantity_name(q)),
                      "population");
    std::vector<double> values(names.size(), 0.0);
    for (std::size_t p = 0; p < names.size(); ++p)
      if (auto v = m.get(names[p])) values[p] = read_quantity(doc_, *v, q, Bound::NonNegative);
    return values;
  }

  void read_plasma(const Field& f) {
    const MapReader m(
        doc_, f, {"volume", "initial", "clearance", "half_life", "blood", "blood_clearance", "exchange"},
        "a plasma map {volume, initial, clearance or half_life, blood, blood_clearance, exchange}");
    Plasma& p = s_.plasma;
    p.enabled = true;
    p.where = doc_.locate(f);
    p.volume = read_quantity(doc_, m.require("volume", "the plasma volume, e.g. \"3 L\""), Quantity::Volume,
                             Bound::Positive);
    const std::size_t ns = species_count();
    p.initial.assign(ns, 0.0);
    if (auto initial = m.get("initial")) {
      const PerSpecies v = read_per_species(*initial, Quantity::Concentration, Bound::NonNegative);
      for (std::size_t k = 0; k < ns; ++k) p.initial[k] = v.value[k].value_or(v.fallback.value_or(0.0));
    }
    // Clearance by rate or by half-life; a species' own entry wins over a default.
    PerSpecies rate, half_life;
    rate.value.resize(ns);
    half_life.value.resize(ns);
    if (auto c = m.get("clearance")) rate = read_per_species(*c, Quantity::Rate, Bound::NonNegative);
    if (auto h = m.get("half_life")) half_life = read_per_species(*h, Quantity::Time, Bound::Positive);
    if (rate.fallback && half_life.fallback)
      doc_.fail(*half_life.fallback_at,
                "expected a default clearance or a default half_life, found both (give one, and per-species "
                "values of the other)");
    p.clearance.assign(ns, 0.0);
    for (std::size_t k = 0; k < ns; ++k) {
      if (rate.value[k] && half_life.value[k])
        doc_.fail(*half_life.at[k],
                  fmt::format("expected either a clearance or a half_life for \"{}\", found both",
                              s_.species[k].name));
      if (rate.value[k]) {
        p.clearance[k] = *rate.value[k];
      } else if (half_life.value[k]) {
        p.clearance[k] = std::log(2.0) / *half_life.value[k];
      } else if (rate.fallback) {
        p.clearance[k] = *rate.fallback;
      } else if (half_life.fallback) {
        p.clearance[k] = std::log(2.0) / *half_life.fallback;
      }
    }
    p.blood_initial.assign(population_count(), 0.0);
    p.blood_clearance.assign(population_count(), 0.0);
    if (auto blood = m.get("blood")) p.blood_initial = read_per_population(*blood, Quantity::CellDensity);
    if (auto bc = m.get("blood_clearance")) p.blood_clearance = read_per_population(*bc, Quantity::Rate);
    if (auto exchange = m.get("exchange")) read_exchange(*exchange);
  }

  void read_exchange(const Field& f) {
    for (const Field& item :
         read_list(doc_, f, "a list of vascular exchanges [{tissue, species, rate}, ...]", false)) {
      const MapReader m(doc_, item, {"tissue", "species", "rate"},
                        "a vascular exchange {tissue, species, rate}");
      const int tissue = tissue_ref(m.require("tissue", "the name of the tissue that exchanges with plasma"));
      const Field species = m.require("species", "a species name, a list of names, or \"all\"");
      const std::vector<int> which = species_selection(species);
      const double rate = read_quantity(doc_, m.require("rate", "the exchange rate, e.g. \"0.5 /min\""),
                                        Quantity::Rate, Bound::NonNegative);
      for (int k : which) {
        for (const VascularExchange& other : s_.plasma.exchange)
          if (other.tissue == tissue && other.species == k)
            doc_.fail(
                species,
                fmt::format("expected one exchange per tissue and species, found a second for \"{}\" in "
                            "\"{}\" (first at {})",
                            s_.species[k].name, s_.tissues[tissue].name, other.where.key_path));
        s_.plasma.exchange.push_back(VascularExchange{tissue, k, rate, doc_.locate(item)});
      }
    }
  }

  // ---- infusions and therapies ----

  // A time of a dose or an infusion: >= 0 and no later than time.end.
  double read_dose_time(const Field& f, std::string_view what) const {
    const double t = read_quantity(doc_, f, Quantity::Time, Bound::NonNegative);
    if (t > s_.time.end)
      doc_.fail(f, fmt::format("the {} at {} is after the end of the run (time.end = {})", what,
                               as_written(f, Quantity::Time), time_end_text_));
    return t;
  }

  void read_infusions(const Field& f) {
    const std::vector<Field> items = read_list(
        doc_, f, "a list of infusions [{species or population, amount or cells, time or start and end}, ...]",
        false);
    if (!items.empty() && !s_.plasma.enabled)
      doc_.fail(f, "an infusion goes into the plasma compartment; add a plasma section");
    for (const Field& item : items) {
      const MapReader m(doc_, item,
                        {"name", "species", "population", "amount", "cells", "time", "start", "end"},
                        "an infusion {species or population, amount or cells, time or start and end}");
      Infusion inf;
      inf.where = doc_.locate(item);
      if (auto name = m.get("name")) inf.name = scalar_text(doc_, *name, "an infusion name");
      const auto species = m.get("species");
      const auto population = m.get("population");
      const auto amount = m.get("amount");
      const auto cells = m.get("cells");
      if (species && population) doc_.fail(*population, "expected either species or population, found both");
      if (species) {
        inf.species = species_ref(*species);
        if (cells)
          doc_.fail(*cells,
                    "expected amount (a mass) for an infusion of a species, found cells (for a population)");
        inf.amount = read_quantity(doc_, m.require("amount", "the mass infused, e.g. \"10 ug\""),
                                   Quantity::Mass, Bound::Positive);
      } else if (population) {
        inf.population = population_ref(*population);
        if (amount)
          doc_.fail(
              *amount,
              "expected cells (a cell count) for an infusion of a population, found amount (for a species)");
        inf.amount =
            read_quantity(doc_, m.require("cells", "the number of cells infused, e.g. \"1e8 cells\""),
                          Quantity::CellCount, Bound::Positive);
      } else {
        doc_.fail(item, "missing required key \"species\" or \"population\" (expected what is infused)");
      }
      const auto time = m.get("time");
      const auto start = m.get("start");
      const auto end = m.get("end");
      if (time && (start || end))
        doc_.fail(start ? *start : *end,
                  "expected either time (a bolus) or start and end (an infusion spread evenly), found both");
      if (time) {
        inf.start = read_dose_time(*time, "infusion");
      } else if (start || end) {
        const Field start_field = m.require("start", "the time the infusion starts (with end)");
        const Field end_field = m.require("end", "the time the infusion stops (with start)");
        inf.start = read_dose_time(start_field, "infusion start");
        inf.end = read_quantity(doc_, end_field, Quantity::Time);
        if (*inf.end <= inf.start)
          doc_.fail(end_field, fmt::format("expected an end after start ({}), found \"{}\"",
                                           as_written(start_field, Quantity::Time), end_field.node.Scalar()));
      } else {
        doc_.fail(item, "missing required key \"time\" (expected the time of a bolus, or start and end)");
      }
      s_.infusions.push_back(std::move(inf));
    }
  }

  static const std::vector<Variant>& therapy_variants() {
    static const std::vector<Variant> variants{
        {"neutralisation", {"k_on"}},
        {"blockade", {"ic50", "rules"}},
        {"suppression", {"emax", "ec50", "rules"}},
    };
    return variants;
  }

  int rule_ref(const Field& f) const {
    std::vector<std::string> names;
    std::vector<int> index;
    for (std::size_t i = 0; i < s_.rules.size(); ++i) {
      if (s_.rules[i].name.empty()) continue;
      names.push_back(s_.rules[i].name);
      index.push_back(static_cast<int>(i));
    }
    const std::string name = scalar_text(doc_, f, "a rule name");
    if (names.empty())
      doc_.fail(f, fmt::format("unknown rule \"{}\" (no rule has a name; give the rule a \"name\")", name));
    return index[static_cast<std::size_t>(reference(f, names, "rule"))];
  }

  void read_therapies(const Field& f) {
    for (const Field& item : read_list(doc_, f, "a list of therapies [{name, effect, ...}, ...]", false))
      s_.therapies.push_back(read_therapy(item));
  }

  Therapy read_therapy(const Field& item) {
    const std::vector<Variant>& variants = therapy_variants();
    const std::string expected_effects = "neutralisation, blockade or suppression";
    if (!item.node.IsMap())
      doc_.fail(item,
                fmt::format("expected a therapy {{name, effect, ...}}, found {}", describe_found(item.node)));
    const std::optional<Field> effect = peek(item, "effect");
    if (!effect)
      doc_.fail(item, fmt::format("missing required key \"effect\" (expected {})", expected_effects));
    std::string effect_name =
        scalar_text(doc_, *effect, fmt::format("a therapy effect ({})", expected_effects));
    if (effect_name == "neutralization") effect_name = "neutralisation";
    const auto variant = std::find_if(variants.begin(), variants.end(),
                                      [&](const Variant& v) { return v.name == effect_name; });
    if (variant == variants.end()) {
      const std::string hint =
          closest_match(effect_name, {"neutralisation", "neutralization", "blockade", "suppression"});
      doc_.fail(*effect, hint.empty() ? fmt::format("unknown therapy effect \"{}\" (expected {})",
                                                    effect_name, expected_effects)
                                      : fmt::format("unknown therapy effect \"{}\"; did you mean \"{}\"?",
                                                    effect_name, hint));
    }
    std::vector<std::string> keys{"name", "effect", "species", "doses", "dose", "half_life", "volume"};
    keys.insert(keys.end(), variant->keys.begin(), variant->keys.end());
    const MapReader m(doc_, item, keys, "a therapy", "key",
                      keys_of_other_variants(variants, effect_name, "therapy", "effect"));

    Therapy t;
    t.effect = static_cast<DrugEffect>(variant - variants.begin());
    t.where = doc_.locate(item);
    const Field name = m.require("name", "the therapy's name");
    t.name = read_identifier(doc_, name, "therapy");
    for (const Therapy& other : s_.therapies)
      if (other.name == t.name)
        doc_.fail(name, fmt::format("expected a unique therapy name, found \"{}\" again (first at {})",
                                    t.name, other.where.key_path));

    // Targets.
    const auto species = m.get("species");
    const auto rules = m.get("rules");
    if (species)
      t.species =
          indices(name_selection(*species, "species", [this](const Field& x) { return species_ref(x); }));
    std::vector<std::pair<int, Field>> rule_targets;
    if (rules) {
      rule_targets = name_selection(*rules, "rule", [this](const Field& x) { return rule_ref(x); });
      t.rules = indices(rule_targets);
    }
    switch (t.effect) {
      case DrugEffect::Neutralisation:
        m.require("species", "the species the drug binds: a name or a list of names");
        t.k_on = read_quantity(doc_, m.require("k_on", "the binding rate, e.g. \"1e-6 mL/pg/min\""),
                               Quantity::BindingRate, Bound::Positive);
        break;
      case DrugEffect::Blockade:
        m.require("species", "the species whose activation is blocked: a name or a list of names");
        for (const auto& [r, at] : rule_targets) {
          const Rule& rule = s_.rules[static_cast<std::size_t>(r)];
          const bool acts =
              std::any_of(rule.activators.begin(), rule.activators.end(), [&](const HillTerm& h) {
                return std::find(t.species.begin(), t.species.end(), h.species) != t.species.end();
              });
          if (!acts)
            doc_.fail(at,
                      fmt::format("expected a rule activated by a blocked species ({}), found rule \"{}\" "
                                  "without such an activator",
                                  join_or(target_names(t.species)), rule.name));
        }
        t.ic50 = read_quantity(doc_, m.require("ic50", "the drug level of half blockade"),
                               Quantity::Concentration, Bound::Positive);
        break;
      case DrugEffect::Suppression: {
        if (species && rules)
          doc_.fail(*rules,
                    "expected either species (every secretion rule producing them) or rules, found both");
        if (!species && !rules)
          doc_.fail(item,
                    "missing required key \"species\" or \"rules\" (expected the secretion to suppress)");
        for (const auto& [r, at] : rule_targets)
          if (s_.rules[static_cast<std::size_t>(r)].kind != RuleKind::Secretion)
            doc_.fail(at, fmt::format("expected a secretion rule (suppression scales secretion rates), found "
                                      "\"{}\", which is not one",
                                      at.node.Scalar()));
        const Field emax = m.require("emax", "the largest fraction suppressed, above 0 and at most 1");
        t.emax = read_quantity(doc_, emax, Quantity::Dimensionless);
        if (!(t.emax > 0 && t.emax <= 1))
          doc_.fail(emax,
                    fmt::format("expected an emax above 0 and at most 1, found \"{}\"", emax.node.Scalar()));
        t.ec50 = read_quantity(doc_, m.require("ec50", "the drug level of half the maximal suppression"),
                               Quantity::Concentration, Bound::Positive);
        break;
      }
    }

    // Pharmacokinetics.
    const auto doses = m.get("doses");
    const auto dose = m.get("dose");
    if (doses && dose) doc_.fail(*dose, "expected either doses (a list) or dose (one), found both");
    std::vector<Field> dose_items;
    if (dose) {
      dose_items.push_back(*dose);
    } else if (doses) {
      dose_items = read_list(doc_, *doses, "a non-empty list of doses [{time, amount}, ...]", true);
    } else {
      doc_.fail(item, "missing required key \"doses\" (expected a list of doses [{time, amount}, ...])");
    }
    for (const Field& d : dose_items) {
      const MapReader dm(doc_, d, {"time", "amount"}, "a dose {time, amount}");
      Dose x;
      x.where = doc_.locate(d);
      x.time = read_dose_time(dm.require("time", "the time the dose is given"), "dose");
      x.amount = read_quantity(doc_, dm.require("amount", "the mass given, e.g. \"8 mg\""), Quantity::Mass,
                               Bound::Positive);
      t.doses.push_back(x);
    }
    t.half_life = read_quantity(doc_, m.require("half_life", "the drug's elimination half-life"),
                                Quantity::Time, Bound::Positive);
    t.volume = read_quantity(doc_, m.require("volume", "the drug's volume of distribution, e.g. \"5 L\""),
                             Quantity::Volume, Bound::Positive);
    return t;
  }

  std::vector<std::string> target_names(const std::vector<int>& species) const {
    std::vector<std::string> names;
    for (int k : species) names.push_back(s_.species[static_cast<std::size_t>(k)].name);
    return names;
  }

  // output.fields: "all", or species and population names.
  void read_field_selection(const Field& f) {
    OutputSettings& o = s_.output;
    if (f.node.IsScalar() && f.node.Scalar() == "all") {
      for (std::size_t k = 0; k < species_count(); ++k) o.fields.push_back(static_cast<int>(k));
      for (std::size_t p = 0; p < population_count(); ++p) o.population_fields.push_back(static_cast<int>(p));
      return;
    }
    std::vector<std::string> names = species_names();
    const std::vector<std::string> populations = population_names();
    names.insert(names.end(), populations.begin(), populations.end());
    const std::string kind = populations.empty() ? "species" : "species or population";
    const auto ref = [&](const Field& x) { return reference(x, names, kind); };
    std::vector<std::pair<int, Field>> chosen;
    if (f.node.IsScalar()) {
      chosen.emplace_back(ref(f), f);
    } else {
      for (const Field& item :
           read_list(doc_, f, fmt::format("\"all\", a {} name or a non-empty list of names", kind), true)) {
        const int i = ref(item);
        if (std::any_of(chosen.begin(), chosen.end(), [&](const auto& c) { return c.first == i; }))
          doc_.fail(item, fmt::format("expected each {} once, found \"{}\" again", kind, item.node.Scalar()));
        chosen.emplace_back(i, item);
      }
    }
    const int ns = static_cast<int>(species_count());
    for (const auto& [i, at] : chosen)
      (i < ns ? o.fields : o.population_fields).push_back(i < ns ? i : i - ns);
  }

  const Document& doc_;
  std::string base_directory_;  // of the scenario file, for relative file names
  Scenario s_;
  std::string time_end_text_;  // time.end as written, for messages
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

// ---- differences between resolved scenarios ----

// A value as text for a difference: a scalar as written, null as "null", a
// map or list in YAML flow style.
std::string value_text(const YAML::Node& node) {
  if (!node.IsDefined()) return {};
  if (node.IsScalar()) return node.Scalar();
  if (node.IsNull()) return "null";
  YAML::Emitter out;
  out.SetMapFormat(YAML::Flow);
  out.SetSeqFormat(YAML::Flow);
  out << node;
  return out.c_str();
}

std::string key_text(const YAML::Node& key) { return key.IsScalar() ? key.Scalar() : value_text(key); }

// How --set names each item of a list: by its "name" where every use of that
// name is unambiguous and spells a path step (not an index, no "." or "["),
// otherwise by index. Keys: "TNF" or "[2]" (appended to the list's path).
std::vector<std::string> item_labels(const YAML::Node& list) {
  std::vector<std::string> names;
  for (const YAML::Node& item : list) {
    const YAML::Node name = item.IsMap() ? item["name"] : YAML::Node();
    names.push_back(name.IsDefined() && name.IsScalar() ? name.Scalar() : std::string());
  }
  std::vector<std::string> labels;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string& n = names[i];
    const bool usable = !n.empty() && !is_index(n) && n.find_first_of(".[]= ") == std::string::npos &&
                        std::count(names.begin(), names.end(), n) == 1;
    labels.push_back(usable ? n : fmt::format("[{}]", i));
  }
  return labels;
}

std::string item_path(const std::string& list_path, const std::string& label) {
  return label.front() == '[' ? list_path + label : child_path(list_path, label);
}

class DifferenceCollector {
 public:
  // Everything under `node` as present on one side only.
  void one_sided(const std::string& path, const YAML::Node& node, bool in_before) {
    const bool collection = (node.IsMap() || node.IsSequence()) && node.size() > 0;
    if (!collection) {
      (in_before ? main_ : added_)
          .push_back(in_before ? ScenarioDifference{path, value_text(node), ""}
                               : ScenarioDifference{path, "", value_text(node)});
      return;
    }
    if (node.IsMap()) {
      for (const auto& pair : node) one_sided(child_path(path, key_text(pair.first)), pair.second, in_before);
    } else {
      const std::vector<std::string> labels = item_labels(node);
      for (std::size_t i = 0; i < node.size(); ++i) one_sided(item_path(path, labels[i]), node[i], in_before);
    }
  }

  void compare(const std::string& path, const YAML::Node& a, const YAML::Node& b) {
    if (a.IsMap() && b.IsMap()) {
      compare_maps(path, a, b);
    } else if (a.IsSequence() && b.IsSequence()) {
      compare_lists(path, a, b);
    } else if (a.Type() != b.Type() || (a.IsScalar() && a.Scalar() != b.Scalar())) {
      // A scalar that changed, or a different structure (one entry at this key).
      main_.push_back({path, value_text(a), value_text(b)});
    }
  }

  std::vector<ScenarioDifference> result() && {
    main_.insert(main_.end(), std::make_move_iterator(added_.begin()), std::make_move_iterator(added_.end()));
    return std::move(main_);
  }

 private:
  static std::optional<YAML::Node> find_key(const YAML::Node& map, const std::string& key) {
    for (const auto& pair : map)
      if (key_text(pair.first) == key) return pair.second;
    return std::nullopt;
  }

  void compare_maps(const std::string& path, const YAML::Node& a, const YAML::Node& b) {
    for (const auto& pair : a) {
      const std::string key = key_text(pair.first);
      if (auto other = find_key(b, key)) {
        compare(child_path(path, key), pair.second, *other);
      } else {
        one_sided(child_path(path, key), pair.second, true);
      }
    }
    for (const auto& pair : b) {
      const std::string key = key_text(pair.first);
      if (!find_key(a, key)) one_sided(child_path(path, key), pair.second, false);
    }
  }

  void compare_lists(const std::string& path, const YAML::Node& a, const YAML::Node& b) {
    const std::vector<std::string> la = item_labels(a);
    const std::vector<std::string> lb = item_labels(b);
    for (std::size_t i = 0; i < a.size(); ++i) {
      const auto j = std::find(lb.begin(), lb.end(), la[i]);
      if (j == lb.end()) {
        one_sided(item_path(path, la[i]), a[i], true);
      } else {
        compare(item_path(path, la[i]), a[i], b[static_cast<std::size_t>(j - lb.begin())]);
      }
    }
    for (std::size_t j = 0; j < b.size(); ++j)
      if (std::find(la.begin(), la.end(), lb[j]) == la.end()) one_sided(item_path(path, lb[j]), b[j], false);
  }

  std::vector<ScenarioDifference> main_;   // in the order of `before`
  std::vector<ScenarioDifference> added_;  // only in `after`, in its order
};

YAML::Node load_for_differences(const std::string& text, const std::string& display_name) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    const bool known = !e.mark.is_null();
    throw InputError(
        SourceLocation{display_name, known ? e.mark.line + 1 : 0, known ? e.mark.column + 1 : 0, ""},
        fmt::format("invalid YAML: {}", e.msg));
  }
}

}  // namespace

std::vector<ScenarioDifference> scenario_differences(const std::string& before_yaml,
                                                     const std::string& after_yaml,
                                                     const std::string& display_name) {
  const YAML::Node before = load_for_differences(before_yaml, display_name);
  const YAML::Node after = load_for_differences(after_yaml, display_name);
  DifferenceCollector collector;
  collector.compare("", before, after);
  return std::move(collector).result();
}

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
  Scenario s = ScenarioReader(doc, std::filesystem::path(display_name).parent_path().string()).read(root);
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
