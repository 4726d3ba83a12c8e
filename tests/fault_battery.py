#!/usr/bin/env python3
"""Fault battery: what a flaky cluster does to a run, at random points.

  fault_battery.py CYTOSTORM [--mpiexec MPIEXEC] [--trials N] [--seed S] [--keep]

Trials (N of the kill -9 kind, about N/5 of each other kind, at least 2):
  kill9       kill -9 at a random point while a snapshot or a checkpoint is
              being written (or at a random time); then every file that looks
              good must be good (HDF5 opens, every dataset reads with its
              Fletcher-32 checksums verified), fields.xmf points only at
              datasets that exist with its shapes, a summary left "running"
              reads as a killed run in `check`, and --restart auto ends
              bitwise equal to an uninterrupted run (tables and snapshots).
              Times are drawn within the run's measured wall time; the last
              line counts the kills that landed mid-write, and a long form
              (10 or more) in which none did fails.
  concurrent  two runs of different scenarios into one directory at once.
              Refused (the output-directory lock) or one coherent set:
              pass. A mix of the two runs' files: FAIL.
  disk        a full disk: a 2 MiB-ish tmpfs where mounting works (root),
              else RLIMIT_FSIZE (prlimit --fsize: a write past it fails with
              EFBIG as on a full disk). Expect exit 1 with one error line,
              every complete file valid, summary.json "failed", and the
              restart from the newest checkpoint (with room) bitwise.
  damaged     a checkpoint with flipped bytes, truncated, zero-length, or
              another scenario's: refused with exit 2 and one line naming
              the file (at most ~300 characters besides paths), or (a flip in bytes
              nothing reads) accepted with bitwise results;
              --restart latest falls back to the older one, bitwise.
  mpirun      SIGTERM, SIGUSR1 or SIGINT to mpirun (2 ranks) at a random
              time: exit 3 (USR1) or 0 (finished first); 1 (TERM, INT:
              mpirun's own code) is accepted, and 128 + the signal with no
              summary.json (it came during MPI start-up, before the ranks'
              handlers: the default action, nothing written; documented). summary.json never says
              "running" after a signal reached the ranks, every checkpoint is
              valid, and the restart under mpirun ends bitwise.

Each trial prints one line; the last line counts the outcomes. Exit 1 if any
trial failed. ctest runs the short form (label "faults"); run a long form on
demand, e.g. --trials 50.
"""

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from collections import Counter
from pathlib import Path

try:
    import h5py
except ImportError:  # the system python has it (Debian python3-h5py)
    if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    print("fault_battery: h5py not found (install python3-h5py)")
    sys.exit(1)

SCENARIO = """name: fault-battery{suffix}
grid: {{extent: [960 um, 960 um, 960 um], voxel: 20 um}}
tissues: [{{name: tissue, label: 1}}]
geometry: [{{tissue: tissue, box: {{min: [0 um, 0 um, 0 um], max: [960 um, 960 um, 960 um]}}}}]
species:
  - {{name: A, diffusion: 1200 um^2/min, decay: 0.05 /min, initial: {initial} pg/mL}}
  - {{name: B, diffusion: 600 um^2/min, decay: 0.01 /min, initial: 1 pg/mL}}
  - {{name: C, diffusion: 300 um^2/min, decay: 0.02 /min, initial: 2 pg/mL}}
sources: [{{species: A, rate: 1 pg/mL/s, sphere: {{center: [480 um, 480 um, 480 um], radius: 200 um}}}}]
time: {{end: {end}}}
output: {{interval: 2 min}}
checkpoint: {{steps: 25, keep: 3}}
"""

SAME_H5_CONTENT = Path(__file__).resolve().parent / "mpi" / "same_h5_content.py"

# One line of at most ~300 characters, not counting the battery's own (long) work-directory paths.
def one_short_line(lines, work):
    return len(lines) == 1 and len(lines[0].replace(str(work), "W")) <= 300


ENV = dict(os.environ, OMP_NUM_THREADS="1", OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_rmaps_base_oversubscribe="1")


