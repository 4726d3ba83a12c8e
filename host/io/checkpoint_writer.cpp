// Checkpoints written: by one process (whole grids) or by the ranks of a
// parallel run together (each its block), into the same file format.
#include <algorithm>

#include <fmt/format.h>

#include "host/io/checkpoint.hpp"
#include "host/io/checkpoint_format.hpp"
#include "host/io/hdf5_io.hpp"

namespace cyto {
namespace {

using checkpoint_format::file_type;
using checkpoint_format::kFormatName;
using checkpoint_format::memory_type;

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

// Since format 2: the fingerprints of the outputs, one entry per file.
void write_outputs(hid_t file, const std::vector<OutputFingerprint>& outputs) {
  std::string names;
  std::vector<std::int64_t> sizes, crcs;
  for (const OutputFingerprint& f : outputs) {
    names += (names.empty() ? "" : "\n") + f.name;
    sizes.push_back(f.size);
    crcs.push_back(f.crc32);
  }
  h5::create_group(file, "/outputs");
  write_text(file, "/outputs/names", names);
  write_vector(file, "/outputs/sizes", sizes);
  write_vector(file, "/outputs/crc32", crcs);
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
  write_value(file, "/state/next_dt_s", p.next_dt);
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
  if (format_version >= 2) write_outputs(file, c.outputs);
}

}  // namespace

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

template void write_checkpoint<float>(const std::string&, const Checkpoint<float>&, int);
template void write_checkpoint<double>(const std::string&, const Checkpoint<double>&, int);
template void write_checkpoint_collective<float>(const par::Comm&, const std::string&,
                                                 const Checkpoint<float>&, const Box&, int);
template void write_checkpoint_collective<double>(const par::Comm&, const std::string&,
                                                  const Checkpoint<double>&, const Box&, int);

}  // namespace cyto
