// The GPU backend: fields in device memory, owned by RAII buffers; the
// fused column-marching step, the field scan (CUB) and the exact tile sums
// from kernels/. Compiled only when CUDA is built. Every CUDA call is
// checked (CYTO_CUDA_CHECK).
#include <cuda_runtime_api.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "host/backends/backend.hpp"
#include "host/backends/gpu_resources.hpp"
#include "host/backends/gpu_step_parameters.hpp"
#include "host/core/trace.hpp"
#include "host/model/field_layout_copy.hpp"
#include "host/parallel/decomposition.hpp"
#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/cuda_kernels.hpp"
#include "kernels/halo_k.hpp"

namespace cyto {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

int env_int(const char* name) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return 0;
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  if (*end != '\0' || value < 0 || value > 1 << 20)
    throw InputError({name, 0, 0, ""}, fmt::format("expected a non-negative integer, found \"{}\"", text));
  return int(value);
}

std::string cuda_version_text(int version) {
  return fmt::format("{}.{}", version / 1000, (version % 1000) / 10);
}

// This process's index among the ranks on its node, as the MPI launcher
// announces it: Open MPI, then MPICH and Intel MPI (Hydra), then SLURM's
// srun. None of them set: not launched by MPI (or by one we do not know).
struct LocalRank {
  int rank = 0;
  const char* variable = "";
};
std::optional<LocalRank> local_rank_from_environment() {
  for (const char* name : {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "SLURM_LOCALID"}) {
    const char* text = std::getenv(name);
    if (text == nullptr || *text == '\0') continue;
    char* end = nullptr;
    const long value = std::strtol(text, &end, 10);
    if (*end != '\0' || value < 0 || value > std::numeric_limits<int>::max())
      throw InputError({name, 0, 0, ""},
                       fmt::format("expected a local rank (a non-negative integer), found \"{}\"", text));
    return LocalRank{int(value), name};
  }
  return std::nullopt;
}

template <class Real>
class GpuBackend final : public Backend<Real> {
 public:
  // `device` is already the calling thread's current device (make_gpu_backend
  // selects it); `placement` says which of the node's GPUs it is and why.
  GpuBackend(CudaDeviceInfo device, std::string placement)
      : device_(std::move(device)), placement_(std::move(placement)) {}
  // Queued copies from the pinned halo buffers finish before they are freed.
  ~GpuBackend() override { cudaStreamSynchronize(stream_.get()); }  // never throws
  GpuBackend(const GpuBackend&) = delete;
  GpuBackend& operator=(const GpuBackend&) = delete;

  std::string name() const override { return "gpu"; }
  std::string description() const override {
    return fmt::format("gpu ({}, {} SMs, sm_{}{}, {:.1f} GiB)", device_.name, device_.sm_count,
                       device_.compute_major, device_.compute_minor, device_.memory_gib);
  }

