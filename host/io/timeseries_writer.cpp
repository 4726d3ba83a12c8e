#include <filesystem>
#include <iterator>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

#include "host/io/output.hpp"

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

std::vector<std::string> region_names(const TimeSeriesNames& names) {
  std::vector<std::string> regions{"all"};
  regions.insert(regions.end(), names.tissues.begin(), names.tissues.end());
  regions.insert(regions.end(), names.organs.begin(), names.organs.end());
  return regions;
}

// Tidy CSV of region statistics: one line per time, name and region.
// fmt's "{}" prints the shortest text that reads back as the same double.
std::string render_region_csv(const char* header, const std::vector<std::string>& names,
                              const std::vector<std::string>& regions, const std::vector<TimeSeriesRow>& rows,
                              std::vector<std::vector<RegionStats>> TimeSeriesRow::*member) {
  std::string out = header;
  for (const TimeSeriesRow& row : rows) {
    const auto& stats = row.*member;
    for (std::size_t s = 0; s < names.size(); ++s) {
      for (std::size_t r = 0; r < regions.size(); ++r) {
        const RegionStats& st = stats[s][r];
        fmt::format_to(std::back_inserter(out), "{},{},{},{},{},{},{},{}\n", row.time_s, row.time_s / 3600.0,
                       row.step, csv_field(names[s]), csv_field(regions[r]), st.total_pg, st.mean, st.max);
      }
    }
  }
  return out;
}

// plasma.csv: time, kind (species | population | drug), name, value, unit.
std::string render_plasma_csv(const TimeSeriesNames& names, const std::vector<TimeSeriesRow>& rows) {
  std::string out = "time_s,time_h,step,kind,name,value,unit\n";
  for (const TimeSeriesRow& row : rows) {
    const auto line = [&](const char* kind, const std::string& name, double value, const char* unit) {
      fmt::format_to(std::back_inserter(out), "{},{},{},{},{},{},{}\n", row.time_s, row.time_s / 3600.0,
                     row.step, kind, csv_field(name), value, unit);
    };
    for (std::size_t s = 0; s < row.plasma.size(); ++s)
      line("species", names.species[s], row.plasma[s], "pg/mL");
    for (std::size_t p = 0; p < row.blood.size(); ++p)
      line("population", names.populations[p], row.blood[p], "cells/mL");
    for (std::size_t d = 0; d < row.drugs.size(); ++d)
      line("drug", names.therapies[d], row.drugs[d], "pg/mL");
  }
  return out;
}

Json region_json(const std::vector<std::string>& names, const std::vector<std::string>& regions,
                 const std::vector<TimeSeriesRow>& rows,
                 std::vector<std::vector<RegionStats>> TimeSeriesRow::*member, const char* total_key,
                 const char* mean_key, const char* max_key) {
  Json out = Json::object();
  for (std::size_t s = 0; s < names.size(); ++s) {
    for (std::size_t r = 0; r < regions.size(); ++r) {
      Json total = Json::array(), mean = Json::array(), max = Json::array();
      for (const TimeSeriesRow& row : rows) {
        const RegionStats& st = (row.*member)[s][r];
        total.push_back(st.total_pg);
        mean.push_back(st.mean);
        max.push_back(st.max);
      }
      out[names[s]][regions[r]] = {
          {total_key, std::move(total)}, {mean_key, std::move(mean)}, {max_key, std::move(max)}};
    }
  }
  return out;
}

std::string render_json(const TimeSeriesNames& names, const std::vector<TimeSeriesRow>& rows) {
  const std::vector<std::string> regions = region_names(names);
  Json out;
  out["time_s"] = Json::array();
  out["step"] = Json::array();
  for (const TimeSeriesRow& row : rows) {
    out["time_s"].push_back(row.time_s);
    out["step"].push_back(row.step);
  }
  out["regions"] = {{"tissues", names.tissues}, {"organs", names.organs}};
  out["species"] = region_json(names.species, regions, rows, &TimeSeriesRow::stats, "total_pg",
                               "mean_pg_per_mL", "max_pg_per_mL");
  if (!names.populations.empty())
    out["populations"] = region_json(names.populations, regions, rows, &TimeSeriesRow::populations,
                                     "total_cells", "mean_cells_per_mL", "max_cells_per_mL");
  if (names.plasma) {
    Json plasma = {{"species", Json::object()}, {"populations", Json::object()}};
    for (std::size_t s = 0; s < names.species.size(); ++s) {
      Json series = Json::array();
      for (const TimeSeriesRow& row : rows) series.push_back(row.plasma[s]);
      plasma["species"][names.species[s]] = std::move(series);
    }
    for (std::size_t p = 0; p < names.populations.size(); ++p) {
      Json series = Json::array();
      for (const TimeSeriesRow& row : rows) series.push_back(row.blood[p]);
      plasma["populations"][names.populations[p]] = std::move(series);
    }
    out["plasma"] = std::move(plasma);
  }
  if (!names.therapies.empty()) {
    Json drugs = Json::object();
    for (std::size_t d = 0; d < names.therapies.size(); ++d) {
      Json series = Json::array();
      for (const TimeSeriesRow& row : rows) series.push_back(row.drugs[d]);
      drugs[names.therapies[d]] = std::move(series);
    }
    out["drugs"] = std::move(drugs);
  }
  if (names.budget) {
    Json budget = Json::object();
    for (std::size_t s = 0; s < names.species.size(); ++s)
      for (std::size_t r = 0; r < regions.size(); ++r) {
        Json secreted = Json::array(), released = Json::array(), taken_up = Json::array();
        for (const TimeSeriesRow& row : rows) {
          secreted.push_back(row.budget[s][r].secreted_pg);
          released.push_back(row.budget[s][r].released_pg);
          taken_up.push_back(row.budget[s][r].taken_up_pg);
        }
        budget[names.species[s]][regions[r]] = {{"secreted_pg", std::move(secreted)},
                                                {"released_pg", std::move(released)},
                                                {"taken_up_pg", std::move(taken_up)}};
      }
    out["budget"] = std::move(budget);
  }
  return out.dump(2) + "\n";
}

