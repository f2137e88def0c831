"""Creation functions. Each takes ``dtype=`` and ``requires_grad=``."""

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


def arange(start, stop=None, step=1, dtype=None, requires_grad=False):
    """NumPy's arange: integers give int64, any float gives float64."""
    if stop is None:
        start, stop = 0, start
    if dtype is None:
        dtype = np.int64 if all(isinstance(v, (int, np.integer)) for v in (start, stop, step)) else _DEFAULT
    return _finish(_core.arange(float(start), float(stop), float(step), dtype), requires_grad)


def linspace(start, stop, num=50, endpoint=True, dtype=None, requires_grad=False):
    return _finish(
        _core.linspace(float(start), float(stop), int(num), bool(endpoint), dtype or _DEFAULT), requires_grad
    )


def rand(*shape, dtype=None, requires_grad=False):
    """Uniform samples in [0, 1); reproducible after ``manual_seed``."""
    return _finish(_core.rand(_shape(shape), dtype or _DEFAULT), requires_grad)


def randn(*shape, dtype=None, requires_grad=False):
    """Standard normal samples; reproducible after ``manual_seed``."""
    return _finish(_core.randn(_shape(shape), dtype or _DEFAULT), requires_grad)


def manual_seed(seed):
    """Seeds pyjac's random generator (rand, randn)."""
    _core.manual_seed(int(seed))
