#include "host/geometry/label_volume.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <map>
#include <memory>
#include <stdexcept>
#include <type_traits>

#include <fmt/format.h>

#include "host/core/atomic_file.hpp"

namespace cyto {

std::array<double, 3> LabelVolume::spacing() const {
  std::array<double, 3> s{};
  for (int c = 0; c < 3; ++c) {
    s[c] = std::sqrt(index_to_world[c] * index_to_world[c] + index_to_world[4 + c] * index_to_world[4 + c] +
                     index_to_world[8 + c] * index_to_world[8 + c]);
  }
  return s;
}

namespace {

// Beyond this a label map is certainly a broken header, and int32 indices would overflow.
constexpr std::uint64_t kMaxVoxels = std::uint64_t{1} << 31;
// Reads and inflates in pieces no larger than this (zlib counts in 32-bit uInt).
constexpr std::size_t kChunk = std::size_t{1} << 20;

[[noreturn]] void bad(const std::string& file, const std::string& message, int line = 0) {
  SourceLocation where;
  where.file = file;
  where.line = line;
  throw InputError(where, message);
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

std::string describe_unit(double metres) {
  if (metres == 1.0) return "1 m";
  if (metres == 1e-3) return "1 mm";
  if (metres == 1e-6) return "1 um";
  return fmt::format("{} m", metres);
}

// --- voxel values -------------------------------------------------------------------------------

enum class Scalar { kU8, kI8, kI16, kU16, kI32, kU32, kF32, kF64 };

int scalar_bytes(Scalar t) {
  switch (t) {
    case Scalar::kU8:
    case Scalar::kI8:
      return 1;
    case Scalar::kI16:
    case Scalar::kU16:
      return 2;
    case Scalar::kI32:
    case Scalar::kU32:
    case Scalar::kF32:
      return 4;
    case Scalar::kF64:
      return 8;
  }
  return 0;
}

template <typename T>
T load(const unsigned char* p, bool swap) {
  unsigned char bytes[sizeof(T)];
  if (swap) {
    for (std::size_t b = 0; b < sizeof(T); ++b) bytes[b] = p[sizeof(T) - 1 - b];
  } else {
    std::memcpy(bytes, p, sizeof(T));
  }
  T value;
  std::memcpy(&value, bytes, sizeof(T));
  return value;
}

// How stored values become labels: the file's scaling and what to name in errors.
struct Decoding {
  Scalar type = Scalar::kU8;
  bool swap = false;
  bool scaled = false;  // value * slope + inter
  double slope = 1.0;
  double inter = 0.0;
  std::string scaling_text;  // e.g. " after scl_slope = 0.5, scl_inter = 0"
};

[[noreturn]] void bad_value(const std::string& file, const std::array<int, 3>& dims, std::size_t n,
                            double value, const Decoding& how) {
  const std::size_t nx = static_cast<std::size_t>(dims[0]), ny = static_cast<std::size_t>(dims[1]);
  const std::string voxel = fmt::format("({},{},{})", n % nx, (n / nx) % ny, n / (nx * ny));
  if (std::isfinite(value) && std::nearbyint(value) == value) {
    bad(file, fmt::format("label {}{} at voxel {} is outside the int32 range of label ids", value,
                          how.scaling_text, voxel));
  }
  bad(file, fmt::format("label maps must hold integers; voxel {} has {}{}", voxel, value, how.scaling_text));
}

template <typename T>
void decode_as(const unsigned char* raw, std::size_t count, const Decoding& how,
               const std::array<int, 3>& dims, const std::string& file, std::int32_t* out) {
  constexpr bool kFitsInt32 = std::is_integral_v<T> && (sizeof(T) < 4 || std::is_same_v<T, std::int32_t>);
  if constexpr (kFitsInt32) {
    // The common case (uint8 label maps): a plain widening loop the compiler vectorises.
    if (!how.scaled) {
      if (how.swap) {
        for (std::size_t n = 0; n < count; ++n) out[n] = load<T>(raw + n * sizeof(T), true);
      } else {
        for (std::size_t n = 0; n < count; ++n) out[n] = load<T>(raw + n * sizeof(T), false);
      }
      return;
    }
  }
  // Scaled values are products of float32 factors, so allow rounding noise; stored values must be exact.
  for (std::size_t n = 0; n < count; ++n) {
    double value = static_cast<double>(load<T>(raw + n * sizeof(T), how.swap));
    if (how.scaled) {
      value = value * how.slope + how.inter;
      const double rounded = std::nearbyint(value);
      if (std::abs(value - rounded) <= 1e-6 * std::max(1.0, std::abs(value))) value = rounded;
    }
    if (!(value >= std::numeric_limits<std::int32_t>::min() &&
          value <= std::numeric_limits<std::int32_t>::max()) ||
        std::nearbyint(value) != value) {
      bad_value(file, dims, n, value, how);
    }
    out[n] = static_cast<std::int32_t>(value);
  }
}

std::vector<std::int32_t> decode(const std::vector<unsigned char>& raw, const Decoding& how,
                                 const std::array<int, 3>& dims, const std::string& file) {
  const std::size_t count = raw.size() / static_cast<std::size_t>(scalar_bytes(how.type));
  std::vector<std::int32_t> labels(count);
  const unsigned char* p = raw.data();
  switch (how.type) {
    case Scalar::kU8:
      decode_as<std::uint8_t>(p, count, how, dims, file, labels.data());
      break;
    case Scalar::kI8:
      decode_as<std::int8_t>(p, count, how, dims, file, labels.data());
      break;
    case Scalar::kI16:
      decode_as<std::int16_t>(p, count, how, dims, file, labels.data());
      break;
    case Scalar::kU16:
      decode_as<std::uint16_t>(p, count, how, dims, file, labels.data());
      break;
    case Scalar::kI32:
      decode_as<std::int32_t>(p, count, how, dims, file, labels.data());
      break;
    case Scalar::kU32:
      decode_as<std::uint32_t>(p, count, how, dims, file, labels.data());
      break;
    case Scalar::kF32:
      decode_as<float>(p, count, how, dims, file, labels.data());
      break;
    case Scalar::kF64:
      decode_as<double>(p, count, how, dims, file, labels.data());
      break;
  }
  return labels;
}

// Checked before any allocation so that a corrupt header cannot ask for terabytes.
std::uint64_t checked_voxel_count(const std::array<long long, 3>& dims, const std::string& file, int line) {
  std::uint64_t product = 1;
  for (long long d : dims) {
    if (d < 1) {
      bad(file,
          fmt::format("dimensions {} x {} x {}: every dimension must be at least 1", dims[0], dims[1],
                      dims[2]),
          line);
    }
    if (static_cast<std::uint64_t>(d) > kMaxVoxels || product * static_cast<std::uint64_t>(d) > kMaxVoxels) {
      bad(file,
          fmt::format(
              "dimensions {} x {} x {} exceed the limit of 2^31 voxels; the header is probably corrupt",
              dims[0], dims[1], dims[2]),
          line);
    }
    product *= static_cast<std::uint64_t>(d);
  }
  return product;
}

double determinant3(const std::array<double, 12>& m) {
  return m[0] * (m[5] * m[10] - m[6] * m[9]) - m[1] * (m[4] * m[10] - m[6] * m[8]) +
         m[2] * (m[4] * m[9] - m[5] * m[8]);
}

// A flat or non-finite affine would put voxels on top of each other.
void check_affine(const std::array<double, 12>& m, const std::string& file, const std::string& what,
                  int line = 0) {
  for (double v : m) {
    if (!std::isfinite(v)) bad(file, fmt::format("{} has a non-finite entry", what), line);
  }
  LabelVolume probe;
  probe.index_to_world = m;
  const auto s = probe.spacing();
  if (!(std::abs(determinant3(m)) > 1e-9 * s[0] * s[1] * s[2])) {
    bad(file, fmt::format("{} is singular (a voxel axis of zero length or parallel to another)", what), line);
  }
}

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

std::string printable(const unsigned char* bytes, int n) {
  std::string s;
  for (int b = 0; b < n; ++b) {
    if (bytes[b] >= 0x20 && bytes[b] < 0x7f && bytes[b] != '"') {
      s += static_cast<char>(bytes[b]);
    } else {
      s += fmt::format("\\x{:02x}", bytes[b]);
    }
  }
  return s;
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

LabelVolume read_nifti(const std::string& path, double unit_if_unspecified_m) {
  errno = 0;
  GzHandle file(gzopen(path.c_str(), "rb"));
  if (!file) bad(path, fmt::format("cannot open: {}", errno != 0 ? std::strerror(errno) : "out of memory"));
  gzbuffer(file.get(), 1 << 17);

  unsigned char h[kNiftiHeaderBytes];
  const std::size_t header_bytes = gz_read_up_to(file.get(), h, sizeof h, path);
  const bool gzipped = gzdirect(file.get()) == 0;
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
  const bool swap = sizeof_hdr != kNiftiHeaderBytes;
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
  auto i16 = [&](int offset) { return load<std::int16_t>(h + offset, swap); };
  auto f32 = [&](int offset) { return static_cast<double>(load<float>(h + offset, swap)); };

  LabelVolume volume;
  // Geometry of the grid.
  const int ndim = i16(40);
  if (ndim < 3 || ndim > 7) {
    bad(path, fmt::format("dim[0] = {}: a label volume needs 3 dimensions", ndim));
  }
  for (int d = 4; d <= ndim; ++d) {
    if (i16(40 + 2 * d) != 1) {
      bad(path, fmt::format("dim[0] = {} with dim[{}] = {}: only a single 3-D volume is supported", ndim, d,
                            i16(40 + 2 * d)));
    }
  }
  const std::uint64_t voxels = checked_voxel_count({i16(42), i16(44), i16(46)}, path, 0);
  volume.dims = {i16(42), i16(44), i16(46)};

  const int datatype = i16(70);
  const NiftiType* type = find_nifti_type(datatype);
  if (type == nullptr || !type->supported) {
    bad(path, fmt::format("unsupported NIfTI datatype {} ({}); label maps need an integer type", datatype,
                          type != nullptr ? type->name : "unknown"));
  }
  const int bytes_per_voxel = scalar_bytes(type->scalar);
  if (i16(72) != 8 * bytes_per_voxel) {
    volume.notes.push_back(fmt::format("bitpix = {} does not match datatype {} ({}); used {} bits", i16(72),
                                       datatype, type->name, 8 * bytes_per_voxel));
  }

  const double vox_offset = f32(108);
  if (!(vox_offset >= kNiftiMinOffset) || vox_offset > 1e12 || std::floor(vox_offset) != vox_offset) {
    bad(path, fmt::format("vox_offset = {} is invalid; a single-file NIfTI-1 needs a whole number >= {}",
                          vox_offset, kNiftiMinOffset));
  }
  const auto data_offset = static_cast<std::uint64_t>(vox_offset);

  Decoding how;
  how.type = type->scalar;
  how.swap = swap;
  const double slope = f32(112), inter = f32(116);
  if (std::isfinite(slope) && slope != 0.0 && !(slope == 1.0 && inter == 0.0)) {
    if (!std::isfinite(inter)) bad(path, fmt::format("scl_inter = {} is not a finite number", inter));
    how.scaled = true;
    how.slope = slope;
    how.inter = inter;
    how.scaling_text = fmt::format(" after scl_slope = {}, scl_inter = {}", slope, inter);
  }

  // Orientation, in file units.
  const int qform_code = i16(252), sform_code = i16(254);
  std::array<double, 3> pixdim{};
  auto require_pixdim = [&](const char* method) {
    for (int d = 0; d < 3; ++d) {
      pixdim[d] = f32(80 + 4 * d);
      if (!(pixdim[d] > 0.0) || !std::isfinite(pixdim[d])) {
        bad(path, fmt::format("pixdim[{}] = {}: voxel sizes must be positive (needed for the {})", d + 1,
                              pixdim[d], method));
      }
    }
  };
  std::array<double, 12> affine{};
  if (sform_code > 0) {
    for (int n = 0; n < 12; ++n) affine[n] = f32(280 + 4 * n);
    check_affine(affine, path, "the sform (srow_x/y/z)");
  } else if (qform_code > 0) {
    require_pixdim("qform");
    const double qfac = f32(76) < 0 ? -1.0 : 1.0;  // pixdim[0]; 0 means 1
    const double b = f32(256), c = f32(260), d = f32(264);
    if (!std::isfinite(b) || !std::isfinite(c) || !std::isfinite(d)) {
      bad(path, "the qform quaternion has a non-finite entry");
    }
    affine = nifti_quaternion_affine(b, c, d, qfac, pixdim, {f32(268), f32(272), f32(276)});
    check_affine(affine, path, "the qform");
  } else {
    require_pixdim("grid spacing");
    affine = {pixdim[0], 0, 0, 0, 0, pixdim[1], 0, 0, 0, 0, pixdim[2], 0};
    volume.notes.push_back(
        "the header has no orientation (qform_code = sform_code = 0): used pixdim as the voxel size, "
        "with no rotation and the first voxel at the origin");
  }

  double unit = 0.0;
  const int xyzt_units = static_cast<unsigned char>(h[123]);
  switch (xyzt_units & 7) {
    case 0:
      unit = unit_if_unspecified_m;
      volume.notes.push_back(
          fmt::format("the header gives no length unit (xyzt_units = {}); assumed 1 unit = {}", xyzt_units,
                      describe_unit(unit)));
      break;
    case 1:
      unit = 1.0;
      break;
    case 2:
      unit = 1e-3;
      break;
    case 3:
      unit = 1e-6;
      break;
    default:
      bad(path, fmt::format("xyzt_units = {} has no valid length unit (code {}; expected 1 m, 2 mm or 3 um)",
                            xyzt_units, xyzt_units & 7));
  }
  for (int n = 0; n < 12; ++n) volume.index_to_world[n] = affine[n] * unit;

  // Voxel data: skip the extensions, then exactly the voxels (never more, whatever a gzip stream holds).
  const std::uint64_t expected = voxels * static_cast<std::uint64_t>(bytes_per_voxel);
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
    if (gz_read_up_to(file.get(), raw.data(), want, path) < want) truncated(0);
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
    const std::size_t got = gz_read_up_to(file.get(), raw.data() + found, want, path);
    found += got;
    if (got < want) truncated(found);
  }

  volume.labels = decode(raw, how, volume.dims, path);
  volume.format =
      fmt::format("NIfTI-1 ({}{}{})", type->name, gzipped ? ", gzip" : "", swap ? ", big-endian" : "");
  return volume;
}

// --- MetaImage ----------------------------------------------------------------------------------

constexpr std::size_t kMaxMetaHeaderBytes = std::size_t{1} << 20;

struct MetaField {
  std::string key;  // as written
  std::string value;
  int line = 0;
};

struct MetaHeader {
  std::map<std::string, MetaField> fields;  // by lower-case key
  std::uint64_t data_offset = 0;            // first byte after the ElementDataFile line

  // The first of `keys` (aliases, lower case) that is present.
  const MetaField* find(std::initializer_list<const char*> keys) const {
    for (const char* key : keys) {
      const auto it = fields.find(key);
      if (it != fields.end()) return &it->second;
    }
    return nullptr;
  }
};

MetaHeader parse_meta_header(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) bad(path, fmt::format("cannot open: {}", std::strerror(errno)));
  std::string text(kMaxMetaHeaderBytes, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));

