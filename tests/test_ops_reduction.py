"""Reductions: sum, mean, max, min (amax, amin), prod, var, std, logsumexp (axis None/int/negative/
tuple, keepdims, ddof), argmax, argmin, all, any, and norm.

The ops come from the registry (tests/op_registry, family "reduction"); each is also checked at
its registry inputs by tests/test_every_op.py (values, first and second derivatives, batched
cotangents, no gradient for argmax/all/any, torch) and tests/test_forward_mode.py. Here: values
against NumPy over shapes, axes, keepdims, dtypes and layouts, finite differences over axes,
tie, zero and zero-variance conventions (exact to second order for prod), logsumexp's stability,
empty inputs, torch parity with ties, and errors.
"""

import warnings

import numpy as np
import pytest
from op_registry import params, select
from op_registry.reductions import np_logsumexp as _np_logsumexp

import pyjac as pj
from pyjac.testing import gradcheck, gradgradcheck


def _t(a, requires_grad=False):
    return pj.tensor(np.asarray(a), requires_grad=requires_grad)


# base entries: sweep = (pyjac function, NumPy function), axis and keepdims by keyword (ddof bound
# in the ddof1 entries)
REDUCTIONS = [c for c in select("reduction") if c.sweep]
SUM_MEAN_MAX_MIN = [c for c in REDUCTIONS if c.name in ("sum", "mean", "max", "min")]
OTHERS = [c for c in REDUCTIONS if c not in SUM_MEAN_MAX_MIN]  # prod, var, std, logsumexp, ...


def _by_id(*ids):
    return [c for c in REDUCTIONS if c.id in ids]


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
    ((2, 3), ()),
]
AXIS_IDS = [f"{s}-axis{a}" for s, a in AXIS_CASES]
# small versions for the finite-difference checks
GRAD_AXIS_CASES = [
    ((), None),
    ((4,), None),
    ((2, 3), 0),
    ((2, 3), -1),
    ((2, 3), None),
    ((2, 2, 3), (0, 2)),
    ((2, 2, 3), 1),
]


def _defined(case, shape, axis):
    """False for var/std with ddof=1 over a single element (0 / 0): left out of derivative checks."""
    if not case.id.endswith("ddof1"):
        return True
    axes = range(len(shape)) if axis is None else ([axis] if isinstance(axis, int) else axis)
    return int(np.prod([shape[a] for a in axes])) >= 2


def _derivative_cases(shape_axis_cases):
    return [
        pytest.param(c, s, a, id=f"{c.id}-{s}-axis{a}", marks=c.marks)
        for c in REDUCTIONS
        for s, a in shape_axis_cases
        if _defined(c, s, a)
    ]


# ==== values ========================================================================================
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # ddof=1 over one element: NumPy warns, gives nan
@pytest.mark.parametrize("keepdims", [False, True], ids=["", "keepdims"])
@pytest.mark.parametrize("shape,axis", AXIS_CASES, ids=AXIS_IDS)
@pytest.mark.parametrize("case", params(REDUCTIONS))
def test_reduction_values(case, shape, axis, keepdims, rng):
    fn, ref = case.sweep
    a = rng.standard_normal(shape)
    expected = np.asarray(ref(a, axis=axis, keepdims=keepdims))
    out = fn(_t(a), axis=axis, keepdims=keepdims)
    assert out.shape == expected.shape
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-13, atol=1e-14)
    if case.id == case.name:  # the method form (ddof=1 is not the method's default)
        meth = getattr(_t(a), case.name)(axis=axis, keepdims=keepdims)
        np.testing.assert_allclose(meth.numpy(), expected, rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("case", params(REDUCTIONS))
def test_reduction_positional_axis(case, rng):
    fn, ref = case.sweep
    a = rng.standard_normal((3, 4))
    np.testing.assert_allclose(fn(_t(a), 1).numpy(), ref(a, 1), rtol=1e-13)
    if case.id == case.name:
        np.testing.assert_allclose(getattr(_t(a), case.name)(0).numpy(), ref(a, 0), rtol=1e-13)


@pytest.mark.parametrize("case", params(SUM_MEAN_MAX_MIN))
def test_reduction_empty_axis_tuple_is_identity(case, rng):
    fn, ref = case.sweep
    a = rng.standard_normal((2, 3))
    out = fn(_t(a), axis=())
    expected = ref(a, axis=())
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-15)


@pytest.mark.parametrize(
    "shape,axis", [((0,), None), ((0, 3), 0), ((0, 3), None), ((2, 0), 1), ((0, 3), 1), ((2, 0, 3), (0, 2))], ids=str
)
@pytest.mark.parametrize("case", params(_by_id("sum", "mean")))
def test_sum_mean_of_empty(case, shape, axis):
    fn, ref = case.sweep
    a = np.zeros(shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = np.asarray(ref(a, axis=axis))
    out = fn(_t(a), axis=axis)
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out.numpy(), expected)  # 0 for sum, nan for mean (as NumPy)


