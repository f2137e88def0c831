"""pyjac.nn.functional: activations, softmax, linear, dropout and losses.

The functions come from the registry (tests/op_registry, family "nn"); each is also checked at
its registry inputs by tests/test_every_op.py (first and second derivatives, batched cotangents,
torch) and tests/test_forward_mode.py. Here: values against NumPy formulas (and
torch.nn.functional where torch is installed) over shapes and dtypes, finite differences over
shapes, third derivatives of the C++ activations, JVPs and hvps against reverse-mode Jacobians and
Hessians, stability at +-1e4, NaN propagation, reduction modes, class-index and probability
targets, and errors.
"""

import numpy as np
import pytest
from op_registry import select
from op_registry.nn import erf_np, erfc_np, log_softmax_np, sigmoid_np, softmax_np

import pyjac as pj
import pyjac.nn.functional as F
from pyjac._forward import dual_level, make_dual, tangent_of
from pyjac.testing import gradcheck, gradgradcheck


def _t(a, requires_grad=False, dtype=None):
    a = np.asarray(a)
    if dtype is not None:
        a = a.astype(dtype)
    return pj.tensor(a, requires_grad=requires_grad)


# ---- NumPy references (shared with the registry's entries, tests/op_registry/nn.py) --------------------
_erf, _erfc = erf_np, erfc_np
_sigmoid_np, _softmax_np, _log_softmax_np = sigmoid_np, softmax_np, log_softmax_np

# The activations are registry entries (tag "activation"): id, function and NumPy reference (sweep),
# torch counterpart, domain away from kinks (0 for leaky_relu/elu, the threshold for softplus). Their
# second derivatives and batched cotangents at (2, 3) run in tests/test_every_op.py.
ACTIVATIONS = [
    (c.id, *c.sweep, c.torch, lambda rng, shape, c=c: c.sample(rng, shape)[0]) for c in select("nn", tags="activation")
]
ACT_IDS = [a[0] for a in ACTIVATIONS]

# The C++ activations' exact first derivatives.
DERIVATIVES = {
    "erf": lambda x: 2 / np.sqrt(np.pi) * np.exp(-(x**2)),
    "softplus": _sigmoid_np,
    "gelu": lambda x: 0.5 * _erfc(-x / np.sqrt(2)) + x * np.exp(-(x**2) / 2) / np.sqrt(2 * np.pi),
    "leaky_relu": lambda x: np.where(x > 0, 1.0, 0.01),
    "elu": lambda x: np.where(x > 0, 1.0, np.exp(np.minimum(x, 0))),
    "silu": lambda x: _sigmoid_np(x) * (1 + x * (1 - _sigmoid_np(x))),
}

SHAPES = [(), (0,), (7,), (2, 3), (2, 0, 3), (3, 1, 4)]


# ==== activations ====================================================================================
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name,fn,ref,tfn,domain", ACTIVATIONS, ids=ACT_IDS)
def test_activation_values(name, fn, ref, tfn, domain, shape, rng):
    a = domain(rng, shape)
    out = fn(_t(a))
    assert isinstance(out, pj.Tensor)
    assert out.shape == a.shape
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.numpy(), ref(a), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("name,fn,ref,tfn,domain", ACTIVATIONS, ids=ACT_IDS)
def test_activation_float32_kept(name, fn, ref, tfn, domain, rng):
    a = domain(rng, (3, 5)).astype(np.float32)
    x = _t(a, requires_grad=True)
    out = fn(x)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.detach().numpy(), ref(a.astype(np.float64)), rtol=2e-6, atol=2e-7)
    (g,) = pj.grad(pj.sum(out), x)
    assert g.dtype == np.float32