  MetaHeader header;
  std::size_t start = 0;
  for (int line = 1; start < text.size(); ++line) {
    std::size_t end = text.find('\n', start);
    const bool last = end == std::string::npos;
    if (last) end = text.size();
    const std::string raw_line = text.substr(start, end - start);
    start = last ? text.size() : end + 1;
    if (last && text.size() == kMaxMetaHeaderBytes) {
      bad(path, "no ElementDataFile line in the first 1 MiB; is this a MetaImage header?");
    }
    for (unsigned char c : raw_line) {
      if (c < 0x20 && c != '\t' && c != '\r') {
        bad(path, fmt::format("line {} is not text; is this a MetaImage header?", line), line);
      }
    }
    const std::string content = trim(raw_line);
    if (content.empty() || content[0] == '#') continue;
    const auto equals = content.find('=');
    if (equals == std::string::npos) {
      const std::string shown = printable(reinterpret_cast<const unsigned char*>(content.data()),
                                          static_cast<int>(std::min<std::size_t>(content.size(), 60)));
      bad(path, fmt::format("expected 'Key = Value', found '{}{}'", shown, content.size() > 60 ? "..." : ""),
          line);
    }
    MetaField field{trim(content.substr(0, equals)), trim(content.substr(equals + 1)), line};
    const std::string key = lower(field.key);
    header.fields[key] = field;
    if (key == "elementdatafile") {  // MetaIO's last header line; data may follow it (LOCAL)
      header.data_offset = start;
      return header;
    }
  }
  bad(path, "missing ElementDataFile (required)");
}

class MetaReader {
 public:
  MetaReader(const std::string& path, const MetaHeader& header) : path_(path), header_(header) {}

