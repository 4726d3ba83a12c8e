#!/usr/bin/python3
"""Compare several cytostorm runs (arms) in one figure.

    scripts/plot_compare.py --out FILE.png DIR:label DIR:label ...

Reads DIR/timeseries.json of each run and draws, one line per arm:
  - the plasma concentration of a species on a log axis (--species, default
    IL6), with each arm's first drug dose marked;
  - optionally the mean density (cells/mL, log axis) of populations in a
    region (--density NAME[:REGION], repeatable), e.g. of cells that arrive
    during the run and so have no survival;
  - the survival (cells / cells at t = 0) of one or more populations
    (--population, repeatable; default: every population that has cells at
    t = 0 in every run, unless --density is given).
It also prints, per arm, the plasma peak (value and time), the peak of each
density and the final survival of each population.

Needs Debian's python3-numpy and python3-matplotlib, hence /usr/bin/python3.
Bad inputs end with one line on stderr and exit code 2.
"""

import argparse
import json
import math
import os
import sys

PROG = "plot_compare.py"

try:
    import numpy as np
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError as missing:  # one clear line, not a traceback
    sys.stderr.write(f"{PROG}: error: {missing} in {sys.executable}; install python3-numpy and "
                     "python3-matplotlib (scripts/bootstrap.sh) and run with /usr/bin/python3\n")
    sys.exit(2)

FIG_WIDTH_IN = 8.0
ARM_COLOURS = list(plt.get_cmap("tab10").colors)
ARM_STYLES = ["-", "--", "-.", (0, (1, 1))]


class InputError(Exception):
    """A bad input or option: reported as one line, exit code 2."""


class Parser(argparse.ArgumentParser):
    """argparse whose errors are one line on stderr and exit code 2."""

    def error(self, message):
        self.exit(2, f"{PROG}: error: {message} (see --help)\n")


# ---------------------------------------------------------------- reading ---

def numbers(values, n, what):
    """Float array of the first n values; JSON null (NaN/inf from the writer) -> NaN."""
    if not isinstance(values, list):
        raise InputError(f"{what}: expected an array of numbers, found {type(values).__name__}")
    out = np.full(n, np.nan)
    for i, v in enumerate(values[:n]):
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            out[i] = v
    return out


def table(data, key, path):
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError(f"{path}: \"{key}\" is not an object")
    return value


class Arm:
    """One run: its label and the parts of timeseries.json this script uses."""

    def __init__(self, spec):
        directory, label = split_spec(spec)
        self.directory = directory
        self.label = label
        if not os.path.isdir(directory):
            raise InputError(f"{spec}: no such directory: {directory}")
        path = os.path.join(directory, "timeseries.json")
        self.path = path
        try:
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
        except FileNotFoundError:
            raise InputError(f"{spec}: no timeseries.json in {directory}") from None
        except (OSError, ValueError) as e:
            raise InputError(f"cannot read {path}: {e}") from None
        if not isinstance(data, dict) or not isinstance(data.get("time_s"), list):
            raise InputError(f"{path}: no \"time_s\" array (not a cytostorm time series?)")
        self.n = len(data["time_s"])
        if self.n == 0:
            raise InputError(f"{path}: the time series has no rows")
        self.hours = numbers(data["time_s"], self.n, f"{path}: time_s") / 3600.0
        self.populations = table(data, "populations", path)
        plasma = table(data, "plasma", path)
        if plasma and not isinstance(plasma.get("species", {}), dict):
            raise InputError(f"{path}: \"plasma.species\" is not an object")
        self.plasma_species = dict(plasma.get("species") or {})
        self.species = table(data, "species", path)
        self.drugs = table(data, "drugs", path)

    def plasma(self, name):
        if name in self.plasma_species:
            return numbers(self.plasma_species[name], self.n, f"{self.path}: plasma.species.{name}")
        known = sorted(set(self.plasma_species) | set(self.species))
        if not self.plasma_species:
            raise InputError(f"{self.path}: the run has no plasma compartment (no plasma species to plot)")
        raise InputError(f"{self.path}: no plasma species '{name}' (available: {', '.join(known)})")

    def total_cells(self, name, region):
        return self.population_stat(name, region, "total_cells")

    def density(self, name, region):
        return self.population_stat(name, region, "mean_cells_per_mL")

    def population_stat(self, name, region, key):
        per_region = self.populations.get(name)
        if per_region is None:
            available = ", ".join(sorted(self.populations)) or "none"
            raise InputError(f"{self.path}: no population '{name}' (available: {available})")
        if not isinstance(per_region, dict) or region not in per_region:
            regions = ", ".join(per_region) if isinstance(per_region, dict) else "none"
            raise InputError(f"{self.path}: population '{name}' has no region '{region}' (available: {regions})")
        stats = per_region[region]
        if not isinstance(stats, dict) or key not in stats:
            raise InputError(f"{self.path}: populations.{name}.{region} has no \"{key}\"")
        return numbers(stats[key], self.n, f"{self.path}: populations.{name}.{region}.{key}")

    def first_doses(self):
        """(drug, hours) of the first row where each drug's level is above zero."""
        doses = []
        for drug, levels in self.drugs.items():
            values = numbers(levels, self.n, f"{self.path}: drugs.{drug}")
            above = np.nonzero(values > 0)[0]
            if above.size:
                doses.append((drug, self.hours[above[0]]))
        return doses


