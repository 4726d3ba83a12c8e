// Typed values of the scenario document: quantities with units, points,
// integers, counts, switches and names, each checked with a message that
// says what was expected and what was found.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "host/scenario/scenario.hpp"
#include "host/scenario/units.hpp"
#include "host/scenario/yaml_document.hpp"

namespace cyto::reader {

std::string scalar_text(const Document& doc, const Field& f, std::string_view expected);

enum class Bound { Any, NonNegative, Positive };

double read_quantity(const Document& doc, const Field& f, Quantity q, Bound bound = Bound::Any);
// Three quantities written as [x, y, z].
Vec3 read_vec3(const Document& doc, const Field& f, Quantity q, Bound bound, std::string_view expected);
Vec3 read_point(const Document& doc, const Field& f);

int read_int(const Document& doc, const Field& f);
std::uint64_t read_seed(const Document& doc, const Field& f);
// A whole number from lo to hi ("100", also "1e6"); `what` names it in messages.
std::int64_t read_count(const Document& doc, const Field& f, std::int64_t lo, std::int64_t hi,
                        std::string_view what);
bool read_bool(const Document& doc, const Field& f);
// Names that --set paths and outputs can use: a letter, then letters, digits, '_' or '-'.
std::string read_identifier(const Document& doc, const Field& f, std::string_view kind);

// A quantity as the user wrote it, with the default unit added to a bare
// number: "30 h", "1440 min".
std::string as_written(const Field& f, Quantity q);

}  // namespace cyto::reader
