"""More reductions: prod, var, std, logsumexp, argmax, argmin, all, any, cumsum, cumprod, and the
amax / amin names.

Values against NumPy (axis None / int / negative / tuple, keepdims, float32, integers, 0-d and
empty), first and second derivatives against finite differences, batched cotangents, forward mode
against the reverse-mode Jacobian, the zero conventions of prod and cumprod (exact to second
order), std at zero variance, logsumexp's stability, torch parity, and errors.
"""
import warnings

import numpy as np
import pytest

import pyjac as pj
from pyjac._forward import dual_level, make_dual, tangent_of
from pyjac.testing import gradcheck, gradgradcheck


def _t(a, requires_grad=False):
    return pj.tensor(np.asarray(a), requires_grad=requires_grad)


def _np_logsumexp(a, axis=None, keepdims=False):
    """Reference: the max-shifted formula in NumPy (what scipy.special.logsumexp computes)."""
    a = np.asarray(a, np.float64) if not np.issubdtype(np.asarray(a).dtype, np.floating) else np.asarray(a)
    with np.errstate(all="ignore"):
        m = np.max(a, axis=axis, keepdims=True) if a.size else np.zeros([1] * a.ndim, a.dtype)
        m = np.where(np.isfinite(m), m, 0)
        out = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m
    if not keepdims:
        out = np.squeeze(out, axis=axis) if axis is not None else out.reshape(())
    return out


def _np_var(ddof):
    return lambda a, axis=None, keepdims=False: np.var(a, axis=axis, ddof=ddof, keepdims=keepdims)


def _np_std(ddof):
    return lambda a, axis=None, keepdims=False: np.std(a, axis=axis, ddof=ddof, keepdims=keepdims)


# name, pyjac function (x, axis, keepdims), reference
REDUCTIONS = [
    ("prod", lambda x, axis=None, keepdims=False: pj.prod(x, axis, keepdims=keepdims), np.prod),
    ("var", lambda x, axis=None, keepdims=False: pj.var(x, axis, keepdims=keepdims), np.var),
    ("var_ddof1", lambda x, axis=None, keepdims=False: pj.var(x, axis, ddof=1, keepdims=keepdims), _np_var(1)),
    ("std", lambda x, axis=None, keepdims=False: pj.std(x, axis, keepdims=keepdims), np.std),
    ("std_ddof1", lambda x, axis=None, keepdims=False: pj.std(x, axis, ddof=1, keepdims=keepdims), _np_std(1)),
    ("logsumexp", lambda x, axis=None, keepdims=False: pj.logsumexp(x, axis, keepdims=keepdims), _np_logsumexp),
]
RED_IDS = [r[0] for r in REDUCTIONS]

AXIS_CASES = [((), None), ((5,), None), ((5,), 0), ((5,), -1), ((2, 3), None), ((2, 3), 0), ((2, 3), 1),
              ((2, 3), -2), ((2, 3), (0, 1)), ((2, 3, 4), (0, 2)), ((2, 3, 4), (-1, 0)), ((2, 3, 4), 1),
              ((1, 3, 1), (0, 2)), ((2, 3), ())]
AXIS_IDS = [f"{s}-axis{a}" for s, a in AXIS_CASES]
GRAD_AXIS_CASES = [((), None), ((4,), None), ((2, 3), 0), ((2, 3), -1), ((2, 3), None), ((2, 2, 3), (0, 2)),
                   ((2, 2, 3), 1)]


def _defined(name, shape, axis):
    """False for var/std with ddof=1 over a single element (0 / 0): left out of derivative checks."""
    if not name.endswith("ddof1"):
        return True
    axes = range(len(shape)) if axis is None else ([axis] if isinstance(axis, int) else axis)
    return int(np.prod([shape[a] for a in axes])) >= 2


def _derivative_cases(shape_axis_cases):
    return [pytest.param(r, s, a, id=f"{r[0]}-{s}-axis{a}") for r in REDUCTIONS for s, a in shape_axis_cases
            if _defined(r[0], s, a)]


