// MPI on the device: packing the interior layer next to a face into a
// contiguous buffer and unpacking a neighbour's layer into the halo (the
// numbering of kernels/halo_k.hpp, shared with the CPU backend), and the
// per-tile region sums that global reductions are built from, added in the
// CPU's order so that both backends give the same bits.
#include <cuda_runtime.h>

#include <algorithm>
#include <string>

#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/cuda_kernels.hpp"
#include "kernels/halo_k.hpp"
#include "kernels/tile_sum_k.hpp"

namespace cyto {
namespace {

// The fields' device pointers, passed by value (kernel parameters live in
// the constant bank; __grid_constant__ keeps them there).
template <class T>
struct FieldTable {
  T* ptr[kMaxFields];
};

constexpr int kHaloThreads = 256;
constexpr unsigned kMaxHaloBlocks = 1u << 16;  // grid-stride beyond
constexpr int kTileThreads = 128;

// Element e of the packed buffer is voxel n = e mod face_voxels of field
// e / face_voxels: field-major, as CpuBackend::pack_face.
template <class Real>
__global__ void pack_face_kernel(const __grid_constant__ FieldTable<const Real> fields,
                                 const GridLayout layout, int face, std::int64_t per_field,
                                 std::int64_t total, Real* __restrict__ dst) {
  const std::int64_t stride = std::int64_t(gridDim.x) * blockDim.x;
  for (std::int64_t e = std::int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += stride) {
    const std::int64_t f = e / per_field, n = e - f * per_field;
    dst[e] = fields.ptr[f][face_layer_index(layout, face, false, n)];
  }
}

template <class Real>
__global__ void unpack_face_kernel(const __grid_constant__ FieldTable<Real> fields, const GridLayout layout,
                                   int face, std::int64_t per_field, std::int64_t total,
                                   const Real* __restrict__ src) {
  const std::int64_t stride = std::int64_t(gridDim.x) * blockDim.x;
  for (std::int64_t e = std::int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += stride) {
    const std::int64_t f = e / per_field, n = e - f * per_field;
    fields.ptr[f][face_layer_index(layout, face, true, n)] = src[e];
  }
}

// One thread per tile (numbered x fastest, as cpu_region_tile_sums): the
// thread adds its tile's voxels in the CPU's order (region_tile_sum in
// kernels/tile_sum_k.hpp), writing its own row of tile_sums and tile_max,
// so the bits are the CPU's. No atomics, no cross-thread combination.
template <class Real>
__global__ void region_tile_sums_kernel(const GridLayout g, const MaterialId* __restrict__ material,
                                        const int* __restrict__ region_of_material, int n_materials,
                                        int n_regions, const Real* __restrict__ field, int tile, int tx,
                                        int ty, std::int64_t tiles, double* __restrict__ tile_sums,
                                        double* __restrict__ tile_max) {
  const std::int64_t t = std::int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (t >= tiles) return;
  region_tile_sum(g, material, region_of_material, n_materials, n_regions, field, tile, tx, ty, t,
                  tile_sums + t * n_regions, tile_max + t * n_regions);
}

void check_face(int face, int fields, const char* what) {
  if (face < 0 || face > 5 || fields < 0 || fields > kMaxFields)
    throw DeviceError(std::string("internal: ") + what + " of face " + std::to_string(face) + " with " +
                          std::to_string(fields) + " fields (faces 0 to 5, 0 to " +
                          std::to_string(kMaxFields) + " fields)",
                      false);
}

unsigned halo_blocks(std::int64_t total) {
  return unsigned(std::min<std::int64_t>((total + kHaloThreads - 1) / kHaloThreads, kMaxHaloBlocks));
}

}  // namespace

template <class Real>
void cuda_pack_face(const GridLayout& layout, int face, int fields, const Real* const* field_ptrs, Real* dst,
                    void* stream) {
  check_face(face, fields, "cuda_pack_face");
  const std::int64_t per_field = face_voxels(layout, face), total = per_field * fields;
  if (total == 0) return;
  FieldTable<const Real> table{};
  for (int f = 0; f < fields; ++f) table.ptr[f] = field_ptrs[f];
  pack_face_kernel<Real><<<halo_blocks(total), kHaloThreads, 0, static_cast<cudaStream_t>(stream)>>>(
      table, layout, face, per_field, total, dst);
  CYTO_CUDA_CHECK_LAUNCH("pack_face_kernel");
}

template <class Real>
void cuda_unpack_face(const GridLayout& layout, int face, int fields, Real* const* field_ptrs,
                      const Real* src, void* stream) {
  check_face(face, fields, "cuda_unpack_face");
  const std::int64_t per_field = face_voxels(layout, face), total = per_field * fields;
  if (total == 0) return;
  FieldTable<Real> table{};
  for (int f = 0; f < fields; ++f) table.ptr[f] = field_ptrs[f];
  unpack_face_kernel<Real><<<halo_blocks(total), kHaloThreads, 0, static_cast<cudaStream_t>(stream)>>>(
      table, layout, face, per_field, total, src);
  CYTO_CUDA_CHECK_LAUNCH("unpack_face_kernel");
}

template <class Real>
void cuda_region_tile_sums(const GridLayout& layout, const MaterialId* material,
                           const int* region_of_material, int n_materials, int n_regions, const Real* field,
                           int tile, double* tile_sums, double* tile_max, void* stream) {
  if (tile < 1 || n_regions < 0 || n_materials < 0)
    throw DeviceError("internal: cuda_region_tile_sums with tile " + std::to_string(tile) + ", " +
                          std::to_string(n_regions) + " regions, " + std::to_string(n_materials) +
                          " materials",
                      false);
  const int tx = (layout.nx + tile - 1) / tile, ty = (layout.ny + tile - 1) / tile,
            tz = (layout.nz + tile - 1) / tile;
  const std::int64_t tiles = std::int64_t(tx) * ty * tz;
  if (tiles == 0 || n_regions == 0) return;
  const unsigned blocks = unsigned((tiles + kTileThreads - 1) / kTileThreads);
  region_tile_sums_kernel<Real><<<blocks, kTileThreads, 0, static_cast<cudaStream_t>(stream)>>>(
      layout, material, region_of_material, n_materials, n_regions, field, tile, tx, ty, tiles, tile_sums,
      tile_max);
  CYTO_CUDA_CHECK_LAUNCH("region_tile_sums_kernel");
}

template void cuda_pack_face<float>(const GridLayout&, int, int, const float* const*, float*, void*);
template void cuda_pack_face<double>(const GridLayout&, int, int, const double* const*, double*, void*);
template void cuda_unpack_face<float>(const GridLayout&, int, int, float* const*, const float*, void*);
template void cuda_unpack_face<double>(const GridLayout&, int, int, double* const*, const double*, void*);
template void cuda_region_tile_sums<float>(const GridLayout&, const MaterialId*, const int*, int, int,
                                           const float*, int, double*, double*, void*);
template void cuda_region_tile_sums<double>(const GridLayout&, const MaterialId*, const int*, int, int,
                                            const double*, int, double*, double*, void*);

}  // namespace cyto
