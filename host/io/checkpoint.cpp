#include "host/io/checkpoint.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <regex>
#include <type_traits>

#include <fmt/format.h>

#include "host/io/hdf5_io.hpp"

namespace cyto {
namespace {

constexpr const char* kFormatName = "cytostorm-checkpoint";

template <class T>
hid_t memory_type() {
  if constexpr (std::is_same_v<T, float>) return H5T_NATIVE_FLOAT;
  if constexpr (std::is_same_v<T, double>) return H5T_NATIVE_DOUBLE;
  if constexpr (std::is_same_v<T, std::int64_t>) return H5T_NATIVE_INT64;
  if constexpr (std::is_same_v<T, std::uint64_t>) return H5T_NATIVE_UINT64;
  if constexpr (std::is_same_v<T, std::uint8_t>) return H5T_NATIVE_UINT8;
}

template <class T>
hid_t file_type() {
  if constexpr (std::is_same_v<T, float>) return H5T_IEEE_F32LE;
  if constexpr (std::is_same_v<T, double>) return H5T_IEEE_F64LE;
  if constexpr (std::is_same_v<T, std::int64_t>) return H5T_STD_I64LE;
  if constexpr (std::is_same_v<T, std::uint64_t>) return H5T_STD_U64LE;
  if constexpr (std::is_same_v<T, std::uint8_t>) return H5T_STD_U8LE;
}

// ---- writing ----

// The creation list of a dataset with a Fletcher-32 checksum per chunk. Grids
// are chunked by whole z-planes (about 1 MiB); 1-D and 2-D data by rows,
// extendible so that an empty vector is still a dataset. `max_dims` is set.
h5::Handle checked_creation(const std::string& path, const std::vector<hsize_t>& dims,
                            std::size_t element_size, std::vector<hsize_t>& max_dims) {
  const int rank = int(dims.size());
  std::vector<hsize_t> chunk(dims.size());
  max_dims = dims;
  if (rank == 3) {
    const hsize_t plane_bytes = std::max<hsize_t>(1, dims[1] * dims[2] * element_size);
    chunk = {std::clamp<hsize_t>((hsize_t(1) << 20) / plane_bytes, 1, std::max<hsize_t>(dims[0], 1)), dims[1],
             dims[2]};
  } else {
    const hsize_t row_bytes = rank == 2 ? std::max<hsize_t>(1, dims[1] * element_size) : element_size;
    chunk[0] = std::clamp<hsize_t>((hsize_t(1) << 20) / row_bytes, 1, std::max<hsize_t>(dims[0], 1));
    if (rank == 2) chunk[1] = std::max<hsize_t>(dims[1], 1);
    max_dims[0] = H5S_UNLIMITED;
  }
  h5::Handle creation = h5::dataset_creation();
  h5::check(H5Pset_chunk(creation.get(), rank, chunk.data()), "chunking " + path);
  h5::check(H5Pset_fletcher32(creation.get()), "adding a checksum to " + path);
  return creation;
}

// A checksummed dataset holding `data` whole. In a collective file every rank
// calls it and rank 0's data is written.
void write_checked(hid_t file, const std::string& path, hid_t type_in_file, hid_t type_in_memory,
                   std::vector<hsize_t> dims, std::size_t element_size, const void* data) {
  std::vector<hsize_t> max_dims;
  const h5::Handle creation = checked_creation(path, dims, element_size, max_dims);
  h5::Handle space(H5Screate_simple(int(dims.size()), dims.data(), max_dims.data()), H5Sclose,
                   "creating the dataspace of " + path);
  h5::Handle dataset(
      H5Dcreate2(file, path.c_str(), type_in_file, space.get(), H5P_DEFAULT, creation.get(), H5P_DEFAULT),
      H5Dclose, "creating dataset " + path);
  if (space.get() >= 0 && H5Sget_simple_extent_npoints(space.get()) > 0)
    h5::write_whole_dataset(dataset.get(), path, type_in_memory, data);
}

template <class T>
void write_vector(hid_t file, const std::string& path, const std::vector<T>& values) {
  write_checked(file, path, file_type<T>(), memory_type<T>(), {hsize_t(values.size())}, sizeof(T),
                values.data());
}

template <class T>
void write_value(hid_t file, const std::string& path, T value) {
  write_vector(file, path, std::vector<T>{value});
}

void write_text(hid_t file, const std::string& path, const std::string& text) {
  const h5::Handle type = h5::string_type(text.size());
  write_checked(file, path, type.get(), type.get(), {1}, text.size() + 1, text.c_str());
}

Box whole(const DenseGrid& g) { return Box{{0, 0, 0}, {g.nx, g.ny, g.nz}}; }

// A grid of which this process holds `block` (dense, x fastest). A file
// written alone with the whole grid is written as it always was; otherwise
// each rank writes its block (write_block_dataset), with the same chunks and
// checksums.
template <class T>
void write_grid(hid_t file, const std::string& path, const DenseGrid& g, const Box& block,
                const std::vector<T>& values) {
  const std::vector<hsize_t> dims{hsize_t(g.nz), hsize_t(g.ny), hsize_t(g.nx)};
  if (block == whole(g) && !h5::participation(file).collective) {
    write_checked(file, path, file_type<T>(), memory_type<T>(), dims, sizeof(T), values.data());
    return;
  }
  std::vector<hsize_t> max_dims;
  const h5::Handle creation = checked_creation(path, dims, sizeof(T), max_dims);
  h5::write_block_dataset(file, path, file_type<T>(), memory_type<T>(), {dims[0], dims[1], dims[2]}, block,
                          values.data(), creation.get());
}

// The whole content of a checkpoint file; `block`: the part of the grids
// (labels, fields) that `c` holds.
template <class Real>
void fill_checkpoint(hid_t file, const Checkpoint<Real>& c, int format_version, const Box& block) {
  const RunPosition& p = c.position;
  // The header, readable without touching the data.
  h5::write_string_attribute(file, "format", kFormatName);
  const std::int64_t version = format_version;
  h5::write_attribute(file, "format_version", H5T_STD_I64LE, H5T_NATIVE_INT64, &version, 0);
  h5::write_string_attribute(file, "precision", sizeof(Real) == 4 ? "float" : "double");
  h5::write_attribute(file, "step", H5T_STD_I64LE, H5T_NATIVE_INT64, &p.step, 0);
  h5::write_attribute(file, "time_s", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &p.time, 0);
  h5::write_string_attribute(file, "written_by", c.build);

  h5::create_group(file, "/scenario");
  write_text(file, "/scenario/name", c.scenario_name);
  write_text(file, "/scenario/yaml", c.scenario_yaml);
  write_text(file, "/scenario/hash", c.scenario_hash);
  write_text(file, "/build", c.build);

  h5::create_group(file, "/grid");
  write_vector<std::int64_t>(file, "/grid/shape", {c.grid.nx, c.grid.ny, c.grid.nz});
  write_vector<double>(file, "/grid/origin_m", {c.grid.origin[0], c.grid.origin[1], c.grid.origin[2]});
  write_vector<double>(file, "/grid/spacing_m", {c.grid.spacing[0], c.grid.spacing[1], c.grid.spacing[2]});
  write_grid(file, "/labels", c.grid, block, c.labels);

  h5::create_group(file, "/state");
  write_value(file, "/state/time_s", p.time);
  write_value(file, "/state/step", p.step);
  write_value(file, "/state/next_output", p.next_output);
  write_value(file, "/state/segment_start_time_s", p.segment_start_time);
  write_value(file, "/state/segment_start_step", p.segment_start_step);
  write_value(file, "/state/segment_end_time_s", p.segment_end_time);
  write_value(file, "/state/segment_steps", p.segment_steps);
  write_value(file, "/state/max_dt_s", c.max_dt);
  write_value(file, "/state/wall_seconds", c.wall_seconds);
  h5::create_group(file, "/rng");
  write_value(file, "/rng/seed", c.seed);
  write_value(file, "/rng/next_step", p.step);
  h5::write_string_attribute(
      file, "rng",
      "Philox4x32-10 keyed by /rng/seed; counter (voxel, step, population, draw): the draws of step n "
      "depend on n alone, so no generator state beyond the step number exists");

  std::string order;
  for (const std::string& name : c.field_names) order += (order.empty() ? "" : "\n") + name;
  write_text(file, "/field_order", order);
  h5::create_group(file, "/fields");
  for (std::size_t f = 0; f < c.fields.size(); ++f)
    write_grid(file, "/fields/" + c.field_names[f], c.grid, block, c.fields[f]);
  h5::create_group(file, "/plasma");
  write_vector(file, "/plasma/concentration", c.plasma);
  write_vector(file, "/plasma/blood", c.blood);
  write_vector(file, "/plasma/drugs", c.drugs);

  h5::create_group(file, "/timeseries");
  write_checked(file, "/timeseries/rows", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                {hsize_t(c.timeseries_rows), hsize_t(c.timeseries_width)}, sizeof(double),
                c.timeseries.data());
}

// ---- reading ----

// Every failure while reading names the file; the dataset where there is one.
[[noreturn]] void refuse(const std::string& file, const std::string& message) {
  throw InputError(SourceLocation{file, 0, 0, ""}, fmt::format("checkpoint: {}", message));
}

class Reader {
 public:
  explicit Reader(std::string path) : path_(std::move(path)) {
    h5::prepare_library();
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path_, ec)) refuse(path_, "no such file");
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

}  // namespace

std::string checkpoint_file_name(std::int64_t step) { return fmt::format("checkpoint_{:012d}.h5", step); }

template <class Real>
void write_checkpoint(const std::string& path, const Checkpoint<Real>& c, int format_version) {
  h5::write_file_atomically(
      path, [&](hid_t file) { fill_checkpoint(file, c, format_version, whole(c.grid)); },
      h5::FileFormat::Checksummed);
}

template <class Real>
void write_checkpoint_collective(const par::Comm& comm, const std::string& path, const Checkpoint<Real>& c,
                                 const Box& block, int format_version) {
  // Checked on every rank before any collective call: a rank that failed
  // inside the file's collective metadata calls would leave the others waiting.
  std::string reason;
  const DenseGrid& g = c.grid;
  const bool inside = block.lo[0] >= 0 && block.lo[1] >= 0 && block.lo[2] >= 0 && block.size[0] >= 0 &&
                      block.size[1] >= 0 && block.size[2] >= 0 && block.lo[0] + block.size[0] <= g.nx &&
                      block.lo[1] + block.size[1] <= g.ny && block.lo[2] + block.size[2] <= g.nz;
  const std::size_t voxels = std::size_t(block.voxels());
  if (g.nx < 1 || g.ny < 1 || g.nz < 1)
    reason = fmt::format("internal: the grid {}x{}x{} has no voxels", g.nx, g.ny, g.nz);
  else if (!inside)
    reason = fmt::format("internal: rank {}'s block of {}x{}x{} voxels at ({}, {}, {}) lies outside the grid",
                         comm.rank(), block.size[0], block.size[1], block.size[2], block.lo[0], block.lo[1],
                         block.lo[2]);
  else if (c.labels.size() != voxels || c.fields.size() != c.field_names.size() ||
           std::any_of(c.fields.begin(), c.fields.end(), [&](const auto& f) { return f.size() != voxels; }))
    reason = fmt::format("internal: rank {} holds labels or fields that are not its block of {} voxels",
                         comm.rank(), voxels);
  std::int64_t covered = inside ? block.voxels() : 0;
  comm.sum(&covered, 1);
  if (reason.empty() && covered > g.voxels())
    reason = fmt::format("internal: the ranks' blocks hold {} voxels, more than the grid's {}: they overlap",
                         covered, g.voxels());
  h5::refuse_together(comm, path, reason);
  h5::write_file_collectively(
      comm, path, [&](hid_t file) { fill_checkpoint(file, c, format_version, block); },
      h5::FileFormat::Checksummed);
}

CheckpointHeader read_checkpoint_header(const std::string& path) { return read_header(Reader(path)); }

namespace {

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
  c.max_dt = in.read_value<double>("/state/max_dt_s");
  c.wall_seconds = in.read_value<double>("/state/wall_seconds");
  c.seed = in.read_value<std::uint64_t>("/rng/seed");
  if (p.step != header.step || p.time != header.time ||
      in.read_value<std::int64_t>("/rng/next_step") != p.step)
    refuse(path, "the step and time of /state disagree with the file's header");
  if (p.step < 0 || p.next_output < 0 || p.segment_steps < 0 || p.segment_start_step < 0 ||
      p.step < p.segment_start_step || p.step > p.segment_start_step + p.segment_steps || !(c.max_dt > 0))
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
  return c;
}

}  // namespace

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