# ==== values ======================================================================================
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # ddof=1 over one element: NumPy warns, gives nan
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
def test_reduction_noncontiguous_and_large_inputs(name, fn, ref, rng):
    base = rng.uniform(0.9, 1.1, (33, 47)) if name == "prod" else rng.standard_normal((33, 47))
    for label, view, arr in [("transposed", _t(base).T, base.T), ("negative-steps", _t(base)[::-1, ::-3], base[::-1, ::-3]),
                             ("broadcast", pj.broadcast_to(_t(base[:1]), (5, 47)), np.broadcast_to(base[:1], (5, 47)))]:
        for axis in (None, 0, 1, (0, 1)):
            np.testing.assert_allclose(fn(view, axis=axis).numpy(), ref(arr, axis=axis), rtol=1e-12,
                                       err_msg=f"{label} axis={axis}")
    big = rng.uniform(0.99, 1.01, (4, 1000, 3)) if name == "prod" else rng.standard_normal((4, 1000, 3))
    for axis in (0, 1, (0, 2)):
        np.testing.assert_allclose(fn(_t(big), axis=axis).numpy(), ref(big, axis=axis), rtol=1e-11)


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
        np.testing.assert_array_equal(pj.amin(_t(a), axis=axis, keepdims=True).numpy(), np.amin(a, axis=axis, keepdims=True))
    x = _t(np.array([1.0, 3.0, 3.0]), True)
    (g,) = pj.grad(pj.amax(x), x)
    np.testing.assert_array_equal(g.numpy(), [0.0, 0.5, 0.5])


@pytest.mark.parametrize("axis", [None, 0, 1])
def test_integer_and_bool_dtypes_like_numpy(axis):
    i = np.array([[3, -2, 5], [4, 1, -1]])
    b = np.array([[True, False, True], [True, True, True]])
    for a in (i, b):
        for name, kwargs in [("prod", {}), ("var", {}), ("std", {"ddof": 1}), ("cumsum", {}), ("cumprod", {}),
                             ("argmax", {}), ("argmin", {}), ("all", {}), ("any", {})]:
            expected = np.asarray(getattr(np, name)(a, axis=axis, **kwargs))
            out = getattr(pj, name)(_t(a), axis=axis, **kwargs)
            assert out.dtype == expected.dtype, (name, a.dtype, out.dtype, expected.dtype)
            np.testing.assert_allclose(out.numpy().astype(np.float64), expected.astype(np.float64), rtol=1e-14)
        out = pj.logsumexp(_t(a), axis=axis)
        assert out.dtype == np.float64
        np.testing.assert_allclose(out.numpy(), _np_logsumexp(a.astype(np.float64), axis=axis), rtol=1e-14)


def test_integer_prod_and_cumprod_wrap_around_like_numpy():
    a = np.array([2 ** 40, 2 ** 40, 3])
    np.testing.assert_array_equal(pj.prod(_t(a)).numpy(), np.prod(a))
    np.testing.assert_array_equal(pj.cumprod(_t(a)).numpy(), np.cumprod(a))
    big = np.array([np.iinfo(np.int64).max, 5])
    np.testing.assert_array_equal(pj.cumsum(_t(big)).numpy(), np.cumsum(big))


@pytest.mark.parametrize("shape,axis", [((0,), None), ((0, 3), 0), ((0, 3), None), ((2, 0), 1), ((0, 3), 1),
                                        ((2, 0, 3), (0, 2))], ids=str)
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
    for fn in (lambda x: pj.prod(x, 0), lambda x: pj.logsumexp(x, 0), lambda x: pj.cumsum(x, 0),
               lambda x: pj.cumprod(x, 0)):
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
    np.testing.assert_array_equal(pj.std(_t(np.array([1.0, 2.0])), ddof=3).numpy(), np.std(np.array([1.0, 2.0]), ddof=3))


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


@pytest.mark.parametrize("a", [
    np.array([1.5, -2.0, 3.0, 0.5]),
    np.array([1.5, 0.0, 3.0, 0.5]),
    np.array([0.0, -2.0, 0.0, 0.5]),
    np.array([0.0, 0.0, 0.0, 2.0]),
    np.array([0.0]),
    np.array([4.0]),
], ids=["no-zero", "one-zero", "two-zeros", "three-zeros", "single-zero", "single"])
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


# ==== cumsum / cumprod =============================================================================
CUMULATIVE = [("cumsum", pj.cumsum, np.cumsum), ("cumprod", pj.cumprod, np.cumprod)]
CUM_IDS = [c[0] for c in CUMULATIVE]


