"""NumPy's numerical array functions: diff, gradient, interp, convolve, correlate, cross, average,
ptp, select and tensordot.

Each is written in pyjac's differentiable ops (slicing, arithmetic, where, take, matmul, sums),
so every derivative, of every order and in both modes, comes from those ops' rules. Values are
read only to choose a branch or an index that is locally constant (interp's interval, the
uniform-spacing test in gradient, average's zero-weight check), never to replace a value.
"""

import operator
import warnings

import numpy as np

from . import _core
from ._core import Tensor
from ._creation import asarray
from ._stacking import _along, _at_least_1d, _axis
from ._vmap import every_example, per_example

_AxisError = np.exceptions.AxisError
_NOVALUE = object()


def _t(x):
    return x if isinstance(x, Tensor) else asarray(x)


def _is_float(t):
    return t.dtype.kind == "f"


def _axes_tuple(axis, ndim, name):
    if isinstance(axis, (tuple, list)):
        axes = tuple(_axis(a, ndim, name) for a in axis)
    else:
        axes = (_axis(axis, ndim, name),)
    if len(set(axes)) != len(axes):
        raise ValueError(f"{name}: repeated axis in {axis!r}")
    return axes


# ---- tensordot ------------------------------------------------------------------------------------
def tensordot(a, b, axes=2):
    """Sum of products over the last ``axes`` axes of a and the first of b (an int), or over the
    axes paired in ``axes = (axes_a, axes_b)``; the remaining axes of a, then of b."""
    a, b = _t(a), _t(b)
    if isinstance(axes, (list, tuple)):
        if len(axes) != 2:
            raise ValueError(f"tensordot: axes must be an int or a pair of axis sequences, got {axes!r}")
        axes_a, axes_b = axes
        axes_a = list(axes_a) if isinstance(axes_a, (list, tuple)) else [axes_a]
        axes_b = list(axes_b) if isinstance(axes_b, (list, tuple)) else [axes_b]
        if len(axes_a) != len(axes_b):
            raise ValueError(f"tensordot: shape-mismatch for sum: axes {axes_a} of a and {axes_b} of b")
        axes_a = [_axis(x, a.ndim, "tensordot") for x in axes_a]
        axes_b = [_axis(x, b.ndim, "tensordot") for x in axes_b]
    else:
        n = operator.index(axes)
        if n < 0 or n > a.ndim or n > b.ndim:
            raise ValueError(
                f"tensordot: shape-mismatch for sum: axes={n} for shapes {tuple(a.shape)} and {tuple(b.shape)}"
            )
        axes_a, axes_b = list(range(a.ndim - n, a.ndim)), list(range(n))
    sa, sb = tuple(a.shape), tuple(b.shape)
    for x, y in zip(axes_a, axes_b):
        if sa[x] != sb[y]:
            raise ValueError(
                f"tensordot: shape-mismatch for sum: axis {x} of a {sa} has length {sa[x]}, "
                f"axis {y} of b {sb} has length {sb[y]}"
            )
    free_a = [k for k in range(a.ndim) if k not in axes_a]
    free_b = [k for k in range(b.ndim) if k not in axes_b]

    def size(shape, dims):
        return int(np.prod([shape[k] for k in dims], dtype=np.int64))

    # explicit sizes: a -1 can't be inferred next to a zero-length axis
    at = _core.reshape(_core.transpose(a, free_a + axes_a), (size(sa, free_a), size(sa, axes_a)))
    bt = _core.reshape(_core.transpose(b, axes_b + free_b), (size(sb, axes_b), size(sb, free_b)))
    return _core.reshape(_core.matmul(at, bt), tuple(sa[k] for k in free_a) + tuple(sb[k] for k in free_b))