@pytest.mark.parametrize("name,fn,ref,tfn,domain", ACTIVATIONS, ids=ACT_IDS)
def test_activation_integer_input_computes_in_float64(name, fn, ref, tfn, domain):
    a = np.array([-2, -1, 1, 3])
    out = fn(_t(a))
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.numpy(), ref(a.astype(float)), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("name,fn,ref,tfn,domain", ACTIVATIONS, ids=ACT_IDS)
def test_activation_non_contiguous_input(name, fn, ref, tfn, domain, rng):
    a = domain(rng, (4, 6))
    x = _t(a).T[::2]
    np.testing.assert_allclose(fn(x).numpy(), ref(a.T[::2]), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("shape", [(), (4,), (2, 3)], ids=str)
@pytest.mark.parametrize("name,fn,ref,tfn,domain", ACTIVATIONS, ids=ACT_IDS)
def test_activation_gradcheck(name, fn, ref, tfn, domain, shape, rng):
    assert gradcheck(fn, (_t(domain(rng, shape), requires_grad=True),))


# (second derivatives and batched cotangents at (2, 3): tests/test_every_op.py)
@pytest.mark.parametrize("name,fn,ref,tfn,domain", ACTIVATIONS, ids=ACT_IDS)
def test_activation_third_derivative(name, fn, ref, tfn, domain, rng):
    # f''' through the differentiable f'' rules, against central differences of f''.
    a = domain(rng, (5,))

    def second(v, create_graph=False):
        x = _t(v, requires_grad=True)
        (d1,) = pj.grad(pj.sum(fn(x)), x, create_graph=True)
        (d2,) = pj.grad(pj.sum(d1), x, create_graph=create_graph)
        return x, d2

    x, d2 = second(a, create_graph=True)
    d3 = np.zeros_like(a)
    if d2.requires_grad:  # piecewise-linear activations: f'' is a constant 0
        (g3,) = pj.grad(pj.sum(d2), x, allow_unused=True)
        d3 = d3 if g3 is None else g3.numpy()
    eps = 1e-5
    fd = (second(a + eps)[1].numpy() - second(a - eps)[1].numpy()) / (2 * eps)
    np.testing.assert_allclose(d3, fd, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("name,fn,ref,tfn,domain", ACTIVATIONS, ids=ACT_IDS)
def test_activation_batched_second_derivative(name, fn, ref, tfn, domain, rng, batched_check):
    # the fused backward op with a batched cotangent (and the cotangent broadcast against x)
    def first(x):
        (g,) = pj.grad(pj.sum(fn(x) * pj.sin(x)), x, create_graph=True)
        return g

    batched_check(first, [domain(rng, (2, 3))], k=3)


@pytest.mark.parametrize("name", list(DERIVATIVES))
def test_activation_derivative_values(name):
    fn = dict((a[0], a[1]) for a in ACTIVATIONS)[name]
    a = np.array([-3.0, -1.1, -0.3, 0.4, 1.7, 5.0])
    x = _t(a, requires_grad=True)
    (g,) = pj.grad(pj.sum(fn(x)), x)
    np.testing.assert_allclose(g.numpy(), DERIVATIVES[name](a), rtol=1e-13, atol=1e-15)


def test_kink_conventions_follow_pytorch():
    # leaky_relu'(0) = negative_slope, elu'(0) = alpha (both take the negative side at 0)
    x = _t(np.zeros(3), requires_grad=True)
    (g,) = pj.grad(pj.sum(F.leaky_relu(x, 0.3)), x)
    np.testing.assert_array_equal(g.numpy(), 0.3)
    (g,) = pj.grad(pj.sum(F.elu(x, 0.7)), x)
    np.testing.assert_allclose(g.numpy(), 0.7)
    # softplus past the threshold is x itself, with gradient exactly 1
    x = _t([25.0, 20.5], requires_grad=True)
    y = F.softplus(x)
    np.testing.assert_array_equal(y.detach().numpy(), [25.0, 20.5])
    (g,) = pj.grad(pj.sum(y), x)
    np.testing.assert_array_equal(g.numpy(), [1.0, 1.0])


def _jvp_forward(fn, a, v):
    with dual_level() as level:
        out = fn(make_dual(_t(a), _t(v), level))
        return out, tangent_of(out, level)


@pytest.mark.parametrize("name,fn,ref,tfn,domain", ACTIVATIONS, ids=ACT_IDS)
def test_activation_jvp_matches_reverse_jacobian(name, fn, ref, tfn, domain, rng):
    a, v = domain(rng, (2, 3)), rng.standard_normal((2, 3))
    J = pj.jacobian(fn, _t(a), strategy="reverse-mode").numpy().reshape(6, 6)
    out, tan = _jvp_forward(fn, a, v)
    np.testing.assert_allclose(out.numpy(), ref(a), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(tan.numpy().ravel(), J @ v.ravel(), rtol=1e-12, atol=1e-14)
    # batched tangents: k directions at once
    V = rng.standard_normal((4, 2, 3))
    _, tans = _jvp_forward(fn, a, V)
    assert tans.shape == (4, 2, 3)
    np.testing.assert_allclose(tans.numpy().reshape(4, 6), V.reshape(4, 6) @ J.T, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name,fn,ref,tfn,domain", ACTIVATIONS, ids=ACT_IDS)
def test_activation_hvp_forward_over_reverse(name, fn, ref, tfn, domain, rng):
    # forward mode through the fused backward op: H v against the reverse-over-reverse Hessian
    a, v, w = domain(rng, (4,)), rng.standard_normal(4), rng.standard_normal(4)
    f = lambda x: pj.sum(fn(x) * _t(w) + fn(x) ** 2)
    H = pj.hessian(f, _t(a)).numpy()
    _, hv = pj.hvp(f, _t(a), _t(v))
    np.testing.assert_allclose(hv.numpy(), H @ v, rtol=1e-11, atol=1e-13)


# The limits at +-1e4 (and the derivative there): f(-1e4), f(1e4), f'(-1e4), f'(1e4).
LIMITS = {
    "erf": (-1.0, 1.0, 0.0, 0.0),
    "softplus": (0.0, 1e4, 0.0, 1.0),
    "softplus_beta2_thr3": (0.0, 1e4, 0.0, 1.0),
    "softplus_neg_beta": (-1e4, 0.0, 1.0, 0.0),
    "gelu": (0.0, 1e4, 0.0, 1.0),
    "gelu_tanh": (0.0, 1e4, 0.0, 1.0),
    "leaky_relu": (-100.0, 1e4, 0.01, 1.0),
    "leaky_relu_0.2": (-2000.0, 1e4, 0.2, 1.0),
    "elu": (-1.0, 1e4, 0.0, 1.0),
    "elu_0.5": (-0.5, 1e4, 0.0, 1.0),
    "silu": (0.0, 1e4, 0.0, 1.0),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("name,fn,ref,tfn,domain", ACTIVATIONS, ids=ACT_IDS)
def test_activation_stable_at_1e4(name, fn, ref, tfn, domain, dtype):
    x = _t(np.array([-1e4, 1e4]), requires_grad=True, dtype=dtype)
    y = fn(x)
    lo, hi, dlo, dhi = LIMITS[name]
    np.testing.assert_allclose(y.detach().numpy(), [lo, hi], rtol=1e-6, atol=1e-30)
    (g,) = pj.grad(pj.sum(y), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), [dlo, dhi], rtol=1e-6, atol=1e-30)
    (gg,) = pj.grad(pj.sum(g), x, allow_unused=True)
    if gg is not None:
        assert np.all(np.isfinite(gg.numpy())), gg


@pytest.mark.parametrize("name,fn,ref,tfn,domain", ACTIVATIONS, ids=ACT_IDS)
def test_activation_propagates_nan(name, fn, ref, tfn, domain):
    a = np.array([-1.0, np.nan, 0.5, 1e4, -1e4])
    out = fn(_t(a)).numpy()
    assert np.isnan(out[1])
    np.testing.assert_allclose(out[[0, 2]], ref(a[[0, 2]]), rtol=1e-13)
    assert np.isfinite(out[[0, 2, 3, 4]]).all()


@pytest.mark.parametrize("name,fn,ref,tfn,domain", ACTIVATIONS, ids=ACT_IDS)
def test_activation_torch_parity(name, fn, ref, tfn, domain, rng, torch):
    a = np.concatenate([domain(rng, (20,)), [-1e4, -50.0, 50.0, 1e4]])
    x = _t(a, requires_grad=True)
    tx = torch.tensor(a, requires_grad=True)
    y, ty = fn(x), tfn(torch, tx)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-12, atol=1e-14)
    w = rng.standard_normal(a.shape)
    (g,) = pj.grad(pj.sum(y * _t(w)), x, create_graph=True)
    (tg,) = torch.autograd.grad((ty * torch.tensor(w)).sum(), tx, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), tg.detach().numpy(), rtol=1e-12, atol=1e-14)
    (gg,) = pj.grad(pj.sum(g), x, allow_unused=True)
    if tg.requires_grad:
        (tgg,) = torch.autograd.grad(tg.sum(), tx)
        gg = np.zeros_like(a) if gg is None else gg.numpy()
        np.testing.assert_allclose(gg, tgg.numpy(), rtol=1e-10, atol=1e-12)
    # float32 too
    y32 = fn(_t(a, dtype=np.float32)).numpy()
    t32 = tfn(torch, torch.tensor(a, dtype=torch.float32)).numpy()
    np.testing.assert_allclose(y32, t32, rtol=1e-5, atol=1e-6)


def test_gelu_rejects_unknown_approximation():
    with pytest.raises(ValueError, match="approximate"):
        F.gelu(_t([1.0]), approximate="erf")


def test_softplus_rejects_zero_beta():
    with pytest.raises(ValueError, match="softplus: beta"):
        F.softplus(_t([1.0]), beta=0)


def test_erf_is_exported_and_matches_math():
    a = np.linspace(-3, 3, 13)
    np.testing.assert_allclose(pj.erf(_t(a)).numpy(), _erf(a), rtol=1e-14, atol=1e-16)
    assert "erf" in pj.__all__


def test_grad_fn_names():
    x = _t([0.5], requires_grad=True)
    assert F.silu(x).grad_fn.name() == "SiluBackward"
    assert F.gelu(x).grad_fn.name() == "GeluBackward"
    assert F.softmax(x).grad_fn.name() == "SoftmaxBackward"
    assert F.log_softmax(x).grad_fn.name() == "LogSoftmaxBackward"
    (g,) = pj.grad(pj.sum(F.elu(x)), x, create_graph=True)
    assert g.grad_fn is not None  # the backward is recorded as a differentiable op


def test_relu_sigmoid_tanh_are_the_core_ops():
    assert F.relu is pj.relu and F.sigmoid is pj.sigmoid and F.tanh is pj.tanh


def test_activation_backward_broadcasts_cotangent_to_input():
    # a cotangent that a sum spreads back (every stride 0) and a 0-d input
    x = _t(np.linspace(-2, 2, 6).reshape(2, 3), requires_grad=True)
    (g,) = pj.grad(pj.sum(F.silu(x)) * 3.0, x)
    np.testing.assert_allclose(g.detach().numpy(), 3 * DERIVATIVES["silu"](x.detach().numpy()), rtol=1e-13)
    x0 = _t(0.7, requires_grad=True)
    (g,) = pj.grad(F.gelu(x0), x0, grad_outputs=_t(np.ones((3,) + ())), is_grads_batched=True)
    assert g.shape == (3,)
    np.testing.assert_allclose(g.numpy(), DERIVATIVES["gelu"](np.array(0.7)), rtol=1e-13)


# ==== softmax and log_softmax ===========================================================================
SOFTMAXES = [(c.id, *c.sweep) for c in select("nn", tags="softmax") if c.sweep and c.id == c.name.split(".")[-1]]
SM_IDS = [s[0] for s in SOFTMAXES]
SM_CASES = [
    ((5,), -1),
    ((5,), 0),
    ((3, 4), -1),
    ((3, 4), 0),
    ((3, 4), 1),
    ((2, 3, 4), 1),
    ((2, 3, 4), -3),
    ((2, 3, 4), 2),
    ((1, 1), 0),
    ((2, 1, 3), 1),
]
SM_IDS_CASES = [f"{s}-axis{a}" for s, a in SM_CASES]


@pytest.mark.parametrize("shape,axis", SM_CASES, ids=SM_IDS_CASES)
@pytest.mark.parametrize("name,fn,ref", SOFTMAXES, ids=SM_IDS)
def test_softmax_values(name, fn, ref, shape, axis, rng):
    a = rng.standard_normal(shape) * 3
    out = fn(_t(a), axis=axis)
    assert out.shape == a.shape and out.dtype == np.float64
    np.testing.assert_allclose(out.numpy(), ref(a, axis), rtol=1e-13, atol=1e-15)
    # PyTorch's keyword
    np.testing.assert_allclose(fn(_t(a), dim=axis).numpy(), ref(a, axis), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("name,fn,ref", SOFTMAXES, ids=SM_IDS)
def test_softmax_float32_non_contiguous_and_integer(name, fn, ref, rng):
    a = rng.standard_normal((4, 5)).astype(np.float32)
    out = fn(_t(a), axis=0)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), ref(a.astype(np.float64), 0), rtol=1e-5, atol=1e-6)
    b = rng.standard_normal((4, 6))
    np.testing.assert_allclose(fn(_t(b).T[::2], axis=-1).numpy(), ref(b.T[::2], -1), rtol=1e-13, atol=1e-15)
    out = fn(_t(np.array([[1, 2, 3]])))
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.numpy(), ref(np.array([[1.0, 2.0, 3.0]]), -1), rtol=1e-13)


