#include "host/app/run_summary.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include "host/app/stop_signals.hpp"

#include "host/app/validation.hpp"
#include "host/core/atomic_file.hpp"
#include "host/core/build_info.hpp"
#include "host/core/progress.hpp"
#include "host/parallel/wait_limit.hpp"
#include "host/solver/step_control.hpp"

namespace cyto {
namespace {

template <class Real>
nlohmann::json backend_summary(const Backend<Real>& backend) {
  return {{"name", backend.name()},
          {"description", backend.description()},
          {"device", device_info_json(backend.device_info())}};
}

void write_summary(const RunContext& run, const nlohmann::json& summary) {
  write_file_atomically(run.directory + "/summary.json", summary.dump(2) + "\n");
}

// The final summary replaces whatever a stop signal or a rank giving up put in place.
void write_final_summary(const RunContext& run, const nlohmann::json& summary) {
  StopSignals::disarm();
  par::on_giving_up(nullptr);
  write_summary(run, summary);
}

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "?";
  return name;
}

// Who runs: a reader can tell whether a "running" or "stopping" run is still alive.
nlohmann::json process_json(const RunContext& run) {
  return {{"pid", ::getpid()}, {"host", host_name()}, {"ranks", run.comm.size()}};
}

}  // namespace

template <class Real>
void log_run_start(const RunContext& run, const Simulation<Real>& sim, const ValidatedRun& validated) {
  const Scenario& s = run.scenario;
  const DenseGrid& g = sim.discretisation().grid;
  const TimePlan& plan = sim.time_plan();
  std::FILE* log = run.log;
  fmt::print(log, "cytostorm {} | scenario {} ({})\n", build_info().version, s.name, s.source_file);
  fmt::print(log, "backend {} | precision {} | grid {} x {} x {} ({} tissue voxels) | {} species{}\n",
             sim.backend().description(), precision_name(s.precision), g.nx, g.ny, g.nz,
             sim.tissues().tissue_voxels, s.species.size(),
             s.populations.empty()
                 ? std::string()
                 : fmt::format(", {} populations, {} rules", s.populations.size(), s.rules.size()));
  if (plan.adaptive)
    fmt::print(log,
               "dt error-controlled (time.tolerance {:g}), at most {} | to t = {} | output every {} -> {}\n",
               s.time.tolerance, describe_step_cap(plan), format_sim_time(s.time.end),
               format_sim_time(s.output.interval), s.output.directory);
  else
    fmt::print(log, "dt {} (stability limit {:.6g} s) | {} steps to t = {} | output every {} -> {}\n",
               describe_step_sizes(validated.steps, plan), plan.stability_limit, validated.total_steps,
               format_sim_time(s.time.end), format_sim_time(s.output.interval), s.output.directory);
  for (const FrontResolution& front : validated.fronts)
    fmt::print(log, "{}fronts of {}\n",
               front.verdict == FrontVerdict::UnderResolved || front.verdict == FrontVerdict::Pinned
                   ? "warning: "
                   : "",
               describe_front_resolution(s, front));
  if (run.comm.parallel())
    fmt::print(log, "MPI: {} ranks, blocks {} ({}), largest block {:.2f}x the mean tissue | {}\n",
               run.comm.size(), sim.decomposition().text(),
               sim.decomposition().automatic ? "automatic" : "requested", sim.decomposition().imbalance(),
               par::mpi_summary());
  std::fflush(log);
}

void write_running_summary(const RunContext& run) {
  const Scenario& s = run.scenario;
  const nlohmann::json scenario = {{"name", s.name}, {"file", s.source_file}};
  write_summary(
      run, nlohmann::json{{"scenario", scenario}, {"status", "running"}, {"process", process_json(run)}});
  // From the stop signal on, the summary says so: if the process is killed
  // before its checkpoint is complete (a launcher's SIGKILL after SIGTERM),
  // it does not stay "running".
  const nlohmann::json process = process_json(run);
  const std::string directory = run.directory;
  // A rank that stops answering: rank 0, giving up on it past the wall-time
  // limit, records why before the job ends.
  par::on_giving_up([path = run.directory + "/summary.json", scenario, process](const std::string& message) {
    write_file_atomically(
        path,
        nlohmann::json{{"scenario", scenario}, {"status", "failed"}, {"error", message}, {"process", process}}
                .dump(2) +
            "\n");
  });
  StopSignals::write_on_signal(run.directory + "/summary.json", [&](const char* signal) {
    return nlohmann::json{
               {"scenario", scenario},
               {"status", "stopping"},
               {"stop_reason", fmt::format("{} received", signal)},
               {"process", process},
               {"note", fmt::format("the run received {} and is writing a checkpoint; if its process "
                                    "is gone and this still says stopping, it was killed before "
                                    "the checkpoint was complete: continue from the newest "
                                    "complete one with --restart latest --output {}",
                                    signal, directory)}}
               .dump(2) +
           "\n";
  });
}

