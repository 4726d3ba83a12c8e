#!/usr/bin/env python3
"""MPI strong- and weak-scaling benchmark for `cytostorm run` (CPU backend).

Generates dense-box scenarios (one tissue filling the grid, S diffusing and
decaying species, start and end outputs only, no snapshots, no checkpoints)
in a temporary directory and runs them under `mpirun -n P`:

  strong scaling: one fixed grid for every rank count P;
  weak scaling:   a fixed block per rank, the grid growing along x
                  (P blocks, decomposition Px1x1; --weak-axes x,z adds a
                  series growing along z, 1x1xP).

Each configuration runs --repeats times (interleaved: repeat 1 of every
configuration, then repeat 2, ...), and the median is reported. A run
during which other processes took more than --max-foreign cores (or more
than the cores it leaves idle) is retried (--retries); statistics use the
clean runs where there are any. From each run's summary.json it takes
performance.stepping_s, time.steps and the mpi section (decomposition,
imbalance, halo_wait_s_max, halo_pack_s_max). It also runs `cytostorm
bench --backend cpu --sizes 64 --species 1 --precision float` (1 and 2
threads) at the start and the end for the main-memory copy bandwidth
measured in the same session. Results are written after every repeat;
no repeat or retry starts after --time-budget seconds.

Every run records how much CPU time other processes took while it ran
(from /proc/stat, less this script's own children), because the machine
it was written on is shared.

Python 3 standard library only. Example:

  benchmarks/mpi_scaling.py --binary build/cytostorm --ranks 1,2,4,8 --weak-axes x,z \\
      --start-when-idle 600 --output benchmarks/results/cpu-2core-mpi-scaling.json

(see benchmarks/SCALING.md for the run recorded in results/ and what it shows).
"""

import argparse
import datetime as _dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

VOXEL_UM = 10.0  # voxel edge; with D <= 600 um^2/min the stable dt is 1.67 s
DT_S = 1.0       # fixed step (s)
SPECIES = [      # name, diffusion (um^2/min), half-life, initial (pg/mL)
    ("A", 600, "1 h", 100),
    ("B", 400, "2 h", 50),
    ("C", 300, "30 min", 10),
    ("D", 200, "3 h", 1),
    ("E", 500, "45 min", 20),
    ("F", 350, "90 min", 5),
    ("G", 250, "4 h", 2),
    ("H", 150, "20 min", 8),
]
CLK_TCK = os.sysconf("SC_CLK_TCK")


def parse_triple(text):
    parts = [int(v) for v in text.lower().split("x" if "x" in text.lower() else ",")]
    if len(parts) != 3 or min(parts) <= 0:
        raise argparse.ArgumentTypeError(f"expected NXxNYxNZ, found {text!r}")
    return parts


def scenario_yaml(name, grid, species, steps):
    ext = [n * VOXEL_UM for n in grid]
    lines = [
        f"name: {name}",
        "description: dense box of one tissue for MPI scaling (benchmarks/mpi_scaling.py)",
        "precision: float",
        "grid:",
        f"  extent: [{ext[0]:g} um, {ext[1]:g} um, {ext[2]:g} um]",
        f"  voxel: {VOXEL_UM:g} um",
        "tissues:",
        "  - {name: tissue, label: 1}",
        "geometry:",
        "  - tissue: tissue",
        f"    box: {{min: [0 um, 0 um, 0 um], max: [{ext[0]:g} um, {ext[1]:g} um, {ext[2]:g} um]}}",
        "species:",
    ]
    for sp_name, d, half, init in SPECIES[:species]:
        lines.append(f"  - {{name: {sp_name}, diffusion: {d} um^2/min, half_life: {half}, initial: {init} pg/mL}}")
    end = steps * DT_S
    lines += [
        "time:",
        f"  end: {end:g} s",
        f"  dt: {DT_S:g} s",
        "  substepping: false",
        "output:",
        f"  interval: {end:g} s",  # outputs at the start and the end only
        "  snapshots: false",
        "  progress_interval: 1 h",
        # no checkpoint section: no periodic checkpoints
    ]
    return "\n".join(lines) + "\n"


