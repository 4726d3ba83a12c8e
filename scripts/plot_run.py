#!/usr/bin/python3
"""Turn a cytostorm run's outputs into PNG plots.

Reads OUTPUT_DIR/timeseries.json (plasma, survival, tissue, drug and budget
curves) and the HDF5 snapshots + geometry.h5 (mid-plane field slices), and
writes one PNG per plot into OUTPUT_DIR/plots/ (or --out DIR).

Needs Debian's python3-numpy, python3-matplotlib and python3-h5py, hence
/usr/bin/python3 (scripts/bootstrap.sh installs them).
"""

import argparse
import glob
import json
import math
import os
import re
import sys

PROG = "plot_run.py"

try:
    import numpy as np
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm, Normalize
    from matplotlib.lines import Line2D
    import h5py
except ImportError as missing:  # one clear line, not a traceback
    sys.stderr.write(
        f"{PROG}: error: {missing} in {sys.executable}; install python3-numpy, python3-matplotlib and "
        "python3-h5py (scripts/bootstrap.sh) and run with /usr/bin/python3\n")
    sys.exit(1)

FIG_WIDTH_IN = 8.0  # 8 in x 100 dpi = 800 px, the width of a README image
PALETTE = list(plt.get_cmap("tab10").colors) + list(plt.get_cmap("Dark2").colors)
REGION_PALETTE = list(plt.get_cmap("Set1").colors) + list(plt.get_cmap("Set2").colors)
SPECIES_UNIT = "pg/mL"
POPULATION_UNIT = "cells/mL"


class InputError(Exception):
    """A bad input or option: reported as one line, exit code 2."""


# ---------------------------------------------------------------- reading ---

def as_array(values, n):
    """Float array of the first n values; JSON null (NaN/inf from the writer) -> NaN."""
    if not isinstance(values, list):
        raise InputError("timeseries.json: expected an array of numbers, found " + type(values).__name__)
    out = np.full(n, np.nan)
    for i, v in enumerate(values[:n]):
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            out[i] = v
    return out


class TimeSeries:
    """timeseries.json, with every optional section defaulting to empty."""

    def __init__(self, path):
        try:
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
        except FileNotFoundError:
            raise InputError(f"no timeseries.json in {os.path.dirname(path) or '.'}") from None
        except (OSError, ValueError) as e:
            raise InputError(f"cannot read {path}: {e}") from None
        if not isinstance(data, dict) or not isinstance(data.get("time_s"), list):
            raise InputError(f"{path}: no \"time_s\" array (not a cytostorm time series?)")
        self.n = len(data["time_s"])
        self.hours = as_array(data["time_s"], self.n) / 3600.0
        self.species = self._dict(data, "species")
        self.populations = self._dict(data, "populations")
        regions = self._dict(data, "regions")
        self.tissues = list(regions.get("tissues") or [])
        self.organs = list(regions.get("organs") or [])
        plasma = self._dict(data, "plasma")
        self.plasma_species = dict(plasma.get("species") or {})
        self.plasma_populations = dict(plasma.get("populations") or {})
        self.drugs = self._dict(data, "drugs")
        self.budget = self._dict(data, "budget")

    @staticmethod
    def _dict(data, key):
        value = data.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise InputError(f"timeseries.json: \"{key}\" is not an object")
        return value

    def series(self, values):
        return as_array(values, self.n)

    def region_names(self):
        """Regions present in the species (or population) statistics."""
        for table in (self.species, self.populations):
            for per_region in table.values():
                return list(per_region.keys())
        return []


class Snapshot:
    """One snapshot file: its path, time and field names."""

    def __init__(self, path):
        self.path = path
        self.name = os.path.basename(path)
        try:
            with h5py.File(path, "r") as f:
                self.time_s = float(f.attrs["time_s"])
                self.step = int(f.attrs["step"]) if "step" in f.attrs else -1
                fields = f.get("fields")
                self.fields = list(fields.keys()) if fields is not None else []
                self.units = {k: decode(fields[k].attrs.get("units", "")) for k in self.fields}
        except (OSError, KeyError, ValueError) as e:
            raise InputError(f"cannot read snapshot {path}: {e}") from None


