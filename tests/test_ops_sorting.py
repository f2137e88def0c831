"""Sorting, order statistics and NaN handling: sort, argsort, partition, argpartition,
searchsorted, median, quantile, percentile, unique, isnan / isinf / isfinite, nan_to_num, nansum,
nanmean, nanmax, nanmin.

The ops come from the registry (tests/op_registry/sorting.py, family "sorting"); each is checked
at its registry inputs by tests/test_every_op.py and tests/test_forward_mode.py. Here: values
against NumPy over shapes, axes and dtypes, NaN placement, the stable order, which element gets
the gradient at ties, empty and 0-d inputs, q's range and derivative, and errors.
"""

import warnings

import numpy as np
import pytest

import pyjac as pj
from pyjac.testing import gradcheck, gradgradcheck


def _t(a, requires_grad=False):
    return pj.tensor(np.asarray(a), requires_grad=requires_grad)


def _grad(f, a):
    x = _t(a, requires_grad=True)
    (g,) = pj.grad(f(x), [x])
    return g.numpy()


SHAPE_AXES = [((5,), -1), ((5,), 0), ((5,), None), ((3, 4), 0), ((3, 4), 1), ((3, 4), None), ((2, 3, 4), 1)]
SHAPE_AXES += [((2, 3, 4), -3), ((1, 3, 1), 0), ((0,), -1), ((2, 0), 1), ((0, 3), 0), ((0, 3), None)]


# ---- sort, argsort, partition ----------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
@pytest.mark.parametrize("shape,axis", SHAPE_AXES)
def test_sort_and_argsort_match_numpy(shape, axis, dtype):
    a = np.random.default_rng(0).integers(-3, 4, shape).astype(dtype)  # many ties: the order must be stable
    s = pj.sort(_t(a), axis=axis)
    assert s.dtype == dtype
    np.testing.assert_array_equal(s.numpy(), np.sort(a, axis=axis))
    np.testing.assert_array_equal(pj.argsort(_t(a), axis=axis).numpy(), np.argsort(a, axis=axis, kind="stable"))
    np.testing.assert_array_equal(_t(a).argsort(axis=axis).numpy(), np.argsort(a, axis=axis, kind="stable"))


def test_nans_sort_last_and_infinities_in_place():
    a = np.array([3.0, np.nan, 1.0, -np.inf, np.nan, np.inf, -0.0, 0.0])
    np.testing.assert_array_equal(pj.sort(_t(a)).numpy(), np.sort(a))
    np.testing.assert_array_equal(pj.argsort(_t(a)).numpy(), np.argsort(a, kind="stable"))
    np.testing.assert_array_equal(pj.argsort(_t(a)).numpy(), [3, 6, 7, 2, 0, 5, 1, 4])


def test_large_sorts_along_either_axis():
    # big enough for the lanes to be split between threads
    a = np.random.default_rng(1).standard_normal((600, 500))
    for axis in (0, 1):
        np.testing.assert_array_equal(pj.sort(_t(a), axis).numpy(), np.sort(a, axis))
        np.testing.assert_array_equal(pj.argsort(_t(a), axis).numpy(), np.argsort(a, axis, kind="stable"))


def test_sort_of_a_strided_view():
    a = np.random.default_rng(2).standard_normal((4, 6))
    x = _t(a)[:, ::2].T
    np.testing.assert_array_equal(pj.sort(x, 0).numpy(), np.sort(a[:, ::2].T, 0))


def test_sort_gradient_follows_the_permutation_and_ties_go_by_stable_order():
    a = np.array([2.0, 1.0, 2.0, 0.5])
    w = np.array([10.0, 20.0, 30.0, 40.0])  # cotangent of the sorted output [0.5, 1, 2, 2]
    x = _t(a, requires_grad=True)
    (g,) = pj.grad(pj.sort(x), [x], grad_outputs=_t(w))
    # the first 2.0 (index 0) takes the first tied position
    np.testing.assert_array_equal(g.numpy(), [30.0, 20.0, 40.0, 10.0])


def test_sort_second_derivatives_and_forward_mode():
    a = np.random.default_rng(3).standard_normal((3, 4))
    assert gradcheck(lambda x: pj.sort(x, 0) ** 2, (_t(a, True),))
    assert gradgradcheck(lambda x: pj.sort(x, None) ** 3, (_t(a, True),))
    _, t = pj.jvp(lambda x: pj.sort(x, 1), (_t(a),), (_t(np.arange(12.0).reshape(3, 4)),))
    np.testing.assert_array_equal(t.numpy(), np.take_along_axis(np.arange(12.0).reshape(3, 4), np.argsort(a, 1), 1))


