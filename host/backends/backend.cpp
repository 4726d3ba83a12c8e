#include "host/backends/backend.hpp"

#include <fmt/format.h>

#include "kernels/cuda/cuda_kernels.hpp"
#include "kernels/limits.hpp"

namespace cyto {

BackendKind parse_backend_kind(const std::string& text) {
  if (text == "auto") return BackendKind::Auto;
  if (text == "cpu") return BackendKind::Cpu;
  if (text == "gpu") return BackendKind::Gpu;
  throw InputError({"--backend", 0, 0, ""}, fmt::format("expected auto, cpu or gpu, found \"{}\"", text));
}

const char* backend_kind_name(BackendKind kind) {
  switch (kind) {
    case BackendKind::Auto:
      return "auto";
    case BackendKind::Cpu:
      return "cpu";
    case BackendKind::Gpu:
      return "gpu";
  }
  return "?";
}

nlohmann::json device_info_json(const BackendDeviceInfo& d) {
  return {{"backend", d.backend},
          {"name", d.name},
          {"compute_units", d.compute_units},
          {"architecture", d.architecture},
          {"memory_gib", d.memory_gib},
          {"driver", d.driver},
          {"runtime", d.runtime},
          {"launch", d.launch}};
}

template <class Real>
void Backend<Real>::compute(StepPart, const StepParameters<Real>&) {
  throw RuntimeFailure(fmt::format("internal: the {} backend does not split steps", name()));
}
template <class Real>
void Backend<Real>::complete_step() {
  throw RuntimeFailure(fmt::format("internal: the {} backend does not split steps", name()));
}
template class Backend<float>;
template class Backend<double>;

template <class Real>
void check_step_parameters(const StepParameters<Real>& p, std::size_t coefficients,
                           std::size_t smooth_rules) {
  if (p.decay_factor.size() != coefficients || p.source_rate.size() != coefficients ||
      p.source_gain.size() != coefficients || p.rules.size() < smooth_rules)
    throw RuntimeFailure(fmt::format(
        "internal: a step's parameters ({}, {} and {} coefficients, {} rule drives) for tables of {} "
        "coefficients and {} smooth rules",
        p.decay_factor.size(), p.source_rate.size(), p.source_gain.size(), p.rules.size(), coefficients,
        smooth_rules));
}
template void check_step_parameters<float>(const StepParameters<float>&, std::size_t, std::size_t);
template void check_step_parameters<double>(const StepParameters<double>&, std::size_t, std::size_t);

std::string gpu_support_summary() {
#ifdef CYTOSTORM_HAVE_CUDA
  const CudaDeviceInfo info = cuda_probe_device();
  if (!info.available) return fmt::format("CUDA compiled in; no usable GPU ({})", info.reason);
  return fmt::format("CUDA compiled in; GPU 0: {} ({} SMs, sm_{}{}, {:.1f} GiB)", info.name, info.sm_count,
                     info.compute_major, info.compute_minor, info.memory_gib);
#else
  return "no CUDA support in this build (nvcc was not found when it was configured)";
#endif
}

InputError gpu_backend_unavailable(const std::string& reason) {
  return InputError({"--backend", 0, 0, ""},
                    fmt::format("the GPU backend is not available: {}; use --backend cpu or auto", reason));
}

#ifndef CYTOSTORM_HAVE_CUDA
bool gpu_backend_available() { return false; }

template <class Real>
std::unique_ptr<Backend<Real>> make_gpu_backend() {
  throw gpu_backend_unavailable(gpu_support_summary());
}
template std::unique_ptr<Backend<float>> make_gpu_backend<float>();
template std::unique_ptr<Backend<double>> make_gpu_backend<double>();
#endif

BackendKind resolve_backend_kind(BackendKind kind) {
  if (kind == BackendKind::Auto) return gpu_backend_available() ? BackendKind::Gpu : BackendKind::Cpu;
  if (kind == BackendKind::Gpu) {
#ifdef CYTOSTORM_HAVE_CUDA
    const CudaDeviceInfo first = cuda_probe_device(0);
    if (!first.available) throw gpu_backend_unavailable(fmt::format("no usable GPU ({})", first.reason));
#else
    throw gpu_backend_unavailable(gpu_support_summary());
#endif
  }
  return kind;
}

int max_fields(BackendKind kind) { return kind == BackendKind::Gpu ? kMaxGpuFields : kMaxFields; }

template <class Real>
std::unique_ptr<Backend<Real>> make_backend(BackendKind kind, int cpu_threads) {
  if (kind == BackendKind::Gpu || (kind == BackendKind::Auto && gpu_backend_available()))
    return make_gpu_backend<Real>();
  return make_cpu_backend<Real>(cpu_threads);
}

template std::unique_ptr<Backend<float>> make_backend<float>(BackendKind, int);
template std::unique_ptr<Backend<double>> make_backend<double>(BackendKind, int);

}  // namespace cyto
