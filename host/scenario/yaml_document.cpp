#include "host/scenario/yaml_document.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <sstream>

#include <yaml-cpp/eventhandler.h>

#include "host/core/error.hpp"
#include "host/scenario/units.hpp"

namespace cyto::reader {

std::string child_path(const std::string& parent, std::string_view key) {
  return parent.empty() ? std::string(key) : fmt::format("{}.{}", parent, key);
}

std::string index_path(const std::string& parent, std::size_t index) {
  return fmt::format("{}[{}]", parent, index);
}

bool is_within(const std::string& path, const std::string& ancestor) {
  if (ancestor.empty()) return true;
  if (!path.starts_with(ancestor)) return false;
  return path.size() == ancestor.size() || path[ancestor.size()] == '.' || path[ancestor.size()] == '[';
}

std::string describe_found(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return quote_value(node.Scalar());
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

std::string join_or(const std::vector<std::string>& words) {
  if (words.empty()) return {};
  if (words.size() == 1) return words[0];
  return fmt::format("{} or {}", fmt::join(words.begin(), words.end() - 1, ", "), words.back());
}

std::string with_article(std::string_view word) {
  const bool vowel = !word.empty() && std::string_view("aeiou").find(word[0]) != std::string_view::npos;
  return fmt::format("{} {}", vowel ? "an" : "a", word);
}

// ---- the file ----

namespace {

// The 0-based line of the last "---" marker at or before `line`: where the
// document that starts at `line` was opened.
int separator_line(const std::string& text, int line) {
  int found = line, current = 0;
  std::size_t start = 0;
  while (start <= text.size() && current <= line) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    const std::string_view l(text.data() + start, end - start);
    if (l.starts_with("---") && (l.size() == 3 || std::isspace(static_cast<unsigned char>(l[3]))))
      found = current;
    start = end + 1;
    ++current;
  }
  return found;
}

// yaml-cpp keeps every pair of a map whose key is repeated, and lookups see
// only the first: refuse the second, wherever it is. Aliases share their
// anchor's node (and mark): each node is walked once.
void refuse_duplicate_keys(const YAML::Node& node, const std::string& path, const std::string& file,
                           std::set<int>& walked) {
  if (!node.IsMap() && !node.IsSequence()) return;
  if (!walked.insert(node.Mark().pos).second) return;
  if (node.IsSequence()) {
    for (std::size_t i = 0; i < node.size(); ++i)
      refuse_duplicate_keys(node[i], index_path(path, i), file, walked);
    return;
  }
  std::vector<std::pair<std::string, YAML::Mark>> seen;
  for (const auto& pair : node) {
    if (!pair.first.IsScalar()) continue;  // the section readers refuse non-scalar keys
    const std::string& key = pair.first.Scalar();
    const auto first = std::find_if(seen.begin(), seen.end(), [&](const auto& s) { return s.first == key; });
    if (first != seen.end()) {
      const YAML::Mark& m = pair.first.Mark();
      throw InputError(
          SourceLocation{file, m.line + 1, m.column + 1, child_path(path, key)},
          fmt::format("duplicate key \"{}\" (first given at line {})", key, first->second.line + 1));
    }
    seen.emplace_back(key, pair.first.Mark());
    refuse_duplicate_keys(pair.second, child_path(path, key), file, walked);
  }
}

// Where the quoted scalar opened at text[open] ends: the index of its
// closing quote, or npos.
std::size_t closing_quote(const std::string& text, std::size_t open) {
  const char q = text[open];
  for (std::size_t i = open + 1; i < text.size(); ++i) {
    if (q == '"' && text[i] == '\\') {
      ++i;
    } else if (text[i] == q) {
      if (q == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
        ++i;  // '' is a quote inside single quotes
      } else {
        return i;
      }
    }
  }
  return std::string::npos;
}

// A "missing required key" whose key is written at the start of a line the
// unclosed quote swallowed: the key is there, inside the runaway value.
bool swallowed_key(const std::string& text, const UnclosedQuote& q, const std::string& detail) {
  const std::string prefix = "missing required key \"";
  if (!detail.starts_with(prefix)) return false;
  const std::string key = detail.substr(prefix.size(), detail.find('"', prefix.size()) - prefix.size());
  int line = 1;
  for (std::size_t start = 0; start < text.size(); ++line) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    if (line > q.line && (q.closes_at_line == 0 || line <= q.closes_at_line)) {
      std::string_view l(text.data() + start, end - start);
      while (!l.empty() && (l.front() == ' ' || l.front() == '-')) l.remove_prefix(1);
      if (l.starts_with(key + ":")) return true;
    }
    start = end + 1;
  }
  return false;
}

}  // namespace

