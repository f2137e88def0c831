"""Elementwise ops: unary functions, arithmetic (with tensors and with Python numbers on either
side), the math functions (inverse trig, hyperbolic, log2/log10/exp2, reciprocal, rounding,
arctan2, mod, //), comparisons, where, clip, astype, copy.

Families: "elementwise" (tests/test_ops_elementwise.py), "math" (tests/test_ops_math_functions.py).
"""

import numpy as np
import pytest

import pyjac as pj

from .core import (
    BOOL,
    F32,
    F64,
    I64,
    NONE,
    ZERO,
    Joint,
    OpCase,
    above_m1,
    above_one,
    as_float32,
    away_from_zero,
    between_integers,
    bools,
    inside_unit,
    ints,
    normal,
    positive,
    small,
)


def sigmoid_np(x):
    return 1.0 / (1.0 + np.exp(-x))


def relu_np(x):
    return np.maximum(x, 0)


def _t(a):
    return pj.tensor(np.asarray(a))


def _method(name):
    return lambda x: getattr(x, name)()


# torch parity tolerances, as the family tests had them
TORCH_TOL = {
    "elementwise": {"value": (1e-12, 0), "grad": (1e-12, 0), "second": (1e-12, 1e-14)},
    "math": {"value": (1e-13, 0), "grad": (1e-12, 1e-15), "second": (1e-11, 1e-13)},
}
TORCH_TOL_BINARY = {
    "elementwise": {"value": (1e-12, 0), "grad": (1e-12, 1e-14)},
    "math": {"value": (1e-13, 0), "grad": (1e-12, 1e-15), "second": (1e-11, 1e-14)},
}


# ---- unary ----------------------------------------------------------------------------------------
def unary(
    name,
    domain,
    ref,
    torch=None,
    family="elementwise",
    forms=None,
    method=True,
    derivative="smooth",
    shape=(2, 3),
    **kw,
):
    """The base entry of a unary op: id == name, sweep = (op, NumPy's), Tensor method as a form."""
    fn = getattr(pj, name)
    all_forms = {f"Tensor.{name}": _method(name)} if method else {}
    all_forms.update(forms or {})
    torch_fn = (lambda t, x: getattr(t, torch)(x)) if isinstance(torch, str) else torch
    return OpCase(
        name,
        name,
        fn,
        (shape,),
        domain,
        ref=ref,
        sweep=(fn, ref),
        derivative=derivative,
        torch=torch_fn,
        torch_tol=TORCH_TOL[family],
        forms=all_forms,
        family=family,
        tags={"unary"},
        sparsity="elementwise",
        **kw,
    )


