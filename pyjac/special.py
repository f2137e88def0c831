"""Special functions under SciPy's names, argument order and conventions (``scipy.special``).

``gamma gammaln digamma polygamma erfc erfinv erfcx ndtr log_ndtr ndtri i0e i1e expit logit`` are
C++ elementwise ops (csrc/ops/special_functions.cpp) whose derivatives are written in each other:
gammaln' = digamma, digamma' = polygamma(1, .), polygamma(n, .)' = polygamma(n + 1, .),
erfinv' = sqrt(pi)/2 exp(erfinv^2), i0e' = i1e - sign(x) i0e, ... so derivatives of every order,
in reverse and forward mode, come from the same rules. ``beta betaln xlogy xlog1py multigammaln
logsumexp softmax log_softmax`` are compositions of differentiable ops.

Values are computed in double precision (float32 inputs give float32 results) and keep their
relative accuracy in the tails: ``log_ndtr`` for very negative x, ``erfcx`` for large x,
``ndtri`` near 0 and 1, ``digamma`` near its poles, ``expit`` / ``logit`` at the extremes.
Conventions at poles and outside the domains are SciPy's (inf / nan, no exception).
"""

import math as _math
import numbers as _numbers

import numpy as _np

from . import _core, _ops
from ._creation import asarray as _asarray
from ._ops import exp as _exp
from ._ops import floor as _floor
from ._ops import log as _log
from ._ops import log1p as _log1p
from ._ops import logical_and as _and
from ._ops import logical_or as _or
from ._ops import where as _where
from ._vmap import every_example

__all__ = [
    "gamma",
    "gammaln",
    "digamma",
    "psi",
    "polygamma",
    "beta",
    "betaln",
    "erf",
    "erfc",
    "erfinv",
    "erfcx",
    "expit",
    "logit",
    "xlogy",
    "xlog1py",
    "ndtr",
    "log_ndtr",
    "ndtri",
    "i0e",
    "i1e",
    "logsumexp",
    "softmax",
    "log_softmax",
    "multigammaln",
]

# ---- the C++ elementwise ops ---------------------------------------------------------------------
gamma = _core.gamma
gammaln = _core.gammaln
digamma = _core.digamma
psi = _core.digamma  # SciPy's alias
erf = _core.erf
erfc = _core.erfc
erfinv = _core.erfinv
erfcx = _core.erfcx
expit = _core.sigmoid  # 1 / (1 + exp(-x)), evaluated with exp(-|x|): exact at both extremes
logit = _core.logit
ndtr = _core.ndtr
log_ndtr = _core.log_ndtr
ndtri = _core.ndtri
i0e = _core.i0e
i1e = _core.i1e


def _order(n):
    """polygamma's order as a Python int: an integer (or integer-valued number), never a value
    that requires grad (the order is discrete: there is no derivative in it)."""
    if getattr(n, "requires_grad", False):
        raise TypeError("polygamma: the order n is an integer and has no derivative; got a tensor that requires grad")
    if isinstance(n, _core.Tensor) or isinstance(n, _np.ndarray):
        if n.ndim != 0:
            raise TypeError(f"polygamma: the order n must be a single integer, got an array of shape {tuple(n.shape)}")
        n = n.item()
    if isinstance(n, bool) or not isinstance(n, _numbers.Real) or n != _math.floor(n):
        raise TypeError(f"polygamma: the order n must be an integer, got {n!r}")
    return int(n)


def polygamma(n, x):
    """The n-th derivative of digamma at x (n = 0: digamma itself); d/dx is polygamma(n + 1, x)."""
    return _core.polygamma(_order(n), x)


# ---- compositions ---------------------------------------------------------------------------------
def _is_number(v):
    return isinstance(v, (int, float, _np.number)) and not isinstance(v, (bool, _np.bool_))


def _both(a, b):
    """Two operands as tensors; a Python number beside a float tensor takes that tensor's dtype
    (NumPy 2's weak scalars: float32 data stays float32)."""
    if _is_number(a) and not _is_number(b):
        b = _asarray(b)
        return _asarray(a, dtype=b.dtype if b.dtype.kind == "f" else None), b
    if _is_number(b) and not _is_number(a):
        a = _asarray(a)
        return a, _asarray(b, dtype=a.dtype if a.dtype.kind == "f" else None)
    return _asarray(a), _asarray(b)


def _gamma_sign(x):
    """The sign of gamma(x): 1 for x > 0, (-1)^floor(x) for negative non-integers."""
    odd = _floor(x) - 2.0 * _floor(0.5 * _floor(x))  # floor(x) mod 2, exact for any float
    return _where(x > 0, 1.0, 1.0 - 2.0 * odd)


def _stirling_tail(x):
    """gammaln(x) - ((x - 1/2) log x - x + log(2 pi) / 2) for x >= 100 (the next term is below 1e-17)."""
    r = 1.0 / x
    r2 = r * r
    return r * (1.0 / 12.0 - r2 * (1.0 / 360.0 - r2 * (1.0 / 1260.0)))


_BIG = 100.0


def betaln(a, b):
    """log |B(a, b)| = gammaln(a) + gammaln(b) - gammaln(a + b). When the larger argument is
    >= 100, gammaln(a + b) - gammaln(max) is formed from Stirling's series directly (no
    cancellation between two huge log-gammas, so betaln(1e6, 1) = -log(1e6) to full precision)."""
    a, b = _both(a, b)
    plain = gammaln(a) + gammaln(b) - gammaln(a + b)
    # The smaller and the larger by selection, not minimum / maximum: at a tie those split the
    # derivative in half, and the series' second derivatives would then mix its two arguments'.
    a_first = a <= b
    lo, hi = _where(a_first, a, b), _where(a_first, b, a)
    big = _and(hi >= _BIG, hi + lo >= _BIG)
    h = _where(big, hi, _BIG)  # the other branch's values, replaced where unused (finite gradients)
    lo_ = _where(big, lo, 1.0)
    rise = (h - 0.5) * _log1p(lo_ / h) + lo_ * _log(h + lo_) - lo_ + _stirling_tail(h + lo_) - _stirling_tail(h)
    return _where(big, gammaln(lo_) - rise, plain)


