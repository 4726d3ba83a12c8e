// The GPU backend's fused step, as one thread's work: a column of W
// consecutive voxels along x (one 16-byte vector where the register budget
// allows) marching up a chunk of z-planes. Every field is updated in the
// same pass; the planes below, at and above the current one stay in
// registers, so each field and the material map are read from device memory
// once per step and written once; the x and y neighbours come from vectors
// that neighbouring threads load at the same time (L1 hits).
//
// Plain __host__ __device__ code: the CUDA kernel calls it once per thread,
// and the unit tests call it on the host for every column, so its indexing,
// classification and arithmetic are checked against the CPU backend bitwise
// without a GPU. Each voxel takes exactly the path the CPU backend takes
// (uniform, walled or general) with the same pointwise functions.
#pragma once

#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>

#include "kernels/halo_k.hpp"
#include "kernels/voxel_update_k.hpp"

namespace cyto {

// Voxels per thread along x for NF fields: 16-byte vectors (4 float or 2
// double) while the three register planes (3 * NF * W values) fit the
// register budget, narrower for many fields. The budget is a tuning knob
// (registers are granted per block: fewer per thread, more warps per SM).
#ifndef CYTOSTORM_COLUMN_PLANE_REGISTERS
#define CYTOSTORM_COLUMN_PLANE_REGISTERS 96
#endif
template <class Real, int NF>
CYTO_HD constexpr int column_lanes() {
  constexpr int vector_lanes = int(16 / sizeof(Real));
  constexpr int budget =
      CYTOSTORM_COLUMN_PLANE_REGISTERS * 4 / int(sizeof(Real)) / 3;  // values per plane set
  int w = vector_lanes;
  while (w > 1 && w * NF > budget) w /= 2;
  return w;
}

template <class T, int W>
struct alignas(sizeof(T) * W) Lanes {
  T v[W];
};

// One aligned vector store of a column's lanes. The store intrinsic keeps
// it one instruction: a plain float4 assignment here was split into four
// scalar stores by the compiler. (.cg: cached in L2, not L1; the next
// step reads it back.)
template <class Real, int W>
CYTO_HD void store_lanes(Real* p, const Lanes<Real, W>& x) {
#ifdef __CUDA_ARCH__
  if constexpr (std::is_same_v<Real, float> && W == 4) {
    __stcg(reinterpret_cast<float4*>(p), make_float4(x.v[0], x.v[1], x.v[2], x.v[3]));
  } else if constexpr (std::is_same_v<Real, float> && W == 2) {
    __stcg(reinterpret_cast<float2*>(p), make_float2(x.v[0], x.v[1]));
  } else if constexpr (std::is_same_v<Real, double> && W == 2) {
    __stcg(reinterpret_cast<double2*>(p), make_double2(x.v[0], x.v[1]));
  } else {
#pragma unroll
    for (int l = 0; l < W; ++l) p[l] = x.v[l];
  }
#else
  std::memcpy(p, &x, sizeof(x));
#endif
}

template <class T, int W>
CYTO_HD bool any_nonzero(const Lanes<T, W>& x) {
  bool any = false;
#pragma unroll
  for (int l = 0; l < W; ++l) any = any || x.v[l] != T(0);
  return any;
}

// One voxel, every field, read straight from the padded fields, on the
// path classify_voxel gives it, as for the CPU backend's tissue runs:
// uniform, walled, general or held (voxel_update_from_memory). For the few
// vectors at surfaces and interfaces; their values come from L1/L2 (the
// neighbouring threads loaded them this plane), so the hot path keeps in
// registers only what uniform voxels need.
template <class Real, int NF, bool kCellModel>
CYTO_HD void update_voxel_every_field(const ColumnStepArgs<Real>& a, std::int64_t idx, MaterialId m) {
  std::int64_t offset[6];
  neighbour_offsets(a.layout, offset);
  MaterialId nb[6];
  neighbour_materials(a.material, idx, offset, nb);
  const VoxelClass path = classify_voxel(m, nb, a.material_has_fixed[m] != 0);
  const Real inv_h2[3] = {a.inv_h2[0], a.inv_h2[1], a.inv_h2[2]};
  for (int f = 0; f < NF; ++f)
    voxel_update_from_memory(a.coeff, inv_h2, a.in, a.source_field, a.out, idx, offset, path, m, nb, f, NF);
  if constexpr (kCellModel) {
    // This thread wrote the values just now: plain loads, not the read-only path.
    Real v[NF];
    for (int f = 0; f < NF; ++f) v[f] = a.out[f][idx];
    react_between_linear_halves(a.coeff, a.source_field, a.model, m, philox_voxel_key(a.model, a.layout, idx),
                                idx, NF, v);
    for (int f = 0; f < NF; ++f)
      if (!a.coeff.fixed[std::int64_t(m) * NF + f]) a.out[f][idx] = v[f];
  }
}

// MPI overlap on the GPU: the column kernel steps the whole block while the
// halos travel (shell voxels then read stale halos), and once the halos are
// in place the shell is recomputed from the same inputs, voxel by voxel on
// the path the column kernel takes, so every voxel ends with the bits of a
// step taken with the halos present. Voxel n of the interior layer next to
// face `face`; a voxel on several exchanged faces (bits of exchanged_mask)
// is done for the first of them only.
template <class Real, int NF, bool kCellModel>
CYTO_HD void update_shell_voxel(const ColumnStepArgs<Real>& a, unsigned exchanged_mask, int face,
                                std::int64_t n) {
  const GridLayout& g = a.layout;
  const std::int64_t idx = face_layer_index(g, face, false, n);
  const std::int64_t k = idx / g.plane - 1;
  const std::int64_t j = (idx - (k + 1) * g.plane) / g.pitch - 1;
  const std::int64_t i = idx - (k + 1) * g.plane - (j + 1) * g.pitch - 1;
  const std::int64_t position[3] = {i, j, k};
  const std::int64_t extent[3] = {g.nx, g.ny, g.nz};
  for (int earlier = 0; earlier < face; ++earlier) {
    if (!((exchanged_mask >> earlier) & 1u)) continue;
    const int axis = earlier / 2;
    if (position[axis] == (earlier % 2 ? extent[axis] - 1 : 0)) return;
  }
  const MaterialId m = a.material[idx];
  if (m == 0) return;  // outside: never written, as in the column kernel
  update_voxel_every_field<Real, NF, kCellModel>(a, idx, m);
}

// One plane of a column. The hot path: every lane of one material whose
// six neighbours are all that material, with no field held, so all take
// the uniform update with one set of coefficients, from the register
// planes, and one vector store per field. Any other vector goes voxel by
// voxel through update_voxel_every_field; its outside lanes are not
// written (both buffers hold their unchanging values).
template <class Real, int NF, int W, bool kCellModel>
CYTO_HD void update_column_plane(const ColumnStepArgs<Real>& a, std::int64_t base,
                                 const Lanes<MaterialId, W>& m_below, const Lanes<MaterialId, W>& m_cur,
                                 const Lanes<MaterialId, W>& m_above, const Lanes<Real, W> (&c_below)[NF],
                                 const Lanes<Real, W> (&c_cur)[NF], const Lanes<Real, W> (&c_above)[NF]) {
  const std::int64_t pitch = a.layout.pitch;
  const MaterialId m0 = m_cur.v[0];
  bool uniform = m0 != 0;
  if (uniform) {
    const Lanes<MaterialId, W> m_south =
        load_readonly(reinterpret_cast<const Lanes<MaterialId, W>*>(a.material + base - pitch));
    const Lanes<MaterialId, W> m_north =
        load_readonly(reinterpret_cast<const Lanes<MaterialId, W>*>(a.material + base + pitch));
    uniform = load_readonly(a.material + base - 1) == m0 && load_readonly(a.material + base + W) == m0 &&
              !a.material_has_fixed[m0];
#pragma unroll
    for (int l = 0; l < W; ++l)
      uniform = uniform && m_cur.v[l] == m0 && m_south.v[l] == m0 && m_north.v[l] == m0 &&
                m_below.v[l] == m0 && m_above.v[l] == m0;
  }
  if (!uniform) {
    for (int l = 0; l < W; ++l)
      if (m_cur.v[l] != 0) update_voxel_every_field<Real, NF, kCellModel>(a, base + l, m_cur.v[l]);
    return;
  }

  const Real inv_h2[3] = {a.inv_h2[0], a.inv_h2[1], a.inv_h2[2]};
  // Field f's transport update of the vector's lanes.
  auto transport = [&](int f) {
    const Lanes<Real, W> south =
        load_readonly(reinterpret_cast<const Lanes<Real, W>*>(a.in[f] + base - pitch));
    const Lanes<Real, W> north =
        load_readonly(reinterpret_cast<const Lanes<Real, W>*>(a.in[f] + base + pitch));
    const Real west_edge = load_readonly(a.in[f] + base - 1);
    const Real east_edge = load_readonly(a.in[f] + base + W);
    Lanes<Real, W> field{};
    const bool has_field = a.source_field[f] != nullptr;
    if (has_field) field = load_readonly(reinterpret_cast<const Lanes<Real, W>*>(a.source_field[f] + base));
    const MaterialTransport<Real> t = material_transport(a.coeff, std::int64_t(m0) * NF + f, inv_h2);
    Lanes<Real, W> result;
#pragma unroll
    for (int l = 0; l < W; ++l) {
      const Real west = l > 0 ? c_cur[f].v[l - 1] : west_edge;
      const Real east = l + 1 < W ? c_cur[f].v[l + 1] : east_edge;
      result.v[l] = uniform_voxel_update(c_cur[f].v[l], west, east, south.v[l], north.v[l], c_below[f].v[l],
                                         c_above[f].v[l], t, has_field, field.v[l]);
    }
    return result;
  };
  if constexpr (!kCellModel) {
    // Transport only: each field stored as soon as it is done, so that
    // only one result vector is live (the register budget of the planes).
#pragma unroll
    for (int f = 0; f < NF; ++f) store_lanes(a.out[f] + base, transport(f));
  } else {
    // With the cell model every field of a voxel is needed at once.
    Lanes<Real, W> result[NF];
#pragma unroll
    for (int f = 0; f < NF; ++f) result[f] = transport(f);
    for (int l = 0; l < W; ++l) {
      Real v[NF];
#pragma unroll
      for (int f = 0; f < NF; ++f) v[f] = result[f].v[l];
      react_between_linear_halves(a.coeff, a.source_field, a.model, m0,
                                  philox_voxel_key(a.model, a.layout, base + l), base + l, NF, v);
#pragma unroll
      for (int f = 0; f < NF; ++f) result[f].v[l] = v[f];
    }
#pragma unroll
    for (int f = 0; f < NF; ++f) store_lanes(a.out[f] + base, result[f]);
  }
}

// One thread's work: the column of W voxels starting at element
// `first_element` of each plane (a multiple of W, in an interior row), for
// interior planes [k_begin, k_end). Planes wholly outside the organ in this
// column are skipped after reading their material (their field values are
// taken as 0, which only ever meets a closed face).
// kCellModel: whether the cell model runs after transport (a separate
// kernel, so that the transport-only kernel keeps its lean registers).
template <class Real, int NF, int W, bool kCellModel>
CYTO_HD void march_column(const ColumnStepArgs<Real>& a, std::int64_t first_element, int k_begin, int k_end) {
  using Mat = Lanes<MaterialId, W>;
  using Val = Lanes<Real, W>;
  const std::int64_t plane = a.layout.plane;
  auto material_at = [&](int k) {  // interior plane k; k = -1 and nz are the halo planes
    return load_readonly(reinterpret_cast<const Mat*>(a.material + plane * (k + 1) + first_element));
  };
  auto load_plane = [&](int k, bool needed, Val(&c)[NF]) {
#pragma unroll
    for (int f = 0; f < NF; ++f)
      c[f] = needed ? load_readonly(reinterpret_cast<const Val*>(a.in[f] + plane * (k + 1) + first_element))
                    : Val{};
  };

  Mat m_below = material_at(k_begin - 1), m_cur = material_at(k_begin);
  bool cur_in_organ = any_nonzero(m_cur);
  Val c_below[NF], c_cur[NF], c_above[NF];
  load_plane(k_begin - 1, any_nonzero(m_below), c_below);
  load_plane(k_begin, cur_in_organ, c_cur);
  for (int k = k_begin; k < k_end; ++k) {
    const Mat m_above = material_at(k + 1);
    const bool above_in_organ = any_nonzero(m_above);
    load_plane(k + 1, above_in_organ, c_above);
    if (cur_in_organ)
      update_column_plane<Real, NF, W, kCellModel>(a, plane * (k + 1) + first_element, m_below, m_cur,
                                                   m_above, c_below, c_cur, c_above);
    m_below = m_cur;
    m_cur = m_above;
    cur_in_organ = above_in_organ;
#pragma unroll
    for (int f = 0; f < NF; ++f) {
      c_below[f] = c_cur[f];
      c_cur[f] = c_above[f];
    }
  }
}

// Columns per plane: the interior rows (halo rows j = -1 and ny excluded),
// whole vectors, padding elements included (their material is 0).
inline std::int64_t column_count(const GridLayout& g, int lanes) { return g.pitch * g.ny / lanes; }
CYTO_HD std::int64_t column_first_element(const GridLayout& g, std::int64_t column, int lanes) {
  return g.pitch + column * lanes;
}

// The z-chunk length for a grid of nz planes, blocks_per_plane blocks per
// plane and `resident` blocks resident at once: a block's time is about
// proportional to the planes it reads (its chunk plus two), and blocks run
// in waves of `resident`, so minimise waves x (length + 2). Ties keep the
// longer chunk. gridDim.y holds at most 65535 chunks.
inline int choose_z_chunk(int nz, std::int64_t blocks_per_plane, std::int64_t resident) {
  std::int64_t best_cost = -1;
  int best = nz;
  for (int length = nz; length >= 1; --length) {
    const std::int64_t chunks = (std::int64_t(nz) + length - 1) / length;
    if (chunks > 65535) break;
    const std::int64_t waves = (blocks_per_plane * chunks + resident - 1) / resident;
    const std::int64_t cost = waves * (length + 2);
    if (best_cost < 0 || cost < best_cost) {
      best_cost = cost;
      best = length;
    }
  }
  return best;
}

// Calls f(std::integral_constant<int, NF>{}) with NF = n_fields, for
// 1 <= n_fields <= kMaxGpuFields: the run-time field count selects one of
// the kernel's compiled variants.
template <class F, int... N>
void dispatch_field_count_impl(int n_fields, F&& f, std::integer_sequence<int, N...>) {
  ((n_fields == N + 1 ? (f(std::integral_constant<int, N + 1>{}), 0) : 0), ...);
}
template <class F>
void dispatch_field_count(int n_fields, F&& f) {
  dispatch_field_count_impl(n_fields, std::forward<F>(f), std::make_integer_sequence<int, kMaxGpuFields>{});
}

}  // namespace cyto
