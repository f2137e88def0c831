"""Forward mode, op by op: every op's JVP rule against the reverse-mode Jacobian (J @ v), against
central finite differences, with batched tangents (extra leading dims), the forward-mode Jacobian
against the reverse-mode one, and second order (forward-over-reverse hvp against H @ v)."""
import numpy as np
import pytest

import pyjac as pj
from pyjac.testing import numerical_jacobian
from pyjac._forward import dual_level, make_dual, tangent_of


# ---- inputs ---------------------------------------------------------------------------------------
# An input spec is (kind, shape) or a fixed NumPy array. Kinds keep every op away from its kinks
# and outside of its domain's edges, so finite differences are meaningful.
def _draw(r, spec):
    if isinstance(spec, np.ndarray):
        return spec.copy()
    kind, shape = spec
    if kind == "n":  # standard normal
        return r.standard_normal(shape)
    if kind == "p":  # positive, away from 0
        return r.uniform(0.5, 2.0, shape)
    if kind == "a":  # away from zero, both signs
        return r.choice([-1.0, 1.0], shape) * r.uniform(0.3, 1.5, shape)
    if kind == "t":  # inside (-1, 1): tan stays tame
        return r.uniform(-1.0, 1.0, shape)
    if kind == "f32":  # float32 normal
        return r.standard_normal(shape).astype(np.float32)
    raise AssertionError(kind)


def n(*s):
    return ("n", s)


def p(*s):
    return ("p", s)


def a(*s):
    return ("a", s)


def t(*s):
    return ("t", s)


def f32(*s):
    return ("f32", s)


class Case:
    def __init__(self, name, fn, specs, fd=True, tol=1e-10, hess_fd=True, fd_tol=1e-6):
        self.name, self.fn, self.specs = name, fn, specs
        self.fd, self.tol, self.hess_fd, self.fd_tol = fd, tol, hess_fd, fd_tol

    def arrays(self, seed=0):
        r = np.random.default_rng(seed)
        return [_draw(r, s) for s in self.specs]

    def __repr__(self):
        return self.name


_MASK = np.array([[True, False, True], [False, False, True]])
_CLIP_X = np.array([[-0.9, -0.3, 0.1], [0.45, 0.7, -0.62]])
_TIES = np.array([[1.0, 3.0, 3.0, 2.0], [-1.0, 0.5, -1.0, 0.5]])
_ZEROS_AND_MORE = np.array([-2.0, 0.0, 3.0, 0.0, -0.5])

