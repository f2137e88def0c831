"""Math functions: arcsin arccos arctan sinh cosh arcsinh arccosh arctanh log2 log10 exp2
reciprocal floor ceil trunc round, and the binary arctan2, mod and floor_divide (//, divmod).

The ops come from the registry (tests/op_registry, family "math"); each is also checked at its
registry inputs by tests/test_every_op.py (values, first and second derivatives, batched
cotangents, torch) and tests/test_forward_mode.py. Here: values against NumPy (float32,
float64, integers, 0-d, empty, broadcasting, domain edges), finite differences over shapes,
third derivatives, derivatives at poles and jumps, torch parity with both operands broadcast,
dtypes and errors.
"""

import warnings

import numpy as np
import pytest
from op_registry import SMOOTH as SMOOTH_
from op_registry import ZERO, params, select

import pyjac as pj
from pyjac.testing import gradcheck


def _t(a, requires_grad=False):
    return pj.tensor(np.asarray(a), requires_grad=requires_grad)


# base entries of the math functions: sweep = (pyjac function, NumPy reference); sample draws
# inputs away from poles, domain edges and jumps
UNARY = [c for c in select("math", tags="unary") if c.sweep]
SMOOTH = [c for c in UNARY if c.derivative == SMOOTH_]
ROUNDING = [c for c in UNARY if c.derivative == ZERO]
TRANSCENDENTAL = [c.name for c in SMOOTH if c.name != "reciprocal"]
# piecewise linear: the second derivative is identically 0, so there is no third to compare
LINEAR = {"fabs", "deg2rad", "rad2deg"}

# f'(x) by hand, for exact derivative values
DERIVATIVES = {
    "arcsin": lambda x: 1 / np.sqrt(1 - x**2),
    "arccos": lambda x: -1 / np.sqrt(1 - x**2),
    "arctan": lambda x: 1 / (1 + x**2),
    "sinh": np.cosh,
    "cosh": np.sinh,
    "arcsinh": lambda x: 1 / np.sqrt(x**2 + 1),
    "arccosh": lambda x: 1 / np.sqrt(x**2 - 1),
    "arctanh": lambda x: 1 / (1 - x**2),
    "log2": lambda x: 1 / (x * np.log(2)),
    "log10": lambda x: 1 / (x * np.log(10)),
    "exp2": lambda x: np.exp2(x) * np.log(2),
    "reciprocal": lambda x: -1 / x**2,
    "cbrt": lambda x: 1 / (3 * np.cbrt(x) ** 2),
    "sinc": lambda x: (np.cos(np.pi * x) - np.sinc(x)) / x,
    "fabs": np.sign,
    "deg2rad": lambda x: np.full_like(x, np.pi / 180),
    "rad2deg": lambda x: np.full_like(x, 180 / np.pi),
}

SHAPES = [(), (0,), (5,), (2, 3), (2, 0, 3), (1, 3, 1)]


def _domain(case):
    """(rng, shape) -> array from the entry's domain."""
    return lambda rng, shape: case.sample(rng, shape)[0]


# ==== unary values ================================================================================
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("case", params(UNARY))
def test_unary_values(case, shape, rng):
    fn, ref = case.sweep
    domain = _domain(case)
    a = domain(rng, shape)
    out = fn(_t(a))
    expected = ref(a)
    assert isinstance(out, pj.Tensor)
    assert out.shape == expected.shape
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("case", params(UNARY))
def test_unary_float32_preserved(case, rng):
    fn, ref = case.sweep
    domain = _domain(case)
    a = domain(rng, (3, 4)).astype(np.float32)
    x = _t(a, requires_grad=True)
    out = fn(x)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.detach().numpy(), ref(a), rtol=1e-6, atol=1e-7)
    (g,) = pj.grad(pj.sum(out), x)
    assert g.dtype == np.float32


@pytest.mark.parametrize("case", params(UNARY))
def test_unary_noncontiguous_and_large_inputs(case, rng):
    fn, ref = case.sweep
    domain = _domain(case)
    base = domain(rng, (37, 41))
    for label, view, arr in [
        ("transposed", _t(base).T, base.T),
        ("negative-step", _t(base)[::-2, ::3], base[::-2, ::3]),
        ("broadcast", pj.broadcast_to(_t(base[:1]), (5, 41)), np.broadcast_to(base[:1], (5, 41))),
    ]:
        np.testing.assert_allclose(fn(view).numpy(), ref(arr), rtol=1e-13, err_msg=label)
    big = domain(rng, (3, 5000))  # the vectorised loop, remainder included
    np.testing.assert_allclose(fn(_t(big)).numpy(), ref(big), rtol=1e-13)
    np.testing.assert_allclose(fn(_t(big.astype(np.float32))).numpy(), ref(big.astype(np.float32)), rtol=1e-6)


