// Surface-mesh files: STL (binary, ASCII) and OBJ readers and writers, their error messages, and the
// enclosed volume the geometry checks rely on.
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "host/geometry/mesh_io.hpp"

namespace fs = std::filesystem;

namespace cyto {
namespace {

using Point = std::array<double, 3>;
using Triangle = std::array<std::int32_t, 3>;

// A fresh directory per test, removed afterwards.
class ScratchDir {
 public:
  ScratchDir() {
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::path(::testing::TempDir()) /
            fmt::format("cytostorm_{}_{}_{}", test->test_suite_name(), test->name(), ::getpid());
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  // Names of everything in the directory, to catch leftover temporaries.
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(path_)) names.push_back(entry.path().filename().string());
    return names;
  }

 private:
  fs::path path_;
};

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

// Passes when `text` contains `part`; prints both otherwise.
::testing::AssertionResult Contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" does not contain \"" << part << "\"";
}

// The InputError that `action` throws.
template <class Action>
InputError input_error(Action action) {
  try {
    action();
  } catch (const InputError& e) {
    return e;
  }
  ADD_FAILURE() << "no InputError";
  return InputError(SourceLocation{}, "<none>");
}

// Checks the origin and message of the error that parsing `bytes` as `format` gives.
void ExpectParseError(const std::string& format, const std::string& bytes, int line,
                      const std::string& phrase) {
  const std::string name = "part." + format;
  const InputError e = input_error([&] {
    if (format == "stl") {
      (void)parse_stl(bytes, name);
    } else {
      (void)parse_obj(bytes, name);
    }
  });
  EXPECT_EQ(e.where().file, name);
  EXPECT_EQ(e.where().line, line) << e.what();
  EXPECT_TRUE(Contains(e.what(), line > 0 ? fmt::format("{}:{}: ", name, line) : name + ": "));
  EXPECT_TRUE(Contains(e.what(), phrase));
}

float f32(double x) { return static_cast<float>(x); }

// Binary STL bytes made here, independently of write_stl_binary. `declared` overrides the count.
std::string binary_stl(const std::vector<std::array<float, 9>>& facets, const std::string& header = "test",
                       long long declared = -1) {
  std::string out = header;
  out.resize(80, '\0');
  auto u32 = [&](std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xffU);
  };
  auto f = [&](float x) {
    std::uint32_t bits;
    std::memcpy(&bits, &x, sizeof bits);
    u32(bits);
  };
  u32(static_cast<std::uint32_t>(declared >= 0 ? declared : static_cast<long long>(facets.size())));
  for (const auto& facet : facets) {
    for (int i = 0; i < 3; ++i) f(0.0F);  // normal
    for (const float x : facet) f(x);
    out.append(2, '\0');
  }
  return out;
}

const std::array<float, 9> kFacet = {0, 0, 0, 1, 0, 0, 0, 1, 0};

// An axis-aligned box as 8 vertices (index = x + 2y + 4z) and 12 outward-wound triangles.
TriangleMesh box(const Point& lo, const Point& size) {
  TriangleMesh mesh;
  for (int i = 0; i < 8; ++i) {
    mesh.vertices.push_back({lo[0] + ((i & 1) ? size[0] : 0.0), lo[1] + ((i & 2) ? size[1] : 0.0),
                             lo[2] + ((i & 4) ? size[2] : 0.0)});
  }
  mesh.triangles = {{0, 2, 3}, {0, 3, 1}, {4, 5, 7}, {4, 7, 6}, {0, 1, 5}, {0, 5, 4},
                    {2, 6, 7}, {2, 7, 3}, {0, 4, 6}, {0, 6, 2}, {1, 3, 7}, {1, 7, 5}};
  return mesh;
}

