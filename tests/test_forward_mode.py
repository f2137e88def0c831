"""Forward mode, op by op: every op's JVP rule against the reverse-mode Jacobian (J @ v), against
central finite differences, with batched tangents (extra leading dims), the forward-mode Jacobian
against the reverse-mode one, and second order (forward-over-reverse hvp against H @ v)."""

import numpy as np
import pytest
from op_registry import OpCase, differentiable, params
from op_registry.core import as_float32, away_from_zero, normal, positive

import pyjac as pj
from pyjac._forward import dual_level, make_dual, tangent_of
from pyjac.testing import numerical_jacobian

# ---- cases ----------------------------------------------------------------------------------------
# Every op in the registry (tests/op_registry) with a forward rule, and a few compositions of ops
# (methods chained, an MLP layer, a softmax by hand, identities, empty tensors) that are not ops
# themselves. Functions with several outputs are checked through their raveled concatenation.
_n, _p, _a = normal, positive, away_from_zero(0.3, 1.5)


def _composite(id, fn, shapes, domain=_n, **kw):
    return OpCase(id, "", fn, shapes, domain, family="composite", **kw)


COMPOSITES = [
    _composite("methods", lambda x: x.exp() + x.sin() * x.tanh() - x.sigmoid() * x.square(), ((4,),)),
    _composite("unary_0d", lambda x: pj.sin(x) * pj.exp(x), ((),)),
    _composite(
        "reduction_methods", lambda x: x.prod(0) * x.std(0) + x.logsumexp(0) - x.cumsum(1)[-1] * x.var(0), ((3, 4),)
    ),
    _composite("transpose_T_matmul", lambda x, y: x.T @ y, ((3, 2), (3, 4))),
    _composite("reshape_infer", lambda x: x.reshape(4, -1) * x.reshape(-1)[:3], ((2, 6),)),
    _composite("expand_dims_many", lambda x: pj.expand_dims(x, (0, 2)) * pj.expand_dims(x, -1)[..., 0], ((2, 3),)),
    _composite("index_ellipsis_none", lambda x: x[..., None] * x[None, ...], ((3,),)),
    _composite("index_chain", lambda x: x[:, ::-1][1:] * 2, ((3, 4),)),
    _composite(
        "float32_ops", lambda x, y: pj.tanh(x @ y) * x[:, :1], ((2, 3), (3, 2)), as_float32(normal), fd=False, tol=1e-4
    ),
    _composite("scalar_chain", lambda x: (1.0 - x) * (x + 2.0) / (3.0 + x * x) - 0.5**x, ((2, 3),)),
    _composite("mlp_like", lambda x, w, b: pj.tanh(x @ w.T + b).sum(axis=-1), ((2, 3), (4, 3), (4,))),
    _composite("softmax_like", lambda x: pj.exp(x) / pj.sum(pj.exp(x), axis=-1, keepdims=True), ((2, 4),)),
    _composite("identity", lambda x: x, ((2, 3),)),
    _composite("identity_tuple_input", lambda x, y: y, ((2,), (3,))),
    _composite("double_T", lambda x: x.T.T * x, ((2, 3),)),
    _composite("flatten_ravel", lambda x: x.flatten() * x.ravel()[::-1], ((2, 3),)),
    _composite("empty_input", lambda x: x * 2.0, ((0, 3),)),
    _composite("empty_reduction", lambda x, y: pj.sum(x, axis=0) + y, ((0, 3), (3,))),
]

CASES = differentiable(forward=True) + COMPOSITES
_CASES = params(CASES, isolate=False)  # (the scalar-operand entries' reverse checks run forked in test_every_op)


# ---- helpers ----------------------------------------------------------------------------------------
def _np(x):
    return x.numpy() if isinstance(x, pj.Tensor) else np.asarray(x)


def _tensors(arrays):
    return tuple(pj.tensor(x) for x in arrays)


