"""Reductions (sum mean max min prod var std logsumexp argmax argmin all any norm) and the
cumulative ops (cumsum cumprod).

Families: "reduction" (tests/test_ops_reduction.py), "cumulative" (tests/test_ops_cumulative.py).
"""

import functools

import numpy as np

import pyjac as pj

from .core import F32, F64, I64, NONE, OpCase, away_from_zero, ints


def np_logsumexp(a, axis=None, keepdims=False):
    """Reference: the max-shifted formula in NumPy (what scipy.special.logsumexp computes)."""
    a = np.asarray(a, np.float64) if not np.issubdtype(np.asarray(a).dtype, np.floating) else np.asarray(a)
    with np.errstate(all="ignore"):
        m = np.max(a, axis=axis, keepdims=True) if a.size else np.zeros([1] * a.ndim, a.dtype)
        m = np.where(np.isfinite(m), m, 0)
        out = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m
    if not keepdims:
        out = np.squeeze(out, axis=axis) if axis is not None else out.reshape(())
    return out


def _axis_kw(fn):
    """fn(x, axis, keepdims=...) with axis also taken by keyword (the sweeps call axis=...)."""
    return lambda x, axis=None, keepdims=False: fn(x, axis, keepdims=keepdims)


# torch parity tolerances of prod, var, std, logsumexp, cumsum, cumprod, as their family tests had them
_TORCH_TOL = {"value": (1e-13, 0), "grad": (1e-12, 1e-15), "second": (1e-11, 1e-13)}


def reduction(id, fn, shape, ref, name=None, domain=None, sweep=None, family="reduction", **kw):
    name = name or id.split("-")[0]
    if kw.get("torch") is not None and name in ("prod", "var", "std", "logsumexp", "cumsum", "cumprod"):
        kw.setdefault("torch_tol", _TORCH_TOL)
    if domain is None:
        return OpCase(id, name, fn, (shape,), ref=ref, sweep=sweep, family=family, **kw)
    return OpCase(id, name, fn, (shape,), domain, ref=ref, sweep=sweep, family=family, **kw)


_TIES = np.array([[1.0, 3.0, 3.0, 2.0], [-1.0, 0.5, -1.0, 0.5]])
_ZEROS = np.array([[0.5, 0.0, -1.5, 2.0], [0.0, 1.2, 0.0, -0.7], [1.1, -0.4, 0.9, 0.0]])
_var1 = functools.partial(pj.var, ddof=1)
_std1 = functools.partial(pj.std, ddof=1)

