"""The op set under NumPy's names. Most are the C++ bindings themselves (no Python in the
op path); the few wrappers here only adapt NumPy-style arguments."""

from . import _core

add = _core.add
subtract = _core.subtract
multiply = _core.multiply
divide = _core.divide
true_divide = _core.divide
power = _core.power
negative = _core.negative
matmul = _core.matmul
dot = _core.dot
maximum = _core.maximum
minimum = _core.minimum
equal = _core.equal
not_equal = _core.not_equal
less = _core.less
less_equal = _core.less_equal
greater = _core.greater
greater_equal = _core.greater_equal
logical_not = _core.logical_not

exp = _core.exp
log = _core.log
log1p = _core.log1p
expm1 = _core.expm1
sqrt = _core.sqrt
square = _core.square
sin = _core.sin
cos = _core.cos
tan = _core.tan
tanh = _core.tanh
sigmoid = _core.sigmoid
relu = _core.relu
abs = _core.abs
absolute = _core.abs
sign = _core.sign
where = _core.where
clip = _core.clip

sum = _core.sum
mean = _core.mean
max = _core.max
min = _core.min
amax = _core.max
amin = _core.min
norm = _core.norm

reshape = _core.reshape
transpose = _core.transpose
broadcast_to = _core.broadcast_to
squeeze = _core.squeeze
expand_dims = _core.expand_dims
concatenate = _core.concatenate
stack = _core.stack


def astype(x, dtype):
    """x converted to ``dtype`` (differentiable between float dtypes)."""
    return _core.astype(x, dtype)


__all__ = [
    "add",
    "subtract",
    "multiply",
    "divide",
    "true_divide",
    "power",
    "negative",
    "matmul",
    "dot",
    "maximum",
    "minimum",
    "equal",
    "not_equal",
    "less",
    "less_equal",
    "greater",
    "greater_equal",
    "logical_not",
    "exp",
    "log",
    "log1p",
    "expm1",
    "sqrt",
    "square",
    "sin",
    "cos",
    "tan",
    "tanh",
    "sigmoid",
    "relu",
    "abs",
    "absolute",
    "sign",
    "where",
    "clip",
    "sum",
    "mean",
    "max",
    "min",
    "amax",
    "amin",
    "norm",
    "reshape",
    "transpose",
    "broadcast_to",
    "squeeze",
    "expand_dims",
    "concatenate",
    "stack",
    "astype",
]

# ---- erf (ops/activations.cpp; the other activations live in pyjac.nn.functional) -----------------
erf = _core.erf
__all__ += ["erf"]

# ---- array manipulation, diagonals and triangles, products, advanced indexing, einsum -----------
split = _core.split
array_split = _core.array_split
flip = _core.flip
tile = _core.tile
repeat = _core.repeat
moveaxis = _core.moveaxis
swapaxes = _core.swapaxes
ravel = _core.ravel
flatten = _core.flatten
diagonal = _core.diagonal
trace = _core.trace
triu = _core.triu
tril = _core.tril
outer = _core.outer
inner = _core.inner
kron = _core.kron
take = _core.take
take_along_axis = _core.take_along_axis
einsum = _core.einsum


def _per_axis_pairs(value, ndim, name, cast):
    """NumPy's pad argument forms (n, (n,), (before, after), ((b0, a0), ...)) as one pair per axis."""
    import numpy as np

    if _core.has_grad_path(value):
        raise TypeError(
            f"pad: {name} must be numbers or one 0-d tensor: pad is not differentiable in a tensor of "
            f"{name} with more than one value, so its gradient would be lost"
        )
    a = np.asarray(value)
    if a.dtype == object or a.ndim > 2:
        raise ValueError(f"pad: {name} must be a number or pairs of numbers, got {value!r}")
    try:
        a = np.broadcast_to(a, (ndim, 2))
    except ValueError:
        raise ValueError(
            f"pad: {name} {value!r} can't be broadcast to one (before, after) pair for each of {ndim} axes"
        ) from None
    if cast is int:
        if a.dtype.kind not in "iub":
            raise TypeError(f"pad: {name} must be integers, got {value!r}")
    return [(cast(b), cast(e)) for b, e in a.tolist()]


