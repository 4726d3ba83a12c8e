// The pieces the label-map readers and writers share: errors, stored
// values -> labels, header sanity checks, little-endian output.
#include "host/geometry/label_volume_common.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <type_traits>

#include <fmt/format.h>

namespace cyto::label_io {

[[noreturn]] void bad(const std::string& file, const std::string& message, int line) {
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

namespace {

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

}  // namespace

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
                  int line) {
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

}  // namespace cyto::label_io