@pytest.mark.parametrize("shape,axis", [((), None), ((), 0), ((), -1), ((5,), None), ((5,), 0), ((2, 3), None),
                                        ((2, 3), 0), ((2, 3), 1), ((2, 3), -1), ((2, 3, 4), 1), ((2, 3, 4), -3),
                                        ((0,), None), ((0, 3), 0), ((2, 0), 1), ((3, 0), 0)], ids=str)
@pytest.mark.parametrize("name,fn,ref", CUMULATIVE, ids=CUM_IDS)
def test_cumulative_values(name, fn, ref, shape, axis, rng):
    a = rng.standard_normal(shape)
    expected = ref(a, axis=axis)
    for dtype, rtol in ((np.float64, 1e-13), (np.float32, 1e-5)):
        out = fn(_t(a.astype(dtype)), axis)
        assert out.shape == expected.shape
        assert out.dtype == dtype
        np.testing.assert_allclose(out.numpy(), ref(a.astype(dtype), axis=axis), rtol=rtol, atol=1e-6)


@pytest.mark.parametrize("name,fn,ref", CUMULATIVE, ids=CUM_IDS)
def test_cumulative_noncontiguous_and_large(name, fn, ref, rng):
    base = rng.uniform(0.9, 1.1, (33, 47))
    for view, arr in [(_t(base).T, base.T), (_t(base)[::-1, ::-3], base[::-1, ::-3]),
                      (pj.broadcast_to(_t(base[:1]), (5, 47)), np.broadcast_to(base[:1], (5, 47)))]:
        for axis in (None, 0, 1):
            np.testing.assert_allclose(fn(view, axis).numpy(), ref(arr, axis=axis), rtol=1e-12)
    big = rng.uniform(0.999, 1.001, (3, 2000, 2))
    for axis in (0, 1, 2):
        np.testing.assert_allclose(fn(_t(big), axis).numpy(), ref(big, axis=axis), rtol=1e-11)


@pytest.mark.parametrize("axis", [None, 0, 1, -1], ids=str)
@pytest.mark.parametrize("name,fn,ref", CUMULATIVE, ids=CUM_IDS)
def test_cumulative_gradcheck(name, fn, ref, axis, rng):
    a = rng.standard_normal((3, 4))
    assert gradcheck(lambda x: fn(x, axis), (_t(a, True),))
    assert gradgradcheck(lambda x: fn(x, axis), (_t(rng.standard_normal((2, 3)), True),))


@pytest.mark.parametrize("a", [
    np.array([1.0, 0.0, 2.0, 3.0]),
    np.array([0.0, 1.5, 0.0, -2.0]),
    np.array([2.0, 3.0, 0.5, 0.0]),
    np.array([0.0, 0.0, 0.0]),
], ids=["zero-inside", "two-zeros", "zero-last", "all-zero"])
def test_cumprod_gradient_and_hessian_with_zeros(a):
    n = a.size
    # J[i, k] = d cumprod_i / d x_k = prod_{j <= i, j != k} x_j for k <= i
    J = np.array([[np.prod(np.delete(a[:i + 1], k)) if k <= i else 0.0 for k in range(n)] for i in range(n)])
    np.testing.assert_array_equal(pj.jacobian(pj.cumprod, _t(a)).numpy(), J)
    np.testing.assert_array_equal(pj.jacobian(pj.cumprod, _t(a), strategy="forward-mode").numpy(), J)
    H = np.zeros((n, n))  # of sum(cumprod(x))
    for i in range(n):
        for j in range(n):
            if i != j:
                H[i, j] = sum(np.prod(np.delete(a[:m + 1], [i, j])) for m in range(max(i, j), n))
    np.testing.assert_array_equal(pj.hessian(lambda y: pj.sum(pj.cumprod(y)), _t(a)).numpy(), H)
    assert gradgradcheck(pj.cumprod, (_t(a, True),))


def test_cumprod_with_zeros_along_axes(rng):
    a = rng.standard_normal((3, 4))
    a[0, 1] = a[2, 0] = a[2, 3] = a[1, 2] = 0.0
    for axis in (0, 1, None):
        assert gradcheck(lambda x: pj.cumprod(x, axis), (_t(a, True),))
        assert gradgradcheck(lambda x: pj.cumprod(x, axis), (_t(a, True),))


