// Units in scenario files: conversion to internal units and error messages.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "host/scenario/units.hpp"

namespace cyto {
namespace {

// Passes when `text` contains `part`; prints both otherwise.
::testing::AssertionResult Contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" does not contain \"" << part << "\"";
}

// The message parse_quantity throws for `text`.
std::string unit_error(const std::string& text, Quantity q) {
  try {
    parse_quantity(text, q);
  } catch (const UnitError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no UnitError for \"" << text << "\"";
  return {};
}

TEST(Units, LengthUnits) {
  EXPECT_DOUBLE_EQ(parse_quantity("2 m", Quantity::Length), 2.0);
  EXPECT_DOUBLE_EQ(parse_quantity("3 cm", Quantity::Length), 3e-2);
  EXPECT_DOUBLE_EQ(parse_quantity("4 mm", Quantity::Length), 4e-3);
  EXPECT_DOUBLE_EQ(parse_quantity("25 um", Quantity::Length), 25e-6);
  EXPECT_DOUBLE_EQ(parse_quantity("500 nm", Quantity::Length), 500e-9);
  EXPECT_DOUBLE_EQ(parse_quantity("25 \xC2\xB5m", Quantity::Length), 25e-6);  // micro sign
  EXPECT_DOUBLE_EQ(parse_quantity("25 \xCE\xBCm", Quantity::Length), 25e-6);  // Greek mu
  EXPECT_DOUBLE_EQ(parse_quantity("1 micron", Quantity::Length), 1e-6);
  EXPECT_DOUBLE_EQ(parse_quantity("7 microns", Quantity::Length), 7e-6);
}

TEST(Units, TimeUnits) {
  EXPECT_DOUBLE_EQ(parse_quantity("5 s", Quantity::Time), 5.0);
  EXPECT_DOUBLE_EQ(parse_quantity("5 sec", Quantity::Time), 5.0);
  EXPECT_DOUBLE_EQ(parse_quantity("5 seconds", Quantity::Time), 5.0);
  EXPECT_DOUBLE_EQ(parse_quantity("2 min", Quantity::Time), 120.0);
  EXPECT_DOUBLE_EQ(parse_quantity("2 minutes", Quantity::Time), 120.0);
  EXPECT_DOUBLE_EQ(parse_quantity("2 h", Quantity::Time), 7200.0);
  EXPECT_DOUBLE_EQ(parse_quantity("2 hr", Quantity::Time), 7200.0);
  EXPECT_DOUBLE_EQ(parse_quantity("1 hour", Quantity::Time), 3600.0);
  EXPECT_DOUBLE_EQ(parse_quantity("3 hours", Quantity::Time), 10800.0);
  EXPECT_DOUBLE_EQ(parse_quantity("1 d", Quantity::Time), 86400.0);
  EXPECT_DOUBLE_EQ(parse_quantity("1 day", Quantity::Time), 86400.0);
  EXPECT_DOUBLE_EQ(parse_quantity("2 days", Quantity::Time), 172800.0);
}

TEST(Units, MassAndVolumeUnitsInConcentrations) {
  EXPECT_DOUBLE_EQ(parse_quantity("150 pg/mL", Quantity::Concentration), 150.0);
  EXPECT_DOUBLE_EQ(parse_quantity("1 ng/mL", Quantity::Concentration), 1e3);
  EXPECT_DOUBLE_EQ(parse_quantity("1 ug/mL", Quantity::Concentration), 1e6);
  EXPECT_DOUBLE_EQ(parse_quantity("1 \xC2\xB5g/mL", Quantity::Concentration), 1e6);
  EXPECT_DOUBLE_EQ(parse_quantity("1 mg/mL", Quantity::Concentration), 1e9);
  EXPECT_DOUBLE_EQ(parse_quantity("1 g/mL", Quantity::Concentration), 1e12);
  EXPECT_DOUBLE_EQ(parse_quantity("1 g/L", Quantity::Concentration), 1e9);
  EXPECT_DOUBLE_EQ(parse_quantity("1 g/l", Quantity::Concentration), 1e9);
  EXPECT_DOUBLE_EQ(parse_quantity("1 pg/uL", Quantity::Concentration), 1e3);
  EXPECT_DOUBLE_EQ(parse_quantity("1 pg/ul", Quantity::Concentration), 1e3);
  EXPECT_DOUBLE_EQ(parse_quantity("1 pg/\xC2\xB5L", Quantity::Concentration), 1e3);
  EXPECT_DOUBLE_EQ(parse_quantity("1 pg/ml", Quantity::Concentration), 1.0);
  // A volume is a length cubed: 1 mL = 1 cm^3.
  EXPECT_DOUBLE_EQ(parse_quantity("1 pg/cm^3", Quantity::Concentration), 1.0);
  EXPECT_DOUBLE_EQ(parse_quantity("1 pg/mm^3", Quantity::Concentration), 1e3);
}

TEST(Units, CompoundUnits) {
  const double um2_per_min = 1e-12 / 60.0;
  EXPECT_DOUBLE_EQ(parse_quantity("6000 um^2/min", Quantity::Diffusion), 6000 * um2_per_min);
  EXPECT_DOUBLE_EQ(parse_quantity("10 um^2/s", Quantity::Diffusion), 10e-12);
  EXPECT_DOUBLE_EQ(parse_quantity("1e-6 cm^2/s", Quantity::Diffusion), 1e-10);
  EXPECT_DOUBLE_EQ(parse_quantity("600 um*um/min", Quantity::Diffusion), 600 * um2_per_min);
  EXPECT_DOUBLE_EQ(parse_quantity("600 um^2*min^-1", Quantity::Diffusion), 600 * um2_per_min);
  EXPECT_DOUBLE_EQ(parse_quantity("600 um^2 / min", Quantity::Diffusion), 600 * um2_per_min);

  EXPECT_DOUBLE_EQ(parse_quantity("0.0275 /min", Quantity::Rate), 0.0275 / 60.0);
  EXPECT_DOUBLE_EQ(parse_quantity("0.0275/min", Quantity::Rate), 0.0275 / 60.0);
  EXPECT_DOUBLE_EQ(parse_quantity("0.5 1/h", Quantity::Rate), 0.5 / 3600.0);
  EXPECT_DOUBLE_EQ(parse_quantity("2 min^-1", Quantity::Rate), 2.0 / 60.0);
  EXPECT_DOUBLE_EQ(parse_quantity("3 s^-1", Quantity::Rate), 3.0);

  EXPECT_DOUBLE_EQ(parse_quantity("50 pg/mL/min", Quantity::ConcentrationRate), 50.0 / 60.0);
  EXPECT_DOUBLE_EQ(parse_quantity("2 ng/mL/h", Quantity::ConcentrationRate), 2000.0 / 3600.0);
  EXPECT_DOUBLE_EQ(parse_quantity("1 pg*mL^-1*s^-1", Quantity::ConcentrationRate), 1.0);
}

TEST(Units, BareNumbersTakeTheDefaultUnit) {
  EXPECT_DOUBLE_EQ(parse_quantity("25", Quantity::Length), 25e-6);
  EXPECT_DOUBLE_EQ(parse_quantity("30", Quantity::Time), 1800.0);
  EXPECT_DOUBLE_EQ(parse_quantity("150", Quantity::Concentration), 150.0);
  EXPECT_DOUBLE_EQ(parse_quantity("600", Quantity::Diffusion), 600e-12 / 60.0);
  EXPECT_DOUBLE_EQ(parse_quantity("0.0275", Quantity::Rate), 0.0275 / 60.0);
  EXPECT_DOUBLE_EQ(parse_quantity("50", Quantity::ConcentrationRate), 50.0 / 60.0);
  EXPECT_DOUBLE_EQ(parse_quantity("1e-3", Quantity::Dimensionless), 1e-3);
  EXPECT_DOUBLE_EQ(parse_quantity("0.9", Quantity::Dimensionless), 0.9);
}

TEST(Units, NumberForms) {
  EXPECT_DOUBLE_EQ(parse_quantity("-5 um", Quantity::Length), -5e-6);  // range checks belong to the config
  EXPECT_DOUBLE_EQ(parse_quantity("+5 um", Quantity::Length), 5e-6);
  EXPECT_DOUBLE_EQ(parse_quantity(".5 mm", Quantity::Length), 0.5e-3);
  EXPECT_DOUBLE_EQ(parse_quantity("2.5e3 um", Quantity::Length), 2.5e-3);
  EXPECT_DOUBLE_EQ(parse_quantity("  4 h  ", Quantity::Time), 14400.0);
  EXPECT_DOUBLE_EQ(parse_quantity("4h", Quantity::Time), 14400.0);
  EXPECT_DOUBLE_EQ(parse_quantity("1e-3", Quantity::Time), 0.06);
}

TEST(Units, WrongDimensionSaysWhatWasExpectedAndFound) {
  EXPECT_EQ(unit_error("600 um/min", Quantity::Diffusion),
            "expected a diffusion coefficient (length^2/time, e.g. \"600 um^2/min\"), found \"600 um/min\" "
            "(length/time)");
  EXPECT_EQ(unit_error("2 h", Quantity::Length),
            "expected a length (e.g. \"25 um\"), found \"2 h\" (a time)");
  EXPECT_EQ(unit_error("5 pg", Quantity::Concentration),
            "expected a concentration (mass/volume, e.g. \"150 pg/mL\"), found \"5 pg\" (mass)");
  EXPECT_TRUE(Contains(unit_error("5 pg/mL", Quantity::ConcentrationRate), "(a concentration)"));
  EXPECT_TRUE(Contains(unit_error("5 pg/mL/min^2", Quantity::ConcentrationRate), "(mass/volume/time^2)"));
  EXPECT_TRUE(Contains(unit_error("5 min", Quantity::Rate), "expected a rate (1/time"));
  EXPECT_TRUE(Contains(unit_error("5 mm/m", Quantity::Length), "(dimensionless)"));
}

TEST(Units, DimensionlessAcceptsOnlyABareNumber) {
  EXPECT_EQ(unit_error("0.9 min", Quantity::Dimensionless),
            "expected a dimensionless number (no unit, e.g. \"0.9\"), found \"0.9 min\" (a unit, \"min\", is "
            "not allowed here)");
  EXPECT_TRUE(Contains(unit_error("1 mm/m", Quantity::Dimensionless), "is not allowed here"));
}

TEST(Units, RejectsValuesThatAreNotFiniteNumbers) {
  EXPECT_EQ(unit_error("", Quantity::Time), "expected a time (e.g. \"30 min\"), found \"\" (an empty value)");
  EXPECT_TRUE(Contains(unit_error("   ", Quantity::Time), "(an empty value)"));
  EXPECT_EQ(unit_error("abc", Quantity::Length),
            "expected a length (e.g. \"25 um\"), found \"abc\" (not a number)");
  EXPECT_TRUE(Contains(unit_error("um", Quantity::Length), "(not a number)"));
  EXPECT_TRUE(Contains(unit_error("nan", Quantity::Length), "(not a finite number)"));
  EXPECT_TRUE(Contains(unit_error("inf um", Quantity::Length), "(not a finite number)"));
  EXPECT_TRUE(Contains(unit_error("-infinity", Quantity::Dimensionless), "(not a finite number)"));
  EXPECT_TRUE(Contains(unit_error("1e999 um", Quantity::Length), "(number out of range)"));
  EXPECT_TRUE(Contains(unit_error("+-1", Quantity::Length), "(not a number)"));
}

TEST(Units, UnknownUnitNamesTheTokenAndSuggests) {
  EXPECT_EQ(unit_error("5 minuts", Quantity::Time),
            "expected a time (e.g. \"30 min\"), found \"5 minuts\": unknown unit \"minuts\"; did you mean "
            "\"minute\"?");
  EXPECT_TRUE(Contains(unit_error("10 microm", Quantity::Length),
                       "unknown unit \"microm\"; did you mean \"micron\"?"));
  EXPECT_TRUE(
      Contains(unit_error("10 pg/ML", Quantity::Concentration), "unknown unit \"ML\"; did you mean \"mL\"?"));
  EXPECT_TRUE(Contains(unit_error("10 furlongs", Quantity::Length), "unknown unit \"furlongs\""));
  EXPECT_FALSE(Contains(unit_error("10 furlongs", Quantity::Length), "did you mean"));
}

TEST(Units, MalformedUnitExpressions) {
  EXPECT_TRUE(Contains(unit_error("5 um^", Quantity::Length), "expected an integer exponent after \"um^\""));
  EXPECT_TRUE(Contains(unit_error("5 um^x", Quantity::Diffusion), "expected an integer exponent"));
  EXPECT_TRUE(
      Contains(unit_error("5 pg/", Quantity::Concentration), "expected a unit name after the last operator"));
  EXPECT_TRUE(Contains(unit_error("5 um um", Quantity::Diffusion), "expected \"*\" or \"/\" between units"));
  EXPECT_TRUE(Contains(unit_error("5 2/h", Quantity::Rate), "expected a unit name at \"2/h\""));
  EXPECT_TRUE(Contains(unit_error("1,5 um", Quantity::Length), "expected a unit name at \",5 um\""));
  EXPECT_TRUE(Contains(unit_error("5 1 h", Quantity::Rate), "expected \"/\" after \"1\""));
}

TEST(Units, FormatUsesTheDefaultUnitAndRoundTrips) {
  EXPECT_EQ(format_quantity(parse_quantity("1200 um^2/min", Quantity::Diffusion), Quantity::Diffusion),
            "1200 um^2/min");
  EXPECT_EQ(format_quantity(7200.0, Quantity::Time), "120 min");
  EXPECT_EQ(format_quantity(4e-3, Quantity::Length), "4000 um");
  EXPECT_EQ(format_quantity(150.0, Quantity::Concentration), "150 pg/mL");
  EXPECT_EQ(format_quantity(0.0275 / 60.0, Quantity::Rate), "0.0275 /min");
  EXPECT_EQ(format_quantity(50.0 / 60.0, Quantity::ConcentrationRate), "50 pg/mL/min");
  EXPECT_EQ(format_quantity(0.9, Quantity::Dimensionless), "0.9");
  EXPECT_EQ(format_quantity(-0.0, Quantity::Length), "0 um");
  for (Quantity q : {Quantity::Length, Quantity::Time, Quantity::Concentration, Quantity::Diffusion,
                     Quantity::Rate, Quantity::ConcentrationRate, Quantity::Dimensionless}) {
    const double v = parse_quantity("3.25", q);
    EXPECT_DOUBLE_EQ(parse_quantity(format_quantity(v, q), q), v) << quantity_name(q);
  }
}

TEST(Units, NamesAndDefaults) {
  EXPECT_EQ(quantity_name(Quantity::Diffusion), "diffusion coefficient");
  EXPECT_EQ(quantity_name(Quantity::ConcentrationRate), "concentration rate");
  EXPECT_EQ(default_unit(Quantity::Length), "um");
  EXPECT_EQ(default_unit(Quantity::Time), "min");
  EXPECT_EQ(default_unit(Quantity::Concentration), "pg/mL");
  EXPECT_EQ(default_unit(Quantity::Diffusion), "um^2/min");
  EXPECT_EQ(default_unit(Quantity::Rate), "/min");
  EXPECT_EQ(default_unit(Quantity::ConcentrationRate), "pg/mL/min");
  EXPECT_EQ(default_unit(Quantity::Dimensionless), "");
  EXPECT_EQ(quantity_expectation(Quantity::Length), "a length (e.g. \"25 um\")");
}

TEST(Units, CellModelQuantities) {
  // cell density: internal cells/mL
  EXPECT_DOUBLE_EQ(parse_quantity("1e8 cells/mL", Quantity::CellDensity), 1e8);
  EXPECT_DOUBLE_EQ(parse_quantity("1e5 cells/uL", Quantity::CellDensity), 1e8);
  EXPECT_DOUBLE_EQ(parse_quantity("1 cell/mm^3", Quantity::CellDensity), 1e3);
  EXPECT_DOUBLE_EQ(parse_quantity("2e11 cells/L", Quantity::CellDensity), 2e8);
  EXPECT_DOUBLE_EQ(parse_quantity("5e6", Quantity::CellDensity), 5e6);
  // per-cell rate: internal pg/cell/s
  EXPECT_DOUBLE_EQ(parse_quantity("1e-3 pg/cell/min", Quantity::PerCellRate), 1e-3 / 60);
  EXPECT_DOUBLE_EQ(parse_quantity("1 ng/cell/h", Quantity::PerCellRate), 1e3 / 3600);
  EXPECT_DOUBLE_EQ(parse_quantity("2 pg/cell/s", Quantity::PerCellRate), 2);
  EXPECT_DOUBLE_EQ(parse_quantity("0.01", Quantity::PerCellRate), 0.01 / 60);
  // per-cell amount: internal pg/cell
  EXPECT_DOUBLE_EQ(parse_quantity("0.05 pg/cell", Quantity::PerCellAmount), 0.05);
  EXPECT_DOUBLE_EQ(parse_quantity("2 ng/cell", Quantity::PerCellAmount), 2e3);
  EXPECT_DOUBLE_EQ(parse_quantity("3", Quantity::PerCellAmount), 3);
  // clearance: internal mL/cell/s
  EXPECT_DOUBLE_EQ(parse_quantity("1e-9 mL/cell/min", Quantity::Clearance), 1e-9 / 60);
  EXPECT_DOUBLE_EQ(parse_quantity("1 uL/cell/s", Quantity::Clearance), 1e-3);
  EXPECT_DOUBLE_EQ(parse_quantity("1 um^3/cell/s", Quantity::Clearance), 1e-12);
  EXPECT_DOUBLE_EQ(parse_quantity("6e-9", Quantity::Clearance), 1e-10);
  // volume: internal mL
  EXPECT_DOUBLE_EQ(parse_quantity("3 L", Quantity::Volume), 3000);
  EXPECT_DOUBLE_EQ(parse_quantity("5 mL", Quantity::Volume), 5);
  EXPECT_DOUBLE_EQ(parse_quantity("250 uL", Quantity::Volume), 0.25);
  EXPECT_DOUBLE_EQ(parse_quantity("1 cm^3", Quantity::Volume), 1);
  EXPECT_DOUBLE_EQ(parse_quantity("1500", Quantity::Volume), 1500);
  // mass: internal pg
  EXPECT_DOUBLE_EQ(parse_quantity("8 mg", Quantity::Mass), 8e9);
  EXPECT_DOUBLE_EQ(parse_quantity("10 ug", Quantity::Mass), 1e7);
  EXPECT_DOUBLE_EQ(parse_quantity("1 g", Quantity::Mass), 1e12);
  EXPECT_DOUBLE_EQ(parse_quantity("7", Quantity::Mass), 7);
  // cell count: internal cells
  EXPECT_DOUBLE_EQ(parse_quantity("1e8 cells", Quantity::CellCount), 1e8);
  EXPECT_DOUBLE_EQ(parse_quantity("1 cell", Quantity::CellCount), 1);
  EXPECT_DOUBLE_EQ(parse_quantity("250", Quantity::CellCount), 250);
  // binding rate: internal mL/pg/s
  EXPECT_DOUBLE_EQ(parse_quantity("1e-6 mL/pg/min", Quantity::BindingRate), 1e-6 / 60);
  EXPECT_DOUBLE_EQ(parse_quantity("1 L/mg/h", Quantity::BindingRate), 1e-6 / 3600);
  EXPECT_DOUBLE_EQ(parse_quantity("2 mL/pg/s", Quantity::BindingRate), 2);
  EXPECT_DOUBLE_EQ(parse_quantity("6e-5", Quantity::BindingRate), 1e-6);
}

TEST(Units, CellModelWrongDimensions) {
  EXPECT_EQ(
      unit_error("100 cells/mL", Quantity::Concentration),
      "expected a concentration (mass/volume, e.g. \"150 pg/mL\"), found \"100 cells/mL\" (a cell density)");
  EXPECT_EQ(
      unit_error("1e8 pg/mL", Quantity::CellDensity),
      "expected a cell density (cells/volume, e.g. \"1e8 cells/mL\"), found \"1e8 pg/mL\" (a concentration)");
  EXPECT_EQ(unit_error("0.01 pg/min", Quantity::PerCellRate),
            "expected a per-cell rate (mass/cell/time, e.g. \"0.01 pg/cell/min\"), found \"0.01 pg/min\" "
            "(mass/time)");
  EXPECT_EQ(unit_error("0.5 pg", Quantity::PerCellAmount),
            "expected a per-cell amount (mass/cell, e.g. \"0.5 pg/cell\"), found \"0.5 pg\" (mass)");
  EXPECT_EQ(unit_error("1e-9 mL/min", Quantity::Clearance),
            "expected a clearance (volume/cell/time, e.g. \"1e-9 mL/cell/min\"), found \"1e-9 mL/min\" "
            "(volume/time)");
  EXPECT_EQ(unit_error("3 m^2", Quantity::Volume),
            "expected a volume (e.g. \"3 L\"), found \"3 m^2\" (length^2)");
  EXPECT_EQ(unit_error("8 mg/mL", Quantity::Mass),
            "expected a mass (e.g. \"8 mg\"), found \"8 mg/mL\" (a concentration)");
  EXPECT_EQ(unit_error("1e8 cells/mL", Quantity::CellCount),
            "expected a cell count (e.g. \"1e8 cells\"), found \"1e8 cells/mL\" (a cell density)");
  EXPECT_EQ(unit_error("1e-6 mL/pg", Quantity::BindingRate),
            "expected a binding rate (volume/mass/time, e.g. \"1e-6 mL/pg/min\"), found \"1e-6 mL/pg\" "
            "(volume/mass)");
  // the other way round: the new dimensions are named where other quantities are expected
  EXPECT_TRUE(Contains(unit_error("0.5 pg/cell", Quantity::Concentration), "(a per-cell amount)"));
  EXPECT_TRUE(Contains(unit_error("3 L", Quantity::Concentration), "(a volume)"));
  EXPECT_TRUE(Contains(unit_error("5 cells", Quantity::Concentration), "(a cell count)"));
  EXPECT_TRUE(Contains(unit_error("1 pg/cell/min", Quantity::ConcentrationRate), "(a per-cell rate)"));
  EXPECT_TRUE(Contains(unit_error("1 mL/cell/min", Quantity::Rate), "(a clearance)"));
  EXPECT_TRUE(Contains(unit_error("1 mL/pg/min", Quantity::Rate), "(a binding rate)"));
  EXPECT_TRUE(Contains(unit_error("5 cells^2/mL", Quantity::CellDensity), "(cells^2/volume)"));
  EXPECT_TRUE(Contains(unit_error("5 cells/min", Quantity::CellDensity), "(cells/time)"));
  EXPECT_TRUE(Contains(unit_error("5 cels/mL", Quantity::CellDensity),
                       "unknown unit \"cels\"; did you mean \"cells\"?"));
}

TEST(Units, CellModelFormatsAndDefaults) {
  EXPECT_EQ(format_quantity(1e8, Quantity::CellDensity), "1e+08 cells/mL");
  EXPECT_EQ(format_quantity(0.01 / 60, Quantity::PerCellRate), "0.01 pg/cell/min");
  EXPECT_EQ(format_quantity(0.05, Quantity::PerCellAmount), "0.05 pg/cell");
  EXPECT_EQ(format_quantity(1e-9 / 60, Quantity::Clearance), "1e-09 mL/cell/min");
  EXPECT_EQ(format_quantity(3000, Quantity::Volume), "3000 mL");
  EXPECT_EQ(format_quantity(8e9, Quantity::Mass), "8e+09 pg");
  EXPECT_EQ(format_quantity(1e8, Quantity::CellCount), "1e+08 cells");
  EXPECT_EQ(format_quantity(1e-6 / 60, Quantity::BindingRate), "1e-06 mL/pg/min");
  EXPECT_EQ(default_unit(Quantity::CellDensity), "cells/mL");
  EXPECT_EQ(default_unit(Quantity::PerCellRate), "pg/cell/min");
  EXPECT_EQ(default_unit(Quantity::PerCellAmount), "pg/cell");
  EXPECT_EQ(default_unit(Quantity::Clearance), "mL/cell/min");
  EXPECT_EQ(default_unit(Quantity::Volume), "mL");
  EXPECT_EQ(default_unit(Quantity::Mass), "pg");
  EXPECT_EQ(default_unit(Quantity::CellCount), "cells");
  EXPECT_EQ(default_unit(Quantity::BindingRate), "mL/pg/min");
  EXPECT_EQ(quantity_name(Quantity::PerCellRate), "per-cell rate");
  EXPECT_EQ(quantity_expectation(Quantity::CellDensity),
            "a cell density (cells/volume, e.g. \"1e8 cells/mL\")");
  for (Quantity q :
       {Quantity::CellDensity, Quantity::PerCellRate, Quantity::PerCellAmount, Quantity::Clearance,
        Quantity::Volume, Quantity::Mass, Quantity::CellCount, Quantity::BindingRate}) {
    const double v = parse_quantity("3.25", q);
    EXPECT_DOUBLE_EQ(parse_quantity(format_quantity(v, q), q), v) << quantity_name(q);
    // the default unit written out means the same as a bare number
    EXPECT_DOUBLE_EQ(parse_quantity("3.25 " + default_unit(q), q), v) << quantity_name(q);
  }
}

// Lengths in size messages share one unit: mm from 1 mm up, um below; -0 prints as 0.
TEST(Units, LengthsInMessages) {
  const LengthUnit mm = length_unit_for(4e-3);
  EXPECT_EQ(mm.name, "mm");
  EXPECT_EQ(length_in(5.2e-3, mm), "5.2 mm");
  EXPECT_EQ(length_in(-1.5e-3, mm), "-1.5 mm");
  EXPECT_EQ(length_in(-0.0, mm), "0 mm");
  EXPECT_EQ(length_unit_for(1e-3).name, "mm");
  const LengthUnit um = length_unit_for(0.9e-3);
  EXPECT_EQ(um.name, "um");
  EXPECT_EQ(length_in(250e-6, um), "250 um");
}

TEST(Units, ClosestMatch) {
  const std::vector<std::string> keys{"diffusion", "decay", "half_life", "initial", "name"};
  EXPECT_EQ(closest_match("difusion", keys), "diffusion");
  EXPECT_EQ(closest_match("Decay", keys), "decay");
  EXPECT_EQ(closest_match("half", keys), "half_life");  // prefix
  EXPECT_EQ(closest_match("nmae", keys), "name");
  EXPECT_EQ(closest_match("colour", keys), "");
  EXPECT_EQ(closest_match("x", keys), "");
}

}  // namespace
}  // namespace cyto
