// NIfTI-1 label maps (.nii, .nii.gz): the reader (header, sform/qform,
// units, gzip) and the writer.
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <memory>
#include <type_traits>

#include <fmt/format.h>

#include <unistd.h>

#include "host/core/atomic_file.hpp"
#include "host/core/input_file.hpp"
#include "host/geometry/label_volume_common.hpp"

namespace cyto::label_io {
namespace {

// --- NIfTI-1 ------------------------------------------------------------------------------------

constexpr int kNiftiHeaderBytes = 348;
constexpr int kNiftiMinOffset = 352;  // header + the 4-byte extension flag

struct NiftiType {
  int code;
  const char* name;
  bool supported;
  Scalar scalar;
};

constexpr NiftiType kNiftiTypes[] = {
    {1, "binary", false, Scalar::kU8},        {2, "uint8", true, Scalar::kU8},
    {4, "int16", true, Scalar::kI16},         {8, "int32", true, Scalar::kI32},
    {16, "float32", true, Scalar::kF32},      {32, "complex64", false, Scalar::kU8},
    {64, "float64", true, Scalar::kF64},      {128, "RGB24", false, Scalar::kU8},
    {256, "int8", true, Scalar::kI8},         {512, "uint16", true, Scalar::kU16},
    {768, "uint32", true, Scalar::kU32},      {1024, "int64", false, Scalar::kU8},
    {1280, "uint64", false, Scalar::kU8},     {1536, "float128", false, Scalar::kU8},
    {1792, "complex128", false, Scalar::kU8}, {2048, "complex256", false, Scalar::kU8},
    {2304, "RGBA32", false, Scalar::kU8},
};

const NiftiType* find_nifti_type(int code) {
  for (const auto& t : kNiftiTypes) {
    if (t.code == code) return &t;
  }
  return nullptr;
}

struct GzCloser {
  void operator()(gzFile f) const { gzclose(f); }
};
using GzHandle = std::unique_ptr<std::remove_pointer_t<gzFile>, GzCloser>;

// Reads up to `size` bytes (fewer only at the end of the data); InputError on corrupt gzip data.
std::size_t gz_read_up_to(gzFile f, unsigned char* out, std::size_t size, const std::string& file) {
  std::size_t total = 0;
  while (total < size) {
    const unsigned want = static_cast<unsigned>(std::min(size - total, std::size_t{1} << 30));
    const int got = gzread(f, out + total, want);
    if (got <= 0) break;
    total += static_cast<std::size_t>(got);
  }
  if (total < size) {
    int code = Z_OK;
    const char* message = gzerror(f, &code);
    // Z_BUF_ERROR is a gzip stream cut short: the caller reports the missing bytes.
    if (code == Z_ERRNO) bad(file, fmt::format("cannot read: {}", std::strerror(errno)));
    if (code != Z_OK && code != Z_BUF_ERROR) bad(file, fmt::format("corrupt gzip data: {}", message));
  }
  return total;
}

// NIfTI-1 method 2: rotation from the unit quaternion (b, c, d), qfac flipping the third axis.
std::array<double, 12> nifti_quaternion_affine(double b, double c, double d, double qfac,
                                               const std::array<double, 3>& pixdim,
                                               const std::array<double, 3>& offset) {
  double a = 1.0 - (b * b + c * c + d * d);
  if (a < 1e-7) {  // a rounded to zero: a 180 degree rotation; renormalise (b, c, d) as nifti1_io does
    const double norm = 1.0 / std::sqrt(b * b + c * c + d * d);
    b *= norm;
    c *= norm;
    d *= norm;
    a = 0.0;
  } else {
    a = std::sqrt(a);
  }
  const double r[3][3] = {{a * a + b * b - c * c - d * d, 2 * b * c - 2 * a * d, 2 * b * d + 2 * a * c},
                          {2 * b * c + 2 * a * d, a * a + c * c - b * b - d * d, 2 * c * d - 2 * a * b},
                          {2 * b * d - 2 * a * c, 2 * c * d + 2 * a * b, a * a + d * d - c * c - b * b}};
  const double scale[3] = {pixdim[0], pixdim[1], qfac < 0 ? -pixdim[2] : pixdim[2]};
  std::array<double, 12> m{};
  for (int row = 0; row < 3; ++row) {
    for (int col = 0; col < 3; ++col) m[row * 4 + col] = r[row][col] * scale[col];
    m[row * 4 + 3] = offset[row];
  }
  return m;
}

// ---- reader steps, in the order the header is checked ----

// The 348-byte header, read in the file's byte order.
struct NiftiHeader {
  unsigned char bytes[kNiftiHeaderBytes];
  bool swap = false;
  int i16(int offset) const { return load<std::int16_t>(bytes + offset, swap); }
  double f32(int offset) const { return static_cast<double>(load<float>(bytes + offset, swap)); }
};

// sizeof_hdr decides the byte order; NIfTI-2 and pairs are refused by name.
NiftiHeader read_nifti_header(gzFile file, const std::string& path) {
  NiftiHeader header;
  unsigned char* h = header.bytes;
  const std::size_t header_bytes = gz_read_up_to(file, h, kNiftiHeaderBytes, path);
  if (header_bytes < 4) {
    bad(path, fmt::format("truncated NIfTI-1 header: the file holds {} bytes, a header needs {}",
                          header_bytes, kNiftiHeaderBytes));
  }
  const auto sizeof_hdr = load<std::int32_t>(h, false);
  const auto sizeof_hdr_swapped = load<std::int32_t>(h, true);
  if (sizeof_hdr == 540 || sizeof_hdr_swapped == 540) {
    bad(path, "NIfTI-2 files are not supported; convert to NIfTI-1 (.nii)");
  }
  if (sizeof_hdr != kNiftiHeaderBytes && sizeof_hdr_swapped != kNiftiHeaderBytes) {
    bad(path, fmt::format("not a NIfTI-1 file (sizeof_hdr = {}, expected 348)", sizeof_hdr));
  }
  header.swap = sizeof_hdr != kNiftiHeaderBytes;
  if (header_bytes < kNiftiHeaderBytes) {
    bad(path, fmt::format("truncated NIfTI-1 header: the file holds {} bytes, a header needs {}",
                          header_bytes, kNiftiHeaderBytes));
  }
  if (std::memcmp(h + 344, "ni1\0", 4) == 0) {
    bad(path, "not supported: NIfTI pair (.hdr/.img); convert to .nii");
  }
  if (std::memcmp(h + 344, "n+1\0", 4) != 0) {
    bad(path, fmt::format("not a NIfTI-1 file (magic \"{}\", expected \"n+1\")", printable(h + 344, 4)));
  }
  return header;
}

// dim[]: one 3-D volume. Sets volume.dims; returns the voxel count.
std::uint64_t read_nifti_dims(const NiftiHeader& h, const std::string& path, LabelVolume& volume) {
  const int ndim = h.i16(40);
  if (ndim < 3 || ndim > 7) {
    bad(path, fmt::format("dim[0] = {}: a label volume needs 3 dimensions", ndim));
  }
  for (int d = 4; d <= ndim; ++d) {
    if (h.i16(40 + 2 * d) != 1) {
      bad(path, fmt::format("dim[0] = {} with dim[{}] = {}: only a single 3-D volume is supported", ndim, d,
                            h.i16(40 + 2 * d)));
    }
  }
  const std::uint64_t voxels = checked_voxel_count({h.i16(42), h.i16(44), h.i16(46)}, path, 0);
  volume.dims = {h.i16(42), h.i16(44), h.i16(46)};
  return voxels;
}

// datatype (an integer type, or float holding integers); a bitpix that disagrees is a note.
const NiftiType& read_nifti_datatype(const NiftiHeader& h, const std::string& path, LabelVolume& volume) {
  const int datatype = h.i16(70);
  const NiftiType* type = find_nifti_type(datatype);
  if (type == nullptr || !type->supported) {
    bad(path, fmt::format("unsupported NIfTI datatype {} ({}); label maps need an integer type", datatype,
                          type != nullptr ? type->name : "unknown"));
  }
  const int bytes_per_voxel = scalar_bytes(type->scalar);
  if (h.i16(72) != 8 * bytes_per_voxel) {
    volume.notes.push_back(fmt::format("bitpix = {} does not match datatype {} ({}); used {} bits", h.i16(72),
                                       datatype, type->name, 8 * bytes_per_voxel));
  }
  return *type;
}

std::uint64_t read_nifti_data_offset(const NiftiHeader& h, const std::string& path) {
  const double vox_offset = h.f32(108);
  if (!(vox_offset >= kNiftiMinOffset) || vox_offset > 1e12 || std::floor(vox_offset) != vox_offset) {
    bad(path, fmt::format("vox_offset = {} is invalid; a single-file NIfTI-1 needs a whole number >= {}",
                          vox_offset, kNiftiMinOffset));
  }
  return static_cast<std::uint64_t>(vox_offset);
}

// scl_slope and scl_inter, unless they leave the values as stored.
Decoding read_nifti_scaling(const NiftiHeader& h, const NiftiType& type, const std::string& path) {
  Decoding how;
  how.type = type.scalar;
  how.swap = h.swap;
  const double slope = h.f32(112), inter = h.f32(116);
  if (std::isfinite(slope) && slope != 0.0 && !(slope == 1.0 && inter == 0.0)) {
    if (!std::isfinite(inter)) bad(path, fmt::format("scl_inter = {} is not a finite number", inter));
    how.scaled = true;
    how.slope = slope;
    how.inter = inter;
    how.scaling_text = fmt::format(" after scl_slope = {}, scl_inter = {}", slope, inter);
  }
  return how;
}

// pixdim[1..3], which the qform and a header without orientation need.
std::array<double, 3> read_nifti_pixdim(const NiftiHeader& h, const std::string& path, const char* method) {
  std::array<double, 3> pixdim{};
  for (int d = 0; d < 3; ++d) {
    pixdim[d] = h.f32(80 + 4 * d);
    if (!(pixdim[d] > 0.0) || !std::isfinite(pixdim[d])) {
      bad(path, fmt::format("pixdim[{}] = {}: voxel sizes must be positive (needed for the {})", d + 1,
                            pixdim[d], method));
    }
  }
  return pixdim;
}

// NIfTI's world is RAS (+x right, +y anterior); the project's is LPS (+x left, +y posterior, as DICOM,
// ITK and MetaImage): x and y change sign, both ways (label_volume.hpp).
std::array<double, 12> ras_lps_swapped(std::array<double, 12> m) {
  for (int n = 0; n < 8; ++n) m[n] = -m[n];
  return m;
}

// Orientation, in file units and the LPS world: the sform, else the qform (both RAS in the file), else
// pixdim alone (no frame: the axes as they are, with a note).
std::array<double, 12> read_nifti_orientation(const NiftiHeader& h, const std::string& path,
                                              LabelVolume& volume) {
  const int qform_code = h.i16(252), sform_code = h.i16(254);
  std::array<double, 12> affine{};
  if (sform_code > 0) {
    for (int n = 0; n < 12; ++n) affine[n] = h.f32(280 + 4 * n);
    check_affine(affine, path, "the sform (srow_x/y/z)");
    affine = ras_lps_swapped(affine);
  } else if (qform_code > 0) {
    const std::array<double, 3> pixdim = read_nifti_pixdim(h, path, "qform");
    const double qfac = h.f32(76) < 0 ? -1.0 : 1.0;  // pixdim[0]; 0 means 1
    const double b = h.f32(256), c = h.f32(260), d = h.f32(264);
    if (!std::isfinite(b) || !std::isfinite(c) || !std::isfinite(d)) {
      bad(path, "the qform quaternion has a non-finite entry");
    }
    affine = nifti_quaternion_affine(b, c, d, qfac, pixdim, {h.f32(268), h.f32(272), h.f32(276)});
    check_affine(affine, path, "the qform");
    affine = ras_lps_swapped(affine);
  } else {
    const std::array<double, 3> pixdim = read_nifti_pixdim(h, path, "grid spacing");
    affine = {pixdim[0], 0, 0, 0, 0, pixdim[1], 0, 0, 0, 0, pixdim[2], 0};
    volume.notes.push_back(
        "the header has no orientation (qform_code = sform_code = 0): used pixdim as the voxel size, "
        "with no rotation and the first voxel at the origin");
  }
  return affine;
}

// Metres per file unit, from xyzt_units; the caller's unit (with a note) where it gives none.
double read_nifti_length_unit(const NiftiHeader& h, const std::string& path, double unit_if_unspecified_m,
                              LabelVolume& volume) {
  const int xyzt_units = h.bytes[123];
  switch (xyzt_units & 7) {
    case 0:
      volume.notes.push_back(
          fmt::format("the header gives no length unit (xyzt_units = {}); assumed 1 unit = {}", xyzt_units,
                      describe_unit(unit_if_unspecified_m)));
      return unit_if_unspecified_m;
    case 1:
      return 1.0;
    case 2:
      return 1e-3;
    case 3:
      return 1e-6;
    default:
      bad(path, fmt::format("xyzt_units = {} has no valid length unit (code {}; expected 1 m, 2 mm or 3 um)",
                            xyzt_units, xyzt_units & 7));
  }
}

// The voxel bytes: skip the extensions, then exactly the voxels (never more, whatever a gzip stream holds).
std::vector<unsigned char> read_nifti_voxels(gzFile file, const std::string& path, bool gzipped,
                                             std::uint64_t data_offset, std::uint64_t expected) {
  auto truncated = [&](std::uint64_t found) {
    bad(path, fmt::format("truncated: expected {} bytes of voxel data after offset {}, found {}", expected,
                          data_offset, found));
  };
  if (!gzipped) {
    // A plain file's size is known: refuse a short one before allocating its voxels.
    std::error_code error;
    const auto size = std::filesystem::file_size(path, error);
    if (!error && size < data_offset + expected) truncated(size > data_offset ? size - data_offset : 0);
  }
  std::vector<unsigned char> raw(std::min<std::uint64_t>(kChunk, data_offset - kNiftiHeaderBytes));
  for (std::uint64_t skip = data_offset - kNiftiHeaderBytes; skip > 0;) {
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(skip, raw.size()));
    if (gz_read_up_to(file, raw.data(), want, path) < want) truncated(0);
    skip -= want;
  }
  // A gzip stream's length is unknown until read: grow with the data, so that a truncated file
  // claiming gigabytes does not get them allocated up front.
  raw.clear();
  if (!gzipped) raw.reserve(static_cast<std::size_t>(expected));
  std::size_t found = 0;
  while (found < expected) {
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(expected - found, 64 * kChunk));
    raw.resize(found + want);
    const std::size_t got = gz_read_up_to(file, raw.data() + found, want, path);
    found += got;
    if (got < want) truncated(found);
  }
  return raw;
}

}  // namespace