_GAMMA_RATIO_LIMIT = 170.0  # gamma overflows just above 171.6


def beta(a, b):
    """B(a, b) = gamma(a) gamma(b) / gamma(a + b): from the gamma functions directly while they are
    finite (gamma(a) (gamma(b) / gamma(a + b)), full relative accuracy), from the sign of the gamma
    functions and exp(betaln) beyond."""
    a, b = _both(a, b)
    small = _and(_and(abs(a) < _GAMMA_RATIO_LIMIT, abs(b) < _GAMMA_RATIO_LIMIT), abs(a + b) < _GAMMA_RATIO_LIMIT)
    a_s, b_s = _where(small, a, 1.0), _where(small, b, 1.0)
    direct = gamma(a_s) * (gamma(b_s) / gamma(a_s + b_s))
    a_l, b_l = _where(small, _BIG, a), _where(small, _BIG, b)
    sign = _gamma_sign(a_l) * _gamma_sign(b_l) * _gamma_sign(a_l + b_l)
    return _where(small, direct, sign * _exp(betaln(a_l, b_l)))


def xlogy(x, y):
    """x log(y), and 0 where x == 0 (unless y is nan), as SciPy. Where x == 0 and log(y) is not
    finite (y <= 0 or inf), y is replaced by 1 inside, so the derivatives there are finite:
    d/dx = log(y) (0 in those cases), d/dy = x / y = 0."""
    x, y = _both(x, y)
    bad = _and(x == 0, _or(y <= 0, y == _np.inf))
    return x * _log(_where(bad, 1.0, y))


def xlog1py(x, y):
    """x log1p(y), and 0 where x == 0 (unless y is nan), as SciPy; masked like xlogy."""
    x, y = _both(x, y)
    bad = _and(x == 0, _or(y <= -1, y == _np.inf))
    return x * _log1p(_where(bad, 0.0, y))


def multigammaln(a, d):
    """The log of the multivariate gamma function of dimension d: d (d - 1) / 4 log(pi) +
    sum_{j < d} gammaln(a - j / 2). As SciPy, every a must be > (d - 1) / 2 (ValueError)."""
    if isinstance(d, bool) or not isinstance(d, _numbers.Integral) and not (isinstance(d, float) and d.is_integer()):
        raise TypeError(f"multigammaln: d must be an integer, got {d!r}")
    d = int(d)
    if d < 1:
        raise ValueError(f"multigammaln: d must be a positive integer, got {d}")
    a = _asarray(a)
    if _np.any(every_example(a)[0] <= 0.5 * (d - 1)):  # a check of the values only
        raise ValueError(f"multigammaln: condition a > 0.5 * (d - 1) = {0.5 * (d - 1)} not met")
    out = gammaln(a)
    for j in range(1, d):
        out = out + gammaln(a - 0.5 * j)
    return out + 0.25 * d * (d - 1) * _math.log(_math.pi)


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False):
    """log(sum(b * exp(a))) over ``axis`` (None: every element), as ``scipy.special.logsumexp``.
    With ``b`` (broadcast against ``a``) the sum may be negative: then the result is nan unless
    ``return_sign=True``, which returns (log|sum|, sign). An all -inf slice gives -inf."""
    ops = _ops
    a = _asarray(a)
    if b is None:
        out = ops.logsumexp(a, axis=axis, keepdims=keepdims)
        # the sign of a sum of exponentials: 1, or 0 for an all -inf slice (zero derivative)
        return (out, ops.sign(_exp(out))) if return_sign else out
    b = _asarray(b)
    shape = _np.broadcast_shapes(a.shape, b.shape)
    a, b = ops.broadcast_to(a, shape), ops.broadcast_to(b, shape)
    # The shift m cancels exactly (d/dm = 0), so it is a constant; non-finite maxima shift by 0.
    m = ops.max(_where(b != 0, a, -_np.inf), axis=axis, keepdims=True).detach()
    m = _where(abs(m) < _np.inf, m, 0.0)
    s = ops.sum(b * _exp(a - m), axis=axis, keepdims=True)
    sign = ops.sign(s)
    out = _log(abs(s) if return_sign else s) + m
    if not keepdims:
        axes = tuple(range(a.ndim)) if axis is None else axis
        out, sign = ops.squeeze(out, axis=axes), ops.squeeze(sign, axis=axes)
    return (out, sign) if return_sign else out


def softmax(x, axis=None):
    """exp(x) / sum(exp(x)) over ``axis``; None (SciPy's default) normalises over every element."""
    x = _asarray(x)
    if isinstance(axis, _numbers.Integral) and not isinstance(axis, bool):
        return _core.softmax(x, int(axis))
    return _exp(log_softmax(x, axis))


def log_softmax(x, axis=None):
    """x - logsumexp(x) over ``axis``; None (SciPy's default) normalises over every element."""
    x = _asarray(x)
    if isinstance(axis, _numbers.Integral) and not isinstance(axis, bool):
        return _core.log_softmax(x, int(axis))
    return x - _ops.logsumexp(x, axis=axis, keepdims=True)
