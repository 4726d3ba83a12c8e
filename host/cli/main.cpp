// cytostorm command line: run, check, bench. Every error ends here as one line on
// stderr and a documented exit code (docs/reference/exit-codes.md).
#include <cctype>
#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "benchmarks/bench_suite.hpp"
#include "benchmarks/checkpoint_bench.hpp"
#include "benchmarks/voxelise_bench.hpp"
#include "host/app/check.hpp"
#include "host/app/run.hpp"
#include "host/backends/backend.hpp"  // DeviceError: how device faults arrive
#include "host/core/build_info.hpp"
#include "host/core/error.hpp"
#include "host/geometry/mesh_io.hpp"
#include "host/geometry/organ_mesh.hpp"
#include "host/parallel/decomposition.hpp"
#include "host/parallel/parallel.hpp"
#include "host/parallel/wait_limit.hpp"
#include "host/scenario/config.hpp"

namespace {

struct CommonOptions {
  std::string scenario;
  std::vector<std::string> overrides;
};

void add_common(CLI::App* cmd, CommonOptions& o) {
  cmd->add_option("scenario", o.scenario, "Scenario YAML file")->required();
  cmd->add_option("--set", o.overrides,
                  "Override a scenario value: key.path=value (repeatable), e.g. time.end=4h, "
                  "species.TNF.decay=0.05/min")
      ->allow_extra_args(false);
}

// The options of `run` that change whether a scenario is refused; `check`
// takes them too, with the same defaults, so that it refuses what run would.
struct VerdictOptions {
  std::string backend = "auto", precision, decomposition;
};

void add_verdict_options(CLI::App* cmd, VerdictOptions& o) {
  cmd->add_option("--backend", o.backend, "auto (GPU if present, else CPU), cpu or gpu")
      ->check(CLI::IsMember({"auto", "cpu", "gpu"}));
  cmd->add_option("--precision", o.precision, "float or double (overrides the scenario)")
      ->check(CLI::IsMember({"float", "double"}));
}

void add_decomposition_option(CLI::App* cmd, VerdictOptions& o) {
  cmd->add_option("--decomposition", o.decomposition,
                  "MPI blocks per axis, AxBxC (default: chosen from the rank count and the organ's shape)");
}

cyto::RunOptions verdict_options(const CLI::App* cmd, const VerdictOptions& o) {
  cyto::RunOptions options;
  options.backend = cyto::parse_backend_kind(o.backend);
  if (!o.precision.empty())
    options.precision = o.precision == "float" ? cyto::Precision::Float : cyto::Precision::Double;
  if (cmd->count("--decomposition"))
    options.decomposition = cyto::parse_decomposition(o.decomposition, "--decomposition");
  return options;
}

// One line of at most about 300 characters, whatever the message holds (cyto::one_line).
int fail(int code, const std::string& message) {
  fmt::print(stderr, "cytostorm: error: {}\n", cyto::one_line(message));
  return code;
}

// "-x" or "--word": what an option looks like (a negative number does not).
bool looks_like_option(const std::string& value) {
  return value.size() >= 2 && value[0] == '-' &&
         (value[1] == '-' || std::isalpha(static_cast<unsigned char>(value[1])));
}

// A value that looks like an option is a forgotten value ("--output --quiet"
// would make a directory named "--quiet"): refused for every option that
// takes a value, of every subcommand, here at the root.
std::optional<std::string> value_that_looks_like_an_option(const CLI::App& app) {
  for (const CLI::App* cmd : app.get_subcommands()) {
    for (const CLI::Option* option : cmd->get_options()) {
      if (option->get_type_size() == 0 || option->count() == 0) continue;  // flags
      for (const std::string& value : option->results()) {
        if (!looks_like_option(value)) continue;
        return fmt::format(
            "{} {}: expected a value, found the option \"{}\"; was the value forgotten? (values that start "
            "with \"-\" are refused)",
            cmd->get_name(), option->get_name(), value);
      }
    }
  }
  return std::nullopt;
}

// Under MPI, bad input is found alike on every rank (same scenario, same
// files): rank 0 reports it and every rank exits. A failure while running
// may strike one rank alone, which reports it and ends the whole job rather
// than leave the others waiting in a collective.
int fail_parallel(int code, const std::string& message) {
  const cyto::par::Comm world = cyto::par::Comm::world();
  if (!world.parallel()) return fail(code, message);
  if (code == cyto::kExitBadInput) return world.root() ? fail(code, message) : code;
  fmt::print(stderr, "cytostorm: error: {}{}\n", world.root() ? "" : fmt::format("rank {}: ", world.rank()),
             cyto::one_line(message));
  std::fflush(stderr);
  cyto::par::abort_job(world, code);
  return code;
}

// Each subcommand: its options, declared on the app, and what it does once
// they are parsed (an exit code; errors propagate to main's handlers).

struct RunCommand {
  CommonOptions common;
  VerdictOptions verdict;
  std::string output, restart, walltime;
  std::vector<std::string> allow_changes;
  std::int64_t stop_at_step = 0;
  int threads = 0;
  bool quiet = false;
  CLI::App* cmd = nullptr;