CASES = [
    # arithmetic, with broadcasting
    Case("add", lambda x, y: pj.add(x, y), [n(3, 4), n(4)]),
    Case("add_0d", lambda x, y: pj.add(x, y), [n(), n(2, 3)]),
    Case("add_bcast_both", lambda x, y: x + y, [n(2, 1, 3), n(4, 1)]),
    Case("subtract", lambda x, y: pj.subtract(x, y), [n(3, 4), n(3, 1)]),
    Case("subtract_lead", lambda x, y: x - y, [n(4), n(2, 3, 4)]),
    Case("multiply", lambda x, y: pj.multiply(x, y), [n(2, 3), n(3)]),
    Case("multiply_outer", lambda x, y: x * y, [n(3, 1), n(1, 4)]),
    Case("multiply_same", lambda x: x * x, [n(2, 3)]),
    Case("divide", lambda x, y: pj.divide(x, y), [n(2, 3), p(3)]),
    Case("divide_bcast", lambda x, y: x / y, [n(3), a(2, 3)]),
    Case("power_tensor_exp", lambda x, y: pj.power(x, y), [p(2, 3), n(3)]),
    Case("power_tensor_exp_bcast", lambda x, y: x ** y, [p(3), n(2, 3)]),
    Case("power_scalar_exp_int", lambda x: x ** 3, [n(2, 3)]),
    Case("power_scalar_exp_float", lambda x: x ** 2.5, [p(2, 3)]),
    Case("power_scalar_exp_negative", lambda x: x ** -1.5, [p(4)]),
    Case("power_scalar_exp_zero", lambda x: x ** 0 * x, [n(4)]),
    Case("power_fn_scalar_exp", lambda x: pj.power(x, 2.0), [n(2, 3)]),
    Case("power_scalar_base", lambda x: 2.0 ** x, [n(2, 3)]),
    Case("power_fn_scalar_base", lambda x: pj.power(0.5, x), [n(4)]),
    Case("power_int_base", lambda x: 3 ** x, [n(4)]),
    Case("negative", lambda x: pj.negative(x), [n(2, 3)]),
    Case("neg_operator", lambda x: -x, [n(3)]),
    # matmul / dot
    Case("matmul_2d", lambda x, y: pj.matmul(x, y), [n(3, 4), n(4, 5)]),
    Case("matmul_vec_mat", lambda x, y: x @ y, [n(4), n(4, 5)]),
    Case("matmul_mat_vec", lambda x, y: x @ y, [n(3, 4), n(4)]),
    Case("matmul_vec_vec", lambda x, y: x @ y, [n(4), n(4)]),
    Case("matmul_batched", lambda x, y: x @ y, [n(2, 3, 4), n(4, 5)]),
    Case("matmul_batched_bcast", lambda x, y: x @ y, [n(2, 1, 3, 4), n(5, 4, 2)]),
    Case("matmul_mat_batched", lambda x, y: x @ y, [n(3, 4), n(2, 4, 5)]),
    Case("matmul_batched_vec", lambda x, y: x @ y, [n(2, 3, 4), n(4)]),
    Case("dot_1d", lambda x, y: pj.dot(x, y), [n(4), n(4)]),
    Case("dot_2d", lambda x, y: pj.dot(x, y), [n(3, 4), n(4, 2)]),
    Case("dot_mat_vec", lambda x, y: pj.dot(x, y), [n(3, 4), n(4)]),
    Case("dot_nd", lambda x, y: pj.dot(x, y), [n(2, 3, 4), n(5, 4, 2)]),
    Case("dot_nd_vec", lambda x, y: pj.dot(x, y), [n(2, 3, 4), n(4)]),
    Case("dot_scalar", lambda x, y: pj.dot(x, y), [n(), n(3)]),
    Case("dot_method", lambda x, y: x.dot(y), [n(2, 3), n(3, 2)]),
    # maximum / minimum (random normals: no ties)
    Case("maximum", lambda x, y: pj.maximum(x, y), [n(3, 4), n(4)]),
    Case("minimum", lambda x, y: pj.minimum(x, y), [n(2, 3), n(2, 3)]),
    Case("maximum_ties", lambda x, y: pj.maximum(x, y), [np.array([1.0, 2.0, -1.0]), np.array([1.0, 0.0, -1.0])],
         hess_fd=False),
    Case("minimum_ties", lambda x, y: pj.minimum(x, y), [np.array([1.0, 2.0, -1.0]), np.array([1.0, 0.0, -1.0])],
         hess_fd=False),
    # elementwise functions
    Case("exp", pj.exp, [n(2, 3)]),
    Case("log", pj.log, [p(2, 3)]),
    Case("log1p", pj.log1p, [p(2, 3)]),
    Case("expm1", pj.expm1, [n(2, 3)]),
    Case("sqrt", pj.sqrt, [p(2, 3)]),
    Case("square", pj.square, [n(2, 3)]),
    Case("sin", pj.sin, [n(2, 3)]),
    Case("cos", pj.cos, [n(2, 3)]),
    Case("tan", pj.tan, [t(2, 3)]),
    Case("tanh", pj.tanh, [n(2, 3)]),
    Case("sigmoid", pj.sigmoid, [n(2, 3)]),
    Case("relu", pj.relu, [a(2, 3)]),
    Case("abs", pj.abs, [a(2, 3)]),
    Case("abs_at_zero", pj.abs, [_ZEROS_AND_MORE], hess_fd=False),
    Case("relu_at_zero", pj.relu, [_ZEROS_AND_MORE], fd=False, hess_fd=False),
    Case("sign", lambda x: pj.sign(x) * x, [a(2, 3)]),
    Case("sign_alone", pj.sign, [a(5)]),
    Case("methods", lambda x: x.exp() + x.sin() * x.tanh() - x.sigmoid() * x.square(), [n(4)]),
    Case("unary_0d", lambda x: pj.sin(x) * pj.exp(x), [n()]),
    # where / clip
    Case("where_mask", lambda x, y: pj.where(pj.tensor(_MASK), x, y), [n(2, 3), n(3)]),
    Case("where_computed", lambda x: pj.where(x > 0, pj.sin(x), x ** 2), [a(2, 3)]),
    Case("where_bcast_cond", lambda x, y: pj.where(pj.tensor(np.array([True, False, True])), x, y), [n(2, 3), n(2, 1)]),
    Case("clip", lambda x: pj.clip(x, -0.5, 0.5), [_CLIP_X]),
    Case("clip_min_only", lambda x: pj.clip(x, -0.5, None), [_CLIP_X]),
    Case("clip_max_only", lambda x: x.clip(None, 0.5), [_CLIP_X]),
    Case("clip_tensor_bounds", lambda x, lo, hi: pj.clip(x, lo, hi),
         [_CLIP_X, np.array([-0.5, -0.5, 0.3]), np.array([0.5, 0.6, 0.5])]),
    # reductions
    Case("sum_all", lambda x: pj.sum(x), [n(2, 3, 4)]),
    Case("sum_axis0", lambda x: pj.sum(x, axis=0), [n(2, 3, 4)]),
    Case("sum_axis_neg_keepdims", lambda x: pj.sum(x, axis=-1, keepdims=True), [n(2, 3, 4)]),
    Case("sum_axes_tuple", lambda x: x.sum(axis=(0, 2)), [n(2, 3, 4)]),
    Case("mean_all", lambda x: pj.mean(x), [n(2, 3, 4)]),
    Case("mean_axis1", lambda x: pj.mean(x, axis=1), [n(2, 3, 4)]),
    Case("mean_axes_keepdims", lambda x: x.mean(axis=(0, -1), keepdims=True), [n(2, 3, 4)]),
    Case("max_all", lambda x: pj.max(x), [n(3, 4)]),
    Case("max_axis", lambda x: pj.max(x, axis=1), [n(3, 4)]),
    Case("max_axis_keepdims", lambda x: x.max(axis=0, keepdims=True), [n(3, 4)]),
    Case("min_all", lambda x: pj.min(x), [n(3, 4)]),
    Case("min_axis", lambda x: pj.min(x, axis=-1), [n(3, 4)]),
    Case("min_axes", lambda x: pj.min(x, axis=(0, 2)), [n(2, 3, 4)]),
    Case("max_ties", lambda x: pj.max(x, axis=1), [_TIES], hess_fd=False),
    Case("min_ties", lambda x: pj.min(x, axis=1), [_TIES], hess_fd=False),
    Case("max_ties_all", lambda x: pj.max(x), [_TIES], hess_fd=False),
    Case("norm_default", lambda x: pj.norm(x), [n(5)]),
    Case("norm_default_matrix", lambda x: pj.norm(x), [n(3, 4)]),
    Case("norm_ord2", lambda x: pj.norm(x, 2), [n(5)]),
    Case("norm_ord1", lambda x: pj.norm(x, 1), [a(5)]),
    Case("norm_ord_inf", lambda x: pj.norm(x, np.inf), [n(5)]),
    Case("norm_ord_neg_inf", lambda x: pj.norm(x, -np.inf), [n(5)]),
    Case("norm_ord3", lambda x: pj.norm(x, 3), [a(5)]),
    Case("norm_ord_half", lambda x: pj.norm(x, 0.5), [a(4)]),
    Case("norm_fro", lambda x: pj.norm(x, "fro"), [n(3, 4)]),
    Case("norm_matrix_ord1", lambda x: pj.norm(x, 1), [a(3, 4)]),
    Case("norm_matrix_ord_inf", lambda x: pj.norm(x, np.inf), [a(3, 4)]),
    Case("norm_axis1", lambda x: pj.norm(x, axis=1), [n(3, 4)]),
    Case("norm_axis0_ord1", lambda x: pj.norm(x, 1, axis=0), [a(3, 4)]),
    Case("norm_ord3_axis_keepdims", lambda x: pj.norm(x, 3, axis=-1, keepdims=True), [a(2, 3, 4)]),
    Case("norm_fro_axes", lambda x: pj.norm(x, "fro", axis=(1, 2)), [n(2, 3, 4)]),
    Case("norm_method_inf_axis", lambda x: x.norm(np.inf, axis=0), [n(3, 4)]),
    # shapes and views
    Case("reshape", lambda x: pj.reshape(x, (3, 4)), [n(2, 6)]),
    Case("reshape_infer", lambda x: x.reshape(4, -1) * x.reshape(-1)[:3], [n(2, 6)]),
    Case("reshape_flatten", lambda x: x.reshape(-1), [n(2, 3, 2)]),
    Case("transpose_default", lambda x: pj.transpose(x), [n(2, 3, 4)]),
    Case("transpose_perm", lambda x: pj.transpose(x, (1, 0, 2)), [n(2, 3, 4)]),
    Case("transpose_T", lambda x, y: x.T @ y, [n(3, 2), n(3, 4)]),
    Case("broadcast_to", lambda x: pj.broadcast_to(x, (2, 3)), [n(3)]),
    Case("broadcast_to_inner", lambda x: pj.broadcast_to(x, (2, 3, 4)), [n(3, 1)]),
    Case("squeeze_all", lambda x: pj.squeeze(x), [n(1, 3, 1)]),
    Case("squeeze_axis", lambda x: pj.squeeze(x, 0), [n(1, 3, 1)]),
    Case("expand_dims", lambda x: pj.expand_dims(x, 0), [n(2, 3)]),
    Case("expand_dims_many", lambda x: pj.expand_dims(x, (0, 2)) * pj.expand_dims(x, -1)[..., 0], [n(2, 3)]),
    Case("concatenate_axis0", lambda x, y: pj.concatenate([x, y]), [n(2, 3), n(1, 3)]),
    Case("concatenate_axis1", lambda x, y: pj.concatenate((x, y), axis=1), [n(2, 3), n(2, 2)]),
    Case("concatenate_axis_none", lambda x, y: pj.concatenate([x, y], axis=None), [n(2, 3), n(4)]),
    Case("concatenate_three_neg", lambda x, y, z: pj.concatenate([x, y, z], axis=-1), [n(2, 1), n(2, 3), n(2, 2)]),
    Case("concatenate_partial_const", lambda x: pj.concatenate([x, pj.ones(2, 3), x * 2], axis=0), [n(2, 3)]),
    Case("stack_axis0", lambda x, y: pj.stack([x, y]), [n(2, 3), n(2, 3)]),
    Case("stack_axis_neg", lambda x, y: pj.stack([x, y, x * y], axis=-1), [n(2, 3), n(2, 3)]),
    Case("stack_partial_const", lambda x: pj.stack([pj.zeros(3), x], axis=1), [n(3)]),
    # basic indexing
    Case("index_int", lambda x: x[1], [n(3, 4)]),
    Case("index_negative_int", lambda x: x[-1], [n(3, 4)]),
    Case("index_two_ints", lambda x: x[0, 2], [n(3, 4)]),
    Case("index_slice", lambda x: x[1:3], [n(4, 3)]),
    Case("index_reverse", lambda x: x[::-1], [n(5)]),
    Case("index_neg_step2", lambda x: x[::-2], [n(5, 2)]),
    Case("index_neg_start_stop", lambda x: x[-2:0:-1], [n(6)]),
    Case("index_none", lambda x: x[None], [n(3)]),
    Case("index_ellipsis_int", lambda x: x[..., 1], [n(2, 3, 4)]),
    Case("index_mixed", lambda x: x[:, None, 1:], [n(3, 4)]),
    Case("index_int_ellipsis_negstep", lambda x: x[1, ..., ::-2], [n(2, 3, 5)]),
    Case("index_ellipsis_none", lambda x: x[..., None] * x[None, ...], [n(3)]),
    Case("index_chain", lambda x: x[:, ::-1][1:] * 2, [n(3, 4)]),
    # dtype conversion (float32 on one side: looser tolerance, no finite differences)
    Case("astype_64_to_32", lambda x: pj.astype(x, pj.float32) * 2.0, [n(2, 3)], fd=False, tol=1e-5),
    Case("astype_32_to_64", lambda x: pj.astype(x, pj.float64) ** 2, [f32(2, 3)], fd=False, tol=1e-5),
    Case("astype_roundtrip", lambda x: pj.sin(x.astype(pj.float32)).astype(pj.float64) * x, [n(4)], fd=False,
         tol=1e-5),
    Case("float32_ops", lambda x, y: pj.tanh(x @ y) * x[:, :1], [f32(2, 3), f32(3, 2)], fd=False, tol=1e-4),
    # operators with Python scalars on either side
    Case("scalar_add_right", lambda x: x + 2.5, [n(3)]),
    Case("scalar_add_left", lambda x: 2.5 + x, [n(3)]),
    Case("scalar_sub_right", lambda x: x - 1.5, [n(3)]),
    Case("scalar_sub_left", lambda x: 1.5 - x, [n(3)]),
    Case("scalar_mul_right", lambda x: x * 3.0, [n(3)]),
    Case("scalar_mul_left", lambda x: 3.0 * x, [n(3)]),
    Case("scalar_int_mul_add", lambda x: 2 * x + 1, [n(3)]),
    Case("scalar_div_right", lambda x: x / 4.0, [n(3)]),
    Case("scalar_div_left", lambda x: 4.0 / x, [a(3)]),
    Case("scalar_int_div_left", lambda x: 1 / x, [p(3)]),
    Case("scalar_pow_right", lambda x: x ** 2, [n(3)]),
    Case("scalar_pow_left", lambda x: 1.5 ** x, [n(3)]),
    Case("scalar_chain", lambda x: (1.0 - x) * (x + 2.0) / (3.0 + x * x) - 0.5 ** x, [n(2, 3)]),
    # composites and edge shapes
    Case("mlp_like", lambda x, w, b: pj.tanh(x @ w.T + b).sum(axis=-1), [n(2, 3), n(4, 3), n(4)]),
    Case("softmax_like", lambda x: pj.exp(x) / pj.sum(pj.exp(x), axis=-1, keepdims=True), [n(2, 4)]),
    Case("identity", lambda x: x, [n(2, 3)]),
    Case("identity_tuple_input", lambda x, y: y, [n(2), n(3)]),
    Case("double_T", lambda x: x.T.T * x, [n(2, 3)]),
    Case("flatten_ravel", lambda x: x.flatten() * x.ravel()[::-1], [n(2, 3)]),
    Case("empty_input", lambda x: x * 2.0, [n(0, 3)]),
    Case("empty_reduction", lambda x, y: pj.sum(x, axis=0) + y, [n(0, 3), n(3)]),
]

