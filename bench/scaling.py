"""W6, scaling.

Chain: W1's chain (y = tanh(y * 1.01 + 0.1), 3 ops a step: mul, add, tanh; then backward) at
lengths 10^3 .. 10^6. Each (peer, length) runs in a fresh subprocess, which reports the time per
op and the peak memory the chain took: the growth of the kernel's peak resident set (VmHWM in
/proc/self/status, reset just before the timed call) over the resident set before it.
tracemalloc would miss C++ allocations, a fresh process keeps one length from colouring the next.
A peer whose previous length predicts a call longer than the cap is skipped at longer lengths.

Elementwise: y = tanh(x) * x; s = sum(y); backward, at sizes 1 .. 10^7 elements (float64),
against NumPy doing the same math by hand (t = tanh(x); s = (t * x).sum(); g = (1 - t*t) * x + t)
and torch, interleaved in this process.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np
from harness import Candidate, discrepancy, fmt_time, gather, peak_rss_reset, proc_status_kb, run_candidates

HERE = os.path.dirname(os.path.abspath(__file__))
CHAIN_PEERS = ["pyjac", "torch", "hips-autograd", "mygrad", "python floats"]
OPS_PER_STEP = 3


# --------------------------------------------------------------------------------------------
# chain: one subprocess per (peer, length)


def chain_worker(peer, length, repeats, max_seconds):
    """Runs in the subprocess: prints one JSON line."""
    import gc

    from overhead import CHAINS

    make = CHAINS[peer]
    make(10)()  # import everything and warm up code paths, without leaving much memory behind
    run = make(length)
    gc.collect()
    reset = peak_rss_reset()
    rss0 = proc_status_kb("VmRSS")
    t0 = time.perf_counter()
    result = run()
    times = [time.perf_counter() - t0]
    hwm = proc_status_kb("VmHWM")
    start = time.perf_counter()
    while len(times) < repeats and time.perf_counter() - start + times[0] <= max_seconds:
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    print(
        json.dumps(
            {
                "peer": peer,
                "length": length,
                "times": times,
                "result": result,
                "peak_growth_mb": (hwm - rss0) / 1024 if reset else None,
                "rss_before_mb": rss0 / 1024,
                "hwm_reset": reset,
            }
        )
    )


def run_chain(lengths, peers, repeats, cap_seconds, notes, progress=print):
    """The chain sweep, driving one subprocess per (peer, length). Returns rows."""
    rows, per_step, results = [], {}, {}
    skipped = set()
    for L in lengths:
        for peer in peers:
            if peer in skipped:
                continue
            if peer in per_step and per_step[peer] * L > cap_seconds:
                msg = (
                    f"chain: {peer} skipped at length {L:.0e} and above "
                    f"(one call would take ~{per_step[peer] * L:.0f} s, over the {cap_seconds:g} s cap)"
                )
                notes.append(msg)
                progress(f"  ({msg})")
                skipped.add(peer)
                continue
            cmd = [
                sys.executable,
                os.path.join(HERE, "scaling.py"),
                "--chain-worker",
                peer,
                str(L),
                "--repeats",
                str(repeats),
                "--max-seconds",
                str(cap_seconds),
            ]
            t0 = time.perf_counter()
            try:
                p = subprocess.run(cmd, capture_output=True, text=True, timeout=max(120, 6 * cap_seconds))
            except subprocess.TimeoutExpired:
                msg = f"chain: {peer} at length {L:.0e} timed out; skipped at this length and above"
                notes.append(msg)
                progress(f"  ({msg})")
                skipped.add(peer)
                continue
            lines = [ln for ln in p.stdout.splitlines() if ln.startswith("{")]
            if p.returncode != 0 or not lines:
                err = (p.stderr.strip().splitlines() or ["no output"])[-1]
                if "No module named" in err or "ModuleNotFoundError" in err:
                    msg = f"chain: skipping {peer}: not installed"
                else:
                    msg = f"chain: {peer} failed at length {L:.0e}: {err}"
                notes.append(msg)
                progress(f"  ({msg})")
                skipped.add(peer)
                continue
            r = json.loads(lines[-1])
            med = statistics.median(r["times"])
            per_step[peer] = med / L
            results[(peer, L)] = r["result"]
            ref = results.get(("pyjac", L))
            err = discrepancy(r["result"], ref) if ref is not None else float("nan")
            row = {
                "peer": peer,
                "length": L,
                "median_s": med,
                "repeats": len(r["times"]),
                "per_op_s": med / (OPS_PER_STEP * L),
                "peak_growth_mb": r["peak_growth_mb"],
                "bytes_per_step": (r["peak_growth_mb"] * 2**20 / L) if r["peak_growth_mb"] is not None else None,
                "error": err,
                "agrees": bool(ref is None or err <= 1e-9),
            }
            rows.append(row)
            mem = f"{row['peak_growth_mb']:8.1f} MB" if row["peak_growth_mb"] is not None else "   n/a"
            progress(
                f"  chain {peer:<14} length {L:>8}: {fmt_time(med):>9} "
                f"({row['per_op_s'] * 1e6:.3g} us/op), peak +{mem}   "
                f"[{time.perf_counter() - t0:.1f} s]"
            )
    for row in rows:
        pj = next((r for r in rows if r["peer"] == "pyjac" and r["length"] == row["length"]), None)
        row["ratio"] = pj["median_s"] / row["median_s"] if pj else None
        row["memory_ratio"] = (
            pj["peak_growth_mb"] / row["peak_growth_mb"]
            if pj and pj["peak_growth_mb"] and row["peak_growth_mb"]
            else None
        )
    return rows


def print_chain(rows):
    peers = list(dict.fromkeys(r["peer"] for r in rows))
    lengths = sorted({r["length"] for r in rows})
    by = {(r["peer"], r["length"]): r for r in rows}
    print(
        "  time per op (us; op = one of mul, add, tanh, forward + its share of backward), "
        "peak memory growth (MB), pyjac/peer time ratio"
    )
    print("  " + f"{'length':>9}" + "".join(f"  {p:>26}" for p in peers))
    for L in lengths:
        cells = []
        for p in peers:
            r = by.get((p, L))
            if r is None:
                cells.append(f"  {'-':>26}")
                continue
            mem = f"{r['peak_growth_mb']:.0f}MB" if r["peak_growth_mb"] is not None else "n/a"
            ratio = f" {r['ratio']:.2g}x" if r["ratio"] is not None and p != "pyjac" else ""
            flag = "" if r["agrees"] else " DIFFERS"
            cells.append(f"  {r['per_op_s'] * 1e6:>8.3g}us {mem:>7}{ratio:>7}{flag}")
        print("  " + f"{L:>9}" + "".join(cells))


# --------------------------------------------------------------------------------------------
# elementwise: in this process, interleaved


def elementwise_candidates(n, notes=None):
    x_np = np.random.default_rng(n).standard_normal(n)

    def pyjac(x_np):
        import pyjac as pj

        x = pj.tensor(x_np, requires_grad=True)

        def run():
            x.grad = None
            s = (pj.tanh(x) * x).sum()
            s.backward()
            return x.grad

        return [Candidate("pyjac", run, "pyjac")]

    def numpy(x_np):
        def run():
            t = np.tanh(x_np)
            (t * x_np).sum()  # the forward value, as the others compute it
            return (1 - t * t) * x_np + t

        return [Candidate("numpy (hand-written)", run, "numpy", note="floor")]

    def torch(x_np):
        import torch

        x = torch.tensor(x_np, requires_grad=True)

        def run():
            x.grad = None
            s = (torch.tanh(x) * x).sum()
            s.backward()
            return x.grad

        return [Candidate("torch (eager)", run, "torch")]

    return gather([("pyjac", pyjac), ("numpy", numpy), ("torch", torch)], x_np, notes=notes)


def run_elementwise(sizes, repeats, budget, notes, pause=0.15, min_time=0.05, progress=print):
    out = []
    for n in sizes:
        t0 = time.perf_counter()
        rows = run_candidates(
            elementwise_candidates(n, notes), repeats, min_time=min_time, budget=budget, tol=1e-12, pause=pause
        )
        for r in rows:
            r["size"] = n
        out.extend(rows)
        progress(
            f"  elementwise n={n:<9} "
            + "   ".join(
                f"{r['name'].split()[0]} {fmt_time(r['median_s'])}"
                + ("" if r["peer"] == "pyjac" else f" ({r['ratio']:.3g}x)")
                + ("" if r["agrees"] else " DIFFERS")
                for r in rows
            )
            + f"   [{time.perf_counter() - t0:.1f} s]"
        )
    return out


def print_elementwise(rows):
    names = list(dict.fromkeys(r["name"] for r in rows))
    sizes = sorted({r["size"] for r in rows})
    by = {(r["name"], r["size"]): r for r in rows}
    print("  median time per forward + backward, pyjac/peer ratio")
    print("  " + f"{'size':>9}" + "".join(f"  {n:>24}" for n in names))
    for n in sizes:
        cells = []
        for name in names:
            r = by.get((name, n))
            if r is None:
                cells.append(f"  {'-':>24}")
                continue
            ratio = "" if r["peer"] == "pyjac" else f" ({r['ratio']:.3g}x)"
            cells.append(f"  {fmt_time(r['median_s']) + ratio + ('' if r['agrees'] else ' DIFFERS'):>24}")
        print("  " + f"{n:>9}" + "".join(cells))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--chain-worker", nargs=2, metavar=("PEER", "LENGTH"), help=argparse.SUPPRESS)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--max-seconds", type=float, default=20.0, help="cap on one chain call")
    ap.add_argument("--max-chain", type=int, default=10**6)
    ap.add_argument("--max-size", type=int, default=10**7)
    args = ap.parse_args(argv)
    if args.chain_worker:
        chain_worker(args.chain_worker[0], int(args.chain_worker[1]), args.repeats, args.max_seconds)
        return None
    notes = []
    lengths = [10**k for k in range(3, 7) if 10**k <= args.max_chain]
    sizes = [10**k for k in range(0, 8) if 10**k <= args.max_size]
    print("W6 scaling: chain")
    chain = run_chain(lengths, CHAIN_PEERS, args.repeats, args.max_seconds, notes)
    print_chain(chain)
    print("W6 scaling: elementwise y = tanh(x) * x, sum, backward")
    elem = run_elementwise(sizes, 7, 8.0, notes, pause=0.15)
    print_elementwise(elem)
    return {"chain": chain, "elementwise": elem, "notes": notes}


if __name__ == "__main__":
    main()
