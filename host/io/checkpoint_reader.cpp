// Checkpoints read: every dataset verified (checksums, shapes, types) and a
// damaged, truncated or foreign file refused naming the file and dataset.
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include <fmt/format.h>

#include "host/io/checkpoint.hpp"
#include "host/io/checkpoint_format.hpp"
#include "host/io/hdf5_io.hpp"

namespace cyto {
namespace {

using checkpoint_format::kFormatName;
using checkpoint_format::memory_type;

// Every failure while reading names the file; the dataset where there is one.
[[noreturn]] void refuse(const std::string& file, const std::string& message) {
  throw InputError(SourceLocation{file, 0, 0, ""}, fmt::format("checkpoint: {}", message));
}

// A checkpoint path must name a regular file; what it names instead is said,
// and nothing is opened (opening a FIFO would block until a writer comes).
void expect_regular_file(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    const int error = errno;
    refuse(path, error == ENOENT ? std::string("no such file")
                                 : fmt::format("cannot be read: {}", std::strerror(error)));
  }
  const auto kind = [&]() -> const char* {
    switch (info.st_mode & S_IFMT) {
      case S_IFREG:
        return nullptr;
      case S_IFDIR:
        return "a directory";
      case S_IFIFO:
        return "a FIFO (named pipe)";
      case S_IFCHR:
        return "a character device";
      case S_IFBLK:
        return "a block device";
      case S_IFSOCK:
        return "a socket";
      default:
        return "not a regular file";
    }
  }();
  if (kind)
    refuse(path, fmt::format("the path is {}, expected a checkpoint file (checkpoint_<step>.h5)", kind));
}

class Reader {
 public:
  explicit Reader(std::string path) : path_(std::move(path)) {
    h5::prepare_library();
    expect_regular_file(path_);
    h5::Handle access(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "creating a file access list");
#if H5_VERSION_GE(1, 10, 7)
    H5Pset_file_locking(access.get(), false, true);
#endif
    file_ = H5Fopen(path_.c_str(), H5F_ACC_RDONLY, access.get());
    if (file_ < 0)
      refuse(path_, fmt::format("cannot be opened as HDF5 ({}): the file is damaged, truncated or not a "
                                "checkpoint",
                                h5::pop_error_detail()));
  }
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;
  ~Reader() {
    if (file_ >= 0) H5Fclose(file_);
  }

  [[noreturn]] void fail_dataset(const std::string& dataset, const std::string& what) const {
    const std::string detail = h5::pop_error_detail();
    const bool checksum =
        detail.find("Fletcher32") != std::string::npos || detail.find("checksum") != std::string::npos;
    refuse(path_, fmt::format("dataset {}: {}{}{}", dataset, what, detail.empty() ? "" : ": " + detail,
                              checksum ? " (the stored checksum does not match: the file is damaged)" : ""));
  }

  bool has(const std::string& path) const {
    // H5Lexists fails rather than answers for a path whose parent group is missing.
    std::string prefix;
    for (std::size_t pos = 1; pos != std::string::npos;) {
      pos = path.find('/', pos);
      prefix = path.substr(0, pos);
      const htri_t exists = H5Lexists(file_, prefix.c_str(), H5P_DEFAULT);
      if (exists <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return false;
      }
      if (pos != std::string::npos) ++pos;
    }
    return true;
  }

  // The dataset's dimensions, after checking it exists.
  std::vector<hsize_t> dims(const std::string& path, hid_t dataset) const {
    const h5::Handle space(H5Dget_space(dataset), H5Sclose, "reading the dataspace of " + path);
    const int rank = H5Sget_simple_extent_ndims(space.get());
    if (rank < 0) fail_dataset(path, "cannot read its shape");
    std::vector<hsize_t> d(std::size_t(rank), 0);
    H5Sget_simple_extent_dims(space.get(), d.data(), nullptr);
    return d;
  }

  hid_t open(const std::string& path) const {
    if (!has(path))
      refuse(path_, fmt::format("dataset {} is missing: not a complete cytostorm checkpoint", path));
    const hid_t dataset = H5Dopen2(file_, path.c_str(), H5P_DEFAULT);
    if (dataset < 0) fail_dataset(path, "cannot be opened");
    return dataset;
  }