_IDS = [c.name for c in CASES]


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
    return [b.reshape(int(np.prod(b.shape[:b.ndim - np.ndim(a)])), np.size(a)) for b, a in zip(blocks, arrays)]


def _reverse_jacobian(case, arrays):
    xs = _tensors(arrays)
    out = case.fn(*xs)
    J = pj.jacobian(case.fn, xs, strategy="reverse-mode")
    return out, _jac_matrices(J, out.size, arrays)


def _random_like(r, arrays):
    return [r.standard_normal(x.shape).astype(x.dtype) for x in arrays]


# ---- first order ------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=_IDS)
def test_jvp_equals_reverse_jacobian_times_v(case):
    arrays = case.arrays()
    out, J = _reverse_jacobian(case, arrays)
    r = np.random.default_rng(1)
    vs = _random_like(r, arrays)
    value, jv = pj.jvp(case.fn, _tensors(arrays), tuple(pj.tensor(v) for v in vs))
    assert isinstance(jv, pj.Tensor)
    assert tuple(jv.shape) == tuple(out.shape)
    np.testing.assert_allclose(_np(value), _np(out), rtol=1e-12, atol=1e-12)
    expected = sum(Jj @ v.astype(np.float64).ravel() for Jj, v in zip(J, vs)).reshape(out.shape)
    np.testing.assert_allclose(_np(jv).astype(np.float64), expected, rtol=case.tol, atol=case.tol)