def _jac_matrices(J, out_size, arrays):
    """pj.jacobian's result for tuple inputs and one output, as (out.size, in.size) matrices."""
    assert isinstance(J, tuple) and len(J) == len(arrays)
    return [_np(b).astype(np.float64).reshape(out_size, x.size) for b, x in zip(J, arrays)]


def numeric_jacobian(fn, arrays, eps=1e-6):
    """Central differences in float64: one (out.size, in.size) matrix per input."""
    blocks = numerical_jacobian(fn, arrays, eps)[0]
    return [b.reshape(int(np.prod(b.shape[: b.ndim - np.ndim(a)])), np.size(a)) for b, a in zip(blocks, arrays)]


def _reverse_jacobian(case, arrays):
    xs = _tensors(arrays)
    out = case.single(*xs)
    J = pj.jacobian(case.single, xs, strategy="reverse-mode")
    return out, _jac_matrices(J, out.size, arrays)


def _random_like(r, arrays):
    return [r.standard_normal(x.shape).astype(x.dtype) for x in arrays]


# ---- first order ------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", _CASES)
def test_jvp_equals_reverse_jacobian_times_v(case):
    arrays = case.arrays()
    out, J = _reverse_jacobian(case, arrays)
    r = np.random.default_rng(1)
    vs = _random_like(r, arrays)
    value, jv = pj.jvp(case.single, _tensors(arrays), tuple(pj.tensor(v) for v in vs))
    assert isinstance(jv, pj.Tensor)
    assert tuple(jv.shape) == tuple(out.shape)
    np.testing.assert_allclose(_np(value), _np(out), rtol=1e-12, atol=1e-12)
    expected = sum(Jj @ v.astype(np.float64).ravel() for Jj, v in zip(J, vs)).reshape(out.shape)
    np.testing.assert_allclose(_np(jv).astype(np.float64), expected, rtol=case.tol, atol=case.tol)


@pytest.mark.parametrize("case", params([c for c in CASES if c.fd], "jvp_fd", isolate=False))
def test_jvp_and_jacobians_match_finite_differences(case):
    arrays = case.arrays()
    num = numeric_jacobian(case.single, arrays)
    for strategy in ("reverse-mode", "forward-mode"):
        xs = _tensors(arrays)
        out = case.single(*xs)
        J = _jac_matrices(pj.jacobian(case.single, xs, strategy=strategy), out.size, arrays)
        for j, (Ja, Jn) in enumerate(zip(J, num)):
            np.testing.assert_allclose(Ja, Jn, rtol=case.fd_tol, atol=case.fd_tol, err_msg=f"{strategy}, input {j}")
    r = np.random.default_rng(2)
    vs = _random_like(r, arrays)
    _, jv = pj.jvp(case.single, _tensors(arrays), tuple(pj.tensor(v) for v in vs))
    expected = sum(Jn @ v.ravel() for Jn, v in zip(num, vs))
    np.testing.assert_allclose(_np(jv).ravel(), expected, rtol=case.fd_tol, atol=case.fd_tol)


@pytest.mark.parametrize("vectorize", [True, False])
@pytest.mark.parametrize("case", _CASES)
def test_forward_mode_jacobian_equals_reverse_mode(case, vectorize):
    arrays = case.arrays()
    out, J_rev = _reverse_jacobian(case, arrays)
    J_fwd = pj.jacobian(case.single, _tensors(arrays), strategy="forward-mode", vectorize=vectorize)
    for b, x in zip(J_fwd, arrays):
        assert tuple(b.shape) == tuple(out.shape) + tuple(x.shape)
    for j, (Jf, Jr) in enumerate(zip(_jac_matrices(J_fwd, out.size, arrays), J_rev)):
        np.testing.assert_allclose(Jf, Jr, rtol=case.tol, atol=case.tol, err_msg=f"input {j}")


