// Geometry from files: the winding-number voxeliser (accuracy, robustness to
// mesh defects), meshes and label maps in scenarios (placement, priority,
// grid from geometry, bad input), and the real organs of ../shared/data.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "host/geometry/geometry.hpp"
#include "host/geometry/geometry_description.hpp"
#include "host/geometry/label_volume.hpp"
#include "host/geometry/mesh_io.hpp"
#include "host/geometry/organ_mesh.hpp"
#include "host/geometry/voxelise.hpp"
#include "host/scenario/config.hpp"

namespace cyto {
namespace {

namespace fs = std::filesystem;

std::vector<Triangle3> triangles_of(const TriangleMesh& m) {
  std::vector<Triangle3> t(m.triangles.size());
  for (std::size_t i = 0; i < t.size(); ++i)
    for (int v = 0; v < 3; ++v) t[i][v] = m.vertices[std::size_t(m.triangles[i][v])];
  return t;
}

DenseGrid cube_grid(double lo, double h, int n) {
  DenseGrid g;
  g.nx = g.ny = g.nz = n;
  g.origin = {lo, lo, lo};
  g.spacing = {h, h, h};
  return g;
}

std::int64_t count(const std::vector<std::uint8_t>& v) { return std::count(v.begin(), v.end(), 1); }

// A scratch directory per test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::temp_directory_path() /
            (std::string("cytostorm-geometry-") + info->test_suite_name() + "-" + info->name());
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(file(name), std::ios::binary) << text;
    return file(name);
  }

 private:
  fs::path path_;
};

std::string shared_data() { return std::string(CYTOSTORM_SOURCE_DIR) + "/../shared/data"; }

#define SKIP_WITHOUT_SHARED_DATA(relative)       \
  if (!fs::exists(shared_data() + "/" relative)) \
  GTEST_SKIP() << "../shared/data/" relative " not found (real organ data lives outside the repository)"

// ---- the winding number itself ----

TEST(WindingNumber, FastAgreesWithExactToWellUnderTheInsideThreshold) {
  const WindingNumberTree tree(make_icosphere(4, 1.0, {0, 0, 0}));
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(-1.6, 1.6);
  double worst = 0;
  for (int n = 0; n < 2000; ++n) {
    const Point3 p{u(rng), u(rng), u(rng)};
    worst = std::max(worst, std::abs(tree.winding_number(p) - tree.exact_winding_number(p)));
  }
  // The dipole clusters are accurate to well below the 1/2 threshold that
  // decides inside (measured worst 0.042 with the opening distance 2).
  EXPECT_LT(worst, 0.1);
  EXPECT_NEAR(tree.exact_winding_number({0.1, -0.2, 0.3}), 1.0, 1e-12);
  EXPECT_NEAR(tree.exact_winding_number({1.5, 0, 0}), 0.0, 1e-12);
}

TEST(WindingNumber, InwardOrientedSurfaceIsMinusOneInside) {
  TriangleMesh m = make_icosphere(2, 1.0, {0, 0, 0});
  for (auto& t : m.triangles) std::swap(t[1], t[2]);
  const WindingNumberTree tree(m);
  EXPECT_NEAR(tree.exact_winding_number({0.2, 0.1, 0}), -1.0, 1e-12);
  EXPECT_NEAR(tree.winding_number({0.2, 0.1, 0}), -1.0, 0.1);
  const auto inside = voxelise_surface(tree, cube_grid(-1.2, 0.1, 24));
  EXPECT_GT(count(inside), 3000);  // |w| > 1/2 counts: 4/3 pi / 0.001 = 4189 voxels
}

// ---- accuracy of voxelisation ----

