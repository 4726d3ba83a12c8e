#!/usr/bin/env bash
# Fuzzes the mesh readers (host/geometry/stl.cpp, obj.cpp) with libFuzzer, AddressSanitizer and UBSan.
#   scripts/fuzz-mesh.sh [seconds per format, default 60]
# Builds build-fuzz/fuzz_mesh_stl and build-fuzz/fuzz_mesh_obj (tests/fuzz_mesh_readers.cpp), seeds
# each corpus with small valid files made here, then runs STL and OBJ one after the other (one
# process, niced, so it does not starve a build). The corpora in build-fuzz/corpus-<format> grow
# from run to run and are replayed first, so earlier findings stay fixed. Exits non-zero on any
# crash, sanitizer report, leak, timeout or out-of-memory; the input that caused it is left in
# build-fuzz/artifacts-<format>/ (reproduce: build-fuzz/fuzz_mesh_<format> <that file>).
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
if ! [[ $seconds =~ ^[0-9]+$ ]] || ((seconds < 1)); then
  echo "usage: $0 [seconds per format]" >&2
  exit 2
fi
out=build-fuzz  # git-ignored (/build*/)
mkdir -p "$out"
CXX=${CXX:-clang++}
flags=(-std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -I. -Ihost)
sources=(tests/fuzz_mesh_readers.cpp host/geometry/mesh_io.cpp host/geometry/mesh_io_common.cpp host/geometry/stl.cpp
         host/geometry/obj.cpp host/core/atomic_file.cpp host/core/error.cpp)

build() {  # build <format> <MACRO>
  local binary="$out/fuzz_mesh_$1"
  # libfmt is built with GCC; should it not link with clang, fmt's header-only mode does the same job.
  nice -n 19 "$CXX" "${flags[@]}" -D"$2" "${sources[@]}" -lfmt -o "$binary" 2>"$out/build-$1.log" ||
    nice -n 19 "$CXX" "${flags[@]}" -D"$2" -DFMT_HEADER_ONLY "${sources[@]}" -o "$binary" 2>>"$out/build-$1.log" || {
    cat "$out/build-$1.log" >&2
    echo "fuzz-mesh: cannot build $binary" >&2
    exit 1
  }
}

# Little-endian float32 bit patterns for binary STL seeds.
f0='\x00\x00\x00\x00'
f1='\x00\x00\x80\x3f'
fh='\x00\x00\x00\x3f'  # 0.5
facet() {  # nine float patterns: three corners
  printf "$f0$f0$f0$1$2$3$4$5$6$7$8$9"'\x00\x00'
}
tetrahedron_facets() {
  facet "$f0" "$f0" "$f0" "$f0" "$f1" "$f0" "$f1" "$f0" "$f0"
  facet "$f0" "$f0" "$f0" "$f1" "$f0" "$f0" "$f0" "$f0" "$f1"
  facet "$f0" "$f0" "$f0" "$f0" "$f0" "$f1" "$f0" "$f1" "$f0"
  facet "$f1" "$f0" "$f0" "$f0" "$f1" "$f0" "$f0" "$f0" "$f1"
}

seed_stl() {
  local dir=$1
  { head -c 80 /dev/zero; printf '\x04\x00\x00\x00'; tetrahedron_facets; } >"$dir/tetrahedron.stl"
  # Binary, but the header starts with "solid" (as many exporters write it).
  { printf '%-80s' "solid seed"; printf '\x01\x00\x00\x00'; facet "$f0" "$f0" "$f0" "$f1" "$f0" "$f0" "$fh" "$f1" "$f0"; } \
    >"$dir/solid_header.stl"
  printf 'solid one\n facet normal 0 0 1\n  outer loop\n   vertex 0 0 0\n   vertex 1 0 0\n   vertex 0 1 0\n  endloop\n endfacet\nendsolid one\n' \
    >"$dir/ascii.stl"
  printf 'SOLID a\r\nfacet normal 0 0 -1 outer loop vertex 0 0 0 vertex 0 1 0 vertex 1 0 0 endloop endfacet\r\nendsolid a\r\nsolid b\nfacet normal 1 1 1\nouter loop\nvertex +1.5e0 0 0\nvertex 0 1.5 0\nvertex 0 0 -0\nendloop\nendfacet\nendsolid\n' \
    >"$dir/ascii_two_solids.stl"
}

