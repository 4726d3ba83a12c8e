// The scenario diff: which keys two resolved scenarios differ in, named as
// --set names them (a restart with --allow-changes lists them).
#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <optional>
#include <utility>

#include <yaml-cpp/yaml.h>

#include "host/scenario/config.hpp"
#include "host/scenario/yaml_document.hpp"

namespace cyto {
namespace {

using reader::child_path;
using reader::is_index;

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

}  // namespace cyto
