// Label volumes from NIfTI-1 and MetaImage files: round trips through the writers, hand-built headers
// (qform, big-endian, MetaIO conventions), the real frog volume, and one test per input defect.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "host/core/atomic_file.hpp"
#include "host/geometry/label_volume.hpp"

#ifndef CYTOSTORM_SOURCE_DIR
#define CYTOSTORM_SOURCE_DIR "."
#endif

namespace cyto {
namespace {

namespace fs = std::filesystem;

constexpr double kPi = 3.14159265358979323846;

// Passes when `text` contains `part`; prints both otherwise.
::testing::AssertionResult Contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" does not contain \"" << part << "\"";
}

// Every entry within rel * (largest entry of `expected`).
::testing::AssertionResult AffineNear(const std::array<double, 12>& actual,
                                      const std::array<double, 12>& expected, double rel) {
  double scale = 0.0;
  for (double v : expected) scale = std::max(scale, std::abs(v));
  for (int n = 0; n < 12; ++n) {
    if (!(std::abs(actual[n] - expected[n]) <= rel * scale)) {
      return ::testing::AssertionFailure() << "entry " << n << " (row " << n / 4 << ", column " << n % 4
                                           << "): " << actual[n] << " vs expected " << expected[n];
    }
  }
  return ::testing::AssertionSuccess();
}

// NIfTI's sform and qform are RAS; the world frame is LPS (label_volume.hpp): x and y negated.
std::array<double, 12> lps_of_ras(std::array<double, 12> m) {
  for (int n = 0; n < 8; ++n) m[n] = -m[n];
  return m;
}

// --- files --------------------------------------------------------------------------------------

// A fresh directory per test, removed with everything in it afterwards.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "cytostorm_label_volume_XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

std::string gzip_bytes(const std::string& content) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, content.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(content.data()));
  z.avail_in = static_cast<uInt>(content.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string zlib_bytes(const std::string& content) {
  uLongf size = compressBound(content.size());
  std::string out(size, '\0');
  EXPECT_EQ(compress2(reinterpret_cast<Bytef*>(out.data()), &size,
                      reinterpret_cast<const Bytef*>(content.data()), content.size(), 9),
            Z_OK);
  out.resize(size);
  return out;
}

// What read_label_volume threw (an InputError is expected; anything else fails the test).
struct Failure {
  std::string what;
  SourceLocation where;
};

Failure input_error(const std::string& path, double unit = 1e-3) {
  try {
    read_label_volume(path, unit);
  } catch (const InputError& e) {
    return {e.what(), e.where()};
  }
  ADD_FAILURE() << "no InputError for " << path;
  return {};
}

// --- volumes ------------------------------------------------------------------------------------

// Spacing 0.5, 0.75, 2 mm, rotated 30 degrees about z, translated; in metres. With `float_exact` the
// mm entries are rounded to float32 first, since NIfTI-1 stores its sform as float32.
std::array<double, 12> rotated_affine(bool float_exact) {
  const double c = std::cos(kPi / 6), s = std::sin(kPi / 6);
  std::array<double, 12> mm = {c * 0.5, -s * 0.75, 0, 12.5, s * 0.5, c * 0.75, 0, -7.25, 0, 0, 2.0, 3.0};
  std::array<double, 12> m{};
  for (int n = 0; n < 12; ++n)
    m[n] = (float_exact ? static_cast<double>(static_cast<float>(mm[n])) : mm[n]) * 1e-3;
  return m;
}

LabelVolume make_volume(std::array<int, 3> dims, const std::array<double, 12>& affine,
                        const std::function<std::int32_t(int, int, int)>& label) {
  LabelVolume v;
  v.dims = dims;
  v.index_to_world = affine;
  for (int k = 0; k < dims[2]; ++k) {
    for (int j = 0; j < dims[1]; ++j) {
      for (int i = 0; i < dims[0]; ++i) v.labels.push_back(label(i, j, k));
    }
  }
  return v;
}

// Labels spanning `datatype`'s range, extremes included, different at every voxel of a small grid.
LabelVolume test_volume(int datatype, const std::array<double, 12>& affine) {
  const std::array<int, 3> dims = {7, 5, 4};
  LabelVolume v = make_volume(dims, affine, [&](int i, int j, int k) -> std::int32_t {
    const std::int64_t n = i + 7 * j + 35 * k;
    switch (datatype) {
      case 2:
        return static_cast<std::int32_t>((n * 37) % 256);
      case 4:
        return static_cast<std::int32_t>((n * 997) % 60000 - 30000);
      case 512:
        return static_cast<std::int32_t>((n * 4099) % 65536);
      default:
        return static_cast<std::int32_t>(n * 15485863 - 1000000000);
    }
  });
  const std::map<int, std::pair<std::int32_t, std::int32_t>> extremes = {
      {2, {0, 255}}, {4, {-32768, 32767}}, {512, {0, 65535}}, {8, {INT32_MIN, INT32_MAX}}};
  v.labels.front() = extremes.at(datatype).first;
  v.labels.back() = extremes.at(datatype).second;
  return v;
}

// --- hand-built NIfTI-1 files -------------------------------------------------------------------

struct NiftiSpec {
  std::int32_t sizeof_hdr = 348;
  std::array<std::int16_t, 8> dim{3, 1, 1, 1, 1, 1, 1, 1};
  std::int16_t datatype = 2;
  std::int16_t bitpix = 8;
  std::array<float, 8> pixdim{1, 1, 1, 1, 0, 0, 0, 0};
  float vox_offset = 352;
  float scl_slope = 1;
  float scl_inter = 0;
  std::uint8_t xyzt_units = 2;
  std::int16_t qform_code = 0;
  std::int16_t sform_code = 0;
  std::array<float, 6> quatern{};  // quatern_b, c, d, qoffset_x, y, z
  std::array<float, 12> srow{};
  std::string magic = std::string("n+1\0", 4);
};

bool host_is_big_endian() {
  const std::uint16_t probe = 1;
  unsigned char first;
  std::memcpy(&first, &probe, 1);
  return first == 0;
}

template <typename T>
void put(std::string& out, std::size_t offset, T value, bool big_endian) {
  unsigned char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  if (big_endian != host_is_big_endian()) std::reverse(bytes, bytes + sizeof(T));
  std::memcpy(out.data() + offset, bytes, sizeof(T));
}

// Header plus the 4 zero extension bytes (352 bytes), every field in the chosen byte order.
std::string nifti_header(const NiftiSpec& s, bool big_endian = false) {
  std::string h(352, '\0');
  put(h, 0, s.sizeof_hdr, big_endian);
  for (int d = 0; d < 8; ++d) put(h, 40 + 2 * d, s.dim[d], big_endian);
  put(h, 70, s.datatype, big_endian);
  put(h, 72, s.bitpix, big_endian);
  for (int d = 0; d < 8; ++d) put(h, 76 + 4 * d, s.pixdim[d], big_endian);
  put(h, 108, s.vox_offset, big_endian);
  put(h, 112, s.scl_slope, big_endian);
  put(h, 116, s.scl_inter, big_endian);
  h[123] = static_cast<char>(s.xyzt_units);
  put(h, 252, s.qform_code, big_endian);
  put(h, 254, s.sform_code, big_endian);
  for (int q = 0; q < 6; ++q) put(h, 256 + 4 * q, s.quatern[q], big_endian);
  for (int n = 0; n < 12; ++n) put(h, 280 + 4 * n, s.srow[n], big_endian);
  h.replace(344, 4, s.magic.substr(0, 4));
  return h;
}

template <typename T>
std::string voxel_bytes(const std::vector<T>& values, bool big_endian = false) {
  std::string out(values.size() * sizeof(T), '\0');
  for (std::size_t n = 0; n < values.size(); ++n) put(out, n * sizeof(T), values[n], big_endian);
  return out;
}

// A 2 x 2 x 2 volume of `values` with the given datatype, unit spacing, sform = identity (mm).
template <typename T>
std::string small_nifti(std::int16_t datatype, const std::vector<T>& values, NiftiSpec spec = {}) {
  spec.dim = {3, 2, 2, 2, 1, 1, 1, 1};
  spec.datatype = datatype;
  spec.bitpix = static_cast<std::int16_t>(8 * sizeof(T));
  if (spec.sform_code == 0 && spec.qform_code == 0) {
    spec.sform_code = 1;
    spec.srow = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0};
  }
  return nifti_header(spec) + voxel_bytes(values);
}