def decode(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, np.ndarray):
        return decode(value.item()) if value.size == 1 else ""
    return str(value)


def find_snapshots(directory):
    paths = sorted(glob.glob(os.path.join(directory, "snapshot_[0-9]*.h5")))
    snaps = [Snapshot(p) for p in paths]
    snaps.sort(key=lambda s: s.time_s)
    return snaps


class Grid:
    """Grid shape, origin and spacing (x, y, z, metres) and the label volume if known."""

    def __init__(self, directory, shape_zyx):
        self.shape = shape_zyx  # (nz, ny, nx), the dataset order
        self.origin = None
        self.spacing = None
        self.geometry = None
        path = os.path.join(directory, "geometry.h5")
        if os.path.exists(path):
            try:
                with h5py.File(path, "r") as f:
                    if "origin_m" in f.attrs and "spacing_m" in f.attrs:
                        self.origin = np.asarray(f.attrs["origin_m"], float)
                        self.spacing = np.asarray(f.attrs["spacing_m"], float)
                    if "labels" in f and tuple(f["labels"].shape) == tuple(shape_zyx):
                        self.geometry = path
            except OSError as e:
                raise InputError(f"cannot read {path}: {e}") from None
        if self.origin is None:
            self._from_xdmf(os.path.join(directory, "fields.xmf"))

    def _from_xdmf(self, path):
        """ORIGIN_DXDYDZ items are written slowest axis first (z y x)."""
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError:
            return
        items = {}
        for name in ("Origin", "Spacing"):
            m = re.search(r'<DataItem Name="%s"[^>]*>([^<]*)</DataItem>' % name, text)
            if m:
                try:
                    items[name] = np.array([float(v) for v in m.group(1).split()])[::-1]
                except ValueError:
                    pass
        if len(items.get("Origin", [])) == 3 and len(items.get("Spacing", [])) == 3:
            self.origin, self.spacing = items["Origin"], items["Spacing"]

    def plane(self, axis):
        """(index, dataset slicer, horizontal axis, vertical axis) of the mid-plane normal to axis."""
        nz, ny, nx = self.shape
        if axis == "z":
            return nz // 2, (lambda k: (k, slice(None), slice(None))), "x", "y"
        if axis == "y":
            return ny // 2, (lambda k: (slice(None), k, slice(None))), "x", "z"
        return nx // 2, (lambda k: (slice(None), slice(None), k)), "y", "z"

    def extent_mm(self, h, v):
        """imshow extent of the plane spanned by axes h and v, in mm (voxels if unknown)."""
        counts = {"x": self.shape[2], "y": self.shape[1], "z": self.shape[0]}
        if self.origin is None:
            return [0, counts[h], 0, counts[v]], "voxel"
        dim = {"x": 0, "y": 1, "z": 2}
        lo = lambda a: self.origin[dim[a]] * 1e3
        hi = lambda a: (self.origin[dim[a]] + self.spacing[dim[a]] * counts[a]) * 1e3
        return [lo(h), hi(h), lo(v), hi(v)], "mm"

    def coordinate_mm(self, axis, index):
        dim = {"x": 0, "y": 1, "z": 2}[axis]
        if self.origin is None:
            return None
        return (self.origin[dim] + self.spacing[dim] * (index + 0.5)) * 1e3


# ---------------------------------------------------------------- helpers ---

TIME_UNITS = {"s": 1.0, "sec": 1.0, "min": 60.0, "h": 3600.0, "hr": 3600.0, "d": 86400.0}


def parse_time(text):
    """Seconds from '6h', '90min', '3600s', '1.5 h' or bare hours ('6')."""
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([a-zA-Z]*)\s*", text)
    unit = m.group(2).lower() if m else None
    if not m or (unit and unit not in TIME_UNITS):
        raise InputError(f"cannot parse time '{text}' in --times (use e.g. 6h, 90min, 3600s or bare hours)")
    return float(m.group(1)) * (TIME_UNITS[unit] if unit else 3600.0)


def format_hours(seconds):
    h = seconds / 3600.0
    return f"{h:g} h" if h >= 1 or h == 0 else f"{seconds / 60.0:g} min"