@pytest.mark.parametrize("name", TRANSCENDENTAL)
def test_transcendental_of_integers_is_float64_like_numpy(name):
    fn, ref = getattr(pj, name), getattr(np, name)
    a = np.array([-3, -1, 0, 1, 2, 5])
    with np.errstate(all="ignore"):
        expected = ref(a)
    out = fn(_t(a))
    assert out.dtype == expected.dtype == np.float64
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-14)
    # bools compute in float64 too (NumPy picks float16, which pyjac does not have)
    with np.errstate(all="ignore"):
        np.testing.assert_allclose(fn(_t(np.array([True, False]))).numpy(), ref(np.array([1.0, 0.0])), rtol=1e-14)


@pytest.mark.parametrize("name", ["floor", "ceil", "trunc", "round", "reciprocal"])
def test_rounding_and_reciprocal_keep_integer_dtype_like_numpy(name):
    a = np.array([-7, -3, -1, 0, 1, 2, 5, np.iinfo(np.int64).max, np.iinfo(np.int64).min])
    with np.errstate(all="ignore"):
        expected = getattr(np, name)(a)
    out = getattr(pj, name)(_t(a))
    assert out.dtype == expected.dtype == np.int64
    np.testing.assert_array_equal(out.numpy(), expected)  # reciprocal: 1 // x, and 1 / 0 -> INT64_MIN


@pytest.mark.parametrize("name", ["floor", "ceil", "trunc"])
def test_floor_ceil_trunc_keep_bool_like_numpy(name):
    b = np.array([True, False, True])
    out = getattr(pj, name)(_t(b))
    expected = getattr(np, name)(b)
    assert out.dtype == expected.dtype == np.bool_
    np.testing.assert_array_equal(out.numpy(), expected)


_EDGES = np.array(
    [
        -2.0,
        -1.0,
        -0.999999,
        -0.5,
        -0.0,
        0.0,
        1e-300,
        0.5,
        0.999999,
        1.0,
        1.000001,
        2.0,
        2.5,
        -2.5,
        3.5,
        700.0,
        711.0,
        -745.0,
        1024.0,
        -1075.0,
        1e200,
        -1e200,
        np.inf,
        -np.inf,
        np.nan,
    ]
)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("case", params(UNARY))
def test_domain_edges_like_numpy(case, dtype):
    """NaN outside the domain, inf at the poles, signed zeros and overflow exactly as NumPy; other
    values to 1 ulp (libmvec and NumPy may round differently), on the vectorised and strided paths."""
    fn, ref = case.sweep
    with np.errstate(all="ignore"):
        a = _EDGES.astype(dtype)
        want = ref(a)
        for label, got in [("contiguous", fn(_t(a)).numpy()), ("strided", fn(_t(a[::-1])[::-1]).numpy())]:
            assert got.dtype == want.dtype
            special = ~np.isfinite(want) | (want == 0)
            np.testing.assert_array_equal(got[special], want[special], err_msg=label)
            signed = special & ~np.isnan(want)
            np.testing.assert_array_equal(np.signbit(got[signed]), np.signbit(want[signed]), err_msg=label)
            np.testing.assert_array_max_ulp(got[~special], want[~special], maxulp=1)


def test_poles_and_domain_boundaries():
    with np.errstate(all="ignore"):
        one = _t(np.array([-1.0, 1.0]))
        np.testing.assert_array_equal(pj.arctanh(one).numpy(), [-np.inf, np.inf])
        np.testing.assert_array_equal(pj.arcsin(one).numpy(), [-np.pi / 2, np.pi / 2])
        np.testing.assert_array_equal(pj.arccos(one).numpy(), [np.pi, 0.0])
        np.testing.assert_array_equal(pj.arccosh(_t(np.array([1.0, 0.5]))).numpy(), [0.0, np.nan])
        np.testing.assert_array_equal(pj.log2(_t(np.array([0.0, -1.0]))).numpy(), [-np.inf, np.nan])
        np.testing.assert_array_equal(pj.log10(_t(np.array([-0.0, -1.0]))).numpy(), [-np.inf, np.nan])
        np.testing.assert_array_equal(pj.reciprocal(_t(np.array([0.0, -0.0]))).numpy(), [np.inf, -np.inf])
        np.testing.assert_array_equal(pj.exp2(_t(np.array([1024.0, -np.inf]))).numpy(), [np.inf, 0.0])
        np.testing.assert_array_equal(pj.arcsin(_t(np.array([1.0000001, -1.5]))).numpy(), [np.nan, np.nan])


def test_round_is_half_to_even_like_numpy():
    a = np.array([-2.5, -1.5, -0.5, -0.4, 0.5, 1.5, 2.5, 3.5, 0.49999999999999994, 4503599627370497.0])
    out = pj.round(_t(a))
    np.testing.assert_array_equal(out.numpy(), np.round(a))
    np.testing.assert_array_equal(np.signbit(out.numpy()), np.signbit(np.round(a)))  # round(-0.4) is -0.0


