// What was built, recorded in run summaries and benchmark results.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

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

// The same, as recorded in summary.json and benchmark results.
nlohmann::json build_info_json();

}  // namespace cyto
