// HDF5 writing shared by snapshots, checkpoints and diagnostic dumps: files
// committed atomically, attributes, strings and datasets whose bytes do not
// depend on when they were written (no object time stamps), so that equal
// content gives equal files. Only for cytostorm_host sources.
//
// Parallel runs write one file per output time together (parallel HDF5 over
// MPI-IO): every rank creates the same groups, datasets and attributes with
// the same values (HDF5 metadata operations are collective), and each writes
// its own block of the 3-D grids (write_block_dataset); data that every rank
// holds alike is written from rank 0 (write_whole_dataset). Without MPI, or
// with one rank, the same calls write the serial file.
#pragma once

#include <array>
#include <functional>
#include <string>

#include "host/io/hdf5_handle.hpp"
#include "host/parallel/decomposition.hpp"
#include "host/parallel/parallel.hpp"

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

// write_file_atomically for the ranks of `comm`, all writing one file:
// comm.size() == 1 is exactly write_file_atomically. Otherwise every rank
// creates the same temporary (rank 0's name) through MPI-IO and runs `fill`,
// which must make the same metadata calls with the same values on every rank
// (groups, datasets, attributes) and write data with write_block_dataset /
// write_whole_dataset; then the file is closed (MPI_File_close synchronises
// every rank's data to storage), and rank 0 fsyncs, renames and fsyncs the
// directory. A failure on any rank becomes, on every rank, RuntimeFailure
// "cannot write <path>: <reason>" (the lowest failing rank's reason), with
// the temporary removed. Every rank returns only after the rename. A failure
// on some ranks only in the middle of `fill` can leave the others waiting
// inside a collective HDF5 call: check local arguments before (every rank
// agreeing with comm.any()).
void write_file_collectively(const par::Comm& comm, const std::string& path,
                             const std::function<void(hid_t file)>& fill,
                             FileFormat format = FileFormat::Compatible);

// Agreement before (or after) writing `path` together: when `reason` is not
// empty on any rank of `comm`, every rank throws RuntimeFailure "cannot write
// <path>: <reason>" with the lowest such rank's reason. Collective.
void refuse_together(const par::Comm& comm, const std::string& path, const std::string& reason);

// How this process takes part in writing `object`'s file: opened through
// MPI-IO by write_file_collectively (collective transfers), and whether it is
// rank 0 there. A file of write_file_atomically is {false, true}. Every rank
// must call it alike (it copies the file's access list: collective under MPI-IO).
struct Participation {
  bool collective = false;
  bool root = true;
};
Participation participation(hid_t object);

// Creates the 3-D dataset `path` of `global_dims` (nz, ny, nx: x is the last,
// fastest dimension) and writes this process's `block` of it from
// `block_data` (block.voxels() values, dense, x fastest). In a file of
// write_file_collectively every rank calls it (with its own block, possibly
// empty) and the ranks write with one collective H5Dwrite, which parallel
// HDF5 1.10 requires for chunked, filtered datasets; chunks shared by blocks
// are assembled by HDF5. Elsewhere a plain write. Voxels no block covers read
// back as the fill value (0): when the blocks hold fewer voxels than the
// grid, the dataset is filled with it at allocation (an extra write).
// creation == H5P_DEFAULT means dataset_creation().
Handle write_block_dataset(hid_t file, const std::string& path, hid_t file_type, hid_t memory_type,
                           const std::array<hsize_t, 3>& global_dims /* nz, ny, nx */, const Box& block,
                           const void* block_data /* dense, x fastest */, hid_t creation = H5P_DEFAULT);

// Writes all of `dataset` from `data`: in a file of write_file_collectively,
// collectively with rank 0's values (every rank calls it; the others' `data`
// is not read); elsewhere a plain H5Dwrite of the whole dataset.
void write_whole_dataset(hid_t dataset, const std::string& path, hid_t memory_type, const void* data);

// Selects `block` (x, y, z) in `file_space` of a 3-D (nz, ny, nx) dataset and
// returns the matching dense memory dataspace (x fastest); RuntimeFailure if
// the space is not 3-D or the block does not lie inside it. An empty block
// selects nothing.
Handle select_block(hid_t file_space, const Box& block);

// Reads `block` of the 3-D dataset `path` into `out` (block.voxels() values of
// `memory_type`, dense, x fastest): an independent read, by any number of
// processes, in any file. Filters (checksums) of the chunks read are applied.
// RuntimeFailure naming the dataset on failure.
void read_block_dataset(hid_t file, const std::string& path, hid_t memory_type, const Box& block, void* out);

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