@pytest.mark.parametrize("case", params(_by_id("sum", "mean")))
def test_sum_mean_of_empty_gradient(case):
    fn = case.sweep[0]
    x = _t(np.zeros((0, 3)), True)
    (g,) = pj.grad(fn(x, axis=0), x, grad_outputs=_t(np.ones(3)))
    assert g.shape == (0, 3)


@pytest.mark.parametrize("case", params(_by_id("max", "min")))
def test_max_min_of_empty(case):
    fn = case.sweep[0]
    with pytest.raises(ValueError) as exc:
        fn(_t(np.zeros((0, 3))))
    assert "(0, 3)" in str(exc.value)
    with pytest.raises(ValueError):
        fn(_t(np.zeros((0, 3))), axis=0)
    # reducing a non-empty axis of an empty tensor is fine, as in NumPy
    out = fn(_t(np.zeros((0, 3))), axis=1)
    assert out.shape == (0,)


@pytest.mark.parametrize("case", params(SUM_MEAN_MAX_MIN))
def test_reduction_noncontiguous_and_larger_inputs(case, rng):
    fn, ref = case.sweep
    base = rng.standard_normal((33, 47))
    row = rng.standard_normal((1, 47))
    views = [
        ("transposed", _t(base).T, base.T),
        ("negative-steps", _t(base)[::-1, ::-3], base[::-1, ::-3]),
        ("broadcast", pj.broadcast_to(_t(row), (33, 47)), np.broadcast_to(row, (33, 47))),
        (
            "3d-permuted",
            pj.transpose(_t(base.reshape(3, 11, 47)), (2, 0, 1)),
            base.reshape(3, 11, 47).transpose(2, 0, 1),
        ),
    ]
    for label, view, arr in views:
        for axis in (None, 0, 1, -1, (0, 1)):
            np.testing.assert_allclose(
                fn(view, axis=axis).numpy(), ref(arr, axis=axis), rtol=1e-12, err_msg=f"{label} axis={axis}"
            )
    big = rng.standard_normal((4, 1000, 3))
    for axis in (0, 1, 2, (0, 2)):
        np.testing.assert_allclose(fn(_t(big), axis=axis).numpy(), ref(big, axis=axis), rtol=1e-11)


@pytest.mark.parametrize("case", params(OTHERS))
def test_prod_var_std_logsumexp_noncontiguous_and_large_inputs(case, rng):
    fn, ref = case.sweep
    name = case.name
    base = rng.uniform(0.9, 1.1, (33, 47)) if name == "prod" else rng.standard_normal((33, 47))
    for label, view, arr in [
        ("transposed", _t(base).T, base.T),
        ("negative-steps", _t(base)[::-1, ::-3], base[::-1, ::-3]),
        ("broadcast", pj.broadcast_to(_t(base[:1]), (5, 47)), np.broadcast_to(base[:1], (5, 47))),
    ]:
        for axis in (None, 0, 1, (0, 1)):
            np.testing.assert_allclose(
                fn(view, axis=axis).numpy(), ref(arr, axis=axis), rtol=1e-12, err_msg=f"{label} axis={axis}"
            )
    big = rng.uniform(0.99, 1.01, (4, 1000, 3)) if name == "prod" else rng.standard_normal((4, 1000, 3))
    for axis in (0, 1, (0, 2)):
        np.testing.assert_allclose(fn(_t(big), axis=axis).numpy(), ref(big, axis=axis), rtol=1e-11)


@pytest.mark.parametrize("ord,axis", [(None, None), (1, 0), (np.inf, 1), (3, 0), ("fro", None), (1, None)], ids=str)
def test_norm_noncontiguous_inputs(ord, axis, rng):
    base = rng.standard_normal((9, 14))
    for view, arr in [(_t(base).T, base.T), (_t(base)[::-2, ::-1], base[::-2, ::-1])]:
        np.testing.assert_allclose(
            pj.norm(view, ord=ord, axis=axis).numpy(), np.linalg.norm(arr, ord=ord, axis=axis), rtol=1e-12
        )


# ==== dtypes ========================================================================================
@pytest.mark.parametrize("case", params(REDUCTIONS))
def test_reduction_float32_preserved(case, rng):
    fn, ref = case.sweep
    a = rng.standard_normal((3, 4)).astype(np.float32)
    x = _t(a, True)
    out = fn(x, axis=1)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.detach().numpy(), ref(a, axis=1), rtol=1e-5)
    (g,) = pj.grad(pj.sum(out), x)
    assert g.dtype == np.float32


