"""Matrix products: matmul (and @) with NumPy's rules for 1-D operands and broadcast batch dims; dot.

Values against NumPy, first and second derivatives against finite differences, batched
cotangents, non-contiguous operands, dtypes and errors that name both shapes.
"""

import numpy as np
import pytest

import pyjac as pj
from pyjac.testing import gradcheck, gradgradcheck


def _t(a, requires_grad=False):
    return pj.tensor(np.asarray(a), requires_grad=requires_grad)


MATMUL_SHAPES = [
    ((3,), (3,)),
    ((2, 3), (3,)),
    ((3,), (3, 4)),
    ((2, 3), (3, 4)),
    ((1, 1), (1, 1)),
    ((1, 3), (3, 1)),
    ((4, 2, 3), (3, 2)),
    ((2, 3), (4, 3, 2)),
    ((4, 2, 3), (4, 3, 2)),
    ((2, 1, 2, 3), (3, 3, 2)),
    ((1, 2, 3), (2, 1, 3, 2)),
    ((3,), (2, 3, 4)),
    ((2, 4, 3), (3,)),
    ((3,), (2, 2, 3, 1)),
    # empty dimensions
    ((0, 3), (3, 4)),
    ((2, 0), (0, 4)),
    ((2, 3), (3, 0)),
    ((0,), (0,)),
    ((0, 2, 3), (3, 2)),
    ((2, 0), (0,)),
]
MATMUL_IDS = [f"{a}@{b}" for a, b in MATMUL_SHAPES]
GRAD_SHAPES = [s for s in MATMUL_SHAPES if 0 not in s[0] + s[1] and np.prod(s[0]) + np.prod(s[1]) <= 30]
GRAD_IDS = [f"{a}@{b}" for a, b in GRAD_SHAPES]


# ==== matmul values ================================================================================
@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES, ids=MATMUL_IDS)
def test_matmul_values(sa, sb, rng):
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    expected = np.matmul(a, b)
    for out in (pj.matmul(_t(a), _t(b)), _t(a) @ _t(b)):
        assert isinstance(out, pj.Tensor)
        assert out.shape == expected.shape
        assert out.dtype == np.float64
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("sa,sb", [((2, 3), (3, 4)), ((3,), (3,)), ((4, 2, 3), (3,))], ids=str)
def test_matmul_with_numpy_operands(sa, sb, rng):
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    expected = a @ b
    for out in (a @ _t(b), _t(a) @ b, pj.matmul(a, _t(b)), pj.matmul(_t(a), b)):
        assert isinstance(out, pj.Tensor)
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)


def test_matmul_noncontiguous_operands(rng):
    a, b = rng.standard_normal((4, 3)), rng.standard_normal((8, 5))
    x, y = _t(a), _t(b)
    cases = [
        (x.T, _t(b[:4]), a.T, b[:4]),
        (x[::-1].T, y[::-2], a[::-1].T, b[::-2]),
        (x[:, ::-1], _t(b[:3]).T.T, a[:, ::-1], b[:3]),
        (pj.broadcast_to(x[:1], (2, 4, 3)), _t(b[:3, :2]), np.broadcast_to(a[:1], (2, 4, 3)), b[:3, :2]),
        (pj.transpose(_t(rng.standard_normal((3, 2, 4)).copy()), (1, 0, 2)), x, None, None),
    ]
    for xa, xb, na, nb in cases:
        if na is None:
            na, nb = xa.numpy(), xb.numpy()
        np.testing.assert_allclose(pj.matmul(xa, xb).numpy(), na @ nb, rtol=1e-12, atol=1e-14)


def test_matmul_noncontiguous_gradcheck(rng):
    a, b = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    assert gradcheck(lambda x, y: pj.matmul(x[::-1].T, y[:, ::-1]), (_t(a, True), _t(b, True)))


