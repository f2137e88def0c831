"""pyjac.linalg's functions built on the decompositions: pinv, matrix_power, lstsq, multi_dot,
cond, matrix_rank, eigvals, expm.

Their derivatives (gradcheck, gradgradcheck, batched cotangents, forward mode) run from their
registry entries (tests/op_registry/linalg.py); here: NumPy's (and SciPy's) values and conventions
at the edges (powers 0 and negative, rank-deficient problems, 1-d ends, singular matrices, empty
and batched inputs), expm's accuracy and its derivative against scipy.linalg.expm_frechet, and
error messages.
"""

import numpy as np
import pytest

import pyjac as pj
import pyjac.linalg as la


def _t(a, requires_grad=False):
    return pj.tensor(np.asarray(a, dtype=float), requires_grad=requires_grad)


def _rank_deficient(r, m, n, k):
    return r.standard_normal((m, k)) @ r.standard_normal((k, n))


# ---- matrix_power ------------------------------------------------------------------------------------
def test_matrix_power_zero_is_the_identity_and_still_differentiable():
    a = _t([[1.0, np.nan], [np.inf, 2.0]], requires_grad=True)
    out = la.matrix_power(a, 0)
    np.testing.assert_array_equal(out.detach().numpy(), np.eye(2))
    assert out.requires_grad
    (g,) = pj.grad(pj.sum(out), [a])
    np.testing.assert_array_equal(g.detach().numpy(), 0.0)
    batched = la.matrix_power(np.ones((3, 2, 2)), 0)
    np.testing.assert_array_equal(batched.numpy(), np.broadcast_to(np.eye(2), (3, 2, 2)))


@pytest.mark.parametrize("n", [-4, -3, -2, -1, 1, 2, 3, 4, 5, 8, 13])
def test_matrix_power_matches_numpy(n):
    a = np.random.default_rng(0).standard_normal((2, 3, 3)) + 2 * np.eye(3)
    np.testing.assert_allclose(la.matrix_power(a, n).numpy(), np.linalg.matrix_power(a, n), rtol=1e-12, atol=1e-12)


def test_matrix_power_integers_stay_integral_and_one_is_a_copy():
    a = np.array([[1, 2], [3, 4]])
    out = la.matrix_power(a, 5)
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out.numpy(), np.linalg.matrix_power(a, 5))
    assert la.matrix_power(a, -1).dtype == np.float64
    x = _t(a, requires_grad=True)
    y = la.matrix_power(x, 1)
    assert y is not x and y.requires_grad
    np.testing.assert_array_equal(y.detach().numpy(), a)


def test_matrix_power_errors():
    with pytest.raises(la.LinAlgError, match="matrix_power: a negative power needs invertible matrices"):
        la.matrix_power([[1.0, 2.0], [2.0, 4.0]], -1)  # singular
    with pytest.raises(la.LinAlgError, match=r"matrix_power.*square.*\(2, 3\)"):
        la.matrix_power(np.ones((2, 3)), 2)
    with pytest.raises(la.LinAlgError, match="matrix_power.*two-dimensional"):
        la.matrix_power(np.ones(3), 2)
    with pytest.raises(TypeError, match="matrix_power: exponent must be an integer"):
        la.matrix_power(np.eye(2), 1.5)


