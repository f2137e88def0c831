"""NumPy's everyday array functions: array, tensordot, diag, diagflat, the stack and split
functions, append, roll, rot90, flipud, fliplr, rollaxis, atleast_1d/2d/3d, meshgrid, r_, c_,
diff, gradient, interp, convolve, correlate, cross, average, ptp, select, einsum's sublist form,
one-argument where and nonzero.

The functions come from the registry (tests/op_registry, family "array_functions"); each is also
checked at its registry inputs by tests/test_every_op.py and tests/test_forward_mode.py. Here:
values against NumPy over more shapes, axes, dtypes, empty and 0-d inputs; second derivatives
through f(x) * f(x); r_ and c_ (not callables, so not in the registry); copies and views; the
conventions (interp at a sample point, ties in ptp); NumPy's warnings; errors.
"""

import warnings

import numpy as np
import pytest
from op_registry import params, select

import pyjac as pj
import pyjac._numerical as numerical
from pyjac.testing import gradcheck, gradgradcheck


def _t(a, requires_grad=False):
    return pj.tensor(np.asarray(a), requires_grad=requires_grad)


def _outputs(out):
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def _same(got, want, rtol=1e-12):
    got, want = _outputs(got), _outputs(want)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        w = np.asarray(w)
        assert isinstance(g, pj.Tensor)
        assert tuple(g.shape) == w.shape and g.dtype == w.dtype, (g.shape, g.dtype, w.shape, w.dtype)
        if rtol == 0:
            np.testing.assert_array_equal(g.detach().numpy(), w)
        else:
            np.testing.assert_allclose(g.detach().numpy(), w, rtol=rtol, atol=rtol / 10)


CASES = select("array_functions")
# f(x) * f(x), so that second derivatives of the linear ones are not identically zero
SECOND_ORDER = [c for c in CASES if c.differentiable and 0 < sum(int(np.prod(s)) for s in c.shapes) <= 30]


