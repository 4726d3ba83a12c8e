#!/usr/bin/python3
"""End-to-end test of scripts/plot_run.py (registered with ctest as plot.run).

Builds a synthetic run directory in the real output layout (timeseries.json
with every optional section, two snapshots, geometry.h5, fields.xmf), plots
it, checks the PNGs and the error handling, and, when a cytostorm binary is
given (--binary) or found in build/, plots a short real run as well.

Usage: /usr/bin/python3 tests/test_plot.py [--binary build/cytostorm] [unittest options]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(REPO, "scripts", "plot_run.py")
COMPARE = os.path.join(REPO, "scripts", "plot_compare.py")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MIN_PNG_BYTES = 5000

try:
    import numpy as np
    import h5py
    import matplotlib  # noqa: F401  (plot_run.py needs it)
except ImportError as missing:  # a failure, never a silent skip
    sys.stderr.write(f"test_plot.py: FAILED: {missing} in {sys.executable}; install python3-numpy, "
                     "python3-matplotlib and python3-h5py (scripts/bootstrap.sh)\n")
    sys.exit(1)

BINARY = None  # set from --binary in __main__

# Synthetic run: 24 x 20 x 10 voxels of 50 um; species TNF, IL6; population T_cells.
NX, NY, NZ = 24, 20, 10
ORIGIN_M = [-1e-3, 0.0, 5e-4]
SPACING_M = [5e-5, 5e-5, 5e-5]
SPECIES = ["TNF", "IL6"]
POPULATIONS = ["T_cells"]
TISSUES = ["lung_tissue", "liver_tissue"]
ORGANS = ["lung", "liver"]


def grid_zyx():
    return np.meshgrid(np.arange(NZ), np.arange(NY), np.arange(NX), indexing="ij")


def labels_zyx():
    """Two tissues side by side inside an ellipsoid; 0 outside. {nz, ny, nx}, like geometry.h5."""
    z, y, x = grid_zyx()
    inside = ((x - NX / 2 + 0.5) / (NX / 2)) ** 2 + ((y - NY / 2 + 0.5) / (NY / 2)) ** 2 + \
        ((z - NZ / 2 + 0.5) / (NZ / 2)) ** 2 < 1
    return np.where(inside, np.where(x < NX // 2, 1, 2), 0).astype(np.uint8)


def field_zyx(time_h, peak):
    """A Gaussian that spreads with time."""
    z, y, x = grid_zyx()
    width = 2.0 + time_h
    return peak * np.exp(-((x - 8) ** 2 + (y - 10) ** 2 + (z - 5) ** 2) / (2 * width ** 2))


def write_geometry(directory):
    with h5py.File(os.path.join(directory, "geometry.h5"), "w") as f:
        f.create_dataset("labels", data=labels_zyx())
        f.attrs["origin_m"] = np.array(ORIGIN_M)
        f.attrs["spacing_m"] = np.array(SPACING_M)
        names = np.array([n.encode() for n in TISSUES], dtype=f"S{max(map(len, TISSUES)) + 1}")
        f.create_dataset("tissues/label", data=np.array([1, 2], dtype=np.uint8))
        f.create_dataset("tissues/name", data=names)


def write_snapshot(directory, index, time_s, step):
    name = f"snapshot_{index:06d}.h5"
    with h5py.File(os.path.join(directory, name), "w") as f:
        f.attrs["time_s"] = float(time_s)
        f.attrs["step"] = np.int64(step)
        for i, species in enumerate(SPECIES):
            d = f.create_dataset(f"fields/{species}", data=field_zyx(time_s / 3600, 100.0 * (i + 1)).astype("f4"))
            d.attrs["units"] = np.bytes_(b"pg/mL")
        d = f.create_dataset("fields/T_cells", data=field_zyx(time_s / 3600, 1e6) + 1e4)
        d.attrs["units"] = np.bytes_(b"cells/mL")
    return name


def write_xdmf(directory, snapshots):
    """A fields.xmf like SnapshotWriter's (origin and spacing slowest axis first)."""
    grids = "".join(
        f'   <Grid Name="{os.path.splitext(name)[0]}" GridType="Uniform">\n'
        f'    <Time Value="{t}"/>\n'
        f'    <Topology TopologyType="3DCoRectMesh" Dimensions="{NZ + 1} {NY + 1} {NX + 1}"/>\n'
        '    <Geometry GeometryType="ORIGIN_DXDYDZ">\n'
        '     <DataItem Name="Origin" Dimensions="3" NumberType="Float" Precision="8" Format="XML">'
        f'{ORIGIN_M[2]} {ORIGIN_M[1]} {ORIGIN_M[0]}</DataItem>\n'
        '     <DataItem Name="Spacing" Dimensions="3" NumberType="Float" Precision="8" Format="XML">'
        f'{SPACING_M[2]} {SPACING_M[1]} {SPACING_M[0]}</DataItem>\n'
        '    </Geometry>\n   </Grid>\n' for name, t in snapshots)
    with open(os.path.join(directory, "fields.xmf"), "w") as f:
        f.write('<?xml version="1.0" ?>\n<Xdmf Version="2.0">\n <Domain>\n'
                '  <Grid Name="fields" GridType="Collection" CollectionType="Temporal">\n'
                f'{grids}  </Grid>\n </Domain>\n</Xdmf>\n')