@pytest.mark.parametrize("name,fn,ref", SOFTMAXES, ids=SM_IDS)
def test_softmax_0d_and_empty(name, fn, ref):
    out = fn(_t(2.5))
    assert out.shape == ()
    assert out.item() == (1.0 if name == "softmax" else 0.0)
    x = _t(2.5, requires_grad=True)
    (g,) = pj.grad(fn(x), x)
    assert g.item() == 0.0
    for shape, axis in [((0,), 0), ((0, 3), 1), ((2, 0), 1), ((2, 0), 0)]:
        out = fn(_t(np.zeros(shape)), axis=axis)
        assert out.shape == shape
        x = _t(np.zeros(shape), requires_grad=True)
        (g,) = pj.grad(fn(x, axis=axis), x, grad_outputs=_t(np.zeros(shape)))
        assert g.shape == shape


@pytest.mark.parametrize("name,fn,ref", SOFTMAXES, ids=SM_IDS)
def test_softmax_axis_errors(name, fn, ref):
    with pytest.raises(ValueError, match=name):
        fn(_t(np.zeros((2, 3))), axis=2)
    with pytest.raises(ValueError, match=name):
        fn(_t(np.zeros((2, 3))), axis=-3)
    with pytest.raises(ValueError, match=name):
        fn(_t(1.0), axis=1)
    with pytest.raises(ValueError, match="both"):
        fn(_t(np.zeros((2, 3))), axis=0, dim=1)