@pytest.mark.parametrize("case", params(SECOND_ORDER))
def test_array_function_gradgradcheck_of_square(case):
    fn = case.single
    xs = [_t(a, True) for a in case.arrays()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assert gradgradcheck(lambda *xs: fn(*xs) * fn(*xs), xs)


_RNG = np.random.default_rng(7)
_A = _RNG.standard_normal((3, 4))
_B = _RNG.standard_normal((2, 3, 4))
_V = _RNG.standard_normal(5)
_C = _RNG.standard_normal((3, 4, 5))
_I = np.arange(12).reshape(3, 4)
_XP = np.array([-1.0, 0.0, 0.5, 2.0, 3.0])
_FP = np.array([1.0, -2.0, 3.0, 0.5, 4.0])
_X = np.array([-3.0, -1.0, -0.5, 0.0, 0.25, 0.5, 2.0, 3.0, 5.0, np.nan, np.inf, -np.inf])


# (id, call with the module as `m`: run with m=pj and m=np, results compared)
SWEEP = [
    ("tensordot-3d", lambda m: m.tensordot(_B, _B, axes=([0, 2], [0, 2]))),
    ("tensordot-int", lambda m: m.tensordot(_I, _I, axes=([0], [0]))),
    ("tensordot-empty-free", lambda m: m.tensordot(np.zeros((0, 3)), np.ones((3, 2)), 1)),
    ("tensordot-empty-sum", lambda m: m.tensordot(np.zeros((2, 0)), np.ones((0, 2)), 1)),
    ("tensordot-0d", lambda m: m.tensordot(np.float64(2.0), _V, 0)),
    ("diag-int-k", lambda m: m.diag(np.arange(3), -2)),
    ("diag-bool", lambda m: m.diag(np.array([True, False]))),
    ("diag-2d-k-past-end", lambda m: m.diag(_A, 7)),
    ("diagflat-2d", lambda m: m.diagflat(_I[:2, :2], -1)),
    ("vstack-int", lambda m: m.vstack([_I, np.arange(4)])),
    ("vstack-dtype", lambda m: m.vstack([_I, np.arange(4)], dtype=np.float64)),
    ("hstack-3d", lambda m: m.hstack([_B, _B[:, :1]])),
    ("hstack-dtype", lambda m: m.hstack([_I, _I], dtype=np.float64)),
    ("dstack-0d", lambda m: m.dstack([1.0, 2.0])),
    ("column_stack-0d", lambda m: m.column_stack([1.0, 2.0])),
    ("column_stack-empty", lambda m: m.column_stack([np.zeros(0), np.zeros(0)])),
    ("hsplit-3d", lambda m: m.hsplit(_B, 3)),
    ("vsplit-indices", lambda m: m.vsplit(_A, [1, 10])),
    ("dsplit-indices", lambda m: m.dsplit(_B, [1, 3])),
    ("append-0d", lambda m: m.append(1.0, [2, 3])),
    ("append-int-float", lambda m: m.append(_I, _A, axis=1)),
    ("append-empty", lambda m: m.append(np.zeros((0, 4)), _A, axis=0)),
    ("roll-0d", lambda m: m.roll(np.float64(3.0), 1)),
    ("roll-neg-axis-tuple", lambda m: m.roll(_B, (-7, 2), axis=(-1, 0))),
    ("roll-shift-array", lambda m: m.roll(_B, [1, 1, 1], axis=(0, 1, 2))),
    ("roll-broadcast-shift", lambda m: m.roll(_B, 1, axis=(1, 2))),
    ("rot90-3d", lambda m: m.rot90(_B, 1, (0, 2))),
    ("rot90-neg-axes", lambda m: m.rot90(_B, 5, (-1, -2))),
    ("rot90-k0", lambda m: m.rot90(_A, 4)),
    ("flipud-1d", lambda m: m.flipud(_V)),
    ("fliplr-3d", lambda m: m.fliplr(_B)),
    ("rollaxis-neg", lambda m: m.rollaxis(np.ones((2, 3, 4, 5)), -1, -3)),
    ("rollaxis-end", lambda m: m.rollaxis(np.ones((2, 3, 4, 5)), 1, 4)),
    ("rollaxis-same", lambda m: m.rollaxis(_B, 1, 1)),
    ("atleast_1d-several", lambda m: m.atleast_1d(1, [2, 3], _A)),
    ("atleast_2d-several", lambda m: m.atleast_2d(1.5, _V, _B)),
    ("atleast_3d-0d", lambda m: m.atleast_3d(2.0)),
    ("atleast_3d-4d", lambda m: m.atleast_3d(np.ones((1, 2, 1, 2)))),
    ("meshgrid-one", lambda m: m.meshgrid([1, 2, 3])),
    ("meshgrid-none", lambda m: m.meshgrid()),
    ("meshgrid-xy-3", lambda m: m.meshgrid([1, 2], [3.0, 4, 5], _V)),
    ("meshgrid-ij-sparse", lambda m: m.meshgrid(_V, _A, indexing="ij", sparse=True)),
    ("meshgrid-empty", lambda m: m.meshgrid(np.zeros(0), _V)),
    ("diff-bool", lambda m: m.diff(np.array([True, False, False, True]))),
    ("diff-int", lambda m: m.diff(_I, axis=0)),
    ("diff-empty", lambda m: m.diff(np.zeros((0, 3)), axis=0)),
    ("diff-n-too-large", lambda m: m.diff(np.arange(3.0), n=5)),
    ("diff-n0", lambda m: m.diff(_A, n=0)),
    ("diff-prepend-array", lambda m: m.diff(_A, axis=0, prepend=_A[:2], append=0)),
    ("gradient-3d-edge2", lambda m: m.gradient(_C, 1.0, 2.0, 3.0, edge_order=2)),
    ("gradient-axes", lambda m: m.gradient(_B, 2.0, axis=(0, -1))),
    ("gradient-uniform-coords", lambda m: m.gradient(_A, np.arange(4.0) * 0.5, axis=1)),
    ("gradient-int-coords", lambda m: m.gradient(_V, np.array([0, 1, 3, 4, 7]))),
    ("gradient-int", lambda m: m.gradient(np.array([1, 4, 9, 16]))),
    ("gradient-mixed-spacings", lambda m: m.gradient(_A, np.array([0.0, 1.0, 3.0]), 0.5)),
    ("gradient-length-2", lambda m: m.gradient(np.array([1.0, 3.0]))),
    ("interp", lambda m: m.interp(_X, _XP, _FP)),
    ("interp-left-right", lambda m: m.interp(_X, _XP, _FP, left=-9.0, right=9.0)),
    ("interp-one-point", lambda m: m.interp(_X, _XP[:1], _FP[:1])),
    ("interp-scalar", lambda m: m.interp(0.3, _XP, _FP)),
    ("interp-period", lambda m: m.interp(_X[:9] * 7, _XP, _FP, period=-4.5)),
    ("interp-int", lambda m: m.interp([1, 2], [0, 3], [0, 6])),
    ("interp-2d-x", lambda m: m.interp(_A, _XP, _FP)),
    ("interp-empty-x", lambda m: m.interp(np.zeros(0), _XP, _FP)),
    ("convolve-int", lambda m: m.convolve([1, 2, 3], [0, 1])),
    ("convolve-0d", lambda m: m.convolve(2.0, [0.0, 1.0])),
    ("correlate-one", lambda m: m.correlate([2.0], [3.0], "full")),
    ("cross-broadcast", lambda m: m.cross(_RNG.standard_normal((2, 1, 3)) * 0 + 1.5, _A[:, :3])),
    ("cross-axis", lambda m: m.cross(_A[:, :3], _A[:, 1:], axis=0)),
    ("cross-int", lambda m: m.cross([1, 2, 3], [4, 5, 6])),
    ("cross-axisc", lambda m: m.cross(_B[..., :3], _B[0, :, 1:], axisc=0)),
    ("average-int", lambda m: m.average(_I, axis=1)),
    ("average-returned", lambda m: m.average(_A, returned=True)),
    ("average-weights-int", lambda m: m.average(_I, axis=1, weights=[1, 2, 3, 4], returned=True)),
    ("average-float32", lambda m: m.average(_A.astype(np.float32), weights=np.ones((3, 4), np.float32))),
    ("average-float32-int-weights", lambda m: m.average(_A.astype(np.float32), axis=0, weights=[1, 2, 3])),
    ("average-keepdims-all", lambda m: m.average(_A, keepdims=True)),
    ("average-neg-axis", lambda m: m.average(_B, axis=-2, keepdims=True)),
    ("ptp-int", lambda m: m.ptp(_I, axis=0)),
    ("ptp-0d", lambda m: m.ptp(np.float64(2.0))),
    ("ptp-axes", lambda m: m.ptp(_B, axis=(0, 2), keepdims=True)),
    ("select-int", lambda m: m.select([np.array([True, False])], [np.array([1, 2])], 5)),
    (
        "select-broadcast",
        lambda m: m.select([np.array([True, False]), np.array([[False], [True]])], [1.5, np.arange(2)], -1),
    ),
    ("select-first-wins", lambda m: m.select([_A > 0, _A > -1], [_A, 2 * _A])),
    ("einsum-sublist-trace", lambda m: m.einsum(_A[:3, :3], [0, 0])),
    ("einsum-sublist-out-ellipsis", lambda m: m.einsum(_B, [Ellipsis, 1], [1, Ellipsis])),
    ("einsum-sublist-three", lambda m: m.einsum(_A, [0, 1], _A, [2, 1], _V[:3], [2], [0])),
    ("where-2d", lambda m: m.where(_A > 0.5)),
    ("where-three", lambda m: m.where(_A > 0, _A, -1.0)),
    ("nonzero-nan", lambda m: m.nonzero(np.array([0.0, np.nan, 1.0]))),
    ("nonzero-empty", lambda m: m.nonzero(np.zeros((0, 2)))),
    ("array-list", lambda m: m.array([[1, 2], [3, 4]], dtype=np.float32)),
    ("array-ndmin-0d", lambda m: m.array(np.float64(2), ndmin=2)),
    ("array-ndmin-less", lambda m: m.array(_B, ndmin=2)),
]


@pytest.mark.parametrize("call", [c for _, c in SWEEP], ids=[i for i, _ in SWEEP])
def test_values_against_numpy(call):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with np.errstate(all="ignore"):
            want = call(np)
        got = call(pj)
    _same(got, want)


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("n,m", [(1, 1), (1, 3), (4, 1), (7, 4), (4, 7), (6, 6)])
def test_convolve_and_correlate_all_lengths(mode, n, m, rng):
    a, v = rng.standard_normal(n), rng.standard_normal(m)
    _same(pj.convolve(a, v, mode), np.convolve(a, v, mode))
    _same(pj.correlate(a, v, mode), np.correlate(a, v, mode))


def test_convolve_in_blocks(monkeypatch, rng):
    # long signals are windowed in blocks: the same values and derivatives as one block
    a, v = _t(rng.standard_normal(9), True), _t(rng.standard_normal(4), True)
    want = pj.convolve(a, v, "full").detach().numpy()
    monkeypatch.setattr(numerical, "_WINDOW_ELEMENTS", 7)
    np.testing.assert_array_equal(pj.convolve(a, v, "full").detach().numpy(), want)
    assert gradcheck(lambda a, v: pj.correlate(a, v, "same"), (a, v))
    assert gradgradcheck(lambda a, v: pj.convolve(a, v) ** 2, (a, v))


# ---- r_ and c_ ------------------------------------------------------------------------------------
R_C = [
    ("r_-slices", lambda m: m.r_[1:4, 0:1:5j]),
    ("r_-scalars", lambda m: m.r_[1, 2.5, [3]]),
    ("r_-scalars-int", lambda m: m.r_[1, 2, np.arange(2)]),
    ("r_-numpy-scalar", lambda m: m.r_[np.float64(3.0), [1]]),
    ("r_-2d", lambda m: m.r_[_A, _A]),
    ("r_-single", lambda m: m.r_[_V]),
    ("r_-directive-axis", lambda m: m.r_["-1", _A, _A]),
    ("r_-directive-ndmin", lambda m: m.r_["0,2", [1, 2], [3, 4]]),
    ("r_-directive-trans1d", lambda m: m.r_["0,2,0", [1, 2], [3, 4]]),
    ("r_-directive-trans1d-1", lambda m: m.r_["1,2,0", [1, 2], [3, 4]]),
    ("r_-directive-3d", lambda m: m.r_["0,3,-2", [1, 2], [3, 4]]),
    ("c_", lambda m: m.c_[[1, 2], [3, 4]]),
    ("c_-2d", lambda m: m.c_[_A, _A[:, :1]]),
    ("c_-scalars", lambda m: m.c_[1, 2]),
    ("c_-slice", lambda m: m.c_[0:3, [4, 5, 6]]),
    ("c_-0d", lambda m: m.c_[np.array(1.0), np.array(2.0)]),
]


@pytest.mark.parametrize("call", [c for _, c in R_C], ids=[i for i, _ in R_C])
def test_index_tricks_against_numpy(call):
    _same(call(pj), call(np), rtol=0)


def test_index_tricks_keep_gradients(rng):
    x = _t(rng.standard_normal(3), True)
    out = pj.r_[x, 0:2, [5.0], 2 * x]
    assert out.requires_grad
    (g,) = pj.grad(pj.sum(out * _t(np.arange(9.0))), x)
    np.testing.assert_array_equal(g.numpy(), [0 + 2 * 6, 1 + 2 * 7, 2 + 2 * 8])
    assert gradcheck(lambda x: pj.c_[x, x * x], (x,))


def test_index_tricks_errors():
    with pytest.raises(ValueError, match="first entry"):
        pj.r_[[1], "0"]
    with pytest.raises(ValueError, match="matrix directive"):
        pj.r_["r", [1, 2]]
    with pytest.raises(ValueError, match="unknown special directive"):
        pj.r_["a,b", [1, 2]]
    with pytest.raises(ValueError, match="too many values"):
        pj.c_["0,1,2,3", [1]]


# ---- array, copies and views ------------------------------------------------------------------------
def test_array_copies_and_keeps_the_gradient_path(rng):
    x = _t(rng.standard_normal((2, 3)), True)
    y = pj.array(x)
    assert y.requires_grad and not np.shares_memory(np.asarray(y), np.asarray(x))
    (g,) = pj.grad(pj.sum(pj.array(x, ndmin=4) * 3.0), x)
    np.testing.assert_array_equal(g.numpy(), np.full((2, 3), 3.0))
    z = pj.array(x, dtype=np.float32)
    assert z.dtype == np.float32 and z.requires_grad
    (g,) = pj.grad(pj.sum(z), x)
    assert g.dtype == np.float64
    assert pj.array(x, copy=None) is x and pj.array(x, copy=False) is x


def test_array_copy_false_raises_where_a_copy_is_needed():
    with pytest.raises(ValueError, match="array: unable to avoid a copy"):
        pj.array([1.0, 2.0], copy=False)
    with pytest.raises(ValueError, match="unable to avoid a copy"):
        pj.array(pj.ones(2), dtype=np.float32, copy=False)
    with pytest.raises(ValueError, match="order"):
        pj.array([1.0], order="F")


def test_array_leaves_its_input_alone():
    x = pj.ones(3)
    y = pj.array(x)
    y[0] = 5.0
    np.testing.assert_array_equal(x.numpy(), np.ones(3))


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: pj.roll(x, 0),
        lambda x: pj.meshgrid(x)[0],
        lambda x: pj.diag(pj.diag(x)),
        lambda x: pj.append(x, []),
    ],
    ids=["roll", "meshgrid", "diag", "append"],
)
def test_copies_never_write_back(fn):
    x = pj.ones(3)
    out = fn(x)
    out[...] = 7.0
    np.testing.assert_array_equal(x.numpy(), np.ones(3))