  void setup(const Discretisation& disc, int n_fields) override {
    TraceRange trace("gpu setup");
    layout_ = disc.layout;
    n_fields_ = n_fields;
    exchanged_mask_ = 0;
    for (int f = 0; f < 6; ++f)
      if (disc.exchanged[std::size_t(f)]) exchanged_mask_ |= 1u << f;
    for (int a = 0; a < 3; ++a) inv_h2_[a] = Real(1.0 / (disc.grid.spacing[a] * disc.grid.spacing[a]));

    const std::size_t cells = std::size_t(layout_.size);
    std::int64_t tissue_voxels = 0;
    for (MaterialId m : disc.material) tissue_voxels += m != 0;
    const double field_bytes = double(cells) * sizeof(Real);
    const double needed = 2.0 * n_fields * field_bytes + double(cells) * sizeof(MaterialId) +
                          double(tissue_voxels) * sizeof(std::uint32_t) +
                          64.0 * 1024 * 1024;  // + tables, scratch
    require_device_memory(
        needed, fmt::format("{} species x 2 buffers of {:.2f} GiB, a material map of {:.2f} GiB", n_fields,
                            field_bytes / kGiB, double(cells) * sizeof(MaterialId) / kGiB));
    try {
      current_.clear();
      next_.clear();
      source_.clear();
      for (int f = 0; f < n_fields; ++f) {
        current_.emplace_back(cells);
        next_.emplace_back(cells);
        source_.emplace_back();
      }
      material_ = DeviceBuffer<MaterialId>(cells);
      material_.upload(disc.material, stream_.get());
      // An MPI block's halo holds its neighbours' material (the stencil needs
      // it), and the column kernel also writes the x-halo columns of tissue
      // there (values never read: halos are refilled before use). The guard's
      // scan sees the block's own voxels only, through a map without the halo.
      interior_material_ = DeviceBuffer<MaterialId>();
      if (exchanged_mask_ != 0) {
        interior_host_ = padded_without_halo(disc.material, layout_);
        interior_material_ = DeviceBuffer<MaterialId>(cells);
        interior_material_.upload(interior_host_, stream_.get());
      }
      scan_result_ = DeviceBuffer<MinMaxCount>(1);
      scan_scratch_ = DeviceBuffer<unsigned char>(cuda_field_scan_scratch_bytes(layout_.size));
      stream_.synchronize();
    } catch (const DeviceError& e) {
      if (!e.out_of_memory()) throw;
      throw RuntimeFailure(
          fmt::format("not enough GPU memory: the scenario needs about {:.2f} GiB and GPU {} ({}, "
                      "{:.2f} GiB) could not provide it ({}); use a coarser grid, fewer species, "
                      "float precision, or --backend cpu",
                      needed / kGiB, device_.index, device_.name, device_.memory_gib, e.what()));
    }
    plan_ = cuda_plan_fused_step<Real>(layout_, n_fields, env_int("CYTOSTORM_GPU_BLOCK"),
                                       env_int("CYTOSTORM_GPU_ZCHUNK"));
    // Halo staging is sized on first use, for this layout and field count.
    halo_device_ = DeviceBuffer<Real>();
    halo_capacity_ = 0;
    probe_start_.clear();
    probe_one_.clear();
    probe_refused_ = false;
  }

  void upload_field(int f, const std::vector<Real>& values) override {
    // Both buffers: voxels that are never updated (outside, held) must hold
    // their value in whichever buffer is current.
    current_[f].upload(values, stream_.get());
    next_[f].upload(values, stream_.get());
    stream_.synchronize();
  }

  void download_field(int f, std::vector<Real>& values) const override {
    TraceRange trace("gpu download");
    values.resize(current_[f].size());
    CYTO_CUDA_CHECK(cudaMemcpyAsync(values.data(), current_[f].get(), current_[f].bytes(),
                                    cudaMemcpyDeviceToHost, stream_.get()));
    stream_.synchronize();
  }

  void set_source_field(int f, const std::vector<Real>& values) override {
    if (values.empty()) {
      source_[f] = DeviceBuffer<Real>();
      return;
    }
    if (values.size() != std::size_t(layout_.size))
      throw RuntimeFailure(fmt::format("internal: a source field of {} values for a layout of {}",
                                       values.size(), layout_.size));
    if (source_[f].size() != values.size()) {
      require_device_memory(double(values.size()) * sizeof(Real), "a per-voxel source field");
      source_[f] = DeviceBuffer<Real>(values.size());
    }
    source_[f].upload(values, stream_.get());
    stream_.synchronize();
  }

  // Once per dt: the tables are copied from pageable memory (which orders
  // the copy after the queued steps), then the stream is drained so that
  // the host tables may change.
  void set_transport_table(const TransportTable<Real>& table) override {
    upload_table(diffusion_dt_, table.diffusion_dt);
    upload_table(fixed_, table.fixed);
    has_fixed_host_ = table.materials_with_fixed_fields(n_fields_);  // must outlive the asynchronous copy
    upload_table(has_fixed_, has_fixed_host_);
    coefficients_ = table.diffusion_dt.size();
    stream_.synchronize();
  }

