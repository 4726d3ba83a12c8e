// The suite's results: each timed case as a JSON object (the keys of
// case_keys() and the others of bench_suite.hpp), the organ's comparison
// with its box, and the printed table's lines.
#pragma once

#include <array>
#include <string>

#include <nlohmann/json.hpp>

#include "benchmarks/bench_measure.hpp"
#include "benchmarks/bench_suite.hpp"

namespace cyto::bench {

// The compulsory bytes per step, as the results spell them.
inline constexpr const char* kBytesFormula =
    "tissue_voxels * 2 * species * sizeof(Real) + interior_voxels * sizeof(MaterialId)";
// The storm box carries populations too: every field is read and written.
inline constexpr const char* kFieldBytesFormula =
    "tissue_voxels * 2 * fields * sizeof(Real) + interior_voxels * sizeof(MaterialId)";

// The figures every case reports.
nlohmann::json case_json(const BackendBench& bench, const Domain& domain, Precision p, const CaseTiming& t);

// The storm box's two cases: {transport only, model}.
std::array<nlohmann::json, 2> storm_cases_json(const BackendBench& bench, const Domain& domain, Precision p,
                                               const StormTiming& t);

// Empty voxels should cost (almost) nothing: the organ's time per tissue
// voxel against the dense box's of the same grid, species and precision
// among `cases` (1.0 is ideal; the target is at most 1.2); null without one.
void compare_with_box(nlohmann::json& organ, const nlohmann::json& cases);

// The resolved options, as the results record them.
nlohmann::json options_json(const SuiteOptions& o);

// The table: a backend's heading (device, copy, column names), a case's
// row, and a skipped case's row. Each ends with a newline.
std::string table_heading(bool gpu, const BackendDeviceInfo& device, std::size_t copy_bytes, int repetitions,
                          double copy_bandwidth);
std::string table_row(bool gpu, const nlohmann::json& c);
std::string table_skipped_row(bool gpu, Precision p, int n, int fields, const std::string& kind,
                              const std::string& reason);

}  // namespace cyto::bench
