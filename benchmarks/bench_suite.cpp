// The benchmark suite behind `cytostorm bench`.
//
// The step is memory-bound: per step it must read and write every species of
// every tissue voxel once and read the material map once, so its compulsory
// traffic is
//   tissue voxels * 2 * species * sizeof(Real) + interior voxels * sizeof(MaterialId)
// (the material map is counted over the whole bounding box: that is what a
// kernel reads to find the tissue). Its floor is that traffic divided by the
// bandwidth of a plain copy, so each backend measures a copy in the same run:
// a large one through main memory (the fraction reported), and one over the
// same bytes as each case's fields, which is the like-for-like roofline where
// a case fits in a cache (small CPU cases fit in a large L3).
#include "bench_suite.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "host/backend.hpp"
#include "host/build_info.hpp"
#include "host/discretisation.hpp"
#include "host/error.hpp"
#include "host/geometry.hpp"
#include "host/output.hpp"
#include "host/trace.hpp"

namespace cyto::bench {
namespace {

constexpr double kSpacing = 10e-6;  // m
constexpr double kGiB = double(std::size_t(1) << 30);
constexpr const char* kBytesFormula =
    "tissue_voxels * 2 * species * sizeof(Real) + interior_voxels * sizeof(MaterialId)";

// ---- options ----

SourceLocation option(const char* name) { return {name, 0, 0, ""}; }

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) items.push_back(item);
  if (!text.empty() && text.back() == ',') items.push_back("");
  return items;
}