def pad(array, pad_width, mode="constant", constant_values=0):
    """NumPy's pad for modes 'constant', 'edge', 'reflect', 'symmetric' and 'wrap' (differentiable)."""
    x = array if isinstance(array, _core.Tensor) else _core.from_object(array)
    widths = _per_axis_pairs(pad_width, x.ndim, "pad_width", int)
    if mode == "constant" and isinstance(constant_values, _core.Tensor) and constant_values.ndim == 0:
        # A 0-d tensor fill is an operand: the padding is constant_values * (a pad of ones around
        # zeros), differentiable in it.
        ring = _core.pad(_core.full(x.shape, 0.0, x.dtype, "pad"), widths, mode, [(1.0, 1.0)] * x.ndim)
        return _core.pad(x, widths, mode, [(0.0, 0.0)] * x.ndim) + constant_values * ring
    values = _per_axis_pairs(constant_values, x.ndim, "constant_values", float) if mode == "constant" else []
    return _core.pad(x, widths, mode, values)


__all__ += [
    "split",
    "array_split",
    "flip",
    "tile",
    "repeat",
    "pad",
    "moveaxis",
    "swapaxes",
    "ravel",
    "flatten",
    "diagonal",
    "trace",
    "triu",
    "tril",
    "outer",
    "inner",
    "kron",
    "take",
    "take_along_axis",
    "einsum",
]

# ---- math functions, reductions beyond sum / mean / max / min, statistics, scans -----------------
arcsin = _core.arcsin
arccos = _core.arccos
arctan = _core.arctan
arctan2 = _core.arctan2
sinh = _core.sinh
cosh = _core.cosh
arcsinh = _core.arcsinh
arccosh = _core.arccosh
arctanh = _core.arctanh
log2 = _core.log2
log10 = _core.log10
exp2 = _core.exp2
reciprocal = _core.reciprocal
floor = _core.floor
ceil = _core.ceil
trunc = _core.trunc
round = _core.round  # half to even, as NumPy
around = _core.round
mod = _core.mod
remainder = _core.mod
floor_divide = _core.floor_divide

prod = _core.prod
var = _core.var
std = _core.std
logsumexp = _core.logsumexp
argmax = _core.argmax
argmin = _core.argmin
all = _core.all
any = _core.any
cumsum = _core.cumsum
cumprod = _core.cumprod

__all__ += [
    "arcsin",
    "arccos",
    "arctan",
    "arctan2",
    "sinh",
    "cosh",
    "arcsinh",
    "arccosh",
    "arctanh",
    "log2",
    "log10",
    "exp2",
    "reciprocal",
    "floor",
    "ceil",
    "trunc",
    "round",
    "around",
    "mod",
    "remainder",
    "floor_divide",
    "prod",
    "var",
    "std",
    "logsumexp",
    "argmax",
    "argmin",
    "all",
    "any",
    "cumsum",
    "cumprod",
]

# ---- more elementwise functions: roots, sinc, angles, sums of exponentials, NaN-ignoring extrema,
# truth-value logic (ops/math_functions.cpp, ops/arithmetic.cpp) -----------------------------------
cbrt = _core.cbrt
sinc = _core.sinc
fabs = _core.fabs
deg2rad = _core.deg2rad
radians = _core.deg2rad
rad2deg = _core.rad2deg
degrees = _core.rad2deg
logaddexp = _core.logaddexp
logaddexp2 = _core.logaddexp2
hypot = _core.hypot
fmax = _core.fmax
fmin = _core.fmin
logical_and = _core.logical_and
logical_or = _core.logical_or
logical_xor = _core.logical_xor

__all__ += [
    "cbrt",
    "sinc",
    "fabs",
    "deg2rad",
    "radians",
    "rad2deg",
    "degrees",
    "logaddexp",
    "logaddexp2",
    "hypot",
    "fmax",
    "fmin",
    "logical_and",
    "logical_or",
    "logical_xor",
]

# ---- NumPy's everyday array functions: stacking and rearranging, numerical functions, and other
# call forms (einsum's sublists, one-argument where); Python compositions of the ops above --------
from ._numerical import *  # noqa: E402,F401,F403
from ._numerical import __all__ as _numerical_all  # noqa: E402
from ._numpy_forms import einsum, nonzero, where  # noqa: E402,F401,F811 (einsum's sublists, where(cond))
from ._stacking import *  # noqa: E402,F401,F403
from ._stacking import __all__ as _stacking_all  # noqa: E402

__all__ += _stacking_all + _numerical_all + ["nonzero"]

# ---- sorting, order statistics and NaN handling (ops/sorting.cpp, pyjac/_sorting.py) -------------
from ._sorting import *  # noqa: E402,F401,F403
from ._sorting import __all__ as _sorting_all  # noqa: E402

__all__ += _sorting_all