def cpu_busy_jiffies():
    """Busy and steal jiffies over all CPUs, from /proc/stat."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except OSError:
        return None
    user, nice, system, idle, iowait, irq, softirq = fields[:7]
    steal = fields[7] if len(fields) > 7 else 0
    return user + nice + system + irq + softirq, steal


def children_cpu_s():
    t = os.times()
    return t.children_user + t.children_system


def wait_until_idle(max_wait_s, threshold_cores=0.25, sample_s=0.5):
    """Waits (at most max_wait_s) until other processes use < threshold cores; returns (waited_s, last_busy_cores)."""
    start = time.monotonic()
    busy = None
    while True:
        a = cpu_busy_jiffies()
        time.sleep(sample_s)
        b = cpu_busy_jiffies()
        if a is None or b is None:
            return 0.0, None
        busy = (b[0] - a[0]) / CLK_TCK / sample_s
        waited = time.monotonic() - start
        if busy < threshold_cores or waited >= max_wait_s:
            return waited, busy


def mpi_env():
    env = dict(os.environ)
    env.update({
        "OMPI_ALLOW_RUN_AS_ROOT": "1",
        "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
        "OMP_NUM_THREADS": "1",
    })
    return env


def run_case(args, yaml_path, ranks, decomposition, outdir):
    cmd = [args.mpirun, "-n", str(ranks), "--oversubscribe", "--bind-to", "none",
           args.binary, "run", yaml_path, "--backend", "cpu", "--threads", "1", "--quiet", "--output", outdir]
    if decomposition:
        cmd[cmd.index("--quiet"):cmd.index("--quiet")] = ["--decomposition", decomposition]
    waited, busy_before = wait_until_idle(args.idle_wait) if args.idle_wait > 0 else (0.0, None)
    j0, c0, w0 = cpu_busy_jiffies(), children_cpu_s(), time.monotonic()
    proc = subprocess.run(cmd, env=mpi_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    j1, c1, w1 = cpu_busy_jiffies(), children_cpu_s(), time.monotonic()
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"mpi_scaling: run failed (exit {proc.returncode}): {' '.join(cmd)}")
    with open(os.path.join(outdir, "summary.json")) as f:
        summary = json.load(f)
    wall = w1 - w0
    own = c1 - c0
    foreign = None
    steal = None
    if j0 is not None and j1 is not None:
        foreign = max(0.0, (j1[0] - j0[0]) / CLK_TCK - own)
        steal = (j1[1] - j0[1]) / CLK_TCK
    perf = summary["performance"]
    steps = summary["time"]["steps"]
    mpi = summary.get("mpi") or {}
    grid = summary["grid"]
    rec = {
        "ranks": ranks,
        "decomposition": mpi.get("decomposition", "1x1x1"),
        "grid": [grid["nx"], grid["ny"], grid["nz"]],
        "steps": steps,
        "stepping_s": perf["stepping_s"],
        "s_per_step": perf["stepping_s"] / steps,
        "halo_wait_s_per_step": mpi.get("halo_wait_s_max", 0.0) / steps,
        "halo_pack_s_per_step": mpi.get("halo_pack_s_max", 0.0) / steps,
        "imbalance": mpi.get("imbalance", 1.0),
        "wall_s": wall,
        "own_cpu_s": own,
        "foreign_cpu_s": foreign,
        "foreign_cores": None if foreign is None else foreign / wall,
        "steal_s": steal,
        "idle_wait_s": waited,
        "busy_cores_before": busy_before,
    }
    return rec, summary


def halo_bytes_per_step(grid, decomposition, species, real_bytes=4):
    """Largest bytes one rank sends per step (each also receives as much), for even cuts."""
    parts = [int(v) for v in decomposition.split("x")]
    block = [g // p for g, p in zip(grid, parts)]
    faces = 0
    worst = 0
    # Worst rank: an interior one where it exists (two faces on every split axis).
    for axis in range(3):
        if parts[axis] == 1:
            continue
        others = [block[a] for a in range(3) if a != axis]
        n_faces = 2 if parts[axis] > 2 else 1
        faces += n_faces
        worst += n_faces * others[0] * others[1] * species * real_bytes
    return worst, faces


def copy_bandwidth(args, tmp, threads, when):
    """`cytostorm bench`'s main-memory copy with `threads` threads; retried while others disturb it."""
    for attempt in range(args.retries + 1):
        if args.idle_wait > 0:
            wait_until_idle(args.idle_wait)
        j0, c0, w0 = cpu_busy_jiffies(), children_cpu_s(), time.monotonic()
        rec = copy_bandwidth_once(args, tmp, threads)
        j1, c1, w1 = cpu_busy_jiffies(), children_cpu_s(), time.monotonic()
        foreign = None
        if j0 is not None and j1 is not None:
            foreign = max(0.0, (j1[0] - j0[0]) / CLK_TCK - (c1 - c0)) / (w1 - w0)
        rec.update({"when": when, "attempt": attempt, "foreign_cores": foreign,
                    "contaminated": (foreign or 0) > allowed_foreign(args, threads)})
        if not rec["contaminated"]:
            break
    return rec


