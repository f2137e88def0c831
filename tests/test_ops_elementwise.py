"""Elementwise ops: unary functions, binary arithmetic, comparisons, where, clip.

The ops come from the registry (tests/op_registry, family "elementwise" and "comparison"); each
is also checked at its registry inputs by tests/test_every_op.py (values, first and second
derivatives, batched cotangents, torch) and tests/test_forward_mode.py. Here: values against
NumPy over shapes (0-d, empty, broadcasting) and layouts, finite differences over shapes,
subgradient conventions, dtypes and errors.
"""

import numpy as np
import pytest
from op_registry import params, select
from op_registry.core import above_m1, away_from_zero, positive
from op_registry.elementwise import mod_inputs_ok
from op_registry.elementwise import sigmoid_np as _sigmoid_np

import pyjac as pj
from pyjac.testing import gradcheck, gradgradcheck


def _t(a, requires_grad=False):
    return pj.tensor(np.asarray(a), requires_grad=requires_grad)


# the unary ops' base entries: sweep = (pyjac function, NumPy reference), domain away from poles and kinks
UNARY = [c for c in select("elementwise", tags="unary") if c.sweep]
SHAPES = [(), (0,), (5,), (2, 3), (2, 0, 3), (1, 3, 1)]


def _draw(case, rng, *shapes):
    out = case.sample(rng, *shapes)
    return out[0] if len(out) == 1 else out


# ==== unary ========================================================================================
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("case", params(UNARY))
def test_unary_values(case, shape, rng):
    fn, ref = case.sweep
    a = _draw(case, rng, shape)
    out = fn(_t(a))
    expected = ref(a)
    assert isinstance(out, pj.Tensor)
    assert out.shape == expected.shape
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("case", params(UNARY))
def test_unary_float32_preserved(case, rng):
    fn, ref = case.sweep
    a = _draw(case, rng, (3, 4)).astype(np.float32)
    x = _t(a, requires_grad=True)
    out = fn(x)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.detach().numpy(), ref(a), rtol=1e-5, atol=1e-6)
    (g,) = pj.grad(pj.sum(out), x, allow_unused=True)
    if g is not None:
        assert g.dtype == np.float32


# (The Tensor methods and operators are checked against the functions by tests/test_op_registry.py.)
def test_unary_operators(rng):
    a = away_from_zero()(rng, (2, 3))
    x = _t(a)
    np.testing.assert_array_equal((-x).numpy(), -a)
    np.testing.assert_array_equal(abs(x).numpy(), np.abs(a))
    np.testing.assert_array_equal((+x).numpy(), a)


@pytest.mark.parametrize(
    "name,fn,ref",
    [
        ("exp", pj.exp, np.exp),
        ("sqrt", pj.sqrt, np.sqrt),
        ("sin", pj.sin, np.sin),
        ("log1p", pj.log1p, np.log1p),
        ("square", pj.square, np.square),
        ("abs", pj.abs, np.abs),
        ("sign", pj.sign, np.sign),
        ("negative", pj.negative, np.negative),
    ],
)
def test_unary_integer_input_dtype_like_numpy(name, fn, ref):
    a = np.array([0, 1, 2, 5])
    out = fn(_t(a))
    expected = ref(a)
    assert out.dtype == expected.dtype
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-14)


# (second derivatives and batched cotangents at (2, 3): tests/test_every_op.py)
@pytest.mark.parametrize("shape", [(), (4,), (2, 3)], ids=str)
@pytest.mark.parametrize("case", params(UNARY))
def test_unary_gradcheck(case, shape, rng):
    x = _t(_draw(case, rng, shape), requires_grad=True)
    assert gradcheck(case.sweep[0], (x,))


@pytest.mark.parametrize("case", params(UNARY))
def test_unary_empty_gradient(case):
    x = _t(np.zeros((0, 3)), requires_grad=True)
    (g,) = pj.grad(case.sweep[0](x), x, grad_outputs=_t(np.zeros((0, 3))), allow_unused=True)
    if g is not None:
        assert g.shape == (0, 3)


# exact derivative values (not only finite differences): f'(x) at a few points
@pytest.mark.parametrize(
    "name,fn,deriv",
    [
        ("exp", pj.exp, np.exp),
        ("log", pj.log, lambda x: 1 / x),
        ("sqrt", pj.sqrt, lambda x: 0.5 / np.sqrt(x)),
        ("tanh", pj.tanh, lambda x: 1 - np.tanh(x) ** 2),
        ("sigmoid", pj.sigmoid, lambda x: _sigmoid_np(x) * (1 - _sigmoid_np(x))),
        ("tan", pj.tan, lambda x: 1 / np.cos(x) ** 2),
        ("log1p", pj.log1p, lambda x: 1 / (1 + x)),
        ("expm1", pj.expm1, np.exp),
    ],
)
def test_unary_derivative_values(name, fn, deriv):
    a = np.array([0.3, 0.7, 1.1])
    x = _t(a, requires_grad=True)
    (g,) = pj.grad(pj.sum(fn(x)), x)
    np.testing.assert_allclose(g.numpy(), deriv(a), rtol=1e-12)