def colour_table(ts, snapshots):
    """One colour per name (species, populations, drugs), the same in every plot."""
    names = []
    for group in (ts.species, ts.plasma_species, ts.populations, ts.plasma_populations, ts.drugs, ts.budget):
        names += [n for n in group if n not in names]
    for snap in snapshots:
        names += [n for n in snap.fields if n not in names]
    return {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(names)}


def positive(values):
    """Values for a log axis: non-positive ones become gaps."""
    return np.where(values > 0, values, np.nan)


def new_figure(rows=1, cols=1, height=4.8, sharex=True):
    fig, axes = plt.subplots(rows, cols, figsize=(FIG_WIDTH_IN, height), sharex=sharex, squeeze=False)
    return fig, axes


def finish_time_axis(ax, log, any_positive=True):
    if ax.get_subplotspec().is_last_row():  # shared x: the label under the bottom row only
        ax.set_xlabel("time (h)")
    ax.grid(True, which="major", alpha=0.3)
    if log and any_positive:
        ax.set_yscale("log")


def hide_unused(axes, used):
    """Hides the panels after the first `used`; the panel above each keeps its time axis labels."""
    rows, cols = axes.shape
    for i in range(used, rows * cols):
        axes.flat[i].set_visible(False)
        if i >= cols:
            above = axes.flat[i - cols]
            above.xaxis.set_tick_params(labelbottom=True)
            above.set_xlabel("time (h)")


def legend(ax, handles=None, **kw):
    count = len(handles) if handles is not None else len(ax.get_legend_handles_labels()[0])
    if count:
        ax.legend(handles=handles, fontsize="small", ncol=2 if count > 6 else 1, framealpha=0.8, **kw)


def plot_log_lines(ax, hours, named_series, colours):
    """Lines on a log axis; returns whether any value was positive. All-zero series get a legend note."""
    any_pos = False
    for name, values in named_series:
        y = positive(values)
        if np.isfinite(y).any():
            any_pos = True
            ax.plot(hours, y, color=colours.get(name), label=name, lw=1.8)
        else:
            ax.plot([], [], color=colours.get(name), label=f"{name} (never > 0)", lw=1.8, ls=":")
    return any_pos


def save(fig, out_dir, name, dpi):
    path = os.path.join(out_dir, name)
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    print(path)


# ------------------------------------------------------------ time plots ---

def plot_plasma(ts, colours, out_dir, dpi):
    """Plasma concentrations (or, without a plasma compartment, tissue means) over time."""
    if ts.plasma_species or ts.plasma_populations:
        # Species that never reach the plasma (tissue-only signals) are left out.
        in_plasma = {name: v for name, v in ts.plasma_species.items()
                     if np.nanmax(np.append(positive(ts.series(v)), 0.0)) > 0} or ts.plasma_species
        panels = [(in_plasma, f"concentration ({SPECIES_UNIT})", "Plasma cytokines")]
        # Blood cells only where some population is ever in the blood.
        in_blood = {name: v for name, v in ts.plasma_populations.items()
                    if np.nanmax(np.append(ts.series(v), 0.0)) > 0}
        if in_blood:
            panels.append((in_blood, f"density ({POPULATION_UNIT})", "Blood cells"))
        panels = [p for p in panels if p[0]]
        fig, axes = new_figure(len(panels), 1, height=4.8 if len(panels) == 1 else 7.2)
        for ax, (table, ylabel, title) in zip(axes[:, 0], panels):
            series = [(name, ts.series(v)) for name, v in table.items()]
            finish_time_axis(ax, True, plot_log_lines(ax, ts.hours, series, colours))
            ax.set_ylabel(ylabel)
            ax.set_title(title)
            legend(ax)
    else:
        fig, axes = new_figure()
        ax = axes[0, 0]
        series = [(name, ts.series(regions.get("all", {}).get("mean_pg_per_mL", [])))
                  for name, regions in ts.species.items()]
        finish_time_axis(ax, True, plot_log_lines(ax, ts.hours, series, colours))
        ax.set_ylabel(f"mean concentration ({SPECIES_UNIT})")
        ax.set_title("Tissue mean concentration (no plasma compartment in this run)")
        legend(ax)
    save(fig, out_dir, "plasma.png", dpi)