@pytest.mark.parametrize("case", params(SUM_MEAN_MAX_MIN))
def test_reduction_integer_dtype_like_numpy(case):
    fn, ref = case.sweep
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


@pytest.mark.parametrize("case", params(_by_id("max", "min")))
def test_max_min_propagate_nan_like_numpy(case):
    fn, ref = case.sweep
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
# (second order and batched cotangents of every registry entry, and forward mode: tests/test_every_op.py
# and tests/test_forward_mode.py)
@pytest.mark.parametrize("keepdims", [False, True], ids=["", "keepdims"])
@pytest.mark.parametrize("case,shape,axis", _derivative_cases(GRAD_AXIS_CASES))
def test_reduction_gradcheck(case, shape, axis, keepdims, rng):
    fn = case.sweep[0]
    x = _t(rng.standard_normal(shape), True)  # distinct values: no ties for max/min
    assert gradcheck(lambda x: fn(x, axis=axis, keepdims=keepdims), (x,))


@pytest.mark.parametrize("shape,axis", [((2, 3), 1), ((2, 2, 3), (0, 2)), ((4,), None)], ids=str)
@pytest.mark.parametrize("case", params(REDUCTIONS))
def test_reduction_gradgradcheck(case, shape, axis, rng):
    fn = case.sweep[0]
    x = _t(rng.standard_normal(shape), True)
    assert gradgradcheck(lambda x: fn(x, axis=axis), (x,))


@pytest.mark.parametrize("keepdims", [False, True], ids=["", "keepdims"])
@pytest.mark.parametrize(
    "case,shape,axis",
    _derivative_cases([((2, 3), None), ((2, 3), 0), ((2, 3, 4), (0, 2)), ((2, 3, 4), -1), ((), None)]),
)
def test_reduction_batched_cotangents(case, shape, axis, keepdims, rng, batched_check):
    fn = case.sweep[0]
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
    a[0, 0, 1] = a[1, 1, 1] = 1.0 if name == "max" else -1.0
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
@pytest.mark.parametrize("case", params(SUM_MEAN_MAX_MIN))
def test_reduction_bad_axis(case):
    fn, name = case.sweep[0], case.name
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


# ==== prod, var, std, logsumexp, argmax, argmin, all, any ==================================================
def test_reduction_methods(rng):
    a = rng.standard_normal((3, 4))
    x = _t(a)
    np.testing.assert_allclose(x.prod(1).numpy(), a.prod(1), rtol=1e-14)
    np.testing.assert_allclose(x.prod(axis=0, keepdims=True).numpy(), a.prod(axis=0, keepdims=True), rtol=1e-14)
    np.testing.assert_allclose(x.var(0, ddof=1).numpy(), a.var(0, ddof=1), rtol=1e-14)
    np.testing.assert_allclose(x.std(keepdims=True).numpy(), a.std(keepdims=True), rtol=1e-14)
    np.testing.assert_allclose(x.logsumexp(1).numpy(), _np_logsumexp(a, 1), rtol=1e-14)
    np.testing.assert_array_equal(x.argmax(1).numpy(), a.argmax(1))
    np.testing.assert_array_equal(x.argmin(keepdims=True).numpy(), a.argmin(keepdims=True))
    np.testing.assert_array_equal((x > 0).all(0).numpy(), (a > 0).all(0))
    np.testing.assert_array_equal((x > 0).any(keepdims=True).numpy(), (a > 0).any(keepdims=True))
    np.testing.assert_allclose(x.cumsum(1).numpy(), a.cumsum(1), rtol=1e-14)
    np.testing.assert_allclose(x.cumprod().numpy(), a.cumprod(), rtol=1e-14)
    np.testing.assert_array_equal(x.amax(0).numpy(), np.amax(a, 0))
    np.testing.assert_array_equal(x.amin(axis=1, keepdims=True).numpy(), np.amin(a, axis=1, keepdims=True))


def test_amax_amin_are_max_min(rng):
    a = rng.standard_normal((2, 3, 4))
    assert pj.amax is pj.max and pj.amin is pj.min
    for axis in (None, 1, (0, 2)):
        np.testing.assert_array_equal(pj.amax(_t(a), axis=axis).numpy(), np.amax(a, axis=axis))
        np.testing.assert_array_equal(
            pj.amin(_t(a), axis=axis, keepdims=True).numpy(), np.amin(a, axis=axis, keepdims=True)
        )
    x = _t(np.array([1.0, 3.0, 3.0]), True)
    (g,) = pj.grad(pj.amax(x), x)
    np.testing.assert_array_equal(g.numpy(), [0.0, 0.5, 0.5])


