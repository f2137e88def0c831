"""W1, per-op overhead: a 0-d float64 x, 1000 times y = tanh(y * 1.01 + 0.1), then backward.

Runs pyjac and every peer that is importable (torch eager and torch.func, HIPS autograd, jax
eager and jit, mygrad, micrograd, and plain Python floats with a hand-written derivative as the
floor), interleaved, and prints medians and pyjac's ratio to each. Each candidate returns
dy/dx, checked against pyjac's.

The chains here are also W6's (bench/scaling.py runs them at lengths up to 10^6).
"""

import argparse
import math
import sys

from harness import Candidate, gather, print_rows, run_candidates

STEPS = 1000
X0 = 0.5


# Each chain maker takes the number of steps and returns a zero-argument callable that builds the
# chain from a fresh (or reset) x, runs backward and returns dy/dx as a Python float.


def pyjac_chain(steps, op="tanh"):
    import pyjac as pj

    act = getattr(pj, op)
    x = pj.tensor(X0, requires_grad=True)

    def run():
        x.grad = None
        y = x
        for _ in range(steps):
            y = act(y * 1.01 + 0.1)
        y.backward()
        return x.grad.item()

    return run


def torch_chain(steps):
    import torch

    x = torch.tensor(X0, dtype=torch.float64, requires_grad=True)

    def run():
        x.grad = None
        y = x
        for _ in range(steps):
            y = torch.tanh(y * 1.01 + 0.1)
        y.backward()
        return x.grad.item()

    return run


def torch_func_chain(steps):
    import torch

    def f(x):
        y = x
        for _ in range(steps):
            y = torch.tanh(y * 1.01 + 0.1)
        return y

    g = torch.func.grad(f)
    x = torch.tensor(X0, dtype=torch.float64)
    return lambda: g(x).item()


def hips_chain(steps):
    import autograd
    import autograd.numpy as anp

    def f(x):
        y = x
        for _ in range(steps):
            y = anp.tanh(y * 1.01 + 0.1)
        return y

    df = autograd.grad(f)
    return lambda: float(df(X0))


def _jax():
    import jax

    jax.config.update("jax_enable_x64", True)
    return jax


def jax_chain(steps, jit=False):
    jax = _jax()
    import jax.numpy as jnp

    def f(x):
        y = x
        for _ in range(steps):
            y = jnp.tanh(y * 1.01 + 0.1)
        return y

    g = jax.grad(f)
    if jit:
        g = jax.jit(g)
    x = jnp.asarray(X0, dtype=jnp.float64)
    return lambda: float(g(x))


def mygrad_chain(steps):
    import mygrad as mg

    x = mg.tensor(X0)

    def run():
        y = x
        for _ in range(steps):
            y = mg.tanh(y * 1.01 + 0.1)
        y.backward()
        return float(x.grad)

    return run


def micrograd_has_tanh():
    from micrograd.engine import Value

    return hasattr(Value, "tanh")


def micrograd_chain(steps):
    """micrograd's Value; its tanh where it has one, else relu (the 'relu variant'). Its backward
    sorts the graph recursively, so the recursion limit is raised to fit the chain."""
    from micrograd.engine import Value

    use_tanh = hasattr(Value, "tanh")
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * steps + 1000))

    def run():
        x = Value(X0)
        y = x
        for _ in range(steps):
            z = y * 1.01 + 0.1
            y = z.tanh() if use_tanh else z.relu()
        y.backward()
        return float(x.grad)

    return run


def floats_chain(steps):
    """The floor: plain Python floats, the derivative written by hand (keep the outputs, then
    multiply the local derivatives back to front)."""
    tanh = math.tanh

    def run():
        y = X0
        ys = []
        append = ys.append
        for _ in range(steps):
            y = tanh(y * 1.01 + 0.1)
            append(y)
        g = 1.0
        for t in reversed(ys):
            g *= (1.0 - t * t) * 1.01
        return g

    return run


# peer name -> chain maker, for W6's per-length subprocesses
CHAINS = {
    "pyjac": pyjac_chain,
    "torch": torch_chain,
    "hips-autograd": hips_chain,
    "mygrad": mygrad_chain,
    "jax (eager)": jax_chain,
    "python floats": floats_chain,
}


def candidates(steps=STEPS, notes=None):
    def pyjac(steps):
        return [Candidate("pyjac", pyjac_chain(steps), "pyjac")]

    def torch(steps):
        return [
            Candidate("torch (eager)", torch_chain(steps), "torch"),
            Candidate("torch.func.grad", torch_func_chain(steps), "torch"),
        ]

    def hips(steps):
        return [Candidate("hips-autograd", hips_chain(steps), "hips-autograd")]

    def jax(steps):
        return [
            Candidate("jax.grad (eager)", jax_chain(steps), "jax"),
            Candidate("jax.jit(jax.grad)", jax_chain(steps, jit=True), "jax", note="compiled once"),
        ]

    def mygrad(steps):
        return [Candidate("mygrad", mygrad_chain(steps), "mygrad")]

    def micrograd(steps):
        if micrograd_has_tanh():
            return [Candidate("micrograd", micrograd_chain(steps), "micrograd")]
        return [
            Candidate(
                "pyjac (relu variant)",
                pyjac_chain(steps, "relu"),
                "pyjac",
                ref="pyjac (relu variant)",
                note="reference for micrograd",
            ),
            Candidate(
                "micrograd (relu variant)",
                micrograd_chain(steps),
                "micrograd",
                ref="pyjac (relu variant)",
                note="micrograd has no tanh",
            ),
        ]

    def floats(steps):
        return [Candidate("python floats (hand-written)", floats_chain(steps), "python", note="floor")]

    factories = [
        ("pyjac", pyjac),
        ("torch", torch),
        ("hips-autograd", hips),
        ("jax", jax),
        ("mygrad", mygrad),
        ("micrograd", micrograd),
        ("python floats", floats),
    ]
    return gather(factories, steps, notes=notes)


TITLE = f"W1 per-op overhead: 0-d float64, {STEPS} x y = tanh(y * 1.01 + 0.1), backward"
TOL = 1e-9


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=30)
    args = ap.parse_args(argv)
    print(TITLE)
    rows = run_candidates(candidates(), args.repeats, min_time=0.1, budget=60, tol=TOL, pause=0.15)
    print_rows(rows)
    return rows


if __name__ == "__main__":
    main()
