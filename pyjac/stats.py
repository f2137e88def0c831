"""Probability distributions under ``scipy.stats``' names and parameterisations, differentiable in
the argument and in every parameter (to any order, in both modes: they are compositions of
differentiable ops and of pyjac.special's functions).

``norm`` (logpdf pdf cdf logcdf sf logsf ppf; loc, scale), ``multivariate_normal.logpdf(x, mean,
cov)`` (through the Cholesky factor of cov), ``t`` (logpdf; df, loc, scale), ``gamma`` (logpdf;
a, loc, scale), ``beta`` (logpdf; a, b, loc, scale), ``dirichlet.logpdf(x, alpha)`` (components
along x's first axis, as SciPy), ``poisson.logpmf(k, mu)``, ``bernoulli.logpmf(k, p)``; every
logpdf / logpmf has its pdf / pmf. As in SciPy, a point outside the support has log density -inf
(density 0), invalid parameters (scale <= 0, a <= 0, ...) give nan, and calling a distribution
freezes its parameters: ``pj.stats.norm(0.0, 2.0).logpdf(x)``.
"""

import math as _math

import numpy as _np

from . import _ops
from . import special as _sp
from ._creation import asarray as _asarray
from ._creation import eye as _eye
from ._ops import exp as _exp
from ._ops import log as _log
from ._ops import log1p as _log1p
from ._ops import logical_and as _and
from ._ops import logical_not as _not
from ._ops import multiply as _multiply
from ._ops import where as _where
from ._vmap import every_example

__all__ = ["norm", "multivariate_normal", "t", "gamma", "beta", "dirichlet", "poisson", "bernoulli"]

_LOG_2PI = _math.log(2.0 * _math.pi)


def _arg(v):
    """A tensor argument; Python numbers stay numbers (weak scalars: float32 data stays float32)."""
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else _asarray(v)


def _f(fn, v):
    """fn(v), a Python number when v is one (so that it stays a weak scalar in what follows)."""
    return fn(v).item() if isinstance(v, (int, float)) else fn(v)


def _logp(v):
    return _f(_log, float(v) if isinstance(v, int) else v) if not isinstance(v, (int, float)) or v > 0 else _np.nan


def _valid(out, ok):
    """out where the parameters are valid (`ok`), nan elsewhere, as SciPy."""
    if isinstance(ok, (bool, _np.bool_)):
        return out if ok else out * _np.nan
    return _where(ok, out, _np.nan)


def _standardize(x, loc, scale):
    x, loc, scale = _asarray(x), _arg(loc), _arg(scale)
    return (x - loc) / scale, scale


class _Frozen:
    """A distribution with its parameters fixed: every method takes the argument alone."""

    def __init__(self, dist, args, kwargs):
        self.dist, self.args, self.kwargs = dist, args, kwargs

    def __getattr__(self, name):
        method = getattr(self.dist, name)
        return lambda x: method(x, *self.args, **self.kwargs)

    def __repr__(self):
        return f"<frozen pyjac.stats.{self.dist.name}>"


class _Distribution:
    name = ""

    def __call__(self, *args, **kwargs):
        return _Frozen(self, args, kwargs)

    def __repr__(self):
        return f"<pyjac.stats.{self.name}>"


class norm_gen(_Distribution):
    """The normal distribution N(loc, scale^2)."""

    name = "norm"

    def logpdf(self, x, loc=0.0, scale=1.0):
        z, scale = _standardize(x, loc, scale)
        return _valid(-0.5 * (z * z) - _logp(scale) - 0.5 * _LOG_2PI, scale > 0)

    def pdf(self, x, loc=0.0, scale=1.0):
        return _exp(self.logpdf(x, loc, scale))

    def cdf(self, x, loc=0.0, scale=1.0):
        z, scale = _standardize(x, loc, scale)
        return _valid(_sp.ndtr(z), scale > 0)

    def logcdf(self, x, loc=0.0, scale=1.0):
        z, scale = _standardize(x, loc, scale)
        return _valid(_sp.log_ndtr(z), scale > 0)

    def sf(self, x, loc=0.0, scale=1.0):
        z, scale = _standardize(x, loc, scale)
        return _valid(_sp.ndtr(-z), scale > 0)

    def logsf(self, x, loc=0.0, scale=1.0):
        z, scale = _standardize(x, loc, scale)
        return _valid(_sp.log_ndtr(-z), scale > 0)

    def ppf(self, q, loc=0.0, scale=1.0):
        loc, scale = _arg(loc), _arg(scale)
        return _valid(loc + scale * _sp.ndtri(q), scale > 0)


