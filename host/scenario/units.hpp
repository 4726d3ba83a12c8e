// Physical quantities with units, as written in scenario files:
// "6000 um^2/min", "2 h", "150 pg/mL", "0.0275 /min".
//
// Values are converted to the internal units of scenario.hpp (m, s, pg/mL,
// m^2/s, 1/s, pg/mL/s; cells/mL, pg/cell/s, pg/cell, mL/cell/s, mL, pg, cells,
// mL/pg/s). A bare number takes the documented default unit of its quantity,
// listed by default_unit().
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace cyto {

enum class Quantity {
  Length,
  Time,
  Concentration,
  Diffusion,
  Rate,
  ConcentrationRate,
  Dimensionless,
  CellDensity,    // cells/volume; internal cells/mL
  PerCellRate,    // mass/cell/time; internal pg/cell/s
  PerCellAmount,  // mass/cell; internal pg/cell
  Clearance,      // volume/cell/time; internal mL/cell/s
  Volume,         // internal mL
  Mass,           // internal pg
  CellCount,      // internal cells
  BindingRate,    // volume/mass/time; internal mL/pg/s
};

// A value that is not a number, has an unknown unit or the wrong dimension.
// The message says what was expected and what was found.
class UnitError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses "<number> [unit expression]" into internal units; throws UnitError.
double parse_quantity(const std::string& text, Quantity q);

// "diffusion coefficient"
std::string quantity_name(Quantity q);

// What a value of this quantity looks like, for "expected ..." messages:
// `a diffusion coefficient (length^2/time, e.g. "600 um^2/min")`.
std::string quantity_expectation(Quantity q);

// The unit a bare number is read in, and that format_quantity() writes:
// "um", "min", "pg/mL", "um^2/min", "/min", "pg/mL/min", "cells/mL", ...; "" when
// dimensionless.
std::string default_unit(Quantity q);

// An internal value written in the default unit, e.g. "1200 um^2/min", "120 min".
std::string format_quantity(double internal_value, Quantity q);

// Lengths in messages that compare sizes ("x from 1 mm to 5.2 mm, grid x
// from 0 mm to 4 mm"): one unit for all the numbers of a message, mm for
// organ-sized values and um below that.
struct LengthUnit {
  std::string_view name;
  double metres;
};
LengthUnit length_unit_for(double magnitude);
// "5.2 mm"; -0 is written as 0.
std::string length_in(double metres, const LengthUnit& unit);

// The candidate closest to `word` (case-insensitive edit distance of at most 2,
// scaled down for short words, or a prefix of at least 3 characters), for
// "did you mean" hints; empty when nothing is close.
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace cyto
