"""NumPy's functions that build, stack, split and rearrange arrays: array, atleast_1d/2d/3d,
vstack hstack dstack column_stack row_stack, vsplit hsplit dsplit, append, roll, rot90, flipud,
fliplr, rollaxis, diag, diagflat, meshgrid and the index tricks r_ and c_.

Each is written in pyjac's differentiable ops (reshape, transpose, slicing, concatenate, pad,
broadcast_to, copy), so every derivative, of every order and in both modes, comes from those ops'
rules; nothing here computes on values. NumPy's semantics and error messages are followed
(NumPy 2: several arguments to atleast_* and meshgrid give tuples, split functions give lists).
"""

import numbers
import operator
import warnings

import numpy as np

from . import _core
from ._core import Tensor
from ._creation import arange, asarray, linspace, zeros

_AxisError = np.exceptions.AxisError


def _t(x):
    return x if isinstance(x, Tensor) else asarray(x)


def _axis(axis, ndim, name, argname="axis"):
    """A normalized axis, or NumPy's AxisError (a ValueError and an IndexError) naming the function."""
    axis = operator.index(axis)
    if not -ndim <= axis < ndim:
        raise _AxisError(f"{name}: {argname} {axis} is out of bounds for array of dimension {ndim}")
    return axis % ndim if ndim else 0


def _along(x, axis, index):
    """x[:, ..., :, index] with `index` at position `axis`."""
    return x[(slice(None),) * axis + (index,)]


# ---- array ------------------------------------------------------------------------------------
def array(object, dtype=None, *, copy=True, order="K", ndmin=0):
    """NumPy's array: ``object`` (nested lists, numbers, NumPy arrays, a Tensor) as a new tensor.

    A Tensor keeps its gradient path: the copy (and a cast between float dtypes) is differentiable.
    ``copy=None`` copies only where needed, ``copy=False`` raises where a copy is needed, as in
    NumPy 2; ``ndmin`` prepends length-1 axes.
    """
    if order not in ("K", "A", "C", None):
        raise ValueError(
            f"array: order={order!r} is not supported (pyjac's tensors are C-ordered; use 'K', 'A' or 'C')"
        )
    ndmin = operator.index(ndmin)
    if ndmin > 64:
        raise ValueError(f"array: ndmin bigger than allowable number of dimensions NPY_MAXDIMS (64), got {ndmin}")
    want = None if dtype is None else np.dtype(dtype)
    if isinstance(object, Tensor):
        cast = want is not None and want != object.dtype
        if copy is False and cast:
            raise ValueError(
                f"array: unable to avoid a copy while converting a {object.dtype} tensor to {want} (copy=False)"
            )
        if cast:
            out = _core.astype(object, want)  # a new tensor already
        elif copy:
            out = _core.copy(object)
        else:
            out = object
    else:
        if copy is False:
            raise ValueError(
                f"array: unable to avoid a copy while creating a tensor from {type(object).__name__} (copy=False)"
            )
        out = asarray(object, dtype=want)
    if out.ndim < ndmin:
        out = _core.reshape(out, (1,) * (ndmin - out.ndim) + tuple(out.shape))
    return out


# ---- at least n dimensions --------------------------------------------------------------------
def _one_or_tuple(results):
    return results[0] if len(results) == 1 else tuple(results)


def _at_least_1d(a):
    a = _t(a)
    return _core.reshape(a, (1,)) if a.ndim == 0 else a


def _at_least_2d(a):
    a = _t(a)
    if a.ndim == 0:
        return _core.reshape(a, (1, 1))
    if a.ndim == 1:
        return _core.reshape(a, (1, a.shape[0]))
    return a


def _at_least_3d(a):
    a = _t(a)
    if a.ndim == 0:
        return _core.reshape(a, (1, 1, 1))
    if a.ndim == 1:
        return _core.reshape(a, (1, a.shape[0], 1))
    if a.ndim == 2:
        return _core.reshape(a, tuple(a.shape) + (1,))
    return a


def atleast_1d(*arys):
    """Each input with at least one axis (0-d -> (1,)); one input gives a tensor, several a tuple."""
    return _one_or_tuple([_at_least_1d(a) for a in arys])


def atleast_2d(*arys):
    """Each input with at least two axes ((n,) -> (1, n)); one input gives a tensor, several a tuple."""
    return _one_or_tuple([_at_least_2d(a) for a in arys])


def atleast_3d(*arys):
    """Each input with at least three axes ((n,) -> (1, n, 1), (m, n) -> (m, n, 1)); one input gives a
    tensor, several a tuple."""
    return _one_or_tuple([_at_least_3d(a) for a in arys])