  const MetaField& require(const char* key, const char* name) const {
    const MetaField* field = header_.find({key});
    if (field == nullptr) bad(path_, fmt::format("missing {} (required)", name));
    return *field;
  }

  [[noreturn]] void bad_field(const MetaField& field, const std::string& message) const {
    bad(path_, fmt::format("{} = {}: {}", field.key, field.value, message), field.line);
  }

  std::vector<double> numbers(const MetaField& field, std::size_t count) const {
    std::vector<double> values;
    const char* p = field.value.c_str();
    while (true) {
      while (*p == ' ' || *p == '\t') ++p;
      if (*p == '\0') break;
      char* end = nullptr;
      const double v = std::strtod(p, &end);
      if (end == p || (*end != '\0' && *end != ' ' && *end != '\t') || !std::isfinite(v)) {
        bad_field(field, fmt::format("expected {} numbers", count));
      }
      values.push_back(v);
      p = end;
    }
    if (values.size() != count) {
      bad_field(field, fmt::format("expected {} numbers, found {}", count, values.size()));
    }
    return values;
  }

  long long integer(const MetaField& field) const {
    const double v = numbers(field, 1)[0];
    if (std::floor(v) != v || std::abs(v) > 9e15) bad_field(field, "expected a whole number");
    return static_cast<long long>(v);
  }