def split_spec(spec):
    """DIR:label -> (DIR, label); the label is after the last ':'. Without one, the directory's name."""
    if ":" in spec:
        directory, label = spec.rsplit(":", 1)
        if not directory:
            raise InputError(f"'{spec}': expected DIR:label, the directory is empty")
        if not label.strip():
            raise InputError(f"'{spec}': expected DIR:label, the label is empty")
        return directory, label.strip()
    return spec, os.path.basename(os.path.normpath(spec)) or spec


# --------------------------------------------------------------- plotting ---

def format_hours(h):
    return f"{h:.0f} h" if abs(h - round(h)) < 1e-6 else f"{h:.1f} h"


def arm_style(i):
    """Colour and line style of arm i: the styles differ too, so that identical curves stay visible."""
    return ARM_COLOURS[i % len(ARM_COLOURS)], ARM_STYLES[i % len(ARM_STYLES)]


def survival(cells):
    first = cells[0]
    if not (first > 0):
        return None
    return cells / first


def draw(arms, species, densities, populations, region, out, dpi, title):
    rows = 1 + len(densities) + len(populations)
    fig, axes = plt.subplots(rows, 1, figsize=(FIG_WIDTH_IN, 2.6 + 2.2 * rows), sharex=True, squeeze=False)
    axes = axes[:, 0]

    ax = axes[0]
    any_positive = False
    for i, arm in enumerate(arms):
        colour, style = arm_style(i)
        values = arm.plasma(species)
        y = np.where(values > 0, values, np.nan)
        any_positive = any_positive or bool(np.isfinite(y).any())
        ax.plot(arm.hours, y, color=colour, ls=style, lw=2, label=arm.label)
        for drug, hours in arm.first_doses():
            ax.axvline(hours, color=colour, ls=":", lw=1.2)
            ax.annotate(drug, xy=(hours, 0.0), xycoords=("data", "axes fraction"), xytext=(3, 4),
                        textcoords="offset points", fontsize="x-small", color=colour)
    if any_positive:
        ax.set_yscale("log")
    ax.set_ylabel(f"plasma {species} (pg/mL)")
    ax.set_title(f"Plasma {species}" + (" (dotted: first dose)" if any(a.first_doses() for a in arms) else ""))
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize="small", framealpha=0.85)

    for d, (name, where) in enumerate(densities):
        ax = axes[1 + d]
        any_positive = False
        for i, arm in enumerate(arms):
            colour, style = arm_style(i)
            values = arm.density(name, where)
            y = np.where(values > 0, values, np.nan)
            any_positive = any_positive or bool(np.isfinite(y).any())
            ax.plot(arm.hours, y, color=colour, ls=style, lw=2, label=arm.label)
        if any_positive:
            ax.set_yscale("log")
        ax.set_ylabel("cells/mL")
        ax.set_title(f"{name}: mean density" + (" (whole domain)" if where == "all" else f" in {where}"))
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize="small", framealpha=0.85)

    for p, name in enumerate(populations):
        ax = axes[1 + len(densities) + p]
        top = 1.05
        for i, arm in enumerate(arms):
            colour, style = arm_style(i)
            s = survival(arm.total_cells(name, region))
            if s is None:
                raise InputError(f"{arm.path}: population '{name}' has no cells at t = 0 in region "
                                 f"'{region}'; survival is undefined")
            top = max(top, float(np.nanmax(s)) * 1.05 if np.isfinite(s).any() else top)
            ax.plot(arm.hours, s, color=colour, ls=style, lw=2, label=arm.label)
        ax.set_ylim(0, top)
        ax.set_ylabel("cells / cells at t = 0")
        ax.set_title(f"{name} survival" + ("" if region == "all" else f" ({region})"))
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize="small", framealpha=0.85)
    axes[-1].set_xlabel("time (h)")
    if title:
        fig.suptitle(title, fontsize="large", y=0.995)
        fig.tight_layout(rect=(0, 0, 1, 0.975))
    else:
        fig.tight_layout()
    fig.savefig(out, dpi=dpi)
    plt.close(fig)


