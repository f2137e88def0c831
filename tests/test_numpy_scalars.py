"""NumPy scalars as operands promote as NumPy 2 says (NEP 50): only Python's own int, float and
bool are weak; np.float64 (a subclass of float), np.float32, np.int64 and np.bool_ have a dtype
of their own. And uint64 values beyond int64 raise instead of wrapping around."""

import operator

import numpy as np
import pytest

import pyjac as pj

PYJAC_DTYPES = {np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.int64), np.dtype(np.bool_)}

TENSOR_DTYPES = [np.float32, np.float64, np.int64, np.bool_]
SCALARS = [np.float64(1.5), np.float32(1.5), np.int64(2), np.bool_(True)]

# (name, pyjac function, NumPy function); each is called with the scalar on both sides.
BINARY = [
    ("+", operator.add, operator.add),
    ("-", operator.sub, operator.sub),
    ("*", operator.mul, operator.mul),
    ("/", operator.truediv, operator.truediv),
    ("**", operator.pow, operator.pow),
    ("//", operator.floordiv, operator.floordiv),
    ("%", operator.mod, operator.mod),
    ("add", pj.add, np.add),
    ("subtract", pj.subtract, np.subtract),
    ("multiply", pj.multiply, np.multiply),
    ("divide", pj.divide, np.divide),
    ("power", pj.power, np.power),
    ("maximum", pj.maximum, np.maximum),
    ("minimum", pj.minimum, np.minimum),
    ("arctan2", pj.arctan2, np.arctan2),
    ("mod", pj.mod, np.mod),
    ("floor_divide", pj.floor_divide, np.floor_divide),
    (
        "where",
        lambda a, b: pj.where(pj.tensor([True, False, True]), a, b),
        lambda a, b: np.where(np.array([True, False, True]), a, b),
    ),
]

COMPARISONS = [
    ("==", operator.eq, operator.eq),
    ("!=", operator.ne, operator.ne),
    ("<", operator.lt, operator.lt),
    ("<=", operator.le, operator.le),
    (">", operator.gt, operator.gt),
    (">=", operator.ge, operator.ge),
    ("equal", pj.equal, np.equal),
    ("less", pj.less, np.less),
    ("greater_equal", pj.greater_equal, np.greater_equal),
]


def _numpy_or_none(f, *args):
    with np.errstate(all="ignore"):
        try:
            return np.asarray(f(*args))
        except (TypeError, ValueError, ZeroDivisionError):
            return None


def _check(pf, nf, a_np, a_pj, s, scalar_left):
    args_np = (s, a_np) if scalar_left else (a_np, s)
    args_pj = (s, a_pj) if scalar_left else (a_pj, s)
    expected = _numpy_or_none(nf, *args_np)
    if expected is None or expected.dtype not in PYJAC_DTYPES:
        return  # NumPy refuses it, or answers in a dtype pyjac does not have (int8, float16)
    got = pf(*args_pj)
    assert got.dtype == expected.dtype, (args_np, got.dtype, expected.dtype)
    np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-6, equal_nan=True)


@pytest.mark.parametrize("name, pf, nf", BINARY + COMPARISONS, ids=[c[0] for c in BINARY + COMPARISONS])
@pytest.mark.parametrize("dtype", TENSOR_DTYPES, ids=lambda d: np.dtype(d).name)
def test_numpy_scalar_operand_promotes_as_numpy_2(name, pf, nf, dtype):
    a_np = np.array([1, 2, 3]).astype(dtype)
    a_pj = pj.tensor(a_np)
    for s in SCALARS:
        for scalar_left in (False, True):
            _check(pf, nf, a_np, a_pj, s, scalar_left)


def test_float32_tensor_plus_numpy_float64_is_float64():
    x = pj.ones(3, dtype=np.float32)
    for r in (x + np.float64(1.5), np.float64(1.5) + x, pj.add(x, np.float64(1.5)), pj.maximum(x, np.float64(0.5))):
        assert r.dtype == np.float64
    assert (x + 1.5).dtype == np.float32  # a Python float stays weak
    assert (pj.ones(3) + np.float32(1.5)).dtype == np.float64
    assert (x + np.int64(2)).dtype == np.float64  # NumPy 2: float32 + int64 scalar is float64
    assert (x + np.bool_(True)).dtype == np.float32