class LabelVolumeTest : public ::testing::Test {
 protected:
  TempDir dir_;
};

// --- NIfTI-1 ------------------------------------------------------------------------------------

class NiftiRoundTrip : public ::testing::TestWithParam<std::tuple<int, std::string>> {
 protected:
  TempDir dir_;
};

TEST_P(NiftiRoundTrip, LabelsAndRotatedAnisotropicAffineSurvive) {
  const auto& [datatype, extension] = GetParam();
  const std::map<int, std::string> names = {{2, "uint8"}, {4, "int16"}, {8, "int32"}, {512, "uint16"}};
  const LabelVolume written = test_volume(datatype, rotated_affine(true));
  const std::string path = dir_.file("labels" + extension);
  write_nifti(path, written, datatype);

  const LabelVolume read = read_label_volume(path, 1.0 /* must not be used: the file says mm */);
  EXPECT_EQ(read.dims, written.dims);
  ASSERT_EQ(read.labels.size(), written.labels.size());
  for (std::size_t n = 0; n < written.labels.size(); ++n) {
    ASSERT_EQ(read.labels[n], written.labels[n]) << "voxel " << n;
  }
  EXPECT_TRUE(AffineNear(read.index_to_world, written.index_to_world, 1e-9));
  for (int d = 0; d < 3; ++d)
    EXPECT_NEAR(read.spacing()[d], written.spacing()[d], 1e-9 * written.spacing()[d]);
  const std::array<double, 3> nominal = {0.5e-3, 0.75e-3, 2e-3};
  for (int d = 0; d < 3; ++d) EXPECT_NEAR(read.spacing()[d], nominal[d], 1e-6 * nominal[d]);
  EXPECT_EQ(read.format, "NIfTI-1 (" + names.at(datatype) + (extension == ".nii.gz" ? ", gzip)" : ")"));
  EXPECT_TRUE(read.notes.empty()) << read.notes.front();
  if (extension == ".nii.gz") {
    EXPECT_EQ(static_cast<unsigned char>(read_bytes(path)[0]), 0x1f);  // really gzip
  }
  EXPECT_FALSE(fs::exists(detail::temporary_path(path)));
}

INSTANTIATE_TEST_SUITE_P(AllWritableTypes, NiftiRoundTrip,
                         ::testing::Combine(::testing::Values(2, 4, 8, 512),
                                            ::testing::Values(".nii", ".nii.gz")),
                         [](const auto& param_info) {
                           return "datatype" + std::to_string(std::get<0>(param_info.param)) +
                                  (std::get<1>(param_info.param) == ".nii" ? "_nii" : "_nii_gz");
                         });

TEST_F(LabelVolumeTest, NiftiKeepsAnArbitraryAffineToFloat32Precision) {
  const LabelVolume written = test_volume(4, rotated_affine(false));
  const std::string path = dir_.file("any.NII");  // extension case does not matter
  write_nifti(path, written, 4);
  const LabelVolume read = read_label_volume(path, 1e-3);
  EXPECT_EQ(read.labels, written.labels);
  EXPECT_TRUE(AffineNear(read.index_to_world, written.index_to_world, 1e-7));
}

TEST_F(LabelVolumeTest, NiftiWriterQformAgreesWithItsSform) {
  // Mirror the third axis too, so that the writer needs qfac = -1.
  std::array<double, 12> mirrored = rotated_affine(false);
  for (int r = 0; r < 3; ++r) mirrored[r * 4 + 2] = -mirrored[r * 4 + 2];
  for (const auto& affine : {rotated_affine(false), mirrored}) {
    const std::string path = dir_.file("qform.nii");
    write_nifti(path, test_volume(2, affine), 2);
    std::string bytes = read_bytes(path);
    put<std::int16_t>(bytes, 254, 0, false);  // sform_code = 0: the reader must use the qform
    write_bytes(path, bytes);
    const LabelVolume read = read_label_volume(path, 1e-3);
    EXPECT_TRUE(AffineNear(read.index_to_world, affine, 1e-6));
  }
}

