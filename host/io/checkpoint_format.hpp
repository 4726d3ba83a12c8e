// What the checkpoint writer and reader agree on beyond the public format
// (docs/guide/checkpoints.md): the format's name and how each value type is
// stored in the file and held in memory.
#pragma once

#include <cstdint>
#include <type_traits>

#include "host/io/hdf5_io.hpp"

namespace cyto::checkpoint_format {

inline constexpr const char* kFormatName = "cytostorm-checkpoint";

template <class T>
inline hid_t memory_type() {
  if constexpr (std::is_same_v<T, float>) return H5T_NATIVE_FLOAT;
  if constexpr (std::is_same_v<T, double>) return H5T_NATIVE_DOUBLE;
  if constexpr (std::is_same_v<T, std::int64_t>) return H5T_NATIVE_INT64;
  if constexpr (std::is_same_v<T, std::uint64_t>) return H5T_NATIVE_UINT64;
  if constexpr (std::is_same_v<T, std::uint8_t>) return H5T_NATIVE_UINT8;
}

template <class T>
inline hid_t file_type() {
  if constexpr (std::is_same_v<T, float>) return H5T_IEEE_F32LE;
  if constexpr (std::is_same_v<T, double>) return H5T_IEEE_F64LE;
  if constexpr (std::is_same_v<T, std::int64_t>) return H5T_STD_I64LE;
  if constexpr (std::is_same_v<T, std::uint64_t>) return H5T_STD_U64LE;
  if constexpr (std::is_same_v<T, std::uint8_t>) return H5T_STD_U8LE;
}

}  // namespace cyto::checkpoint_format