// Voxel volume of a sphere (a 327,680-triangle geodesic polyhedron, volume
// 4/3 pi r^3 to 3e-5) at three voxel sizes, each the RMS over 64 random
// offsets of the grid against the sphere (one offset alone is dominated by
// lattice luck; the RMS falls like h^2, measured orders 1.7-2.2). The error
// must fall at least like h.
TEST(Voxelise, SphereVolumeConvergesToFourThirdsPiRCubed) {
  const double r = 1.0;
  const WindingNumberTree tree(make_icosphere(7, r, {0, 0, 0}));
  const double exact = 4.0 / 3.0 * M_PI * r * r * r;
  std::mt19937 rng(2026);
  std::uniform_real_distribution<double> offset(0.0, 1.0);
  std::vector<double> h_values, rms_errors;
  for (const int per_radius : {4, 8, 16}) {
    const double h = r / per_radius;
    const int n = 2 * per_radius + 4;
    double sum_squares = 0;
    constexpr int kOffsets = 64;
    for (int trial = 0; trial < kOffsets; ++trial) {
      DenseGrid g = cube_grid(0, h, n);
      for (int a = 0; a < 3; ++a) g.origin[a] = -(per_radius + 2) * h + offset(rng) * h;
      const double volume = double(count(voxelise_surface(tree, g))) * h * h * h;
      sum_squares += std::pow((volume - exact) / exact, 2);
    }
    h_values.push_back(h);
    rms_errors.push_back(std::sqrt(sum_squares / kOffsets));
  }
  for (std::size_t i = 1; i < h_values.size(); ++i) {
    const double order =
        std::log(rms_errors[i - 1] / rms_errors[i]) / std::log(h_values[i - 1] / h_values[i]);
    std::printf("sphere r/h = %.0f: rms relative volume error %.3e (order %.2f)\n", r / h_values[i],
                rms_errors[i], order);
    EXPECT_GE(order, 1.0) << "r/h " << r / h_values[i - 1] << " -> " << r / h_values[i];
  }
  EXPECT_LT(rms_errors.back(), 2e-3);
}

