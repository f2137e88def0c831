"""pyjac.linalg: inv, det, slogdet, solve, cholesky, qr, eigh, svd (and eigvalsh, svdvals, the
SVD-based matrix norms).

Values against numpy.linalg (batched, float32 and float64, 0x0 and 1x1, empty batches,
non-contiguous inputs), reconstruction identities, first and second derivatives against finite
differences in float64 (inputs kept well conditioned, eigen/singular values kept apart, singular
vector signs fixed inside the tested function), gauge-invariant gradients against closed forms,
batched cotangents against a loop, forward mode against reverse mode, torch.linalg parity where
torch is installed, and errors.
"""

import numpy as np
import pytest
from op_registry import differentiable, params
from op_registry.linalg import general as _general
from op_registry.linalg import mT_t as _mT_t
from op_registry.linalg import spd as _spd
from op_registry.linalg import svd_distinct as _svd_distinct
from op_registry.linalg import sym_distinct as _sym_distinct
from op_registry.linalg import sym_half as _sym_half

import pyjac as pj
import pyjac.linalg as la
from pyjac._forward import dual_level, make_dual, tangent_of
from pyjac.testing import gradcheck, gradgradcheck, numerical_jacobian


def _t(a, requires_grad=False):
    return pj.tensor(np.asarray(a), requires_grad=requires_grad)


def _mT(x):
    return np.swapaxes(x, -1, -2)


# inputs (well-conditioned matrices of each kind) and sign-fixed decompositions: shared with the
# registry's entries (tests/op_registry/linalg.py)
def _assert_columns_match_up_to_sign(got, expected, rtol, atol):
    """Eigen/singular vectors agree with NumPy's up to one sign per column."""
    got = np.asarray(got)
    if got.size == 0:
        assert got.shape == expected.shape
        return
    dots = np.sum(got * expected, axis=-2, keepdims=True)
    np.testing.assert_allclose(got * np.where(dots < 0, -1.0, 1.0), expected, rtol=rtol, atol=atol)


TOL = {np.float64: (1e-10, 1e-11), np.float32: (2e-4, 2e-5)}
SQUARE_SHAPES = [(0, 0), (1, 1), (3, 3), (2, 4, 4), (2, 1, 3, 3), (0, 3, 3), (2, 0, 0)]
RECT_SHAPES = [(4, 3), (3, 4), (3, 3), (1, 4), (4, 1), (2, 5, 3), (2, 3, 5), (0, 3), (3, 0), (0, 2, 3), (2, 2, 0, 0)]
DTYPES = [np.float64, np.float32]


# ==== values against NumPy ===========================================================================
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("shape", SQUARE_SHAPES, ids=str)
def test_inv_det_slogdet_values(shape, dtype, rng):
    a = _general(rng, shape).astype(dtype)
    rtol, atol = TOL[dtype]
    x = _t(a)
    for got, expected in [(la.inv(x), np.linalg.inv(a)), (la.det(x), np.linalg.det(a))]:
        assert got.shape == expected.shape and got.dtype == dtype
        np.testing.assert_allclose(got.numpy(), expected, rtol=rtol * 10, atol=atol * 10)
    sign, logabs = la.slogdet(x)
    esign, elog = np.linalg.slogdet(a)
    assert isinstance(la.slogdet(x), la.SlogdetResult)
    assert sign.dtype == dtype and logabs.dtype == dtype and sign.shape == esign.shape
    np.testing.assert_array_equal(sign.numpy(), esign)
    np.testing.assert_allclose(logabs.numpy(), elog, rtol=rtol, atol=atol)


def test_det_slogdet_of_singular_and_signs():
    a = np.array([[[1.0, 2.0], [2.0, 4.0]], [[0.0, 1.0], [1.0, 0.0]], [[-2.0, 0.0], [0.0, 3.0]]])
    np.testing.assert_allclose(la.det(_t(a)).numpy(), [0.0, -1.0, -6.0], atol=1e-15)
    sign, logabs = la.slogdet(_t(a))
    np.testing.assert_array_equal(sign.numpy(), [0.0, -1.0, -1.0])
    assert logabs.numpy()[0] == -np.inf
    np.testing.assert_allclose(logabs.numpy()[1:], [0.0, np.log(6.0)], rtol=1e-15)


def test_det_of_large_and_tiny_scales_like_numpy(rng):
    # det = sign * exp(log|det|), so products that pass through overflow or underflow on the way still come out.
    a = np.diag([1e-200, 1e-200, 1e300, 1e150])
    np.testing.assert_allclose(la.det(_t(a)).item(), np.linalg.det(a), rtol=1e-12)
    b = _general(rng, (5, 5)) * 1e50  # det ~ 1e250: past float64's range halfway
    np.testing.assert_allclose(la.det(_t(b)).item(), np.linalg.det(b), rtol=1e-10)


