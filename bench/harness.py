"""Timing shared by the benchmarks: every candidate of a workload runs interleaved in one
process (so machine noise hits all alike), and results are medians with pyjac's ratio to each."""
import statistics
import time

import numpy as np


def time_candidates(candidates, repeats, min_time=0.0):
    """candidates: {name: zero-arg callable}. Returns ({name: [seconds]}, {name: last result}).
    Each timing covers enough calls to last at least ``min_time`` seconds (reported per call)."""
    results = {name: fn() for name, fn in candidates.items()}  # warm up (and jit compile)
    calls = {}
    for name, fn in candidates.items():
        n, t0 = 0, time.perf_counter()
        while True:
            fn()
            n += 1
            if time.perf_counter() - t0 >= min_time:
                break
        calls[name] = n
    times = {name: [] for name in candidates}
    for _ in range(repeats):
        for name, fn in candidates.items():
            t0 = time.perf_counter()
            for _ in range(calls[name]):
                fn()
            times[name].append((time.perf_counter() - t0) / calls[name])
    return times, results


def to_numpy(x):
    if hasattr(x, "detach"):
        x = x.detach()
    if hasattr(x, "numpy"):
        return np.asarray(x.numpy())
    return np.asarray(x)


def report(title, times, results, reference="pyjac", rtol=1e-8, atol=1e-10):
    """Prints medians, pyjac/peer ratios and whether each peer's result agrees with pyjac's."""
    print(title)
    base = statistics.median(times[reference])
    ref = to_numpy(results[reference])
    rows = {}
    for name, ts in times.items():
        med = statistics.median(ts)
        got = to_numpy(results[name])
        agree = got.shape == ref.shape and np.allclose(got, ref, rtol=rtol, atol=atol)
        rows[name] = {"median_ms": med * 1e3, "ratio": base / med, "agrees": bool(agree)}
        print(f"  {name:34s} {med * 1e3:10.3f} ms   pyjac/{name} = {base / med:7.3f}   "
              f"{'same result' if agree else 'RESULT DIFFERS'}")
    return rows


def optional(name, make):
    """make() or None with a note when the peer isn't installed."""
    try:
        return make()
    except ImportError as e:
        print(f"  (skipping {name}: {e})")
        return None
