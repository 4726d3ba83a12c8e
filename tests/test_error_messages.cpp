// Error lines stay short and point at the cause: long values are elided
// with their size, control characters escaped, and an unclosed quote is
// blamed instead of the key its runaway value swallowed.
#include <gtest/gtest.h>

#include <string>

#include <filesystem>
#include <fstream>

#include "host/core/error.hpp"
#include "host/geometry/label_volume.hpp"
#include "host/geometry/mesh_io.hpp"
#include "host/geometry/organ_mesh.hpp"
#include "host/geometry/placed_geometry.hpp"
#include "host/scenario/config.hpp"
#include "tests/config_cases.hpp"

namespace {

using cyto::InputError;
using cyto::one_line;
using cyto::testing::error_of;
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

// Names from the file are quoted with quote_value: its own quotes and
// backslashes escaped, so that one_line still finds where the value ends
// and elides a long one. Found by the scenario fuzzer: a runaway quote made
// a 3,000-character key with '"' inside, and the printed line ran to 700
// characters because one_line paired the wrong quotes.
TEST(ErrorMessages, ValuesHoldingQuotesStayOneShortLine) {
  EXPECT_EQ(cyto::quote_value("plain"), "\"plain\"");
  EXPECT_EQ(cyto::quote_value("a\"b\\c"), "\"a\\\"b\\\\c\" (5 characters)");
  EXPECT_EQ(one_line("unknown key " + cyto::quote_value("a\"b") + "; did you mean \"ab\"?"),
            "unknown key \"a\\\"b\" (3 characters); did you mean \"ab\"?");
  std::string key;
  for (int n = 0; n < 120; ++n) key += "x\" # y\\ ";       // an implicit key holds at most 1024
  const std::string yaml = "name: t\n'" + key + "': 1\n";  // single quotes: '"' and '\\' as they are
  std::string line;
  try {
    cyto::parse_scenario(yaml, kFile);
  } catch (const InputError& e) {
    line = one_line(e.what());
  }
  EXPECT_NE(line.find("unknown key \"x\\\" # y\\\\ x"), std::string::npos) << line;
  EXPECT_NE(line.find(" (960 characters)"), std::string::npos) << line;
  EXPECT_LE(line.size(), 300u) << line;
  // Control characters count as shown (\x02 is four): the fuzzer's third
  // finding, a key of 73 such bytes printed as 300 characters, in the key
  // path and in the message.
  const std::string controls = "tissu" + std::string(73, '\x02') + "e";
  EXPECT_LE(cyto::quote_value(controls).size(), 80u) << cyto::quote_value(controls);
  EXPECT_LE(one_line("found \"" + controls + "\"").size(), 90u);
  std::string escaped_key = "tissu";
  for (int n = 0; n < 73; ++n) escaped_key += "\\x02";
  try {
    cyto::parse_scenario("name: t\n\"" + escaped_key + "e\": 1\n", kFile);
    ADD_FAILURE() << "accepted";
  } catch (const InputError& e) {
    line = one_line(e.what());
  }
  EXPECT_NE(line.find("unknown key \"tissu\\x02"), std::string::npos) << line;
  EXPECT_LE(line.size(), 300u) << line;
  // A quote never closed (a value quoted raw that held a '"'): what follows
  // it is the value, elided (the fuzzer's fourth finding, a 1013-character line).
  const std::string unclosed = one_line("expected a rate, found \"" + std::string(5000, 'v') + "; more");
  EXPECT_TRUE(unclosed.starts_with("expected a rate, found \"vvvv")) << unclosed;
  EXPECT_NE(unclosed.find("(5006 characters)"), std::string::npos) << unclosed;
  EXPECT_LE(unclosed.size(), 120u) << unclosed;
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

// The error of a one-tissue scenario (s.yaml in `dir`, line 4 the geometry
// item) when its geometry is loaded, or "accepted".
std::string geometry_error(const std::filesystem::path& dir, const std::string& voxel,
                           const std::string& item) {
  std::ofstream((dir / "s.yaml").string())
      << "name: t\ngrid: {voxel: " << voxel << "}\ntissues: [{name: liver, label: 1}]\n"
      << "geometry: [" << item << "]\n"
      << "species: [{name: TNF, diffusion: 100}]\ntime: {end: 1 h}\noutput: {interval: 10 min}\n";
  try {
    const cyto::Scenario s = cyto::load_scenario((dir / "s.yaml").string());
    cyto::load_geometry(s);
  } catch (const InputError& e) {
    return std::string(e.what());
  }
  return std::string("accepted");
}

// A mesh read in the wrong unit: the file's extent in its units and the
// unit that makes it organ-sized, instead of "no voxels" or a memory figure.
TEST(ErrorMessages, MeshInTheWrongUnitNamesItsExtentAndTheLikelyUnit) {
  const std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) / "cytostorm_mesh_units";
  std::filesystem::create_directories(dir);
  cyto::write_obj((dir / "lobe.obj").string(), cyto::make_lobed_organ(1), 7);  // about 4 x 3 x 1.8 units
  auto error_with = [&](const std::string& units, const std::string& voxel) {
    return geometry_error(dir, voxel, "{tissue: liver, mesh: {file: lobe.obj, units: " + units + "}}");
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

// A label map in the wrong unit alike: a MetaImage written in metres (read
// as mm by default) is smaller than a voxel; a NIfTI in mm given units: m
// (which wins over its header's unit) needs too many voxels. Both name the
// image's extent in its file units and the unit that makes it organ-sized.
TEST(ErrorMessages, LabelMapInTheWrongUnitNamesItsExtentAndTheLikelyUnit) {
  const std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) / "cytostorm_volume_units";
  std::filesystem::create_directories(dir);
  // 40 x 30 x 20 voxels of 3 mm (12 x 9 x 6 cm) with a labelled block inside.
  cyto::LabelVolume organ;
  organ.dims = {40, 30, 20};
  organ.index_to_world = {3e-3, 0, 0, 0, 0, 3e-3, 0, 0, 0, 0, 3e-3, 0};
  organ.labels.assign(40 * 30 * 20, 0);
  for (int k = 5; k < 15; ++k)
    for (int j = 5; j < 25; ++j)
      for (int i = 5; i < 35; ++i) organ.labels[std::size_t((k * 30 + j) * 40 + i)] = 1;
  cyto::write_nifti((dir / "organ.nii").string(), organ, 2);
  cyto::LabelVolume in_metres = organ;  // the same numbers, meant as metres
  for (double& m : in_metres.index_to_world) m *= 1e-3;
  cyto::write_metaimage((dir / "organ_m.mhd").string(), in_metres, false);
  auto error_with = [&](const std::string& file, const std::string& units, const std::string& voxel) {
    return geometry_error(dir, voxel, "{volume: {file: " + file + ", labels: {1: liver}" + units + "}}");
  };
  const std::string small = error_with("organ_m.mhd", "", "1 mm");
  EXPECT_NE(small.find("s.yaml:4:"), std::string::npos) << small;
  EXPECT_NE(small.find("geometry[0].volume.file: the label map spans 0.12 x 0.09 x 0.06 in its file units, "
                       "read as mm (120 um): smaller than one voxel of 1 mm"),
            std::string::npos)
      << small;
  EXPECT_NE(small.find("if the file is in m, set units: m"), std::string::npos) << small;
  EXPECT_EQ(error_with("organ_m.mhd", ", units: m", "1 mm"), "accepted");
  const std::string large = error_with("organ.nii", ", units: m", "50 um");
  EXPECT_NE(large.find("the label map spans 120 x 90 x 60 in its file units, read as m (120 m)"),
            std::string::npos)
      << large;
  EXPECT_NE(large.find("if the file is in mm, set units: mm"), std::string::npos) << large;
  EXPECT_EQ(error_with("organ.nii", "", "1 mm"), "accepted");
  EXPECT_EQ(error_with("organ.nii", ", units: mm", "1 mm"), "accepted");
  std::filesystem::remove_all(dir);
}

}  // namespace