  // Refuses a dataset whose values are not T's kind and size.
  template <class T>
  void expect_type(const std::string& path, hid_t dataset) const {
    const h5::Handle type(H5Dget_type(dataset), H5Tclose, "reading the type of " + path);
    const H5T_class_t type_class = H5Tget_class(type.get());
    const bool integral = std::is_integral_v<T>;
    if (type_class != (integral ? H5T_INTEGER : H5T_FLOAT) || H5Tget_size(type.get()) != sizeof(T))
      refuse(path_, fmt::format("dataset {} holds {}-byte {} values, expected {}-byte {}", path,
                                H5Tget_size(type.get()), type_class == H5T_FLOAT ? "floating-point" : "other",
                                sizeof(T), integral ? "integers" : "floating-point values"));
  }

  template <class T>
  std::vector<T> read(const std::string& path, std::vector<hsize_t>* shape = nullptr) const {
    const h5::Handle dataset(open(path), H5Dclose, "opening " + path);
    const std::vector<hsize_t> d = dims(path, dataset.get());
    if (shape) *shape = d;
    hsize_t count = 1;
    for (hsize_t n : d) count *= n;
    expect_type<T>(path, dataset.get());
    std::vector<T> values(count);
    if (count > 0 &&
        H5Dread(dataset.get(), memory_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0)
      fail_dataset(path, "cannot be read");
    return values;
  }

  // A 3-D dataset of the grid's shape (nz, ny, nx): whole, or only `block`
  // (dense, x fastest). The checksums of the chunks read are verified.
  template <class T>
  std::vector<T> read_grid(const std::string& path, const std::vector<hsize_t>& grid_dims,
                           const Box* block) const {
    if (!block) {
      std::vector<hsize_t> d;
      std::vector<T> values = read<T>(path, &d);
      if (d != grid_dims) refuse(path_, fmt::format("dataset {} does not have the grid's shape", path));
      return values;
    }
    const h5::Handle dataset(open(path), H5Dclose, "opening " + path);
    if (dims(path, dataset.get()) != grid_dims)
      refuse(path_, fmt::format("dataset {} does not have the grid's shape", path));
    expect_type<T>(path, dataset.get());
    const h5::Handle space(H5Dget_space(dataset.get()), H5Sclose, "reading the dataspace of " + path);
    const h5::Handle memory = h5::select_block(space.get(), *block);
    std::vector<T> values(std::size_t(block->voxels()));
    if (!values.empty() &&
        H5Dread(dataset.get(), memory_type<T>(), memory.get(), space.get(), H5P_DEFAULT, values.data()) < 0)
      fail_dataset(path, "cannot be read");
    return values;
  }

  template <class T>
  T read_value(const std::string& path) const {
    const std::vector<T> values = read<T>(path);
    if (values.size() != 1)
      refuse(path_, fmt::format("dataset {} holds {} values, expected 1", path, values.size()));
    return values[0];
  }

  std::string read_text(const std::string& path) const {
    const h5::Handle dataset(open(path), H5Dclose, "opening " + path);
    const h5::Handle type(H5Dget_type(dataset.get()), H5Tclose, "reading the type of " + path);
    if (H5Tget_class(type.get()) != H5T_STRING || H5Tis_variable_str(type.get()) > 0 ||
        dims(path, dataset.get()) != std::vector<hsize_t>{1})
      refuse(path_, fmt::format("dataset {} is not a text", path));
    std::string text(H5Tget_size(type.get()), '\0');
    if (H5Dread(dataset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, text.data()) < 0)
      fail_dataset(path, "cannot be read");
    text.resize(std::min(text.size(), text.find('\0')));
    return text;
  }

  h5::Handle open_root_attribute(const char* name) const {
    if (H5Aexists(file_, name) <= 0) {
      H5Eclear2(H5E_DEFAULT);
      refuse(
          path_,
          fmt::format("no attribute \"{}\" at the root: not a cytostorm checkpoint, or its header is damaged",
                      name));
    }
    return h5::Handle(H5Aopen(file_, name, H5P_DEFAULT), H5Aclose, fmt::format("opening {}", name));
  }

  std::string read_string_attribute(const char* name) const {
    const h5::Handle attribute = open_root_attribute(name);
    const h5::Handle type(H5Aget_type(attribute.get()), H5Tclose, "reading an attribute type");
    if (H5Tget_class(type.get()) != H5T_STRING || H5Tis_variable_str(type.get()) > 0)
      refuse(path_, fmt::format("root attribute \"{}\" is not a text", name));
    std::string text(H5Tget_size(type.get()), '\0');
    if (H5Aread(attribute.get(), type.get(), text.data()) < 0)
      refuse(path_, fmt::format("root attribute \"{}\" cannot be read: {}", name, h5::pop_error_detail()));
    text.resize(std::min(text.size(), text.find('\0')));
    return text;
  }

  template <class T>
  T read_attribute(const char* name) const {
    const h5::Handle attribute = open_root_attribute(name);
    T value{};
    if (H5Aread(attribute.get(), memory_type<T>(), &value) < 0)
      refuse(path_, fmt::format("root attribute \"{}\" cannot be read: {}", name, h5::pop_error_detail()));
    return value;
  }

  const std::string& path() const { return path_; }
  hid_t file() const { return file_; }

 private:
  std::string path_;
  hid_t file_ = H5I_INVALID_HID;
};

CheckpointHeader read_header(const Reader& in) {
  if (in.read_string_attribute("format") != kFormatName)
    refuse(in.path(), fmt::format("the root attribute \"format\" is not \"{}\": not a cytostorm checkpoint",
                                  kFormatName));
  CheckpointHeader header;
  header.format_version = int(in.read_attribute<std::int64_t>("format_version"));
  if (header.format_version > kCheckpointFormatVersion)
    refuse(
        in.path(),
        fmt::format("format version {} was written by a newer cytostorm ({}); this build reads versions up "
                    "to {}: restart it with the cytostorm that wrote it or a newer one",
                    header.format_version, in.read_string_attribute("written_by"), kCheckpointFormatVersion));
  if (header.format_version < 1)
    refuse(in.path(), fmt::format("format version {} is not a valid version", header.format_version));
  header.precision = in.read_string_attribute("precision");
  if (header.precision != "float" && header.precision != "double")
    refuse(in.path(), fmt::format("precision \"{}\" is neither float nor double", header.precision));
  header.step = in.read_attribute<std::int64_t>("step");
  header.time = in.read_attribute<double>("time_s");
  return header;
}

// Format 2's /outputs: names, sizes and CRC-32s of the outputs, one per file.
std::vector<OutputFingerprint> read_outputs(const Reader& in) {
  const std::string names = in.read_text("/outputs/names");
  const std::vector<std::int64_t> sizes = in.read<std::int64_t>("/outputs/sizes");
  const std::vector<std::int64_t> crcs = in.read<std::int64_t>("/outputs/crc32");
  std::vector<OutputFingerprint> outputs;
  for (std::size_t start = 0; start < names.size();) {
    const std::size_t end = std::min(names.find('\n', start), names.size());
    outputs.push_back({names.substr(start, end - start), -1, -1});
    start = end + 1;
  }
  if (sizes.size() != outputs.size() || crcs.size() != outputs.size())
    refuse(in.path(),
           fmt::format("datasets /outputs/sizes and /outputs/crc32 hold {} and {} values for {} names",
                       sizes.size(), crcs.size(), outputs.size()));
  for (std::size_t n = 0; n < outputs.size(); ++n) {
    if (outputs[n].name.empty() || outputs[n].name.find('/') != std::string::npos)
      refuse(in.path(), fmt::format("dataset /outputs/names names a file \"{}\"", outputs[n].name));
    outputs[n].size = sizes[n];
    outputs[n].crc32 = crcs[n];
  }
  return outputs;
}

// read_checkpoint and read_checkpoint_block: the whole file is validated
// alike; of the grids (labels, fields) only `block` is read when given.
template <class Real>
Checkpoint<Real> read_checkpoint_part(const std::string& path, const Box* block) {
  const Reader in(path);
  const CheckpointHeader header = read_header(in);
  const char* ours = sizeof(Real) == 4 ? "float" : "double";
  if (header.precision != ours)
    throw InputError(SourceLocation{path, 0, 0, ""},
                     fmt::format("checkpoint: written by a run in {} precision, this run is {}: restart with "
                                 "--precision {}",
                                 header.precision, ours, header.precision));
  Checkpoint<Real> c;
  c.scenario_name = in.read_text("/scenario/name");
  c.scenario_yaml = in.read_text("/scenario/yaml");
  c.scenario_hash = in.read_text("/scenario/hash");
  c.build = in.read_text("/build");

  const std::vector<std::int64_t> shape = in.read<std::int64_t>("/grid/shape");
  const std::vector<double> origin = in.read<double>("/grid/origin_m");
  const std::vector<double> spacing = in.read<double>("/grid/spacing_m");
  if (shape.size() != 3 || origin.size() != 3 || spacing.size() != 3)
    refuse(path, "dataset /grid/shape, /grid/origin_m or /grid/spacing_m does not hold 3 values");
  if (shape[0] < 1 || shape[1] < 1 || shape[2] < 1 || shape[0] > (1 << 20) || shape[1] > (1 << 20) ||
      shape[2] > (1 << 20))
    refuse(path,
           fmt::format("dataset /grid/shape: {} x {} x {} is not a grid", shape[0], shape[1], shape[2]));
  c.grid.nx = int(shape[0]);
  c.grid.ny = int(shape[1]);
  c.grid.nz = int(shape[2]);
  c.grid.origin = {origin[0], origin[1], origin[2]};
  c.grid.spacing = {spacing[0], spacing[1], spacing[2]};
  const std::vector<hsize_t> grid_dims{hsize_t(c.grid.nz), hsize_t(c.grid.ny), hsize_t(c.grid.nx)};
  if (block) {
    const Box& b = *block;
    bool inside = true;
    for (std::size_t a = 0; a < 3; ++a)
      inside = inside && b.lo[a] >= 0 && b.size[a] >= 0 &&
               std::int64_t(b.lo[a]) + b.size[a] <= std::int64_t(grid_dims[2 - a]);
    if (!inside)
      refuse(path,
             fmt::format("the block of {}x{}x{} voxels at ({}, {}, {}) to read lies outside the grid of "
                         "{}x{}x{} voxels",
                         b.size[0], b.size[1], b.size[2], b.lo[0], b.lo[1], b.lo[2], c.grid.nx, c.grid.ny,
                         c.grid.nz));
  }
  c.labels = in.read_grid<std::uint8_t>("/labels", grid_dims, block);

  RunPosition& p = c.position;
  p.time = in.read_value<double>("/state/time_s");
  p.step = in.read_value<std::int64_t>("/state/step");
  p.next_output = in.read_value<std::int64_t>("/state/next_output");
  p.segment_start_time = in.read_value<double>("/state/segment_start_time_s");
  p.segment_start_step = in.read_value<std::int64_t>("/state/segment_start_step");
  p.segment_end_time = in.read_value<double>("/state/segment_end_time_s");
  p.segment_steps = in.read_value<std::int64_t>("/state/segment_steps");
  // Absent from checkpoints of builds before error-controlled steps.
  p.next_dt = in.has("/state/next_dt_s") ? in.read_value<double>("/state/next_dt_s") : 0.0;
  c.max_dt = in.read_value<double>("/state/max_dt_s");
  c.wall_seconds = in.read_value<double>("/state/wall_seconds");
  c.seed = in.read_value<std::uint64_t>("/rng/seed");
  if (p.step != header.step || p.time != header.time ||
      in.read_value<std::int64_t>("/rng/next_step") != p.step)
    refuse(path, "the step and time of /state disagree with the file's header");
  if (p.step < 0 || p.next_output < 0 || p.segment_steps < 0 || p.segment_start_step < 0 ||
      p.step < p.segment_start_step || p.step > p.segment_start_step + p.segment_steps || !(c.max_dt > 0) ||
      !(p.next_dt >= 0) || !std::isfinite(p.next_dt))
    refuse(path, "the run position in /state is inconsistent");

  // The fields, in the order /field_order lists them.
  const std::string order = in.read_text("/field_order");
  for (std::size_t start = 0; start < order.size();) {
    const std::size_t end = std::min(order.find('\n', start), order.size());
    c.field_names.push_back(order.substr(start, end - start));
    start = end + 1;
  }
  for (const std::string& name : c.field_names) {
    if (name.empty() || name.find('/') != std::string::npos)
      refuse(path, fmt::format("dataset /field_order names a field \"{}\"", name));
    c.fields.push_back(in.read_grid<Real>("/fields/" + name, grid_dims, block));
  }
  c.plasma = in.read<double>("/plasma/concentration");
  c.blood = in.read<double>("/plasma/blood");
  c.drugs = in.read<double>("/plasma/drugs");

  std::vector<hsize_t> dims;
  c.timeseries = in.read<double>("/timeseries/rows", &dims);
  if (dims.size() != 2) refuse(path, "dataset /timeseries/rows is not a table");
  c.timeseries_rows = std::int64_t(dims[0]);
  c.timeseries_width = std::int64_t(dims[1]);
  c.outputs_recorded = header.format_version >= 2;
  if (c.outputs_recorded) c.outputs = read_outputs(in);

  // Checksums verify the bytes, not that they are a state: scanned. A block
  // is scanned for non-finite values only (see read_checkpoint_block).
  const Box whole{{0, 0, 0}, {c.grid.nx, c.grid.ny, c.grid.nz}};
  const std::vector<double> unbounded(c.fields.size(), std::numeric_limits<double>::infinity());
  if (const std::string bad = scan_checkpoint_values(c, block ? *block : whole, block ? &unbounded : nullptr);
      !bad.empty())
    refuse(path,
           fmt::format("{}: the checksums verify, but no run reaches this state (the file was altered or "
                       "written by a failing process); restart from an earlier checkpoint",
                       bad));
  return c;
}

}  // namespace

CheckpointHeader read_checkpoint_header(const std::string& path) { return read_header(Reader(path)); }

template <class Real>
Checkpoint<Real> read_checkpoint(const std::string& path) {
  return read_checkpoint_part<Real>(path, nullptr);
}

template <class Real>
Checkpoint<Real> read_checkpoint_block(const std::string& path, const Box& block) {
  return read_checkpoint_part<Real>(path, &block);
}

std::vector<StoredChunk> checkpoint_chunks(const std::string& path) {
  const Reader in(path);
  std::vector<StoredChunk> chunks;
  const hid_t file = in.file();
  H5Ovisit(
      file, H5_INDEX_NAME, H5_ITER_INC,
      [](hid_t root, const char* name, const H5O_info_t* info, void* out) -> herr_t {
        if (info->type != H5O_TYPE_DATASET) return 0;
        const hid_t dataset = H5Dopen2(root, name, H5P_DEFAULT);
        if (dataset < 0) return -1;
        const hid_t space = H5Dget_space(dataset);
        hsize_t count = 0;
        H5Dget_num_chunks(dataset, space, &count);
        for (hsize_t i = 0; i < count; ++i) {
          haddr_t address = 0;
          hsize_t size = 0;
          unsigned mask = 0;
          if (H5Dget_chunk_info(dataset, space, i, nullptr, &mask, &address, &size) >= 0)
            static_cast<std::vector<StoredChunk>*>(out)->push_back({std::string("/") + name, address, size});
        }
        H5Sclose(space);
        H5Dclose(dataset);
        return 0;
      },
      &chunks);
  H5Eclear2(H5E_DEFAULT);
  return chunks;
}

template Checkpoint<float> read_checkpoint<float>(const std::string&);
template Checkpoint<double> read_checkpoint<double>(const std::string&);
template Checkpoint<float> read_checkpoint_block<float>(const std::string&, const Box&);
template Checkpoint<double> read_checkpoint_block<double>(const std::string&, const Box&);

}  // namespace cyto
