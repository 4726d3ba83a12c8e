#include "host/scenario/overrides.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <string_view>

#include "host/scenario/units.hpp"

namespace cyto::reader {
namespace {

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

// The list item a step names: by index, or by the item's "name".
std::size_t list_index(const YAML::Node& list, const PathStep& step, const std::string& path,
                       const std::string& canonical) {
  std::size_t index = 0;
  if (step.bracketed || is_index(step.key)) {
    const auto [end, ec] = std::from_chars(step.key.data(), step.key.data() + step.key.size(), index);
    if (ec != std::errc() || index >= list.size())
      override_error(path, fmt::format("index {} is out of range: {} has {} item{}", step.key, canonical,
                                       list.size(), list.size() == 1 ? "" : "s"));
    return index;
  }
  std::vector<std::string> names;
  for (const YAML::Node& item : list)
    names.push_back(item.IsMap() && item["name"] && item["name"].IsScalar() ? item["name"].Scalar() : "");
  const auto it = std::find(names.begin(), names.end(), step.key);
  if (it == names.end()) {
    const std::string hint = closest_match(step.key, names);
    override_error(path, hint.empty() ? fmt::format("no item named \"{}\" in {}", step.key, canonical)
                                      : fmt::format("no item named \"{}\" in {}; did you mean \"{}\"?",
                                                    step.key, canonical, hint));
  }
  return static_cast<std::size_t>(it - names.begin());
}

// Sets `value` at `steps` below `root`; returns the canonical path it set.
std::string set_at(YAML::Node& root, const std::vector<PathStep>& steps, const YAML::Node& value,
                   const std::string& path) {
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
      const std::size_t index = list_index(node, step, path, canonical);
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
  return canonical;
}

}  // namespace

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
    applied.push_back({set_at(root, steps, value, path), "--set " + text});
  }
  return applied;
}

}  // namespace cyto::reader