def test_special_values_like_numpy():
    a = np.array([-1.0, 0.0, -0.0, 1.0, np.inf, -np.inf, np.nan])
    b = np.array([0.0, 0.0, 2.0, 0.0, np.inf, 1.0, 1.0])
    with np.errstate(all="ignore"):
        for fn, ref in [
            (pj.log, np.log),
            (pj.sqrt, np.sqrt),
            (pj.exp, np.exp),
            (pj.tanh, np.tanh),
            (pj.sigmoid, _sigmoid_np),
            (pj.abs, np.abs),
            (pj.sign, np.sign),
            (pj.log1p, np.log1p),
        ]:
            got, want = fn(_t(a)).numpy(), ref(a)
            # Special values (inf, nan, signed zeros) exactly; ordinary ones (exp(1), ...) to 2 ulp,
            # since vectorised math libraries may round differently from NumPy's.
            special = ~np.isfinite(want) | (want == 0)
            np.testing.assert_array_equal(got[special], want[special], err_msg=str(fn))
            # Signed zeros and infinities exactly. A NaN's sign bit is not part of its value (IEEE 754
            # leaves it unspecified, and NumPy's own SIMD and scalar loops disagree on log(-1)).
            signed = special & ~np.isnan(want)
            np.testing.assert_array_equal(np.signbit(got[signed]), np.signbit(want[signed]), err_msg=str(fn))
            np.testing.assert_array_max_ulp(got[~special], want[~special], maxulp=2)
        for fn, ref in [
            (pj.divide, np.divide),
            (pj.multiply, np.multiply),
            (pj.power, np.power),
            (pj.maximum, np.maximum),
            (pj.minimum, np.minimum),
            (pj.subtract, np.subtract),
        ]:
            np.testing.assert_array_equal(fn(_t(a), _t(b)).numpy(), ref(a, b), err_msg=str(fn))
        np.testing.assert_array_equal((_t(np.array([1, 0, -1])) / 0).numpy(), np.array([1, 0, -1]) / 0)


def test_relu_propagates_nan():
    # like np.maximum(x, 0) and torch.relu: a NaN input must not be silently turned into 0
    a = np.array([-1.0, np.nan, 2.0, np.inf, -np.inf])
    np.testing.assert_array_equal(pj.relu(_t(a)).numpy(), np.maximum(a, 0.0))


@pytest.mark.parametrize("case", params(UNARY))
def test_unary_extreme_inputs_like_numpy(case):
    name, (fn, ref) = case.name, case.sweep
    a = np.array([-1000.0, -50.0, 50.0, 1000.0])
    if name in ("log", "sqrt", "log1p"):
        a = np.abs(a)
    with np.errstate(all="ignore"):
        expected = ref(a)
    np.testing.assert_allclose(fn(_t(a)).numpy(), expected, rtol=1e-13)


@pytest.mark.parametrize("name", ["sigmoid", "tanh"])
def test_saturating_gradients_are_zero_not_nan(name):
    x = _t(np.array([-1000.0, 1000.0]), True)
    (g,) = pj.grad(pj.sum(getattr(pj, name)(x)), x)
    np.testing.assert_array_equal(g.numpy(), [0.0, 0.0])


def _views(rng, shape):
    """(name, tensor view, equal NumPy array) for non-contiguous layouts of ``shape``."""
    big = rng.standard_normal((shape[1], shape[0]))
    rev = rng.standard_normal((2 * shape[0], shape[1]))
    row = rng.standard_normal((1, shape[1]))
    return [
        ("transposed", _t(big).T, big.T),
        ("negative-step", _t(rev)[::-2], rev[::-2]),
        ("broadcast", pj.broadcast_to(_t(row), shape), np.broadcast_to(row, shape)),
        ("reversed-cols", _t(big.T.copy())[:, ::-1], big.T[:, ::-1]),
    ]


@pytest.mark.parametrize("case", params(UNARY))
def test_unary_noncontiguous_inputs(case, rng):
    fn, ref = case.sweep
    for label, view, arr in _views(rng, (37, 41)):
        if case.domain in (positive, above_m1):
            view, arr = pj.abs(view) + 0.5, np.abs(arr) + 0.5
        np.testing.assert_allclose(fn(view).numpy(), ref(arr), rtol=1e-13, err_msg=label)


# ---- subgradient conventions ---------------------------------------------------------------------
def test_abs_subgradient_at_zero_is_zero():
    x = _t(np.array([-2.0, 0.0, 3.0]), requires_grad=True)
    (g,) = pj.grad(pj.sum(pj.abs(x)), x)
    np.testing.assert_array_equal(g.numpy(), [-1.0, 0.0, 1.0])


def test_abs_operator_subgradient_at_zero_is_zero():
    x = _t(np.array([0.0, -0.0]), requires_grad=True)
    (g,) = pj.grad(pj.sum(abs(x)), x)
    np.testing.assert_array_equal(g.numpy(), [0.0, 0.0])


def test_relu_subgradient_at_zero_is_zero():
    x = _t(np.array([-1.0, 0.0, 2.0]), requires_grad=True)
    (g,) = pj.grad(pj.sum(pj.relu(x)), x)
    np.testing.assert_array_equal(g.numpy(), [0.0, 0.0, 1.0])


def test_sign_derivative_is_zero_everywhere():
    x = _t(np.array([-1.5, 0.0, 2.0]), requires_grad=True)
    y = pj.sign(x)
    np.testing.assert_array_equal(y.detach().numpy(), [-1.0, 0.0, 1.0])
    (g,) = pj.grad(y, x, grad_outputs=_t(np.array([1.0, 2.0, 3.0])))
    np.testing.assert_array_equal(g.numpy(), [0.0, 0.0, 0.0])