def test_zero_d_input():
    x = _t(2.5)
    with pytest.raises(ValueError, match="sort: axis -1 is out of bounds"):
        pj.sort(x)
    assert pj.sort(x, axis=None).shape == (1,)
    np.testing.assert_array_equal(pj.argsort(x).numpy(), np.argsort(np.array(2.5)))
    np.testing.assert_array_equal(pj.argsort(x, None).numpy(), [0])
    assert pj.median(x).shape == () and float(pj.median(x)) == 2.5
    assert float(pj.quantile(x, 0.3)) == 2.5
    np.testing.assert_array_equal(_grad(pj.median, 2.5), 1.0)


@pytest.mark.parametrize("kth", [0, 3, -1, [0, 2], (1, -2)])
def test_partition_is_a_valid_partition(kth):
    a = np.random.default_rng(4).standard_normal((3, 5))
    p = pj.partition(_t(a), kth).numpy()
    ks = np.atleast_1d(kth)
    expected = np.partition(a, kth)
    np.testing.assert_array_equal(p[:, ks], expected[:, ks])
    for k in ks:
        assert np.all(p[:, :k] <= p[:, [k]]) and np.all(p[:, k:] >= p[:, [k]])
    idx = pj.argpartition(_t(a), kth).numpy()
    np.testing.assert_array_equal(np.take_along_axis(a, idx, -1)[:, ks], expected[:, ks])


def test_sort_argument_errors():
    x = _t([3.0, 1.0, 2.0])
    with pytest.raises(ValueError, match=r"partition: kth\(=3\) out of bounds \(3\)"):
        pj.partition(x, 3)
    with pytest.raises(ValueError, match=r"argpartition: kth\(=-4\) out of bounds"):
        pj.argpartition(x, [0, -4])
    with pytest.raises(ValueError, match="sort: kind must be one of"):
        pj.sort(x, kind="bogus")
    with pytest.raises(ValueError, match="structured"):
        pj.argsort(x, order="f0")
    with pytest.raises(ValueError, match="can't be provided at the same time"):
        pj.sort(x, kind="stable", stable=True)
    with pytest.raises(ValueError, match="argsort: axis 1 is out of bounds"):
        pj.argsort(x, 1)
    with pytest.raises(TypeError, match="sort: axis must be an int or None"):
        pj.sort(x, axis=1.0)
    for kind in ("quicksort", "mergesort", "heapsort", "stable"):
        np.testing.assert_array_equal(pj.sort(x, kind=kind).numpy(), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(pj.sort(x, stable=True).numpy(), [1.0, 2.0, 3.0])


def test_no_in_place_sort_method():
    # ndarray.sort sorts in place, which does not fit a tensor's recorded history
    assert not hasattr(pj.Tensor, "sort")


# ---- searchsorted ------------------------------------------------------------------------------------
@pytest.mark.parametrize("side", ["left", "right"])
def test_searchsorted_matches_numpy(side):
    rng = np.random.default_rng(5)
    a = np.sort(rng.integers(-3, 4, 9).astype(float))
    v = np.array([[-4.0, -3.0, 0.0], [0.5, 3.0, 9.0]])
    np.testing.assert_array_equal(pj.searchsorted(_t(a), _t(v), side=side).numpy(), np.searchsorted(a, v, side))
    assert pj.searchsorted(_t(a), 0.5, side).shape == ()
    assert int(pj.searchsorted(_t(a), 0.5, side)) == np.searchsorted(a, 0.5, side)
    # integers against floats compare in the common dtype
    ai = a.astype(np.int64)
    np.testing.assert_array_equal(pj.searchsorted(_t(ai), _t(v), side).numpy(), np.searchsorted(ai, v, side))
    # sorter
    u = rng.permutation(a)
    s = np.argsort(u, kind="stable")
    np.testing.assert_array_equal(
        pj.searchsorted(_t(u), _t(v), side, sorter=_t(s)).numpy(), np.searchsorted(u, v, side, sorter=s)
    )


def test_searchsorted_with_nans_and_empty():
    a = np.array([1.0, 2.0, np.nan, np.nan])
    v = np.array([np.nan, 2.0, np.inf])
    for side in ("left", "right"):
        np.testing.assert_array_equal(pj.searchsorted(_t(a), _t(v), side).numpy(), np.searchsorted(a, v, side))
    np.testing.assert_array_equal(pj.searchsorted(_t(np.zeros(0)), _t(v)).numpy(), [0, 0, 0])
    assert pj.searchsorted(_t(a), _t(np.zeros((2, 0)))).shape == (2, 0)


def test_searchsorted_errors():
    with pytest.raises(ValueError, match="searchsorted: a must be 1-d"):
        pj.searchsorted(_t(np.zeros((2, 2))), 1.0)
    with pytest.raises(ValueError, match="side must be 'left' or 'right'"):
        pj.searchsorted(_t([1.0, 2.0]), 1.0, side="middle")
    with pytest.raises(ValueError, match="sorter index 5 out of range"):
        pj.searchsorted(_t([1.0, 2.0]), 1.0, sorter=_t([0, 5]))
    with pytest.raises(ValueError, match="sorter must be a 1-d integer tensor"):
        pj.searchsorted(_t([1.0, 2.0]), 1.0, sorter=_t([0]))


# ---- median, quantile, percentile ---------------------------------------------------------------------
MEDIAN_CASES = [((5,), None), ((4,), 0), ((3, 4), 1), ((3, 4), 0), ((2, 3, 4), (0, 2)), ((2, 3, 4), -1), ((3, 4), ())]


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("shape,axis", MEDIAN_CASES)
def test_median_matches_numpy(shape, axis, keepdims):
    a = np.random.default_rng(6).standard_normal(shape)
    got = pj.median(_t(a), axis=axis, keepdims=keepdims)
    np.testing.assert_allclose(got.numpy(), np.median(a, axis=axis, keepdims=keepdims), rtol=1e-15)
    assert gradcheck(lambda x: pj.median(x, axis=axis, keepdims=keepdims), (_t(a, True),))


@pytest.mark.parametrize(
    "method",
    [
        "linear",
        "lower",
        "higher",
        "nearest",
        "midpoint",
        "hazen",
        "weibull",
        "median_unbiased",
        "normal_unbiased",
        "interpolated_inverted_cdf",
    ],
)
@pytest.mark.parametrize("q", [0.0, 0.25, 0.5, 0.6, 1.0, [0.0, 0.33, 0.5, 1.0], [[0.1, 0.9], [0.5, 0.75]]])
@pytest.mark.parametrize("shape,axis", [((5,), None), ((4, 6), 1), ((4, 6), 0), ((2, 3, 4), (0, 1)), ((7,), 0)])
def test_quantile_matches_numpy(shape, axis, q, method):
    a = np.random.default_rng(7).standard_normal(shape)
    expected = np.quantile(a, q, axis=axis, method=method)
    got = pj.quantile(_t(a), q, axis=axis, method=method)
    assert got.shape == np.shape(expected)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-14, atol=1e-15)
    kd = pj.quantile(_t(a), q, axis=axis, method=method, keepdims=True)
    np.testing.assert_allclose(kd.numpy(), np.quantile(a, q, axis=axis, method=method, keepdims=True), rtol=1e-14)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
