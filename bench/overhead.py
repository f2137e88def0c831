"""W1, per-op overhead: a 0-d float64 x, 1000 times y = tanh(y * 1.01 + 0.1), then backward.

Runs pyjac and every peer that is importable (torch, HIPS autograd, plain Python floats with a
hand-written derivative), interleaved, and prints medians and pyjac's ratio to each.
"""
import argparse
import math
import statistics
import time

STEPS = 1000


def pyjac_step():
    import pyjac as pj
    x = pj.tensor(0.5, requires_grad=True)

    def run():
        x.grad = None
        y = x
        for _ in range(STEPS):
            y = pj.tanh(y * 1.01 + 0.1)
        y.backward()
        return x.grad.item()
    return run


def torch_step():
    import torch
    x = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)

    def run():
        x.grad = None
        y = x
        for _ in range(STEPS):
            y = torch.tanh(y * 1.01 + 0.1)
        y.backward()
        return x.grad.item()
    return run


def hips_step():
    import autograd
    import autograd.numpy as anp

    def f(x):
        y = x
        for _ in range(STEPS):
            y = anp.tanh(y * 1.01 + 0.1)
        return y
    df = autograd.grad(f)
    return lambda: df(0.5)


def floats_step():
    def run():
        y = 0.5
        ys = []
        for _ in range(STEPS):
            ys.append(y)
            y = math.tanh(y * 1.01 + 0.1)
        g = 1.0
        for yi in reversed(ys):
            t = math.tanh(yi * 1.01 + 0.1)
            g *= (1 - t * t) * 1.01
        return g
    return run


PEERS = {"pyjac": pyjac_step, "torch": torch_step, "hips-autograd": hips_step, "python floats": floats_step}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=30)
    args = ap.parse_args()
    runners = {}
    for name, make in PEERS.items():
        try:
            runners[name] = make()
        except ImportError as e:
            print(f"skipping {name}: {e}")
    results = {}
    for r in runners.values():
        r()  # warm up
    times = {name: [] for name in runners}
    for _ in range(args.repeats):
        for name, r in runners.items():
            t0 = time.perf_counter()
            results[name] = r()
            times[name].append(time.perf_counter() - t0)
    ref = results["pyjac"]
    base = statistics.median(times["pyjac"])
    print(f"W1: {STEPS} x tanh(y * 1.01 + 0.1) + backward, median of {args.repeats}")
    for name, ts in times.items():
        med = statistics.median(ts)
        agree = "ok" if abs(results[name] - ref) <= 1e-9 * max(1, abs(ref)) else f"MISMATCH {results[name]}"
        print(f"  {name:14s} {med * 1e3:8.3f} ms   pyjac/{name} = {base / med:6.3f}   grad {agree}")


if __name__ == "__main__":
    main()