// Vertices at +-r on each axis; volume 4/3 r^3.
TriangleMesh octahedron(double r) {
  TriangleMesh mesh;
  mesh.vertices = {{r, 0, 0}, {-r, 0, 0}, {0, r, 0}, {0, -r, 0}, {0, 0, r}, {0, 0, -r}};
  for (int sx = 0; sx < 2; ++sx) {
    for (int sy = 0; sy < 2; ++sy) {
      for (int sz = 0; sz < 2; ++sz) {
        const std::int32_t x = sx, y = 2 + sy, z = 4 + sz;
        // Outward winding flips with each negative axis.
        if ((sx + sy + sz) % 2 == 0) {
          mesh.triangles.push_back({x, y, z});
        } else {
          mesh.triangles.push_back({x, z, y});
        }
      }
    }
  }
  return mesh;
}

// A latitude-longitude sphere with `stacks` bands and 2*stacks slices, wound outward.
TriangleMesh uv_sphere(double r, int stacks, const Point& centre = {0, 0, 0}) {
  const double pi = std::acos(-1.0);
  const int slices = 2 * stacks;
  TriangleMesh mesh;
  mesh.vertices.push_back({centre[0], centre[1], centre[2] + r});
  for (int i = 1; i < stacks; ++i) {
    const double theta = pi * i / stacks;
    for (int j = 0; j < slices; ++j) {
      const double phi = 2 * pi * j / slices;
      mesh.vertices.push_back({centre[0] + r * std::sin(theta) * std::cos(phi),
                               centre[1] + r * std::sin(theta) * std::sin(phi),
                               centre[2] + r * std::cos(theta)});
    }
  }
  mesh.vertices.push_back({centre[0], centre[1], centre[2] - r});
  const auto south = static_cast<std::int32_t>(mesh.vertices.size() - 1);
  auto ring = [&](int i, int j) { return static_cast<std::int32_t>(1 + (i - 1) * slices + (j % slices)); };
  for (int j = 0; j < slices; ++j) {
    mesh.triangles.push_back({0, ring(1, j), ring(1, j + 1)});
    for (int i = 1; i + 1 < stacks; ++i) {
      mesh.triangles.push_back({ring(i, j), ring(i + 1, j), ring(i + 1, j + 1)});
      mesh.triangles.push_back({ring(i, j), ring(i + 1, j + 1), ring(i, j + 1)});
    }
    mesh.triangles.push_back({south, ring(stacks - 1, j + 1), ring(stacks - 1, j)});
  }
  return mesh;
}

// Each triangle as its three corner points: compares meshes whose vertex numbering differs.
std::vector<std::array<Point, 3>> corners(const TriangleMesh& mesh) {
  std::vector<std::array<Point, 3>> out;
  for (const auto& t : mesh.triangles) {
    out.push_back({mesh.vertices.at(static_cast<std::size_t>(t[0])),
                   mesh.vertices.at(static_cast<std::size_t>(t[1])),
                   mesh.vertices.at(static_cast<std::size_t>(t[2]))});
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Round trips.

TEST(MeshIo, BinaryStlRoundTripOfABox) {
  ScratchDir dir;
  // 0.1 etc. are not float32 numbers: the file holds them rounded.
  const TriangleMesh original = box({0.1, -0.2, 0.3}, {1.7, 2.9, 0.45});
  const std::string path = dir.file("box.stl");
  write_stl_binary(path, original);
  EXPECT_EQ(fs::file_size(path), 84U + 50U * 12U);
  EXPECT_NE(read_bytes(path).rfind("solid", 0), 0U) << "a binary header must not start with \"solid\"";
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"box.stl"});  // no temporary left behind

  const TriangleMesh read = read_mesh(path);
  ASSERT_EQ(read.triangles.size(), 12U);
  EXPECT_EQ(read.vertices.size(), 8U) << "welding shares the corners of adjacent facets";
  const auto got = corners(read);
  const auto want = corners(original);
  for (std::size_t t = 0; t < 12; ++t) {
    for (int c = 0; c < 3; ++c) {
      for (int a = 0; a < 3; ++a) EXPECT_EQ(got[t][c][a], static_cast<double>(f32(want[t][c][a])));
    }
  }
  // The analytic volume of the float-rounded box.
  double volume = 1.0;
  for (int a = 0; a < 3; ++a) {
    volume *=
        static_cast<double>(f32(original.vertices[7][a])) - static_cast<double>(f32(original.vertices[0][a]));
  }
  EXPECT_NEAR(enclosed_volume(read), volume, 1e-12 * volume);
}

