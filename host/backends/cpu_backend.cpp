// The CPU backend: fields in host memory, OpenMP kernels from kernels/.
#include <omp.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <limits>

#include <fmt/format.h>

#include "host/backends/backend.hpp"
#include "host/parallel/decomposition.hpp"
#include "kernels/cpu/cpu_kernels.hpp"
#include "kernels/halo_k.hpp"

namespace cyto {
namespace {

template <class Real>
class CpuBackend final : public Backend<Real> {
 public:
  explicit CpuBackend(int threads) : threads_(threads > 0 ? threads : omp_get_max_threads()) {}

  std::string name() const override { return "cpu"; }
  std::string description() const override {
    return fmt::format("cpu (OpenMP, {} thread{})", threads_, threads_ == 1 ? "" : "s");
  }

  void setup(const Discretisation& disc, int n_fields) override {
    layout_ = disc.layout;
    for (int a = 0; a < 3; ++a) inv_h2_[a] = Real(1.0 / (disc.grid.spacing[a] * disc.grid.spacing[a]));
    material_ = disc.material;
    runs_ = disc.runs;
    inner_ = disc.inner;
    shell_ = disc.shell;
    current_.assign(n_fields, std::vector<Real>());
    next_.assign(n_fields, std::vector<Real>());
    source_field_.assign(n_fields, std::vector<Real>());
    in_.assign(n_fields, nullptr);
    out_.assign(n_fields, nullptr);
    field_.assign(n_fields, nullptr);
    for (int f = 0; f < n_fields; ++f) {
      current_[f].assign(std::size_t(layout_.size), Real(0));
      next_[f].assign(std::size_t(layout_.size), Real(0));
    }
  }

  void upload_field(int f, const std::vector<Real>& values) override {
    // Both buffers: voxels that are never written (outside, Dirichlet) must
    // hold their value in whichever buffer is current.
    current_[f] = values;
    next_[f] = values;
  }
  void download_field(int f, std::vector<Real>& values) const override { values = current_[f]; }
  void set_source_field(int f, const std::vector<Real>& values) override { source_field_[f] = values; }
  void set_transport_table(const TransportTable<Real>& table) override { transport_ = table; }
  void set_cell_model(const CellModelTable<Real>& table) override {
    model_table_ = table;
    model_ = model_table_.view();
  }

  void step(const StepParameters<Real>& parameters) override {
    compute(StepPart::Whole, parameters);
    complete_step();
  }

  bool splits_steps() const override { return true; }

  void compute(StepPart part, const StepParameters<Real>& p) override {
    const TissueRuns& runs = part == StepPart::Whole ? runs_ : part == StepPart::Inner ? inner_ : shell_;
    check_step_parameters(p, transport_.diffusion_dt.size(), std::size_t(model_.n_smooth));
    // Pointer tables are refilled, not reallocated: this runs every step.
    const int n_fields = int(current_.size());
    bool any_field = false;
    for (int f = 0; f < n_fields; ++f) {
      in_[f] = current_[f].data();
      out_[f] = next_[f].data();
      field_[f] = source_field_[f].empty() ? nullptr : source_field_[f].data();
      any_field = any_field || field_[f];
    }
    StepArgs<Real> args;
    args.layout = layout_;
    args.n_fields = n_fields;
    args.inv_h2[0] = inv_h2_[0];
    args.inv_h2[1] = inv_h2_[1];
    args.inv_h2[2] = inv_h2_[2];
    args.material = material_.data();
    args.coeff = step_coefficients(transport_, p);
    args.in = in_.data();
    args.out = out_.data();
    args.source_field = any_field ? field_.data() : nullptr;
    args.model = model_for_step(model_, p);
    cpu_fused_step(args, runs, threads_);
  }

  void complete_step() override { current_.swap(next_); }

  void pack_face(int face, int fields, Real* dst) const override {
    const std::int64_t n = face_voxels(layout_, face);
    for (int f = 0; f < fields; ++f) {
      const Real* field = current_[f].data();
      Real* out = dst + std::int64_t(f) * n;
      for (std::int64_t v = 0; v < n; ++v) out[v] = field[face_layer_index(layout_, face, false, v)];
    }
  }

  void unpack_face(int face, int fields, const Real* src) override {
    const std::int64_t n = face_voxels(layout_, face);
    for (int f = 0; f < fields; ++f) {
      Real* field = current_[f].data();
      const Real* in = src + std::int64_t(f) * n;
      for (std::int64_t v = 0; v < n; ++v) field[face_layer_index(layout_, face, true, v)] = in[v];
    }
  }

  void region_tile_sums(int f, const std::vector<int>& region_of_material, int n_regions,
                        std::vector<double>& tile_sums, std::vector<double>& maxima) const override {
    cpu_region_tile_sums(layout_, material_.data(), region_of_material, n_regions, current_[f].data(),
                         kReductionTile, threads_, tile_sums, maxima);
  }

  FieldScan scan_field(int f) const override {
    FieldScan scan;
    cpu_field_scan(layout_, material_.data(), current_[f].data(), threads_, scan.min, scan.max,
                   scan.nonfinite);
    return scan;
  }

