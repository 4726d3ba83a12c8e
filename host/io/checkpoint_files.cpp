// The checkpoints of an output directory: their names, the newest first,
// and pruning to the number kept; and the time series as a checkpoint stores it.
#include <algorithm>
#include <filesystem>
#include <regex>

#include <fmt/format.h>

#include "host/core/atomic_file.hpp"
#include "host/io/checkpoint.hpp"

namespace cyto {

std::string checkpoint_file_name(std::int64_t step) { return fmt::format("checkpoint_{:012d}.h5", step); }

std::vector<CheckpointFile> list_checkpoints(const std::string& directory) {
  static const std::regex name(R"(checkpoint_(\d{12})\.h5)");
  std::vector<CheckpointFile> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(directory, ec)) {
    std::smatch m;
    const std::string file = entry.path().filename().string();
    if (!std::regex_match(file, m, name) || !entry.is_regular_file(ec)) continue;
    found.push_back({entry.path().string(), std::stoll(m[1].str())});
  }
  std::sort(found.begin(), found.end(),
            [](const CheckpointFile& a, const CheckpointFile& b) { return a.step > b.step; });
  return found;
}

int prune_checkpoints(const std::string& directory, int keep) {
  int removed = 0;
  const std::vector<CheckpointFile> all = list_checkpoints(directory);
  std::error_code ec;
  for (std::size_t i = std::size_t(std::max(keep, 1)); i < all.size(); ++i)
    if (std::filesystem::remove(all[i].path, ec)) ++removed;
  // A killed writer's temporaries; a live writer's (another run's, or this
  // one's next) and those of other hosts stay.
  static const std::regex temporary(R"(checkpoint_\d{12}\.h5\.tmp\..+)");
  for (const auto& entry : std::filesystem::directory_iterator(directory, ec)) {
    const std::string file = entry.path().filename().string();
    if (std::regex_match(file, temporary) && temporary_owner(file) == TemporaryOwner::Dead &&
        std::filesystem::remove(entry.path(), ec))
      ++removed;
  }
  return removed;
}

std::vector<OutputFingerprint> snapshot_outputs(const std::string& directory, bool snapshots,
                                                std::int64_t rows) {
  std::vector<OutputFingerprint> outputs;
  if (!snapshots) return outputs;
  outputs.push_back(fingerprint_output(directory, "geometry.h5", true));
  for (std::int64_t i = 0; i < rows; ++i)
    outputs.push_back(fingerprint_output(directory, fmt::format("snapshot_{:06d}.h5", i), i + 1 == rows));
  return outputs;
}

std::vector<double> flatten_timeseries_row(const TimeSeriesRow& row) {
  std::vector<double> out{row.time_s, double(row.step)};
  for (const auto* table : {&row.stats, &row.populations})
    for (const auto& regions : *table)
      for (const RegionStats& r : regions) out.insert(out.end(), {r.total_pg, r.mean, r.max});
  for (const auto& regions : row.budget)
    for (const BudgetStats& b : regions) out.insert(out.end(), {b.secreted_pg, b.released_pg, b.taken_up_pg});
  for (const auto* list : {&row.plasma, &row.blood, &row.drugs})
    out.insert(out.end(), list->begin(), list->end());
  return out;
}

std::vector<TimeSeriesRow> unflatten_timeseries(const std::vector<double>& values, std::int64_t rows,
                                                const TimeSeriesRow& shape) {
  const std::size_t width = flatten_timeseries_row(shape).size();
  if (rows < 0 || values.size() != std::size_t(rows) * width)
    throw RuntimeFailure(
        fmt::format("time series of {} values cannot be {} rows of {}", values.size(), rows, width));
  std::vector<TimeSeriesRow> out;
  const double* v = values.data();
  for (std::int64_t i = 0; i < rows; ++i) {
    TimeSeriesRow row = shape;
    row.time_s = *v++;
    row.step = std::int64_t(*v++);
    for (auto* table : {&row.stats, &row.populations})
      for (auto& regions : *table)
        for (RegionStats& r : regions) {
          r.total_pg = *v++;
          r.mean = *v++;
          r.max = *v++;
        }
    for (auto& regions : row.budget)
      for (BudgetStats& b : regions) {
        b.secreted_pg = *v++;
        b.released_pg = *v++;
        b.taken_up_pg = *v++;
      }
    for (auto* list : {&row.plasma, &row.blood, &row.drugs})
      for (double& x : *list) x = *v++;
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace cyto
