#!/usr/bin/env bash
# Issue 17's accuracy contract of dt: auto, on every shipped scenario
# (shortened): at time.tolerance 1e-2 the key outputs (plasma peaks and
# their times, tissue peaks and final amounts, survival, cells lost;
# scripts/step-accuracy.py) lie within 1e-2 of a reference run with fixed
# steps 8x smaller than the median step the error control took.
#
#   scripts/tolerance-check.sh [BUILD_DIR [SCENARIO ...]]
#
# BUILD_DIR defaults to build/; SCENARIO names pick cases (default: all).
# Exit 1 if any case misses. Runs are kept in $WORK if it is set.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$(realpath "${1:-build}")/cytostorm"
shift || true
ONLY=("$@")
if [ -z "${WORK:-}" ]; then
  WORK=$(mktemp -d)
  trap 'rm -rf "$WORK"' EXIT
fi
THREADS="${THREADS:-2}"
TOLERANCE=1e-2
# scenario and simulated time: long enough for each storm's first phase.
CASES=(
  "default 2h"
  "plasma_il6_penetration 2h"
  "sepsis 3h"
  "hlh 3h"
  "car_t_crs 12h"
  "therapy_timing 30h"
  "pc4covid19_slab 2h"
  "sepsis_liver_organ 6h"
  "frog_sepsis 6h"
)
status=0
for line in "${CASES[@]}"; do
  read -r name end <<<"$line"
  if [ ${#ONLY[@]} -gt 0 ] && [[ ! " ${ONLY[*]} " =~ " $name " ]]; then continue; fi
  # The organ scenarios read meshes from ../shared/data, outside the repository.
  if grep -q "shared/data/" "configs/$name.yaml" && [ ! -d ../shared/data ]; then
    echo "== $name: SKIPPED (it uses ../shared/data, which is absent here)"
    continue
  fi
  common=(--set "time.end=$end" --set output.snapshots=false --quiet --threads "$THREADS")
  "$BIN" run "configs/$name.yaml" "${common[@]}" --set time.dt=auto --set "time.tolerance=$TOLERANCE" \
    --output "$WORK/$name-auto" >"$WORK/$name-auto.log" 2>&1 || { echo "$name: auto run failed"; exit 1; }
  ref_dt=$(python3 -c "import json,sys; t=json.load(open(sys.argv[1]))['time']; print(t['steps_taken']['median_dt_s'] / 8)" "$WORK/$name-auto/summary.json")
  "$BIN" run "configs/$name.yaml" "${common[@]}" --set "time.dt=$ref_dt s" \
    --output "$WORK/$name-ref" >"$WORK/$name-ref.log" 2>&1 || { echo "$name: reference run failed"; exit 1; }
  echo "== $name ($end; reference steps $ref_dt s)"
  python3 scripts/step-accuracy.py --tolerance "$TOLERANCE" "$WORK/$name-ref" "$WORK/$name-auto" || status=1
done
exit $status
