// OpenMP launchers of the pointwise physics (the CPU backend's kernels).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/probe_k.hpp"
#include "kernels/step_params.hpp"
#include "kernels/tissue_runs.hpp"

namespace cyto {

// One fused explicit step of every field. Each thread owns a slab of
// planes holding an equal share of the tissue voxels, and sweeps it in bands
// of rows sized so that the three planes of a band stay in L2. Every voxel
// is computed with a fixed sequence of operations, so the result is bitwise
// independent of the thread count.
template <class Real>
void cpu_fused_step(const StepArgs<Real>& args, const TissueRuns& runs, int threads);

// Sum and maximum of `field` over each region, where region_of_material[m]
// gives the region of material m (-1: not counted). Accumulates in double in
// a fixed order (per z-plane, then planes in order), so it is bitwise
// independent of the thread count. sums/maxima have n_regions entries.
template <class Real>
void cpu_region_sum_max(const GridLayout& layout, const MaterialId* material,
                        const std::vector<int>& region_of_material, int n_regions, const Real* field,
                        int threads, std::vector<double>& sums, std::vector<double>& maxima);

// Per reduction tile (`tile` voxels a side, tiles numbered x fastest from
// the layout's first interior voxel) and region: the sum of `field` over the
// tile's voxels of that region, added in double in storage order (z, y, x),
// into tile_sums[tile * n_regions + region]; and per region the maximum (a
// NaN sticks; -0 counts as +0). A tile's sum does not depend on the thread
// count or on which MPI block holds the tile, which is what global sums
// combine exactly.
template <class Real>
void cpu_region_tile_sums(const GridLayout& layout, const MaterialId* material,
                          const std::vector<int>& region_of_material, int n_regions, const Real* field,
                          int tile, int threads, std::vector<double>& tile_sums, std::vector<double>& maxima);

// Minimum and maximum of the finite values of `field` over the tissue voxels
// (material != 0), and how many values there are NaN or infinite (the
// blow-up guard); min = +inf, max = -inf where no tissue value is finite. A
// zero counts as +0, so the result is bitwise independent of the thread count.
template <class Real>
void cpu_field_scan(const GridLayout& layout, const MaterialId* material, const Real* field, int threads,
                    double& min, double& max, std::int64_t& nonfinite);

// A plain parallel copy (the bandwidth a step is compared with).
void cpu_copy(double* dst, const double* src, std::size_t n, int threads);

// The step-error probe's reductions over the tissue voxels (material != 0)
// of two fields in one layout: the largest |one| or |two| with a count of
// NaN, and the fixed-point sums of |one - two| and |two| (kernels/probe_k.hpp).
// Integer sums and a maximum: the same for any thread count.
template <class Real>
ProbeLargest cpu_probe_largest(const GridLayout& layout, const MaterialId* material, const Real* one,
                               const Real* two, int threads);
template <class Real>
ProbeSums cpu_probe_sums(const GridLayout& layout, const MaterialId* material, const Real* one,
                         const Real* two, double to_fixed, int threads);

// A parallel copy of n values of a field (the probe's saved states).
template <class Real>
void cpu_copy_field(Real* dst, const Real* src, std::int64_t n, int threads);

}  // namespace cyto
