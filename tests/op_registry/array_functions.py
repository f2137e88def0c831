"""NumPy's everyday array functions: array, tensordot, diag, diagflat, the stack and split
functions, append, roll, rot90, flipud, fliplr, rollaxis, atleast_1d/2d/3d, meshgrid, diff,
gradient, interp, convolve, correlate, cross, average, ptp, select, einsum's sublist form and
one-argument where / nonzero.

Family "array_functions" (tests/test_ops_array_functions.py, where r_ and c_, which are not
callables, are tested too). The rearranging functions compute in float64, float32 and int64 and
are compared with NumPy exactly; the numerical ones in float64 and float32 (interp: float64, as
NumPy's interp always returns float64).
"""

import warnings

import numpy as np

import pyjac as pj

from .core import F32, F64, I64, NONE, OpCase, ints, normal, positive, uniform


def _quiet(fn):
    """fn with NumPy 2's DeprecationWarnings (row_stack, cross of 2-vectors) silenced: the warning
    itself is tested in the family file."""

    def quiet(*xs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return fn(*xs)

    return quiet


def _tuple(fn):
    return lambda *xs: tuple(fn(*xs))


def arranging(id, name, shapes, fn, ref, **kw):
    """Each output element is one input element or a constant: exact values in every dtype."""
    kw.setdefault("dtypes", (F64, F32, I64))
    kw.setdefault("sparsity", "selection")
    return OpCase(id, name, fn, tuple(shapes), ref=ref, family="array_functions", rtol=0, **kw)


def numerical(id, name, shapes, fn, ref, **kw):
    kw.setdefault("rtol", 1e-12)
    return OpCase(id, name, fn, tuple(shapes), ref=ref, family="array_functions", **kw)


def _sorted_points(lo, hi):
    """Distinct increasing points, at least 0.3 apart (coordinates for gradient and interp)."""

    def sample(rng, shape):
        steps = rng.uniform(0.3, 1.0, shape)
        return lo + np.cumsum(steps) * (hi - lo) / max(1.0, float(np.sum(steps)) + 0.3)

    sample.__name__ = f"sorted_points({lo}, {hi})"
    return sample


_XP = np.array([-1.0, 0.0, 0.5, 2.0, 3.0])
_MASK_A = np.array([[True, False, True], [False, False, True]])
_MASK_B = np.array([[True, True, False], [False, True, True]])
_COORDS = np.array([0.0, 0.4, 1.1, 1.5, 2.6])

ARRANGING = [
    arranging("array", "array", [(2, 3)], lambda x: pj.array(x), lambda x: np.array(x)),
    arranging("array-ndmin", "array", [(3,)], lambda x: pj.array(x, ndmin=3), lambda x: np.array(x, ndmin=3)),
    arranging("array-0d", "array", [()], lambda x: pj.array(x, copy=None), lambda x: np.array(x, copy=None)),
    arranging("diag", "diag", [(3,)], lambda x: pj.diag(x), lambda x: np.diag(x), torch=lambda t, x: t.diag(x)),
    arranging("diag-k", "diag", [(3,)], lambda x: pj.diag(x, 2), lambda x: np.diag(x, 2)),
    arranging("diag-neg-k", "diag", [(2,)], lambda x: pj.diag(x, k=-1), lambda x: np.diag(x, k=-1)),
    arranging("diag-2d", "diag", [(3, 4)], lambda x: pj.diag(x), lambda x: np.diag(x)),
    arranging(
        "diag-2d-k",
        "diag",
        [(3, 4)],
        lambda x: pj.diag(x, -1),
        lambda x: np.diag(x, -1),
        torch=lambda t, x: t.diag(x, -1),
    ),
    arranging("diag-empty", "diag", [(0,)], lambda x: pj.diag(x), lambda x: np.diag(x)),
    arranging(
        "diagflat",
        "diagflat",
        [(2, 2)],
        lambda x: pj.diagflat(x),
        lambda x: np.diagflat(x),
        torch=lambda t, x: t.diagflat(x),
    ),
    arranging("diagflat-k", "diagflat", [(3,)], lambda x: pj.diagflat(x, 1), lambda x: np.diagflat(x, 1)),
    arranging(
        "vstack",
        "vstack",
        [(3,), (3,)],
        lambda *xs: pj.vstack(xs),
        lambda *xs: np.vstack(xs),
        torch=lambda t, *xs: t.vstack(xs),
    ),
    arranging(
        "vstack-mixed", "vstack", [(2, 3), (3,), (1, 3)], lambda *xs: pj.vstack(list(xs)), lambda *xs: np.vstack(xs)
    ),
    arranging("vstack-0d", "vstack", [(), ()], lambda *xs: pj.vstack(xs), lambda *xs: np.vstack(xs)),
    arranging(
        "row_stack",
        "row_stack",
        [(2,), (2,)],
        _quiet(lambda *xs: pj.row_stack(xs)),
        _quiet(lambda *xs: np.row_stack(xs)),
    ),
    arranging(
        "hstack",
        "hstack",
        [(2,), (3,)],
        lambda *xs: pj.hstack(xs),
        lambda *xs: np.hstack(xs),
        torch=lambda t, *xs: t.hstack(xs),
    ),
    arranging("hstack-2d", "hstack", [(2, 1), (2, 3)], lambda *xs: pj.hstack(xs), lambda *xs: np.hstack(xs)),
    arranging("hstack-0d", "hstack", [(), (2,)], lambda *xs: pj.hstack(xs), lambda *xs: np.hstack(xs)),
    arranging(
        "dstack",
        "dstack",
        [(2,), (2,)],
        lambda *xs: pj.dstack(xs),
        lambda *xs: np.dstack(xs),
        torch=lambda t, *xs: t.dstack(xs),
    ),
    arranging("dstack-2d-3d", "dstack", [(2, 3), (2, 3, 2)], lambda *xs: pj.dstack(xs), lambda *xs: np.dstack(xs)),
    arranging(
        "column_stack", "column_stack", [(3,), (3, 2)], lambda *xs: pj.column_stack(xs), lambda *xs: np.column_stack(xs)
    ),
    arranging("vsplit", "vsplit", [(4, 2)], _tuple(lambda x: pj.vsplit(x, 2)), lambda x: np.vsplit(x, 2)),
    arranging("hsplit", "hsplit", [(2, 5)], _tuple(lambda x: pj.hsplit(x, [1, 3])), lambda x: np.hsplit(x, [1, 3])),
    arranging("hsplit-1d", "hsplit", [(6,)], _tuple(lambda x: pj.hsplit(x, 3)), lambda x: np.hsplit(x, 3)),
    arranging("dsplit", "dsplit", [(2, 1, 4)], _tuple(lambda x: pj.dsplit(x, 2)), lambda x: np.dsplit(x, 2)),
    arranging("append", "append", [(2, 2), (3,)], lambda a, v: pj.append(a, v), lambda a, v: np.append(a, v)),
    arranging(
        "append-axis", "append", [(2, 3), (1, 3)], lambda a, v: pj.append(a, v, axis=0), lambda a, v: np.append(a, v, 0)
    ),
    arranging(
        "roll", "roll", [(5,)], lambda x: pj.roll(x, 2), lambda x: np.roll(x, 2), torch=lambda t, x: t.roll(x, 2)
    ),
    arranging("roll-flat", "roll", [(2, 3)], lambda x: pj.roll(x, -4), lambda x: np.roll(x, -4)),
    arranging("roll-axis", "roll", [(3, 4)], lambda x: pj.roll(x, 5, axis=-1), lambda x: np.roll(x, 5, axis=-1)),
    arranging(
        "roll-tuples",
        "roll",
        [(3, 4)],
        lambda x: pj.roll(x, (1, -1), axis=(0, 1)),
        lambda x: np.roll(x, (1, -1), axis=(0, 1)),
    ),
    arranging(
        "roll-repeated-axis",
        "roll",
        [(2, 4)],
        lambda x: pj.roll(x, (1, 2), axis=(1, 1)),
        lambda x: np.roll(x, (1, 2), axis=(1, 1)),
    ),
    arranging("roll-empty", "roll", [(0, 3)], lambda x: pj.roll(x, 1, axis=0), lambda x: np.roll(x, 1, axis=0)),
    arranging("rot90", "rot90", [(2, 3)], lambda x: pj.rot90(x), lambda x: np.rot90(x), torch=lambda t, x: t.rot90(x)),
    arranging("rot90-2", "rot90", [(2, 3)], lambda x: pj.rot90(x, 2), lambda x: np.rot90(x, 2)),
    arranging("rot90-neg", "rot90", [(2, 3)], lambda x: pj.rot90(x, -1), lambda x: np.rot90(x, -1)),
    arranging(
        "rot90-axes",
        "rot90",
        [(2, 3, 4)],
        lambda x: pj.rot90(x, 3, axes=(2, 1)),
        lambda x: np.rot90(x, 3, axes=(2, 1)),
    ),
    arranging(
        "flipud", "flipud", [(3, 2)], lambda x: pj.flipud(x), lambda x: np.flipud(x), torch=lambda t, x: t.flipud(x)
    ),
    arranging(
        "fliplr", "fliplr", [(2, 3)], lambda x: pj.fliplr(x), lambda x: np.fliplr(x), torch=lambda t, x: t.fliplr(x)
    ),
    arranging("rollaxis", "rollaxis", [(2, 3, 4)], lambda x: pj.rollaxis(x, 2), lambda x: np.rollaxis(x, 2)),
    arranging(
        "rollaxis-start", "rollaxis", [(2, 3, 4)], lambda x: pj.rollaxis(x, 0, 2), lambda x: np.rollaxis(x, 0, 2)
    ),
    arranging("atleast_1d", "atleast_1d", [()], lambda x: pj.atleast_1d(x), lambda x: np.atleast_1d(x)),
    arranging(
        "atleast_2d",
        "atleast_2d",
        [(3,)],
        lambda x: pj.atleast_2d(x),
        lambda x: np.atleast_2d(x),
        torch=lambda t, x: t.atleast_2d(x),
    ),
    arranging("atleast_3d", "atleast_3d", [(2, 3)], lambda x: pj.atleast_3d(x), lambda x: np.atleast_3d(x)),
    arranging(
        "atleast_3d-several", "atleast_3d", [(), (2,)], lambda *xs: pj.atleast_3d(*xs), lambda *xs: np.atleast_3d(*xs)
    ),
    arranging("meshgrid", "meshgrid", [(3,), (2,)], lambda *xs: pj.meshgrid(*xs), lambda *xs: np.meshgrid(*xs)),
    arranging(
        "meshgrid-ij",
        "meshgrid",
        [(2,), (3,), (2,)],
        lambda *xs: pj.meshgrid(*xs, indexing="ij"),
        lambda *xs: np.meshgrid(*xs, indexing="ij"),
    ),
    arranging(
        "meshgrid-sparse",
        "meshgrid",
        [(3,), (2, 2)],
        lambda *xs: pj.meshgrid(*xs, sparse=True),
        lambda *xs: np.meshgrid(*xs, sparse=True),
    ),
]

NUMERICAL = [
    numerical(
        "tensordot",
        "tensordot",
        [(2, 3, 4), (3, 4, 2)],
        lambda a, b: pj.tensordot(a, b),
        lambda a, b: np.tensordot(a, b),
        torch=lambda t, a, b: t.tensordot(a, b, dims=2),
    ),
    numerical(
        "tensordot-1",
        "tensordot",
        [(2, 3), (3, 4)],
        lambda a, b: pj.tensordot(a, b, 1),
        lambda a, b: np.tensordot(a, b, 1),
    ),
    numerical(
        "tensordot-0", "tensordot", [(2,), (3,)], lambda a, b: pj.tensordot(a, b, 0), lambda a, b: np.tensordot(a, b, 0)
    ),
    numerical(
        "tensordot-pairs",
        "tensordot",
        [(3, 2, 4), (2, 3)],
        lambda a, b: pj.tensordot(a, b, axes=([1, 0], [0, -1])),
        lambda a, b: np.tensordot(a, b, axes=([1, 0], [0, -1])),
    ),
    numerical(
        "diff",
        "diff",
        [(5,)],
        lambda x: pj.diff(x),
        lambda x: np.diff(x),
        dtypes=(F64, F32, I64),
        torch=lambda t, x: t.diff(x),
    ),
    numerical(
        "diff-n-axis",
        "diff",
        [(4, 3)],
        lambda x: pj.diff(x, 2, axis=0),
        lambda x: np.diff(x, 2, axis=0),
        dtypes=(F64, F32, I64),
    ),
    numerical(
        "diff-prepend-append",
        "diff",
        [(2, 3), (2, 2)],
        lambda x, y: pj.diff(x, prepend=1.5, append=y),
        lambda x, y: np.diff(x, prepend=1.5, append=y),
        dtypes=(F64,),
    ),
    numerical(
        "gradient", "gradient", [(5,)], lambda f: pj.gradient(f), lambda f: np.gradient(f), dtypes=(F64, F32, I64)
    ),
    numerical(
        "gradient-2d",
        "gradient",
        [(3, 4)],
        lambda f: pj.gradient(f, 0.5),
        lambda f: np.gradient(f, 0.5),
    ),
    numerical(
        "gradient-spacings-edge2",
        "gradient",
        [(3, 4)],
        lambda f: pj.gradient(f, 2.0, _COORDS[:4], edge_order=2),
        lambda f: np.gradient(f, 2.0, _COORDS[:4], edge_order=2),
    ),
    numerical(
        "gradient-coords-axis",
        "gradient",
        [(2, 5)],
        lambda f: pj.gradient(f, _COORDS, axis=-1),
        lambda f: np.gradient(f, _COORDS, axis=-1),
    ),
    numerical(
        "gradient-coords-tensor",
        "gradient",
        [(5,), (5,)],
        lambda f, x: pj.gradient(f, x, edge_order=2),
        lambda f, x: np.gradient(f, x, edge_order=2),
        domain=(normal, _sorted_points(0.0, 3.0)),
        dtypes=(F64,),
        rtol=1e-10,
    ),
    numerical(
        "interp",
        "interp",
        [(6,), (5,)],
        lambda x, fp: pj.interp(x, _XP, fp),
        lambda x, fp: np.interp(x, _XP, fp),
        domain=(uniform(-2.0, 4.0), normal),
        dtypes=(F64,),
    ),
    numerical(
        "interp-left-right",
        "interp",
        [(6,), (5,), (), ()],
        lambda x, fp, lo, hi: pj.interp(x, _XP, fp, left=lo, right=hi),
        lambda x, fp, lo, hi: np.interp(x, _XP, fp, left=lo, right=hi),
        domain=(uniform(-2.0, 4.0), normal, normal, normal),
        dtypes=(F64,),
    ),
    numerical(
        "interp-xp",
        "interp",
        [(4,), (5,), (5,)],
        pj.interp,
        np.interp,
        domain=(uniform(0.1, 2.9), _sorted_points(0.0, 3.0), normal),
        dtypes=(F64,),
        rtol=1e-11,
    ),
    numerical(
        "interp-period",
        "interp",
        [(6,), (5,)],
        lambda x, fp: pj.interp(x, _XP, fp, period=4.5),
        lambda x, fp: np.interp(x, _XP, fp, period=4.5),
        domain=(uniform(-4.0, 4.0), normal),
        dtypes=(F64,),
    ),
    numerical("convolve", "convolve", [(5,), (3,)], pj.convolve, np.convolve),
    numerical(
        "convolve-same-swapped",
        "convolve",
        [(2,), (4,)],
        lambda a, v: pj.convolve(a, v, "same"),
        lambda a, v: np.convolve(a, v, "same"),
    ),
    numerical(
        "convolve-valid",
        "convolve",
        [(6,), (3,)],
        lambda a, v: pj.convolve(a, v, mode="valid"),
        lambda a, v: np.convolve(a, v, mode="valid"),
    ),
    numerical("correlate", "correlate", [(5,), (3,)], pj.correlate, np.correlate),
    numerical(
        "correlate-full-swapped",
        "correlate",
        [(3,), (5,)],
        lambda a, v: pj.correlate(a, v, "full"),
        lambda a, v: np.correlate(a, v, "full"),
    ),
    numerical(
        "correlate-same",
        "correlate",
        [(4,), (6,)],
        lambda a, v: pj.correlate(a, v, mode="same"),
        lambda a, v: np.correlate(a, v, mode="same"),
    ),
    numerical("cross", "cross", [(3,), (3,)], pj.cross, np.cross, torch=lambda t, a, b: t.linalg.cross(a, b)),
    numerical(
        "cross-broadcast",
        "cross",
        [(4, 3), (3,)],
        pj.cross,
        np.cross,
        torch=lambda t, a, b: t.linalg.cross(a, b.expand_as(a)),  # torch broadcasts only equal ndims
    ),
    numerical(
        "cross-axes",
        "cross",
        [(3, 2), (2, 3)],
        lambda a, b: pj.cross(a, b, axisa=0, axisb=1, axisc=0),
        lambda a, b: np.cross(a, b, axisa=0, axisb=1, axisc=0),
    ),
    numerical("cross-2d", "cross", [(2, 2), (2,)], _quiet(pj.cross), _quiet(np.cross)),
    numerical("cross-2d-3d", "cross", [(2,), (2, 3)], _quiet(pj.cross), _quiet(np.cross)),
    numerical("average", "average", [(3, 4)], lambda a: pj.average(a), lambda a: np.average(a)),
    numerical(
        "average-weights",
        "average",
        [(3, 4), (3, 4)],
        lambda a, w: pj.average(a, weights=w),
        lambda a, w: np.average(a, weights=w),
        domain=(normal, positive),
    ),
    numerical(
        "average-weights-axis",
        "average",
        [(3, 4), (4,)],
        lambda a, w: pj.average(a, axis=-1, weights=w, keepdims=True),
        lambda a, w: np.average(a, axis=-1, weights=w, keepdims=True),
        domain=(normal, positive),
    ),
    numerical(
        "average-weights-axes-returned",
        "average",
        [(2, 3, 4), (2, 4)],
        _tuple(lambda a, w: pj.average(a, axis=(2, 0), weights=pj.transpose(w), returned=True)),
        lambda a, w: np.average(a, axis=(2, 0), weights=w.T, returned=True),
        domain=(normal, positive),
    ),
    numerical(
        "average-returned",
        "average",
        [(3, 4)],
        _tuple(lambda a: pj.average(a, axis=0, returned=True)),
        lambda a: np.average(a, axis=0, returned=True),
    ),
    numerical("ptp", "ptp", [(3, 4)], lambda a: pj.ptp(a), lambda a: np.ptp(a), rtol=0),
    numerical(
        "ptp-axis",
        "ptp",
        [(3, 4)],
        lambda a: pj.ptp(a, axis=-1, keepdims=True),
        lambda a: np.ptp(a, axis=-1, keepdims=True),
        rtol=0,
    ),
    numerical(
        "select",
        "select",
        [(2, 3), (3,), (2, 3)],
        lambda x, y, d: pj.select([_MASK_A, _MASK_B], [x, y], d),
        lambda x, y, d: np.select([_MASK_A, _MASK_B], [x, y], d),
        rtol=0,
        sparsity="selection",
    ),
    numerical(
        "select-computed-conditions",
        "select",
        [(2, 3)],
        lambda x: pj.select([x > 0.5, x < -0.5], [x * 2.0, -x]),
        lambda x: np.select([x > 0.5, x < -0.5], [x * 2.0, -x]),
        domain=uniform(-2.0, 2.0),
        rtol=0,
    ),
    numerical(
        "einsum-sublist",
        "einsum",
        [(2, 3), (3, 4)],
        lambda a, b: pj.einsum(a, [0, 1], b, [1, 2], [0, 2]),
        lambda a, b: np.einsum(a, [0, 1], b, [1, 2], [0, 2]),
    ),
    numerical(
        "einsum-sublist-ellipsis",
        "einsum",
        [(2, 2, 3), (2, 3, 4)],
        lambda a, b: pj.einsum(a, [Ellipsis, 0, 1], b, [Ellipsis, 1, 2]),
        lambda a, b: np.einsum(a, [Ellipsis, 0, 1], b, [Ellipsis, 1, 2]),
    ),
]

INDICES = [
    OpCase(
        "where-one-argument",
        "where",
        lambda x: pj.where(x),
        ((3, 4),),
        domain=ints(-1, 2),
        ref=lambda x: np.where(x),
        derivative=NONE,
        family="array_functions",
        dtypes=(F64, F32, I64),
        rtol=0,
        vmap=False,  # the result's shape depends on the values: vmap raises (tests/test_vmap.py)
    ),
    OpCase(
        "nonzero",
        "nonzero",
        lambda x: pj.nonzero(x),
        ((2, 3, 2),),
        domain=ints(-1, 2),
        ref=lambda x: np.nonzero(x),
        derivative=NONE,
        forms={"Tensor.nonzero": lambda x: x.nonzero()},
        family="array_functions",
        dtypes=(F64, F32, I64),
        rtol=0,
        vmap=False,  # the result's shape depends on the values: vmap raises (tests/test_vmap.py)
    ),
]

CASES = ARRANGING + NUMERICAL + INDICES