@pytest.mark.parametrize("axis", [None, 0, 1])
def test_integer_and_bool_dtypes_like_numpy(axis):
    i = np.array([[3, -2, 5], [4, 1, -1]])
    b = np.array([[True, False, True], [True, True, True]])
    for a in (i, b):
        for name, kwargs in [
            ("prod", {}),
            ("var", {}),
            ("std", {"ddof": 1}),
            ("cumsum", {}),
            ("cumprod", {}),
            ("argmax", {}),
            ("argmin", {}),
            ("all", {}),
            ("any", {}),
        ]:
            expected = np.asarray(getattr(np, name)(a, axis=axis, **kwargs))
            out = getattr(pj, name)(_t(a), axis=axis, **kwargs)
            assert out.dtype == expected.dtype, (name, a.dtype, out.dtype, expected.dtype)
            np.testing.assert_allclose(out.numpy().astype(np.float64), expected.astype(np.float64), rtol=1e-14)
        out = pj.logsumexp(_t(a), axis=axis)
        assert out.dtype == np.float64
        np.testing.assert_allclose(out.numpy(), _np_logsumexp(a.astype(np.float64), axis=axis), rtol=1e-14)


def test_integer_prod_and_cumprod_wrap_around_like_numpy():
    a = np.array([2**40, 2**40, 3])
    np.testing.assert_array_equal(pj.prod(_t(a)).numpy(), np.prod(a))
    np.testing.assert_array_equal(pj.cumprod(_t(a)).numpy(), np.cumprod(a))
    big = np.array([np.iinfo(np.int64).max, 5])
    np.testing.assert_array_equal(pj.cumsum(_t(big)).numpy(), np.cumsum(big))


@pytest.mark.parametrize(
    "shape,axis", [((0,), None), ((0, 3), 0), ((0, 3), None), ((2, 0), 1), ((0, 3), 1), ((2, 0, 3), (0, 2))], ids=str
)
def test_empty_reductions_like_numpy(shape, axis):
    a = np.zeros(shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for name in ("prod", "var", "std", "all", "any"):
            expected = np.asarray(getattr(np, name)(a, axis=axis))
            out = getattr(pj, name)(_t(a), axis=axis)
            assert out.shape == expected.shape, name
            np.testing.assert_array_equal(out.numpy(), expected, err_msg=name)  # 1, nan, nan, True, False
    out = pj.logsumexp(_t(a), axis=axis)
    assert out.shape == np.sum(a, axis=axis).shape
    if 0 in [shape[d] for d in (range(len(shape)) if axis is None else np.atleast_1d(axis))]:
        np.testing.assert_array_equal(out.numpy(), np.full(out.shape, -np.inf))  # log of an empty sum


def test_empty_reduction_gradients():
    x = _t(np.zeros((0, 3)), True)
    for fn in (
        lambda x: pj.prod(x, 0),
        lambda x: pj.logsumexp(x, 0),
        lambda x: pj.cumsum(x, 0),
        lambda x: pj.cumprod(x, 0),
    ):
        out = fn(x)
        (g,) = pj.grad(out, x, grad_outputs=_t(np.ones(out.shape)))
        assert g.shape == (0, 3)
    (g,) = pj.grad(pj.prod(x, 0), x, grad_outputs=_t(np.ones(3)))
    assert g.shape == (0, 3)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("ddof", [0, 1, 2, 3, 4, 0.5, -1])
def test_var_std_ddof_like_numpy(ddof, rng):
    a = rng.standard_normal((3, 4))
    for axis in (None, 0, 1):
        for name in ("var", "std"):
            expected = getattr(np, name)(a, axis=axis, ddof=ddof)
            np.testing.assert_allclose(getattr(pj, name)(_t(a), axis=axis, ddof=ddof).numpy(), expected, rtol=1e-13)
    # ddof >= count: 0 / 0 is nan, positive / 0 is inf, as NumPy
    np.testing.assert_array_equal(pj.var(_t(np.ones(2)), ddof=2).numpy(), np.var(np.ones(2), ddof=2))
    np.testing.assert_array_equal(
        pj.std(_t(np.array([1.0, 2.0])), ddof=3).numpy(), np.std(np.array([1.0, 2.0]), ddof=3)
    )


def test_var_is_accurate_for_a_large_offset():
    a = 1e8 + np.array([1.0, 2.0, 3.0, 4.0])  # two passes: no catastrophic cancellation
    np.testing.assert_allclose(pj.var(_t(a)).numpy(), 1.25, rtol=1e-9)


# ==== prod with zeros ==============================================================================
def _prod_hessian(a):
    """d^2 prod / dx_i dx_j: the product of all but x_i and x_j off the diagonal, 0 on it."""
    n = a.size
    H = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            if i != j:
                H[i, j] = np.prod(np.delete(a, [i, j]))
    return H


@pytest.mark.parametrize(
    "a",
    [
        np.array([1.5, -2.0, 3.0, 0.5]),
        np.array([1.5, 0.0, 3.0, 0.5]),
        np.array([0.0, -2.0, 0.0, 0.5]),
        np.array([0.0, 0.0, 0.0, 2.0]),
        np.array([0.0]),
        np.array([4.0]),
    ],
    ids=["no-zero", "one-zero", "two-zeros", "three-zeros", "single-zero", "single"],
)
def test_prod_gradient_and_hessian_with_zeros(a):
    x = _t(a, True)
    (g,) = pj.grad(pj.prod(x), x)
    expected = np.array([np.prod(np.delete(a, i)) for i in range(a.size)])
    np.testing.assert_array_equal(g.numpy(), expected)  # one zero: the others' product there; two: 0
    H = pj.hessian(lambda y: pj.prod(y), _t(a))
    np.testing.assert_array_equal(H.numpy(), _prod_hessian(a))
    H_rev = pj.hessian(lambda y: pj.prod(y), _t(a), outer_jacobian_strategy="reverse-mode")
    np.testing.assert_array_equal(H_rev.numpy(), _prod_hessian(a))


def test_prod_third_derivative_with_zeros():
    a = np.array([0.0, 2.0, 0.0, -1.5])
    T = pj.func.jacfwd(pj.func.jacrev(pj.func.jacrev(lambda y: pj.prod(y))))(_t(a))
    expected = np.zeros((4, 4, 4))
    for i in range(4):
        for j in range(4):
            for k in range(4):
                if len({i, j, k}) == 3:
                    expected[i, j, k] = np.prod(np.delete(a, [i, j, k]))
    np.testing.assert_array_equal(T.numpy(), expected)


@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 2), (1, 2)], ids=str)
def test_prod_along_axes_with_zeros(axis, rng):
    a = rng.standard_normal((2, 3, 4))
    a[0, 1, 2] = a[1, 0, 1] = a[1, 2, 1] = a[1, 2, 3] = 0.0  # single and repeated zeros in slices
    assert gradcheck(lambda x: pj.prod(x, axis), (_t(a, True),))
    assert gradgradcheck(lambda x: pj.prod(x, axis, keepdims=True), (_t(a, True),))


