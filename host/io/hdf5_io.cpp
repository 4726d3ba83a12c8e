#include "host/io/hdf5_io.hpp"

#include <cstdio>

#include "host/core/atomic_file.hpp"

namespace cyto::h5 {
namespace {

// The access list of a file this process writes alone or (MPI-IO added by the
// caller) with the other ranks.
Handle file_access(FileFormat format) {
  Handle access(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "creating a file access list");
#if H5_VERSION_GE(1, 10, 7)
  // The temporary is private to this process (or this job), and locking fails
  // outright on file systems without flock (Lustre, some NFS setups).
  check(H5Pset_file_locking(access.get(), false, true), "disabling file locking");
#endif
  if (format == FileFormat::Checksummed)
    // Pinned to the 1.10 format, so that a build against a newer HDF5 writes files older builds read.
    check(H5Pset_libver_bounds(access.get(), H5F_LIBVER_V110, H5F_LIBVER_V110),
          "selecting the checksummed file format");
  return access;
}

// A transfer list: collective (MPI-IO) or the default.
Handle transfer_list(bool collective) {
  Handle transfer(H5Pcreate(H5P_DATASET_XFER), H5Pclose, "creating a transfer property list");
#ifdef CYTOSTORM_HAVE_MPI
  if (collective)
    check(H5Pset_dxpl_mpio(transfer.get(), H5FD_MPIO_COLLECTIVE), "selecting collective transfers");
#else
  (void)collective;
#endif
  return transfer;
}

// The sum of `value` over the ranks that opened `file` through MPI-IO (collective).
std::int64_t sum_over_ranks(hid_t file, std::int64_t value) {
#ifdef CYTOSTORM_HAVE_MPI
  const Handle access(H5Fget_access_plist(file), H5Pclose, "reading a file access list");
  MPI_Comm comm = MPI_COMM_NULL;
  MPI_Info info = MPI_INFO_NULL;
  check(H5Pget_fapl_mpio(access.get(), &comm, &info), "reading the file's communicator");
  const int code = MPI_Allreduce(MPI_IN_PLACE, &value, 1, MPI_INT64_T, MPI_SUM, comm);
  MPI_Comm_free(&comm);
  if (info != MPI_INFO_NULL) MPI_Info_free(&info);
  if (code != MPI_SUCCESS) throw RuntimeFailure("summing the blocks' voxels over the ranks failed");
#else
  (void)file;
#endif
  return value;
}

}  // namespace

void write_file_atomically(const std::string& path, const std::function<void(hid_t)>& fill,
                           FileFormat format) {
  prepare_library();
  const std::string temporary = detail::temporary_path(path);
  try {
    const Handle access = file_access(format);
    Handle file(H5Fcreate(temporary.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, access.get()), H5Fclose,
                "creating the file");
    fill(file.get());
    check(file.close(), "closing the file");
  } catch (const RuntimeFailure& failure) {
    std::remove(temporary.c_str());
    throw RuntimeFailure(fmt::format("cannot write {}: {}", path, failure.what()));
  } catch (...) {
    std::remove(temporary.c_str());
    throw;
  }
  detail::commit_temporary_file(temporary, path);
}

void write_file_collectively(const par::Comm& comm, const std::string& path,
                             const std::function<void(hid_t)>& fill, FileFormat format) {
  if (comm.size() == 1) {
    write_file_atomically(path, fill, format);
    return;
  }
#ifndef CYTOSTORM_HAVE_MPI
  throw RuntimeFailure(fmt::format("cannot write {}: internal: {} ranks without MPI", path, comm.size()));
#else
  prepare_library();
  // One temporary for the job: rank 0's name (its process id).
  std::string temporary = comm.root() ? detail::temporary_path(path) : std::string();
  comm.broadcast(temporary);
  std::string reason;
  try {
    const Handle access = file_access(format);
    check(H5Pset_fapl_mpio(access.get(), comm.handle(), MPI_INFO_NULL), "selecting MPI-IO");
    // Metadata reaches the file in collective writes from all ranks, not piecemeal from rank 0.
    check(H5Pset_coll_metadata_write(access.get(), true), "selecting collective metadata writes");
    Handle file(H5Fcreate(temporary.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, access.get()), H5Fclose,
                "creating the file");
    fill(file.get());
    // MPI_File_close synchronises the file state (MPI_File_sync) of every rank.
    check(file.close(), "closing the file");
  } catch (const std::exception& failure) {
    reason = failure.what();
    if (reason.empty()) reason = "an unnamed error";
  } catch (...) {
    reason = "an unknown exception";
  }
  // Every rank has closed the file: agree on the outcome.
  try {
    refuse_together(comm, path, reason);
  } catch (const RuntimeFailure&) {
    if (comm.root()) std::remove(temporary.c_str());
    throw;
  }
  std::string commit_failure;
  if (comm.root()) {
    try {
      detail::commit_temporary_file(temporary, path);
    } catch (const RuntimeFailure& failure) {
      commit_failure = failure.what();  // already "cannot write <path>: <reason>"
      if (commit_failure.empty()) commit_failure = fmt::format("cannot write {}", path);
    }
  }
  // Also a barrier: no rank returns before the file is in place.
  comm.broadcast(commit_failure);
  if (!commit_failure.empty()) throw RuntimeFailure(commit_failure);
#endif
}

void refuse_together(const par::Comm& comm, const std::string& path, const std::string& reason) {
  if (!comm.any(!reason.empty())) return;
  std::string agreed = reason;
  double first = reason.empty() ? double(comm.size()) : double(comm.rank());
  comm.min(&first, 1);
  comm.broadcast(agreed, int(first));
  throw RuntimeFailure(fmt::format("cannot write {}: {}", path, agreed));
}

Participation participation(hid_t object) {
  Participation how;
#ifdef CYTOSTORM_HAVE_MPI
  const Handle file(H5Iget_file_id(object), H5Fclose, "finding the file of an object");
  const Handle access(H5Fget_access_plist(file.get()), H5Pclose, "reading a file access list");
  if (H5Pget_driver(access.get()) != H5FD_MPIO) return how;
  void* handle = nullptr;
  check(H5Fget_vfd_handle(file.get(), access.get(), &handle), "reading the MPI file handle");
  MPI_Group group = MPI_GROUP_NULL;
  int rank = 0;
  if (handle == nullptr || MPI_File_get_group(*static_cast<MPI_File*>(handle), &group) != MPI_SUCCESS ||
      MPI_Group_rank(group, &rank) != MPI_SUCCESS)
    throw RuntimeFailure("finding this rank in the MPI file's group failed");
  MPI_Group_free(&group);
  how.collective = true;
  how.root = rank == 0;
#else
  (void)object;
#endif
  return how;
}

Handle select_block(hid_t file_space, const Box& block) {
  hsize_t dims[3] = {0, 0, 0};
  if (H5Sget_simple_extent_ndims(file_space) != 3 ||
      H5Sget_simple_extent_dims(file_space, dims, nullptr) != 3)
    throw RuntimeFailure("a block of a dataset that is not 3-D");
  bool inside = true;
  for (int a = 0; a < 3; ++a) {
    const std::size_t i = std::size_t(a);
    inside = inside && block.lo[i] >= 0 && block.size[i] >= 0 &&
             hsize_t(block.lo[i]) + hsize_t(block.size[i]) <= dims[2 - a];
  }
  if (!inside)
    throw RuntimeFailure(
        fmt::format("the block of {}x{}x{} voxels at ({}, {}, {}) does not lie inside the grid of {}x{}x{}",
                    block.size[0], block.size[1], block.size[2], block.lo[0], block.lo[1], block.lo[2],
                    dims[2], dims[1], dims[0]));
  if (block.voxels() == 0) {
    check(H5Sselect_none(file_space), "selecting no voxel");
    const hsize_t one = 1;
    Handle memory(H5Screate_simple(1, &one, nullptr), H5Sclose, "creating an empty block dataspace");
    check(H5Sselect_none(memory.get()), "selecting no voxel");
    return memory;
  }
  // C order: z, y, x.
  const hsize_t start[3] = {hsize_t(block.lo[2]), hsize_t(block.lo[1]), hsize_t(block.lo[0])};
  const hsize_t count[3] = {hsize_t(block.size[2]), hsize_t(block.size[1]), hsize_t(block.size[0])};
  check(H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start, nullptr, count, nullptr), "selecting a block");
  return Handle(H5Screate_simple(3, count, nullptr), H5Sclose, "creating a block dataspace");
}

