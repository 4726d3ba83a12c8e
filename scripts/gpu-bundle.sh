#!/usr/bin/env bash
# Here, before a session's calls to a lent GPU machine: that machine's image
# has CUDA but not this project's Debian libraries, and cannot install them.
# Builds for sm_90 (Release, no -march=native: the GPU host's CPU may
# differ) and gathers the programs and the shared libraries they need into
# gpu-bundle/ (git-ignored), which the call carries; scripts/gpu-checks.sh
# runs there.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES=90 -DCYTOSTORM_NATIVE_ARCH=OFF \
  -DCYTOSTORM_CUDA_RESOURCE_USAGE=ON -DCYTOSTORM_WERROR=ON >/dev/null
cmake --build build-gpu -j"$(nproc)" 2>&1 | tee build-gpu/build.log | grep -E "error|warning" || true
rm -rf gpu-bundle
mkdir -p gpu-bundle/bin gpu-bundle/lib
cp build-gpu/cytostorm build-gpu/tests/cytostorm_gpu_tests build-gpu/tests/cytostorm_tests gpu-bundle/bin/
# The MPI tests (two GPU ranks sharing the GPU); they need an mpirun on the device (gpu-checks.sh says if none).
[[ -x build-gpu/tests/cytostorm_mpi_tests ]] && cp build-gpu/tests/cytostorm_mpi_tests gpu-bundle/bin/
# Registers, spills and stack of every kernel variant, for reading beside the timings.
grep -E "Compiling entry|registers|spill" build-gpu/build.log >gpu-bundle/ptxas-resource-usage.txt || true
for program in gpu-bundle/bin/*; do
  ldd "$program" | awk '/=> \// {print $3}'
done | sort -u | grep -v -E '/(libc|libm|libpthread|libdl|librt|libcuda)\.so' | xargs -r cp -L -t gpu-bundle/lib

# Tuning variants of the kernel (docs/guide/gpu.md "Tuning knobs"), the cytostorm binary
# only; scripts/gpu-checks.sh benchmarks each beside the default.
declare -A variants=(
  [registers-uncapped]="-DCYTOSTORM_GPU_MIN_BLOCKS_PER_SM=1"  # 152 registers for 4 float species, 233 for 8
  [lanes-2-for-5-to-8-float]="-DCYTOSTORM_COLUMN_PLANE_REGISTERS=48"  # 8-byte vectors, no spills at 128
)
for name in "${!variants[@]}"; do
  cmake -S . -B "build-gpu-$name" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES=90 \
    -DCYTOSTORM_NATIVE_ARCH=OFF -DCYTOSTORM_BUILD_TESTS=OFF "-DCMAKE_CUDA_FLAGS=${variants[$name]}" >/dev/null
  cmake --build "build-gpu-$name" --target cytostorm -j"$(nproc)" >"build-gpu-$name/build.log" 2>&1
  mkdir -p "gpu-bundle/variants/$name"
  cp "build-gpu-$name/cytostorm" "gpu-bundle/variants/$name/"
done
strip gpu-bundle/bin/* gpu-bundle/variants/*/* gpu-bundle/lib/* 2>/dev/null || true
du -sh gpu-bundle
