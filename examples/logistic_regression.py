"""Logistic regression on a small synthetic dataset, trained with pj.optim.SGD.

Raw tensors only: a weight vector W and a bias b that require grad, a numerically stable
log-loss written with pyjac ops, and an optimizer that updates them in place.

    python examples/logistic_regression.py
"""

import numpy as np

import pyjac as pj


def make_data(n=400, d=3, seed=0):
    """Two Gaussian blobs: label 1 around +mu, label 0 around -mu."""
    rng = np.random.default_rng(seed)
    mu = np.array([1.5, -1.0, 1.0])[:d]
    y = rng.integers(0, 2, n).astype(np.float64)
    X = rng.standard_normal((n, d)) + np.where(y[:, None] == 1, mu, -mu)
    return pj.tensor(X), pj.tensor(y)


def log_loss(logits, y):
    """mean(log(1 + exp(z)) - y z), with log(1 + exp(z)) = max(z, 0) + log1p(exp(-|z|)) so that
    large |z| neither overflows nor loses the small term."""
    softplus = pj.relu(logits) + pj.log1p(pj.exp(-pj.abs(logits)))
    return pj.mean(softplus - y * logits)


def main():
    X, y = make_data()
    W = pj.zeros(X.shape[1], requires_grad=True)
    b = pj.zeros((), requires_grad=True)
    opt = pj.optim.SGD([W, b], lr=0.5, momentum=0.9)

    losses = []
    for epoch in range(101):
        opt.zero_grad()
        loss = log_loss(X @ W + b, y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if epoch % 20 == 0:
            print(f"epoch {epoch:3d}  loss {loss.item():.4f}")

    with pj.no_grad():
        predictions = pj.sigmoid(X @ W + b) > 0.5
        accuracy = pj.mean(pj.astype(predictions == (y > 0.5), np.float64)).item()
    print(f"W = {np.round(W.detach().numpy(), 3)}, b = {b.item():.3f}")
    print(f"final accuracy: {accuracy:.3f}")
    assert losses[-1] < 0.5 * losses[0], "the loss should go down"
    assert accuracy > 0.9, "two well-separated blobs should be easy to classify"


if __name__ == "__main__":
    main()
