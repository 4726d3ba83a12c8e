#include "hdf5_io.hpp"

#include <cstdio>

#include "atomic_file.hpp"

namespace cyto::h5 {

void write_file_atomically(const std::string& path, const std::function<void(hid_t)>& fill,
                           FileFormat format) {
  prepare_library();
  const std::string temporary = detail::temporary_path(path);
  try {
    Handle access(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "creating a file access list");
#if H5_VERSION_GE(1, 10, 7)
    // The temporary is private to this process, and locking fails outright on
    // file systems without flock (Lustre, some NFS setups).
    check(H5Pset_file_locking(access.get(), false, true), "disabling file locking");
#endif
    if (format == FileFormat::Checksummed)
      // Pinned to the 1.10 format, so that a build against a newer HDF5 writes files older builds read.
      check(H5Pset_libver_bounds(access.get(), H5F_LIBVER_V110, H5F_LIBVER_V110),
            "selecting the checksummed file format");
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
