#!/usr/bin/env bash
# Stop signals to mpirun when the stop's checkpoint takes several seconds
# (one rank is held with SIGSTOP from the moment the checkpoint's temporary
# file appears: a slow rank or file system, without a test-only knob).
# - SIGUSR1 (forwarded to every rank, no deadline): the checkpoint completes,
#   mpirun exits 3, summary.json says "stopped", and the restart continues.
# - SIGTERM with Open MPI's grace raised (odls_base_sigkill_timeout): the
#   checkpoint completes and summary.json says "stopped"; mpirun itself exits
#   1 (its own exit code after SIGTERM, whatever the ranks return).
# - SIGTERM with the default grace (1 s, then SIGKILL): the ranks die mid-write;
#   summary.json must say "stopping" (never "running"), only a temporary is
#   left of the checkpoint, and --restart latest continues from the newest
#   complete one.
# The lock of the output directory under mpirun (held by rank 0, refused to a
# second run of one process or several ranks).
# Then a frozen rank (SIGSTOP, never continued) under --walltime: the others
# give up past the deadline with one line naming the collective and the
# frozen rank, and the job ends with exit 4.
set -uo pipefail
cytostorm=$1 mpiexec=$2
work=$(mktemp -d)
cleanup() {
  [[ -n ${launcher:-} ]] && kill -KILL "$launcher" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
export OMP_NUM_THREADS=1 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
status_of() { /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["status"])' "$1/summary.json"; }

cat >"$work/box.yaml" <<'YAML'
name: stop-under-mpirun
grid: {extent: [1280 um, 1280 um, 1280 um], voxel: 20 um}
tissues: [{name: tissue, label: 1}]
geometry: [{tissue: tissue, box: {min: [0 um, 0 um, 0 um], max: [1280 um, 1280 um, 1280 um]}}]
species:
  - {name: A, diffusion: 1200 um^2/min, decay: 0.05 /min, initial: 10 pg/mL}
  - {name: B, diffusion: 600 um^2/min, decay: 0.01 /min, initial: 1 pg/mL}
  - {name: C, diffusion: 300 um^2/min, decay: 0.02 /min, initial: 2 pg/mL}
sources: [{species: A, rate: 1 pg/mL/s, sphere: {center: [640 um, 640 um, 640 um], radius: 200 um}}]
time: {end: 600 min}
output: {interval: 60 min, snapshots: false}
YAML

# Starts 2 ranks into $1, waits until they step, sends signal $2 to mpirun,
# holds one rank for $3 s once the checkpoint's temporary appears; sets
# $rc, $held (1 if the hold began mid-write).
launcher=
stop_slowly() {
  local dir=$1 signal=$2 hold=$3 rank
  rm -rf "$dir"
  "$mpiexec" -n 2 "$cytostorm" run "$work/box.yaml" --output "$dir" --set output.progress_interval=0.2s \
    >"$dir.log" 2>&1 &
  launcher=$!
  for _ in $(seq 300); do grep -q "t = " "$dir.log" 2>/dev/null && break; sleep 0.05; done
  kill -s "$signal" "$launcher"
  held=0
  local until=$((SECONDS + 20))
  while ((SECONDS < until)); do
    if compgen -G "$dir/checkpoint_*.h5.tmp.*" >/dev/null; then
      rank=$(pgrep -P "$launcher" | tail -1)
      kill -STOP "$rank" 2>/dev/null && held=1
      break
    fi
    kill -0 "$launcher" 2>/dev/null || break
  done
  if ((held)); then
    sleep "$hold"
    kill -CONT "$rank" 2>/dev/null
  fi
  rc=0
  wait "$launcher" || rc=$?
  launcher=
}

# SIGUSR1: forwarded, no deadline.
stop_slowly "$work/usr1" USR1 4
echo "SIGUSR1, a rank held ${held:+4 s} mid-checkpoint ($held): mpirun exit $rc, summary $(status_of "$work/usr1")"
[[ $rc == 3 ]] || { cat "$work/usr1.log"; fail "SIGUSR1: exit $rc, expected 3"; }
[[ $(status_of "$work/usr1") == stopped ]] || fail "SIGUSR1: summary not stopped"
compgen -G "$work/usr1/checkpoint_*.h5.tmp.*" >/dev/null && fail "SIGUSR1: a temporary was left"
ls "$work"/usr1/checkpoint_*.h5 >/dev/null || fail "SIGUSR1: no checkpoint"

# SIGTERM with the launcher's grace raised above the checkpoint's time.
OMPI_MCA_odls_base_sigkill_timeout=8 stop_slowly "$work/term-grace" TERM 4
echo "SIGTERM, grace 8 s, a rank held 4 s ($held): mpirun exit $rc, summary $(status_of "$work/term-grace")"
[[ $(status_of "$work/term-grace") == stopped ]] || { cat "$work/term-grace.log"; fail "SIGTERM with grace: summary not stopped"; }
[[ $rc == 1 || $rc == 3 ]] || fail "SIGTERM with grace: mpirun exit $rc"
compgen -G "$work/term-grace/checkpoint_*.h5.tmp.*" >/dev/null && fail "SIGTERM with grace: a temporary was left"

# SIGTERM, default grace: killed mid-write.
stop_slowly "$work/term" TERM 4
summary=$(status_of "$work/term")
echo "SIGTERM, default grace, a rank held 4 s ($held): mpirun exit $rc, summary $summary"
[[ $summary == stopping ]] || { cat "$work/term/summary.json"; fail "SIGTERM killed mid-write: summary says $summary, expected stopping"; }
grep -q '"stop_reason": "SIGTERM received"' "$work/term/summary.json" || fail "no stop reason in the stopping summary"
if ((held)); then
  compgen -G "$work/term/checkpoint_*.h5.tmp.*" >/dev/null || fail "SIGTERM: expected the killed write's temporary"
fi
rc=0
"$mpiexec" -n 2 "$cytostorm" run "$work/box.yaml" --output "$work/term" --restart auto --stop-at-step 50 \
  --quiet >"$work/term.log2" 2>&1 || rc=$?
[[ $rc == 3 || $rc == 0 ]] || { cat "$work/term.log2"; fail "restart after the kill: exit $rc"; }
[[ $(status_of "$work/term") == stopped || $(status_of "$work/term") == finished ]] || fail "restart: summary"

# One run per directory under mpirun too: rank 0 holds the lock for the whole
# job; a second run into the directory, one process or several ranks, is
# refused with exit 2 and one line naming rank 0's pid; the stopped job gives
# the lock back.
rm -rf "$work/locked"
"$mpiexec" -n 2 "$cytostorm" run "$work/box.yaml" --output "$work/locked" --set time.end=1000h \
  --set output.progress_interval=0.2s >"$work/locked.log" 2>&1 &
launcher=$!
for _ in $(seq 300); do grep -q "t = " "$work/locked.log" 2>/dev/null && break; sleep 0.05; done
holder=
for pid in $(pgrep -P "$launcher"); do
  [[ $(tr '\0' '\n' <"/proc/$pid/environ" | sed -n 's/^OMPI_COMM_WORLD_RANK=//p') == 0 ]] && holder=$pid
done
rc=0
"$cytostorm" run "$work/box.yaml" --output "$work/locked" --quiet >"$work/locked.second" 2>&1 || rc=$?
[[ $rc == 2 ]] && grep -q "in use by another cytostorm run (pid $holder on host" "$work/locked.second" ||
  { cat "$work/locked.second"; fail "a run into a directory a 2-rank job holds: exit $rc"; }
rc=0
"$mpiexec" -n 2 "$cytostorm" run "$work/box.yaml" --output "$work/locked" --quiet >"$work/locked.third" 2>&1 || rc=$?
[[ $rc == 2 && $(grep -c "cytostorm: error:" "$work/locked.third") == 1 ]] &&
  grep -q "in use by another cytostorm run (pid $holder on host" "$work/locked.third" ||
  { cat "$work/locked.third"; fail "a 2-rank run into a directory a 2-rank job holds: exit $rc"; }
kill -USR1 "$launcher"
rc=0
wait "$launcher" || rc=$?
launcher=
[[ $rc == 3 ]] || { cat "$work/locked.log"; fail "the locking job after SIGUSR1: exit $rc"; }
[[ -e $work/locked/.cytostorm.lock ]] && fail "the stopped job left its lock file"
echo "lock under mpirun: held by rank 0 (pid $holder); a 1-process and a 2-rank run refused with exit 2; given back at the stop"

# A frozen rank under --walltime 0:10 (10 s; the wait limit: 10 s + a 5 s margin).
rm -rf "$work/frozen"
start=$SECONDS
"$mpiexec" -n 2 "$cytostorm" run "$work/box.yaml" --output "$work/frozen" --walltime 0:10 \
  --set output.progress_interval=0.2s >"$work/frozen.log" 2>&1 &
launcher=$!
for _ in $(seq 300); do grep -q "t = " "$work/frozen.log" 2>/dev/null && break; sleep 0.05; done
frozen=$(pgrep -P "$launcher" | tail -1)
frozen_rank=$(tr '\0' '\n' <"/proc/$frozen/environ" | sed -n 's/^OMPI_COMM_WORLD_RANK=//p')
kill -STOP "$frozen"
rc=0
timeout 60 tail --pid="$launcher" -f /dev/null || fail "the job still waits 60 s after a rank froze"
wait "$launcher" || rc=$?
launcher=
elapsed=$((SECONDS - start))
echo "frozen rank under --walltime 0:10: mpirun exit $rc after ${elapsed} s"
line=$(grep "cytostorm: error: rank" "$work/frozen.log" | head -1)
echo "  $line"
[[ $rc == 4 ]] || { cat "$work/frozen.log"; fail "frozen rank: exit $rc, expected 4"; }
[[ $line =~ rank\ [01]\ waited\ [0-9]+\ s\ for\ .*\ in\ the\ .*past\ --walltime ]] ||
  { cat "$work/frozen.log"; fail "frozen rank: no one-line report of the wait"; }
# The report names the frozen rank (a halo exchange knows it; a collective finds it by a roll call).
[[ $line == *"for rank $frozen_rank "* ]] || { cat "$work/frozen.log"; fail "frozen rank $frozen_rank is not the one named"; }
((${#line} <= 300)) || fail "the report is longer than 300 characters"
((elapsed >= 14 && elapsed <= 40)) || fail "gave up after ${elapsed} s, expected about 15 s"
# Rank 0 gave up too (or was the frozen one): either way the summary does not claim the run goes on.
[[ $(status_of "$work/frozen") =~ ^(failed|stopping)$ ]] || { cat "$work/frozen/summary.json"; fail "frozen rank: summary"; }

echo "PASS: SIGUSR1 exit 3 with a slow checkpoint; the lock held by rank 0; SIGTERM with grace completes the checkpoint; SIGTERM killed mid-write leaves summary 'stopping' and a restartable directory; a frozen rank ends the job with exit 4 past --walltime"
