#!/usr/bin/env bash
# The command line under mpirun: a run stopped on 4 ranks (--stop-at-step,
# then SIGUSR1 sent to mpirun, which forwards it to every rank) and
# restarted on 3, then 2 ranks from collectively written checkpoints, ends
# identical to one uninterrupted process: time series, population and plasma
# tables byte for byte, every snapshot's datasets and attributes bit for bit.
# Bad MPI input ends in one clear message and exit code 2.
set -euo pipefail
cytostorm=$1 mpiexec=$2 scenario=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMP_NUM_THREADS=1 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
common=(--set time.end=30h --set output.interval=6h --quiet)
fail() { echo "FAIL: $*" >&2; exit 1; }

"$cytostorm" run "$scenario" --output "$work/one" "${common[@]}" >/dev/null

status=0
"$mpiexec" -n 4 "$cytostorm" run "$scenario" --output "$work/many" "${common[@]}" --stop-at-step 333 \
  >"$work/log1" 2>&1 || status=$?
[[ $status == 3 ]] || { cat "$work/log1"; fail "4 ranks with --stop-at-step: exit $status, expected 3"; }
ls "$work/many"/checkpoint_000000000333.h5 >/dev/null || fail "no checkpoint at step 333"

# SIGUSR1 to mpirun: every rank stops at the same step and the checkpoint is written once.
"$mpiexec" -n 3 "$cytostorm" run "$scenario" --output "$work/many" "${common[@]}" --restart latest \
  --set output.progress_interval=0.2s >"$work/log2" 2>&1 &
launcher=$!
for _ in $(seq 100); do grep -q "t = " "$work/log2" 2>/dev/null && break; sleep 0.1; done
kill -USR1 "$launcher" 2>/dev/null || true
status=0
wait "$launcher" || status=$?
if [[ $status == 3 ]]; then
  grep -q "SIGUSR1 received\|another rank stopped" "$work/log2" || { cat "$work/log2"; fail "no stop reason logged"; }
elif [[ $status != 0 ]]; then
  cat "$work/log2"
  fail "3 ranks after SIGUSR1: exit $status"
fi  # 0: the run finished before the signal arrived; the restart below still checks the files
echo "3 ranks after SIGUSR1: exit $status"

status=0
# --walltime: the ranks' waits poll non-blocking collectives against its deadline (same bits).
"$mpiexec" -n 2 "$cytostorm" run "$scenario" --output "$work/many" "${common[@]}" --restart auto \
  --walltime 30:00 >"$work/log3" 2>&1 || status=$?
[[ $status == 0 ]] || { cat "$work/log3"; fail "2 ranks, restart: exit $status"; }
for f in timeseries.csv timeseries.json populations.csv plasma.csv; do
  cmp "$work/one/$f" "$work/many/$f" || fail "$f differs from the one-process run"
done
# Snapshots written collectively lay out their bytes differently: every dataset and attribute must match bitwise.
here=$(dirname "$0")
for f in "$work"/one/snapshot_*.h5 "$work/one/geometry.h5"; do
  /usr/bin/python3 "$here/same_h5_content.py" "$f" "$work/many/$(basename "$f")" ||
    fail "$(basename "$f") differs from the one-process run"
done
cmp "$work/one/fields.xmf" "$work/many/fields.xmf" || fail "fields.xmf differs from the one-process run"

# Bad input: one message from rank 0, exit code 2.
status=0
"$mpiexec" -n 2 "$cytostorm" run "$scenario" --output "$work/bad" "${common[@]}" --decomposition 2x2x1 \
  >"$work/log4" 2>&1 || status=$?
[[ $status == 2 ]] || { cat "$work/log4"; fail "mismatched --decomposition: exit $status, expected 2"; }
[[ $(grep -c "cytostorm: error:" "$work/log4") == 1 ]] || { cat "$work/log4"; fail "expected one error line"; }
grep -q "decomposition 2x2x1 has 4 blocks holding tissue" "$work/log4" || { cat "$work/log4"; fail "unclear message"; }
status=0
"$mpiexec" -n 2 "$cytostorm" run "$scenario" --output "$work/bad" "${common[@]}" --decomposition 2by2 \
  >"$work/log5" 2>&1 || status=$?
[[ $status == 2 ]] && grep -q "is not a decomposition" "$work/log5" || { cat "$work/log5"; fail "bad --decomposition"; }
status=0
"$mpiexec" -n 64 "$cytostorm" run "$scenario" --output "$work/bad" "${common[@]}" >"$work/log6" 2>&1 || status=$?
[[ $status == 2 ]] && grep -q "cannot be split into 64 blocks" "$work/log6" || { cat "$work/log6"; fail "64 ranks"; }
# A checkpoint of another scenario: refused on every rank, reported once.
status=0
"$mpiexec" -n 3 "$cytostorm" run "$scenario" --output "$work/many" "${common[@]}" --restart latest \
  --set seed=99 >"$work/log7" 2>&1 || status=$?
[[ $status == 2 ]] || { cat "$work/log7"; fail "restart of another scenario: exit $status, expected 2"; }
[[ $(grep -c "cytostorm: error:" "$work/log7") == 1 ]] && grep -q "written for another scenario; 1 key differs: seed" "$work/log7" ||
  { cat "$work/log7"; fail "restart of another scenario: unclear message"; }
echo "PASS (SIGUSR1 run exit: see above): stopped on 4 ranks, signalled on 3, finished on 2: identical to one process (tables byte for byte, HDF5 content bit for bit); bad input refused"