@pytest.mark.parametrize("decimals", [0, 1, 2, 3, 10, 25, -1, -2, -20])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64], ids=lambda d: np.dtype(d).name)
def test_round_decimals_like_numpy(decimals, dtype, rng):
    a = np.concatenate([rng.standard_normal(20) * 1000, [1.25, 2.675, -0.125, 0.45, 15.0, 25.0, -15.0, 150.0, 250.0]])
    a = np.round(a).astype(dtype) if dtype == np.int64 else a.astype(dtype)
    with np.errstate(all="ignore"):
        expected = np.round(a, decimals)
    for out in (pj.round(_t(a), decimals), pj.around(_t(a), decimals=decimals), _t(a).round(decimals)):
        assert out.dtype == expected.dtype
        np.testing.assert_array_equal(out.numpy(), expected)


def test_python_round_of_a_tensor():
    out = round(_t(np.array([0.5, 1.5, 2.25])))
    assert isinstance(out, pj.Tensor)
    np.testing.assert_array_equal(out.numpy(), [0.0, 2.0, 2.0])
    np.testing.assert_array_equal(round(_t(np.array([2.25])), 1).numpy(), np.round(np.array([2.25]), 1))


def test_unary_array_like_inputs():
    np.testing.assert_allclose(pj.arcsin([0.0, 0.5]).numpy(), np.arcsin([0.0, 0.5]), rtol=1e-15)
    assert pj.cosh(0.5).shape == ()
    assert pj.log2(np.float32(4.0)).dtype == np.float32
    assert pj.floor(3).dtype == np.int64


# (The Tensor methods are checked against the functions by tests/test_op_registry.py.)


# ==== unary derivatives ===========================================================================
@pytest.mark.parametrize("shape", [(), (4,), (2, 3)], ids=str)
@pytest.mark.parametrize("case", params(UNARY))
def test_unary_gradcheck(case, shape, rng):
    fn = case.sweep[0]
    domain = _domain(case)
    assert gradcheck(fn, (_t(domain(rng, shape), True),))


@pytest.mark.parametrize("case", params([c for c in SMOOTH if c.name not in LINEAR]))
def test_unary_third_derivative(case, rng):
    """Rules recorded in differentiable ops: the third derivative comes out too (vs central
    differences of the second)."""
    fn = case.sweep[0]
    domain = _domain(case)
    a = domain(rng, (3,))

    def second(x):
        (g,) = pj.grad(pj.sum(fn(x)), x, create_graph=True)
        (h,) = pj.grad(pj.sum(g), x, create_graph=True)
        return h

    assert gradcheck(second, (_t(a, True),), atol=1e-4)


# (second derivatives and batched cotangents at (2, 3): tests/test_every_op.py)
@pytest.mark.parametrize("name", list(DERIVATIVES))
def test_unary_derivative_values(name, rng):
    a = next(c for c in UNARY if c.name == name).sample(rng, (5,))[0]
    x = _t(a, True)
    (g,) = pj.grad(pj.sum(getattr(pj, name)(x)), x)
    np.testing.assert_allclose(g.numpy(), DERIVATIVES[name](a), rtol=1e-12)


@pytest.mark.parametrize("case", params(UNARY))
def test_unary_empty_gradient(case):
    fn = case.sweep[0]
    x = _t(np.zeros((0, 3)), True)
    (g,) = pj.grad(fn(x), x, grad_outputs=_t(np.zeros((0, 3))))
    assert g.shape == (0, 3)


def test_derivatives_at_the_poles_are_infinite():
    x = _t(np.array([-1.0, 1.0]), True)
    for fn in (pj.arcsin, pj.arctanh):
        (g,) = pj.grad(pj.sum(fn(x)), x)
        np.testing.assert_array_equal(g.numpy(), [np.inf, np.inf])
    (g,) = pj.grad(pj.sum(pj.arccos(x)), x)
    np.testing.assert_array_equal(g.numpy(), [-np.inf, -np.inf])
    y = _t(np.array([1.0]), True)
    (g,) = pj.grad(pj.sum(pj.arccosh(y)), y)
    np.testing.assert_array_equal(g.numpy(), [np.inf])


@pytest.mark.parametrize("case", params(ROUNDING))
def test_rounding_gradient_is_zero_everywhere(case):
    fn, ref = case.sweep
    x = _t(np.array([-1.5, -1.0, -0.3, 0.0, 0.5, 2.0, 2.7]), True)  # jumps included
    y = fn(x)
    assert y.requires_grad
    (g,) = pj.grad(y, x, grad_outputs=_t(np.arange(7.0)))
    np.testing.assert_array_equal(g.numpy(), np.zeros(7))
    (g,) = pj.grad(pj.sum(fn(x) * x), x, create_graph=True)  # d/dx [round(x) x] = round(x)
    np.testing.assert_array_equal(g.detach().numpy(), ref(x.detach().numpy()))
    _, jv = pj.jvp(fn, x.detach(), pj.ones(7))
    np.testing.assert_array_equal(jv.numpy(), np.zeros(7))


def test_round_with_decimals_gradient_is_zero():
    x = _t(np.array([0.123, 4.56]), True)
    (g,) = pj.grad(pj.sum(pj.round(x, 2)), x)
    np.testing.assert_array_equal(g.numpy(), [0.0, 0.0])