@pytest.mark.parametrize("fn", [pj.abs, pj.relu, pj.sign], ids=["abs", "relu", "sign"])
def test_kinked_ops_second_derivative_is_zero(fn):
    x = _t(np.array([-1.0, 0.0, 1.0]), requires_grad=True)
    (g,) = pj.grad(pj.sum(fn(x)), x, create_graph=True)
    if g.requires_grad:  # a constant first derivative may also come back without history
        (h,) = pj.grad(pj.sum(g), x, allow_unused=True)
        if h is not None:
            np.testing.assert_array_equal(h.numpy(), [0.0, 0.0, 0.0])


# ==== binary arithmetic ===========================================================================
# base entries: sweep = (pyjac function, NumPy reference); sample draws inputs for any shapes, away
# from ties (maximum, minimum) and zero divisors, with positive bases for power
BINARY = [c for c in select("elementwise", tags="binary") if c.sweep]
BINARY_IDS = [c.name for c in BINARY]
OPERATORS = {c.name: f for c in BINARY for n, f in c.forms.items() if n.startswith("Tensor.__")}

BROADCAST_PAIRS = [
    ((4,), (4,)),
    ((3, 1), (4,)),
    ((2, 1, 3), (1, 4, 1)),
    ((), (2, 3)),
    ((2, 3), ()),
    ((), ()),
    ((0,), (1,)),
    ((2, 0), (2, 1)),
    ((3, 1, 2), (2,)),
]
SMALL_PAIRS = [((3,), (3,)), ((3, 1), (4,)), ((2, 1, 3), (1, 4, 1)), ((), (2, 3)), ((2, 2), ())]


@pytest.mark.parametrize("sa,sb", BROADCAST_PAIRS, ids=str)
@pytest.mark.parametrize("case", params(BINARY))
def test_binary_values(case, sa, sb, rng):
    fn, ref = case.sweep
    sampler = case.sample
    a, b = sampler(rng, sa, sb)
    out = fn(_t(a), _t(b))
    expected = ref(a, b)
    assert out.shape == expected.shape
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("sa,sb", [((3, 1), (4,)), ((2, 3), ())], ids=str)
@pytest.mark.parametrize("name", list(OPERATORS))
def test_binary_operators_match_functions(name, sa, sb, rng):
    case = next(c for c in BINARY if c.name == name)
    fn = case.sweep[0]
    a, b = case.sample(rng, sa, sb)
    op = OPERATORS[name]
    np.testing.assert_allclose(op(_t(a), _t(b)).numpy(), fn(_t(a), _t(b)).numpy(), rtol=1e-15)
    # NumPy arrays on either side give tensors with NumPy's values
    left, right = op(a, _t(b)), op(_t(a), b)
    assert isinstance(left, pj.Tensor) and isinstance(right, pj.Tensor)
    np.testing.assert_allclose(left.numpy(), op(a, b), rtol=1e-13)
    np.testing.assert_allclose(right.numpy(), op(a, b), rtol=1e-13)


@pytest.mark.parametrize("case", params(BINARY))
def test_binary_noncontiguous_operands(case, rng):
    name = case.name
    fn, ref = case.sweep
    views = _views(rng, (37, 41))
    for la, va, aa in views:
        for lb, vb, ab in views:
            if name == "power":
                va, aa = pj.abs(va) + 0.5, np.abs(aa) + 0.5
            np.testing.assert_allclose(fn(va, vb).numpy(), ref(aa, ab), rtol=1e-13, err_msg=f"{la} with {lb}")


@pytest.mark.parametrize("name,fn,ref", [(c.name, *c.sweep) for c in BINARY[:4]], ids=BINARY_IDS[:4])
def test_binary_array_like_inputs(name, fn, ref):
    a, b = [[1.0, 2.0], [3.0, 4.0]], [0.5, -2.0]
    out = fn(a, b)
    assert isinstance(out, pj.Tensor)
    np.testing.assert_allclose(out.numpy(), ref(np.array(a), np.array(b)), rtol=1e-15)
    out = fn(np.array(a, np.float32), 2.0)
    assert out.dtype == np.float32
    out = fn([1, 2], [3, 4])
    assert out.dtype == ref(np.array([1, 2]), np.array([3, 4])).dtype


def test_unary_array_like_inputs():
    np.testing.assert_allclose(pj.exp([0.0, 1.0]).numpy(), np.exp([0.0, 1.0]), rtol=1e-15)
    np.testing.assert_allclose(pj.sin(0.5).numpy(), np.sin(0.5), rtol=1e-15)
    assert pj.sin(0.5).shape == ()
    assert pj.sqrt(np.float32(4.0)).dtype == np.float32


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # (-0.75) ** x is nan in NumPy too
@pytest.mark.parametrize("scalar", [2, 2.5, -0.75])
@pytest.mark.parametrize("name", list(OPERATORS))
def test_binary_operators_with_python_scalars(name, scalar, rng):
    a = rng.uniform(0.5, 2.0, (2, 3))
    op = OPERATORS[name]
    for dtype in (np.float64, np.float32):
        x = _t(a.astype(dtype))
        right, left = op(x, scalar), op(scalar, x)
        assert right.dtype == dtype and left.dtype == dtype, (right.dtype, left.dtype)
        rtol = 1e-13 if dtype == np.float64 else 1e-5
        np.testing.assert_allclose(right.numpy(), op(a.astype(dtype), dtype(scalar)), rtol=rtol)
        np.testing.assert_allclose(left.numpy(), op(dtype(scalar), a.astype(dtype)), rtol=rtol)
        # the function forms take numbers too
        fn = next(c for c in BINARY if c.name == name).sweep[0]
        np.testing.assert_allclose(fn(x, scalar).numpy(), right.numpy(), rtol=1e-15)
        np.testing.assert_allclose(fn(scalar, x).numpy(), left.numpy(), rtol=1e-15)


