// One world frame for every geometry format: LPS (+x left, +y posterior,
// +z superior; DICOM, ITK, MetaImage). NIfTI stores RAS, so a label map
// written as NIfTI and the same map as MetaImage (as ITK converts between
// them) must land on exactly the same voxels, whatever their orientation.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "host/geometry/geometry.hpp"
#include "host/geometry/label_volume.hpp"
#include "host/geometry/placed_geometry.hpp"
#include "host/scenario/config.hpp"

namespace cyto {
namespace {

namespace fs = std::filesystem;

class WorldFrame : public ::testing::Test {
 public:
  void SetUp() override {
    dir_ =
        fs::path(::testing::TempDir()) /
        ("cytostorm_frame_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  void write(const std::string& name, const std::string& bytes) const {
    std::ofstream(path(name), std::ios::binary) << bytes;
  }
  fs::path dir_;
};

constexpr int kNx = 7, kNy = 5, kNz = 4;

// Labels with no symmetry: a block of 3 in one corner, an L of 5, 0 elsewhere.
std::vector<std::int32_t> asymmetric_labels() {
  std::vector<std::int32_t> labels(kNx * kNy * kNz, 0);
  for (int k = 0; k < kNz; ++k)
    for (int j = 0; j < kNy; ++j)
      for (int i = 0; i < kNx; ++i) {
        std::int32_t& l = labels[std::size_t(i + kNx * (j + kNy * k))];
        if (i < 3 && j < 2 && k < 3) l = 3;
        if ((i >= 4 && j == 4) || (i == 6 && j >= 2 && k >= 1)) l = 5;
      }
  return labels;
}

using Matrix = std::array<double, 12>;  // row-major 3x4, mm

// A rotation about an oblique axis (30 deg about z after 20 deg about x),
// spacing 0.9 x 1.3 x 1.7 mm, origin (12, -31, 7) mm: RAS, as in a NIfTI file.
Matrix ras_sform_mm() {
  const double a = 30 * M_PI / 180, b = 20 * M_PI / 180;
  const double r[3][3] = {{std::cos(a), -std::sin(a) * std::cos(b), std::sin(a) * std::sin(b)},
                          {std::sin(a), std::cos(a) * std::cos(b), -std::cos(a) * std::sin(b)},
                          {0, std::sin(b), std::cos(b)}};
  const double spacing[3] = {0.9, 1.3, 1.7}, origin[3] = {12, -31, 7};
  Matrix m{};
  for (int row = 0; row < 3; ++row) {
    for (int col = 0; col < 3; ++col) m[4 * row + col] = static_cast<float>(r[row][col] * spacing[col]);
    m[4 * row + 3] = origin[row];
  }
  return m;
}

template <typename T>
void put(std::string& out, std::size_t offset, T value) {
  std::memcpy(out.data() + offset, &value, sizeof value);  // little-endian hosts, as the suite runs on
}

// A NIfTI-1 file written byte by byte (not by the project's writer): uint8
// labels, mm, and either the sform or (sform_code 0) a qform of a rotation
// about z by `qform_angle` with the sform's spacing and origin.
std::string nifti_bytes(const Matrix& sform, bool use_qform, double qform_angle) {
  std::string h(352, '\0');
  put<std::int32_t>(h, 0, 348);
  const std::int16_t dim[8] = {3, kNx, kNy, kNz, 1, 1, 1, 1};
  for (int d = 0; d < 8; ++d) put<std::int16_t>(h, 40 + 2 * d, dim[d]);
  put<std::int16_t>(h, 70, 2);
  put<std::int16_t>(h, 72, 8);
  put<float>(h, 76, 1.0f);
  const float spacing[3] = {0.9f, 1.3f, 1.7f};
  for (int d = 0; d < 3; ++d) put<float>(h, 80 + 4 * d, spacing[d]);
  put<float>(h, 108, 352.0f);
  put<float>(h, 112, 1.0f);
  h[123] = 2;  // mm
  if (use_qform) {
    put<std::int16_t>(h, 252, 1);
    put<float>(h, 264, static_cast<float>(std::sin(qform_angle / 2)));  // quatern_d
    for (int q = 0; q < 3; ++q) put<float>(h, 268 + 4 * q, static_cast<float>(sform[4 * q + 3]));
  } else {
    put<std::int16_t>(h, 254, 1);
    for (int n = 0; n < 12; ++n) put<float>(h, 280 + 4 * n, static_cast<float>(sform[n]));
  }
  std::memcpy(h.data() + 344, "n+1\0", 4);
  std::string voxels;
  for (std::int32_t l : asymmetric_labels()) voxels += static_cast<char>(l);
  return h + voxels;
}

// The qform's matrix (rotation about z, spacing, origin), in RAS mm.
Matrix qform_matrix_mm(const Matrix& sform, double angle) {
  const double spacing[3] = {0.9f, 1.3f, 1.7f};
  const double r[3][3] = {
      {std::cos(angle), -std::sin(angle), 0}, {std::sin(angle), std::cos(angle), 0}, {0, 0, 1}};
  Matrix m{};
  for (int row = 0; row < 3; ++row) {
    for (int col = 0; col < 3; ++col) m[4 * row + col] = r[row][col] * spacing[col];
    m[4 * row + 3] = static_cast<float>(sform[4 * row + 3]);
  }
  return m;
}

// The same image as ITK writes it to MetaImage from that NIfTI: LPS, i.e.
// x and y negated; TransformMatrix axis by axis, spacing apart.
std::string metaimage_header(const Matrix& ras_mm, const std::string& data_file) {
  Matrix lps = ras_mm;
  for (int n = 0; n < 8; ++n) lps[n] = -lps[n];
  std::string transform, spacing;
  for (int axis = 0; axis < 3; ++axis) {
    const double s =
        std::sqrt(lps[axis] * lps[axis] + lps[4 + axis] * lps[4 + axis] + lps[8 + axis] * lps[8 + axis]);
    spacing += fmt::format("{} ", s);
    for (int row = 0; row < 3; ++row) transform += fmt::format("{} ", lps[4 * row + axis] / s);
  }
  return fmt::format(
      "ObjectType = Image\nNDims = 3\nBinaryData = True\nBinaryDataByteOrderMSB = False\nCompressedData = "
      "False\nTransformMatrix = {}\nOffset = {} {} {}\nAnatomicalOrientation = RAI\nElementSpacing = {}\n"
      "DimSize = {} {} {}\nElementType = MET_UCHAR\nElementDataFile = {}\n",
      transform, lps[3], lps[7], lps[11], spacing, kNx, kNy, kNz, data_file);
}

void write_metaimage_by_hand(const WorldFrame& t, const std::string& name, const Matrix& ras_mm) {
  std::string voxels;
  for (std::int32_t l : asymmetric_labels()) voxels += static_cast<char>(l);
  std::ofstream(t.path(name + ".raw"), std::ios::binary) << voxels;
  std::ofstream(t.path(name + ".mhd"), std::ios::binary) << metaimage_header(ras_mm, name + ".raw");
}

// Voxels on an explicit grid around where the image is in LPS (the grid does
// not follow the file: a file placed elsewhere misses it or lands differently).
TissueMap rasterise(const WorldFrame& t, const std::string& file, const LabelVolume& lps) {
  double lo[3], hi[3];
  for (int a = 0; a < 3; ++a) {
    lo[a] = 1e9;
    hi[a] = -1e9;
  }
  for (int corner = 0; corner < 8; ++corner) {
    const double u[3] = {corner & 1 ? kNx - 0.5 : -0.5, corner & 2 ? kNy - 0.5 : -0.5,
                         corner & 4 ? kNz - 0.5 : -0.5};
    for (int a = 0; a < 3; ++a) {
      const auto& m = lps.index_to_world;
      const double x = (m[4 * a] * u[0] + m[4 * a + 1] * u[1] + m[4 * a + 2] * u[2] + m[4 * a + 3]) * 1e3;
      lo[a] = std::min(lo[a], x);
      hi[a] = std::max(hi[a], x);
    }
  }
  const std::string yaml = fmt::format(
      "name: frame\n"
      "grid: {{origin: [{} mm, {} mm, {} mm], extent: [{} mm, {} mm, {} mm], voxel: 0.37 mm}}\n"
      "tissues: [{{name: liver, label: 1}}, {{name: spleen, label: 2}}]\n"
      "geometry: [{{volume: {{file: {}, labels: {{3: liver, 5: spleen}}}}}}]\n"
      "species: [{{name: TNF, diffusion: 100 um^2/min}}]\ntime: {{end: 1 min}}\noutput: {{interval: 1 "
      "min}}\n",
      std::floor(lo[0]), std::floor(lo[1]), std::floor(lo[2]), std::ceil(hi[0] - std::floor(lo[0])),
      std::ceil(hi[1] - std::floor(lo[1])), std::ceil(hi[2] - std::floor(lo[2])), file);
  std::ofstream(t.path("s.yaml")) << yaml;
  const Scenario s = load_scenario(t.path("s.yaml"));
  return rasterise_tissues(s, load_geometry(s));
}

::testing::AssertionResult SameAffine(const Matrix& a, const Matrix& b) {
  for (int n = 0; n < 12; ++n)
    if (!(std::abs(a[n] - b[n]) <= 1e-6 * 0.05))
      return ::testing::AssertionFailure() << "entry " << n << ": " << a[n] << " vs " << b[n];
  return ::testing::AssertionSuccess();
}

Matrix metres(Matrix mm) {
  for (double& v : mm) v *= 1e-3;
  return mm;
}

Matrix lps_of(Matrix ras) {
  for (int n = 0; n < 8; ++n) ras[n] = -ras[n];
  return ras;
}

void expect_same_voxels(const TissueMap& a, const TissueMap& b) {
  EXPECT_EQ(a.grid.nx, b.grid.nx);
  EXPECT_EQ(a.grid.ny, b.grid.ny);
  EXPECT_EQ(a.grid.nz, b.grid.nz);
  ASSERT_EQ(a.voxel_count.size(), 2u);
  EXPECT_GT(a.voxel_count[0], 100);  // both tissues present
  EXPECT_GT(a.voxel_count[1], 100);
  EXPECT_EQ(a.voxel_count, b.voxel_count);
  EXPECT_TRUE(a.tissue == b.tissue) << "the NIfTI and the MetaImage land on different voxels";
}

TEST_F(WorldFrame, NiftiSformAndItsMetaImageLandOnTheSameVoxels) {
  const Matrix ras = ras_sform_mm();
  write("s.nii", nifti_bytes(ras, false, 0));
  write_metaimage_by_hand(*this, "s", ras);
  const LabelVolume nifti = read_label_volume(path("s.nii"), 1e-3);
  const LabelVolume meta = read_label_volume(path("s.mhd"), 1e-3);
  EXPECT_TRUE(SameAffine(nifti.index_to_world, metres(lps_of(ras))));  // RAS in the file, LPS read
  EXPECT_TRUE(SameAffine(meta.index_to_world, metres(lps_of(ras))));
  EXPECT_EQ(nifti.labels, meta.labels);
  expect_same_voxels(rasterise(*this, "s.nii", meta), rasterise(*this, "s.mhd", meta));
}

TEST_F(WorldFrame, NiftiQformAndItsMetaImageLandOnTheSameVoxels) {
  const double angle = 0.7;
  const Matrix q = qform_matrix_mm(ras_sform_mm(), angle);
  write("q.nii", nifti_bytes(ras_sform_mm(), true, angle));
  write_metaimage_by_hand(*this, "q", q);
  const LabelVolume nifti = read_label_volume(path("q.nii"), 1e-3);
  const LabelVolume meta = read_label_volume(path("q.mhd"), 1e-3);
  EXPECT_TRUE(SameAffine(nifti.index_to_world, metres(lps_of(q))));
  EXPECT_TRUE(SameAffine(meta.index_to_world, metres(lps_of(q))));
  expect_same_voxels(rasterise(*this, "q.nii", meta), rasterise(*this, "q.mhd", meta));
}

// The project's writers agree: one volume (rotated and mirrored) written as
// .nii, .nii.gz, .mhd + .raw and .mhd + .zraw lands on the same voxels, and
// the NIfTI on disk holds RAS (so that other tools read it where we do).
TEST_F(WorldFrame, ProjectWritersOfEveryFormatLandOnTheSameVoxels) {
  LabelVolume v;
  v.dims = {kNx, kNy, kNz};
  v.labels = asymmetric_labels();
  v.index_to_world = metres(lps_of(ras_sform_mm()));
  for (int r = 0; r < 3; ++r) v.index_to_world[4 * r + 2] = -v.index_to_world[4 * r + 2];  // mirrored
  write_nifti(path("w.nii"), v, 2);
  write_nifti(path("w.nii.gz"), v, 2);
  write_metaimage(path("w.mhd"), v, false);
  write_metaimage(path("z.mhd"), v, true);
  std::ifstream in(path("w.nii"), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (int n = 0; n < 12; ++n) {
    float srow = 0;
    std::memcpy(&srow, bytes.data() + 280 + 4 * n, 4);
    const double expected = (n < 8 ? -1e3 : 1e3) * v.index_to_world[n];
    EXPECT_NEAR(srow, expected, 1e-4) << "srow entry " << n << " is not RAS";
  }
  const TissueMap reference = rasterise(*this, "w.mhd", v);
  for (const char* file : {"w.nii", "w.nii.gz", "z.mhd"}) {
    SCOPED_TRACE(file);
    EXPECT_TRUE(SameAffine(read_label_volume(path(file), 1e-3).index_to_world, v.index_to_world));
    expect_same_voxels(rasterise(*this, file, v), reference);
  }
}

}  // namespace
}  // namespace cyto