# ---- diff and gradient --------------------------------------------------------------------------
def diff(a, n=1, axis=-1, prepend=_NOVALUE, append=_NOVALUE):
    """n-th discrete difference along ``axis`` (a[1:] - a[:-1], n times); ``prepend`` / ``append``
    values (scalars broadcast) join a first. Bool arrays give a != (NumPy's rule)."""
    n = operator.index(n)
    a = _t(a)
    if n == 0:
        return a
    if n < 0:
        raise ValueError(f"diff: order must be non-negative but got {n}")
    if a.ndim == 0:
        raise ValueError("diff requires input that is at least one dimensional")
    axis = _axis(axis, a.ndim, "diff")
    parts = []
    for extra in (prepend, a, append):
        if extra is _NOVALUE:
            continue
        extra = _t(extra)
        if extra is not a and extra.ndim == 0:
            shape = list(a.shape)
            shape[axis] = 1
            extra = _core.broadcast_to(extra, tuple(shape))
        parts.append(extra)
    if len(parts) > 1:
        a = _core.concatenate(parts, axis)
    for _ in range(n):
        hi, lo = _along(a, axis, slice(1, None)), _along(a, axis, slice(None, -1))
        a = _core.not_equal(hi, lo) if a.dtype == np.bool_ else hi - lo
    return a


def _spacing(distances, length, axis_name):
    """gradient's spacing for one axis: a number, a 0-d tensor, or the 1-d differences of the
    coordinates (reduced to the first difference where all are equal, as NumPy, for coordinates
    given as constants; tensor coordinates always take the general formula, whose derivative in
    them is the true one)."""
    if isinstance(distances, Tensor):
        d = distances
    elif np.ndim(distances) == 0:
        return float(distances)
    else:
        d = asarray(distances)
    if d.ndim == 0:
        return d if d.dtype.kind == "f" else _core.astype(d, np.float64)
    if d.ndim != 1:
        raise ValueError("gradient: distances must be either scalars or 1d")
    if d.shape[0] != length:
        raise ValueError(
            f"gradient: when 1d, distances must match the length of the corresponding dimension "
            f"({d.shape[0]} coordinates for {axis_name} of length {length})"
        )
    if d.dtype.kind != "f":
        d = _core.astype(d, np.float64)
    dx = d[1:] - d[:-1]
    # Only constants (not tensors, which may require grad or carry a forward-mode tangent) take the
    # shortcut: the uniform formula reads one difference, so its derivative in the others is lost.
    if not isinstance(distances, Tensor) and dx.shape[0] > 0:
        values = dx.numpy()
        if (values == values[0]).all():
            return dx[0]
    return dx