def copy_bandwidth_once(args, tmp, threads):
    out = os.path.join(tmp, f"bench-copy-{threads}t.json")
    cmd = [args.binary, "bench", "--backend", "cpu", "--sizes", "64", "--species", "1", "--precision", "float",
           "--threads", str(threads), "--output", out]
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"mpi_scaling: bench failed (exit {proc.returncode})")
    with open(out) as f:
        bench = json.load(f)
    cpu = [b for b in bench["backends"] if b["backend"] == "cpu"][0]
    box = [c for c in cpu.get("cases", []) if c.get("domain") == "box"]
    return {
        "threads": threads,
        "command": " ".join(cmd),
        "copy_bytes": cpu["copy_bytes"],
        "copy_bandwidth_GB_s": cpu["copy_bandwidth_bytes_per_s"] / 1e9,
        "copy_note": "bytes read + bytes written per second (2 x copy_bytes moved), median of the bench's repetitions",
        "box_64cubed_1species_case": box[0] if box else None,
    }


def allowed_foreign(args, ranks):
    """Cores other processes may use during a run before it counts as contaminated: --max-foreign, or the
    cores the run leaves idle (one rank on two cores leaves one), whichever is more."""
    return max(args.max_foreign, float((os.cpu_count() or 1) - ranks))


def weak_kind(axis):
    return "weak" if axis == "x" else f"weak_{axis}"