UNARY = [
    unary("negative", normal, np.negative, "neg", method=False, forms={"Tensor.__neg__": lambda x: -x}),
    unary("exp", normal, np.exp, "exp"),
    unary("log", positive, np.log, "log"),
    unary("log1p", above_m1, np.log1p, "log1p"),
    unary("expm1", normal, np.expm1, "expm1"),
    unary("sqrt", positive, np.sqrt, "sqrt"),
    unary("square", normal, np.square, "square"),
    unary("sin", normal, np.sin, "sin"),
    unary("cos", normal, np.cos, "cos"),
    unary("tan", small, np.tan, "tan"),
    unary("tanh", normal, np.tanh, "tanh", forms={"nn.functional.tanh": pj.nn.functional.tanh}),
    unary("sigmoid", normal, sigmoid_np, "sigmoid", forms={"nn.functional.sigmoid": pj.nn.functional.sigmoid}),
    unary("relu", away_from_zero(), relu_np, "relu", forms={"nn.functional.relu": pj.nn.functional.relu}),
    unary("abs", away_from_zero(), np.abs, "abs", forms={"Tensor.__abs__": abs, "absolute": pj.absolute}),
    unary("sign", away_from_zero(), np.sign, "sign", derivative=ZERO),
    # the math functions
    unary("arcsin", inside_unit, np.arcsin, "asin", family="math"),
    unary("arccos", inside_unit, np.arccos, "acos", family="math"),
    unary("arctan", normal, np.arctan, "atan", family="math"),
    unary("sinh", normal, np.sinh, "sinh", family="math"),
    unary("cosh", normal, np.cosh, "cosh", family="math"),
    unary("arcsinh", normal, np.arcsinh, "asinh", family="math"),
    unary("arccosh", above_one, np.arccosh, "acosh", family="math"),
    unary("arctanh", inside_unit, np.arctanh, "atanh", family="math"),
    unary("log2", positive, np.log2, "log2", family="math"),
    unary("log10", positive, np.log10, "log10", family="math"),
    unary("exp2", normal, np.exp2, "exp2", family="math"),
    unary("reciprocal", away_from_zero(0.3, 1.5), np.reciprocal, "reciprocal", family="math"),
    unary("cbrt", away_from_zero(), np.cbrt, None, family="math", method=False),
    unary("sinc", normal, np.sinc, "sinc", family="math", method=False),
    unary("fabs", away_from_zero(), np.fabs, "abs", family="math", method=False),
    unary("deg2rad", normal, np.deg2rad, "deg2rad", family="math", method=False, forms={"radians": pj.radians}),
    unary("rad2deg", normal, np.rad2deg, "rad2deg", family="math", method=False, forms={"degrees": pj.degrees}),
    unary("floor", between_integers, np.floor, "floor", family="math", derivative=ZERO),
    unary("ceil", between_integers, np.ceil, "ceil", family="math", derivative=ZERO),
    unary("trunc", between_integers, np.trunc, "trunc", family="math", derivative=ZERO),
    unary(
        "round",
        between_integers,
        np.round,
        "round",
        family="math",
        derivative=ZERO,
        forms={"around": pj.around, "Tensor.__round__": round},
    ),
]

_ZEROS_AND_MORE = np.array([-2.0, 0.0, 3.0, 0.0, -0.5])

UNARY_VARIANTS = [
    # at the kink: abs'(0) = 0 and relu'(0) = 0 (finite differences of relu at 0 give 1/2)
    OpCase(
        "abs-at-zero",
        "abs",
        pj.abs,
        (_ZEROS_AND_MORE,),
        ref=np.abs,
        hess_fd=False,
        family="elementwise",
        tags={"unary"},
        sparsity="elementwise",
    ),
    OpCase(
        "relu-at-zero",
        "relu",
        pj.relu,
        (_ZEROS_AND_MORE,),
        ref=relu_np,
        fd=False,
        hess_fd=False,
        family="elementwise",
        tags={"unary"},
        sparsity="elementwise",
    ),
    OpCase(
        "sign-times-x",
        "sign",
        lambda x: pj.sign(x) * x,
        ((2, 3),),
        away_from_zero(0.3, 1.5),
        ref=lambda a: np.sign(a) * a,
        family="elementwise",
        tags={"unary"},
        sparsity="elementwise",
    ),
    OpCase(
        "round-decimals",
        "round",
        lambda x: pj.round(x, 2),
        (np.array([[0.1234, 4.5611, -2.0037], [1.0052, -0.3348, 7.2229]]),),
        ref=lambda a: np.round(a, 2),
        derivative=ZERO,
        family="math",
        tags={"unary"},
        sparsity="elementwise",
        forms={"Tensor.round": lambda x: x.round(2), "around": lambda x: pj.around(x, decimals=2)},
    ),
]


# ---- binary arithmetic -------------------------------------------------------------------------------
def distinct_pair(rng, sa, sb, gap=0.15):
    """Two arrays whose broadcast elements differ by more than `gap` (no ties for maximum/minimum)."""
    for _ in range(1000):
        a, b = rng.standard_normal(sa), rng.standard_normal(sb)
        if np.broadcast(a, b).size == 0 or np.min(np.abs(a - b)) > gap:
            return a, b
    raise RuntimeError("could not draw a tie-free pair")