def test_prod_second_order_batched_with_zeros(batched_check):
    a = np.array([[0.0, 2.0, 3.0], [0.0, 0.0, 1.5]])

    def first(x):
        (g,) = pj.grad(pj.sum(pj.prod(x, 1)), x, create_graph=True)
        return g

    batched_check(first, [a], k=3)


# ---- var, std, logsumexp: gradients, zero variance, stability -------------------------------------
def test_var_std_gradient_values(rng):
    a = rng.standard_normal((3, 5))
    x = _t(a, True)
    (g,) = pj.grad(pj.sum(pj.var(x, 1, ddof=1)), x)
    np.testing.assert_allclose(g.numpy(), 2 * (a - a.mean(1, keepdims=True)) / 4, rtol=1e-13)
    (g,) = pj.grad(pj.sum(pj.std(x, 0)), x)
    np.testing.assert_allclose(g.numpy(), (a - a.mean(0, keepdims=True)) / (3 * a.std(0, keepdims=True)), rtol=1e-13)


# ---- std at zero variance: gradient 0 (finite), second derivative finite -------------------------
@pytest.mark.parametrize("ddof", [0, 1])
def test_std_gradient_at_zero_variance_is_zero(ddof):
    x = _t(np.full(4, 2.5), True)
    y = pj.std(x, ddof=ddof)
    assert y.item() == 0.0
    (g,) = pj.grad(y, x, create_graph=True)
    np.testing.assert_array_equal(g.detach().numpy(), np.zeros(4))
    (h,) = pj.grad(pj.sum(g), x, allow_unused=True)
    assert h is None or np.all(np.isfinite(h.numpy()))
    _, jv = pj.jvp(lambda z: pj.std(z, ddof=ddof), _t(np.full(4, 2.5)), _t(np.arange(4.0)))
    np.testing.assert_array_equal(jv.numpy(), 0.0)


def test_std_along_axis_with_a_constant_row(rng):
    a = np.array([[1.0, 1.0, 1.0], [3.0, -4.0, 1.0]])
    x = _t(a, True)
    (g,) = pj.grad(pj.sum(pj.std(x, axis=1)), x)
    np.testing.assert_array_equal(g.numpy()[0], [0.0, 0.0, 0.0])
    np.testing.assert_allclose(g.numpy()[1], (a[1] - a[1].mean()) / (3 * a[1].std()), rtol=1e-13)


