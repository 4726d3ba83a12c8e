#!/usr/bin/env bash
# Therapy timing: tocilizumab early, late or never in CAR-T CRS.
#
# Runs configs/therapy_timing.yaml three times with --set overrides:
#   early  therapies.tocilizumab.dose.time=24h   (before the storm ignites)
#   late   therapies.tocilizumab.dose.time=72h   (at its peak)
#   never  therapies=[]                           (no therapy; a dose after
#          time.end is refused by design, so the arm removes the therapy list)
# into OUT/{early,late,never} (OUT defaults to output/therapy-timing), then
# draws plasma IL-6 (log) and endothelium and tumour survival, one line per
# arm, into OUT/therapy-timing.png with scripts/plot_compare.py and prints
# the peak and final numbers of each arm.
#
# Usage: scripts/therapy-timing.sh [OUT_DIR] [extra cytostorm run options...]
#   e.g. scripts/therapy-timing.sh output/therapy-timing --backend cpu
# Environment: CYTOSTORM (the binary, default build/cytostorm),
#   PYTHON (default /usr/bin/python3, which has numpy and matplotlib),
#   SNAPSHOTS=1 to keep the HDF5 field snapshots (off: ~40 MB per arm).
# Each arm takes about a minute on 2 CPU cores.
set -euo pipefail
cd "$(dirname "$0")/.."

out=output/therapy-timing
if [[ $# -gt 0 && $1 != -* ]]; then
  out=$1
  shift
fi
cytostorm=${CYTOSTORM:-build/cytostorm}
python=${PYTHON:-/usr/bin/python3}
scenario=configs/therapy_timing.yaml

if [[ ! -x $cytostorm ]]; then
  echo "therapy-timing.sh: error: no cytostorm binary at $cytostorm (build it, or set CYTOSTORM)" >&2
  exit 2
fi
if [[ ! -x $python ]]; then
  echo "therapy-timing.sh: error: no python at $python (set PYTHON to one with numpy and matplotlib)" >&2
  exit 2
fi

snapshots=false
[[ ${SNAPSHOTS:-0} == 1 ]] && snapshots=true

declare -A arm_set=(
  [early]="therapies.tocilizumab.dose.time=24h"
  [late]="therapies.tocilizumab.dose.time=72h"
  [never]="therapies=[]"
)
mkdir -p "$out"
for arm in early late never; do
  echo "== $arm: --set ${arm_set[$arm]}"
  # Start from an empty directory: no stale outputs of an earlier run.
  rm -rf "${out:?}/$arm"
  start=$SECONDS
  "$cytostorm" run "$scenario" --output "$out/$arm" --quiet \
    --set "${arm_set[$arm]}" --set "output.snapshots=$snapshots" "$@"
  echo "   $arm: $((SECONDS - start)) s"
done

"$python" scripts/plot_compare.py --out "$out/therapy-timing.png" \
  --species IL6 --population endothelium --population tumour \
  --title "Tocilizumab timing in CAR-T CRS" \
  "$out/early:tocilizumab at 24 h" "$out/late:tocilizumab at 72 h" "$out/never:no tocilizumab"