# ---- stacking ---------------------------------------------------------------------------------
def _arrays(tup, name):
    if isinstance(tup, Tensor) or not isinstance(tup, (list, tuple)):
        raise TypeError(f"{name}: arrays to stack must be passed as a sequence type such as list or tuple")
    return list(tup)


def _cast(t, dtype):
    return t if dtype is None or np.dtype(dtype) == t.dtype else _core.astype(t, dtype)


def vstack(tup, *, dtype=None):
    """Stacks along the first axis after atleast_2d ((n,) arrays become rows)."""
    arrs = [_at_least_2d(a) for a in _arrays(tup, "vstack")]
    return _cast(_core.concatenate(arrs, 0), dtype)


def row_stack(tup, *, dtype=None):
    """NumPy 2's deprecated alias of vstack (warns as NumPy does)."""
    warnings.warn("`row_stack` alias is deprecated. Use `pyjac.vstack` directly.", DeprecationWarning, stacklevel=2)
    return vstack(tup, dtype=dtype)


def hstack(tup, *, dtype=None):
    """Stacks along the second axis, or the first for 1-d arrays (after atleast_1d)."""
    arrs = [_at_least_1d(a) for a in _arrays(tup, "hstack")]
    axis = 0 if arrs and arrs[0].ndim == 1 else 1
    return _cast(_core.concatenate(arrs, axis), dtype)


def dstack(tup):
    """Stacks along the third axis after atleast_3d."""
    arrs = [_at_least_3d(a) for a in _arrays(tup, "dstack")]
    return _core.concatenate(arrs, 2)


def column_stack(tup):
    """1-d arrays as columns ((n,) -> (n, 1)), 2-d arrays as they are, stacked along the second axis."""
    arrs = []
    for v in _arrays(tup, "column_stack"):
        a = _t(v)
        if a.ndim < 2:
            a = _core.reshape(a, (-1, 1))
        arrs.append(a)
    return _core.concatenate(arrs, 1)


# ---- splitting --------------------------------------------------------------------------------
def vsplit(ary, indices_or_sections):
    """split along the first axis, for arrays of 2 or more dimensions."""
    ary = _t(ary)
    if ary.ndim < 2:
        raise ValueError(f"vsplit only works on arrays of 2 or more dimensions, got shape {tuple(ary.shape)}")
    return _core.split(ary, indices_or_sections, 0)


def hsplit(ary, indices_or_sections):
    """split along the second axis (the first for 1-d arrays)."""
    ary = _t(ary)
    if ary.ndim == 0:
        raise ValueError("hsplit only works on arrays of 1 or more dimensions, got a 0-d array")
    return _core.split(ary, indices_or_sections, 1 if ary.ndim > 1 else 0)


def dsplit(ary, indices_or_sections):
    """split along the third axis, for arrays of 3 or more dimensions."""
    ary = _t(ary)
    if ary.ndim < 3:
        raise ValueError(f"dsplit only works on arrays of 3 or more dimensions, got shape {tuple(ary.shape)}")
    return _core.split(ary, indices_or_sections, 2)


# ---- append, roll, rotations and flips --------------------------------------------------------
def append(arr, values, axis=None):
    """``values`` appended to ``arr``: both flattened when axis is None, else concatenated along axis."""
    arr, values = _t(arr), _t(values)
    if axis is None:
        if arr.ndim != 1:
            arr = _core.ravel(arr)
        values = _core.ravel(values)
        axis = arr.ndim - 1
    return _core.concatenate([arr, values], axis)


def roll(a, shift, axis=None):
    """Elements shifted along the axes (cyclically); shift and axis may be tuples (broadcast
    together; shifts of a repeated axis add up). axis=None rolls the flattened array."""
    a = _t(a)
    if axis is None:
        return _core.reshape(roll(_core.ravel(a), shift, 0), tuple(a.shape))
    try:
        pairs = np.broadcast(np.asarray(shift), np.asarray(axis))
    except ValueError:
        raise ValueError(
            f"roll: 'shift' and 'axis' should be scalars or 1D sequences, got {shift!r} and {axis!r}"
        ) from None
    if pairs.nd > 1:
        raise ValueError("roll: 'shift' and 'axis' should be scalars or 1D sequences")
    shifts = {}
    for s, ax in pairs:
        if not (np.issubdtype(type(s), np.integer) and np.issubdtype(type(ax), np.integer)):
            raise TypeError(f"roll: shift and axis must be integers, got shift={shift!r}, axis={axis!r}")
        ax = _axis(int(ax), a.ndim, "roll")
        shifts[ax] = shifts.get(ax, 0) + int(s)
    out = a
    for ax, s in shifts.items():
        n = out.shape[ax]
        s = s % n if n else 0
        if s:
            out = _core.concatenate([_along(out, ax, slice(n - s, None)), _along(out, ax, slice(0, n - s))], ax)
    # NumPy's roll always returns a new array
    return _core.copy(out) if out is a else out