class multivariate_normal_gen(_Distribution):
    """The multivariate normal distribution N(mean, cov)."""

    name = "multivariate_normal"

    def logpdf(self, x, mean=None, cov=1.0):
        """log N(x; mean, cov) for x of shape (..., d) (SciPy's quantiles: the last axis is the
        dimension; a 1-d x is one point, or d == 1 points when d == 1), through the Cholesky factor
        L of cov: -(d log 2 pi + 2 sum log diag L + |L^-1 (x - mean)|^2) / 2. cov may be a number
        (cov I), a vector (its diagonal) or a d x d positive definite matrix (else LinAlgError)."""
        from . import linalg

        cov = _asarray(cov)
        mean = None if mean is None else _asarray(mean)
        if mean is not None and mean.ndim > 1:
            raise ValueError(f"multivariate_normal.logpdf: mean must be 1-dimensional, got shape {mean.shape}")
        if mean is not None:
            d = mean.shape[0] if mean.ndim == 1 else 1
        else:
            d = cov.shape[0] if cov.ndim >= 1 else 1
        if cov.ndim == 0:
            cov = cov * _eye(d, dtype=cov.dtype)
        elif cov.ndim == 1:
            cov = cov[:, None] * _eye(cov.shape[0], dtype=cov.dtype)  # diag(cov)
        if cov.ndim != 2 or cov.shape != (d, d):
            raise ValueError(
                f"multivariate_normal.logpdf: cov of shape {tuple(cov.shape)} does not match the dimension {d}"
            )
        x = _asarray(x)
        if x.ndim == 0:
            x = _ops.reshape(x, (1, 1))
        elif x.ndim == 1:
            x = _ops.reshape(x, (-1, 1) if d == 1 else (1, -1))
        if x.shape[-1] != d:
            raise ValueError(
                f"multivariate_normal.logpdf: x of shape {tuple(x.shape)} does not end in the dimension {d}"
            )
        diff = x if mean is None else x - _ops.reshape(mean, (d,))
        L = linalg.cholesky(cov)
        batch = diff.shape[:-1]
        flat = _ops.reshape(diff, (-1, d))
        z = linalg.solve(L, _ops.transpose(flat))  # L z = (x - mean)^T: (d, n)
        maha = _ops.sum(z * z, axis=0)
        logdet = 2.0 * _ops.sum(_log(_ops.diagonal(L)))
        out = _ops.reshape(-0.5 * (d * _LOG_2PI + logdet + maha), batch)
        return _ops.squeeze(out) if out.ndim else out

    def pdf(self, x, mean=None, cov=1.0):
        return _exp(self.logpdf(x, mean, cov))


class t_gen(_Distribution):
    """Student's t distribution with df degrees of freedom."""

    name = "t"

    def logpdf(self, x, df, loc=0.0, scale=1.0):
        z, scale = _standardize(x, loc, scale)
        df = _arg(df)
        half = 0.5 * (df + 1.0)
        out = (
            _f(_sp.gammaln, half)
            - _f(_sp.gammaln, 0.5 * df)
            - 0.5 * _logp(df * _math.pi)
            - _logp(scale)
            - half * _log1p(z * z / df)
        )
        return _valid(out, _and(df > 0, scale > 0))

    def pdf(self, x, df, loc=0.0, scale=1.0):
        return _exp(self.logpdf(x, df, loc, scale))


class gamma_gen(_Distribution):
    """The gamma distribution with shape a: density z^(a-1) e^-z / Gamma(a) on z >= 0."""

    name = "gamma"

    def logpdf(self, x, a, loc=0.0, scale=1.0):
        z, scale = _standardize(x, loc, scale)
        a = _arg(a)
        outside = z < 0
        zs = _where(outside, 1.0, z)  # the -inf branch's input, kept finite for the gradient
        out = _sp.xlogy(a - 1.0, zs) - zs - _f(_sp.gammaln, a) - _logp(scale)
        return _valid(_where(outside, -_np.inf, out), _and(a > 0, scale > 0))

    def pdf(self, x, a, loc=0.0, scale=1.0):
        return _exp(self.logpdf(x, a, loc, scale))