std::optional<UnclosedQuote> find_unclosed_quote(const std::string& text) {
  int line = 1;
  std::size_t line_start = 0;
  char before = '\n';  // the last non-blank character: a quote opens a value only after these
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') {
      ++line;
      line_start = i + 1;
      before = '\n';
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r') continue;
    if (c == '#' && (before == '\n' || (i > 0 && (text[i - 1] == ' ' || text[i - 1] == '\t')))) {
      while (i + 1 < text.size() && text[i + 1] != '\n') ++i;  // a comment
      continue;
    }
    if ((c == '"' || c == '\'') && std::string_view("\n:-[{,?").find(before) != std::string_view::npos) {
      const std::size_t close = closing_quote(text, i);
      const std::size_t end_of_line = std::min(text.find('\n', i), text.size());
      if (close == std::string::npos || close > end_of_line) {
        const int closes_at = close == std::string::npos
                                  ? 0
                                  : line + static_cast<int>(std::count(
                                               text.begin() + static_cast<std::ptrdiff_t>(i),
                                               text.begin() + static_cast<std::ptrdiff_t>(close), '\n'));
        return UnclosedQuote{line, static_cast<int>(i - line_start) + 1, c, closes_at};
      }
      i = close;
      before = c;
      continue;
    }
    before = c;
  }
  return std::nullopt;
}

InputError blame_unclosed_quote(const std::string& text, const std::string& file, const InputError& e) {
  const std::optional<UnclosedQuote> q = find_unclosed_quote(text);
  if (!q || e.where().file != file) return e;
  if (e.where().line > 0 && e.where().line < q->line && !swallowed_key(text, *q, e.detail()))
    return e;  // the complaint comes before the quote and is not about what it swallowed
  const std::string runs_to = q->closes_at_line > 0
                                  ? fmt::format("reads on to line {} as one value", q->closes_at_line)
                                  : std::string("reads the rest of the file as one value");
  return InputError(SourceLocation{file, q->line, q->column, ""},
                    fmt::format("the {} quote opened here is not closed on its line, so YAML {}; close it "
                                "(what that caused: {})",
                                q->quote == '"' ? "double" : "single", runs_to, e.detail()));
}

namespace {

// The start of each document yaml-cpp's parser finds, for at most `most`
// documents. yaml-cpp 0.7's LoadAll loops forever, allocating, on a token
// no node begins with (a "," outside [ ] or { }: "," alone, "{a: 1},"):
// the parser reports a new empty document at the same position again and
// again (yaml-cpp issue 1040, fixed upstream in 0.8.x). Here the documents
// are counted with a bound, and a document that starts where the previous
// one did is that stuck token.
constexpr std::size_t kMostDocumentsCounted = 1000;

struct DocumentStarts : YAML::EventHandler {
  std::vector<YAML::Mark> starts;
  void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
  }
  void OnMapEnd() override {}
};

InputError invalid_yaml(const std::string& text, const std::string& file, const YAML::Exception& e) {
  const bool known = !e.mark.is_null();
  return blame_unclosed_quote(
      text, file,
      InputError(SourceLocation{file, known ? e.mark.line + 1 : 0, known ? e.mark.column + 1 : 0, ""},
                 fmt::format("invalid YAML: {}", e.msg)));
}

}  // namespace

YAML::Node load_document(const std::string& text, const std::string& file) {
  DocumentStarts documents;
  YAML::Node first;
  try {
    std::istringstream in(text);
    YAML::Parser parser(in);
    // Stops at a stuck token (below), and at a bound: a scenario holds one document.
    while (documents.starts.size() < kMostDocumentsCounted && parser.HandleNextDocument(documents)) {
      const auto& s = documents.starts;
      if (s.size() > 1 && s[s.size() - 1].pos == s[s.size() - 2].pos) break;
    }
    first = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw invalid_yaml(text, file, e);
  }
  const std::vector<YAML::Mark>& starts = documents.starts;
  for (std::size_t n = 1; n < starts.size(); ++n)
    if (starts[n].pos == starts[n - 1].pos) {
      const std::size_t at = std::size_t(std::max(starts[n].pos, 0));
      const std::string token = at < text.size() ? std::string(1, text[at]) : std::string("end of file");
      throw blame_unclosed_quote(
          text, file,
          InputError(SourceLocation{file, starts[n].line + 1, starts[n].column + 1, ""},
                     fmt::format("invalid YAML: no value can start with {}{}", quote_value(token),
                                 token == "," ? " (a \",\" separates items only inside [ ] or { })" : "")));
    }
  if (starts.size() > 1) {
    const int line = separator_line(text, starts[1].line) + 1;
    throw InputError(
        SourceLocation{file, line, 1, ""},
        fmt::format("a second YAML document starts here (\"---\"; {}{} documents in all): a scenario file "
                    "holds one document; remove the \"---\" or move its keys into the first",
                    starts.size() >= kMostDocumentsCounted ? "at least " : "", starts.size()));
  }
  std::set<int> walked;
  refuse_duplicate_keys(first, "", file, walked);
  return first;
}