TEST(MeshIo, BinaryStlWhoseHeaderSaysSolidIsReadAsBinary) {
  ScratchDir dir;
  const std::string path = dir.file("solid_header.stl");
  write_stl_binary(path, box({0, 0, 0}, {1, 2, 3}));
  std::string bytes = read_bytes(path);
  const std::string header = "solid foo";
  bytes.replace(0, header.size(), header);
  write_bytes(path, bytes);

  const TriangleMesh read = read_mesh(path);
  EXPECT_EQ(read.triangles.size(), 12U);
  EXPECT_EQ(read.vertices.size(), 8U);
  EXPECT_NEAR(enclosed_volume(read), 6.0, 6e-12);

  // Also when the header is all text, without NUL padding.
  std::string spaces = bytes;
  spaces.replace(0, 80, "solid bar" + std::string(71, ' '));
  EXPECT_EQ(parse_stl(spaces, "spaces.stl").triangles.size(), 12U);
}

TEST(MeshIo, AsciiStlRoundTripOfABox) {
  ScratchDir dir;
  const TriangleMesh original = box({0.1, -0.2, 0.3}, {1.7, 2.9, 0.45});
  const std::string path = dir.file("box_ascii.stl");
  write_stl_ascii(path, original);
  const std::string text = read_bytes(path);
  EXPECT_EQ(text.rfind("solid ", 0), 0U);
  EXPECT_TRUE(Contains(text, "vertex 0.100000001 -0.200000003 0.300000012\n"));  // %.9g of the floats

  const TriangleMesh read = read_mesh(path);
  ASSERT_EQ(read.triangles.size(), 12U);
  EXPECT_EQ(read.vertices.size(), 8U);
  const auto got = corners(read);
  const auto want = corners(original);
  for (std::size_t t = 0; t < 12; ++t) {
    for (int c = 0; c < 3; ++c) {
      for (int a = 0; a < 3; ++a) EXPECT_EQ(f32(got[t][c][a]), f32(want[t][c][a])) << "float32 round trip";
    }
  }
  EXPECT_NEAR(enclosed_volume(read), 1.7 * 2.9 * 0.45, 1e-6);
}

TEST(MeshIo, ObjRoundTripIsExact) {
  ScratchDir dir;
  const TriangleMesh original = uv_sphere(0.7, 6, {0.1, 1.0 / 3.0, -2e-7});
  const std::string path = dir.file("sphere.obj");
  write_obj(path, original);
  const TriangleMesh read = read_mesh(path);
  EXPECT_EQ(read.vertices, original.vertices);  // %.17g round-trips doubles bit for bit
  EXPECT_EQ(read.triangles, original.triangles);
  EXPECT_EQ(enclosed_volume(read), enclosed_volume(original));
}

TEST(MeshIo, ObjAndStlOfTheSameShapeAgree) {
  ScratchDir dir;
  const TriangleMesh shape = octahedron(1.5);  // float32-exact, so STL loses nothing
  write_obj(dir.file("shape.obj"), shape);
  write_stl_binary(dir.file("shape.stl"), shape);
  write_stl_ascii(dir.file("shape_ascii.STL"), shape);
  const TriangleMesh obj = read_mesh(dir.file("shape.obj"));
  const TriangleMesh stl = read_mesh(dir.file("shape.stl"));
  const TriangleMesh ascii = read_mesh(dir.file("shape_ascii.STL"));

  EXPECT_EQ(obj.vertices.size(), 6U);
  EXPECT_EQ(stl.vertices.size(), 6U);
  EXPECT_EQ(ascii.vertices.size(), 6U);
  EXPECT_EQ(corners(obj), corners(stl));
  EXPECT_EQ(corners(obj), corners(ascii));
  EXPECT_EQ(enclosed_volume(obj), enclosed_volume(stl));
  EXPECT_EQ(enclosed_volume(obj), enclosed_volume(ascii));
  EXPECT_NEAR(enclosed_volume(obj), 4.0 / 3.0 * 1.5 * 1.5 * 1.5, 1e-14);
}