# The derivative sweeps cover every binary elementwise op: arithmetic here and arctan2, mod and
# floor_divide from test_ops_math_functions.py's family.
DIFFERENTIATED_BINARY = [c for c in select(("elementwise", "math"), tags="binary") if c.sweep]


@pytest.mark.parametrize("sa,sb", SMALL_PAIRS, ids=str)
@pytest.mark.parametrize("case", params(DIFFERENTIATED_BINARY))
def test_binary_gradcheck(case, sa, sb, rng):
    fn = case.sweep[0]
    sampler = case.sample
    a, b = sampler(rng, sa, sb)
    if case.name in ("mod", "floor_divide"):
        assert mod_inputs_ok(a, b)  # away from the jumps, where finite differences would see them
    assert gradcheck(fn, (_t(a, True), _t(b, True)))


@pytest.mark.parametrize("case", params(DIFFERENTIATED_BINARY))
def test_binary_gradcheck_one_input_constant(case, rng):
    fn = case.sweep[0]
    sampler = case.sample
    a, b = sampler(rng, (3, 1), (4,))
    assert gradcheck(fn, (_t(a, True), _t(b)))
    assert gradcheck(fn, (_t(a), _t(b, True)))


@pytest.mark.parametrize("sa,sb", [((3,), (3,)), ((2, 1), (3,))], ids=str)
@pytest.mark.parametrize("case", params(DIFFERENTIATED_BINARY))
def test_binary_gradgradcheck(case, sa, sb, rng):
    fn = case.sweep[0]
    sampler = case.sample
    a, b = sampler(rng, sa, sb)
    assert gradgradcheck(fn, (_t(a, True), _t(b, True)))


@pytest.mark.parametrize("k", [1, 3])
@pytest.mark.parametrize("sa,sb", [((3, 1), (4,)), ((2, 1, 3), (1, 4, 1)), ((), (2, 3)), ((1,), (3, 1))], ids=str)
@pytest.mark.parametrize("case", params(DIFFERENTIATED_BINARY))
def test_binary_batched_cotangents(case, sa, sb, k, rng, batched_check):
    fn = case.sweep[0]
    sampler = case.sample
    a, b = sampler(rng, sa, sb)
    ga, gb = batched_check(fn, [a, b], k=k)
    assert ga.shape == (k,) + sa and gb.shape == (k,) + sb


@pytest.mark.parametrize("case", params(BINARY))
def test_binary_gradient_of_broadcast_input_sums(case, rng):
    fn = case.sweep[0]
    sampler = case.sample
    # d sum(f(a, b)) / d b for b of shape (1,) broadcast against (5,) is the sum of the per-element partials
    a, b = sampler(rng, (5,), (1,))
    ta, tb = _t(a, True), _t(b, True)
    (gb,) = pj.grad(pj.sum(fn(ta, tb)), tb)
    per = [pj.grad(pj.sum(fn(_t(a[i : i + 1]), tb)), tb)[0].numpy() for i in range(5)]
    assert gb.shape == (1,)
    np.testing.assert_allclose(gb.numpy(), np.sum(per, axis=0), rtol=1e-12)


@pytest.mark.parametrize("case", params(BINARY))
def test_binary_empty_with_broadcast_gradient(case, rng):
    fn = case.sweep[0]
    sampler = case.sample
    a, b = sampler(rng, (0, 3), (3,))
    x, y = _t(a, True), _t(b, True)
    out = fn(x, y)
    assert out.shape == (0, 3)
    gx, gy = pj.grad(out, [x, y], grad_outputs=_t(np.zeros((0, 3))))
    assert gx.shape == (0, 3)
    np.testing.assert_array_equal(gy.numpy(), np.zeros(3))


# (Python numbers on either side, x op c and c op x, each with a fast path of its own: registry
# entries tagged "scalar", checked by tests/test_every_op.py and tests/test_forward_mode.py in
# forked children.)
@pytest.mark.isolated
def test_scalar_divided_by_tensor_gradient_values():
    x = _t(np.array([0.5, 2.0]), requires_grad=True)
    (g,) = pj.grad(pj.sum(3.0 / x), x)
    np.testing.assert_allclose(g.numpy(), -3.0 / np.array([0.5, 2.0]) ** 2, rtol=1e-14)


def test_power_zero_exponent_gradient_is_zero():
    x = _t(np.array([0.0, 1.0, 2.0]), requires_grad=True)
    (g,) = pj.grad(pj.sum(x**0), x)
    np.testing.assert_array_equal(g.numpy(), [0.0, 0.0, 0.0])


def test_power_exponent_gradient_at_zero_base_is_finite():
    # d/db a**b = a**b log a is taken as 0 where a == 0 (a**b is 0 there for b > 0)
    a = _t(np.array([0.0, 2.0]))
    b = _t(np.array([2.0, 3.0]), requires_grad=True)
    (g,) = pj.grad(pj.sum(pj.power(a, b)), b)
    np.testing.assert_allclose(g.numpy(), [0.0, 8.0 * np.log(2.0)], rtol=1e-14)


