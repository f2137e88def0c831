"""Numerics: the log-sum-exp family and sigmoid stay finite at large inputs where the math is
finite; NaN propagates through values and gradients and is never masked; the documented
subgradient conventions hold.

softplus, logsumexp, log_softmax and cross_entropy are being added separately: each test of them
skips cleanly while the op is not there yet.
"""

import numpy as np
import pytest

import pyjac as pj

DTYPES = [np.float64, np.float32]


def op(path):
    """pj.<path> (e.g. "nn.functional.softplus"), or a skip while it does not exist."""
    obj = pj
    for part in path.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            pytest.skip(f"pj.{path} is not there yet")
    return obj


# ---- references, computed stably in float64 ------------------------------------------------


def ref_sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def ref_softplus(x):
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def ref_logsumexp(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    out = m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def ref_log_softmax(x, axis=-1):
    return x - ref_logsumexp(x, axis=axis, keepdims=True)


def ref_cross_entropy(logits, target):
    lp = ref_log_softmax(logits, axis=-1)
    return -np.mean(lp[np.arange(len(target)), target])


# Each case: pyjac function (by path), how to call it, the reference value, the reference
# gradient of sum(output). Inputs include +-1e4, where exp overflows (float64 past ~709,
# float32 past ~88): only a stable formulation stays finite.
EXTREME = np.array([1e4, -1e4, 0.0, 50.0, -50.0, 1e3, -1e3, 88.5, -104.0, 710.0, -746.0])


CASES = {
    "sigmoid": ("sigmoid", lambda f, x: f(x), ref_sigmoid, lambda x: ref_sigmoid(x) * (1 - ref_sigmoid(x))),
    "softplus": ("nn.functional.softplus", lambda f, x: f(x), ref_softplus, ref_sigmoid),
    "logsumexp": ("logsumexp", lambda f, x: f(x), lambda x: ref_logsumexp(x), lambda x: np.exp(x - ref_logsumexp(x))),
    "logsumexp_axis": (
        "logsumexp",
        lambda f, x: f(pj.reshape(x, (1, -1)) * pj.ones((3, 1), dtype=x.dtype), axis=1),
        lambda x: np.full(3, ref_logsumexp(x)),
        lambda x: 3 * np.exp(x - ref_logsumexp(x)),
    ),
    "log_softmax": (
        "nn.functional.log_softmax",
        lambda f, x: f(x),
        ref_log_softmax,
        lambda x: 1 - x.size * np.exp(ref_log_softmax(x)),
    ),
    "cross_entropy": (
        "nn.functional.cross_entropy",
        lambda f, x: f(pj.reshape(x, (1, -1)), pj.tensor([1])),
        lambda x: ref_cross_entropy(x[None], np.array([1])),
        lambda x: np.exp(ref_log_softmax(x)) - np.eye(x.size)[1],
    ),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(CASES))
def test_finite_values_and_gradients_at_extreme_inputs(name, dtype):
    path, call, ref, ref_grad = CASES[name]
    f = op(path)
    a = EXTREME.astype(dtype)
    x = pj.tensor(a, requires_grad=True)
    y = call(f, x)
    assert y.dtype == dtype
    v = y.detach().numpy().astype(np.float64)
    assert np.all(np.isfinite(v)), f"{name}({a}) = {v}"
    rtol = 1e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(v, ref(a.astype(np.float64)), rtol=rtol, atol=1e-30)
    (g,) = pj.grad(y.sum(), x, create_graph=True)
    gv = g.detach().numpy().astype(np.float64)
    assert np.all(np.isfinite(gv)), f"d {name} at {a} = {gv}"
    np.testing.assert_allclose(
        gv, ref_grad(a.astype(np.float64)), rtol=rtol, atol=1e-6 if dtype == np.float32 else 1e-12
    )
    # and the second derivative (the rule differentiated again) stays finite too
    (h,) = pj.grad((g * pj.tensor(np.linspace(-1, 1, a.size), dtype=dtype)).sum(), x)
    assert np.all(np.isfinite(h.numpy())), f"second derivative of {name} at {a}: {h.numpy()}"


@pytest.mark.parametrize("dtype", DTYPES)
def test_logsumexp_of_equal_huge_values(dtype):
    f = op("logsumexp")
    x = pj.tensor(np.array([1e4, 1e4, 1e4], dtype=dtype), requires_grad=True)
    y = f(x)
    np.testing.assert_allclose(y.item(), 1e4 + np.log(3), rtol=1e-6 if dtype == np.float32 else 1e-15)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full(3, 1 / 3), rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_confident_and_wrong_is_large_but_finite(dtype):
    f = op("nn.functional.cross_entropy")
    logits = pj.tensor(np.array([[1e4, -1e4], [-1e4, 1e4]], dtype=dtype), requires_grad=True)
    loss = f(logits, pj.tensor([1, 1]))
    assert np.isfinite(loss.item())
    np.testing.assert_allclose(loss.item(), 1e4, rtol=1e-6)  # mean of 2e4 (wrong) and 0 (right)
    loss.backward()
    np.testing.assert_allclose(logits.grad.numpy(), np.array([[0.5, -0.5], [0.0, 0.0]]), atol=1e-6)


# ---- NaN propagates and is never masked ---------------------------------------------------

NAN_CASES = {
    # name: (function of one float64 tensor x of shape (2, 3), whose row 0 holds one NaN)
    "exp": lambda x: pj.exp(x),
    "log": lambda x: pj.log(pj.abs(x) + 1),
    "sqrt": lambda x: pj.sqrt(pj.abs(x) + 1),
    "sin": lambda x: pj.sin(x),
    "tanh": lambda x: pj.tanh(x),
    "sigmoid": lambda x: pj.sigmoid(x),
    "relu": lambda x: pj.relu(x),
    "abs": lambda x: pj.abs(x),
    "square": lambda x: pj.square(x),
    "power": lambda x: x**3.0,
    "maximum": lambda x: pj.maximum(x, 0.5),
    "minimum": lambda x: pj.minimum(0.5, x),
    "clip": lambda x: pj.clip(x, -0.5, 0.5),
    "sum": lambda x: pj.sum(x, axis=1),
    "mean": lambda x: pj.mean(x, axis=1),
    "max": lambda x: pj.max(x, axis=1),
    "min": lambda x: pj.min(x, axis=1),
    "norm": lambda x: pj.norm(x, axis=1),
    "norm1": lambda x: pj.norm(x, ord=1, axis=1),
    "norm_inf": lambda x: pj.norm(x, ord=np.inf, axis=1),
    "norm3": lambda x: pj.norm(x, ord=3, axis=1),
    "matmul": lambda x: x @ pj.tensor(np.ones((3, 2))),
    "where": lambda x: pj.where(pj.tensor([[True, True, False], [True, False, True]]), x, 2 * x),
    "transpose": lambda x: pj.transpose(x) * 1.0,
    "softplus": "nn.functional.softplus",
    "logsumexp": ("logsumexp", {"axis": 1}),
    "log_softmax": ("nn.functional.log_softmax", {"axis": -1}),
}


LINEAR = ("sum", "mean", "transpose", "matmul", "where")


def _nan_case(name):
    case = NAN_CASES[name]
    if isinstance(case, str):
        return op(case)
    if isinstance(case, tuple):
        f, kwargs = op(case[0]), case[1]
        return lambda x: f(x, **kwargs)
    return case


@pytest.mark.parametrize("name", sorted(NAN_CASES))
def test_nan_input_propagates_to_values_and_gradients(name):
    f = _nan_case(name)
    a = np.array([[0.3, np.nan, -0.7], [0.2, -1.5, 0.9]])
    x = pj.tensor(a, requires_grad=True)
    y = f(x)
    yv = y.detach().numpy()
    # everything computed from the NaN is NaN; the clean row stays clean
    assert np.isnan(yv).any(), f"{name}: the NaN vanished from the output {yv}"
    if name not in ("matmul", "transpose"):
        assert np.all(np.isnan(yv[0][np.isnan(yv[0])])) and not np.isnan(yv[1]).any()
    y.backward(pj.ones(y.shape))
    g = x.grad.numpy()
    if name not in LINEAR:  # a linear op's derivative doesn't depend on the input's value
        assert np.isnan(g[0, 1]), f"{name}: the gradient at the NaN input is {g[0, 1]}, not NaN"
    if name not in (
        "max",
        "min",
        "norm_inf",
        "norm",
        "norm1",
        "norm3",
        "logsumexp",
        "log_softmax",
        "matmul",
        "transpose",
        "sum",
        "mean",
    ):
        assert not np.isnan(g[0, [0, 2]]).any(), f"{name}: elementwise, but NaN leaked sideways: {g}"
    assert not np.isnan(g[1]).any(), f"{name}: NaN reached the clean row: {g}"


@pytest.mark.parametrize("name", sorted(set(NAN_CASES) - {"where"}))
def test_nan_cotangent_is_never_masked(name):
    # a NaN arriving from above must reach every input the output depends on, even where the
    # local derivative is 0 (relu below 0, clip outside its range, non-maximal entries of max):
    # 0 * NaN is NaN, and a NaN gradient must not be turned into a clean 0
    f = _nan_case(name)
    a = np.array([[0.3, -2.0, -0.7], [0.2, -1.5, 0.9]])
    x = pj.tensor(a, requires_grad=True)
    y = f(x)
    (g,) = pj.grad(y, x, grad_outputs=pj.full(y.shape, np.nan))
    assert np.isnan(g.numpy()).all(), f"{name}: NaN cotangent masked to {g.numpy()}"


def test_nan_cotangent_through_sign_and_indexing():
    # the documented exceptions: sign is piecewise constant (its gradient is exactly 0), and
    # indexing sends nothing at all to the elements it did not select
    x = pj.tensor([1.0, -2.0, 3.0], requires_grad=True)
    (g,) = pj.grad(pj.sign(x), x, grad_outputs=pj.full((3,), np.nan))
    assert g.tolist() == [0.0, 0.0, 0.0]
    (g,) = pj.grad(x[1:], x, grad_outputs=pj.full((2,), np.nan))
    assert g.tolist()[0] == 0.0 and np.isnan(g.tolist()[1:]).all()


@pytest.mark.parametrize("name", ["max", "min"])
def test_nan_wins_reductions_as_in_numpy(name):
    fn = getattr(pj, name)
    a = np.array([1.0, np.nan, 5.0, -3.0])
    assert np.isnan(fn(pj.tensor(a)).item())
    assert np.isnan(getattr(np, name)(a))
    x = pj.tensor(a, requires_grad=True)
    fn(x).backward()
    assert np.isnan(x.grad.numpy()[1])


def test_inf_arithmetic_is_ieee():
    x = pj.tensor([np.inf, -np.inf, 0.0], requires_grad=True)
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(pj.exp(x).detach().numpy(), np.exp(x.detach().numpy()))
        np.testing.assert_array_equal(pj.sigmoid(x).detach().numpy(), [1.0, 0.0, 0.5])
        np.testing.assert_array_equal(pj.tanh(x).detach().numpy(), [1.0, -1.0, 0.0])
    pj.sigmoid(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.25])  # finite: s (1 - s)