def survival_regions(ts, per_region):
    """Organs if the run has any, else tissues (else whatever non-'all' regions are present)."""
    wanted = ts.organs or ts.tissues or [r for r in per_region if r != "all"] or ["all"]
    return [r for r in wanted if r in per_region]


def plot_survival(ts, out_dir, dpi):
    """Fraction of each population's initial cells alive, per organ (or tissue)."""
    names = list(ts.populations)
    cols = 1 if len(names) == 1 else 2
    rows = math.ceil(len(names) / cols)
    fig, axes = new_figure(rows, cols, height=max(4.2, 3.2 * rows))
    region_colour = {}
    kind = "organ" if ts.organs else "tissue"
    for ax, name in zip(axes.flat, names):
        top = 1.05  # per panel: a population that grows must not flatten the others
        per_region = ts.populations[name]
        plotted = 0
        for region in survival_regions(ts, per_region):
            total = ts.series(per_region[region].get("total_cells", []))
            if not (np.isfinite(total[0]) and total[0] > 0):
                continue
            colour = region_colour.setdefault(region, REGION_PALETTE[len(region_colour) % len(REGION_PALETTE)])
            fraction = total / total[0]
            top = max(top, 1.05 * np.nanmax(fraction))
            ax.plot(ts.hours, fraction, color=colour, label=region, lw=1.8)
            plotted += 1
        if not plotted:
            ax.text(0.5, 0.5, "no cells at t = 0", transform=ax.transAxes, ha="center", va="center")
        ax.set_title(f"{name} survival per {kind}")
        ax.set_ylabel("cells / cells at t = 0")
        finish_time_axis(ax, False)
        legend(ax, loc="lower left")
        ax.set_ylim(0, top)
    hide_unused(axes, len(names))
    save(fig, out_dir, "survival.png", dpi)


def plot_tissue(ts, colours, out_dir, dpi):
    """Mean (solid) and max (dashed) concentration over all tissue, per species."""
    fig, axes = new_figure()
    ax = axes[0, 0]
    any_pos = False
    handles = []
    for name, regions in ts.species.items():
        stats = regions.get("all", {})
        mean = positive(ts.series(stats.get("mean_pg_per_mL", [])))
        peak = positive(ts.series(stats.get("max_pg_per_mL", [])))
        colour = colours.get(name)
        has = np.isfinite(mean).any() or np.isfinite(peak).any()
        any_pos |= has
        ax.plot(ts.hours, mean, color=colour, lw=1.8)
        ax.plot(ts.hours, peak, color=colour, lw=1.4, ls="--")
        handles.append(Line2D([], [], color=colour, lw=1.8, label=name if has else f"{name} (never > 0)"))
    handles += [Line2D([], [], color="0.3", lw=1.8, label="mean"),
                Line2D([], [], color="0.3", lw=1.4, ls="--", label="max")]
    finish_time_axis(ax, True, any_pos)
    ax.set_ylabel(f"concentration ({SPECIES_UNIT})")
    ax.set_title("Tissue concentration (all tissue): mean and max")
    legend(ax, handles)
    save(fig, out_dir, "tissue.png", dpi)


def plot_drugs(ts, colours, out_dir, dpi):
    """Plasma drug levels over time."""
    fig, axes = new_figure()
    ax = axes[0, 0]
    series = [(name, ts.series(v)) for name, v in ts.drugs.items()]
    finish_time_axis(ax, True, plot_log_lines(ax, ts.hours, series, colours))
    ax.set_ylabel(f"plasma concentration ({SPECIES_UNIT})")
    ax.set_title("Drug levels")
    legend(ax)
    save(fig, out_dir, "drugs.png", dpi)


BUDGET_TERMS = [("secreted_pg", "secreted", "-"), ("released_pg", "released", "--"),
                ("taken_up_pg", "taken up", ":")]


