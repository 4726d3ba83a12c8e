#include "host/core/error.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace cyto {

std::string SourceLocation::position() const {
  if (file.empty()) return "<input>";
  if (line <= 0) return file;
  if (column <= 0) return fmt::format("{}:{}", file, line);
  return fmt::format("{}:{}:{}", file, line, column);
}

// A key path is the file's own keys joined: one the file made long or odd
// (quotes, backslashes, line breaks in a key) is quoted like a value, so
// that it stays short and cannot unbalance the message's quotes.
static std::string compose(const SourceLocation& where, const std::string& message) {
  if (where.key_path.empty()) return fmt::format("{}: {}", where.position(), message);
  const std::string& path = where.key_path;
  const bool plain = path.size() <= 120 && std::none_of(path.begin(), path.end(), [](char c) {
                       return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
                     });
  return fmt::format("{}: {}: {}", where.position(), plain ? path : quote_value(path), message);
}

namespace {

constexpr std::size_t kLongValue = 80;  // quoted values longer than this are elided
constexpr std::size_t kValueHead = 40, kValueTail = 12;

bool spans_lines(std::string_view s) { return s.find_first_of("\n\r") != std::string_view::npos; }

// A '"' not escaped by a backslash (an even number of them before it): the
// start or end of a quoted value in a message.
bool bare_quote_at(std::string_view s, std::size_t i) {
  if (s[i] != '"') return false;
  std::size_t backslashes = 0;
  while (backslashes < i && s[i - 1 - backslashes] == '\\') ++backslashes;
  return backslashes % 2 == 0;
}

std::size_t find_bare_quote(std::string_view s, std::size_t from) {
  for (std::size_t i = from; i < s.size(); ++i)
    if (bare_quote_at(s, i)) return i;
  return std::string_view::npos;
}

// One character as a message shows it: control characters made visible;
// with `in_quotes`, backslashes and quotes escaped too, so that a value's
// own '"' cannot end its quotes.
std::string escaped_char(char c, bool in_quotes) {
  const auto u = static_cast<unsigned char>(c);
  if (in_quotes && (c == '"' || c == '\\')) return {'\\', c};
  if (c == '\n') return "\\n";
  if (c == '\r') return "\\r";
  if (c == '\t') return " ";
  if (u < 0x20 || u == 0x7f) return fmt::format("\\x{:02x}", u);
  return {c};
}

std::string escaped(std::string_view s, bool in_quotes) {
  std::string out;
  for (char c : s) out += escaped_char(c, in_quotes);
  return out;
}

bool needs_escape(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return escaped_char(c, true) != std::string(1, c); });
}

// The value quoted, at most kLongValue characters as shown: whole if it
// fits escaped, else its escaped start and end (at most kValueHead and
// kValueTail characters shown) around " ... ", with its size.
std::string elided(std::string_view value) {
  const std::size_t lines = 1 + static_cast<std::size_t>(std::count(value.begin(), value.end(), '\n'));
  const std::string size = lines > 1 ? fmt::format("{} characters on {} lines", value.size(), lines)
                                     : fmt::format("{} characters", value.size());
  const std::string whole = escaped(value, true);
  if (whole.size() <= kLongValue) return fmt::format("\"{}\" ({})", whole, size);
  std::string head, tail;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const std::string next = escaped_char(value[i], true);
    if (head.size() + next.size() > kValueHead) break;
    head += next;
  }
  for (std::size_t i = value.size(); i-- > 0;) {
    const std::string next = escaped_char(value[i], true);
    if (tail.size() + next.size() > kValueTail) break;
    tail.insert(0, next);
  }
  return fmt::format("\"{} ... {}\" ({})", head, tail, size);
}

}  // namespace

std::string quote_value(std::string_view value) {
  if (value.size() <= kLongValue && !needs_escape(value)) return fmt::format("\"{}\"", value);
  return elided(value);
}

std::string one_line(std::string_view message) {
  // Quoted runs first, while their quotes still delimit them. A short run
  // is kept as written (it may hold quote_value's escapes); a long one, or
  // one over several lines, is elided, and so is what follows a quote that
  // is never closed.
  std::string text;
  std::size_t pos = 0;
  while (pos < message.size()) {
    const std::size_t open = find_bare_quote(message, pos);
    const std::size_t close = open == std::string_view::npos ? open : find_bare_quote(message, open + 1);
    if (close == std::string_view::npos) {
      if (open == std::string_view::npos) {
        text += escaped(message.substr(pos), false);
      } else {
        text += escaped(message.substr(pos, open - pos), false);
        text += elided(message.substr(open + 1));
      }
      break;
    }
    text += escaped(message.substr(pos, open - pos), false);
    const std::string_view inner = message.substr(open + 1, close - open - 1);
    const std::string shown = escaped(inner, false);
    text += shown.size() <= kLongValue && !spans_lines(inner) ? fmt::format("\"{}\"", shown) : elided(inner);
    pos = close + 1;
  }
  if (text.size() <= kMaxErrorLine) return text;
  const std::size_t tail = 200;
  const std::string cut =
      fmt::format(" ... [{} characters left out] ... ", text.size() - (kMaxErrorLine - 40));
  const std::size_t head = kMaxErrorLine - 40 - tail;
  return text.substr(0, head) + cut + text.substr(text.size() - tail);
}

std::string summarise_list(const std::vector<std::string>& items, const char* separator, std::size_t budget) {
  std::string text;
  std::size_t shown = 0;
  for (const std::string& item : items) {
    const std::string next = (shown ? separator : "") + item;
    if (text.size() + next.size() > budget && shown > 0) break;
    text += next.size() > budget ? next.substr(0, budget) + "..." : next;
    ++shown;
  }
  if (shown < items.size()) text += fmt::format("{}... ({} in all)", separator, items.size());
  return text;
}

InputError::InputError(SourceLocation where, const std::string& message)
    : std::runtime_error(compose(where, message)), where_(std::move(where)), detail_(message) {}

}  // namespace cyto
