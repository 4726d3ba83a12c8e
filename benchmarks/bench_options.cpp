// `cytostorm bench`'s command line, checked and resolved into SuiteOptions.
#include <algorithm>
#include <sstream>

#include <fmt/format.h>

#include "benchmarks/bench_suite.hpp"
#include "host/core/error.hpp"
#include "host/scenario/limits.hpp"

namespace cyto::bench {
namespace {

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

BackendSelection parse_backend(const std::string& text) {
  if (text == "auto") return BackendSelection::Auto;
  if (text == "cpu") return BackendSelection::Cpu;
  if (text == "gpu") return BackendSelection::Gpu;
  if (text == "all") return BackendSelection::All;
  throw InputError(option("--backend"), fmt::format("expected auto, cpu, gpu or all, found \"{}\"", text));
}

// --quick: for tests and CI, small and short.
void make_quick(SuiteOptions& o, bool backend_given) {
  if (!backend_given) o.backends = BackendSelection::Cpu;
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

}  // namespace

SuiteOptions resolve_options(const BenchArgs& a) {
  SuiteOptions o;
  o.backends = parse_backend(a.backend);
  o.quick = a.quick;
  if (a.quick) make_quick(o, a.backend_given);
  // 8 voxels is the least on which the organ keeps a source and an inside;
  // 2048^3 is far past any device's memory (the memory check says so).
  if (!a.sizes.empty()) o.gpu_sizes = o.cpu_sizes = parse_int_list("--sizes", a.sizes, 8, 2048);
  if (!a.species.empty()) o.species = parse_int_list("--species", a.species, 1, scenario_limits::kMaxSpecies);
  if (!a.precision.empty()) o.precisions = parse_precisions(a.precision);
  if (a.steps < 0) throw InputError(option("--steps"), fmt::format("expected at least 1, found {}", a.steps));
  if (a.threads < 0)
    throw InputError(option("--threads"), fmt::format("expected 0 or more, found {}", a.threads));
  o.steps = a.steps;
  o.threads = a.threads;
  if (a.output.empty()) throw InputError(option("--output"), "expected a file name, found \"\"");
  o.output = a.output;
  o.problems = a.problems;
  return o;
}

}  // namespace cyto::bench
