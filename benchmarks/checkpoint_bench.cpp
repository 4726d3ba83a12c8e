#include "benchmarks/checkpoint_bench.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "benchmarks/bench_common.hpp"
#include "benchmarks/bench_problem.hpp"
#include "host/app/run.hpp"
#include "host/core/build_info.hpp"
#include "host/core/error.hpp"
#include "host/io/checkpoint.hpp"
#include "host/io/output.hpp"

namespace cyto::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::vector<double> load_average() {
  double load[3] = {0, 0, 0};
  if (getloadavg(load, 3) != 3) return {};
  return {load[0], load[1], load[2]};
}

nlohmann::json machine_json() {
  std::string cpu;
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);)
    if (line.rfind("model name", 0) == 0) {
      cpu = line.substr(line.find(':') + 2);
      break;
    }
  utsname u{};
  const std::string kernel = uname(&u) == 0 ? fmt::format("{} {}", u.sysname, u.release) : "unknown";
  return {{"cpu", cpu.empty() ? "unknown CPU" : cpu},
          {"logical_cores", sysconf(_SC_NPROCESSORS_ONLN)},
          {"memory_gib", double(sysconf(_SC_PHYS_PAGES)) * double(sysconf(_SC_PAGE_SIZE)) / double(1 << 30)},
          {"kernel", kernel},
          {"load_average_start", load_average()}};
}

// The file system holding `path`, by statfs magic number.
nlohmann::json file_system_json(const std::string& path) {
  struct statfs s {};
  if (statfs(path.c_str(), &s) != 0) return {{"type", "unknown"}, {"magic", ""}};
  const auto magic = static_cast<std::uint64_t>(s.f_type) & 0xffffffffu;
  const char* name = nullptr;
  switch (magic) {
    case 0xEF53:
      name = "ext4";
      break;  // also ext2/ext3
    case 0x58465342:
      name = "xfs";
      break;
    case 0x01021994:
      name = "tmpfs";
      break;
    case 0x794C7630:
      name = "overlay";
      break;
    case 0x9123683E:
      name = "btrfs";
      break;
    case 0x6969:
      name = "nfs";
      break;
    case 0x0BD00BD0:
      name = "lustre";
      break;
    case 0x47504653:
      name = "gpfs";
      break;
    case 0x2FC12FC1:
      name = "zfs";
      break;
    case 0x65735546:
      name = "fuse";
      break;
    case 0x01021997:
      name = "9p";
      break;
    case 0xFF534D42:
      name = "cifs";
      break;
    default:
      break;
  }
  const std::string hex = fmt::format("0x{:x}", magic);
  return {{"type", name ? name : hex}, {"magic", hex}};
}

// Asks the kernel to drop the (clean, fsync'ed) cached pages of `path`, so
// that the next read comes from the disk.
void drop_cached_pages(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ::fdatasync(fd);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  ::close(fd);
}

// The share of `path`'s pages in the page cache (mincore); -1 if unknown.
double resident_fraction(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  struct stat st {};
  double fraction = -1;
  if (::fstat(fd, &st) == 0 && st.st_size > 0) {
    const std::size_t size = std::size_t(st.st_size);
    void* map = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
    if (map != MAP_FAILED) {
      const long page = sysconf(_SC_PAGE_SIZE);
      std::vector<unsigned char> pages((size + std::size_t(page) - 1) / std::size_t(page));
      if (::mincore(map, size, pages.data()) == 0) {
        std::size_t resident = 0;
        for (unsigned char p : pages) resident += p & 1;
        fraction = double(resident) / double(pages.size());
      }
      ::munmap(map, size);
    }
  }
  ::close(fd);
  return fraction;
}

// splitmix64: deterministic, cheap, every bit of the mantissa busy.
struct Random {
  std::uint64_t state;
  double next() {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return double(z >> 11) * 0x1.0p-53;
  }
};

