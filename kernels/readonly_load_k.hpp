// Loads of values that no thread writes during a step (the inputs of the
// step and its coefficients), shared by the CPU loops and the CUDA kernel.
#pragma once

#include <cstring>

#include "kernels/qualifiers.hpp"

namespace cyto {

// A read-only load of a whole value or vector: one 16-, 8-, 4- or 2-byte
// load, through the non-coherent cache on the device. On the host a plain
// load (memcpy: no aliasing assumptions).
template <class T>
CYTO_HD T load_readonly(const T* p) {
#ifdef __CUDA_ARCH__
  static_assert(sizeof(T) == 16 || sizeof(T) == 8 || sizeof(T) == 4 || sizeof(T) == 2);
  T value;
  if constexpr (sizeof(T) == 16) {
    const uint4 raw = __ldg(reinterpret_cast<const uint4*>(p));
    std::memcpy(&value, &raw, 16);
  } else if constexpr (sizeof(T) == 8) {
    const uint2 raw = __ldg(reinterpret_cast<const uint2*>(p));
    std::memcpy(&value, &raw, 8);
  } else if constexpr (sizeof(T) == 4) {
    const unsigned raw = __ldg(reinterpret_cast<const unsigned*>(p));
    std::memcpy(&value, &raw, 4);
  } else {
    const unsigned short raw = __ldg(reinterpret_cast<const unsigned short*>(p));
    std::memcpy(&value, &raw, 2);
  }
  return value;
#else
  T value;
  std::memcpy(&value, p, sizeof(T));
  return value;
#endif
}

}  // namespace cyto