@pytest.mark.parametrize("shape,axis", [((4,), 0), ((2, 3), 0), ((2, 3), -1), ((2, 3, 2), 1)], ids=str)
@pytest.mark.parametrize("name,fn,ref", SOFTMAXES, ids=SM_IDS)
def test_softmax_gradcheck(name, fn, ref, shape, axis, rng):
    x = _t(rng.standard_normal(shape), requires_grad=True)
    assert gradcheck(lambda v: fn(v, axis=axis), (x,))
    assert gradgradcheck(lambda v: fn(v, axis=axis), (x,))


@pytest.mark.parametrize("name,fn,ref", SOFTMAXES, ids=SM_IDS)
def test_softmax_batched_and_jvp(name, fn, ref, rng, batched_check):
    a = rng.standard_normal((2, 3, 4))
    for axis in (0, 1, -1):
        f = lambda v, axis=axis: fn(v, axis=axis)
        batched_check(f, [a], k=3)
        J = pj.jacobian(f, _t(a), strategy="reverse-mode").numpy().reshape(24, 24)
        V = rng.standard_normal((3, 2, 3, 4))
        _, tans = _jvp_forward(f, a, V)
        np.testing.assert_allclose(tans.numpy().reshape(3, 24), V.reshape(3, 24) @ J.T, rtol=1e-12, atol=1e-14)
        # forward over reverse (the rules' own JVPs)
        w = rng.standard_normal(a.shape)
        g = lambda v, axis=axis: pj.sum(fn(v, axis=axis) ** 2 * _t(w))
        H = pj.hessian(g, _t(a)).numpy().reshape(24, 24)
        v = rng.standard_normal(a.shape)
        np.testing.assert_allclose(pj.hvp(g, _t(a), _t(v))[1].numpy().ravel(), H @ v.ravel(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("axis", [0, -1])
@pytest.mark.parametrize("name,fn,ref", SOFTMAXES, ids=SM_IDS)
def test_softmax_fused_backward_rules(name, fn, ref, axis, rng, batched_check):
    # The backward is a fused op with rules of its own: its gradient (in the cotangent and in the
    # output), batched, and one order higher (gradgradcheck of the gradient function).
    a, w = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))

    def first(x):
        (g,) = pj.grad(pj.sum(fn(x, axis=axis) * _t(w) * pj.sin(x)), x, create_graph=True)
        return g

    batched_check(first, [a], k=3)
    assert gradgradcheck(first, (_t(a, True),))

    # the fused op itself, in its cotangent argument too
    def backward_of(x, v):
        (g,) = pj.grad(fn(x, axis=axis), x, grad_outputs=v, create_graph=True)
        return g

    assert gradcheck(backward_of, (_t(a, True), _t(w, True)))
    assert gradgradcheck(backward_of, (_t(a, True), _t(w, True)))


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_softmax_stable_for_large_inputs(dtype):
    a = np.array([[1e4, 1e4 - 1.0, -1e4], [-1e4, -1e4, -1e4 + 2.0]])
    x = _t(a, requires_grad=True, dtype=dtype)
    sm, lsm = F.softmax(x, axis=1), F.log_softmax(x, axis=1)
    np.testing.assert_allclose(sm.detach().numpy(), _softmax_np(a, 1), rtol=1e-5, atol=1e-30)
    np.testing.assert_allclose(lsm.detach().numpy(), _log_softmax_np(a, 1), rtol=1e-5, atol=1e-30)
    for y in (sm, lsm):
        (g,) = pj.grad(pj.sum(y * _t(np.arange(6.0).reshape(2, 3), dtype=dtype)), x, create_graph=True)
        assert np.all(np.isfinite(g.detach().numpy()))
        (gg,) = pj.grad(pj.sum(g * g), x)
        assert np.all(np.isfinite(gg.numpy()))
    # log_softmax keeps the far tail that softmax underflows
    assert lsm.detach().numpy()[0, 2] == pytest.approx(-2e4 - np.log1p(np.exp(-1.0)), rel=1e-6)


def test_softmax_infinities_and_nan():
    a = np.array([[-np.inf, 0.0, 1.0], [np.nan, 0.0, 1.0], [-np.inf, -np.inf, 3.0]])
    sm = F.softmax(_t(a)).numpy()
    lsm = F.log_softmax(_t(a)).numpy()
    np.testing.assert_allclose(sm[0], _softmax_np(np.array([-np.inf, 0.0, 1.0]), 0), rtol=1e-15)
    np.testing.assert_allclose(sm[2], [0, 0, 1])
    assert np.isneginf(lsm[0, 0]) and np.isneginf(lsm[2, :2]).all() and lsm[2, 2] == 0.0
    assert np.isnan(sm[1]).all() and np.isnan(lsm[1]).all()  # a NaN poisons its row, as in PyTorch
    # an inner axis takes the other loop
    sm_t = F.softmax(_t(a.T.copy()), axis=0).numpy()
    np.testing.assert_allclose(sm_t[:, [0, 2]], sm[[0, 2]].T, rtol=1e-15)
    assert np.isnan(sm_t[:, 1]).all()


def test_softmax_rows_sum_to_one_and_shift_invariance(rng):
    a = rng.standard_normal((5, 7)) * 10
    sm = F.softmax(_t(a), axis=1).numpy()
    np.testing.assert_allclose(sm.sum(axis=1), 1.0, rtol=1e-14)
    np.testing.assert_allclose(F.softmax(_t(a + 123.0), axis=1).numpy(), sm, rtol=1e-12)