def plot_budget(ts, colours, out_dir, dpi):
    """Cumulative secreted / released / taken-up amounts over all tissue, one panel per species."""
    names = [n for n, regions in ts.budget.items() if isinstance(regions, dict) and "all" in regions]
    if not names:
        print(f"{PROG}: note: budget has no region 'all'; budget.png not written")
        return
    cols = 1 if len(names) == 1 else 2
    rows = math.ceil(len(names) / cols)
    fig, axes = new_figure(rows, cols, height=max(4.2, 3.0 * rows))
    for ax, name in zip(axes.flat, names):
        stats = ts.budget[name]["all"]
        for key, label, style in BUDGET_TERMS:
            if key in stats:
                ax.plot(ts.hours, ts.series(stats[key]), color=colours.get(name), ls=style, lw=1.8, label=label)
        ax.set_title(f"{name}: cumulative budget (all tissue)")
        ax.set_ylabel("amount (pg)")
        finish_time_axis(ax, False)
        legend(ax, loc="upper left")
    hide_unused(axes, len(names))
    save(fig, out_dir, "budget.png", dpi)


# ---------------------------------------------------------------- slices ---

def field_unit(name, ts, snapshots):
    if name in ts.populations or name in ts.plasma_populations:
        return POPULATION_UNIT
    for snap in snapshots:
        if snap.units.get(name):
            return snap.units[name]
    return SPECIES_UNIT


def choose_snapshots(snapshots, times_text):
    """The snapshot nearest each requested time (default: the last one), each once, in time order."""
    if not times_text:
        return [snapshots[-1]]
    chosen = []
    for text in times_text.split(","):
        if not text.strip():
            continue
        t = parse_time(text)
        snap = min(snapshots, key=lambda s: abs(s.time_s - t))
        print(f"--times {text.strip()}: {snap.name} (t = {format_hours(snap.time_s)})")
        if snap not in chosen:
            chosen.append(snap)
    if not chosen:
        raise InputError("--times lists no time")
    return sorted(chosen, key=lambda s: s.time_s)


def read_plane(path, dataset, select):
    with h5py.File(path, "r") as f:
        return np.asarray(f[dataset][select], dtype=float) if dataset in f else None


def colour_norm(planes, log, name):
    values = np.concatenate([p.compressed() for p in planes if p is not None and p.count()] or [np.zeros(1)])
    values = values[np.isfinite(values)]
    if values.size == 0:
        values = np.zeros(1)
    vmax = float(values.max())
    if log:
        pos = values[values > 0]
        if pos.size:
            vmin = max(float(pos.min()), vmax * 1e-6)
            return LogNorm(vmin=vmin, vmax=vmax if vmax > vmin else vmin * 10), True
        print(f"{PROG}: note: {name} has no positive values in the slices; linear colour scale")
    vmin = float(values.min())
    return Normalize(vmin=vmin, vmax=vmax if vmax > vmin else vmin + 1.0), False


def plot_slices(names, snaps, grid, axis, log, ts, all_snaps, out_dir, dpi):
    """slice_<NAME>.png: the mid-plane normal to `axis`, one panel per snapshot, one colour scale per field."""
    index, select, h, v = grid.plane(axis)
    extent, length_unit = grid.extent_mm(h, v)
    mask = None
    if grid.geometry:
        mask = read_plane(grid.geometry, "labels", select(index)) == 0
    cols = min(len(snaps), 3)
    rows = math.ceil(len(snaps) / cols)
    width = extent[1] - extent[0]
    height = extent[3] - extent[2]
    aspect = min(height / width if width > 0 else 1.0, 1.5)
    panel_w = (FIG_WIDTH_IN - 1.3) / cols  # the colour bar takes about 1.3 in
    fig_h = max(rows * (panel_w * aspect + 0.8) + 0.4, 2.8)
    where = grid.coordinate_mm(axis, index)
    plane_text = f"{axis} = {where:.3g} mm" if where is not None else f"{axis} index {index}"
    for name in names:
        unit = field_unit(name, ts, all_snaps)
        planes = []
        for snap in snaps:
            data = read_plane(snap.path, f"fields/{name}", select(index)) if name in snap.fields else None
            planes.append(None if data is None else np.ma.masked_array(data, mask if mask is not None else False))
        norm, is_log = colour_norm(planes, log, name)
        fig, axes = plt.subplots(rows, cols, figsize=(FIG_WIDTH_IN, fig_h), squeeze=False,
                                 layout="constrained")
        cmap = plt.get_cmap("viridis").copy()
        cmap.set_bad((1, 1, 1, 0))
        image = None
        for ax, snap, plane in zip(axes.flat, snaps, planes):
            ax.set_title(f"t = {format_hours(snap.time_s)}", fontsize="medium")
            ax.set_xlabel(f"{h} ({length_unit})")
            ax.set_ylabel(f"{v} ({length_unit})")
            if plane is None:
                ax.text(0.5, 0.5, "not in this snapshot", transform=ax.transAxes, ha="center", va="center")
                continue
            shown = np.ma.maximum(plane, norm.vmin) if is_log else plane
            image = ax.imshow(shown, origin="lower", extent=extent, cmap=cmap, norm=norm,
                              interpolation="nearest", aspect="equal")
        for ax in axes.flat[len(snaps):]:
            ax.set_visible(False)
        fig.suptitle(f"{name}, mid-plane {plane_text}" + (" (log scale)" if is_log else ""))
        if image is not None:
            bar = fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.9)
            bar.set_label(f"{name} ({unit})")
        path = os.path.join(out_dir, f"slice_{name}.png")
        fig.savefig(path, dpi=dpi)
        plt.close(fig)
        print(path)