  void add_to(CLI::App& app) {
    cmd = app.add_subcommand("run", "Run a scenario to its end time, writing outputs");
    add_common(cmd, common);
    add_verdict_options(cmd, verdict);
    cmd->add_option("--threads", threads, "CPU threads (default: OMP_NUM_THREADS or all cores)")
        ->check(CLI::Range(0, 4096));
    cmd->add_option("--output", output, "Output directory (overrides output.directory)");
    cmd->add_flag("--quiet", quiet, "No progress lines");
    cmd->add_option(
        "--restart", restart,
        "Continue from a checkpoint: a checkpoint file, latest (the newest valid one in the output "
        "directory) or auto (latest if there is one, else start at t = 0)");
    cmd->add_option("--allow-changes", allow_changes,
                    "Scenario keys that may differ from the checkpoint's, comma-separated (e.g. time.end)")
        ->delimiter(',');
    cmd->add_option("--walltime", walltime,
                    "Wall-time limit (02:00:00, 1-00:00:00 or minutes): stop in time to write a checkpoint, "
                    "exit 3");
    cmd->add_option("--stop-at-step", stop_at_step, "Stop with a checkpoint (exit 3) after this step")
        ->check(CLI::Range(std::int64_t(1), std::int64_t(1) << 60));
    add_decomposition_option(cmd, verdict);
  }

  int execute(std::chrono::steady_clock::time_point started) const {
    cyto::RunOptions options = verdict_options(cmd, verdict);
    options.threads = threads;
    if (cmd->count("--output")) {
      if (output.empty()) return fail(cyto::kExitBadInput, "--output: expected a directory, found \"\"");
      options.output_directory = output;
    }
    options.progress = !quiet;
    options.started = started;
    if (cmd->count("--restart")) {
      if (restart.empty())
        return fail(cyto::kExitBadInput, "--restart: expected a checkpoint file, latest or auto, found \"\"");
      options.restart = restart;
    }
    if (!allow_changes.empty() && options.restart.empty())
      return fail(cyto::kExitBadInput, "--allow-changes: only meaningful with --restart");
    options.allow_changes = allow_changes;
    if (cmd->count("--walltime")) options.walltime_s = cyto::parse_walltime(walltime);
    if (options.walltime_s) cyto::par::limit_waits(started, *options.walltime_s);  // a frozen rank
    if (cmd->count("--stop-at-step")) options.stop_at_step = stop_at_step;
    const nlohmann::json summary =
        cyto::run_scenario(cyto::load_scenario(common.scenario, common.overrides), options);
    return summary.value("status", "") == "stopped" ? cyto::kExitStopped : cyto::kExitSuccess;
  }
};

struct CheckCommand {
  CommonOptions common;
  VerdictOptions verdict;
  CLI::App* cmd = nullptr;

  void add_to(CLI::App& app) {
    cmd = app.add_subcommand(
        "check",
        "Validate a scenario as run would (with the same --backend, --precision and --decomposition) and "
        "print it resolved, with grid, voxel counts, memory and dt");
    add_common(cmd, common);
    add_verdict_options(cmd, verdict);
    add_decomposition_option(cmd, verdict);
  }

  int execute() const {
    const cyto::RunOptions options = verdict_options(cmd, verdict);
    const cyto::Scenario s = cyto::load_scenario(common.scenario, common.overrides);
    fmt::print("{}", cyto::check_scenario(s, options));
    fmt::print("OK: {} is valid\n", common.scenario);
    return cyto::kExitSuccess;
  }
};

// bench, bench-voxelise and bench-checkpoint.
struct BenchCommands {
  cyto::bench::BenchArgs suite_args;
  cyto::bench::VoxeliseBenchArgs voxelise_args;
  cyto::bench::CheckpointBenchArgs checkpoint_args;
  CLI::App* suite = nullptr;
  CLI::App* voxelise = nullptr;
  CLI::App* checkpoint = nullptr;

  void add_to(CLI::App& app) {
    add_suite(app);
    add_voxelise(app);
    add_checkpoint(app);
  }

  bool chosen() const { return *suite || *voxelise || *checkpoint; }

