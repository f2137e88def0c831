"""W7-W8: vmap composed with derivatives, pyjac against torch.func and jax (eager and jit).

W7  per-sample gradients: a float32 tanh MLP 784-128-10, cross-entropy, a batch of 64,
    vmap(grad(loss), in_axes=(None, 0, 0)); also pyjac as a Python loop over the batch
W8  batched Jacobians: vmap(jacrev(f)) for f a float64 tanh network 16 -> 32 -> 16, 128 inputs

Every result is a tuple of per-example arrays, checked against pyjac's.
"""

import numpy as np
from harness import Candidate, gather_workload

TITLES = {
    "W7": "W7 per-sample gradients, MLP 784-128-10 (float32), batch 64",
    "W8": "W8 batched Jacobians vmap(jacrev), 16-32-16 tanh (float64), batch 128",
}
TOL = {"W7": 1e-4, "W8": 1e-10}


def data(seed=0):
    r = np.random.default_rng(seed)
    f32 = np.float32
    return {
        "W1": (r.standard_normal((784, 128)) / 28).astype(f32),
        "b1": (r.standard_normal(128) / 10).astype(f32),
        "W2": (r.standard_normal((128, 10)) / 11).astype(f32),
        "b2": (r.standard_normal(10) / 10).astype(f32),
        "x7": r.standard_normal((64, 784)).astype(f32),
        "y7": r.integers(0, 10, size=64),
        "A1": r.standard_normal((16, 32)) / 4,
        "c1": r.standard_normal(32),
        "A2": r.standard_normal((32, 16)) / 6,
        "c2": r.standard_normal(16),
        "x8": r.standard_normal((128, 16)),
    }


def pyjac_candidates(d):
    import pyjac as pj
    from pyjac import func

    params = tuple(pj.tensor(d[k]) for k in ("W1", "b1", "W2", "b2"))
    x7, y7 = pj.tensor(d["x7"]), pj.tensor(d["y7"])

    def loss(p, x, y):
        w1, b1, w2, b2 = p
        logits = pj.tanh(x @ w1 + b1) @ w2 + b2
        return pj.nn.functional.cross_entropy(logits[None], y[None])

    per_sample = func.vmap(func.grad(loss), in_axes=(None, 0, 0))
    one = func.grad(loss)

    def loop():
        grads = [one(params, x7[i], y7[i]) for i in range(x7.shape[0])]
        return tuple(pj.stack([g[k] for g in grads]) for k in range(4))

    A1, c1, A2, c2 = (pj.tensor(d[k]) for k in ("A1", "c1", "A2", "c2"))
    x8 = pj.tensor(d["x8"])
    jacobians = func.vmap(func.jacrev(lambda x: pj.tanh(pj.tanh(x @ A1 + c1) @ A2 + c2)))
    return {
        "W7": [
            Candidate("pyjac vmap(grad)", lambda: per_sample(params, x7, y7), "pyjac"),
            Candidate("pyjac loop of grad", loop, "pyjac", note="Python loop over the batch"),
        ],
        "W8": [Candidate("pyjac vmap(jacrev)", lambda: (jacobians(x8),), "pyjac")],
    }


def torch_candidates(d):
    import torch
    import torch.nn.functional as F

    params = tuple(torch.tensor(d[k]) for k in ("W1", "b1", "W2", "b2"))
    x7, y7 = torch.tensor(d["x7"]), torch.tensor(d["y7"])

    def loss(p, x, y):
        w1, b1, w2, b2 = p
        logits = torch.tanh(x @ w1 + b1) @ w2 + b2
        return F.cross_entropy(logits[None], y[None])

    per_sample = torch.func.vmap(torch.func.grad(loss), in_dims=(None, 0, 0))
    A1, c1, A2, c2 = (torch.tensor(d[k]) for k in ("A1", "c1", "A2", "c2"))
    x8 = torch.tensor(d["x8"])
    jacobians = torch.func.vmap(torch.func.jacrev(lambda x: torch.tanh(torch.tanh(x @ A1 + c1) @ A2 + c2)))
    return {
        "W7": [Candidate("torch.func.vmap(grad)", lambda: per_sample(params, x7, y7), "torch")],
        "W8": [Candidate("torch.func.vmap(jacrev)", lambda: (jacobians(x8),), "torch")],
    }


def jax_candidates(d):
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    params = tuple(jnp.asarray(d[k]) for k in ("W1", "b1", "W2", "b2"))
    x7, y7 = jnp.asarray(d["x7"]), jnp.asarray(d["y7"])

    def loss(p, x, y):
        w1, b1, w2, b2 = p
        logits = jnp.tanh(x @ w1 + b1) @ w2 + b2
        return -jax.nn.log_softmax(logits)[y]

    eager7 = jax.vmap(jax.grad(loss), in_axes=(None, 0, 0))
    jit7 = jax.jit(eager7)
    A1, c1, A2, c2 = (jnp.asarray(d[k]) for k in ("A1", "c1", "A2", "c2"))
    x8 = jnp.asarray(d["x8"])
    eager8 = jax.vmap(jax.jacrev(lambda x: jnp.tanh(jnp.tanh(x @ A1 + c1) @ A2 + c2)))
    jit8 = jax.jit(eager8)

    def ready(t):
        return tuple(a.block_until_ready() for a in t)

    return {
        "W7": [
            Candidate("jax.vmap(grad) (eager)", lambda: ready(eager7(params, x7, y7)), "jax"),
            Candidate("jax.jit(vmap(grad))", lambda: ready(jit7(params, x7, y7)), "jax", note="compiled once"),
        ],
        "W8": [
            Candidate("jax.vmap(jacrev) (eager)", lambda: ready((eager8(x8),)), "jax"),
            Candidate("jax.jit(vmap(jacrev))", lambda: ready((jit8(x8),)), "jax", note="compiled once"),
        ],
    }


FACTORIES = [("pyjac", pyjac_candidates), ("torch", torch_candidates), ("jax", jax_candidates)]


def candidates(workload, d=None, notes=None):
    """The Candidates of W7 or W8 (the pyjac reference first)."""
    return gather_workload(FACTORIES, workload, data() if d is None else d, notes)