def test_meshgrid_copy_false_gives_broadcast_views(rng):
    x, y = _t(rng.standard_normal(3), True), _t(rng.standard_normal(2), True)
    X, Y = pj.meshgrid(x, y, copy=False)
    assert X.shape == (2, 3) and Y.shape == (2, 3)
    gx, gy = pj.grad(pj.sum(X * Y), [x, y])
    np.testing.assert_allclose(gx.numpy(), np.full(3, y.detach().numpy().sum()), rtol=1e-14)
    np.testing.assert_allclose(gy.numpy(), np.full(2, x.detach().numpy().sum()), rtol=1e-14)


# ---- conventions -----------------------------------------------------------------------------------
def test_interp_derivatives():
    xp, fp = _t(_XP), _t(_FP, True)
    x = _t([0.25, -5.0, 7.0, 2.0, 3.0], True)
    out = pj.interp(x, xp, fp)
    gx, gfp = pj.grad(pj.sum(out), [x, fp])
    slopes = np.diff(_FP) / np.diff(_XP)
    # inside: the interval's slope; outside: 0 (constant fp[0] / fp[-1]); at a sample point the
    # right interval's slope, and at the last one the last interval's
    np.testing.assert_allclose(gx.numpy(), [slopes[1], 0, 0, slopes[3], slopes[3]], rtol=1e-14)
    # the weights on fp sum to 1 for each x
    assert gfp.numpy().sum() == pytest.approx(5.0)
    lo, hi = _t(-1.0, True), _t(9.0, True)
    glo, ghi = pj.grad(pj.sum(pj.interp(x, xp, fp, left=lo, right=hi)), [lo, hi])
    assert glo.item() == 1.0 and ghi.item() == 1.0


