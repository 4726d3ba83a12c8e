#include <filesystem>
#include <iterator>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

#include "output.hpp"

namespace cyto {

namespace {

using Json = nlohmann::ordered_json;  // keeps species and regions in scenario order

std::string join(const std::string& directory, const std::string& name) {
  return (std::filesystem::path(directory) / name).string();
}

// Names become JSON keys, so a repeated one would silently merge two series.
void require_unique(const std::vector<std::string>& names, const char* what) {
  std::set<std::string> seen;
  for (const std::string& name : names) {
    if (!seen.insert(name).second) {
      throw std::invalid_argument(fmt::format("TimeSeriesWriter: {} '{}' repeated", what, name));
    }
  }
}

// RFC 4180: quote a field only when it holds a separator, quote or newline.
std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (const char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + '"';
}

std::vector<std::string> region_names(const std::vector<std::string>& tissues) {
  std::vector<std::string> regions{"all"};
  regions.insert(regions.end(), tissues.begin(), tissues.end());
  return regions;
}

// fmt's "{}" prints the shortest text that reads back as the same double.
std::string render_csv(const std::vector<std::string>& species, const std::vector<std::string>& regions,
                       const std::vector<TimeSeriesRow>& rows) {
  std::string out = "time_s,time_h,step,species,region,total_pg,mean_pg_per_mL,max_pg_per_mL\n";
  for (const TimeSeriesRow& row : rows) {
    for (std::size_t s = 0; s < species.size(); ++s) {
      for (std::size_t r = 0; r < regions.size(); ++r) {
        const RegionStats& stats = row.stats[s][r];
        fmt::format_to(std::back_inserter(out), "{},{},{},{},{},{},{},{}\n", row.time_s, row.time_s / 3600.0,
                       row.step, csv_field(species[s]), csv_field(regions[r]), stats.total_pg, stats.mean,
                       stats.max);
      }
    }
  }
  return out;
}

std::string render_json(const std::vector<std::string>& species, const std::vector<std::string>& regions,
                        const std::vector<TimeSeriesRow>& rows) {
  Json out;
  out["time_s"] = Json::array();
  out["step"] = Json::array();
  for (const TimeSeriesRow& row : rows) {
    out["time_s"].push_back(row.time_s);
    out["step"].push_back(row.step);
  }
  out["species"] = Json::object();
  for (std::size_t s = 0; s < species.size(); ++s) {
    for (std::size_t r = 0; r < regions.size(); ++r) {
      Json total = Json::array(), mean = Json::array(), max = Json::array();
      for (const TimeSeriesRow& row : rows) {
        total.push_back(row.stats[s][r].total_pg);
        mean.push_back(row.stats[s][r].mean);
        max.push_back(row.stats[s][r].max);
      }
      out["species"][species[s]][regions[r]] = {{"total_pg", std::move(total)},
                                                {"mean_pg_per_mL", std::move(mean)},
                                                {"max_pg_per_mL", std::move(max)}};
    }
  }
  return out.dump(2) + "\n";
}

}  // namespace

TimeSeriesWriter::TimeSeriesWriter(std::string directory, std::vector<std::string> species_names,
                                   std::vector<std::string> tissue_names, double min_rewrite_interval_s)
    : directory_(std::move(directory)),
      species_(std::move(species_names)),
      tissues_(std::move(tissue_names)),
      files_(min_rewrite_interval_s) {
  require_unique(species_, "species");
  require_unique(region_names(tissues_), "region");
  ensure_directory(directory_);
}

void TimeSeriesWriter::append(const TimeSeriesRow& row) {
  const std::vector<std::string> regions = region_names(tissues_);
  if (row.stats.size() != species_.size()) {
    throw std::invalid_argument(
        fmt::format("TimeSeriesWriter: {} species in a row, expected {}", row.stats.size(), species_.size()));
  }
  for (const auto& per_region : row.stats) {
    if (per_region.size() != regions.size()) {
      throw std::invalid_argument(fmt::format("TimeSeriesWriter: {} regions in a row, expected {}",
                                              per_region.size(), regions.size()));
    }
  }
  rows_.push_back(row);
  if (files_.added()) flush();
}

void TimeSeriesWriter::flush() {
  if (!files_.stale()) return;
  // Both files are rebuilt whole, so each is complete up to the last row.
  const std::vector<std::string> regions = region_names(tissues_);
  write_file_atomically(join(directory_, "timeseries.csv"), render_csv(species_, regions, rows_));
  write_file_atomically(join(directory_, "timeseries.json"), render_json(species_, regions, rows_));
  files_.rewritten();
}

}  // namespace cyto