@pytest.mark.parametrize("name,fn,ref", SOFTMAXES, ids=SM_IDS)
def test_softmax_torch_parity(name, fn, ref, rng, torch):
    tfn = getattr(torch, name)
    a = rng.standard_normal((3, 4, 5))
    w = rng.standard_normal(a.shape)
    for axis in (0, 1, 2):
        x = _t(a, requires_grad=True)
        tx = torch.tensor(a, requires_grad=True)
        y, ty = fn(x, axis=axis), tfn(tx, axis)
        np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-12, atol=1e-14)
        (g,) = pj.grad(pj.sum(y * _t(w)), x, create_graph=True)
        (tg,) = torch.autograd.grad((ty * torch.tensor(w)).sum(), tx, create_graph=True)
        np.testing.assert_allclose(g.detach().numpy(), tg.detach().numpy(), rtol=1e-11, atol=1e-13)
        (gg,) = pj.grad(pj.sum(g * g), x)
        (tgg,) = torch.autograd.grad((tg * tg).sum(), tx)
        np.testing.assert_allclose(gg.numpy(), tgg.numpy(), rtol=1e-10, atol=1e-12)


# ==== linear ==============================================================================================
@pytest.mark.parametrize("xshape", [(3,), (5, 3), (2, 4, 3)], ids=str)
def test_linear_values_and_gradcheck(xshape, rng):
    a, W, b = rng.standard_normal(xshape), rng.standard_normal((2, 3)), rng.standard_normal(2)
    out = F.linear(_t(a), _t(W), _t(b))
    np.testing.assert_allclose(out.numpy(), a @ W.T + b, rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(F.linear(_t(a), _t(W)).numpy(), a @ W.T, rtol=1e-13, atol=1e-14)
    args = (_t(a, True), _t(W, True), _t(b, True))
    assert gradcheck(F.linear, args)
    assert gradgradcheck(F.linear, args)
    assert gradcheck(lambda x, w: F.linear(x, w), args[:2])


def test_linear_errors():
    with pytest.raises(ValueError, match="linear: weight must be 2-D"):
        F.linear(_t(np.zeros(3)), _t(np.zeros(3)))
    with pytest.raises(ValueError, match="in_features=4"):
        F.linear(_t(np.zeros((2, 3))), _t(np.zeros((5, 4))))
    with pytest.raises(ValueError, match="linear: bias"):
        F.linear(_t(np.zeros((2, 3))), _t(np.zeros((5, 3))), _t(np.zeros(3)))


def test_linear_torch_parity(rng, torch):
    a, W, b = rng.standard_normal((4, 3)), rng.standard_normal((2, 3)), rng.standard_normal(2)
    xs = [_t(v, True) for v in (a, W, b)]
    ts = [torch.tensor(v, requires_grad=True) for v in (a, W, b)]
    y, ty = F.linear(*xs), torch.nn.functional.linear(*ts)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-13)
    G = rng.standard_normal(y.shape)
    grads = pj.grad(y, xs, grad_outputs=_t(G))
    tgrads = torch.autograd.grad(ty, ts, torch.tensor(G))
    for g, tg in zip(grads, tgrads):
        np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=1e-13)


# ==== dropout ===========================================================================================
def test_dropout_identity_when_not_training_or_p_zero(rng):
    x = _t(rng.standard_normal((3, 4)))
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x


def test_dropout_statistics_scaling_and_gradient(rng):
    pj.manual_seed(3)
    a = rng.uniform(1.0, 2.0, (200, 250))
    x = _t(a, requires_grad=True)
    y = F.dropout(x, p=0.3)
    out = y.detach().numpy()
    kept = out != 0
    assert abs(1 - kept.mean() - 0.3) < 0.01  # 50 000 draws: 0.01 is over 15 standard deviations
    np.testing.assert_allclose(out[kept], a[kept] / 0.7, rtol=1e-15)
    (g,) = pj.grad(pj.sum(y), x)
    np.testing.assert_allclose(g.numpy(), kept / 0.7, rtol=1e-15)


def test_dropout_reproducible_with_manual_seed(rng):
    x = _t(rng.standard_normal((10, 10)))
    pj.manual_seed(11)
    a = F.dropout(x, 0.5).numpy()
    pj.manual_seed(11)
    b = F.dropout(x, 0.5).numpy()
    c = F.dropout(x, 0.5).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(b, c)


def test_dropout_p_one_float32_and_errors():
    x = _t(np.ones((3, 3)), dtype=np.float32)
    y = F.dropout(x, 1.0)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y.numpy(), 0)
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError, match="dropout"):
            F.dropout(x, p)


def test_dropout_gradcheck():
    # the mask is drawn anew on every call: fix the seed inside the function
    def f(x):
        pj.manual_seed(5)
        return F.dropout(x, 0.4)

    x = _t(np.linspace(-1, 1, 8), requires_grad=True)
    assert gradcheck(f, (x,))
    assert gradgradcheck(f, (x,))


# ==== losses: NumPy references =========================================================================
def _ce_index_np(logits, target, weight=None, ignore_index=-100, reduction="mean", eps=0.0):
    """cross entropy with class indices; classes on axis 1 (axis 0 for 1-D logits)."""
    axis = 1 if logits.ndim >= 2 else 0
    C = logits.shape[axis]
    logp = _log_softmax_np(logits, axis)
    lp = np.moveaxis(logp, axis, -1)  # (..., C)
    w = np.ones(C) if weight is None else weight
    valid = target != ignore_index
    t = np.where(valid, target, 0)
    picked = np.take_along_axis(lp, t[..., None], -1)[..., 0]
    wt = w[t] * valid
    nll = -picked * wt
    smooth = -(lp * w).sum(-1) * valid
    if reduction == "none":
        return (1 - eps) * nll + eps / C * smooth
    if reduction == "sum":
        return (1 - eps) * nll.sum() + eps / C * smooth.sum()
    return (1 - eps) * nll.sum() / wt.sum() + eps / C * smooth.sum() / wt.sum()


def _ce_prob_np(logits, probs, weight=None, reduction="mean", eps=0.0):
    axis = 1 if logits.ndim >= 2 else 0
    C = logits.shape[axis]
    probs = probs * (1 - eps) + eps / C
    shape = [1] * logits.ndim
    shape[axis] = C
    w = np.ones(shape) if weight is None else weight.reshape(shape)
    loss = -(_log_softmax_np(logits, axis) * probs * w).sum(axis)
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / (logits.size / C)