  int execute() {
#ifdef CYTOSTORM_HAVE_BENCH_SUITE
    if (*suite) {
      suite_args.backend_given = suite->count("--backend") > 0;
      cyto::bench::run_suite(cyto::bench::resolve_options(suite_args), stdout);
    } else if (*voxelise) {
      cyto::bench::run_voxelise_bench(voxelise_args, stdout);
    } else {
      cyto::bench::run_checkpoint_bench(checkpoint_args, stdout);
    }
    fmt::print("Results written to {}\n", *suite      ? suite_args.output
                                          : *voxelise ? voxelise_args.output
                                                      : checkpoint_args.output);
    return cyto::kExitSuccess;
#else
    return fail(cyto::kExitBadInput,
                "the benchmark suite is not built in this build; configure with "
                "-DCYTOSTORM_BUILD_BENCHMARKS=ON");
#endif
  }

 private:
  void add_suite(CLI::App& app) {
    suite =
        app.add_subcommand("bench",
                           "Run the benchmark suite: dense boxes, an organ-shaped domain and a storm-model "
                           "box (against the same box without rules), against a copy measured in the "
                           "same run; prints a table and writes JSON");
    suite
        ->add_option("--backend", suite_args.backend,
                     "all (the GPU where present, then the CPU), auto (the GPU, else the CPU), cpu or gpu")
        ->check(CLI::IsMember({"auto", "cpu", "gpu", "all"}));
    suite->add_option("--sizes", suite_args.sizes,
                      "Voxels per axis, comma-separated (default: GPU 128,256,512; CPU 64,128)");
    suite->add_option("--species", suite_args.species, "Species counts, comma-separated (default: 1,4,8)");
    suite->add_option("--precision", suite_args.precision, "float, double or all (default: all)");
    suite->add_option("--steps", suite_args.steps, "Timed steps per case (default: about 0.5 s worth)")
        ->check(CLI::Range(1, 1000000));
    suite->add_option("--threads", suite_args.threads, "CPU threads (default: OMP_NUM_THREADS or all cores)")
        ->check(CLI::Range(0, 4096));
    suite->add_option("--output", suite_args.output, "JSON results file (default: cytostorm-bench.json)");
    suite->add_flag(
        "--quick", suite_args.quick,
        "A seconds-long smoke run: CPU only unless --backend is given, sizes 32 and 48, few steps");
    suite->add_option("--problems", suite_args.problems,
                      "Directory of the problem files box.yaml, organ.yaml and storm_box.yaml (default: the "
                      "copies of configs/bench built in)");
  }

  void add_voxelise(CLI::App& app) {
    voxelise = app.add_subcommand(
        "bench-voxelise",
        "Time voxelising a surface mesh (default: the lobed organ, 327,680 triangles, onto a 256^3 grid); "
        "prints the median and writes JSON");
    voxelise->add_option("--mesh", voxelise_args.mesh, "An STL or OBJ file instead of the lobed organ");
    voxelise->add_option("--subdivisions", voxelise_args.subdivisions, "Lobed organ: 20 * 4^s triangles")
        ->check(CLI::Range(0, 9));
    voxelise->add_option("--size", voxelise_args.size, "Grid of size^3 voxels around the mesh (default 256)")
        ->check(CLI::Range(8, 4096));
    voxelise->add_option("--repeats", voxelise_args.repeats, "Timed repetitions (default 3)")
        ->check(CLI::Range(1, 100));
    voxelise->add_option("--threads", voxelise_args.threads, "CPU threads (default: all cores)")
        ->check(CLI::Range(0, 4096));
    voxelise->add_option("--output", voxelise_args.output, "JSON results file");
  }

  void add_checkpoint(CLI::App& app) {
    checkpoint = app.add_subcommand(
        "bench-checkpoint",
        "Time writing and reading a checkpoint against the disk's bandwidth for the same bytes (in one run), "
        "and the stall checkpoints impose on a run's time stepping; prints a table and writes JSON");
    checkpoint->add_option("--size", checkpoint_args.size, "Grid of size^3 voxels (default 128)")
        ->check(CLI::Range(4, 4096));
    checkpoint->add_option("--fields", checkpoint_args.fields, "Fields in the checkpoint (default 8)")
        ->check(CLI::Range(1, 256));
    checkpoint->add_option("--precision", checkpoint_args.precision, "float (default) or double")
        ->check(CLI::IsMember({"float", "double"}));
    checkpoint->add_option("--repeats", checkpoint_args.repeats, "Timed repetitions (default 5)")
        ->check(CLI::Range(1, 100));
    checkpoint->add_option("--directory", checkpoint_args.directory,
                           "Where to write (default: the current directory); a temporary subdirectory is "
                           "made there and removed");
    checkpoint->add_option("--output", checkpoint_args.output,
                           "JSON results file (default: cytostorm-bench-checkpoint.json)");
    checkpoint
        ->add_option(
            "--stall-steps", checkpoint_args.stall_steps,
            "Steps of each stall run, about 10 checkpoints over them (default 200; 0: no stall runs)")
        ->check(CLI::Range(0, 1000000));
    checkpoint
        ->add_option("--stall-size", checkpoint_args.stall_size,
                     "Stall runs' box: size^3 voxels (default 64)")
        ->check(CLI::Range(4, 1024));
    checkpoint
        ->add_option("--stall-repeats", checkpoint_args.stall_repeats,
                     "Pairs of stall runs, without and with checkpoints (default 3)")
        ->check(CLI::Range(1, 100));
    checkpoint
        ->add_option("--threads", checkpoint_args.threads,
                     "Stall runs' CPU threads (default: OMP_NUM_THREADS or all cores)")
        ->check(CLI::Range(0, 4096));
  }
};

struct MakeOrganCommand {
  std::string path;
  int subdivisions = 4;
  bool ascii = false;
  CLI::App* cmd = nullptr;