def median(xs):
    return statistics.median(xs) if xs else None


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def git_commit(repo):
    try:
        return subprocess.run(["git", "-C", repo, "rev-parse", "HEAD"], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def calibrate(args, tmp, grid, label):
    """Steps for about --target-seconds of stepping on one rank (from a short one-rank run)."""
    steps = args.calibration_steps
    path = os.path.join(tmp, f"calibrate-{label}.yaml")
    with open(path, "w") as f:
        f.write(scenario_yaml(f"calibrate-{label}", grid, args.species, steps))
    rec, _ = run_case(args, path, 1, None, os.path.join(tmp, f"calibrate-{label}-out"))
    n = int(round(args.target_seconds / rec["s_per_step"]))
    return max(20, min(200000, n)), rec


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(here)
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", default=os.path.join(repo, "build", "cytostorm"), help="cytostorm executable")
    p.add_argument("--mpirun", default="mpirun", help="MPI launcher (Open MPI's mpirun options are used)")
    p.add_argument("--ranks", default="1,2,4,8", help="rank counts, comma-separated (1 is always run: it is the baseline)")
    p.add_argument("--output", default="mpi-scaling.json", help="JSON results file")
    p.add_argument("--quick", action="store_true", help="small grids, ~0.2 s per run, one repeat: a smoke run")
    p.add_argument("--species", type=int, default=4, help="diffusing species (1-8, default 4)")
    p.add_argument("--strong-grid", type=parse_triple, default=None, help="strong-scaling grid NXxNYxNZ (default 128x128x64)")
    p.add_argument("--weak-block", type=parse_triple, default=None, help="weak-scaling block per rank NXxNYxNZ (default 64x64x64)")
    p.add_argument("--target-seconds", type=float, default=None, help="one-rank stepping time per run (default 1.5; quick 0.2)")
    p.add_argument("--calibration-steps", type=int, default=None, help="steps of the one-rank calibration runs (default 100; quick 20)")
    p.add_argument("--repeats", type=int, default=None, help="runs per configuration (default 3; quick 1)")
    p.add_argument("--idle-wait", type=float, default=None,
                   help="before each run, wait up to this many seconds for other processes to use < 0.25 cores (default 10; quick 0)")
    p.add_argument("--weak-axes", default="x",
                   help="axes the weak-scaling grid grows along, comma-separated (default x; e.g. x,z): "
                        "series 'weak' (x) and 'weak_y' / 'weak_z'")
    p.add_argument("--max-foreign", type=float, default=0.1,
                   help="a run during which other processes used more cores than this, or than the cores it leaves idle, "
                        "is contaminated (default 0.1)")
    p.add_argument("--retries", type=int, default=None,
                   help="retries of a contaminated run (default 2; quick 0)")
    p.add_argument("--time-budget", type=float, default=None,
                   help="seconds after which no further repeat or retry starts (default 540; quick 120); "
                        "results are written after every repeat")
    p.add_argument("--start-when-idle", type=float, default=0.0,
                   help="before anything, wait up to this many seconds for other processes to use < 0.25 cores")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory (scenarios and outputs)")
    args = p.parse_args()

    if not (1 <= args.species <= len(SPECIES)):
        p.error(f"--species must be 1 to {len(SPECIES)}")
    q = args.quick
    args.strong_grid = args.strong_grid or ([64, 64, 32] if q else [128, 128, 64])
    args.weak_block = args.weak_block or ([32, 32, 32] if q else [64, 64, 64])
    args.target_seconds = args.target_seconds or (0.2 if q else 1.5)
    args.calibration_steps = args.calibration_steps or (20 if q else 100)
    args.repeats = args.repeats or (1 if q else 3)
    if args.time_budget is None:
        args.time_budget = 120.0 if q else 540.0
    if args.retries is None:
        args.retries = 0 if q else 2
    weak_axes = [a.strip() for a in args.weak_axes.split(",") if a.strip()]
    if not weak_axes or any(a not in ("x", "y", "z") for a in weak_axes):
        p.error("--weak-axes takes x, y and z")
    if args.idle_wait is None:
        args.idle_wait = 0.0 if q else 10.0
    ranks = sorted({int(r) for r in args.ranks.split(",") if r.strip()} | {1})
    if min(ranks) < 1:
        p.error("--ranks must be positive")
    args.binary = os.path.abspath(args.binary)
    if not os.access(args.binary, os.X_OK):
        p.error(f"--binary {args.binary} is not an executable")
    if shutil.which(args.mpirun) is None:
        p.error(f"--mpirun {args.mpirun} not found")

    t_start = time.monotonic()
    if args.start_when_idle > 0:
        waited, busy = wait_until_idle(args.start_when_idle, sample_s=1.0)
        print(f"waited {waited:.0f} s for a quiet machine (others using {busy:.2f} cores)", flush=True)
        t_start = time.monotonic()  # the time budget counts from here
    tmp = tempfile.mkdtemp(prefix="cytostorm-mpi-scaling-")
    try:
        copies = [copy_bandwidth(args, tmp, 1, "start"), copy_bandwidth(args, tmp, 2, "start")]
        print(f"copy bandwidth: 1 thread {copies[0]['copy_bandwidth_GB_s']:.1f} GB/s, "
              f"2 threads {copies[1]['copy_bandwidth_GB_s']:.1f} GB/s (read + written)", flush=True)

        def copy_summary():
            summary = {"statistic": "highest clean measurement (the copy is measured at the start and the end of "
                                    "the session; other jobs only lower it)"}
            for threads in (1, 2):
                mine = [c for c in copies if c["threads"] == threads]
                clean = [c for c in mine if not c["contaminated"]] or mine
                summary[f"{threads}_thread{'s' if threads > 1 else ''}_GB_s"] = max(c["copy_bandwidth_GB_s"]
                                                                                  for c in clean)
            return summary

        strong_steps, strong_cal = calibrate(args, tmp, args.strong_grid, "strong")
        weak_steps, weak_cal = calibrate(args, tmp, args.weak_block, "weak")
        print(f"calibration: strong {strong_cal['s_per_step'] * 1e3:.3f} ms/step -> {strong_steps} steps; "
              f"weak {weak_cal['s_per_step'] * 1e3:.3f} ms/step -> {weak_steps} steps", flush=True)

        configs = []  # (kind, P, yaml, decomposition)
        for P in ranks:
            path = os.path.join(tmp, f"strong-{P}.yaml")
            with open(path, "w") as f:
                f.write(scenario_yaml(f"mpi-strong-{P}", args.strong_grid, args.species, strong_steps))
            configs.append(("strong", P, path, None))
        for axis in weak_axes:
            kind = weak_kind(axis)
            a = "xyz".index(axis)
            for P in ranks:
                grid = list(args.weak_block)
                grid[a] *= P
                parts = [1, 1, 1]
                parts[a] = P
                path = os.path.join(tmp, f"{kind}-{P}.yaml")
                with open(path, "w") as f:
                    f.write(scenario_yaml(f"mpi-{kind}-{P}", grid, args.species, weak_steps))
                configs.append((kind, P, path, "x".join(str(v) for v in parts) if P > 1 else None))
        kinds = ["strong"] + [weak_kind(a) for a in weak_axes]

        raw = {(k, P): [] for k, P, _, _ in configs}
        library = None
        build = None

        def report(repeats_done, complete):
            def kept(runs):
                clean = [r for r in runs if not r["contaminated"]]
                return (clean, "clean runs") if clean else (runs, "all runs (none clean)")

            results = {k: [] for k in kinds}
            for kind in kinds:
                if not raw[(kind, 1)]:
                    continue
                base, _ = kept(raw[(kind, 1)])
                t1 = median([r["s_per_step"] for r in base])
                t1_min = min(r["s_per_step"] for r in base)
                for P in ranks:
                    all_runs = raw[(kind, P)]
                    if not all_runs:
                        continue
                    runs, over = kept(all_runs)
                    tp = median([r["s_per_step"] for r in runs])
                    tp_min = min(r["s_per_step"] for r in runs)
                    eff = t1 / (P * tp) if kind == "strong" else t1 / tp
                    eff_min = t1_min / (P * tp_min) if kind == "strong" else t1_min / tp_min
                    first = runs[0]
                    voxels_per_rank = first["grid"][0] * first["grid"][1] * first["grid"][2] / P
                    halo_bytes, faces = halo_bytes_per_step(first["grid"], first["decomposition"], args.species)
                    results[kind].append({
                        "ranks": P,
                        "oversubscribed": P > (os.cpu_count() or 1),
                        "decomposition": first["decomposition"],
                        "grid": first["grid"],
                        "voxels_per_rank": voxels_per_rank,
                        "steps": first["steps"],
                        "statistics_over": f"{over}: {len(runs)} of {len(all_runs)}",
                        "stepping_s_median": median([r["stepping_s"] for r in runs]),
                        "s_per_step_median": tp,
                        "s_per_step_min": tp_min,
                        "halo_wait_s_per_step_median": median([r["halo_wait_s_per_step"] for r in runs]),
                        "halo_pack_s_per_step_median": median([r["halo_pack_s_per_step"] for r in runs]),
                        "parallel_efficiency": eff,
                        "parallel_efficiency_from_min": eff_min,
                        "imbalance": first["imbalance"],
                        "halo_faces_worst_rank": faces,
                        "halo_bytes_sent_per_step_worst_rank": halo_bytes,
                        "compulsory_bytes_per_step_per_rank": voxels_per_rank * (2 * args.species * 4 + 2),
                        "foreign_cores_max_of_kept": max((r["foreign_cores"] or 0) for r in runs),
                        "runs": all_runs,
                    })

            cores = os.cpu_count()
            doc = {
                "tool": "benchmarks/mpi_scaling.py",
                "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "device": {"cpu": cpu_model(), "cores": cores, "host": platform.node(),
                           "load_average_at_end": list(os.getloadavg())},
                "mpi_library": library,
                "mpirun_options": "--oversubscribe --bind-to none; OMP_NUM_THREADS=1, --threads 1 (one thread per rank)",
                "commit": git_commit(repo),
                "binary": args.binary,
                "binary_build": build,
                "quick": q,
                "problem": {
                    "scenario": "dense box: one tissue filling the grid, float, S species each diffusing and decaying, "
                                "no sources, no plasma, outputs at start and end only, no snapshots, no checkpoints",
                    "species": args.species,
                    "voxel_um": VOXEL_UM,
                    "dt_s": DT_S,
                    "species_definitions": [{"name": n, "diffusion_um2_per_min": d, "half_life": h, "initial_pg_per_mL": i}
                                            for n, d, h, i in SPECIES[:args.species]],
                    "strong": {"grid": args.strong_grid, "steps": strong_steps, "decomposition": "automatic",
                               "calibration": strong_cal},
                    "weak": {"block_per_rank": args.weak_block, "steps": weak_steps, "calibration": weak_cal,
                             "series": {weak_kind(a): f"grid = block with axis {a} x P; decomposition P blocks along {a}"
                                        for a in weak_axes}},
                    "contamination": f"a run during which other processes used more than {args.max_foreign} cores "
                                     f"(foreign_cores) is marked contaminated and retried (up to {args.retries} times); "
                                     "statistics use the clean runs where there are any",
                    "repeats": args.repeats,
                "repeats_done": repeats_done,
                "complete": complete,
                    "statistic": "median over repeats of stepping_s / steps (per-step medians are not available); "
                                 "halo wait/pack are the max over ranks of the run's totals, divided by steps",
                    "halo_timers": "as host/simulation.cpp step_once() measures them: halo_wait = MPI wait + unpack, "
                                   "after the inner update; halo_pack = from before the receives are posted to after "
                                   "the inner update, i.e. posting + packing + (CPU backend, which overlaps) the inner "
                                   "update itself. So on CPU ranks halo_pack per step is mostly compute, and "
                                   "halo_wait per step is the communication the inner update did not hide.",
                    "efficiency": "strong: T1 / (P * TP); weak: T1 / TP (T = median seconds per step, T1 from the "
                                  "same series' one-rank runs); "
                                  "*_from_min uses the fastest repeat instead",
                    "foreign_cores": "CPU time used by other processes during the run (from /proc/stat, less this "
                                     "script's children) over the run's wall time: contamination of the measurement",
                },
                "copy_bandwidth_summary": copy_summary(),
                "copy_bandwidth": copies,
                "ranks": ranks,
                **results,
                "notes": [
                    f"This machine has {cores} cores. Runs with P > {cores} are oversubscribed: ranks time-slice the "
                    "cores, so efficiency beyond 2 ranks measures time-slicing (and MPI waiting under it), not scaling.",
                    "The machine is shared with other jobs (builds, tests); foreign_cores per run records how much "
                    "of it others used while each run ran (over the run's whole wall time, MPI start-up included). "
                    "Ranks that get a fraction of a core stall their neighbours every step, so a contended run "
                    "measures the scheduler, not the code.",
                ],
                "total_wall_s": time.monotonic() - t_start,
            }
            os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
            with open(args.output, "w") as f:
                json.dump(doc, f, indent=2)
                f.write("\n")

            return results, doc
        repeats_done = 0
        out_of_time = False
        for rep in range(args.repeats):
            if rep > 0 and time.monotonic() - t_start > args.time_budget:
                out_of_time = True
                print(f"time budget of {args.time_budget:.0f} s spent: stopping after {rep} repeat(s)", flush=True)
                break
            for kind, P, path, dec in configs:
                for attempt in range(args.retries + 1):
                    out = os.path.join(tmp, f"out-{kind}-{P}-{rep}-{attempt}")
                    rec, summary = run_case(args, path, P, dec, out)
                    rec["repeat"] = rep
                    rec["attempt"] = attempt
                    rec["contaminated"] = (rec["foreign_cores"] or 0) > allowed_foreign(args, P)
                    raw[(kind, P)].append(rec)
                    if summary.get("mpi", {}).get("library"):
                        library = summary["mpi"]["library"]
                    build = build or summary.get("build")
                    print(f"  {kind:7s} P={P:<2d} rep {rep}.{attempt}: {rec['decomposition']:7s} "
                          f"{rec['s_per_step'] * 1e3:8.3f} ms/step halo wait {rec['halo_wait_s_per_step'] * 1e3:7.3f} ms "
                          f"pack+inner {rec['halo_pack_s_per_step'] * 1e3:6.3f} ms  (others used "
                          f"{rec['foreign_cores'] or 0:.2f} cores{', retrying' if rec['contaminated'] and attempt < args.retries else ''})",
                          flush=True)
                    shutil.rmtree(out, ignore_errors=True)
                    if not rec["contaminated"]:
                        break
                    if time.monotonic() - t_start > args.time_budget:
                        break  # no retries once the budget is spent

            repeats_done = rep + 1
            report(repeats_done, False)  # partial results after every repeat
        copies += [copy_bandwidth(args, tmp, 1, "end"), copy_bandwidth(args, tmp, 2, "end")]
        print(f"copy bandwidth at the end: 1 thread {copies[2]['copy_bandwidth_GB_s']:.1f} GB/s, "
              f"2 threads {copies[3]['copy_bandwidth_GB_s']:.1f} GB/s", flush=True)
        results, doc = report(repeats_done, not out_of_time)
        print(f"\n{'kind':7s} {'P':>2s} {'dec':7s} {'grid':>14s} {'ms/step':>9s} {'eff':>6s} {'wait ms':>8s} {'pack ms':>8s}")
        for kind in kinds:
            for r in results[kind]:
                g = "x".join(str(v) for v in r["grid"])
                print(f"{kind:7s} {r['ranks']:2d} {r['decomposition']:7s} {g:>14s} {r['s_per_step_median'] * 1e3:9.3f} "
                      f"{r['parallel_efficiency']:6.2f} {r['halo_wait_s_per_step_median'] * 1e3:8.3f} "
                      f"{r['halo_pack_s_per_step_median'] * 1e3:8.3f}")
        print(f"results written to {args.output} ({doc['total_wall_s']:.0f} s)")
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