def test_interp_nan_and_inf_leak_no_nan_into_gradients():
    fp = _t(_FP, True)
    out = pj.interp(_t([np.nan, 0.25, np.inf, -np.inf]), _t(_XP), fp)
    assert np.isnan(out.detach().numpy()[0])
    (g,) = pj.grad(out[1], fp, retain_graph=True)
    np.testing.assert_array_equal(g.numpy(), [0, 0.5, 0.5, 0, 0])
    (g,) = pj.grad(out[2] + out[3], fp)
    np.testing.assert_array_equal(g.numpy(), [1, 0, 0, 0, 1])
    x = _t([np.inf, -np.inf, 1.0], True)
    (g,) = pj.grad(pj.sum(pj.interp(x, _t(_XP), fp)), x)
    np.testing.assert_allclose(g.numpy(), [0, 0, (0.5 - 3) / 1.5], rtol=1e-14)


def test_gradient_in_tensor_coordinates(rng):
    f = _t(rng.standard_normal(6), True)
    x = _t(np.cumsum(rng.uniform(0.3, 1.0, 6)), True)
    for edge_order in (1, 2):
        _same(
            pj.gradient(f, x, edge_order=edge_order),
            np.gradient(f.detach().numpy(), x.detach().numpy(), edge_order=edge_order),
            1e-12,
        )
        assert gradcheck(lambda f, x, e=edge_order: pj.gradient(f, x, edge_order=e), (f, x))
    h = _t(0.7, True)
    assert gradcheck(lambda f, h: pj.gradient(f, h, edge_order=2), (f, h))
    # uniform coordinates that require grad still differentiate in every coordinate
    u = _t(np.arange(6.0), True)
    (g,) = pj.grad(pj.sum(pj.gradient(f, u) * _t(rng.standard_normal(6))), u)
    assert g.shape == (6,)
    assert gradcheck(lambda u: pj.gradient(f, u), (u,))