Handle write_block_dataset(hid_t file, const std::string& path, hid_t file_type, hid_t memory_type,
                           const std::array<hsize_t, 3>& global_dims, const Box& block,
                           const void* block_data, hid_t creation) {
  const Handle space(H5Screate_simple(3, global_dims.data(), nullptr), H5Sclose,
                     "creating the dataspace of " + path);
  const Participation how = participation(file);
  Handle properties = creation == H5P_DEFAULT
                          ? dataset_creation()
                          : Handle(H5Pcopy(creation), H5Pclose, "copying the creation list of " + path);
  // Where the blocks leave voxels uncovered (blocks without tissue), the fill
  // value (0) is written when the dataset is allocated, so that those voxels
  // never read as whatever the file space held (parallel HDF5 allocates the
  // whole dataset at creation) or, in a checksummed chunk, fail to read.
  // Blocks covering the grid skip that extra write.
  const std::int64_t covered = how.collective ? sum_over_ranks(file, block.voxels()) : block.voxels();
  if (covered < std::int64_t(global_dims[0]) * std::int64_t(global_dims[1]) * std::int64_t(global_dims[2]))
    check(H5Pset_fill_time(properties.get(), H5D_FILL_TIME_ALLOC), "filling " + path + " where no block is");
  Handle dataset(
      H5Dcreate2(file, path.c_str(), file_type, space.get(), H5P_DEFAULT, properties.get(), H5P_DEFAULT),
      H5Dclose, "creating dataset " + path);
  // Alone, an empty block writes nothing; collectively every rank takes part.
  if (!how.collective && block.voxels() == 0) return dataset;
  const Handle memory = select_block(space.get(), block);
  const Handle transfer = transfer_list(how.collective);
  check(H5Dwrite(dataset.get(), memory_type, memory.get(), space.get(), transfer.get(), block_data),
        "writing dataset " + path);
  return dataset;
}