def test_cumsum_gradient_is_reverse_cumsum():
    x = _t(np.arange(4.0), True)
    (g,) = pj.grad(pj.cumsum(x), x, grad_outputs=_t(np.array([1.0, 2.0, 3.0, 4.0])))
    np.testing.assert_array_equal(g.numpy(), [10.0, 9.0, 7.0, 4.0])


# ==== derivatives ================================================================================
@pytest.mark.parametrize("keepdims", [False, True], ids=["", "keepdims"])
@pytest.mark.parametrize("red,shape,axis", _derivative_cases(GRAD_AXIS_CASES))
def test_reduction_gradcheck(red, shape, axis, keepdims, rng):
    name, fn, ref = red
    x = _t(rng.standard_normal(shape), True)
    assert gradcheck(lambda x: fn(x, axis=axis, keepdims=keepdims), (x,))


@pytest.mark.parametrize("shape,axis", [((2, 3), 1), ((2, 2, 3), (0, 2)), ((4,), None)], ids=str)
@pytest.mark.parametrize("name,fn,ref", REDUCTIONS, ids=RED_IDS)
def test_reduction_gradgradcheck(name, fn, ref, shape, axis, rng):
    x = _t(rng.standard_normal(shape), True)
    assert gradgradcheck(lambda x: fn(x, axis=axis), (x,))


@pytest.mark.parametrize("keepdims", [False, True], ids=["", "keepdims"])
@pytest.mark.parametrize("red,shape,axis", _derivative_cases([((2, 3), None), ((2, 3), 0), ((2, 3, 4), (0, 2)),
                                                              ((2, 3, 4), -1), ((), None)]))
def test_reduction_batched_cotangents(red, shape, axis, keepdims, rng, batched_check):
    name, fn, ref = red
    batched_check(lambda x: fn(x, axis=axis, keepdims=keepdims), [rng.standard_normal(shape)], k=3)


@pytest.mark.parametrize("axis", [None, 0, -1], ids=str)
@pytest.mark.parametrize("name,fn,ref", CUMULATIVE, ids=CUM_IDS)
def test_cumulative_batched_cotangents(name, fn, ref, axis, rng, batched_check):
    a = rng.standard_normal((3, 4))
    a[1, 2] = 0.0
    gs = batched_check(lambda x: fn(x, axis), [a], k=3)
    assert gs[0].shape == (3, 3, 4)


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
    np.testing.assert_allclose(g.detach().numpy(), [[p[0], 0.0, p[1]], [0.0, 0.0, 0.0]], rtol=1e-15)  # all -inf: 0, not NaN
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
            for view, arr in [(_t(a), a), (pj.transpose(_t(a), (2, 1, 0)), a.transpose(2, 1, 0)),
                              (_t(a)[::-1, ::3], a[::-1, ::3])]:
                out = pj.logsumexp(view, axis)
                assert out.dtype == dtype
                np.testing.assert_allclose(out.numpy(), _np_logsumexp(arr.astype(np.float64), axis), rtol=rtol,
                                           atol=atol, err_msg=str(axis))


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
            np.testing.assert_allclose(pj.logsumexp(_t(a), axis, keepdims=keepdims).numpy(),
                                       special.logsumexp(a, axis=axis, keepdims=keepdims), rtol=1e-14)


# ==== argmax / argmin / all / any: values, no gradient ============================================
@pytest.mark.parametrize("keepdims", [False, True], ids=["", "keepdims"])
@pytest.mark.parametrize("shape,axis", [((), None), ((), 0), ((), -1), ((5,), None), ((5,), 0), ((2, 3), None),
                                        ((2, 3), 0), ((2, 3), 1), ((2, 3), -1), ((2, 3, 4), 1), ((2, 0), 0),
                                        ((3, 4, 2), -3)], ids=str)
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
    for a in (np.array([1.0, 3.0, 3.0, -1.0, -1.0]), np.array([1.0, np.nan, 3.0, np.nan]),
              np.array([np.nan, 1.0]), np.array([2, 7, 7, -4, -4]), np.array([False, True, True]),
              np.array([-np.inf, np.inf, 0.0]), np.array([1.0, 3.0], np.float32)):
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


@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_argmin_have_no_gradient(name):
    x = _t(np.array([1.0, 3.0, 2.0]), True)
    out = getattr(pj, name)(x)
    assert not out.requires_grad and out.grad_fn is None