def summary(arms, species, densities, populations, region):
    lines = []
    for arm in arms:
        values = arm.plasma(species)
        if np.isfinite(values).any():
            k = int(np.nanargmax(values))
            peak = f"plasma {species} peak {values[k]:.4g} pg/mL at {format_hours(arm.hours[k])}"
        else:
            peak = f"plasma {species}: no values"
        parts = [peak]
        for name, where in densities:
            values = arm.density(name, where)
            if np.isfinite(values).any():
                k = int(np.nanargmax(values))
                parts.append(f"{name} in {where} peak {values[k]:.3g} cells/mL at {format_hours(arm.hours[k])}")
        for name in populations:
            s = survival(arm.total_cells(name, region))
            final = s[np.isfinite(s)][-1] if s is not None and np.isfinite(s).any() else math.nan
            parts.append(f"{name} {100 * final:.1f}%")
        doses = ", ".join(f"{d} at {format_hours(h)}" for d, h in arm.first_doses())
        lines.append(f"{arm.label}: " + "; ".join(parts) + (f"; first dose {doses}" if doses else "; no drug"))
    return lines


# -------------------------------------------------------------------- main ---

def parse_args(argv):
    p = Parser(prog=PROG, formatter_class=argparse.RawDescriptionHelpFormatter,
               description="Compare cytostorm runs (arms): plasma concentration of one species (log) "
                           "and survival of populations, one line per arm.",
               epilog="example:\n"
                      "  scripts/plot_compare.py --out therapy.png --population endothelium \\\n"
                      "      output/therapy-timing/early:'tocilizumab 24 h' \\\n"
                      "      output/therapy-timing/late:'tocilizumab 72 h' output/therapy-timing/never:never")
    p.add_argument("runs", nargs="+", metavar="DIR:label",
                   help="a run's output directory and the label of its arm (default label: the directory's name)")
    p.add_argument("--out", required=True, metavar="FILE.png", help="the figure to write")
    p.add_argument("--species", default="IL6", help="plasma species to plot on a log axis (default: IL6)")
    p.add_argument("--population", action="append", metavar="NAME",
                   help="population whose survival to plot; repeat for several (default: every population "
                        "with cells at t = 0 in every run)")
    p.add_argument("--density", action="append", metavar="NAME[:REGION]",
                   help="population whose mean density (cells/mL, log axis) to plot, in REGION (all, a tissue "
                        "or an organ; default all); repeat for several")
    p.add_argument("--region", default="all",
                   help="region of the survival counts: all, a tissue or an organ (default: all)")
    p.add_argument("--title", default="", help="figure title (default: none)")
    p.add_argument("--dpi", type=int, default=100, help="resolution; the figure is 8 in wide (default: 100)")
    return p.parse_args(argv)


def run(args):
    if args.dpi < 20 or args.dpi > 600:
        raise InputError(f"--dpi {args.dpi}: expected 20 .. 600")
    if not args.out.lower().endswith(".png"):
        raise InputError(f"--out {args.out}: expected a .png file name")
    arms = [Arm(spec) for spec in args.runs]
    labels = [a.label for a in arms]
    duplicate = next((l for l in labels if labels.count(l) > 1), None)
    if duplicate is not None:
        raise InputError(f"two arms have the label '{duplicate}'; give each DIR its own :label")

    densities = []
    for item in args.density or []:
        name, _, where = item.partition(":")
        if not name.strip():
            raise InputError(f"--density {item}: expected NAME or NAME:REGION")
        densities.append((name.strip(), where.strip() or "all"))
    if args.population:
        populations = []
        for item in args.population:
            populations += [n.strip() for n in item.split(",") if n.strip()]
        if not populations:
            raise InputError("--population names no population")
    elif densities:
        populations = []
    else:
        populations = [name for name in arms[0].populations
                       if all(name in a.populations and region_has_cells(a, name, args.region) for a in arms)]
    # Validate every series before drawing anything.
    for arm in arms:
        arm.plasma(args.species)
        for name, where in densities:
            arm.density(name, where)
        for name in populations:
            arm.total_cells(name, args.region)

    out_dir = os.path.dirname(os.path.abspath(args.out))
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as e:
        raise InputError(f"cannot create {out_dir}: {e.strerror}") from None
    draw(arms, args.species, densities, populations, args.region, args.out, args.dpi, args.title)
    for line in summary(arms, args.species, densities, populations, args.region):
        print(line)
    print(args.out)


def region_has_cells(arm, name, region):
    per_region = arm.populations.get(name)
    if not isinstance(per_region, dict) or region not in per_region:
        return False
    stats = per_region[region]
    cells = stats.get("total_cells") if isinstance(stats, dict) else None
    return isinstance(cells, list) and bool(cells) and isinstance(cells[0], (int, float)) and cells[0] > 0


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        run(args)
    except InputError as e:
        sys.stderr.write(f"{PROG}: error: {e}\n")
        return 2
    except (OSError, KeyError, ValueError, TypeError) as e:  # unreadable or malformed files
        sys.stderr.write(f"{PROG}: error: {type(e).__name__}: {e}\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