# ---- maximum / minimum ties ------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [pj.maximum, pj.minimum], ids=["maximum", "minimum"])
def test_maximum_minimum_tie_splits_gradient_in_half(fn):
    a = _t(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    b = _t(np.array([1.0, 0.0, 5.0]), requires_grad=True)
    ga, gb = pj.grad(pj.sum(fn(a, b)), [a, b])
    if fn is pj.maximum:
        np.testing.assert_array_equal(ga.numpy(), [0.5, 1.0, 0.0])
        np.testing.assert_array_equal(gb.numpy(), [0.5, 0.0, 1.0])
    else:
        np.testing.assert_array_equal(ga.numpy(), [0.5, 0.0, 1.0])
        np.testing.assert_array_equal(gb.numpy(), [0.5, 1.0, 0.0])


@pytest.mark.parametrize("fn", [pj.maximum, pj.minimum], ids=["maximum", "minimum"])
def test_maximum_minimum_tie_with_broadcast_scalar(fn):
    a = _t(np.array([0.0, 0.0, 1.0, -1.0]), requires_grad=True)
    b = _t(np.array(0.0), requires_grad=True)
    ga, gb = pj.grad(pj.sum(fn(a, b)), [a, b])
    if fn is pj.maximum:
        np.testing.assert_array_equal(ga.numpy(), [0.5, 0.5, 1.0, 0.0])
        np.testing.assert_array_equal(gb.numpy(), 0.5 + 0.5 + 1.0)
    else:
        np.testing.assert_array_equal(ga.numpy(), [0.5, 0.5, 0.0, 1.0])
        np.testing.assert_array_equal(gb.numpy(), 0.5 + 0.5 + 1.0)
    assert gb.shape == ()


@pytest.mark.parametrize("fn", [pj.maximum, pj.minimum], ids=["maximum", "minimum"])
def test_maximum_minimum_of_a_tensor_with_itself(fn):
    x = _t(np.array([-1.0, 0.0, 2.0]), requires_grad=True)
    (g,) = pj.grad(pj.sum(fn(x, x)), x)
    np.testing.assert_array_equal(g.numpy(), [1.0, 1.0, 1.0])


def test_maximum_with_python_number_is_relu_like():
    x = _t(np.array([-1.0, 0.0, 2.0]), requires_grad=True)
    y = pj.maximum(x, 0.0)
    np.testing.assert_array_equal(y.detach().numpy(), [0.0, 0.0, 2.0])
    (g,) = pj.grad(pj.sum(y), x)
    np.testing.assert_array_equal(g.numpy(), [0.0, 0.5, 1.0])


# ---- dtypes ----------------------------------------------------------------------------------------
DTYPES = [np.bool_, np.int64, np.float32, np.float64]
# bool (op) bool is logical in NumPy; it has its own test below
DTYPE_PAIRS = [(a, b) for a in DTYPES for b in DTYPES if not (a is np.bool_ and b is np.bool_)]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # 1 / 0 among the values
@pytest.mark.parametrize("da,db", DTYPE_PAIRS, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", ["add", "multiply", "subtract", "divide", "maximum"])
def test_binary_dtype_promotion_like_numpy(name, da, db):
    a = np.array([1, 0, 1]).astype(da)
    b = np.array([1, 1, 0]).astype(db)
    ref = getattr(np, name)
    try:
        expected = ref(a, b)
    except TypeError:  # NumPy refuses e.g. bool - bool
        with pytest.raises(TypeError):
            getattr(pj, name)(_t(a), _t(b))
        return
    out = getattr(pj, name)(_t(a), _t(b))
    assert out.dtype == expected.dtype, f"{name}({a.dtype}, {b.dtype}): {out.dtype} != NumPy's {expected.dtype}"
    np.testing.assert_allclose(out.numpy().astype(np.float64), expected.astype(np.float64), rtol=1e-6)


@pytest.mark.parametrize("name", ["add", "multiply", "maximum", "minimum"])
def test_bool_bool_arithmetic_like_numpy(name):
    a, b = np.array([True, True, False, False]), np.array([True, False, True, False])
    out = getattr(pj, name)(_t(a), _t(b))
    expected = getattr(np, name)(a, b)
    assert out.dtype == expected.dtype
    np.testing.assert_array_equal(out.numpy(), expected)


def test_scalar_dtype_rules():
    f32 = _t(np.ones(3, np.float32))
    f64 = _t(np.ones(3))
    i64 = _t(np.arange(3))
    assert (f32 * 2.5).dtype == np.float32
    assert (2.5 * f32).dtype == np.float32
    assert (f32 + 1).dtype == np.float32
    assert (f32 + f64).dtype == np.float64
    assert (f64 + f32).dtype == np.float64
    assert (i64 + 1.5).dtype == np.float64
    assert (i64 * 2).dtype == np.int64
    assert (i64 / 2).dtype == np.float64
    assert (i64 / i64).dtype == np.float64
    assert (f32 / 3).dtype == np.float32
    assert (f32**2).dtype == np.float32
    assert (2.0**f32).dtype == np.float32
    assert (1.0 - f32).dtype == np.float32
    assert (f32 + np.ones(3, np.float32)).dtype == np.float32
    assert (np.ones(3, np.float32) + f32).dtype == np.float32
    assert (f32 + np.ones(3)).dtype == np.float64


def test_float32_gradient_dtype_and_values(rng):
    a = rng.uniform(0.5, 2.0, (3,)).astype(np.float32)
    b = rng.uniform(0.5, 2.0, (3,)).astype(np.float32)
    x, y = _t(a, True), _t(b, True)
    gx, gy = pj.grad(pj.sum(x * y / (x + 1.0)), [x, y])
    assert gx.dtype == np.float32 and gy.dtype == np.float32
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    np.testing.assert_allclose(gx.numpy(), b64 / (a64 + 1) ** 2, rtol=1e-5)
    np.testing.assert_allclose(gy.numpy(), a64 / (a64 + 1), rtol=1e-5)


def test_mixed_precision_gradient_has_input_dtype():
    x = _t(np.ones(3, np.float32), True)
    w = _t(np.array([1.0, 2.0, 3.0]), True)
    out = x * w
    assert out.dtype == np.float64
    gx, gw = pj.grad(pj.sum(out), [x, w])
    assert gx.dtype == np.float32 and gw.dtype == np.float64
    np.testing.assert_allclose(gx.numpy(), [1.0, 2.0, 3.0])


def test_integer_tensor_cannot_require_grad():
    with pytest.raises(TypeError):
        pj.tensor(np.array([1, 2]), requires_grad=True)
    with pytest.raises(TypeError):
        pj.tensor(np.array([True]), requires_grad=True)


# ---- errors ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("sa,sb", [((3,), (4,)), ((2, 3), (3, 2)), ((2, 1, 3), (4, 2))], ids=str)
@pytest.mark.parametrize("name", BINARY_IDS + ["equal", "less", "greater_equal"])
def test_binary_shape_mismatch_names_both_shapes(name, sa, sb):
    a, b = _t(np.ones(sa)), _t(np.ones(sb))
    with pytest.raises(ValueError) as exc:
        getattr(pj, name)(a, b)
    msg = str(exc.value)
    assert str(sa) in msg and str(sb) in msg, msg


@pytest.mark.parametrize("name", list(OPERATORS))
def test_operator_shape_mismatch_raises_value_error(name):
    with pytest.raises(ValueError) as exc:
        OPERATORS[name](_t(np.ones((2, 3))), _t(np.ones((4,))))
    assert "(2, 3)" in str(exc.value) and "(4,)" in str(exc.value)
    with pytest.raises(ValueError):
        OPERATORS[name](_t(np.ones((2, 3))), np.ones((4,)))


def test_operator_with_unsupported_type_raises_type_error():
    x = _t(np.ones(3))
    with pytest.raises(TypeError):
        x + object()
    with pytest.raises(TypeError):
        object() * x
    with pytest.raises(TypeError):
        pj.exp("abc")


def test_failed_op_leaves_inputs_intact():
    a = _t(np.arange(3.0), requires_grad=True)
    with pytest.raises(ValueError):
        a + _t(np.ones(4))
    np.testing.assert_array_equal(a.detach().numpy(), [0.0, 1.0, 2.0])
    (g,) = pj.grad(pj.sum(a * 2.0), a)
    np.testing.assert_array_equal(g.numpy(), [2.0, 2.0, 2.0])


# ==== comparisons ===================================================================================
# base entries: sweep = (pyjac function, NumPy's), and the operator as a form. (No gradient:
# tests/test_every_op.py.)
COMPARISONS = [(c.name, *c.sweep, next(iter(c.forms.values()))) for c in select("comparison", tags="binary")]


@pytest.mark.parametrize("sa,sb", BROADCAST_PAIRS, ids=str)
@pytest.mark.parametrize("name,fn,ref,op", COMPARISONS, ids=[c[0] for c in COMPARISONS])
def test_comparison_values(name, fn, ref, op, sa, sb, rng):
    # small integers as floats so ties (equal elements) actually occur
    a = rng.integers(-2, 3, sa).astype(np.float64)
    b = rng.integers(-2, 3, sb).astype(np.float64)
    expected = ref(a, b)
    for out in (fn(_t(a), _t(b)), op(_t(a), _t(b))):
        assert out.dtype == np.bool_
        assert out.shape == expected.shape
        np.testing.assert_array_equal(out.numpy(), expected)


@pytest.mark.parametrize("name,fn,ref,op", COMPARISONS, ids=[c[0] for c in COMPARISONS])
def test_comparison_with_scalars_and_mixed_dtypes(name, fn, ref, op):
    a = np.array([-1.0, 0.0, 0.5, 2.0], dtype=np.float32)
    i = np.array([-1, 0, 1, 2])
    np.testing.assert_array_equal(op(_t(a), 0.5).numpy(), op(a, np.float32(0.5)))
    np.testing.assert_array_equal(op(_t(i), 1).numpy(), op(i, 1))
    np.testing.assert_array_equal(fn(_t(i), _t(a)).numpy(), ref(i, a))
    np.testing.assert_array_equal(fn(_t(a), 0.5).numpy(), ref(a, np.float32(0.5)))


def test_logical_not_and_invert():
    m = _t(np.array([True, False, True]))
    np.testing.assert_array_equal(pj.logical_not(m).numpy(), [False, True, False])
    np.testing.assert_array_equal((~m).numpy(), [False, True, False])


# ==== where ========================================================================================
WHERE_SHAPES = [
    ((4,), (4,), (4,)),
    ((3, 1), (4,), ()),
    ((2, 1, 3), (1, 4, 1), (3,)),
    ((), (2, 3), (2, 3)),
    ((2, 3), (), ()),
    ((0,), (0,), (1,)),
]


@pytest.mark.parametrize("sc,sx,sy", WHERE_SHAPES, ids=str)
def test_where_values(sc, sx, sy, rng):
    c = rng.random(sc) > 0.5
    x, y = rng.standard_normal(sx), rng.standard_normal(sy)
    out = pj.where(_t(c), _t(x), _t(y))
    expected = np.where(c, x, y)
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out.numpy(), expected)


def test_where_with_python_numbers_keeps_float32():
    c = np.array([True, False, True])
    x = np.array([1.0, 2.0, 3.0], np.float32)
    out = pj.where(_t(c), _t(x), 0.0)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy(), [1.0, 0.0, 3.0])
    out = pj.where(_t(c), -1.0, _t(x))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy(), [-1.0, 2.0, -1.0])