TEST_F(LabelVolumeTest, NiftiQformOnlyFollowsTheStandardsMethod2) {
  // 90 degrees about z: quaternion (a, b, c, d) = (cos 45, 0, 0, sin 45); qfac = -1 flips the k axis.
  NiftiSpec spec;
  spec.qform_code = 1;
  spec.pixdim = {-1, 2, 3, 4, 0, 0, 0, 0};
  spec.quatern = {0, 0, static_cast<float>(std::sqrt(0.5)), 10, 20, 30};
  spec.srow = {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9};  // sform_code = 0: must be ignored
  write_bytes(dir_.file("q.nii"), small_nifti<std::uint8_t>(2, {1, 2, 3, 4, 5, 6, 7, 8}, spec));
  const LabelVolume read = read_label_volume(dir_.file("q.nii"), 1.0);
  // RAS: i -> +y * 2, j -> -x * 3, k -> -z * 4 (mm), origin (10, 20, 30) mm; read in LPS.
  const std::array<double, 12> expected =
      lps_of_ras({0, -3e-3, 0, 10e-3, 2e-3, 0, 0, 20e-3, 0, 0, -4e-3, 30e-3});
  EXPECT_TRUE(AffineNear(read.index_to_world, expected, 1e-6));
  EXPECT_EQ(read.labels, (std::vector<std::int32_t>{1, 2, 3, 4, 5, 6, 7, 8}));

  spec.pixdim[0] = 0;  // qfac 0 means 1: k -> +z
  write_bytes(dir_.file("q0.nii"), small_nifti<std::uint8_t>(2, {1, 2, 3, 4, 5, 6, 7, 8}, spec));
  EXPECT_NEAR(read_label_volume(dir_.file("q0.nii"), 1.0).index_to_world[10], 4e-3, 1e-9);
}

TEST_F(LabelVolumeTest, NiftiSformWinsOverQform) {
  NiftiSpec spec;
  spec.qform_code = 1;
  spec.quatern = {0, 0, static_cast<float>(std::sqrt(0.5)), 10, 20, 30};
  spec.sform_code = 2;
  spec.srow = {0.5f, 0, 0, 1, 0, 0.25f, 0, 2, 0, 0, 4, 3};
  write_bytes(dir_.file("s.nii"), small_nifti<std::uint8_t>(2, {0, 0, 0, 0, 0, 0, 0, 0}, spec));
  const std::array<double, 12> expected =
      lps_of_ras({0.5e-3, 0, 0, 1e-3, 0, 0.25e-3, 0, 2e-3, 0, 0, 4e-3, 3e-3});
  EXPECT_TRUE(AffineNear(read_label_volume(dir_.file("s.nii"), 1.0).index_to_world, expected, 1e-12));
}

TEST_F(LabelVolumeTest, NiftiWithoutOrientationUsesPixdimAndSaysSo) {
  NiftiSpec spec;
  spec.pixdim = {1, 0.5f, 0.25f, 2, 0, 0, 0, 0};
  spec.qform_code = 0;
  spec.sform_code = 0;
  spec.dim = {3, 2, 2, 2, 1, 1, 1, 1};
  write_bytes(dir_.file("m1.nii"), nifti_header(spec) + std::string(8, '\1'));
  const LabelVolume read = read_label_volume(dir_.file("m1.nii"), 1e-3);
  const std::array<double, 12> expected = {0.5e-3, 0, 0, 0, 0, 0.25e-3, 0, 0, 0, 0, 2e-3, 0};
  EXPECT_TRUE(AffineNear(read.index_to_world, expected, 1e-12));
  ASSERT_EQ(read.notes.size(), 1u);
  EXPECT_TRUE(Contains(read.notes[0], "no orientation"));
}

TEST_F(LabelVolumeTest, NiftiBigEndianReadsLikeLittleEndian) {
  const std::vector<std::int16_t> values = {-300, 2, 3, 4, 5, 6, 7, 32767};
  NiftiSpec spec;
  spec.dim = {3, 2, 2, 2, 1, 1, 1, 1};
  spec.datatype = 4;
  spec.bitpix = 16;
  spec.sform_code = 1;
  spec.srow = {0, -0.75f, 0, 5, 0.5f, 0, 0, 6, 0, 0, 2, 7};
  spec.qform_code = 1;
  spec.quatern = {0.1f, 0.2f, 0.3f, 1, 2, 3};
  write_bytes(dir_.file("le.nii"), nifti_header(spec, false) + voxel_bytes(values, false));
  write_bytes(dir_.file("be.nii"), nifti_header(spec, true) + voxel_bytes(values, true));
  const LabelVolume le = read_label_volume(dir_.file("le.nii"), 1e-3);
  const LabelVolume be = read_label_volume(dir_.file("be.nii"), 1e-3);
  EXPECT_EQ(be.labels, std::vector<std::int32_t>(values.begin(), values.end()));
  EXPECT_EQ(be.labels, le.labels);
  EXPECT_EQ(be.index_to_world, le.index_to_world);
  EXPECT_EQ(be.dims, (std::array<int, 3>{2, 2, 2}));
  const std::array<double, 12> expected =
      lps_of_ras({0, -0.75e-3, 0, 5e-3, 0.5e-3, 0, 0, 6e-3, 0, 0, 2e-3, 7e-3});
  EXPECT_TRUE(AffineNear(be.index_to_world, expected, 1e-12));
  EXPECT_EQ(be.format, "NIfTI-1 (int16, big-endian)");
  EXPECT_EQ(le.format, "NIfTI-1 (int16)");

  // A floating-point type as well: every byte of every value must be swapped.
  const std::vector<double> doubles = {0, 1, 2, 3, -4, 5, 6, 1e6};
  spec.datatype = 64;
  spec.bitpix = 64;
  write_bytes(dir_.file("be64.nii.gz"), gzip_bytes(nifti_header(spec, true) + voxel_bytes(doubles, true)));
  const LabelVolume be64 = read_label_volume(dir_.file("be64.nii.gz"), 1e-3);
  EXPECT_EQ(be64.labels, (std::vector<std::int32_t>{0, 1, 2, 3, -4, 5, 6, 1000000}));
  EXPECT_EQ(be64.format, "NIfTI-1 (float64, gzip, big-endian)");
}

TEST_F(LabelVolumeTest, NiftiLengthUnits) {
  struct Case {
    std::uint8_t xyzt_units;
    double unit_if_unspecified;
    double expected_spacing;
    bool note;
  };
  const Case cases[] = {{1, 1e-3, 1.0, false},
                        {2, 1.0, 1e-3, false},
                        {3, 1e-3, 1e-6, false},
                        {2 | 8, 1.0, 1e-3, false} /* mm + seconds */,
                        {0, 1e-6, 1e-6, true}};
  for (const Case& c : cases) {
    NiftiSpec spec;
    spec.xyzt_units = c.xyzt_units;
    write_bytes(dir_.file("u.nii"), small_nifti<std::uint8_t>(2, {0, 1, 0, 1, 0, 1, 0, 1}, spec));
    const LabelVolume read = read_label_volume(dir_.file("u.nii"), c.unit_if_unspecified);
    EXPECT_DOUBLE_EQ(read.spacing()[0], c.expected_spacing) << int(c.xyzt_units);
    EXPECT_EQ(read.notes.size(), c.note ? 1u : 0u) << int(c.xyzt_units);
    if (c.note) {
      EXPECT_TRUE(Contains(read.notes[0], "assumed 1 unit = 1 um"));
    }
  }
  NiftiSpec spec;
  spec.xyzt_units = 5;
  write_bytes(dir_.file("bad_unit.nii"), small_nifti<std::uint8_t>(2, {0, 0, 0, 0, 0, 0, 0, 0}, spec));
  EXPECT_TRUE(
      Contains(input_error(dir_.file("bad_unit.nii")).what, "xyzt_units = 5 has no valid length unit"));
}

