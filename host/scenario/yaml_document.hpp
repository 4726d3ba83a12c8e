// The YAML document as the scenario reader sees it: values with their key
// paths and positions, maps whose keys are checked (with "did you mean"
// hints), lists, and the wording of messages. Used by the section readers
// (read_*.cpp), --set (overrides.cpp) and the scenario diff.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "host/core/error.hpp"

namespace cyto::reader {

// ---- the file ----

// The most bytes a scenario file may hold: scenarios are a few KiB; this
// bounds what is read from a path that turns out to be a device or a file
// that keeps growing (docs/reference/limits.md).
inline constexpr std::uint64_t kMaxScenarioFileBytes = std::uint64_t{16} << 20;

// The one YAML document of a scenario's text, with nothing the reader would
// otherwise ignore in silence: a second document ("---" and more keys) and
// a key given twice in any map are InputErrors at `file`, naming the line
// of the "---" or of both keys; invalid YAML is one at yaml-cpp's position.
// An empty text is a null node.
YAML::Node load_document(const std::string& text, const std::string& file);

// A quoted value whose quote is not closed on the line that opens it: YAML
// reads on (to the next such quote, or the end of the file) and swallows
// the keys between, so the parser's or reader's complaint lands elsewhere.
struct UnclosedQuote {
  int line = 0, column = 0;  // 1-based, of the opening quote
  char quote = '"';
  int closes_at_line = 0;  // 0: never closed
};
std::optional<UnclosedQuote> find_unclosed_quote(const std::string& text);

// `e` blamed on the first unclosed quote before its position, if there is
// one (the quote is the likely cause); else `e` itself.
InputError blame_unclosed_quote(const std::string& text, const std::string& file, const InputError& e);

// ---- key paths: "species[1].diffusion.parenchyma" ----

std::string child_path(const std::string& parent, std::string_view key);
std::string index_path(const std::string& parent, std::size_t index);
// True when `path` is `ancestor` or lies below it.
bool is_within(const std::string& path, const std::string& ancestor);

// ---- text ----

// What a node is, for "found ..." in messages: "\"text\"", "a list of 2 items", "a map".
std::string describe_found(const YAML::Node& node);
std::string trim(std::string_view s);
bool is_index(std::string_view s);
// "a or b", "a, b or c"
std::string join_or(const std::vector<std::string>& words);
// "a rule", "an organ"
std::string with_article(std::string_view word);

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
  SourceLocation locate(const YAML::Mark& mark, const std::string& path) const;
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
Field element(const Field& list, std::size_t index);

// The items of a list; an empty value counts as an empty list where one is allowed.
std::vector<Field> read_list(const Document& doc, const Field& f, std::string_view expected, bool non_empty);

// The value of `key` in a map node, before the map's keys are checked (some
// maps' allowed keys depend on one of their values).
std::optional<Field> peek(const Field& map, std::string_view key);

// ---- maps and their keys ----

// A key that is valid elsewhere but not here, with the reason (e.g. a death
// rule's "burst" on a secretion rule).
struct MisplacedKey {
  std::string key;
  std::string explanation;
};

// The keys of a YAML map, checked against the keys allowed there: an unknown
// key is an error naming the closest allowed one, a misplaced key one giving
// its explanation, a duplicate one the line of the first.
class MapReader {
 public:
  MapReader(const Document& doc, const Field& field, const std::vector<std::string>& allowed,
            std::string_view expected, std::string_view key_kind = "key",
            const std::vector<MisplacedKey>& misplaced = {});

  std::optional<Field> get(std::string_view key) const {
    if (const Entry* e = find(key)) return e->value;
    return std::nullopt;
  }

  // A missing key is reported at the map that should hold it.
  Field require(std::string_view key, std::string_view expected) const;

  const YAML::Mark& key_mark(std::string_view key) const { return find(key)->key_mark; }
  const Field& field() const { return field_; }

 private:
  struct Entry {
    std::string key;
    YAML::Mark key_mark;
    Field value;
  };
  const Entry* find(std::string_view key) const;
  void check_key(const YAML::Node& key, const std::vector<std::string>& allowed, std::string_view key_kind,
                 const std::vector<MisplacedKey>& misplaced) const;

  const Document& doc_;
  Field field_;
  std::vector<Entry> entries_;
};

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
                                                 std::string_view selector);

}  // namespace cyto::reader