// A checkpoint of a size^3 grid with `fields` fields of smooth-plus-noise
// values (a Gaussian bump per field, noise in the low digits), tissue labels
// (a sphere in the box), a short scenario text and a small time series.
template <class Real>
Checkpoint<Real> make_checkpoint(int size, int fields) {
  Checkpoint<Real> c;
  c.scenario_name = "bench-checkpoint";
  c.scenario_yaml = fmt::format(
      "name: bench-checkpoint\ngrid: {{extent: [{0} um, {0} um, {0} um], voxel: 10 um}}\n"
      "tissues: [{{name: tissue, label: 1}}]\ntime: {{end: 1 h}}\noutput: {{interval: 10 min}}\n",
      10 * size);
  c.scenario_hash = "0123456789abcdef";
  c.build = build_info_json().dump();
  c.grid.nx = c.grid.ny = c.grid.nz = size;
  c.grid.origin = {0, 0, 0};
  c.grid.spacing = {1e-5, 1e-5, 1e-5};
  const std::int64_t n = c.grid.voxels();
  const double centre = 0.5 * size, radius2 = 0.16 * size * size;
  c.labels.resize(std::size_t(n));
  for (int k = 0; k < size; ++k)
    for (int j = 0; j < size; ++j)
      for (int i = 0; i < size; ++i) {
        const double d2 =
            (i - centre) * (i - centre) + (j - centre) * (j - centre) + (k - centre) * (k - centre);
        c.labels[std::size_t(i + std::int64_t(size) * (j + std::int64_t(size) * k))] = d2 < radius2 ? 1 : 0;
      }
  c.position = {100.0, 100, 1, 0.0, 0, 200.0, 200};
  c.max_dt = 1.0;
  c.seed = 42;
  for (int f = 0; f < fields; ++f) {
    c.field_names.push_back(fmt::format("species.S{}", f));
    std::vector<Real> values(static_cast<std::size_t>(n));
    Random random{0x5EEDull + std::uint64_t(f)};
    const double width2 = 0.02 * size * size * (1 + f);
    for (int k = 0; k < size; ++k)
      for (int j = 0; j < size; ++j) {
        const double djk = (j - centre) * (j - centre) + (k - centre) * (k - centre);
        Real* row = values.data() + std::int64_t(size) * (j + std::int64_t(size) * k);
        for (int i = 0; i < size; ++i)
          row[i] = Real(100.0 * (f + 1) * std::exp(-((i - centre) * (i - centre) + djk) / width2) +
                        1e-3 * random.next());
      }
    c.fields.push_back(std::move(values));
  }
  c.drugs = {0.5};
  c.timeseries_rows = 11;
  c.timeseries_width = 2 + 3 * fields;
  Random random{7};
  for (std::int64_t r = 0; r < c.timeseries_rows; ++r) {
    c.timeseries.push_back(10.0 * double(r));
    c.timeseries.push_back(double(r));
    for (std::int64_t w = 2; w < c.timeseries_width; ++w) c.timeseries.push_back(random.next());
  }
  c.wall_seconds = 12.5;
  return c;
}

nlohmann::json timing_json(const std::vector<double>& samples, double bytes) {
  const double m = median(samples);
  return {{"samples_s", samples}, {"median_s", m}, {"mb_per_s", bytes / m / 1e6}};
}

// A number from a run summary; NaN (JSON null) where the summary lacks it.
double summary_number(const nlohmann::json& summary, const char* pointer) {
  const nlohmann::json::json_pointer p(pointer);
  if (!summary.contains(p) || !summary.at(p).is_number()) return std::numeric_limits<double>::quiet_NaN();
  return summary.at(p).get<double>();
}

// The stall runs' scenario: configs/bench/checkpoint_stall.yaml (a box, all
// tissue, species that diffuse and decay with a source in the middle, steps
// of 1 s, no snapshots) at size^3 voxels with its first `species` species,
// `steps` steps with outputs at the start and the end only, and with
// checkpoint_steps > 0 a checkpoint every checkpoint_steps steps.
Scenario stall_scenario(const BenchProblem& problem, int size, int species, const std::string& precision,
                        int steps, int checkpoint_steps) {
  CaseParameters c;
  c.voxels_per_side = size;
  c.species = species;
  c.overrides = {fmt::format("precision={}", precision), fmt::format("time.end={} s", steps),
                 fmt::format("output.interval={} s", steps)};
  if (checkpoint_steps > 0)
    c.overrides.push_back(fmt::format("checkpoint={{steps: {}, keep: 2}}", checkpoint_steps));
  return case_scenario(problem, c);
}

// CPU time of this process, all threads (the writer thread's included).
double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

struct StallRun {
  nlohmann::json summary;
  double loop_s = 0;
  double cpu_s = 0;  // process CPU time of the whole run (set-up included)
};

StallRun run_stall_once(const Scenario& scenario, const std::string& directory, int threads, std::FILE* log) {
  RunOptions options;
  options.backend = BackendKind::Auto;
  options.threads = threads;
  options.output_directory = directory;
  options.progress = false;
  options.log = log;
  StallRun r;
  const double cpu_before = process_cpu_seconds();
  r.summary = run_scenario(scenario, options);
  r.cpu_s = process_cpu_seconds() - cpu_before;
  r.loop_s = summary_number(r.summary, "/performance/loop_s");
  return r;
}

