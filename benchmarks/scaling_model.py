#!/usr/bin/env python3
"""The weak-scaling performance model of benchmarks/SCALING.md, as a calculator.

Prints the tables of SCALING.md (predicted weak-scaling efficiency against the
cubic subdomain edge n) and the smallest n for a target efficiency, for the
GPU on an NVLink node and on an InfiniBand cluster, and (with --cpu-json) the
CPU prediction for the ranks of a benchmarks/mpi_scaling.py result.

Every GPU figure here is a prediction: no GPU run of cytostorm has been
measured. Python 3 standard library only.
"""

import argparse
import json

# ---- Parameters (see SCALING.md, section 2, for where each comes from) ----
GPU = {
    "B_hbm": 3.0e12,      # device copy, H100 SXM (docs/performance/gpu.md's assumed figure; not measured here)
    "t_launch": 3e-6,     # one kernel launch on the critical path (assumed)
    "t_stage": 10e-6,     # one small staged copy: cudaMemcpyAsync + (for pack) stream sync (assumed)
    "B_pcie": 25e9,       # PCIe staging, per direction (given)
    "B_hostcopy": 20e9,   # host memcpy of a face (bounce buffer <-> MPI buffer), per copy (assumed)
    "memory_bytes": 80e9,  # H100 SXM 80 GB: fields (2 copies of each species + material) must fit
}
LINKS = {
    # name: per-direction bandwidth, MPI latency, faces per worst rank
    "nvlink": {"B": 376e9, "alpha": 3e-6, "faces": 3,
               "label": "NVLink node (8 x H100 SXM, 2x2x2 blocks: 3 faces per rank)"},
    "ib": {"B": 50e9, "alpha": 2e-6, "faces": 6,
           "label": "IB cluster (400 Gb/s per GPU, interior rank of a 3-D decomposition: 6 faces)"},
}
# The current code's host-staged path on one node goes through host shared memory, not NVLink.
HOST_LINK_ON_NODE = {"B": 10e9, "alpha": 1e-6}  # shared-memory MPI between processes (assumed)


def bytes_per_voxel(species, real=4):
    return 2 * species * real + 2  # each field read + written, material id (2 bytes) read


def kernel_time(n, species, B):
    return n ** 3 * bytes_per_voxel(species) / B


def face_bytes(n, species, real=4):
    return n * n * species * real  # one face, one direction


def halo_cuda_aware(n, species, link, fused=False):
    """(pack/unpack kernels, communication) seconds per step, device buffers sent directly.

    fused: one pack and one unpack kernel for all faces (2 launches) instead of one per face (2 F)."""
    F, b = link["faces"], face_bytes(n, species)
    launches = 2 if fused else 2 * F
    pack_unpack = 4 * F * b / GPU["B_hbm"] + launches * GPU["t_launch"]  # read+write on each side
    comm = link["alpha"] * F + F * b / link["B"]
    return pack_unpack, comm


def halo_current(n, species, link_name):
    """Seconds per step of today's GPU halo path (always host-staged, faces one at a time, no overlap)."""
    link = LINKS[link_name]
    host_link = HOST_LINK_ON_NODE if link_name == "nvlink" else link
    F, b = link["faces"], face_bytes(n, species)
    kernels = 4 * F * b / GPU["B_hbm"] + 2 * F * GPU["t_launch"]
    staging = F * (2 * GPU["t_stage"] + 2 * b / GPU["B_pcie"] + 2 * b / GPU["B_hostcopy"])
    comm = host_link["alpha"] * F + F * b / host_link["B"]
    return kernels + staging + comm


def efficiencies(n, species, link_name):
    link = LINKS[link_name]
    tk = kernel_time(n, species, GPU["B_hbm"])
    pu, comm = halo_cuda_aware(n, species, link)
    pu_fused, _ = halo_cuda_aware(n, species, link, fused=True)
    t_inner = tk * max(n - 2, 0) ** 3 / n ** 3
    shell = GPU["t_launch"]  # overlap splits the step into an inner and a shell kernel: one more launch
    e_current = tk / (tk + halo_current(n, species, link_name))
    e_aware = tk / (tk + pu + comm)
    e_overlap = tk / (tk + pu + shell + max(0.0, comm - t_inner))
    e_overlap_fused = tk / (tk + pu_fused + shell + max(0.0, comm - t_inner))
    return {"n": n, "T_k_us": tk * 1e6, "T_halo_aware_us": (pu + comm) * 1e6,
            "T_halo_current_us": halo_current(n, species, link_name) * 1e6,
            "E_current": e_current, "E_aware_no_overlap": e_aware, "E_aware_overlap": e_overlap,
            "E_aware_overlap_fused_pack": e_overlap_fused,
            "memory_GB": n ** 3 * (2 * species * 4 + 2) / 1e9}


def smallest_n(fn, target, lo=8, hi=4096):
    """Smallest integer n in [lo, hi] with fn(n) >= target (fn increasing in n); None if none."""
    if fn(hi) < target:
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        if fn(mid) >= target:
            hi = mid
        else:
            lo = mid + 1
    return lo


