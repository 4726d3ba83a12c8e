// The CUDA side, as seen from host code: no CUDA types in this header, so
// host/ compiles without nvcc. Implemented in kernels/cuda_*.cu when CUDA is
// built. Every function throws DeviceError (kernels/device_error.hpp) on a
// failed CUDA call or launch; `stream` is a cudaStream_t (nullptr: default).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "kernels/probe_k.hpp"
#include "kernels/step_params.hpp"

namespace cyto {

struct CudaDeviceInfo {
  bool available = false;
  std::string reason;    // why not available (e.g. "CUDA driver version is insufficient ...")
  int index = 0;         // the device asked about (CUDA's numbering, after CUDA_VISIBLE_DEVICES)
  int device_count = 0;  // devices this process sees
  std::string name;
  int sm_count = 0;
  int compute_major = 0, compute_minor = 0;
  double memory_gib = 0;
  int driver_version = 0;   // e.g. 13000 for CUDA 13.0
  int runtime_version = 0;  // the runtime this build links
};

// Asks the CUDA runtime for device `device` (and how many there are). A
// machine without a GPU (no device, or "driver version is insufficient")
// reports available = false with the runtime's reason, as does a device
// number beyond the count; never throws.
CudaDeviceInfo cuda_probe_device(int device = 0);

// Makes `device` the current device of the calling host thread: every later
// CUDA call from that thread (streams, allocations, launches) goes to it.
// Several processes may select the same device (ranks sharing a GPU).
void cuda_select_device(int device);

// How the fused step is launched: columns of `lanes` voxels along x, one per
// thread, in blocks of `threads_per_block`, each marching `z_chunk` planes.
struct ColumnLaunchPlan {
  int lanes = 0;
  int threads_per_block = 0;
  int z_chunk = 0;
  std::int64_t columns_per_plane = 0;
  std::int64_t blocks = 0;
  int resident_blocks_per_sm = 0;  // occupancy of the compiled kernel
};

// Chooses the launch for a grid and field count. threads_per_block and
// z_chunk of 0 mean automatic: 128 threads, and the z-chunk length that
// minimises (waves of resident blocks) x (planes each block reads, its
// chunk plus two).
template <class Real>
ColumnLaunchPlan cuda_plan_fused_step(const GridLayout& layout, int n_fields, int threads_per_block = 0,
                                      int z_chunk = 0);

// One fused step of every field (device pointers in `args`), enqueued on `stream`.
template <class Real>
void cuda_fused_step(const ColumnStepArgs<Real>& args, int n_fields, const ColumnLaunchPlan& plan,
                     void* stream);

// MPI overlap: after cuda_fused_step ran with stale halos and the halos were
// unpacked, recomputes the voxels next to the exchanged faces (bits of
// exchanged_mask: face 2 axis + side) from the same args, enqueued on `stream`.
template <class Real>
void cuda_shell_step(const ColumnStepArgs<Real>& args, int n_fields, unsigned exchanged_mask, void* stream);

// A plain copy kernel (16-byte loads and stores, grid-stride): the bandwidth
// ceiling the step is measured against. bytes must be a multiple of 16.
void cuda_copy(void* dst, const void* src, std::size_t bytes, void* stream);

// MPI halo faces on the device, numbered as kernels/halo_k.hpp does (face
// f = 2 axis + side). `field_ptrs` is a host array of `fields` device
// pointers (1 to kMaxFields); they reach the kernel by value, so no pointer
// table lives in device memory. cuda_pack_face writes the interior layer
// next to face f of each field to `dst` (device, face_voxels(layout, face) *
// fields values): field-major, then n = 0 .. face_voxels - 1 at
// face_layer_index(layout, face, false, n), exactly CpuBackend::pack_face's
// order. cuda_unpack_face reads `src` (device) in the same order into the
// halo layer beyond face f. Both are enqueued on `stream`.
template <class Real>
void cuda_pack_face(const GridLayout& layout, int face, int fields, const Real* const* field_ptrs, Real* dst,
                    void* stream);
template <class Real>
void cuda_unpack_face(const GridLayout& layout, int face, int fields, Real* const* field_ptrs,
                      const Real* src, void* stream);

// Per reduction tile (edge `tile`, from the grid's origin; tiles numbered
// x fastest) and region: the sum and the maximum of `field` over the tile's
// voxels of that region, bit for bit as cpu_region_tile_sums computes them.
// One thread per tile adds its voxels in storage order (k, j, i), in double,
// each region's sum starting from 0.0; the maximum keeps a NaN (v > max or
// v != v). The per-thread body is region_tile_sum (kernels/tile_sum_k.hpp),
// which the host tests run against the CPU's. Writes tile_sums[t *
// n_regions + r] and tile_max[t * n_regions + r] (device arrays of tiles *
// n_regions; an empty region gives 0 and -inf). region_of_material
// (device, n_materials entries) maps a material to its region or -1; a
// material beyond the map, or a region outside [0, n_regions), counts as
// none (on the CPU neither may happen).
template <class Real>
void cuda_region_tile_sums(const GridLayout& layout, const MaterialId* material,
                           const int* region_of_material, int n_materials, int n_regions, const Real* field,
                           int tile, double* tile_sums, double* tile_max, void* stream);

// The blow-up guard's scan of a field over the tissue voxels (material != 0):
// minimum and maximum of the finite values (a zero as +0) and the count of
// NaN or infinite ones; min = +inf, max = -inf where no tissue value is
// finite. One CUB reduction over the padded layout, reading the material map.
struct MinMaxCount {
  double min;
  double max;
  std::int64_t nonfinite;
};
// Scratch bytes cuda_field_scan needs for a field of `size` elements (layout.size).
std::size_t cuda_field_scan_scratch_bytes(std::int64_t size);
// Writes one result to `result` (device), enqueued on `stream`.
template <class Real>
void cuda_field_scan(const Real* field, const MaterialId* material, std::int64_t size, MinMaxCount* result,
                     void* scratch, std::size_t scratch_bytes, void* stream);

// The step-error probe's reductions over the tissue voxels (material != 0)
// of two fields (kernels/probe_k.hpp): the largest |one| or |two| with a
// count of NaN, and the fixed-point sums of |one - two| and |two|. One CUB
// reduction each over the padded layout; a maximum and integer sums, so the
// results are the CPU's to the bit. Scratch bytes for `size` elements:
std::size_t cuda_probe_scratch_bytes(std::int64_t size);
// Each writes one result to `result` (device), enqueued on `stream`.
template <class Real>
void cuda_probe_largest(const Real* one, const Real* two, const MaterialId* material, std::int64_t size,
                        ProbeLargest* result, void* scratch, std::size_t scratch_bytes, void* stream);
template <class Real>
void cuda_probe_sums(const Real* one, const Real* two, double to_fixed, const MaterialId* material,
                     std::int64_t size, ProbeSums* result, void* scratch, std::size_t scratch_bytes,
                     void* stream);

}  // namespace cyto