  void set_cell_model(const CellModelTable<Real>& table) override {
    model_host_ = table;  // must outlive the asynchronous copies
    upload_table(smooth_rules_, model_host_.smooth);
    upload_table(death_rules_, model_host_.deaths);
    upload_table(rule_active_, model_host_.active);
    model_ = model_host_.view();
    model_.smooth = smooth_rules_.get();
    model_.deaths = death_rules_.get();
    model_.active = rule_active_.get();
    stream_.synchronize();
  }

  void step(const StepParameters<Real>& parameters) override {
    compute(StepPart::Whole, parameters);
    complete_step();
  }

  // MPI overlap: Inner launches the column kernel over the whole block
  // while the halos travel (the host waits on MPI meanwhile); Shell, queued
  // after the halos are unpacked, recomputes the voxels next to exchanged
  // faces from the same inputs on the column kernel's path
  // (update_shell_voxel), so each voxel ends with the bits of a step taken
  // with the halos in place. The shell is computed twice: a few percent of
  // a block's voxels.
  bool splits_steps() const override { return exchanged_mask_ != 0; }

  void compute(StepPart part, const StepParameters<Real>& parameters) override {
    check_step_parameters(parameters, coefficients_, std::size_t(model_.n_smooth));
    const ColumnStepArgs<Real> a =
        step_args(step_parameters_.upload(parameters, stream_.get()), parameters.step);
    if (part == StepPart::Shell)
      cuda_shell_step(a, n_fields_, exchanged_mask_, stream_.get());
    else
      cuda_fused_step(a, n_fields_, plan_, stream_.get());
  }

  void complete_step() override { std::swap(current_, next_); }

  void synchronize() override { stream_.synchronize(); }

  // MPI halos. A face layer is gathered on the device into a contiguous
  // staging buffer, copied to page-locked host memory and from there into
  // `dst`: a pageable destination would make the driver stage the copy
  // through pinned memory of its own anyway, and `dst` (the caller's
  // vector, resized as it likes) cannot stay registered with CUDA. The host
  // copy is of one face layer, small next to the step. pack_face waits for
  // the steps issued before it, and returns once `dst` is filled.
  // (With CUDA-aware MPI the staging buffer itself could be sent; the
  // Backend interface speaks host memory for now.)
  void pack_face(int face, int fields, Real* dst) const override {
    TraceRange trace("gpu pack face");
    const std::size_t count = halo_count(face, fields, "pack");
    if (count == 0) return;
    Real* staging = halo_staging();
    std::array<const Real*, kMaxFields> pointers{};
    for (int f = 0; f < fields; ++f) pointers[std::size_t(f)] = current_[std::size_t(f)].get();
    cuda_pack_face<Real>(layout_, face, fields, pointers.data(), staging, stream_.get());
    Real* bounce = pack_bounce_.reserve(halo_capacity_);  // nothing uses it between calls
    CYTO_CUDA_CHECK(
        cudaMemcpyAsync(bounce, staging, count * sizeof(Real), cudaMemcpyDeviceToHost, stream_.get()));
    stream_.synchronize();
    std::memcpy(dst, bounce, count * sizeof(Real));
  }

  // The reverse, without waiting: `src` is copied into this face's pinned
  // buffer at once (the caller may reuse `src` on return), and the upload
  // and the scatter into the halo are queued on the stream, ahead of the
  // next step. Each face has its own pinned buffer, reused only once the
  // previous upload from it is done (an event per face); the device staging
  // buffer is shared, the stream orders its uses.
  void unpack_face(int face, int fields, const Real* src) override {
    TraceRange trace("gpu unpack face");
    const std::size_t count = halo_count(face, fields, "unpack");
    if (count == 0) return;
    Real* staging = halo_staging();
    const std::size_t f_index = std::size_t(face);
    unpack_uploaded_[f_index].wait();
    Real* bounce =
        unpack_bounce_[f_index].reserve(std::size_t(face_voxels(layout_, face)) * std::size_t(n_fields_));
    std::memcpy(bounce, src, count * sizeof(Real));
    CYTO_CUDA_CHECK(
        cudaMemcpyAsync(staging, bounce, count * sizeof(Real), cudaMemcpyHostToDevice, stream_.get()));
    unpack_uploaded_[f_index].record(stream_.get());
    std::array<Real*, kMaxFields> pointers{};
    for (int f = 0; f < fields; ++f) pointers[std::size_t(f)] = current_[std::size_t(f)].get();
    cuda_unpack_face<Real>(layout_, face, fields, pointers.data(), staging, stream_.get());
  }