// ---------------------------------------------------------------------------------------------------
// What the readers accept.

TEST(MeshIo, AsciiStlIsLenientOnCaseWhitespaceAndSeveralSolids) {
  const std::string text =
      "\xEF\xBB\xBF  SOLID  Part 1\r\n"
      "\tFacet Normal 0 0 -1\r\n"
      "  OUTER   LOOP\r\n"
      "    Vertex 0 0 0\r\n"
      "    VERTEX +1.0E+00 0 0\r\n"
      "    vertex 0 1e0 -0\r\n"
      "  ENDLOOP\r\n"
      "EndFacet\r\n"
      "endsolid Part 1\r\n"
      "\n"
      "solid second\n"
      "facet normal 0 0 1 outer loop vertex 0 0 1 vertex 1 0 1 vertex -0 .5 1 endloop endfacet\n"
      "facet normal 0 0 1 outer loop vertex -0 -0 -0 vertex 1 0 0 vertex 0 1 0 endloop endfacet\n"
      "endsolid\n";
  const TriangleMesh mesh = parse_stl(text, "lenient.stl");
  const std::vector<Point> vertices = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {1, 0, 1}, {0, 0.5, 1}};
  EXPECT_EQ(mesh.vertices, vertices);  // -0 and 0 weld into one vertex
  EXPECT_EQ(mesh.triangles, (std::vector<Triangle>{{0, 1, 2}, {3, 4, 5}, {0, 1, 2}}));
}

TEST(MeshIo, ObjFanTriangulatesPolygons) {
  const std::string text =
      "v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nv 0.5 1.5 0\n"
      "f 1 2 3 4\n"    // quad
      "f 1 2 3 5 4\n"  // pentagon
      "f 3 4 5\n";
  const TriangleMesh mesh = parse_obj(text, "fans.obj");
  EXPECT_EQ(mesh.vertices.size(), 5U);
  EXPECT_EQ(mesh.triangles,
            (std::vector<Triangle>{{0, 1, 2}, {0, 2, 3}, {0, 1, 2}, {0, 2, 4}, {0, 4, 3}, {2, 3, 4}}));
}

TEST(MeshIo, ObjIndexFormsNegativeIndicesAndIgnoredStatements) {
  const std::string text =
      "# exported by a tool\r\n"
      "mtllib part.mtl\r\n"
      "o part\r\n"
      "v 0 0 0\r\n"
      "v 1 0 0 1.0\r\n"             // w is ignored
      "v 1 1 0 0.5 0.25 0.125\r\n"  // so are vertex colours
      "v 0 1 0\r\n"
      "v\t0.5  1.5 0   # trailing comment\r\n"
      "vt 0 0\r\nvn 0 0 1\r\nvp 0.5\r\n"
      "g group\r\ns off\r\nusemtl red\r\n"
      "\r\n"
      "f 1/1/1 2/1/1 3/1/1 4/1/1\r\n"  // i/t/n quad
      "f 1//1 3//1 5//1\r\n"           // i//n
      "f 1/1 2/1 3/1\r\n"              // i/t
      "l 1 2\r\np 1\r\n"
      "f -5 -4/1 -3//1 -2/1/1 -1\r\n"  // relative indices, mixed forms, pentagon
      "f 2 3 \\\r\n"                   // continued on the next line
      "  4\r\n"
      "curv 0 1 1 2\r\n"  // an unknown statement
      "f 4 3 2";          // no final newline
  const TriangleMesh mesh = parse_obj(text, "forms.obj");
  EXPECT_EQ(mesh.vertices, (std::vector<Point>{{0, 0, 0}, {1, 0, 0}, {1, 1, 0}, {0, 1, 0}, {0.5, 1.5, 0}}));
  EXPECT_EQ(mesh.triangles, (std::vector<Triangle>{{0, 1, 2},
                                                   {0, 2, 3},
                                                   {0, 2, 4},
                                                   {0, 1, 2},
                                                   {0, 1, 2},
                                                   {0, 2, 3},
                                                   {0, 3, 4},
                                                   {1, 2, 3},
                                                   {3, 2, 1}}));
}

