"""Sorting, order statistics and NaN handling under NumPy's names. sort, argsort, partition,
searchsorted, isnan/isinf/isfinite and nan_to_num are ops (ops/sorting.cpp); the quantiles, the
median and the nan* reductions are composites here, so their derivatives of every order are those
of sort, take and where."""

import warnings as _warnings

import numpy as _np

from . import _core
from ._creation import asarray as _asarray
from ._vmap import every_example, per_example

isnan = _core.isnan
isinf = _core.isinf
isfinite = _core.isfinite

_SORT_KINDS = (None, "quicksort", "mergesort", "heapsort", "stable")


def _check_sort_args(fn, kind, order, stable=None, kinds=_SORT_KINDS):
    if kind not in kinds:
        raise ValueError(f"{fn}: kind must be one of {', '.join(repr(k) for k in kinds)}, got {kind!r}")
    if order is not None:
        raise ValueError(f"{fn}: order= sorts structured arrays by field; pyjac tensors have no fields")
    if stable is not None and kind is not None:
        raise ValueError(f"{fn}: `kind` and `stable` parameters can't be provided at the same time")
    if stable not in (None, True, False):
        raise ValueError(f"{fn}: stable must be True, False or None, got {stable!r}")


def sort(a, axis=-1, kind=None, order=None, *, stable=None):
    """NumPy's sort: a sorted copy along `axis` (None: flattened), stable, NaNs last. Every `kind`
    is the same stable sort. Differentiable: the gradient flows back through the permutation."""
    _check_sort_args("sort", kind, order, stable)
    return _core.sort(a, axis)


def argsort(a, axis=-1, kind=None, order=None, *, stable=None):
    """NumPy's argsort: int64 indices of a stable sort along `axis`, NaNs last (no derivative)."""
    _check_sort_args("argsort", kind, order, stable)
    return _core.argsort(a, axis)


def partition(a, kth, axis=-1, kind="introselect", order=None):
    """NumPy's partition. kth is checked as NumPy does; the result is fully sorted along `axis`, which
    is a valid partition for every kth (NumPy leaves the order inside the parts unspecified).
    Differentiable through the permutation, as sort."""
    _check_sort_args("partition", kind, order, kinds=("introselect",))
    return _core.partition(a, kth, axis)


def argpartition(a, kth, axis=-1, kind="introselect", order=None):
    """NumPy's argpartition; as partition, the indices of a full stable sort (no derivative)."""
    _check_sort_args("argpartition", kind, order, kinds=("introselect",))
    return _core.argpartition(a, kth, axis)


def searchsorted(a, v, side="left", sorter=None):
    """NumPy's searchsorted: int64 insertion points of v into the sorted 1-d a (no derivative)."""
    return _core.searchsorted(a, v, side, sorter)


def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """NumPy's nan_to_num, always out of place (copy=False does not write into x: a tensor's history
    can't be rewritten). Derivative 1 where x is finite, 0 where a value was replaced."""
    return _core.nan_to_num(x, nan, posinf, neginf)


def _no_out(fn, out):
    if out is not None:
        raise TypeError(f"{fn}: out= is not supported (pyjac ops return new tensors)")


def _float_operand(a):
    x = _asarray(a)
    return x if x.dtype in (_np.float32, _np.float64) else _core.astype(x, _np.float64)


def _axes_last(fn, x, axis):
    """x with the reduced axes moved last and merged into one, and the shapes of the result
    without and with keepdims."""
    nd = x.ndim
    if axis is None:
        axes = list(range(nd))
    else:
        raw = [axis] if not isinstance(axis, (tuple, list)) else list(axis)
        axes = []
        for ax in raw:
            if isinstance(ax, bool) or not isinstance(ax, (int, _np.integer)):
                raise TypeError(f"{fn}: axis must be an int, a tuple of ints or None, got {axis!r}")
            if not -nd <= ax < nd:
                raise ValueError(f"{fn}: axis {ax} is out of bounds for a tensor of dimension {nd}")
            axes.append(int(ax) % nd)
        if len(set(axes)) != len(axes):
            raise ValueError(f"{fn}: repeated axis in {axis!r}")
    keep = [d for d in range(nd) if d not in axes]
    shape = tuple(x.shape)
    n = 1
    for d in axes:
        n *= shape[d]
    rest = tuple(shape[d] for d in keep)
    kept = tuple(1 if d in axes else shape[d] for d in range(nd))
    flat = _core.reshape(_core.transpose(x, keep + sorted(axes)), rest + (n,))
    return flat, rest, kept


def _slice_has_nan(sorted_flat):
    # a slice's NaNs sort last: its last element says whether it has one
    return isnan(sorted_flat[..., -1])