def test_ptp_ties_share_the_gradient():
    x = _t([[1.0, 3.0, 3.0], [0.0, 0.0, 2.0]], True)
    (g,) = pj.grad(pj.ptp(x), x)
    np.testing.assert_array_equal(g.numpy(), [[0, 0.5, 0.5], [-0.5, -0.5, 0]])


def test_select_and_where_gradients(rng):
    x = _t(rng.standard_normal((2, 3)), True)
    d = _t(rng.standard_normal(3), True)
    cond = np.array([[True, False, False], [False, True, False]])
    gx, gd = pj.grad(pj.sum(pj.select([cond], [x], d)), [x, d])
    np.testing.assert_array_equal(gx.numpy(), cond.astype(float))
    np.testing.assert_array_equal(gd.numpy(), (~cond).sum(axis=0).astype(float))
    idx = pj.where(x > 0)
    assert isinstance(idx, tuple) and all(i.dtype == np.int64 and not i.requires_grad for i in idx)


def test_average_weights_gradient(rng):
    a = _t(rng.standard_normal((3, 4)), True)
    w = _t(rng.uniform(0.5, 2.0, 4), True)
    assert gradcheck(lambda a, w: pj.average(a, axis=1, weights=w), (a, w))
    avg, total = pj.average(a, axis=1, weights=w, returned=True)
    assert total.requires_grad and total.shape == (3,)