# ---- documented subgradient conventions ---------------------------------------------------


def _grad(f, a):
    x = pj.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)
    (g,) = pj.grad(f(x), x)
    return g.numpy()


def test_abs_relu_sign_at_zero():
    z = [0.0, -0.0]
    np.testing.assert_array_equal(_grad(lambda x: pj.abs(x).sum(), z), [0.0, 0.0])
    np.testing.assert_array_equal(_grad(lambda x: pj.relu(x).sum(), z), [0.0, 0.0])
    np.testing.assert_array_equal(_grad(lambda x: pj.sign(x).sum(), [0.0, 2.0, -1.0]), [0.0, 0.0, 0.0])
    # second order at 0 as well: the derivative of the (constant) subgradient is 0
    x = pj.tensor([0.0, 1.5], requires_grad=True)
    (g,) = pj.grad(pj.abs(x).sum(), x, create_graph=True)
    if g.requires_grad:  # else the gradient is a constant (sign(x)): its derivative is 0 anyway
        (h,) = pj.grad(g.sum(), x, allow_unused=True)
        assert h is None or h.tolist() == [0.0, 0.0]


@pytest.mark.parametrize("ord_", [None, 2, 1, np.inf, 3, 0.5])
def test_vector_norm_gradient_at_zero_is_zero(ord_):
    g = _grad(lambda x: pj.norm(x, ord=ord_), [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(g, [0.0, 0.0, 0.0])
    # per row, with one zero row among ordinary ones
    a = np.array([[0.0, 0.0], [3.0, -4.0]])
    g = _grad(lambda x: pj.norm(x, ord=ord_, axis=1).sum(), a)
    np.testing.assert_array_equal(g[0], [0.0, 0.0])
    assert np.all(np.isfinite(g))


@pytest.mark.parametrize("ord_", [None, "fro", 1, np.inf])
def test_matrix_norm_gradient_at_zero_is_zero(ord_):
    g = _grad(lambda x: pj.norm(x, ord=ord_), np.zeros((2, 3)))
    np.testing.assert_array_equal(g, np.zeros((2, 3)))


def test_norm_gradient_at_zero_is_finite_under_create_graph():
    x = pj.tensor([0.0, 0.0], requires_grad=True)
    (g,) = pj.grad(pj.norm(x), x, create_graph=True)
    (h,) = pj.grad(g.sum(), x, allow_unused=True)
    assert h is None or np.all(np.isfinite(h.numpy()))


def test_max_min_ties_split_evenly():
    a = [1.0, 3.0, 3.0, -2.0, 3.0]
    np.testing.assert_allclose(_grad(lambda x: pj.max(x), a), [0, 1 / 3, 1 / 3, 0, 1 / 3])
    np.testing.assert_allclose(_grad(lambda x: pj.min(x), [2.0, -1.0, 5.0, -1.0]), [0, 0.5, 0, 0.5])
    # along an axis, each row on its own
    m = np.array([[1.0, 1.0, 0.0], [2.0, 5.0, 5.0], [7.0, 7.0, 7.0]])
    np.testing.assert_allclose(
        _grad(lambda x: pj.max(x, axis=1).sum(), m), [[0.5, 0.5, 0], [0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]]
    )
    m = np.array([[1.0, 5.0, 0.0], [7.0, 5.0, 0.0], [7.0, 2.0, 0.0]])
    np.testing.assert_allclose(
        _grad(lambda x: pj.max(x, axis=0, keepdims=True).sum(), m),
        [[0, 0.5, 1 / 3], [0.5, 0.5, 1 / 3], [0.5, 0, 1 / 3]],
    )
    # the whole gradient still sums to the cotangent: nothing lost or doubled
    assert _grad(lambda x: pj.max(x), np.full(7, 2.0)).sum() == pytest.approx(1.0)


def test_max_ties_with_batched_cotangents():
    x = pj.tensor([4.0, 4.0, 1.0], requires_grad=True)
    (J,) = pj.grad(pj.max(x), x, grad_outputs=pj.tensor([1.0, 2.0]), is_grads_batched=True)
    np.testing.assert_allclose(J.numpy(), [[0.5, 0.5, 0], [1, 1, 0]])


def test_maximum_minimum_ties_give_each_half():
    a = pj.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = pj.tensor([1.0, 5.0, 3.0], requires_grad=True)
    ga, gb = pj.grad(pj.maximum(a, b).sum(), [a, b])
    np.testing.assert_allclose(ga.numpy(), [0.5, 0, 0.5])
    np.testing.assert_allclose(gb.numpy(), [0.5, 1, 0.5])
    ga, gb = pj.grad(pj.minimum(a, b).sum(), [a, b])
    np.testing.assert_allclose(ga.numpy(), [0.5, 1, 0.5])
    np.testing.assert_allclose(gb.numpy(), [0.5, 0, 0.5])


def test_norm_inf_ties_split_evenly():
    g = _grad(lambda x: pj.norm(x, ord=np.inf), [3.0, -3.0, 1.0])
    np.testing.assert_allclose(g, [0.5, -0.5, 0.0])


# ---- arctan2 at the origin and pow at 0 (torch's values) ----------------------------------------
# Each derivative is taken four ways: reverse (jacrev), forward (jacfwd), and second order as
# reverse-over-reverse and forward-over-reverse, in float64 and float32.


def _derivatives(f, v, dtype):
    """f: R^n -> R at v: (gradient by jacrev, by jacfwd, Hessian by jacrev(jacrev), by jacfwd(jacrev))."""
    x = pj.tensor(np.asarray(v, dtype=dtype))
    return (
        pj.func.jacrev(f)(x).numpy(),
        pj.func.jacfwd(f)(x).numpy(),
        pj.func.jacrev(pj.func.jacrev(f))(x).numpy(),
        pj.func.jacfwd(pj.func.jacrev(f))(x).numpy(),
    )


@pytest.mark.parametrize("dtype", DTYPES)
def test_arctan2_derivatives_at_the_origin_are_zero(dtype):
    f = lambda v: pj.arctan2(v[0], v[1])  # noqa: E731
    grad_rev, grad_fwd, hess_rev, hess_fwd = _derivatives(f, [0.0, 0.0], dtype)
    for g in (grad_rev, grad_fwd):
        np.testing.assert_array_equal(g, [0.0, 0.0])
    for h in (hess_rev, hess_fwd):
        np.testing.assert_array_equal(h, np.zeros((2, 2)))
    # elsewhere the formula is untouched: d/dy = x / r^2, d/dx = -y / r^2
    grad_rev, grad_fwd, _, _ = _derivatives(f, [1.0, 2.0], dtype)
    for g in (grad_rev, grad_fwd):
        np.testing.assert_allclose(g, [2 / 5, -1 / 5], rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
def test_arctan2_origin_among_other_points_with_broadcasting(dtype):
    y = pj.tensor(np.array([0.0, 0.0, 3.0], dtype=dtype), requires_grad=True)
    x = pj.tensor(np.array([0.0], dtype=dtype), requires_grad=True)
    gy, gx = pj.grad(pj.arctan2(y, x).sum(), [y, x], create_graph=True)
    np.testing.assert_allclose(gy.detach().numpy(), [0.0, 0.0, 0.0])
    np.testing.assert_allclose(gx.detach().numpy(), [-1 / 3], rtol=1e-6)
    hy, hx = pj.grad((gy.sum() + gx.sum()), [y, x])
    assert np.all(np.isfinite(hy.numpy())) and np.all(np.isfinite(hx.numpy()))


@pytest.mark.parametrize("dtype", DTYPES)
def test_x_to_the_x_at_zero(dtype):
    # torch: d/dx x**x = 0 at 0 (both terms taken as 0); all second derivatives defined (0).
    f = lambda v: pj.sum(v**v)  # noqa: E731
    grad_rev, grad_fwd, hess_rev, hess_fwd = _derivatives(f, [0.0, 1.0], dtype)
    for g in (grad_rev, grad_fwd):
        np.testing.assert_allclose(g, [0.0, 1.0], rtol=1e-6)  # at 1: x**x (log x + 1) = 1
    for h in (hess_rev, hess_fwd):
        np.testing.assert_allclose(h, [[0.0, 0.0], [0.0, 2.0]], rtol=1e-6)  # at 1: x**x ((log x + 1)**2 + 1/x)


# (a, b) -> (d/da, d/db) of a**b, as torch 2.13 gives them (computed there).
POW_GRADIENTS = [
    ((0.0, 0.0), (0.0, 0.0)),
    ((0.0, 1.0), (1.0, 0.0)),
    ((0.0, 2.0), (0.0, 0.0)),
    ((0.0, 3.0), (0.0, 0.0)),
    ((0.0, 0.5), (np.inf, 0.0)),
    ((0.0, -1.0), (-np.inf, -np.inf)),
    ((2.0, 0.0), (0.0, np.log(2.0))),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("point, expected", POW_GRADIENTS, ids=[str(p) for p, _ in POW_GRADIENTS])
def test_pow_gradients_at_zero_base_match_torch(point, expected, dtype):
    f = lambda v: v[0] ** v[1]  # noqa: E731
    grad_rev, grad_fwd, _, _ = _derivatives(f, point, dtype)
    np.testing.assert_allclose(grad_rev, expected, rtol=1e-6)
    # forward mode: the same, except that a one-hot tangent times an infinite partial is NaN
    # off its own entry (0 * inf), as in torch
    for j, e in enumerate(expected):
        if np.isfinite(expected).all():
            assert grad_fwd[j] == pytest.approx(e, rel=1e-6)
    assert grad_fwd.dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES)
def test_pow_second_derivatives_at_zero_base_are_defined(dtype):
    f = lambda v: v[0] ** v[1]  # noqa: E731
    for point, expected in [
        ((0.0, 0.0), [[0, 0], [0, 0]]),
        ((0.0, 2.0), [[2, 0], [0, 0]]),
        ((2.0, 0.0), [[0, 0.5], [0.5, np.log(2.0) ** 2]]),
    ]:  # the last: the true Hessian
        _, _, hess_rev, hess_fwd = _derivatives(f, point, dtype)
        for h in (hess_rev, hess_fwd):
            np.testing.assert_allclose(h, expected, rtol=1e-6, atol=1e-12, err_msg=str(point))


@pytest.mark.parametrize("dtype", DTYPES)
def test_pow_with_zero_exponent_at_zero(dtype):
    # a**0 is 1 for every a, so its derivative in a is 0, at 0 too (issue 13); however the
    # exponent arrives: a tensor, a Python float through pj.power, or a Python number.
    for f in (
        lambda x: pj.power(x, 0.0),
        lambda x: x ** pj.tensor(np.array(0.0, dtype)),
        lambda x: x**0.0,
        lambda x: x**0,
    ):
        x = pj.tensor(np.array([0.0, 2.0], dtype), requires_grad=True)
        (g,) = pj.grad(f(x).sum(), x, create_graph=True)
        np.testing.assert_array_equal(g.detach().numpy(), [0.0, 0.0])
        if g.requires_grad:
            (h,) = pj.grad(g.sum(), x, allow_unused=True)
            assert h is None or h.tolist() == [0.0, 0.0]
        (_, t) = pj.jvp(lambda x: f(x), x.detach(), pj.ones_like(x))
        np.testing.assert_array_equal(t.numpy(), [0.0, 0.0])


@pytest.mark.parametrize("dtype", DTYPES)
def test_zero_base_to_a_tensor_exponent(dtype):
    # d/db 0**b: 0 where b >= 0 (0**b is constant there), -inf where b < 0, as torch
    b = pj.tensor(np.array([0.0, 1.0, 0.5, -1.0], dtype), requires_grad=True)
    (g,) = pj.grad((0.0**b).sum(), b, create_graph=True)
    np.testing.assert_array_equal(g.detach().numpy(), [0.0, 0.0, 0.0, -np.inf])
    (h,) = pj.grad(g[:3].sum(), b, allow_unused=True)
    assert h is None or np.all(h.numpy()[:3] == 0)
    (_, t) = pj.jvp(lambda b: 0.0**b, b.detach()[:3], pj.ones(3, dtype=dtype))
    np.testing.assert_array_equal(t.numpy(), [0.0, 0.0, 0.0])
