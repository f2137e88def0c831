"""Sorting, order statistics and NaN handling: sort argsort partition argpartition searchsorted
median quantile percentile unique isnan isinf isfinite nan_to_num nansum nanmean nanmax nanmin.

Family "sorting" (tests/test_ops_sorting.py). Sorts differentiate through the permutation, so at
distinct values every derivative is smooth; at ties (and at NaNs) only the AD modes are compared
with each other (fd=False), the convention itself is pinned in the family file.
"""

import numpy as np

import pyjac as pj

from .core import F32, F64, I64, NONE, OpCase, ints, uniform


def case(id, fn, shapes, ref, name=None, **kw):
    """`shapes`: one input's shape (or fixed array), or a tuple of them for several inputs."""
    kw.setdefault("family", "sorting")
    if isinstance(shapes, np.ndarray) or all(isinstance(d, int) for d in shapes):
        shapes = (shapes,)
    return OpCase(id, name or id.split("-")[0], fn, shapes, ref=ref, **kw)


def no_gradient(id, fn, shapes, ref, **kw):
    kw.setdefault("dtypes", (F64, F32, I64))
    return case(id, fn, shapes, ref, derivative=NONE, **kw)


_TIES = np.array([[1.0, 3.0, 3.0, 2.0, 3.0], [-1.0, 0.5, -1.0, 0.5, 2.0]])
_NANS = np.array([[0.3, np.nan, -1.2, 2.0], [np.nan, 1.1, 0.4, -0.5], [0.7, -0.2, np.nan, np.nan]])
_NAN_TIES = np.array([[0.3, np.nan, 2.0, 2.0], [np.nan, 1.1, 0.4, 1.1]])
_NONFINITE = np.array([[0.3, np.nan, -1.2, np.inf], [-np.inf, 1.1, 0.4, -0.5]])


def _np_searchsorted(a, v, side="left"):
    return np.searchsorted(np.sort(a), v, side)


SORTS = [
    case("sort", lambda x: pj.sort(x), (3, 5), np.sort, torch=lambda t, x: t.sort(x, -1).values, sparsity="selection"),
    case("sort-axis0", lambda x: pj.sort(x, axis=0), (4, 3), lambda a: np.sort(a, axis=0)),
    case("sort-flat", lambda x: pj.sort(x, axis=None), (2, 3), lambda a: np.sort(a, axis=None), sparsity="selection"),
    case("sort-3d", lambda x: pj.sort(x, 1), (2, 4, 3), lambda a: np.sort(a, 1)),
    # ties: the stable order gives each tied position's gradient to one element
    case("sort-ties", lambda x: pj.sort(x), _TIES, np.sort, fd=False, sparsity="selection"),
    no_gradient(
        "argsort",
        lambda x: pj.argsort(x),
        (3, 5),
        lambda a: np.argsort(a, kind="stable"),
        domain=ints(-2, 3),
        forms={"Tensor.argsort": lambda x: x.argsort()},
    ),
    no_gradient(
        "argsort-axis0",
        lambda x: pj.argsort(x, 0),
        (4, 3),
        lambda a: np.argsort(a, 0, kind="stable"),
        domain=ints(-2, 3),
    ),
    no_gradient("argsort-flat", lambda x: pj.argsort(x, None), (2, 3), lambda a: np.argsort(a, None, kind="stable")),
    # NumPy leaves the order inside the parts unspecified; pyjac's is fully sorted
    case("partition", lambda x: pj.partition(x, 2), (3, 5), np.sort, sparsity="selection"),
    case("partition-axis0-kths", lambda x: pj.partition(x, [0, 2], axis=0), (4, 3), lambda a: np.sort(a, axis=0)),
    no_gradient(
        "argpartition",
        lambda x: pj.argpartition(x, 1),
        (3, 5),
        lambda a: np.argsort(a, kind="stable"),
        domain=ints(-2, 3),
    ),
    no_gradient("searchsorted", lambda a, v: pj.searchsorted(pj.sort(a), v), ((6,), (2, 3)), _np_searchsorted),
    no_gradient(
        "searchsorted-right",
        lambda a, v: pj.searchsorted(pj.sort(a), v, side="right"),
        ((6,), (4,)),
        lambda a, v: _np_searchsorted(a, v, "right"),
        domain=ints(-2, 3),
    ),
]