# ---- logsumexp: stability, infinities ------------------------------------------------------------
@pytest.mark.parametrize("scale", [1.0, 1e2, 1e4, -1e4])
def test_logsumexp_is_stable(scale, rng):
    a = rng.standard_normal((3, 5)) * abs(scale) + (scale if scale < 0 else 0)
    out = pj.logsumexp(_t(a), axis=1)
    m = a.max(1)
    expected = m + np.log(np.sum(np.exp(a - m[:, None]), axis=1))
    assert np.all(np.isfinite(out.numpy()))
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-14)
    x = _t(a, True)
    (g,) = pj.grad(pj.sum(pj.logsumexp(x, axis=1)), x)
    sm = np.exp(a - expected[:, None])
    np.testing.assert_allclose(g.numpy(), sm, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(g.numpy().sum(1), 1.0, rtol=1e-13)


def test_logsumexp_with_infinite_entries():
    a = np.array([[0.0, -np.inf, 1.0], [-np.inf, -np.inf, -np.inf], [np.inf, 0.0, 1.0], [np.nan, 0.0, 1.0]])
    out = pj.logsumexp(_t(a), axis=1)
    np.testing.assert_allclose(out.numpy(), [np.log(1 + np.e), -np.inf, np.inf, np.nan], rtol=1e-15)
    x = _t(a[:2], True)
    (g,) = pj.grad(pj.sum(pj.logsumexp(x, axis=1)), x, create_graph=True)
    p = np.exp(np.array([0.0, 1.0]) - np.log(1 + np.e))
    np.testing.assert_allclose(
        g.detach().numpy(), [[p[0], 0.0, p[1]], [0.0, 0.0, 0.0]], rtol=1e-15
    )  # all -inf: 0, not NaN
    (h,) = pj.grad(pj.sum(g * _t(np.arange(6.0).reshape(2, 3))), x)
    assert np.all(np.isfinite(h.numpy()))
    np.testing.assert_array_equal(h.numpy()[:, 1], 0.0)
    np.testing.assert_array_equal(h.numpy()[1], 0.0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=lambda d: np.dtype(d).name)
def test_logsumexp_large_and_strided(dtype, rng):
    """Slices longer than the kernel's exp blocks, reduced along inner and outer axes, with -inf,
    +inf and NaN entries, through strided views."""
    a = (rng.standard_normal((5, 700, 3)) * 30).astype(dtype)
    a[0, :, 1] = -np.inf
    a[1, 650, 2] = np.inf
    a[2, 300, 0] = np.nan
    a[3, ::2, :] = -np.inf
    # results near 0 are a difference of terms of size ~100: absolute tolerance at their precision
    rtol, atol = (1e-13, 1e-12) if dtype == np.float64 else (1e-5, 1e-4)
    with np.errstate(invalid="ignore"):
        for axis in (None, 0, 1, 2, (0, 1), (1, 2), -1):
            for view, arr in [
                (_t(a), a),
                (pj.transpose(_t(a), (2, 1, 0)), a.transpose(2, 1, 0)),
                (_t(a)[::-1, ::3], a[::-1, ::3]),
            ]:
                out = pj.logsumexp(view, axis)
                assert out.dtype == dtype
                np.testing.assert_allclose(
                    out.numpy(), _np_logsumexp(arr.astype(np.float64), axis), rtol=rtol, atol=atol, err_msg=str(axis)
                )


def test_logsumexp_with_neg_inf_gradcheck():
    a = np.array([[0.3, -np.inf, 1.2], [-0.5, 0.1, -np.inf]])
    assert gradcheck(lambda x: pj.logsumexp(x, axis=1), (_t(a, True),))
    assert gradgradcheck(lambda x: pj.logsumexp(x, axis=1), (_t(a, True),))


def test_logsumexp_scipy_parity(rng):
    special = pytest.importorskip("scipy.special")
    a = rng.standard_normal((2, 3, 4)) * 50
    a[0, 1, 2] = -np.inf
    for axis in (None, 0, (1, 2), -1):
        for keepdims in (False, True):
            np.testing.assert_allclose(
                pj.logsumexp(_t(a), axis, keepdims=keepdims).numpy(),
                special.logsumexp(a, axis=axis, keepdims=keepdims),
                rtol=1e-14,
            )


# ==== argmax / argmin / all / any: values, no gradient ============================================
@pytest.mark.parametrize("keepdims", [False, True], ids=["", "keepdims"])
@pytest.mark.parametrize(
    "shape,axis",
    [
        ((), None),
        ((), 0),
        ((), -1),
        ((5,), None),
        ((5,), 0),
        ((2, 3), None),
        ((2, 3), 0),
        ((2, 3), 1),
        ((2, 3), -1),
        ((2, 3, 4), 1),
        ((2, 0), 0),
        ((3, 4, 2), -3),
    ],
    ids=str,
)
@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_argmin_values(name, shape, axis, keepdims, rng):
    a = rng.integers(-2, 3, shape).astype(np.float64)  # small integers: ties happen
    expected = np.asarray(getattr(np, name)(a, axis=axis, keepdims=keepdims))
    out = getattr(pj, name)(_t(a), axis, keepdims=keepdims)
    assert out.dtype == np.int64
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out.numpy(), expected)