TEST(MeshIo, ClassicMacLineEndings) {
  // A lone CR ends a line: OBJ statements stay apart, and line numbers stay right.
  const TriangleMesh mesh = parse_obj("v 0 0 0\rv 1 0 0\rv 0 1 0\rf 1 2 3\r", "mac.obj");
  EXPECT_EQ(mesh.vertices.size(), 3U);
  EXPECT_EQ(mesh.triangles, (std::vector<Triangle>{{0, 1, 2}}));
  ExpectParseError("obj", "v 0 0 0\rv 1 0 0\r\n\rf 1 2 3\r", 4, "face refers to vertex 3");
  ExpectParseError("stl", "solid s\rfacet normal 0 0 1\r\nouter loop\rvertex 0 x 0\r", 4,
                   "non-numeric coordinate");
}

TEST(MeshIo, NumbersBeyondTheDoubleRange) {
  // Underflow is zero (a coordinate, not an error); overflow is infinite, reported as non-finite.
  const TriangleMesh mesh = parse_obj("v 1e-400 -1e-400 4.9e-324\nv 1 0 0\nv 0 1 0\nf 1 2 3\n", "tiny.obj");
  EXPECT_EQ(mesh.vertices[0][0], 0.0);
  EXPECT_EQ(mesh.vertices[0][1], 0.0);
  EXPECT_EQ(mesh.vertices[0][2], std::numeric_limits<double>::denorm_min());
  ExpectParseError("obj", "v 1 2 -1e400\n", 1, "vertex 1 has a non-finite coordinate (-inf)");
}

TEST(MeshIo, ObjFacesMayReferToVerticesDefinedLater) {
  const TriangleMesh mesh = parse_obj("f 1 2 3\nv 0 0 0\nv 1 0 0\nv 0 1 0\n", "forward.obj");
  EXPECT_EQ(mesh.triangles, (std::vector<Triangle>{{0, 1, 2}}));
}

TEST(MeshIo, ReadMeshTakesTheFormatFromTheExtensionInAnyCase) {
  ScratchDir dir;
  const TriangleMesh shape = octahedron(1.0);
  write_obj(dir.file("upper.OBJ"), shape);
  write_stl_binary(dir.file("mixed.Stl"), shape);
  EXPECT_EQ(read_mesh(dir.file("upper.OBJ")).triangles.size(), 8U);
  EXPECT_EQ(read_mesh(dir.file("mixed.Stl")).triangles.size(), 8U);
}

// ---------------------------------------------------------------------------------------------------
// What the readers reject, and how they say so.

TEST(MeshIoErrors, EmptyMeshes) {
  ExpectParseError("stl", binary_stl({}), 0, "the mesh has no triangles");
  ExpectParseError("stl", "solid empty\nendsolid empty\n", 0, "the mesh has no triangles");
  ExpectParseError("stl", "", 0, "the mesh has no triangles (the file is empty)");
  ExpectParseError("obj", "", 0, "the mesh has no triangles");
  ExpectParseError("obj", "# nothing\n\n", 0, "the mesh has no triangles");
  ExpectParseError("obj", "v 0 0 0\nv 1 0 0\nv 0 1 0\n", 0,
                   "the mesh has no triangles (3 vertices but no faces)");
}