# ---- dtypes -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("sa,sb", [((2, 3), (3, 4)), ((3,), (3,)), ((2, 2, 3), (3,)), ((3,), (3, 2))], ids=str)
def test_matmul_float32_preserved(sa, sb, rng):
    a, b = rng.standard_normal(sa).astype(np.float32), rng.standard_normal(sb).astype(np.float32)
    x, y = _t(a, True), _t(b, True)
    out = x @ y
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.detach().numpy(), a @ b, rtol=1e-5, atol=1e-6)
    gx, gy = pj.grad(pj.sum(out), [x, y])
    assert gx.dtype == np.float32 and gy.dtype == np.float32
    # float32 gradients agree with float64 ones
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    x64, y64 = _t(a64, True), _t(b64, True)
    g64 = pj.grad(pj.sum(x64 @ y64), [x64, y64])
    np.testing.assert_allclose(gx.numpy(), g64[0].numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(gy.numpy(), g64[1].numpy(), rtol=1e-5, atol=1e-5)


def test_matmul_mixed_and_integer_dtypes_like_numpy(rng):
    a32 = rng.standard_normal((2, 3)).astype(np.float32)
    b64 = rng.standard_normal((3, 2))
    out = _t(a32) @ _t(b64)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.numpy(), a32 @ b64, rtol=1e-12)
    ia, ib = np.arange(6).reshape(2, 3), np.arange(12).reshape(3, 4) - 5
    out = _t(ia) @ _t(ib)
    assert out.dtype == (ia @ ib).dtype
    np.testing.assert_array_equal(out.numpy(), ia @ ib)


# NumPy: a product of bool arrays is bool (an or of ands); with ints it is int64.
PRODUCTS = {
    "matmul": (
        pj.matmul,
        np.matmul,
        [((3, 4), (4, 2)), ((4,), (4,)), ((2, 3, 4), (4,)), ((4,), (2, 4, 3)), ((2, 1, 3, 4), (3, 4, 2))],
    ),
    "@": (lambda a, b: a @ b, lambda a, b: a @ b, [((3, 4), (4, 2)), ((4,), (4,))]),
    "dot": (pj.dot, np.dot, [((3, 4), (4, 2)), ((4,), (4,)), ((), (3,)), ((2, 3, 4), (4, 2))]),
    "inner": (pj.inner, np.inner, [((3, 4), (2, 4)), ((4,), (4,)), ((), (3,))]),
    "outer": (pj.outer, np.outer, [((3,), (4,))]),
    "kron": (pj.kron, np.kron, [((2, 2), (2, 3))]),
}


@pytest.mark.parametrize("name", list(PRODUCTS))
@pytest.mark.parametrize(
    "da, db",
    [
        (np.bool_, np.bool_),
        (np.bool_, np.int64),
        (np.int64, np.bool_),
        (np.int64, np.int64),
        (np.bool_, np.float32),
        (np.int64, np.float32),
    ],
)
def test_products_of_bool_and_int_operands_have_numpys_dtype(name, da, db, rng):
    pf, nf, shapes = PRODUCTS[name]
    for sa, sb in shapes:
        # Mostly False, so that some outputs are False: an or of ands, not a count.
        a = (rng.random(sa) < 0.3).astype(da) if da is np.bool_ else rng.integers(-3, 4, sa).astype(da)
        b = (rng.random(sb) < 0.3).astype(db) if db is np.bool_ else rng.integers(-3, 4, sb).astype(db)
        expected = np.asarray(nf(a, b))
        out = pf(_t(a), _t(b))
        assert out.dtype == expected.dtype, (name, sa, sb, out.dtype, expected.dtype)
        np.testing.assert_array_equal(np.asarray(out), expected)


def test_bool_matmul_is_an_or_of_ands():
    a = _t(np.array([[True, True], [False, True]]))
    out = a @ a
    assert out.dtype == np.bool_
    assert np.asarray(out).tolist() == [[True, True], [False, True]]


# ---- derivatives --------------------------------------------------------------------------------------
@pytest.mark.parametrize("sa,sb", GRAD_SHAPES, ids=GRAD_IDS)
def test_matmul_gradcheck(sa, sb, rng):
    a, b = _t(rng.standard_normal(sa), True), _t(rng.standard_normal(sb), True)
    assert gradcheck(pj.matmul, (a, b))


@pytest.mark.parametrize("sa,sb", GRAD_SHAPES, ids=GRAD_IDS)
def test_matmul_gradcheck_one_constant(sa, sb, rng):
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    assert gradcheck(pj.matmul, (_t(a, True), _t(b)))
    assert gradcheck(pj.matmul, (_t(a), _t(b, True)))