  // CUDA-aware MPI: one device buffer per face and direction, which MPI
  // reads and writes itself (no host copy). Packing waits for the stream,
  // so no unpack queued in the previous step still reads a receive buffer
  // when MPI is handed it again.
  bool device_halos() const override { return true; }
  Real* pack_face_on_device(int face, int fields) override {
    TraceRange trace("gpu pack face (device)");
    halo_count(face, fields, "pack");
    Real* buffer = direct_halo(face, false);
    std::array<const Real*, kMaxFields> pointers{};
    for (int f = 0; f < fields; ++f) pointers[std::size_t(f)] = current_[std::size_t(f)].get();
    cuda_pack_face<Real>(layout_, face, fields, pointers.data(), buffer, stream_.get());
    stream_.synchronize();
    return buffer;
  }
  Real* receive_buffer_on_device(int face, int fields) override {
    halo_count(face, fields, "receive");
    return direct_halo(face, true);
  }
  void unpack_face_on_device(int face, int fields) override {
    halo_count(face, fields, "unpack");
    std::array<Real*, kMaxFields> pointers{};
    for (int f = 0; f < fields; ++f) pointers[std::size_t(f)] = current_[std::size_t(f)].get();
    cuda_unpack_face<Real>(layout_, face, fields, pointers.data(), direct_halo(face, true), stream_.get());
  }

  // Tile sums on the device (cuda_region_tile_sums adds each tile's voxels
  // in cpu_region_tile_sums's order, so the bits are the CPU's), the tiles'
  // sums and maxima copied back, and the maxima combined over tiles here,
  // exactly as cpu_region_tile_sums combines them.
  void region_tile_sums(int f, const std::vector<int>& region_of_material, int n_regions,
                        std::vector<double>& tile_sums, std::vector<double>& maxima) const override {
    TraceRange trace("gpu region tile sums");
    if (n_regions < 0)
      throw RuntimeFailure(fmt::format("internal: region tile sums of {} regions", n_regions));
    const int tile = kReductionTile;
    const int tx = (layout_.nx + tile - 1) / tile, ty = (layout_.ny + tile - 1) / tile,
              tz = (layout_.nz + tile - 1) / tile;
    const std::size_t tiles = std::size_t(tx) * std::size_t(ty) * std::size_t(tz);
    const std::size_t count = tiles * std::size_t(n_regions);
    const double lowest = -std::numeric_limits<double>::infinity();
    tile_sums.assign(count, 0.0);
    std::vector<double> tile_max(count, lowest);
    if (count > 0) {
      if (region_of_material != tile_region_host_) {  // the region map, cached on the device
        tile_region_host_.clear();
        tile_region_map_ = DeviceBuffer<int>(region_of_material.size());
        tile_region_map_.upload(region_of_material, stream_.get());
        stream_.synchronize();
        tile_region_host_ = region_of_material;  // last: valid only once uploaded
      }
      if (tile_sums_device_.size() < count) {
        tile_sums_device_ = DeviceBuffer<double>(count);
        tile_max_device_ = DeviceBuffer<double>(count);
      }
      cuda_region_tile_sums<Real>(layout_, material_.get(), tile_region_map_.get(),
                                  int(region_of_material.size()), n_regions, current_[std::size_t(f)].get(),
                                  tile, tile_sums_device_.get(), tile_max_device_.get(), stream_.get());
      CYTO_CUDA_CHECK(cudaMemcpyAsync(tile_sums.data(), tile_sums_device_.get(), count * sizeof(double),
                                      cudaMemcpyDeviceToHost, stream_.get()));
      CYTO_CUDA_CHECK(cudaMemcpyAsync(tile_max.data(), tile_max_device_.get(), count * sizeof(double),
                                      cudaMemcpyDeviceToHost, stream_.get()));
      stream_.synchronize();
    }
    maxima.assign(std::size_t(n_regions), lowest);
    for (std::size_t t = 0; t < tiles; ++t)
      for (std::size_t r = 0; r < std::size_t(n_regions); ++r) {
        const double v = tile_max[t * std::size_t(n_regions) + r];
        if (maxima[r] == maxima[r] && (v > maxima[r] || v != v)) maxima[r] = v;
      }
    for (double& m : maxima)
      if (m == 0) m = 0.0;  // -0 as +0: which zero came first depends on the visiting order
  }

