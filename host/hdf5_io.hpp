// HDF5 writing shared by snapshots, checkpoints and diagnostic dumps: files
// committed atomically, attributes, strings and datasets whose bytes do not
// depend on when they were written (no object time stamps), so that equal
// content gives equal files. Only for cytostorm_host sources.
#pragma once

#include <functional>
#include <string>

#include "hdf5_handle.hpp"

namespace cyto::h5 {

enum class FileFormat {
  Compatible,  // the oldest format that holds the content: readable by any HDF5 1.8+
  Checksummed  // HDF5 1.10 format: every metadata block carries a checksum
};

// Creates `path` under a temporary name, lets `fill` add the content, closes
// it and commits it (fsync, rename, directory fsync): `path` is always absent,
// the previous file or the complete new one, even if the process is killed
// half-way. RuntimeFailure "cannot write <path>: <reason>" on failure, with
// the temporary removed.
void write_file_atomically(const std::string& path, const std::function<void(hid_t file)>& fill,
                           FileFormat format = FileFormat::Compatible);

// count == 0: a scalar attribute; otherwise a 1-D array of `count` values.
void write_attribute(hid_t object, const char* name, hid_t file_type, hid_t memory_type, const void* value,
                     hsize_t count);

// Fixed-length, null-terminated strings of `length` characters: the kind every HDF5 reader handles.
Handle string_type(std::size_t length);

void write_string_attribute(hid_t object, const char* name, const std::string& value);

// A dataset creation property list without object time stamps; further
// properties (chunks, filters) may be added to it.
Handle dataset_creation();

// Creates and writes a dataset; creation == H5P_DEFAULT means dataset_creation().
Handle write_dataset(hid_t location, const std::string& path, hid_t file_type, hid_t memory_type, hid_t space,
                     hid_t creation, const void* data);

// A group without time stamps.
Handle create_group(hid_t location, const std::string& path);

}  // namespace cyto::h5