@pytest.mark.parametrize(
    "sa,sb", [((3,), (3,)), ((2, 3), (3,)), ((2, 3), (3, 2)), ((2, 1, 2), (2, 2, 1)), ((2,), (2, 2, 2))], ids=str
)
def test_matmul_gradgradcheck(sa, sb, rng):
    a, b = _t(rng.standard_normal(sa), True), _t(rng.standard_normal(sb), True)
    assert gradgradcheck(pj.matmul, (a, b))


def test_matmul_quadratic_form_gradgradcheck(rng):
    # x^T A x has a non-zero Hessian in x alone
    A = _t(rng.standard_normal((3, 3)))
    assert gradgradcheck(lambda x: x @ (A @ x), (_t(rng.standard_normal(3), True),))


@pytest.mark.parametrize("sa,sb", [s for s in MATMUL_SHAPES], ids=MATMUL_IDS)
def test_matmul_batched_cotangents(sa, sb, rng, batched_check):
    ga, gb = batched_check(pj.matmul, [rng.standard_normal(sa), rng.standard_normal(sb)], k=3)
    assert ga.shape == (3,) + sa and gb.shape == (3,) + sb


def test_matmul_gradient_formula(rng):
    a, b, w = rng.standard_normal((4, 2, 3)), rng.standard_normal((3, 5)), rng.standard_normal((4, 2, 5))
    x, y = _t(a, True), _t(b, True)
    gx, gy = pj.grad(x @ y, [x, y], grad_outputs=_t(w))
    np.testing.assert_allclose(gx.numpy(), w @ b.T, rtol=1e-12)
    np.testing.assert_allclose(gy.numpy(), np.einsum("bij,bik->jk", a, w), rtol=1e-12)


def test_matmul_empty_gradients():
    a, b = _t(np.zeros((2, 0)), True), _t(np.zeros((0, 3)), True)
    ga, gb = pj.grad(a @ b, [a, b], grad_outputs=_t(np.ones((2, 3))))
    assert ga.shape == (2, 0) and gb.shape == (0, 3)
    a, b = _t(np.ones((0, 2)), True), _t(np.ones((2, 3)), True)
    ga, gb = pj.grad(a @ b, [a, b], grad_outputs=_t(np.ones((0, 3))))
    assert ga.shape == (0, 2)
    np.testing.assert_array_equal(gb.numpy(), np.zeros((2, 3)))


# ---- errors ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "sa,sb",
    [((2, 3), (4, 2)), ((3,), (4,)), ((2, 3), (2,)), ((4,), (3, 4)), ((2, 2, 3), (2, 2)), ((2, 3), (5, 4, 2))],
    ids=str,
)
def test_matmul_inner_dim_mismatch_names_both_shapes(sa, sb):
    with pytest.raises(ValueError):
        np.matmul(np.ones(sa), np.ones(sb))
    for op in (pj.matmul, lambda a, b: a @ b):
        with pytest.raises(ValueError) as exc:
            op(_t(np.ones(sa)), _t(np.ones(sb)))
        assert str(sa) in str(exc.value) and str(sb) in str(exc.value), str(exc.value)


@pytest.mark.parametrize(
    "sa,sb", [((2, 2, 3), (3, 3, 2)), ((2, 1, 2), (3, 3, 2, 1)), ((4, 2, 2, 3), (5, 3, 2))], ids=str
)
def test_matmul_batch_mismatch_names_both_shapes(sa, sb):
    with pytest.raises(ValueError):
        np.matmul(np.ones(sa), np.ones(sb))
    with pytest.raises(ValueError) as exc:
        pj.matmul(_t(np.ones(sa)), _t(np.ones(sb)))
    assert str(sa) in str(exc.value) and str(sb) in str(exc.value), str(exc.value)


def test_matmul_scalar_operands_raise():
    x = _t(np.ones(3))
    with pytest.raises(ValueError):
        pj.matmul(_t(np.array(2.0)), x)
    with pytest.raises(ValueError):
        pj.matmul(x, _t(np.array(2.0)))
    with pytest.raises(ValueError):
        x @ 2.0
    with pytest.raises(ValueError):
        2 @ x