TEST_F(LabelVolumeTest, NiftiReadsEveryIntegerHoldingType) {
  write_bytes(dir_.file("i8.nii"), small_nifti<std::int8_t>(256, {-128, -1, 0, 1, 2, 3, 4, 127}));
  EXPECT_EQ(read_label_volume(dir_.file("i8.nii"), 1e-3).labels,
            (std::vector<std::int32_t>{-128, -1, 0, 1, 2, 3, 4, 127}));
  write_bytes(dir_.file("u32.nii"), small_nifti<std::uint32_t>(768, {0, 1, 2, 3, 4, 5, 6, 2147483647u}));
  EXPECT_EQ(read_label_volume(dir_.file("u32.nii"), 1e-3).labels.back(), INT32_MAX);
  write_bytes(dir_.file("f32.nii"), small_nifti<float>(16, {-7, 0, 1, 2, 3, 4, 5, 16777216}));
  const LabelVolume f32 = read_label_volume(dir_.file("f32.nii"), 1e-3);
  EXPECT_EQ(f32.labels, (std::vector<std::int32_t>{-7, 0, 1, 2, 3, 4, 5, 16777216}));
  EXPECT_EQ(f32.format, "NIfTI-1 (float32)");
}

TEST_F(LabelVolumeTest, NiftiScalingIsAppliedOnlyWhenResultsAreIntegers) {
  NiftiSpec spec;
  spec.scl_slope = 2;
  spec.scl_inter = 1;
  write_bytes(dir_.file("scaled.nii"), small_nifti<std::uint8_t>(2, {0, 1, 2, 3, 4, 5, 6, 7}, spec));
  EXPECT_EQ(read_label_volume(dir_.file("scaled.nii"), 1e-3).labels,
            (std::vector<std::int32_t>{1, 3, 5, 7, 9, 11, 13, 15}));

  spec.scl_slope = 0;  // 0 means no scaling, whatever scl_inter says
  spec.scl_inter = 5;
  write_bytes(dir_.file("unscaled.nii"), small_nifti<std::uint8_t>(2, {0, 1, 2, 3, 4, 5, 6, 7}, spec));
  EXPECT_EQ(read_label_volume(dir_.file("unscaled.nii"), 1e-3).labels,
            (std::vector<std::int32_t>{0, 1, 2, 3, 4, 5, 6, 7}));

  spec.scl_slope = 0.5f;
  spec.scl_inter = 0;
  write_bytes(dir_.file("halves.nii"), small_nifti<std::uint8_t>(2, {0, 2, 4, 5, 8, 10, 12, 14}, spec));
  const Failure f = input_error(dir_.file("halves.nii"));
  EXPECT_TRUE(Contains(f.what, "label maps must hold integers; voxel (1,1,0) has 2.5"));
  EXPECT_TRUE(Contains(f.what, "scl_slope = 0.5"));
}

TEST_F(LabelVolumeTest, NiftiAcceptsTrailingDimensionsOfOneAndSkipsExtensions) {
  NiftiSpec spec;
  spec.dim = {5, 2, 1, 1, 1, 1, 1, 1};
  spec.sform_code = 1;
  spec.srow = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0};
  spec.vox_offset = 400;  // 48 bytes of extension between header and data
  std::string bytes = nifti_header(spec);
  bytes[348] = 1;  // "an extension follows"
  bytes += std::string(48, '\x55') + std::string("\x07\x09", 2);
  write_bytes(dir_.file("ext.nii"), bytes);
  EXPECT_EQ(read_label_volume(dir_.file("ext.nii"), 1e-3).labels, (std::vector<std::int32_t>{7, 9}));

  spec.dim = {4, 2, 1, 1, 3, 1, 1, 1};  // a time series is not a label map
  write_bytes(dir_.file("4d.nii"), nifti_header(spec) + std::string(54, '\0'));
  EXPECT_TRUE(Contains(input_error(dir_.file("4d.nii")).what, "only a single 3-D volume is supported"));
  spec.dim = {2, 2, 2, 1, 1, 1, 1, 1};
  write_bytes(dir_.file("2d.nii"), nifti_header(spec) + std::string(4, '\0'));
  EXPECT_TRUE(
      Contains(input_error(dir_.file("2d.nii")).what, "dim[0] = 2: a label volume needs 3 dimensions"));
}

// --- NIfTI-1 defects ----------------------------------------------------------------------------

TEST_F(LabelVolumeTest, NiftiTruncatedDataNamesTheByteCounts) {
  const std::string full = small_nifti<std::int16_t>(4, {1, 2, 3, 4, 5, 6, 7, 8});
  write_bytes(dir_.file("cut.nii"), full.substr(0, full.size() - 5));
  Failure f = input_error(dir_.file("cut.nii"));
  EXPECT_TRUE(Contains(f.what, "truncated: expected 16 bytes of voxel data after offset 352, found 11"));
  EXPECT_EQ(f.where.file, dir_.file("cut.nii"));

  // The same inside a complete gzip stream, and a gzip stream itself cut short.
  write_bytes(dir_.file("cut.nii.gz"), gzip_bytes(full.substr(0, full.size() - 5)));
  EXPECT_TRUE(Contains(input_error(dir_.file("cut.nii.gz")).what,
                       "truncated: expected 16 bytes of voxel data after offset 352, found 11"));
  const std::string gz = gzip_bytes(full);
  write_bytes(dir_.file("cutgz.nii.gz"), gz.substr(0, gz.size() - 12));
  f = input_error(dir_.file("cutgz.nii.gz"));
  EXPECT_TRUE(Contains(f.what, "truncated: expected 16 bytes of voxel data after offset 352, found "));
  EXPECT_EQ(f.where.file, dir_.file("cutgz.nii.gz"));
}

TEST_F(LabelVolumeTest, NiftiTruncatedHeader) {
  const std::string full = small_nifti<std::uint8_t>(2, {1, 2, 3, 4, 5, 6, 7, 8});
  write_bytes(dir_.file("head.nii"), full.substr(0, 200));
  EXPECT_TRUE(Contains(input_error(dir_.file("head.nii")).what,
                       "head.nii: truncated NIfTI-1 header: the file holds 200 bytes, a header needs 348"));
  write_bytes(dir_.file("empty.nii.gz"), gzip_bytes(""));
  EXPECT_TRUE(Contains(input_error(dir_.file("empty.nii.gz")).what, "truncated NIfTI-1 header"));
}