  FieldScan scan_field(int f) const override {
    TraceRange trace("gpu field scan");
    cuda_field_scan(current_[f].get(), tissue_map(), layout_.size, scan_result_.get(), scan_scratch_.get(),
                    scan_scratch_.size(), stream_.get());
    MinMaxCount result{};
    CYTO_CUDA_CHECK(
        cudaMemcpyAsync(&result, scan_result_.get(), sizeof(result), cudaMemcpyDeviceToHost, stream_.get()));
    stream_.synchronize();
    FieldScan scan;
    scan.min = result.min;
    scan.max = result.max;
    scan.nonfinite = result.nonfinite;
    return scan;
  }

  // The probe's copies live on the device when they fit (with the same
  // margin as setup's); else the probe copies through the host.
  bool prepare_probe(int compared) override {
    if (probe_refused_) return false;
    if (probe_start_.size() == std::size_t(n_fields_) && probe_one_.size() == std::size_t(compared))
      return true;
    const std::size_t cells = std::size_t(layout_.size);
    const double needed = double(n_fields_ + compared) * double(cells) * sizeof(Real) + 64.0 * 1024 * 1024;
    std::size_t free_bytes = 0, total_bytes = 0;
    CYTO_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
    if (needed > double(free_bytes)) {
      probe_refused_ = true;
      return false;
    }
    probe_start_.clear();
    probe_one_.clear();
    for (int f = 0; f < n_fields_; ++f) probe_start_.emplace_back(cells);
    for (int f = 0; f < compared; ++f) probe_one_.emplace_back(cells);
    probe_largest_ = DeviceBuffer<ProbeLargest>(1);
    probe_sums_ = DeviceBuffer<ProbeSums>(1);
    probe_scratch_ = DeviceBuffer<unsigned char>(cuda_probe_scratch_bytes(layout_.size));
    return true;
  }
  void save_probe_start() override { copy_on_device(current_, probe_start_); }
  void restore_probe_start() override { copy_on_device(probe_start_, current_); }
  void save_probe_one_step() override { copy_on_device(current_, probe_one_); }

  std::vector<double> probe_largest() const override {
    TraceRange trace("gpu probe largest");
    std::vector<double> largest(probe_one_.size());
    for (std::size_t f = 0; f < probe_one_.size(); ++f) {
      cuda_probe_largest(probe_one_[f].get(), current_[f].get(), tissue_map(), layout_.size,
                         probe_largest_.get(), probe_scratch_.get(), probe_scratch_.size(), stream_.get());
      ProbeLargest r{};
      CYTO_CUDA_CHECK(
          cudaMemcpyAsync(&r, probe_largest_.get(), sizeof(r), cudaMemcpyDeviceToHost, stream_.get()));
      stream_.synchronize();
      largest[f] = r.nan > 0 ? std::numeric_limits<double>::quiet_NaN() : r.largest;
    }
    return largest;
  }