std::vector<CheckpointFile> list_checkpoints(const std::string& directory) {
  static const std::regex name(R"(checkpoint_(\d{12})\.h5)");
  std::vector<CheckpointFile> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(directory, ec)) {
    std::smatch m;
    const std::string file = entry.path().filename().string();
    if (!std::regex_match(file, m, name) || !entry.is_regular_file(ec)) continue;
    found.push_back({entry.path().string(), std::stoll(m[1].str())});
  }
  std::sort(found.begin(), found.end(),
            [](const CheckpointFile& a, const CheckpointFile& b) { return a.step > b.step; });
  return found;
}

int prune_checkpoints(const std::string& directory, int keep) {
  int removed = 0;
  const std::vector<CheckpointFile> all = list_checkpoints(directory);
  std::error_code ec;
  for (std::size_t i = std::size_t(std::max(keep, 1)); i < all.size(); ++i)
    if (std::filesystem::remove(all[i].path, ec)) ++removed;
  static const std::regex temporary(R"(checkpoint_\d{12}\.h5\.tmp\.(\d+))");
  const std::string own = std::to_string(::getpid());
  for (const auto& entry : std::filesystem::directory_iterator(directory, ec)) {
    std::smatch m;
    const std::string file = entry.path().filename().string();
    if (std::regex_match(file, m, temporary) && m[1].str() != own &&
        std::filesystem::remove(entry.path(), ec))
      ++removed;
  }
  return removed;
}