TEST_F(LabelVolumeTest, NiftiUnsupportedDatatypes) {
  write_bytes(dir_.file("c64.nii"), small_nifti<std::uint64_t>(32, std::vector<std::uint64_t>(8, 0)));
  EXPECT_TRUE(Contains(input_error(dir_.file("c64.nii")).what,
                       "unsupported NIfTI datatype 32 (complex64); label maps need an integer type"));
  write_bytes(dir_.file("rgb.nii"), small_nifti<std::uint8_t>(128, std::vector<std::uint8_t>(24, 0)));
  EXPECT_TRUE(Contains(input_error(dir_.file("rgb.nii")).what, "unsupported NIfTI datatype 128 (RGB24)"));
  write_bytes(dir_.file("i64.nii"), small_nifti<std::int64_t>(1024, std::vector<std::int64_t>(8, 0)));
  EXPECT_TRUE(Contains(input_error(dir_.file("i64.nii")).what, "unsupported NIfTI datatype 1024 (int64)"));
  write_bytes(dir_.file("odd.nii"), small_nifti<std::uint8_t>(3, std::vector<std::uint8_t>(8, 0)));
  EXPECT_TRUE(Contains(input_error(dir_.file("odd.nii")).what, "unsupported NIfTI datatype 3 (unknown)"));
}

TEST_F(LabelVolumeTest, NiftiNonIntegralAndOutOfRangeLabels) {
  write_bytes(dir_.file("f.nii"), small_nifti<float>(16, {1, 2.5f, 3, 4, 5, 6, 7, 8}));
  Failure f = input_error(dir_.file("f.nii"));
  EXPECT_TRUE(Contains(f.what, "label maps must hold integers; voxel (1,0,0) has 2.5"));
  EXPECT_EQ(f.where.file, dir_.file("f.nii"));
  write_bytes(dir_.file("nan.nii"), small_nifti<double>(64, {0, 0, 0, 0, 0, 0, 0, std::nan("")}));
  EXPECT_TRUE(Contains(input_error(dir_.file("nan.nii")).what, "voxel (1,1,1) has nan"));
  write_bytes(dir_.file("big.nii"), small_nifti<std::uint32_t>(768, {0, 0, 0, 0, 0, 0, 3000000000u, 0}));
  EXPECT_TRUE(Contains(input_error(dir_.file("big.nii")).what,
                       "label 3000000000 at voxel (0,1,1) is outside the int32 range"));
}

TEST_F(LabelVolumeTest, NiftiWrongMagicPairsAndNifti2) {
  NiftiSpec spec;
  spec.magic = std::string("abc\0", 4);
  write_bytes(dir_.file("magic.nii"), small_nifti<std::uint8_t>(2, std::vector<std::uint8_t>(8, 0), spec));
  EXPECT_TRUE(Contains(input_error(dir_.file("magic.nii")).what, "not a NIfTI-1 file (magic \"abc\\x00\""));
  spec.magic = std::string("ni1\0", 4);
  write_bytes(dir_.file("pair.nii"), small_nifti<std::uint8_t>(2, std::vector<std::uint8_t>(8, 0), spec));
  EXPECT_TRUE(Contains(input_error(dir_.file("pair.nii")).what,
                       "not supported: NIfTI pair (.hdr/.img); convert to .nii"));
  EXPECT_TRUE(Contains(input_error(dir_.file("pair.hdr")).what, "(.hdr/.img)"));

  std::string nifti2(540 + 4 + 8, '\0');
  put<std::int32_t>(nifti2, 0, 540, false);
  nifti2.replace(4, 8, std::string("n+2\0\r\n\032\n", 8));
  write_bytes(dir_.file("two.nii"), nifti2);
  EXPECT_TRUE(Contains(input_error(dir_.file("two.nii")).what, "NIfTI-2 files are not supported"));
  put<std::int32_t>(nifti2, 0, 540, true);
  write_bytes(dir_.file("two_be.nii"), nifti2);
  EXPECT_TRUE(Contains(input_error(dir_.file("two_be.nii")).what, "NIfTI-2 files are not supported"));

  write_bytes(dir_.file("text.nii"), std::string(400, 'x'));
  EXPECT_TRUE(Contains(input_error(dir_.file("text.nii")).what, "not a NIfTI-1 file (sizeof_hdr = "));
}

TEST_F(LabelVolumeTest, NiftiAbsurdHeaderValuesAreRefusedBeforeAllocating) {
  NiftiSpec spec;
  spec.dim = {3, 32767, 32767, 32767, 1, 1, 1, 1};
  spec.sform_code = 1;
  spec.srow = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0};
  write_bytes(dir_.file("huge.nii"), nifti_header(spec));
  EXPECT_TRUE(Contains(input_error(dir_.file("huge.nii")).what,
                       "dimensions 32767 x 32767 x 32767 exceed the limit of 2^31 voxels"));
  spec.dim = {3, 4, 0, 4, 1, 1, 1, 1};
  write_bytes(dir_.file("zero.nii"), nifti_header(spec));
  EXPECT_TRUE(Contains(input_error(dir_.file("zero.nii")).what, "every dimension must be at least 1"));
  spec.dim = {3, 1, 1, 1, 1, 1, 1, 1};
  spec.vox_offset = 348;
  write_bytes(dir_.file("offset.nii"), nifti_header(spec) + "x");
  EXPECT_TRUE(Contains(input_error(dir_.file("offset.nii")).what, "vox_offset = 348 is invalid"));
  spec.vox_offset = 352;
  spec.srow = {1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0};  // i and j map to the same direction
  write_bytes(dir_.file("flat.nii"), nifti_header(spec) + "x");
  EXPECT_TRUE(Contains(input_error(dir_.file("flat.nii")).what, "the sform (srow_x/y/z) is singular"));
}

TEST_F(LabelVolumeTest, CorruptGzipUnknownExtensionAndMissingFile) {
  std::string gz = gzip_bytes(small_nifti<std::uint8_t>(2, std::vector<std::uint8_t>(8, 3)));
  for (std::size_t n = 12; n < gz.size() - 8; ++n) gz[n] = static_cast<char>(gz[n] ^ 0x5a);
  write_bytes(dir_.file("corrupt.nii.gz"), gz);
  Failure f = input_error(dir_.file("corrupt.nii.gz"));
  EXPECT_TRUE(Contains(f.what, "corrupt gzip data")) << f.what;
  EXPECT_EQ(f.where.file, dir_.file("corrupt.nii.gz"));

  write_bytes(dir_.file("labels.vtk"), "x");
  f = input_error(dir_.file("labels.vtk"));
  EXPECT_TRUE(Contains(f.what, "unknown label volume format; expected .nii, .nii.gz, .mhd or .mha"));
  EXPECT_EQ(f.where.file, dir_.file("labels.vtk"));

  EXPECT_TRUE(
      Contains(input_error(dir_.file("absent.nii.gz")).what, "absent.nii.gz: cannot open: No such file"));
  EXPECT_TRUE(Contains(input_error(dir_.file("absent.mha")).what, "absent.mha: cannot open: No such file"));
}