// ---- positions ----

SourceLocation Document::locate(const YAML::Mark& mark, const std::string& path) const {
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

Field element(const Field& list, std::size_t index) {
  const YAML::Node node = list.node[index];
  return {node, index_path(list.path, index), node.IsNull() ? list.mark : node.Mark()};
}

std::vector<Field> read_list(const Document& doc, const Field& f, std::string_view expected, bool non_empty) {
  if (!non_empty && f.node.IsNull()) return {};
  if (!f.node.IsSequence() || (non_empty && f.node.size() == 0))
    doc.fail(f, fmt::format("expected {}, found {}", expected, describe_found(f.node)));
  std::vector<Field> items;
  for (std::size_t i = 0; i < f.node.size(); ++i) items.push_back(element(f, i));
  return items;
}

std::optional<Field> peek(const Field& map, std::string_view key) {
  for (const auto& pair : map.node) {
    if (!pair.first.IsScalar() || pair.first.Scalar() != key) continue;
    const YAML::Node& value = pair.second;
    return Field{value, child_path(map.path, key), value.IsNull() ? pair.first.Mark() : value.Mark()};
  }
  return std::nullopt;
}

// ---- maps and their keys ----

MapReader::MapReader(const Document& doc, const Field& field, const std::vector<std::string>& allowed,
                     std::string_view expected, std::string_view key_kind,
                     const std::vector<MisplacedKey>& misplaced)
    : doc_(doc), field_(field) {
  if (!field.node.IsMap())
    doc.fail(field, fmt::format("expected {}, found {}", expected, describe_found(field.node)));
  for (const auto& pair : field.node) {
    const YAML::Node& key = pair.first;
    check_key(key, allowed, key_kind, misplaced);
    const YAML::Node& value = pair.second;
    entries_.push_back(
        {key.Scalar(), key.Mark(),
         Field{value, child_path(field.path, key.Scalar()), value.IsNull() ? key.Mark() : value.Mark()}});
  }
}

void MapReader::check_key(const YAML::Node& key, const std::vector<std::string>& allowed,
                          std::string_view key_kind, const std::vector<MisplacedKey>& misplaced) const {
  if (!key.IsScalar())
    doc_.fail(key.Mark(), field_.path, fmt::format("expected a key name, found {}", describe_found(key)));
  const std::string& name = key.Scalar();
  const std::string path = child_path(field_.path, name);
  if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
    std::vector<std::string> elsewhere;
    for (const MisplacedKey& m : misplaced) {
      if (m.key == name) doc_.fail(key.Mark(), path, m.explanation);
      elsewhere.push_back(m.key);
    }
    std::string hint = closest_match(name, allowed);
    if (hint.empty()) hint = closest_match(name, elsewhere);
    doc_.fail(key.Mark(), path,
              hint.empty()
                  ? fmt::format("unknown {} {}", key_kind, quote_value(name))
                  : fmt::format("unknown {} {}; did you mean \"{}\"?", key_kind, quote_value(name), hint));
  }
  if (const Entry* first = find(name)) {
    doc_.fail(key.Mark(), path,
              fmt::format("duplicate key {} (first given at line {})", quote_value(name),
                          first->key_mark.line + 1));
  }
}

Field MapReader::require(std::string_view key, std::string_view expected) const {
  if (const Entry* e = find(key)) return e->value;
  doc_.fail(field_, fmt::format("missing required key \"{}\" (expected {})", key, expected));
}

const MapReader::Entry* MapReader::find(std::string_view key) const {
  const auto it =
      std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.key == key; });
  return it == entries_.end() ? nullptr : &*it;
}

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

}  // namespace cyto::reader
