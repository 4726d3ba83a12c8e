// A failed CUDA call or launch, as host code sees it (no CUDA types here, so
// host/ compiles without nvcc). The message names the call, the source file
// and line, and the CUDA error string; the CLI reports it with exit code 1.
#pragma once

#include <stdexcept>
#include <string>

namespace cyto {

class DeviceError : public std::runtime_error {
 public:
  DeviceError(const std::string& message, bool out_of_memory)
      : std::runtime_error(message), out_of_memory_(out_of_memory) {}
  bool out_of_memory() const { return out_of_memory_; }

 private:
  bool out_of_memory_;
};

}  // namespace cyto