@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_argmin_first_occurrence_nan_and_dtypes(name):
    ref = getattr(np, name)
    fn = getattr(pj, name)
    for a in (
        np.array([1.0, 3.0, 3.0, -1.0, -1.0]),
        np.array([1.0, np.nan, 3.0, np.nan]),
        np.array([np.nan, 1.0]),
        np.array([2, 7, 7, -4, -4]),
        np.array([False, True, True]),
        np.array([-np.inf, np.inf, 0.0]),
        np.array([1.0, 3.0], np.float32),
    ):
        assert fn(_t(a)).item() == ref(a), a
    a = np.array([[1.0, np.nan, 0.0], [5.0, 5.0, 1.0]])
    np.testing.assert_array_equal(fn(_t(a), 1).numpy(), ref(a, 1))
    np.testing.assert_array_equal(fn(_t(a).T, 0).numpy(), ref(a.T, 0))  # strided input


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.bool_], ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_argmin_long_rows_like_numpy(name, dtype, rng):
    """Rows longer than the kernel's lanes, with ties, NaNs at the start, middle and tail, and the
    outer-axis path (the reduced axis not innermost), strided views included."""
    a = rng.integers(-50, 50, (7, 1003)).astype(dtype)
    if dtype in (np.float64, np.float32):
        a[1, 0] = a[2, 517] = a[3, 1002] = a[4, 9] = a[4, 700] = np.nan
        a[5, 3] = np.inf
        a[6, 1000] = -np.inf
    ref, fn = getattr(np, name), getattr(pj, name)
    for axis in (None, 0, 1, -1):
        np.testing.assert_array_equal(fn(_t(a), axis).numpy(), ref(a, axis=axis), err_msg=str(axis))
        np.testing.assert_array_equal(fn(_t(a).T, axis).numpy(), ref(a.T, axis=axis), err_msg=f"T {axis}")
        np.testing.assert_array_equal(fn(_t(a)[:, ::-3], axis).numpy(), ref(a[:, ::-3], axis=axis))


# (no gradient from argmax, argmin, all, any: tests/test_every_op.py)
@pytest.mark.parametrize("keepdims", [False, True], ids=["", "keepdims"])
@pytest.mark.parametrize(
    "shape,axis",
    [
        ((), None),
        ((5,), 0),
        ((2, 3), None),
        ((2, 3), 1),
        ((2, 3, 4), (0, 2)),
        ((2, 3, 4), -1),
        ((0, 3), 0),
        ((0, 3), 1),
        ((0, 3), None),
        ((2, 3), ()),
    ],
    ids=str,
)
@pytest.mark.parametrize("name", ["all", "any"])
def test_all_any_values(name, shape, axis, keepdims, rng):
    for a in (rng.random(shape) > 0.3, rng.integers(0, 2, shape).astype(np.float64), rng.integers(-1, 2, shape)):
        expected = np.asarray(getattr(np, name)(a, axis=axis, keepdims=keepdims))
        out = getattr(pj, name)(_t(a), axis, keepdims=keepdims)
        assert out.dtype == np.bool_
        assert out.shape == expected.shape
        np.testing.assert_array_equal(out.numpy(), expected)


@pytest.mark.parametrize("name", ["all", "any"])
def test_all_any_large_and_strided(name, rng):
    a = rng.random((6, 1001, 5)) < 0.999  # mostly True: `all` is False only here and there
    a[2] = True
    a[3] = False
    for arr in (a, a.astype(np.float32) * 2.5, a.astype(np.int64)):
        for axis in (None, 0, 1, 2, (0, 2), (1, 2)):
            for view, ref in [
                (_t(arr), arr),
                (pj.transpose(_t(arr), (1, 2, 0)), arr.transpose(1, 2, 0)),
                (_t(arr)[::2, ::-5], arr[::2, ::-5]),
            ]:
                np.testing.assert_array_equal(getattr(pj, name)(view, axis).numpy(), getattr(np, name)(ref, axis=axis))


def test_all_any_nan_counts_as_true_and_no_gradient():
    a = np.array([np.nan, 0.0, -0.0])
    assert pj.any(_t(a)).item() == np.any(a)
    assert pj.all(_t(a[:1])).item() == np.all(a[:1])
    x = _t(np.array([1.0, 2.0]), True)
    assert not pj.any(x).requires_grad and not pj.all(x > 0).requires_grad


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


