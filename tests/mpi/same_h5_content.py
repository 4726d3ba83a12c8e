#!/usr/bin/python3
"""Exit 0 when two HDF5 files hold the same groups, datasets (shape, type and
every value, bit for bit) and attributes; else print the first difference
and exit 1. Files written collectively by several ranks lay their bytes out
differently from a one-process file, so the comparison is of content."""
import sys

import h5py
import numpy as np


def same_values(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.dtype.kind in "fc":  # bitwise: NaN payloads and signed zeros count
        return a.tobytes() == b.tobytes()
    return np.array_equal(a, b)


def compare(x, y, path):
    if set(x.attrs) != set(y.attrs):
        return f"{path}: attributes {sorted(x.attrs)} vs {sorted(y.attrs)}"
    for name in x.attrs:
        if not same_values(x.attrs[name], y.attrs[name]):
            return f"{path}: attribute {name} differs"
    if isinstance(x, h5py.Dataset):
        if not isinstance(y, h5py.Dataset):
            return f"{path}: a dataset in one file only"
        return None if same_values(x[()], y[()]) else f"{path}: values differ"
    if set(x) != set(y):
        return f"{path}: members {sorted(x)} vs {sorted(y)}"
    for name in x:
        found = compare(x[name], y[name], f"{path.rstrip('/')}/{name}")
        if found:
            return found
    return None


with h5py.File(sys.argv[1], "r") as a, h5py.File(sys.argv[2], "r") as b:
    difference = compare(a, b, "/")
if difference:
    print(f"{sys.argv[1]} vs {sys.argv[2]}: {difference}")
    sys.exit(1)
