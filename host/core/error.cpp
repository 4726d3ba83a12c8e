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

static std::string compose(const SourceLocation& where, const std::string& message) {
  if (where.key_path.empty()) return fmt::format("{}: {}", where.position(), message);
  return fmt::format("{}: {}: {}", where.position(), where.key_path, message);
}

namespace {

constexpr std::size_t kLongValue = 80;  // quoted values longer than this are elided
constexpr std::size_t kValueHead = 40, kValueTail = 12;

bool spans_lines(std::string_view s) { return s.find_first_of("\n\r") != std::string_view::npos; }

std::string escaped(std::string_view s) {
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += ' ';
    } else if (u < 0x20 || u == 0x7f) {
      out += fmt::format("\\x{:02x}", u);
    } else {
      out += c;
    }
  }
  return out;
}

std::string elided(std::string_view value) {
  const std::size_t lines = 1 + static_cast<std::size_t>(std::count(value.begin(), value.end(), '\n'));
  const std::string size = lines > 1 ? fmt::format("{} characters on {} lines", value.size(), lines)
                                     : fmt::format("{} characters", value.size());
  if (value.size() <= kLongValue) return fmt::format("\"{}\" ({})", escaped(value), size);
  return fmt::format("\"{} ... {}\" ({})", escaped(value.substr(0, kValueHead)),
                     escaped(value.substr(value.size() - kValueTail)), size);
}

}  // namespace

std::string quote_value(std::string_view value) {
  if (value.size() <= kLongValue && !spans_lines(value)) return fmt::format("\"{}\"", value);
  return elided(value);
}

std::string one_line(std::string_view message) {
  // Quoted runs first, while their quotes still delimit them.
  std::string text;
  std::size_t pos = 0;
  while (pos < message.size()) {
    const std::size_t open = message.find('"', pos);
    const std::size_t close = open == std::string_view::npos ? open : message.find('"', open + 1);
    if (close == std::string_view::npos) {
      text += escaped(message.substr(pos));
      break;
    }
    text += escaped(message.substr(pos, open - pos));
    text += quote_value(message.substr(open + 1, close - open - 1));
    pos = close + 1;
  }
  if (text.size() <= kMaxErrorLine) return text;
  const std::size_t tail = 200;
  const std::string cut =
      fmt::format(" ... [{} characters left out] ... ", text.size() - (kMaxErrorLine - 40));
  const std::size_t head = kMaxErrorLine - 40 - tail;
  return text.substr(0, head) + cut + text.substr(text.size() - tail);
}

InputError::InputError(SourceLocation where, const std::string& message)
    : std::runtime_error(compose(where, message)), where_(std::move(where)), detail_(message) {}

}  // namespace cyto
