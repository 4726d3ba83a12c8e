#!/usr/bin/env bash
# Fuzzes scenario files with libFuzzer, AddressSanitizer and UBSan: the YAML text through
# parse_scenario and the validation pass `cytostorm check` and `run` share (tests/fuzz_scenario.cpp).
#   scripts/fuzz-scenario.sh [minutes, default 10]
# Builds build-fuzz-scenario/ (clang, sanitizers on every project file; git-ignored), seeds the
# corpus with configs/*.yaml and configs/bench/*.yaml, then runs one niced process. The corpus in
# build-fuzz-scenario/corpus grows from run to run and is replayed first, so earlier findings stay
# fixed. Exits non-zero on any crash, sanitizer report, leak, timeout or out-of-memory; the input
# that caused it is left in build-fuzz-scenario/artifacts/ (reproduce:
# build-fuzz-scenario/tests/fuzz_scenario <that file>). Run it for at least 10 minutes whenever
# the scenario reader (host/scenario) or validation (host/app/validation.cpp) changes.
set -uo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-10}
if ! [[ $minutes =~ ^[0-9]+$ ]] || ((minutes < 1)); then
  echo "usage: $0 [minutes]" >&2
  exit 2
fi
seconds=$((minutes * 60))
out=build-fuzz-scenario
mkdir -p "$out"
sanitize="-g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all"
if ! nice -n 19 cmake -S . -B "$out" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER="${CXX:-clang++}" \
  -DCMAKE_CXX_FLAGS="$sanitize" -DCYTOSTORM_ENABLE_CUDA=OFF -DCYTOSTORM_ENABLE_MPI=OFF \
  -DCYTOSTORM_BUILD_BENCHMARKS=OFF -DCYTOSTORM_FUZZ_SCENARIO=ON >"$out/configure.log" 2>&1 ||
  ! nice -n 19 cmake --build "$out" -j"${JOBS:-2}" --target fuzz_scenario >"$out/build.log" 2>&1; then
  tail -n 40 "$out/configure.log" "$out/build.log" >&2
  echo "fuzz-scenario: cannot build $out/tests/fuzz_scenario" >&2
  exit 1
fi

seeds="$out/seeds"
corpus="$out/corpus"
artifacts="$out/artifacts"
rm -rf "$seeds" "$artifacts"  # artifacts of an earlier run would be counted as findings of this one
mkdir -p "$seeds" "$corpus" "$artifacts"
cp configs/*.yaml configs/bench/*.yaml "$seeds/"
# YAML and schema words, so mutations produce them.
printf '%s\n' '"---"' '"..."' '"&a"' '"*a"' '"<<: "' '"!!"' '"{"' '"}"' '"["' '"]"' '"\x0a  - "' '": "' \
  '"nan"' '".inf"' '"-.inf"' '"1e308"' '"1e-320"' '"-0"' '"0x"' '"9223372036854775808"' '"hill: "' \
  '"density: "' '"cells/mL"' '"pg/mL"' '"1/s"' '"um"' '"mm"' '"voxel: "' '"extent: "' '"seeding: "' \
  '"rate: "' '"max: "' '"capacity: "' '"precision: double"' '"precision: float"' '"dt: auto"' \
  '"stochastic"' '"sphere: "' '"box: "' '"radius: "' >"$out/scenario.dict"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
log="$out/fuzz.log"
# -timeout: per input; the outer timeout only guards against the fuzzer itself not stopping.
timeout --signal=KILL $((seconds + 300)) nice -n 19 "$out/tests/fuzz_scenario" \
  -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=16384 -print_final_stats=1 \
  -dict="$out/scenario.dict" -artifact_prefix="$artifacts/" "$corpus" "$seeds" >"$log" 2>&1
rc=$?
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
corpus_size=$(find "$corpus" -type f | wc -l)
findings=$(find "$artifacts" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
echo "fuzz-scenario: ${minutes} min, ${execs:-?} executions, corpus ${corpus_size} files, ${findings} findings (exit ${rc})"
if ((rc != 0 || findings != 0)); then
  tail -n 40 "$log" >&2
  echo "fuzz-scenario: FAILED; log $log, reproducer(s) in $artifacts/" >&2
  exit 1
fi
