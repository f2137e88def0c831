"""Creation functions. Each takes ``dtype=`` and ``requires_grad=``."""

import operator

import numpy as np

from . import _core
from ._core import Tensor

_DEFAULT = np.float64


def _finish(t, requires_grad):
    if requires_grad:
        t.requires_grad_(True)
    return t


def _shape(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def tensor(data, dtype=None, requires_grad=False):
    """A new tensor holding a copy of ``data`` (nested lists, numbers, arrays or a Tensor).

    Python floats give float64, Python ints int64, bools bool; NumPy arrays keep their dtype.
    """
    t = _core.from_object(data)
    if dtype is not None and np.dtype(dtype) != t.dtype:
        t = _core.astype(t, dtype)
    return _finish(t, requires_grad)


def asarray(data, dtype=None, requires_grad=False):
    """``data`` as a tensor: a Tensor of the right dtype is returned as it is, anything else copied."""
    if isinstance(data, Tensor) and (dtype is None or np.dtype(dtype) == data.dtype):
        return _finish(data, requires_grad)
    return tensor(data, dtype=dtype, requires_grad=requires_grad)


def full(shape, fill_value, dtype=None, requires_grad=False):
    if isinstance(fill_value, Tensor):  # broadcast, as NumPy; differentiable in the fill value
        t = fill_value if dtype is None or np.dtype(dtype) == fill_value.dtype else _core.astype(fill_value, dtype)
        return _finish(
            _core.copy(_core.broadcast_to(t, (shape,) if isinstance(shape, int) else tuple(shape))), requires_grad
        )
    # Integers travel as ints, so an int64 tensor gets them exactly (beyond int64: OverflowError).
    is_int = isinstance(fill_value, (int, np.integer)) and not isinstance(fill_value, bool)
    if dtype is None:
        dtype = np.int64 if is_int else np.asarray(fill_value).dtype
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return _finish(_core.full(shape, int(fill_value) if is_int else float(fill_value), dtype, "full"), requires_grad)


def zeros(*shape, dtype=None, requires_grad=False):
    return _finish(_core.full(_shape(shape), 0.0, dtype or _DEFAULT, "zeros"), requires_grad)


def ones(*shape, dtype=None, requires_grad=False):
    return _finish(_core.full(_shape(shape), 1.0, dtype or _DEFAULT, "ones"), requires_grad)


def empty(*shape, dtype=None, requires_grad=False):
    return _finish(_core.empty(_shape(shape), dtype or _DEFAULT), requires_grad)


def zeros_like(x, dtype=None, requires_grad=False):
    x = asarray(x)
    return zeros(x.shape, dtype=dtype or x.dtype, requires_grad=requires_grad)


def ones_like(x, dtype=None, requires_grad=False):
    x = asarray(x)
    return ones(x.shape, dtype=dtype or x.dtype, requires_grad=requires_grad)


def full_like(x, fill_value, dtype=None, requires_grad=False):
    x = asarray(x)
    return full(x.shape, fill_value, dtype=dtype or x.dtype, requires_grad=requires_grad)


def eye(N, M=None, k=0, dtype=None, requires_grad=False):
    return _finish(_core.eye(N, N if M is None else M, k, dtype or _DEFAULT), requires_grad)


def _is_number(value):
    return not isinstance(value, Tensor) and np.ndim(value) == 0


def _float_dtype(*tensors):
    """The float dtype NumPy computes linspace and arange in: float32 only when all are float32."""
    d = np.result_type(*(t.dtype for t in tensors))
    return d if d.kind == "f" else np.dtype(np.float64)


def arange(start, stop=None, step=1, dtype=None, requires_grad=False):
    """NumPy's arange: integers give int64, any float gives float64. With a tensor ``start`` or
    ``step`` the values ``start + i * step`` are differentiable in them (the length comes from
    the values, as in NumPy)."""
    if stop is None:
        start, stop = 0, start
    bounds = (start, stop, step)
    if any(isinstance(v, Tensor) for v in bounds):
        if not all(_is_number(v) or v.ndim == 0 for v in bounds):
            raise ValueError("arange: start, stop and step must be scalars (0-d tensors)")
        ts = [v if isinstance(v, Tensor) else tensor(v) for v in bounds]
        count = len(np.arange(*(v.item() for v in ts)))  # NumPy's length, and its errors
        work = _float_dtype(*ts) if dtype is None or np.dtype(dtype).kind == "f" else np.dtype(np.float64)
        if dtype is None and all(t.dtype.kind in "iu" for t in ts):
            dtype = np.int64
        ts = [_core.astype(t, work) for t in ts]
        y = ts[0] + _core.arange(0.0, float(count), 1.0, work) * ts[2]
        return _finish(y if dtype is None else _cast_like_numpy(y, dtype), requires_grad)
    if dtype is None:
        dtype = np.int64 if all(isinstance(v, (int, np.integer)) for v in bounds) else _DEFAULT
    return _finish(_core.arange(float(start), float(stop), float(step), dtype), requires_grad)


def _cast_like_numpy(y, dtype):
    """A float result in ``dtype``: integer dtypes round down, as NumPy's linspace does."""
    dtype = np.dtype(dtype)
    if dtype == y.dtype:
        return y
    return _core.astype(_core.floor(y) if dtype.kind in "iub" else y, dtype)


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, requires_grad=False):
    """NumPy's linspace. Array and tensor endpoints give one sequence per element along ``axis``;
    tensor endpoints are differentiable (the values ``start + i * (stop - start) / div``, the last
    one ``stop`` itself when ``endpoint``)."""
    num = operator.index(num)
    if num < 0:
        raise ValueError(f"linspace: number of samples, {num}, must be non-negative")
    div = num - 1 if endpoint else num
    if _is_number(start) and _is_number(stop) and axis in (0, -1):
        y = _core.linspace(float(start), float(stop), num, bool(endpoint), dtype or _DEFAULT)
        step = (float(stop) - float(start)) / div if div > 0 else float("nan")
    else:
        y, step = _linspace_of_tensors(asarray(start), asarray(stop), num, endpoint, div, axis, dtype)
    y = _finish(y, requires_grad)
    return (y, step) if retstep else y