  bool boolean(const MetaField& field) const {
    const std::string v = lower(field.value);
    if (v == "true" || v == "1") return true;
    if (v == "false" || v == "0") return false;
    bad_field(field, "expected True or False");
  }

 private:
  const std::string& path_;
  const MetaHeader& header_;
};

struct MetaType {
  const char* name;
  Scalar scalar;
};

constexpr MetaType kMetaTypes[] = {{"MET_UCHAR", Scalar::kU8},  {"MET_CHAR", Scalar::kI8},
                                   {"MET_SHORT", Scalar::kI16}, {"MET_USHORT", Scalar::kU16},
                                   {"MET_INT", Scalar::kI32},   {"MET_UINT", Scalar::kU32},
                                   {"MET_FLOAT", Scalar::kF32}, {"MET_DOUBLE", Scalar::kF64}};

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using FileHandle = std::unique_ptr<std::FILE, FileCloser>;

// Where the voxel bytes of a MetaImage live.
struct MetaData {
  std::string path;          // data file (the header itself for LOCAL)
  std::uint64_t offset = 0;  // first byte of the data
  std::uint64_t size = 0;    // whole file
  FileHandle file;
};

// Inflates the zlib stream at data.offset into exactly `expected` bytes. The stream's own end decides
// where it stops (CompressedDataSize is only a hint: real files get it wrong).
std::vector<unsigned char> inflate_meta(MetaData& data, std::uint64_t expected, const std::string& what,
                                        long long size_hint, std::vector<std::string>& notes) {
  z_stream z{};
  if (inflateInit2(&z, 15 + 32) != Z_OK) throw RuntimeFailure("zlib: cannot initialise inflate");
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&z, inflateEnd);
  const std::uint64_t available = data.size - data.offset;
  // One guard byte past the expected size: reaching it proves the stream holds too much, without
  // inflating any further (a zip bomb stops here).
  std::vector<unsigned char> out(static_cast<std::size_t>(expected) + 1);
  std::vector<unsigned char> in(kChunk);
  std::uint64_t consumed = 0;
  bool input_done = false;
  auto produced = [&] { return static_cast<std::uint64_t>(z.next_out - out.data()); };
  z.next_out = out.data();
  while (true) {
    if (z.avail_in == 0 && !input_done) {
      const std::size_t got = std::fread(in.data(), 1, in.size(), data.file.get());
      if (std::ferror(data.file.get())) bad(data.path, fmt::format("cannot read: {}", std::strerror(errno)));
      input_done = got == 0;
      consumed += got;
      z.next_in = in.data();
      z.avail_in = static_cast<uInt>(got);
    }
    if (z.avail_out == 0) {
      z.avail_out = static_cast<uInt>(std::min<std::uint64_t>(out.size() - produced(), std::size_t{1} << 30));
    }
    const int status = inflate(&z, Z_NO_FLUSH);
    if (produced() > expected) {
      bad(data.path, fmt::format("the compressed stream inflates to more than the expected {} bytes ({})",
                                 expected, what));
    }
    if (status == Z_STREAM_END) break;
    if (status == Z_OK) continue;
    if (status == Z_BUF_ERROR && !(input_done && z.avail_in == 0)) continue;
    if (status == Z_BUF_ERROR) {
      bad(data.path,
          fmt::format("the compressed stream ends early: inflated {} of the expected {} bytes ({}); "
                      "the file is probably truncated",
                      produced(), expected, what));
    }
    if (status == Z_MEM_ERROR) throw RuntimeFailure("zlib: out of memory while inflating " + data.path);
    bad(data.path, fmt::format("corrupt zlib stream at offset {} (zlib: {}) after inflating {} of {} bytes",
                               data.offset, z.msg != nullptr ? z.msg : "invalid data", produced(), expected));
  }
  if (produced() != expected) {
    bad(data.path, fmt::format("the compressed stream inflates to {} bytes, expected {} ({})", produced(),
                               expected, what));
  }
  const std::uint64_t stream_bytes = consumed - z.avail_in;
  if (size_hint >= 0 && static_cast<std::uint64_t>(size_hint) != stream_bytes) {
    notes.push_back(fmt::format(
        "CompressedDataSize = {} in the header, but the compressed stream is {} bytes; read the whole stream",
        size_hint, stream_bytes));
  }
  if (stream_bytes < available) {
    notes.push_back(fmt::format("{} holds {} bytes after the end of the compressed stream; ignored",
                                data.path, available - stream_bytes));
  }
  out.pop_back();
  return out;
}