@pytest.mark.parametrize("keepdims", [False, True], ids=["", "keepdims"])
@pytest.mark.parametrize("shape,axis", [((), None), ((5,), 0), ((2, 3), None), ((2, 3), 1), ((2, 3, 4), (0, 2)),
                                        ((2, 3, 4), -1), ((0, 3), 0), ((0, 3), 1), ((0, 3), None), ((2, 3), ())],
                         ids=str)
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
            for view, ref in [(_t(arr), arr), (pj.transpose(_t(arr), (1, 2, 0)), arr.transpose(1, 2, 0)),
                              (_t(arr)[::2, ::-5], arr[::2, ::-5])]:
                np.testing.assert_array_equal(getattr(pj, name)(view, axis).numpy(), getattr(np, name)(ref, axis=axis))


def test_all_any_nan_counts_as_true_and_no_gradient():
    a = np.array([np.nan, 0.0, -0.0])
    assert pj.any(_t(a)).item() == np.any(a)
    assert pj.all(_t(a[:1])).item() == np.all(a[:1])
    x = _t(np.array([1.0, 2.0]), True)
    assert not pj.any(x).requires_grad and not pj.all(x > 0).requires_grad


# ==== forward mode ================================================================================
def _jacobian_matrices(J, out_size, arrays):
    return [np.asarray(b.numpy(), np.float64).reshape(out_size, np.size(x)) for b, x in zip(J, arrays)]


def _check_forward_mode(fn, arrays, tol=1e-10):
    """The JVP rule against the reverse-mode Jacobian: J v, the forward-mode Jacobian, batched
    tangents with two leading dims, and forward-over-reverse Hessians against reverse-over-reverse."""
    xs = tuple(_t(a) for a in arrays)
    out = fn(*xs)
    J = _jacobian_matrices(pj.jacobian(fn, xs, strategy="reverse-mode"), out.size, arrays)
    J_fwd = _jacobian_matrices(pj.jacobian(fn, xs, strategy="forward-mode"), out.size, arrays)
    for Jf, Jr in zip(J_fwd, J):
        np.testing.assert_allclose(Jf, Jr, rtol=tol, atol=tol)
    r = np.random.default_rng(11)
    vs = [r.standard_normal(np.shape(a)) for a in arrays]
    _, jv = pj.jvp(fn, xs, tuple(_t(v) for v in vs))
    np.testing.assert_allclose(jv.numpy(), sum(Jj @ v.ravel() for Jj, v in zip(J, vs)).reshape(out.shape),
                               rtol=tol, atol=tol)
    T = [r.standard_normal((2, 3) + np.shape(a)) for a in arrays]
    with dual_level() as level:
        tb = tangent_of(fn(*[make_dual(_t(a), _t(tj), level) for a, tj in zip(arrays, T)]), level)
    assert tuple(tb.shape) == (2, 3) + tuple(out.shape)
    for i in range(2):
        for k in range(3):
            expected = sum(Jj @ tj[i, k].ravel() for Jj, tj in zip(J, T)).reshape(out.shape)
            np.testing.assert_allclose(tb.numpy()[i, k], expected, rtol=tol, atol=tol)
    w = _t(r.standard_normal(out.shape))

    def scalar(*ys):
        return pj.sum(w * fn(*ys) ** 2)
    H_rev = pj.hessian(scalar, xs, outer_jacobian_strategy="reverse-mode")
    H_fwd = pj.hessian(scalar, xs, outer_jacobian_strategy="forward-mode")
    for i in range(len(arrays)):
        for j in range(len(arrays)):
            np.testing.assert_allclose(H_fwd[i][j].numpy(), H_rev[i][j].numpy(), rtol=tol, atol=tol)


_ZEROS = np.array([[0.5, 0.0, -1.5, 2.0], [0.0, 1.2, 0.0, -0.7], [1.1, -0.4, 0.9, 0.0]])