def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """NumPy's median (axis an int, a tuple or None). Differentiable: the middle order statistic
    gets the gradient (half each to the two middle ones for an even count), and among tied
    values the one the stable sort puts at that position (the first occurrence). A slice with a
    NaN gives NaN, an empty slice NaN with a RuntimeWarning, as NumPy."""
    _no_out("median", out)
    x = _float_operand(a)
    flat, rest, kept = _axes_last("median", x, axis)
    n = flat.shape[-1]
    if n == 0:
        _warnings.warn("Mean of empty slice", RuntimeWarning, stacklevel=2)
        result = _core.mean(flat, -1)
    else:
        s = _core.sort(flat, -1)
        half = n // 2
        mid = s[..., half] if n % 2 else (s[..., half - 1] + s[..., half]) / 2
        result = _core.where(_slice_has_nan(s), _np.nan, mid)
    return _core.reshape(result, kept) if keepdims else result


# NumPy's quantile methods that interpolate between two order statistics: the virtual index of q
# among n sorted values (NumPy's _QuantileMethods). "lower", "higher", "nearest" and "midpoint"
# pick order statistics; the inverted-CDF methods are not provided.
def _virtual_index(alpha, beta):
    return lambda n, q: n * q + (alpha + q * (1 - alpha - beta)) - 1


_CONTINUOUS = {
    "linear": lambda n, q: (n - 1) * q,
    "interpolated_inverted_cdf": _virtual_index(0, 1),
    "hazen": _virtual_index(0.5, 0.5),
    "weibull": _virtual_index(0, 0),
    "median_unbiased": _virtual_index(1 / 3.0, 1 / 3.0),
    "normal_unbiased": _virtual_index(3 / 8.0, 3 / 8.0),
}
_QUANTILE_METHODS = tuple(_CONTINUOUS) + ("lower", "higher", "nearest", "midpoint")


def _lerp(lo, hi, t):
    # NumPy's _lerp: from the nearer end, so t = 1 gives hi exactly
    d = hi - lo
    return _core.where(t >= 0.5, hi - d * (1 - t), lo + d * t)


def _quantile(fn, a, q, axis, method, keepdims, percent):
    if method not in _QUANTILE_METHODS:
        raise ValueError(f"{fn}: {method!r} is not a valid method. Use one of: {', '.join(_QUANTILE_METHODS)}")
    x = _float_operand(a)
    weak = isinstance(q, (int, float, _np.integer, _np.floating)) and not isinstance(q, bool)
    qt = _asarray(q)
    if weak:
        qt = _core.astype(qt, x.dtype)
    else:
        qt = _float_operand(qt)
        dt = _np.promote_types(x.dtype, qt.dtype)
        x, qt = _core.astype(x, dt), _core.astype(qt, dt)
    if percent:
        qt = qt / 100
    qv = _np.asarray(qt.detach())
    if not _np.all((qv >= 0) & (qv <= 1)):
        raise ValueError(
            f"{fn}: "
            + ("Percentiles must be in the range [0, 100]" if percent else "Quantiles must be in the range [0, 1]")
        )
    flat, rest, kept = _axes_last(fn, x, axis)
    n = flat.shape[-1]
    if n == 0:
        raise IndexError(f"{fn}: cannot take a quantile of an empty slice (the reduced axes have size 0)")
    s = _core.sort(flat, -1)

    def at(idx):
        return _core.take(s, _core.from_object(_np.asarray(idx, dtype=_np.int64)), -1)

    if method in ("lower", "higher", "nearest"):
        r = {"lower": _np.floor, "higher": _np.ceil, "nearest": _np.around}[method]((n - 1) * qv)
        result = at(_np.clip(r, 0, n - 1))
    else:
        if method == "midpoint":
            vi_v = 0.5 * (_np.floor((n - 1) * qv) + _np.ceil((n - 1) * qv))
            gamma = _core.from_object(_np.where(vi_v % 1 == 0, 0.0, 0.5).astype(qv.dtype))
        else:
            vi = _CONTINUOUS[method](n, qt)  # differentiable in q
            vi_v = _np.asarray(vi.detach())
            gamma = vi - _core.floor(vi)  # floor is piecewise constant: d gamma / dq = d vi / dq
        # NumPy's _get_indexes: both neighbours clamped to the ends outside [0, n - 1]
        prev = _np.where(vi_v >= n - 1, n - 1, _np.where(vi_v < 0, 0, _np.floor(vi_v)))
        nxt = _np.where(vi_v >= n - 1, n - 1, _np.where(vi_v < 0, 0, _np.floor(vi_v) + 1))
        result = _lerp(at(prev), at(nxt), gamma)
    qnd = qv.ndim
    nan = _core.reshape(_slice_has_nan(s), rest + (1,) * qnd)
    result = _core.where(nan, _np.nan, result)
    # NumPy puts q's dims first
    result = _core.transpose(result, list(range(len(rest), len(rest) + qnd)) + list(range(len(rest))))
    return _core.reshape(result, qv.shape + kept) if keepdims else result


