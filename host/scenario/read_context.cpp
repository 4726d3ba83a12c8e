#include "host/scenario/read_context.hpp"

#include <fmt/ranges.h>

#include <algorithm>

#include "host/scenario/units.hpp"
#include "host/scenario/yaml_values.hpp"

namespace cyto::reader {

std::vector<std::string> Reading::tissue_names() const {
  std::vector<std::string> names;
  for (const Tissue& t : s.tissues) names.push_back(t.name);
  return names;
}

std::vector<std::string> Reading::species_names() const {
  std::vector<std::string> names;
  for (const Species& sp : s.species) names.push_back(sp.name);
  return names;
}

std::vector<std::string> Reading::population_names() const {
  std::vector<std::string> names;
  for (const Population& p : s.populations) names.push_back(p.name);
  return names;
}

int Reading::reference(const Field& f, const std::vector<std::string>& names, std::string_view kind,
                       const std::vector<std::string>& other_names, std::string_view other_kind) const {
  const std::string name = scalar_text(doc, f, fmt::format("a {} name", kind));
  const auto it = std::find(names.begin(), names.end(), name);
  if (it != names.end()) return static_cast<int>(it - names.begin());
  const std::string defined =
      names.empty() ? "none are defined" : fmt::format("defined: {}", summarise_list(names, ", ", 120));
  if (std::find(other_names.begin(), other_names.end(), name) != other_names.end())
    doc.fail(f, fmt::format("unknown {} {}: {} is {}, not {} ({})", kind, quote_value(name),
                            quote_value(name), with_article(other_kind), with_article(kind), defined));
  const std::string hint = closest_match(name, names);
  doc.fail(f, hint.empty()
                  ? fmt::format("unknown {} {} ({})", kind, quote_value(name), defined)
                  : fmt::format("unknown {} {}; did you mean \"{}\"?", kind, quote_value(name), hint));
}

std::vector<int> Reading::species_selection(const Field& f) const {
  std::vector<int> out;
  if (f.node.IsScalar() && f.node.Scalar() == "all") {
    for (std::size_t k = 0; k < s.species.size(); ++k) out.push_back(static_cast<int>(k));
    return out;
  }
  if (f.node.IsScalar()) return {species_ref(f)};
  for (const Field& item : read_list(doc, f, "\"all\", a species name or a non-empty list of names", true)) {
    const int k = species_ref(item);
    if (std::find(out.begin(), out.end(), k) != out.end())
      doc.fail(item, fmt::format("expected each species once, found \"{}\" again", s.species[k].name));
    out.push_back(k);
  }
  return out;
}

std::vector<Field> Reading::one_or_list(const Field& f, std::string_view expected) const {
  if (f.node.IsMap()) return {f};
  return read_list(doc, f, expected, true);
}

std::vector<int> indices(const std::vector<std::pair<int, Field>>& selection) {
  std::vector<int> out;
  for (const auto& [i, f] : selection) out.push_back(i);
  return out;
}

}  // namespace cyto::reader
