"""Python ints with tensors, exactly as NumPy 2 takes them.

A Python int is a weak scalar: with an int64 (or bool) tensor it is an int64, exact to the last
bit (not a double, which holds 53 bits), and the arithmetic wraps around as NumPy's does; an int
beyond int64 raises OverflowError there, while comparisons answer exactly (it is above or below
every element). With float tensors the int becomes the tensor's float dtype, as in NumPy.
NumPy is the oracle throughout.
"""

import operator

import numpy as np
import pytest

import pyjac as pj

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

# Ints that int64 holds but a double doesn't (or only just).
NEAR = [
    2**53 - 1,
    2**53,
    2**53 + 1,
    -(2**53) - 1,
    2**62,
    2**62 + 1,
    -(2**62) - 3,
    INT64_MAX,
    INT64_MAX - 511,
    INT64_MIN,
    INT64_MIN + 1,
    3,
    -2,
]
BEYOND = [2**63, -(2**63) - 1, 2**64 - 1, 2**64, -(2**100), 2**100]
BEYOND_DOUBLE = [10**400, -(10**400)]

VALUES = [0, 1, -1, 7, -7, 2**53 + 1, -(2**62) + 5, INT64_MAX, INT64_MIN]
EXPONENTS = [0, 1, 2, 3, 63, 64, 2**53 + 1]  # nonnegative, for int ** int

ARITHMETIC = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "%": operator.mod,
    "**": operator.pow,
}
COMPARISONS = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
FUNCTIONS = {
    "==": pj.equal,
    "!=": pj.not_equal,
    "<": pj.less,
    "<=": pj.less_equal,
    ">": pj.greater,
    ">=": pj.greater_equal,
}


def outcome(fn):
    """("ok", result as an array) or ("raises", the exception type)."""
    with np.errstate(all="ignore"):
        try:
            return "ok", np.asarray(fn())
        except (OverflowError, ValueError, TypeError, ZeroDivisionError) as e:
            return "raises", type(e)


def assert_exact(got, expected):
    """Same dtype, shape and values, bit for bit (NaNs in the same places)."""
    got = np.asarray(got)
    assert got.dtype == expected.dtype, (got.dtype, expected.dtype)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    assert got.tolist() == expected.tolist() or np.array_equal(got, expected, equal_nan=True), (got, expected)


def assert_like_numpy(pj_fn, np_fn):
    ours, theirs = outcome(pj_fn), outcome(np_fn)
    assert ours[0] == theirs[0], (ours, theirs)
    if theirs[0] == "ok":
        assert_exact(ours[1], theirs[1])
    else:
        assert ours[1] is theirs[1], (ours, theirs)


# ---- arithmetic with int64 tensors ----------------------------------------------------------------
@pytest.mark.parametrize("op", sorted(ARITHMETIC))
@pytest.mark.parametrize("n", NEAR)
def test_int64_tensor_op_int_is_exact(op, n):
    fn = ARITHMETIC[op]
    values = EXPONENTS if op == "**" else VALUES  # (pow raises for negative integer exponents either way)
    a = np.array(values, dtype=np.int64)
    t = pj.tensor(a)
    assert_like_numpy(lambda: fn(t, n), lambda: fn(a, n))


@pytest.mark.parametrize("op", sorted(ARITHMETIC))
@pytest.mark.parametrize("n", NEAR)
def test_int_op_int64_tensor_is_exact(op, n):
    fn = ARITHMETIC[op]
    values = EXPONENTS if op == "**" else VALUES
    a = np.array(values, dtype=np.int64)
    t = pj.tensor(a)
    assert_like_numpy(lambda: fn(n, t), lambda: fn(n, a))