std::vector<int> parse_int_list(const char* name, const std::string& text, int lo, int hi) {
  std::vector<int> values;
  for (const std::string& item : split_list(text)) {
    std::size_t used = 0;
    long value = 0;
    try {
      value = std::stol(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (item.empty() || used != item.size())
      throw InputError(option(name),
                       fmt::format("expected a comma-separated list of integers, found \"{}\"", text));
    if (value < lo || value > hi)
      throw InputError(option(name), fmt::format("expected values from {} to {}, found {}", lo, hi, value));
    values.push_back(int(value));
  }
  if (values.empty()) throw InputError(option(name), "expected at least one value, found none");
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  return values;
}

std::vector<Precision> parse_precisions(const std::string& text) {
  if (text == "all") return {Precision::Float, Precision::Double};
  std::vector<Precision> values;
  for (const std::string& item : split_list(text)) {
    Precision p;
    if (item == "float")
      p = Precision::Float;
    else if (item == "double")
      p = Precision::Double;
    else
      throw InputError(option("--precision"),
                       fmt::format("expected float, double, all or float,double, found \"{}\"", text));
    if (std::find(values.begin(), values.end(), p) == values.end()) values.push_back(p);
  }
  if (values.empty()) throw InputError(option("--precision"), "expected float, double or all, found \"\"");
  return values;
}

const char* precision_label(Precision p) { return p == Precision::Float ? "float" : "double"; }
std::size_t real_bytes(Precision p) { return p == Precision::Float ? sizeof(float) : sizeof(double); }

// ---- scenarios ----

Shape ellipsoid(Vec3 centre, Vec3 radii) {
  Shape s;
  s.kind = ShapeKind::Ellipsoid;
  s.a = centre;
  s.b = radii;
  return s;
}

// A liver-like organ in the unit cube: a large right lobe and a flatter left
// lobe overlapping it, about 45% of its bounding box. What matters is that
// a good share of the grid is empty and the surface is curved and uneven.
Shape organ_shape(double side) {
  Shape s;
  s.kind = ShapeKind::Union;
  const auto scaled = [side](Vec3 centre, Vec3 radii) {
    return ellipsoid({centre[0] * side, centre[1] * side, centre[2] * side},
                     {radii[0] * side, radii[1] * side, radii[2] * side});
  };
  s.parts.push_back(scaled({0.42, 0.50, 0.50}, {0.41, 0.48, 0.47}));  // right lobe
  s.parts.push_back(scaled({0.70, 0.53, 0.57}, {0.29, 0.36, 0.30}));  // left lobe
  return s;
}

// A dense box of n^3 voxels (or the organ in an n^3 grid) with `species`
// species of different diffusivities and decay rates and one source, so that
// the general (per-face) path and the source coefficients are exercised.
Scenario bench_scenario(int n, int species, Precision precision, bool organ) {
  const double side = n * kSpacing;
  Scenario s;
  s.name = organ ? "bench-organ" : "bench-box";
  s.precision = precision;
  s.grid.spacing = {kSpacing, kSpacing, kSpacing};
  s.grid.extent = {side, side, side};
  s.tissues.push_back({"tissue", 1, {}});
  Shape shape;
  shape.kind = ShapeKind::Box;
  shape.b = s.grid.extent;
  s.geometry.push_back({0, organ ? organ_shape(side) : shape, {}});
  for (int k = 0; k < species; ++k) {
    Species sp;
    sp.name = "s" + std::to_string(k);
    sp.diffusion = {(600.0 + 100.0 * k) * 1e-12 / 60};  // 600 um^2/min and up: about 1e-11 m^2/s
    sp.decay_rate = (0.01 + 0.005 * k) / 60;
    s.species.push_back(sp);
  }
  Source src;
  src.name = "secretion";
  src.species = 0;
  Shape ball;
  ball.kind = ShapeKind::Sphere;
  ball.a = {0.42 * side, 0.5 * side, 0.5 * side};  // inside the right lobe
  ball.radius = std::max(0.1 * side, 1.5 * kSpacing);
  src.region.shape = ball;
  src.rate = 1.0 / 60;
  s.sources.push_back(src);
  s.time.end = 60;
  s.output.interval = 60;
  s.output.directory = "unused";
  return s;
}

// The geometry of one grid, discretised once and shared by its cases (the
// material map depends on neither the species count nor the precision).
struct Domain {
  int n = 0;
  bool organ = false;
  std::int64_t tissue_voxels = 0;
  Discretisation disc;
};

Domain make_domain(int n, bool organ) {
  const Scenario s = bench_scenario(n, 1, Precision::Float, organ);
  const TissueMap tissues = rasterise_tissues(s);
  Domain d;
  d.n = n;
  d.organ = organ;
  d.tissue_voxels = tissues.tissue_voxels;
  d.disc = discretise(s, tissues);
  return d;
}

// ---- measurements ----

struct Stats {
  double median = 0, min = 0, p90 = 0, mean = 0;
};

Stats stats_of(std::vector<double> v) {
  Stats s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  s.median = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
  s.min = v.front();
  s.p90 = v[std::min(n - 1, std::size_t(std::ceil(0.9 * double(n))) - 1)];
  double sum = 0;
  for (double x : v) sum += x;
  s.mean = sum / double(n);
  return s;
}

template <class Real>
std::unique_ptr<Backend<Real>> make_for(bool gpu, int threads) {
  if (gpu) return make_gpu_backend<Real>();
  return make_cpu_backend<Real>(threads);
}

// Bytes a case needs in the backend's memory: two buffers per species and
// the material map (the GPU also holds the runs, small next to these), and
// on the CPU the staging field and the discretisation's own material map.
double case_bytes(int n, int species, Precision p, bool gpu) {
  const double padded = double(make_grid_layout(n, n, n).size);
  const double real = double(real_bytes(p));
  if (gpu) return padded * (2.0 * species * real + sizeof(MaterialId)) * 1.05 + 256.0 * (1 << 20);
  return padded * (2.0 * species * real + real + 2.0 * sizeof(MaterialId)) + double(n) * n * n * 2.0;
}

std::string iso_utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

std::string case_label(int n, int species, Precision p, bool organ) {
  return fmt::format("{}^3 {} x {} {}", n, species, precision_label(p), organ ? "organ" : "box");
}

class Suite {
 public:
  Suite(const SuiteOptions& o, std::FILE* table) : o_(o), table_(table) {}

  nlohmann::json run() {
    doc_ = {{"tool", "cytostorm bench"},
            {"complete", false},
            {"build", build_info_json()},
            {"date", iso_utc_now()},
            {"host", host_name()},
            {"options", options_json()},
            {"bytes_per_step_formula", kBytesFormula},
            {"skipped_backends", nlohmann::json::array()},
            {"backends", nlohmann::json::array()}};
    save();  // fails early (before minutes of measuring) where the file cannot be written

    bool cpu = o_.backends == BackendSelection::Cpu || o_.backends == BackendSelection::All;
    if (o_.backends != BackendSelection::Cpu) {
      std::unique_ptr<Backend<float>> probe;
      try {
        probe = make_gpu_backend<float>();
      } catch (const InputError& e) {
        if (o_.backends == BackendSelection::Gpu) throw;
        say("GPU: skipped ({})\n\n", e.detail());
        doc_["skipped_backends"].push_back({{"backend", "gpu"}, {"reason", e.detail()}});
        cpu = true;  // auto falls back to the CPU
      }
      if (probe) run_backend(true, std::move(probe));
    }
    if (cpu) run_backend(false, make_cpu_backend<float>(o_.threads));
    doc_["complete"] = true;
    save();
    return doc_;
  }

 private:
  template <class... Args>
  void say(fmt::format_string<Args...> format, Args&&... args) {
    if (!table_) return;
    fmt::print(table_, format, std::forward<Args>(args)...);
    std::fflush(table_);
  }

  void save() {
    if (!o_.output.empty()) write_file_atomically(o_.output, doc_.dump(2) + "\n");
  }

  nlohmann::json options_json() const {
    std::vector<std::string> precisions;
    for (Precision p : o_.precisions) precisions.push_back(precision_label(p));
    return {{"gpu_sizes", o_.gpu_sizes},
            {"cpu_sizes", o_.cpu_sizes},
            {"species", o_.species},
            {"precisions", precisions},
            {"steps", o_.steps},
            {"threads", o_.threads},
            {"quick", o_.quick},
            {"target_seconds_per_case", o_.target_seconds},
            {"warmup_steps", o_.warmup_steps}};
  }

  // The whole suite on one backend; `probe` measures the copy and is then released.
  void run_backend(bool gpu, std::unique_ptr<Backend<float>> probe) {
    const TraceRange range(gpu ? "bench gpu" : "bench cpu");
    device_ = probe->device_info();
    gpu_ = gpu;
    copies_.clear();

    std::size_t copy_bytes = o_.cpu_copy_bytes;
    int reps = o_.cpu_copy_repetitions;
    if (gpu) {
      copy_bytes = o_.gpu_copy_bytes_max;
      if (device_.memory_gib > 0)
        copy_bytes = std::min(copy_bytes, std::size_t(device_.memory_gib * kGiB / 4) >> 20 << 20);
      reps = o_.gpu_copy_repetitions;
    }
    Stats copy;
    {
      const TraceRange copy_range("copy");
      copy = stats_of(probe->timed_copies(copy_bytes, reps));
    }
    probe.reset();
    copy_bandwidth_ = 2.0 * double(copy_bytes) / copy.median;

    const std::size_t index = doc_["backends"].size();
    doc_["backends"].push_back({{"backend", gpu ? "gpu" : "cpu"},
                                {"device", device_info_json(device_)},
                                {"copy_bytes", copy_bytes},
                                {"copy_repetitions", reps},
                                {"copy_seconds_median", copy.median},
                                {"copy_bandwidth_bytes_per_s", copy_bandwidth_},
                                {"skipped_cases", nlohmann::json::array()},
                                {"cases", nlohmann::json::array()}});
    backend_ = &doc_["backends"][index];
    save();

    say("{}: {} ({} {}, {:.1f} GiB{}{})\n", gpu ? "GPU" : "CPU", device_.name, device_.compute_units,
        gpu                          ? "SMs"
        : device_.compute_units == 1 ? "thread"
                                     : "threads",
        device_.memory_gib, device_.architecture.empty() ? "" : ", " + device_.architecture,
        device_.driver.empty() ? "" : ", driver " + device_.driver + ", runtime " + device_.runtime);
    say("copy 2 x {} MiB: {:.1f} GB/s (read + written, median of {}); fractions below are of this copy\n",
        copy_bytes >> 20, copy_bandwidth_ / 1e9, reps);
    say("GB/s: compulsory bytes per step ({}) / median time; % same-sz: of a copy of the case's field "
        "bytes\n",
        kBytesFormula);
    say("{:<7} {:<7} {:>6} {:>7} {:<6} {:>11} {:>9} {:>8} {:>8} {:>7} {:>10}  {}\n", "backend", "prec",
        "size", "species", "domain", "tissue vox", "ms/step", "G upd/s", "GB/s", "% copy", "% same-sz",
        "notes");

    const std::vector<int>& sizes = gpu ? o_.gpu_sizes : o_.cpu_sizes;
    // The organ: at the largest size, 4 float species where the lists allow,
    // so that its dense-box counterpart is one of the cases.
    const int organ_n = sizes.back();
    const int organ_species = std::count(o_.species.begin(), o_.species.end(), 4) ? 4 : o_.species.back();
    const Precision organ_precision = std::count(o_.precisions.begin(), o_.precisions.end(), Precision::Float)
                                          ? Precision::Float
                                          : o_.precisions.front();
    for (int n : sizes) {
      std::optional<Domain> domain;
      for (Precision p : o_.precisions)
        for (int species : o_.species) run_case(domain, n, species, p, false);
      if (n == organ_n) {
        domain.reset();
        run_case(domain, n, organ_species, organ_precision, true);
      }
    }
    say("\n");
  }

  // Skips (with a printed and recorded reason) a case that would not fit.
  bool fits(int n, int species, Precision p, bool organ) {
    const double needed = case_bytes(n, species, p, gpu_);
    const double available = device_.memory_gib * kGiB * (gpu_ ? 0.9 : 0.8);
    if (device_.memory_gib <= 0 || needed <= available) return true;
    const std::string label = case_label(n, species, p, organ);
    const std::string reason =
        fmt::format("needs about {:.1f} GiB, more than the {:.1f} GiB usable of the {}'s {:.1f} GiB",
                    needed / kGiB, available / kGiB, gpu_ ? "GPU" : "machine", device_.memory_gib);
    say("{:<7} {:<7} {:>6} {:>7} {:<6} skipped: {}\n", gpu_ ? "gpu" : "cpu", precision_label(p),
        fmt::format("{}^3", n), species, organ ? "organ" : "box", reason);
    (*backend_)["skipped_cases"].push_back({{"case", label}, {"reason", reason}});
    save();
    return false;
  }

  void run_case(std::optional<Domain>& domain, int n, int species, Precision p, bool organ) {
    if (!fits(n, species, p, organ)) return;
    if (!domain) {
      const TraceRange range("discretise");
      domain = make_domain(n, organ);
    }
    nlohmann::json result =
        p == Precision::Float ? measure<float>(*domain, species) : measure<double>(*domain, species);
    if (organ) compare_with_box(result);
    print_row(result);
    (*backend_)["cases"].push_back(std::move(result));
    save();
  }

  // Same-bytes copy bandwidth, measured once per size on this backend.
  template <class Real>
  double same_bytes_bandwidth(Backend<Real>& backend, std::size_t bytes) {
    auto it = copies_.find(bytes);
    if (it == copies_.end()) {
      const TraceRange range("copy same bytes");
      const Stats s = stats_of(backend.timed_copies(bytes, o_.same_bytes_copy_repetitions));
      it = copies_.emplace(bytes, 2.0 * double(bytes) / s.median).first;
    }
    return it->second;
  }

  template <class Real>
  nlohmann::json measure(const Domain& domain, int species) {
    const Precision p = sizeof(Real) == sizeof(float) ? Precision::Float : Precision::Double;
    const Discretisation& disc = domain.disc;
    const GridLayout& g = disc.layout;
    const std::string label = case_label(domain.n, species, p, domain.organ);
    auto backend = make_for<Real>(gpu_, o_.threads);

    // Before the fields exist, so that the copy never competes with them for memory.
    const std::size_t field_bytes = std::size_t(g.size) * std::size_t(species) * sizeof(Real);
    const double same_bytes = same_bytes_bandwidth(*backend, field_bytes);

    {
      const TraceRange range(("setup " + label).c_str());
      const Scenario s = bench_scenario(domain.n, species, p, domain.organ);
      backend->setup(disc, species);
      // Varied, non-zero values: a constant field would let nothing differ
      // between voxels, and zeros could hit special cases in arithmetic.
      std::vector<Real> values(std::size_t(g.size));
      for (int k = 0; k < species; ++k) {
        const std::int64_t size = g.size;
#pragma omp parallel for schedule(static)
        for (std::int64_t i = 0; i < size; ++i)
          values[std::size_t(i)] = Real(
              1.0 + 0.5 * double((std::uint64_t(i) * 2654435761u + 97u * std::uint64_t(k)) % 1000) / 1000);
        backend->upload_field(k, values);
      }
      CoefficientTable<Real> coefficients;
      fill_coefficients(s, disc, 0.0, plan_time(s).max_dt, coefficients);
      backend->set_coefficients(coefficients);
    }

    std::vector<double> warmup;
    {
      const TraceRange range(("warm-up " + label).c_str());
      warmup = backend->timed_steps(o_.warmup_steps);
    }
    int steps = o_.steps;
    if (steps <= 0) {
      const int lo = gpu_ ? o_.gpu_min_steps : o_.cpu_min_steps;
      const int hi = gpu_ ? o_.gpu_max_steps : o_.cpu_max_steps;
      const double estimate = warmup.empty() ? 0 : *std::min_element(warmup.begin(), warmup.end());
      steps = estimate > 0 ? int(std::clamp(std::ceil(o_.target_seconds / estimate), double(lo), double(hi)))
                           : hi;
    }
    Stats t;
    {
      const TraceRange range(("timed " + label).c_str());
      t = stats_of(backend->timed_steps(steps));
    }
    const std::string launch = backend->device_info().launch;  // the GPU's plan for this grid
    backend.reset();

    const double tissue = double(domain.tissue_voxels);
    const double interior = double(g.interior_voxels());
    const double bytes = tissue * 2.0 * species * sizeof(Real) + interior * sizeof(MaterialId);
    const double bandwidth = bytes / t.median;
    return {{"case", label},
            {"precision", precision_label(p)},
            {"nx", g.nx},
            {"ny", g.ny},
            {"nz", g.nz},
            {"species", species},
            {"domain", domain.organ ? "organ" : "box"},
            {"tissue_voxels", domain.tissue_voxels},
            {"interior_voxels", g.interior_voxels()},
            {"tissue_fraction", tissue / interior},
            {"uniform_voxels", disc.uniform_voxels},
            {"walled_voxels", disc.walled_voxels},
            {"steps_warmup", o_.warmup_steps},
            {"steps_timed", steps},
            {"seconds_per_step_median", t.median},
            {"seconds_per_step_min", t.min},
            {"seconds_per_step_p90", t.p90},
            {"seconds_per_step_mean", t.mean},
            {"updates_per_s", tissue * species / t.median},
            {"bytes_per_step", bytes},
            {"bytes_per_step_formula", kBytesFormula},
            {"effective_bandwidth_bytes_per_s", bandwidth},
            {"fraction_of_copy", bandwidth / copy_bandwidth_},
            {"copy_same_bytes", field_bytes},
            {"copy_same_bytes_bandwidth_bytes_per_s", same_bytes},
            {"fraction_of_copy_same_bytes", bandwidth / same_bytes},
            {"launch", launch}};
  }

  // Empty voxels should cost (almost) nothing: the organ's time per tissue
  // voxel against the dense box's of the same grid, species and precision
  // (1.0 is ideal; the target is at most 1.2).
  void compare_with_box(nlohmann::json& organ) {
    organ["cost_per_tissue_voxel_vs_box"] = nullptr;
    organ["time_vs_box"] = nullptr;
    organ["box_seconds_per_step_median"] = nullptr;
    for (const nlohmann::json& c : (*backend_)["cases"]) {
      if (c["domain"] != "box" || c["nx"] != organ["nx"] || c["species"] != organ["species"] ||
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

  void print_row(const nlohmann::json& c) {
    std::string notes;
    if (c["domain"] == "organ") {
      notes = fmt::format("{:.0f}% tissue; ", 100 * c["tissue_fraction"].get<double>());
      notes +=
          c["cost_per_tissue_voxel_vs_box"].is_null()
              ? "no box case to compare with"
              : fmt::format("cost/tissue voxel vs box: {:.2f}x (time {:.2f}x)",
                            c["cost_per_tissue_voxel_vs_box"].get<double>(), c["time_vs_box"].get<double>());
    }
    say("{:<7} {:<7} {:>6} {:>7} {:<6} {:>11} {:>9.4g} {:>8.3g} {:>8.1f} {:>6.0f}% {:>9.0f}%  {}\n",
        gpu_ ? "gpu" : "cpu", c["precision"].get<std::string>(), fmt::format("{}^3", c["nx"].get<int>()),
        c["species"].get<int>(), c["domain"].get<std::string>(), c["tissue_voxels"].get<std::int64_t>(),
        1e3 * c["seconds_per_step_median"].get<double>(), c["updates_per_s"].get<double>() / 1e9,
        c["effective_bandwidth_bytes_per_s"].get<double>() / 1e9, 100 * c["fraction_of_copy"].get<double>(),
        100 * c["fraction_of_copy_same_bytes"].get<double>(), notes);
  }

  const SuiteOptions& o_;
  std::FILE* table_;
  nlohmann::json doc_;
  nlohmann::json* backend_ = nullptr;  // this backend's entry in doc_["backends"]
  BackendDeviceInfo device_;
  bool gpu_ = false;
  double copy_bandwidth_ = 0;
  std::map<std::size_t, double> copies_;  // same-bytes copy bandwidth by bytes
};

}  // namespace

SuiteOptions resolve_options(const BenchArgs& a) {
  SuiteOptions o;
  if (a.backend == "auto")
    o.backends = BackendSelection::Auto;
  else if (a.backend == "cpu")
    o.backends = BackendSelection::Cpu;
  else if (a.backend == "gpu")
    o.backends = BackendSelection::Gpu;
  else if (a.backend == "all")
    o.backends = BackendSelection::All;
  else
    throw InputError(option("--backend"),
                     fmt::format("expected auto, cpu, gpu or all, found \"{}\"", a.backend));
  o.quick = a.quick;
  if (a.quick) {
    if (!a.backend_given) o.backends = BackendSelection::Cpu;
    o.gpu_sizes = o.cpu_sizes = {32, 48};
    o.target_seconds = 0.02;
    o.cpu_min_steps = o.gpu_min_steps = 5;
    o.cpu_max_steps = o.gpu_max_steps = 20;
    o.warmup_steps = 2;
    // A copy about as large as the cases (cache-resident on most CPUs, like
    // them), so that the fractions stay like-for-like; cheap enough for many repetitions.
    o.cpu_copy_bytes = std::size_t(16) << 20;
    o.gpu_copy_bytes_max = std::size_t(256) << 20;
    o.cpu_copy_repetitions = o.gpu_copy_repetitions = 10;
    o.same_bytes_copy_repetitions = 10;
  }
  // 8 voxels is the least on which the organ keeps a source and an inside;
  // 2048^3 is far past any device's memory (the memory check says so).
  if (!a.sizes.empty()) o.gpu_sizes = o.cpu_sizes = parse_int_list("--sizes", a.sizes, 8, 2048);
  if (!a.species.empty()) o.species = parse_int_list("--species", a.species, 1, kMaxSpecies);
  if (!a.precision.empty()) o.precisions = parse_precisions(a.precision);
  if (a.steps < 0) throw InputError(option("--steps"), fmt::format("expected at least 1, found {}", a.steps));
  if (a.threads < 0)
    throw InputError(option("--threads"), fmt::format("expected 0 or more, found {}", a.threads));
  o.steps = a.steps;
  o.threads = a.threads;
  if (a.output.empty()) throw InputError(option("--output"), "expected a file name, found \"\"");
  o.output = a.output;
  return o;
}

nlohmann::json run_suite(const SuiteOptions& options, std::FILE* table) {
  return Suite(options, table).run();
}

const std::vector<std::string>& case_keys() {
  static const std::vector<std::string> keys = {"case",
                                                "precision",
                                                "nx",
                                                "ny",
                                                "nz",
                                                "species",
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

}  // namespace cyto::bench
