#include "host/core/error.hpp"

#include <fmt/format.h>

namespace cyto {

std::string SourceLocation::position() const {
  if (file.empty()) return "<input>";
  if (line <= 0) return file;
  if (column <= 0) return fmt::format("{}:{}", file, line);
  return fmt::format("{}:{}:{}", file, line, column);
}

static std::string compose(const SourceLocation& where, const std::string& message) {
  if (where.key_path.empty()) return fmt::format("{}: {}", where.position(), message);
  return fmt::format("{}: {}: {}", where.position(), where.key_path, message);
}

InputError::InputError(SourceLocation where, const std::string& message)
    : std::runtime_error(compose(where, message)), where_(std::move(where)), detail_(message) {}

}  // namespace cyto