def test_python_float_subclass_is_not_weak():
    class MyFloat(float):
        pass

    x = pj.ones(2, dtype=np.float32)
    expected = (np.ones(2, np.float32) + MyFloat(0.5)).dtype
    assert (x + MyFloat(0.5)).dtype == expected == np.float64


def test_comparison_with_numpy_float64_happens_in_float64():
    # float32(0.1) is above float64 0.1; weakly (in float32) they would compare equal.
    x = pj.tensor(np.array([0.1], np.float32))
    assert bool((x > np.float64(0.1)).item()) == bool(np.float32(0.1) > np.float64(0.1)) is True
    assert bool((x == np.float64(0.1)).item()) is False
    assert bool((x == 0.1).item()) is True  # a Python float compares in float32


def test_clip_with_numpy_scalar_bounds():
    x_np = np.array([-1.0, 0.5, 2.0], np.float32)
    x = pj.tensor(x_np)
    for lo, hi in [(np.float64(0), np.float64(1)), (np.float32(0), 1.0), (0.0, 1.0), (np.int64(0), None)]:
        expected = np.clip(x_np, lo, hi)
        got = pj.clip(x, lo, hi)
        assert got.dtype == expected.dtype, (lo, hi)
        np.testing.assert_allclose(np.asarray(got), expected)


def test_clip_with_numpy_scalar_bounds_has_the_gradient_of_number_bounds():
    # NumPy scalar bounds change the dtype, not clip's rule: gradient 1 up to and including them
    expected = None
    for lo, hi in [(0.0, 1.0), (np.float64(0.0), np.float64(1.0)), (np.float32(0.0), 1.0), (np.int64(0), np.int64(1))]:
        x = pj.tensor(np.array([-1.0, 0.0, 0.5, 1.0, 2.0], np.float32), requires_grad=True)
        pj.clip(x, lo, hi).sum().backward()
        assert x.grad.dtype == np.float32
        if expected is None:
            expected = np.asarray(x.grad).tolist()
        assert np.asarray(x.grad).tolist() == expected == [0, 1, 1, 1, 0], (lo, hi)


def test_in_place_ops_take_numpy_scalars():
    x = pj.zeros(3, dtype=np.float32)
    x.add_(np.float64(1.5))  # NumPy's a += np.float64(1.5) keeps a float32 (same_kind)
    assert x.dtype == np.float32 and np.asarray(x).tolist() == [1.5] * 3
    x.clamp_(np.float64(0.0), np.float32(1.0))
    assert np.asarray(x).tolist() == [1.0] * 3
    i = pj.zeros(2, dtype=np.int64)
    i.fill_(np.int64(2**62 + 1))  # exactly, not through a double
    assert np.asarray(i).tolist() == [2**62 + 1] * 2
    i.add_(np.int64(1), alpha=np.int64(2))
    assert np.asarray(i).tolist() == [2**62 + 3] * 2
    with pytest.raises(TypeError):
        i.add_(np.float64(1.5))  # float64 into int64 breaks same_kind, as in NumPy


# ---- uint64 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        np.uint64(2**64 - 1),
        np.array([1, 2**64 - 1], dtype=np.uint64),
        np.array([[2**63]], dtype=np.uint64),
        np.array([1, 2**64 - 1], dtype=np.uint64)[::-1],
    ],
    ids=["scalar", "array", "2-d at 2**63", "strided"],
)
def test_uint64_beyond_int64_raises_overflow(data):
    with pytest.raises(OverflowError) as ei:
        pj.tensor(data)
    m = str(ei.value)
    assert str(int(np.max(data))) in m and "int64" in m, m


def test_uint64_within_int64_converts_exactly():
    data = np.array([0, 1, 2**63 - 1], dtype=np.uint64)
    t = pj.tensor(data)
    assert t.dtype == np.int64 and np.asarray(t).tolist() == [0, 1, 2**63 - 1]
    assert pj.tensor(np.uint64(7)).item() == 7
    assert pj.tensor(np.array([], dtype=np.uint64)).shape == (0,)


def test_uint64_operand_beyond_int64_raises_instead_of_wrapping():
    x = pj.ones(2, dtype=np.int64)
    for f in (lambda: x + np.uint64(2**64 - 1), lambda: pj.add(x, np.array([2**63, 1], np.uint64))):
        with pytest.raises(OverflowError):
            f()


def test_python_int_in_uint64_range_still_raises_with_numpys_words():
    with pytest.raises(OverflowError, match="Python integer 18446744073709551615 out of bounds for int64"):
        pj.tensor(2**64 - 1)