seed_obj() {
  local dir=$1
  printf 'v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n' >"$dir/triangle.obj"
  printf '# quad\r\nmtllib m.mtl\r\no q\r\nv 0 0 0\r\nv 1 0 0 1\r\nv 1 1 0 0.5 0.5 0.5\r\nv 0 1 0\r\nvt 0 0\r\nvn 0 0 1\r\ng g\r\ns 1\r\nusemtl m\r\nf 1/1/1 2/1/1 3/1/1 4/1/1\r\nf 1//1 3//1 4//1\r\nf 1/1 2/1 3/1\r\n' \
    >"$dir/quad_forms.obj"
  printf 'v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0.5 1.5 0\nv 0 1 0\nf -5 -4 -3 -2 -1\nf 1 2 \\\n 3\nl 1 2\np 1\n' >"$dir/pentagon_relative.obj"
  printf 'f 1 2 3\nv 0 0 0\nv 1e-3 0 0\nv 0 .5 0 # forward reference\n' >"$dir/forward.obj"
}

write_dict() {  # libFuzzer dictionary: the formats' keywords, so mutations produce them
  local format=$1 file=$2
  if [[ $format == stl ]]; then
    printf '%s\n' '"solid"' '"facet"' '"normal"' '"outer"' '"loop"' '"vertex"' '"endloop"' '"endfacet"' \
      '"endsolid"' '"nan"' '"inf"' '"1e999"' '"-0"' '"\x0a"' '"\x00\x00\x80\x3f"' '"\x00\x00\xc0\x7f"' >"$file"
  else
    printf '%s\n' '"v "' '"f "' '"vt "' '"vn "' '"//"' '"/"' '"-1"' '"\\\x0a"' '"\x0d\x0a"' '"#"' '"nan"' \
      '"inf"' '"1e999"' '"2147483648"' '"-2147483648"' '"99999999999999999999"' \
      '"-9223372036854775808"' '"\x0d"' >"$file"
  fi
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

status=0
summary=()
for format in stl obj; do
  macro=CYTO_FUZZ_${format^^}
  build "$format" "$macro"
  seeds="$out/seeds-$format"
  corpus="$out/corpus-$format"
  artifacts="$out/artifacts-$format"
  rm -rf "$seeds" "$artifacts"  # artifacts of an earlier run would be counted as findings of this one
  mkdir -p "$seeds" "$corpus" "$artifacts"
  "seed_$format" "$seeds"
  write_dict "$format" "$out/$format.dict"
  log="$out/fuzz-$format.log"
  # -timeout: per input; the outer timeout only guards against the fuzzer itself not stopping.
  timeout --signal=KILL $((seconds + 300)) nice -n 19 "$out/fuzz_mesh_$format" \
    -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 \
    -dict="$out/$format.dict" -artifact_prefix="$artifacts/" "$corpus" "$seeds" >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  corpus_size=$(find "$corpus" -type f | wc -l)
  findings=$(find "$artifacts" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
  line="fuzz-mesh $format: ${seconds} s, ${execs:-?} executions, corpus ${corpus_size} files, ${findings} crashes (exit ${rc})"
  summary+=("$line")
  if ((rc != 0 || findings != 0)); then
    status=1
    tail -n 40 "$log" >&2
    echo "fuzz-mesh $format: FAILED; log $log, reproducer(s) in $artifacts/" >&2
  fi
done
printf '%s\n' "${summary[@]}"
exit "$status"