SOLVE_SHAPES = [
    ((3, 3), (3,)),
    ((3, 3), (3, 2)),
    ((3, 3), (3, 1)),
    ((2, 3, 3), (2, 3, 4)),
    ((2, 3, 3), (3,)),  # NumPy 2: a 1-D b is one vector for every matrix
    ((2, 3, 3), (3, 2)),  # b broadcast over a's batch
    ((3, 3), (4, 3, 2)),  # a broadcast over b's batch
    ((2, 1, 3, 3), (5, 3, 1)),
    ((1, 1), (1,)),
    ((0, 0), (0,)),
    ((3, 3), (3, 0)),
    ((0, 3, 3), (3, 2)),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("sa,sb", SOLVE_SHAPES, ids=str)
def test_solve_values(sa, sb, dtype, rng):
    a, b = _general(rng, sa).astype(dtype), rng.standard_normal(sb).astype(dtype)
    expected = np.linalg.solve(a, b)
    got = la.solve(_t(a), _t(b))
    assert got.shape == expected.shape and got.dtype == dtype
    rtol, atol = TOL[dtype]
    np.testing.assert_allclose(got.numpy(), expected, rtol=rtol * 10, atol=atol * 10)


def test_solve_mixed_dtypes_and_integers_compute_in_float64(rng):
    a32 = _general(rng, (3, 3)).astype(np.float32)
    b64 = rng.standard_normal(3)
    got = la.solve(_t(a32), _t(b64))
    assert got.dtype == np.float64
    np.testing.assert_allclose(got.numpy(), np.linalg.solve(a32, b64), rtol=1e-12)
    ia = np.array([[2, 1], [1, 3]])
    for fn in (la.inv, la.det, la.cholesky):
        out = fn(_t(ia))
        expected = getattr(np.linalg, fn.__name__)(ia)
        assert out.dtype == np.float64 == expected.dtype
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-14)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("shape", SQUARE_SHAPES, ids=str)
def test_cholesky_values(shape, dtype, rng):
    a = _spd(rng, shape).astype(dtype)
    rtol, atol = TOL[dtype]
    lower = la.cholesky(_t(a))
    assert lower.dtype == dtype
    np.testing.assert_allclose(lower.numpy(), np.linalg.cholesky(a), rtol=rtol * 10, atol=atol * 10)
    upper = la.cholesky(_t(a), upper=True)
    np.testing.assert_allclose(upper.numpy(), np.linalg.cholesky(a, upper=True), rtol=rtol * 10, atol=atol * 10)


def test_cholesky_reads_one_triangle_like_numpy(rng):
    a = _spd(rng, (4, 4))
    junk = np.triu(rng.standard_normal((4, 4)) * 100, 1)
    np.testing.assert_allclose(la.cholesky(_t(a * (junk == 0) + junk)).numpy(), np.linalg.cholesky(a), rtol=1e-12)
    np.testing.assert_allclose(
        la.cholesky(_t(a * (junk.T == 0) + junk.T), upper=True).numpy(), np.linalg.cholesky(a, upper=True), rtol=1e-12
    )


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("shape", RECT_SHAPES, ids=str)
@pytest.mark.parametrize("mode", ["reduced", "complete", "r"])
def test_qr_values(shape, mode, dtype, rng):
    a = rng.standard_normal(shape).astype(dtype)
    rtol, atol = TOL[dtype]
    got = la.qr(_t(a), mode)
    expected = np.linalg.qr(a, mode)
    if mode == "r":
        got, expected = (got,), (expected,)
    else:
        assert isinstance(got, la.QRResult)
    for g, e in zip(got, expected):
        assert g.shape == e.shape and g.dtype == dtype
        # The same LAPACK algorithm: the same signs, equal to rounding.
        np.testing.assert_allclose(g.numpy(), e, rtol=rtol * 100, atol=atol * 100)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("shape", SQUARE_SHAPES, ids=str)
def test_eigh_values(shape, dtype, rng):
    a = _sym_distinct(rng, shape).astype(dtype)
    rtol, atol = TOL[dtype]
    w, v = res = la.eigh(_t(a))
    assert isinstance(res, la.EighResult) and w.dtype == dtype and v.dtype == dtype
    ew, ev = np.linalg.eigh(a)
    assert w.shape == ew.shape and v.shape == ev.shape
    np.testing.assert_allclose(w.numpy(), ew, rtol=rtol * 10, atol=atol * 10)
    _assert_columns_match_up_to_sign(v.numpy(), ev, rtol * 100, atol * 100)
    np.testing.assert_allclose(la.eigvalsh(_t(a)).numpy(), ew, rtol=rtol * 10, atol=atol * 10)


def test_eigh_reads_one_triangle_like_numpy(rng):
    a = _sym_distinct(rng, (4, 4))
    junk = np.triu(rng.standard_normal((4, 4)) * 100, 1)
    for uplo, b in [("L", a * (junk == 0) + junk), ("U", a * (junk.T == 0) + junk.T)]:
        w, v = la.eigh(_t(b), UPLO=uplo)
        ew, ev = np.linalg.eigh(b, UPLO=uplo)
        np.testing.assert_allclose(w.numpy(), ew, rtol=1e-12, atol=1e-12)
        _assert_columns_match_up_to_sign(v.numpy(), ev, 1e-10, 1e-10)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("shape", RECT_SHAPES, ids=str)
@pytest.mark.parametrize("full_matrices", [True, False], ids=["full", "reduced"])
def test_svd_values(shape, full_matrices, dtype, rng):
    a = rng.standard_normal(shape).astype(dtype)
    rtol, atol = TOL[dtype]
    u, s, vh = res = la.svd(_t(a), full_matrices=full_matrices)
    assert isinstance(res, la.SVDResult)
    eu, es, evh = np.linalg.svd(a, full_matrices=full_matrices)
    for g, e in [(u, eu), (s, es), (vh, evh)]:
        assert g.shape == e.shape and g.dtype == dtype
    np.testing.assert_allclose(s.numpy(), es, rtol=rtol * 10, atol=atol * 10)
    k = es.shape[-1]
    # The first k singular vectors are unique up to a shared sign (the singular values are distinct).
    _assert_columns_match_up_to_sign(u.numpy()[..., :k], eu[..., :k], rtol * 1000, atol * 1000)
    _assert_columns_match_up_to_sign(_mT(vh.numpy())[..., :k], _mT(evh)[..., :k], rtol * 1000, atol * 1000)
    only_s = la.svd(_t(a), compute_uv=False)
    np.testing.assert_allclose(only_s.numpy(), es, rtol=rtol * 10, atol=atol * 10)
    np.testing.assert_allclose(la.svdvals(_t(a)).numpy(), es, rtol=rtol * 10, atol=atol * 10)