def gradient(f, *varargs, axis=None, edge_order=1):
    """NumPy's finite-difference gradient: second-order central differences inside, first- or
    second-order (``edge_order``) one-sided differences at the ends. Spacing: none (1), one scalar
    for every axis, or one scalar or coordinate array per axis. One axis gives a tensor, several a
    tuple. Differentiable in f (and in tensor spacings or coordinates)."""
    f = _t(f)
    n_dims = f.ndim
    axes = tuple(range(n_dims)) if axis is None else _axes_tuple(axis, n_dims, "gradient")
    n = len(varargs)
    if n == 0:
        dx = [1.0] * len(axes)
    elif n == 1 and np.ndim(varargs[0]) == 0:
        dx = [varargs[0]] * len(axes)
    elif n == len(axes):
        dx = list(varargs)
    else:
        raise TypeError(f"gradient: invalid number of arguments: {n} spacings for {len(axes)} axes")
    edge_order = operator.index(edge_order)
    if edge_order > 2:
        raise ValueError("gradient: 'edge_order' greater than 2 not supported")
    if edge_order < 1:
        raise ValueError(f"gradient: 'edge_order' must be 1 or 2, got {edge_order}")
    otype = f.dtype if _is_float(f) else np.dtype(np.float64)
    if not _is_float(f):
        f = _core.astype(f, np.float64)
    outs = []
    for ax, spacing in zip(axes, dx):
        length = f.shape[ax]
        if length < edge_order + 1:
            raise ValueError(
                "gradient: Shape of array too small to calculate a numerical gradient, at least "
                f"(edge_order + 1) elements are required (axis {ax} of shape {tuple(f.shape)})"
            )
        h = _spacing(spacing, length, f"axis {ax}")
        uniform = not isinstance(h, Tensor) or h.ndim == 0

        def at(s, ax=ax):
            return _along(f, ax, s)

        def per_axis(v, ax=ax):  # a 1-d tensor of coefficients along axis `ax`
            shape = [1] * n_dims
            shape[ax] = -1
            return _core.reshape(v, tuple(shape))

        if uniform:
            inside = (at(slice(2, None)) - at(slice(None, -2))) / (2.0 * h)
        else:
            dx1, dx2 = h[:-1], h[1:]
            a = -dx2 / (dx1 * (dx1 + dx2))
            b = (dx2 - dx1) / (dx1 * dx2)
            c = dx1 / (dx2 * (dx1 + dx2))
            inside = (
                per_axis(a) * at(slice(None, -2)) + per_axis(b) * at(slice(1, -1)) + per_axis(c) * at(slice(2, None))
            )
        first, second, third = at(slice(0, 1)), at(slice(1, 2)), at(slice(2, 3))
        last, last2, last3 = at(slice(-1, None)), at(slice(-2, -1)), at(slice(-3, -2))
        if edge_order == 1:
            start = (second - first) / (h if uniform else h[0])
            end = (last - last2) / (h if uniform else h[-1])
        else:
            if uniform:
                a, b, c = -1.5 / h, 2.0 / h, -0.5 / h
            else:
                dx1, dx2 = h[0], h[1]
                a = -(2.0 * dx1 + dx2) / (dx1 * (dx1 + dx2))
                b = (dx1 + dx2) / (dx1 * dx2)
                c = -dx1 / (dx2 * (dx1 + dx2))
            start = a * first + b * second + c * third
            if uniform:
                a, b, c = 0.5 / h, -2.0 / h, 1.5 / h
            else:
                dx1, dx2 = h[-2], h[-1]
                a = dx2 / (dx1 * (dx1 + dx2))
                b = -(dx2 + dx1) / (dx1 * dx2)
                c = (2.0 * dx2 + dx1) / (dx2 * (dx1 + dx2))
            end = a * last3 + b * last2 + c * last
        out = _core.concatenate([start, inside, end], ax)
        outs.append(out if out.dtype == otype else _core.astype(out, otype))
    return outs[0] if len(axes) == 1 else tuple(outs)