@pytest.mark.parametrize("case", [c for c in CASES if c.fd], ids=[c.name for c in CASES if c.fd])
def test_jvp_and_jacobians_match_finite_differences(case):
    arrays = case.arrays()
    num = numeric_jacobian(case.fn, arrays)
    for strategy in ("reverse-mode", "forward-mode"):
        xs = _tensors(arrays)
        out = case.fn(*xs)
        J = _jac_matrices(pj.jacobian(case.fn, xs, strategy=strategy), out.size, arrays)
        for j, (Ja, Jn) in enumerate(zip(J, num)):
            np.testing.assert_allclose(Ja, Jn, rtol=case.fd_tol, atol=case.fd_tol, err_msg=f"{strategy}, input {j}")
    r = np.random.default_rng(2)
    vs = _random_like(r, arrays)
    _, jv = pj.jvp(case.fn, _tensors(arrays), tuple(pj.tensor(v) for v in vs))
    expected = sum(Jn @ v.ravel() for Jn, v in zip(num, vs))
    np.testing.assert_allclose(_np(jv).ravel(), expected, rtol=case.fd_tol, atol=case.fd_tol)


@pytest.mark.parametrize("vectorize", [True, False])
@pytest.mark.parametrize("case", CASES, ids=_IDS)
def test_forward_mode_jacobian_equals_reverse_mode(case, vectorize):
    arrays = case.arrays()
    out, J_rev = _reverse_jacobian(case, arrays)
    J_fwd = pj.jacobian(case.fn, _tensors(arrays), strategy="forward-mode", vectorize=vectorize)
    for b, x in zip(J_fwd, arrays):
        assert tuple(b.shape) == tuple(out.shape) + tuple(x.shape)
    for j, (Jf, Jr) in enumerate(zip(_jac_matrices(J_fwd, out.size, arrays), J_rev)):
        np.testing.assert_allclose(Jf, Jr, rtol=case.tol, atol=case.tol, err_msg=f"input {j}")