def _flip_checked(m, ndim, axis, message):
    m = _t(m)
    if m.ndim < ndim:
        raise ValueError(f"{message} Input must be >= {ndim}-d, got shape {tuple(m.shape)}")
    return _core.flip(m, axis)


def flipud(m):
    """Reverses the order of the rows (axis 0)."""
    return _flip_checked(m, 1, 0, "flipud:")


def fliplr(m):
    """Reverses the order of the columns (axis 1)."""
    return _flip_checked(m, 2, 1, "fliplr:")


def rot90(m, k=1, axes=(0, 1)):
    """Rotation by 90 degrees k times in the plane of ``axes``, from the first axis towards the second."""
    m = _t(m)
    axes = tuple(axes)
    if len(axes) != 2:
        raise ValueError(f"rot90: len(axes) must be 2, got axes={axes}")
    a0, a1 = operator.index(axes[0]), operator.index(axes[1])
    if a0 == a1 or abs(a0 - a1) == m.ndim:
        raise ValueError(f"rot90: Axes must be different, got axes={axes} for an array of ndim={m.ndim}")
    if not (-m.ndim <= a0 < m.ndim and -m.ndim <= a1 < m.ndim):
        raise ValueError(f"rot90: Axes={axes} out of range for array of ndim={m.ndim}.")
    k = operator.index(k) % 4
    if k == 0:
        return m[...]
    if k == 2:
        return _core.flip(_core.flip(m, a0), a1)
    perm = list(range(m.ndim))
    perm[a0], perm[a1] = perm[a1], perm[a0]
    if k == 1:
        return _core.transpose(_core.flip(m, a1), perm)
    return _core.flip(_core.transpose(m, perm), a1)


def rollaxis(a, axis, start=0):
    """NumPy's rollaxis: ``axis`` moved to before position ``start`` (moveaxis is the clearer spelling)."""
    a = _t(a)
    n = a.ndim
    axis = _axis(axis, n, "rollaxis")
    start = given = operator.index(start)
    if start < 0:
        start += n
    if not 0 <= start < n + 1:
        raise _AxisError(f"rollaxis: 'start' arg requires {-n} <= start < {n + 1}, but {given} was passed in")
    if axis < start:
        start -= 1
    if axis == start:
        return a[...]
    perm = list(range(n))
    perm.remove(axis)
    perm.insert(start, axis)
    return _core.transpose(a, perm)


# ---- diagonals ----------------------------------------------------------------------------------
def _diag_matrix(v, k):
    """The square matrix with the 1-d ``v`` on its k-th diagonal and zeros elsewhere, by selection
    only: rows [v_i, 0, ..., 0] of length n + 1, laid end to end and cut into rows of length n,
    put v_i at column i of row i (then padding shifts it to the k-th diagonal)."""
    n = v.shape[0]
    rows = _core.concatenate([_core.reshape(v, (n, 1)), zeros((n, n), dtype=v.dtype)], 1)
    square = _core.reshape(_core.ravel(rows)[: n * n], (n, n))
    if k == 0:
        return square
    if k > 0:
        return _core.pad(square, [(0, k), (k, 0)], "constant", [(0.0, 0.0), (0.0, 0.0)])
    return _core.pad(square, [(-k, 0), (0, -k)], "constant", [(0.0, 0.0), (0.0, 0.0)])


def diag(v, k=0):
    """A 1-d ``v`` on the k-th diagonal of a square matrix, or the k-th diagonal of a 2-d ``v``."""
    v = _t(v)
    k = operator.index(k)
    if v.ndim == 1:
        return _diag_matrix(v, k)
    if v.ndim == 2:
        return _core.diagonal(v, k, 0, 1)
    raise ValueError(f"diag: Input must be 1- or 2-d, got shape {tuple(v.shape)}")


def diagflat(v, k=0):
    """The flattened input on the k-th diagonal of a square matrix."""
    return _diag_matrix(_core.ravel(_t(v)), operator.index(k))


