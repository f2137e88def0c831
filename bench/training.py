"""W2, a training step in float32: X (128, 784), out = tanh(tanh(X @ W1) @ W2) @ W3 with
W1 (784, 256), W2 (256, 256), W3 (256, 10); loss = mean((out - Y)**2); backward to W1, W2, W3.

Every candidate returns the three gradients (checked against pyjac's, to float32 accuracy).
Peers: torch (eager and torch.func.grad), mygrad, HIPS autograd, jax (jax.jit(jax.grad), and
eager), and hand-written NumPy forward + backward as the floor.
"""

import argparse

import numpy as np
from harness import Candidate, gather, print_rows, run_candidates

TITLE = "W2 training step, float32: 3-layer tanh MLP 784-256-256-10, batch 128, MSE, backward"
TOL = 2e-5  # max |g - g_pyjac| / max |g_pyjac| over the three gradients, float32 sums


def data(seed=1):
    r = np.random.default_rng(seed)
    f = lambda *s: r.standard_normal(s).astype(np.float32)
    return {
        "X": f(128, 784),
        "Y": f(128, 10),
        "W1": f(784, 256) / np.float32(28),
        "W2": f(256, 256) / np.float32(16),
        "W3": f(256, 10) / np.float32(16),
    }


def pyjac_candidates(d):
    import pyjac as pj

    X, Y = pj.tensor(d["X"]), pj.tensor(d["Y"])
    Ws = [pj.tensor(d[k], requires_grad=True) for k in ("W1", "W2", "W3")]
    W1, W2, W3 = Ws

    def step():
        for W in Ws:
            W.grad = None
        out = pj.tanh(pj.tanh(X @ W1) @ W2) @ W3
        loss = pj.mean((out - Y) ** 2)
        loss.backward()
        return tuple(W.grad for W in Ws)

    return [Candidate("pyjac", step, "pyjac")]


def torch_candidates(d):
    import torch

    X, Y = torch.from_numpy(d["X"]), torch.from_numpy(d["Y"])
    Ws = [torch.tensor(d[k], requires_grad=True) for k in ("W1", "W2", "W3")]
    W1, W2, W3 = Ws

    def step():
        for W in Ws:
            W.grad = None
        out = torch.tanh(torch.tanh(X @ W1) @ W2) @ W3
        loss = torch.mean((out - Y) ** 2)
        loss.backward()
        return tuple(W.grad for W in Ws)

    def loss_fn(W1, W2, W3):
        out = torch.tanh(torch.tanh(X @ W1) @ W2) @ W3
        return torch.mean((out - Y) ** 2)

    g = torch.func.grad(loss_fn, argnums=(0, 1, 2))
    plain = [torch.from_numpy(d[k]) for k in ("W1", "W2", "W3")]
    return [Candidate("torch (eager)", step, "torch"), Candidate("torch.func.grad", lambda: g(*plain), "torch")]


def mygrad_candidates(d):
    import mygrad as mg

    X, Y = d["X"], d["Y"]
    Ws = [mg.tensor(d[k]) for k in ("W1", "W2", "W3")]
    W1, W2, W3 = Ws

    def step():
        out = mg.matmul(mg.tanh(mg.matmul(mg.tanh(mg.matmul(X, W1)), W2)), W3)
        loss = mg.mean((out - Y) ** 2)
        loss.backward()
        return tuple(W.grad for W in Ws)

    return [Candidate("mygrad", step, "mygrad")]


def hips_candidates(d):
    import autograd
    import autograd.numpy as anp

    X, Y = d["X"], d["Y"]

    def loss_fn(Ws):
        W1, W2, W3 = Ws
        out = anp.tanh(anp.tanh(X @ W1) @ W2) @ W3
        return anp.mean((out - Y) ** 2)

    g = autograd.grad(loss_fn)
    Ws = (d["W1"], d["W2"], d["W3"])
    return [Candidate("hips-autograd", lambda: tuple(g(Ws)), "hips-autograd")]


def jax_candidates(d):
    import jax

    jax.config.update("jax_enable_x64", True)  # as elsewhere in the run; the arrays stay float32
    import jax.numpy as jnp

    X, Y = jnp.asarray(d["X"]), jnp.asarray(d["Y"])

    def loss_fn(W1, W2, W3):
        out = jnp.tanh(jnp.tanh(X @ W1) @ W2) @ W3
        return jnp.mean((out - Y) ** 2)

    eager = jax.grad(loss_fn, argnums=(0, 1, 2))
    jit = jax.jit(eager)
    Ws = [jnp.asarray(d[k]) for k in ("W1", "W2", "W3")]
    return [
        Candidate("jax.jit(jax.grad)", lambda: jax.block_until_ready(jit(*Ws)), "jax", note="compiled once"),
        Candidate("jax.grad (eager)", lambda: jax.block_until_ready(eager(*Ws)), "jax"),
    ]


def numpy_candidates(d):
    X, Y, W1, W2, W3 = (d[k] for k in ("X", "Y", "W1", "W2", "W3"))
    two_over_n = np.float32(2.0 / Y.size)

    def step():
        h1 = np.tanh(X @ W1)
        h2 = np.tanh(h1 @ W2)
        diff = h2 @ W3 - Y
        dout = diff * two_over_n  # d mean(diff**2) / d out
        g3 = h2.T @ dout
        dz2 = (dout @ W3.T) * (1 - h2 * h2)
        g2 = h1.T @ dz2
        dz1 = (dz2 @ W2.T) * (1 - h1 * h1)
        g1 = X.T @ dz1
        return g1, g2, g3

    return [Candidate("numpy (hand-written)", step, "numpy", note="floor")]


FACTORIES = [
    ("pyjac", pyjac_candidates),
    ("torch", torch_candidates),
    ("mygrad", mygrad_candidates),
    ("hips-autograd", hips_candidates),
    ("jax", jax_candidates),
    ("numpy", numpy_candidates),
]


def candidates(d=None, notes=None):
    return gather(FACTORIES, data() if d is None else d, notes=notes)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=15)
    args = ap.parse_args(argv)
    print(TITLE)
    rows = run_candidates(candidates(), args.repeats, min_time=0.1, budget=60, tol=TOL, pause=0.15)
    print_rows(rows)
    return rows


if __name__ == "__main__":
    main()