def _linspace_of_tensors(start, stop, num, endpoint, div, axis, dtype):
    work = _float_dtype(start, stop)
    start, stop = _core.astype(start, work), _core.astype(stop, work)
    delta = stop - start
    stop = _core.broadcast_to(stop, delta.shape)
    steps = _core.reshape(_core.arange(0.0, float(num), 1.0, work), (num,) + (1,) * delta.ndim)
    if div > 0:
        step = delta / div
        # NumPy's order of operations: where a step underflows to 0, scale before multiplying.
        y = steps / div * delta if bool((step == 0).any()) else steps * step
    else:
        step = _core.full((), float("nan"), work, "linspace")
        y = steps * delta
    y = y + start
    if endpoint and num > 1:
        y = _core.concatenate([y[:-1], _core.expand_dims(stop, 0)], 0)
    if axis != 0:
        y = _core.moveaxis(y, 0, axis)
    return (y if dtype is None else _cast_like_numpy(y, dtype)), step


def rand(*shape, dtype=None, requires_grad=False):
    """Uniform samples in [0, 1); reproducible after ``manual_seed``."""
    return _finish(_core.rand(_shape(shape), dtype or _DEFAULT), requires_grad)


def randn(*shape, dtype=None, requires_grad=False):
    """Standard normal samples; reproducible after ``manual_seed``."""
    return _finish(_core.randn(_shape(shape), dtype or _DEFAULT), requires_grad)


def manual_seed(seed):
    """Seeds pyjac's random generator (rand, randn)."""
    _core.manual_seed(int(seed))