def test_noncontiguous_inputs(rng):
    a = _general(rng, (4, 6, 6))
    b = rng.standard_normal((6, 8))
    views = [(a[:, ::2, ::2], _mT(a)[::-1]), (_t(a)[:, ::2, ::2], pj.transpose(_t(a), (0, 2, 1))[::-1])]
    (na, nb), (xa, xb) = views
    np.testing.assert_allclose(la.inv(xa).numpy(), np.linalg.inv(na), rtol=1e-12)
    np.testing.assert_allclose(la.det(xb).numpy(), np.linalg.det(nb), rtol=1e-12)
    np.testing.assert_allclose(la.solve(xb, _t(b)[:, ::2]).numpy(), np.linalg.solve(nb, b[:, ::2]), rtol=1e-11)
    np.testing.assert_allclose(la.solve(xa, _t(b).T[1, ::2]).numpy(), np.linalg.solve(na, b.T[1, ::2]), rtol=1e-11)
    s = _spd(rng, (5, 5))
    np.testing.assert_allclose(la.cholesky(_t(s).T).numpy(), np.linalg.cholesky(s.T), rtol=1e-12)
    np.testing.assert_allclose(la.eigh(_t(s)[::-1, ::-1])[0].numpy(), np.linalg.eigh(s[::-1, ::-1])[0], rtol=1e-12)
    np.testing.assert_allclose(la.qr(_t(b).T)[1].numpy(), np.linalg.qr(b.T)[1], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(la.svd(_t(b)[:, ::3])[1].numpy(), np.linalg.svd(b[:, ::3])[1], rtol=1e-12)
    np.testing.assert_allclose(
        la.inv(pj.broadcast_to(_t(a[0]), (3, 6, 6))).numpy(),
        np.linalg.inv(np.broadcast_to(a[0], (3, 6, 6))),
        rtol=1e-12,
    )


def test_inputs_are_not_modified(rng):
    a = _spd(rng, (2, 4, 4))
    x = _t(a)
    for fn in (la.inv, la.det, la.slogdet, la.cholesky, la.qr, la.eigh, la.svd, lambda y: la.solve(y, y)):
        fn(x)
        np.testing.assert_array_equal(x.numpy(), a)


def test_numpy_arrays_and_lists_are_accepted(rng):
    a = _general(rng, (3, 3))
    np.testing.assert_allclose(la.inv(a).numpy(), np.linalg.inv(a), rtol=1e-12)
    np.testing.assert_allclose(la.det([[1.0, 2.0], [3.0, 4.0]]).item(), -2.0, rtol=1e-14)
    assert pj.linalg is la


# ==== reconstruction identities =======================================================================
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 4), (2, 6, 2), (3, 2, 4)], ids=str)
def test_decompositions_reconstruct(shape, dtype, rng):
    a = rng.standard_normal(shape).astype(dtype)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    x = _t(a)
    m, n = shape[-2:]
    k = min(m, n)
    for mode in ("reduced", "complete"):
        q, r = la.qr(x, mode)
        qn, rn = q.numpy(), r.numpy()
        np.testing.assert_allclose(qn @ rn, a, atol=tol * 10)
        np.testing.assert_allclose(
            _mT(qn) @ qn, np.broadcast_to(np.eye(qn.shape[-1]), qn.shape[:-2] + (qn.shape[-1],) * 2), atol=tol * 10
        )
        np.testing.assert_array_equal(np.tril(rn, -1), 0)
    for full in (True, False):
        u, s, vh = (t.numpy() for t in la.svd(x, full_matrices=full))
        np.testing.assert_allclose((u[..., :, :k] * s[..., None, :]) @ vh[..., :k, :], a, atol=tol * 10)
        np.testing.assert_allclose(
            _mT(u) @ u, np.broadcast_to(np.eye(u.shape[-1]), u.shape[:-2] + (u.shape[-1],) * 2), atol=tol * 10
        )
        np.testing.assert_allclose(
            vh @ _mT(vh), np.broadcast_to(np.eye(vh.shape[-2]), vh.shape[:-2] + (vh.shape[-2],) * 2), atol=tol * 10
        )
        assert np.all(np.diff(s, axis=-1) <= 0) and np.all(s >= 0)
    if m == n:
        sym = a + _mT(a)
        w, v = (t.numpy() for t in la.eigh(_t(sym)))
        np.testing.assert_allclose((v * w[..., None, :]) @ _mT(v), sym, atol=tol * 100)
        assert np.all(np.diff(w, axis=-1) >= 0)
        spd = a @ _mT(a) + n * np.eye(n, dtype=dtype)
        lower = la.cholesky(_t(spd)).numpy()
        np.testing.assert_allclose(lower @ _mT(lower), spd, rtol=tol * 10, atol=tol * 10)
        np.testing.assert_array_equal(np.triu(lower, 1), 0)
        np.testing.assert_allclose(la.inv(_t(spd)).numpy() @ spd, np.broadcast_to(np.eye(n), spd.shape), atol=tol * 100)