REDUCTIONS = [
    # sum, mean, max, min: the sweeps take axis and keepdims by keyword
    reduction(
        "sum",
        lambda x: pj.sum(x),
        (2, 3, 4),
        np.sum,
        sweep=(pj.sum, np.sum),
        torch=lambda t, x: t.sum(x),
        forms={"Tensor.sum": lambda x: x.sum()},
    ),
    reduction(
        "sum-axis0", lambda x: pj.sum(x, axis=0), (2, 3, 4), lambda a: np.sum(a, axis=0), torch=lambda t, x: t.sum(x, 0)
    ),
    reduction(
        "sum-axis-neg-keepdims",
        lambda x: pj.sum(x, axis=-1, keepdims=True),
        (2, 3, 4),
        lambda a: np.sum(a, axis=-1, keepdims=True),
    ),
    reduction(
        "sum-axes-tuple", lambda x: x.sum(axis=(0, 2)), (2, 3, 4), lambda a: a.sum(axis=(0, 2)), name="Tensor.sum"
    ),
    reduction(
        "mean",
        lambda x: pj.mean(x),
        (2, 3, 4),
        np.mean,
        sweep=(pj.mean, np.mean),
        torch=lambda t, x: t.mean(x),
        forms={"Tensor.mean": lambda x: x.mean()},
    ),
    reduction(
        "mean-axis1",
        lambda x: pj.mean(x, axis=1),
        (2, 3, 4),
        lambda a: np.mean(a, axis=1),
        torch=lambda t, x: t.mean(x, 1),
    ),
    reduction(
        "mean-axes-keepdims",
        lambda x: x.mean(axis=(0, -1), keepdims=True),
        (2, 3, 4),
        lambda a: a.mean(axis=(0, -1), keepdims=True),
        name="Tensor.mean",
    ),
    reduction(
        "max",
        lambda x: pj.max(x),
        (3, 4),
        np.max,
        sweep=(pj.max, np.max),
        forms={"Tensor.max": lambda x: x.max(), "amax": pj.amax, "Tensor.amax": lambda x: x.amax()},
    ),
    reduction(
        "max-axis", lambda x: pj.max(x, axis=1), (3, 4), lambda a: np.max(a, axis=1), torch=lambda t, x: t.amax(x, 1)
    ),
    reduction(
        "max-axis-keepdims",
        lambda x: x.max(axis=0, keepdims=True),
        (3, 4),
        lambda a: a.max(axis=0, keepdims=True),
        name="Tensor.max",
    ),
    reduction(
        "min",
        lambda x: pj.min(x),
        (3, 4),
        np.min,
        sweep=(pj.min, np.min),
        forms={"Tensor.min": lambda x: x.min(), "amin": pj.amin, "Tensor.amin": lambda x: x.amin()},
    ),
    reduction(
        "min-axis", lambda x: pj.min(x, axis=-1), (3, 4), lambda a: np.min(a, axis=-1), torch=lambda t, x: t.amin(x, -1)
    ),
    reduction("min-axes", lambda x: pj.min(x, axis=(0, 2)), (2, 3, 4), lambda a: np.min(a, axis=(0, 2))),
    # ties split the gradient evenly: finite differences agree to first order only
    reduction("max-ties", lambda x: pj.max(x, axis=1), _TIES, lambda a: np.max(a, axis=1), hess_fd=False),
    reduction("min-ties", lambda x: pj.min(x, axis=1), _TIES, lambda a: np.min(a, axis=1), hess_fd=False),
    reduction("max-ties-all", lambda x: pj.max(x), _TIES, np.max, hess_fd=False),
    # prod, var, std, logsumexp: axis positional (NumPy's signature), ddof and keepdims by keyword
    reduction(
        "prod",
        lambda x: pj.prod(x),
        (3, 4),
        np.prod,
        sweep=(_axis_kw(pj.prod), np.prod),
        forms={"Tensor.prod": lambda x: x.prod()},
    ),
    reduction("prod-axis", lambda x: pj.prod(x, 1), (3, 4), lambda a: np.prod(a, 1), torch=lambda t, x: t.prod(x, 1)),
    reduction(
        "prod-axes-keepdims",
        lambda x: pj.prod(x, (0, 2), keepdims=True),
        (2, 3, 2),
        lambda a: np.prod(a, (0, 2), keepdims=True),
    ),
    # zeros: exact derivatives without division, to any order
    reduction(
        "prod-zeros", lambda x: pj.prod(x, -1), _ZEROS, lambda a: np.prod(a, -1), torch=lambda t, x: t.prod(x, -1)
    ),
    reduction("prod-zeros-all", lambda x: pj.prod(x[:2]), _ZEROS, lambda a: np.prod(a[:2])),
    reduction(
        "var",
        lambda x: pj.var(x, 0),
        (3, 4),
        lambda a: np.var(a, 0),
        sweep=(_axis_kw(pj.var), np.var),
        forms={"Tensor.var": lambda x: x.var(0)},
    ),
    reduction(
        "var-ddof1",
        lambda x: pj.var(x, 1, ddof=1),
        (3, 4),
        lambda a: np.var(a, 1, ddof=1),
        name="var",
        sweep=(_axis_kw(_var1), functools.partial(np.var, ddof=1)),
        torch=lambda t, x: t.var(x, 1, correction=1),
    ),
    reduction(
        "var-ddof-keepdims",
        lambda x: pj.var(x, (0, 1), ddof=1, keepdims=True),
        (2, 3, 2),
        lambda a: np.var(a, (0, 1), ddof=1, keepdims=True),
    ),
    reduction(
        "std",
        lambda x: pj.std(x, -1),
        (3, 4),
        lambda a: np.std(a, -1),
        sweep=(_axis_kw(pj.std), np.std),
        forms={"Tensor.std": lambda x: x.std(-1)},
        torch=lambda t, x: t.std(x, -1, correction=0),
    ),
    reduction(
        "std-ddof1",
        lambda x: pj.std(x, ddof=1),
        (3, 4),
        lambda a: np.std(a, ddof=1),
        name="std",
        sweep=(_axis_kw(_std1), functools.partial(np.std, ddof=1)),
    ),
    reduction(
        "logsumexp",
        lambda x: pj.logsumexp(x, 1),
        (3, 4),
        lambda a: np_logsumexp(a, 1),
        sweep=(_axis_kw(pj.logsumexp), np_logsumexp),
        forms={"Tensor.logsumexp": lambda x: x.logsumexp(1)},
        torch=lambda t, x: t.logsumexp(x, 1),
    ),
    reduction(
        "logsumexp-all-keepdims",
        lambda x: pj.logsumexp(x, keepdims=True),
        (2, 3),
        lambda a: np_logsumexp(a, keepdims=True),
    ),
    # integer and bool results: no gradient
    reduction(
        "argmax",
        lambda x: pj.argmax(x, 1),
        (3, 4),
        lambda a: np.argmax(a, 1),
        domain=ints(-2, 3),
        derivative=NONE,
        forms={"Tensor.argmax": lambda x: x.argmax(1)},
        dtypes=(F64, F32, I64),
    ),
    reduction(
        "argmin",
        lambda x: pj.argmin(x),
        (3, 4),
        np.argmin,
        domain=ints(-2, 3),
        derivative=NONE,
        forms={"Tensor.argmin": lambda x: x.argmin()},
        dtypes=(F64, F32, I64),
    ),
    reduction(
        "all",
        lambda x: pj.all(x, 0),
        (3, 4),
        lambda a: np.all(a, 0),
        domain=ints(0, 2),
        derivative=NONE,
        forms={"Tensor.all": lambda x: x.all(0)},
        dtypes=(F64, F32, I64),
    ),
    reduction(
        "any",
        lambda x: pj.any(x, 1),
        (3, 4),
        lambda a: np.any(a, 1),
        domain=ints(-1, 1),
        derivative=NONE,
        forms={"Tensor.any": lambda x: x.any(1)},
        dtypes=(F64, F32, I64),
    ),
]


