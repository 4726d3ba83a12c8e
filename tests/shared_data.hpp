// Scenarios on the real organs of ../shared/data (outside the repository)
// cannot run where it is absent: said on the test's output, not hidden.
#pragma once

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#ifndef CYTOSTORM_SOURCE_DIR
#error "CYTOSTORM_SOURCE_DIR must be defined"
#endif

namespace cyto::testing {

inline bool needs_missing_shared_data(const std::filesystem::path& yaml) {
  std::ifstream in(yaml);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.find("shared/data/") == std::string::npos) return false;
  if (std::filesystem::exists(std::string(CYTOSTORM_SOURCE_DIR) + "/../shared/data")) return false;
  std::printf("[ SKIPPED  part ] %s: uses ../shared/data, which is absent here\n", yaml.filename().c_str());
  return true;
}

}  // namespace cyto::testing
