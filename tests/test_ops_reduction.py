"""Reductions: sum, mean, max, min (axis None/int/negative/tuple, keepdims) and norm.

Values against NumPy, first and second derivatives against finite differences, batched
cotangents, tie and zero-vector conventions, dtypes and errors.
"""
import warnings

import numpy as np
import pytest

import pyjac as pj
from pyjac.testing import gradcheck, gradgradcheck


def _t(a, requires_grad=False):
    return pj.tensor(np.asarray(a), requires_grad=requires_grad)


REDUCTIONS = [
    ("sum", pj.sum, np.sum),
    ("mean", pj.mean, np.mean),
    ("max", pj.max, np.max),
    ("min", pj.min, np.min),
]
RED_IDS = [r[0] for r in REDUCTIONS]

# shape, axis
AXIS_CASES = [
    ((), None),
    ((5,), None),
    ((5,), 0),
    ((5,), -1),
    ((2, 3), None),
    ((2, 3), 0),
    ((2, 3), 1),
    ((2, 3), -2),
    ((2, 3), (0, 1)),
    ((2, 3, 4), (0, 2)),
    ((2, 3, 4), (-1, 0)),
    ((2, 3, 4), 1),
    ((2, 3, 4), (2,)),
    ((1, 3, 1), (0, 2)),
]
AXIS_IDS = [f"{s}-axis{a}" for s, a in AXIS_CASES]
# small versions for the finite-difference checks
GRAD_AXIS_CASES = [((), None), ((4,), None), ((2, 3), 0), ((2, 3), -1), ((2, 3), None), ((2, 2, 3), (0, 2)),
                   ((2, 2, 3), 1)]
GRAD_AXIS_IDS = [f"{s}-axis{a}" for s, a in GRAD_AXIS_CASES]


# ==== values ========================================================================================
@pytest.mark.parametrize("keepdims", [False, True], ids=["", "keepdims"])
@pytest.mark.parametrize("shape,axis", AXIS_CASES, ids=AXIS_IDS)
@pytest.mark.parametrize("name,fn,ref", REDUCTIONS, ids=RED_IDS)
def test_reduction_values(name, fn, ref, shape, axis, keepdims, rng):
    a = rng.standard_normal(shape)
    expected = np.asarray(ref(a, axis=axis, keepdims=keepdims))
    out = fn(_t(a), axis=axis, keepdims=keepdims)
    assert out.shape == expected.shape
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-13, atol=1e-14)
    # the method form
    meth = getattr(_t(a), name)(axis=axis, keepdims=keepdims)
    np.testing.assert_allclose(meth.numpy(), expected, rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("name,fn,ref", REDUCTIONS, ids=RED_IDS)
def test_reduction_positional_axis(name, fn, ref, rng):
    a = rng.standard_normal((3, 4))
    np.testing.assert_allclose(fn(_t(a), 1).numpy(), ref(a, 1), rtol=1e-13)
    np.testing.assert_allclose(getattr(_t(a), name)(0).numpy(), ref(a, 0), rtol=1e-13)


@pytest.mark.parametrize("name,fn,ref", REDUCTIONS, ids=RED_IDS)
def test_reduction_empty_axis_tuple_is_identity(name, fn, ref, rng):
    a = rng.standard_normal((2, 3))
    out = fn(_t(a), axis=())
    expected = ref(a, axis=())
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-15)


@pytest.mark.parametrize("shape,axis", [((0,), None), ((0, 3), 0), ((0, 3), None), ((2, 0), 1), ((0, 3), 1),
                                        ((2, 0, 3), (0, 2))], ids=str)
@pytest.mark.parametrize("name,fn,ref", [REDUCTIONS[0], REDUCTIONS[1]], ids=RED_IDS[:2])
def test_sum_mean_of_empty(name, fn, ref, shape, axis):
    a = np.zeros(shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = np.asarray(ref(a, axis=axis))
    out = fn(_t(a), axis=axis)
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out.numpy(), expected)  # 0 for sum, nan for mean (as NumPy)


@pytest.mark.parametrize("name,fn,ref", [REDUCTIONS[0], REDUCTIONS[1]], ids=RED_IDS[:2])
def test_sum_mean_of_empty_gradient(name, fn, ref):
    x = _t(np.zeros((0, 3)), True)
    (g,) = pj.grad(fn(x, axis=0), x, grad_outputs=_t(np.ones(3)))
    assert g.shape == (0, 3)