@pytest.mark.parametrize("case", _CASES)
def test_batched_tangents_with_leading_dims(case):
    """A tangent shaped (2, 3, *x.shape) gives (2, 3, *out.shape): six JVPs in one forward sweep."""
    arrays = case.arrays()
    r = np.random.default_rng(3)
    T = [r.standard_normal((2, 3) + x.shape).astype(x.dtype) for x in arrays]
    with dual_level() as level:
        duals = [make_dual(pj.tensor(x), pj.tensor(tj), level) for x, tj in zip(arrays, T)]
        out = case.single(*duals)
        tb = tangent_of(out, level)
        out_shape = tuple(out.shape)
    if tb is None:  # an output that ignores every input: its tangent is zero
        tb_np = np.zeros((2, 3) + out_shape)
    else:
        assert tuple(tb.shape) == (2, 3) + out_shape
        tb_np = _np(tb)
    for i in range(2):
        for k in range(3):
            _, jv = pj.jvp(case.single, _tensors(arrays), tuple(pj.tensor(tj[i, k]) for tj in T))
            np.testing.assert_allclose(tb_np[i, k], _np(jv), rtol=case.tol, atol=case.tol, err_msg=f"batch {i},{k}")


@pytest.mark.parametrize("case", params([c for c in CASES if c.nargs == 1], isolate=False))
def test_single_input_forms(case):
    """One tensor in, one tensor out: a Tensor shaped out.shape + in.shape from every strategy,
    and jvp takes and returns plain Tensors."""
    (x,) = case.arrays()
    out = case.single(pj.tensor(x))
    ref = None
    for strategy in ("reverse-mode", "forward-mode", "auto"):
        J = pj.jacobian(case.single, pj.tensor(x), strategy=strategy)
        assert isinstance(J, pj.Tensor)
        assert tuple(J.shape) == tuple(out.shape) + tuple(x.shape)
        if ref is None:
            ref = _np(J).astype(np.float64)
        np.testing.assert_allclose(_np(J), ref, rtol=case.tol, atol=case.tol, err_msg=strategy)
    v = np.random.default_rng(4).standard_normal(x.shape).astype(x.dtype)
    value, jv = pj.jvp(case.single, pj.tensor(x), pj.tensor(v))
    assert isinstance(value, pj.Tensor) and isinstance(jv, pj.Tensor)
    np.testing.assert_allclose(
        _np(jv).ravel(), ref.reshape(out.size, x.size) @ v.astype(np.float64).ravel(), rtol=case.tol, atol=case.tol
    )


# ---- second order -----------------------------------------------------------------------------------
def _scalarize(case, arrays):
    """s(xs) = sum(w * f(xs)**2): a scalar whose Hessian involves every op's derivative."""
    xs = _tensors(arrays)
    out = case.single(*xs)
    w = pj.tensor(np.random.default_rng(5).standard_normal(out.shape).astype(out.dtype))

    def s(*ys):
        return pj.sum(w * case.single(*ys) ** 2)

    return s


def _hessian_blocks(H, arrays):
    return [
        [_np(H[i][j]).astype(np.float64).reshape(xi.size, xj.size) for j, xj in enumerate(arrays)]
        for i, xi in enumerate(arrays)
    ]