def test_results_are_named_tuples_like_numpy(rng):
    a = _spd(rng, (3, 3))
    assert la.slogdet(_t(a)).logabsdet.shape == ()
    assert la.qr(_t(a)).R.shape == (3, 3)
    assert la.eigh(_t(a)).eigenvectors.shape == (3, 3)
    assert la.svd(_t(a)).Vh.shape == (3, 3)
    q, r = la.qr(_t(a))
    assert isinstance(q, pj.Tensor) and isinstance(r, pj.Tensor)


def test_nan_inputs_like_numpy():
    a = np.full((2, 2), np.nan)
    assert np.isnan(la.inv(_t(a)).numpy()).all()
    assert np.isnan(la.det(_t(a)).item())
    w, v = la.eigh(_t(a))
    assert np.isnan(w.numpy()).all() and np.isnan(v.numpy()).all()
    lower = la.cholesky(_t(a)).numpy()
    assert np.isnan(lower[np.tril_indices(2)]).all() and lower[0, 1] == 0
    with pytest.raises(la.LinAlgError, match="svd"):
        la.svd(_t(a))


# ==== first and second derivatives against finite differences (float64) =================================
# The registry's linalg entries (tests/op_registry/linalg.py): gradcheck (atol 1e-6) and gradgradcheck
# (atol 1e-5), forward against reverse mode, run in tests/test_every_op.py and tests/test_forward_mode.py;
# here with several outputs kept apart (batched cotangents, Jacobians, JVPs against finite differences).
# Symmetric/PD inputs are built inside where the op needs them, so finite differences stay in the op's
# domain; the raw lower-triangle forms are checked too.
LINALG = [c for c in differentiable(family="linalg") if c.nargs == 1]


def _input(case, seed):
    return case.sample(np.random.default_rng(seed), *case.shapes)[0]


@pytest.mark.parametrize(
    "sa,sb",
    [
        ((3, 3), (3,)),
        ((3, 3), (3, 2)),
        ((2, 3, 3), (2, 3, 2)),
        ((2, 3, 3), (3,)),
        ((3, 3), (2, 3, 1)),
        ((2, 1, 2, 2), (3, 2, 1)),
    ],
    ids=str,
)
def test_solve_gradcheck_both_inputs(sa, sb, rng):
    a, b = _t(_general(rng, sa), True), _t(rng.standard_normal(sb), True)
    assert gradcheck(la.solve, (a, b), atol=1e-6)
    assert gradgradcheck(la.solve, (a, b), atol=1e-5)


def test_hessian_of_logdet_against_finite_differences(rng):
    x0 = _spd(rng, (3, 3))
    f = lambda a: la.slogdet(a)[1]
    h = pj.hessian(f, _t(x0)).numpy().reshape(9, 9)
    grad_fn = lambda a: pj.grad(f(a), a, create_graph=True)[0]
    num = numerical_jacobian(grad_fn, (_t(x0, True),))[0][0].reshape(9, 9)
    np.testing.assert_allclose(h, num, atol=1e-6)
    # the closed form: d2 log det / dA_ij dA_kl = -A^-1_li A^-1_jk
    ainv = np.linalg.inv(x0)
    np.testing.assert_allclose(h, -np.einsum("li,jk->ijkl", ainv, ainv).reshape(9, 9), atol=1e-10)


# ==== gradients against closed forms (gauge-invariant functions) ==========================================
def _grad(f, a):
    x = _t(a, True)
    (g,) = pj.grad(f(x), x)
    return g.numpy()