void write_whole_dataset(hid_t dataset, const std::string& path, hid_t memory_type, const void* data) {
  const Participation how = participation(dataset);
  if (!how.collective) {
    check(H5Dwrite(dataset, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), "writing dataset " + path);
    return;
  }
  const Handle space(H5Dget_space(dataset), H5Sclose, "reading the dataspace of " + path);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  hsize_t dims[H5S_MAX_RANK] = {};
  if (rank < 0 || H5Sget_simple_extent_dims(space.get(), dims, nullptr) < 0)
    fail("reading the dataspace of " + path);
  const Handle memory(rank == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(rank, dims, nullptr), H5Sclose,
                      "creating the memory dataspace of " + path);
  if (!how.root) {
    check(H5Sselect_none(space.get()), "selecting nothing of " + path);
    check(H5Sselect_none(memory.get()), "selecting nothing of " + path);
  }
  const Handle transfer = transfer_list(true);
  check(H5Dwrite(dataset, memory_type, memory.get(), space.get(), transfer.get(), data),
        "writing dataset " + path);
}

void read_block_dataset(hid_t file, const std::string& path, hid_t memory_type, const Box& block, void* out) {
  const Handle dataset(H5Dopen2(file, path.c_str(), H5P_DEFAULT), H5Dclose, "opening dataset " + path);
  const Handle space(H5Dget_space(dataset.get()), H5Sclose, "reading the dataspace of " + path);
  Handle memory = [&] {
    try {
      return select_block(space.get(), block);
    } catch (const RuntimeFailure& failure) {
      throw RuntimeFailure(fmt::format("dataset {}: {}", path, failure.what()));
    }
  }();
  if (block.voxels() == 0) return;
  check(H5Dread(dataset.get(), memory_type, memory.get(), space.get(), H5P_DEFAULT, out),
        "reading dataset " + path);
}

void write_attribute(hid_t object, const char* name, hid_t file_type, hid_t memory_type, const void* value,
                     hsize_t count) {
  Handle space(count == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &count, nullptr), H5Sclose,
               fmt::format("creating the dataspace of attribute {}", name));
  Handle attribute(H5Acreate2(object, name, file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                   fmt::format("creating attribute {}", name));
  check(H5Awrite(attribute.get(), memory_type, value), fmt::format("writing attribute {}", name));
}

Handle string_type(std::size_t length) {
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose, "creating a string type");
  check(H5Tset_size(type.get(), length + 1), "sizing a string type");
  check(H5Tset_strpad(type.get(), H5T_STR_NULLTERM), "setting string padding");
  return type;
}

void write_string_attribute(hid_t object, const char* name, const std::string& value) {
  const Handle type = string_type(value.size());
  write_attribute(object, name, type.get(), type.get(), value.c_str(), 0);
}

Handle dataset_creation() {
  Handle creation(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "creating a dataset property list");
  check(H5Pset_obj_track_times(creation.get(), false), "disabling time stamps");
  return creation;
}

Handle write_dataset(hid_t location, const std::string& path, hid_t file_type, hid_t memory_type, hid_t space,
                     hid_t creation, const void* data) {
  const Handle plain = dataset_creation();
  Handle dataset(H5Dcreate2(location, path.c_str(), file_type, space, H5P_DEFAULT,
                            creation == H5P_DEFAULT ? plain.get() : creation, H5P_DEFAULT),
                 H5Dclose, "creating dataset " + path);
  check(H5Dwrite(dataset.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), "writing dataset " + path);
  return dataset;
}

Handle create_group(hid_t location, const std::string& path) {
  Handle creation(H5Pcreate(H5P_GROUP_CREATE), H5Pclose, "creating a group property list");
  check(H5Pset_obj_track_times(creation.get(), false), "disabling time stamps");
  return Handle(H5Gcreate2(location, path.c_str(), H5P_DEFAULT, creation.get(), H5P_DEFAULT), H5Gclose,
                "creating group " + path);
}

}  // namespace cyto::h5