class Battery:
    def __init__(self, args):
        self.args = args
        self.cytostorm = str(Path(args.cytostorm).resolve())
        self.random = random.Random(args.seed)
        self.work = Path(tempfile.mkdtemp(prefix="cytostorm_faults_"))
        self.outcomes = Counter()
        self.failures = []
        self.a = self.work / "a.yaml"
        self.b = self.work / "b.yaml"
        self.a.write_text(SCENARIO.format(suffix="", initial=10, end="20 min"))
        self.b.write_text(SCENARIO.format(suffix="-other", initial=20, end="16 min"))
        self.ref_a = self.work / "ref_a"
        self.ref_b = self.work / "ref_b"
        # The run's wall time here, one process and (for the signal trials) 2 ranks: kill and
        # signal times are drawn within it, or most trials would hit a finished run.
        self.seconds = {}
        for scenario, ref in ((self.a, self.ref_a), (self.b, self.ref_b)):
            started = time.monotonic()
            result = self.cli(["run", str(scenario), "--output", str(ref), "--quiet"])
            self.seconds[scenario] = time.monotonic() - started
            if result.returncode != 0:
                raise SystemExit(f"fault_battery: the reference run failed: {result.stdout}")
        self.mpi_seconds = None  # a 2-rank run's time from its first output to its end
        self.mid_write = Counter()  # per target: kills that landed while its temporary existed

    # ---- running ----
    def cli(self, words, launcher=(), timeout=300, **kwargs):
        return subprocess.run(list(launcher) + [self.cytostorm] + words, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=timeout, env=ENV, **kwargs)

    def spawn(self, words, log, launcher=()):
        return subprocess.Popen(list(launcher) + [self.cytostorm] + words, stdout=open(log, "w"),
                                stderr=subprocess.STDOUT, env=ENV)

    def record(self, kind, outcome, detail=""):
        self.outcomes[(kind, outcome)] += 1
        print(f"{kind:<10} {outcome:<10} {detail}", flush=True)
        if outcome == "FAIL":
            self.failures.append(f"{kind}: {detail}")

    # ---- checks: every file that looks good is good ----
    @staticmethod
    def h5_problem(path):
        try:
            with h5py.File(path, "r") as f:
                datasets = []
                f.visititems(lambda name, obj: datasets.append(obj) if isinstance(obj, h5py.Dataset) else None)
                for d in datasets:
                    d[()]  # every chunk read: Fletcher-32 verified where the file has it
        except Exception as e:  # noqa: BLE001 - any failure to read is the finding
            return f"{path.name}: {e}"
        return None

    def directory_problems(self, directory):
        problems = []
        for path in sorted(directory.glob("*.h5")):
            if problem := self.h5_problem(path):
                problems.append(problem)
        xmf = directory / "fields.xmf"
        if xmf.exists():
            try:
                root = ElementTree.parse(xmf).getroot()
            except ElementTree.ParseError as e:
                return problems + [f"fields.xmf does not parse: {e}"]
            for item in root.iter("DataItem"):
                if item.get("Format") != "HDF":
                    continue
                file, _, dataset = item.text.strip().partition(":")
                target = directory / file
                try:
                    with h5py.File(target, "r") as f:
                        shape = tuple(int(n) for n in item.get("Dimensions").split())
                        if dataset not in f or f[dataset].shape != shape:
                            problems.append(f"fields.xmf: {file}:{dataset} missing or not {shape}")
                except Exception as e:  # noqa: BLE001
                    problems.append(f"fields.xmf points at {file}:{dataset}: {e}")
        for name in ("summary.json", "timeseries.json"):
            if (directory / name).exists():
                try:
                    json.loads((directory / name).read_text())
                except ValueError as e:
                    problems.append(f"{name}: {e}")
        return problems

    @staticmethod
    def differences(reference, directory, content_of_h5=False):
        """Outputs (not summary, checkpoints or temporaries) that differ from the reference's bytes;
        with content_of_h5, HDF5 files by their content, bit for bit (files written collectively by
        several ranks lay out their bytes differently)."""
        different = []
        for path in sorted(reference.iterdir()):
            name = path.name
            if name == "summary.json" or name.startswith("checkpoint_") or ".tmp." in name:
                continue
            other = directory / name
            if not other.exists():
                different.append(name)
            elif content_of_h5 and name.endswith(".h5"):
                if subprocess.run([sys.executable, str(SAME_H5_CONTENT), str(path), str(other)],
                                  capture_output=True).returncode != 0:
                    different.append(name)
            elif other.read_bytes() != path.read_bytes():
                different.append(name)
        return different

    @staticmethod
    def status(directory):
        try:
            return json.loads((directory / "summary.json").read_text()).get("status", "?")
        except (OSError, ValueError):
            return "none"

    def restart_bitwise(self, directory, scenario, reference, launcher=(), extra=()):
        result = self.cli(["run", str(scenario), "--output", str(directory), "--quiet", "--restart", "auto",
                           *extra], launcher=launcher)
        if result.returncode != 0:
            return f"restart exit {result.returncode}: {result.stdout.strip()[-300:]}"
        if diff := self.differences(reference, directory, content_of_h5=bool(launcher)):
            return f"restart not bitwise: {', '.join(diff[:5])}"
        return None

    # ---- kill -9 during writes ----
    def kill9(self, trial):
        directory = self.work / f"kill9_{trial}"
        shutil.rmtree(directory, ignore_errors=True)
        target = self.random.choice(["checkpoint", "snapshot", "any time"])
        complete = self.random.randint(0, 6)
        process = self.spawn(["run", str(self.a), "--output", str(directory), "--quiet"], directory.with_suffix(".log"))
        start = time.monotonic()
        hit = False
        if target == "any time":
            time.sleep(self.random.uniform(0.02, 0.95) * self.seconds[self.a])
        else:
            pattern = re.compile(rf"{target}_\d+\.h5\.tmp\.\d+(@.+)?$")  # <file>.tmp.<pid>@<host>
            while time.monotonic() - start < 20 and process.poll() is None:
                names = os.listdir(directory) if directory.exists() else []
                done = sum(1 for n in names if n.startswith(target + "_") and n.endswith(".h5"))
                if done >= complete and any(pattern.search(n) for n in names):
                    hit = True
                    break
                time.sleep(0.0002)
            time.sleep(self.random.uniform(0, 0.003))
        process.send_signal(signal.SIGKILL)
        process.wait()
        if hit:
            self.mid_write[target] += 1
        leftovers = [p.name for p in directory.glob("*.tmp.*")] if directory.exists() else []
        status = self.status(directory)
        where = f"{target}{' (mid-write)' if hit else ''} after {time.monotonic() - start:.2f} s, " \
                f"{len(leftovers)} temporaries, summary {status}"
        if problems := self.directory_problems(directory) if directory.exists() else []:
            return self.record("kill9", "FAIL", f"{where}: {'; '.join(problems[:3])}")
        if status in ("running", "stopping"):  # killed: check must not take it for a live run
            check = self.cli(["check", str(self.a), "--set", f"output.directory={directory}"])
            if "holds a run that was killed" not in check.stdout:
                return self.record("kill9", "FAIL", f"{where}: check does not report the killed run: "
                                   f"{check.stdout.strip()[-300:]}")
            where += ", check: killed"
        if problem := self.restart_bitwise(directory, self.a, self.ref_a):
            return self.record("kill9", "FAIL", f"{where}: {problem}")
        if problems := self.directory_problems(directory):
            return self.record("kill9", "FAIL", f"{where}: after the restart: {'; '.join(problems[:3])}")
        self.record("kill9", "pass", f"{where}; restart bitwise")

    # ---- two runs, one directory ----
    def concurrent(self, trial):
        directory = self.work / f"concurrent_{trial}"
        shutil.rmtree(directory, ignore_errors=True)
        first = self.spawn(["run", str(self.a), "--output", str(directory), "--quiet"], self.work / "c1.log")
        time.sleep(self.random.uniform(0, 0.5))
        second = self.spawn(["run", str(self.b), "--output", str(directory), "--quiet"], self.work / "c2.log")
        codes = (first.wait(), second.wait())
        logs = [(self.work / f"c{i}.log").read_text() for i in (1, 2)]
        what = f"exits {codes[0]}, {codes[1]}"
        refused = 2 in codes
        problems = self.directory_problems(directory)
        same_a, same_b = not self.differences(self.ref_a, directory), not self.differences(self.ref_b, directory)
        if not problems and (same_a or same_b):
            refusal = next((l.split("error: ", 1)[1][:100] for log in logs for l in log.splitlines()
                            if "cytostorm: error:" in l), "")
            note = f"the other was refused: {refusal}" if refused else "the other's files were replaced"
            return self.record("concurrent", "pass", f"{what}: one coherent set ({'a' if same_a else 'b'}); {note}")
        # The output-directory lock makes the second run refuse: a mix is a failure.
        self.record("concurrent", "FAIL",
                    f"{what}: a mix of both runs' files ({'; '.join(problems[:2]) or 'outputs match neither run'})")

    # ---- full disk ----
    def small_disk(self, directory, size):
        directory.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0 and not self.args.no_mount:
            mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(directory)],
                                     capture_output=True)
            if mounted.returncode == 0:
                return "tmpfs", ()
        return "RLIMIT_FSIZE", ("prlimit", f"--fsize={size}")

    def disk(self, trial):
        directory = self.work / f"disk_{trial}"
        size = self.random.randint(300, 16000) * 1024  # the whole run writes about 20 MB
        how, limit = self.small_disk(directory, size)
        try:
            result = self.cli(["run", str(self.a), "--output", str(directory), "--quiet"], launcher=limit)
            lines = [l for l in result.stdout.splitlines() if "cytostorm: error:" in l]
            where = f"{how} {size // 1024} KiB: exit {result.returncode}, summary {self.status(directory)}"
            if result.returncode == 0:
                return self.record("disk", "pass", f"{where} (it fitted)")
            if result.returncode != 1 or not one_short_line(lines, self.work):
                return self.record("disk", "FAIL", f"{where}: expected exit 1 and one error line: "
                                   f"{result.stdout.strip()[-300:]}")
            if self.status(directory) not in ("failed", "none"):
                return self.record("disk", "FAIL", f"{where}: summary.json not failed")
            if problems := self.directory_problems(directory):
                return self.record("disk", "FAIL", f"{where}: {'; '.join(problems[:3])}")
            message = lines[0].split("error: ", 1)[1][:80]
        finally:
            if how == "tmpfs":
                moved = self.work / f"disk_{trial}_files"
                shutil.copytree(directory, moved)
                subprocess.run(["umount", str(directory)], check=False)
                shutil.rmtree(directory, ignore_errors=True)
                moved.rename(directory)
        # With room again (the temporaries of the failed write are never read): continue bitwise.
        if problem := self.restart_bitwise(directory, self.a, self.ref_a):
            return self.record("disk", "FAIL", f"{where}: {problem}")
        self.record("disk", "pass", f"{where}: \"{message}...\"; restart bitwise")

    # ---- damaged checkpoints ----
    def damaged(self, trial):
        kinds = ["flipped", "truncated", "zero-length", "another scenario's"]
        kind = kinds[trial % len(kinds)]
        directory = self.work / f"damaged_{trial}"
        shutil.rmtree(directory, ignore_errors=True)
        for stop in (100, 200):
            restart = ["--restart", "auto"] if stop == 200 else []
            result = self.cli(["run", str(self.a), "--output", str(directory), "--quiet", "--stop-at-step",
                               str(stop), *restart])
            if result.returncode != 3:
                return self.record("damaged", "FAIL", f"setup stop at {stop}: exit {result.returncode}")
        newest = directory / "checkpoint_000000000200.h5"
        data = bytearray(newest.read_bytes())
        if kind == "flipped":
            for _ in range(self.random.randint(1, 8)):
                data[self.random.randrange(len(data))] ^= 1 << self.random.randrange(8)
        elif kind == "truncated":
            data = data[: self.random.randrange(1, len(data))]
        elif kind == "zero-length":
            data = bytearray()
        else:
            other = self.work / f"damaged_{trial}_other"
            shutil.rmtree(other, ignore_errors=True)
            self.cli(["run", str(self.b), "--output", str(other), "--quiet", "--stop-at-step", "200"])
            data = bytearray((other / "checkpoint_000000000200.h5").read_bytes())
        newest.write_bytes(bytes(data))
        explicit = self.cli(["run", str(self.a), "--output", str(directory), "--quiet", "--restart", str(newest)])
        lines = [l for l in explicit.stdout.splitlines() if "cytostorm: error:" in l]
        if explicit.returncode == 2:
            if len(lines) != 1 or newest.name not in lines[0]:
                return self.record("damaged", "FAIL", f"{kind}: refused, but not in one line naming the file: "
                                   f"{explicit.stdout.strip()[-300:]}")
            verdict = "refused: " + lines[0].split("error: ", 1)[1].replace(str(self.work), "W")[:90]
            if not one_short_line(lines, self.work):
                length = len(lines[0].replace(str(self.work), "W"))
                return self.record("damaged", "FAIL", f"{kind}: {verdict}...: one line, but {length} characters "
                                   "(at most ~300)")
        elif explicit.returncode == 0:
            if diff := self.differences(self.ref_a, directory):  # accepted: it must have been harmless
                return self.record("damaged", "FAIL", f"{kind}: accepted and wrong: {', '.join(diff[:5])}")
            return self.record("damaged", "pass", f"{kind}: accepted (the damage hit bytes nothing reads), bitwise")
        else:
            return self.record("damaged", "FAIL", f"{kind}: exit {explicit.returncode}: {explicit.stdout[-300:]}")
        if kind == "another scenario's":
            # Not damage: a valid checkpoint of another run. latest refuses it too (a person looks),
            # and without it continues from the older one.
            again = self.cli(["run", str(self.a), "--output", str(directory), "--quiet", "--restart", "latest"])
            if again.returncode != 2:
                return self.record("damaged", "FAIL", f"{kind}: latest exit {again.returncode}, expected 2")
            newest.unlink()
            verdict += "; latest refused it too"
        # latest: the older checkpoint, with a warning, and the same results.
        fallback = self.cli(["run", str(self.a), "--output", str(directory), "--quiet", "--restart", "latest"])
        skipped = kind == "another scenario's" or f"warning: skipping {newest}" in fallback.stdout
        if fallback.returncode != 0 or not skipped:
            return self.record("damaged", "FAIL", f"{kind}: latest did not fall back: {fallback.stdout[-300:]}")
        if diff := self.differences(self.ref_a, directory):
            return self.record("damaged", "FAIL", f"{kind}: fallback not bitwise: {', '.join(diff[:5])}")
        self.record("damaged", "pass", f"{kind}: {verdict}; latest fell back, bitwise")

    # ---- signals under mpirun ----
    def stepping_seconds(self, launcher):
        """Wall time of a 2-rank run from its first output to its end (measured once)."""
        if self.mpi_seconds is None:
            directory = self.work / "mpirun_timing"
            process = self.spawn(["run", str(self.a), "--output", str(directory), "--quiet"],
                                 directory.with_suffix(".log"), launcher=launcher)
            while not (directory / "snapshot_000001.h5").exists() and process.poll() is None:
                time.sleep(0.002)
            started = time.monotonic()
            process.wait()
            self.mpi_seconds = max(time.monotonic() - started, 0.05)
        return self.mpi_seconds

    def mpirun(self, trial):
        directory = self.work / f"mpirun_{trial}"
        shutil.rmtree(directory, ignore_errors=True)
        launcher = (self.args.mpiexec, "-n", "2")
        name = self.random.choice(["SIGTERM", "SIGUSR1", "SIGINT"])
        stepping = self.stepping_seconds(launcher)
        process = self.spawn(["run", str(self.a), "--output", str(directory), "--quiet"],
                             directory.with_suffix(".log"), launcher=launcher)
        started = time.monotonic()
        if trial % 5 == 4:  # during MPI start-up: before or as the ranks install their handlers
            time.sleep(self.random.uniform(0.05, 0.4))
        else:  # while the ranks step: from their first output on, within the ranks' stepping time
            first = directory / "snapshot_000001.h5"
            while not first.exists() and process.poll() is None and time.monotonic() - started < 60:
                time.sleep(0.002)
            time.sleep(self.random.uniform(0, 0.5) * stepping)
        delay = time.monotonic() - started
        process.send_signal(getattr(signal, name))
        code = process.wait()
        status = self.status(directory)
        where = f"{name} after {delay:.1f} s: mpirun exit {code}, summary {status}"
        allowed = {"SIGUSR1": (0, 3), "SIGTERM": (0, 1, 3), "SIGINT": (0, 1, 3)}[name]
        killed = code == 128 + getattr(signal, name)
        if killed and status == "none":  # before the ranks' handlers (MPI start-up): nothing written (documented)
            where += " (before the ranks installed their handlers: nothing written)"
        elif killed and status == "finished":  # mpirun's handlers gone in its tear-down; the run is done
            where += " (mpirun killed in its tear-down after the ranks finished: multi-node.sbatch reads it as 0)"
        elif code not in allowed:
            return self.record("mpirun", "FAIL", f"{where}: expected one of {allowed}")
        if code == 3 and status != "stopped":
            return self.record("mpirun", "FAIL", f"{where}: exit 3 without a stopped summary")
        if status == "running":
            return self.record("mpirun", "FAIL", f"{where}: summary.json says running for a dead run")
        if problems := self.directory_problems(directory):
            return self.record("mpirun", "FAIL", f"{where}: {'; '.join(problems[:3])}")
        if problem := self.restart_bitwise(directory, self.a, self.ref_a, launcher=launcher):
            return self.record("mpirun", "FAIL", f"{where}: {problem}")
        self.record("mpirun", "pass", f"{where}; restart on 2 ranks bitwise")

    def run(self):
        n = self.args.trials
        others = max(2, n // 5)
        plan = [("kill9", n), ("concurrent", others), ("disk", others), ("damaged", max(4, others))]
        if self.args.mpiexec:
            plan.append(("mpirun", others))
        else:
            print("mpirun     skipped    (no --mpiexec)")
        if self.args.only:
            plan = [(kind, count) for kind, count in plan if kind in self.args.only.split(",")]
        started = time.monotonic()
        for kind, count in plan:
            for trial in range(count):
                try:
                    getattr(self, kind)(trial)
                except subprocess.TimeoutExpired as e:
                    self.record(kind, "FAIL", f"timed out: {e}")
        summary = ", ".join(f"{kind} {outcome} {count}" for (kind, outcome), count in sorted(self.outcomes.items()))
        aimed = {kind: count for kind, count in plan}.get("kill9", 0)
        if aimed >= 10 and not self.mid_write["checkpoint"] + self.mid_write["snapshot"]:
            self.failures.append("kill9: no kill landed during a write: the trials test nothing")
        caught = ", ".join(f"{target} {count}" for target, count in sorted(self.mid_write.items()))
        print(f"fault battery ({time.monotonic() - started:.0f} s, seed {self.args.seed}): {summary}; "
              f"kills mid-write: {caught or 'none'}")
        if self.failures:
            print(f"FAILED: {len(self.failures)} trial(s)")
        return 1 if self.failures else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("cytostorm")
    parser.add_argument("--mpiexec", help="mpirun/mpiexec for the signal trials (skipped without)")
    parser.add_argument("--trials", type=int, default=3, help="kill -9 trials; about a fifth as many of the rest")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: from the clock, printed)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--only", help="comma-separated kinds: kill9,concurrent,disk,damaged,mpirun")
    parser.add_argument("--no-mount", action="store_true", help="full disk by RLIMIT_FSIZE even as root")
    args = parser.parse_args()
    if args.seed is None:
        args.seed = int(time.time()) % 100000
    battery = Battery(args)
    try:
        code = battery.run()
    finally:
        if args.keep:
            print(f"work directory kept: {battery.work}")
        else:
            shutil.rmtree(battery.work, ignore_errors=True)
    sys.exit(code)


if __name__ == "__main__":
    main()