@pytest.mark.parametrize("name,fn,ref", [REDUCTIONS[2], REDUCTIONS[3]], ids=RED_IDS[2:])
def test_max_min_of_empty(name, fn, ref):
    with pytest.raises(ValueError) as exc:
        fn(_t(np.zeros((0, 3))))
    assert "(0, 3)" in str(exc.value)
    with pytest.raises(ValueError):
        fn(_t(np.zeros((0, 3))), axis=0)
    # reducing a non-empty axis of an empty tensor is fine, as in NumPy
    out = fn(_t(np.zeros((0, 3))), axis=1)
    assert out.shape == (0,)


@pytest.mark.parametrize("name,fn,ref", REDUCTIONS, ids=RED_IDS)
def test_reduction_noncontiguous_and_larger_inputs(name, fn, ref, rng):
    base = rng.standard_normal((33, 47))
    row = rng.standard_normal((1, 47))
    views = [
        ("transposed", _t(base).T, base.T),
        ("negative-steps", _t(base)[::-1, ::-3], base[::-1, ::-3]),
        ("broadcast", pj.broadcast_to(_t(row), (33, 47)), np.broadcast_to(row, (33, 47))),
        ("3d-permuted", pj.transpose(_t(base.reshape(3, 11, 47)), (2, 0, 1)),
         base.reshape(3, 11, 47).transpose(2, 0, 1)),
    ]
    for label, view, arr in views:
        for axis in (None, 0, 1, -1, (0, 1)):
            np.testing.assert_allclose(fn(view, axis=axis).numpy(), ref(arr, axis=axis), rtol=1e-12,
                                       err_msg=f"{label} axis={axis}")
    big = rng.standard_normal((4, 1000, 3))
    for axis in (0, 1, 2, (0, 2)):
        np.testing.assert_allclose(fn(_t(big), axis=axis).numpy(), ref(big, axis=axis), rtol=1e-11)


@pytest.mark.parametrize("ord,axis", [(None, None), (1, 0), (np.inf, 1), (3, 0), ("fro", None), (1, None)], ids=str)
def test_norm_noncontiguous_inputs(ord, axis, rng):
    base = rng.standard_normal((9, 14))
    for view, arr in [(_t(base).T, base.T), (_t(base)[::-2, ::-1], base[::-2, ::-1])]:
        np.testing.assert_allclose(pj.norm(view, ord=ord, axis=axis).numpy(), np.linalg.norm(arr, ord=ord, axis=axis),
                                   rtol=1e-12)


# ==== dtypes ========================================================================================
@pytest.mark.parametrize("name,fn,ref", REDUCTIONS, ids=RED_IDS)
def test_reduction_float32_preserved(name, fn, ref, rng):
    a = rng.standard_normal((3, 4)).astype(np.float32)
    x = _t(a, True)
    out = fn(x, axis=1)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.detach().numpy(), ref(a, axis=1), rtol=1e-5)
    (g,) = pj.grad(pj.sum(out), x)
    assert g.dtype == np.float32


@pytest.mark.parametrize("name,fn,ref", REDUCTIONS, ids=RED_IDS)
def test_reduction_integer_dtype_like_numpy(name, fn, ref):
    a = np.array([[1, 5, -2], [4, 0, 3]])
    for axis in (None, 0, 1):
        out = fn(_t(a), axis=axis)
        expected = np.asarray(ref(a, axis=axis))
        assert out.dtype == expected.dtype, (axis, out.dtype, expected.dtype)
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-15)


def test_reduction_of_bool_like_numpy():
    b = np.array([[True, False, True], [True, True, True]])
    for name in ("sum", "mean"):
        for axis in (None, 0, 1):
            out = getattr(pj, name)(_t(b), axis=axis)
            expected = np.asarray(getattr(np, name)(b, axis=axis))
            assert out.dtype == expected.dtype
            np.testing.assert_allclose(out.numpy(), expected, rtol=1e-15)