def test_quantile_dtypes_follow_numpy(dtype):
    a = np.arange(7)[::-1].astype(dtype)
    for q in (0.3, np.array(0.3), np.array([0.3, 0.8], np.float32)):
        e = np.quantile(a, q)
        g = pj.quantile(_t(a), q)
        assert g.dtype == e.dtype, (q, g.dtype, e.dtype)
        np.testing.assert_allclose(g.numpy(), e, rtol=1e-6)
    for f in (pj.median, lambda x: pj.percentile(x, 35)):
        e = (np.median if f is pj.median else (lambda x: np.percentile(x, 35)))(a)
        g = f(_t(a))
        assert g.dtype == e.dtype
        np.testing.assert_allclose(g.numpy(), e, rtol=1e-6)


def test_quantile_q_out_of_range():
    x = _t([1.0, 2.0, 3.0])
    for q in (-0.1, 1.5, [0.5, 2.0], np.nan):
        with pytest.raises(ValueError, match=r"Quantiles must be in the range \[0, 1\]"):
            pj.quantile(x, q)
    with pytest.raises(ValueError, match=r"Percentiles must be in the range \[0, 100\]"):
        pj.percentile(x, 150)
    with pytest.raises(ValueError, match="'inverted_cdf' is not a valid method"):
        pj.quantile(x, 0.5, method="inverted_cdf")
    with pytest.raises(TypeError, match="out= is not supported"):
        pj.median(x, out=x)
    with pytest.raises(ValueError, match="median: axis 2 is out of bounds"):
        pj.median(x, axis=2)