LabelVolume read_nifti(const std::string& path, double unit_if_unspecified_m) {
  // A regular file, checked before anything is read (a FIFO or a device would block or never end);
  // gzdopen takes the descriptor over.
  const int fd = InputFile(path, "", kMaxFileBytes).release();
  GzHandle file(gzdopen(fd, "rb"));
  if (!file) {
    ::close(fd);
    bad(path, "cannot open: out of memory");
  }
  gzbuffer(file.get(), 1 << 17);

  const NiftiHeader header = read_nifti_header(file.get(), path);
  const bool gzipped = gzdirect(file.get()) == 0;
  LabelVolume volume;
  const std::uint64_t voxels = read_nifti_dims(header, path, volume);
  const NiftiType& type = read_nifti_datatype(header, path, volume);
  const std::uint64_t data_offset = read_nifti_data_offset(header, path);
  const Decoding how = read_nifti_scaling(header, type, path);
  const std::array<double, 12> affine = read_nifti_orientation(header, path, volume);
  const double unit = read_nifti_length_unit(header, path, unit_if_unspecified_m, volume);
  for (int n = 0; n < 12; ++n) volume.index_to_world[n] = affine[n] * unit;
  volume.unit = unit;
  volume.unit_from_file = (header.bytes[123] & 7) != 0;

  const std::uint64_t expected = voxels * static_cast<std::uint64_t>(scalar_bytes(type.scalar));
  const std::vector<unsigned char> raw = read_nifti_voxels(file.get(), path, gzipped, data_offset, expected);
  volume.labels = decode(raw, how, volume.dims, path);
  volume.format =
      fmt::format("NIfTI-1 ({}{}{})", type.name, gzipped ? ", gzip" : "", header.swap ? ", big-endian" : "");
  return volume;
}

