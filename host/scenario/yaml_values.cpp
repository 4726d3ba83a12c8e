#include "host/scenario/yaml_values.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>

namespace cyto::reader {

std::string scalar_text(const Document& doc, const Field& f, std::string_view expected) {
  if (!f.node.IsScalar()) doc.fail(f, fmt::format("expected {}, found {}", expected, describe_found(f.node)));
  return f.node.Scalar();
}

double read_quantity(const Document& doc, const Field& f, Quantity q, Bound bound) {
  const std::string text = scalar_text(doc, f, quantity_expectation(q));
  double value = 0;
  try {
    value = parse_quantity(text, q);
  } catch (const UnitError& e) {
    doc.fail(f, e.what());
  }
  if (bound == Bound::NonNegative && value < 0)
    doc.fail(f, fmt::format("expected a {} >= 0, found {}", quantity_name(q), quote_value(text)));
  if (bound == Bound::Positive && value <= 0)
    doc.fail(f, fmt::format("expected a {} > 0, found {}", quantity_name(q), quote_value(text)));
  return value;
}

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
    doc.fail(f, fmt::format("expected an integer, found {}", quote_value(f.node.Scalar())));
  return value;
}

std::uint64_t read_seed(const Document& doc, const Field& f) {
  const std::string text = trim(scalar_text(doc, f, "an integer >= 0"));
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range)
    doc.fail(f, fmt::format("expected an integer from 0 to {}, found {}",
                            std::numeric_limits<std::uint64_t>::max(), quote_value(f.node.Scalar())));
  if (ec != std::errc() || end != text.data() + text.size() || text.empty())
    doc.fail(f, fmt::format("expected an integer >= 0, found {}", quote_value(f.node.Scalar())));
  return value;
}

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
    doc.fail(f, fmt::format("expected {}, found {}", expected, quote_value(f.node.Scalar())));
  return value;
}

std::string as_written(const Field& f, Quantity q) {
  const std::string text = trim(f.node.Scalar());
  const bool bare =
      !text.empty() && (std::isdigit(static_cast<unsigned char>(text.back())) || text.back() == '.');
  return bare && !default_unit(q).empty() ? fmt::format("{} {}", text, default_unit(q)) : text;
}

bool read_bool(const Document& doc, const Field& f) {
  const std::string text = scalar_text(doc, f, "true or false");
  std::string lowered = text;
  for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lowered == "true" || lowered == "yes" || lowered == "on") return true;
  if (lowered == "false" || lowered == "no" || lowered == "off") return false;
  doc.fail(f, fmt::format("expected true or false, found {}", quote_value(text)));
}

std::string read_identifier(const Document& doc, const Field& f, std::string_view kind) {
  const std::string text = scalar_text(doc, f, fmt::format("a {} name", kind));
  const bool ok = !text.empty() && std::isalpha(static_cast<unsigned char>(text[0])) &&
                  std::all_of(text.begin(), text.end(), [](char c) {
                    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
                  });
  if (!ok)
    doc.fail(f, fmt::format("expected a {} name (a letter, then letters, digits, \"_\" or \"-\"), found {}",
                            kind, quote_value(text)));
  return text;
}

}  // namespace cyto::reader