// The stall runs' scenarios, without and with checkpoints.
struct StallScenarios {
  std::string problem;  // the problem file
  int checkpoint_steps = 0;
  Scenario without, with;
};

StallScenarios stall_scenarios(const CheckpointBenchArgs& args) {
  const BenchProblem problem = load_bench_problem("checkpoint_stall");
  StallScenarios s;
  s.problem = problem.file;
  s.checkpoint_steps = std::max(1, args.stall_steps / 10);
  s.without = stall_scenario(problem, args.stall_size, args.fields, args.precision, args.stall_steps, 0);
  s.with = stall_scenario(problem, args.stall_size, args.fields, args.precision, args.stall_steps,
                          s.checkpoint_steps);
  return s;
}

nlohmann::json run_stall(const CheckpointBenchArgs& args, const StallScenarios& scenarios,
                         const std::string& work, std::FILE* out) {
  const int checkpoint_steps = scenarios.checkpoint_steps;
  std::FILE* log = std::fopen("/dev/null", "w");
  if (!log) log = std::tmpfile();
  if (!log)
    throw RuntimeFailure("bench-checkpoint: cannot open /dev/null or a temporary file for the run log");

  nlohmann::json with_runs = nlohmann::json::array(), without_runs = nlohmann::json::array();
  std::vector<double> with_loop, without_loop, stall, stall_fraction, background, written, pair_ratio,
      with_cpu, without_cpu;
  nlohmann::json backend, grid;
  double threads = 0;
  try {
    for (int r = 0; r < args.stall_repeats; ++r) {
      const StallRun without =
          run_stall_once(scenarios.without, fmt::format("{}/stall_without_{}", work, r), args.threads, log);
      const StallRun with =
          run_stall_once(scenarios.with, fmt::format("{}/stall_with_{}", work, r), args.threads, log);
      const nlohmann::json& s = with.summary;
      without_loop.push_back(without.loop_s);
      with_loop.push_back(with.loop_s);
      pair_ratio.push_back(with.loop_s / without.loop_s);
      without_cpu.push_back(without.cpu_s);
      with_cpu.push_back(with.cpu_s);
      stall.push_back(summary_number(s, "/performance/io_stall_s"));
      stall_fraction.push_back(summary_number(s, "/performance/io_stall_fraction"));
      background.push_back(summary_number(s, "/performance/io_background_s"));
      written.push_back(summary_number(s, "/checkpoints/written"));
      without_runs.push_back({{"loop_s", without.loop_s},
                              {"process_cpu_s", without.cpu_s},
                              {"stepping_s", summary_number(without.summary, "/performance/stepping_s")},
                              {"io_stall_s", summary_number(without.summary, "/performance/io_stall_s")}});
      with_runs.push_back({{"loop_s", with.loop_s},
                           {"process_cpu_s", with.cpu_s},
                           {"stepping_s", summary_number(s, "/performance/stepping_s")},
                           {"io_stall_s", stall.back()},
                           {"io_stall_fraction", stall_fraction.back()},
                           {"io_background_s", background.back()},
                           {"checkpoints_written", written.back()},
                           {"checkpoint_write_s",
                            s.value(nlohmann::json::json_pointer("/checkpoints/write_s"), nlohmann::json())},
                           {"steps", summary_number(s, "/time/steps")}});
      backend = s.value(nlohmann::json::json_pointer("/backend/name"), nlohmann::json());
      threads = summary_number(s, "/backend/device/compute_units");
      grid = {summary_number(s, "/grid/nx"), summary_number(s, "/grid/ny"), summary_number(s, "/grid/nz")};
      fs::remove_all(fmt::format("{}/stall_without_{}", work, r));
      fs::remove_all(fmt::format("{}/stall_with_{}", work, r));
    }
  } catch (...) {
    std::fclose(log);
    throw;
  }
  std::fclose(log);

  const double ratio = median(with_loop) / median(without_loop);
  nlohmann::json j = {
      {"scenario", "box of stall_size^3 voxels of 10 um, all tissue, `fields` species, dt 1 s, no snapshots"},
      {"problem", scenarios.problem},
      {"size", args.stall_size},
      {"grid", grid},
      {"species", args.fields},
      {"precision", args.precision},
      {"backend", backend},
      {"threads", threads},
      {"steps", args.stall_steps},
      {"checkpoint_steps", checkpoint_steps},
      {"repeats", args.stall_repeats},
      {"order", "per repeat: the run without checkpoints, then the run with them"},
      {"with_checkpoints", with_runs},
      {"without_checkpoints", without_runs},
      {"io_stall_s", median(stall)},
      {"io_stall_fraction", median(stall_fraction)},
      {"io_background_s", median(background)},
      {"loop_s", median(with_loop)},
      {"loop_s_without_checkpoints", median(without_loop)},
      {"checkpoints_written", median(written)},
      {"step_s_without_checkpoints", median(without_loop) / args.stall_steps},
      {"io_stall_s_per_checkpoint", median(stall) / median(written)},
      {"extra_loop_s_per_checkpoint", (median(with_loop) - median(without_loop)) / median(written)},
      {"loop_time_ratio_with_to_without", ratio},
      {"loop_time_ratio_per_pair", pair_ratio},
      {"loop_time_ratio_per_pair_median", median(pair_ratio)},
      {"process_cpu_s", median(with_cpu)},
      {"process_cpu_s_without_checkpoints", median(without_cpu)},
      {"cpu_time_ratio_with_to_without", median(with_cpu) / median(without_cpu)},
  };
  fmt::print(
      out, "Stall: {}^3 x {} {} species, {} steps, a checkpoint every {} steps ({} backend), median of {}\n",
      args.stall_size, args.fields, args.precision, args.stall_steps, checkpoint_steps,
      backend.is_string() ? backend.get<std::string>() : "?", args.stall_repeats);
  fmt::print(out, "  without checkpoints   loop {:.3f} s\n", median(without_loop));
  fmt::print(
      out,
      "  with checkpoints      loop {:.3f} s, {:.0f} written, stall {:.3f} s ({:.2f}% of the loop), writer "
      "busy {:.3f} s\n",
      median(with_loop), median(written), median(stall), 100 * median(stall_fraction), median(background));
  fmt::print(out, "  per checkpoint: stall {:.1f} ms, loop time added {:.1f} ms; a step takes {:.2f} ms\n",
             1e3 * median(stall) / median(written),
             1e3 * (median(with_loop) - median(without_loop)) / median(written),
             1e3 * median(without_loop) / args.stall_steps);
  fmt::print(out,
             "  loop time with / without checkpoints: {:.3f} (median of the pairs' ratios {:.3f}); CPU time "
             "{:.3f}\n",
             ratio, median(pair_ratio), median(with_cpu) / median(without_cpu));
  return j;
}