@pytest.mark.parametrize("case", CASES, ids=_IDS)
def test_batched_tangents_with_leading_dims(case):
    """A tangent shaped (2, 3, *x.shape) gives (2, 3, *out.shape): six JVPs in one forward sweep."""
    arrays = case.arrays()
    r = np.random.default_rng(3)
    T = [r.standard_normal((2, 3) + x.shape).astype(x.dtype) for x in arrays]
    with dual_level() as level:
        duals = [make_dual(pj.tensor(x), pj.tensor(tj), level) for x, tj in zip(arrays, T)]
        out = case.fn(*duals)
        tb = tangent_of(out, level)
        out_shape = tuple(out.shape)
    if tb is None:  # an output that ignores every input: its tangent is zero
        tb_np = np.zeros((2, 3) + out_shape)
    else:
        assert tuple(tb.shape) == (2, 3) + out_shape
        tb_np = _np(tb)
    for i in range(2):
        for k in range(3):
            _, jv = pj.jvp(case.fn, _tensors(arrays), tuple(pj.tensor(tj[i, k]) for tj in T))
            np.testing.assert_allclose(tb_np[i, k], _np(jv), rtol=case.tol, atol=case.tol, err_msg=f"batch {i},{k}")


_SINGLE = [c for c in CASES if len(c.specs) == 1]