def test_the_last_bits_survive():
    # the two cases that a double payload got wrong: a lost last digit, and a spurious error
    assert (pj.tensor([0, 1]) + (2**53 + 1)).tolist() == [2**53 + 1, 2**53 + 2]
    assert (pj.tensor([0, 1]) + (2**63 - 512)).tolist() == [2**63 - 512, 2**63 - 511]
    # wraps around past the top, as NumPy
    assert (pj.tensor([1]) + INT64_MAX).tolist() == (np.array([1]) + INT64_MAX).tolist() == [INT64_MIN]


@pytest.mark.parametrize("op", sorted(ARITHMETIC))
@pytest.mark.parametrize("n", BEYOND + BEYOND_DOUBLE)
def test_int64_tensor_with_an_int_beyond_int64_raises_overflow_error(op, n):
    fn = ARITHMETIC[op]
    a = np.array(EXPONENTS if op == "**" else VALUES, dtype=np.int64)
    t = pj.tensor(a)
    assert outcome(lambda: fn(a, n)) == ("raises", OverflowError)  # the oracle, for the record
    with pytest.raises(OverflowError):
        fn(t, n)
    with pytest.raises(OverflowError):
        fn(n, t)


@pytest.mark.parametrize("n", NEAR + BEYOND)
@pytest.mark.parametrize("reflected", [False, True])
def test_true_division_of_int64_tensor_and_int(n, reflected):
    a = np.array(VALUES, dtype=np.int64)
    t = pj.tensor(a)
    if reflected:
        assert_like_numpy(lambda: n / t, lambda: n / a)
    else:
        assert_like_numpy(lambda: t / n, lambda: a / n)


@pytest.mark.parametrize("name", ["add", "subtract", "multiply", "power", "maximum", "minimum", "mod"])
@pytest.mark.parametrize("n", [2**53 + 1, -(2**53) - 1, 2**62 + 1, INT64_MAX, INT64_MIN, 2**63, INT64_MIN - 1])
def test_functions_with_an_int_are_exact(name, n):
    a = np.array(EXPONENTS if name == "power" else VALUES, dtype=np.int64)
    t = pj.tensor(a)
    assert_like_numpy(lambda: getattr(pj, name)(t, n), lambda: getattr(np, name)(a, n))
    if name != "power":
        assert_like_numpy(lambda: getattr(pj, name)(n, t), lambda: getattr(np, name)(n, a))


@pytest.mark.parametrize("n", [2**53 + 1, INT64_MAX, INT64_MIN])
def test_where_with_an_int_is_exact(n):
    cond = np.array([True, False, True])
    a = np.array([1, 2, 3])
    assert_like_numpy(lambda: pj.where(pj.tensor(cond), pj.tensor(a), n), lambda: np.where(cond, a, n))


@pytest.mark.parametrize("op", ["+", "-", "*"])
@pytest.mark.parametrize("n", [2**53 + 1, 2**62 + 1, INT64_MAX, INT64_MIN])
def test_bool_tensor_with_an_int_computes_in_int64(op, n):
    a = np.array([True, False])
    if op == "-":  # NumPy refuses - on bools, pyjac computes in int64 as for the other ops
        expected = lambda: ARITHMETIC[op](a.astype(np.int64), n)  # noqa: E731
    else:
        expected = lambda: ARITHMETIC[op](a, n)  # noqa: E731
    assert_like_numpy(lambda: ARITHMETIC[op](pj.tensor(a), n), expected)


# ---- comparisons ------------------------------------------------------------------------------------
@pytest.mark.parametrize("op", sorted(COMPARISONS))
@pytest.mark.parametrize("n", NEAR + BEYOND + BEYOND_DOUBLE)
def test_int64_tensor_compared_with_an_int_is_exact(op, n):
    fn = COMPARISONS[op]
    # each int's neighbours are in the tensor, so that rounding it to a double would show
    near = [v for v in (n - 1, n, n + 1) if INT64_MIN <= v <= INT64_MAX]
    a = np.array(VALUES + near, dtype=np.int64)
    t = pj.tensor(a)
    assert_like_numpy(lambda: fn(t, n), lambda: fn(a, n))
    assert_like_numpy(lambda: fn(n, t), lambda: fn(n, a))
    assert_like_numpy(lambda: FUNCTIONS[op](t, n), lambda: fn(a, n))
    assert_like_numpy(lambda: FUNCTIONS[op](n, t), lambda: fn(n, a))