def timeseries(full):
    """timeseries.json: 13 rows over 12 h; `full` adds every optional section."""
    hours = np.linspace(0, 12, 13)
    regions = ["all"] + TISSUES + (ORGANS if full else [])
    rise = lambda scale: list(scale * hours * np.exp(-hours / 4))
    data = {"time_s": list(hours * 3600), "step": [int(10 * h) for h in hours], "species": {}}
    for i, s in enumerate(SPECIES):
        data["species"][s] = {r: {"total_pg": rise(0.1 * (i + 1)), "mean_pg_per_mL": rise(10 * (i + 1)),
                                  "max_pg_per_mL": rise(100 * (i + 1))} for r in regions}
    data["species"]["TNF"]["all"]["mean_pg_per_mL"][5] = None  # how the writer stores a NaN
    if not full:
        return data
    data["regions"] = {"tissues": TISSUES, "organs": ORGANS}
    survive = lambda rate, n0: list(n0 * np.exp(-rate * hours))
    data["populations"] = {p: {r: {"total_cells": survive(0.05 * (k + 1), 1e5),
                                   "mean_cells_per_mL": survive(0.05, 1e6),
                                   "max_cells_per_mL": survive(0.05, 2e6)} for k, r in enumerate(regions)}
                           for p in POPULATIONS}
    data["populations"]["T_cells"]["liver"]["total_cells"] = [0.0] * len(hours)  # no cells: skipped
    data["plasma"] = {"species": {s: rise(5 * (i + 1)) for i, s in enumerate(SPECIES)},
                      "populations": {"T_cells": survive(0.02, 1e6)}}
    data["drugs"] = {"tocilizumab": list(1e5 * np.exp(-hours / 6))}
    data["budget"] = {s: {r: {"secreted_pg": list(np.cumsum(hours)), "released_pg": list(0.5 * np.cumsum(hours)),
                              "taken_up_pg": list(0.2 * np.cumsum(hours))} for r in regions} for s in SPECIES}
    return data


def make_run(directory, full=True):
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "timeseries.json"), "w") as f:
        json.dump(timeseries(full), f, indent=2)
    write_geometry(directory)
    snaps = [(write_snapshot(directory, i, t, 10 * i), t) for i, t in enumerate([0.0, 6 * 3600.0])]
    write_xdmf(directory, snaps)


def plot(*args):
    return subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True, timeout=120)


class PlotTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="cytostorm_plot_")
        cls.run_dir = os.path.join(cls.tmp.name, "run")
        make_run(cls.run_dir)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def assert_png(self, path):
        self.assertTrue(os.path.isfile(path), f"{path} not written")
        with open(path, "rb") as f:
            self.assertEqual(f.read(8), PNG_SIGNATURE, f"{path} is not a PNG")
        self.assertGreater(os.path.getsize(path), MIN_PNG_BYTES, f"{path} is suspiciously small")

    def assert_ok(self, result):
        self.assertEqual(result.returncode, 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}")
        self.assertNotIn("Traceback", result.stderr)

    def assert_usage_error(self, result, fragment):
        self.assertEqual(result.returncode, 2, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}")
        lines = result.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, f"expected one line on stderr, got:\n{result.stderr}")
        self.assertIn(fragment, lines[0])

    def test_all_plots(self):
        result = plot(self.run_dir)
        self.assert_ok(result)
        out = os.path.join(self.run_dir, "plots")
        expected = ["plasma.png", "survival.png", "tissue.png", "drugs.png", "budget.png",
                    "slice_TNF.png", "slice_IL6.png", "slice_T_cells.png"]
        for name in expected:
            self.assert_png(os.path.join(out, name))
            self.assertIn(os.path.join(out, name), result.stdout)
        self.assertEqual(sorted(os.listdir(out)), sorted(expected))

    def test_slice_options(self):
        out = os.path.join(self.tmp.name, "custom")
        result = plot(self.run_dir, "--out", out, "--slices", "TNF,T_cells", "--times", "5h,90min,0",
                      "--axis", "y", "--log")
        self.assert_ok(result)
        self.assertIn("5h: snapshot_000001.h5", result.stdout)  # nearest to 5 h: the 6 h snapshot
        self.assertIn("90min: snapshot_000000.h5", result.stdout)
        for name in ["slice_TNF.png", "slice_T_cells.png", "plasma.png"]:
            self.assert_png(os.path.join(out, name))
        self.assertFalse(os.path.exists(os.path.join(out, "slice_IL6.png")))
        self.assert_ok(plot(self.run_dir, "--out", out, "--slices", "IL6", "--times", "3600s,6", "--axis", "x"))
        self.assert_png(os.path.join(out, "slice_IL6.png"))

    def test_no_slices(self):
        out = os.path.join(self.tmp.name, "no_slices")
        self.assert_ok(plot(self.run_dir, "--out", out, "--no-slices"))
        self.assertFalse(any(n.startswith("slice_") for n in os.listdir(out)))

    def test_minimal_timeseries(self):
        """Only the original keys: plasma falls back to tissue means; no survival, drugs or budget."""
        run = os.path.join(self.tmp.name, "minimal")
        make_run(run, full=False)
        result = plot(run, "--slices", "IL6")
        self.assert_ok(result)
        out = os.path.join(run, "plots")
        self.assertEqual(sorted(os.listdir(out)), ["plasma.png", "slice_IL6.png", "tissue.png"])
        for name in os.listdir(out):
            self.assert_png(os.path.join(out, name))

    def test_list(self):
        result = plot(self.run_dir, "--list")
        self.assert_ok(result)
        for text in ["TNF", "IL6", "T_cells (cells/mL)", "snapshot_000001.h5", "t = 6 h", "liver", "tocilizumab"]:
            self.assertIn(text, result.stdout)

    def test_bad_inputs(self):
        empty = os.path.join(self.tmp.name, "empty")
        os.makedirs(empty, exist_ok=True)
        self.assert_usage_error(plot(os.path.join(self.tmp.name, "missing")), "no such directory")
        self.assert_usage_error(plot(empty), "no timeseries.json")
        self.assert_usage_error(plot(self.run_dir, "--slices", "TNF,NOPE"), "unknown field 'NOPE'")
        self.assert_usage_error(plot(self.run_dir, "--times", "soon"), "cannot parse time 'soon'")
        self.assert_usage_error(plot(self.run_dir, "--times", "6 weeks"), "cannot parse time")
        self.assert_usage_error(plot(self.run_dir, "--axis", "w"), "--axis")
        self.assert_usage_error(plot(), "OUTPUT_DIR")
        broken = os.path.join(self.tmp.name, "broken")
        os.makedirs(broken, exist_ok=True)
        with open(os.path.join(broken, "timeseries.json"), "w") as f:
            f.write("{not json")
        self.assert_usage_error(plot(broken), "timeseries.json")

    def test_compare_arms(self):
        """plot_compare.py: two arms on one figure; bad arms are one-line errors."""
        out = os.path.join(self.tmp.name, "arms.png")
        result = subprocess.run([sys.executable, COMPARE, "--out", out, "--species", "IL6", "--population", "T_cells",
                                 f"{self.run_dir}:early", f"{self.run_dir}:never"],
                                capture_output=True, text=True, timeout=120)
        self.assert_ok(result)
        self.assert_png(out)
        bad = subprocess.run([sys.executable, COMPARE, "--out", out, "--species", "NOPE", f"{self.run_dir}:a"],
                             capture_output=True, text=True, timeout=120)
        self.assert_usage_error(bad, "NOPE")
        missing = subprocess.run([sys.executable, COMPARE, "--out", out, os.path.join(self.tmp.name, "nowhere") + ":x"],
                                 capture_output=True, text=True, timeout=120)
        self.assertEqual(missing.returncode, 2, missing.stderr)

    def test_real_run(self):
        """A one-hour run of configs/default.yaml (a few seconds), plotted with the defaults."""
        if not BINARY or not os.path.isfile(BINARY):
            print(f"\ntest_plot.py: note: no cytostorm binary at {BINARY}; real run not plotted", file=sys.stderr)
            return
        run = os.path.join(self.tmp.name, "real")
        result = subprocess.run([BINARY, "run", os.path.join(REPO, "configs", "default.yaml"), "--set", "time.end=1h",
                                 "--set", "output.interval=30min", "--backend", "cpu", "--quiet", "--output", run],
                                capture_output=True, text=True, timeout=60, cwd=REPO)
        self.assertEqual(result.returncode, 0, f"cytostorm run failed:\n{result.stdout}\n{result.stderr}")
        with open(os.path.join(run, "timeseries.json")) as f:
            species = list(json.load(f)["species"])
        result = plot(run)
        self.assert_ok(result)
        for name in ["plasma.png", "tissue.png"] + [f"slice_{s}.png" for s in species]:
            self.assert_png(os.path.join(run, "plots", name))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--binary", default=os.path.join(REPO, "build", "cytostorm"))
    known, rest = parser.parse_known_args()
    BINARY = known.binary
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