std::vector<double> flatten_timeseries_row(const TimeSeriesRow& row) {
  std::vector<double> out{row.time_s, double(row.step)};
  for (const auto* table : {&row.stats, &row.populations})
    for (const auto& regions : *table)
      for (const RegionStats& r : regions) out.insert(out.end(), {r.total_pg, r.mean, r.max});
  for (const auto& regions : row.budget)
    for (const BudgetStats& b : regions) out.insert(out.end(), {b.secreted_pg, b.released_pg, b.taken_up_pg});
  for (const auto* list : {&row.plasma, &row.blood, &row.drugs})
    out.insert(out.end(), list->begin(), list->end());
  return out;
}

std::vector<TimeSeriesRow> unflatten_timeseries(const std::vector<double>& values, std::int64_t rows,
                                                const TimeSeriesRow& shape) {
  const std::size_t width = flatten_timeseries_row(shape).size();
  if (rows < 0 || values.size() != std::size_t(rows) * width)
    throw RuntimeFailure(
        fmt::format("time series of {} values cannot be {} rows of {}", values.size(), rows, width));
  std::vector<TimeSeriesRow> out;
  const double* v = values.data();
  for (std::int64_t i = 0; i < rows; ++i) {
    TimeSeriesRow row = shape;
    row.time_s = *v++;
    row.step = std::int64_t(*v++);
    for (auto* table : {&row.stats, &row.populations})
      for (auto& regions : *table)
        for (RegionStats& r : regions) {
          r.total_pg = *v++;
          r.mean = *v++;
          r.max = *v++;
        }
    for (auto& regions : row.budget)
      for (BudgetStats& b : regions) {
        b.secreted_pg = *v++;
        b.released_pg = *v++;
        b.taken_up_pg = *v++;
      }
    for (auto* list : {&row.plasma, &row.blood, &row.drugs})
      for (double& x : *list) x = *v++;
    out.push_back(std::move(row));
  }
  return out;
}

template void write_checkpoint<float>(const std::string&, const Checkpoint<float>&, int);
template void write_checkpoint<double>(const std::string&, const Checkpoint<double>&, int);
template Checkpoint<float> read_checkpoint<float>(const std::string&);
template Checkpoint<double> read_checkpoint<double>(const std::string&);
template void write_checkpoint_collective<float>(const par::Comm&, const std::string&,
                                                 const Checkpoint<float>&, const Box&, int);
template void write_checkpoint_collective<double>(const par::Comm&, const std::string&,
                                                  const Checkpoint<double>&, const Box&, int);
template Checkpoint<float> read_checkpoint_block<float>(const std::string&, const Box&);
template Checkpoint<double> read_checkpoint_block<double>(const std::string&, const Box&);

}  // namespace cyto
