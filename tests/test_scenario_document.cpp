// The scenario file as one YAML document: what yaml-cpp would let the reader
// ignore in silence (a second document, a key given twice anywhere) is
// refused at the line that holds it, and valid files read as before.
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "host/core/error.hpp"
#include "host/scenario/config.hpp"
#include "tests/config_cases.hpp"

namespace {

using cyto::InputError;
using cyto::testing::error_of;
using cyto::testing::kFile;
using cyto::testing::scenario;
using cyto::testing::scenario_plus;
using cyto::testing::scenario_with;

void expect_at(const InputError& e, int line, int column, const std::string& key, const std::string& part) {
  EXPECT_EQ(e.where().file, kFile);
  EXPECT_EQ(e.where().line, line) << e.what();
  EXPECT_EQ(e.where().column, column) << e.what();
  EXPECT_EQ(e.where().key_path, key) << e.what();
  EXPECT_NE(e.detail().find(part), std::string::npos) << e.what();
}

TEST(ScenarioDocument, SecondDocumentIsRefusedAtItsSeparatorLine) {
  // Lines 1-7 the scenario, 8 the "---", 9 keys that would have been ignored.
  expect_at(error_of(scenario_plus("---\ntime: {end: 100 h}\n")), 8, 1, "",
            "a second YAML document starts here (\"---\"; 2 documents in all)");
  // With a comment after the marker, and a third document.
  expect_at(error_of(scenario_plus("--- # later\nname: u\n---\nname: v\n")), 8, 1, "", "3 documents in all");
  // Even an empty second document: the "---" says the author meant one.
  expect_at(error_of(scenario_plus("---\n")), 8, 1, "", "a second YAML document");
}

// Found by the scenario fuzzer: a "," no node can start with made yaml-cpp
// 0.7's LoadAll loop forever, allocating until the out-of-memory killer
// came (22 GB within two minutes for "," alone). Each is one error at the
// comma, at once; and a trailing "," after a flow map is no longer dropped
// in silence. The alarm turns a relapse into a failure instead of a hang.
TEST(ScenarioDocument, AStrayCommaIsOneErrorNotAnEndlessLoop) {
  alarm(20);
  expect_at(error_of(","), 1, 1, "",
            "invalid YAML: no value can start with \",\" (a \",\" separates items only "
            "inside [ ] or { })");
  expect_at(error_of(" ,a"), 1, 2, "", "no value can start with \",\"");
  expect_at(error_of("{name: t},"), 1, 10, "", "no value can start with \",\"");
  expect_at(error_of(scenario() + ",\n"), 8, 1, "", "");  // after the scenario's 7 lines
  alarm(0);
}

TEST(ScenarioDocument, OneDocumentWithMarkersStillReads) {
  EXPECT_EQ(cyto::parse_scenario("---\n" + scenario(), kFile).name, "t");
  EXPECT_EQ(cyto::parse_scenario(scenario_plus("...\n"), kFile).name, "t");
  EXPECT_EQ(cyto::parse_scenario("---\n" + scenario_plus("...\n"), kFile).name, "t");
}

TEST(ScenarioDocument, DuplicateKeysAreRefusedAnywhereNamingBothLines) {
  expect_at(error_of(scenario_plus("time: {end: 2 h}\n")), 8, 1, "time",
            "duplicate key \"time\" (first given at line 6)");
  // Inside a flow map of a list item.
  expect_at(error_of(scenario_with("species: [{name: TNF, diffusion: 100, diffusion: 5}]")), 5, 39,
            "species[0].diffusion", "duplicate key \"diffusion\" (first given at line 5)");
  // In a map no section reader walks key by key: the labels of a volume.
  expect_at(
      error_of(scenario_with("geometry:\n  - volume:\n      file: x.nii\n      labels:\n        1: liver\n"
                             "        1: vessel")),
      9, 9, "geometry[0].volume.labels.1", "duplicate key \"1\" (first given at line 8)");
}

}  // namespace