@pytest.mark.parametrize("name,fn,ref", [REDUCTIONS[2], REDUCTIONS[3]], ids=RED_IDS[2:])
def test_max_min_propagate_nan_like_numpy(name, fn, ref):
    a = np.array([[1.0, np.nan, 2.0], [3.0, 0.0, -1.0]])
    for axis in (None, 0, 1):
        np.testing.assert_array_equal(fn(_t(a), axis=axis).numpy(), ref(a, axis=axis))


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64"])
@pytest.mark.parametrize("name", ["max", "min", "amax", "amin", "argmax", "argmin"])
def test_extrema_of_long_rows_match_numpy(name, dtype, rng):
    # long rows take the kernels' multi-lane paths: NaN, +-inf and ties anywhere in a row (or a
    # column, for axis 0), rows whose length isn't a multiple of the lane count
    for rows, cols in [(5, 37), (3, 64), (2, 1000), (40, 3)]:
        a = rng.integers(-5, 6, size=(rows, cols)).astype(dtype)
        if dtype != "int64":
            a[0, rng.integers(cols)] = np.nan
            a[1 % rows, rng.integers(cols)] = np.inf
            a[-1, rng.integers(cols)] = -np.inf
            a[-1, -1] = np.nan
        ours, ref = getattr(pj, name), getattr(np, name)
        for axis in (None, 0, 1, -1):
            expected = np.asarray(ref(a, axis=axis))
            out = ours(_t(a), axis=axis)
            assert out.dtype == expected.dtype
            np.testing.assert_array_equal(out.numpy(), expected, err_msg=f"{name} {dtype} {a.shape} axis={axis}")


# ==== derivatives ===================================================================================
@pytest.mark.parametrize("keepdims", [False, True], ids=["", "keepdims"])
@pytest.mark.parametrize("shape,axis", GRAD_AXIS_CASES, ids=GRAD_AXIS_IDS)
@pytest.mark.parametrize("name,fn,ref", REDUCTIONS, ids=RED_IDS)
def test_reduction_gradcheck(name, fn, ref, shape, axis, keepdims, rng):
    x = _t(rng.standard_normal(shape), True)  # distinct values: no ties for max/min
    assert gradcheck(lambda x: fn(x, axis=axis, keepdims=keepdims), (x,))


@pytest.mark.parametrize("shape,axis", [((2, 3), 1), ((2, 2, 3), (0, 2))], ids=str)
@pytest.mark.parametrize("name,fn,ref", REDUCTIONS, ids=RED_IDS)
def test_reduction_gradgradcheck(name, fn, ref, shape, axis, rng):
    x = _t(rng.standard_normal(shape), True)
    assert gradgradcheck(lambda x: fn(x, axis=axis), (x,))


@pytest.mark.parametrize("keepdims", [False, True], ids=["", "keepdims"])
@pytest.mark.parametrize("shape,axis", [((2, 3), None), ((2, 3), 0), ((2, 3, 4), (0, 2)), ((2, 3, 4), -1), ((), None)],
                         ids=str)
@pytest.mark.parametrize("name,fn,ref", REDUCTIONS, ids=RED_IDS)
def test_reduction_batched_cotangents(name, fn, ref, shape, axis, keepdims, rng, batched_check):
    batched_check(lambda x: fn(x, axis=axis, keepdims=keepdims), [rng.standard_normal(shape)], k=3)


def test_sum_mean_gradient_values():
    x = _t(np.ones((2, 3)), True)
    (g,) = pj.grad(pj.sum(x, axis=1), x, grad_outputs=_t(np.array([1.0, 2.0])))
    np.testing.assert_array_equal(g.numpy(), [[1, 1, 1], [2, 2, 2]])
    (g,) = pj.grad(pj.mean(x, axis=0), x, grad_outputs=_t(np.array([3.0, 6.0, 9.0])))
    np.testing.assert_allclose(g.numpy(), [[1.5, 3, 4.5], [1.5, 3, 4.5]], rtol=1e-15)
    (g,) = pj.grad(pj.mean(x), x)
    np.testing.assert_allclose(g.numpy(), np.full((2, 3), 1 / 6), rtol=1e-15)


# ---- ties ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name,fn", [("max", pj.max), ("min", pj.min)])
def test_extremum_ties_split_gradient_evenly(name, fn):
    sign = 1.0 if name == "max" else -1.0
    x = _t(sign * np.array([1.0, 3.0, 3.0, 2.0, 3.0]), True)
    (g,) = pj.grad(fn(x), x)
    np.testing.assert_allclose(g.numpy(), [0, 1 / 3, 1 / 3, 0, 1 / 3], rtol=1e-15)


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("name,fn", [("max", pj.max), ("min", pj.min)])
def test_extremum_ties_along_axis(name, fn, keepdims):
    sign = 1.0 if name == "max" else -1.0
    a = sign * np.array([[1.0, 5.0, 5.0], [2.0, 2.0, 0.0], [7.0, 7.0, 7.0]])
    x = _t(a, True)
    out = fn(x, axis=1, keepdims=keepdims)
    w = np.array([1.0, 2.0, 3.0]).reshape(out.shape)
    (g,) = pj.grad(out, x, grad_outputs=_t(w))
    np.testing.assert_allclose(g.numpy(), [[0, 0.5, 0.5], [1.0, 1.0, 0], [1.0, 1.0, 1.0]], rtol=1e-15)