def _bce_np(x, t, weight=None, pos_weight=None, reduction="mean"):
    log_sig = -np.logaddexp(0, -x)
    log_one_minus = -np.logaddexp(0, x)
    pw = 1.0 if pos_weight is None else pos_weight
    loss = -(pw * t * log_sig + (1 - t) * log_one_minus)
    if weight is not None:
        loss = loss * weight
    return {"none": loss, "sum": loss.sum(), "mean": loss.mean()}[reduction]


REDUCTIONS = ["mean", "sum", "none"]


# ==== mse_loss ==============================================================================================
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_loss(reduction, rng):
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    d = (a - b) ** 2
    expected = {"mean": d.mean(), "sum": d.sum(), "none": d}[reduction]
    np.testing.assert_allclose(F.mse_loss(_t(a), _t(b), reduction=reduction).numpy(), expected, rtol=1e-13)
    args = (_t(a, True), _t(b, True))
    f = lambda x, y: F.mse_loss(x, y, reduction=reduction)
    assert gradcheck(f, args)
    assert gradgradcheck(f, args)


def test_mse_loss_warns_on_broadcast_and_rejects_bad_reduction():
    with pytest.warns(UserWarning, match="broadcast"):
        F.mse_loss(_t(np.zeros((3, 1))), _t(np.zeros(3)))
    with pytest.raises(ValueError, match="reduction"):
        F.mse_loss(_t(np.zeros(3)), _t(np.zeros(3)), reduction="avg")


def test_mse_loss_nan_and_torch_parity(rng, torch):
    a, b = rng.standard_normal(5), rng.standard_normal(5)
    for r in REDUCTIONS:
        np.testing.assert_allclose(
            F.mse_loss(_t(a), _t(b), reduction=r).numpy(),
            torch.nn.functional.mse_loss(torch.tensor(a), torch.tensor(b), reduction=r).numpy(),
            rtol=1e-13,
        )
    a[2] = np.nan
    assert np.isnan(F.mse_loss(_t(a), _t(b)).item())


# ==== cross_entropy =========================================================================================
# logits shape, target shape (class indices)
CE_SHAPES = [((4, 3), (4,)), ((3,), ()), ((2, 3, 4), (2, 4)), ((2, 3, 2, 2), (2, 2, 2))]
CE_IDS = [str(s) for s, _ in CE_SHAPES]


def _targets(rng, shape, C, ignore=False):
    t = rng.integers(0, C, shape)
    if ignore and t.size > 1:
        t.flat[1] = -100
    return t


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("lshape,tshape", CE_SHAPES, ids=CE_IDS)
def test_cross_entropy_index_targets(lshape, tshape, reduction, rng):
    axis = 1 if len(lshape) >= 2 else 0
    C = lshape[axis]
    a, t = rng.standard_normal(lshape) * 2, _targets(rng, tshape, C)
    out = F.cross_entropy(_t(a), _t(t), reduction=reduction)
    np.testing.assert_allclose(out.numpy(), _ce_index_np(a, t, reduction=reduction), rtol=1e-13, atol=1e-15)
    f = lambda x: F.cross_entropy(x, _t(t), reduction=reduction)
    assert gradcheck(f, (_t(a, True),))
    assert gradgradcheck(f, (_t(a, True),))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("lshape,tshape", CE_SHAPES[:3], ids=CE_IDS[:3])
def test_cross_entropy_weight_ignore_index_label_smoothing(lshape, tshape, reduction, rng):
    axis = 1 if len(lshape) >= 2 else 0
    C = lshape[axis]
    a, t = rng.standard_normal(lshape), _targets(rng, tshape, C, ignore=True)
    w = rng.uniform(0.5, 2.0, C)
    for kwargs in [dict(weight=w), dict(label_smoothing=0.2), dict(weight=w, label_smoothing=0.1)]:
        out = F.cross_entropy(
            _t(a), _t(t), reduction=reduction, **{k: (_t(v) if k == "weight" else v) for k, v in kwargs.items()}
        )
        expected = _ce_index_np(a, t, kwargs.get("weight"), -100, reduction, kwargs.get("label_smoothing", 0.0))
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-13, atol=1e-15, err_msg=str(kwargs))
        f = lambda x: F.cross_entropy(
            x,
            _t(t),
            weight=kwargs.get("weight"),
            reduction=reduction,
            label_smoothing=kwargs.get("label_smoothing", 0.0),
        )
        assert gradcheck(f, (_t(a, True),))
        assert gradgradcheck(f, (_t(a, True),))
    # ignored targets get zero loss and zero gradient
    if t.size > 1:
        x = _t(a, True)
        (g,) = pj.grad(pj.sum(F.cross_entropy(x, _t(t), reduction="none")), x)
        ignored = np.moveaxis(g.numpy(), axis, -1)[t == -100]
        np.testing.assert_array_equal(ignored, 0)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(4, 3), (3,), (2, 3, 2)], ids=str)
def test_cross_entropy_probability_targets(shape, reduction, rng):
    axis = 1 if len(shape) >= 2 else 0
    a = rng.standard_normal(shape)
    p = _softmax_np(rng.standard_normal(shape), axis)
    w = rng.uniform(0.5, 2.0, shape[axis])
    for kwargs in [{}, dict(weight=w), dict(label_smoothing=0.3)]:
        out = F.cross_entropy(_t(a), _t(p), reduction=reduction, **kwargs)
        np.testing.assert_allclose(
            out.numpy(),
            _ce_prob_np(a, p, reduction=reduction, weight=kwargs.get("weight"), eps=kwargs.get("label_smoothing", 0.0)),
            rtol=1e-13,
            atol=1e-15,
        )
    # differentiable in the logits and in the target probabilities
    f = lambda x, q: F.cross_entropy(x, q, reduction=reduction, label_smoothing=0.1)
    assert gradcheck(f, (_t(a, True), _t(p, True)))
    assert gradgradcheck(f, (_t(a, True), _t(p, True)))


