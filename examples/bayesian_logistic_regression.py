"""Bayesian logistic regression: the MAP estimate by Newton's method with pj.hessian, then a
Laplace approximation of the posterior (covariance = the inverse Hessian of the negative log
posterior at the mode), using pyjac.stats log densities and pyjac.special's stable functions.

Model: w ~ N(0, 2^2) per coefficient (pj.stats.norm.logpdf), y_i ~ Bernoulli(expit(x_i . w)),
with log p(y_i | w) = y_i log expit(z_i) + (1 - y_i) log expit(-z_i) and log expit(z) =
-logsumexp([0, -z]) (pj.special.logsumexp: no overflow for any z).

    python examples/bayesian_logistic_regression.py
"""

import numpy as np

import pyjac as pj

PRIOR_SCALE = 2.0


def make_data(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.standard_normal((n, 2))])
    w_true = np.array([-0.5, 1.5, -2.0])
    y = (rng.random(n) < 1 / (1 + np.exp(-X @ w_true))).astype(np.float64)
    return pj.tensor(X), pj.tensor(y), w_true


def log_expit(z):
    """log(expit(z)) = -log(1 + exp(-z)), as a logsumexp over (0, -z): no overflow for any z."""
    zero = pj.zeros_like(z)
    return -pj.special.logsumexp(pj.stack([zero, -z]), axis=0)


def neg_log_posterior(w, X, y):
    z = X @ w
    log_lik = pj.sum(y * log_expit(z) + (1.0 - y) * log_expit(-z))
    log_prior = pj.sum(pj.stats.norm.logpdf(w, 0.0, PRIOR_SCALE))
    return -(log_lik + log_prior)


def main():
    X, y, w_true = make_data()
    f = lambda w: neg_log_posterior(w, X, y)  # noqa: E731

    # Newton's method: the posterior is log-concave, so full steps converge quadratically.
    w = pj.zeros(3)
    for k in range(20):
        g = pj.func.grad(f)(w)
        H = pj.hessian(f, w)
        step = pj.linalg.solve(H, g)
        w = w - step
        size = float(pj.linalg.norm(step).item())
        print(f"step {k}: -log posterior {f(w).item():.10f}  |step| {size:.2e}")
        if size < 1e-12:
            break
    assert size < 1e-10, "Newton's method did not converge"

    # Laplace approximation: N(w_map, H^-1) with H the Hessian at the mode.
    cov = pj.linalg.inv(pj.hessian(f, w))
    sd = np.sqrt(np.diag(cov.numpy()))
    print("\ncoefficient   true    MAP     posterior sd")
    for i in range(3):
        print(f"w[{i}]        {w_true[i]:6.2f}  {w.numpy()[i]:6.3f}  {sd[i]:.3f}")

    # the Laplace posterior's density at the mode, and its log evidence approximation
    log_det = pj.linalg.slogdet(cov).logabsdet.item()
    log_evidence = -f(w).item() + 0.5 * (3 * np.log(2 * np.pi) + log_det)
    mode_density = pj.stats.multivariate_normal.logpdf(w, w, cov).item()
    print(f"\nLaplace log evidence {log_evidence:.4f}; log density of N(w_map, H^-1) at the mode {mode_density:.4f}")
    assert np.isclose(mode_density, -0.5 * (3 * np.log(2 * np.pi) + log_det))

    # the plug-in predictive probability at a new point, and its sensitivity to that point
    x_new = pj.tensor([1.0, 0.5, -0.5], requires_grad=True)
    p = pj.special.expit(x_new @ w)
    (dp,) = pj.grad(p, [x_new])
    print(f"P(y = 1 | x_new) = {p.item():.4f}, d/dx_new = {np.round(dp.numpy(), 4)}")
    assert np.all(np.abs(w.numpy() - w_true) < 3 * sd + 0.5)


if __name__ == "__main__":
    main()