// --- MetaImage ----------------------------------------------------------------------------------

TEST_F(LabelVolumeTest, MetaImageRoundTripRawAndZraw) {
  for (const bool compressed : {false, true}) {
    for (const int datatype : {2, 4, 8}) {
      SCOPED_TRACE(::testing::Message()
                   << "compressed " << compressed << ", labels of datatype " << datatype);
      const LabelVolume written = test_volume(datatype, rotated_affine(false));
      const std::string header = dir_.file("labels.mhd");
      write_metaimage(header, written, compressed);
      const std::string data = dir_.file(compressed ? "labels.zraw" : "labels.raw");
      ASSERT_TRUE(fs::exists(data));
      EXPECT_TRUE(
          Contains(read_bytes(header), "ElementDataFile = " + fs::path(data).filename().string() + "\n"));

      const LabelVolume read = read_label_volume(header, 1e-3);
      EXPECT_EQ(read.dims, written.dims);
      EXPECT_EQ(read.labels, written.labels);
      EXPECT_TRUE(AffineNear(read.index_to_world, written.index_to_world, 1e-9));
      for (int d = 0; d < 3; ++d)
        EXPECT_NEAR(read.spacing()[d], written.spacing()[d], 1e-9 * written.spacing()[d]);
      const std::map<int, std::string> types = {{2, "MET_UCHAR"}, {4, "MET_SHORT"}, {8, "MET_INT"}};
      EXPECT_EQ(read.format, "MetaImage (" + types.at(datatype) + (compressed ? ", zlib)" : ")"));
      ASSERT_EQ(read.notes.size(), 1u);  // the assumed unit, nothing else
      EXPECT_TRUE(Contains(read.notes[0], "no length unit; assumed 1 unit = 1 mm"));
      fs::remove(data);
    }
  }
}

// MetaIO's TransformMatrix convention, pinned down with a hand-written file: numbers 3i..3i+2 are
// the world direction of index axis i (ITK MetaImageIO::ReadImageInformation:
// SetDirection(ii, {m[ii*N + 0..N-1]}), and ImageFileReader puts GetDirection(i) in column i).
TEST_F(LabelVolumeTest, MetaImageMhaLocalFollowsMetaIoTransformConvention) {
  const std::string header =
      "ObjectType = Image\n"
      "NDims = 3\n"
      "BinaryData = True\n"
      "BinaryDataByteOrderMSB = False\n"
      "CompressedData = False\n"
      "TransformMatrix = 0 1 0 -1 0 0 0 0 1\n"
      "Offset = 10 20 30\n"
      "CenterOfRotation = 0 0 0\n"
      "AnatomicalOrientation = RAI\n"
      "ElementSpacing = 2 3 4\n"
      "DimSize = 3 2 2\n"
      "ElementType = MET_UCHAR\n"
      "ElementDataFile = LOCAL\n";
  std::string voxels;
  for (int n = 0; n < 12; ++n) voxels += static_cast<char>(n * 10);
  write_bytes(dir_.file("local.mha"), header + voxels);
  const LabelVolume read = read_label_volume(dir_.file("local.mha"), 1e-3);
  EXPECT_EQ(read.dims, (std::array<int, 3>{3, 2, 2}));
  EXPECT_EQ(read.labels, (std::vector<std::int32_t>{0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110}));
  // Stepping i moves +y by 2 mm, stepping j moves -x by 3 mm, stepping k moves +z by 4 mm.
  const std::array<double, 12> expected = {0, -3e-3, 0, 10e-3, 2e-3, 0, 0, 20e-3, 0, 0, 4e-3, 30e-3};
  EXPECT_TRUE(AffineNear(read.index_to_world, expected, 1e-12));
  EXPECT_NEAR(read.spacing()[0], 2e-3, 1e-15);
  EXPECT_NEAR(read.spacing()[1], 3e-3, 1e-15);
  EXPECT_EQ(read.format, "MetaImage (MET_UCHAR)");
}

TEST_F(LabelVolumeTest, MetaImageMhaCompressedWithAliasesAnyCaseAndCrLf) {
  std::vector<std::int16_t> values;
  for (int n = 0; n < 24; ++n) values.push_back(static_cast<std::int16_t>(n * 1000 - 12000));
  const std::string packed = zlib_bytes(voxel_bytes(values, true));
  const std::string header =
      "objecttype = image\r\n"
      "ndims = 3\r\n"
      "elementbyteordermsb = True\r\n"
      "compresseddata = true\r\n"
      "compresseddatasize = " +
      std::to_string(packed.size()) +
      "\r\n"
      "Rotation = 1 0 0 0 0 1 0 -1 0\r\n"
      "Origin = -1 -2 -3\r\n"
      "ElementSize = 0.5 0.5 0.5\r\n"
      "DimSize = 2 3 4\r\n"
      "ElementType = MET_SHORT\r\n"
      "ElementDataFile = Local\r\n";
  write_bytes(dir_.file("aliases.MHA"), header + packed);
  const LabelVolume read = read_label_volume(dir_.file("aliases.MHA"), 1e-3);
  EXPECT_EQ(read.labels, std::vector<std::int32_t>(values.begin(), values.end()));
  const std::array<double, 12> expected = {0.5e-3, 0, 0, -1e-3, 0, 0, -0.5e-3, -2e-3, 0, 0.5e-3, 0, -3e-3};
  EXPECT_TRUE(AffineNear(read.index_to_world, expected, 1e-12));
  EXPECT_EQ(read.format, "MetaImage (MET_SHORT, zlib, big-endian)");
  EXPECT_EQ(read.notes.size(), 1u);  // only the unit: CompressedDataSize was right
}