@pytest.mark.parametrize("case", _SINGLE, ids=[c.name for c in _SINGLE])
def test_single_input_forms(case):
    """One tensor in, one tensor out: a Tensor shaped out.shape + in.shape from every strategy,
    and jvp takes and returns plain Tensors."""
    (x,) = case.arrays()
    out = case.fn(pj.tensor(x))
    ref = None
    for strategy in ("reverse-mode", "forward-mode", "auto"):
        J = pj.jacobian(case.fn, pj.tensor(x), strategy=strategy)
        assert isinstance(J, pj.Tensor)
        assert tuple(J.shape) == tuple(out.shape) + tuple(x.shape)
        if ref is None:
            ref = _np(J).astype(np.float64)
        np.testing.assert_allclose(_np(J), ref, rtol=case.tol, atol=case.tol, err_msg=strategy)
    v = np.random.default_rng(4).standard_normal(x.shape).astype(x.dtype)
    value, jv = pj.jvp(case.fn, pj.tensor(x), pj.tensor(v))
    assert isinstance(value, pj.Tensor) and isinstance(jv, pj.Tensor)
    np.testing.assert_allclose(_np(jv).ravel(), ref.reshape(out.size, x.size) @ v.astype(np.float64).ravel(),
                               rtol=case.tol, atol=case.tol)