@pytest.mark.parametrize("sc,sx,sy", WHERE_SHAPES[:5], ids=str)
def test_where_gradcheck(sc, sx, sy, rng):
    c = _t(rng.random(sc) > 0.5)
    x, y = _t(rng.standard_normal(sx), True), _t(rng.standard_normal(sy), True)
    assert gradcheck(lambda x, y: pj.where(c, x, y), (x, y))


@pytest.mark.parametrize("sc,sx,sy", WHERE_SHAPES[1:3], ids=str)
def test_where_gradgradcheck(sc, sx, sy, rng):
    c = _t(rng.random(sc) > 0.5)
    x, y = _t(rng.standard_normal(sx), True), _t(rng.standard_normal(sy), True)
    assert gradgradcheck(lambda x, y: pj.where(c, x, y), (x, y))


def test_where_gradient_values():
    c = _t(np.array([True, False, True]))
    x, y = _t(np.ones(3), True), _t(np.array(2.0), True)
    gx, gy = pj.grad(pj.sum(pj.where(c, x, y) * _t(np.array([1.0, 10.0, 100.0]))), [x, y])
    np.testing.assert_array_equal(gx.numpy(), [1.0, 0.0, 100.0])
    assert gy.shape == ()
    np.testing.assert_array_equal(gy.numpy(), 10.0)