# ==== binary: arctan2, mod, floor_divide =============================================================
# base entries; sample keeps arctan2 away from the origin and its branch cut, and a / b away from
# the integers for mod and // (their jumps)
BINARY = [c for c in select("math", tags="binary") if c.sweep]

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


@pytest.mark.parametrize("sa,sb", BROADCAST_PAIRS, ids=str)
@pytest.mark.parametrize("case", params(BINARY))
def test_binary_values(case, sa, sb, rng):
    fn, ref = case.sweep
    a, b = rng.standard_normal(sa) * 3, rng.standard_normal(sb)
    out = fn(_t(a), _t(b))
    expected = ref(a, b)
    assert out.shape == expected.shape
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("case", params(BINARY))
def test_binary_float32_and_noncontiguous(case, rng):
    fn, ref = case.sweep
    a, b = (rng.standard_normal((3, 4)) * 3).astype(np.float32), rng.standard_normal((3, 4)).astype(np.float32)
    out = fn(_t(a), _t(b))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), ref(a, b), rtol=1e-5, atol=1e-6)
    A, B = rng.standard_normal((41, 37)) * 3, rng.standard_normal((37, 41))
    np.testing.assert_allclose(fn(_t(A)[::-1], _t(B).T).numpy(), ref(A[::-1], B.T), rtol=1e-13, atol=1e-15)
    big_a, big_b = rng.standard_normal(10001), rng.standard_normal(10001)
    np.testing.assert_allclose(fn(_t(big_a), _t(big_b)).numpy(), ref(big_a, big_b), rtol=1e-13, atol=1e-15)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize(
    "da,db",
    [
        (np.int64, np.int64),
        (np.int64, np.float32),
        (np.float32, np.float64),
        (np.bool_, np.int64),
        (np.float32, np.float32),
        (np.int64, np.float64),
    ],
    ids=lambda d: np.dtype(d).name,
)
@pytest.mark.parametrize("name", ["arctan2", "mod"])
def test_binary_dtype_promotion_like_numpy(name, da, db):
    a = np.array([5, -7, 3, 0, 1]).astype(da)
    b = np.array([2, 3, -2, 4, 1]).astype(db)
    expected = getattr(np, name)(a, b)
    out = getattr(pj, name)(_t(a), _t(b))
    assert out.dtype == expected.dtype, (out.dtype, expected.dtype)
    np.testing.assert_allclose(out.numpy().astype(np.float64), expected.astype(np.float64), rtol=1e-6)


def test_python_numbers_are_weak_like_numpy():
    f32 = _t(np.array([1.5, -2.5], np.float32))
    assert pj.arctan2(f32, 2.0).dtype == np.float32
    assert pj.mod(f32, 2).dtype == np.float32
    assert (f32 % 0.75).dtype == np.float32
    assert pj.mod(_t(np.array([7, -7])), 3).dtype == np.int64
    assert pj.mod(_t(np.array([7, -7])), 2.5).dtype == np.float64
    assert pj.arctan2(1, _t(np.array([1, 2]))).dtype == np.float64


def test_arctan2_special_values_like_numpy():
    y = np.array([0.0, -0.0, 0.0, -0.0, 1.0, -1.0, np.inf, np.inf, -np.inf, 1.0, np.nan, 0.0])
    x = np.array([0.0, 0.0, -0.0, -0.0, 0.0, -0.0, np.inf, -np.inf, 1.0, np.inf, 1.0, -1.0])
    for got in (pj.arctan2(_t(y), _t(x)).numpy(), pj.arctan2(_t(y)[::-1], _t(x)[::-1]).numpy()[::-1]):
        np.testing.assert_array_equal(got, np.arctan2(y, x))
        np.testing.assert_array_equal(np.signbit(got), np.signbit(np.arctan2(y, x)))


def test_mod_sign_convention_and_special_values_like_numpy():
    a = np.array([7.0, -7.0, 7.0, -7.0, 0.0, -0.0, 0.0, 6.0, -1.0, 1.0, np.inf, 3.0, 5.5, -5.5, 1e300, np.nan, 2.0])
    b = np.array([3.0, 3.0, -3.0, -3.0, 2.0, 2.0, -2.0, -3.0, np.inf, -np.inf, 2.0, 0.0, 2.5, -2.5, 7.0, 1.0, np.nan])
    with np.errstate(all="ignore"):
        want = np.mod(a, b)
    got = pj.mod(_t(a), _t(b)).numpy()
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(np.signbit(got[~np.isnan(want)]), np.signbit(want[~np.isnan(want)]))
    with np.errstate(all="ignore"):
        a32, b32 = a.astype(np.float32), b.astype(np.float32)
        np.testing.assert_array_equal(pj.mod(_t(a32), _t(b32)).numpy(), np.mod(a32, b32))