namespace {

// ---- writer ----

std::string gzip(const std::string& path, const std::string& content) {
  z_stream z{};
  if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    write_failure(path, "zlib init");
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&z, deflateEnd);
  std::string out(deflateBound(&z, content.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(content.data()));
  z.avail_in = static_cast<uInt>(content.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  if (content.size() > (std::size_t{1} << 31) || deflate(&z, Z_FINISH) != Z_STREAM_END) {
    write_failure(path, "gzip compression failed");
  }
  out.resize(z.total_out);
  return out;
}

using Matrix3 = std::array<std::array<double, 3>, 3>;

// Nearest rotation (polar decomposition, X <- (X + X^-T) / 2): the qform can only hold a rotation.
Matrix3 nearest_rotation(Matrix3 x) {
  for (int iteration = 0; iteration < 100; ++iteration) {
    const double det = x[0][0] * (x[1][1] * x[2][2] - x[1][2] * x[2][1]) -
                       x[0][1] * (x[1][0] * x[2][2] - x[1][2] * x[2][0]) +
                       x[0][2] * (x[1][0] * x[2][1] - x[1][1] * x[2][0]);
    Matrix3 inverse_transpose{};  // cofactor matrix / det
    for (int r = 0; r < 3; ++r) {
      for (int c = 0; c < 3; ++c) {
        const int r1 = (r + 1) % 3, r2 = (r + 2) % 3, c1 = (c + 1) % 3, c2 = (c + 2) % 3;
        inverse_transpose[r][c] = (x[r1][c1] * x[r2][c2] - x[r1][c2] * x[r2][c1]) / det;
      }
    }
    double change = 0.0;
    for (int r = 0; r < 3; ++r) {
      for (int c = 0; c < 3; ++c) {
        const double next = 0.5 * (x[r][c] + inverse_transpose[r][c]);
        change = std::max(change, std::abs(next - x[r][c]));
        x[r][c] = next;
      }
    }
    if (change < 1e-15) break;
  }
  return x;
}

// NIfTI-1 quaternion (b, c, d) of a proper rotation, with a >= 0 (the standard's convention).
std::array<double, 3> rotation_to_quaternion(const Matrix3& r) {
  double a = r[0][0] + r[1][1] + r[2][2] + 1.0, b = 0, c = 0, d = 0;
  if (a > 0.5) {
    a = 0.5 * std::sqrt(a);
    b = 0.25 * (r[2][1] - r[1][2]) / a;
    c = 0.25 * (r[0][2] - r[2][0]) / a;
    d = 0.25 * (r[1][0] - r[0][1]) / a;
  } else {
    const double xd = 1.0 + r[0][0] - (r[1][1] + r[2][2]);
    const double yd = 1.0 + r[1][1] - (r[0][0] + r[2][2]);
    const double zd = 1.0 + r[2][2] - (r[0][0] + r[1][1]);
    if (xd > 1.0) {
      b = 0.5 * std::sqrt(xd);
      c = 0.25 * (r[0][1] + r[1][0]) / b;
      d = 0.25 * (r[0][2] + r[2][0]) / b;
      a = 0.25 * (r[2][1] - r[1][2]) / b;
    } else if (yd > 1.0) {
      c = 0.5 * std::sqrt(yd);
      b = 0.25 * (r[0][1] + r[1][0]) / c;
      d = 0.25 * (r[1][2] + r[2][1]) / c;
      a = 0.25 * (r[0][2] - r[2][0]) / c;
    } else {
      d = 0.5 * std::sqrt(zd);
      b = 0.25 * (r[0][2] + r[2][0]) / d;
      c = 0.25 * (r[1][2] + r[2][1]) / d;
      a = 0.25 * (r[1][0] - r[0][1]) / d;
    }
    if (a < 0.0) {
      b = -b;
      c = -c;
      d = -d;
    }
  }
  return {b, c, d};
}

// The labels as the datatype stores them, refusing labels it cannot hold.
struct NiftiVoxelData {
  std::string bytes;
  int bits = 0;
};

NiftiVoxelData nifti_voxel_data(const std::string& path, const LabelVolume& volume, int nifti_datatype) {
  NiftiVoxelData data;
  switch (nifti_datatype) {
    case 2:
      check_label_range(path, volume, 0, 255, "NIfTI datatype 2 (uint8)");
      data.bytes = little_endian_labels<std::uint8_t>(volume.labels);
      data.bits = 8;
      break;
    case 4:
      check_label_range(path, volume, -32768, 32767, "NIfTI datatype 4 (int16)");
      data.bytes = little_endian_labels<std::int16_t>(volume.labels);
      data.bits = 16;
      break;
    case 8:
      data.bytes = little_endian_labels<std::int32_t>(volume.labels);
      data.bits = 32;
      break;
    case 512:
      check_label_range(path, volume, 0, 65535, "NIfTI datatype 512 (uint16)");
      data.bytes = little_endian_labels<std::uint16_t>(volume.labels);
      data.bits = 16;
      break;
    default:
      write_failure(path, fmt::format("unsupported NIfTI datatype {} (use 2, 4, 8 or 512)", nifti_datatype));
  }
  return data;
}

// Header and extension flag (vox_offset bytes): the affine in mm and in NIfTI's RAS as the sform, and
// split into voxel sizes and a rotation for the qform.
std::string nifti_header(const LabelVolume& volume, int nifti_datatype, int bits) {
  std::array<double, 12> mm = ras_lps_swapped(volume.index_to_world);
  for (double& v : mm) v *= 1e3;
  const std::array<double, 3> spacing_m = volume.spacing();
  Matrix3 rotation{};
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) rotation[r][c] = mm[r * 4 + c] / (spacing_m[c] * 1e3);
  }
  const double qfac = determinant3(volume.index_to_world) < 0 ? -1.0 : 1.0;
  for (int r = 0; r < 3; ++r) rotation[r][2] *= qfac;
  const std::array<double, 3> quaternion = rotation_to_quaternion(nearest_rotation(rotation));

