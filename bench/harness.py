"""Timing shared by the benchmarks: every candidate of a workload runs interleaved in one
process (so machine noise hits all alike), and results are medians with pyjac's ratio to each.

A *candidate* is one way of computing a workload's result (pyjac, a peer library, or a
hand-written NumPy / Python floor). Each candidate's result is checked against its reference
candidate (pyjac's, normally) and the ratio printed is ``time(reference) / time(candidate)``:
below 1 pyjac is faster, above 1 the peer is.
"""

import dataclasses
import gc
import importlib
import math
import os
import platform
import statistics
import subprocess
import time
from typing import Callable, Optional

import numpy as np

# --------------------------------------------------------------------------------------------
# candidates


@dataclasses.dataclass
class Candidate:
    name: str  # the row label, unique within a workload
    fn: Callable[[], object]  # zero-argument callable: one full computation of the workload
    peer: str  # library family: pyjac, torch, jax, hips-autograd, mygrad, ...
    ref: Optional[str] = None  # the candidate whose result (and time) this one is compared to;
    #                            None: the workload's first candidate (pyjac's main one)
    note: str = ""  # shown beside the row (e.g. "relu variant")


def gather(factories, *args, notes=None):
    """factories: [(peer name, make)], make(*args) -> [Candidate]. A peer that isn't installed
    (ImportError) or fails to set up is skipped with a note instead of ending the run."""
    out = []
    for peer, make in factories:
        try:
            out.extend(make(*args))
        except ImportError as e:
            _note(f"skipping {peer}: not installed ({e})", notes)
        except Exception as e:  # a peer's API changed, or it can't do this workload
            _note(f"skipping {peer}: {type(e).__name__}: {e}", notes)
    return out


def gather_workload(factories, workload, d, notes=None):
    """gather() for modules whose makers return {workload: [Candidate]} for several workloads."""
    per_peer = [(name, lambda d, make=make: make(d).get(workload, [])) for name, make in factories]
    return gather(per_peer, d, notes=notes)


def _note(msg, notes):
    """Prints a note once per list of notes."""
    if notes is None or msg not in notes:
        print(f"  ({msg})")
    if notes is not None and msg not in notes:
        notes.append(msg)


# --------------------------------------------------------------------------------------------
# timing


def measure(candidates, repeats, min_time=0.0, budget=None, min_repeats=3, pause=0.0):
    """Times ``candidates`` ({name: zero-arg callable}) interleaved: every round runs each once
    (each timing covering enough calls to last ``min_time``), so slow drifts of the machine hit
    every candidate alike. ``budget`` (seconds) caps the rounds (never below ``min_repeats``).

    ``pause`` (seconds) is waited before each timing. The peers bring their own thread pools
    (NumPy's OpenBLAS, pyjac's scipy-openblas32, torch's OpenMP, XLA's): OpenBLAS workers
    spin for ~0.1 s after a call before they sleep, and on a small machine a pool still spinning
    from the previous candidate steals the cores of the next one. The pause lets them park, and
    one untimed call after it wakes the candidate's own pools and caches, so each candidate is
    timed in the steady state it would have on its own.

    The objects that exist before timing (the peers' modules: torch and jax bring hundreds of
    thousands) are moved out of the cyclic garbage collector's sight (``gc.freeze``), so that a
    peer building Python objects (micrograd, mygrad, HIPS autograd) pays for collecting its own
    garbage, not for traversing every library the benchmark happens to import.

    Returns {name: {"times": [s per call], "result": last result, "first_call_s": s,
    "calls": calls per timing}}. The first call (warm-up; jit compilation) is timed apart."""
    gc.collect()
    gc.freeze()
    try:
        return _measure(candidates, repeats, min_time, budget, min_repeats, pause)
    finally:
        gc.unfreeze()