@pytest.mark.parametrize("name,fn", [("max", pj.max), ("min", pj.min)])
def test_extremum_ties_over_tuple_axes(name, fn):
    a = np.zeros((2, 2, 2))
    a[0, 0, 1] = a[1, 1, 1] = (1.0 if name == "max" else -1.0)
    x = _t(a, True)
    (g,) = pj.grad(fn(x, axis=(0, 1)), x, grad_outputs=_t(np.array([4.0, 6.0])))
    expected = np.zeros((2, 2, 2))
    expected[:, :, 0] = 1.0  # four tied zeros share 4
    expected[0, 0, 1] = expected[1, 1, 1] = 3.0  # two tied extremes share 6
    np.testing.assert_allclose(g.numpy(), expected, rtol=1e-15)


@pytest.mark.parametrize("name,fn", [("max", pj.max), ("min", pj.min)])
def test_extremum_ties_batched(name, fn, batched_check):
    a = np.array([[1.0, 3.0, 3.0], [2.0, -1.0, 2.0]])
    gs = batched_check(lambda x: fn(x, axis=1), [a], k=2)
    assert gs[0].shape == (2, 2, 3)


# ---- errors --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name,fn,ref", REDUCTIONS, ids=RED_IDS)
def test_reduction_bad_axis(name, fn, ref):
    x = _t(np.ones((2, 3)))
    for axis in (2, -3, (0, 2), (1, -1), (0, 0)):
        with pytest.raises(ValueError) as exc:
            fn(x, axis=axis)
        assert name in str(exc.value)
    with pytest.raises(ValueError):
        fn(_t(np.array(1.0)), axis=0)
    with pytest.raises(TypeError):
        fn(x, axis=1.5)
    with pytest.raises(TypeError):
        fn(x, axis="0")


# ==== norm ===========================================================================================
VECTOR_ORDS = [None, 2, 1, np.inf, -np.inf, 0, 3, 0.5, -1, 2.5]
MATRIX_ORDS = [None, "fro", 1, -1, np.inf, -np.inf]


def _ord_id(o):
    return {None: "None", np.inf: "inf", -np.inf: "-inf"}.get(o, str(o))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's ord=-1 with a zero entry divides by zero
@pytest.mark.parametrize("keepdims", [False, True], ids=["", "keepdims"])
@pytest.mark.parametrize("ord", VECTOR_ORDS, ids=_ord_id)
def test_vector_norm_values(ord, keepdims, rng):
    a = rng.standard_normal(6)
    a[2] = 0.0  # so ord=0 counts something
    out = pj.norm(_t(a), ord=ord, keepdims=keepdims)
    expected = np.linalg.norm(a, ord=ord, keepdims=keepdims)
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-13)
    np.testing.assert_allclose(_t(a).norm(ord).numpy(), np.linalg.norm(a, ord), rtol=1e-13)


@pytest.mark.parametrize("keepdims", [False, True], ids=["", "keepdims"])
@pytest.mark.parametrize("axis", [0, 1, -1], ids=str)
@pytest.mark.parametrize("ord", VECTOR_ORDS, ids=_ord_id)
def test_vector_norm_along_axis_values(ord, axis, keepdims, rng):
    a = rng.standard_normal((3, 4))
    out = pj.norm(_t(a), ord=ord, axis=axis, keepdims=keepdims)
    expected = np.linalg.norm(a, ord=ord, axis=axis, keepdims=keepdims)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-13)


@pytest.mark.parametrize("keepdims", [False, True], ids=["", "keepdims"])
@pytest.mark.parametrize("ord", MATRIX_ORDS, ids=_ord_id)
def test_matrix_norm_values(ord, keepdims, rng):
    a = rng.standard_normal((3, 4))
    out = pj.norm(_t(a), ord=ord, keepdims=keepdims)
    expected = np.linalg.norm(a, ord=ord, keepdims=keepdims)
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-13)