// Removes the benchmark's working directory however the benchmark ends.
struct RemoveOnExit {
  std::string path;
  ~RemoveOnExit() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

template <class Real>
void run_typed(const CheckpointBenchArgs& args, std::FILE* out) {
  // Read (and validated) before anything is measured.
  std::optional<StallScenarios> stall;
  if (args.stall_steps > 0) stall = stall_scenarios(args);
  const std::string parent = args.directory.empty() ? "." : args.directory;
  ensure_directory(parent);
  const std::string work = fmt::format("{}/cytostorm-bench-checkpoint.{}", parent, ::getpid());
  RemoveOnExit cleanup{work};
  fs::remove_all(work);
  ensure_directory(work);
  nlohmann::json machine = machine_json();
  const nlohmann::json file_system = file_system_json(work);

  const Checkpoint<Real> checkpoint = make_checkpoint<Real>(args.size, args.fields);
  std::string plain;  // the fields' bytes, as the disk-bandwidth file
  for (const std::vector<Real>& f : checkpoint.fields)
    plain.append(reinterpret_cast<const char*>(f.data()), f.size() * sizeof(Real));
  const double bytes = double(plain.size());
  const std::string plain_path = work + "/plain.bin";
  const std::string checkpoint_path = work + "/" + checkpoint_file_name(checkpoint.position.step);

  std::vector<double> disk_s, write_s, read_s, read_cached_s;
  double resident_after_drop = -1;
  for (int r = -1; r < args.repeats; ++r) {  // r = -1: an untimed round (HDF5 set-up, first allocation)
    auto start = Clock::now();
    write_file_atomically(plain_path, plain);
    const double disk = seconds_since(start);

    start = Clock::now();
    write_checkpoint(checkpoint_path, checkpoint);
    const double write = seconds_since(start);

    drop_cached_pages(checkpoint_path);
    if (r == 0) resident_after_drop = resident_fraction(checkpoint_path);
    start = Clock::now();
    const Checkpoint<Real> back = read_checkpoint<Real>(checkpoint_path);
    const double read = seconds_since(start);

    start = Clock::now();
    const Checkpoint<Real> again = read_checkpoint<Real>(checkpoint_path);
    const double read_cached = seconds_since(start);

    if (r < 0) {
      if (back.fields != checkpoint.fields || again.fields != checkpoint.fields ||
          back.labels != checkpoint.labels || back.timeseries != checkpoint.timeseries)
        throw RuntimeFailure(
            fmt::format("bench-checkpoint: {} does not read back as it was written", checkpoint_path));
      continue;
    }
    disk_s.push_back(disk);
    write_s.push_back(write);
    read_s.push_back(read);
    read_cached_s.push_back(read_cached);
  }
  const double file_bytes = double(fs::file_size(checkpoint_path));
  fs::remove(plain_path);
  fs::remove(checkpoint_path);

  const double ratio = median(disk_s) / median(write_s);
  fmt::print(out,
             "Checkpoint of {0}^3 x {1} {2} fields: {3:.1f} MB of fields, {4:.1f} MB file, in {5} ({6})\n",
             args.size, args.fields, args.precision, bytes / 1e6, file_bytes / 1e6, work,
             file_system["type"].get<std::string>());
  fmt::print(out, "  {:<36} {:>9} {:>9}   (median of {}; MB/s of field bytes)\n", "", "seconds", "MB/s",
             args.repeats);
  const auto row = [&](const char* what, const std::vector<double>& s) {
    fmt::print(out, "  {:<36} {:>9.4f} {:>9.1f}\n", what, median(s), bytes / median(s) / 1e6);
  };
  row("disk write (write+fsync+rename)", disk_s);
  row("checkpoint write", write_s);
  row("checkpoint read (cache dropped)", read_s);
  row("checkpoint read (cached)", read_cached_s);
  fmt::print(out, "  checkpoint write / disk write bandwidth: {:.3f}\n", ratio);

  nlohmann::json j = {
      {"benchmark", "checkpoint"},
      {"date", iso_utc_now()},
      {"host", host_name()},
      {"commit", build_info().commit},
      {"build", build_info_json()},
      {"directory", work},
      {"file_system", file_system},
      {"problem",
       {{"size", args.size},
        {"grid", {args.size, args.size, args.size}},
        {"fields", args.fields},
        {"precision", args.precision},
        {"voxels", checkpoint.grid.voxels()},
        {"field_bytes", bytes},
        {"checkpoint_file_bytes", file_bytes},
        {"repeats", args.repeats}}},
      {"method",
       "per repeat, after one untimed round: disk write (the fields' bytes as one file, "
       "write_file_atomically: "
       "write, fsync, rename, directory fsync), checkpoint write (write_checkpoint: HDF5 with Fletcher-32 "
       "per "
       "chunk, fsync, rename, directory fsync), checkpoint read after posix_fadvise(DONTNEED) "
       "(read_checkpoint, "
       "every checksum verified), the same read again from the page cache. MB/s = field bytes / median "
       "seconds, "
       "MB = 10^6 bytes."},
      {"disk_write", timing_json(disk_s, bytes)},
      {"checkpoint_write", timing_json(write_s, bytes)},
      {"checkpoint_read", timing_json(read_s, bytes)},
      {"checkpoint_read_cached", timing_json(read_cached_s, bytes)},
      {"checkpoint_resident_fraction_after_drop", resident_after_drop},
      {"ratio_checkpoint_write_to_disk_write", ratio},
  };
  if (stall)
    j["stall"] = run_stall(args, *stall, work, out);
  else
    j["stall"] = {{"skipped", "--stall-steps 0"}};
  machine["load_average_end"] = load_average();
  j["machine"] = machine;
  write_file_atomically(args.output, j.dump(2) + "\n");
}

[[noreturn]] void bad_option(const std::string& option, const std::string& message) {
  throw InputError(SourceLocation{option, 0, 0, ""}, message);
}

}  // namespace

void run_checkpoint_bench(const CheckpointBenchArgs& args, std::FILE* out) {
  if (args.size < 4 || args.size > 4096)
    bad_option("--size", fmt::format("expected 4 to 4096, found {}", args.size));
  if (args.fields < 1 || args.fields > 256)
    bad_option("--fields", fmt::format("expected 1 to 256, found {}", args.fields));
  if (args.repeats < 1) bad_option("--repeats", fmt::format("expected at least 1, found {}", args.repeats));
  if (args.stall_steps < 0)
    bad_option("--stall-steps", fmt::format("expected 0 or more, found {}", args.stall_steps));
  if (args.stall_size < 4)
    bad_option("--stall-size", fmt::format("expected at least 4, found {}", args.stall_size));
  if (args.stall_repeats < 1)
    bad_option("--stall-repeats", fmt::format("expected at least 1, found {}", args.stall_repeats));
  if (args.precision == "float")
    run_typed<float>(args, out);
  else if (args.precision == "double")
    run_typed<double>(args, out);
  else
    bad_option("--precision", fmt::format("expected float or double, found \"{}\"", args.precision));
}

}  // namespace cyto::bench