LabelVolume read_metaimage(const std::string& path, double unit_if_unspecified_m) {
  const MetaHeader header = parse_meta_header(path);
  const MetaReader r(path, header);
  LabelVolume volume;

  if (const MetaField* f = header.find({"objecttype"}); f != nullptr && lower(f->value) != "image") {
    r.bad_field(*f, "only ObjectType = Image is supported");
  }
  const MetaField& ndims = r.require("ndims", "NDims");
  if (r.integer(ndims) != 3) r.bad_field(ndims, "a label volume needs NDims = 3");
  const MetaField& dim_size = r.require("dimsize", "DimSize");
  const MetaField& element_type = r.require("elementtype", "ElementType");
  const MetaField& data_file = r.require("elementdatafile", "ElementDataFile");

  const std::vector<double> dims = r.numbers(dim_size, 3);
  for (double d : dims) {
    if (std::floor(d) != d) r.bad_field(dim_size, "expected whole numbers");
  }
  const std::uint64_t voxels = checked_voxel_count(
      {static_cast<long long>(dims[0]), static_cast<long long>(dims[1]), static_cast<long long>(dims[2])},
      path, dim_size.line);
  volume.dims = {static_cast<int>(dims[0]), static_cast<int>(dims[1]), static_cast<int>(dims[2])};

  if (const MetaField* f = header.find({"elementnumberofchannels"}); f != nullptr && r.integer(*f) != 1) {
    r.bad_field(*f, "a label map needs ElementNumberOfChannels = 1");
  }
  const MetaType* type = nullptr;
  for (const auto& t : kMetaTypes) {
    if (lower(element_type.value) == lower(t.name)) type = &t;
  }
  if (type == nullptr) {
    r.bad_field(
        element_type,
        "unsupported ElementType; label maps need MET_UCHAR, MET_CHAR, MET_SHORT, MET_USHORT, MET_INT, "
        "MET_UINT, or MET_FLOAT/MET_DOUBLE holding whole numbers");
  }
  if (const MetaField* f = header.find({"binarydata"}); f != nullptr && !r.boolean(*f)) {
    r.bad_field(*f, "ASCII voxel data is not supported");
  }
  bool big_endian = false;
  if (const MetaField* f = header.find({"elementbyteordermsb", "binarydatabyteordermsb"}))
    big_endian = r.boolean(*f);
  bool compressed = false;
  if (const MetaField* f = header.find({"compresseddata"})) compressed = r.boolean(*f);
  long long size_hint = -1;
  if (const MetaField* f = header.find({"compresseddatasize"}); f != nullptr && compressed) {
    size_hint = r.integer(*f);
    if (size_hint < 0) r.bad_field(*f, "expected a size in bytes");
  }
  long long header_size = 0;
  if (const MetaField* f = header.find({"headersize"})) {
    header_size = r.integer(*f);
    if (header_size < -1) r.bad_field(*f, "expected a byte count, or -1 for data at the end of the file");
    if (header_size == -1 && compressed) r.bad_field(*f, "HeaderSize = -1 cannot locate compressed data");
  }

  std::vector<double> spacing = {1, 1, 1};
  if (const MetaField* f = header.find({"elementspacing", "elementsize"})) {
    spacing = r.numbers(*f, 3);
    for (double s : spacing) {
      if (s == 0.0) r.bad_field(*f, "voxel spacing must not be zero");
    }
  }
  // Offset is the centre of voxel (0,0,0), as in ITK, which is what index_to_world maps to.
  std::vector<double> offset = {0, 0, 0};
  if (const MetaField* f = header.find({"offset", "origin", "position"})) offset = r.numbers(*f, 3);
  // MetaIO stores direction cosines axis by axis: numbers 3i..3i+2 are the world direction of index
  // axis i (ITK's MetaImageIO: SetDirection(i, {m[3i], m[3i+1], m[3i+2]}); ImageFileReader puts
  // GetDirection(i) in column i of the image's direction matrix).
  std::vector<double> direction = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  const MetaField* transform = header.find({"transformmatrix", "rotation", "orientation"});
  if (transform != nullptr) direction = r.numbers(*transform, 9);
  std::array<double, 12> affine{};
  for (int row = 0; row < 3; ++row) {
    for (int axis = 0; axis < 3; ++axis) affine[row * 4 + axis] = direction[3 * axis + row] * spacing[axis];
    affine[row * 4 + 3] = offset[row];
  }
  if (transform != nullptr) {
    check_affine(affine, path, "TransformMatrix with ElementSpacing", transform->line);
  }
  for (int n = 0; n < 12; ++n) volume.index_to_world[n] = affine[n] * unit_if_unspecified_m;
  volume.notes.push_back(fmt::format("MetaImage headers carry no length unit; assumed 1 unit = {}",
                                     describe_unit(unit_if_unspecified_m)));

  // The data file.
  MetaData data;
  const std::string data_name = data_file.value;
  const std::string data_kind = lower(data_name);
  if (data_kind == "local") {
    data.path = path;
    data.offset = header.data_offset;
  } else if (data_kind == "list" || data_kind.rfind("list ", 0) == 0) {
    r.bad_field(data_file, "a list of slice files is not supported; convert to a single .mha or .mhd + .raw");
  } else if (data_name.find('%') != std::string::npos) {
    r.bad_field(data_file,
                "a pattern of slice files is not supported; convert to a single .mha or .mhd + .raw");
  } else if (data_name.empty()) {
    r.bad_field(data_file, "no data file named");
  } else {
    data.path = (std::filesystem::path(path).parent_path() / data_name).string();
  }
  errno = 0;
  data.file.reset(std::fopen(data.path.c_str(), "rb"));
  if (!data.file || std::filesystem::is_directory(data.path)) {
    bad(path,
        fmt::format("cannot open data file {}: {}", data.path,
                    errno != 0 ? std::strerror(errno) : "not a file"),
        data_file.line);
  }
  std::error_code error;
  data.size = std::filesystem::file_size(data.path, error);
  if (error) bad(data.path, fmt::format("cannot read: {}", error.message()));

  const std::uint64_t expected = voxels * static_cast<std::uint64_t>(scalar_bytes(type->scalar));
  const std::string what =
      fmt::format("{} x {} x {} {} voxels", volume.dims[0], volume.dims[1], volume.dims[2], type->name);
  if (header_size == -1) {
    data.offset = data.size >= expected ? data.size - expected : 0;
  } else {
    data.offset += static_cast<std::uint64_t>(header_size);
  }
  const std::uint64_t available = data.size > data.offset ? data.size - data.offset : 0;
  if (std::fseek(data.file.get(), static_cast<long>(std::min(data.offset, data.size)), SEEK_SET) != 0) {
    bad(data.path, fmt::format("cannot read: {}", std::strerror(errno)));
  }
  std::vector<unsigned char> raw;
  if (compressed) {
    if (available == 0) {
      bad(data.path,
          fmt::format("truncated: no compressed voxel data after offset {} ({})", data.offset, what));
    }
    raw = inflate_meta(data, expected, what, size_hint, volume.notes);
  } else {
    if (available < expected) {
      bad(data.path, fmt::format("truncated: expected {} bytes of voxel data after offset {}, found {} ({})",
                                 expected, data.offset, available, what));
    }
    raw.resize(static_cast<std::size_t>(expected));
    if (std::fread(raw.data(), 1, raw.size(), data.file.get()) != raw.size()) {
      bad(data.path, fmt::format("cannot read: {}", std::strerror(errno)));
    }
    if (available > expected) {
      volume.notes.push_back(
          fmt::format("{} holds {} bytes after the voxel data; ignored", data.path, available - expected));
    }
  }
  Decoding how;
  how.type = type->scalar;
  how.swap = big_endian;
  volume.labels = decode(raw, how, volume.dims, data.path);
  volume.format = fmt::format("MetaImage ({}{}{})", type->name, compressed ? ", zlib" : "",
                              big_endian ? ", big-endian" : "");
  return volume;
}