def test_empty_slices():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        m = pj.median(_t(np.zeros((0,))))
        m2 = pj.median(_t(np.zeros((2, 0))), axis=1)
    assert np.isnan(float(m)) and np.isnan(m2.numpy()).all() and m2.shape == (2,)
    assert any(issubclass(x.category, RuntimeWarning) for x in w)
    np.testing.assert_array_equal(pj.median(_t(np.zeros((0, 3))), axis=1).shape, (0,))
    with pytest.raises(IndexError, match="quantile: cannot take a quantile of an empty slice"):
        pj.quantile(_t(np.zeros(0)), 0.5)


def test_nan_in_a_slice_gives_nan():
    a = np.array([[1.0, np.nan, 3.0], [3.0, 1.0, 2.0]])
    np.testing.assert_array_equal(pj.median(_t(a), axis=1).numpy(), np.median(a, axis=1))
    np.testing.assert_array_equal(pj.quantile(_t(a), [0.2, 0.9], axis=1).numpy(), np.quantile(a, [0.2, 0.9], axis=1))
    g = _grad(lambda x: pj.sum(pj.median(x, axis=1)), a)
    np.testing.assert_array_equal(g, [[0.0, 0.0, 0.0], [0.0, 0.0, 1.0]])


def test_median_gradient_at_ties():
    # sorted [1, 3, 3, 3] by the stable order: indices [1, 0, 2, 3]; the middle pair is (0, 2)
    np.testing.assert_array_equal(_grad(pj.median, [3.0, 1.0, 3.0, 3.0]), [0.5, 0.0, 0.5, 0.0])
    # odd count: the middle order statistic alone; sorted [1, 2, 2] is indices [2, 0, 1]
    np.testing.assert_array_equal(_grad(pj.median, [2.0, 2.0, 1.0]), [1.0, 0.0, 0.0])
    np.testing.assert_array_equal(_grad(pj.median, [5.0, 1.0, 2.0, 4.0]), [0.0, 0.0, 0.5, 0.5])


def test_quantile_derivative_in_q():
    a = np.array([4.0, -1.0, 2.5, 0.0, 7.0])  # sorted: -1, 0, 2.5, 4, 7
    q = _t(0.6, requires_grad=True)  # virtual index 2.4: between 2.5 and 4
    (g,) = pj.grad(pj.quantile(_t(a), q), [q])
    np.testing.assert_allclose(float(g), 4 * (4.0 - 2.5), rtol=1e-14)
    (g,) = pj.grad(pj.percentile(_t(a), q * 100), [q])
    np.testing.assert_allclose(float(g), 4 * (4.0 - 2.5), rtol=1e-12)
    # the picking methods are piecewise constant in q
    for method in ("lower", "higher", "nearest", "midpoint"):
        q = _t(0.6, requires_grad=True)
        out = pj.quantile(_t(a), q, method=method)
        if out.requires_grad:
            (g,) = pj.grad(out, [q], allow_unused=True)
            assert g is None or float(g) == 0.0
    qs = _t([0.3, 0.45], requires_grad=True)
    x = _t(a, requires_grad=True)
    assert gradcheck(lambda x, q: pj.quantile(x, q), (x, qs))
    assert gradgradcheck(lambda x, q: pj.quantile(x, q) ** 2, (x, qs))


def test_quantile_weights_on_order_statistics():
    a = np.array([4.0, -1.0, 2.5, 0.0, 7.0])
    # q = 0.6: virtual index 2.4 -> 0.6 of the 3rd smallest (2.5, index 2) and 0.4 of the 4th (4.0, index 0)
    np.testing.assert_allclose(_grad(lambda x: pj.quantile(x, 0.6), a), [0.4, 0, 0.6, 0, 0], rtol=1e-14, atol=1e-15)
    np.testing.assert_array_equal(_grad(lambda x: pj.quantile(x, 1.0), a), [0, 0, 0, 0, 1.0])
    np.testing.assert_array_equal(_grad(lambda x: pj.quantile(x, 0.6, method="lower"), a), [0, 0, 1.0, 0, 0])


# ---- unique ----------------------------------------------------------------------------------------
def test_unique_matches_numpy_and_has_no_gradient():
    a = np.array([[2.0, np.nan, 1.0], [np.nan, 2.0, -1.0]])
    x = _t(a, requires_grad=True)
    got = pj.unique(x, return_index=True, return_inverse=True, return_counts=True)
    expected = np.unique(a, return_index=True, return_inverse=True, return_counts=True)
    for g, e in zip(got, expected):
        assert not g.requires_grad and g.grad_fn is None
        np.testing.assert_array_equal(g.numpy(), e)
    u = pj.unique(x)
    assert isinstance(u, pj.Tensor) and not u.requires_grad
    np.testing.assert_array_equal(pj.unique(_t(np.array([3, 1, 3]))).numpy(), [1, 3])
    assert pj.unique(_t(np.zeros(0))).shape == (0,)
    b = np.array([[1.0, 2.0], [0.0, 5.0], [1.0, 2.0]])
    for g, e in zip(pj.unique(_t(b), return_inverse=True, axis=0), np.unique(b, return_inverse=True, axis=0)):
        np.testing.assert_array_equal(g.numpy(), e)