  bool prepare_probe(int compared) override {
    if (probe_start_.size() != current_.size() || int(probe_one_.size()) != compared) {
      probe_start_.assign(current_.size(), std::vector<Real>(std::size_t(layout_.size)));
      probe_one_.assign(std::size_t(compared), std::vector<Real>(std::size_t(layout_.size)));
    }
    return true;
  }
  void save_probe_start() override { copy_fields(current_, probe_start_, probe_start_.size()); }
  void restore_probe_start() override { copy_fields(probe_start_, current_, probe_start_.size()); }
  void save_probe_one_step() override { copy_fields(current_, probe_one_, probe_one_.size()); }

  std::vector<double> probe_largest() const override {
    std::vector<double> largest(probe_one_.size());
    for (std::size_t f = 0; f < probe_one_.size(); ++f) {
      const ProbeLargest r =
          cpu_probe_largest(layout_, material_.data(), probe_one_[f].data(), current_[f].data(), threads_);
      largest[f] = r.nan > 0 ? std::numeric_limits<double>::quiet_NaN() : r.largest;
    }
    return largest;
  }

  std::vector<std::int64_t> probe_sums(const std::vector<double>& to_fixed) const override {
    std::vector<std::int64_t> sums(2 * probe_one_.size(), 0);
    for (std::size_t f = 0; f < probe_one_.size(); ++f) {
      if (to_fixed[f] == 0) continue;
      const ProbeSums r = cpu_probe_sums(layout_, material_.data(), probe_one_[f].data(), current_[f].data(),
                                         to_fixed[f], threads_);
      sums[2 * f] = r.difference;
      sums[2 * f + 1] = r.size;
    }
    return sums;
  }

  std::vector<double> timed_steps(const StepParameters<Real>& first, int steps) override {
    StepParameters<Real> p = first;
    std::vector<double> seconds;
    seconds.reserve(std::size_t(steps));
    for (int n = 0; n < steps; ++n) {
      p.step = first.step + n;
      const auto t0 = std::chrono::steady_clock::now();
      step(p);
      seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    return seconds;
  }

  std::vector<double> timed_copies(std::size_t bytes, int repetitions) override {
    const std::size_t n = bytes / sizeof(double);
    std::vector<double> src(n), dst(n);
#pragma omp parallel for schedule(static) num_threads(threads_)
    for (std::size_t i = 0; i < n; ++i) {  // first touch by the copying threads
      src[i] = double(i);
      dst[i] = 0;
    }
    std::vector<double> seconds;
    for (int r = -2; r < repetitions; ++r) {  // two warm-ups
      const auto t0 = std::chrono::steady_clock::now();
      cpu_copy(dst.data(), src.data(), n, threads_);
      const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (r >= 0) seconds.push_back(t);
    }
    if (n > 0 && dst[n - 1] != src[n - 1]) throw RuntimeFailure("the benchmark copy produced a wrong result");
    return seconds;
  }

  BackendDeviceInfo device_info() const override {
    BackendDeviceInfo info;
    info.backend = "cpu";
    std::ifstream cpuinfo("/proc/cpuinfo");
    for (std::string line; std::getline(cpuinfo, line);)
      if (line.rfind("model name", 0) == 0) {
        info.name = line.substr(line.find(':') + 2);
        break;
      }
    if (info.name.empty()) info.name = "unknown CPU";
    info.compute_units = threads_;
    info.memory_gib = double(sysconf(_SC_PHYS_PAGES)) * double(sysconf(_SC_PAGE_SIZE)) / double(1 << 30);
    info.launch = fmt::format("OpenMP, {} threads", threads_);
    return info;
  }

 private:
  void copy_fields(const std::vector<std::vector<Real>>& from, std::vector<std::vector<Real>>& to,
                   std::size_t fields) const {
    for (std::size_t f = 0; f < fields; ++f)
      cpu_copy_field(to[f].data(), from[f].data(), std::int64_t(from[f].size()), threads_);
  }

  int threads_;
  GridLayout layout_;
  std::vector<MaterialId> material_;
  TissueRuns runs_, inner_, shell_;
  std::vector<std::vector<Real>> current_, next_, source_field_;
  std::vector<std::vector<Real>> probe_start_, probe_one_;  // the step-error probe's copies
  std::vector<const Real*> in_, field_;
  std::vector<Real*> out_;
  TransportTable<Real> transport_;
  CellModelTable<Real> model_table_;
  CellModel<Real> model_;  // model_table_'s view; each step adds its drive and number
  Real inv_h2_[3] = {0, 0, 0};
};

}  // namespace
}  // namespace cyto

namespace cyto {

template <class Real>
std::unique_ptr<Backend<Real>> make_cpu_backend(int threads) {
  return std::make_unique<CpuBackend<Real>>(threads);
}
template std::unique_ptr<Backend<float>> make_cpu_backend<float>(int);
template std::unique_ptr<Backend<double>> make_cpu_backend<double>(int);

}  // namespace cyto