# ---- second order -----------------------------------------------------------------------------------
def _scalarize(case, arrays):
    """s(xs) = sum(w * f(xs)**2): a scalar whose Hessian involves every op's derivative."""
    xs = _tensors(arrays)
    out = case.fn(*xs)
    w = pj.tensor(np.random.default_rng(5).standard_normal(out.shape).astype(out.dtype))

    def s(*ys):
        return pj.sum(w * case.fn(*ys) ** 2)
    return s


def _hessian_blocks(H, arrays):
    return [[_np(H[i][j]).astype(np.float64).reshape(xi.size, xj.size) for j, xj in enumerate(arrays)]
            for i, xi in enumerate(arrays)]


@pytest.mark.parametrize("case", CASES, ids=_IDS)
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


@pytest.mark.parametrize("case", [c for c in CASES if c.fd and c.hess_fd],
                         ids=[c.name for c in CASES if c.fd and c.hess_fd])
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


@pytest.mark.parametrize("case", CASES, ids=_IDS)
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
        _, d = pj.jvp(lambda y: pj.sin(y) * y ** 2, x, pj.tensor(u), create_graph=True)
        return d
    _, second = pj.jvp(first, pj.tensor(xv), pj.tensor(u))
    f2 = -np.sin(xv) * xv ** 2 + 4 * xv * np.cos(xv) + 2 * np.sin(xv)
    np.testing.assert_allclose(_np(second), f2 * u * u, rtol=1e-12)

    def first_t(x):
        return pj.func.jvp(lambda y: pj.sin(y) * y ** 2, (x,), (pj.tensor(u),))[1]
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
    T = pj.func.jacfwd(pj.func.jacfwd(pj.func.jacrev(lambda x: pj.sum(x ** 4) / 4.0)))(pj.tensor(xv))
    expected = np.zeros((3, 3, 3))
    for i in range(3):
        expected[i, i, i] = 6 * xv[i]
    np.testing.assert_allclose(_np(T), expected, atol=1e-12)