// --- writers ------------------------------------------------------------------------------------

[[noreturn]] void write_failure(const std::string& path, const std::string& reason) {
  throw RuntimeFailure(fmt::format("cannot write {}: {}", path, reason));
}

void check_volume(const std::string& path, const LabelVolume& volume) {
  std::uint64_t voxels = 1;
  for (int d : volume.dims) {
    if (d < 1) write_failure(path, fmt::format("dimension {} is not positive", d));
    voxels *= static_cast<std::uint64_t>(d);
  }
  if (voxels != volume.labels.size()) {
    write_failure(path, fmt::format("{} labels for {} x {} x {} voxels", volume.labels.size(), volume.dims[0],
                                    volume.dims[1], volume.dims[2]));
  }
  for (double v : volume.index_to_world) {
    if (!std::isfinite(v)) write_failure(path, "index_to_world has a non-finite entry");
  }
  for (double s : volume.spacing()) {
    if (!(s > 0.0)) write_failure(path, "index_to_world has a zero-length voxel axis");
  }
}

void check_label_range(const std::string& path, const LabelVolume& volume, long long lo, long long hi,
                       const char* type) {
  for (std::size_t n = 0; n < volume.labels.size(); ++n) {
    if (volume.labels[n] < lo || volume.labels[n] > hi) {
      write_failure(path, fmt::format("label {} does not fit {}", volume.labels[n], type));
    }
  }
}

