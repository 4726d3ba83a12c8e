// The pieces the label-map readers (NIfTI-1: nifti.cpp, MetaImage:
// metaimage.cpp) and writers share. For those files only; the public API is
// label_volume.hpp.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "host/geometry/label_volume.hpp"

namespace cyto::label_io {

// Beyond this a label map is certainly a broken header, and int32 indices would overflow.
inline constexpr std::uint64_t kMaxVoxels = std::uint64_t{1} << 31;
// The most bytes a label-map file may hold: a header, 2^31 voxels of 8
// bytes and room for extensions. Reads are bounded by the header's own
// sizes; this refuses a file that cannot be a label map before reading it.
inline constexpr std::uint64_t kMaxFileBytes = (kMaxVoxels * 8) + (std::uint64_t{1} << 30);
// Reads and inflates in pieces no larger than this (zlib counts in 32-bit uInt).
inline constexpr std::size_t kChunk = std::size_t{1} << 20;

// InputError at the file (and header line, for text headers).
[[noreturn]] void bad(const std::string& file, const std::string& message, int line = 0);
// RuntimeFailure "cannot write <path>: <reason>".
[[noreturn]] void write_failure(const std::string& path, const std::string& reason);

std::string lower(std::string s);
bool ends_with(const std::string& s, const std::string& suffix);
std::string trim(const std::string& s);
// "1 mm", or "<metres> m"
std::string describe_unit(double metres);
// Bytes as text for messages, non-printable ones as \xNN.
std::string printable(const unsigned char* bytes, int n);

// ---- voxel values ----

enum class Scalar { kU8, kI8, kI16, kU16, kI32, kU32, kF32, kF64 };

int scalar_bytes(Scalar t);

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

// Stored values -> labels; InputError naming the voxel for a value that is
// not an int32 integer (after scaling).
std::vector<std::int32_t> decode(const std::vector<unsigned char>& raw, const Decoding& how,
                                 const std::array<int, 3>& dims, const std::string& file);

// ---- header checks ----

// Checked before any allocation so that a corrupt header cannot ask for terabytes.
std::uint64_t checked_voxel_count(const std::array<long long, 3>& dims, const std::string& file, int line);
double determinant3(const std::array<double, 12>& m);
// A flat or non-finite affine would put voxels on top of each other.
void check_affine(const std::array<double, 12>& m, const std::string& file, const std::string& what,
                  int line = 0);

// ---- writers ----

// RuntimeFailure for a volume no file can hold (dims, label count, affine).
void check_volume(const std::string& path, const LabelVolume& volume);
// RuntimeFailure for a label outside [lo, hi], the range of `type`.
void check_label_range(const std::string& path, const LabelVolume& volume, long long lo, long long hi,
                       const char* type);

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

// The readers, by format.
LabelVolume read_nifti(const std::string& path, double unit_if_unspecified_m);
LabelVolume read_metaimage(const std::string& path, double unit_if_unspecified_m);

}  // namespace cyto::label_io
