#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <iterator>
#include <stdexcept>
#include <string_view>

#include <fmt/format.h>

#include "host/io/hdf5_io.hpp"
#include "host/io/output.hpp"
#include "host/parallel/decomposition.hpp"
#include "host/parallel/parallel.hpp"

namespace cyto {

namespace {

constexpr const char* kGeometryFile = "geometry.h5";

std::string join(const std::string& directory, const std::string& name) {
  return (std::filesystem::path(directory) / name).string();
}

h5::Handle grid_space(const DenseGrid& grid) {
  // C order, so x (fastest in memory) is the last dimension.
  const hsize_t dims[3] = {hsize_t(grid.nz), hsize_t(grid.ny), hsize_t(grid.nx)};
  return h5::Handle(H5Screate_simple(3, dims, nullptr), H5Sclose, "creating the grid dataspace");
}

void write_geometry(hid_t file, const DenseGrid& grid, const std::vector<std::uint8_t>& labels,
                    const std::vector<Tissue>& tissues) {
  const h5::Handle space = grid_space(grid);
  const h5::Handle creation = h5::dataset_creation();
  if (H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0) {
    // Labels are piecewise constant and compress very well; chunks of whole
    // z-planes, about 1 MiB.
    const hsize_t plane = hsize_t(grid.nx) * hsize_t(grid.ny);
    const hsize_t chunk[3] = {std::clamp<hsize_t>((hsize_t(1) << 20) / plane, 1, hsize_t(grid.nz)),
                              hsize_t(grid.ny), hsize_t(grid.nx)};
    h5::check(H5Pset_chunk(creation.get(), 3, chunk), "setting the chunk size of /labels");
    h5::check(H5Pset_deflate(creation.get(), 1), "enabling compression of /labels");
  }
  h5::write_dataset(file, "/labels", H5T_STD_U8LE, H5T_NATIVE_UINT8, space.get(), creation.get(),
                    labels.data());
  h5::write_attribute(file, "origin_m", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, grid.origin.data(), 3);
  h5::write_attribute(file, "spacing_m", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, grid.spacing.data(), 3);

  // Parallel arrays: tissue /tissues/name[i] is painted with label /tissues/label[i].
  const h5::Handle group = h5::create_group(file, "/tissues");
  std::size_t longest = 0;
  for (const Tissue& tissue : tissues) longest = std::max(longest, tissue.name.size());
  const std::size_t width = longest + 1;
  std::vector<std::uint8_t> values;
  std::string names(tissues.size() * width, '\0');
  for (std::size_t i = 0; i < tissues.size(); ++i) {
    values.push_back(static_cast<std::uint8_t>(tissues[i].label));
    std::copy(tissues[i].name.begin(), tissues[i].name.end(), names.begin() + i * width);
  }
  const hsize_t count = tissues.size();
  h5::Handle list_space(H5Screate_simple(1, &count, nullptr), H5Sclose, "creating the dataspace of /tissues");
  const h5::Handle name_type = h5::string_type(longest);
  h5::write_dataset(file, "/tissues/label", H5T_STD_U8LE, H5T_NATIVE_UINT8, list_space.get(), H5P_DEFAULT,
                    values.data());
  h5::write_dataset(file, "/tissues/name", name_type.get(), name_type.get(), list_space.get(), H5P_DEFAULT,
                    names.data());
}

// `block`: null when `fields` hold the whole grid; otherwise the part of the
// grid they hold (write_block_dataset: collectively in a file of
// write_file_collectively).
void write_snapshot(hid_t file, const DenseGrid& grid, double time_s, std::int64_t step,
                    const std::vector<FieldView>& fields, const Box* block = nullptr) {
  h5::write_attribute(file, "time_s", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &time_s, 0);
  h5::write_attribute(file, "step", H5T_STD_I64LE, H5T_NATIVE_INT64, &step, 0);
  const h5::Handle group = h5::create_group(file, "/fields");
  const h5::Handle space = grid_space(grid);
  const std::array<hsize_t, 3> dims{hsize_t(grid.nz), hsize_t(grid.ny), hsize_t(grid.nx)};
  for (const FieldView& field : fields) {
    const bool single = field.precision == Precision::Float;
    const hid_t file_type = single ? H5T_IEEE_F32LE : H5T_IEEE_F64LE;
    const hid_t memory_type = single ? H5T_NATIVE_FLOAT : H5T_NATIVE_DOUBLE;
    const h5::Handle dataset = block ? h5::write_block_dataset(file, "/fields/" + field.name, file_type,
                                                               memory_type, dims, *block, field.data)
                                     : h5::write_dataset(file, "/fields/" + field.name, file_type,
                                                         memory_type, space.get(), H5P_DEFAULT, field.data);
    h5::write_string_attribute(dataset.get(), "units", "pg/mL");
  }
}

std::string xml_escape(std::string_view text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

void append_xdmf_attribute(std::string& out, const std::string& name, const std::string& cells,
                           const char* number_type, int precision, const std::string& source) {
  fmt::format_to(std::back_inserter(out),
                 "    <Attribute Name=\"{}\" AttributeType=\"Scalar\" Center=\"Cell\">\n"
                 "     <DataItem Dimensions=\"{}\" NumberType=\"{}\" Precision=\"{}\" "
                 "Format=\"HDF\">{}</DataItem>\n"
                 "    </Attribute>\n",
                 xml_escape(name), cells, number_type, precision, xml_escape(source));
}

}  // namespace

SnapshotWriter::SnapshotWriter(std::string directory, DenseGrid grid, std::vector<std::uint8_t> labels,
                               std::vector<Tissue> tissues, double min_rewrite_interval_s)
    : directory_(std::move(directory)),
      grid_(grid),
      xdmf_path_(join(directory_, "fields.xmf")),
      index_(min_rewrite_interval_s) {
  if (grid_.nx < 1 || grid_.ny < 1 || grid_.nz < 1) {
    throw std::invalid_argument("SnapshotWriter: the grid has no voxels");
  }
  write_geometry_file(labels, tissues);
}

void SnapshotWriter::write_geometry_file(const std::vector<std::uint8_t>& labels,
                                         const std::vector<Tissue>& tissues) const {
  if (std::int64_t(labels.size()) != grid_.voxels()) {
    throw std::invalid_argument(
        fmt::format("SnapshotWriter: {} labels for {} voxels", labels.size(), grid_.voxels()));
  }
  ensure_directory(directory_);
  h5::write_file_atomically(join(directory_, kGeometryFile),
                            [&](hid_t file) { write_geometry(file, grid_, labels, tissues); });
}

SnapshotWriter::SnapshotWriter(const par::Comm& comm, std::string directory, DenseGrid grid,
                               std::vector<std::uint8_t> labels, std::vector<Tissue> tissues,
                               double min_rewrite_interval_s)
    : directory_(std::move(directory)),
      grid_(grid),
      xdmf_path_(join(directory_, "fields.xmf")),
      index_(min_rewrite_interval_s),
      index_owner_(comm.root()) {
  if (grid_.nx < 1 || grid_.ny < 1 || grid_.nz < 1) {
    throw std::invalid_argument("SnapshotWriter: the grid has no voxels");
  }
  std::string failure;
  if (comm.root()) {
    try {
      write_geometry_file(labels, tissues);
    } catch (const std::exception& e) {
      failure = e.what();
      if (failure.empty()) failure = "SnapshotWriter: cannot write " + join(directory_, kGeometryFile);
    }
  }
  // Also a barrier: the directory exists before any rank writes a snapshot.
  comm.broadcast(failure);
  if (!failure.empty()) throw RuntimeFailure(failure);
}

void SnapshotWriter::write_collective(const par::Comm& comm, double time_s, std::int64_t step,
                                      const std::vector<FieldView>& block_fields, const Box& block) {
  Entry entry{fmt::format("snapshot_{:06d}.h5", next_index_), time_s, {}};
  const std::string path = join(directory_, entry.file);
  // Checked on every rank before the collective writing starts.
  std::string reason;
  const std::array<int, 3> extent{grid_.nx, grid_.ny, grid_.nz};
  for (std::size_t a = 0; a < 3; ++a)
    if (block.lo[a] < 0 || block.size[a] < 0 || block.lo[a] + block.size[a] > extent[a])
      reason = fmt::format(
          "SnapshotWriter: rank {}'s block of {}x{}x{} voxels at ({}, {}, {}) lies outside the grid",
          comm.rank(), block.size[0], block.size[1], block.size[2], block.lo[0], block.lo[1], block.lo[2]);
  for (const FieldView& field : block_fields) {
    if (field.name.empty() || field.name.find('/') != std::string::npos)
      reason = fmt::format("SnapshotWriter: bad field name '{}'", field.name);
    else if (field.data == nullptr && block.voxels() > 0)
      reason = fmt::format("SnapshotWriter: no data for field {}", field.name);
    entry.fields.emplace_back(field.name, field.precision);
  }
  h5::refuse_together(comm, path, reason);
  h5::write_file_collectively(
      comm, path, [&](hid_t file) { write_snapshot(file, grid_, time_s, step, block_fields, &block); });
  entries_.push_back(std::move(entry));
  ++next_index_;
  if (index_.added()) flush();
}

void SnapshotWriter::write(double time_s, std::int64_t step, const std::vector<FieldView>& fields) {
  Entry entry{fmt::format("snapshot_{:06d}.h5", next_index_), time_s, {}};
  for (const FieldView& field : fields) {
    // A '/' would make HDF5 look for a nested group.
    if (field.name.empty() || field.name.find('/') != std::string::npos) {
      throw std::invalid_argument(fmt::format("SnapshotWriter: bad field name '{}'", field.name));
    }
    if (field.data == nullptr) {
      throw std::invalid_argument(fmt::format("SnapshotWriter: no data for field {}", field.name));
    }
    entry.fields.emplace_back(field.name, field.precision);
  }
  h5::write_file_atomically(join(directory_, entry.file),
                            [&](hid_t file) { write_snapshot(file, grid_, time_s, step, fields); });
  entries_.push_back(std::move(entry));
  ++next_index_;
  if (index_.added()) flush();
}

void write_diagnostic_snapshot(const std::string& path, const DenseGrid& grid,
                               const std::vector<std::uint8_t>& labels, const std::vector<Tissue>& tissues,
                               double time_s, std::int64_t step, const std::vector<FieldView>& fields,
                               const std::string& finding) {
  h5::write_file_atomically(path, [&](hid_t file) {
    write_geometry(file, grid, labels, tissues);
    write_snapshot(file, grid, time_s, step, fields);
    h5::write_string_attribute(file, "finding", finding);
  });
}

int SnapshotWriter::resume(const std::vector<double>& times, const std::vector<FieldView>& fields) {
  h5::prepare_library();
  entries_.clear();
  int missing = 0;
  for (std::size_t i = 0; i < times.size(); ++i) {
    Entry entry{fmt::format("snapshot_{:06d}.h5", i), times[i], {}};
    const std::string path = join(directory_, entry.file);
    const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) {
      H5Eclear2(H5E_DEFAULT);
      ++missing;
      continue;
    }
    const h5::Handle owned(file, H5Fclose, "opening " + path);
    const hid_t group = H5Gopen2(file, "/fields", H5P_DEFAULT);
    if (group < 0) {
      H5Eclear2(H5E_DEFAULT);
      ++missing;
      continue;
    }
    const h5::Handle owned_group(group, H5Gclose, "opening /fields");
    for (const FieldView& field : fields) {
      if (H5Lexists(group, field.name.c_str(), H5P_DEFAULT) > 0)
        entry.fields.emplace_back(field.name, field.precision);
      else
        H5Eclear2(H5E_DEFAULT);
    }
    entries_.push_back(std::move(entry));
  }
  next_index_ = int(times.size());
  if (!entries_.empty()) {
    index_.added();
    flush();
  }
  return missing;
}

void SnapshotWriter::flush() {
  if (!index_owner_ || !index_.stale()) return;
  write_xdmf();
  index_.rewritten();
}

void SnapshotWriter::write_xdmf() const {
  const std::string cells = fmt::format("{} {} {}", grid_.nz, grid_.ny, grid_.nx);
  const std::string nodes = fmt::format("{} {} {}", grid_.nz + 1, grid_.ny + 1, grid_.nx + 1);
  // XDMF orders the CoRectMesh origin and spacing like the dimensions,
  // slowest axis first: z y x (ParaView and VisIt reverse them back).
  const std::string origin = fmt::format("{} {} {}", grid_.origin[2], grid_.origin[1], grid_.origin[0]);
  const std::string spacing = fmt::format("{} {} {}", grid_.spacing[2], grid_.spacing[1], grid_.spacing[0]);

  std::string out =
      "<?xml version=\"1.0\" ?>\n"
      "<!DOCTYPE Xdmf SYSTEM \"Xdmf.dtd\" []>\n"
      "<Xdmf Version=\"2.0\">\n"
      " <Domain>\n"
      "  <Grid Name=\"fields\" GridType=\"Collection\" CollectionType=\"Temporal\">\n";
  for (const Entry& entry : entries_) {
    fmt::format_to(std::back_inserter(out),
                   "   <Grid Name=\"{}\" GridType=\"Uniform\">\n"
                   "    <Time Value=\"{}\"/>\n"
                   "    <Topology TopologyType=\"3DCoRectMesh\" Dimensions=\"{}\"/>\n"
                   "    <Geometry GeometryType=\"ORIGIN_DXDYDZ\">\n"
                   "     <DataItem Name=\"Origin\" Dimensions=\"3\" NumberType=\"Float\" "
                   "Precision=\"8\" Format=\"XML\">{}</DataItem>\n"
                   "     <DataItem Name=\"Spacing\" Dimensions=\"3\" NumberType=\"Float\" "
                   "Precision=\"8\" Format=\"XML\">{}</DataItem>\n"
                   "    </Geometry>\n",
                   std::filesystem::path(entry.file).stem().string(), entry.time_s, nodes, origin, spacing);
    // Relative paths: the output folder can be moved or copied as a whole.
    append_xdmf_attribute(out, "labels", cells, "UChar", 1, fmt::format("{}:/labels", kGeometryFile));
    for (const auto& [name, precision] : entry.fields) {
      append_xdmf_attribute(out, name, cells, "Float", precision == Precision::Float ? 4 : 8,
                            fmt::format("{}:/fields/{}", entry.file, name));
    }
    out += "   </Grid>\n";
  }
  out +=
      "  </Grid>\n"
      " </Domain>\n"
      "</Xdmf>\n";
  write_file_atomically(xdmf_path_, out);
}

}  // namespace cyto
