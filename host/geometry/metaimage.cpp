// MetaImage label maps (.mhd + .raw/.zraw, or .mha): the reader (header,
// data file, zlib) and the writer.
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "host/core/atomic_file.hpp"
#include "host/core/input_file.hpp"
#include "host/geometry/label_volume_common.hpp"

namespace cyto::label_io {
namespace {

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
  const std::string text = InputFile(path, "", kMaxFileBytes).read_prefix(kMaxMetaHeaderBytes);

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

// ---- reader steps, in the order the header is checked ----

// Objects other than one 3-D image are refused.
void check_meta_object(const MetaHeader& header, const MetaReader& r) {
  if (const MetaField* f = header.find({"objecttype"}); f != nullptr && lower(f->value) != "image") {
    r.bad_field(*f, "only ObjectType = Image is supported");
  }
  const MetaField& ndims = r.require("ndims", "NDims");
  if (r.integer(ndims) != 3) r.bad_field(ndims, "a label volume needs NDims = 3");
}

// DimSize: sets volume.dims; returns the voxel count.
std::uint64_t read_meta_dims(const MetaReader& r, const MetaField& dim_size, const std::string& path,
                             LabelVolume& volume) {
  const std::vector<double> dims = r.numbers(dim_size, 3);
  for (double d : dims) {
    if (std::floor(d) != d) r.bad_field(dim_size, "expected whole numbers");
  }
  const std::uint64_t voxels = checked_voxel_count(
      {static_cast<long long>(dims[0]), static_cast<long long>(dims[1]), static_cast<long long>(dims[2])},
      path, dim_size.line);
  volume.dims = {static_cast<int>(dims[0]), static_cast<int>(dims[1]), static_cast<int>(dims[2])};
  return voxels;
}

// How the voxels are stored: type, byte order, compression, where the data starts.
struct MetaStorage {
  const MetaType* type = nullptr;
  bool big_endian = false;
  bool compressed = false;
  long long size_hint = -1;   // CompressedDataSize, -1 where not given
  long long header_size = 0;  // HeaderSize: bytes to skip, -1 for data at the end of the file
};

const MetaType& read_meta_element_type(const MetaHeader& header, const MetaReader& r,
                                       const MetaField& element_type) {
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
  return *type;
}

MetaStorage read_meta_storage(const MetaHeader& header, const MetaReader& r, const MetaField& element_type) {
  MetaStorage storage;
  storage.type = &read_meta_element_type(header, r, element_type);
  if (const MetaField* f = header.find({"binarydata"}); f != nullptr && !r.boolean(*f)) {
    r.bad_field(*f, "ASCII voxel data is not supported");
  }
  if (const MetaField* f = header.find({"elementbyteordermsb", "binarydatabyteordermsb"}))
    storage.big_endian = r.boolean(*f);
  if (const MetaField* f = header.find({"compresseddata"})) storage.compressed = r.boolean(*f);
  if (const MetaField* f = header.find({"compresseddatasize"}); f != nullptr && storage.compressed) {
    storage.size_hint = r.integer(*f);
    if (storage.size_hint < 0) r.bad_field(*f, "expected a size in bytes");
  }
  if (const MetaField* f = header.find({"headersize"})) {
    storage.header_size = r.integer(*f);
    if (storage.header_size < -1)
      r.bad_field(*f, "expected a byte count, or -1 for data at the end of the file");
    if (storage.header_size == -1 && storage.compressed)
      r.bad_field(*f, "HeaderSize = -1 cannot locate compressed data");
  }
  return storage;
}

// index -> world in file units, from ElementSpacing, Offset and TransformMatrix.
std::array<double, 12> read_meta_orientation(const MetaHeader& header, const MetaReader& r,
                                             const std::string& path) {
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
  return affine;
}

// The data file (the header itself for LOCAL), opened; offset is where the header ends for LOCAL.
MetaData open_meta_data(const std::string& path, const MetaHeader& header, const MetaReader& r,
                        const MetaField& data_file) {
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
  // A regular file, checked before anything is read; reported at the header line that names it.
  try {
    InputFile in(data.path, "data file " + data.path, kMaxFileBytes);
    data.size = in.size();
    data.file.reset(in.release_as_stdio());
  } catch (const InputError& e) {
    bad(path, e.detail(), data_file.line);
  }
  return data;
}

// Exactly `expected` bytes of voxels from the data file; `what` names them in messages. Bytes
// after them are a note.
std::vector<unsigned char> read_meta_voxels(MetaData& data, const MetaStorage& storage,
                                            std::uint64_t expected, const std::string& what,
                                            std::vector<std::string>& notes) {
  if (storage.header_size == -1) {
    data.offset = data.size >= expected ? data.size - expected : 0;
  } else {
    data.offset += static_cast<std::uint64_t>(storage.header_size);
  }
  const std::uint64_t available = data.size > data.offset ? data.size - data.offset : 0;
  if (std::fseek(data.file.get(), static_cast<long>(std::min(data.offset, data.size)), SEEK_SET) != 0) {
    bad(data.path, fmt::format("cannot read: {}", std::strerror(errno)));
  }
  if (storage.compressed) {
    if (available == 0) {
      bad(data.path,
          fmt::format("truncated: no compressed voxel data after offset {} ({})", data.offset, what));
    }
    return inflate_meta(data, expected, what, storage.size_hint, notes);
  }
  if (available < expected) {
    bad(data.path, fmt::format("truncated: expected {} bytes of voxel data after offset {}, found {} ({})",
                               expected, data.offset, available, what));
  }
  std::vector<unsigned char> raw(static_cast<std::size_t>(expected));
  if (std::fread(raw.data(), 1, raw.size(), data.file.get()) != raw.size()) {
    bad(data.path, fmt::format("cannot read: {}", std::strerror(errno)));
  }
  if (available > expected) {
    notes.push_back(
        fmt::format("{} holds {} bytes after the voxel data; ignored", data.path, available - expected));
  }
  return raw;
}

}  // namespace

LabelVolume read_metaimage(const std::string& path, double unit_if_unspecified_m) {
  const MetaHeader header = parse_meta_header(path);
  const MetaReader r(path, header);
  LabelVolume volume;
  check_meta_object(header, r);
  const MetaField& dim_size = r.require("dimsize", "DimSize");
  const MetaField& element_type = r.require("elementtype", "ElementType");
  const MetaField& data_file = r.require("elementdatafile", "ElementDataFile");
  const std::uint64_t voxels = read_meta_dims(r, dim_size, path, volume);
  const MetaStorage storage = read_meta_storage(header, r, element_type);
  const std::array<double, 12> affine = read_meta_orientation(header, r, path);
  for (int n = 0; n < 12; ++n) volume.index_to_world[n] = affine[n] * unit_if_unspecified_m;
  volume.unit = unit_if_unspecified_m;
  volume.notes.push_back(fmt::format("MetaImage headers carry no length unit; assumed 1 unit = {}",
                                     describe_unit(unit_if_unspecified_m)));

  MetaData data = open_meta_data(path, header, r, data_file);
  const MetaType& type = *storage.type;
  const std::uint64_t expected = voxels * static_cast<std::uint64_t>(scalar_bytes(type.scalar));
  const std::string what =
      fmt::format("{} x {} x {} {} voxels", volume.dims[0], volume.dims[1], volume.dims[2], type.name);
  const std::vector<unsigned char> raw = read_meta_voxels(data, storage, expected, what, volume.notes);
  Decoding how;
  how.type = type.scalar;
  how.swap = storage.big_endian;
  volume.labels = decode(raw, how, volume.dims, data.path);
  volume.format = fmt::format("MetaImage ({}{}{})", type.name, storage.compressed ? ", zlib" : "",
                              storage.big_endian ? ", big-endian" : "");
  return volume;
}

}  // namespace cyto::label_io

namespace cyto {

using namespace label_io;  // this format's pieces and the shared ones

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
