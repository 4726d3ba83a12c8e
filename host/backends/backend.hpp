// The Backend interface: where fields live and how a step runs. Host code
// reaches kernels only through this interface. Transfers use the full padded
// layout (GridLayout, halo included), one field at a time.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "host/core/error.hpp"
#include "host/model/cell_model.hpp"
#include "host/model/coefficients.hpp"
#include "host/model/discretisation.hpp"
#include "kernels/device_error.hpp"  // device faults arrive as DeviceError (exit 1)
#include "kernels/halo_k.hpp"        // face_voxels: the size of a face layer (pack_face)

namespace cyto {

enum class BackendKind { Auto, Cpu, Gpu };

// What a backend runs on, for logs, run summaries and benchmark results.
struct BackendDeviceInfo {
  std::string backend;       // "cpu" or "gpu"
  std::string name;          // CPU model or GPU name
  int compute_units = 0;     // CPU threads or GPU multiprocessors
  std::string architecture;  // e.g. "sm_90"; empty for the CPU
  double memory_gib = 0;     // device memory (GPU) or physical memory (CPU)
  std::string driver;        // GPU driver's CUDA version, e.g. "13.0"; empty for the CPU
  std::string runtime;       // CUDA runtime version; empty for the CPU
  std::string launch;        // how the step is launched (GPU: lanes, block, z-chunk)
};

// As recorded in summary.json and benchmark results.
nlohmann::json device_info_json(const BackendDeviceInfo& device);

// Range of a field over the tissue voxels (material != 0): minimum and maximum of the finite values,
// and how many values are NaN or infinite. For the blow-up guard. Without a
// finite tissue value, min is +inf and max is -inf. A zero counts as +0, so
// the result does not depend on the order voxels are visited in.
struct FieldScan {
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  std::int64_t nonfinite = 0;
};

BackendKind parse_backend_kind(const std::string& text);  // "auto" | "cpu" | "gpu"; InputError otherwise
const char* backend_kind_name(BackendKind kind);

// Which voxels a step computes: all of them, or (MPI, halos in flight) the
// inner voxels first and the shell next to exchanged faces once the halos
// have arrived. Every voxel is computed the same way in either order.
enum class StepPart { Whole, Inner, Shell };

template <class Real>
class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;         // "cpu", "gpu"
  virtual std::string description() const = 0;  // device and threads, for logs and summaries

  // Copies the material map and tissue runs; allocates n_fields fields
  // (species, populations and budget amounts; two buffers each).
  virtual void setup(const Discretisation& disc, int n_fields) = 0;
  virtual void upload_field(int field, const std::vector<Real>& values) = 0;    // layout.size
  virtual void download_field(int field, std::vector<Real>& values) const = 0;  // layout.size
  // Optional per-voxel source rate (pg/mL/s) added to the material's; empty clears it.
  virtual void set_source_field(int field, const std::vector<Real>& values) = 0;
  // What is fixed while the step length dt is, handed over once per dt: the
  // transport coefficients, and the cell model's tables and constants.
  // Without a cell model (no call, or empty tables) steps are transport only.
  virtual void set_transport_table(const TransportTable<Real>& table) = 0;
  virtual void set_cell_model(const CellModelTable<Real>& table) = 0;
  // One explicit step of length dt (as in the tables) with the step's
  // parameter block: its number, decay factors, source rates and gains, and
  // the rules' drive. The block is read during the call (the GPU copies it
  // on its stream; nothing waits): the caller may change it right after.
  virtual void step(const StepParameters<Real>& parameters) = 0;
  // A step in parts: compute() the parts into the next buffer (Inner, then
  // Shell; or Whole), with the same parameters, then complete_step() makes
  // it current. Backends that cannot split say so, and run step() after the halos.
  virtual bool splits_steps() const { return false; }
  virtual void compute(StepPart part, const StepParameters<Real>& parameters);
  virtual void complete_step();
  // MPI halos. Face f = 2 axis + side (side 0: the low face). pack_face copies
  // the layer of interior voxels next to face f of fields [0, fields) into
  // `dst` (host memory; field, then the other two axes, slower one outer);
  // unpack_face writes `src`, in the same order, into the halo layer beyond
  // face f. face_voxels (kernels/halo_k.hpp) is the layer's size per field.
  virtual void pack_face(int face, int fields, Real* dst) const = 0;
  virtual void unpack_face(int face, int fields, const Real* src) = 0;
  // CUDA-aware MPI: a backend whose fields live on a device may hand MPI its
  // per-face device buffers instead. pack_face_on_device packs face f and
  // returns its send buffer once packed (the steps issued before it done);
  // receive_buffer_on_device is where face f's halo lands;
  // unpack_face_on_device scatters it into the halo (queued before the next step).
  virtual bool device_halos() const { return false; }
  virtual Real* pack_face_on_device(int /*face*/, int /*fields*/) { return nullptr; }
  virtual Real* receive_buffer_on_device(int /*face*/, int /*fields*/) { return nullptr; }
  virtual void unpack_face_on_device(int /*face*/, int /*fields*/) {}
  // The step-error probe (Simulation::step_error) in the backend's own
  // memory, so that no field crosses to the host: a copy of every field
  // (halos included) at the probe's start, and a copy of the first
  // `compared` fields after one whole step. prepare_probe allocates them
  // once and says whether it could; false (the default, or a GPU without
  // room for them) leaves the probe to copy through the host.
  virtual bool prepare_probe(int /*compared*/) { return false; }
  virtual void save_probe_start() {}
  virtual void restore_probe_start() {}
  virtual void save_probe_one_step() {}
  // Over this backend's tissue voxels, per compared field f: the largest
  // |one step| or |current| value (NaN where either holds a NaN) ...
  virtual std::vector<double> probe_largest() const { return {}; }
  // ... and sums[2 f], sums[2 f + 1]: |one step - current| and |current|,
  // each voxel's in units of 1 / to_fixed[f] rounded to an integer
  // (kernels/probe_k.hpp); 0 where to_fixed[f] is 0.
  virtual std::vector<std::int64_t> probe_sums(const std::vector<double>& /*to_fixed*/) const { return {}; }
  // Waits until every step issued so far is done (the GPU queues them);
  // a device fault surfaces here at the latest.
  virtual void synchronize() {}
  // Per reduction tile and region, sums of a field added in a fixed order,
  // and per region maxima: as cpu_region_tile_sums, tiles of kReductionTile.
  virtual void region_tile_sums(int field, const std::vector<int>& region_of_material, int n_regions,
                                std::vector<double>& tile_sums, std::vector<double>& maxima) const = 0;
  // The range of field `field` (as for download_field) over the tissue, in one
  // pass on the backend's side: only the three numbers cross to the host.
  // Waits for the steps issued so far.
  virtual FieldScan scan_field(int field) const = 0;