ORDER_STATISTICS = [
    case("median", lambda x: pj.median(x), (3, 5), np.median),
    case("median-even-axis", lambda x: pj.median(x, axis=1), (3, 4), lambda a: np.median(a, axis=1)),
    case(
        "median-axes-keepdims",
        lambda x: pj.median(x, axis=(0, 2), keepdims=True),
        (2, 3, 3),
        lambda a: np.median(a, axis=(0, 2), keepdims=True),
    ),
    case("median-ties", lambda x: pj.median(x, axis=-1), _TIES, lambda a: np.median(a, axis=-1), fd=False),
    case("median-int", lambda x: pj.median(x, axis=0), (4, 3), lambda a: np.median(a, axis=0), dtypes=(F64, F32, I64)),
    case("quantile", lambda x: pj.quantile(x, 0.3), (3, 5), lambda a: np.quantile(a, 0.3)),
    case(
        "quantile-axis-q-array",
        lambda x: pj.quantile(x, np.array([0.1, 0.5, 0.85]), axis=1),
        (3, 5),
        lambda a: np.quantile(a, np.array([0.1, 0.5, 0.85]), axis=1),
        dtypes=(F64,),  # a float64 q array makes the result float64, as NumPy
    ),
    case(
        "quantile-keepdims",
        lambda x: pj.quantile(x, 0.7, axis=0, keepdims=True),
        (4, 3),
        lambda a: np.quantile(a, 0.7, axis=0, keepdims=True),
    ),
    # differentiable in q too: vi = 4 q stays between 1.2 and 1.8 (away from the kinks at integers)
    case(
        "quantile-q-tensor",
        lambda x, q: pj.quantile(x, q, axis=-1),
        ((3, 5), (2,)),
        lambda a, q: np.quantile(a, q, axis=-1),
        domain=(lambda rng, s: rng.standard_normal(s), uniform(0.3, 0.45)),
        torch=lambda t, x, q: t.quantile(x, q, dim=-1),
    ),
    case(
        "percentile-q-tensor",
        lambda x, q: pj.percentile(x, q),
        ((5,), ()),
        lambda a, q: np.percentile(a, q),
        domain=(lambda rng, s: rng.standard_normal(s), uniform(30.0, 45.0)),
    ),
    case("percentile", lambda x: pj.percentile(x, 40, axis=1), (3, 5), lambda a: np.percentile(a, 40, axis=1)),
]
for _m in ("lower", "higher", "nearest", "midpoint", "hazen", "median_unbiased"):
    ORDER_STATISTICS.append(
        case(
            f"quantile-{_m}",
            (lambda m: lambda x: pj.quantile(x, 0.55, axis=1, method=m))(_m),
            (3, 6),
            (lambda m: lambda a: np.quantile(a, 0.55, axis=1, method=m))(_m),
        )
    )

NAN_HANDLING = [
    no_gradient("isnan", lambda x: pj.isnan(x), _NONFINITE, np.isnan, dtypes=(F64, F32)),
    no_gradient("isinf", lambda x: pj.isinf(x), _NONFINITE, np.isinf, dtypes=(F64, F32)),
    no_gradient("isfinite", lambda x: pj.isfinite(x), _NONFINITE, np.isfinite, dtypes=(F64, F32)),
    no_gradient("isnan-ints", lambda x: pj.isnan(x), (2, 3), np.isnan, name="isnan", dtypes=(I64,)),
    no_gradient(
        "unique",
        lambda x: pj.unique(x, return_index=True, return_inverse=True, return_counts=True),
        (3, 4),
        lambda a: np.unique(a, return_index=True, return_inverse=True, return_counts=True),
        domain=ints(-2, 3),
        vmap=False,  # the output's size depends on the values
    ),
    no_gradient(
        "unique-axis0",
        lambda x: pj.unique(x, axis=0),
        np.array([[1.0, 2], [0, 1], [1, 2]]),
        lambda a: np.unique(a, axis=0),
        vmap=False,
    ),
    case("nan_to_num", lambda x: pj.nan_to_num(x), _NONFINITE, np.nan_to_num, sparsity="elementwise"),
    case(
        "nan_to_num-values",
        lambda x: pj.nan_to_num(x, nan=-1.0, posinf=9.0, neginf=-9.0),
        _NONFINITE,
        lambda a: np.nan_to_num(a, nan=-1.0, posinf=9.0, neginf=-9.0),
    ),
    case("nan_to_num-finite", lambda x: pj.nan_to_num(x), (3, 4), np.nan_to_num),
    case("nansum", lambda x: pj.nansum(x), _NANS, np.nansum, torch=lambda t, x: t.nansum(x)),
    case(
        "nansum-axis",
        lambda x: pj.nansum(x, axis=1, keepdims=True),
        _NANS,
        lambda a: np.nansum(a, axis=1, keepdims=True),
    ),
    case("nanmean", lambda x: pj.nanmean(x, axis=0), _NANS[:2], lambda a: np.nanmean(a, axis=0)),
    case("nanmean-all", lambda x: pj.nanmean(x), _NANS, np.nanmean),
    case("nanmax", lambda x: pj.nanmax(x, axis=1), _NANS, lambda a: np.nanmax(a, axis=1)),
    case("nanmax-all", lambda x: pj.nanmax(x), _NANS, np.nanmax),
    case(
        "nanmin",
        lambda x: pj.nanmin(x, axis=0, keepdims=True),
        _NANS[:2],
        lambda a: np.nanmin(a, axis=0, keepdims=True),
    ),
    # ties split the gradient evenly, as pj.max
    case("nanmax-ties", lambda x: pj.nanmax(x, axis=1), _NAN_TIES, lambda a: np.nanmax(a, axis=1), hess_fd=False),
    case("nanmin-random", lambda x: pj.nanmin(x, 1), (3, 4), lambda a: np.nanmin(a, 1)),
]

CASES = SORTS + ORDER_STATISTICS + NAN_HANDLING
