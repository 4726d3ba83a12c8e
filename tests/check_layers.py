#!/usr/bin/env python3
"""The layer check: every #include in host/, kernels/ and benchmarks/ points
down the layer order of docs/architecture.md, never up or sideways.

    cli > benchmarks > app > solver > {io, backends} > model > parallel
        > geometry > scenario > core

kernels/ is reached only from model/ and backends/ (and itself); inside
kernels/, the shared pointwise headers at its top are below cpu/ and cuda/,
which never include each other. kernels/ never includes host/ or benchmarks/.

Run with the repository root as argument; prints one line per offending
include (file:line, the include, and why) and exits 1 if there is any.
--self-test copies the tree's sources to a scratch folder, plants a wrong
include in each of several kinds, and checks that every one is caught.
"""
import os
import re
import shutil
import sys
import tempfile

# Rank of each host layer: a file may include its own layer or a lower rank.
# io and backends share a rank: neither may include the other (sideways).
HOST_LAYERS = {
    "core": 0,
    "scenario": 1,
    "geometry": 2,
    "parallel": 3,
    "model": 4,
    "io": 5,
    "backends": 5,
    "solver": 6,
    "app": 7,
    "cli": 9,
}
BENCHMARKS_RANK = 8
KERNEL_USERS = {"model", "backends"}  # the only host layers that may include kernels/
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
SOURCE_SUFFIXES = (".cpp", ".hpp", ".cu", ".cuh", ".h", ".in")


def layer_of(path):
    """(layer name, rank) of a repository-relative path, or None outside the checked trees."""
    parts = path.split("/")
    if parts[0] == "host":
        if len(parts) < 3 or parts[1] not in HOST_LAYERS:
            return ("host/" + (parts[1] if len(parts) > 2 else ""), None)  # a file outside any layer
        return (parts[1], HOST_LAYERS[parts[1]])
    if parts[0] == "benchmarks":
        return ("benchmarks", BENCHMARKS_RANK)
    if parts[0] == "kernels":
        sub = parts[1] if len(parts) > 2 else ""
        return ("kernels/" + sub if sub else "kernels", None)
    return None


def verdict(source_layer, target_layer):
    """None if source_layer may include target_layer, else the reason."""
    (src, src_rank), (dst, dst_rank) = source_layer, target_layer
    if src == dst:
        return None
    if src_rank is None and not src.startswith("kernels"):
        return f"{src} is no layer (host/ code lives in one of {', '.join(sorted(HOST_LAYERS))})"
    if dst.startswith("kernels"):
        if src.startswith("kernels"):
            if dst == "kernels":
                return None  # cpu/ and cuda/ build on the shared pointwise headers
            return f"{src} may not include {dst} (only the shared kernels/ headers are common)"
        if src in KERNEL_USERS:
            if dst == "kernels" or src == "backends":
                return None
            return f"{src} may include only the shared kernels/ headers, not {dst}"
        return f"{src} may not include kernels/: only model/ and backends/ reach the kernels"
    if src.startswith("kernels"):
        return "kernels/ may not include host/ or benchmarks/ code"
    if dst_rank is None:
        return f"{dst} is no layer"
    if dst_rank == src_rank:
        return f"{src} and {dst} are side by side: neither may include the other"
    if dst_rank > src_rank:
        return f"{src} is below {dst}: includes point down only"
    return None


def resolve(root, including, spelled):
    for candidate in (spelled, os.path.normpath(os.path.join(os.path.dirname(including), spelled))):
        if os.path.isfile(os.path.join(root, candidate)):
            return candidate
    return None


def check(root):
    problems = []
    for top in ("host", "kernels", "benchmarks"):
        for folder, _, names in os.walk(os.path.join(root, top)):
            for name in sorted(names):
                if not name.endswith(SOURCE_SUFFIXES):
                    continue
                path = os.path.relpath(os.path.join(folder, name), root)
                source_layer = layer_of(path)
                with open(os.path.join(root, path), encoding="utf-8") as f:
                    for number, line in enumerate(f, 1):
                        m = INCLUDE.match(line)
                        if not m:
                            continue
                        target = resolve(root, path, m.group(1))
                        if target is None:
                            problems.append(f'{path}:{number}: #include "{m.group(1)}": no such project file '
                                            "(spell project includes from the repository root)")
                            continue
                        if target != m.group(1):
                            problems.append(f'{path}:{number}: #include "{m.group(1)}": spell it from the '
                                            f'repository root ("{target}")')
                        target_layer = layer_of(target)
                        if target_layer is None:
                            problems.append(f'{path}:{number}: #include "{m.group(1)}": {target} is outside '
                                            "host/, kernels/ and benchmarks/")
                            continue
                        why = verdict(source_layer, target_layer)
                        if why:
                            problems.append(f'{path}:{number}: #include "{m.group(1)}": {why}')
    return problems


def self_test(root):
    """Plants one wrong include of each kind in a scratch copy; each must be reported."""
    plants = [
        ("host/core/error.hpp", "host/io/output.hpp", "is below"),             # up
        ("host/io/output.hpp", "host/backends/backend.hpp", "side by side"),   # sideways
        ("host/scenario/scenario.hpp", "kernels/limits.hpp", "only model/"),  # kernels from above
        ("kernels/grid_layout.hpp", "host/core/error.hpp", "may not include host/"),
        ("kernels/cpu/cpu_kernels.hpp", "kernels/cuda/cuda_kernels.hpp", "only the shared"),
        ("host/geometry/geometry.hpp", "geometry.hpp", "spell it from"),
    ]
    clean = check(root)
    if clean:
        print("self-test needs a clean tree; the tree has problems:", *clean, sep="\n  ")
        return 1
    failures = 0
    for file, include, expected in plants:
        with tempfile.TemporaryDirectory() as scratch:
            for top in ("host", "kernels", "benchmarks"):
                shutil.copytree(os.path.join(root, top), os.path.join(scratch, top))
            with open(os.path.join(scratch, file), "a", encoding="utf-8") as f:
                f.write(f'#include "{include}"\n')
            found = [p for p in check(scratch) if p.startswith(file + ":") and expected in p]
            print(f"planted {file} -> {include}: " + (found[0] if found else "NOT CAUGHT"))
            failures += not found
    return 1 if failures else 0


def main(argv):
    root = os.path.abspath(argv[1] if len(argv) > 1 and not argv[1].startswith("--") else ".")
    if "--self-test" in argv:
        return self_test(root)
    problems = check(root)
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} include(s) against the layer order (docs/architecture.md)")
        return 1
    print("every include points down the layer order")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