def test_cross_entropy_index_and_onehot_probabilities_agree(rng):
    a, t = rng.standard_normal((5, 4)), rng.integers(0, 4, 5)
    onehot = np.eye(4)[t]
    np.testing.assert_allclose(
        F.cross_entropy(_t(a), _t(t)).numpy(), F.cross_entropy(_t(a), _t(onehot)).numpy(), rtol=1e-14
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_cross_entropy_stable_at_1e4(dtype):
    a = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4], [0.0, 0.0, -1e4]])
    t = np.array([1, 0, 2])
    x = _t(a, True, dtype=dtype)
    loss = F.cross_entropy(x, _t(t), reduction="none")
    np.testing.assert_allclose(loss.detach().numpy(), _ce_index_np(a, t, reduction="none"), rtol=1e-5)
    (g,) = pj.grad(pj.sum(loss), x, create_graph=True)
    assert np.all(np.isfinite(g.detach().numpy()))
    (gg,) = pj.grad(pj.sum(g * g), x)
    assert np.all(np.isfinite(gg.numpy()))
    # probability targets too
    p = _t(np.full((3, 3), 1 / 3), dtype=dtype)
    assert np.isfinite(F.cross_entropy(x, p).item())


def test_cross_entropy_nan_propagates():
    a = np.array([[np.nan, 0.0, 1.0], [0.0, 1.0, 2.0]])
    loss = F.cross_entropy(_t(a), _t([1, 2]), reduction="none").numpy()
    assert np.isnan(loss[0]) and np.isfinite(loss[1])
    assert np.isnan(F.cross_entropy(_t(a), _t([1, 2])).item())


def test_cross_entropy_errors():
    x = _t(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="cross_entropy.*target of shape"):
        F.cross_entropy(x, _t(np.zeros(3, dtype=np.int64)))
    with pytest.raises(ValueError, match="probability target"):
        F.cross_entropy(x, _t(np.zeros((4, 2))))
    with pytest.raises(IndexError, match="target 3 is out of bounds for 3 classes"):
        F.cross_entropy(x, _t([0, 1, 3, 0]))
    with pytest.raises(IndexError, match="out of bounds"):
        F.cross_entropy(x, _t([0, -1, 1, 0]))
    with pytest.raises(ValueError, match="reduction"):
        F.cross_entropy(x, _t([0, 1, 2, 0]), reduction="batchmean")
    with pytest.raises(ValueError, match="weight must have shape"):
        F.cross_entropy(x, _t([0, 1, 2, 0]), weight=_t(np.ones(4)))
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(x, _t([0, 1, 2, 0]), label_smoothing=1.5)
    with pytest.raises(ValueError, match="class axis"):
        F.cross_entropy(_t(1.0), _t(0))
    with pytest.raises(TypeError, match="int64"):
        F.cross_entropy(x, _t(np.array([True, False, True, True])))


def test_cross_entropy_all_ignored_is_nan_like_torch():
    out = F.cross_entropy(_t(np.zeros((2, 3))), _t([-100, -100]))
    assert np.isnan(out.item())


def test_cross_entropy_torch_parity(rng, torch):
    tF = torch.nn.functional
    cases = []
    for lshape, tshape in CE_SHAPES:
        axis = 1 if len(lshape) >= 2 else 0
        C = lshape[axis]
        cases.append(
            (rng.standard_normal(lshape), _targets(rng, tshape, C, ignore=len(tshape) > 0), rng.uniform(0.5, 2.0, C))
        )
    for a, t, w in cases:
        for reduction in REDUCTIONS:
            for kw in [{}, dict(weight=w), dict(label_smoothing=0.15), dict(weight=w, label_smoothing=0.05)]:
                x, tx = _t(a, True), torch.tensor(a, requires_grad=True)
                pw = {k: _t(v) if k == "weight" else v for k, v in kw.items()}
                tw = {k: torch.tensor(v) if k == "weight" else v for k, v in kw.items()}
                y = F.cross_entropy(x, _t(t), reduction=reduction, **pw)
                ty = tF.cross_entropy(tx, torch.tensor(t), reduction=reduction, **tw)
                np.testing.assert_allclose(
                    y.detach().numpy(), ty.detach().numpy(), rtol=1e-12, atol=1e-14, err_msg=str(kw)
                )
                G = rng.standard_normal(y.shape)
                (g,) = pj.grad(y, x, grad_outputs=_t(G))
                (tg,) = torch.autograd.grad(ty, tx, torch.tensor(G))
                np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=1e-11, atol=1e-13, err_msg=str(kw))
        # probability targets
        p = _softmax_np(rng.standard_normal(a.shape), 1 if a.ndim >= 2 else 0)
        for reduction in REDUCTIONS:
            for kw in [{}, dict(label_smoothing=0.2)]:
                y = F.cross_entropy(_t(a), _t(p), reduction=reduction, **kw)
                ty = tF.cross_entropy(torch.tensor(a), torch.tensor(p), reduction=reduction, **kw)
                np.testing.assert_allclose(y.numpy(), ty.numpy(), rtol=1e-12, atol=1e-14)


# ==== nll_loss ==============================================================================================
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("lshape,tshape", CE_SHAPES, ids=CE_IDS)
def test_nll_loss(lshape, tshape, reduction, rng):
    axis = 1 if len(lshape) >= 2 else 0
    C = lshape[axis]
    logp = _log_softmax_np(rng.standard_normal(lshape), axis)
    t = _targets(rng, tshape, C, ignore=True)
    w = rng.uniform(0.5, 2.0, C)
    for weight in (None, w):
        out = F.nll_loss(_t(logp), _t(t), weight=None if weight is None else _t(weight), reduction=reduction)
        # with smoothing 0, cross entropy of log-probabilities is nll of them (log_softmax is idempotent)
        np.testing.assert_allclose(
            out.numpy(), _ce_index_np(logp, t, weight, reduction=reduction), rtol=1e-13, atol=1e-15
        )
        f = lambda x: F.nll_loss(x, _t(t), weight=weight, reduction=reduction)
        assert gradcheck(f, (_t(logp, True),))
        assert gradgradcheck(f, (_t(logp, True),))


