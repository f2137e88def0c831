"""Cumulative ops: cumsum and cumprod (axis None or an int).

The ops come from the registry (tests/op_registry, family "cumulative"); each is also checked at
its registry inputs by tests/test_every_op.py (values, first and second derivatives, batched
cotangents, torch, with and without zeros) and tests/test_forward_mode.py. Here: values against
NumPy over shapes, axes, dtypes and layouts, finite differences over axes, and cumprod's exact
derivatives with zeros to second order.
"""

import numpy as np
import pytest
from op_registry import select

import pyjac as pj
from pyjac.testing import gradcheck, gradgradcheck


def _t(a, requires_grad=False):
    return pj.tensor(np.asarray(a), requires_grad=requires_grad)


# base entries: sweep = (pyjac function, NumPy function), axis positional
CUMULATIVE = [(c.name, *c.sweep) for c in select("cumulative") if c.sweep]
CUM_IDS = [c[0] for c in CUMULATIVE]


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
        ((2, 3, 4), -3),
        ((0,), None),
        ((0, 3), 0),
        ((2, 0), 1),
        ((3, 0), 0),
    ],
    ids=str,
)
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
    for view, arr in [
        (_t(base).T, base.T),
        (_t(base)[::-1, ::-3], base[::-1, ::-3]),
        (pj.broadcast_to(_t(base[:1]), (5, 47)), np.broadcast_to(base[:1], (5, 47))),
    ]:
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


@pytest.mark.parametrize(
    "a",
    [
        np.array([1.0, 0.0, 2.0, 3.0]),
        np.array([0.0, 1.5, 0.0, -2.0]),
        np.array([2.0, 3.0, 0.5, 0.0]),
        np.array([0.0, 0.0, 0.0]),
    ],
    ids=["zero-inside", "two-zeros", "zero-last", "all-zero"],
)
def test_cumprod_gradient_and_hessian_with_zeros(a):
    n = a.size
    # J[i, k] = d cumprod_i / d x_k = prod_{j <= i, j != k} x_j for k <= i
    J = np.array([[np.prod(np.delete(a[: i + 1], k)) if k <= i else 0.0 for k in range(n)] for i in range(n)])
    np.testing.assert_array_equal(pj.jacobian(pj.cumprod, _t(a)).numpy(), J)
    np.testing.assert_array_equal(pj.jacobian(pj.cumprod, _t(a), strategy="forward-mode").numpy(), J)
    H = np.zeros((n, n))  # of sum(cumprod(x))
    for i in range(n):
        for j in range(n):
            if i != j:
                H[i, j] = sum(np.prod(np.delete(a[: m + 1], [i, j])) for m in range(max(i, j), n))
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


@pytest.mark.parametrize("axis", [None, 0, -1], ids=str)
@pytest.mark.parametrize("name,fn,ref", CUMULATIVE, ids=CUM_IDS)
def test_cumulative_batched_cotangents(name, fn, ref, axis, rng, batched_check):
    a = rng.standard_normal((3, 4))
    a[1, 2] = 0.0
    gs = batched_check(lambda x: fn(x, axis), [a], k=3)
    assert gs[0].shape == (3, 3, 4)
