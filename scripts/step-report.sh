#!/usr/bin/env bash
# Steps, wall time and accuracy of dt: auto (error-controlled) against the
# fixed step each shipped scenario used before it, both against a reference
# of fixed steps 8x smaller than that (issue 17). Prints one block per
# scenario (scripts/step-accuracy.py) and keeps the runs in $WORK.
#
#   scripts/step-report.sh [BUILD_DIR]        (default build/)
#
# Each line of CASES: scenario, simulated time, the old fixed step (the
# stable step x 0.9 where dt: auto took it, or the hand-set step).
set -euo pipefail
BIN="${1:-build}/cytostorm"
WORK="${WORK:-/tmp/cytostorm-step-report}"
THREADS="${THREADS:-2}"
CASES=(
  "default 2h 6.75"
  "plasma_il6_penetration 3h 3.375"
  "sepsis 12h 12"
  "hlh 12h 18.75"
  "car_t_crs 24h 96"
  "therapy_timing 24h 96"
  "sepsis_liver_organ 24h 60"
)
mkdir -p "$WORK"
for line in "${CASES[@]}"; do
  read -r name end old <<<"$line"
  ref=$(python3 -c "print($old / 8)")
  for run in "fixed:$old" "auto:" "ref:$ref"; do
    kind=${run%%:*}
    dt=${run#*:}
    dir="$WORK/$name-$kind"
    if [ "$kind" = auto ]; then set_dt=(--set time.dt=auto); else set_dt=(--set "time.dt=$dt s"); fi
    "$BIN" run "configs/$name.yaml" --set "time.end=$end" "${set_dt[@]}" --set output.snapshots=false \
      --output "$dir" --quiet --threads "$THREADS" >"$dir.log" 2>&1 || { echo "$name $kind failed: see $dir.log"; exit 1; }
  done
  echo "== $name ($end; old fixed step $old s, reference $ref s)"
  python3 scripts/step-accuracy.py "$WORK/$name-ref" "$WORK/$name-fixed" "$WORK/$name-auto"
done