TEST(MeshIoErrors, NonFiniteCoordinates) {
  const std::string facet_start = "solid s\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\n";
  ExpectParseError("stl", facet_start + "vertex 1 nan 0\nvertex 0 1 0\nendloop\nendfacet\nendsolid\n", 5,
                   "vertex 2 has a non-finite coordinate (nan)");
  ExpectParseError("stl", facet_start + "vertex 1 0 0\nvertex 0 1 -inf\nendloop\nendfacet\nendsolid\n", 6,
                   "vertex 3 has a non-finite coordinate (-inf)");
  ExpectParseError("stl", facet_start + "vertex 1e999 0 0\nvertex 0 1 0\nendloop\nendfacet\nendsolid\n", 5,
                   "vertex 2 has a non-finite coordinate (inf)");  // overflow
  ExpectParseError("obj", "v 0 0 0\nv 1 0 0\nv 0 NaN 0\nf 1 2 3\n", 3,
                   "vertex 3 has a non-finite coordinate (nan)");
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  ExpectParseError("stl", binary_stl({kFacet, {0, 0, 0, 1, 0, 0, 0, nan, 0}}), 0,
                   "vertex 3 of triangle 2 has a non-finite coordinate (nan)");
  ExpectParseError("stl", binary_stl({{inf, 0, 0, 1, 0, 0, 0, 1, 0}}), 0,
                   "vertex 1 of triangle 1 has a non-finite coordinate (inf)");
}

TEST(MeshIoErrors, BinaryStlSizeDisagreesWithTriangleCount) {
  const std::vector<std::array<float, 9>> twelve(12, kFacet);
  // Declares more triangles than the bytes hold: must not allocate or read for them.
  ExpectParseError("stl", binary_stl(twelve, "test", 13), 0,
                   "binary STL declares 13 triangles (734 bytes) but the file has 684 bytes");
  ExpectParseError(
      "stl", binary_stl(twelve, "test", 0xffffffffLL), 0,
      "binary STL declares 4294967295 triangles (214748364834 bytes) but the file has 684 bytes");
  ExpectParseError("stl", binary_stl(twelve, "test", 11), 0,
                   "binary STL declares 11 triangles (634 bytes) but the file has 684 bytes");
  // Truncated mid-facet.
  ExpectParseError("stl", binary_stl(twelve).substr(0, 600), 0,
                   "binary STL declares 12 triangles (684 bytes) but the file has 600 bytes");
  // A "solid" header does not turn a damaged binary file into a puzzling ASCII syntax error.
  ExpectParseError("stl", binary_stl(twelve, "solid part").substr(0, 650), 0,
                   "binary STL declares 12 triangles (684 bytes) but the file has 650 bytes");
  ExpectParseError("stl", "hello", 0, "too short for a binary STL (5 bytes, need at least 84)");
}

TEST(MeshIoErrors, AsciiStlStructure) {
  const std::string head =
      "solid s\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\nvertex 0 1 0\n";
  // Truncated files.
  ExpectParseError("stl", head, 6, "unexpected end of file, expected \"vertex\" or \"endloop\"");
  ExpectParseError("stl", head + "endloop\n", 7, "unexpected end of file, expected \"endfacet\"");
  ExpectParseError("stl", head + "endloop\nendfacet\n", 8,
                   "unexpected end of file, expected \"facet\" or \"endsolid\"");
  ExpectParseError("stl", "solid s\nfacet normal 0 0", 2,
                   "unexpected end of file, expected a normal component");
  // Facets that are not triangles.
  ExpectParseError("stl", head + "vertex 1 1 0\nendloop\nendfacet\nendsolid\n", 7,
                   "the facet at line 2 has more than 3 vertices");
  ExpectParseError("stl", "solid s\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\nendloop\n", 6,
                   "the facet at line 2 has 2 vertices");
  // Bad tokens.
  ExpectParseError("stl", "solid s\nfacet normal 0 0 1\nouter loop\nvertex 0 zero 0\n", 4,
                   "non-numeric coordinate \"zero\"");
  ExpectParseError("stl", "solid s\nfacet normal 0 0 1\nouter loop\nvertex 0 1.5x 0\n", 4,
                   "non-numeric coordinate \"1.5x\"");
  ExpectParseError("stl", "solid s\nfacet normal 0 up 1\n", 2, "non-numeric normal component \"up\"");
  ExpectParseError("stl", "solid s\nfacet normal 0 0 1\nouter lop\n", 3,
                   "expected \"loop\" but found \"lop\"");
  ExpectParseError("stl", "solid s\nfacets\n", 2, "expected \"facet\" or \"endsolid\" but found \"facets\"");
  ExpectParseError("stl", head + "endloop\nendfacet\nendsolid s\n\nfacet\n", 11,
                   "expected \"solid\" or the end of the file but found \"facet\"");
  // Unprintable bytes are escaped, long tokens cut.
  ExpectParseError("stl", "solid s\nfac\x01t\n", 2, "found \"fac\\x01t\"");
  ExpectParseError("stl", "solid s\n" + std::string(100, 'x') + "\n", 2,
                   "found \"" + std::string(40, 'x') + "...\"");
}