class beta_gen(_Distribution):
    """The beta distribution: density z^(a-1) (1-z)^(b-1) / B(a, b) on 0 <= z <= 1."""

    name = "beta"

    def logpdf(self, x, a, b, loc=0.0, scale=1.0):
        z, scale = _standardize(x, loc, scale)
        a, b = _arg(a), _arg(b)
        outside = _not(_and(z >= 0, z <= 1))
        zs = _where(outside, 0.5, z)
        out = _sp.xlogy(a - 1.0, zs) + _sp.xlog1py(b - 1.0, -zs) - _betaln(a, b) - _logp(scale)
        return _valid(_where(outside, -_np.inf, out), _and(_and(a > 0, b > 0), scale > 0))

    def pdf(self, x, a, b, loc=0.0, scale=1.0):
        return _exp(self.logpdf(x, a, b, loc, scale))


class dirichlet_gen(_Distribution):
    """The Dirichlet distribution with concentration alpha (K,)."""

    name = "dirichlet"

    def logpdf(self, x, alpha):
        """x of shape (K, ...) or (K - 1, ...) (then the last component is 1 - the sum of the
        others), components along the first axis as in SciPy; every point must lie on the simplex
        (ValueError otherwise, as SciPy). Returns the log density of shape x.shape[1:]."""
        alpha = _asarray(alpha)
        if alpha.ndim != 1 or alpha.shape[0] < 2:
            raise ValueError(f"dirichlet.logpdf: alpha must be a vector of at least 2 entries, got shape {alpha.shape}")
        k = alpha.shape[0]
        x = _asarray(x)
        if x.ndim == 0 or x.shape[0] not in (k, k - 1):
            raise ValueError(
                f"dirichlet.logpdf: x of shape {tuple(x.shape)} must have {k} or {k - 1} components "
                "along its first axis"
            )
        if x.shape[0] == k - 1:
            x = _ops.concatenate([x, 1.0 - _ops.sum(x, axis=0, keepdims=True)], axis=0)
        values, lead = every_example(x)  # value checks only, as SciPy's (every example at once)
        if _np.any(values < 0) or _np.any(values > 1):
            raise ValueError("dirichlet.logpdf: every component of x must lie in [0, 1]")
        if _np.any(_np.abs(_np.sum(values, axis=lead) - 1.0) > 1e-9):
            raise ValueError("dirichlet.logpdf: the components of x must sum to 1 along the first axis")
        a = _ops.reshape(alpha, (k,) + (1,) * (x.ndim - 1))
        log_b = _ops.sum(_sp.gammaln(alpha)) - _sp.gammaln(_ops.sum(alpha))
        out = _ops.sum(_sp.xlogy(a - 1.0, x), axis=0) - log_b
        return _valid(out, _ops.all(alpha > 0))

    def pdf(self, x, alpha):
        return _exp(self.logpdf(x, alpha))


def _betaln(a, b):
    out = _sp.betaln(a, b)
    return out.item() if isinstance(a, (int, float)) and isinstance(b, (int, float)) else out


def _is_integer(k):
    return _ops.floor(k) == k


class poisson_gen(_Distribution):
    """The Poisson distribution with mean mu. The count k is data: its derivative is that of the
    formula's continuous extension xlogy(k, mu) - gammaln(k + 1) - mu."""

    name = "poisson"

    def logpmf(self, k, mu, loc=0):
        k, mu = _asarray(k) - _arg(loc), _arg(mu)
        support = _and(k >= 0, _is_integer(k))
        ks = _where(support, k, 0.0)
        out = _sp.xlogy(ks, mu) - _sp.gammaln(ks + 1.0) - mu
        return _valid(_where(support, out, -_np.inf), mu >= 0)

    def pmf(self, k, mu, loc=0):
        return _exp(self.logpmf(k, mu, loc))


class bernoulli_gen(_Distribution):
    """The Bernoulli distribution: P(1) = p."""

    name = "bernoulli"

    def logpmf(self, k, p, loc=0):
        k, p = _asarray(k) - _arg(loc), _arg(p)
        support = _not(_multiply(k != 0, k != 1))
        ks = _where(support, k, 0.0)
        out = _sp.xlogy(ks, p) + _sp.xlog1py(1.0 - ks, -p)
        return _valid(_where(support, out, -_np.inf), _and(p >= 0, p <= 1))

    def pmf(self, k, p, loc=0):
        return _exp(self.logpmf(k, p, loc))


norm = norm_gen()
multivariate_normal = multivariate_normal_gen()
t = t_gen()
gamma = gamma_gen()
beta = beta_gen()
dirichlet = dirichlet_gen()
poisson = poisson_gen()
bernoulli = bernoulli_gen()
