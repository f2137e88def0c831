"""Per-sample gradients and DP-SGD clipping with vmap(grad), on a pj.nn MLP.

Differentially private SGD needs every example's gradient on its own: each is clipped to a norm
bound before they are averaged (and noised). `vmap(grad(loss), in_axes=(None, 0, 0))` gives all of
them from one batched backward pass; the script checks them against a Python loop of one
gradient per example, then trains a few clipped steps on a synthetic 3-class problem.

    python examples/per_sample_gradients.py
"""

import time

import numpy as np

import pyjac as pj
from pyjac.func import functional_call, grad, vmap


def make_data(n=256, d=10, classes=3, seed=0):
    """Gaussian blobs, one per class."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=2.0, size=(classes, d))
    y = rng.integers(0, classes, size=n)
    x = centers[y] + rng.normal(size=(n, d))
    return pj.tensor(x), pj.tensor(y)


def clipped_mean(per_sample, max_norm):
    """DP-SGD's clipping: every example's whole gradient (all parameters together) scaled down to
    norm at most max_norm, then averaged over the batch."""
    sq = sum(pj.sum(g.reshape(g.shape[0], -1) ** 2, axis=1) for g in per_sample.values())
    scale = pj.minimum(pj.ones_like(sq), max_norm / (pj.sqrt(sq) + 1e-12))
    return {k: pj.mean(g * scale.reshape((-1,) + (1,) * (g.ndim - 1)), axis=0) for k, g in per_sample.items()}


def main():
    pj.manual_seed(0)
    x, y = make_data()
    model = pj.nn.Sequential(pj.nn.Linear(10, 32), pj.nn.Tanh(), pj.nn.Linear(32, 3))
    params = {k: v.detach() for k, v in model.named_parameters()}

    def loss(p, xi, yi):  # one example
        logits = functional_call(model, p, (xi[None],))
        return pj.nn.functional.cross_entropy(logits, yi[None])

    per_sample_grads = vmap(grad(loss), in_axes=(None, 0, 0))

    # Check against a loop of one gradient per example.
    batch_x, batch_y = x[:64], y[:64]
    t0 = time.perf_counter()
    batched = per_sample_grads(params, batch_x, batch_y)
    t1 = time.perf_counter()
    looped = [grad(loss)(params, batch_x[i], batch_y[i]) for i in range(64)]
    t2 = time.perf_counter()
    for k in params:
        want = np.stack([np.asarray(g[k]) for g in looped])
        assert np.allclose(np.asarray(batched[k]), want, rtol=1e-10, atol=1e-12), k
    print(f"per-sample gradients of 64 examples: vmap {1e3 * (t1 - t0):.1f} ms, loop {1e3 * (t2 - t1):.1f} ms (equal)")

    # A few DP-SGD steps (clipping only; the noise is left out to keep the check deterministic).
    rate, max_norm = 0.5, 1.0
    full = lambda p: pj.nn.functional.cross_entropy(functional_call(model, p, (x,)), y)  # noqa: E731
    start = float(full(params))
    for step in range(30):
        idx = pj.tensor(np.random.default_rng(step).choice(x.shape[0], 64, replace=False))
        g = clipped_mean(per_sample_grads(params, x[idx], y[idx]), max_norm)
        params = {k: params[k] - rate * g[k] for k in params}
    end = float(full(params))
    print(f"loss over the data set: {start:.3f} -> {end:.3f} after 30 clipped steps")
    assert end < start


if __name__ == "__main__":
    main()