def pair_div(rng, sa, sb):
    return rng.standard_normal(sa), rng.choice([-1.0, 1.0], size=sb) * rng.uniform(0.5, 1.5, sb)


def pair_pow(rng, sa, sb):
    return rng.uniform(0.5, 2.0, sa), rng.uniform(-1.5, 2.5, sb)


def pair_arctan2(rng, sa, sb):
    """y, x away from the origin (where arctan2 is not differentiable) and from the branch cut
    x < 0, y = 0."""
    return rng.standard_normal(sa), rng.uniform(0.3, 2.0, sb) * rng.choice([-1.0, 1.0], size=sb)


def mod_inputs_ok(a, b):
    q = np.asarray(a / b)
    return q.size == 0 or np.min(np.abs(q - np.round(q))) > 0.1


def pair_mod(rng, sa, sb):
    """a / b (broadcast) at least 0.1 away from integers, so a finite-difference step does not
    cross one of mod's (or //'s) jumps."""
    for _ in range(5000):
        a = rng.uniform(-6.0, 6.0, sa)
        b = rng.choice([-1.0, 1.0], size=sb) * rng.uniform(0.5, 2.0, sb)
        if mod_inputs_ok(a, b):
            return a, b
    raise RuntimeError("could not draw mod inputs away from the jumps")


def divisors_of(numerator):
    """x with numerator / x at least 0.1 away from integers (c % x and c // x away from their jumps)."""

    def sample(rng, shape):
        for _ in range(5000):
            x = rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.5, 2.0, shape)
            if mod_inputs_ok(np.full(shape, float(numerator)), x):
                return x
        raise RuntimeError("could not draw divisors away from the jumps")

    return sample


def binary(name, shapes, domain, ref, torch=None, family="elementwise", forms=None, derivative="smooth", **kw):
    fn = getattr(pj, name)
    torch_fn = (lambda t, x, y: getattr(t, torch)(x, y)) if isinstance(torch, str) else torch
    return OpCase(
        name,
        name,
        fn,
        shapes,
        Joint(domain),
        ref=ref,
        sweep=(fn, ref),
        derivative=derivative,
        torch=torch_fn,
        torch_tol=TORCH_TOL_BINARY[family],
        forms=forms or {},
        family=family,
        tags={"binary"},
        sparsity="elementwise",
        **kw,
    )