FORWARD_CASES = [
    ("prod_all", lambda x: pj.prod(x), (3, 4)),
    ("prod_axis", lambda x: pj.prod(x, 1), (3, 4)),
    ("prod_axes_keepdims", lambda x: pj.prod(x, (0, 2), keepdims=True), (2, 3, 2)),
    ("prod_zeros", lambda x: pj.prod(x, -1), _ZEROS),
    ("prod_zeros_all", lambda x: pj.prod(x[:2]), _ZEROS),
    ("var", lambda x: pj.var(x, 0), (3, 4)),
    ("var_ddof_keepdims", lambda x: pj.var(x, (0, 1), ddof=1, keepdims=True), (2, 3, 2)),
    ("std", lambda x: pj.std(x, -1), (3, 4)),
    ("std_ddof", lambda x: pj.std(x, ddof=1), (3, 4)),
    ("logsumexp", lambda x: pj.logsumexp(x, 1), (3, 4)),
    ("logsumexp_all_keepdims", lambda x: pj.logsumexp(x, keepdims=True), (2, 3)),
    ("cumsum", lambda x: pj.cumsum(x, 1), (3, 4)),
    ("cumsum_flat", lambda x: pj.cumsum(x), (2, 3)),
    ("cumprod", lambda x: pj.cumprod(x, 0), (3, 4)),
    ("cumprod_zeros", lambda x: pj.cumprod(x, -1), _ZEROS),
    ("cumprod_zeros_axis0", lambda x: pj.cumprod(x, 0), _ZEROS),
    ("methods", lambda x: x.prod(0) * x.std(0) + x.logsumexp(0) - x.cumsum(1)[-1] * x.var(0), (3, 4)),
]


@pytest.mark.parametrize("name,fn,spec", FORWARD_CASES, ids=[c[0] for c in FORWARD_CASES])
def test_forward_mode(name, fn, spec, rng):
    a = spec.copy() if isinstance(spec, np.ndarray) else rng.standard_normal(spec)
    _check_forward_mode(fn, [a])


# ==== torch parity ================================================================================
def _torch_and_pj_grads(torch, pj_fn, torch_fn, a, w):
    x = _t(a, True)
    out = pj_fn(x)
    (g,) = pj.grad(out, x, grad_outputs=_t(w), create_graph=True)
    tx = torch.tensor(a, requires_grad=True)
    tout = torch_fn(tx)
    (tg,) = torch.autograd.grad(tout, tx, torch.tensor(w), create_graph=True)
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-13)
    np.testing.assert_allclose(g.numpy(), tg.detach().numpy(), rtol=1e-12, atol=1e-15)
    v = np.random.default_rng(3).standard_normal(a.shape)
    # second derivative (cumsum's gradient does not depend on x: neither library records it)
    h = pj.grad(g, x, grad_outputs=_t(v), allow_unused=True)[0] if g.requires_grad else None
    th = torch.autograd.grad(tg, tx, torch.tensor(v), allow_unused=True)[0] if tg.requires_grad else None
    h = np.zeros(a.shape) if h is None else h.numpy()
    th = np.zeros(a.shape) if th is None else th.numpy()
    np.testing.assert_allclose(h, th, rtol=1e-11, atol=1e-13)


TORCH_CASES = [
    ("prod", lambda x: pj.prod(x, 1), lambda t, x: t.prod(x, 1)),
    ("var", lambda x: pj.var(x, 1, ddof=1), lambda t, x: t.var(x, 1, correction=1)),
    ("std", lambda x: pj.std(x, 0), lambda t, x: t.std(x, 0, correction=0)),
    ("logsumexp", lambda x: pj.logsumexp(x, 1), lambda t, x: t.logsumexp(x, 1)),
    ("cumsum", lambda x: pj.cumsum(x, 1), lambda t, x: t.cumsum(x, 1)),
    ("cumprod", lambda x: pj.cumprod(x, 1), lambda t, x: t.cumprod(x, 1)),
    ("cumprod_axis0", lambda x: pj.cumprod(x, 0), lambda t, x: t.cumprod(x, 0)),
]


@pytest.mark.parametrize("name,fn,tfn", TORCH_CASES, ids=[c[0] for c in TORCH_CASES])
def test_torch_parity(name, fn, tfn, torch, rng):
    a = rng.standard_normal((3, 4))
    w = rng.standard_normal(fn(_t(a)).shape)
    _torch_and_pj_grads(torch, fn, lambda x: tfn(torch, x), a, w)


@pytest.mark.parametrize("name,fn,tfn", [c for c in TORCH_CASES if "prod" in c[0]],
                         ids=[c[0] for c in TORCH_CASES if "prod" in c[0]])
def test_torch_parity_with_zeros(name, fn, tfn, torch):
    w = np.random.default_rng(2).standard_normal(fn(_t(_ZEROS)).shape)
    _torch_and_pj_grads(torch, fn, lambda x: tfn(torch, x), _ZEROS.copy(), w)


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
