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
//
// The storm box adds the cell model: the same dense box with 7 fields is
// stepped with and without a representative rule set, on two backends set up
// side by side and timed in alternating rounds, so that both see the same
// load (this matters on a shared machine) and their ratio is the model's cost.
#include "benchmarks/bench_suite.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "benchmarks/bench_common.hpp"
#include "host/backends/backend.hpp"
#include "host/core/build_info.hpp"
#include "host/core/error.hpp"
#include "host/core/trace.hpp"
#include "host/geometry/geometry.hpp"
#include "host/io/output.hpp"
#include "host/model/discretisation.hpp"
#include "host/model/field_layout_copy.hpp"
#include "host/solver/simulation.hpp"

namespace cyto::bench {
namespace {

constexpr double kSpacing = 10e-6;  // m
constexpr double kGiB = double(std::size_t(1) << 30);
constexpr const char* kBytesFormula =
    "tissue_voxels * 2 * species * sizeof(Real) + interior_voxels * sizeof(MaterialId)";
// The storm box carries populations too: every field is read and written.
constexpr const char* kFieldBytesFormula =
    "tissue_voxels * 2 * fields * sizeof(Real) + interior_voxels * sizeof(MaterialId)";
constexpr const char* kBox = "box";
constexpr const char* kOrgan = "organ";
constexpr const char* kStormBox = "storm-box";
constexpr int kStormRounds = 5;  // alternating rounds of transport-only and model steps

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

Shape sphere(Vec3 centre, double radius) {
  Shape s;
  s.kind = ShapeKind::Sphere;
  s.a = centre;
  s.radius = radius;
  return s;
}

HillTerm hill(int species, double half_max, double n) { return {species, half_max, n, {}}; }

// The storm box: the dense box with a representative cytokine-storm model.
// 5 species (TNF, IL1b, IL6, IL10 and an LPS-like stimulus), 2 populations
// (parenchyma 1e8 cells/mL, macrophages 2e7) and 6 rules: 4 secretions with
// 1-2 Hill factors of integer power, a Michaelis-Menten uptake of LPS, and
// pyroptosis of parenchyma with a burst, triggered by IL1b (+ 0.2 TNF) at
// 200 pg/mL. IL1b starts at 400 pg/mL in a ball of radius 0.3 side (about
// 11% of the box) and at 20 elsewhere, so that the death rule is active in
// part of the box throughout. LPS is infused in the source ball of the other
// boxes. Rates are chosen to keep every level in a plausible range over the
// simulated minutes a benchmark covers.
Scenario storm_scenario(int n, Precision precision) {
  const double side = n * kSpacing;
  Scenario s = bench_scenario(n, 5, precision, false);
  s.name = "bench-storm-box";
  enum { kTnf, kIl1b, kIl6, kIl10, kLps };
  const Vec3 focus{0.42 * side, 0.5 * side, 0.5 * side};
  const Region everywhere{};
  const Region hot{std::nullopt, sphere(focus, std::max(0.3 * side, 2.5 * kSpacing))};
  const Region infused{std::nullopt, sphere(focus, std::max(0.1 * side, 1.5 * kSpacing))};
  struct Cytokine {
    const char* name;
    double diffusion_um2_per_min, half_life_min;
  };
  const Cytokine cytokines[] = {
      {"TNF", 900, 20}, {"IL1b", 1000, 30}, {"IL6", 800, 60}, {"IL10", 850, 60}, {"LPS", 300, 120}};
  for (int k = 0; k < 5; ++k) {
    Species& sp = s.species[std::size_t(k)];
    sp.name = cytokines[k].name;
    sp.diffusion = {cytokines[k].diffusion_um2_per_min * 1e-12 / 60};
    sp.decay_rate = std::log(2.0) / (cytokines[k].half_life_min * 60);
  }
  s.species[kTnf].initial = {{everywhere, 50, {}}};
  s.species[kIl1b].initial = {{everywhere, 20, {}}, {hot, 400, {}}};
  s.species[kIl6].initial = {{everywhere, 20, {}}};
  s.species[kIl10].initial = {{everywhere, 10, {}}};
  s.species[kLps].initial = {{everywhere, 5, {}}, {infused, 200, {}}};
  s.sources[0].name = "LPS infusion";
  s.sources[0].species = kLps;
  s.sources[0].rate = 0.5;  // pg/mL/s

  enum { kParenchyma, kMacrophages };
  for (const auto& [name, density] : {std::pair{"parenchyma", 1e8}, std::pair{"macrophages", 2e7}}) {
    Population p;
    p.name = name;
    p.initial = {{everywhere, density, {}}};
    s.populations.push_back(p);
  }
  const auto secretion = [](int population, int species, double base, double max) {
    Rule r;
    r.kind = RuleKind::Secretion;
    r.population = population;
    r.species = species;
    r.base = base;  // pg/cell/s
    r.max = max;
    return r;
  };
  Rule tnf = secretion(kMacrophages, kTnf, 1e-8, 1e-7);
  tnf.activators = {hill(kLps, 20, 2)};
  tnf.inhibitors = {hill(kIl10, 100, 1)};
  Rule il1b = secretion(kMacrophages, kIl1b, 1e-10, 2e-9);
  il1b.activators = {hill(kTnf, 100, 2), hill(kLps, 20, 1)};
  Rule il6 = secretion(kParenchyma, kIl6, 1e-11, 5e-9);
  il6.activators = {hill(kTnf, 200, 1), hill(kIl1b, 100, 2)};
  Rule il10 = secretion(kMacrophages, kIl10, 1e-9, 1e-8);
  il10.activators = {hill(kIl6, 100, 1)};
  Rule uptake;
  uptake.kind = RuleKind::Uptake;
  uptake.population = kMacrophages;
  uptake.species = kLps;
  uptake.vmax = 1e-8;  // pg/cell/s
  uptake.km = 50;      // pg/mL
  Rule death;
  death.kind = RuleKind::Death;
  death.population = kParenchyma;
  death.mode = DeathMode::Deterministic;
  death.signal = {0.2, 1, 0, 0, 0};
  death.threshold = 200;                // pg/mL
  death.rate = 1.0 / 600;               // 1/s
  death.burst = {0, 5e-7, 1e-6, 0, 0};  // pg/cell
  s.rules = {tnf, il1b, il6, il10, uptake, death};
  return s;
}

// The geometry of one grid, discretised once and shared by its cases (the
// material map depends on neither the species count nor the precision).
struct Domain {
  int n = 0;
  std::string kind;  // kBox, kOrgan or kStormBox
  std::int64_t tissue_voxels = 0;
  Discretisation disc;
  TissueMap tissues;  // the storm box only: its initial values are painted on it
  bool organ() const { return kind == kOrgan; }
};

Domain make_domain(int n, const std::string& kind) {
  const Scenario s = kind == kStormBox ? storm_scenario(n, Precision::Float)
                                       : bench_scenario(n, 1, Precision::Float, kind == kOrgan);
  TissueMap tissues = rasterise_tissues(s);
  Domain d;
  d.n = n;
  d.kind = kind;
  d.tissue_voxels = tissues.tissue_voxels;
  d.disc = discretise(s, tissues);
  if (kind == kStormBox) d.tissues = std::move(tissues);
  return d;
}

// Dense (x fastest) values in the padded layout, zero outside the interior.
template <class Real>
std::vector<Real> to_layout(const std::vector<double>& dense, const TissueMap& tissues, const GridLayout& g) {
  return padded_from_grid<Real>(dense, tissues.grid, whole_grid_box(tissues.grid), g);
}

// Share of tissue voxels where the death rule's signal reaches its threshold
// (species: the fields in the padded layout, empty where the weight is 0).
template <class Real>
double death_active_fraction(const Rule& death, const std::vector<std::vector<Real>>& species,
                             const Discretisation& disc) {
  std::int64_t active = 0, tissue = 0;
  for (std::size_t i = 0; i < disc.material.size(); ++i) {
    if (disc.material[i] == 0) continue;
    ++tissue;
    Real signal = 0;
    for (std::size_t k = 0; k < species.size(); ++k)
      if (!species[k].empty()) signal += Real(death.signal[k]) * species[k][i];
    active += signal >= Real(death.threshold) ? 1 : 0;
  }
  return tissue ? double(active) / double(tissue) : 0.0;
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

// Bytes a case needs in the backend's memory: two buffers per field and
// the material map (the GPU also holds the runs, small next to these), and
// on the CPU the staging field and the discretisation's own material map.
double case_bytes(int n, int fields, Precision p, bool gpu) {
  const double padded = double(make_grid_layout(n, n, n).size);
  const double real = double(real_bytes(p));
  if (gpu) return padded * (2.0 * fields * real + sizeof(MaterialId)) * 1.05 + 256.0 * (1 << 20);
  return padded * (2.0 * fields * real + real + 2.0 * sizeof(MaterialId)) + double(n) * n * n * 2.0;
}

// CPU time of this process, all threads.
double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

std::string case_label(int n, int species, Precision p, const std::string& kind) {
  return fmt::format("{}^3 {} x {} {}", n, species, precision_label(p), kind);
}

// "64^3 5+2 x float storm-box model" (species + populations; model or transport).
std::string storm_label(int n, const Scenario& s, Precision p, bool model) {
  return fmt::format("{}^3 {}+{} x {} {} {}", n, s.species.size(), s.populations.size(), precision_label(p),
                     kStormBox, model ? "model" : "transport");
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
    say("GB/s: compulsory bytes per step ({}; fields = species, + populations in the storm box) / median "
        "time; G upd/s: voxel-field updates; % same-sz: of a copy of the case's field bytes\n",
        kFieldBytesFormula);
    say("{:<7} {:<7} {:>6} {:>7} {:<9} {:>11} {:>9} {:>8} {:>8} {:>7} {:>10}  {}\n", "backend", "prec",
        "size", "fields", "domain", "tissue vox", "ms/step", "G upd/s", "GB/s", "% copy", "% same-sz",
        "notes");

    const std::vector<int>& sizes = gpu ? o_.gpu_sizes : o_.cpu_sizes;
    // The organ: at the largest size, 4 float species where the lists allow,
    // so that its dense-box counterpart is one of the cases. The storm box:
    // at the largest size, in every precision.
    const int organ_n = sizes.back();
    const int organ_species = std::count(o_.species.begin(), o_.species.end(), 4) ? 4 : o_.species.back();
    const Precision organ_precision = std::count(o_.precisions.begin(), o_.precisions.end(), Precision::Float)
                                          ? Precision::Float
                                          : o_.precisions.front();
    for (int n : sizes) {
      std::optional<Domain> domain;
      for (Precision p : o_.precisions)
        for (int species : o_.species) run_case(domain, n, species, p, kBox);
      if (n == organ_n) {
        domain.reset();
        run_case(domain, n, organ_species, organ_precision, kOrgan);
        domain.reset();
        for (Precision p : o_.precisions) run_storm_case(domain, n, p);
      }
    }
    say("\n");
  }

  // Skips (with a printed and recorded reason) a case that would not fit:
  // `backends` of them with `fields` fields each at once.
  bool fits(int n, int fields, Precision p, const std::string& kind, const std::string& label,
            int backends = 1) {
    const double needed = backends * case_bytes(n, fields, p, gpu_);
    const double available = device_.memory_gib * kGiB * (gpu_ ? 0.9 : 0.8);
    if (device_.memory_gib <= 0 || needed <= available) return true;
    const std::string reason =
        fmt::format("needs about {:.1f} GiB, more than the {:.1f} GiB usable of the {}'s {:.1f} GiB",
                    needed / kGiB, available / kGiB, gpu_ ? "GPU" : "machine", device_.memory_gib);
    say("{:<7} {:<7} {:>6} {:>7} {:<9} skipped: {}\n", gpu_ ? "gpu" : "cpu", precision_label(p),
        fmt::format("{}^3", n), fields, kind, reason);
    (*backend_)["skipped_cases"].push_back({{"case", label}, {"reason", reason}});
    save();
    return false;
  }

  void run_case(std::optional<Domain>& domain, int n, int species, Precision p, const std::string& kind) {
    if (!fits(n, species, p, kind, case_label(n, species, p, kind))) return;
    if (!domain) {
      const TraceRange range("discretise");
      domain = make_domain(n, kind);
    }
    nlohmann::json result =
        p == Precision::Float ? measure<float>(*domain, species) : measure<double>(*domain, species);
    if (domain->organ()) compare_with_box(result);
    print_row(result);
    (*backend_)["cases"].push_back(std::move(result));
    save();
  }

  // The storm box in one precision: two cases, transport only and with the model.
  void run_storm_case(std::optional<Domain>& domain, int n, Precision p) {
    const Scenario s = storm_scenario(n, p);
    const int fields = field_count(s);
    // Both backends hold their fields at once.
    if (!fits(n, fields, p, kStormBox,
              fmt::format("{}^3 {} x {} {}", n, fields, precision_label(p), kStormBox), 2))
      return;
    if (!domain) {
      const TraceRange range("discretise storm box");
      domain = make_domain(n, kStormBox);
    }
    std::array<nlohmann::json, 2> results =
        p == Precision::Float ? measure_storm<float>(*domain, s) : measure_storm<double>(*domain, s);
    for (nlohmann::json& result : results) {
      print_row(result);
      (*backend_)["cases"].push_back(std::move(result));
    }
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

  // Timed steps for about target_seconds, from the fastest warm-up step.
  int timed_step_count(const std::vector<double>& warmup) const {
    if (o_.steps > 0) return o_.steps;
    const int lo = gpu_ ? o_.gpu_min_steps : o_.cpu_min_steps;
    const int hi = gpu_ ? o_.gpu_max_steps : o_.cpu_max_steps;
    const double estimate = warmup.empty() ? 0 : *std::min_element(warmup.begin(), warmup.end());
    return estimate > 0 ? int(std::clamp(std::ceil(o_.target_seconds / estimate), double(lo), double(hi)))
                        : hi;
  }

  // The figures every case reports.
  template <class Real>
  nlohmann::json case_json(const Domain& domain, const std::string& label, int species, int fields, int steps,
                           const Stats& t, std::size_t field_bytes, double same_bytes,
                           const std::string& launch) const {
    const Precision p = sizeof(Real) == sizeof(float) ? Precision::Float : Precision::Double;
    const Discretisation& disc = domain.disc;
    const GridLayout& g = disc.layout;
    const double tissue = double(domain.tissue_voxels);
    const double interior = double(g.interior_voxels());
    const double bytes = tissue * 2.0 * fields * sizeof(Real) + interior * sizeof(MaterialId);
    const double bandwidth = bytes / t.median;
    return {{"case", label},
            {"precision", precision_label(p)},
            {"nx", g.nx},
            {"ny", g.ny},
            {"nz", g.nz},
            {"species", species},
            {"fields", fields},
            {"domain", domain.kind},
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
            {"updates_per_s", tissue * fields / t.median},
            {"voxel_updates_per_s", tissue / t.median},
            {"bytes_per_step", bytes},
            {"bytes_per_step_formula", fields == species ? kBytesFormula : kFieldBytesFormula},
            {"effective_bandwidth_bytes_per_s", bandwidth},
            {"fraction_of_copy", bandwidth / copy_bandwidth_},
            {"copy_same_bytes", field_bytes},
            {"copy_same_bytes_bandwidth_bytes_per_s", same_bytes},
            {"fraction_of_copy_same_bytes", bandwidth / same_bytes},
            {"launch", launch}};
  }

  template <class Real>
  nlohmann::json measure(const Domain& domain, int species) {
    const Precision p = sizeof(Real) == sizeof(float) ? Precision::Float : Precision::Double;
    const Discretisation& disc = domain.disc;
    const GridLayout& g = disc.layout;
    const std::string label = case_label(domain.n, species, p, domain.kind);
    auto backend = make_for<Real>(gpu_, o_.threads);

    // Before the fields exist, so that the copy never competes with them for memory.
    const std::size_t field_bytes = std::size_t(g.size) * std::size_t(species) * sizeof(Real);
    const double same_bytes = same_bytes_bandwidth(*backend, field_bytes);

    StepParameters<Real> first_step;
    {
      const TraceRange range(("setup " + label).c_str());
      const Scenario s = bench_scenario(domain.n, species, p, domain.organ());
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
      TransportTable<Real> table;
      fill_transport_table(s, disc, plan_time(s).max_dt, table);
      backend->set_transport_table(table);
      fill_step_rates(s, disc, 0.0, plan_time(s).max_dt, nullptr, first_step);
    }

    std::vector<double> warmup;
    {
      const TraceRange range(("warm-up " + label).c_str());
      warmup = backend->timed_steps(first_step, o_.warmup_steps);
    }
    const int steps = timed_step_count(warmup);
    Stats t;
    {
      const TraceRange range(("timed " + label).c_str());
      t = stats_of(backend->timed_steps(first_step, steps));
    }
    const std::string launch = backend->device_info().launch;  // the GPU's plan for this grid
    backend.reset();
    return case_json<Real>(domain, label, species, species, steps, t, field_bytes, same_bytes, launch);
  }

  // The storm box twice on two backends, the same fields and coefficients,
  // one of them with the cell model; timed in alternating rounds (the order
  // swapped each round) so that drifting load falls on both alike.
  // Returns {transport only, model}.
  template <class Real>
  std::array<nlohmann::json, 2> measure_storm(const Domain& domain, const Scenario& s) {
    const Precision p = sizeof(Real) == sizeof(float) ? Precision::Float : Precision::Double;
    const Discretisation& disc = domain.disc;
    const GridLayout& g = disc.layout;
    const FieldLayout fields = field_layout(s);
    const int n_fields = fields.count();
    const int n_species = fields.n_species;
    const std::string labels[2] = {storm_label(domain.n, s, p, false), storm_label(domain.n, s, p, true)};
    const auto death =
        std::find_if(s.rules.begin(), s.rules.end(), [](const Rule& r) { return r.kind == RuleKind::Death; });

    std::array<std::unique_ptr<Backend<Real>>, 2> backends;  // [0] transport only, [1] with the model
    backends[0] = make_for<Real>(gpu_, o_.threads);
    const std::size_t field_bytes = std::size_t(g.size) * std::size_t(n_fields) * sizeof(Real);
    const double same_bytes = same_bytes_bandwidth(*backends[0], field_bytes);
    backends[1] = make_for<Real>(gpu_, o_.threads);

    const double dt = plan_time(s).max_dt;
    std::vector<std::vector<Real>> signal_fields(
        static_cast<std::size_t>(n_species));  // for the death rule's share
    double death_start = 0;
    StepParameters<Real> step[2];  // each backend's next step
    {
      const TraceRange range(("setup " + labels[1]).c_str());
      TransportTable<Real> table;
      fill_transport_table(s, disc, dt, table);
      for (auto& backend : backends) {
        backend->setup(disc, n_fields);
        backend->set_transport_table(table);
      }
      for (int f = 0; f < n_fields; ++f) {
        const std::vector<Real> values =
            to_layout<Real>(f < n_species ? initial_field(s, domain.tissues, f)
                                          : initial_population(s, domain.tissues, f - n_species),
                            domain.tissues, g);
        for (auto& backend : backends) backend->upload_field(f, values);
        if (f < n_species && death->signal[std::size_t(f)] != 0) signal_fields[std::size_t(f)] = values;
      }
      death_start = death_active_fraction(*death, signal_fields, disc);

      CellModelTable<Real> model;
      compile_cell_model(s, disc, dt, model);  // voxels of kSpacing^3, the scenario's seed
      backends[1]->set_cell_model(model);
      fill_step_rates(s, disc, 0.0, dt, nullptr, step[0]);
      fill_rule_drive(s, ModelDrive{}, step[0].rules);
      step[1] = step[0];
    }
    // The steps of `b`'s next `n`, timed; its count goes on from there.
    const auto timed_steps = [&](int b, int n) {
      std::vector<double> t = backends[b]->timed_steps(step[b], n);
      step[b].step += n;
      return t;
    };

    std::vector<double> warmup[2];
    {
      const TraceRange range(("warm-up " + labels[1]).c_str());
      for (int b = 0; b < 2; ++b) warmup[b] = timed_steps(b, o_.warmup_steps);
    }
    // The model's steps are the longer: its count keeps the pair near 2 x target_seconds.
    const int rounds = std::min(kStormRounds, timed_step_count(warmup[1]));
    const int per_round = (timed_step_count(warmup[1]) + rounds - 1) / rounds;
    const int steps = per_round * rounds;
    std::vector<double> times[2];
    double cpu_seconds[2] = {0, 0};  // process CPU time (all threads) of each backend's rounds
    {
      const TraceRange range(("timed " + labels[1]).c_str());
      for (int r = 0; r < rounds; ++r)
        for (int i = 0; i < 2; ++i) {
          const int b = (r % 2 == 0) ? i : 1 - i;
          const double cpu_before = process_cpu_seconds();
          const std::vector<double> t = timed_steps(b, per_round);
          cpu_seconds[b] += process_cpu_seconds() - cpu_before;
          times[b].insert(times[b].end(), t.begin(), t.end());
        }
    }
    for (int k = 0; k < n_species; ++k)
      if (!signal_fields[std::size_t(k)].empty())
        backends[1]->download_field(k, signal_fields[std::size_t(k)]);
    const double death_end = death_active_fraction(*death, signal_fields, disc);
    std::string launch[2];
    for (int b = 0; b < 2; ++b) {
      launch[b] = backends[b]->device_info().launch;
      backends[b].reset();
    }

    const Stats t_transport = stats_of(times[0]);
    const Stats t_model = stats_of(times[1]);
    std::array<nlohmann::json, 2> results = {case_json<Real>(domain, labels[0], n_species, n_fields, steps,
                                                             t_transport, field_bytes, same_bytes, launch[0]),
                                             case_json<Real>(domain, labels[1], n_species, n_fields, steps,
                                                             t_model, field_bytes, same_bytes, launch[1])};
    for (int b = 0; b < 2; ++b) {
      results[b]["model"] = b ? "storm" : "none";
      results[b]["populations"] = fields.n_populations;
      results[b]["rules"] = b ? s.rules.size() : 0;
      // On the CPU, the work a step takes: less sensitive than its wall time
      // to other processes on the cores (OpenMP's spinning at barriers counts).
      if (!gpu_) results[b]["cpu_seconds_per_step"] = cpu_seconds[b] / steps;
    }
    if (!gpu_ && cpu_seconds[0] > 0)
      results[1]["model_cost_vs_transport_cpu_time"] = cpu_seconds[1] / cpu_seconds[0];
    nlohmann::json& m = results[1];
    m["transport_seconds_per_step_median"] = t_transport.median;
    m["model_cost_vs_transport"] = t_model.median / t_transport.median;
    m["model_cost_vs_transport_min"] = t_model.min / t_transport.min;
    m["death_active_fraction_start"] = death_start;
    m["death_active_fraction_end"] = death_end;
    return results;
  }

  // Empty voxels should cost (almost) nothing: the organ's time per tissue
  // voxel against the dense box's of the same grid, species and precision
  // (1.0 is ideal; the target is at most 1.2).
  void compare_with_box(nlohmann::json& organ) {
    organ["cost_per_tissue_voxel_vs_box"] = nullptr;
    organ["time_vs_box"] = nullptr;
    organ["box_seconds_per_step_median"] = nullptr;
    for (const nlohmann::json& c : (*backend_)["cases"]) {
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

  void print_row(const nlohmann::json& c) {
    std::string notes;
    if (c["domain"] == kOrgan) {
      notes = fmt::format("{:.0f}% tissue; ", 100 * c["tissue_fraction"].get<double>());
      notes +=
          c["cost_per_tissue_voxel_vs_box"].is_null()
              ? "no box case to compare with"
              : fmt::format("cost/tissue voxel vs box: {:.2f}x (time {:.2f}x)",
                            c["cost_per_tissue_voxel_vs_box"].get<double>(), c["time_vs_box"].get<double>());
    } else if (c["domain"] == kStormBox) {
      notes =
          fmt::format("{} species + {} populations; ", c["species"].get<int>(), c["populations"].get<int>());
      if (c["model"] == "none")
        notes += "transport only";
      else {
        notes += fmt::format("{} rules: {:.2f}x transport (min {:.2f}x", c["rules"].get<int>(),
                             c["model_cost_vs_transport"].get<double>(),
                             c["model_cost_vs_transport_min"].get<double>());
        if (c.contains("model_cost_vs_transport_cpu_time"))
          notes += fmt::format(", CPU time {:.2f}x", c["model_cost_vs_transport_cpu_time"].get<double>());
        notes += fmt::format("); {:.3g} G voxels/s; death active in {:.0f}% -> {:.0f}%",
                             c["voxel_updates_per_s"].get<double>() / 1e9,
                             100 * c["death_active_fraction_start"].get<double>(),
                             100 * c["death_active_fraction_end"].get<double>());
      }
    }
    say("{:<7} {:<7} {:>6} {:>7} {:<9} {:>11} {:>9.4g} {:>8.3g} {:>8.1f} {:>6.0f}% {:>9.0f}%  {}\n",
        gpu_ ? "gpu" : "cpu", c["precision"].get<std::string>(), fmt::format("{}^3", c["nx"].get<int>()),
        c["fields"].get<int>(), c["domain"].get<std::string>(), c["tissue_voxels"].get<std::int64_t>(),
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
  if (!a.species.empty()) o.species = parse_int_list("--species", a.species, 1, kMaxGpuFields);
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