TEST(MeshIoErrors, ObjFaces) {
  const std::string three = "v 0 0 0\nv 1 0 0\nv 0 1 0\n";
  ExpectParseError("obj", three + "f 1 2 0\n", 4, "face vertex index 0 is invalid (OBJ indices start at 1)");
  ExpectParseError("obj", three + "f 1 2 3\n\nf 1 2 4\nf 1 2 3\n", 6,
                   "face refers to vertex 4 but the file defines only 3 vertices");
  ExpectParseError("obj", three + "f 1 2 99999999999999999999\n", 4,
                   "face vertex index \"99999999999999999999\" is out of range");
  ExpectParseError("obj", three + "f 1 2 -9223372036854775808\n", 4,
                   "face vertex index \"-9223372036854775808\" is out of range");
  ExpectParseError("obj", three + "f -1 -2 -4\n", 4,
                   "relative face vertex index -4 reaches before the first vertex (3 defined so far)");
  ExpectParseError("obj", three + "f 1 2\n", 4, "face has 2 vertices, needs at least 3");
  ExpectParseError("obj", three + "f\n", 4, "face has 0 vertices, needs at least 3");
  ExpectParseError("obj", three + "f 1 2 3/1/1/1\n", 4, "malformed face vertex \"3/1/1/1\"");
  ExpectParseError("obj", three + "f 1 2 x\n", 4, "malformed face vertex \"x\"");
  ExpectParseError("obj", three + "f 1 2 3/\n", 4, "malformed face vertex \"3/\"");
  // A continued statement reports its first line.
  ExpectParseError("obj", three + "f 1 \\\n2 \\\n0\n", 4, "face vertex index 0 is invalid");
}

TEST(MeshIoErrors, ObjVertices) {
  ExpectParseError("obj", "v 0 0 0\nv 1 abc 0\n", 2, "non-numeric coordinate \"abc\"");
  ExpectParseError("obj", "\r\n\r\nv 1 2\r\n", 3, "vertex needs 3 coordinates but has 2");
}

TEST(MeshIoErrors, ReadMeshFiles) {
  ScratchDir dir;
  const InputError ply = input_error([&] { (void)read_mesh(dir.file("part.ply")); });
  EXPECT_EQ(ply.where().file, dir.file("part.ply"));
  EXPECT_TRUE(Contains(ply.what(), "part.ply: unsupported mesh file extension \".ply\""));
  EXPECT_TRUE(Contains(ply.what(), ".stl"));
  EXPECT_TRUE(Contains(ply.what(), ".obj"));
  EXPECT_TRUE(Contains(input_error([&] { (void)read_mesh(dir.file("part")); }).what(), "extension (none)"));

  const std::string missing = dir.file("missing.stl");
  const InputError absent = input_error([&] { (void)read_mesh(missing); });
  EXPECT_EQ(absent.where().file, missing);
  EXPECT_TRUE(Contains(absent.what(), missing + ": cannot open mesh file: " + std::strerror(ENOENT)));

  fs::create_directory(dir.file("folder.obj"));
  EXPECT_TRUE(
      Contains(input_error([&] { (void)read_mesh(dir.file("folder.obj")); }).what(), std::strerror(EISDIR)));

  // Errors from the parsers name the path as given.
  write_bytes(dir.file("bad.obj"), "v 0 0 0\nf 1 1 0\n");
  EXPECT_TRUE(Contains(input_error([&] { (void)read_mesh(dir.file("bad.obj")); }).what(),
                       dir.file("bad.obj") + ":2: face vertex index 0"));
}

