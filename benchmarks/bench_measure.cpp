#include "benchmarks/bench_measure.hpp"

#include <time.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>

#include <fmt/format.h>

#include "host/core/error.hpp"
#include "host/core/trace.hpp"
#include "host/model/cell_model.hpp"
#include "host/model/coefficients.hpp"
#include "host/model/field_layout_copy.hpp"
#include "host/model/initial_state.hpp"
#include "host/solver/simulation.hpp"

namespace cyto::bench {
namespace {

constexpr int kStormRounds = 5;  // alternating rounds of transport-only and model steps

template <class Real>
constexpr Precision precision_of() {
  return sizeof(Real) == sizeof(float) ? Precision::Float : Precision::Double;
}

template <class Real>
std::unique_ptr<Backend<Real>> make_for(bool gpu, int threads) {
  if (gpu) return make_gpu_backend<Real>();
  return make_cpu_backend<Real>(threads);
}

// Same-bytes copy bandwidth, measured once per size on this backend.
template <class Real>
double same_bytes_bandwidth(BackendBench& bench, Backend<Real>& backend, std::size_t bytes) {
  auto it = bench.same_bytes_copies.find(bytes);
  if (it == bench.same_bytes_copies.end()) {
    const TraceRange range("copy same bytes");
    const Stats s = stats_of(backend.timed_copies(bytes, bench.options.same_bytes_copy_repetitions));
    it = bench.same_bytes_copies.emplace(bytes, 2.0 * double(bytes) / s.median).first;
  }
  return it->second;
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

template <class Real>
CaseTiming measure_transport_in(BackendBench& bench, const Domain& domain, const Scenario& s) {
  const Discretisation& disc = domain.disc;
  const GridLayout& g = disc.layout;
  const int species = int(s.species.size());
  CaseTiming result;
  result.label = case_label(domain.n, species, precision_of<Real>(), domain.kind);
  result.species = result.fields = species;
  auto backend = make_for<Real>(bench.gpu, bench.options.threads);

  // Before the fields exist, so that the copy never competes with them for memory.
  result.field_bytes = std::size_t(g.size) * std::size_t(species) * sizeof(Real);
  result.same_bytes_bandwidth = same_bytes_bandwidth(bench, *backend, result.field_bytes);

  StepParameters<Real> first_step;
  {
    const TraceRange range(("setup " + result.label).c_str());
    backend->setup(disc, species);
    // Varied, non-zero values: a constant field would let nothing differ
    // between voxels, and zeros could hit special cases in arithmetic.
    std::vector<Real> values(std::size_t(g.size));
    for (int k = 0; k < species; ++k) {
      const std::int64_t size = g.size;
#pragma omp parallel for schedule(static)
      for (std::int64_t i = 0; i < size; ++i)
        values[std::size_t(i)] =
            Real(1.0 + 0.5 * double((std::uint64_t(i) * 2654435761u + 97u * std::uint64_t(k)) % 1000) / 1000);
      backend->upload_field(k, values);
    }
    TransportTable<Real> table;
    fill_transport_table(s, disc, plan_time(s).max_dt, table);
    backend->set_transport_table(table);
    fill_step_rates(s, disc, 0.0, plan_time(s).max_dt, nullptr, first_step);
  }

  std::vector<double> warmup;
  {
    const TraceRange range(("warm-up " + result.label).c_str());
    warmup = backend->timed_steps(first_step, bench.options.warmup_steps);
  }
  result.steps = bench.timed_step_count(warmup);
  {
    const TraceRange range(("timed " + result.label).c_str());
    result.seconds_per_step = stats_of(backend->timed_steps(first_step, result.steps));
  }
  result.launch = backend->device_info().launch;
  return result;
}

// The storm box twice on two backends, the same fields and coefficients,
// one of them with the cell model; timed in alternating rounds (the order
// swapped each round) so that drifting load falls on both alike.
template <class Real>
StormTiming measure_storm_in(BackendBench& bench, const Domain& domain, const Scenario& s,
                             const Rule& death) {
  const Discretisation& disc = domain.disc;
  const GridLayout& g = disc.layout;
  const FieldLayout fields = field_layout(s);
  const int n_fields = fields.count();
  const int n_species = fields.n_species;
  StormTiming result;
  CaseTiming* timings[2] = {&result.transport, &result.model};
  for (int b = 0; b < 2; ++b) {
    timings[b]->label = storm_label(domain.n, s, b == 1);
    timings[b]->species = n_species;
    timings[b]->fields = n_fields;
  }
  result.populations = fields.n_populations;
  result.rules = int(s.rules.size());

  std::array<std::unique_ptr<Backend<Real>>, 2> backends;  // [0] transport only, [1] with the model
  backends[0] = make_for<Real>(bench.gpu, bench.options.threads);
  const std::size_t field_bytes = std::size_t(g.size) * std::size_t(n_fields) * sizeof(Real);
  const double same_bytes = same_bytes_bandwidth(bench, *backends[0], field_bytes);
  backends[1] = make_for<Real>(bench.gpu, bench.options.threads);

  const double dt = plan_time(s).max_dt;
  std::vector<std::vector<Real>> signal_fields(
      static_cast<std::size_t>(n_species));  // for the death rule's share
  StepParameters<Real> step[2];              // each backend's next step
  {
    const TraceRange range(("setup " + result.model.label).c_str());
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
      if (f < n_species && death.signal[std::size_t(f)] != 0) signal_fields[std::size_t(f)] = values;
    }
    result.death_active_fraction_start = death_active_fraction(death, signal_fields, disc);
    // The model's table at the start of the run: the scenario's voxels and seed.
    CellModelTable<Real> model;
    compile_cell_model(s, disc, dt, model);
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
    const TraceRange range(("warm-up " + result.model.label).c_str());
    for (int b = 0; b < 2; ++b) warmup[b] = timed_steps(b, bench.options.warmup_steps);
  }
  // The model's steps are the longer: its count keeps the pair near 2 x target_seconds.
  const int rounds = std::min(kStormRounds, bench.timed_step_count(warmup[1]));
  const int per_round = (bench.timed_step_count(warmup[1]) + rounds - 1) / rounds;
  std::vector<double> times[2];
  {
    const TraceRange range(("timed " + result.model.label).c_str());
    for (int r = 0; r < rounds; ++r)
      for (int i = 0; i < 2; ++i) {
        const int b = (r % 2 == 0) ? i : 1 - i;
        const double cpu_before = process_cpu_seconds();
        const std::vector<double> t = timed_steps(b, per_round);
        result.cpu_seconds[b] += process_cpu_seconds() - cpu_before;
        times[b].insert(times[b].end(), t.begin(), t.end());
      }
  }
  for (int k = 0; k < n_species; ++k)
    if (!signal_fields[std::size_t(k)].empty()) backends[1]->download_field(k, signal_fields[std::size_t(k)]);
  result.death_active_fraction_end = death_active_fraction(death, signal_fields, disc);
  for (int b = 0; b < 2; ++b) {
    timings[b]->steps = per_round * rounds;
    timings[b]->seconds_per_step = stats_of(times[b]);
    timings[b]->field_bytes = field_bytes;
    timings[b]->same_bytes_bandwidth = same_bytes;
    timings[b]->launch = backends[b]->device_info().launch;
    backends[b].reset();
  }
  return result;
}

}  // namespace

const char* precision_label(Precision p) { return p == Precision::Float ? "float" : "double"; }
std::size_t real_bytes(Precision p) { return p == Precision::Float ? sizeof(float) : sizeof(double); }

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

double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

Domain make_domain(const Scenario& scenario, int n, const std::string& kind, const std::string& problem) {
  TissueMap tissues = rasterise_tissues(scenario);
  Domain d;
  d.n = n;
  d.kind = kind;
  d.problem = problem;
  d.tissue_voxels = tissues.tissue_voxels;
  d.disc = discretise(scenario, tissues);
  if (kind == kStormBox) d.tissues = std::move(tissues);
  return d;
}

int BackendBench::timed_step_count(const std::vector<double>& warmup) const {
  if (options.steps > 0) return options.steps;
  const int lo = gpu ? options.gpu_min_steps : options.cpu_min_steps;
  const int hi = gpu ? options.gpu_max_steps : options.cpu_max_steps;
  const double estimate = warmup.empty() ? 0 : *std::min_element(warmup.begin(), warmup.end());
  return estimate > 0 ? int(std::clamp(std::ceil(options.target_seconds / estimate), double(lo), double(hi)))
                      : hi;
}

CaseTiming measure_transport(BackendBench& bench, const Domain& domain, const Scenario& scenario) {
  return scenario.precision == Precision::Float ? measure_transport_in<float>(bench, domain, scenario)
                                                : measure_transport_in<double>(bench, domain, scenario);
}

const Rule& storm_death_rule(const Scenario& scenario, const std::string& problem) {
  const auto death = std::find_if(scenario.rules.begin(), scenario.rules.end(),
                                  [](const Rule& r) { return r.kind == RuleKind::Death; });
  if (death == scenario.rules.end())
    throw InputError(SourceLocation{problem, 0, 0, "rules"},
                     "expected a death rule (the storm box reports where it is active), found none");
  return *death;
}

StormTiming measure_storm(BackendBench& bench, const Domain& domain, const Scenario& scenario) {
  const Rule& death = storm_death_rule(scenario, domain.problem);
  return scenario.precision == Precision::Float ? measure_storm_in<float>(bench, domain, scenario, death)
                                                : measure_storm_in<double>(bench, domain, scenario, death);
}

std::string case_label(int n, int species, Precision p, const std::string& kind) {
  return fmt::format("{}^3 {} x {} {}", n, species, precision_label(p), kind);
}

std::string storm_label(int n, const Scenario& s, bool model) {
  return fmt::format("{}^3 {}+{} x {} {} {}", n, s.species.size(), s.populations.size(),
                     precision_label(s.precision), kStormBox, model ? "model" : "transport");
}

}  // namespace cyto::bench