@pytest.mark.parametrize("case", _CASES)
def test_hvp_forward_over_reverse_equals_hessian_times_v(case):
    arrays = case.arrays()
    s = _scalarize(case, arrays)
    H_rev = pj.hessian(s, _tensors(arrays), outer_jacobian_strategy="reverse-mode")
    for i, xi in enumerate(arrays):
        for j, xj in enumerate(arrays):
            assert tuple(H_rev[i][j].shape) == tuple(xi.shape) + tuple(xj.shape)
    H = _hessian_blocks(H_rev, arrays)
    # forward-over-reverse Hessian (the default) agrees with reverse-over-reverse
    H_fwd = _hessian_blocks(pj.hessian(s, _tensors(arrays)), arrays)
    for i in range(len(arrays)):
        for j in range(len(arrays)):
            np.testing.assert_allclose(H_fwd[i][j], H[i][j], rtol=case.tol, atol=case.tol, err_msg=f"H[{i}][{j}]")
    r = np.random.default_rng(6)
    vs = _random_like(r, arrays)
    value, hv = pj.hvp(s, _tensors(arrays), tuple(pj.tensor(v) for v in vs))
    assert isinstance(hv, tuple) and len(hv) == len(arrays)
    np.testing.assert_allclose(_np(value), _np(s(*_tensors(arrays))), rtol=1e-12)
    _, vh = pj.vhp(s, _tensors(arrays), tuple(pj.tensor(v) for v in vs))
    for i, xi in enumerate(arrays):
        Hv = sum(H[i][j] @ v.astype(np.float64).ravel() for j, v in enumerate(vs)).reshape(xi.shape)
        vH = sum(v.astype(np.float64).ravel() @ H[j][i] for j, v in enumerate(vs)).reshape(xi.shape)
        assert tuple(hv[i].shape) == tuple(xi.shape)
        np.testing.assert_allclose(_np(hv[i]), Hv, rtol=case.tol, atol=case.tol, err_msg=f"hvp input {i}")
        np.testing.assert_allclose(_np(vh[i]), vH, rtol=case.tol, atol=case.tol, err_msg=f"vhp input {i}")


@pytest.mark.parametrize("case", params([c for c in CASES if c.fd and c.hess_fd], "hvp_fd", isolate=False))
def test_hvp_matches_finite_differences_of_the_gradient(case):
    arrays = case.arrays()
    s = _scalarize(case, arrays)
    idx = list(range(len(arrays)))

    def gradient(*ys):
        ys = [y.requires_grad_(True) for y in ys]
        gs = pj.grad(s(*ys), ys, allow_unused=True)
        return pj.concatenate([pj.reshape(g, (-1,)) if g is not None else pj.zeros(y.size) for g, y in zip(gs, ys)])

    num = numeric_jacobian(gradient, arrays, eps=1e-5)  # blocks (n_total, n_j)
    r = np.random.default_rng(7)
    vs = _random_like(r, arrays)
    expected = sum(num[j] @ vs[j].ravel() for j in idx)
    _, hv = pj.hvp(s, _tensors(arrays), tuple(pj.tensor(v) for v in vs))
    got = np.concatenate([_np(h).ravel() for h in hv])
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("case", _CASES)
def test_jvp_of_grad_transform_is_hvp(case):
    """pyjac.func.jvp over pyjac.func.grad: forward-over-reverse through the transforms."""
    arrays = case.arrays()
    s = _scalarize(case, arrays)
    argnums = tuple(range(len(arrays)))
    r = np.random.default_rng(8)
    vs = _random_like(r, arrays)
    g, gdot = pj.func.jvp(pj.func.grad(s, argnums), _tensors(arrays), tuple(pj.tensor(v) for v in vs))
    _, hv = pj.hvp(s, _tensors(arrays), tuple(pj.tensor(v) for v in vs))
    assert len(gdot) == len(arrays)
    for i in range(len(arrays)):
        np.testing.assert_allclose(_np(gdot[i]), _np(hv[i]), rtol=case.tol, atol=case.tol)


# ---- forward mode as such ---------------------------------------------------------------------------
def test_forward_mode_works_without_grad_mode():
    x = pj.tensor([0.3, -1.2, 2.0])
    with pj.no_grad():
        value, jv = pj.jvp(lambda y: pj.sin(y) * y, x, pj.ones(3))
    np.testing.assert_allclose(_np(jv), np.cos(_np(x)) * _np(x) + np.sin(_np(x)), rtol=1e-14)
    np.testing.assert_allclose(_np(value), np.sin(_np(x)) * _np(x), rtol=1e-14)