# ---- interp -------------------------------------------------------------------------------------
@per_example(over=("xp",))  # the order of periodic sample points is worked out in NumPy
def interp(x, xp, fp, left=None, right=None, period=None):
    """Piecewise-linear interpolation of the points (xp, fp) at x, as NumPy's (float64 results;
    ``left`` / ``right`` outside, default fp[0] / fp[-1]; ``period`` for periodic xp).

    Differentiable in x, fp, left, right and xp: the interval each x falls in is found from the
    values (it is constant near any x not at a sample point), the interpolation formula is then
    differentiable ops. At a sample point the derivative in x is one-sided (the right interval's
    slope; the last point uses the last interval)."""
    x, xp, fp = (_core.astype(v, np.float64) if v.dtype != np.float64 else v for v in (_t(x), _t(xp), _t(fp)))
    if xp.ndim != 1 or fp.ndim != 1:
        raise ValueError(f"interp: xp and fp must be 1-d sequences, got shapes {tuple(xp.shape)} and {tuple(fp.shape)}")
    if xp.shape[0] != fp.shape[0]:
        raise ValueError(f"interp: fp and xp are not of the same length ({fp.shape[0]} and {xp.shape[0]})")
    if xp.shape[0] == 0:
        raise ValueError("interp: array of sample points is empty")
    if period is not None:
        period = _core.number_param(period, "interp", "period")  # a constant of the problem: no derivative
        if period == 0:
            raise ValueError("interp: period must be a non-zero value")
        period = abs(period)
        left = right = None
        x = _core.mod(x, _core.astype(asarray(period), np.float64))
        xp = _core.mod(xp, _core.astype(asarray(period), np.float64))
        order = np.argsort(xp.numpy(force=True), kind="stable")
        xp, fp = xp[asarray(order)], fp[asarray(order)]
        xp = _core.concatenate([xp[-1:] - period, xp, xp[:1] + period], 0)
        fp = _core.concatenate([fp[-1:], fp, fp[:1]], 0)
    m = xp.shape[0]
    lo = fp[0] if left is None else _t(left)
    hi = fp[-1] if right is None else _t(right)
    if m == 1:
        inside = _core.broadcast_to(fp[0], tuple(x.shape))
    else:
        # the interval of each x: a constant of the values (searchsorted batches under vmap)
        j = _core.clip(_core.searchsorted(xp.detach(), x.detach(), "right", None) - 1, 0, m - 2)
        x0, x1, f0, f1 = xp[j], xp[j + 1], fp[j], fp[j + 1]
        slope = (f1 - f0) / (x1 - x0)
        # x outside, infinite or NaN takes another branch below: x0 in its place keeps the unused
        # branch finite, so its zero cotangent can't become 0 * inf = NaN in fp's gradient
        xs = _core.where(x >= xp[0], _core.where(x <= xp[-1], x, x0), x0)
        # x at the last sample point gives fp[-1] exactly, as NumPy, with the last interval's slope
        inside = _core.where(xs == xp[-1], slope * (xs - x1) + f1, slope * (xs - x0) + f0)
        inside = _core.where(x != x, x, inside)  # NaN stays NaN
    out = _core.where(x < xp[0], lo, _core.where(x > xp[-1], hi, inside))
    return out if out.dtype == np.float64 else _core.astype(out, np.float64)


# ---- convolve and correlate -----------------------------------------------------------------------
_WINDOW_ELEMENTS = 1 << 20  # the largest (outputs x taps) block of windows gathered at once