  // For benchmarks. Runs `steps` steps with `first`'s parameters, numbered
  // first.step, first.step + 1, ..., timing each on its own (device events
  // on the GPU, a steady clock on the CPU); seconds per step.
  virtual std::vector<double> timed_steps(const StepParameters<Real>& first, int steps) = 0;
  // A plain copy between two buffers of `bytes` each in this backend's
  // memory (a copy kernel on the GPU, OpenMP on the CPU), timed `repetitions`
  // times after a warm-up; seconds per copy. The bandwidth to compare a step
  // with is 2 * bytes / seconds (read + written).
  virtual std::vector<double> timed_copies(std::size_t bytes, int repetitions) = 0;
  virtual BackendDeviceInfo device_info() const = 0;
};

// A step's parameter block against the tables a backend holds: `coefficients`
// entries per array (materials x fields) and a drive for each of
// `smooth_rules` rules; a RuntimeFailure (internal) where they do not fit.
template <class Real>
void check_step_parameters(const StepParameters<Real>& parameters, std::size_t coefficients,
                           std::size_t smooth_rules);

// Chooses and builds a backend. Auto picks the GPU when one answers and the
// GPU backend is built, else the CPU. Asking for gpu where none can run is an
// InputError that says why.
template <class Real>
std::unique_ptr<Backend<Real>> make_backend(BackendKind kind, int cpu_threads = 0);

// The kind make_backend builds for `kind`: Cpu or Gpu. The InputError of
// make_backend where the GPU is asked for and cannot run here.
BackendKind resolve_backend_kind(BackendKind kind);

// The most fields (species, populations and budget amounts) a backend of
// this kind (Cpu or Gpu) steps: its kernels keep a voxel's fields in fixed
// arrays, and the GPU's are compiled for each count.
int max_fields(BackendKind kind);

// The InputError (at --backend) for the GPU backend asked for where it
// cannot run; `reason` says why.
InputError gpu_backend_unavailable(const std::string& reason);

// One line describing GPU support in this build and on this machine.
std::string gpu_support_summary();

// The CPU backend directly (benchmarks, tests); threads = 0: OpenMP's default.
template <class Real>
std::unique_ptr<Backend<Real>> make_cpu_backend(int threads);

// The GPU backend directly: an InputError naming the reason where this build
// or this machine cannot run it.
template <class Real>
std::unique_ptr<Backend<Real>> make_gpu_backend();

// Whether make_gpu_backend can succeed here (CUDA built in and a device answers).
bool gpu_backend_available();

}  // namespace cyto
