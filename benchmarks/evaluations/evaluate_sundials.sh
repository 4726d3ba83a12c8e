#!/usr/bin/env bash
# SUNDIALS CVODE against cytostorm's exponential step on the stiff voxel
# (docs/numerics/method.md#stiff-rules). Needs libsundials-dev (not a
# dependency of the build) and a built build/cytostorm. Writes the figures
# to benchmarks/results/cpu-2core-issue17-sundials.json (or $1).
#   benchmarks/evaluations/evaluate_sundials.sh [OUTPUT.json]
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-benchmarks/results/cpu-2core-issue17-sundials.json}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
g++ -O2 -std=c++17 benchmarks/evaluations/sundials_stiff_voxel.cpp -o "$work/cvode" \
  -lsundials_cvode -lsundials_nvecserial -lsundials_sunlinsoldense -lsundials_sunmatrixdense
cvode_runs=()
for rtol in 1e-10 1e-6 1e-4 1e-3; do cvode_runs+=("$("$work/cvode" "$rtol" 500)"); done
ours=()
for i in 1 2 3; do
  build/cytostorm run benchmarks/evaluations/stiff_voxels.yaml --output "$work/run$i" --quiet > /dev/null
  ours+=("$work/run$i")
done
python3 - "$out" "${ours[@]}" -- "${cvode_runs[@]}" <<'PY'
import csv, json, statistics, sys
args = sys.argv[2:]
split = args.index("--")
runs, cvode = args[:split], [json.loads(x) for x in args[split + 1:]]
reference = cvode[0]["il6_hourly"]  # rtol 1e-10
def worst(values):
    return max(abs(v - r) / r for v, r in zip(values, reference))
seconds, il6 = [], None
for run in runs:
    summary = json.load(open(run + "/summary.json"))
    seconds.append(summary["performance"]["stepping_s"])
    voxels = summary["grid"]["tissue_voxels"]
    rows = list(csv.DictReader(open(run + "/timeseries.csv")))
    il6 = [float(row["mean_pg_per_mL"]) for row in rows
           if row["species"] == "IL6" and row["region"] == "all" and float(row["time_s"]) > 0]
steps = summary["time"]["steps_taken"]["count"]
result = {
    "what": "The stiff voxel (benchmarks/evaluations/stiff_voxels.yaml) over 4 h: IL-6 at each hour against CVODE at rtol 1e-10, and the wall time of one voxel's 4 h. cytostorm: the exponential step (ETD2RK) at 400 s steps on 32^3 identical voxels, stepping seconds / voxels (the whole fused step, transport included; all the machine's OpenMP threads, threads_used below), median of 3 runs; CVODE: BDF with a dense Newton solve, one voxel on one thread, hand-written right-hand side, mean of 500 solves.",
    "command": "benchmarks/evaluations/evaluate_sundials.sh",
    "reference_il6_hourly": reference,
    "cytostorm": {"steps": steps, "il6_hourly": il6, "largest_relative_error": worst(il6),
                  "seconds_per_voxel": statistics.median(seconds) / voxels,
                  "threads_used": summary["backend"]["device"]["compute_units"]},
    "cvode": [{"rtol": c["rtol"], "steps": c["steps"], "largest_relative_error": worst(c["il6_hourly"]),
               "seconds_per_voxel": c["seconds_per_voxel"]} for c in cvode[1:]],
}
json.dump(result, open(sys.argv[1], "w"), indent=1)
print(json.dumps(result, indent=1))
PY