  std::vector<std::int64_t> probe_sums(const std::vector<double>& to_fixed) const override {
    TraceRange trace("gpu probe sums");
    std::vector<std::int64_t> sums(2 * probe_one_.size(), 0);
    for (std::size_t f = 0; f < probe_one_.size(); ++f) {
      if (to_fixed[f] == 0) continue;
      cuda_probe_sums(probe_one_[f].get(), current_[f].get(), to_fixed[f], tissue_map(), layout_.size,
                      probe_sums_.get(), probe_scratch_.get(), probe_scratch_.size(), stream_.get());
      ProbeSums r{};
      CYTO_CUDA_CHECK(
          cudaMemcpyAsync(&r, probe_sums_.get(), sizeof(r), cudaMemcpyDeviceToHost, stream_.get()));
      stream_.synchronize();
      sums[2 * f] = r.difference;
      sums[2 * f + 1] = r.size;
    }
    return sums;
  }

  std::vector<double> timed_steps(const StepParameters<Real>& first, int steps) override {
    TraceRange trace("gpu timed steps");
    StepParameters<Real> p = first;
    std::vector<Event> marks(std::size_t(std::max(steps, 0)) + 1);
    marks[0].record(stream_.get());
    for (int n = 0; n < steps; ++n) {
      p.step = first.step + n;
      step(p);
      marks[std::size_t(n) + 1].record(stream_.get());
    }
    stream_.synchronize();
    std::vector<double> seconds;
    for (int n = 0; n < steps; ++n)
      seconds.push_back(marks[std::size_t(n) + 1].seconds_since(marks[std::size_t(n)]));
    return seconds;
  }

  std::vector<double> timed_copies(std::size_t bytes, int repetitions) override {
    TraceRange trace("gpu copy bandwidth");
    bytes = bytes / 16 * 16;
    require_device_memory(2.0 * double(bytes), "the benchmark's copy buffers");
    DeviceBuffer<unsigned char> src(bytes), dst(bytes);
    CYTO_CUDA_CHECK(cudaMemsetAsync(src.get(), 0x5a, bytes, stream_.get()));  // not zeros
    std::vector<double> seconds;
    Event start, stop;
    for (int r = -2; r < repetitions; ++r) {  // two warm-ups
      start.record(stream_.get());
      cuda_copy(dst.get(), src.get(), bytes, stream_.get());
      stop.record(stream_.get());
      stream_.synchronize();
      if (r >= 0) seconds.push_back(stop.seconds_since(start));
    }
    unsigned char last = 0;
    if (bytes > 0) {
      CYTO_CUDA_CHECK(cudaMemcpy(&last, dst.get() + bytes - 1, 1, cudaMemcpyDeviceToHost));
      if (last != 0x5a) throw RuntimeFailure("the benchmark's copy kernel produced a wrong result");
    }
    return seconds;
  }

  BackendDeviceInfo device_info() const override {
    BackendDeviceInfo info;
    info.backend = "gpu";
    info.name = device_.name;
    info.compute_units = device_.sm_count;
    info.architecture = fmt::format("sm_{}{}", device_.compute_major, device_.compute_minor);
    info.memory_gib = device_.memory_gib;
    info.driver = cuda_version_text(device_.driver_version);
    info.runtime = cuda_version_text(device_.runtime_version);
    info.launch = placement_;
    if (plan_.lanes > 0)
      info.launch += fmt::format(
          "; {} voxels per thread along x, {} threads per block, z-chunks of {} planes, {} blocks "
          "({} resident per SM)",
          plan_.lanes, plan_.threads_per_block, plan_.z_chunk, plan_.blocks, plan_.resident_blocks_per_sm);
    return info;
  }

 private:
  // The tissue voxels of this block (the halo of an MPI block holds its neighbours' material).
  const MaterialId* tissue_map() const {
    return exchanged_mask_ ? interior_material_.get() : material_.get();
  }

  // Whole padded fields, from[f] -> to[f] for every f of `to`, queued on the stream.
  void copy_on_device(const std::vector<DeviceBuffer<Real>>& from, std::vector<DeviceBuffer<Real>>& to) {
    for (std::size_t f = 0; f < to.size(); ++f)
      CYTO_CUDA_CHECK(cudaMemcpyAsync(to[f].get(), from[f].get(), from[f].bytes(), cudaMemcpyDeviceToDevice,
                                      stream_.get()));
  }