// A mesh with 1% of its triangles deleted (holes) and another 1% flipped:
// the generalised winding number gives the same voxels to within 0.5%.
TEST(Voxelise, HolesAndFlippedTrianglesChangeUnderHalfAPercentOfVoxels) {
  const TriangleMesh sphere = make_icosphere(5, 1.0, {0.013, -0.021, 0.007});
  std::vector<Triangle3> clean = triangles_of(sphere);
  std::vector<Triangle3> damaged;
  std::mt19937 rng(5);
  std::vector<std::size_t> order(clean.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  const std::size_t one_percent = clean.size() / 100;
  std::vector<std::uint8_t> fate(clean.size(), 0);  // 1 deleted, 2 flipped
  for (std::size_t i = 0; i < one_percent; ++i) fate[order[i]] = 1;
  for (std::size_t i = one_percent; i < 2 * one_percent; ++i) fate[order[i]] = 2;
  for (std::size_t t = 0; t < clean.size(); ++t) {
    if (fate[t] == 1) continue;
    Triangle3 tri = clean[t];
    if (fate[t] == 2) std::swap(tri[1], tri[2]);
    damaged.push_back(tri);
  }
  // Duplicated triangles, too: they must not open holes either.
  for (std::size_t i = 2 * one_percent; i < 3 * one_percent; ++i) damaged.push_back(clean[order[i]]);
  const DenseGrid g = cube_grid(-1.1, 1.0 / 32, 71);
  const auto reference = voxelise_surface(WindingNumberTree(clean), g);
  const auto result = voxelise_surface(WindingNumberTree(damaged), g);
  std::int64_t differ = 0;
  for (std::size_t i = 0; i < reference.size(); ++i) differ += reference[i] != result[i];
  const double fraction = double(differ) / double(count(reference));
  std::printf("1%% deleted + 1%% flipped + 1%% duplicated: %lld of %lld voxels differ (%.3f%%)\n",
              static_cast<long long>(differ), static_cast<long long>(count(reference)), 100 * fraction);
  EXPECT_LT(fraction, 0.005);
  EXPECT_GT(count(reference), 100000);
}

TEST(Voxelise, BlockShortcutGivesTheVoxelByVoxelAnswer) {
  // The lobed organ (non-convex, with fillets) on a grid that does not align
  // with the 4-voxel blocks: every voxel is compared with a direct evaluation.
  const WindingNumberTree tree(make_lobed_organ(3));
  DenseGrid g;
  g.nx = 47;
  g.ny = 39;
  g.nz = 23;
  g.origin = {-2.6, -2.0, -1.1};
  g.spacing = {0.11, 0.1, 0.1};
  const auto fast = voxelise_surface(tree, g);
  std::int64_t mismatches = 0;
  for (int k = 0; k < g.nz; ++k)
    for (int j = 0; j < g.ny; ++j)
      for (int i = 0; i < g.nx; ++i) {
        const Point3 p = {g.origin[0] + (i + 0.5) * g.spacing[0], g.origin[1] + (j + 0.5) * g.spacing[1],
                          g.origin[2] + (k + 0.5) * g.spacing[2]};
        const std::uint8_t direct = std::abs(tree.exact_winding_number(p)) > 0.5;
        mismatches += direct != fast[std::size_t(i + g.nx * (j + std::int64_t(g.ny) * k))];
      }
  EXPECT_EQ(mismatches, 0);
  EXPECT_GT(count(fast), 5000);
}

// ---- meshes and label maps in scenarios ----

std::string species_time_output() {
  return "species: [{name: TNF, diffusion: 100 um^2/min}]\n"
         "time: {end: 1 min}\n"
         "output: {interval: 1 min}\n";
}

TEST(GeometryFiles, ObjAndStlOfTheSameShapeGiveIdenticalLabels) {
  TempDir dir;
  TriangleMesh organ = make_lobed_organ(3);
  // Float-representable coordinates, so that binary STL (float32) and OBJ
  // (decimal) hold the same numbers.
  for (auto& v : organ.vertices)
    for (double& x : v) x = double(float(x));
  write_stl_binary(dir.file("organ.stl"), organ);
  write_obj(dir.file("organ.obj"), organ);
  const auto labels_of = [&](const std::string& mesh_file) {
    const std::string yaml =
        "name: t\n"
        "grid: {voxel: 60 um, padding: 2}\n"
        "tissues: [{name: liver, label: 1}]\n"
        "geometry: [{tissue: liver, mesh: {file: " +
        mesh_file + ", units: mm}}]\n" + species_time_output();
    const Scenario s = load_scenario(dir.write("s.yaml", yaml));
    return rasterise_tissues(s);
  };
  const TissueMap from_stl = labels_of("organ.stl");
  const TissueMap from_obj = labels_of("organ.obj");
  EXPECT_EQ(from_stl.grid.nx, from_obj.grid.nx);
  EXPECT_EQ(from_stl.tissue, from_obj.tissue);
  EXPECT_GT(from_stl.tissue_voxels, 20000);
}

TEST(GeometryFiles, GridFromGeometryPadsTheBoundingBoxAndPlacementMovesTheMesh) {
  TempDir dir;
  write_stl_binary(dir.file("ball.stl"), make_icosphere(4, 2.0, {10, 20, 30}));  // mm, radius 2
  const std::string yaml =
      "name: t\n"
      "grid: {voxel: 0.125 mm, padding: 3}\n"
      "tissues: [{name: liver, label: 1}]\n"
      "geometry: [{tissue: liver, mesh: {file: ball.stl, units: mm, scale: 0.5, "
      "rotate: [0, 0, 90 deg], translate: [1 mm, 0, 0]}}]\n" +
      species_time_output();
  const Scenario s = load_scenario(dir.write("s.yaml", yaml));
  // The scenario names the file; its grid is sized once the file is read.
  EXPECT_TRUE(s.grid.from_geometry);
  EXPECT_EQ(s.geometry[0].mesh.file, dir.file("ball.stl"));
  EXPECT_EQ(s.grid.extent, (Vec3{0, 0, 0}));
  const PlacedGeometry g = load_geometry(s);
  // Scaled by 0.5 about the file origin, rotated about z (x -> y, y -> -x),
  // translated by 1 mm in x: centre (1 - 10, 5, 15) mm, radius 1 mm.
  const double mm = 1e-3;
  EXPECT_NEAR(g.grid.origin[0], (-9 - 1 - 0.375) * mm, 1e-9);
  EXPECT_NEAR(g.grid.origin[1], (5 - 1 - 0.375) * mm, 1e-9);
  EXPECT_NEAR(g.grid.origin[2], (15 - 1 - 0.375) * mm, 1e-9);
  EXPECT_NEAR(g.grid.extent[0], (2 + 0.75) * mm, 1e-6 * mm);
  const TissueMap map = rasterise_tissues(s, g);
  EXPECT_EQ(map.grid.nx, 22);
  const double volume = double(map.tissue_voxels) * std::pow(0.125 * mm, 3);
  EXPECT_NEAR(volume / (4.0 / 3.0 * M_PI * mm * mm * mm), 1.0, 0.03);
  EXPECT_NEAR(g.items[0].mesh->enclosed_volume / (4.0 / 3.0 * M_PI * mm * mm * mm), 1.0, 0.01);
  // The item's box is the placed mesh's.
  EXPECT_NEAR(g.items[0].bounds.lo[0], -10 * mm, 1e-9);
  EXPECT_NEAR(g.items[0].bounds.hi[2], 16 * mm, 1e-9);
  // The convenience overload loads the same geometry.
  EXPECT_EQ(rasterise_tissues(s).tissue, map.tissue);
}

TEST(GeometryFiles, PriorityDecidesWhereMeshesOverlap) {
  TempDir dir;
  write_obj(dir.file("a.obj"), make_icosphere(3, 1.0, {0, 0, 0}));
  write_obj(dir.file("b.obj"), make_icosphere(3, 1.0, {1.0, 0, 0}));
  const auto paint = [&](const std::string& priority_a) {
    const std::string yaml =
        "name: t\n"
        "grid: {voxel: 0.1 mm, padding: 1}\n"
        "tissues: [{name: liver, label: 1}, {name: spleen, label: 2}]\n"
        "geometry:\n"
        "  - {tissue: liver, mesh: {file: a.obj, units: mm}" +
        priority_a +
        "}\n"
        "  - {tissue: spleen, mesh: {file: b.obj, units: mm}}\n" +
        species_time_output();
    return rasterise_tissues(load_scenario(dir.write("s.yaml", yaml)));
  };
  const TissueMap later_wins = paint("");
  const TissueMap a_wins = paint(", priority: 1");
  // The lens x in (0, 1) mm belongs to spleen by order, to liver by priority.
  EXPECT_GT(later_wins.voxel_count[1], later_wins.voxel_count[0]);
  EXPECT_GT(a_wins.voxel_count[0], a_wins.voxel_count[1]);
  EXPECT_EQ(later_wins.voxel_count[0] + later_wins.voxel_count[1],
            a_wins.voxel_count[0] + a_wins.voxel_count[1]);
}

// A NIfTI written by the test, rotated and anisotropic: a labelled block
// lands where its affine says, on a grid of a different spacing.
TEST(GeometryFiles, NiftiLabelMapIsPlacedByItsAffineAndResampledByNearestLabel) {
  TempDir dir;
  LabelVolume v;
  v.dims = {20, 10, 8};
  // Voxel (i,j,k) centre at (30 - 1.0 j, 2 + 0.5 i, -4 + 2 k) mm: a 90 degree
  // rotation about z, spacing 0.5 x 1 x 2 mm.
  v.index_to_world = {0, -1e-3, 0, 30e-3, 0.5e-3, 0, 0, 2e-3, 0, 0, 2e-3, -4e-3};
  v.labels.assign(20 * 10 * 8, 0);
  // Label 7 on i in [4, 12), j in [2, 6), k in [1, 5).
  for (int k = 1; k < 5; ++k)
    for (int j = 2; j < 6; ++j)
      for (int i = 4; i < 12; ++i) v.labels[std::size_t(i + 20 * (j + 10 * k))] = 7;
  v.labels[0] = 3;  // an unmapped label: ignored
  write_nifti(dir.file("labels.nii.gz"), v, 4);
  const std::string yaml =
      "name: t\n"
      "grid: {voxel: 0.25 mm, padding: 0}\n"
      "tissues: [{name: tumour, label: 1}]\n"
      "geometry: [{volume: {file: labels.nii.gz, labels: {7: tumour}}}]\n" +
      species_time_output();
  const Scenario s = load_scenario(dir.write("s.yaml", yaml));
  const PlacedGeometry g = load_geometry(s);
  const TissueMap map = rasterise_tissues(s, g);
  // World box of the block: x = 30 - j from 30 - 5.5 to 30 - 1.5 mm, y = 2 + 0.5 i
  // from 3.75 to 7.75 mm, z = -4 + 2 k from -3 to 5 mm.
  const double mm = 1e-3;
  EXPECT_NEAR(g.grid.origin[0], 24.5 * mm, 1e-9);
  EXPECT_NEAR(g.grid.origin[1], 3.75 * mm, 1e-9);
  EXPECT_NEAR(g.grid.origin[2], -3.0 * mm, 1e-9);
  EXPECT_EQ(map.grid.nx, 16);
  EXPECT_EQ(map.grid.ny, 16);
  EXPECT_EQ(map.grid.nz, 32);
  // Every voxel of the grid lies in the block: the box is the block.
  EXPECT_EQ(map.tissue_voxels, map.grid.voxels());
  // The block's volume in the file and on the grid agree exactly here.
  EXPECT_EQ(g.items[0].volume->source_voxels[0], 8 * 4 * 4);
  EXPECT_NEAR(double(map.tissue_voxels) * std::pow(0.25 * mm, 3), 8 * 4 * 4 * 0.5 * 1 * 2 * std::pow(mm, 3),
              1e-15);
}

// ---- bad input, each with the YAML position ----

std::string error_of(const std::string& yaml_path) {
  try {
    rasterise_tissues(load_scenario(yaml_path));
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

TEST(GeometryFiles, BadMeshesAndVolumesAreOneClearErrorAtTheirYamlKey) {
  TempDir dir;
  write_stl_binary(dir.file("far.stl"), make_icosphere(2, 1.0, {100, 100, 100}));
  const auto scenario_with = [&](const std::string& geometry, const std::string& grid) {
    return dir.write("s.yaml", "name: t\ngrid: " + grid +
                                   "\ntissues: [{name: liver, label: 1}]\ngeometry: [" + geometry + "]\n" +
                                   species_time_output());
  };
  const std::string box_grid = "{extent: [5 mm, 5 mm, 5 mm], voxel: 0.5 mm}";
  std::string e = error_of(scenario_with("{tissue: liver, mesh: {file: far.stl, units: mm}}", box_grid));
  EXPECT_NE(e.find("s.yaml:4:"), std::string::npos) << e;
  EXPECT_NE(e.find("lies outside the grid"), std::string::npos) << e;

  e = error_of(scenario_with("{tissue: liver, mesh: {file: missing.stl}}", box_grid));
  EXPECT_NE(e.find("geometry[0].mesh.file"), std::string::npos) << e;
  EXPECT_NE(e.find("cannot find \"missing.stl\""), std::string::npos) << e;

  dir.write("empty.obj", "# nothing\n");
  e = error_of(scenario_with("{tissue: liver, mesh: {file: empty.obj}}", box_grid));
  EXPECT_NE(e.find("geometry[0].mesh.file"), std::string::npos) << e;
  EXPECT_NE(e.find("no triangles"), std::string::npos) << e;

  dir.write("nan.obj", "v 0 0 0\nv 1 0 nan\nv 0 1 0\nf 1 2 3\n");
  e = error_of(scenario_with("{tissue: liver, mesh: {file: nan.obj}}", box_grid));
  EXPECT_NE(e.find("nan.obj:2"), std::string::npos) << e;

  e = error_of(scenario_with("{tissue: liver, mesh: {file: far.stl, units: furlong}}", box_grid));
  EXPECT_NE(e.find("geometry[0].mesh.units"), std::string::npos) << e;

  e = error_of(scenario_with("{tissue: liver, mesh: {file: far.stl}, sphere: {center: [0, 0, 0], radius: 1}}",
                             box_grid));
  EXPECT_NE(e.find("expected exactly one of a shape, a mesh or a volume, found a mesh and a shape"),
            std::string::npos)
      << e;

  // A label map with no label that the YAML names.
  LabelVolume v;
  v.dims = {4, 4, 4};
  v.index_to_world = {1e-3, 0, 0, 0, 0, 1e-3, 0, 0, 0, 0, 1e-3, 0};
  v.labels.assign(64, 2);
  write_nifti(dir.file("v.nii"), v, 2);
  e = error_of(scenario_with("{volume: {file: v.nii, labels: {5: liver}}}", "{voxel: 1 mm}"));
  EXPECT_NE(e.find("geometry[0].volume.labels"), std::string::npos) << e;
  EXPECT_NE(e.find("label 5 not found"), std::string::npos) << e;
  EXPECT_NE(e.find("labels 2"), std::string::npos) << e;

  // A truncated NIfTI.
  {
    std::ifstream in(dir.file("v.nii"), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    dir.write("cut.nii", bytes.substr(0, bytes.size() - 10));
  }
  e = error_of(scenario_with("{volume: {file: cut.nii, labels: {2: liver}}}", "{voxel: 1 mm}"));
  EXPECT_NE(e.find("geometry[0].volume.file"), std::string::npos) << e;
  EXPECT_NE(e.find("truncated"), std::string::npos) << e;

  e = error_of(scenario_with("{volume: {file: v.nii, labels: {2: lung}}}", "{voxel: 1 mm}"));
  EXPECT_NE(e.find("lung"), std::string::npos) << e;
}

// The scenario is data: loading it checks the YAML and that the named files
// exist, not what they hold. load_geometry reads them and reports their
// defects at the YAML key that names them, as one error.
TEST(GeometryFiles, TheScenarioNamesFilesAndLoadGeometryReadsThem) {
  TempDir dir;
  dir.write("empty.obj", "# nothing\n");
  const std::string path =
      dir.write("s.yaml",
                "name: t\n"
                "grid: {extent: [5 mm, 5 mm, 5 mm], voxel: 0.5 mm}\n"
                "tissues: [{name: liver, label: 1}]\n"
                "geometry: [{tissue: liver, mesh: {file: empty.obj, units: mm, translate: [1 mm, 0, 0]}}]\n" +
                    species_time_output());
  const Scenario s = load_scenario(path);
  ASSERT_EQ(s.geometry[0].kind, GeometryKind::Surface);
  EXPECT_EQ(s.geometry[0].mesh.file, dir.file("empty.obj"));
  EXPECT_DOUBLE_EQ(s.geometry[0].mesh.placement.unit, 1e-3);
  EXPECT_DOUBLE_EQ(s.geometry[0].mesh.placement.translation[0], 1e-3);
  EXPECT_EQ(s.geometry[0].mesh.where.file, path);
  EXPECT_EQ(s.geometry[0].mesh.where.line, 4);
  EXPECT_EQ(s.geometry[0].mesh.where.key_path, "geometry[0].mesh.file");
  try {
    load_geometry(s);
    ADD_FAILURE() << "an empty mesh was accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.where().file, path);
    EXPECT_EQ(e.where().line, 4);
    EXPECT_EQ(e.where().key_path, "geometry[0].mesh.file");
    EXPECT_NE(e.detail().find("no triangles"), std::string::npos) << e.detail();
  }
  // A --set file is reported at the override.
  const Scenario changed = load_scenario(path, {"geometry[0].mesh.file=empty.obj"});
  try {
    load_geometry(changed);
    ADD_FAILURE() << "an empty mesh was accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.where().file, "--set geometry[0].mesh.file=empty.obj");
  }
}

// The scenario's own description names the files; with the placed
// geometry it gives the resolved grid and what each file holds.
TEST(GeometryFiles, DescriptionWithAndWithoutTheFiles) {
  TempDir dir;
  write_obj(dir.file("ball.obj"), make_icosphere(1, 1.0, {0, 0, 0}));  // 80 triangles, 42 vertices
  const Scenario s =
      load_scenario(dir.write("s.yaml",
                              "name: t\n"
                              "grid: {voxel: 0.25 mm, padding: 2}\n"
                              "tissues: [{name: liver, label: 1}]\n"
                              "geometry: [{tissue: liver, mesh: {file: ball.obj, units: mm}}]\n" +
                                  species_time_output()));
  const std::string named = describe_scenario(s);
  EXPECT_NE(named.find("1. liver: mesh " + dir.file("ball.obj") + "\n"), std::string::npos) << named;
  EXPECT_EQ(named.find("origin"), std::string::npos) << named;
  EXPECT_NE(named.find("sized from the geometry's bounding box, padded by 2 voxels"), std::string::npos);
  const std::string placed = describe_scenario(s, load_geometry(s));
  EXPECT_NE(placed.find("1. liver: mesh " + dir.file("ball.obj") + " (80 triangles, 42 vertices)\n"),
            std::string::npos)
      << placed;
  EXPECT_NE(placed.find("  origin ("), std::string::npos) << placed;
  EXPECT_NE(placed.find("sized from the geometry's bounding box, padded by 2 voxels"), std::string::npos);
  EXPECT_NE(placed.find("Species (1)"), std::string::npos);
}

// On a grid sized from the geometry, the shapes of sources and initial
// values are checked once the files give the grid, with the reader's message.
TEST(GeometryFiles, ShapesMustLieInsideAGridSizedFromTheFiles) {
  TempDir dir;
  write_obj(dir.file("ball.obj"), make_icosphere(2, 1.0, {0, 0, 0}));
  const auto scenario_with = [&](const std::string& source_centre) {
    return load_scenario(dir.write("s.yaml",
                                   "name: t\n"
                                   "grid: {voxel: 0.25 mm, padding: 2}\n"
                                   "tissues: [{name: liver, label: 1}]\n"
                                   "geometry: [{tissue: liver, mesh: {file: ball.obj, units: mm}}]\n"
                                   "species: [{name: TNF, diffusion: 100 um^2/min}]\n"
                                   "sources: [{species: TNF, rate: 1, sphere: {center: " +
                                       source_centre +
                                       ", radius: 0.5 mm}}]\n"
                                       "time: {end: 1 min}\n"
                                       "output: {interval: 1 min}\n"));
  };
  const Scenario inside = scenario_with("[0, 0, 0]");
  EXPECT_NO_THROW(load_geometry(inside));
  const Scenario outside = scenario_with("[3 mm, 0, 0]");  // the grid ends at x = 1.5 mm
  try {
    load_geometry(outside);
    ADD_FAILURE() << "a source outside the grid was accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.where().line, 6);
    EXPECT_EQ(e.where().key_path, "sources[0].sphere");
    EXPECT_EQ(e.detail(),
              "shape extends outside the grid: x from 2.5 mm to 3.5 mm, grid x from -1.5 mm to 1.5 mm");
  }
}

// ---- the real organs (../shared/data) ----

double voxelised_volume_ml(const std::string& stl) {
  TempDir dir;
  const std::string yaml =
      "name: t\n"
      "grid: {voxel: 1 mm, padding: 1}\n"
      "tissues: [{name: organ, label: 1}]\n"
      "geometry: [{tissue: organ, mesh: {file: " +
      stl + ", units: m}}]\n" + species_time_output();
  const Scenario s = load_scenario(dir.write("s.yaml", yaml));
  const TissueMap map = rasterise_tissues(s);
  return double(map.tissue_voxels) * 1e-3;  // 1 mm^3 = 1e-3 mL
}

TEST(RealOrgans, LiverVoxelisesToItsEnclosedVolumeAtOneMillimetre) {
  SKIP_WITHOUT_SHARED_DATA("surfaces/hra_VH_F_liver_closed.stl");
  const std::string path = shared_data() + "/surfaces/hra_VH_F_liver_closed.stl";
  const TriangleMesh mesh = read_mesh(path);
  EXPECT_EQ(mesh.triangles.size(), 35898u);
  EXPECT_NEAR(enclosed_volume(mesh) * 1e6, 2138.2, 0.05);  // m^3 -> mL, MANIFEST figure
  const double ml = voxelised_volume_ml(path);
  std::printf("liver: %.1f mL voxelised at 1 mm, %.1f mL enclosed (%+.3f%%)\n", ml, 2138.2,
              100 * (ml / 2138.2 - 1));
  EXPECT_NEAR(ml / 2138.2, 1.0, 0.02);
}

TEST(RealOrgans, SpleenVoxelisesToItsEnclosedVolumeAtOneMillimetre) {
  SKIP_WITHOUT_SHARED_DATA("surfaces/hra_VH_M_spleen_closed.stl");
  const std::string path = shared_data() + "/surfaces/hra_VH_M_spleen_closed.stl";
  EXPECT_NEAR(enclosed_volume(read_mesh(path)) * 1e6, 229.9, 0.05);
  const double ml = voxelised_volume_ml(path);
  std::printf("spleen: %.1f mL voxelised at 1 mm, %.1f mL enclosed (%+.3f%%)\n", ml, 229.9,
              100 * (ml / 229.9 - 1));
  EXPECT_NEAR(ml / 229.9, 1.0, 0.02);
}

TEST(RealOrgans, FrogVolumeLoadsItsFifteenLabelsWithTheListedCounts) {
  SKIP_WITHOUT_SHARED_DATA("volumes/frog/frogtissue.mhd");
  TempDir dir;
  const std::vector<std::pair<int, std::string>> organs = {
      {1, "blood"}, {2, "brain"},  {3, "duodenum"},  {4, "eye_retina"},  {5, "eye_white"},
      {6, "heart"}, {7, "ileum"},  {8, "kidney"},    {9, "l_intestine"}, {10, "liver"},
      {11, "lung"}, {12, "nerve"}, {13, "skeleton"}, {14, "spleen"},     {15, "stomach"}};
  const std::vector<std::int64_t> counts = {35279, 19172,  38129, 37146, 16085,  37030, 27807, 39181,
                                            51297, 204672, 47626, 24263, 440722, 3891,  133880};
  std::string tissues, labels;
  for (const auto& [label, name] : organs) {
    tissues += fmt::format("{}{{name: {}, label: {}}}", tissues.empty() ? "" : ", ", name, label);
    labels += fmt::format("{}{}: {}", labels.empty() ? "" : ", ", label, name);
  }
  // The original header (wrong CompressedDataSize), on the file's own grid.
  const std::string yaml =
      "name: frog\n"
      "grid: {voxel: [1 mm, 1 mm, 1.5 mm], padding: 0}\n"
      "tissues: [" +
      tissues +
      "]\n"
      "geometry: [{volume: {file: " +
      shared_data() + "/volumes/frog/frogtissue.mhd, labels: {" + labels + "}}}]\n" + species_time_output();
  const Scenario s = load_scenario(dir.write("s.yaml", yaml));
  const PlacedGeometry g = load_geometry(s);
  const PlacedVolume& v = *g.items[0].volume;
  EXPECT_EQ(v.volume.dims, (std::array<int, 3>{500, 470, 136}));
  ASSERT_EQ(s.geometry[0].volume.labels.size(), 15u);
  ASSERT_EQ(v.source_voxels.size(), 15u);
  for (std::size_t i = 0; i < 15; ++i) EXPECT_EQ(v.source_voxels[i], counts[i]) << organs[i].second;
  bool noted = false;
  for (const std::string& note : v.volume.notes)
    noted |= note.find("CompressedDataSize") != std::string::npos;
  EXPECT_TRUE(noted) << "the header defect is reported";
  // Same spacing, aligned voxel centres: resampling is the identity on every label.
  const TissueMap map = rasterise_tissues(s, g);
  for (std::size_t i = 0; i < 15; ++i) EXPECT_EQ(map.voxel_count[i], counts[i]) << organs[i].second;
}

}  // namespace
}  // namespace cyto