  std::string file(kNiftiMinOffset, '\0');
  put<std::int32_t>(file, 0, kNiftiHeaderBytes);
  file[38] = 'r';  // "regular", as Analyze 7.5 readers expect
  const std::int16_t dim[8] = {3,
                               static_cast<std::int16_t>(volume.dims[0]),
                               static_cast<std::int16_t>(volume.dims[1]),
                               static_cast<std::int16_t>(volume.dims[2]),
                               1,
                               1,
                               1,
                               1};
  for (int d = 0; d < 8; ++d) put<std::int16_t>(file, 40 + 2 * d, dim[d]);
  put<std::int16_t>(file, 70, static_cast<std::int16_t>(nifti_datatype));
  put<std::int16_t>(file, 72, static_cast<std::int16_t>(bits));
  put<float>(file, 76, static_cast<float>(qfac));
  for (int d = 0; d < 3; ++d) put<float>(file, 80 + 4 * d, static_cast<float>(spacing_m[d] * 1e3));
  put<float>(file, 108, static_cast<float>(kNiftiMinOffset));
  put<float>(file, 112, 1.0f);  // scl_slope
  file[123] = 2;                // xyzt_units: mm
  put<std::int16_t>(file, 252, 1);
  put<std::int16_t>(file, 254, 1);
  for (int q = 0; q < 3; ++q) put<float>(file, 256 + 4 * q, static_cast<float>(quaternion[q]));
  for (int q = 0; q < 3; ++q) put<float>(file, 268 + 4 * q, static_cast<float>(mm[q * 4 + 3]));
  for (int n = 0; n < 12; ++n) put<float>(file, 280 + 4 * n, static_cast<float>(mm[n]));
  std::memcpy(file.data() + 344, "n+1\0", 4);
  return file;
}

}  // namespace
}  // namespace cyto::label_io

namespace cyto {

using namespace label_io;  // this format's pieces and the shared ones

void write_nifti(const std::string& path, const LabelVolume& volume, int nifti_datatype) {
  check_volume(path, volume);
  const std::string name = lower(path);
  const bool gzipped = ends_with(name, ".nii.gz");
  if (!gzipped && !ends_with(name, ".nii"))
    write_failure(path, "a NIfTI-1 file name ends in .nii or .nii.gz");
  const NiftiVoxelData data = nifti_voxel_data(path, volume, nifti_datatype);
  for (int d : volume.dims) {
    if (d > 32767) write_failure(path, fmt::format("dimension {} exceeds NIfTI-1's limit of 32767", d));
  }
  const std::string file = nifti_header(volume, nifti_datatype, data.bits) + data.bytes;
  write_file_atomically(path, gzipped ? gzip(path, file) : file);
}

}  // namespace cyto