// ---------------------------------------------------------------------------------------------------
// Writers.

TEST(MeshIo, WritersReplaceAtomicallyAndReportFailures) {
  ScratchDir dir;
  const std::string path = dir.file("part.obj");
  write_bytes(path, "old");
  write_obj(path, octahedron(1.0));
  EXPECT_EQ(read_mesh(path).triangles.size(), 8U);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"part.obj"});

  const std::string nowhere = dir.file("no/such/dir/part.stl");
  try {
    write_stl_binary(nowhere, octahedron(1.0));
    ADD_FAILURE() << "no RuntimeFailure";
  } catch (const RuntimeFailure& e) {
    EXPECT_TRUE(Contains(e.what(), "cannot write " + nowhere + ": " + std::strerror(ENOENT)));
  }

  TriangleMesh bad_index = octahedron(1.0);
  bad_index.triangles[3][1] = 6;
  EXPECT_THROW(write_obj(dir.file("bad.obj"), bad_index), RuntimeFailure);
  TriangleMesh too_big = octahedron(1.0);
  too_big.vertices[0][0] = 1e300;
  EXPECT_THROW(write_stl_ascii(dir.file("big.stl"), too_big), RuntimeFailure);
  write_obj(dir.file("big.obj"), too_big);  // OBJ holds doubles
  TriangleMesh nan = octahedron(1.0);
  nan.vertices[2][1] = std::nan("");
  EXPECT_THROW(write_stl_binary(dir.file("nan.stl"), nan), RuntimeFailure);
  EXPECT_EQ(dir.entries().size(), 2U) << "nothing but part.obj and big.obj";
}

// ---------------------------------------------------------------------------------------------------
// Measures.

TEST(MeshIo, BoundsCoverAllVertices) {
  const MeshBounds b = mesh_bounds(box({-1, 2, -3}, {4, 5, 6}));
  EXPECT_EQ(b.lo, (Point{-1, 2, -3}));
  EXPECT_EQ(b.hi, (Point{3, 7, 3}));
  const MeshBounds empty = mesh_bounds(TriangleMesh{});
  EXPECT_GT(empty.lo[0], empty.hi[0]);
}

TEST(MeshIo, EnclosedVolumeIsSignedAndChecksIndices) {
  TriangleMesh mesh = box({1, 2, 3}, {2, 3, 4});
  EXPECT_NEAR(enclosed_volume(mesh), 24.0, 24e-15);
  for (auto& t : mesh.triangles) std::swap(t[1], t[2]);  // inside out
  EXPECT_NEAR(enclosed_volume(mesh), -24.0, 24e-15);
  EXPECT_EQ(enclosed_volume(TriangleMesh{}), 0.0);
  mesh.triangles[0][0] = -1;
  EXPECT_THROW(enclosed_volume(mesh), std::out_of_range);
}

TEST(MeshIo, EnclosedVolumeOfASphereConverges) {
  const double pi = std::acos(-1.0);
  const double r = 2.5;
  const double exact = 4.0 / 3.0 * pi * r * r * r;
  double previous_error = std::numeric_limits<double>::infinity();
  for (const int stacks : {8, 16, 32, 64, 128}) {
    const double volume = enclosed_volume(uv_sphere(r, stacks));
    const double error = (exact - volume) / exact;
    EXPECT_GT(error, 0.0) << "an inscribed polyhedron is smaller than its sphere";
    // Second order: halving the edge length quarters the error.
    if (stacks > 8) {
      EXPECT_NEAR(previous_error / error, 4.0, 0.1) << stacks;
    }
    previous_error = error;
  }
  EXPECT_LT(previous_error, 3e-4);  // 128 stacks: 32512 triangles
  // Far from the origin the volume is as accurate as at it.
  const double here = enclosed_volume(uv_sphere(r, 64));
  const double far = enclosed_volume(uv_sphere(r, 64, {1e7, -3e7, 2e7}));
  EXPECT_NEAR(far, here, 1e-8 * here);
}

}  // namespace
}  // namespace cyto