def _measure(candidates, repeats, min_time, budget, min_repeats, pause):
    info = {}
    for name, fn in candidates.items():
        t0 = time.perf_counter()
        res = fn()
        info[name] = {"result": res, "first_call_s": time.perf_counter() - t0}
    est = {}
    for name, fn in candidates.items():
        n, t0 = 0, time.perf_counter()
        while True:
            fn()
            n += 1
            el = time.perf_counter() - t0
            if el >= min_time:
                break
        info[name]["calls"] = n
        est[name] = el / n
    rounds = repeats
    if budget is not None:
        per_round = sum((info[k]["calls"] + (pause > 0 and est[k] < 0.05)) * est[k] + pause for k in candidates)
        rounds = max(min_repeats, min(repeats, int(budget // max(per_round, 1e-9))))
    times = {name: [] for name in candidates}
    for _ in range(rounds):
        for name, fn in candidates.items():
            n = info[name]["calls"]
            gc.collect()  # untimed: every timing starts from a heap without others' garbage
            if pause:
                _spin(pause)
                if est[name] < 0.05:  # (a slow call's own wake-up is noise in its time anyway)
                    fn()  # untimed: wakes this candidate's own thread pools, warms its caches
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            times[name].append((time.perf_counter() - t0) / n)
    for name in candidates:
        info[name]["times"] = times[name]
    return info


# --------------------------------------------------------------------------------------------
# agreement


def to_numpy(x):
    """A result as a NumPy array, or a tuple of them for tuple results."""
    if isinstance(x, (tuple, list)):
        return tuple(to_numpy(e) for e in x)
    if isinstance(x, (float, int)):
        return np.asarray(x, dtype=np.float64)
    if hasattr(x, "detach"):  # torch
        x = x.detach()
    if type(x).__module__.startswith("mygrad"):
        return np.asarray(x.data)
    if hasattr(x, "numpy"):  # torch, pyjac
        return np.asarray(x.numpy())
    return np.asarray(x)


def discrepancy(got, ref):
    """max |got - ref| / max |ref| over all parts of a result; inf when the shapes differ."""
    got, ref = to_numpy(got), to_numpy(ref)
    if isinstance(ref, tuple) or isinstance(got, tuple):
        if not (isinstance(ref, tuple) and isinstance(got, tuple)) or len(got) != len(ref):
            return math.inf
        return max((discrepancy(g, r) for g, r in zip(got, ref)), default=0.0)
    if got.shape != ref.shape:
        return math.inf
    if ref.size == 0:
        return 0.0
    scale = float(np.max(np.abs(ref)))
    err = float(np.max(np.abs(got.astype(np.float64) - ref.astype(np.float64))))
    if not math.isfinite(err):
        return math.inf
    return err / scale if scale > 0 else err


# --------------------------------------------------------------------------------------------
# one workload


def _spin(seconds):
    """Waits busily: the core stays clocked up and hot (a sleep lets a virtual CPU go cold and
    the next call start slow), while other libraries' idle thread pools time out and park."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def run_candidates(cands, repeats, min_time, budget, tol, pause=0.0):
    """Times a list of Candidate interleaved, checks each result against its reference and
    returns rows: [{name, peer, ref, note, median_s, ratio, agrees, error, ...}]."""
    main_ref = cands[0].name
    info = measure({c.name: c.fn for c in cands}, repeats, min_time, budget, pause=pause)
    med = {c.name: statistics.median(info[c.name]["times"]) for c in cands}
    rows = []
    for c in cands:
        ref = c.ref or main_ref
        err = discrepancy(info[c.name]["result"], info[ref]["result"])
        ts = info[c.name]["times"]
        rows.append(
            {
                "name": c.name,
                "peer": c.peer,
                "ref": ref,
                "note": c.note,
                "median_s": med[c.name],
                "min_s": min(ts),
                "max_s": max(ts),
                "repeats": len(ts),
                "calls_per_timing": info[c.name]["calls"],
                "first_call_s": info[c.name]["first_call_s"],
                "ratio": med[ref] / med[c.name],
                "error": err,
                "agrees": bool(err <= tol),
                "times_s": ts,
            }
        )
    return rows


def fmt_time(s):
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.3g} ms" if s < 0.1 else f"{s * 1e3:.0f} ms"
    return f"{s * 1e6:.3g} us"


def fmt_ratio(r):
    return f"{r:.3g}x" if r < 100 else f"{r:.0f}x"


def print_rows(rows, indent="  "):
    w = max(len(r["name"]) for r in rows)
    for r in rows:
        check = "same result" if r["agrees"] else f"RESULT DIFFERS (rel. err {r['error']:.2g})"
        ref = "" if r["ref"] == rows[0]["name"] else f" (vs {r['ref']})"
        note = f"  [{r['note']}]" if r["note"] else ""
        print(
            f"{indent}{r['name']:<{w}}  {fmt_time(r['median_s']):>10}  "
            f"pyjac/peer {fmt_ratio(r['ratio']):>8}{ref}  {check}{note}"
        )


# --------------------------------------------------------------------------------------------
# the machine


def _version(mod):
    try:
        from importlib import metadata

        return metadata.version(mod)
    except Exception:
        try:
            return getattr(importlib.import_module(mod), "__version__", "?")
        except Exception:
            return None


def machine_info():
    cpu = platform.processor() or platform.machine()
    flags, fields = "", {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, val = line.partition(":")
                key, val = key.strip(), val.strip()
                if (
                    key in ("model name", "vendor_id", "cpu family", "model", "stepping", "cpu MHz", "cache size")
                    and key not in fields
                ):
                    fields[key] = val
                if key == "flags" and not flags:
                    fl = set(val.split())
                    flags = " ".join(x for x in ("avx2", "fma", "avx512f") if x in fl)
    except OSError:
        pass
    cpu = fields.get("model name", cpu)
    detail = ", ".join(
        x
        for x in (
            f"{fields['vendor_id']} family {fields['cpu family']} model {fields['model']}"
            if "cpu family" in fields and "vendor_id" in fields
            else "",
            f"{float(fields['cpu MHz']):.0f} MHz" if "cpu MHz" in fields else "",
            f"cache {fields['cache size']}" if "cache size" in fields else "",
        )
        if x
    )
    mem_gb = None
    try:
        with open("/proc/meminfo") as f:
            mem_gb = round(int(f.readline().split()[1]) / 2**20, 1)
    except (OSError, ValueError, IndexError):
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    commit = None
    try:
        here = os.path.dirname(os.path.abspath(__file__))
        commit = (
            subprocess.run(
                ["git", "-C", here, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5
            ).stdout.strip()
            or None
        )
    except Exception:
        pass
    versions = {
        name: _version(name)
        for name in ("pyjac", "numpy", "torch", "jax", "jaxlib", "autograd", "mygrad", "micrograd", "matplotlib")
    }
    env = {
        k: v
        for k, v in os.environ.items()
        if k.startswith(("OPENBLAS_", "OMP_", "MKL_", "XLA_")) or k == "JAX_ENABLE_X64"
    }
    return {
        "cpu": cpu,
        "cpu_detail": detail,
        "cpu_flags": flags,
        "logical_cpus": os.cpu_count(),
        "usable_cpus": usable,
        "memory_gb": mem_gb,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "versions": {k: v for k, v in versions.items() if v},
        "pyjac_commit": commit,
        "env": env,
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }


def describe_machine(m):
    v = m["versions"]
    libs = ", ".join(f"{k} {v[k]}" for k in ("numpy", "torch", "jax", "autograd", "mygrad", "micrograd") if k in v)
    env = " ".join(f"{k}={val}" for k, val in m["env"].items())
    return (
        f"{m['cpu']} ({m['cpu_detail']}; {m['cpu_flags'] or 'no avx2'}), {m['usable_cpus']} cores, "
        f"{m['memory_gb']} GiB, {m['os']}, Python {m['python']}\n"
        f"pyjac {v.get('pyjac', '?')} ({m['pyjac_commit'] or 'no git'}); {libs}"
        + (f"\nenvironment: {env}" if env else "")
    )


def peak_rss_reset():
    """Resets the kernel's peak-RSS mark (VmHWM) to the current RSS; False where unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def proc_status_kb(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return None


if __name__ == "__main__":
    print(describe_machine(machine_info()))