@per_example(over=("q",))  # q's values pick the order statistics
def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False):
    """NumPy's quantile (q a number or array in [0, 1]; q's dims come first in the result). Methods:
    'linear' (default), 'lower', 'higher', 'nearest', 'midpoint', and the other interpolating ones
    'hazen', 'weibull', 'median_unbiased', 'normal_unbiased', 'interpolated_inverted_cdf'.
    Differentiable in a (the weights of the interpolation go to the two order statistics, ties as
    median) and, for the interpolating methods, in q."""
    _no_out("quantile", out)
    return _quantile("quantile", a, q, axis, method, keepdims, False)


@per_example(over=("q",))  # q's values pick the order statistics
def percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False):
    """NumPy's percentile: quantile of q / 100 (q in [0, 100])."""
    _no_out("percentile", out)
    return _quantile("percentile", a, q, axis, method, keepdims, True)


def unique(ar, return_index=False, return_inverse=False, return_counts=False, axis=None, *, equal_nan=True):
    """NumPy's unique (axis None or an int). No derivative: the values are returned as a tensor
    that does not require grad, whatever `ar` does (the indices say where each came from:
    take(ar, index) is the differentiable way to the same values)."""
    x = _asarray(ar)
    res = _np.unique(
        _np.asarray(x.detach()),
        return_index=return_index,
        return_inverse=return_inverse,
        return_counts=return_counts,
        axis=axis,
        equal_nan=equal_nan,
    )
    if isinstance(res, tuple):
        return tuple(_core.from_object(_np.ascontiguousarray(r)) for r in res)
    return _core.from_object(_np.ascontiguousarray(res))


def _nan_reduction_operand(a):
    x = _asarray(a)
    return x, x.dtype in (_np.float32, _np.float64)


def nansum(a, axis=None, dtype=None, out=None, keepdims=False):
    """NumPy's nansum: NaNs count as 0 (and get gradient 0)."""
    _no_out("nansum", out)
    x, is_float = _nan_reduction_operand(a)
    if dtype is not None:
        x = _core.astype(x, dtype)
        is_float = x.dtype in (_np.float32, _np.float64)
    if is_float:
        x = _core.where(isnan(x), 0.0, x)
    return _core.sum(x, axis, keepdims)


def nanmean(a, axis=None, dtype=None, out=None, keepdims=False):
    """NumPy's nanmean: the mean of the non-NaN values (gradient 1/count to each, 0 to NaNs); an
    all-NaN slice gives NaN with a RuntimeWarning."""
    _no_out("nanmean", out)
    x, is_float = _nan_reduction_operand(a)
    if dtype is not None:
        x = _core.astype(x, dtype)
        is_float = x.dtype in (_np.float32, _np.float64)
    if not is_float:
        return _core.mean(x, axis, keepdims)
    nan = isnan(x)
    total = _core.sum(_core.where(nan, 0.0, x), axis, keepdims)
    count = _core.sum(_core.astype(_core.logical_not(nan), x.dtype), axis, keepdims)
    if _np.any(every_example(count)[0] == 0):
        _warnings.warn("Mean of empty slice", RuntimeWarning, stacklevel=2)
    return total / count


def _nan_extremum(fn, reduce, fill, a, axis, out, keepdims):
    _no_out(fn, out)
    x, is_float = _nan_reduction_operand(a)
    if not is_float:
        return reduce(x, axis, keepdims)
    nan = isnan(x)
    r = reduce(_core.where(nan, fill, x), axis, keepdims)
    all_nan = _core.all(nan, axis, keepdims=keepdims)
    if _np.any(every_example(all_nan)[0]):
        _warnings.warn("All-NaN slice encountered", RuntimeWarning, stacklevel=3)
    return _core.where(all_nan, _np.nan, r)


def nanmax(a, axis=None, out=None, keepdims=False):
    """NumPy's nanmax: the max ignoring NaNs (an all-NaN slice: NaN with a RuntimeWarning). The
    gradient goes to the max as pj.max's: split evenly among tied maxima; NaNs get 0."""
    return _nan_extremum("nanmax", _core.max, -_np.inf, a, axis, out, keepdims)


def nanmin(a, axis=None, out=None, keepdims=False):
    """NumPy's nanmin, as nanmax."""
    return _nan_extremum("nanmin", _core.min, _np.inf, a, axis, out, keepdims)


# NumPy's ndarray.sort sorts in place, which would rewrite a tensor's history: only argsort is a method.
_core.Tensor.argsort = lambda self, axis=-1, kind=None, order=None, *, stable=None: argsort(
    self, axis, kind, order, stable=stable
)

__all__ = [
    "sort",
    "argsort",
    "partition",
    "argpartition",
    "searchsorted",
    "median",
    "quantile",
    "percentile",
    "unique",
    "isnan",
    "isinf",
    "isfinite",
    "nan_to_num",
    "nansum",
    "nanmean",
    "nanmax",
    "nanmin",
]