# ------------------------------------------------------------------- main ---

def snapshot_fields(snapshots, ts):
    """Every field in the snapshots: the time series' species and populations order first."""
    names = []
    for snap in snapshots:
        names += [n for n in snap.fields if n not in names]
    order = list(ts.species) + list(ts.populations)
    return sorted(names, key=lambda n: (order.index(n) if n in order else len(order), names.index(n)))


def print_listing(directory, ts, snapshots):
    """--list: what the run holds."""
    print(f"run: {directory}")
    if ts.n:
        print(f"time series: {ts.n} rows, {format_hours(ts.hours[0] * 3600)} .. {format_hours(ts.hours[-1] * 3600)}")
    else:
        print("time series: empty")
    print("species: " + (", ".join(ts.species) or "-"))
    print("populations: " + (", ".join(ts.populations) or "-"))
    print("regions: " + (", ".join(ts.region_names()) or "-"))
    if ts.tissues or ts.organs:
        print("  tissues: " + (", ".join(ts.tissues) or "-") + " | organs: " + (", ".join(ts.organs) or "-"))
    if ts.plasma_species or ts.plasma_populations:
        print("plasma: " + ", ".join(list(ts.plasma_species) + list(ts.plasma_populations)))
    print("drugs: " + (", ".join(ts.drugs) or "-"))
    print("budget: " + (", ".join(ts.budget) or "-"))
    fields = snapshot_fields(snapshots, ts)
    print("fields: " + (", ".join(f"{n} ({field_unit(n, ts, snapshots)})" for n in fields) or "- (no snapshots)"))
    print(f"snapshots: {len(snapshots)}")
    for snap in snapshots:
        print(f"  {snap.name}  t = {format_hours(snap.time_s)}  step {snap.step}")


class Parser(argparse.ArgumentParser):
    """argparse whose errors are one line on stderr and exit code 2."""

    def error(self, message):
        self.exit(2, f"{PROG}: error: {message} (see --help)\n")


def parse_args(argv):
    p = Parser(prog=PROG, formatter_class=argparse.RawDescriptionHelpFormatter,
               description="Turn a cytostorm run's outputs into PNG plots:\n"
               "  plasma.png    plasma cytokines (tissue means when the run has no plasma)\n"
               "  survival.png  cell survival per population and organ (runs with populations)\n"
               "  tissue.png    tissue mean and max per species\n"
               "  drugs.png     drug levels (runs with drugs)\n"
               "  budget.png    cumulative secreted / released / taken-up amounts (runs with a budget)\n"
               "  slice_<NAME>.png  mid-plane slices of each field at the chosen snapshot times",
               epilog="examples:\n"
               "  scripts/plot_run.py output/liver-focus\n"
               "  scripts/plot_run.py output/liver-focus --slices TNF,IL6 --times 2h,8h --log --axis y\n"
               "  scripts/plot_run.py output/liver-focus --list")
    p.add_argument("output_dir", metavar="OUTPUT_DIR", help="a run's output directory")
    p.add_argument("--out", metavar="DIR", help="where the PNGs go (default: OUTPUT_DIR/plots)")
    p.add_argument("--slices", metavar="NAME[,NAME...]",
                   help="fields to slice, species or populations (default: every field in the snapshots)")
    p.add_argument("--times", metavar="T[,T...]",
                   help="slice times, e.g. 6h,90min,3600s or bare hours; the nearest snapshot is used "
                        "(default: the last snapshot)")
    p.add_argument("--axis", choices=["z", "y", "x"], default="z",
                   help="slice the mid-plane normal to this axis (default: z)")
    p.add_argument("--log", action="store_true", help="log colour scale for slices")
    p.add_argument("--no-slices", action="store_true", help="only the time-series plots")
    p.add_argument("--dpi", type=int, default=100, help="resolution; figures are 8 in wide (default: 100)")
    p.add_argument("--list", action="store_true", help="print the fields, snapshot times and regions, and exit")
    return p.parse_args(argv)