def test_integer_mod_like_numpy():
    imin = np.iinfo(np.int64).min
    a = np.array([7, -7, 7, -7, 0, 5, -5, imin, imin, 9])
    b = np.array([3, 3, -3, -3, 5, 0, 0, -1, 7, 1])
    with np.errstate(all="ignore"):
        want = np.mod(a, b)  # x % 0 is 0; INT64_MIN % -1 is 0
    got = pj.mod(_t(a), _t(b))
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got.numpy(), want)
    np.testing.assert_array_equal(pj.remainder(_t(a), _t(b)).numpy(), want)


@pytest.mark.parametrize("sa,sb", [((3, 1), (4,)), ((2, 3), ())], ids=str)
def test_mod_operator(sa, sb, rng):
    a, b = rng.standard_normal(sa) * 3, rng.uniform(0.5, 2.0, sb)
    expected = np.mod(a, b)
    for out in (_t(a) % _t(b), _t(a) % b, a % _t(b)):
        assert isinstance(out, pj.Tensor)
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose((_t(a) % 1.5).numpy(), np.mod(a, 1.5), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose((4 % _t(b)).numpy(), np.mod(4, b), rtol=1e-13, atol=1e-15)
    np.testing.assert_array_equal((_t(np.array([7, -7])) % 3).numpy(), [1, 2])


def test_arctan2_method():
    y, x = np.array([1.0, -2.0]), np.array([0.5, -3.0])
    np.testing.assert_array_equal(_t(y).arctan2(_t(x)).numpy(), pj.arctan2(_t(y), _t(x)).numpy())


# The derivative sweeps of arctan2, mod and floor_divide run with the other binary ops in
# test_ops_elementwise.py (DIFFERENTIATED_BINARY).


def test_arctan2_gradient_values(rng):
    y, x = rng.standard_normal(5), rng.standard_normal(5)
    ty, tx = _t(y, True), _t(x, True)
    gy, gx = pj.grad(pj.sum(pj.arctan2(ty, tx)), [ty, tx])
    r2 = x**2 + y**2
    np.testing.assert_allclose(gy.numpy(), x / r2, rtol=1e-13)
    np.testing.assert_allclose(gx.numpy(), -y / r2, rtol=1e-13)


def test_mod_gradient_values():
    a = _t(np.array([7.5, -7.5, 7.5, -7.5]), True)
    b = _t(np.array([2.0, 2.0, -2.0, -2.0]), True)
    ga, gb = pj.grad(pj.sum(pj.mod(a, b)), [a, b])
    np.testing.assert_array_equal(ga.numpy(), np.ones(4))
    np.testing.assert_array_equal(gb.numpy(), -np.floor(np.array([7.5, -7.5, 7.5, -7.5]) / np.array([2, 2, -2, -2.0])))
    # with a broadcast divisor the b-gradient sums over the broadcast dim
    a = _t(np.array([[1.5, 4.5], [-2.5, 9.5]]), True)
    b = _t(np.array(2.0), True)
    ga, gb = pj.grad(pj.sum(pj.mod(a, b)), [a, b])
    np.testing.assert_array_equal(ga.numpy(), np.ones((2, 2)))
    assert gb.shape == ()
    np.testing.assert_array_equal(gb.numpy(), -(0 + 2 + -2 + 4))


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


# ==== forward mode ================================================================================
# (JVPs, forward-mode Jacobians, batched tangents and forward-over-reverse Hessians of every entry:
# tests/test_forward_mode.py)
@pytest.mark.parametrize("case", params(BINARY))
def test_binary_forward_mode_one_tangent(case, rng):
    fn = case.sweep[0]
    sampler = case.sample
    a, b = sampler(rng, (3, 1), (4,))
    _, ja = pj.jvp(lambda x: fn(x, _t(b)), _t(a), _t(np.ones_like(a)))
    _, jb = pj.jvp(lambda y: fn(_t(a), y), _t(b), _t(np.ones_like(b)))
    _, jab = pj.jvp(fn, (_t(a), _t(b)), (_t(np.ones_like(a)), _t(np.ones_like(b))))
    np.testing.assert_allclose(ja.numpy() + jb.numpy(), jab.numpy(), rtol=1e-13)


# ==== torch parity ================================================================================
# (unary ops: tests/test_every_op.py; here both operands broadcast)
@pytest.mark.parametrize("case", params([c for c in BINARY if c.torch]))
def test_binary_torch_parity(case, torch, rng):
    name = case.name
    fn = case.sweep[0]
    sampler = case.sample
    a, b = sampler(rng, (2, 1, 3), (4, 1))
    w = rng.standard_normal((2, 4, 3))
    xa, xb = _t(a, True), _t(b, True)
    out = fn(xa, xb)
    ga, gb = pj.grad(out, [xa, xb], grad_outputs=_t(w), create_graph=True)
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    tout = case.torch(torch, ta, tb)
    tga, tgb = torch.autograd.grad(tout, [ta, tb], torch.tensor(w), create_graph=True)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-13)
    np.testing.assert_allclose(ga.detach().numpy(), tga.detach().numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(gb.detach().numpy(), tgb.detach().numpy(), rtol=1e-12, atol=1e-15)
    if name == "arctan2":  # second derivatives (mod's are all zero, which torch leaves unrecorded)
        h = pj.grad(pj.sum(ga) + pj.sum(gb), [xa, xb])
        th = torch.autograd.grad(tga.sum() + tgb.sum(), [ta, tb])
        for got, want in zip(h, th):
            np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-11, atol=1e-14)