def norm(id, fn, shape, ref, name="norm", away=False, **kw):
    domain = away_from_zero(0.3, 1.5) if away else None
    return reduction(id, fn, shape, ref, name=name, domain=domain, rtol=1e-12, **kw)


_la = np.linalg
NORMS = [
    norm("norm", lambda x: pj.norm(x), (5,), _la.norm, forms={"Tensor.norm": lambda x: x.norm()}),
    norm("norm-matrix", lambda x: pj.norm(x), (3, 4), _la.norm),
    norm("norm-ord2", lambda x: pj.norm(x, 2), (5,), lambda a: _la.norm(a, 2)),
    norm("norm-ord1", lambda x: pj.norm(x, 1), (5,), lambda a: _la.norm(a, 1), away=True),
    norm("norm-ord-inf", lambda x: pj.norm(x, np.inf), (5,), lambda a: _la.norm(a, np.inf)),
    norm("norm-ord-neg-inf", lambda x: pj.norm(x, -np.inf), (5,), lambda a: _la.norm(a, -np.inf)),
    norm("norm-ord3", lambda x: pj.norm(x, 3), (5,), lambda a: _la.norm(a, 3), away=True),
    norm("norm-ord-half", lambda x: pj.norm(x, 0.5), (4,), lambda a: _la.norm(a, 0.5), away=True),
    norm("norm-fro", lambda x: pj.norm(x, "fro"), (3, 4), lambda a: _la.norm(a, "fro")),
    norm("norm-matrix-ord1", lambda x: pj.norm(x, 1), (3, 4), lambda a: _la.norm(a, 1), away=True),
    norm("norm-matrix-ord-inf", lambda x: pj.norm(x, np.inf), (3, 4), lambda a: _la.norm(a, np.inf), away=True),
    norm("norm-axis1", lambda x: pj.norm(x, axis=1), (3, 4), lambda a: _la.norm(a, axis=1)),
    norm("norm-axis0-ord1", lambda x: pj.norm(x, 1, axis=0), (3, 4), lambda a: _la.norm(a, 1, axis=0), away=True),
    norm(
        "norm-ord3-axis-keepdims",
        lambda x: pj.norm(x, 3, axis=-1, keepdims=True),
        (2, 3, 4),
        lambda a: _la.norm(a, 3, axis=-1, keepdims=True),
        away=True,
    ),
    norm(
        "norm-fro-axes", lambda x: pj.norm(x, "fro", axis=(1, 2)), (2, 3, 4), lambda a: _la.norm(a, "fro", axis=(1, 2))
    ),
    norm(
        "norm-method-inf-axis",
        lambda x: x.norm(np.inf, axis=0),
        (3, 4),
        lambda a: _la.norm(a, np.inf, axis=0),
        name="Tensor.norm",
    ),
]

CUMULATIVE = [
    reduction(
        "cumsum",
        lambda x: pj.cumsum(x, 1),
        (3, 4),
        lambda a: np.cumsum(a, 1),
        sweep=(pj.cumsum, np.cumsum),
        family="cumulative",
        forms={"Tensor.cumsum": lambda x: x.cumsum(1)},
        torch=lambda t, x: t.cumsum(x, 1),
    ),
    reduction("cumsum-flat", lambda x: pj.cumsum(x), (2, 3), np.cumsum, family="cumulative"),
    reduction(
        "cumprod",
        lambda x: pj.cumprod(x, 1),
        (3, 4),
        lambda a: np.cumprod(a, 1),
        sweep=(pj.cumprod, np.cumprod),
        family="cumulative",
        forms={"Tensor.cumprod": lambda x: x.cumprod(1)},
        torch=lambda t, x: t.cumprod(x, 1),
    ),
    reduction(
        "cumprod-axis0",
        lambda x: pj.cumprod(x, 0),
        (3, 4),
        lambda a: np.cumprod(a, 0),
        family="cumulative",
        torch=lambda t, x: t.cumprod(x, 0),
    ),
    reduction(
        "cumprod-zeros",
        lambda x: pj.cumprod(x, -1),
        _ZEROS,
        lambda a: np.cumprod(a, -1),
        family="cumulative",
        torch=lambda t, x: t.cumprod(x, -1),
    ),
    reduction(
        "cumprod-zeros-axis0",
        lambda x: pj.cumprod(x, 0),
        _ZEROS,
        lambda a: np.cumprod(a, 0),
        family="cumulative",
        torch=lambda t, x: t.cumprod(x, 0),
    ),
]

CASES = REDUCTIONS + NORMS + CUMULATIVE