@pytest.mark.parametrize("keepdims", [False, True], ids=["", "keepdims"])
@pytest.mark.parametrize("axis", [(1, 2), (0, 2), (2, 0), (-1, -3), (1, 0)], ids=str)
@pytest.mark.parametrize("ord", MATRIX_ORDS, ids=_ord_id)
def test_matrix_norm_batched_axes_values(ord, axis, keepdims, rng):
    a = rng.standard_normal((2, 3, 4))
    out = pj.norm(_t(a), ord=ord, axis=axis, keepdims=keepdims)
    expected = np.linalg.norm(a, ord=ord, axis=axis, keepdims=keepdims)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-13)


@pytest.mark.parametrize("shape", [(), (2, 3, 4), (0,), (2, 0)], ids=str)
def test_default_norm_flattens_any_shape(shape, rng):
    a = rng.standard_normal(shape)
    out = pj.norm(_t(a))
    np.testing.assert_allclose(out.numpy(), np.linalg.norm(a), rtol=1e-13)
    assert out.shape == ()
    assert pj.norm(_t(a), keepdims=True).shape == np.linalg.norm(a, keepdims=True).shape


def test_norm_float32_preserved(rng):
    a = rng.standard_normal((3, 4)).astype(np.float32)
    for ord, axis in [(None, None), (1, 1), (np.inf, 0), (3, 1), ("fro", None), (1, None), (np.inf, None)]:
        out = pj.norm(_t(a), ord=ord, axis=axis)
        assert out.dtype == np.float32, (ord, axis)
        np.testing.assert_allclose(out.numpy(), np.linalg.norm(a, ord=ord, axis=axis), rtol=1e-5)


@pytest.mark.parametrize("ord,shape", [(None, (3,)), (2, (3,)), (1, (3,)), (np.inf, (3,)), (-np.inf, (3,)), (0, (3,)),
                                       (3, (3,)), ("fro", (2, 2)), (1, (2, 2)), (np.inf, (2, 2))],
                         ids=lambda v: _ord_id(v) if not isinstance(v, tuple) else str(v))
def test_norm_of_integers_is_float64_like_numpy(ord, shape):
    a = np.arange(-1, -1 + int(np.prod(shape))).reshape(shape)
    out = pj.norm(_t(a), ord=ord)
    expected = np.linalg.norm(a, ord=ord)
    assert out.dtype == expected.dtype, (out.dtype, expected.dtype)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-14)


# ---- norm derivatives ----------------------------------------------------------------------------------
def _vector_for_ord(rng, shape, ord):
    """Away from zero (abs kinks) with a unique largest/smallest magnitude (max/min kinks)."""
    a = np.sign(rng.standard_normal(shape)) * rng.uniform(0.3, 1.5, shape)
    if ord in (np.inf, -np.inf):
        flat = a.reshape(-1)
        mags = np.linspace(0.3, 1.5, flat.size)
        rng.shuffle(mags)
        flat[:] = np.sign(flat) * mags
    return a


GRAD_VECTOR_ORDS = [None, 2, 1, np.inf, -np.inf, 3, 0.5, -1]


@pytest.mark.parametrize("ord", GRAD_VECTOR_ORDS, ids=_ord_id)
def test_vector_norm_gradcheck(ord, rng):
    x = _t(_vector_for_ord(rng, (5,), ord), True)
    assert gradcheck(lambda x: pj.norm(x, ord=ord), (x,))


@pytest.mark.parametrize("keepdims", [False, True], ids=["", "keepdims"])
@pytest.mark.parametrize("ord", GRAD_VECTOR_ORDS, ids=_ord_id)
def test_vector_norm_along_axis_gradcheck(ord, keepdims, rng):
    a = _vector_for_ord(rng, (3, 4), ord)
    if ord in (np.inf, -np.inf):  # unique extremes per row
        a = np.sign(a) * (np.abs(a) + np.arange(12).reshape(3, 4) * 0.05)
    x = _t(a, True)
    assert gradcheck(lambda x: pj.norm(x, ord=ord, axis=1, keepdims=keepdims), (x,))


@pytest.mark.parametrize("ord", [None, 2, 3, 1], ids=_ord_id)
def test_vector_norm_gradgradcheck(ord, rng):
    x = _t(_vector_for_ord(rng, (2, 3), ord), True)
    assert gradgradcheck(lambda x: pj.norm(x, ord=ord, axis=-1), (x,))