def test_integer_values_torch_parity(torch):
    a = np.array([-7, -3, 0, 4, 9])
    b = np.array([3, -2, 5, 4, 2])
    np.testing.assert_array_equal(
        pj.mod(_t(a), _t(b)).numpy(), torch.remainder(torch.tensor(a), torch.tensor(b)).numpy()
    )
    for name in ("floor", "ceil", "trunc", "round"):
        np.testing.assert_array_equal(getattr(pj, name)(_t(a)).numpy(), getattr(torch, name)(torch.tensor(a)).numpy())


# ==== errors ======================================================================================
@pytest.mark.parametrize("name", ["arctan2", "mod"])
def test_binary_shape_mismatch_names_op_and_shapes(name):
    with pytest.raises(ValueError) as exc:
        getattr(pj, name)(_t(np.ones((2, 3))), _t(np.ones(4)))
    msg = str(exc.value)
    assert name in msg and "(2, 3)" in msg and "(4,)" in msg, msg


def test_bad_argument_types():
    with pytest.raises(TypeError):
        pj.arcsin("abc")
    with pytest.raises(TypeError):
        pj.round(_t(np.ones(2)), 1.5)
    with pytest.raises(TypeError):
        pj.mod(_t(np.ones(2)), object())
    with pytest.raises(TypeError):
        _t(np.ones(2)) % object()
    with pytest.raises(TypeError):
        pj.tensor(np.array([1, 2]), requires_grad=True)  # integers cannot carry gradients through floor


def test_bool_mod_bool_is_an_error_free_integer_result():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = np.mod(np.array([True, False]), np.array([True, True]))
    out = pj.mod(_t(np.array([True, False])), _t(np.array([True, True])))
    assert out.dtype == np.int64  # NumPy gives int8, which pyjac does not have
    np.testing.assert_array_equal(out.numpy(), expected)


# ==== floor_divide (//) ===========================================================================
def test_floor_divide_special_values_like_numpy():
    # NumPy's floor division pairs with its remainder: a == b * (a // b) + a % b, exactly where
    # floor(a / b) would round the wrong way; signed zeros, infinities, NaN, division by zero
    a = np.array(
        [
            7.0,
            -7.0,
            7.0,
            -7.0,
            0.0,
            -0.0,
            0.0,
            6.0,
            -1.0,
            1.0,
            np.inf,
            3.0,
            5.5,
            -5.5,
            1e300,
            np.nan,
            2.0,
            7.0,
            1e308,
            0.3,
            1.0,
            -0.0,
        ]
    )
    b = np.array(
        [
            3.0,
            3.0,
            -3.0,
            -3.0,
            2.0,
            2.0,
            -2.0,
            -3.0,
            np.inf,
            -np.inf,
            2.0,
            0.0,
            2.5,
            -2.5,
            7.0,
            1.0,
            np.nan,
            -np.inf,
            1e-308,
            0.1,
            0.0,
            0.0,
        ]
    )
    with np.errstate(all="ignore"):
        want = np.floor_divide(a, b)
        for dtype in (np.float64, np.float32):
            got = pj.floor_divide(_t(a.astype(dtype)), _t(b.astype(dtype))).numpy()
            expected = np.floor_divide(a.astype(dtype), b.astype(dtype))
            assert got.dtype == dtype
            np.testing.assert_array_equal(got, expected)
            ok = ~np.isnan(expected)
            np.testing.assert_array_equal(np.signbit(got[ok]), np.signbit(expected[ok]))
    assert want[19] == 2.0  # 0.3 // 0.1 is 2 (0.3 / 0.1 rounds to 3.0)


def test_integer_floor_divide_like_numpy():
    imin, imax = np.iinfo(np.int64).min, np.iinfo(np.int64).max
    a = np.array([7, -7, 7, -7, 0, 5, -5, imin, imin, 9, imax, imin, -1])
    b = np.array([3, 3, -3, -3, 5, 0, 0, -1, 7, 1, -1, 1, 2])
    with np.errstate(all="ignore"):
        want = np.floor_divide(a, b)  # x // 0 is 0; INT64_MIN // -1 wraps to INT64_MIN
    got = pj.floor_divide(_t(a), _t(b))
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got.numpy(), want)
    bools = np.array([True, False, True])
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(
            pj.floor_divide(_t(bools), _t(np.array([True, True, False]))).numpy(),
            np.floor_divide(bools.astype(np.int64), np.array([1, 1, 0])),
        )


