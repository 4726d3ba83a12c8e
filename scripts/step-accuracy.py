#!/usr/bin/env python3
"""Key outputs of runs of one scenario, against a reference run.

    scripts/step-accuracy.py REFERENCE_DIR RUN_DIR [RUN_DIR ...]

Each directory is a finished run's output directory. Printed per run: the
plasma peak and its time per species, each species' peak and final
amount in the tissue, the survival at the end per
population and region (as an absolute difference of the surviving
fraction), the cells lost (total deaths), the others as the relative
difference to the reference; the steps taken and the wall time
(summary.json). Exit status 0; use --tolerance T to exit 1 where a
difference exceeds T (peak times are compared against the output interval).
"""
import argparse
import json
import os
import sys


def key_outputs(directory):
    series = json.load(open(os.path.join(directory, "timeseries.json")))
    summary = json.load(open(os.path.join(directory, "summary.json")))
    times = series["time_s"]
    out = {}
    for name, values in series.get("plasma", {}).get("species", {}).items():
        peak = max(range(len(values)), key=lambda i: values[i])
        out[f"plasma {name} peak"] = values[peak]
        out[f"plasma {name} peak time"] = times[peak]
    for name, regions in series.get("species", {}).items():
        # Tissue amounts: the peak over the outputs and the end, over all tissue.
        totals = regions["all"]["total_pg"]
        peak = max(range(len(totals)), key=lambda i: totals[i])
        out[f"tissue {name} peak amount"] = totals[peak]
        out[f"tissue {name} final amount"] = totals[-1]
    for name, regions in series.get("populations", {}).items():
        for region, stats in regions.items():
            cells = stats["total_cells"]
            if cells[0] > 0:
                out[f"{name} survival in {region}"] = cells[-1] / cells[0]
        cells = regions["all"]["total_cells"]
        out[f"{name} cells lost"] = max(cells[0] - cells[-1], 0.0)
    interval = times[1] - times[0] if len(times) > 1 else 1.0
    return out, summary, interval


def relative(a, b):
    scale = max(abs(a), abs(b))
    return 0.0 if scale == 0 else abs(a - b) / scale


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reference")
    parser.add_argument("runs", nargs="+")
    parser.add_argument("--tolerance", type=float)
    args = parser.parse_args()
    reference, ref_summary, interval = key_outputs(args.reference)
    worst_all = 0.0
    for run in args.runs:
        values, summary, _ = key_outputs(run)
        steps = summary["time"]["steps"]
        wall = summary["performance"]["wall_s"]
        worst, worst_key = 0.0, ""
        for key, ref in reference.items():
            if key not in values:
                continue
            if key.endswith("peak time"):
                # Outputs are interval apart: a peak an output off is within resolution.
                d = max(abs(values[key] - ref) - interval, 0.0) / max(ref, interval)
            elif " survival in " in key:
                d = abs(values[key] - ref)  # a fraction of the initial cells: absolute
            else:
                d = relative(values[key], ref)
            if d > worst:
                worst, worst_key = d, key
        print(f"{run}: {steps} steps, wall {wall:.1f} s; largest difference {worst:.3g} ({worst_key})")
        worst_all = max(worst_all, worst)
    ref_steps = ref_summary["time"]["steps"]
    print(f"reference {args.reference}: {ref_steps} steps, wall {ref_summary['performance']['wall_s']:.1f} s")
    if args.tolerance is not None and worst_all > args.tolerance:
        sys.exit(1)


if __name__ == "__main__":
    main()