  // Refuses, before allocating, what the device cannot hold, saying how much
  // was needed and how much the device has.
  void require_device_memory(double bytes, const std::string& what) const {
    std::size_t free_bytes = 0, total_bytes = 0;
    CYTO_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
    if (bytes <= double(free_bytes)) return;
    throw RuntimeFailure(fmt::format(
        "not enough GPU memory: the scenario needs {:.2f} GiB ({}), and GPU {} ({}) has {:.2f} GiB free of "
        "{:.2f} GiB; use a coarser grid, fewer species, float precision, or --backend cpu",
        bytes / kGiB, what, device_.index, device_.name, double(free_bytes) / kGiB,
        double(total_bytes) / kGiB));
  }

  template <class T>
  void upload_table(DeviceBuffer<T>& buffer, const std::vector<T>& values) {
    if (buffer.size() != values.size()) buffer = DeviceBuffer<T>(values.size());
    buffer.upload(values, stream_.get());
  }

  // Values of `fields` fields on face `face`; checks the call.
  std::size_t halo_count(int face, int fields, const char* what) const {
    if (face < 0 || face > 5 || fields < 0 || fields > n_fields_)
      throw RuntimeFailure(
          fmt::format("internal: {} of face {} with {} fields (faces 0 to 5, 0 to {} fields)", what, face,
                      fields, n_fields_));
    return std::size_t(face_voxels(layout_, face)) * std::size_t(fields);
  }

  // The device staging buffer, sized once for the largest face of all fields
  // (halo_count never asks for more), so it is never reallocated under a
  // queued copy.
  Real* halo_staging() const {
    if (halo_capacity_ == 0) {
      std::int64_t largest = 0;
      for (int f = 0; f < 6; ++f) largest = std::max(largest, face_voxels(layout_, f));
      const std::size_t capacity = std::size_t(largest) * std::size_t(n_fields_);
      require_device_memory(double(capacity) * sizeof(Real), "MPI halo staging");
      halo_device_ = DeviceBuffer<Real>(capacity);
      halo_capacity_ = capacity;
    }
    return halo_device_.get();
  }

  // The column kernel's arguments for step number `step` from current_
  // into next_, with the step's parameter block on the device.
  ColumnStepArgs<Real> step_args(const typename DeviceStepParameters<Real>::View& block,
                                 std::int64_t step) const {
    ColumnStepArgs<Real> a;
    a.model = model_;
    a.model.drive = block.rules;
    a.model.step = std::uint64_t(step);
    a.layout = layout_;
    for (int ax = 0; ax < 3; ++ax) a.inv_h2[ax] = inv_h2_[ax];
    a.material = material_.get();
    a.material_has_fixed = has_fixed_.get();
    a.coeff = {diffusion_dt_.get(), block.decay_factor, block.source_rate, block.source_gain, fixed_.get()};
    for (int f = 0; f < n_fields_; ++f) {
      a.in[f] = current_[f].get();
      a.out[f] = next_[f].get();
      a.source_field[f] = source_[f].get();
    }
    return a;
  }

  // Face `face`'s device buffer for sending or receiving, sized on first use for all species.
  Real* direct_halo(int face, bool receive) {
    DeviceBuffer<Real>& buffer = direct_halo_[std::size_t(face) * 2 + (receive ? 1 : 0)];
    if (buffer.size() == 0) {
      const std::size_t capacity = std::size_t(face_voxels(layout_, face)) * std::size_t(n_fields_);
      require_device_memory(double(capacity) * sizeof(Real), "CUDA-aware MPI halo buffers");
      buffer = DeviceBuffer<Real>(capacity);
    }
    return buffer.get();
  }