def test_closed_form_gradients(rng):
    a = _general(rng, (4, 4))
    ainv = np.linalg.inv(a)
    np.testing.assert_allclose(_grad(lambda x: la.det(x), a), np.linalg.det(a) * ainv.T, rtol=1e-10)
    np.testing.assert_allclose(_grad(lambda x: la.slogdet(x)[1], a), ainv.T, rtol=1e-10)
    w = rng.standard_normal((4, 4))
    np.testing.assert_allclose(_grad(lambda x: pj.sum(la.inv(x) * _t(w)), a), -ainv.T @ w @ ainv.T, rtol=1e-10)
    # nuclear norm: U V^T; spectral norm: u1 v1^T
    u, s, vh = np.linalg.svd(a)
    np.testing.assert_allclose(_grad(lambda x: pj.norm(x, "nuc"), a), u @ vh, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(_grad(lambda x: pj.norm(x, 2), a), np.outer(u[:, 0], vh[0]), rtol=1e-9, atol=1e-12)
    # a weighted sum of eigenvalues of sym(X): V diag(c) V^T (symmetrised)
    c = np.array([0.3, -1.0, 2.0, 0.5])
    sym = _sym_distinct(rng, (4, 4))
    ew, ev = np.linalg.eigh(sym)
    g = _grad(lambda x: pj.sum(la.eigh(_sym_half(x))[0] * _t(c)), sym)
    np.testing.assert_allclose(g, (ev * c) @ ev.T, rtol=1e-9, atol=1e-12)
    # the same function of the raw (lower-triangle) input: the lower triangle of 2 V diag(c) V^T - diag
    g_raw = _grad(lambda x: pj.sum(la.eigh(x)[0] * _t(c)), sym)
    sym_grad = (ev * c) @ ev.T
    np.testing.assert_allclose(g_raw, np.tril(2 * sym_grad) - np.diag(np.diag(sym_grad)), rtol=1e-9, atol=1e-12)
    # |U|^2 weighted: gauge invariant; compare with finite differences through numerical_jacobian
    wts = rng.standard_normal((4, 4))
    f = lambda x: pj.sum(la.svd(x)[0] ** 2 * _t(wts))
    num = numerical_jacobian(f, (_t(a, True),))[0][0]
    np.testing.assert_allclose(_grad(f, a), num, atol=1e-7)
    # log det via Cholesky: 2 sum log diag(L) has gradient A^-1 on the symmetric subspace
    spd = _spd(rng, (4, 4))
    g = _grad(lambda x: 2 * pj.sum(pj.log(pj.sum(la.cholesky(_sym_half(x)) * _t(np.eye(4)), axis=-1))), spd)
    np.testing.assert_allclose(g, np.linalg.inv(spd), rtol=1e-9, atol=1e-12)


def test_value_only_derivatives_exist_at_repeated_values():
    # Eigenvalues / singular values alone are differentiable with repeated values: no gap division.
    eye = np.eye(3)
    g = _grad(lambda x: pj.sum(la.eigvalsh(_sym_half(x)) ** 2), 2 * eye)
    np.testing.assert_allclose(g, 4 * eye, atol=1e-12)
    g = _grad(lambda x: pj.sum(la.svd(x, compute_uv=False)), 2 * eye)
    np.testing.assert_allclose(g, eye, atol=1e-12)
    g = _grad(lambda x: pj.norm(x, "nuc"), eye)
    np.testing.assert_allclose(g, eye, atol=1e-12)
    # Second derivatives go through the eigenvectors' derivatives, so they need distinct values.


def test_full_matrices_extra_columns_are_constants(rng):
    a = _t(_svd_distinct(rng, (4, 2)), True)
    u, s, vh = la.svd(a)
    (g,) = pj.grad(pj.sum(u[:, 2:]), a)
    np.testing.assert_array_equal(g.numpy(), 0)
    q, r = la.qr(a, "complete")
    (g,) = pj.grad(pj.sum(q[:, 2:] * 3.0), a)
    np.testing.assert_array_equal(g.numpy(), 0)
    # the used part still gets its gradient, the same as from the reduced decomposition
    (g_full,) = pj.grad(pj.sum(la.svd(a)[0][:, :2] ** 2 * 1.5), a)
    (g_red,) = pj.grad(pj.sum(la.svd(a, full_matrices=False)[0] ** 2 * 1.5), a)
    np.testing.assert_allclose(g_full.numpy(), g_red.numpy(), rtol=1e-12, atol=1e-14)


def test_float32_gradients_agree_with_float64(rng):
    a = _svd_distinct(rng, (3, 3)) + 2 * np.eye(3)
    for f in [
        la.inv,
        la.det,
        lambda x: la.slogdet(x)[1],
        lambda x: la.cholesky(x @ _mT_t(x)),
        lambda x: la.qr(x)[1],
        lambda x: la.eigvalsh(x),
        lambda x: la.svd(x)[1],
        lambda x: pj.norm(x, 2),
        lambda x: la.solve(x, pj.ones(3)),
    ]:
        x32, x64 = _t(a.astype(np.float32), True), _t(a, True)
        (g32,) = pj.grad(pj.sum(f(x32)), x32)
        (g64,) = pj.grad(pj.sum(f(x64)), x64)
        assert g32.dtype == np.float32
        np.testing.assert_allclose(g32.numpy(), g64.numpy(), rtol=1e-3, atol=1e-4)


# ==== empty and degenerate shapes: derivatives ===========================================================
@pytest.mark.parametrize("shape", [(0, 0), (2, 0, 0), (0, 3, 3)], ids=str)
def test_gradients_of_empty_inputs(shape):
    for f in [
        la.inv,
        la.det,
        lambda x: la.slogdet(x)[1],
        la.cholesky,
        lambda x: la.qr(x)[0],
        lambda x: la.eigh(x)[1],
        lambda x: la.svd(x)[1],
        lambda x: la.solve(x, pj.zeros(shape[:-1] + (1,))),
    ]:
        x = _t(np.zeros(shape), True)
        out = f(x)
        (g,) = pj.grad(pj.sum(out) * 1.0, x, allow_unused=True)
        assert g is None or (g.shape == shape and np.all(g.numpy() == 0))


def test_det_of_0x0_is_one_with_empty_gradient():
    x = _t(np.zeros((0, 0)), True)
    d = la.det(x)
    assert d.item() == 1.0
    (g,) = pj.grad(d, x)
    assert g.shape == (0, 0)


# ==== batched cotangents ==================================================================================
def _batched_vjp_matches_loop(fn, a, k=3, seed=1):
    """pj.grad with is_grads_batched over every output at once equals k separate backward passes."""
    r = np.random.default_rng(seed)
    x = _t(a, True)
    outs = fn(x)
    outs = outs if isinstance(outs, tuple) else (outs,)
    gs = [r.standard_normal((k,) + tuple(o.shape)) for o in outs]
    (batched,) = pj.grad(list(outs), [x], grad_outputs=[_t(g) for g in gs], retain_graph=True, is_grads_batched=True)
    assert batched.shape == (k,) + x.shape
    for j in range(k):
        (single,) = pj.grad(list(outs), [x], grad_outputs=[_t(g[j]) for g in gs], retain_graph=True)
        np.testing.assert_allclose(batched.numpy()[j], single.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", params(LINALG))
def test_batched_cotangents(case):
    _batched_vjp_matches_loop(case.fn, _input(case, 3))


def test_batched_cotangents_raw_multi_output():
    r = np.random.default_rng(5)
    _batched_vjp_matches_loop(lambda x: tuple(la.qr(x)), _svd_distinct(r, (2, 4, 3)))
    _batched_vjp_matches_loop(lambda x: tuple(la.eigh(x)), _sym_distinct(r, (2, 3, 3)))
    _batched_vjp_matches_loop(lambda x: tuple(la.svd(x, full_matrices=False)), _svd_distinct(r, (2, 3, 4)))
    _batched_vjp_matches_loop(lambda x: tuple(la.svd(x)), _svd_distinct(r, (4, 3)))


def test_batched_cotangents_solve_broadcast(rng, batched_check):
    batched_check(la.solve, [_general(rng, (3, 3)), rng.standard_normal((2, 3, 2))])
    batched_check(la.solve, [_general(rng, (2, 1, 3, 3)), rng.standard_normal((4, 3, 1))])
    batched_check(la.solve, [_general(rng, (2, 3, 3)), rng.standard_normal(3)])


# ==== forward mode =======================================================================================
def _flat_jacobians(fn, x0, strategy):
    jac = pj.jacobian(fn, _t(x0), strategy=strategy)
    jac = jac if isinstance(jac, tuple) else (jac,)
    return [np.asarray(j.numpy()).reshape(-1, x0.size) for j in jac]


@pytest.mark.parametrize("case", params(LINALG))
def test_forward_jacobian_matches_reverse(case):
    fn, x0 = case.fn, _input(case, 11)
    fwd = _flat_jacobians(fn, x0, "forward-mode")
    rev = _flat_jacobians(fn, x0, "reverse-mode")
    assert len(fwd) == len(rev)
    for jf, jr in zip(fwd, rev):
        np.testing.assert_allclose(jf, jr, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("case", params(LINALG))
def test_jvp_matches_finite_differences(case):
    fn = case.fn
    r = np.random.default_rng(13)
    x0 = case.sample(r, *case.shapes)[0]
    v = r.standard_normal(x0.shape)
    with dual_level() as level:
        outs = fn(make_dual(_t(x0), _t(v), level))
        outs = outs if isinstance(outs, tuple) else (outs,)
        tangents = [tangent_of(o, level) for o in outs]
    eps = 1e-6
    plus = fn(_t(x0 + eps * v))
    minus = fn(_t(x0 - eps * v))
    plus = plus if isinstance(plus, tuple) else (plus,)
    minus = minus if isinstance(minus, tuple) else (minus,)
    for t, p, m in zip(tangents, plus, minus):
        expected = (p.numpy() - m.numpy()) / (2 * eps)
        got = np.zeros_like(expected) if t is None else t.numpy()
        np.testing.assert_allclose(got, expected, atol=1e-6, rtol=1e-5)


def test_batched_tangents_match_single_ones():
    r = np.random.default_rng(17)
    for fn, x0 in [
        (lambda x: tuple(la.svd(x, full_matrices=False)), _svd_distinct(r, (2, 3, 2))),
        (lambda x: tuple(la.eigh(x)), _sym_distinct(r, (2, 3, 3))),
        (lambda x: tuple(la.qr(x)), _svd_distinct(r, (3, 2))),
        (lambda x: la.cholesky(x), _spd(r, (3, 3))),
        (lambda x: la.solve(x, pj.ones((2, 3, 2))), _general(r, (3, 3))),
    ]:
        vs = r.standard_normal((4,) + x0.shape)
        with dual_level() as level:
            batched = fn(make_dual(_t(x0), _t(vs), level))
            batched = [tangent_of(o, level).numpy() for o in (batched if isinstance(batched, tuple) else (batched,))]
        for j in range(4):
            with dual_level() as level:
                single = fn(make_dual(_t(x0), _t(vs[j]), level))
                single = [tangent_of(o, level).numpy() for o in (single if isinstance(single, tuple) else (single,))]
            for b, s in zip(batched, single):
                np.testing.assert_allclose(b[j], s, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "name,fn",
    [
        ("logdet", lambda x: la.slogdet(x)[1]),
        ("inv_sum_sq", lambda x: pj.sum(la.inv(x) ** 2)),
        ("eig_weighted", lambda x: pj.sum(la.eigvalsh(_sym_half(x)) * pj.tensor([1.0, -2.0, 0.5]))),
        (
            "svd_u_sq",
            lambda x: pj.sum(la.svd(x)[0] ** 2 * pj.tensor([[1.0, 2.0, 0.0], [0.5, -1.0, 3.0], [0.0, 1.0, 1.0]])),
        ),
        ("qr_r_diag", lambda x: pj.sum(la.qr(x)[1] ** 3)),
        ("chol", lambda x: pj.sum(la.cholesky(x @ _mT_t(x) + 3.0 * pj.eye(3)) ** 2)),
        ("solve", lambda x: pj.sum(la.solve(x, pj.tensor([1.0, 2.0, 3.0])) ** 2)),
        ("norm2", lambda x: pj.norm(x, 2) ** 2),
    ],
)
def test_hvp_forward_over_reverse_matches_hessian(name, fn):
    r = np.random.default_rng(19)
    x0 = _svd_distinct(r, (3, 3)) + 2 * np.eye(3)
    v = r.standard_normal((3, 3))
    _, hv = pj.hvp(fn, _t(x0), _t(v))
    h = pj.hessian(fn, _t(x0)).numpy().reshape(9, 9)
    np.testing.assert_allclose(hv.numpy().reshape(9), h @ v.reshape(9), rtol=1e-8, atol=1e-9)


# ==== torch parity ========================================================================================
def test_torch_parity_values_and_gradients(torch, rng):
    a = _general(rng, (2, 3, 3))
    b = rng.standard_normal((2, 3, 2))
    spd = _spd(rng, (2, 3, 3))
    sym = _sym_distinct(rng, (2, 3, 3))
    wide = _svd_distinct(rng, (2, 3, 4))
    wq, wr = rng.standard_normal((2, 3, 3)), rng.standard_normal((2, 3, 4))
    pq, pr, tq, tr = _t(wq), _t(wr), torch.tensor(wq), torch.tensor(wr)
    tl = torch.linalg
    cases = [  # (name, pyjac loss, torch loss, input)
        ("inv", lambda x: pj.sum(la.inv(x) * pq), lambda x: (tl.inv(x) * tq).sum(), a),
        ("det", lambda x: pj.sum(la.det(x)), lambda x: tl.det(x).sum(), a),
        ("slogdet", lambda x: pj.sum(la.slogdet(x)[1]), lambda x: tl.slogdet(x)[1].sum(), a),
        ("solve", lambda x: pj.sum(la.solve(x, _t(b)) ** 2), lambda x: (tl.solve(x, torch.tensor(b)) ** 2).sum(), a),
        (
            "cholesky",
            lambda x: pj.sum(la.cholesky(_sym_half(x)) * pq),
            lambda x: (tl.cholesky((x + x.mT) / 2) * tq).sum(),
            spd,
        ),
        (
            "qr",
            lambda x: pj.sum(la.qr(x)[0] * pq) + pj.sum(la.qr(x)[1] * pr),
            lambda x: (tl.qr(x)[0] * tq).sum() + (tl.qr(x)[1] * tr).sum(),
            wide,
        ),
        (
            "eigh_vectors",
            lambda x: pj.sum(la.eigh(_sym_half(x))[1] ** 2 * pq),
            lambda x: (tl.eigh((x + x.mT) / 2)[1] ** 2 * tq).sum(),
            sym,
        ),
        (
            "eigh_values",
            lambda x: pj.sum(la.eigh(_sym_half(x))[0] ** 3),
            lambda x: (tl.eigh((x + x.mT) / 2)[0] ** 3).sum(),
            sym,
        ),
        (
            "svd_u",
            lambda x: pj.sum(la.svd(x, full_matrices=False)[0] ** 2 * pq),
            lambda x: (tl.svd(x, full_matrices=False)[0] ** 2 * tq).sum(),
            wide,
        ),
        (
            "svd_vh",
            lambda x: pj.sum(la.svd(x, full_matrices=False)[2] ** 2 * pr),
            lambda x: (tl.svd(x, full_matrices=False)[2] ** 2 * tr).sum(),
            wide,
        ),
        (
            "svd_full_used",
            lambda x: pj.sum(la.svd(x)[0] ** 2 * pq) + pj.sum(la.svd(x)[1]),
            lambda x: (tl.svd(x)[0] ** 2 * tq).sum() + tl.svd(x)[1].sum(),
            wide,
        ),
        ("nuc", lambda x: pj.sum(pj.norm(x, "nuc", axis=(-2, -1))), lambda x: tl.matrix_norm(x, "nuc").sum(), wide),
        ("spectral", lambda x: pj.sum(pj.norm(x, 2, axis=(-2, -1))), lambda x: tl.matrix_norm(x, 2).sum(), wide),
    ]
    for name, f, tf, x0 in cases:
        x = _t(x0, True)
        out = f(x)
        (g,) = pj.grad(out, x)
        tx = torch.tensor(x0, requires_grad=True)
        tout = tf(tx)
        tout.backward()
        np.testing.assert_allclose(out.item(), tout.item(), rtol=1e-10, err_msg=name)
        np.testing.assert_allclose(g.numpy(), tx.grad.numpy(), rtol=1e-8, atol=1e-10, err_msg=name)


def test_torch_parity_decomposition_values(torch, rng):
    a = rng.standard_normal((2, 4, 3))
    for mode in ("reduced", "complete"):
        for got, exp in zip(la.qr(_t(a), mode), torch.linalg.qr(torch.tensor(a), mode=mode)):
            np.testing.assert_allclose(np.abs(got.numpy()), np.abs(exp.numpy()), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(la.svd(_t(a))[1].numpy(), torch.linalg.svdvals(torch.tensor(a)).numpy(), rtol=1e-12)
    s = _spd(rng, (3, 3))
    np.testing.assert_allclose(la.eigh(_t(s))[0].numpy(), torch.linalg.eigvalsh(torch.tensor(s)).numpy(), rtol=1e-12)


# ==== errors ==============================================================================================
def test_linalg_error_is_a_value_error():
    assert issubclass(la.LinAlgError, ValueError)
    assert la.LinAlgError.__name__ == "LinAlgError"


def test_singular_matrices_raise():
    sing = _t([[1.0, 2.0], [2.0, 4.0]])
    with pytest.raises(la.LinAlgError, match="inv: singular matrix"):
        la.inv(sing)
    with pytest.raises(la.LinAlgError, match="solve: singular matrix"):
        la.solve(sing, _t([1.0, 2.0]))
    with pytest.raises(la.LinAlgError, match="inv"):
        la.inv(_t(np.stack([np.eye(2), np.zeros((2, 2))])))
    x = _t([[1.0, 2.0], [2.0, 4.0]], True)
    d = la.det(x)
    assert d.item() == 0.0
    with pytest.raises(la.LinAlgError, match="det"):
        d.backward()


def test_cholesky_of_non_positive_definite_raises():
    with pytest.raises(la.LinAlgError, match="cholesky: matrix is not positive definite"):
        la.cholesky(_t([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(la.LinAlgError, match="not positive definite"):
        la.cholesky(_t(-np.eye(3)))


@pytest.mark.parametrize("name", ["inv", "det", "slogdet", "cholesky", "eigh", "eigvalsh"])
def test_non_square_and_1d_inputs_raise(name):
    fn = getattr(la, name)
    with pytest.raises(la.LinAlgError, match=rf"{name.replace('eigvalsh', 'eigh')}.*square.*\(2, 3\)"):
        fn(_t(np.ones((2, 3))))
    with pytest.raises(ValueError, match=r"two-dimensional.*\(3,\)"):
        fn(_t(np.ones(3)))
    with pytest.raises(ValueError, match="at least two-dimensional"):
        fn(_t(1.0))


def test_qr_svd_need_matrices():
    for fn, name in [(la.qr, "qr"), (la.svd, "svd"), (la.svdvals, "svd")]:
        with pytest.raises(la.LinAlgError, match=name):
            fn(_t(np.ones(3)))


def test_solve_shape_errors():
    a = _t(np.eye(3))
    with pytest.raises(ValueError, match=r"solve.*\(3, 3\).*\(2,\)"):
        la.solve(a, _t(np.ones(2)))
    with pytest.raises(ValueError, match=r"solve.*\(3, 3\).*\(4, 2\)"):
        la.solve(a, _t(np.ones((4, 2))))
    with pytest.raises(ValueError, match=r"solve.*batch.*\(2, 3, 3\).*\(4, 3, 1\)"):
        la.solve(_t(np.ones((2, 3, 3))), _t(np.ones((4, 3, 1))))
    with pytest.raises(la.LinAlgError, match="solve.*square"):
        la.solve(_t(np.ones((2, 3))), _t(np.ones(2)))
    with pytest.raises(ValueError, match="solve"):
        la.solve(a, _t(1.0))


def test_bad_arguments():
    a = _t(np.eye(2))
    with pytest.raises(ValueError, match="qr: unrecognized mode 'bogus'"):
        la.qr(a, "bogus")
    with pytest.raises(ValueError, match="raw"):
        la.qr(a, "raw")
    with pytest.raises(ValueError, match="UPLO"):
        la.eigh(a, "X")
    with pytest.raises(ValueError, match="hermitian"):
        la.svd(a, hermitian=True)
    with pytest.raises(ValueError):
        pj.norm(_t(np.zeros((0, 0))), 2)  # the max of no singular values, as in NumPy
    assert pj.norm(_t(np.zeros((0, 0))), "nuc").item() == 0.0


def test_second_backward_through_freed_multi_output_raises(rng):
    x = _t(_svd_distinct(rng, (3, 3)), True)
    u, s, vh = la.svd(x)
    loss = pj.sum(u**2 * 2.0) + pj.sum(s)
    loss.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        loss.backward()


def test_grad_fn_names(rng):
    x = _t(_spd(rng, (3, 3)), True)
    names = {
        la.inv(x).grad_fn.name(),
        la.det(x).grad_fn.name(),
        la.slogdet(x)[1].grad_fn.name(),
        la.cholesky(x).grad_fn.name(),
        la.qr(x)[0].grad_fn.name(),
        la.eigh(x)[1].grad_fn.name(),
        la.svd(x)[2].grad_fn.name(),
        la.solve(x, x).grad_fn.name(),
    }
    assert names == {
        "InvBackward",
        "DetBackward",
        "SlogdetBackward",
        "CholeskyBackward",
        "QrBackward",
        "EighBackward",
        "SvdBackward",
        "SolveBackward",
    }
    assert la.slogdet(x)[0].requires_grad is False


# ==== matrix norms through the SVD =========================================================================
@pytest.mark.parametrize("keepdims", [False, True], ids=["", "keepdims"])
@pytest.mark.parametrize("ord", [2, -2, "nuc"], ids=str)
@pytest.mark.parametrize(
    "shape,axis",
    [((3, 4), None), ((4, 3), (1, 0)), ((2, 3, 4), (1, 2)), ((2, 3, 4), (2, 0)), ((2, 3, 4), (-1, -3)), ((5, 1), None)],
    ids=str,
)
def test_spectral_and_nuclear_norm_values(shape, axis, ord, keepdims, rng):
    a = rng.standard_normal(shape)
    expected = np.linalg.norm(a, ord=ord, axis=axis, keepdims=keepdims)
    got = pj.norm(_t(a), ord=ord, axis=axis, keepdims=keepdims)
    assert got.shape == np.shape(expected)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12)
    got32 = pj.norm(_t(a.astype(np.float32)), ord=ord, axis=axis, keepdims=keepdims)
    assert got32.dtype == np.float32
    np.testing.assert_allclose(got32.numpy(), expected, rtol=1e-5)


def test_matrix_norm_like_numpy(rng):
    a = rng.standard_normal((2, 3, 4))
    for ord in ("fro", "nuc", 2, -2, 1, np.inf):
        np.testing.assert_allclose(
            la.matrix_norm(_t(a), ord=ord).numpy(), np.linalg.matrix_norm(a, ord=ord), rtol=1e-12
        )
    np.testing.assert_allclose(la.norm(_t(a[0]), 2).numpy(), np.linalg.norm(a[0], 2), rtol=1e-12)
    np.testing.assert_allclose(
        la.matrix_norm(_t(a), keepdims=True).numpy(), np.linalg.matrix_norm(a, keepdims=True), rtol=1e-12
    )


def test_norm_batched_cotangents(rng, batched_check):
    batched_check(lambda x: pj.norm(x, "nuc", axis=(2, 0)), [_mT(_svd_distinct(rng, (2, 3, 2)))])
    batched_check(lambda x: pj.norm(x, 2, axis=(1, 2), keepdims=True), [_svd_distinct(rng, (2, 3, 2))])