# ---- meshgrid -----------------------------------------------------------------------------------
def meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    """Coordinate arrays from coordinate vectors (each input flattened), as a tuple. indexing='xy'
    swaps the first two output axes (Cartesian), 'ij' keeps matrix order; sparse=True leaves the
    outputs unbroadcast; copy=False returns broadcast views."""
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: Valid values for `indexing` are 'xy' and 'ij', got {indexing!r}")
    ndim = len(xi)
    ones = (1,) * ndim
    out = [_core.reshape(_t(x), ones[:i] + (-1,) + ones[i + 1 :]) for i, x in enumerate(xi)]
    if indexing == "xy" and ndim > 1:
        out[0] = _core.reshape(out[0], (1, -1) + ones[2:])
        out[1] = _core.reshape(out[1], (-1, 1) + ones[2:])
    if not sparse:
        shape = np.broadcast_shapes(*[tuple(o.shape) for o in out])
        out = [_core.broadcast_to(o, shape) for o in out]
    if copy:
        out = [_core.copy(o) for o in out]
    return tuple(out)


# ---- r_ and c_ ----------------------------------------------------------------------------------
class _AxisConcatenator:
    """NumPy's index trick: ``r_[a, b, 1:4, [5]]`` concatenates its items along an axis; a slice
    ``start:stop:step`` is arange (a complex step ``nj`` is linspace with n points); a first item
    'axis[,ndmin[,trans1d]]' sets where and how (the matrix directives 'r' and 'c' are not
    supported: pyjac has no matrix class). Tensors keep their gradient path."""

    def __init__(self, name, axis, ndmin, trans1d):
        self._name, self.axis, self.ndmin, self.trans1d = name, axis, ndmin, trans1d

    def __getitem__(self, key):
        if not isinstance(key, tuple):
            key = (key,)
        axis, ndmin, trans1d = self.axis, self.ndmin, self.trans1d
        objs, kinds = [], []
        for k, item in enumerate(key):
            scalar = False
            if isinstance(item, slice):
                start = 0 if item.start is None else item.start
                step = 1 if item.step is None else item.step
                if isinstance(step, (complex, np.complexfloating)):
                    new = linspace(start, item.stop, num=int(abs(step)))
                else:
                    new = arange(start, item.stop, step)
                if ndmin > 1:
                    new = array(new, copy=None, ndmin=ndmin)
                    if trans1d != -1:
                        new = _core.swapaxes(new, -1, trans1d)
            elif isinstance(item, str):
                if k != 0:
                    raise ValueError(f"{self._name}: special directives must be the first entry, got {item!r}")
                if item in ("r", "c"):
                    raise ValueError(f"{self._name}: the matrix directive {item!r} is not supported (no matrix class)")
                try:
                    vec = [int(x) for x in item.split(",")]
                except ValueError:
                    raise ValueError(f"{self._name}: unknown special directive {item!r}") from None
                if len(vec) > 3:
                    raise ValueError(f"{self._name}: too many values in directive {item!r}")
                axis = vec[0]
                if len(vec) > 1:
                    ndmin = vec[1]
                if len(vec) > 2:
                    trans1d = vec[2]
                continue
            elif isinstance(item, (numbers.Number, np.generic)) and not isinstance(item, Tensor):
                scalar = True
                new = array(item, ndmin=ndmin)
            else:
                new = _t(item)
                item_ndim = new.ndim
                new = array(new, copy=None, ndmin=ndmin)
                if trans1d != -1 and item_ndim < ndmin:
                    k2 = ndmin - item_ndim
                    k1 = trans1d + k2 + 1 if trans1d < 0 else trans1d
                    defaxes = list(range(ndmin))
                    new = _core.transpose(new, defaxes[:k1] + defaxes[k2:] + defaxes[k1:k2])
            objs.append(new)
            # Python scalars don't up-cast the arrays (NumPy's rule for r_ / c_)
            kinds.append(item if scalar and not isinstance(item, np.generic) else new.dtype)
        if kinds:
            final = np.result_type(*kinds)
            objs = [_cast(o, final) for o in objs]
        return _core.concatenate(objs, axis)

    def __len__(self):
        return 0


r_ = _AxisConcatenator("r_", 0, 1, -1)
c_ = _AxisConcatenator("c_", -1, 2, 0)


__all__ = [
    "array",
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
    "vstack",
    "row_stack",
    "hstack",
    "dstack",
    "column_stack",
    "vsplit",
    "hsplit",
    "dsplit",
    "append",
    "roll",
    "flipud",
    "fliplr",
    "rot90",
    "rollaxis",
    "diag",
    "diagflat",
    "meshgrid",
    "r_",
    "c_",
]
