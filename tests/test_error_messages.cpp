// Error lines stay short and point at the cause: long values are elided
// with their size, control characters escaped, and an unclosed quote is
// blamed instead of the key its runaway value swallowed.
#include <gtest/gtest.h>

#include <string>

#include <filesystem>
#include <fstream>

#include "host/core/error.hpp"
#include "host/geometry/mesh_io.hpp"
#include "host/geometry/organ_mesh.hpp"
#include "host/geometry/placed_geometry.hpp"
#include "host/scenario/config.hpp"
#include "tests/config_cases.hpp"

namespace {

using cyto::InputError;
using cyto::one_line;
using cyto::testing::kFile;
using cyto::testing::scenario;

TEST(ErrorMessages, OneLineEscapesControlCharactersAndElidesLongValues) {
  EXPECT_EQ(one_line("a\nb\tc"), "a\\nb c");
  EXPECT_EQ(one_line("found \"short\""), "found \"short\"");
  const std::string big(10u << 20, 'x');
  const std::string line = one_line("f.yaml:3:7: k: expected a number, found \"" + big + "\"");
  EXPECT_LE(line.size(), cyto::kMaxErrorLine);
  EXPECT_TRUE(line.starts_with("f.yaml:3:7: k: expected a number, found \"xxxx")) << line;
  EXPECT_NE(line.find("(10485760 characters)"), std::string::npos) << line;
  // A value over lines says so.
  EXPECT_NE(one_line("found \"a\nb\"").find("\"a\\nb\" (3 characters on 2 lines)"), std::string::npos);
  // Whatever the message, the position at its start survives the cut.
  std::string list = "ckpt.h5: keys differ: ";
  for (int n = 0; n < 285; ++n) list += "species[" + std::to_string(n) + "].decay, ";
  const std::string cut = one_line(list);
  EXPECT_LE(cut.size(), cyto::kMaxErrorLine + 10);
  EXPECT_TRUE(cut.starts_with("ckpt.h5: keys differ: species[0].decay")) << cut;
  EXPECT_NE(cut.find("characters left out"), std::string::npos) << cut;
}

InputError error_of(const std::string& text) {
  try {
    cyto::parse_scenario(text, kFile);
  } catch (const InputError& e) {
    return e;
  }
  ADD_FAILURE() << "accepted:\n" << text;
  return InputError({}, "accepted");
}

TEST(ErrorMessages, UnclosedQuoteIsBlamedNotTheKeyItSwallowed) {
  // Line 2 'description: "t' (no closing quote): the rest of the file becomes the description, and
  // "grid" goes missing.
  InputError e = error_of(scenario({{"name", "name: t\ndescription: \"t"}}));
  EXPECT_EQ(e.where().line, 2);
  EXPECT_EQ(e.where().column, 14);
  EXPECT_NE(
      e.detail().find("the double quote opened here is not closed on its line, so YAML reads the rest of "
                      "the file as one value"),
      std::string::npos)
      << e.what();
  EXPECT_NE(e.detail().find("missing required key \"grid\""), std::string::npos) << e.what();
  // Closed by a quote lines later: the parser's complaint comes from there.
  e = error_of(scenario({{"grid", "grid: {extent: [1 mm, 1 mm, 1 mm], voxel: \"50 um}"},
                         {"species", "species: [{name: \"TNF\", diffusion: 100}]"}}));
  EXPECT_EQ(e.where().line, 2);
  EXPECT_EQ(e.where().column, 43);
  EXPECT_NE(e.detail().find("reads on to line 5 as one value"), std::string::npos) << e.what();
  // An error before the quote, about something else, stays where it is.
  e = error_of(
      scenario({{"grid", "grid: {extent: [1 mm, 1 mm, 1 mm], voxel: 50 kg}"}}, "description: \"t\n"));
  EXPECT_EQ(e.where().line, 2) << e.what();
  EXPECT_EQ(e.where().key_path, "grid.voxel") << e.what();
}

TEST(ErrorMessages, QuotedValuesOverLinesStillReadWhereValid) {
  EXPECT_EQ(cyto::parse_scenario(scenario({}, "description: \"two\n  lines\"\n"), kFile).description,
            "two lines");
  EXPECT_EQ(cyto::parse_scenario(scenario({}, "description: 'it''s'\n"), kFile).description, "it's");
}

// A mesh read in the wrong unit: the file's extent in its units and the
// unit that makes it organ-sized, instead of "no voxels" or a memory figure.
TEST(ErrorMessages, MeshInTheWrongUnitNamesItsExtentAndTheLikelyUnit) {
  const std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) / "cytostorm_mesh_units";
  std::filesystem::create_directories(dir);
  cyto::write_obj((dir / "lobe.obj").string(), cyto::make_lobed_organ(1), 7);  // about 4 x 3 x 1.8 units
  auto error_with = [&](const std::string& units, const std::string& voxel) {
    std::ofstream((dir / "s.yaml").string())
        << "name: t\ngrid: {voxel: " << voxel << "}\ntissues: [{name: liver, label: 1}]\n"
        << "geometry: [{tissue: liver, mesh: {file: lobe.obj, units: " << units << "}}]\n"
        << "species: [{name: TNF, diffusion: 100}]\ntime: {end: 1 h}\noutput: {interval: 10 min}\n";
    try {
      const cyto::Scenario s = cyto::load_scenario((dir / "s.yaml").string());
      cyto::load_geometry(s);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  const std::string small = error_with("um", "1 mm");
  EXPECT_NE(small.find("s.yaml:4:"), std::string::npos) << small;
  EXPECT_NE(small.find("geometry[0].mesh.file: the mesh spans 4.1"), std::string::npos) << small;
  EXPECT_NE(small.find("read as um"), std::string::npos) << small;
  EXPECT_NE(small.find("smaller than one voxel"), std::string::npos) << small;
  EXPECT_NE(small.find("if the file is in cm, set units: cm"), std::string::npos) << small;
  const std::string large = error_with("m", "50 um");
  EXPECT_NE(large.find("read as m"), std::string::npos) << large;
  EXPECT_NE(large.find("voxels of 50 um"), std::string::npos) << large;
  EXPECT_NE(large.find("if the file is in cm, set units: cm"), std::string::npos) << large;
  EXPECT_EQ(error_with("cm", "1 mm"), "accepted");
  std::filesystem::remove_all(dir);
}

}  // namespace