@pytest.mark.parametrize(
    "ord,shape",
    [
        (None, (3,)),
        (2, (3,)),
        (1, (3,)),
        (np.inf, (3,)),
        (-np.inf, (3,)),
        (0, (3,)),
        (3, (3,)),
        ("fro", (2, 2)),
        (1, (2, 2)),
        (np.inf, (2, 2)),
    ],
    ids=lambda v: _ord_id(v) if not isinstance(v, tuple) else str(v),
)
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


@pytest.mark.parametrize(
    "ord,axis",
    [(None, None), (2, 1), (1, 0), (np.inf, 1), (3, -1), ("fro", (0, 1)), (1, (0, 1)), (np.inf, (1, 0))],
    ids=str,
)
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


COMPOSITES = [
    ("softmax", _softmax),
    ("logsumexp", _logsumexp),
    ("standardize", _standardize),
    ("normalize", lambda x: x / pj.norm(x, axis=1, keepdims=True)),
]


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
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-13)
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
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-13)
    np.testing.assert_allclose(g.numpy(), tx.grad.numpy(), rtol=1e-12)


# ==== torch parity: prod var std logsumexp argmax argmin all any ======================================
# (values, VJPs and second derivatives of every registry entry with a torch counterpart, with and
# without zeros: tests/test_every_op.py)
def test_torch_parity_std_at_zero_variance(torch):
    a = np.full((2, 3), 1.5)
    x = _t(a, True)
    (g,) = pj.grad(pj.sum(pj.std(x, 1)), x)
    tx = torch.tensor(a, requires_grad=True)
    torch.std(tx, 1).sum().backward()
    np.testing.assert_array_equal(g.numpy(), tx.grad.numpy())  # both 0


def test_torch_parity_arg_and_logical(torch, rng):
    a = rng.integers(-2, 3, (3, 4)).astype(np.float64)
    ta = torch.tensor(a)
    np.testing.assert_array_equal(pj.argmax(_t(a), 1).numpy(), torch.argmax(ta, 1).numpy())
    np.testing.assert_array_equal(pj.argmin(_t(a)).numpy(), torch.argmin(ta).numpy())
    np.testing.assert_array_equal(pj.all(_t(a), 0).numpy(), torch.all(ta, 0).numpy())
    np.testing.assert_array_equal(pj.any(_t(a), 1).numpy(), torch.any(ta, 1).numpy())


# ==== errors ======================================================================================
ALL_NAMES = ["prod", "var", "std", "logsumexp", "all", "any"]


@pytest.mark.parametrize("name", ALL_NAMES + ["argmax", "argmin", "cumsum", "cumprod"])
def test_bad_axis_raises_value_error_naming_the_op(name):
    x = _t(np.ones((2, 3)))
    fn = getattr(pj, name)
    for axis in (2, -3):
        with pytest.raises(ValueError) as exc:
            fn(x, axis)
        assert name in str(exc.value)
    with pytest.raises(ValueError):
        fn(_t(np.array(1.0)), 1)
    with pytest.raises(TypeError):
        fn(x, 1.5)
    with pytest.raises(TypeError):
        fn(x, "0")


@pytest.mark.parametrize("name", ALL_NAMES)
def test_repeated_axis_raises(name):
    with pytest.raises(ValueError) as exc:
        getattr(pj, name)(_t(np.ones((2, 3))), (0, 0))
    assert name in str(exc.value)
    with pytest.raises(ValueError):
        getattr(pj, name)(_t(np.ones((2, 3))), (1, -1))


@pytest.mark.parametrize("name", ["argmax", "argmin", "cumsum", "cumprod"])
def test_tuple_axis_is_a_type_error_like_numpy(name):
    with pytest.raises(TypeError) as exc:
        getattr(pj, name)(_t(np.ones((2, 3))), (0, 1))
    assert name in str(exc.value)


@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_arg_of_empty_raises(name):
    with pytest.raises(ValueError) as exc:
        getattr(pj, name)(_t(np.zeros((0, 3))))
    assert name in str(exc.value) and "empty" in str(exc.value)
    with pytest.raises(ValueError):
        getattr(pj, name)(_t(np.zeros((2, 0))), 1)
    assert getattr(pj, name)(_t(np.zeros((2, 0))), 0).shape == (0,)


def test_keepdims_and_ddof_are_keyword_only_like_numpy():
    x = _t(np.ones((2, 3)))
    for name in ("prod", "var", "std", "argmax", "all"):
        with pytest.raises(TypeError):
            getattr(pj, name)(x, 0, True)