def test_tangent_of_an_independent_output_is_zero():
    x = pj.tensor([1.0, 2.0])
    _, jv = pj.jvp(lambda y: pj.ones(3) * 2.0, x, pj.ones(2))
    assert tuple(jv.shape) == (3,)
    np.testing.assert_array_equal(_np(jv), np.zeros(3))


def test_nested_dual_levels_do_not_confuse_perturbations():
    """d/dx [x * (d/dy (x + y))] = 1 and d/dx [d/dy (x * y)] = 1 with nested forward levels
    (create_graph=True keeps the inner results differentiable, as in torch.autograd.functional)."""

    def inner(x):
        _, d = pj.jvp(lambda y: x + y, pj.tensor(1.0), pj.tensor(1.0), create_graph=True)
        return x * d

    _, outer = pj.jvp(inner, pj.tensor(2.0), pj.tensor(1.0))
    assert outer.item() == pytest.approx(1.0, abs=1e-14)

    def inner2(x):
        _, d = pj.func.jvp(lambda y: x * y, (x,), (pj.tensor(1.0),))
        return d

    _, outer2 = pj.func.jvp(inner2, (pj.tensor(2.0),), (pj.tensor(1.0),))
    # d/dx [d/dt (x * (x + t))] = d/dx x = 1
    assert outer2.item() == pytest.approx(1.0, abs=1e-14)


def test_forward_over_forward_second_derivative():
    """jvp of a jvp: the second derivative of sin(x) x**2 in one direction."""
    xv = np.array([0.4, -1.1, 2.2])
    u = np.array([1.0, -2.0, 0.5])

    def first(x):
        _, d = pj.jvp(lambda y: pj.sin(y) * y**2, x, pj.tensor(u), create_graph=True)
        return d

    _, second = pj.jvp(first, pj.tensor(xv), pj.tensor(u))
    f2 = -np.sin(xv) * xv**2 + 4 * xv * np.cos(xv) + 2 * np.sin(xv)
    np.testing.assert_allclose(_np(second), f2 * u * u, rtol=1e-12)

    def first_t(x):
        return pj.func.jvp(lambda y: pj.sin(y) * y**2, (x,), (pj.tensor(u),))[1]

    _, second_t = pj.func.jvp(first_t, (pj.tensor(xv),), (pj.tensor(u),))
    np.testing.assert_allclose(_np(second_t), f2 * u * u, rtol=1e-12)


def test_functional_results_are_cut_from_outer_forward_levels_without_create_graph():
    """Without create_graph the results are constants to any outer transform (torch semantics)."""

    def first(x):
        return pj.jvp(pj.sin, x, pj.ones(2))[1]

    _, second = pj.jvp(first, pj.tensor([0.5, 1.0]), pj.ones(2))
    np.testing.assert_array_equal(_np(second), np.zeros(2))


def test_make_dual_tangent_shape_mismatch_is_an_error():
    with dual_level() as level:
        with pytest.raises((ValueError, RuntimeError)):
            make_dual(pj.tensor([1.0, 2.0]), pj.tensor([1.0, 2.0, 3.0]), level)


def test_jvp_rejects_tangent_of_wrong_shape():
    with pytest.raises(ValueError):
        pj.jvp(pj.sin, pj.tensor([1.0, 2.0]), pj.tensor([1.0, 2.0, 3.0]))


def test_hessian_third_order_by_forward_over_forward_over_reverse():
    """jacfwd(jacfwd(jacrev(f))) is the third derivative tensor: for f = sum(x**4)/4 it is 6 x_i
    on the diagonal i == j == k and zero elsewhere."""
    xv = np.array([0.5, -1.0, 2.0])
    T = pj.func.jacfwd(pj.func.jacfwd(pj.func.jacrev(lambda x: pj.sum(x**4) / 4.0)))(pj.tensor(xv))
    expected = np.zeros((3, 3, 3))
    for i in range(3):
        expected[i, i, i] = 6 * xv[i]
    np.testing.assert_allclose(_np(T), expected, atol=1e-12)
