// What was built, recorded in run summaries and benchmark results.
#pragma once

#include <string>

namespace cyto {

struct BuildInfo {
  std::string version;
  std::string commit;
  std::string build_type;
  std::string compiler;
  std::string cxx_flags;
  bool native_arch = false;
  bool cuda_compiled = false;
  std::string cuda_architectures;
};

BuildInfo build_info();

}  // namespace cyto