def run(args):
    directory = args.output_dir
    if not os.path.isdir(directory):
        raise InputError(f"no such directory: {directory}")
    if args.dpi < 20 or args.dpi > 600:
        raise InputError(f"--dpi {args.dpi}: expected 20 .. 600")
    ts = TimeSeries(os.path.join(directory, "timeseries.json"))
    snapshots = find_snapshots(directory)
    if args.list:
        print_listing(directory, ts, snapshots)
        return

    # Validate the slice options before writing anything.
    fields = snapshot_fields(snapshots, ts)
    slice_names, slice_snaps = [], []
    if not args.no_slices:
        if args.slices is not None:
            slice_names = [n.strip() for n in args.slices.split(",") if n.strip()]
            if not slice_names:
                raise InputError("--slices lists no field")
            if not snapshots:
                raise InputError(f"--slices: no snapshots (snapshot_*.h5) in {directory}")
            unknown = [n for n in slice_names if n not in fields]
            if unknown:
                raise InputError(f"unknown field '{unknown[0]}' in --slices (available: {', '.join(fields)})")
        else:
            slice_names = fields
        if snapshots:
            slice_snaps = choose_snapshots(snapshots, args.times)
        elif args.times:
            raise InputError(f"--times: no snapshots (snapshot_*.h5) in {directory}")
        else:
            print(f"{PROG}: note: no snapshots in {directory}; no slices")

    out_dir = args.out or os.path.join(directory, "plots")
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as e:
        raise InputError(f"cannot create {out_dir}: {e.strerror}") from None

    colours = colour_table(ts, snapshots)
    if ts.n == 0:
        print(f"{PROG}: note: timeseries.json has no rows; no time-series plots")
    else:
        plot_plasma(ts, colours, out_dir, args.dpi)
        if ts.populations:
            plot_survival(ts, out_dir, args.dpi)
        plot_tissue(ts, colours, out_dir, args.dpi)
        if ts.drugs:
            plot_drugs(ts, colours, out_dir, args.dpi)
        if ts.budget:
            plot_budget(ts, colours, out_dir, args.dpi)
    if slice_names and slice_snaps:
        grid = Grid(directory, read_shape(slice_snaps[0], slice_names[0]))
        plot_slices(slice_names, slice_snaps, grid, args.axis, args.log, ts, snapshots, out_dir, args.dpi)


def read_shape(snap, name):
    with h5py.File(snap.path, "r") as f:
        shape = None
        for n in [name] + snap.fields:
            if n in f["fields"]:
                shape = tuple(f["fields"][n].shape)
                break
    if shape is None or len(shape) != 3:
        raise InputError(f"{snap.path}: fields are not 3-D (shape {shape})")
    return shape


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        run(args)
    except InputError as e:
        sys.stderr.write(f"{PROG}: error: {e}\n")
        return 2
    except (OSError, KeyError, ValueError) as e:  # unreadable or malformed files
        sys.stderr.write(f"{PROG}: error: {type(e).__name__}: {e}\n")
        return 2
    except Exception as e:  # a bug or an unforeseen layout: still one line
        sys.stderr.write(f"{PROG}: internal error: {type(e).__name__}: {e}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