template <typename T>
void put(std::string& out, std::size_t offset, T value) {  // little-endian, whatever the host
  unsigned char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  const std::uint16_t probe = 1;
  if (*reinterpret_cast<const unsigned char*>(&probe) == 0) std::reverse(bytes, bytes + sizeof(T));
  std::memcpy(out.data() + offset, bytes, sizeof(T));
}

template <typename T>
std::string little_endian_labels(const std::vector<std::int32_t>& labels) {
  std::string out(labels.size() * sizeof(T), '\0');
  for (std::size_t n = 0; n < labels.size(); ++n) put<T>(out, n * sizeof(T), static_cast<T>(labels[n]));
  return out;
}

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

}  // namespace

LabelVolume read_label_volume(const std::string& path, double unit_if_unspecified_m) {
  if (!(unit_if_unspecified_m > 0.0) || !std::isfinite(unit_if_unspecified_m)) {
    throw std::invalid_argument(fmt::format(
        "read_label_volume: unit_if_unspecified_m = {} is not a positive length", unit_if_unspecified_m));
  }
  const std::string name = lower(path);
  if (ends_with(name, ".nii") || ends_with(name, ".nii.gz")) return read_nifti(path, unit_if_unspecified_m);
  if (ends_with(name, ".mhd") || ends_with(name, ".mha")) return read_metaimage(path, unit_if_unspecified_m);
  if (ends_with(name, ".hdr") || ends_with(name, ".img")) {
    bad(path, "not supported: NIfTI/Analyze pair (.hdr/.img); convert to .nii");
  }
  bad(path, "unknown label volume format; expected .nii, .nii.gz, .mhd or .mha");
}

