"""pyjac.stats against scipy.stats: values over the support and outside it, invalid parameters,
frozen distributions, and gradients in every parameter by finite differences (the registry,
tests/op_registry/special.py, checks first and second derivatives at its own inputs)."""

import numpy as np
import pytest

import pyjac as pj
from pyjac.testing import gradcheck

sst = pytest.importorskip("scipy.stats")
D = pj.stats


def _close(got, want, rtol=1e-12):
    np.testing.assert_allclose(np.asarray(got.numpy()), np.asarray(want, dtype=np.float64), rtol=rtol, atol=1e-300)


X = np.array([-3.0, -0.5, 0.0, 0.2, 0.5, 1.0, 2.5, 40.0])


@pytest.mark.parametrize("method", ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"])
def test_norm_against_scipy_including_tails(method):
    x = np.concatenate([X, [-40.0, -1e3]])
    _close(getattr(D.norm, method)(x, 0.5, 2.0), getattr(sst.norm, method)(x, 0.5, 2.0), rtol=1e-13)
    _close(getattr(D.norm(0.5, 2.0), method)(x), getattr(sst.norm, method)(x, 0.5, 2.0), rtol=1e-13)


def test_support_and_invalid_parameters_as_scipy():
    cases = [
        (D.gamma.logpdf(X, 0.5), sst.gamma.logpdf(X, 0.5)),
        (D.gamma.logpdf(X, 1.0, -1.0, 2.0), sst.gamma.logpdf(X, 1.0, -1.0, 2.0)),
        (D.gamma.logpdf(X, 2.5), sst.gamma.logpdf(X, 2.5)),
        (D.beta.logpdf(X, 2.0, 1.0), sst.beta.logpdf(X, 2.0, 1.0)),
        (D.beta.logpdf(X, 0.5, 3.0, -1.0, 4.0), sst.beta.logpdf(X, 0.5, 3.0, -1.0, 4.0)),
        (D.t.logpdf(X, 2.5, 0.1, 3.0), sst.t.logpdf(X, 2.5, 0.1, 3.0)),
        (D.poisson.logpmf(X, 2.0), sst.poisson.logpmf(X, 2.0)),
        (D.poisson.logpmf([0.0, 1.0], 0.0), sst.poisson.logpmf([0.0, 1.0], 0.0)),
        (D.bernoulli.logpmf(X, 0.3), sst.bernoulli.logpmf(X, 0.3)),
        (D.bernoulli.logpmf([0.0, 1.0], 1.0), sst.bernoulli.logpmf([0.0, 1.0], 1.0)),
        (D.norm.logpdf(X, 0.0, -1.0), sst.norm.logpdf(X, 0.0, -1.0)),
        (D.gamma.logpdf(X, -1.0), sst.gamma.logpdf(X, -1.0)),
    ]
    for got, want in cases:
        _close(got, want)


def test_multivariate_normal_shapes_and_covariances_as_scipy():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((3, 3))
    cov = A @ A.T + np.eye(3)
    mean = rng.standard_normal(3)
    for x in (rng.standard_normal(3), rng.standard_normal((5, 3)), rng.standard_normal((2, 4, 3))):
        _close(D.multivariate_normal.logpdf(x, mean, cov), sst.multivariate_normal.logpdf(x, mean, cov))
    _close(D.multivariate_normal.pdf(x, mean, cov), sst.multivariate_normal.pdf(x, mean, cov))
    _close(
        D.multivariate_normal.logpdf([0.3, 0.1], [0.0, 1.0], 2.0),
        sst.multivariate_normal.logpdf([0.3, 0.1], [0.0, 1.0], 2.0),
    )
    _close(
        D.multivariate_normal.logpdf([0.3, 0.1], [0.0, 1.0], [1.0, 3.0]),
        sst.multivariate_normal.logpdf([0.3, 0.1], [0.0, 1.0], [1.0, 3.0]),
    )
    _close(D.multivariate_normal(mean, cov).logpdf(x), sst.multivariate_normal(mean, cov).logpdf(x))
    with pytest.raises(ValueError, match="multivariate_normal"):
        D.multivariate_normal.logpdf(np.zeros((2, 4)), mean, cov)
    with pytest.raises(pj.linalg.LinAlgError):
        D.multivariate_normal.logpdf(np.zeros(2), np.zeros(2), np.array([[1.0, 2.0], [2.0, 1.0]]))


def test_dirichlet_as_scipy():
    x = np.array([[0.2, 0.3, 0.1], [0.5, 0.6, 0.3], [0.3, 0.1, 0.6]])
    alpha = np.array([0.7, 2.0, 3.5])
    _close(D.dirichlet.logpdf(x, alpha), sst.dirichlet.logpdf(x, alpha))
    _close(D.dirichlet.logpdf(x[:, 0], alpha), sst.dirichlet.logpdf(x[:, 0], alpha))
    _close(D.dirichlet.logpdf(x[:2], alpha), sst.dirichlet.logpdf(x[:2], alpha))
    _close(D.dirichlet.pdf(x, alpha), sst.dirichlet.pdf(x, alpha))
    with pytest.raises(ValueError, match="sum to 1"):
        D.dirichlet.logpdf(np.array([0.5, 0.6, 0.1]), alpha)
    with pytest.raises(ValueError, match="components"):
        D.dirichlet.logpdf(np.array([0.5, 0.5]), np.ones(4))


def _grad_in_every_parameter(fn, *args):
    tensors = [pj.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in args]
    assert gradcheck(lambda *ts: pj.sum(fn(*ts)), tensors)


def test_gradients_in_every_parameter_by_finite_differences():
    x = np.array([0.3, 1.2, 2.0])
    _grad_in_every_parameter(D.norm.logpdf, x, 0.4, 1.5)
    _grad_in_every_parameter(D.norm.logcdf, np.array([-30.0, -2.0, 1.0]), 0.4, 1.5)
    _grad_in_every_parameter(D.norm.cdf, x, 0.4, 1.5)
    _grad_in_every_parameter(D.t.logpdf, x, 3.5, 0.4, 1.5)
    _grad_in_every_parameter(D.gamma.logpdf, x, 2.5, -0.1, 1.5)
    _grad_in_every_parameter(D.beta.logpdf, np.array([0.2, 0.5, 0.7]), 1.5, 2.5, -0.1, 1.2)
    _grad_in_every_parameter(lambda mu: D.poisson.logpmf(np.array([0.0, 2.0, 7.0]), mu), 2.5)
    _grad_in_every_parameter(lambda p: D.bernoulli.logpmf(np.array([0.0, 1.0, 1.0]), p), 0.3)
    _grad_in_every_parameter(
        lambda x, a: D.dirichlet.logpdf(x, a), np.array([[0.2, 0.3], [0.3, 0.5]]), np.array([1.5, 2.0, 0.8])
    )
    A = np.array([[2.0, 0.3], [0.3, 1.0]])
    _grad_in_every_parameter(
        lambda x, m, c: D.multivariate_normal.logpdf(x, m, 0.5 * (c + pj.transpose(c))),
        np.array([[0.1, 0.2], [1.0, -0.5]]),
        np.array([0.3, -0.2]),
        A,
    )