@pytest.mark.parametrize("sa,sb", [((3, 1), (4,)), ((2, 3), ()), ((), ()), ((0, 3), (3,))], ids=str)
def test_floor_divide_operators_broadcasting_and_divmod(sa, sb, rng):
    a, b = rng.standard_normal(sa) * 5, rng.choice([-1.0, 1.0], sb) * rng.uniform(0.5, 2.0, sb)
    expected = np.floor_divide(a, b)
    for out in (_t(a) // _t(b), _t(a) // b, a // _t(b), pj.floor_divide(a, _t(b))):
        assert isinstance(out, pj.Tensor) and out.shape == expected.shape
        np.testing.assert_array_equal(out.numpy(), expected)
    np.testing.assert_array_equal((_t(a) // 1.5).numpy(), np.floor_divide(a, 1.5))
    np.testing.assert_array_equal((4 // _t(b)).numpy(), np.floor_divide(4, b))
    q, r = divmod(_t(a), _t(b))
    np.testing.assert_array_equal(q.numpy(), expected)
    np.testing.assert_array_equal(r.numpy(), np.mod(a, b))
    q, r = divmod(3.0, _t(b))
    np.testing.assert_array_equal(q.numpy(), np.floor_divide(3.0, b))
    np.testing.assert_array_equal(r.numpy(), np.mod(3.0, b))
    np.testing.assert_array_equal((_t(np.array([7, -7])) // 2).numpy(), [3, -4])
    assert (_t(np.array([7, -7])) // 2).dtype == np.int64


def test_floor_divide_has_zero_derivatives_of_the_right_shapes(rng):
    # piecewise constant, like floor (torch's floor_divide rule is zeros too)
    a = _t(rng.standard_normal((3, 1)) * 4, True)
    b = _t(np.array([1.5, -2.5, 0.7, 3.0]), True)
    ga, gb = pj.grad(pj.sum(pj.floor_divide(a, b) * 2.0), [a, b])
    assert ga.shape == (3, 1) and gb.shape == (4,)
    np.testing.assert_array_equal(ga.numpy(), np.zeros((3, 1)))
    np.testing.assert_array_equal(gb.numpy(), np.zeros(4))
    (gg,) = pj.grad(pj.sum(pj.grad(pj.sum(a // b * a), [a], create_graph=True)[0]), [a])
    np.testing.assert_array_equal(gg.numpy(), np.zeros((3, 1)))
    J = pj.jacobian(lambda x: pj.floor_divide(x, b), pj.tensor(np.array([1.0, 2.0, 3.0, 4.0])), strategy="forward-mode")
    np.testing.assert_array_equal(J.numpy(), np.zeros((4, 4)))


def test_floor_divide_torch_parity(torch, rng):
    a, b = rng.standard_normal((4, 5)) * 6, rng.choice([-1.0, 1.0], 5) * rng.uniform(0.3, 3.0, 5)
    ours = pj.floor_divide(_t(a), _t(b)).numpy()
    np.testing.assert_array_equal(ours, torch.floor_divide(torch.tensor(a), torch.tensor(b)).numpy())


# ==== cbrt, sinc, fabs, angles, logaddexp, hypot, fmax / fmin, logical ops ===========================
def test_sinc_derivatives_at_and_near_zero():
    # sinc(x) = 1 - (pi x)^2 / 6 + (pi x)^4 / 120 - ...: derivatives at 0 are 0, -pi^2/3, 0, pi^4/5
    d = pj.sinc
    expected = [1.0, 0.0, -(np.pi**2) / 3, 0.0, np.pi**4 / 5]
    for order, e in enumerate(expected):
        np.testing.assert_allclose(d(pj.tensor(0.0)).item(), e, atol=1e-12, err_msg=f"order {order}")
        d = pj.func.grad(d)
    # on both sides of the switch between the series and the closed form (|x| = 0.1), and at the
    # integers (zeros of sinc): first and second derivatives against the closed forms
    x = np.array([-2.0, -1.0, -0.10000001, -0.09999999, -1e-9, 1e-9, 0.0999999, 0.1000001, 1.0, 3.0])
    first = np.array([pj.func.grad(pj.sinc)(v).item() for v in x])
    second = np.array([pj.func.grad(pj.func.grad(pj.sinc))(v).item() for v in x])
    px = np.pi * x
    closed_first = (px * np.cos(px) - np.sin(px)) / (np.pi * x**2)
    near = np.abs(x) < 1e-3  # the closed forms themselves cancel there: their series instead
    closed_first[near] = -(np.pi**2) * x[near] / 3
    np.testing.assert_allclose(first, closed_first, rtol=1e-12, atol=1e-15)
    exact_second = ((2 - px**2) * np.sin(px) - 2 * px * np.cos(px)) / (np.pi * x**3)
    np.testing.assert_allclose(second[~near], exact_second[~near], rtol=1e-9)
    np.testing.assert_allclose(second[near], -(np.pi**2) / 3, rtol=1e-9)


def test_sinc_forward_mode_at_zero():
    _, t = pj.func.jvp(pj.sinc, (pj.tensor([0.0, 0.5]),), (pj.tensor([1.0, 1.0]),))
    np.testing.assert_allclose(t.numpy(), [0.0, (0 - np.sin(np.pi / 2)) / (np.pi * 0.25)], atol=1e-15)


def test_logaddexp_at_infinities_and_ties_like_numpy():
    inf = np.inf
    a = np.array([-inf, inf, -inf, 2.0, 1e308, -1e308, np.nan, 700.0])
    b = np.array([-inf, inf, 1.0, 2.0, 1e308, -1e308, 1.0, -700.0])
    for f in ("logaddexp", "logaddexp2"):
        with np.errstate(invalid="ignore"):
            expected = getattr(np, f)(a, b)
        np.testing.assert_array_equal(getattr(pj, f)(pj.tensor(a), pj.tensor(b)).numpy(), expected)
    # finite ties: each side gets half; against -inf the finite side gets everything
    x, y = pj.tensor([2.0, 1.0], requires_grad=True), pj.tensor([2.0, -inf], requires_grad=True)
    gx, gy = pj.grad(pj.logaddexp(x, y).sum(), [x, y])
    np.testing.assert_allclose(gx.numpy(), [0.5, 1.0], rtol=1e-15)
    np.testing.assert_allclose(gy.numpy(), [0.5, 0.0], rtol=1e-15)


def test_hypot_gradient_is_zero_at_the_origin_and_finite_nearby():
    a, b = pj.tensor([0.0, 3.0, 1e-300], requires_grad=True), pj.tensor([0.0, 4.0, 0.0], requires_grad=True)
    ga, gb = pj.grad(pj.hypot(a, b).sum(), [a, b], create_graph=True)
    np.testing.assert_allclose(ga.detach().numpy(), [0.0, 0.6, 1.0])
    np.testing.assert_allclose(gb.detach().numpy(), [0.0, 0.8, 0.0])
    (h,) = pj.grad(ga.sum(), a, allow_unused=True)
    assert np.all(np.isfinite(h.numpy()))
    np.testing.assert_array_equal(pj.hypot(pj.tensor([1e308, np.inf]), 1e308).numpy(), np.hypot([1e308, np.inf], 1e308))


def test_fmax_and_fmin_ignore_nan_in_values_and_gradients():
    nan = np.nan
    a_np, b_np = np.array([1.0, nan, nan, 3.0, 2.0]), np.array([nan, 2.0, nan, 1.0, 2.0])
    for name, ref in (("fmax", np.fmax), ("fmin", np.fmin)):
        a, b = pj.tensor(a_np, requires_grad=True), pj.tensor(b_np, requires_grad=True)
        out = getattr(pj, name)(a, b)
        np.testing.assert_array_equal(out.detach().numpy(), ref(a_np, b_np))
        ga, gb = pj.grad(out.sum(), [a, b])
        winner_a = [1.0, 0.0, nan, 1.0 if name == "fmax" else 0.0, 0.5]
        np.testing.assert_array_equal(ga.numpy(), winner_a)
        np.testing.assert_array_equal(gb.numpy(), [0.0, 1.0, nan, 0.0 if name == "fmax" else 1.0, 0.5])
    assert pj.fmax(pj.tensor([1, 5]), pj.tensor([3, 2])).tolist() == [3, 5]
    assert pj.fmin(pj.tensor([True, False]), pj.tensor([True, True])).dtype == np.bool_


def test_fabs_cbrt_and_angles_dtypes_like_numpy():
    for name in ("fabs", "cbrt", "deg2rad", "rad2deg", "sinc"):
        for a in (np.array([-3, 0, 8]), np.array([-1.5, 2.0], np.float32), np.array([True, False])):
            expected = getattr(np, name)(a)
            got = getattr(pj, name)(pj.tensor(a))
            if expected.dtype == np.float16:  # bools: NumPy picks float16, which pyjac does not have
                expected = getattr(np, name)(a.astype(np.float64))
            assert got.dtype == expected.dtype, (name, a.dtype)
            np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6)
    assert pj.radians is pj.deg2rad and pj.degrees is pj.rad2deg
    np.testing.assert_array_equal(pj.cbrt(pj.tensor([-27.0, 0.0, 1e300])).numpy(), np.cbrt([-27.0, 0.0, 1e300]))


def test_logical_ops_use_truth_values_like_numpy():
    a = np.array([0.0, np.nan, -0.0, 2.0, np.inf])
    b = np.array([1.0, 0.0, 3.0, np.nan, 0.0])
    for name in ("logical_and", "logical_or", "logical_xor"):
        ref = getattr(np, name)
        out = getattr(pj, name)(pj.tensor(a), pj.tensor(b))
        assert out.dtype == np.bool_
        np.testing.assert_array_equal(out.numpy(), ref(a, b))
        np.testing.assert_array_equal(getattr(pj, name)(pj.tensor(a), 0).numpy(), ref(a, 0))
        x = pj.tensor(a, requires_grad=True)
        assert not getattr(pj, name)(x, x).requires_grad
    with pytest.raises(ValueError, match="logical_and"):
        pj.logical_and(pj.ones(2), pj.ones(3))