@pytest.mark.parametrize("sc,sx,sy", WHERE_SHAPES[1:3], ids=str)
def test_where_batched_cotangents(sc, sx, sy, rng, batched_check):
    c = _t(rng.random(sc) > 0.5)
    batched_check(lambda x, y: pj.where(c, x, y), [rng.standard_normal(sx), rng.standard_normal(sy)], k=3)


def test_where_shape_mismatch():
    with pytest.raises(ValueError) as exc:
        pj.where(_t(np.array([True, False])), _t(np.ones(3)), _t(np.ones(3)))
    assert "(2,)" in str(exc.value) and "(3,)" in str(exc.value)


# ==== clip =========================================================================================
CLIP_BOUNDS = [(-0.5, 0.5), (None, 0.3), (-0.3, None), (0, 1), (0.2, 0.2)]


@pytest.mark.parametrize("lo,hi", CLIP_BOUNDS, ids=str)
@pytest.mark.parametrize("shape", [(), (0,), (7,), (2, 3)], ids=str)
def test_clip_values(shape, lo, hi, rng):
    a = rng.standard_normal(shape)
    expected = np.clip(a, lo, hi)
    out = pj.clip(_t(a), lo, hi)
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out.numpy(), expected)
    np.testing.assert_array_equal(_t(a).clip(lo, hi).numpy(), expected)


def test_clip_float32_preserved():
    a = np.array([-2.0, 0.1, 3.0], np.float32)
    out = pj.clip(_t(a), -1.0, 1.0)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy(), np.clip(a, np.float32(-1), np.float32(1)))


def test_clip_with_min_above_max_like_numpy():
    # NumPy (and torch.clamp) define clip as minimum(maximum(x, a_min), a_max): a_max wins
    a = np.array([-1.0, 0.5, 1.5, 3.0])
    x = _t(a, True)
    out = pj.clip(x, 2.0, 1.0)
    np.testing.assert_array_equal(out.detach().numpy(), np.clip(a, 2.0, 1.0))
    (g,) = pj.grad(pj.sum(out), x)
    np.testing.assert_array_equal(g.numpy(), np.zeros(4))


def test_clip_propagates_nan():
    a = np.array([np.nan, 0.5])
    np.testing.assert_array_equal(pj.clip(_t(a), 0.0, 1.0).numpy(), np.clip(a, 0.0, 1.0))


def test_clip_gradient_mask():
    x = _t(np.array([-2.0, -0.5, 0.0, 0.5, 2.0]), requires_grad=True)
    (g,) = pj.grad(pj.sum(pj.clip(x, -1.0, 1.0)), x)
    np.testing.assert_array_equal(g.numpy(), [0.0, 1.0, 1.0, 1.0, 0.0])
    (g,) = pj.grad(pj.sum(pj.clip(x, None, 0.25)), x)
    np.testing.assert_array_equal(g.numpy(), [1.0, 1.0, 1.0, 0.0, 0.0])


def _clip_input(rng, shape, lo, hi):
    """Values at least 0.1 away from both bounds."""
    a = rng.uniform(-1.5, 1.5, shape)
    for bound in (lo, hi):
        if bound is not None:
            close = np.abs(a - bound) < 0.1
            a[close] = bound + 0.3 * np.sign(a[close] - bound + 1e-3)
    return a


@pytest.mark.parametrize("lo,hi", [(-0.5, 0.5), (None, 0.3), (-0.3, None)], ids=str)
def test_clip_gradcheck(lo, hi, rng):
    x = _t(_clip_input(rng, (3, 4), lo, hi), True)
    assert gradcheck(lambda x: pj.clip(x, lo, hi), (x,))


def test_clip_gradgradcheck(rng):
    x = _t(_clip_input(rng, (2, 3), -0.5, 0.5), True)
    assert gradgradcheck(lambda x: pj.clip(x, -0.5, 0.5), (x,))


def test_clip_batched_cotangents(rng, batched_check):
    batched_check(lambda x: pj.clip(x, -0.5, 0.5), [_clip_input(rng, (2, 3), -0.5, 0.5)], k=4)