def gpu_tables(target):
    out = []
    for link_name, link in LINKS.items():
        for species in (4, 8):
            out.append(f"\n{link['label']}, {species} float species "
                       f"({bytes_per_voxel(species)} B per voxel-step)\n")
            out.append("| n | T_k (us) | halo, CUDA-aware (us) | E current (staged, no overlap) | "
                       "E CUDA-aware, no overlap | E CUDA-aware + overlap |")
            out.append("|---|---|---|---|---|---|")
            for n in (64, 128, 192, 256, 384, 512):
                e = efficiencies(n, species, link_name)
                out.append(f"| {n} | {e['T_k_us']:.1f} | {e['T_halo_aware_us']:.1f} | {e['E_current']:.2f} | "
                           f"{e['E_aware_no_overlap']:.2f} | {e['E_aware_overlap']:.2f} |")
            row = []
            for key in ("E_current", "E_aware_no_overlap", "E_aware_overlap", "E_aware_overlap_fused_pack"):
                n = smallest_n(lambda m: efficiencies(m, species, link_name)[key], target)
                mem = None if n is None else n ** 3 * (2 * species * 4 + 2) / 1e9
                row.append(f"{key}: " + ("none up to 4096" if n is None else f"n >= {n} ({mem:.1f} GB of fields)"))
            out.append(f"\n{int(target * 100)}%: " + "; ".join(row))
            n_max = int((GPU["memory_bytes"] / bytes_per_voxel(species)) ** (1 / 3))
            e = efficiencies(n_max, species, link_name)
            out.append(f"largest cube in {GPU['memory_bytes'] / 1e9:.0f} GB: n = {n_max}; there E current = "
                       f"{e['E_current']:.2f}, CUDA-aware no overlap = {e['E_aware_no_overlap']:.2f}, "
                       f"overlap = {e['E_aware_overlap']:.2f}")
    return "\n".join(out)


def cpu_prediction(path):
    """The same model for CPU ranks (one thread each): B = the copy measured in the same session, shared by
    the ranks on the machine; halos through shared-memory MPI. Only P <= cores (beyond, ranks time-slice)."""
    with open(path) as f:
        doc = json.load(f)
    if "copy_bandwidth_summary" in doc:
        cs = doc["copy_bandwidth_summary"]
        copies = {1: cs["1_thread_GB_s"] * 1e9, 2: cs["2_threads_GB_s"] * 1e9}
    else:
        copies = {c["threads"]: c["copy_bandwidth_GB_s"] * 1e9 for c in doc["copy_bandwidth"]}
    species = doc["problem"]["species"]
    cores = doc["device"]["cores"]
    out = [f"\nCPU prediction for {path} (copy: 1 thread {copies[1] / 1e9:.1f} GB/s, "
           f"2 threads {copies.get(2, copies[1]) / 1e9:.1f} GB/s; shared-memory MPI "
           f"{HOST_LINK_ON_NODE['B'] / 1e9:.0f} GB/s, {HOST_LINK_ON_NODE['alpha'] * 1e6:.0f} us)\n",
           "| series | P | blocks | T_k (ms) | + halo (ms) | predicted (ms) | measured (ms/step) | "
           "measured / predicted | measured halo wait (ms) | predicted E | measured E |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    kinds = [k for k in ("strong", "weak", "weak_y", "weak_z") if k in doc]
    for kind in kinds:
        t1_pred = None
        for r in doc[kind]:
            P = r["ranks"]
            if P > cores:
                continue
            B = copies.get(P, copies[1]) / P  # P single-threaded ranks share the P-thread copy bandwidth
            tk = r["voxels_per_rank"] * bytes_per_voxel(species) / B
            b = r["halo_bytes_sent_per_step_worst_rank"]  # all faces, one direction
            F = r["halo_faces_worst_rank"]
            # pack + unpack read and write each face once (at the copy's speed); the transfer happens inside
            # MPI_Waitall (no progress thread), so it is not hidden behind the inner update.
            halo = (4 * b / B + F * HOST_LINK_ON_NODE["alpha"] + b / HOST_LINK_ON_NODE["B"]) if F else 0.0
            pred = tk + halo
            if P == 1:
                t1_pred = pred
            e_pred = t1_pred / (P * pred) if kind == "strong" else t1_pred / pred
            out.append(f"| {kind} | {P} | {r['decomposition']} | {tk * 1e3:.3f} | {halo * 1e3:.3f} | {pred * 1e3:.3f} | "
                       f"{r['s_per_step_median'] * 1e3:.3f} | {r['s_per_step_median'] / pred:.2f} | "
                       f"{r['halo_wait_s_per_step_median'] * 1e3:.3f} | {e_pred:.2f} | {r['parallel_efficiency']:.2f} |")
    return "\n".join(out)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--target", type=float, default=0.9, help="efficiency target for the minimum n (default 0.9)")
    p.add_argument("--cpu-json", help="a benchmarks/mpi_scaling.py result: print the CPU prediction for P <= 2")
    args = p.parse_args()
    print(gpu_tables(args.target))
    if args.cpu_json:
        print(cpu_prediction(args.cpu_json))


if __name__ == "__main__":
    main()