@pytest.mark.parametrize("op", ["==", "<", ">"])
def test_the_wrapped_comparison(op):
    # -2**63 == 2**63 was True when 2**63 wrapped around in int64
    t = pj.tensor([INT64_MIN, 0, INT64_MAX])
    expected = COMPARISONS[op](np.array([INT64_MIN, 0, INT64_MAX]), 2**63)
    assert expected.tolist() == {"==": [False] * 3, "<": [True] * 3, ">": [False] * 3}[op]
    assert_exact(COMPARISONS[op](t, 2**63), expected)


@pytest.mark.parametrize("shape", [(), (0,), (2, 3)])
@pytest.mark.parametrize("n", [2**63, -(2**63) - 1])
def test_constant_comparisons_keep_the_shape(shape, n):
    a = np.zeros(shape, dtype=np.int64)
    for fn in COMPARISONS.values():
        assert_exact(fn(pj.tensor(a), n), fn(a, n))


@pytest.mark.parametrize("op", sorted(COMPARISONS))
@pytest.mark.parametrize("n", NEAR + BEYOND)
def test_bool_tensor_compared_with_an_int(op, n):
    fn = COMPARISONS[op]
    a = np.array([True, False])
    t = pj.tensor(a)
    # NumPy 2.4 raises OverflowError for a bool array against an int beyond int64 (it converts the
    # int to a C long); pyjac answers as for the same values in int64, which NumPy gets exactly
    oracle = a.astype(np.int64) if not INT64_MIN <= n <= INT64_MAX else a
    assert_like_numpy(lambda: fn(t, n), lambda: fn(oracle, n))
    assert_like_numpy(lambda: FUNCTIONS[op](n, t), lambda: fn(n, oracle))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("op", sorted(COMPARISONS))
@pytest.mark.parametrize("n", NEAR + BEYOND + BEYOND_DOUBLE)
def test_float_tensor_compared_with_an_int(dtype, op, n):
    fn = COMPARISONS[op]
    a = np.array([0.0, 1.0, 2.0**53, 2.0**63, -(2.0**63), 2.0**64, np.inf, np.nan], dtype=dtype)
    t = pj.tensor(a)
    assert_like_numpy(lambda: fn(t, n), lambda: fn(a, n))
    assert_like_numpy(lambda: FUNCTIONS[op](n, t), lambda: fn(n, a))


# ---- float tensors ------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("op", ["+", "-", "*", "/", "**"])
@pytest.mark.parametrize("n", NEAR + BEYOND + BEYOND_DOUBLE + [2**60 + 2**36 + 1])
def test_float_tensor_with_a_big_int_matches_numpy(dtype, op, n):
    fn = {"/": operator.truediv, **ARITHMETIC}[op]
    a = np.array([0.0, 1.0, -1.5, 2.0**60, 3.0], dtype=dtype)
    t = pj.tensor(a)
    assert_like_numpy(lambda: fn(t, n), lambda: fn(a, n))
    assert_like_numpy(lambda: fn(n, t), lambda: fn(n, a))


# ---- creation ------------------------------------------------------------------------------------
@pytest.mark.parametrize("n", NEAR)
def test_creation_from_an_int_is_exact(n):
    assert_exact(pj.full((2,), n), np.full((2,), n))
    assert_exact(pj.full(3, n, dtype=np.int64), np.full(3, n, dtype=np.int64))
    assert_exact(pj.full(3, np.int64(n)), np.full(3, np.int64(n)))
    assert_exact(pj.full((), n, dtype=np.float64), np.full((), n, dtype=np.float64))
    assert_exact(pj.full(2, n, dtype=np.float32), np.full(2, n, dtype=np.float32))
    assert_exact(pj.full_like(pj.tensor([1, 2]), n), np.full_like(np.array([1, 2]), n))
    assert_exact(pj.tensor(n), np.array(n))
    assert_exact(pj.tensor([n, 0, -1]), np.array([n, 0, -1]))


