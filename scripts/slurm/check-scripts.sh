#!/usr/bin/env bash
# Checks the SLURM scripts without SLURM: `bash -n` on each, then runs their
# logic locally with `scontrol` and `squeue` replaced by stubs that log their
# calls, on small scenarios:
#   run-requeue.sbatch  --stop-at-step: exit 3 and one requeue, then the
#                       next execution continues (--restart auto) to exit 0
#                       without a requeue, with the time series of an
#                       uninterrupted run; the --walltime derived from
#                       squeue %L / SLURM_JOB_END_TIME stops a run (exit 3,
#                       requeue); SIGUSR1 to the batch shell is forwarded
#                       (exit 3, requeue); SIGTERM is not requeued; bad input
#                       (exit 2) and MAX_REQUEUES are not requeued.
#   sweep-array.sbatch  the login-node check of every default value; one
#                       array task stopped (exit 3, requeue of that task)
#                       and continued to exit 0; a task index out of range.
#   multi-node.sbatch   with `srun` replaced by a stub that logs its
#                       arguments, runs two "ranks" of a fake cytostorm (a
#                       shell script that exits 0, 1, 2 or 3, writes a
#                       checkpoint or waits for a signal), relays SIGUSR1 to
#                       them and kills them on SIGTERM, as srun does: the
#                       srun and cytostorm command lines (--restart auto,
#                       --walltime, --backend gpu, --threads, DECOMPOSITION
#                       passed on, malformed or with fewer blocks than
#                       ranks refused), the OpenMP and Open MPI
#                       environment of the ranks; exit 3 requeued, 0,
#                       1 and 2 not, no new checkpoint and MAX_REQUEUES not;
#                       SIGUSR1 to the batch shell reaches every rank through
#                       srun (requeued), SIGTERM reaches them as SIGUSR1, never
#                       as SIGTERM (not requeued).
#
# Usage: scripts/slurm/check-scripts.sh     (from anywhere; about 10-20 s)
# Environment: CYTOSTORM (the binary, default build/cytostorm in the
#   repository), KEEP=1 to keep the scratch directory.
# Exits 0 when every check passes, 1 otherwise.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
repo=$PWD
cytostorm=${CYTOSTORM:-build/cytostorm}
[[ $cytostorm == /* ]] || cytostorm=$repo/$cytostorm
if [[ ! -x $cytostorm ]]; then
  echo "check-scripts.sh: error: no cytostorm binary at $cytostorm (build the project, or set CYTOSTORM)" >&2
  exit 1
fi

# No real SLURM job may leak in (this may itself run inside one).
while read -r name; do unset "$name"; done < <(compgen -v SLURM_)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cytostorm-slurm-check.XXXXXX") || exit 1

# Kills cytostorm processes of this check that are still running (a script
# that lost a signal would leave its 7-day scenario running); true if any.
kill_leftovers() {
  local pid found=1
  [[ -f $tmp/pids ]] || return 1
  while read -r pid; do
    if kill -0 "$pid" 2>/dev/null && [[ $(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") == *"$tmp"* ]]; then
      kill -s KILL "$pid" 2>/dev/null
      found=0
    fi
  done <"$tmp/pids"
  return $found
}
cleanup() {
  kill_leftovers
  if [[ ${KEEP:-0} == 1 ]]; then
    echo "scratch kept in $tmp"
  else
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT

# ---- stubs ----
mkdir -p "$tmp/bin"
calls=$tmp/calls.log
cyto_args=$tmp/cytostorm-args.log
cat >"$tmp/bin/scontrol" <<EOF
#!/usr/bin/env bash
printf 'scontrol %s\n' "\$*" >>$(printf '%q' "$calls")
exit "\${FAKE_SCONTROL_RC:-0}"
EOF
cat >"$tmp/bin/squeue" <<EOF
#!/usr/bin/env bash
printf 'squeue %s\n' "\$*" >>$(printf '%q' "$calls")
[[ -n \${FAKE_SQUEUE:-} ]] || exit 1
printf '%s\n' "\$FAKE_SQUEUE"
EOF
cat >"$tmp/bin/cytostorm" <<EOF
#!/usr/bin/env bash
printf '%s\n' "\$*" >>$(printf '%q' "$cyto_args")
printf '%s\n' "\$\$" >>$(printf '%q' "$tmp/pids")
exec $(printf '%q' "$cytostorm") "\$@"
EOF
# srun: logs its arguments, skips its options (the script passes them all as
# --name=value), and runs the command as FAKE_TASKS (2) tasks with
# SLURM_PROCID and SLURM_LOCALID set. Like srun it relays SIGUSR1 (and
# SIGUSR2) to every task, kills every task on SIGTERM, takes SIGINT as a
# status request, and exits with the highest exit status of its tasks.
rank_env=$tmp/rank-env.log
cat >"$tmp/bin/srun" <<EOF
#!/usr/bin/env bash
calls=$(printf '%q' "$calls")
printf 'srun %s\n' "\$*" >>"\$calls"
printf '%s\n' "\$\$" >>$(printf '%q' "$tmp/pids")
while ((\$#)) && [[ \$1 == -* ]]; do shift; done
tasks=()
signalled=0
relay() {
  signalled=1
  printf 'srun got SIG%s\n' "\$1" >>"\$calls"
  case \$1 in
    TERM) kill -s KILL "\${tasks[@]}" 2>/dev/null ;;
    INT) ;;
    *) kill -s "\$1" "\${tasks[@]}" 2>/dev/null ;;
  esac
}
for sig in USR1 USR2 TERM INT; do trap "relay \$sig" "\$sig"; done
for ((i = 0; i < \${FAKE_TASKS:-2}; ++i)); do
  SLURM_PROCID=\$i SLURM_LOCALID=\$i "\$@" &
  tasks+=(\$!)
done
highest=0
for pid in "\${tasks[@]}"; do
  while :; do
    signalled=0
    status=0
    wait "\$pid" || status=\$?
    ((signalled)) || break
  done
  ((status > highest)) && highest=\$status
done
exit "\$highest"
EOF
# A fake cytostorm for the multi-node checks (no MPI here): logs its
# arguments and the ranks' environment, then per FAKE_CYTOSTORM:
#   exit0, exit1, exit2: exits so (exit0 writes a final checkpoint)
#   exit3: writes a new checkpoint (rank 0: one collective file) and exits 3
#   exit3-no-checkpoint: exits 3 without one
#   exit4: exits 4 (a rank stopped answering)
#   exit1-stopped: writes a new checkpoint and a "stopped" summary.json, then
#     exits 1 (mpirun after SIGTERM: its own exit code, whatever the ranks did)
#   finished-killed: writes a final checkpoint and a "finished" summary.json,
#     then exits 138 (a launcher killed by SIGUSR1 in its tear-down)
#   wait: marks OUTPUT/ready.<rank>, waits (up to 60 s) for SIGUSR1, SIGTERM
#     or SIGINT, logs it, writes a checkpoint and exits 3
#   no-handlers: marks OUTPUT/ready.<rank> and waits without handlers (a
#     rank still starting up: the signal's default action ends it)
cat >"$tmp/bin/fake-cytostorm" <<EOF
#!/usr/bin/env bash
calls=$(printf '%q' "$calls")
printf '%s\n' "\$*" >>$(printf '%q' "$cyto_args")
printf '%s\n' "\$\$" >>$(printf '%q' "$tmp/pids")
rank=\${SLURM_PROCID:-0}
printf 'rank %s: OMP_NUM_THREADS=%s OMP_PROC_BIND=%s OMP_PLACES=%s OMPI_MCA_opal_cuda_support=%s OMPI_MCA_odls_base_sigkill_timeout=%s\n' "\$rank" \
  "\${OMP_NUM_THREADS-unset}" "\${OMP_PROC_BIND-unset}" "\${OMP_PLACES-unset}" \
  "\${OMPI_MCA_opal_cuda_support-unset}" "\${OMPI_MCA_odls_base_sigkill_timeout-unset}" >>$(printf '%q' "$rank_env")
output=
previous=
for arg in "\$@"; do
  [[ \$previous == --output ]] && output=\$arg
  previous=\$arg
done
[[ -n \$output ]] || exit 2
mkdir -p "\$output" || exit 1
checkpoint() {
  ((rank == 0)) && : >"\$output/checkpoint_\$(printf '%012d' "\$1").h5"
  return 0
}
case \${FAKE_CYTOSTORM:-exit0} in
  exit0) checkpoint 178; exit 0 ;;
  exit1) exit 1 ;;
  exit2) exit 2 ;;
  exit3) checkpoint 60; exit 3 ;;
  exit3-no-checkpoint) exit 3 ;;
  exit4) exit 4 ;;
  finished-killed)
    checkpoint 178
    ((rank == 0)) && printf '{\n  "status": "finished"\n}\n' >"\$output/summary.json"
    exit 138
    ;;
  exit1-stopped)
    checkpoint 60
    ((rank == 0)) && printf '{\n  "status": "stopped"\n}\n' >"\$output/summary.json"
    exit 1
    ;;
  wait)
    stop=
    for sig in USR1 TERM INT; do trap "stop=\$sig" "\$sig"; done
    : >"\$output/ready.\$rank"
    for ((i = 0; i < 600; ++i)); do
      [[ -n \$stop ]] && break
      sleep 0.1
    done
    [[ -n \$stop ]] || exit 9
    printf 'rank %s got SIG%s\n' "\$rank" "\$stop" >>"\$calls"
    checkpoint 60
    exit 3
    ;;
  no-handlers)
    : >"\$output/ready.\$rank"
    for ((i = 0; i < 600; ++i)); do sleep 0.1; done
    exit 9
    ;;
esac
exit 9
EOF
chmod +x "$tmp/bin/scontrol" "$tmp/bin/squeue" "$tmp/bin/cytostorm" "$tmp/bin/srun" "$tmp/bin/fake-cytostorm"

requeue_script=scripts/slurm/run-requeue.sbatch
sweep_script=scripts/slurm/sweep-array.sbatch
mpi_script=scripts/slurm/multi-node.sbatch
failures=0
started=$SECONDS

pass() { printf 'ok    %s\n' "$1"; }
fail() {
  printf 'FAIL  %s: %s\n' "$1" "$2"
  if [[ -n ${3:-} && -f $3 ]]; then
    sed 's/^/      | /' "$3" | tail -n 25
  fi
  failures=$((failures + 1))
}

# Runs a script with the stubs first in PATH.
#   launch NAME SCRIPT [VAR=VALUE ...] -- [script arguments ...]
# Leaves the script's exit status in $rc, its output in $tmp/NAME.log; in
# the background (pid in $bg) when BACKGROUND=1.
launch() {
  local name=$1 script=$2
  shift 2
  local envs=()
  while (($#)) && [[ $1 != -- ]]; do
    envs+=("$1")
    shift
  done
  (($#)) && shift
  : >"$calls"
  : >"$cyto_args"
  if [[ ${BACKGROUND:-0} == 1 ]]; then
    env PATH="$tmp/bin:$PATH" CYTOSTORM="$tmp/bin/cytostorm" BACKEND=cpu SLURM_CPUS_PER_TASK=1 "${envs[@]}" \
      bash "$script" "$@" >"$tmp/$name.log" 2>&1 &
    bg=$!
    rc=
  else
    rc=0
    env PATH="$tmp/bin:$PATH" CYTOSTORM="$tmp/bin/cytostorm" BACKEND=cpu SLURM_CPUS_PER_TASK=1 "${envs[@]}" \
      bash "$script" "$@" >"$tmp/$name.log" 2>&1 || rc=$?
  fi
}

# expect NAME RC REQUEUE_JOB_OR_none [FILE PATTERN]...
expect() {
  local name=$1 want_rc=$2 want_requeue=$3 ok=1
  shift 3
  local log=$tmp/$name.log
  if [[ $rc != "$want_rc" ]]; then
    fail "$name" "exit $rc, expected $want_rc" "$log"
    return
  fi
  local requeues
  requeues=$(grep -c '^scontrol requeue' "$calls")
  if [[ $want_requeue == none ]]; then
    if ((requeues != 0)); then
      fail "$name" "scontrol requeue was called ($(grep '^scontrol' "$calls" | tr '\n' ' ')), expected no requeue" "$log"
      return
    fi
  elif ((requeues != 1)) || ! grep -qx "scontrol requeue $want_requeue" "$calls"; then
    fail "$name" "expected one 'scontrol requeue $want_requeue', found: $(tr '\n' ' ' <"$calls")" "$log"
    return
  fi
  while (($# >= 2)); do
    if [[ ! -f $1 ]] || ! grep -qF -- "$2" "$1"; then
      fail "$name" "no \"$2\" in ${1#"$tmp"/}" "$log"
      ok=0
      break
    fi
    shift 2
  done
  local what=", requeued"
  [[ $want_requeue == none ]] && what=", no requeue"
  ((ok)) && pass "$name (exit $rc$what)"
}

# Waits (up to 60 s) for background job $bg, then kills it and any cytostorm
# left running. Leaves its exit status in $rc (killed: 137), and reports a
# cytostorm that outlived its script.
wait_background() {
  local i
  for ((i = 0; i < 600; ++i)); do
    kill -0 "$bg" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$bg" 2>/dev/null && kill -s KILL "$bg" 2>/dev/null
  rc=0
  wait "$bg" 2>/dev/null || rc=$?
  if kill_leftovers; then
    fail "$1" "cytostorm was still running after its script ended (killed)"
  fi
}

# Waits (up to 30 s) for FILE while background job $bg runs.
wait_for_file() {
  local i
  for ((i = 0; i < 300; ++i)); do
    [[ -e $1 ]] && return 0
    kill -0 "$bg" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# ---- syntax ----
for script in "$requeue_script" "$sweep_script" "$mpi_script" scripts/slurm/check-scripts.sh; do
  if msg=$(bash -n "$script" 2>&1); then pass "bash -n $script"; else fail "bash -n $script" "$msg"; fi
done

short=(--set time.end=20min --set output.interval=10min)  # 178 steps of configs/default.yaml
long=(--set time.end=7d --set output.interval=1d)         # far longer than any check waits

# ---- run-requeue.sbatch ----
out=$tmp/requeue
launch requeue-first "$requeue_script" SCENARIO=configs/default.yaml OUTPUT="$out" SLURM_JOB_ID=4242 \
  FAKE_SQUEUE=UNLIMITED -- "${short[@]}" --stop-at-step 60
expect requeue-first 3 4242 "$out/summary.json" '"stop_reason": "--stop-at-step 60"' \
  "$tmp/requeue-first.log" "time limit unknown"
if grep -q -- --walltime "$cyto_args"; then fail requeue-first "--walltime passed although squeue said UNLIMITED"; fi

launch requeue-second "$requeue_script" SCENARIO=configs/default.yaml OUTPUT="$out" SLURM_JOB_ID=4242 \
  SLURM_RESTART_COUNT=1 FAKE_SQUEUE=UNLIMITED -- "${short[@]}"
expect requeue-second 0 none "$out/summary.json" '"status": "finished"' \
  "$tmp/requeue-second.log" "restarting from $out/checkpoint_000000000060.h5" "$tmp/requeue-second.log" "execution 2"

# The two executions give the time series of one uninterrupted run.
if "$cytostorm" run configs/default.yaml --output "$tmp/straight" --backend cpu --threads 1 --quiet "${short[@]}" \
  >"$tmp/straight.log" 2>&1 && cmp -s "$out/timeseries.csv" "$tmp/straight/timeseries.csv"; then
  pass "requeued run's timeseries.csv is identical to an uninterrupted run's"
else
  fail "requeued run vs uninterrupted run" "timeseries.csv differs (or the run failed)" "$tmp/straight.log"
fi

out=$tmp/walltime
launch requeue-walltime "$requeue_script" SCENARIO=configs/default.yaml OUTPUT="$out" SLURM_JOB_ID=4243 \
  FAKE_SQUEUE=1:01 WALLTIME_RESERVE=60 -- "${long[@]}"
expect requeue-walltime 3 4243 "$cyto_args" "--walltime 0:00:01" "$out/summary.json" '"stop_reason": "--walltime' \
  "$calls" "squeue -h -j 4243 -o %L"

out=$tmp/endtime
launch requeue-end-time "$requeue_script" SCENARIO=configs/default.yaml OUTPUT="$out" SLURM_JOB_ID=4244 \
  SLURM_JOB_END_TIME=$(($(date +%s) + 62)) WALLTIME_RESERVE=60 FAKE_SCONTROL_RC=1 -- "${long[@]}"
expect requeue-end-time 3 4244 "$cyto_args" "--walltime 0:00:0" "$out/summary.json" '"stop_reason": "--walltime' \
  "$tmp/requeue-end-time.log" "scontrol requeue failed"

out=$tmp/days
launch requeue-bad-input "$requeue_script" SCENARIO=configs/default.yaml OUTPUT="$out" SLURM_JOB_ID=4245 \
  FAKE_SQUEUE=1-00:00:00 WALLTIME_RESERVE=60 -- --set time.end=banana
expect requeue-bad-input 2 none "$cyto_args" "--walltime 23:59:00" "$tmp/requeue-bad-input.log" "not requeued"

out=$tmp/max
launch requeue-max "$requeue_script" SCENARIO=configs/default.yaml OUTPUT="$out" SLURM_JOB_ID=4246 \
  SLURM_RESTART_COUNT=3 MAX_REQUEUES=3 FAKE_SQUEUE=UNLIMITED -- "${short[@]}" --stop-at-step 5
expect requeue-max 3 none "$tmp/requeue-max.log" "MAX_REQUEUES=3"

# Signals to the batch shell: SIGUSR1 (SLURM's --signal=B:USR1) is
# forwarded and requeued; SIGTERM (scancel) is forwarded, not requeued.
for sig in USR1 TERM; do
  out=$tmp/signal-$sig
  BACKGROUND=1 launch "requeue-$sig" "$requeue_script" SCENARIO=configs/default.yaml OUTPUT="$out" \
    SLURM_JOB_ID=4247 FAKE_SQUEUE=UNLIMITED -- "${long[@]}"
  # The t = 0 snapshot is written once cytostorm is in its time loop.
  if wait_for_file "$out/snapshot_000000.h5"; then
    kill -s "$sig" "$bg"
  else
    kill -s TERM "$bg" 2>/dev/null
  fi
  wait_background "requeue-$sig"
  if [[ $sig == USR1 ]]; then
    expect requeue-USR1 3 4247 "$out/summary.json" '"stop_reason": "SIGUSR1 received"'
  else
    expect requeue-TERM 3 none "$out/summary.json" '"stop_reason": "SIGTERM received"' \
      "$tmp/requeue-TERM.log" "not requeued"
  fi
done

# ---- sweep-array.sbatch ----
launch sweep-check "$sweep_script" --
expect sweep-check 0 none "$tmp/sweep-check.log" "all 8 values are valid"

root=$tmp/sweep
sweep_env=(SCENARIO=configs/therapy_timing.yaml OUTPUT_ROOT="$root" SWEEP_VALUES="2h 4h" SLURM_ARRAY_JOB_ID=5000
  SLURM_ARRAY_TASK_ID=1 SLURM_JOB_ID=5002 FAKE_SQUEUE=UNLIMITED)
sweep_short=(--set time.end=6h --set output.interval=1h)
launch sweep-first "$sweep_script" "${sweep_env[@]}" -- "${sweep_short[@]}" --stop-at-step 50
expect sweep-first 3 5002 "$cyto_args" "--set therapies.tocilizumab.dose.time=4h" \
  "$root/01-4h/summary.json" '"stop_reason": "--stop-at-step 50"'
launch sweep-second "$sweep_script" "${sweep_env[@]}" SLURM_RESTART_COUNT=1 -- "${sweep_short[@]}"
expect sweep-second 0 none "$root/01-4h/summary.json" '"status": "finished"' \
  "$tmp/sweep-second.log" "restarting from $root/01-4h/checkpoint_000000000050.h5"
if [[ -e $root/00-2h ]]; then fail sweep-second "task 0's directory was created by task 1"; fi

launch sweep-out-of-range "$sweep_script" "${sweep_env[@]/#SLURM_ARRAY_TASK_ID=1/SLURM_ARRAY_TASK_ID=2}" -- "${sweep_short[@]}"
expect sweep-out-of-range 2 none "$tmp/sweep-out-of-range.log" "array task 2 has no value"

# ---- multi-node.sbatch ----
# Runs the multi-node script with the srun stub and the fake cytostorm, as
# 8 ranks of 16 cores on paper (2 fake ones run), with BACKEND empty (the
# script's default) and no OpenMP or Open MPI settings of our own (the
# script exports its own).
#   launch_mpi NAME [VAR=VALUE ...] -- [script arguments ...]
unset OMP_NUM_THREADS OMP_PROC_BIND OMP_PLACES OMPI_MCA_opal_cuda_support OMPI_MCA_odls_base_sigkill_timeout
launch_mpi() {
  local name=$1
  shift
  : >"$rank_env"
  launch "$name" "$mpi_script" CYTOSTORM="$tmp/bin/fake-cytostorm" SCENARIO=configs/default.yaml OUTPUT="$out" \
    SLURM_CPUS_PER_TASK=16 SLURM_NTASKS=8 BACKEND= "$@"
}
# fail_if NAME FILE PATTERN MESSAGE: a failure when FILE holds PATTERN.
fail_if() {
  if grep -qF -- "$3" "$2"; then fail "$1" "$4" "$tmp/$1.log"; fi
}

out=$tmp/mpi
launch_mpi mpi-first SLURM_JOB_ID=6001 FAKE_SQUEUE=1-00:00:00 FAKE_CYTOSTORM=exit3 --
expect mpi-first 3 6001 \
  "$calls" "srun --kill-on-bad-exit=0 --cpu-bind=cores --cpus-per-task=16 $tmp/bin/fake-cytostorm run configs/default.yaml" \
  "$cyto_args" "--output $out --backend gpu --restart auto --threads 16" \
  "$cyto_args" "--walltime 23:58:00" "$calls" "squeue -h -j 6001 -o %L" \
  "$rank_env" "rank 1: OMP_NUM_THREADS=16 OMP_PROC_BIND=close OMP_PLACES=cores OMPI_MCA_opal_cuda_support=true OMPI_MCA_odls_base_sigkill_timeout=25" \
  "$tmp/mpi-first.log" "stopped at $out/checkpoint_000000000060.h5: requeueing job 6001"
fail_if mpi-first "$cyto_args" --decomposition "--decomposition passed although DECOMPOSITION is unset"
if (($(wc -l <"$cyto_args") != 2)); then fail mpi-first "expected 2 ranks started, found $(wc -l <"$cyto_args")"; fi

launch_mpi mpi-second SLURM_JOB_ID=6001 SLURM_RESTART_COUNT=1 FAKE_SQUEUE=UNLIMITED FAKE_CYTOSTORM=exit0 \
  DECOMPOSITION=4x2x1 BACKEND=cpu -- --set time.end=1h
expect mpi-second 0 none "$cyto_args" "--backend cpu --restart auto --decomposition 4x2x1 --threads 16" \
  "$cyto_args" "--set output.progress_interval=5 min --set time.end=1h" \
  "$tmp/mpi-second.log" "execution 2" "$tmp/mpi-second.log" "time limit unknown"
fail_if mpi-second "$cyto_args" --walltime "--walltime passed although squeue said UNLIMITED"

# DECOMPOSITION is checked before srun starts.
bad=0
for value in 2x2 2x0x4 2X2X2 2x2x2x1 " 2x2x2" -2x2x2 2x2x; do
  launch_mpi mpi-decomposition SLURM_JOB_ID=6002 FAKE_SQUEUE=UNLIMITED DECOMPOSITION="$value" --
  if [[ $rc != 2 ]] || grep -q '^srun' "$calls" ||
    ! grep -qF "DECOMPOSITION=$value: expected three positive integers joined by x" "$tmp/mpi-decomposition.log"; then
    fail "mpi-decomposition" "DECOMPOSITION=\"$value\": exit $rc (expected 2, refused before srun)" \
      "$tmp/mpi-decomposition.log"
    bad=1
    break
  fi
done
((bad)) || pass "mpi-decomposition: malformed DECOMPOSITION refused before srun (exit 2, no requeue)"
launch_mpi mpi-decomposition-ranks SLURM_JOB_ID=6002 FAKE_SQUEUE=UNLIMITED DECOMPOSITION=2x2x1 --
expect mpi-decomposition-ranks 2 none "$tmp/mpi-decomposition-ranks.log" "has 4 blocks, fewer than the 8 ranks"
fail_if mpi-decomposition-ranks "$calls" srun "srun was started"
# More blocks than ranks may fit (blocks without tissue get no rank): cytostorm decides.
out=$tmp/mpi-blocks
launch_mpi mpi-decomposition-blocks SLURM_JOB_ID=6002 FAKE_SQUEUE=UNLIMITED DECOMPOSITION=3x3x1 FAKE_CYTOSTORM=exit0 --
expect mpi-decomposition-blocks 0 none "$cyto_args" "--decomposition 3x3x1"

out=$tmp/mpi-stuck
launch_mpi mpi-no-progress SLURM_JOB_ID=6003 FAKE_SQUEUE=UNLIMITED FAKE_CYTOSTORM=exit3-no-checkpoint --
expect mpi-no-progress 3 none "$tmp/mpi-no-progress.log" "stopped without a new checkpoint"

launch_mpi mpi-failure SLURM_JOB_ID=6004 FAKE_SQUEUE=UNLIMITED FAKE_CYTOSTORM=exit1 --
expect mpi-failure 1 none "$tmp/mpi-failure.log" "runtime failure (exit 1"
launch_mpi mpi-bad-input SLURM_JOB_ID=6004 FAKE_SQUEUE=UNLIMITED FAKE_CYTOSTORM=exit2 --
expect mpi-bad-input 2 none "$tmp/mpi-bad-input.log" "bad input (exit 2"

# A rank stopped answering: not requeued.
out=$tmp/mpi-unresponsive
launch_mpi mpi-unresponsive SLURM_JOB_ID=6007 FAKE_SQUEUE=UNLIMITED FAKE_CYTOSTORM=exit4 --
expect mpi-unresponsive 4 none "$tmp/mpi-unresponsive.log" "a rank stopped answering (exit 4"
# mpirun's exit 1 after SIGTERM, with the ranks' summary saying stopped: a stop (exit 3, requeued).
out=$tmp/mpi-mpirun-term
launch_mpi mpi-mpirun-term SLURM_JOB_ID=6008 FAKE_SQUEUE=UNLIMITED FAKE_CYTOSTORM=exit1-stopped --
expect mpi-mpirun-term 3 6008 "$tmp/mpi-mpirun-term.log" "the ranks stopped with a checkpoint (summary.json): exit 3"

# A launcher killed by a signal as the ranks end (128 + n), with the summary saying finished: done (exit 0).
out=$tmp/mpi-finished-killed
launch_mpi mpi-finished-killed SLURM_JOB_ID=6009 FAKE_SQUEUE=UNLIMITED FAKE_CYTOSTORM=finished-killed --
expect mpi-finished-killed 0 none "$tmp/mpi-finished-killed.log" "but the ranks finished the run (summary.json): exit 0"
# ... but not a bad exit whose summary is an earlier run's: 128 + n only.
launch_mpi mpi-finished-bad-input SLURM_JOB_ID=6009 FAKE_SQUEUE=UNLIMITED FAKE_CYTOSTORM=exit2 --
expect mpi-finished-bad-input 2 none "$tmp/mpi-finished-bad-input.log" "bad input (exit 2"

out=$tmp/mpi-max
launch_mpi mpi-max SLURM_JOB_ID=6005 SLURM_RESTART_COUNT=3 MAX_REQUEUES=3 FAKE_SQUEUE=UNLIMITED FAKE_CYTOSTORM=exit3 --
expect mpi-max 3 none "$tmp/mpi-max.log" "MAX_REQUEUES=3"

# Signals to the batch shell (as --signal=B:USR1 or scancel --batch send
# them): SIGUSR1 goes to srun, which relays it to every rank (requeued);
# SIGTERM also goes to srun as SIGUSR1, since srun kills its tasks on
# SIGTERM (not requeued). A rank still starting up dies of the SIGUSR1:
# nothing lost, requeued.
for mode in USR1 TERM early; do
  out=$tmp/mpi-signal-$mode
  sig=$mode fake=wait
  [[ $mode == early ]] && sig=USR1 fake=no-handlers
  BACKGROUND=1 launch_mpi "mpi-$mode" SLURM_JOB_ID=6006 FAKE_SQUEUE=UNLIMITED FAKE_CYTOSTORM=$fake --
  if wait_for_file "$out/ready.0" && wait_for_file "$out/ready.1"; then
    kill -s "$sig" "$bg"
  else
    kill -s TERM "$bg" 2>/dev/null
  fi
  wait_background "mpi-$mode"
  case $mode in
    USR1)
      expect mpi-USR1 3 6006 "$calls" "srun got SIGUSR1" "$calls" "rank 0 got SIGUSR1" "$calls" "rank 1 got SIGUSR1" \
        "$tmp/mpi-USR1.log" "stopped at $out/checkpoint_000000000060.h5: requeueing"
      ;;
    TERM)
      expect mpi-TERM 3 none "$calls" "srun got SIGUSR1" "$calls" "rank 0 got SIGUSR1" "$calls" "rank 1 got SIGUSR1" \
        "$tmp/mpi-TERM.log" "not requeued"
      fail_if mpi-TERM "$calls" "srun got SIGTERM" "SIGTERM was forwarded to srun (it would kill the ranks)"
      ;;
    early)
      expect mpi-early 3 6006 "$calls" "srun got SIGUSR1" "$tmp/mpi-early.log" "before their time loop; nothing lost"
      ;;
  esac
done

echo
if ((failures)); then
  echo "check-scripts.sh: $failures check(s) failed ($((SECONDS - started)) s)"
  exit 1
fi
echo "check-scripts.sh: all checks passed ($((SECONDS - started)) s)"
