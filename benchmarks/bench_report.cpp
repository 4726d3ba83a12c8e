#include "benchmarks/bench_report.hpp"

#include <cstdint>

#include <fmt/format.h>

#include "benchmarks/bench_problem.hpp"

namespace cyto::bench {

nlohmann::json case_json(const BackendBench& bench, const Domain& domain, Precision p, const CaseTiming& t) {
  const Discretisation& disc = domain.disc;
  const GridLayout& g = disc.layout;
  const double tissue = double(domain.tissue_voxels);
  const double interior = double(g.interior_voxels());
  const double real = double(real_bytes(p));
  const double bytes = tissue * 2.0 * t.fields * real + interior * sizeof(MaterialId);
  const double median = t.seconds_per_step.median;
  const double bandwidth = bytes / median;
  return {{"case", t.label},
          {"problem", domain.problem},
          {"precision", precision_label(p)},
          {"nx", g.nx},
          {"ny", g.ny},
          {"nz", g.nz},
          {"species", t.species},
          {"fields", t.fields},
          {"domain", domain.kind},
          {"tissue_voxels", domain.tissue_voxels},
          {"interior_voxels", g.interior_voxels()},
          {"tissue_fraction", tissue / interior},
          {"uniform_voxels", disc.uniform_voxels},
          {"walled_voxels", disc.walled_voxels},
          {"steps_warmup", bench.options.warmup_steps},
          {"steps_timed", t.steps},
          {"seconds_per_step_median", median},
          {"seconds_per_step_min", t.seconds_per_step.min},
          {"seconds_per_step_p90", t.seconds_per_step.p90},
          {"seconds_per_step_mean", t.seconds_per_step.mean},
          {"updates_per_s", tissue * t.fields / median},
          {"voxel_updates_per_s", tissue / median},
          {"bytes_per_step", bytes},
          {"bytes_per_step_formula", t.fields == t.species ? kBytesFormula : kFieldBytesFormula},
          {"effective_bandwidth_bytes_per_s", bandwidth},
          {"fraction_of_copy", bandwidth / bench.copy_bandwidth},
          {"copy_same_bytes", t.field_bytes},
          {"copy_same_bytes_bandwidth_bytes_per_s", t.same_bytes_bandwidth},
          {"fraction_of_copy_same_bytes", bandwidth / t.same_bytes_bandwidth},
          {"launch", t.launch}};
}

std::array<nlohmann::json, 2> storm_cases_json(const BackendBench& bench, const Domain& domain, Precision p,
                                               const StormTiming& t) {
  std::array<nlohmann::json, 2> results = {case_json(bench, domain, p, t.transport),
                                           case_json(bench, domain, p, t.model)};
  for (int b = 0; b < 2; ++b) {
    results[b]["model"] = b ? "storm" : "none";
    results[b]["populations"] = t.populations;
    results[b]["rules"] = b ? t.rules : 0;
    // On the CPU, the work a step takes: less sensitive than its wall time
    // to other processes on the cores (OpenMP's spinning at barriers counts).
    if (!bench.gpu) results[b]["cpu_seconds_per_step"] = t.cpu_seconds[b] / t.model.steps;
  }
  if (!bench.gpu && t.cpu_seconds[0] > 0)
    results[1]["model_cost_vs_transport_cpu_time"] = t.cpu_seconds[1] / t.cpu_seconds[0];
  const Stats& transport = t.transport.seconds_per_step;
  const Stats& model = t.model.seconds_per_step;
  nlohmann::json& m = results[1];
  m["transport_seconds_per_step_median"] = transport.median;
  m["model_cost_vs_transport"] = model.median / transport.median;
  m["model_cost_vs_transport_min"] = model.min / transport.min;
  m["death_active_fraction_start"] = t.death_active_fraction_start;
  m["death_active_fraction_end"] = t.death_active_fraction_end;
  return results;
}

void compare_with_box(nlohmann::json& organ, const nlohmann::json& cases) {
  organ["cost_per_tissue_voxel_vs_box"] = nullptr;
  organ["time_vs_box"] = nullptr;
  organ["box_seconds_per_step_median"] = nullptr;
  for (const nlohmann::json& c : cases) {
    if (c["domain"] != kBox || c["nx"] != organ["nx"] || c["species"] != organ["species"] ||
        c["precision"] != organ["precision"])
      continue;
    const double t_box = c["seconds_per_step_median"].get<double>();
    const double t_organ = organ["seconds_per_step_median"].get<double>();
    organ["box_seconds_per_step_median"] = t_box;
    organ["time_vs_box"] = t_organ / t_box;
    organ["cost_per_tissue_voxel_vs_box"] =
        (t_organ / organ["tissue_voxels"].get<double>()) / (t_box / c["tissue_voxels"].get<double>());
  }
}

nlohmann::json options_json(const SuiteOptions& o) {
  std::vector<std::string> precisions;
  for (Precision p : o.precisions) precisions.push_back(precision_label(p));
  return {
      {"gpu_sizes", o.gpu_sizes},
      {"cpu_sizes", o.cpu_sizes},
      {"species", o.species},
      {"precisions", precisions},
      {"steps", o.steps},
      {"threads", o.threads},
      {"quick", o.quick},
      {"target_seconds_per_case", o.target_seconds},
      {"warmup_steps", o.warmup_steps},
      {"problems", o.problems.empty() ? std::string(kBuiltInProblemDirectory) + " (built in)" : o.problems}};
}

std::string table_heading(bool gpu, const BackendDeviceInfo& device, std::size_t copy_bytes, int repetitions,
                          double copy_bandwidth) {
  std::string text =
      fmt::format("{}: {} ({} {}, {:.1f} GiB{}{})\n", gpu ? "GPU" : "CPU", device.name, device.compute_units,
                  gpu                         ? "SMs"
                  : device.compute_units == 1 ? "thread"
                                              : "threads",
                  device.memory_gib, device.architecture.empty() ? "" : ", " + device.architecture,
                  device.driver.empty() ? "" : ", driver " + device.driver + ", runtime " + device.runtime);
  text += fmt::format(
      "copy 2 x {} MiB: {:.1f} GB/s (read + written, median of {}); fractions below are of this copy\n",
      copy_bytes >> 20, copy_bandwidth / 1e9, repetitions);
  text += fmt::format(
      "GB/s: compulsory bytes per step ({}; fields = species, + populations in the storm box) / median "
      "time; G upd/s: voxel-field updates; % same-sz: of a copy of the case's field bytes\n",
      kFieldBytesFormula);
  text += fmt::format("{:<7} {:<7} {:>6} {:>7} {:<9} {:>11} {:>9} {:>8} {:>8} {:>7} {:>10}  {}\n", "backend",
                      "prec", "size", "fields", "domain", "tissue vox", "ms/step", "G upd/s", "GB/s",
                      "% copy", "% same-sz", "notes");
  return text;
}

namespace {

std::string organ_notes(const nlohmann::json& c) {
  return fmt::format("{:.0f}% tissue; ", 100 * c["tissue_fraction"].get<double>()) +
         (c["cost_per_tissue_voxel_vs_box"].is_null()
              ? "no box case to compare with"
              : fmt::format("cost/tissue voxel vs box: {:.2f}x (time {:.2f}x)",
                            c["cost_per_tissue_voxel_vs_box"].get<double>(), c["time_vs_box"].get<double>()));
}

std::string storm_notes(const nlohmann::json& c) {
  std::string notes =
      fmt::format("{} species + {} populations; ", c["species"].get<int>(), c["populations"].get<int>());
  if (c["model"] == "none") return notes + "transport only";
  notes +=
      fmt::format("{} rules: {:.2f}x transport (min {:.2f}x", c["rules"].get<int>(),
                  c["model_cost_vs_transport"].get<double>(), c["model_cost_vs_transport_min"].get<double>());
  if (c.contains("model_cost_vs_transport_cpu_time"))
    notes += fmt::format(", CPU time {:.2f}x", c["model_cost_vs_transport_cpu_time"].get<double>());
  notes += fmt::format("); {:.3g} G voxels/s; death active in {:.0f}% -> {:.0f}%",
                       c["voxel_updates_per_s"].get<double>() / 1e9,
                       100 * c["death_active_fraction_start"].get<double>(),
                       100 * c["death_active_fraction_end"].get<double>());
  return notes;
}

}  // namespace

std::string table_row(bool gpu, const nlohmann::json& c) {
  const std::string notes = c["domain"] == kOrgan      ? organ_notes(c)
                            : c["domain"] == kStormBox ? storm_notes(c)
                                                       : "";
  return fmt::format(
      "{:<7} {:<7} {:>6} {:>7} {:<9} {:>11} {:>9.4g} {:>8.3g} {:>8.1f} {:>6.0f}% {:>9.0f}%  {}\n",
      gpu ? "gpu" : "cpu", c["precision"].get<std::string>(), fmt::format("{}^3", c["nx"].get<int>()),
      c["fields"].get<int>(), c["domain"].get<std::string>(), c["tissue_voxels"].get<std::int64_t>(),
      1e3 * c["seconds_per_step_median"].get<double>(), c["updates_per_s"].get<double>() / 1e9,
      c["effective_bandwidth_bytes_per_s"].get<double>() / 1e9, 100 * c["fraction_of_copy"].get<double>(),
      100 * c["fraction_of_copy_same_bytes"].get<double>(), notes);
}

std::string table_skipped_row(bool gpu, Precision p, int n, int fields, const std::string& kind,
                              const std::string& reason) {
  return fmt::format("{:<7} {:<7} {:>6} {:>7} {:<9} skipped: {}\n", gpu ? "gpu" : "cpu", precision_label(p),
                     fmt::format("{}^3", n), fields, kind, reason);
}

const std::vector<std::string>& case_keys() {
  static const std::vector<std::string> keys = {"case",
                                                "problem",
                                                "precision",
                                                "nx",
                                                "ny",
                                                "nz",
                                                "species",
                                                "fields",
                                                "domain",
                                                "tissue_voxels",
                                                "interior_voxels",
                                                "tissue_fraction",
                                                "steps_warmup",
                                                "steps_timed",
                                                "seconds_per_step_median",
                                                "seconds_per_step_min",
                                                "seconds_per_step_p90",
                                                "seconds_per_step_mean",
                                                "updates_per_s",
                                                "voxel_updates_per_s",
                                                "bytes_per_step",
                                                "bytes_per_step_formula",
                                                "effective_bandwidth_bytes_per_s",
                                                "fraction_of_copy",
                                                "copy_same_bytes",
                                                "copy_same_bytes_bandwidth_bytes_per_s",
                                                "fraction_of_copy_same_bytes"};
  return keys;
}

const std::vector<std::string>& organ_case_keys() {
  static const std::vector<std::string> keys = {"cost_per_tissue_voxel_vs_box", "time_vs_box",
                                                "box_seconds_per_step_median"};
  return keys;
}

const std::vector<std::string>& storm_case_keys() {
  static const std::vector<std::string> keys = {"model", "populations", "rules"};
  return keys;
}

const std::vector<std::string>& storm_model_case_keys() {
  static const std::vector<std::string> keys = {"transport_seconds_per_step_median",
                                                "model_cost_vs_transport", "model_cost_vs_transport_min",
                                                "death_active_fraction_start", "death_active_fraction_end"};
  return keys;
}

}  // namespace cyto::bench