TimeSeriesNames species_and_tissues(std::vector<std::string> species, std::vector<std::string> tissues) {
  TimeSeriesNames names;
  names.species = std::move(species);
  names.tissues = std::move(tissues);
  return names;
}

void require_rows(const char* what, std::size_t found, std::size_t expected) {
  if (found != expected)
    throw std::invalid_argument(
        fmt::format("TimeSeriesWriter: {} {} in a row, expected {}", found, what, expected));
}

}  // namespace

TimeSeriesWriter::TimeSeriesWriter(std::string directory, std::vector<std::string> species_names,
                                   std::vector<std::string> tissue_names, double min_rewrite_interval_s)
    : TimeSeriesWriter(std::move(directory),
                       species_and_tissues(std::move(species_names), std::move(tissue_names)),
                       min_rewrite_interval_s) {}

TimeSeriesWriter::TimeSeriesWriter(std::string directory, TimeSeriesNames names,
                                   double min_rewrite_interval_s)
    : directory_(std::move(directory)), names_(std::move(names)), files_(min_rewrite_interval_s) {
  std::vector<std::string> fields = names_.species;
  fields.insert(fields.end(), names_.populations.begin(), names_.populations.end());
  require_unique(fields, "species or population");
  require_unique(region_names(names_), "region");
  require_unique(names_.therapies, "therapy");
  if (!directory_.empty()) ensure_directory(directory_);
}

void TimeSeriesWriter::append(const TimeSeriesRow& row) {
  const std::size_t regions = region_names(names_).size();
  require_rows("species", row.stats.size(), names_.species.size());
  for (const auto& per_region : row.stats) require_rows("regions", per_region.size(), regions);
  require_rows("populations", row.populations.size(), names_.populations.size());
  for (const auto& per_region : row.populations) require_rows("regions", per_region.size(), regions);
  require_rows("plasma species", row.plasma.size(), names_.plasma ? names_.species.size() : 0);
  require_rows("blood populations", row.blood.size(), names_.plasma ? names_.populations.size() : 0);
  require_rows("drugs", row.drugs.size(), names_.therapies.size());
  require_rows("budget species", row.budget.size(), names_.budget ? names_.species.size() : 0);
  rows_.push_back(row);
  if (files_.added()) flush();
}

void TimeSeriesWriter::resume(std::vector<TimeSeriesRow> rows) {
  rows_ = std::move(rows);
  files_.added();  // stale: the next flush rewrites the files from these rows
}

void TimeSeriesWriter::flush() {
  if (!files_.stale() || directory_.empty()) return;
  // Every file is rebuilt whole, so each is complete up to the last row.
  const std::vector<std::string> regions = region_names(names_);
  write_file_atomically(
      join(directory_, "timeseries.csv"),
      render_region_csv("time_s,time_h,step,species,region,total_pg,mean_pg_per_mL,max_pg_per_mL\n",
                        names_.species, regions, rows_, &TimeSeriesRow::stats));
  if (!names_.populations.empty())
    write_file_atomically(
        join(directory_, "populations.csv"),
        render_region_csv("time_s,time_h,step,population,region,total_cells,mean_cells_per_mL,"
                          "max_cells_per_mL\n",
                          names_.populations, regions, rows_, &TimeSeriesRow::populations));
  if (names_.plasma || !names_.therapies.empty())
    write_file_atomically(join(directory_, "plasma.csv"), render_plasma_csv(names_, rows_));
  write_file_atomically(join(directory_, "timeseries.json"), render_json(names_, rows_));
  files_.rewritten();
}

}  // namespace cyto