# ---- is*, nan_to_num -----------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.bool_])
def test_float_classes(dtype):
    a = np.array([0.0, np.nan, np.inf, -np.inf, -2.5, 1e300]) if dtype in (np.float64, np.float32) else np.arange(4)
    with np.errstate(over="ignore"):
        a = a.astype(dtype)
    for f, ref in ((pj.isnan, np.isnan), (pj.isinf, np.isinf), (pj.isfinite, np.isfinite)):
        got = f(_t(a))
        assert got.dtype == np.bool_
        np.testing.assert_array_equal(got.numpy(), ref(a))
    assert pj.isnan(_t(np.nan)).shape == ()
    assert pj.isfinite(_t(np.zeros((2, 0)))).shape == (2, 0)


def test_nan_to_num():
    a = np.array([np.nan, np.inf, -np.inf, 1.5], np.float32)
    got = pj.nan_to_num(_t(a))
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got.numpy(), np.nan_to_num(a))
    i = np.array([1, -2, 3])
    gi = pj.nan_to_num(_t(i))
    assert gi.dtype == np.int64
    np.testing.assert_array_equal(gi.numpy(), i)
    g = _grad(lambda x: pj.sum(pj.nan_to_num(x, nan=5.0) * 2), a.astype(np.float64))
    np.testing.assert_array_equal(g, [0.0, 0.0, 0.0, 2.0])
    with pytest.raises(TypeError, match="nan_to_num: posinf must be a number"):
        pj.nan_to_num(_t(a), posinf="big")


# ---- nansum, nanmean, nanmax, nanmin -------------------------------------------------------------
NAN_ARRAY = np.array([[0.3, np.nan, -1.2, 2.0], [np.nan, 1.1, 0.4, -0.5], [0.7, -0.2, np.nan, np.nan]])


@pytest.mark.parametrize("name", ["nansum", "nanmean", "nanmax", "nanmin"])
@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 1)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_nan_reductions_match_numpy(name, axis, keepdims):
    got = getattr(pj, name)(_t(NAN_ARRAY), axis=axis, keepdims=keepdims)
    np.testing.assert_allclose(got.numpy(), getattr(np, name)(NAN_ARRAY, axis=axis, keepdims=keepdims), rtol=1e-15)
    assert gradcheck(lambda x: getattr(pj, name)(x, axis=axis, keepdims=keepdims), (_t(NAN_ARRAY, True),))


def test_nan_reductions_of_integers_and_all_nan_slices():
    i = np.array([[1, 5], [3, 2]])
    for name in ("nansum", "nanmean", "nanmax", "nanmin"):
        np.testing.assert_array_equal(getattr(pj, name)(_t(i), axis=0).numpy(), getattr(np, name)(i, axis=0))
    a = np.array([[np.nan, np.nan], [1.0, np.nan]])
    for name in ("nanmean", "nanmax", "nanmin"):
        with pytest.warns(RuntimeWarning):
            got = getattr(pj, name)(_t(a), axis=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            np.testing.assert_array_equal(got.numpy(), getattr(np, name)(a, axis=1))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            g = _grad(lambda x, name=name: pj.sum(getattr(pj, name)(x, axis=1)), a)
        np.testing.assert_array_equal(g, [[0.0, 0.0], [1.0, 0.0]])
    np.testing.assert_array_equal(pj.nansum(_t(a), axis=1).numpy(), [0.0, 1.0])


def test_nanmax_splits_ties_like_max():
    a = np.array([2.0, np.nan, 2.0, 1.0])
    np.testing.assert_array_equal(_grad(pj.nanmax, a), [0.5, 0.0, 0.5, 0.0])
    np.testing.assert_array_equal(_grad(pj.max, a[[0, 2, 3]]), [0.5, 0.5, 0.0])
    np.testing.assert_array_equal(_grad(pj.nanmin, -a), [0.5, 0.0, 0.5, 0.0])
    np.testing.assert_allclose(_grad(pj.nanmean, a), [1 / 3, 0.0, 1 / 3, 1 / 3])