# ---- pinv ------------------------------------------------------------------------------------------------
def test_pinv_rank_deficient_and_rtol_match_numpy():
    r = np.random.default_rng(1)
    a = _rank_deficient(r, 5, 4, 2)
    np.testing.assert_allclose(la.pinv(a).numpy(), np.linalg.pinv(a), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(la.pinv(a, rtol=None).numpy(), np.linalg.pinv(a, rtol=None), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(la.pinv(a, 0.5).numpy(), np.linalg.pinv(a, 0.5), rtol=1e-10, atol=1e-12)
    # rcond per matrix of a stack
    b = r.standard_normal((2, 3, 3))
    rcond = np.array([1e-15, 0.9])
    np.testing.assert_allclose(la.pinv(b, rcond).numpy(), np.linalg.pinv(b, rcond), rtol=1e-10, atol=1e-12)


def test_pinv_penrose_conditions_and_rank_deficient_gradient():
    # The constant-rank derivative: A X A = A holds along any path of rank-2 matrices, so its
    # derivative vanishes; finite differences through the factors agree (registry entry
    # pinv-rank-deficient); here the product rule through the identity.
    r = np.random.default_rng(2)
    u = _t(r.standard_normal((4, 2)), requires_grad=True)
    v = _t(r.standard_normal((2, 3)), requires_grad=True)
    a = u @ v
    x = la.pinv(a)
    np.testing.assert_allclose((a @ x @ a).detach().numpy(), a.detach().numpy(), atol=1e-12)
    residual = pj.sum((a @ x @ a - a) ** 2)
    for g in pj.grad(residual * 1e20, [u, v]):  # a derivative of an identity: zero to rounding
        assert np.abs(g.numpy()).max() < 1e-4


def test_pinv_empty_and_errors():
    x = _t(np.zeros((2, 0, 3)), requires_grad=True)
    out = la.pinv(x)
    assert out.shape == (2, 3, 0) and out.requires_grad
    with pytest.raises(ValueError, match="rtol.*rcond"):
        la.pinv(np.eye(2), 1e-3, rtol=1e-3)
    with pytest.raises(la.LinAlgError, match="pinv.*two-dimensional"):
        la.pinv(np.ones(3))
    with pytest.raises(la.LinAlgError, match="pinv.*square"):
        la.pinv(np.ones((2, 3)), hermitian=True)


# ---- lstsq ---------------------------------------------------------------------------------------------
def _check_lstsq(a, b, rcond=None):
    x, res, rank, s = la.lstsq(a, b, rcond=rcond)
    ex, eres, erank, es = np.linalg.lstsq(a, b, rcond=rcond)
    np.testing.assert_allclose(x.numpy(), ex, rtol=1e-9, atol=1e-12)
    assert res.shape == eres.shape
    np.testing.assert_allclose(res.numpy(), eres, rtol=1e-8, atol=1e-12)
    assert rank == erank and isinstance(rank, int)
    np.testing.assert_allclose(s.numpy(), es, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "m, n, k, rhs",
    [(6, 4, 2, (6,)), (6, 4, 2, (6, 3)), (3, 5, 2, (3, 2)), (4, 4, 3, (4,)), (5, 3, 3, (5,)), (5, 3, 3, (5, 2))],
)
def test_lstsq_matches_numpy_including_rank_deficient(m, n, k, rhs):
    r = np.random.default_rng(m * 10 + n + k)
    a = _rank_deficient(r, m, n, k)
    _check_lstsq(a, r.standard_normal(rhs))
    _check_lstsq(a, r.standard_normal(rhs), rcond=1e-6)


def test_lstsq_residuals_shapes_and_dtypes():
    r = np.random.default_rng(3)
    a, b = r.standard_normal((5, 2)), r.standard_normal(5)
    x, res, rank, s = la.lstsq(a, b)
    assert res.shape == (1,) and rank == 2
    a32, b32 = a.astype(np.float32), b.astype(np.float32)
    out = la.lstsq(a32, b32)
    expected = np.linalg.lstsq(a32, b32)
    for got, e in zip((out[0], out[1], out[3]), (expected[0], expected[1], expected[3])):
        assert got.dtype == e.dtype
    assert la.lstsq(a32, b)[0].dtype == np.float64
    # an underdetermined problem has no residuals; the empty result still depends on a and b
    ta, tb = _t(a.T, requires_grad=True), _t(b[:2], requires_grad=True)
    x, res, rank, _ = la.lstsq(ta, tb)
    assert res.shape == (0,) and res.requires_grad and x.requires_grad


def test_lstsq_minimum_norm_gradient_matches_closed_form():
    # x = A^T (A A^T)^-1 b for a full-row-rank A: the same function, written with solve.
    r = np.random.default_rng(4)
    a0, b0 = r.standard_normal((2, 4)), r.standard_normal(2)
    a, b = _t(a0, requires_grad=True), _t(b0, requires_grad=True)
    w = _t(r.standard_normal(4))
    ga, gb = pj.grad(pj.sum(la.lstsq(a, b)[0] * w), [a, b])
    a2, b2 = _t(a0, requires_grad=True), _t(b0, requires_grad=True)
    ea, eb = pj.grad(pj.sum(a2.T @ la.solve(a2 @ a2.T, b2) * w), [a2, b2])
    np.testing.assert_allclose(ga.numpy(), ea.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gb.numpy(), eb.numpy(), rtol=1e-10, atol=1e-12)


def test_lstsq_errors():
    with pytest.raises(la.LinAlgError, match=r"lstsq: a must be two-dimensional.*\(2, 3, 3\)"):
        la.lstsq(np.ones((2, 3, 3)), np.ones(3))
    with pytest.raises(la.LinAlgError, match=r"lstsq: b must be one- or two-dimensional"):
        la.lstsq(np.ones((3, 3)), np.ones((3, 1, 1)))
    with pytest.raises(la.LinAlgError, match=r"lstsq: incompatible dimensions.*\(3, 2\).*\(4,\)"):
        la.lstsq(np.ones((3, 2)), np.ones(4))


# ---- multi_dot ------------------------------------------------------------------------------------------
CHAINS = [
    [(10, 4), (4, 30), (30, 2), (2, 7), (7, 5)],
    [(3, 30), (30, 2), (2, 40), (40, 3)],
    [(20,), (20, 3), (3, 50), (50, 2), (2, 8)],
    [(5, 6), (6, 50), (50, 2), (2,)],
    [(7,), (7, 2), (2, 9), (9,)],
    [(4,), (4, 6), (6,)],
    [(2, 30), (30, 4), (4, 50)],
    [(30, 2), (2, 40), (40, 3)],
]


@pytest.mark.parametrize("shapes", CHAINS, ids=str)
def test_multi_dot_matches_numpy_in_value_and_order(shapes):
    r = np.random.default_rng(len(shapes))
    arrays = [r.standard_normal(s) for s in shapes]
    out = la.multi_dot(arrays)
    expected = np.linalg.multi_dot(arrays)
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)
    if len(shapes) > 3:
        mats = [a.reshape(1, -1) if i == 0 and a.ndim == 1 else a for i, a in enumerate(arrays)]
        mats[-1] = mats[-1].reshape(-1, 1) if mats[-1].ndim == 1 else mats[-1]
        ours = la._multi_dot_chain_order(mats)
        theirs = np.linalg._linalg._multi_dot_matrix_chain_order(mats)
        upper = np.triu_indices(len(mats), 1)
        np.testing.assert_array_equal(ours[upper], theirs[upper])


def test_multi_dot_gradients_flow_to_every_factor():
    r = np.random.default_rng(5)
    xs = [_t(r.standard_normal(s), requires_grad=True) for s in [(3,), (3, 4), (4, 2), (2,)]]
    out = la.multi_dot(xs)
    assert out.shape == ()
    grads = pj.grad(out, xs)
    a, b, c, d = (x.detach().numpy() for x in xs)
    np.testing.assert_allclose(grads[0].numpy(), b @ c @ d, rtol=1e-12)
    np.testing.assert_allclose(grads[3].numpy(), a @ b @ c, rtol=1e-12)


def test_multi_dot_errors():
    with pytest.raises(ValueError, match="multi_dot: expecting at least two arrays"):
        la.multi_dot([np.eye(2)])
    with pytest.raises(la.LinAlgError, match=r"multi_dot: 3-dimensional array given \(argument 1"):
        la.multi_dot([np.eye(2), np.ones((2, 2, 2)), np.eye(2)])
    with pytest.raises(ValueError, match=r"multi_dot: shapes \(2, 3\).*\(4, 2\).*not aligned"):
        la.multi_dot([np.eye(2), np.ones((2, 3)), np.ones((4, 2))])


# ---- cond -----------------------------------------------------------------------------------------------
P_VALUES = [None, 2, -2, "fro", "nuc", np.inf, -np.inf, 1, -1]


@pytest.mark.parametrize("p", P_VALUES, ids=str)
def test_cond_matches_numpy_for_every_p(p):
    a = np.random.default_rng(6).standard_normal((2, 4, 4))
    np.testing.assert_allclose(la.cond(a, p).numpy(), np.linalg.cond(a, p), rtol=1e-10)
    single = la.cond(a[0], p)
    assert single.shape == ()


@pytest.mark.parametrize("p", P_VALUES, ids=str)
def test_cond_of_singular_matrices_is_infinite_as_numpy(p):
    sing = np.array([[1.0, 2.0], [2.0, 4.0]])
    stack = np.stack([sing, np.array([[2.0, 1.0], [0.0, 1.0]])])
    got = la.cond(stack, p).numpy()
    try:
        expected = np.linalg.cond(stack, p)
    except np.linalg.LinAlgError:  # NumPy's 'nuc': the SVD of its NaN-filled inverse fails
        assert p == "nuc" and np.isinf(got[0])
        return
    assert np.isinf(got[0]) == np.isinf(expected[0])
    if not np.isinf(expected[0]):  # p = None, 2, -2: a huge or zero ratio of singular values
        np.testing.assert_allclose(got[0], expected[0], rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(got[1], expected[1], rtol=1e-12)


def test_cond_rectangular_nan_and_errors():
    a = np.random.default_rng(7).standard_normal((3, 5))
    np.testing.assert_allclose(la.cond(a).numpy(), np.linalg.cond(a), rtol=1e-12)
    np.testing.assert_allclose(la.cond(a, -2).numpy(), np.linalg.cond(a, -2), rtol=1e-12)
    with pytest.raises(la.LinAlgError, match=r"cond.*square.*\(3, 5\)"):
        la.cond(a, 1)
    with pytest.raises(la.LinAlgError, match="cond is not defined on empty arrays"):
        la.cond(np.zeros((0, 0)))
    with pytest.raises(la.LinAlgError, match="cond.*two-dimensional"):
        la.cond(np.ones(3))
    nan = np.array([[np.nan, 1.0], [1.0, 1.0]])
    assert np.isnan(la.cond(nan, 1).numpy()) and np.isnan(np.linalg.cond(nan, 1))


def test_cond_gradient_through_both_norms():
    r = np.random.default_rng(8)
    x = _t(r.standard_normal((3, 3)) + 3 * np.eye(3), requires_grad=True)
    (g,) = pj.grad(la.cond(x, "fro"), [x])
    # d (||A|| ||A^-1||) = ||A^-1|| A / ||A|| - ||A|| A^-T A^-1 A^-T / ||A^-1||  (Frobenius)
    a = x.detach().numpy()
    ai = np.linalg.inv(a)
    na, ni = np.linalg.norm(a), np.linalg.norm(ai)
    np.testing.assert_allclose(g.numpy(), ni * a / na - na * ai.T @ ai @ ai.T / ni, rtol=1e-10)


# ---- matrix_rank ----------------------------------------------------------------------------------------
def test_matrix_rank_matches_numpy():
    r = np.random.default_rng(9)
    stack = np.stack([_rank_deficient(r, 5, 4, k) for k in (1, 2, 3, 4)])
    got = la.matrix_rank(stack)
    assert got.dtype == np.int64 and not got.requires_grad
    np.testing.assert_array_equal(got.numpy(), np.linalg.matrix_rank(stack))
    small = np.diag([1.0, 1e-3, 1e-9])
    for kw in ({}, {"tol": 1e-6}, {"rtol": 1e-2}, {"hermitian": True}, {"tol": np.array(1e-2)}):
        assert int(la.matrix_rank(small, **kw).numpy()) == np.linalg.matrix_rank(small, **kw), kw
    assert int(la.matrix_rank([1.0, 0.0]).numpy()) == 1
    assert int(la.matrix_rank(np.zeros(3)).numpy()) == 0
    assert int(la.matrix_rank(np.zeros((0, 3))).numpy()) == np.linalg.matrix_rank(np.zeros((0, 3)))
    x = _t(stack, requires_grad=True)
    assert not la.matrix_rank(x).requires_grad
    with pytest.raises(ValueError, match="matrix_rank.*tol.*rtol"):
        la.matrix_rank(small, tol=1e-3, rtol=1e-3)


# ---- eigvals ---------------------------------------------------------------------------------------------
def test_eigvals_of_symmetric_matrices():
    r = np.random.default_rng(10)
    x = r.standard_normal((2, 4, 4))
    s = x @ np.swapaxes(x, -1, -2)  # symmetric up to the rounding of the product
    np.testing.assert_allclose(la.eigvals(s).numpy(), np.sort(np.linalg.eigvals(s).real, axis=-1), rtol=1e-10)
    t = _t(s[0], requires_grad=True)
    (g,) = pj.grad(pj.sum(la.eigvals(t)), [t])  # the trace's gradient
    np.testing.assert_allclose(g.numpy(), np.eye(4), atol=1e-12)
    assert la.eigvals(np.zeros((0, 0))).shape == (0,)


def test_eigvals_of_a_non_symmetric_matrix_raises_rather_than_answers():
    with pytest.raises(NotImplementedError, match="eigvals.*not symmetric.*complex"):
        la.eigvals([[0.0, 1.0], [-1.0, 0.0]])  # eigenvalues +-i
    with pytest.raises(la.LinAlgError, match="eigvals.*square"):
        la.eigvals(np.ones((2, 3)))


# ---- expm ------------------------------------------------------------------------------------------------
def _expm_long_double(a):
    """A reference in extended precision: Taylor series after scaling, then squaring."""
    a = np.asarray(a, dtype=np.longdouble)
    s = max(0, int(np.ceil(np.log2(max(np.abs(a).sum(axis=0).max(), 1e-300) / 0.05))))
    b = a / 2**s
    x = term = np.eye(a.shape[-1], dtype=np.longdouble)
    for k in range(1, 30):
        term = term @ b / k
        x = x + term
    for _ in range(s):
        x = x @ x
    return x


def _relative_error(x, ref):
    ref = np.asarray(ref, dtype=np.longdouble)
    return float(
        np.linalg.norm((np.asarray(x, dtype=np.longdouble) - ref).astype(float), 1)
        / np.linalg.norm(ref.astype(float), 1)
    )


@pytest.mark.parametrize("n", [2, 3, 6, 12])
@pytest.mark.parametrize("scale", [1e-3, 0.2, 1.0, 4.0, 30.0, 100.0])
def test_expm_is_accurate(n, scale):
    """To ~1e-13 in the 1-norm against an extended-precision reference, from tiny norms to norm
    ~100 (every Pade degree, scalings up to 2^7), and close to SciPy's (whose own error can be
    larger for non-normal matrices of large norm, see the module docstring of pyjac.linalg)."""
    sl = pytest.importorskip("scipy.linalg")
    r = np.random.default_rng(n * 1000 + int(scale * 10))
    for _ in range(3):
        a = scale * r.standard_normal((n, n)) / np.sqrt(n)
        got = la.expm(a).numpy()
        assert _relative_error(got, _expm_long_double(a)) < 2e-13
        assert _relative_error(got, sl.expm(a)) < 2e-11


@pytest.mark.parametrize("scale", [0.1, 3.0, 50.0])
def test_expm_matches_scipy_for_normal_matrices(scale):
    """Normal matrices (symmetric, skew-symmetric, orthogonally similar to a block-diagonal one)
    are well conditioned for the exponential at any norm: pyjac's agrees with SciPy's to 1e-13.
    Skew-symmetric ones of large norm are the exception, where SciPy's own error is a few 1e-13
    (its exponential of a skew matrix is orthogonal only to ~1e-12 there; pyjac's to ~1e-15):
    there the extended-precision reference is the judge."""
    sl = pytest.importorskip("scipy.linalg")
    r = np.random.default_rng(11)
    x = r.standard_normal((5, 5))
    q, _ = np.linalg.qr(r.standard_normal((5, 5)))
    rot = np.zeros((5, 5))
    rot[:2, :2] = [[-1.0, 2.0], [-2.0, -1.0]]
    rot[2:, 2:] = np.diag([0.5, -0.3, 0.1])
    for a in (scale * (x + x.T) / 2, scale * q @ rot @ q.T):
        assert _relative_error(la.expm(a).numpy(), sl.expm(a)) < 1e-13
    skew = scale * (x - x.T) / 2
    got = la.expm(skew).numpy()
    assert _relative_error(got, _expm_long_double(skew)) < 1e-14
    assert np.abs(got.T @ got - np.eye(5)).max() < 1e-14
    assert _relative_error(got, sl.expm(skew)) < (1e-13 if scale < 10 else 2e-12)


def test_expm_of_symmetric_matrices_equals_the_eigendecomposition():
    r = np.random.default_rng(12)
    x = r.standard_normal((3, 4, 4))
    s = (x + np.swapaxes(x, -1, -2)) * np.array([0.1, 2.0, 20.0])[:, None, None]
    w, v = np.linalg.eigh(s)
    expected = (v * np.exp(w)[..., None, :]) @ np.swapaxes(v, -1, -2)
    got = la.expm(s).numpy()
    for g, e in zip(got, expected):
        assert _relative_error(g, e) < 1e-13


def test_expm_shapes_batches_and_dtypes():
    sl = pytest.importorskip("scipy.linalg")
    assert la.expm(np.zeros((0, 0))).shape == (0, 0)
    assert la.expm(np.zeros((2, 0, 0))).shape == (2, 0, 0)
    assert la.expm(np.zeros((0, 3, 3))).shape == (0, 3, 3)
    np.testing.assert_allclose(la.expm(2.0).numpy(), sl.expm(2.0), rtol=1e-15)
    np.testing.assert_allclose(la.expm([[1.5]]).numpy(), [[np.exp(1.5)]], rtol=1e-15)
    np.testing.assert_array_equal(la.expm(np.zeros((3, 3))).numpy(), np.eye(3))
    ints = la.expm(np.array([[0, 1], [0, 0]]))
    assert ints.dtype == np.float64
    np.testing.assert_allclose(ints.numpy(), [[1.0, 1.0], [0.0, 1.0]], rtol=1e-15)
    a32 = np.random.default_rng(13).standard_normal((3, 3)).astype(np.float32)
    got = la.expm(a32)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got.numpy(), sl.expm(a32.astype(np.float64)), rtol=1e-5, atol=1e-6)
    # a stack whose matrices need different degrees and scalings, over two batch dims
    r = np.random.default_rng(14)
    a = (
        r.standard_normal((2, 3, 3, 3))
        * np.array([0.01, 0.5, 3.0])[:, None, None]
        * np.array([1.0, 10.0])[:, None, None, None]
    )
    got = la.expm(a).numpy()
    for idx in np.ndindex(2, 3):
        assert _relative_error(got[idx], _expm_long_double(a[idx])) < 1e-13
        assert _relative_error(got[idx], sl.expm(a[idx])) < 1e-12


@pytest.mark.parametrize("scale", [0.05, 1.0, 8.0, 40.0])
def test_expm_derivative_is_scipys_frechet_derivative(scale):
    sl = pytest.importorskip("scipy.linalg")
    r = np.random.default_rng(15)
    a, e = scale * r.standard_normal((4, 4)) / 2, r.standard_normal((4, 4))
    expected = sl.expm_frechet(a, e, compute_expm=False)
    _, tangent = pj.jvp(la.expm, (_t(a),), (_t(e),))
    assert _relative_error(tangent.numpy(), expected) < 1e-11
    # reverse mode: <G, L(A, E)> = <L(A^T, G), E>
    g = r.standard_normal((4, 4))
    x = _t(a, requires_grad=True)
    (ga,) = pj.grad(pj.sum(la.expm(x) * _t(g)), [x])
    np.testing.assert_allclose(
        ga.numpy(), sl.expm_frechet(a.T, g, compute_expm=False), rtol=1e-10, atol=1e-10 * np.abs(ga.numpy()).max()
    )


def test_expm_errors():
    with pytest.raises(la.LinAlgError, match=r"expm.*square.*\(2, 3\)"):
        la.expm(np.ones((2, 3)))
    with pytest.raises(la.LinAlgError, match="expm.*two-dimensional"):
        la.expm(np.ones(3))
