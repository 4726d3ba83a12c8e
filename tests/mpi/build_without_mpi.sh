#!/usr/bin/env bash
# A build without MPI succeeds and says so, and the program it builds,
# started by an MPI launcher with several ranks, refuses with one clear
# message instead of running the scenario once per rank. Configures a small
# CPU-only build (no CUDA, tests or benchmarks) in a scratch directory.
set -euo pipefail
source_dir=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
cmake -S "$source_dir" -B "$work/build" -DCYTOSTORM_ENABLE_MPI=OFF -DCYTOSTORM_ENABLE_CUDA=OFF \
  -DCYTOSTORM_BUILD_TESTS=OFF -DCYTOSTORM_BUILD_BENCHMARKS=OFF -DCYTOSTORM_NATIVE_ARCH=OFF >"$work/configure.log" 2>&1 ||
  { cat "$work/configure.log"; fail "configure without MPI failed"; }
grep -q "cytostorm: MPI disabled (CYTOSTORM_ENABLE_MPI=OFF): one process per run" "$work/configure.log" ||
  { cat "$work/configure.log"; fail "configure did not say it builds without MPI"; }
cmake --build "$work/build" -j"$(nproc)" --target cytostorm >"$work/build.log" 2>&1 ||
  { tail -30 "$work/build.log"; fail "build without MPI failed"; }
binary="$work/build/cytostorm"
"$binary" check "$source_dir/configs/hlh.yaml" | grep -q "MPI: not built in" || fail "check does not say MPI is not built in"
status=0
OMPI_COMM_WORLD_SIZE=4 OMPI_COMM_WORLD_RANK=0 "$binary" run "$source_dir/configs/hlh.yaml" --output "$work/out" \
  >"$work/run.log" 2>&1 || status=$?
[[ $status == 2 ]] || { cat "$work/run.log"; fail "4 ranks without MPI: exit $status, expected 2"; }
grep -q "started as 4 MPI ranks, but this cytostorm was built without MPI" "$work/run.log" ||
  { cat "$work/run.log"; fail "unclear message"; }
[[ ! -e "$work/out" ]] || fail "it wrote outputs before refusing"
echo "PASS: built without MPI (said so); refuses 4 launcher ranks with one message"