def test_clip_with_tensor_bounds(rng):
    a = rng.standard_normal((3, 4))
    lo = rng.uniform(-1.0, -0.2, (4,))
    hi = rng.uniform(0.2, 1.0, (3, 1))
    out = pj.clip(_t(a), _t(lo), _t(hi))
    np.testing.assert_array_equal(out.numpy(), np.clip(a, lo, hi))
    out = pj.clip(_t(a), _t(lo), None)
    np.testing.assert_array_equal(out.numpy(), np.clip(a, lo, None))
    out = pj.clip(_t(a), -0.5, _t(hi))
    np.testing.assert_array_equal(out.numpy(), np.clip(a, -0.5, hi))


def test_clip_tensor_bounds_gradcheck(rng):
    # keep x away from both bounds so the kinks are not crossed by finite differences
    x = np.array([[-2.0, 0.1, 2.0], [0.0, -1.5, 1.7]])
    lo = np.array([-1.0, -0.5, -1.2])
    hi = np.array([[1.0], [1.2]])
    fn = lambda x, lo, hi: pj.clip(x, lo, hi)  # noqa: E731
    args = (_t(x, True), _t(lo, True), _t(hi, True))
    assert gradcheck(fn, args)
    xs, los, his = args
    gx, glo, ghi = pj.grad(pj.sum(fn(*args)), [xs, los, his])
    np.testing.assert_array_equal(gx.numpy(), [[0, 1, 0], [1, 0, 0]])
    np.testing.assert_array_equal(glo.numpy(), [1.0, 1.0, 0.0])
    np.testing.assert_array_equal(ghi.numpy(), [[1.0], [1.0]])


def test_clip_tensor_bounds_gradgradcheck():
    x = np.array([[-2.0, 0.1, 2.0], [0.0, -1.5, 1.7]])
    lo = np.array([-1.0, -0.5, -1.2])
    hi = np.array([[1.0], [1.2]])
    assert gradgradcheck(lambda x, lo, hi: pj.clip(x, lo, hi), (_t(x, True), _t(lo, True), _t(hi, True)))


# ==== astype ========================================================================================
@pytest.mark.parametrize(
    "src,dst",
    [
        (np.float64, np.float32),
        (np.float32, np.float64),
        (np.float64, np.float64),
        (np.float64, np.int64),
        (np.int64, np.float64),
        (np.float32, np.bool_),
    ],
    ids=lambda d: np.dtype(d).name,
)
def test_astype_values(src, dst, rng):
    a = (rng.standard_normal((2, 3)) * 3).astype(src)
    for out in (pj.astype(_t(a), dst), _t(a).astype(dst)):
        assert out.dtype == np.dtype(dst)
        np.testing.assert_array_equal(out.numpy(), a.astype(dst))


def test_astype_gradient_casts_back(rng):
    x = _t(rng.standard_normal(3).astype(np.float32), True)
    y = x.astype(np.float64)
    (g,) = pj.grad(pj.sum(y * _t(np.array([1.0, 2.0, 3.0]))), x)
    assert g.dtype == np.float32
    np.testing.assert_array_equal(g.numpy(), [1.0, 2.0, 3.0])
    x = _t(rng.standard_normal(3), True)
    assert gradcheck(lambda x: x.astype(np.float32).astype(np.float64) * 0 + x.astype(np.float64), (x,))
    assert gradgradcheck(lambda x: pj.astype(x * x, np.float64), (x,))


def test_astype_batched(rng, batched_check):
    batched_check(lambda x: pj.astype(x, np.float64) * 2.0, [rng.standard_normal((2, 3))], k=2)


def test_clip_integer_tensor_like_numpy():
    i = np.array([-3, 0, 1, 5])
    for lo, hi in [(0, 2), (0.5, 2.5), (None, 2.5)]:
        out = pj.clip(_t(i), lo, hi)
        expected = np.clip(i, lo, hi)
        assert out.dtype == expected.dtype
        np.testing.assert_array_equal(out.numpy(), expected)


# ==== torch parity ===================================================================================
# (Every op at its registry inputs: tests/test_every_op.py. Here: both operands broadcast.)
@pytest.mark.parametrize("case", params([c for c in BINARY if c.torch]))
def test_binary_torch_parity(case, torch, rng):
    a, b = case.sample(rng, (2, 1, 3), (4, 1))
    w = rng.standard_normal((2, 4, 3))
    xa, xb = _t(a, True), _t(b, True)
    out = case.sweep[0](xa, xb)
    ga, gb = pj.grad(out, [xa, xb], grad_outputs=_t(w))
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    tout = case.torch(torch, ta, tb)
    tout.backward(torch.tensor(w))
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(ga.numpy(), ta.grad.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(gb.numpy(), tb.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_where_clip_torch_parity(torch, rng):
    a = _clip_input(rng, (3, 4), -0.5, 0.5)
    w = rng.standard_normal((3, 4))
    x = _t(a, True)
    out = pj.where(_t(a > 0), pj.clip(x, -0.5, 0.5), x * 2.0)
    (g,) = pj.grad(out, x, grad_outputs=_t(w))
    tx = torch.tensor(a, requires_grad=True)
    tout = torch.where(torch.tensor(a > 0), torch.clamp(tx, -0.5, 0.5), tx * 2.0)
    tout.backward(torch.tensor(w))
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-14)
    np.testing.assert_allclose(g.numpy(), tx.grad.numpy(), rtol=1e-14)
