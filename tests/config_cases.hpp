// Scenario texts for the config tests, and the row type of the bad-input
// tables: each row is one input the reader must refuse, with where the error
// must point and what it must say.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "host/scenario/config.hpp"

namespace cyto::testing {

inline constexpr const char* kFile = "test.yaml";

inline ::testing::AssertionResult Contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" does not contain \"" << part << "\"";
}

// A minimal valid scenario with one top-level key per line, so that a test
// that replaces one key knows its line:
//   1 name, 2 grid, 3 tissues, 4 geometry, 5 species, 6 time, 7 output.
// `replaced` swaps a key's line for other text (an empty text drops the key,
// keeping the numbering); `extra` is appended from line 8.
inline std::string scenario(const std::map<std::string, std::string>& replaced = {},
                            const std::string& extra = "") {
  const std::vector<std::pair<std::string, std::string>> lines{
      {"name", "name: t"},
      {"grid", "grid: {extent: [1 mm, 1 mm, 1 mm], voxel: 50 um}"},
      {"tissues", "tissues: [{name: liver, label: 1}, {name: vessel, label: 2}]"},
      {"geometry", "geometry: [{tissue: liver, box: {min: [0, 0, 0], max: [1 mm, 1 mm, 1 mm]}}]"},
      {"species", "species: [{name: TNF, diffusion: 100}, {name: IL-6, diffusion: 200}]"},
      {"time", "time: {end: 1 h}"},
      {"output", "output: {interval: 10 min}"},
  };
  std::string text;
  for (const auto& [key, line] : lines) {
    const auto it = replaced.find(key);
    text += (it == replaced.end() ? line : it->second) + "\n";
  }
  return text + extra;
}

// The minimal scenario with the line of one key replaced by `text` (which may
// run over several lines); the key is what `text` starts with.
inline std::string scenario_with(const std::string& text) {
  return scenario({{text.substr(0, text.find(':')), text}});
}

// The minimal scenario followed by `lines` (from line 8).
inline std::string scenario_plus(const std::string& lines) { return scenario({}, lines); }

// The error parsing `text` raises, or a failed test.
inline InputError error_of(const std::string& text) {
  try {
    parse_scenario(text, kFile);
  } catch (const InputError& e) {
    return e;
  }
  ADD_FAILURE() << "accepted:\n" << text;
  return InputError({}, "accepted");
}

// A scenario with two populations (line 8) and `rules` from line 9.
inline std::string with_rules(const std::string& rules,
                              const std::map<std::string, std::string>& replaced = {}) {
  return scenario(replaced, "populations: [{name: macrophage}, {name: epithelium}]\n" + rules);
}

// Where an error must point: line and column in the scenario text.
inline SourceLocation at(int line, int column, const std::string& key_path) {
  return {kFile, line, column, key_path};
}

// Where an error in a --set argument must point: the argument (or "--set"
// when the argument itself is malformed), with no line.
inline SourceLocation at_set(const std::string& argument, const std::string& key_path) {
  return {argument, 0, 0, key_path};
}

// What an error must say: exactly this detail, or a detail containing each fragment.
struct Message {
  bool exact = true;
  std::vector<std::string> parts;
};

inline Message says(std::string detail) { return {true, {std::move(detail)}}; }

template <class... Fragment>
Message mentions(const Fragment&... fragments) {
  return {false, {std::string(fragments)...}};
}

// One input the reader must refuse.
struct BadInput {
  BadInput(std::string name_, std::string yaml_, SourceLocation at_, Message message_,
           std::vector<std::string> overrides_ = {})
      : name(std::move(name_)),
        yaml(std::move(yaml_)),
        at(std::move(at_)),
        message(std::move(message_)),
        overrides(std::move(overrides_)) {}

  // The row that also wants `fragment` in the whole line the user reads.
  BadInput printed_as(std::string fragment) const {
    BadInput row = *this;
    row.printed = std::move(fragment);
    return row;
  }

  std::string name;                    // the row's test name
  std::string yaml;                    // the scenario text, read as kFile
  SourceLocation at;                   // where the error must point
  Message message;                     // what its detail must say
  std::vector<std::string> overrides;  // --set arguments
  std::string printed;                 // a fragment of the whole line the user reads (what())
  std::string path;                    // when set: load this file instead of reading `yaml`
};

// A file that cannot be read as a scenario.
inline BadInput unreadable_file(std::string name, const std::string& path, Message message) {
  BadInput row(std::move(name), "", SourceLocation{path, 0, 0, ""}, std::move(message));
  row.path = path;
  return row;
}

// A row whose input is `yaml` (the minimal scenario unless given) with one --set `argument`.
inline BadInput with_set(std::string name, std::string argument, SourceLocation at, Message message,
                         std::string yaml = scenario()) {
  return {std::move(name), std::move(yaml), std::move(at), std::move(message), {std::move(argument)}};
}

// The InputError that reading the row's input throws, if any.
inline std::optional<InputError> refusal(const BadInput& row) {
  try {
    if (row.path.empty())
      parse_scenario(row.yaml, kFile, row.overrides);
    else
      load_scenario(row.path, row.overrides);
  } catch (const InputError& e) {
    return e;
  }
  return std::nullopt;
}

// The input as a failure shows it.
inline std::string shown(const BadInput& row) {
  std::string text = row.path.empty() ? "scenario:\n" + row.yaml : "file: " + row.path + "\n";
  for (const std::string& o : row.overrides) text += "--set " + o + "\n";
  return text;
}

inline void PrintTo(const BadInput& row, std::ostream* os) { *os << row.name; }

inline std::string row_name(const ::testing::TestParamInfo<BadInput>& info) { return info.param.name; }

}  // namespace cyto::testing