@pytest.mark.parametrize("ord", MATRIX_ORDS, ids=_ord_id)
def test_matrix_norm_gradcheck(ord, rng):
    a = np.sign(rng.standard_normal((3, 3))) * (0.3 + np.arange(9).reshape(3, 3) * 0.1)
    a = a[rng.permutation(3)][:, rng.permutation(3)]  # distinct row and column sums
    x = _t(a, True)
    assert gradcheck(lambda x: pj.norm(x, ord=ord), (x,))


@pytest.mark.parametrize("ord", [None, "fro", 1], ids=_ord_id)
def test_matrix_norm_gradgradcheck(ord, rng):
    a = np.sign(rng.standard_normal((2, 3))) * (0.3 + np.arange(6).reshape(2, 3) * 0.2)
    assert gradgradcheck(lambda x: pj.norm(x, ord=ord), (_t(a, True),))


@pytest.mark.parametrize("ord,axis", [(None, None), (2, 1), (1, 0), (np.inf, 1), (3, -1), ("fro", (0, 1)),
                                      (1, (0, 1)), (np.inf, (1, 0))], ids=str)
def test_norm_batched_cotangents(ord, axis, rng, batched_check):
    a = np.sign(rng.standard_normal((3, 4))) * (0.3 + rng.permutation(12).reshape(3, 4) * 0.1)
    batched_check(lambda x: pj.norm(x, ord=ord, axis=axis), [a], k=3)


def test_norm2_gradient_values(rng):
    a = rng.standard_normal((2, 5))
    x = _t(a, True)
    (g,) = pj.grad(pj.sum(pj.norm(x, axis=1)), x)
    np.testing.assert_allclose(g.numpy(), a / np.linalg.norm(a, axis=1, keepdims=True), rtol=1e-13)


# ---- norm at zero: gradient is 0 --------------------------------------------------------------------
def test_vector_norm_ord0_gradient_is_zero(rng):
    x = _t(np.array([0.5, 0.0, -1.2]), True)
    assert gradcheck(lambda x: pj.norm(x, ord=0), (x,))


@pytest.mark.parametrize("ord", [None, 2, 1, np.inf, -np.inf, 3, 0.5, 1.5], ids=_ord_id)
def test_vector_norm_gradient_at_zero_is_zero(ord):
    x = _t(np.zeros(4), True)
    y = pj.norm(x, ord=ord)
    assert y.item() == 0.0
    (g,) = pj.grad(y, x)
    np.testing.assert_array_equal(g.numpy(), np.zeros(4))


@pytest.mark.parametrize("ord", [None, 2, 1, 3], ids=_ord_id)
def test_norm_along_axis_with_a_zero_row(ord):
    a = np.array([[0.0, 0.0, 0.0], [3.0, -4.0, 1.0]])
    x = _t(a, True)
    (g,) = pj.grad(pj.sum(pj.norm(x, ord=ord, axis=1)), x)
    np.testing.assert_array_equal(g.numpy()[0], [0.0, 0.0, 0.0])
    assert np.all(np.isfinite(g.numpy()))


@pytest.mark.parametrize("ord", [None, "fro"], ids=_ord_id)
def test_matrix_norm_gradient_at_zero_is_zero(ord):
    x = _t(np.zeros((2, 3)), True)
    (g,) = pj.grad(pj.norm(x, ord=ord), x)
    np.testing.assert_array_equal(g.numpy(), np.zeros((2, 3)))


def test_norm_second_derivative_at_zero_is_finite():
    x = _t(np.zeros(3), True)
    (g,) = pj.grad(pj.norm(x), x, create_graph=True)
    if g.requires_grad:
        (h,) = pj.grad(pj.sum(g), x, allow_unused=True)
        if h is not None:
            assert np.all(np.isfinite(h.numpy()))


# ---- norm errors ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("ord", [0, 3, 0.5], ids=str)
def test_invalid_matrix_ord(ord):
    with pytest.raises(ValueError):
        pj.norm(_t(np.ones((2, 3))), ord=ord)