  CudaDeviceInfo device_;
  Stream stream_;
  GridLayout layout_;
  int n_fields_ = 0;
  Real inv_h2_[3] = {0, 0, 0};
  ColumnLaunchPlan plan_;
  std::vector<DeviceBuffer<Real>> current_, next_, source_;
  DeviceBuffer<MaterialId> material_;
  // The field scan's result and CUB scratch, sized in setup().
  DeviceBuffer<MinMaxCount> scan_result_;
  DeviceBuffer<unsigned char> scan_scratch_;
  std::string placement_;            // which GPU of the node, for device_info().launch
  DeviceBuffer<Real> diffusion_dt_;  // the transport table (per dt)
  DeviceBuffer<std::uint8_t> fixed_, has_fixed_;
  std::size_t coefficients_ = 0;  // entries of the transport table
  DeviceStepParameters<Real> step_parameters_;
  CellModelTable<Real> model_host_;
  CellModel<Real> model_;  // the tables' view with device pointers; each step adds its drive and number
  DeviceBuffer<SmoothRuleK<Real>> smooth_rules_;
  DeviceBuffer<DeathRuleK<Real>> death_rules_;
  DeviceBuffer<std::uint8_t> rule_active_;
  std::vector<std::uint8_t> has_fixed_host_;
  // MPI halo staging: one device buffer for the largest face of all fields
  // (allocated on first use), a pinned buffer for packing and one per face
  // for unpacking, with the event after each face's last upload.
  unsigned exchanged_mask_ = 0;                 // faces whose halo another rank fills (bit 2 axis + side)
  DeviceBuffer<MaterialId> interior_material_;  // material without the halo, for the field scan (MPI blocks)
  std::vector<MaterialId> interior_host_;       // its upload's source, kept until the copy is done
  DeviceBuffer<Real> direct_halo_[12];          // CUDA-aware MPI: per face, send then receive
  mutable DeviceBuffer<Real> halo_device_;
  mutable std::size_t halo_capacity_ = 0;
  mutable PinnedBuffer<Real> pack_bounce_;
  std::array<PinnedBuffer<Real>, 6> unpack_bounce_;
  std::array<Event, 6> unpack_uploaded_;
  // The region map of region_tile_sums, and the tiles' results, on the device.
  mutable std::vector<int> tile_region_host_;
  mutable DeviceBuffer<int> tile_region_map_;
  mutable DeviceBuffer<double> tile_sums_device_, tile_max_device_;
  // The step-error probe's copies (prepare_probe), its results and CUB scratch.
  std::vector<DeviceBuffer<Real>> probe_start_, probe_one_;
  DeviceBuffer<ProbeLargest> probe_largest_;
  DeviceBuffer<ProbeSums> probe_sums_;
  DeviceBuffer<unsigned char> probe_scratch_;
  bool probe_refused_ = false;  // too little device memory: through the host
};

}  // namespace

bool gpu_backend_available() { return cuda_probe_device(0).available; }

// Ranks that share a node share its GPUs round robin: local rank r runs on
// device r mod (devices this process sees). Where the launcher already gives
// each rank its own GPU (CUDA_VISIBLE_DEVICES), that is device 0; several
// ranks on one GPU all take device 0, each with its own context. The
// selection holds for the calling thread, which drives the backend.
template <class Real>
std::unique_ptr<Backend<Real>> make_gpu_backend() {
  auto unavailable = [](const CudaDeviceInfo& d) {
    return gpu_backend_unavailable(fmt::format("no usable GPU ({})", d.reason));
  };
  const CudaDeviceInfo first = cuda_probe_device(0);
  if (!first.available) throw unavailable(first);
  const std::optional<LocalRank> local = local_rank_from_environment();
  const int index = local ? local->rank % first.device_count : 0;
  CudaDeviceInfo device = index == 0 ? first : cuda_probe_device(index);
  if (!device.available) throw unavailable(device);
  cuda_select_device(index);
  std::string placement = local ? fmt::format("device {} of {} (local rank {} from {})", index,
                                              first.device_count, local->rank, local->variable)
                                : fmt::format("device {} of {}", index, first.device_count);
  return std::make_unique<GpuBackend<Real>>(std::move(device), std::move(placement));
}

template std::unique_ptr<Backend<float>> make_gpu_backend<float>();
template std::unique_ptr<Backend<double>> make_gpu_backend<double>();

}  // namespace cyto