void write_failed_summary(const RunContext& run, const std::string& error, std::int64_t step, double time_s,
                          const std::string& last_checkpoint) {
  const Scenario& s = run.scenario;
  write_final_summary(run, nlohmann::json{{"scenario", {{"name", s.name}, {"file", s.source_file}}},
                                          {"status", "failed"},
                                          {"error", error},
                                          {"step", step},
                                          {"time_s", time_s},
                                          {"last_checkpoint", last_checkpoint}});
}

template <class Real>
nlohmann::json summarise_run(const RunContext& run, const Simulation<Real>& sim, const RunEnd& end,
                             const ValidatedRun& validated, const RunTimings& timings,
                             const OutputRecorder<Real>& outputs, const CheckpointRecorder<Real>& checkpoints,
                             const Restart<Real>* restart) {
  const Scenario& s = run.scenario;
  const DenseGrid& g = sim.discretisation().grid;
  const TimePlan& plan = sim.time_plan();
  const StepSizes& taken = sim.steps_taken();
  const std::int64_t voxels = sim.tissues().tissue_voxels;
  const double ns = double(s.species.size());
  std::vector<std::string> species, populations;
  for (const Species& sp : s.species) species.push_back(sp.name);
  for (const Population& p : s.populations) populations.push_back(p.name);
  const std::string& directory = run.directory;
  nlohmann::json summary = {
      {"scenario", {{"name", s.name}, {"file", s.source_file}, {"hash", run.hash}}},
      {"build", build_info_json()},
      {"backend", backend_summary(sim.backend())},
      {"precision", precision_name(s.precision)},
      {"grid",
       {{"nx", g.nx}, {"ny", g.ny}, {"nz", g.nz}, {"spacing_m", g.spacing}, {"tissue_voxels", voxels}}},
      {"species", species},
      {"populations", populations},
      {"rules", s.rules.size()},
      {"time",
       {{"end_s", s.time.end},
        {"reached_s", sim.time()},
        {"dt_s", taken.count() ? taken.median() : validated.steps.median()},
        {"dt_cap_s", plan.max_dt},
        {"steps_taken",
         {{"count", taken.count()},
          {"min_dt_s", taken.min()},
          {"median_dt_s", taken.median()},
          {"max_dt_s", taken.max()}}},
        {"stability_limit_s", plan.stability_limit},
        {"adaptive", plan.adaptive},
        {"steps", sim.steps()},
        {"outputs", validated.output_times.size()}}},
      {"performance",
       {{"wall_s", end.wall_seconds},
        {"wall_all_runs_s", timings.wall_before + end.wall_seconds},
        {"loop_s", end.loop_seconds},
        {"stepping_s", timings.stepping_seconds},
        {"steps_per_s", end.steps_per_second},
        {"voxel_updates_per_s", end.steps_per_second * double(voxels)},
        {"voxel_species_updates_per_s", end.steps_per_second * double(voxels) * ns},
        {"io_stall_s", end.stall_seconds},
        {"io_stall_fraction", end.loop_seconds > 0 ? end.stall_seconds / end.loop_seconds : 0.0},
        {"io_background_s", end.background_seconds}}},
      {"checkpoints",
       {{"written", checkpoints.written()},
        {"last", checkpoints.last_path()},
        {"keep", s.checkpoint.keep},
        {"bytes_of_fields", checkpoints.state_bytes()},
        {"write_s", checkpoints.write_seconds()}}},
      {"outputs",
       {{"directory", directory},
        {"xdmf", outputs.xdmf_path()},
        {"timeseries_csv", directory + "/timeseries.csv"},
        {"timeseries_json", directory + "/timeseries.json"}}},
      {"status", end.stop_reason.empty() ? "finished" : "stopped"}};
  if (plan.adaptive) {
    const StepControlRecord& c = end.step_control;
    summary["time"]["error_control"] = {{"tolerance", s.time.tolerance},
                                        {"local_target", kLocalErrorShare * s.time.tolerance},
                                        {"stretches", c.stretches},
                                        {"probes", c.probes},
                                        {"largest_estimate", c.max_error},
                                        {"last_estimate", c.last_error},
                                        {"stretches_at_smallest_step", c.floor_stretches}};
  }
  if (!validated.fronts.empty()) {
    nlohmann::json fronts = nlohmann::json::array();
    for (const FrontResolution& front : validated.fronts) fronts.push_back(front_resolution_json(s, front));
    summary["fronts"] = fronts;
  }
  if (restart)
    summary["restart"] = {
        {"from", restart->path}, {"step", restart->step()}, {"changed_keys", restart->changed_keys}};
  if (!end.stop_reason.empty()) summary["stop_reason"] = end.stop_reason;
  if (run.comm.parallel()) {
    double halo[2] = {sim.halo_wait_seconds(), sim.halo_pack_seconds()};
    run.comm.max_keep_nan(halo, 2);
    summary["mpi"] = {{"ranks", run.comm.size()},
                      {"decomposition", sim.decomposition().text()},
                      {"automatic", sim.decomposition().automatic},
                      {"imbalance", sim.decomposition().imbalance()},
                      {"halo_wait_s_max", halo[0]},
                      {"halo_pack_s_max", halo[1]},
                      {"library", par::mpi_summary()},
                      {"halos", sim.device_halos()             ? "device memory (CUDA-aware MPI)"
                                : sim.backend().device_halos() ? "staged through pinned host memory"
                                                               : "host memory"}};
  }
  if (run.root) write_final_summary(run, summary);
  return summary;
}

