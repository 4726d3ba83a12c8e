#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iterator>
#include <stdexcept>
#include <string_view>

#include <fmt/format.h>

#include "atomic_file.hpp"
#include "hdf5_handle.hpp"
#include "output.hpp"

namespace cyto {

namespace {

constexpr const char* kGeometryFile = "geometry.h5";

std::string join(const std::string& directory, const std::string& name) {
  return (std::filesystem::path(directory) / name).string();
}

// Creates the HDF5 file under a temporary name, lets `fill` add the content,
// closes it and commits it: `path` is always either absent, the previous file
// or the complete new one, even if the process is killed half-way.
template <class Fill>
void write_hdf5_atomically(const std::string& path, Fill fill) {
  h5::prepare_library();
  const std::string temporary = detail::temporary_path(path);
  try {
    h5::Handle access(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "creating a file access list");
#if H5_VERSION_GE(1, 10, 7)
    // The temporary is private to this process, and locking fails outright on
    // file systems without flock (Lustre, some NFS setups).
    h5::check(H5Pset_file_locking(access.get(), false, true), "disabling file locking");
#endif
    h5::Handle file(H5Fcreate(temporary.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, access.get()), H5Fclose,
                    "creating the file");
    fill(file.get());
    h5::check(file.close(), "closing the file");
  } catch (const RuntimeFailure& failure) {
    std::remove(temporary.c_str());
    throw RuntimeFailure(fmt::format("cannot write {}: {}", path, failure.what()));
  } catch (...) {
    std::remove(temporary.c_str());
    throw;
  }
  detail::commit_temporary_file(temporary, path);
}

// count == 0: a scalar attribute; otherwise a 1-D array of `count` values.
void write_attribute(hid_t object, const char* name, hid_t file_type, hid_t memory_type, const void* value,
                     hsize_t count) {
  h5::Handle space(count == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &count, nullptr), H5Sclose,
                   fmt::format("creating the dataspace of attribute {}", name));
  h5::Handle attribute(H5Acreate2(object, name, file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                       fmt::format("creating attribute {}", name));
  h5::check(H5Awrite(attribute.get(), memory_type, value), fmt::format("writing attribute {}", name));
}

// Fixed-length, null-terminated strings: the kind every HDF5 reader handles.
h5::Handle string_type(std::size_t length) {
  h5::Handle type(H5Tcopy(H5T_C_S1), H5Tclose, "creating a string type");
  h5::check(H5Tset_size(type.get(), length + 1), "sizing a string type");
  h5::check(H5Tset_strpad(type.get(), H5T_STR_NULLTERM), "setting string padding");
  return type;
}

void write_string_attribute(hid_t object, const char* name, const std::string& value) {
  const h5::Handle type = string_type(value.size());
  write_attribute(object, name, type.get(), type.get(), value.c_str(), 0);
}

h5::Handle write_dataset(hid_t file, const std::string& path, hid_t file_type, hid_t memory_type, hid_t space,
                         hid_t creation, const void* data) {
  h5::Handle dataset(H5Dcreate2(file, path.c_str(), file_type, space, H5P_DEFAULT, creation, H5P_DEFAULT),
                     H5Dclose, "creating dataset " + path);
  h5::check(H5Dwrite(dataset.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data),
            "writing dataset " + path);
  return dataset;
}

h5::Handle grid_space(const DenseGrid& grid) {
  // C order, so x (fastest in memory) is the last dimension.
  const hsize_t dims[3] = {hsize_t(grid.nz), hsize_t(grid.ny), hsize_t(grid.nx)};
  return h5::Handle(H5Screate_simple(3, dims, nullptr), H5Sclose, "creating the grid dataspace");
}

void write_geometry(hid_t file, const DenseGrid& grid, const std::vector<std::uint8_t>& labels,
                    const std::vector<Tissue>& tissues) {
  const h5::Handle space = grid_space(grid);
  h5::Handle creation(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "creating a dataset property list");
  if (H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0) {
    // Labels are piecewise constant and compress very well; chunks of whole
    // z-planes, about 1 MiB.
    const hsize_t plane = hsize_t(grid.nx) * hsize_t(grid.ny);
    const hsize_t chunk[3] = {std::clamp<hsize_t>((hsize_t(1) << 20) / plane, 1, hsize_t(grid.nz)),
                              hsize_t(grid.ny), hsize_t(grid.nx)};
    h5::check(H5Pset_chunk(creation.get(), 3, chunk), "setting the chunk size of /labels");
    h5::check(H5Pset_deflate(creation.get(), 1), "enabling compression of /labels");
  }
  write_dataset(file, "/labels", H5T_STD_U8LE, H5T_NATIVE_UINT8, space.get(), creation.get(), labels.data());
  write_attribute(file, "origin_m", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, grid.origin.data(), 3);
  write_attribute(file, "spacing_m", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, grid.spacing.data(), 3);

  // Parallel arrays: tissue /tissues/name[i] is painted with label /tissues/label[i].
  h5::Handle group(H5Gcreate2(file, "/tissues", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose,
                   "creating group /tissues");
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
  const h5::Handle name_type = string_type(longest);
  write_dataset(file, "/tissues/label", H5T_STD_U8LE, H5T_NATIVE_UINT8, list_space.get(), H5P_DEFAULT,
                values.data());
  write_dataset(file, "/tissues/name", name_type.get(), name_type.get(), list_space.get(), H5P_DEFAULT,
                names.data());
}

void write_snapshot(hid_t file, const DenseGrid& grid, double time_s, std::int64_t step,
                    const std::vector<FieldView>& fields) {
  write_attribute(file, "time_s", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &time_s, 0);
  write_attribute(file, "step", H5T_STD_I64LE, H5T_NATIVE_INT64, &step, 0);
  h5::Handle group(H5Gcreate2(file, "/fields", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose,
                   "creating group /fields");
  const h5::Handle space = grid_space(grid);
  for (const FieldView& field : fields) {
    const bool single = field.precision == Precision::Float;
    const h5::Handle dataset =
        write_dataset(file, "/fields/" + field.name, single ? H5T_IEEE_F32LE : H5T_IEEE_F64LE,
                      single ? H5T_NATIVE_FLOAT : H5T_NATIVE_DOUBLE, space.get(), H5P_DEFAULT, field.data);
    write_string_attribute(dataset.get(), "units", "pg/mL");
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
  if (std::int64_t(labels.size()) != grid_.voxels()) {
    throw std::invalid_argument(
        fmt::format("SnapshotWriter: {} labels for {} voxels", labels.size(), grid_.voxels()));
  }
  ensure_directory(directory_);
  write_hdf5_atomically(join(directory_, kGeometryFile),
                        [&](hid_t file) { write_geometry(file, grid_, labels, tissues); });
}

void SnapshotWriter::write(double time_s, std::int64_t step, const std::vector<FieldView>& fields) {
  Entry entry{fmt::format("snapshot_{:06d}.h5", entries_.size()), time_s, {}};
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
  write_hdf5_atomically(join(directory_, entry.file),
                        [&](hid_t file) { write_snapshot(file, grid_, time_s, step, fields); });
  entries_.push_back(std::move(entry));
  if (index_.added()) flush();
}

void SnapshotWriter::flush() {
  if (!index_.stale()) return;
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