  void add_to(CLI::App& app) {
    cmd =
        app.add_subcommand("make-organ",
                           "Write the procedural lobed organ (about 4 x 3 x 1.8 units, closed, "
                           "outward-oriented) as STL or OBJ: a surface to run scenarios on without external "
                           "data");
    cmd->add_option("file", path, "Output file: .stl (binary unless --ascii) or .obj")->required();
    cmd->add_option("--subdivisions", subdivisions, "20 * 4^s triangles (default 4: 5,120)")
        ->check(CLI::Range(0, 8));
    cmd->add_flag("--ascii", ascii, "ASCII STL");
  }

  int execute() const {
    const cyto::TriangleMesh organ = cyto::make_lobed_organ(subdivisions);
    const std::string ext = std::filesystem::path(path).extension().string();
    if (ext == ".obj" || ext == ".OBJ") {
      cyto::write_obj(path, organ, 7);  // 7 digits: a small, diffable file
    } else if (ext == ".stl" || ext == ".STL") {
      ascii ? cyto::write_stl_ascii(path, organ) : cyto::write_stl_binary(path, organ);
    } else {
      return fail(cyto::kExitBadInput,
                  fmt::format("make-organ: expected a file name ending in .stl or .obj, found \"{}\"", path));
    }
    fmt::print("Wrote {}: {} triangles, {} vertices, enclosed volume {:.6g} cubic units\n", path,
               organ.triangles.size(), organ.vertices.size(), cyto::enclosed_volume(organ));
    return cyto::kExitSuccess;
  }
};

}  // namespace

int main(int argc, char** argv) {
  const auto started = std::chrono::steady_clock::now();  // --walltime counts from here
  std::optional<cyto::par::Session> mpi;
  try {
    mpi.emplace(argc, argv);
  } catch (const cyto::InputError& e) {
    return fail(cyto::kExitBadInput, e.what());
  } catch (const cyto::RuntimeFailure& e) {
    return fail(cyto::kExitRuntimeFailure, e.what());
  }
  CLI::App app{"cytostorm: reaction-diffusion solver for cytokine storms on 3D organ geometry"};
  app.require_subcommand(1);
  app.set_version_flag("--version", cyto::build_info().version + " (" + cyto::build_info().commit + ")");

  RunCommand run;
  CheckCommand check;
  BenchCommands bench;
  MakeOrganCommand make_organ;
  run.add_to(app);
  check.add_to(app);
  bench.add_to(app);
  make_organ.add_to(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return fail(cyto::kExitBadInput, fmt::format("{} (see cytostorm --help)", e.what()));
  }
  if (const auto message = value_that_looks_like_an_option(app))
    return fail(cyto::kExitBadInput, fmt::format("{} (see cytostorm --help)", *message));

  try {
    if (bench.chosen()) return bench.execute();
    if (*make_organ.cmd) return make_organ.execute();
    if (*check.cmd) return check.execute();
    return run.execute(started);
  } catch (const cyto::InputError& e) {
    return fail_parallel(cyto::kExitBadInput, e.what());
  } catch (const cyto::RuntimeFailure& e) {
    return fail_parallel(cyto::kExitRuntimeFailure, e.what());
  } catch (const cyto::DeviceError& e) {
    return fail_parallel(cyto::kExitRuntimeFailure,
                         e.what());  // names the CUDA call, file:line and CUDA's error
  } catch (const std::bad_alloc&) {
    return fail_parallel(cyto::kExitRuntimeFailure,
                         "out of memory: the scenario needs more memory than could be allocated (see the "
                         "memory estimate of 'cytostorm check')");
  } catch (const std::exception& e) {
    return fail_parallel(cyto::kExitRuntimeFailure, fmt::format("internal error: {}", e.what()));
  }
}