@pytest.mark.parametrize("ord", ["fro", "nuc"])
def test_matrix_ords_on_vectors_raise_like_numpy(ord):
    with pytest.raises(ValueError):
        np.linalg.norm(np.ones(3), ord=ord)
    with pytest.raises(ValueError):
        pj.norm(_t(np.ones((2, 3))), ord=ord, axis=1)
    with pytest.raises(ValueError):
        pj.norm(_t(np.ones(3)), ord=ord)


def test_norm_bad_arguments():
    x = _t(np.ones((2, 3, 4)))
    with pytest.raises(ValueError):
        pj.norm(x, ord=1)  # ord given for a 3-D tensor needs axis
    with pytest.raises(ValueError):
        pj.norm(x, axis=(0, 1, 2))
    with pytest.raises(ValueError):
        pj.norm(x, axis=3)
    with pytest.raises(ValueError):
        pj.norm(x, axis=(1, 1))
    with pytest.raises(ValueError):
        pj.norm(x, ord="bogus", axis=(0, 1))


# ==== compositions ====================================================================================
def _softmax(x, axis=-1):
    e = pj.exp(x - pj.max(x, axis=axis, keepdims=True))
    return e / pj.sum(e, axis=axis, keepdims=True)


def _logsumexp(x, axis=-1):
    m = pj.max(x, axis=axis, keepdims=True)
    return pj.squeeze(m, axis) + pj.log(pj.sum(pj.exp(x - m), axis=axis))


def _standardize(x):
    mu = pj.mean(x, axis=0, keepdims=True)
    return (x - mu) / pj.sqrt(pj.mean((x - mu) ** 2, axis=0, keepdims=True) + 1e-3)


COMPOSITES = [("softmax", _softmax), ("logsumexp", _logsumexp), ("standardize", _standardize),
              ("normalize", lambda x: x / pj.norm(x, axis=1, keepdims=True))]


@pytest.mark.parametrize("name,fn", COMPOSITES, ids=[c[0] for c in COMPOSITES])
def test_composite_reductions_gradcheck(name, fn, rng):
    x = _t(rng.standard_normal((3, 4)), True)
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (_t(rng.standard_normal((2, 3)), True),))


@pytest.mark.parametrize("name,fn", COMPOSITES, ids=[c[0] for c in COMPOSITES])
def test_composite_reductions_batched(name, fn, rng, batched_check):
    batched_check(fn, [rng.standard_normal((3, 4))], k=3)


def test_softmax_logsumexp_values(rng):
    a = rng.standard_normal((3, 5)) * 10
    e = np.exp(a - a.max(axis=1, keepdims=True))
    np.testing.assert_allclose(_softmax(_t(a)).numpy(), e / e.sum(axis=1, keepdims=True), rtol=1e-13)
    np.testing.assert_allclose(_logsumexp(_t(a)).numpy(), np.log(np.exp(a).sum(axis=1)), rtol=1e-13)


# ==== torch parity =====================================================================================
@pytest.mark.parametrize("name,tname", [("sum", "sum"), ("mean", "mean"), ("max", "amax"), ("min", "amin")])
def test_reduction_torch_parity(name, tname, torch, rng):
    a = rng.standard_normal((2, 3, 4))
    # a tie along the reduced axis: torch's amax/amin split the gradient evenly too
    a[0, 0, 2] = a[0, 2, 2] = 5.0 if name != "min" else -5.0
    w = rng.standard_normal((2, 4))
    x = _t(a, True)
    out = getattr(pj, name)(x, axis=1)
    (g,) = pj.grad(out, x, grad_outputs=_t(w))
    tx = torch.tensor(a, requires_grad=True)
    tout = getattr(torch, tname)(tx, dim=1)
    tout.backward(torch.tensor(w))
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-13)
    np.testing.assert_allclose(g.numpy(), tx.grad.numpy(), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("ord", [2, 1, np.inf, 3], ids=_ord_id)
def test_vector_norm_torch_parity(ord, torch, rng):
    a = _vector_for_ord(rng, (3, 5), ord)
    a = np.sign(a) * (np.abs(a) + rng.permutation(15).reshape(3, 5) * 0.01)
    x = _t(a, True)
    out = pj.norm(x, ord=ord, axis=1)
    (g,) = pj.grad(pj.sum(out), x)
    tx = torch.tensor(a, requires_grad=True)
    tout = torch.linalg.vector_norm(tx, ord=ord, dim=1)
    tout.sum().backward()
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-13)
    np.testing.assert_allclose(g.numpy(), tx.grad.numpy(), rtol=1e-12)
