#!/usr/bin/env bash
# On a lent GPU machine, from the repository root, with gpu-bundle/ carried
# (made here by scripts/gpu-bundle.sh). Two phases, one device call each so
# that each stays well inside the 10-minute limit of a call:
#   bash scripts/gpu-checks.sh tests   # GPU tests, compute-sanitizer memcheck + racecheck
#   bash scripts/gpu-checks.sh bench   # cytostorm bench (GPU + CPU), and the kernel variants
# (no argument: both). Logs, the test XML and the benchmark JSON go to $OUT;
# a summary is printed last.
set -uo pipefail
cd "$(dirname "$0")/.."
phase=${1:-all}
out=${OUT:-gpu-out}
mkdir -p "$out"
export LD_LIBRARY_PATH="$PWD/gpu-bundle/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export CYTOSTORM_SOURCE_DIR="$PWD"
bin=gpu-bundle/bin
nvidia-smi >"$out/nvidia-smi.txt" 2>&1
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv >>"$out/nvidia-smi.txt" 2>&1
summary=""

if [[ $phase == all || $phase == tests ]]; then
  "$bin/cytostorm_gpu_tests" --gtest_output="xml:$out/gpu-tests.xml" >"$out/gpu-tests.log" 2>&1
  tests_rc=$?
  # The sanitizers slow kernels 10-100x. The two tests that fail CUDA calls
  # on purpose (a launch beyond the kernel's bounds, an allocation beyond
  # free memory) would count as sanitizer errors, so they are left out.
  sanitized='-*FailedLaunch*:*OutOfMemory*'
  compute-sanitizer --tool memcheck --leak-check full --error-exitcode 9 "$bin/cytostorm_gpu_tests" \
    --gtest_filter="$sanitized" >"$out/memcheck.log" 2>&1
  memcheck_rc=$?
  compute-sanitizer --tool racecheck --error-exitcode 9 "$bin/cytostorm_gpu_tests" \
    --gtest_filter="$sanitized" >"$out/racecheck.log" 2>&1
  racecheck_rc=$?
  grep -E "^\[  (PASSED|FAILED) |max\|gpu|^GPU tests skipped" "$out/gpu-tests.log" | sort -u
  grep -E "ERROR SUMMARY|RACECHECK SUMMARY" "$out/memcheck.log" "$out/racecheck.log"
  summary+="gpu tests rc=$tests_rc memcheck rc=$memcheck_rc racecheck rc=$racecheck_rc "
  # MPI: two GPU ranks sharing this GPU against one GPU rank, bitwise (issue 7).
  if [[ -x $bin/cytostorm_mpi_tests ]] && command -v mpirun >/dev/null; then
    OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun -n 2 --oversubscribe \
      "$bin/cytostorm_mpi_tests" --gtest_filter='Mpi.Gpu*' >"$out/mpi-gpu-tests.log" 2>&1
    summary+="mpi gpu tests rc=$? "
  else
    summary+="mpi gpu tests: not run (no mpirun on this machine, or no MPI build) "
  fi
fi

if [[ $phase == all || $phase == bench ]]; then
  "$bin/cytostorm" bench --backend all --output "$out/bench.json" >"$out/bench.log" 2>&1
  bench_rc=$?
  # The tuning variants, on the cases the 85%-of-copy target names.
  for variant in gpu-bundle/variants/*/; do
    name=$(basename "$variant")
    "$variant/cytostorm" bench --backend gpu --sizes 256,512 --species 4,8 --precision float \
      --output "$out/bench-$name.json" >"$out/bench-$name.log" 2>&1
  done
  cat "$out/bench.log"
  for log in "$out"/bench-*.log; do
    echo "== $(basename "$log" .log)"
    grep -E "^gpu " "$log"
  done
  summary+="bench rc=$bench_rc"
fi
echo "$summary"