def test_deprecated_forms_warn_as_numpy():
    with pytest.warns(DeprecationWarning, match="row_stack"):
        pj.row_stack([[1.0], [2.0]])
    with pytest.warns(DeprecationWarning, match="2-dimensional vectors"):
        pj.cross([1.0, 2.0], [3.0, 4.0])


def test_nonzero_method():
    x = _t([[0.0, 1.5], [2.0, 0.0]])
    for got, want in zip(x.nonzero(), np.nonzero(x.numpy())):
        np.testing.assert_array_equal(got.numpy(), want)


# ---- errors -------------------------------------------------------------------------------------------
ERRORS = [
    (lambda: pj.tensordot(_A, _A, 1), ValueError, "tensordot: shape-mismatch"),
    (lambda: pj.tensordot(_A, _A, 3), ValueError, "tensordot: shape-mismatch"),
    (lambda: pj.tensordot(_A, _A, ([0], [0, 1])), ValueError, "tensordot: shape-mismatch"),
    (lambda: pj.tensordot(_A, _A, ([2], [0])), np.exceptions.AxisError, "tensordot"),
    (lambda: pj.diag(_B), ValueError, "diag: Input must be 1- or 2-d"),
    (lambda: pj.diag(2.0), ValueError, "diag: Input must be 1- or 2-d"),
    (lambda: pj.vstack(pj.ones(3)), TypeError, "vstack: arrays to stack must be passed as a sequence"),
    (lambda: pj.vstack([]), ValueError, "concatenate"),
    (lambda: pj.hstack([_A, _V]), ValueError, "concatenate"),
    (lambda: pj.vsplit(_V, 1), ValueError, "vsplit only works on arrays of 2 or more dimensions"),
    (lambda: pj.hsplit(np.float64(1.0), 1), ValueError, "hsplit only works on arrays of 1 or more"),
    (lambda: pj.dsplit(_A, 2), ValueError, "dsplit only works on arrays of 3 or more"),
    (lambda: pj.vsplit(_A, 2), ValueError, "split"),
    (lambda: pj.append(_A, _V, axis=0), ValueError, "concatenate"),
    (lambda: pj.roll(_A, 1, axis=2), np.exceptions.AxisError, "roll: axis 2 is out of bounds"),
    (lambda: pj.roll(_A, (1, 2, 3), axis=(0, 1)), ValueError, "roll: 'shift' and 'axis'"),
    (lambda: pj.roll(_A, 1.5, axis=0), TypeError, "roll: shift and axis must be integers"),
    (lambda: pj.rot90(_A, axes=(0,)), ValueError, "rot90: len\\(axes\\) must be 2"),
    (lambda: pj.rot90(_A, axes=(1, 1)), ValueError, "rot90: Axes must be different"),
    (lambda: pj.rot90(_A, axes=(0, 3)), ValueError, "out of range"),
    (lambda: pj.flipud(np.float64(1.0)), ValueError, "flipud: Input must be >= 1-d"),
    (lambda: pj.fliplr(_V), ValueError, "fliplr: Input must be >= 2-d"),
    (lambda: pj.rollaxis(_A, 2), np.exceptions.AxisError, "rollaxis"),
    (lambda: pj.rollaxis(_A, 0, 4), np.exceptions.AxisError, "rollaxis: 'start' arg requires -2 <= start < 3"),
    (lambda: pj.meshgrid(_V, indexing="xyz"), ValueError, "meshgrid: Valid values for `indexing`"),
    (lambda: pj.diff(np.float64(1.0)), ValueError, "diff requires input that is at least one dimensional"),
    (lambda: pj.diff(_V, n=-1), ValueError, "diff: order must be non-negative"),
    (lambda: pj.diff(_A, axis=2), np.exceptions.AxisError, "diff"),
    (lambda: pj.diff(_A, axis=0, prepend=_V), ValueError, "concatenate"),
    (lambda: pj.gradient(_A, 1.0, 2.0, 3.0), TypeError, "gradient: invalid number of arguments"),
    (lambda: pj.gradient(_V, edge_order=3), ValueError, "'edge_order' greater than 2"),
    (lambda: pj.gradient(_V, edge_order=0), ValueError, "'edge_order' must be 1 or 2"),
    (lambda: pj.gradient(np.ones(2), edge_order=2), ValueError, "Shape of array too small"),
    (lambda: pj.gradient(_V, np.arange(4.0)), ValueError, "distances must match the length"),
    (lambda: pj.gradient(_V, np.ones((5, 1))), ValueError, "distances must be either scalars or 1d"),
    (lambda: pj.gradient(_A, axis=(0, 0)), ValueError, "gradient: repeated axis"),
    (lambda: pj.interp(_X, _XP, _FP[:3]), ValueError, "interp: fp and xp are not of the same length"),
    (lambda: pj.interp(_X, [], []), ValueError, "interp: array of sample points is empty"),
    (lambda: pj.interp(_X, _A, _A), ValueError, "interp: xp and fp must be 1-d"),
    (lambda: pj.interp(_X, _XP, _FP, period=0), ValueError, "interp: period must be a non-zero value"),
    (lambda: pj.convolve([], []), ValueError, "convolve: a cannot be empty"),
    (lambda: pj.convolve([1.0], []), ValueError, "convolve: v cannot be empty"),
    (lambda: pj.correlate([1.0], []), ValueError, "correlate: v cannot be empty"),
    (lambda: pj.correlate([], [1.0]), ValueError, "correlate: a cannot be empty"),
    (lambda: pj.convolve([], [1.0]), ValueError, "convolve: a cannot be empty"),
    (lambda: pj.convolve(_A, _V), ValueError, "convolve: object too deep"),
    (lambda: pj.convolve(_V, _V, mode="middle"), ValueError, "convolve: mode must be one of"),
    (lambda: pj.cross(_V, _V), ValueError, "cross: incompatible dimensions for cross product"),
    (lambda: pj.cross(np.float64(1.0), _V[:3]), ValueError, "cross: At least one array has zero dimension"),
    (lambda: pj.cross(np.ones((2, 3)), np.ones((4, 3))), ValueError, "cross: shape mismatch"),
    (lambda: pj.cross(_V[:3], _V[:3], axisc=1), np.exceptions.AxisError, "cross: axisc"),
    (lambda: pj.average(_A, weights=_V), TypeError, "average: Axis must be specified"),
    (lambda: pj.average(_A, axis=1, weights=_V), ValueError, "average: Shape of weights must be consistent"),
    (lambda: pj.average(_A, axis=1, weights=[1.0, -1.0, 0.0, 0.0]), ZeroDivisionError, "Weights sum to zero"),
    (lambda: pj.ptp(np.zeros(0)), ValueError, "ptp: .*zero-size"),
    (lambda: pj.interp(_X, _XP, _FP, period=_t(2.0, True)), TypeError, "interp: period must be a number, not a tensor"),
    (lambda: pj.select([_A > 0], []), ValueError, "select: list of cases must be same length"),
    (lambda: pj.select([], []), ValueError, "select with an empty condition list"),
    (lambda: pj.select([_A], [_A]), TypeError, "select: invalid entry 0 in condlist"),
    (lambda: pj.select([_A > 0], [_V]), ValueError, "select: shape mismatch"),
    (lambda: pj.einsum(_A, [0, 1], _A), ValueError, "einsum"),
    (lambda: pj.einsum(_A, [0, "i"]), ValueError, "einsum: subscript 'i'"),
    (lambda: pj.einsum(_A, [0, 52]), ValueError, "einsum: subscript 52"),
    (lambda: pj.einsum("ij", _A, out=None), TypeError, "einsum: unsupported keyword arguments"),
    (lambda: pj.where(_A > 0, _A), ValueError, "where: either both or neither of x and y"),
    (lambda: pj.where(np.True_), ValueError, "nonzero: calling nonzero on 0d arrays is not allowed"),
    (lambda: pj.nonzero(np.float64(1.0)), ValueError, "nonzero: calling nonzero on 0d arrays"),
    (lambda: pj.array([1.0], ndmin=65), ValueError, "array: ndmin"),
]


@pytest.mark.parametrize("call,exc,match", ERRORS, ids=[f"error-{i}" for i in range(len(ERRORS))])
def test_errors(call, exc, match):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(exc, match=match):
            call()
