// What every section reader of the scenario shares: the document, the
// scenario read so far (later sections name the tissues, species,
// populations and rules of earlier ones), and the scenario file's directory.
// The section readers themselves: read_sections.hpp.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "host/scenario/scenario.hpp"
#include "host/scenario/yaml_document.hpp"

namespace cyto::reader {

struct Reading {
  Reading(const Document& document, std::string scenario_directory)
      : doc(document), base_directory(std::move(scenario_directory)) {}

  const Document& doc;
  const std::string base_directory;  // of the scenario file, for relative file names
  Scenario s;                        // read so far
  std::string time_end_text;         // time.end as written, for messages

  std::vector<std::string> tissue_names() const;
  std::vector<std::string> species_names() const;
  std::vector<std::string> population_names() const;

  // A name that is one of `names`. When it is instead one of `other_names`
  // (a species given where a population is expected), the message says so.
  int reference(const Field& f, const std::vector<std::string>& names, std::string_view kind,
                const std::vector<std::string>& other_names = {}, std::string_view other_kind = {}) const;
  int tissue_ref(const Field& f) const { return reference(f, tissue_names(), "tissue"); }
  int species_ref(const Field& f) const {
    return reference(f, species_names(), "species", population_names(), "population");
  }
  int population_ref(const Field& f) const {
    return reference(f, population_names(), "population", species_names(), "species");
  }

  // "all", one species name, or a list of distinct names.
  std::vector<int> species_selection(const Field& f) const;

  // One name or a non-empty list of distinct names, each resolved by `ref`.
  template <typename Ref>
  std::vector<std::pair<int, Field>> name_selection(const Field& f, std::string_view kind,
                                                    const Ref& ref) const {
    std::vector<std::pair<int, Field>> out;
    if (f.node.IsScalar()) return {{ref(f), f}};
    for (const Field& item :
         read_list(doc, f, fmt::format("a {} name or a non-empty list of {} names", kind, kind), true)) {
      const int i = ref(item);
      if (std::any_of(out.begin(), out.end(), [&](const auto& seen) { return seen.first == i; }))
        doc.fail(item, fmt::format("expected each {} once, found \"{}\" again", kind, item.node.Scalar()));
      out.emplace_back(i, item);
    }
    return out;
  }
  std::vector<std::pair<int, Field>> tissue_selection(const Field& f) const {
    return name_selection(f, "tissue", [this](const Field& x) { return tissue_ref(x); });
  }

  // A map, or a list of maps, as a list.
  std::vector<Field> one_or_list(const Field& f, std::string_view expected) const;
};

// The indices of a name selection.
std::vector<int> indices(const std::vector<std::pair<int, Field>>& selection);

}  // namespace cyto::reader
