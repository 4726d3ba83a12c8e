// Range checks against the precision (host/app/precision_range.hpp): values,
// per-step products and Hill powers that would overflow inside a step are
// refused by the validation pass at their YAML position, and the values at
// the bounds are accepted.
#include <string>

#include <gtest/gtest.h>

#include "host/app/validation.hpp"
#include "host/core/error.hpp"
#include "host/scenario/config.hpp"

namespace cyto {
namespace {

std::string scenario(const std::string& precision, const std::string& model) {
  return "name: ranges\nprecision: " + precision +
         "\ngrid: {extent: [100 um, 100 um, 100 um], voxel: 20 um}\n"
         "tissues: [{name: tissue, label: 1}]\n"
         "geometry: [{tissue: tissue, box: {min: [0 um, 0 um, 0 um], max: [100 um, 100 um, 100 um]}}]\n"
         "species: [{name: TNF, diffusion: 1200 um^2/min, initial: 10 pg/mL}]\n"
         "time: {end: 10 min}\noutput: {interval: 5 min}\n" +
         model;
}

// The message validation refuses the scenario with; "" when it is accepted.
std::string refusal(const std::string& text) {
  try {
    (void)validate_run(parse_scenario(text, "ranges.yaml"), RunTarget{BackendKind::Cpu, 1, std::nullopt});
  } catch (const InputError& e) {
    EXPECT_GT(e.where().line, 0) << e.what();  // every refusal names its YAML position
    return e.what();
  }
  return "";
}

std::string secreting(const std::string& rule) {
  return "populations: [{name: cells, initial: 1e8 cells/mL}]\n"
         "rules:\n  - {type: secretion, population: cells, species: TNF, " +
         rule + "}\n";
}

TEST(PrecisionRange, HillPowersAreBoundedForReachableConcentrations) {
  const std::string factor = "rate: 0 pg/cell/min, max_rate: 1e-5 pg/cell/min, activators: {species: TNF, ";
  // Float, K = 1 pg/mL: (1e9)^n < 3.4e37 for n up to 4.17.
  EXPECT_EQ(refusal(scenario("float", secreting(factor + "half_max: 1 pg/mL, hill: 4}"))), "");
  EXPECT_NE(refusal(scenario("float", secreting(factor + "half_max: 1 pg/mL, hill: 4.5}"))).find("hill 4.5"),
            std::string::npos);
  // Double: up to 34 at K = 1 pg/mL.
  EXPECT_EQ(refusal(scenario("double", secreting(factor + "half_max: 1 pg/mL, hill: 33.5}"))), "");
  EXPECT_NE(refusal(scenario("double", secreting(factor + "half_max: 1 pg/mL, hill: 256}"))).find("hill 256"),
            std::string::npos);
  // A stated concentration above 1e9 pg/mL raises the bound's concentration.
  const std::string high = scenario("double", secreting(factor + "half_max: 1 pg/mL, hill: 20}"));
  EXPECT_EQ(refusal(high), "");
  std::string stated = high;
  stated.replace(stated.find("initial: 10 pg/mL"), 17, "initial: 1e20 pg/mL");
  EXPECT_NE(refusal(stated).find("for c up to 1e+20 pg/mL"), std::string::npos);
}

TEST(PrecisionRange, PerStepProductsAreBounded) {
  // Growth: rate x capacity x dt, and capacity is a divisor.
  const std::string growth =
      "populations: [{name: cells, initial: 1 cells/mL}]\nrules:\n"
      "  - {type: growth, population: cells, rate: 1000 /s, capacity: ";
  EXPECT_EQ(refusal(scenario("float", growth + "1e9 cells/mL}\n")), "");
  EXPECT_NE(refusal(scenario("float", growth + "1e29 cells/mL}\n")).find("growth rate x capacity x dt"),
            std::string::npos);
  EXPECT_NE(
      refusal(scenario("float", growth + "1e-31 cells/mL}\n")).find("capacity (cells/mL) 1e-31 is too small"),
      std::string::npos);
  // Burst x largest density, where the density comes from a seeding.
  const std::string burst =
      "populations: [{name: cells, seeding: {density: 1e8 cells/mL}}]\nrules:\n"
      "  - {type: death, population: cells, signal: TNF, threshold: 5 pg/mL, rate: 0.1 /min, "
      "burst: {TNF: ";
  EXPECT_EQ(refusal(scenario("float", burst + "1e-6 pg/cell}}\n")), "");
  EXPECT_NE(refusal(scenario("float", burst + "1e25 pg/cell}}\n")).find("burst x largest density"),
            std::string::npos);
  // Double: a secretion rate that fits but whose product does not.
  EXPECT_NE(
      refusal(scenario("double", secreting("rate: 1e295 pg/cell/min"))).find("secretion rate x largest"),
      std::string::npos);
}

TEST(PrecisionRange, SeedingMeanWithinThePoissonDrawsRange) {
  // (20 um)^3 = 8e-9 mL: 5e23 cells/mL is 4e15 cells a voxel (<= 2^52), 6e23 is 4.8e15.
  EXPECT_EQ(refusal(scenario("double", "populations: [{name: cells, seeding: {density: 5e23 cells/mL}}]\n")),
            "");
  EXPECT_NE(refusal(scenario("double", "populations: [{name: cells, seeding: {density: 6e23 cells/mL}}]\n"))
                .find("more than the 4.5e+15 a Poisson draw takes"),
            std::string::npos);
}

}  // namespace
}  // namespace cyto
