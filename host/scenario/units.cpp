#include "host/scenario/units.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <system_error>

#include "host/core/error.hpp"

namespace cyto {
namespace {

// Exponents of length, time, mass and cell count. Volume is length^3.
struct Dim {
  int length = 0;
  int time = 0;
  int mass = 0;
  int count = 0;
  bool operator==(const Dim&) const = default;
};

// Unit scales are relative to the base units m, s, pg and cell.
struct UnitDef {
  std::string_view name;
  double scale;
  Dim dim;
};

constexpr Dim kLength{1, 0, 0};
constexpr Dim kTime{0, 1, 0};
constexpr Dim kMass{0, 0, 1};
constexpr Dim kVolume{3, 0, 0};
constexpr Dim kCount{0, 0, 0, 1};

// Canonical spellings first: "did you mean" prefers the earliest close match.
// "\xC2\xB5" is the micro sign (U+00B5), "\xCE\xBC" the Greek mu (U+03BC).
constexpr std::array kUnits{
    UnitDef{"m", 1.0, kLength},
    UnitDef{"cm", 1e-2, kLength},
    UnitDef{"mm", 1e-3, kLength},
    UnitDef{"um", 1e-6, kLength},
    UnitDef{"nm", 1e-9, kLength},
    UnitDef{"s", 1.0, kTime},
    UnitDef{"min", 60.0, kTime},
    UnitDef{"h", 3600.0, kTime},
    UnitDef{"d", 86400.0, kTime},
    UnitDef{"pg", 1.0, kMass},
    UnitDef{"ng", 1e3, kMass},
    UnitDef{"ug", 1e6, kMass},
    UnitDef{"mg", 1e9, kMass},
    UnitDef{"g", 1e12, kMass},
    UnitDef{"mL", 1e-6, kVolume},
    UnitDef{"uL", 1e-9, kVolume},
    UnitDef{"L", 1e-3, kVolume},
    UnitDef{"cells", 1.0, kCount},
    UnitDef{"cell", 1.0, kCount},
    // aliases
    UnitDef{"\xC2\xB5m", 1e-6, kLength},
    UnitDef{"\xCE\xBCm", 1e-6, kLength},
    UnitDef{"micron", 1e-6, kLength},
    UnitDef{"microns", 1e-6, kLength},
    UnitDef{"sec", 1.0, kTime},
    UnitDef{"secs", 1.0, kTime},
    UnitDef{"second", 1.0, kTime},
    UnitDef{"seconds", 1.0, kTime},
    UnitDef{"mins", 60.0, kTime},
    UnitDef{"minute", 60.0, kTime},
    UnitDef{"minutes", 60.0, kTime},
    UnitDef{"hr", 3600.0, kTime},
    UnitDef{"hrs", 3600.0, kTime},
    UnitDef{"hour", 3600.0, kTime},
    UnitDef{"hours", 3600.0, kTime},
    UnitDef{"day", 86400.0, kTime},
    UnitDef{"days", 86400.0, kTime},
    UnitDef{"\xC2\xB5g", 1e6, kMass},
    UnitDef{"\xCE\xBCg", 1e6, kMass},
    UnitDef{"ml", 1e-6, kVolume},
    UnitDef{"ul", 1e-9, kVolume},
    UnitDef{"\xC2\xB5L", 1e-9, kVolume},
    UnitDef{"\xCE\xBCL", 1e-9, kVolume},
    UnitDef{"l", 1e-3, kVolume},
};

struct QuantityInfo {
  Dim dim;
  std::string_view name;
  std::string_view dims;  // how the dimension is written in messages ("" = obvious)
  std::string_view example;
  std::string_view unit;  // default unit
  double unit_scale;      // default unit in base units
  double internal_scale;  // internal unit in base units
};

// Internal units (scenario.hpp) in base units: concentrations and cell
// densities per mL = 1e6 per m^3, volumes in mL = 1e-6 m^3.
const QuantityInfo& info(Quantity q) {
  static const std::array<QuantityInfo, 15> table{{
      {kLength, "length", "", "25 um", "um", 1e-6, 1.0},
      {kTime, "time", "", "30 min", "min", 60.0, 1.0},
      {{-3, 0, 1}, "concentration", "mass/volume", "150 pg/mL", "pg/mL", 1e6, 1e6},
      {{2, -1, 0}, "diffusion coefficient", "length^2/time", "600 um^2/min", "um^2/min", 1e-12 / 60.0, 1.0},
      {{0, -1, 0}, "rate", "1/time", "0.0275 /min", "/min", 1.0 / 60.0, 1.0},
      {{-3, -1, 1}, "concentration rate", "mass/volume/time", "50 pg/mL/min", "pg/mL/min", 1e6 / 60.0, 1e6},
      {{0, 0, 0}, "dimensionless number", "no unit", "0.9", "", 1.0, 1.0},
      {{-3, 0, 0, 1}, "cell density", "cells/volume", "1e8 cells/mL", "cells/mL", 1e6, 1e6},
      {{0, -1, 1, -1}, "per-cell rate", "mass/cell/time", "0.01 pg/cell/min", "pg/cell/min", 1.0 / 60.0, 1.0},
      {{0, 0, 1, -1}, "per-cell amount", "mass/cell", "0.5 pg/cell", "pg/cell", 1.0, 1.0},
      {{3, -1, 0, -1}, "clearance", "volume/cell/time", "1e-9 mL/cell/min", "mL/cell/min", 1e-6 / 60.0, 1e-6},
      {kVolume, "volume", "", "3 L", "mL", 1e-6, 1e-6},
      {kMass, "mass", "", "8 mg", "pg", 1.0, 1.0},
      {kCount, "cell count", "", "1e8 cells", "cells", 1.0, 1.0},
      {{3, -1, -1}, "binding rate", "volume/mass/time", "1e-6 mL/pg/min", "mL/pg/min", 1e-6 / 60.0, 1e-6},
  }};
  return table[static_cast<std::size_t>(q)];
}

// Dimensions that messages name as a quantity ("a rate"). A plain mass reads
// as "mass", as it always has.
constexpr std::array kNamedQuantities{
    Quantity::Length,      Quantity::Time,        Quantity::Concentration,
    Quantity::Diffusion,   Quantity::Rate,        Quantity::ConcentrationRate,
    Quantity::CellDensity, Quantity::PerCellRate, Quantity::PerCellAmount,
    Quantity::Clearance,   Quantity::Volume,      Quantity::CellCount,
    Quantity::BindingRate};

std::string with_article(std::string_view noun) { return fmt::format("a {}", noun); }

std::string power(std::string_view name, int exponent) {
  return exponent == 1 ? std::string(name) : fmt::format("{}^{}", name, exponent);
}

// "a rate" when the dimension is a known quantity, else e.g. "length/time",
// "mass/cell/time". A length^3 reads as a volume beside other dimensions.
std::string describe_dim(const Dim& d) {
  for (Quantity q : kNamedQuantities)
    if (info(q).dim == d) return with_article(info(q).name);
  if (d == Dim{}) return "dimensionless";
  const bool others = d.mass != 0 || d.time != 0 || d.count != 0;
  std::vector<std::string> numerator, denominator;
  if (d.mass > 0) numerator.push_back(power("mass", d.mass));
  if (others && d.length != 0 && d.length % 3 == 0) {
    (d.length > 0 ? numerator : denominator).push_back(power("volume", std::abs(d.length) / 3));
  } else if (d.length > 0) {
    numerator.push_back(power("length", d.length));
  } else if (d.length < 0) {
    denominator.push_back(power("length", -d.length));
  }
  if (d.count > 0) numerator.push_back(power("cells", d.count));
  if (d.mass < 0) denominator.push_back(power("mass", -d.mass));
  if (d.count < 0) denominator.push_back(power("cell", -d.count));
  if (d.time > 0) numerator.push_back(power("time", d.time));
  if (d.time < 0) denominator.push_back(power("time", -d.time));
  std::string text = numerator.empty() ? "1" : fmt::format("{}", fmt::join(numerator, "*"));
  for (const std::string& part : denominator) text += "/" + part;
  return text;
}

bool is_unit_char(char c) {
  // Bytes >= 0x80 belong to UTF-8 sequences such as the micro sign.
  return std::isalpha(static_cast<unsigned char>(c)) || static_cast<unsigned char>(c) >= 0x80;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::vector<std::string> unit_names() {
  std::vector<std::string> names;
  for (const UnitDef& u : kUnits) names.emplace_back(u.name);
  return names;
}

struct UnitProduct {
  double scale = 1.0;
  Dim dim;
};

// Parses a unit expression such as "um^2/min", "/min", "1/h", "pg/mL/min".
// `fail` receives the problem and must throw.
template <typename Fail>
UnitProduct parse_unit_expression(std::string_view expr, const Fail& fail) {
  UnitProduct result;
  std::size_t pos = 0;
  const auto skip_space = [&] {
    while (pos < expr.size() && std::isspace(static_cast<unsigned char>(expr[pos]))) ++pos;
  };
  int sign = 1;
  // A leading "1/" or "/" means the whole expression is a reciprocal.
  if (expr[0] == '1') {
    ++pos;
    skip_space();
    if (pos >= expr.size() || expr[pos] != '/') fail("expected \"/\" after \"1\" in the unit");
  }
  if (expr[pos] == '/') {
    sign = -1;
    ++pos;
  }
  for (;;) {
    skip_space();
    const std::size_t start = pos;
    while (pos < expr.size() && is_unit_char(expr[pos])) ++pos;
    if (pos == start) {
      fail(pos < expr.size() ? fmt::format("expected a unit name at \"{}\"", expr.substr(pos))
                             : std::string("expected a unit name after the last operator"));
    }
    const std::string_view name = expr.substr(start, pos - start);
    skip_space();
    int exponent = 1;
    if (pos < expr.size() && expr[pos] == '^') {
      ++pos;
      skip_space();
      const char* first = expr.data() + pos;
      const char* last = expr.data() + expr.size();
      if (first != last && *first == '+') ++first;
      const auto [end, ec] = std::from_chars(first, last, exponent);
      if (ec != std::errc()) fail(fmt::format("expected an integer exponent after \"{}^\"", name));
      pos = static_cast<std::size_t>(end - expr.data());
      skip_space();
    }
    const auto unit =
        std::find_if(kUnits.begin(), kUnits.end(), [&](const UnitDef& u) { return u.name == name; });
    if (unit == kUnits.end()) {
      const std::string suggestion = closest_match(name, unit_names());
      fail(suggestion.empty()
               ? fmt::format("unknown unit {}", quote_value(name))
               : fmt::format("unknown unit {}; did you mean \"{}\"?", quote_value(name), suggestion));
    }
    const int e = sign * exponent;
    // Repeated multiplication keeps exact results for the common small powers.
    for (int i = 0; i < std::abs(e); ++i)
      result.scale = e > 0 ? result.scale * unit->scale : result.scale / unit->scale;
    result.dim.length += e * unit->dim.length;
    result.dim.time += e * unit->dim.time;
    result.dim.mass += e * unit->dim.mass;
    result.dim.count += e * unit->dim.count;
    if (pos == expr.size()) return result;
    if (expr[pos] == '*') {
      sign = 1;
    } else if (expr[pos] == '/') {
      sign = -1;
    } else {
      fail(fmt::format("expected \"*\" or \"/\" between units, found {}", quote_value(expr.substr(pos))));
    }
    ++pos;
  }
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string quantity_name(Quantity q) { return std::string(info(q).name); }

std::string quantity_expectation(Quantity q) {
  const QuantityInfo& i = info(q);
  if (i.dims.empty()) return fmt::format("{} (e.g. \"{}\")", with_article(i.name), i.example);
  return fmt::format("{} ({}, e.g. \"{}\")", with_article(i.name), i.dims, i.example);
}

std::string default_unit(Quantity q) { return std::string(info(q).unit); }

double parse_quantity(const std::string& text, Quantity q) {
  const QuantityInfo& expected = info(q);
  const auto fail = [&](const std::string& problem) {
    throw UnitError(
        fmt::format("expected {}, found {}{}", quantity_expectation(q), quote_value(text), problem));
  };
  const std::string_view body = trim(text);
  if (body.empty()) fail(" (an empty value)");

  const char* first = body.data();
  const char* last = body.data() + body.size();
  // from_chars rejects a leading '+', which users may write.
  if (*first == '+' && first + 1 != last && *(first + 1) != '-') ++first;
  double number = 0;
  const auto [number_end, ec] = std::from_chars(first, last, number);
  if (ec == std::errc::result_out_of_range) fail(" (number out of range)");
  if (ec != std::errc()) fail(" (not a number)");
  if (!std::isfinite(number)) fail(" (not a finite number)");

  const std::string_view unit_text =
      trim(std::string_view(number_end, static_cast<std::size_t>(last - number_end)));
  double scale = expected.unit_scale;
  if (!unit_text.empty()) {
    const UnitProduct unit =
        parse_unit_expression(unit_text, [&](const std::string& problem) { fail(": " + problem); });
    if (q == Quantity::Dimensionless) fail(fmt::format(" (a unit, \"{}\", is not allowed here)", unit_text));
    if (!(unit.dim == expected.dim)) fail(fmt::format(" ({})", describe_dim(unit.dim)));
    scale = unit.scale;
  }
  // A finite number can still overflow (or vanish) when converted.
  const double value = number * (scale / expected.internal_scale);  // ratio first: no overflow in between
  if (!std::isfinite(value)) fail(" (out of range once converted to internal units)");
  return value;
}

std::string format_quantity(double internal_value, Quantity q) {
  const QuantityInfo& i = info(q);
  double value = internal_value * i.internal_scale / i.unit_scale;
  if (value == 0) value = 0;  // no "-0"
  if (i.unit.empty()) return fmt::format("{:g}", value);
  return fmt::format("{:g} {}", value, i.unit);
}

std::string closest_match(std::string_view word, const std::vector<std::string>& candidates) {
  const std::string w = lower(word);
  const std::size_t max_distance = std::min<std::size_t>(2, w.size() / 2);
  std::string best;
  std::size_t best_distance = max_distance + 1;
  for (const std::string& candidate : candidates) {
    const std::size_t d = edit_distance(w, lower(candidate));
    if (d < best_distance) {
      best = candidate;
      best_distance = d;
    }
  }
  if (!best.empty() || w.size() < 3) return best;
  for (const std::string& candidate : candidates) {
    const std::string c = lower(candidate);
    if (c.starts_with(w) || (c.size() >= 3 && w.starts_with(c))) return candidate;
  }
  return {};
}

LengthUnit length_unit_for(double magnitude) {
  return magnitude >= 1e-3 ? LengthUnit{"mm", 1e-3} : LengthUnit{"um", 1e-6};
}

std::string length_in(double metres, const LengthUnit& unit) {
  const double value = metres / unit.metres;
  return fmt::format("{:g} {}", value == 0 ? 0.0 : value, unit.name);
}

}  // namespace cyto