void write_nifti(const std::string& path, const LabelVolume& volume, int nifti_datatype) {
  check_volume(path, volume);
  const std::string name = lower(path);
  const bool gzipped = ends_with(name, ".nii.gz");
  if (!gzipped && !ends_with(name, ".nii"))
    write_failure(path, "a NIfTI-1 file name ends in .nii or .nii.gz");
  std::string data;
  int bits = 0;
  switch (nifti_datatype) {
    case 2:
      check_label_range(path, volume, 0, 255, "NIfTI datatype 2 (uint8)");
      data = little_endian_labels<std::uint8_t>(volume.labels);
      bits = 8;
      break;
    case 4:
      check_label_range(path, volume, -32768, 32767, "NIfTI datatype 4 (int16)");
      data = little_endian_labels<std::int16_t>(volume.labels);
      bits = 16;
      break;
    case 8:
      data = little_endian_labels<std::int32_t>(volume.labels);
      bits = 32;
      break;
    case 512:
      check_label_range(path, volume, 0, 65535, "NIfTI datatype 512 (uint16)");
      data = little_endian_labels<std::uint16_t>(volume.labels);
      bits = 16;
      break;
    default:
      write_failure(path, fmt::format("unsupported NIfTI datatype {} (use 2, 4, 8 or 512)", nifti_datatype));
  }
  for (int d : volume.dims) {
    if (d > 32767) write_failure(path, fmt::format("dimension {} exceeds NIfTI-1's limit of 32767", d));
  }

  // The affine in mm, split into voxel sizes and a rotation for the qform.
  std::array<double, 12> mm{};
  for (int n = 0; n < 12; ++n) mm[n] = volume.index_to_world[n] * 1e3;
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
  file += data;
  write_file_atomically(path, gzipped ? gzip(path, file) : file);
}

void write_metaimage(const std::string& mhd_path, const LabelVolume& volume, bool compressed) {
  check_volume(mhd_path, volume);
  if (!ends_with(lower(mhd_path), ".mhd")) write_failure(mhd_path, "a MetaImage header name ends in .mhd");
  const auto [lo, hi] = std::minmax_element(volume.labels.begin(), volume.labels.end());
  std::string type, data;
  if (*lo >= 0 && *hi <= 255) {
    type = "MET_UCHAR";
    data = little_endian_labels<std::uint8_t>(volume.labels);
  } else if (*lo >= -32768 && *hi <= 32767) {
    type = "MET_SHORT";
    data = little_endian_labels<std::int16_t>(volume.labels);
  } else if (*lo >= 0 && *hi <= 65535) {
    type = "MET_USHORT";
    data = little_endian_labels<std::uint16_t>(volume.labels);
  } else {
    type = "MET_INT";
    data = little_endian_labels<std::int32_t>(volume.labels);
  }
  const std::filesystem::path header_path(mhd_path);
  const std::string data_name = header_path.stem().string() + (compressed ? ".zraw" : ".raw");
  const std::string data_path = (header_path.parent_path() / data_name).string();
  if (compressed) {
    std::string packed(compressBound(data.size()), '\0');
    uLongf packed_size = packed.size();
    if (compress2(reinterpret_cast<Bytef*>(packed.data()), &packed_size,
                  reinterpret_cast<const Bytef*>(data.data()), data.size(), 6) != Z_OK) {
      write_failure(data_path, "zlib compression failed");
    }
    packed.resize(packed_size);
    data.swap(packed);
  }

  // Spacing and direction cosines in mm; TransformMatrix axis by axis (see read_metaimage).
  const std::array<double, 3> spacing_m = volume.spacing();
  const auto& m = volume.index_to_world;
  std::string transform;
  for (int axis = 0; axis < 3; ++axis) {
    for (int row = 0; row < 3; ++row) {
      transform += fmt::format("{}{}", transform.empty() ? "" : " ", m[row * 4 + axis] / spacing_m[axis]);
    }
  }
  std::string header = "ObjectType = Image\nNDims = 3\nBinaryData = True\nBinaryDataByteOrderMSB = False\n";
  header += fmt::format("CompressedData = {}\n", compressed ? "True" : "False");
  if (compressed) header += fmt::format("CompressedDataSize = {}\n", data.size());
  header += fmt::format("TransformMatrix = {}\n", transform);
  header += fmt::format("Offset = {} {} {}\n", m[3] * 1e3, m[7] * 1e3, m[11] * 1e3);
  header += "CenterOfRotation = 0 0 0\n";
  header +=
      fmt::format("ElementSpacing = {} {} {}\n", spacing_m[0] * 1e3, spacing_m[1] * 1e3, spacing_m[2] * 1e3);
  header += fmt::format("DimSize = {} {} {}\n", volume.dims[0], volume.dims[1], volume.dims[2]);
  header += fmt::format("ElementType = {}\n", type);
  header += fmt::format("ElementDataFile = {}\n", data_name);
  // Data first: a header never points at a missing or stale data file.
  write_file_atomically(data_path, data);
  write_file_atomically(mhd_path, header);
}

}  // namespace cyto