# ==== dot ========================================================================================
DOT_SHAPES = [
    ((), ()),
    ((), (2, 3)),
    ((2, 3), ()),
    ((3,), (3,)),
    ((2, 3), (3,)),
    ((3,), (3, 2)),
    ((2, 3), (3, 4)),
    ((2, 3, 4), (4,)),
    ((2, 3, 4), (4, 2)),
    ((3,), (2, 3, 4)),
    ((2, 3), (4, 3, 2)),
    ((2, 2, 3), (2, 3, 2)),
]
DOT_IDS = [f"{a}.{b}" for a, b in DOT_SHAPES]


@pytest.mark.parametrize("sa,sb", DOT_SHAPES, ids=DOT_IDS)
def test_dot_values(sa, sb, rng):
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    expected = np.dot(a, b)
    for out in (pj.dot(_t(a), _t(b)), _t(a).dot(_t(b))):
        assert out.shape == np.shape(expected)
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize(
    "sa,sb",
    [s for s in DOT_SHAPES if np.prod(s[0]) + np.prod(s[1]) <= 24],
    ids=[i for i, s in zip(DOT_IDS, DOT_SHAPES) if np.prod(s[0]) + np.prod(s[1]) <= 24],
)
def test_dot_gradcheck(sa, sb, rng):
    assert gradcheck(pj.dot, (_t(rng.standard_normal(sa), True), _t(rng.standard_normal(sb), True)))


@pytest.mark.parametrize("sa,sb", [((3,), (3,)), ((2, 2, 2), (2, 2))], ids=str)
def test_dot_gradgradcheck(sa, sb, rng):
    assert gradgradcheck(pj.dot, (_t(rng.standard_normal(sa), True), _t(rng.standard_normal(sb), True)))


@pytest.mark.parametrize("sa,sb", DOT_SHAPES, ids=DOT_IDS)
def test_dot_batched_cotangents(sa, sb, rng, batched_check):
    batched_check(pj.dot, [rng.standard_normal(sa), rng.standard_normal(sb)], k=2)


def test_dot_float32_preserved(rng):
    a, b = rng.standard_normal((2, 3, 4)).astype(np.float32), rng.standard_normal((4, 2)).astype(np.float32)
    out = pj.dot(_t(a), _t(b))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), np.dot(a, b), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("sa,sb", [((2, 3), (4,)), ((3,), (4,)), ((2, 3, 4), (3, 2)), ((3,), (2, 4, 3))], ids=str)
def test_dot_mismatch_names_both_shapes(sa, sb):
    with pytest.raises(ValueError):
        np.dot(np.ones(sa), np.ones(sb))
    with pytest.raises(ValueError) as exc:
        pj.dot(_t(np.ones(sa)), _t(np.ones(sb)))
    assert str(sa) in str(exc.value) and str(sb) in str(exc.value), str(exc.value)


# ==== torch parity ===================================================================================
@pytest.mark.parametrize(
    "sa,sb", [((2, 1, 2, 3), (3, 3, 2)), ((3,), (2, 3, 4)), ((2, 4, 3), (3,)), ((3,), (3,))], ids=str
)
def test_matmul_torch_parity(sa, sb, torch, rng):
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    x, y = _t(a, True), _t(b, True)
    out = x @ y
    w = rng.standard_normal(out.shape)
    gx, gy = pj.grad(out, [x, y], grad_outputs=_t(w))
    tx, ty = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    tout = tx @ ty
    tout.backward(torch.tensor(w))
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(gx.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(gy.numpy(), ty.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_matmul_hessian_torch_parity(torch, rng):
    # second derivative of sum((x @ W) ** 2) w.r.t. x, against torch
    a, W = rng.standard_normal((2, 3)), rng.standard_normal((3, 4))
    v = rng.standard_normal((2, 3))
    x = _t(a, True)
    (g,) = pj.grad(pj.sum((x @ _t(W)) ** 2), x, create_graph=True)
    (hv,) = pj.grad(g, x, grad_outputs=_t(v))
    tx = torch.tensor(a, requires_grad=True)
    (tg,) = torch.autograd.grad(((tx @ torch.tensor(W)) ** 2).sum(), tx, create_graph=True)
    (thv,) = torch.autograd.grad(tg, tx, grad_outputs=torch.tensor(v))
    np.testing.assert_allclose(g.detach().numpy(), tg.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(hv.numpy(), thv.numpy(), rtol=1e-12)