def test_nll_loss_custom_ignore_index_and_errors(rng):
    logp = _log_softmax_np(rng.standard_normal((4, 3)), 1)
    t = np.array([0, 2, 1, 2])
    out = F.nll_loss(_t(logp), _t(t), ignore_index=2)
    np.testing.assert_allclose(out.item(), -(logp[0, 0] + logp[2, 1]) / 2, rtol=1e-14)
    with pytest.raises(TypeError, match="nll_loss: target must hold int64"):
        F.nll_loss(_t(logp), _t(t.astype(float)))
    with pytest.raises(ValueError, match="nll_loss"):
        F.nll_loss(_t(logp), _t(t[:3]))
    with pytest.raises(IndexError, match="nll_loss: target 7"):
        F.nll_loss(_t(logp), _t([0, 7, 1, 2]))


def test_nll_loss_torch_parity(rng, torch):
    for lshape, tshape in CE_SHAPES:
        axis = 1 if len(lshape) >= 2 else 0
        C = lshape[axis]
        logp = _log_softmax_np(rng.standard_normal(lshape), axis)
        t = _targets(rng, tshape, C, ignore=len(tshape) > 0)
        w = rng.uniform(0.5, 2.0, C)
        for reduction in REDUCTIONS:
            for weight in (None, w):
                x, tx = _t(logp, True), torch.tensor(logp, requires_grad=True)
                y = F.nll_loss(x, _t(t), weight=weight, reduction=reduction)
                ty = torch.nn.functional.nll_loss(
                    tx, torch.tensor(t), reduction=reduction, weight=None if weight is None else torch.tensor(weight)
                )
                np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-13, atol=1e-15)
                G = rng.standard_normal(y.shape)
                (g,) = pj.grad(y, x, grad_outputs=_t(G))
                (tg,) = torch.autograd.grad(ty, tx, torch.tensor(G))
                np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=1e-13, atol=1e-15)


# ==== binary_cross_entropy_with_logits =====================================================================
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits(reduction, rng):
    a, t = rng.standard_normal((3, 4)) * 3, rng.uniform(0, 1, (3, 4))
    w, pw = rng.uniform(0.5, 2, (3, 4)), rng.uniform(0.5, 3, 4)
    for kw in [{}, dict(weight=w), dict(pos_weight=pw), dict(weight=w, pos_weight=pw)]:
        out = F.binary_cross_entropy_with_logits(_t(a), _t(t), reduction=reduction, **kw)
        np.testing.assert_allclose(out.numpy(), _bce_np(a, t, reduction=reduction, **kw), rtol=1e-13, atol=1e-15)
        f = lambda x, y: F.binary_cross_entropy_with_logits(x, y, reduction=reduction, **kw)
        assert gradcheck(f, (_t(a, True), _t(t, True)))
        assert gradgradcheck(f, (_t(a, True), _t(t, True)))


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_bce_with_logits_stable_at_1e4(dtype):
    a = np.array([-1e4, -1e4, 1e4, 1e4, 0.0])
    t = np.array([0.0, 1.0, 0.0, 1.0, 0.5])
    x = _t(a, True, dtype=dtype)
    loss = F.binary_cross_entropy_with_logits(x, _t(t, dtype=dtype), reduction="none", pos_weight=_t([2.0]))
    np.testing.assert_allclose(loss.detach().numpy(), [0.0, 2e4, 1e4, 0.0, 1.5 * np.log(2)], rtol=1e-6, atol=1e-30)
    (g,) = pj.grad(pj.sum(loss), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), [0.0, -2.0, 1.0, 0.0, 0.5 - 1.5 * 0.5], atol=1e-6)
    (gg,) = pj.grad(pj.sum(g), x)
    assert np.all(np.isfinite(gg.numpy()))


def test_bce_with_logits_nan_errors_and_torch(rng, torch):
    a = np.array([np.nan, 0.3])
    out = F.binary_cross_entropy_with_logits(_t(a), _t([1.0, 0.0]), reduction="none").numpy()
    assert np.isnan(out[0]) and np.isfinite(out[1])
    with pytest.raises(ValueError, match="target size"):
        F.binary_cross_entropy_with_logits(_t(np.zeros(3)), _t(np.zeros(2)))
    tF = torch.nn.functional
    a, t = rng.standard_normal((5, 3)) * 4, rng.uniform(0, 1, (5, 3))
    a[0, 0], a[1, 1] = 1e4, -1e4
    w, pw = rng.uniform(0.5, 2, (5, 3)), rng.uniform(0.5, 3, 3)
    for reduction in REDUCTIONS:
        for kw in [{}, dict(weight=w, pos_weight=pw)]:
            xs = [_t(a, True), _t(t, True)]
            ts = [torch.tensor(a, requires_grad=True), torch.tensor(t, requires_grad=True)]
            y = F.binary_cross_entropy_with_logits(*xs, reduction=reduction, **{k: _t(v) for k, v in kw.items()})
            ty = tF.binary_cross_entropy_with_logits(
                *ts, reduction=reduction, **{k: torch.tensor(v) for k, v in kw.items()}
            )
            np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-12, atol=1e-14)
            G = rng.standard_normal(y.shape)
            grads = pj.grad(y, xs, grad_outputs=_t(G))
            tgrads = torch.autograd.grad(ty, ts, torch.tensor(G))
            for g, tg in zip(grads, tgrads):
                np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=1e-12, atol=1e-14)


# (every loss with reduction="none": batched cotangents in tests/test_every_op.py, batched tangents
# against the reverse-mode Jacobian in tests/test_forward_mode.py, over the registry's entries)


def test_ignore_index_inside_the_class_range_torch_parity(rng, torch):
    a, t = rng.standard_normal((6, 4)), np.array([0, 1, 2, 3, 1, 1])
    w = rng.uniform(0.5, 2.0, 4)
    for kw in [{}, dict(weight=w), dict(label_smoothing=0.1), dict(weight=w, label_smoothing=0.1)]:
        for reduction in REDUCTIONS:
            y = F.cross_entropy(_t(a), _t(t), ignore_index=1, reduction=reduction, **kw)
            ty = torch.nn.functional.cross_entropy(
                torch.tensor(a),
                torch.tensor(t),
                ignore_index=1,
                reduction=reduction,
                **{k: torch.tensor(v) if k == "weight" else v for k, v in kw.items()},
            )
            np.testing.assert_allclose(y.numpy(), ty.numpy(), rtol=1e-12, atol=1e-14, err_msg=f"{kw} {reduction}")