@pytest.mark.parametrize("n", [2**63, 2**64 - 1, 2**64, -(2**63) - 1])
def test_creation_beyond_int64_raises(n):
    with pytest.raises(OverflowError):
        np.full(2, n, dtype=np.int64)
    with pytest.raises(OverflowError):
        pj.full(2, n, dtype=np.int64)
    with pytest.raises(OverflowError):
        pj.full(2, n)  # (NumPy makes uint64 or object arrays, which pyjac doesn't have)
    assert_exact(pj.full(2, n, dtype=np.float64), np.full(2, n, dtype=np.float64))


@pytest.mark.parametrize("n", [2**63, 2**64 - 1])
def test_tensor_of_an_int_beyond_int64_raises(n):
    # NumPy reads these as uint64, which int64 would wrap around to negative numbers
    with pytest.raises(OverflowError):
        np.array(n, dtype=np.int64)
    with pytest.raises(OverflowError):
        pj.tensor(n)
    with pytest.raises(OverflowError):
        pj.tensor([n, n])
    # with an int that uint64 can't hold NumPy picks float64, and so does pyjac
    assert_exact(pj.tensor([-1, n]), np.array([-1, n]))


# ---- in-place --------------------------------------------------------------------------------------
INPLACE = {
    "add_": (lambda t, n: t.add_(n), operator.iadd),
    "sub_": (lambda t, n: t.sub_(n), operator.isub),
    "mul_": (lambda t, n: t.mul_(n), operator.imul),
    "fill_": (lambda t, n: t.fill_(n), lambda a, n: a.fill(n) or a),
    "setitem": (lambda t, n: t.__setitem__(slice(None), n) or t, lambda a, n: a.__setitem__(slice(None), n) or a),
}


@pytest.mark.parametrize("name", sorted(INPLACE))
@pytest.mark.parametrize("n", NEAR)
def test_inplace_with_an_int_is_exact(name, n):
    ours, theirs = INPLACE[name]
    a = np.array(VALUES, dtype=np.int64)
    t = pj.tensor(a)
    ours(t, n)
    theirs(a, n)
    assert_exact(t, a)


@pytest.mark.parametrize("name", sorted(INPLACE))
@pytest.mark.parametrize("n", BEYOND)
def test_inplace_with_an_int_beyond_int64_raises_and_leaves_the_tensor(name, n):
    ours, theirs = INPLACE[name]
    a = np.array(VALUES, dtype=np.int64)
    t = pj.tensor(a)
    with pytest.raises(OverflowError):
        theirs(a.copy(), n)
    with pytest.raises(OverflowError):
        ours(t, n)
    assert_exact(t, a)


@pytest.mark.parametrize("alpha", [2**53 + 1, 2**62 + 1, INT64_MAX, INT64_MIN, -3])
@pytest.mark.parametrize("name", ["add_", "sub_"])
def test_inplace_alpha_is_exact(alpha, name):
    a = np.array(VALUES, dtype=np.int64)
    other = np.array([1, 3, -1, 2, 0, 5, 7, 1, -1], dtype=np.int64)
    t = pj.tensor(a)
    getattr(t, name)(pj.tensor(other), alpha=alpha)
    with np.errstate(all="ignore"):
        scaled = other * np.int64(alpha)  # wraps, as the tensor's arithmetic does
        expected = a + scaled if name == "add_" else a - scaled
    assert_exact(t, expected)


def test_inplace_wraps_around_like_numpy():
    a = np.array([INT64_MAX, INT64_MIN, 5], dtype=np.int64)
    t = pj.tensor(a)
    t.add_(2)
    t.mul_(3)
    with np.errstate(all="ignore"):
        a += 2
        a *= 3
    assert_exact(t, a)