def _correlate_long(a, v, mode, name):
    """c[k] = sum_j a[k + j - s] v[j] for a at least as long as v, as NumPy's modes cut it:
    'full' (n + m - 1 outputs), 'same' (n, centred), 'valid' (n - m + 1). The windows of a are
    gathered (take) and multiplied by v (matmul), in blocks that bound the memory."""
    n, m = a.shape[0], v.shape[0]
    if mode == "full":
        start, length = 0, n + m - 1
    elif mode == "same":
        start, length = (m - 1) // 2, n
    elif mode == "valid":
        start, length = m - 1, n - m + 1
    else:
        raise ValueError(f"{name}: mode must be one of 'valid', 'same', or 'full', got {mode!r}")
    padded = _core.pad(a, [(m - 1, m - 1)], "constant", [(0.0, 0.0)]) if m > 1 else a
    rows = max(1, _WINDOW_ELEMENTS // m)
    taps = np.arange(m, dtype=np.int64)
    blocks = []
    for first in range(0, length, rows):
        k = np.arange(first, min(length, first + rows), dtype=np.int64)
        windows = _core.take(padded, asarray(start + k[:, None] + taps[None, :]), None)
        blocks.append(_core.matmul(windows, v))
    return blocks[0] if len(blocks) == 1 else _core.concatenate(blocks, 0)


def _one_d_pair(a, v, name):
    a, v = _at_least_1d(_t(a)), _at_least_1d(_t(v))
    if a.ndim != 1 or v.ndim != 1:
        raise ValueError(
            f"{name}: object too deep for desired array: inputs must be 1-d, "
            f"got shapes {tuple(a.shape)} and {tuple(v.shape)}"
        )
    return a, v


def correlate(a, v, mode="valid"):
    """Cross-correlation of two 1-d sequences, c[k] = sum_n a[n + k] v[n] (NumPy's modes
    'valid' (default), 'same', 'full'). Differentiable in both."""
    a, v = _one_d_pair(a, v, "correlate")
    if a.shape[0] == 0 or v.shape[0] == 0:
        raise ValueError(f"correlate: {'a' if a.shape[0] == 0 else 'v'} cannot be empty")
    if v.shape[0] > a.shape[0]:  # NumPy: swap, and reverse the result
        return _core.flip(_correlate_long(v, a, mode, "correlate"), None)
    return _correlate_long(a, v, mode, "correlate")


def convolve(a, v, mode="full"):
    """Discrete linear convolution of two 1-d sequences (NumPy's modes 'full' (default), 'same',
    'valid'). Differentiable in both."""
    a, v = _one_d_pair(a, v, "convolve")
    if a.shape[0] == 0:
        raise ValueError("convolve: a cannot be empty")
    if v.shape[0] == 0:
        raise ValueError("convolve: v cannot be empty")
    if v.shape[0] > a.shape[0]:
        a, v = v, a
    return _correlate_long(a, _core.flip(v, None), mode, "convolve")


# ---- cross --------------------------------------------------------------------------------------
def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Cross product of (arrays of) 3-vectors, broadcast; 2-vectors as NumPy 2 (deprecated there:
    warns as NumPy): two 2-vectors give the z-component, a 2-vector with a 3-vector a z of 0."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = _t(a), _t(b)
    if a.ndim < 1 or b.ndim < 1:
        raise ValueError("cross: At least one array has zero dimension")
    a = _core.moveaxis(a, _axis(axisa, a.ndim, "cross", "axisa"), -1)
    b = _core.moveaxis(b, _axis(axisb, b.ndim, "cross", "axisb"), -1)
    na, nb = a.shape[-1], b.shape[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError(
            f"cross: incompatible dimensions for cross product (dimension must be 2 or 3), got {na} and {nb}"
        )
    if na == 2 or nb == 2:
        warnings.warn(
            "Arrays of 2-dimensional vectors are deprecated. Use arrays of 3-dimensional vectors instead. "
            "(deprecated in NumPy 2.0)",
            DeprecationWarning,
            stacklevel=2,
        )
    try:
        shape = np.broadcast_shapes(tuple(a.shape[:-1]), tuple(b.shape[:-1]))
    except ValueError:
        raise ValueError(
            f"cross: shape mismatch: vectors of shapes {tuple(a.shape)} and {tuple(b.shape)} don't broadcast"
        ) from None
    a0, a1, b0, b1 = a[..., 0], a[..., 1], b[..., 0], b[..., 1]
    z = a0 * b1 - a1 * b0
    if na == 2 and nb == 2:
        return z
    if na == 2:
        b2 = b[..., 2]
        x, y = a1 * b2, -(a0 * b2)
    elif nb == 2:
        a2 = a[..., 2]
        x, y = -(a2 * b1), a2 * b0
    else:
        a2, b2 = a[..., 2], b[..., 2]
        x, y = a1 * b2 - a2 * b1, a2 * b0 - a0 * b2
    out = _core.stack([_core.broadcast_to(c, shape) for c in (x, y, z)], -1)
    return _core.moveaxis(out, -1, _axis(axisc, len(shape) + 1, "cross", "axisc"))


# ---- average, ptp, select -------------------------------------------------------------------------
def average(a, axis=None, weights=None, returned=False, *, keepdims=False):
    """Weighted average along ``axis`` (NumPy's: 1-d weights along one axis or weights of a's shape;
    ``returned`` also gives the sum of the weights, broadcast to the result's shape). Integer inputs
    average in float64. Differentiable in a and in the weights."""
    a = _t(a)
    axes = None if axis is None else _axes_tuple(axis, a.ndim, "average")
    keepdims = bool(keepdims)
    if weights is None:
        if not _is_float(a):
            a = _core.astype(a, np.float64)
        avg = _core.mean(a, axes, keepdims)
        scl = asarray(np.asarray(a.size / avg.size, dtype=avg.dtype))
    else:
        w = _t(weights)
        # NumPy: integer and bool inputs average in (at least) float64
        dtype = np.result_type(a.dtype, w.dtype) if _is_float(a) else np.result_type(a.dtype, w.dtype, np.float64)
        if tuple(a.shape) != tuple(w.shape):
            if axes is None:
                raise TypeError(
                    f"average: Axis must be specified when shapes of a and weights differ "
                    f"({tuple(a.shape)} and {tuple(w.shape)})"
                )
            if tuple(w.shape) != tuple(a.shape[ax] for ax in axes):
                raise ValueError(
                    f"average: Shape of weights must be consistent with shape of a along specified axis "
                    f"(weights {tuple(w.shape)}, a {tuple(a.shape)}, axis {axis!r})"
                )
            w = _core.transpose(w, [int(i) for i in np.argsort(axes)])
            w = _core.reshape(w, tuple(s if ax in axes else 1 for ax, s in enumerate(a.shape)))
        a = a if a.dtype == dtype else _core.astype(a, dtype)
        w = w if w.dtype == dtype else _core.astype(w, dtype)
        scl = _core.sum(w, axes, keepdims)
        if bool((every_example(scl)[0] == 0.0).any()):
            raise ZeroDivisionError("average: Weights sum to zero, can't be normalized")
        avg = _core.sum(a * w, axes, keepdims) / scl
    if returned:
        if tuple(scl.shape) != tuple(avg.shape):
            scl = _core.copy(_core.broadcast_to(scl, tuple(avg.shape)))
        return avg, scl
    return avg


def ptp(a, axis=None, keepdims=False):
    """Peak to peak: max - min along ``axis`` (ties share the gradient as max and min do)."""
    a = _t(a)
    try:
        return _core.max(a, axis, keepdims) - _core.min(a, axis, keepdims)
    except ValueError as e:
        raise ValueError(f"ptp: {e}") from None


def select(condlist, choicelist, default=0):
    """Elements from the choice of the first true condition, else ``default`` (all broadcast).
    Differentiable in the choices and in the default."""
    if len(condlist) != len(choicelist):
        raise ValueError(
            f"select: list of cases must be same length as list of conditions ({len(choicelist)} and {len(condlist)})"
        )
    if len(condlist) == 0:
        raise ValueError("select with an empty condition list is not possible")
    conds = [_t(c) for c in condlist]
    for i, c in enumerate(conds):
        if c.dtype != np.bool_:
            raise TypeError(f"select: invalid entry {i} in condlist: should be boolean ndarray, got {c.dtype}")
    choices = [_t(c) for c in choicelist]
    python_default = isinstance(default, (int, float, bool)) and not isinstance(default, np.generic)
    default_t = _t(default)
    dtype = np.result_type(*[c.dtype for c in choices], default if python_default else default_t.dtype)
    shapes = [tuple(t.shape) for t in conds + choices + [default_t]]
    try:
        shape = np.broadcast_shapes(*shapes)
    except ValueError:
        raise ValueError(
            f"select: shape mismatch: conditions, choices and default of shapes {shapes} don't broadcast"
        ) from None
    result = _core.broadcast_to(default_t if default_t.dtype == dtype else _core.astype(default_t, dtype), shape)
    for cond, choice in zip(conds[::-1], choices[::-1]):
        result = _core.where(cond, choice if choice.dtype == dtype else _core.astype(choice, dtype), result)
    # where with every input broadcast already returns a new tensor except where nothing was selected
    return result


__all__ = [
    "tensordot",
    "diff",
    "gradient",
    "interp",
    "convolve",
    "correlate",
    "cross",
    "average",
    "ptp",
    "select",
]