BINARY = [
    binary(
        "add",
        ((3, 4), (4,)),
        lambda r, a, b: (r.standard_normal(a), r.standard_normal(b)),
        np.add,
        "add",
        forms={"Tensor.__add__": lambda x, y: x + y},
    ),
    binary(
        "subtract",
        ((3, 4), (3, 1)),
        lambda r, a, b: (r.standard_normal(a), r.standard_normal(b)),
        np.subtract,
        "sub",
        forms={"Tensor.__sub__": lambda x, y: x - y},
    ),
    binary(
        "multiply",
        ((2, 3), (3,)),
        lambda r, a, b: (r.standard_normal(a), r.standard_normal(b)),
        np.multiply,
        "mul",
        forms={"Tensor.__mul__": lambda x, y: x * y},
    ),
    binary(
        "divide",
        ((2, 3), (3,)),
        pair_div,
        np.divide,
        "div",
        forms={"Tensor.__truediv__": lambda x, y: x / y, "true_divide": pj.true_divide},
    ),
    binary("power", ((2, 3), (3,)), pair_pow, np.power, "pow", forms={"Tensor.__pow__": lambda x, y: x**y}),
    binary("maximum", ((3, 4), (4,)), distinct_pair, np.maximum, "maximum"),
    binary("minimum", ((2, 3), (2, 3)), distinct_pair, np.minimum, "minimum"),
    # the math functions
    binary(
        "arctan2",
        ((3, 1), (4,)),
        pair_arctan2,
        np.arctan2,
        "atan2",
        family="math",
        forms={"Tensor.arctan2": lambda y, x: y.arctan2(x)},
    ),
    binary(
        "logaddexp",
        ((3, 1), (4,)),
        lambda r, a, b: (3 * r.standard_normal(a), 3 * r.standard_normal(b)),
        np.logaddexp,
        "logaddexp",
        family="math",
    ),
    binary(
        "logaddexp2",
        ((2, 3), (3,)),
        lambda r, a, b: (3 * r.standard_normal(a), 3 * r.standard_normal(b)),
        np.logaddexp2,
        "logaddexp2",
        family="math",
    ),
    binary("hypot", ((3, 1), (4,)), pair_arctan2, np.hypot, "hypot", family="math"),
    binary("fmax", ((3, 4), (4,)), distinct_pair, np.fmax, "fmax", family="math"),
    binary("fmin", ((2, 3), (2, 3)), distinct_pair, np.fmin, "fmin", family="math"),
    binary(
        "mod",
        ((3, 1), (4,)),
        pair_mod,
        np.mod,
        "remainder",
        family="math",
        forms={"remainder": pj.remainder, "Tensor.__mod__": lambda x, y: x % y},
    ),
    binary(
        "floor_divide",
        ((3, 1), (4,)),
        pair_mod,
        np.floor_divide,
        family="math",
        derivative=ZERO,
        forms={"Tensor.__floordiv__": lambda x, y: x // y},
    ),
]

_TIE_A, _TIE_B = np.array([1.0, 2.0, -1.0]), np.array([1.0, 0.0, -1.0])
_SINC_AT_INTEGERS = np.array([[0.0, 1.0, -2.0], [0.5, -0.05, 3.0]])


def _variant(id, name, fn, shapes, domain=normal, ref=None, family="elementwise", tags=("binary",), **kw):
    return OpCase(id, name, fn, shapes, domain, ref=ref, family=family, tags=set(tags), sparsity="elementwise", **kw)


BINARY_VARIANTS = [
    _variant("add-0d", "add", pj.add, ((), (2, 3)), ref=np.add),
    _variant("add-bcast-both", "Tensor.__add__", lambda x, y: x + y, ((2, 1, 3), (4, 1)), ref=np.add),
    _variant("subtract-lead", "Tensor.__sub__", lambda x, y: x - y, ((4,), (2, 3, 4)), ref=np.subtract),
    _variant("multiply-outer", "Tensor.__mul__", lambda x, y: x * y, ((3, 1), (1, 4)), ref=np.multiply),
    _variant("multiply-same", "Tensor.__mul__", lambda x: x * x, ((2, 3),), ref=lambda a: a * a),
    _variant(
        "divide-bcast",
        "Tensor.__truediv__",
        lambda x, y: x / y,
        ((3,), (2, 3)),
        (normal, away_from_zero(0.3, 1.5)),
        ref=np.divide,
    ),
    _variant("power-bcast", "Tensor.__pow__", lambda x, y: x**y, ((3,), (2, 3)), (positive, normal), ref=np.power),
    _variant("power-scalar-exponent", "power", lambda x: pj.power(x, 2.0), ((2, 3),), ref=lambda a: np.power(a, 2.0)),
    _variant("power-scalar-base", "power", lambda x: pj.power(0.5, x), ((4,),), ref=lambda a: np.power(0.5, a)),
    # ties: each side gets half (finite differences agree to first order, not to second)
    _variant(
        "arctan2-same-shape",
        "arctan2",
        pj.arctan2,
        ((2, 3), (2, 3)),
        Joint(pair_arctan2),
        ref=np.arctan2,
        family="math",
    ),
    _variant("arctan2-0d", "arctan2", pj.arctan2, ((), (2, 3)), Joint(pair_arctan2), ref=np.arctan2, family="math"),
    _variant("sinc-at-integers", "sinc", pj.sinc, (_SINC_AT_INTEGERS,), ref=np.sinc, family="math", tags=("unary",)),
    _variant("fmax-ties", "fmax", pj.fmax, (_TIE_A, _TIE_B), ref=np.fmax, family="math", hess_fd=False),
    _variant("hypot-0d", "hypot", pj.hypot, ((), (2, 3)), Joint(pair_arctan2), ref=np.hypot, family="math"),
    _variant("mod-same-shape", "mod", pj.mod, ((2, 3), (2, 3)), Joint(pair_mod), ref=np.mod, family="math"),
    _variant("mod-0d", "mod", pj.mod, ((), (2, 3)), Joint(pair_mod), ref=np.mod, family="math"),
    _variant("maximum-ties", "maximum", pj.maximum, (_TIE_A, _TIE_B), ref=np.maximum, hess_fd=False),
    _variant("minimum-ties", "minimum", pj.minimum, (_TIE_A, _TIE_B), ref=np.minimum, hess_fd=False),
]

# ---- Python numbers on either side (each rule has a fast path of its own) -----------------------------
# Run in a forked child (`isolated`): a crash in one scalar rule must not end the run.
_ISOLATED = (pytest.mark.isolated,)


def scalar(id, name, fn, **kw):
    return OpCase(
        id,
        name,
        fn,
        ((2, 3),),
        positive,
        ref=fn,
        family="elementwise",
        tags={"binary", "scalar"},
        marks=_ISOLATED,
        sparsity="elementwise",
        **kw,
    )


SCALAR_OPERANDS = [
    scalar("x+c", "Tensor.__add__", lambda x: x + 1.5),
    scalar("c+x", "Tensor.__radd__", lambda x: 1.5 + x),
    scalar("x-c", "Tensor.__sub__", lambda x: x - 1.5),
    scalar("c-x", "Tensor.__rsub__", lambda x: 1.5 - x),
    scalar("x*c", "Tensor.__mul__", lambda x: x * -2.5),
    scalar("c*x", "Tensor.__rmul__", lambda x: -2.5 * x),
    scalar("x/c", "Tensor.__truediv__", lambda x: x / 4.0),
    scalar("c/x", "Tensor.__rtruediv__", lambda x: 3.0 / x),
    scalar("x**3", "Tensor.__pow__", lambda x: x**3),
    scalar("x**0.5", "Tensor.__pow__", lambda x: x**0.5),
    scalar("x**-1.5", "Tensor.__pow__", lambda x: x**-1.5),
    scalar("x**0", "Tensor.__pow__", lambda x: x**0),
    scalar("x**0*x", "Tensor.__pow__", lambda x: x**0 * x),
    scalar("x**1", "Tensor.__pow__", lambda x: x**1),
    scalar("2**x", "Tensor.__rpow__", lambda x: 2.0**x),
    scalar("0.5**x", "Tensor.__rpow__", lambda x: 0.5**x),
    scalar("int**x", "Tensor.__rpow__", lambda x: 3**x),
    scalar("x*int", "Tensor.__mul__", lambda x: x * 3),
    scalar("int*x+int", "Tensor.__rmul__", lambda x: 2 * x + 1),
    scalar("int-x", "Tensor.__rsub__", lambda x: 3 - x),
    scalar("int/x", "Tensor.__rtruediv__", lambda x: 2 / x),
]

MATH_SCALAR_OPERANDS = [
    OpCase(
        "x%c",
        "Tensor.__mod__",
        lambda x: x % 1.5,
        ((2, 3),),
        divisors_of(1.0),
        ref=lambda a: a % 1.5,
        family="math",
        tags={"binary", "scalar"},
        sparsity="elementwise",
    ),
    OpCase(
        "c%x",
        "Tensor.__rmod__",
        lambda x: 4.0 % x,
        ((2, 3),),
        divisors_of(4.0),
        ref=lambda a: 4.0 % a,
        family="math",
        tags={"binary", "scalar"},
        sparsity="elementwise",
    ),
    OpCase(
        "c//x",
        "Tensor.__rfloordiv__",
        lambda x: 4.0 // x,
        ((2, 3),),
        divisors_of(4.0),
        ref=lambda a: 4.0 // a,
        derivative=ZERO,
        family="math",
        tags={"binary", "scalar"},
        sparsity="elementwise",
    ),
    OpCase(
        "divmod",
        "Tensor.__divmod__",
        lambda x, y: divmod(x, y),
        ((3, 1), (4,)),
        Joint(pair_mod),
        ref=lambda a, b: divmod(a, b),
        family="math",
        tags={"binary"},
        sparsity="elementwise",
    ),
    OpCase(
        "rdivmod",
        "Tensor.__rdivmod__",
        lambda x: divmod(3.0, x),
        ((2, 3),),
        divisors_of(3.0),
        ref=lambda a: divmod(3.0, a),
        family="math",
        tags={"binary", "scalar"},
        sparsity="elementwise",
    ),
]


# ---- comparisons: bool results, no gradient ------------------------------------------------------------
def comparison(name, operator):
    fn = getattr(pj, name)
    ref = getattr(np, name)
    return OpCase(
        name,
        name,
        fn,
        ((3, 1), (4,)),
        ints(-2, 3),
        ref=ref,
        sweep=(fn, ref),
        derivative=NONE,
        forms={f"Tensor.{operator}": getattr(__import__("operator"), operator.strip("_"))},
        family="comparison",
        tags={"binary"},
        dtypes=(F64, F32, I64),
    )


COMPARISONS = [
    comparison("equal", "__eq__"),
    comparison("not_equal", "__ne__"),
    comparison("less", "__lt__"),
    comparison("less_equal", "__le__"),
    comparison("greater", "__gt__"),
    comparison("greater_equal", "__ge__"),
    OpCase(
        "logical_not",
        "logical_not",
        pj.logical_not,
        ((2, 3),),
        bools,
        ref=np.logical_not,
        derivative=NONE,
        forms={"Tensor.__invert__": lambda x: ~x},
        family="comparison",
        tags={"unary"},
        dtypes=(BOOL,),
    ),
] + [
    OpCase(
        name,
        name,
        getattr(pj, name),
        ((2, 3), (3,)),
        lambda rng, shape: rng.choice([0.0, 0.0, 1.5, -2.0], shape),  # truth values: zero or not
        ref=getattr(np, name),
        derivative=NONE,
        family="comparison",
        tags={"logical"},
        dtypes=(F64, F32, I64, BOOL),
    )
    for name in ("logical_and", "logical_or", "logical_xor")
]

# ---- where, clip, astype, copy, + -------------------------------------------------------------------------
_MASK = np.array([[True, False, True], [False, False, True]])
_CLIP_X = np.array([[-0.9, -0.3, 0.1], [0.45, 0.7, -0.62]])

SELECTION = [
    OpCase(
        "where",
        "where",
        lambda x, y: pj.where(_t(_MASK), x, y),
        ((2, 3), (3,)),
        ref=lambda a, b: np.where(_MASK, a, b),
        torch=lambda t, x, y: t.where(t.tensor(_MASK), x, y),
        family="elementwise",
        tags={"selection"},
        sparsity="elementwise",
    ),
    OpCase(
        "where-computed-mask",
        "where",
        lambda x: pj.where(x > 0, pj.sin(x), x**2),
        ((2, 3),),
        away_from_zero(0.3, 1.5),
        ref=lambda a: np.where(a > 0, np.sin(a), a**2),
        family="elementwise",
        tags={"selection"},
        sparsity="elementwise",
    ),
    OpCase(
        "where-bcast-mask",
        "where",
        lambda x, y: pj.where(_t(np.array([True, False, True])), x, y),
        ((2, 3), (2, 1)),
        ref=lambda a, b: np.where(np.array([True, False, True]), a, b),
        family="elementwise",
        tags={"selection"},
        sparsity="elementwise",
    ),
    OpCase(
        "clip",
        "clip",
        lambda x: pj.clip(x, -0.5, 0.5),
        (_CLIP_X,),
        ref=lambda a: np.clip(a, -0.5, 0.5),
        torch=lambda t, x: t.clamp(x, -0.5, 0.5),
        forms={"Tensor.clip": lambda x: x.clip(-0.5, 0.5)},
        family="elementwise",
        tags={"selection"},
        sparsity="elementwise",
    ),
    OpCase(
        "clip-min-only",
        "clip",
        lambda x: pj.clip(x, -0.5, None),
        (_CLIP_X,),
        ref=lambda a: np.clip(a, -0.5, None),
        family="elementwise",
        tags={"selection"},
        sparsity="elementwise",
    ),
    OpCase(
        "clip-max-only",
        "Tensor.clip",
        lambda x: x.clip(None, 0.5),
        (_CLIP_X,),
        ref=lambda a: np.clip(a, None, 0.5),
        family="elementwise",
        tags={"selection"},
        sparsity="elementwise",
    ),
    OpCase(
        "clip-tensor-bounds",
        "clip",
        lambda x, lo, hi: pj.clip(x, lo, hi),
        (_CLIP_X, np.array([-0.5, -0.5, 0.3]), np.array([0.5, 0.6, 0.5])),
        ref=np.clip,
        family="elementwise",
        tags={"selection"},
        sparsity="elementwise",
    ),
    # dtype conversions (float32 on one side: looser tolerance, no finite differences)
    OpCase(
        "astype",
        "astype",
        lambda x: pj.astype(x, pj.float64) * 2.0,
        ((2, 3),),
        ref=lambda a: a * 2.0,
        forms={"Tensor.astype": lambda x: x.astype(pj.float64) * 2.0},
        dtypes=(F64,),
        family="elementwise",
        sparsity="elementwise",
    ),
    OpCase(
        "astype-64-to-32",
        "astype",
        lambda x: pj.astype(x, pj.float32) * 2.0,
        ((2, 3),),
        fd=False,
        tol=1e-5,
        batched=False,
        dtypes=(F64,),
        family="elementwise",
        sparsity="elementwise",
    ),
    OpCase(
        "astype-32-to-64",
        "astype",
        lambda x: pj.astype(x, pj.float64) ** 2,
        ((2, 3),),
        as_float32(normal),
        fd=False,
        tol=1e-5,
        batched=False,
        dtypes=(F32,),
        family="elementwise",
        sparsity="elementwise",
    ),
    OpCase(
        "astype-roundtrip",
        "Tensor.astype",
        lambda x: pj.sin(x.astype(pj.float32)).astype(pj.float64) * x,
        ((4,),),
        fd=False,
        tol=1e-5,
        batched=False,
        dtypes=(F64,),
        family="elementwise",
        sparsity="elementwise",
    ),
    OpCase(
        "copy",
        "Tensor.copy",
        lambda x: x.copy(),
        ((2, 3),),
        ref=np.copy,
        family="elementwise",
        sparsity="elementwise",
        dtypes=(F64, F32, I64),
        rtol=0,
    ),
    OpCase(
        "pos",
        "Tensor.__pos__",
        lambda x: +x,
        ((2, 3),),
        ref=np.positive,
        family="elementwise",
        sparsity="elementwise",
        dtypes=(F64, F32, I64),
        rtol=0,
    ),
]

CASES = (
    UNARY + UNARY_VARIANTS + BINARY + BINARY_VARIANTS + SCALAR_OPERANDS + MATH_SCALAR_OPERANDS + COMPARISONS + SELECTION
)