template <class Real>
void log_run_end(const RunContext& run, const Simulation<Real>& sim, const RunEnd& end,
                 const OutputRecorder<Real>& outputs, const CheckpointRecorder<Real>& checkpoints) {
  const Scenario& s = run.scenario;
  std::FILE* log = run.log;
  if (!end.stop_reason.empty()) {
    fmt::print(log, "stopped at step {}, t = {} ({}); checkpoint {}\n", sim.steps(),
               format_sim_time(sim.time()), end.stop_reason, checkpoints.last_path());
    fmt::print(
        log,
        "continue with: cytostorm run {} --restart latest{} (and the same --set and --precision options)\n",
        s.source_file, run.options.output_directory ? fmt::format(" --output {}", run.directory) : "");
    return;
  }
  const std::int64_t voxels = sim.tissues().tissue_voxels;
  const TimeSeriesRow final_stats = sim.statistics();
  fmt::print(log, "finished: {} steps in {} ({:.3g} voxel-species updates/s stepping)\n", sim.steps(),
             format_duration(end.wall_seconds),
             end.steps_per_second * double(voxels) * double(s.species.size()));
  const StepSizes& taken = sim.steps_taken();
  if (taken.count() > 0)
    fmt::print(
        log, "  steps taken by this run: {}, dt min {:.6g} s, median {:.6g} s, max {:.6g} s{}\n",
        taken.count(), taken.min(), taken.median(), taken.max(),
        sim.time_plan().adaptive
            ? fmt::format("; error control: {} stretches, {} probes, largest estimate {:.3g} "
                          "(target {:g}: tolerance {:g} x {})",
                          end.step_control.stretches, end.step_control.probes, end.step_control.max_error,
                          kLocalErrorShare * s.time.tolerance, s.time.tolerance, kLocalErrorShare)
            : std::string());
  for (std::size_t sp = 0; sp < s.species.size(); ++sp)
    fmt::print(log, "  {:<12} total {:.6g} pg   mean {:.6g} pg/mL   max {:.6g} pg/mL\n", s.species[sp].name,
               final_stats.stats[sp][0].total_pg, final_stats.stats[sp][0].mean,
               final_stats.stats[sp][0].max);
  const TimeSeriesRow& initial_totals = outputs.rows().front();
  for (std::size_t p = 0; p < s.populations.size(); ++p) {
    const double initial = initial_totals.populations[p][0].total_pg;
    fmt::print(log, "  {:<12} {:.6g} cells ({:.1f}% of the initial {:.6g})\n", s.populations[p].name,
               final_stats.populations[p][0].total_pg,
               initial > 0 ? 100.0 * final_stats.populations[p][0].total_pg / initial : 0.0, initial);
  }
  for (std::size_t sp = 0; sp < final_stats.plasma.size(); ++sp)
    fmt::print(log, "  plasma {:<12} {:.6g} pg/mL\n", s.species[sp].name, final_stats.plasma[sp]);
  fmt::print(log, "outputs in {}/ (summary.json, timeseries.csv/.json{})\n", run.directory,
             outputs.snapshots() ? ", fields.xmf + HDF5 snapshots" : "");
}

template void log_run_start<float>(const RunContext&, const Simulation<float>&, const ValidatedRun&);
template void log_run_start<double>(const RunContext&, const Simulation<double>&, const ValidatedRun&);
template nlohmann::json summarise_run<float>(const RunContext&, const Simulation<float>&, const RunEnd&,
                                             const ValidatedRun&, const RunTimings&,
                                             const OutputRecorder<float>&, const CheckpointRecorder<float>&,
                                             const Restart<float>*);
template nlohmann::json summarise_run<double>(const RunContext&, const Simulation<double>&, const RunEnd&,
                                              const ValidatedRun&, const RunTimings&,
                                              const OutputRecorder<double>&,
                                              const CheckpointRecorder<double>&, const Restart<double>*);
template void log_run_end<float>(const RunContext&, const Simulation<float>&, const RunEnd&,
                                 const OutputRecorder<float>&, const CheckpointRecorder<float>&);
template void log_run_end<double>(const RunContext&, const Simulation<double>&, const RunEnd&,
                                  const OutputRecorder<double>&, const CheckpointRecorder<double>&);

}  // namespace cyto