TEST_F(LabelVolumeTest, MetaImageHeaderSizeSkipsBytesOrFindsDataAtTheEnd) {
  const std::string voxels = "\x01\x02\x03\x04\x05\x06\x07\x08";
  write_bytes(dir_.file("skip.raw"), std::string(16, '\xee') + voxels);
  const std::string common = "NDims = 3\nDimSize = 2 2 2\nElementType = MET_UCHAR\n";
  write_bytes(dir_.file("skip.mhd"), common + "HeaderSize = 16\nElementDataFile = skip.raw\n");
  write_bytes(dir_.file("end.mhd"), common + "HeaderSize = -1\nElementDataFile = skip.raw\n");
  const std::vector<std::int32_t> expected = {1, 2, 3, 4, 5, 6, 7, 8};
  EXPECT_EQ(read_label_volume(dir_.file("skip.mhd"), 1e-3).labels, expected);
  EXPECT_EQ(read_label_volume(dir_.file("end.mhd"), 1e-3).labels, expected);
  // Defaults: spacing 1, no rotation, origin 0, in the caller's unit.
  const LabelVolume read = read_label_volume(dir_.file("skip.mhd"), 1e-6);
  EXPECT_EQ(read.index_to_world, (std::array<double, 12>{1e-6, 0, 0, 0, 0, 1e-6, 0, 0, 0, 0, 1e-6, 0}));
  EXPECT_TRUE(Contains(read.notes.at(0), "assumed 1 unit = 1 um"));
}

TEST_F(LabelVolumeTest, MetaImageFloatLabelsMustBeWholeNumbers) {
  const std::string common = "NDims = 3\nDimSize = 2 2 2\nElementType = MET_FLOAT\n";
  write_bytes(dir_.file("f.raw"), voxel_bytes<float>({0, 1, 2, 3, 4, 5, 6, -7}));
  write_bytes(dir_.file("f.mhd"), common + "ElementDataFile = f.raw\n");
  EXPECT_EQ(read_label_volume(dir_.file("f.mhd"), 1e-3).labels,
            (std::vector<std::int32_t>{0, 1, 2, 3, 4, 5, 6, -7}));
  write_bytes(dir_.file("g.raw"), voxel_bytes<float>({0, 1, 2, 3, 4, 5, 6.25f, 7}));
  write_bytes(dir_.file("g.mhd"), common + "ElementDataFile = g.raw\n");
  const Failure f = input_error(dir_.file("g.mhd"));
  EXPECT_TRUE(Contains(f.what, "label maps must hold integers; voxel (0,1,1) has 6.25"));
  EXPECT_EQ(f.where.file, dir_.file("g.raw"));
}

// --- MetaImage defects --------------------------------------------------------------------------

class MetaImageDefects : public LabelVolumeTest {
 protected:
  // A 4 x 3 x 2 MET_UCHAR header; `extra` lines go before DimSize (line 3 onwards).
  std::string header(const std::string& extra, const std::string& data_file = "d.raw",
                     const std::string& type = "MET_UCHAR") {
    return "ObjectType = Image\nNDims = 3\n" + extra + "DimSize = 4 3 2\nElementType = " + type +
           "\nElementDataFile = " + data_file + "\n";
  }
  const std::string voxels_ = std::string(24, '\x05');
};

TEST_F(MetaImageDefects, MissingRequiredKeysNameTheHeader) {
  write_bytes(dir_.file("d.raw"), voxels_);
  write_bytes(dir_.file("nodims.mhd"), "NDims = 3\nElementType = MET_UCHAR\nElementDataFile = d.raw\n");
  Failure f = input_error(dir_.file("nodims.mhd"));
  EXPECT_TRUE(Contains(f.what, "nodims.mhd: missing DimSize (required)"));
  EXPECT_EQ(f.where.file, dir_.file("nodims.mhd"));
  write_bytes(dir_.file("nofile.mhd"), "NDims = 3\nDimSize = 4 3 2\nElementType = MET_UCHAR\n");
  EXPECT_TRUE(Contains(input_error(dir_.file("nofile.mhd")).what, "missing ElementDataFile"));
  write_bytes(dir_.file("notype.mhd"), "NDims = 3\nDimSize = 4 3 2\nElementDataFile = d.raw\n");
  EXPECT_TRUE(Contains(input_error(dir_.file("notype.mhd")).what, "missing ElementType"));
}

TEST_F(MetaImageDefects, UnsupportedElementTypeNamesItsLine) {
  write_bytes(dir_.file("d.raw"), voxels_);
  write_bytes(dir_.file("t.mhd"), header("ElementSpacing = 1 1 1\n", "d.raw", "MET_LONG_LONG"));
  const Failure f = input_error(dir_.file("t.mhd"));
  EXPECT_EQ(f.where.line, 5);
  EXPECT_TRUE(Contains(f.what, "t.mhd:5: ElementType = MET_LONG_LONG: unsupported ElementType"));
  write_bytes(dir_.file("rgb.mhd"), header("", "d.raw", "MET_UCHAR_ARRAY"));
  EXPECT_TRUE(Contains(input_error(dir_.file("rgb.mhd")).what, "rgb.mhd:4: ElementType = MET_UCHAR_ARRAY"));
}

TEST_F(MetaImageDefects, MissingDataFileIsNamed) {
  write_bytes(dir_.file("m.mhd"), header("", "missing.raw"));
  const Failure f = input_error(dir_.file("m.mhd"));
  EXPECT_TRUE(Contains(f.what, "cannot open data file " + dir_.file("missing.raw") + ": No such file"));
  EXPECT_EQ(f.where.file, dir_.file("m.mhd"));
  EXPECT_EQ(f.where.line, 5);
}

TEST_F(MetaImageDefects, CompressedStreamProblemsNameTheDataFile) {
  const std::string compressed = "CompressedData = True\n";
  write_bytes(dir_.file("h.mhd"), header(compressed, "d.zraw"));

  std::string corrupt = zlib_bytes(std::string(24, '\x05') + "some more varied content 0123456789");
  for (std::size_t n = 2; n < corrupt.size(); ++n) corrupt[n] = static_cast<char>(corrupt[n] ^ 0xa5);
  write_bytes(dir_.file("d.zraw"), corrupt);
  Failure f = input_error(dir_.file("h.mhd"));
  EXPECT_TRUE(Contains(f.what, "corrupt zlib stream")) << f.what;
  EXPECT_EQ(f.where.file, dir_.file("d.zraw"));

  write_bytes(dir_.file("d.zraw"), zlib_bytes(std::string(20, '\x05')));
  f = input_error(dir_.file("h.mhd"));
  EXPECT_TRUE(Contains(
      f.what, "the compressed stream inflates to 20 bytes, expected 24 (4 x 3 x 2 MET_UCHAR voxels)"));
  EXPECT_EQ(f.where.file, dir_.file("d.zraw"));

  // A stream far larger than the voxels stops at the expected size plus one byte.
  write_bytes(dir_.file("d.zraw"), zlib_bytes(std::string(50 << 20, '\0')));
  f = input_error(dir_.file("h.mhd"));
  EXPECT_TRUE(Contains(f.what, "inflates to more than the expected 24 bytes"));

  const std::string varied = zlib_bytes("abcdefghijklmnopqrstuvwx");
  write_bytes(dir_.file("d.zraw"), varied.substr(0, varied.size() / 2));
  f = input_error(dir_.file("h.mhd"));
  EXPECT_TRUE(Contains(f.what, "the compressed stream ends early")) << f.what;
  EXPECT_EQ(f.where.file, dir_.file("d.zraw"));

  write_bytes(dir_.file("d.zraw"), "");
  EXPECT_TRUE(Contains(input_error(dir_.file("h.mhd")).what, "truncated: no compressed voxel data"));
}

TEST_F(MetaImageDefects, ShortRawDataAndUnsupportedLayouts) {
  write_bytes(dir_.file("d.raw"), voxels_.substr(0, 20));
  write_bytes(dir_.file("short.mhd"), header(""));
  Failure f = input_error(dir_.file("short.mhd"));
  EXPECT_TRUE(Contains(f.what, "truncated: expected 24 bytes of voxel data after offset 0, found 20"));
  EXPECT_EQ(f.where.file, dir_.file("d.raw"));

  write_bytes(dir_.file("d.raw"), voxels_);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {header("", "LIST"), ":5: ElementDataFile = LIST: a list of slice files is not supported"},
      {header("", "slice%03d.raw 1 2 1"),
       ":5: ElementDataFile = slice%03d.raw 1 2 1: a pattern of slice files"},
      {header("ElementNumberOfChannels = 3\n"), ":3: ElementNumberOfChannels = 3: a label map needs"},
      {header("BinaryData = False\n"), ":3: BinaryData = False: ASCII voxel data is not supported"},
      {header("ElementSpacing = 1 0 1\n"), ":3: ElementSpacing = 1 0 1: voxel spacing must not be zero"},
      {header("ElementSpacing = 1 1\n"), ":3: ElementSpacing = 1 1: expected 3 numbers, found 2"},
      {header("TransformMatrix = 1 0 0 1 0 0 0 0 1\n"),
       ":3: TransformMatrix with ElementSpacing is singular"},
      {header("ElementByteOrderMSB = maybe\n"), ":3: ElementByteOrderMSB = maybe: expected True or False"},
      {header("this line has no equals sign\n"), ":3: expected 'Key = Value'"},
      {header("").replace(13, 5, "Mesh"), ":1: ObjectType = Mesh: only ObjectType = Image is supported"},
      {"NDims = 2\nDimSize = 4 3\nElementType = MET_UCHAR\nElementDataFile = d.raw\n",
       ":1: NDims = 2: a label volume needs NDims = 3"},
      {"NDims = 3\nDimSize = 4 x 2\nElementType = MET_UCHAR\nElementDataFile = d.raw\n",
       ":2: DimSize = 4 x 2: expected 3 numbers"},
      {"NDims = 3\nDimSize = 2000 2000 2000\nElementType = MET_UCHAR\nElementDataFile = d.raw\n",
       ":2: dimensions 2000 x 2000 x 2000 exceed the limit of 2^31 voxels"},
      {std::string("\x1f\x8b\x08\0\0\0\0\0\n", 9), ":1: line 1 is not text"},
      {std::string("\x89PNG\r\n\x1a\n", 8), ":1: expected 'Key = Value', found '\\x89PNG'"},
  };
  for (const auto& [text, message] : cases) {
    write_bytes(dir_.file("bad.mhd"), text);
    f = input_error(dir_.file("bad.mhd"));
    EXPECT_TRUE(Contains(f.what, dir_.file("bad.mhd") + message));
    EXPECT_EQ(f.where.file, dir_.file("bad.mhd"));
  }
}

// --- the frog (real data with a known header defect) --------------------------------------------

std::string shared_data_dir() {
  for (const std::string& candidate : {std::string(CYTOSTORM_SOURCE_DIR) + "/../shared/data",
                                       std::string("../shared/data"), std::string("../../shared/data")}) {
    if (fs::exists(candidate + "/volumes/frog/frogtissue.mhd")) return candidate;
  }
  return {};
}

TEST(LabelVolumeFrog, BothHeadersGiveTheManifestVoxelCounts) {
  const std::string data = shared_data_dir();
  if (data.empty()) GTEST_SKIP() << "../shared/data (the frog volume) is not present next to the repository";
  const std::map<int, std::int64_t> manifest = {{0, 30803043}, {1, 35279},   {2, 19172},   {3, 38129},
                                                {4, 37146},    {5, 16085},   {6, 37030},   {7, 27807},
                                                {8, 39181},    {9, 51297},   {10, 204672}, {11, 47626},
                                                {12, 24263},   {13, 440722}, {14, 3891},   {15, 133880}};
  const std::set<int> strays = {16, 17, 20, 21, 23, 24, 25, 26, 27, 29};

  for (const std::string header : {"frogtissue.mhd", "frogtissue_fixedheader.mhd"}) {
    SCOPED_TRACE(header);
    const LabelVolume frog = read_label_volume(data + "/volumes/frog/" + header, 1e-3);
    EXPECT_EQ(frog.dims, (std::array<int, 3>{500, 470, 136}));
    ASSERT_EQ(frog.labels.size(), 500u * 470u * 136u);
    EXPECT_EQ(frog.index_to_world, (std::array<double, 12>{1e-3, 0, 0, 0, 0, 1e-3, 0, 0, 0, 0, 1.5e-3, 0}));
    EXPECT_DOUBLE_EQ(frog.spacing()[0], 1e-3);
    EXPECT_DOUBLE_EQ(frog.spacing()[1], 1e-3);
    EXPECT_DOUBLE_EQ(frog.spacing()[2], 1.5e-3);
    EXPECT_EQ(frog.format, "MetaImage (MET_UCHAR, zlib)");

    std::map<int, std::int64_t> counts;
    for (std::int32_t label : frog.labels) ++counts[label];
    for (const auto& [label, count] : manifest) EXPECT_EQ(counts[label], count) << "label " << label;
    for (const auto& [label, count] : counts) {
      if (manifest.count(label) != 0) continue;
      EXPECT_EQ(strays.count(label), 1u) << "unexpected label " << label;
      EXPECT_LE(count, 252) << "label " << label;
    }

    bool size_note = false;
    for (const std::string& note : frog.notes) {
      if (note.find("CompressedDataSize") != std::string::npos) {
        size_note = true;
        EXPECT_TRUE(Contains(note,
                             "CompressedDataSize = 260020 in the header, but the compressed stream is 262087 "
                             "bytes; read the whole stream"));
      }
    }
    EXPECT_EQ(size_note, header == "frogtissue.mhd");
  }
}

}  // namespace
}  // namespace cyto
