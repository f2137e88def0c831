"""Python conveniences on the bound Tensor: repr, the NumPy protocols, NumPy-style methods."""

import numpy as np

from . import _core
from ._core import Tensor


def _repr(self):
    levels = _core.vmap_levels(self)
    if levels:  # inside vmap: the example's shape, and the batch behind it
        return f"BatchedTensor(shape={tuple(self.shape)}, levels={levels}, physical={_core.vmap_physical(self)!r})"
    body = np.array2string(np.asarray(self), separator=", ", prefix="tensor(")
    extras = []
    if self.dtype != np.float64:
        extras.append(f"dtype={self.dtype}")
    if self.grad_fn is not None:
        extras.append(f"grad_fn=<{self.grad_fn.name()}>")
    elif self.requires_grad:
        extras.append("requires_grad=True")
    return "tensor(" + ", ".join([body] + extras) + ")"


def _array(self, dtype=None, copy=None):
    # A view of the tensor's memory; read-only when the tensor requires grad, since writes would
    # change values a graph saved without bumping the version counter that guards them.
    a = self.numpy(force=True)
    if self.requires_grad:
        a.flags.writeable = False
    if dtype is not None and np.dtype(dtype) != a.dtype:
        if copy is False:
            raise ValueError("__array__: a dtype conversion needs a copy")
        return a.astype(dtype)
    return a.copy() if copy else a


def _shape_args(shape):
    return shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape


def _reshape(self, *shape, order="C"):
    return _core.reshape(self, _shape_args(shape), order)


def _transpose(self, *axes):
    if not axes or (len(axes) == 1 and axes[0] is None):
        return _core.transpose(self)
    return _core.transpose(self, _shape_args(axes))


def _backward(self, gradient=None, retain_graph=None, create_graph=False):
    if gradient is None and not create_graph:
        # The common `loss.backward()`: seeded and run in C++ (the general path below costs
        # microseconds of argument handling, as much as a small graph's whole backward).
        _core.backward_scalar(self, retain_graph=bool(retain_graph))
        return
    from .autograd import backward

    backward(self, gradient, retain_graph=retain_graph, create_graph=create_graph)


_methods = {
    "__repr__": _repr,
    "__str__": _repr,
    "__array__": _array,
    # NumPy arrays on the left of an operator defer to Tensor's reflected operators.
    "__array_ufunc__": None,
    "__hash__": lambda self: id(self),
    "__iter__": lambda self: (self[i] for i in range(len(self))),
    "tolist": lambda self: np.asarray(self).tolist(),
    "backward": _backward,
    "reshape": _reshape,
    "transpose": _transpose,
    "flatten": lambda self: _core.reshape(self, (-1,)),
    "ravel": lambda self: _core.reshape(self, (-1,)),
    "sum": lambda self, axis=None, keepdims=False: _core.sum(self, axis, keepdims),
    "mean": lambda self, axis=None, keepdims=False: _core.mean(self, axis, keepdims),
    "max": lambda self, axis=None, keepdims=False: _core.max(self, axis, keepdims),
    "min": lambda self, axis=None, keepdims=False: _core.min(self, axis, keepdims),
    "norm": lambda self, ord=None, axis=None, keepdims=False: _core.norm(self, ord, axis, keepdims),
    "squeeze": lambda self, axis=None: _core.squeeze(self, axis),
    "dot": lambda self, other: _core.dot(self, other),
    "clip": lambda self, min=None, max=None: _core.clip(self, min, max),
    "astype": lambda self, dtype: _core.astype(self, dtype),
    "copy": lambda self: _core.copy(self),
}
# Elementwise functions as methods too (x.exp(), as in PyTorch). Builtins don't bind `self`, so wrap.
for _name in (
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
    "sign",
):
    _methods[_name] = (lambda fn: lambda self: fn(self))(getattr(_core, _name))

for _name, _fn in _methods.items():
    setattr(Tensor, _name, _fn)
Tensor.__module__ = "pyjac"


# ---- shape ops, diagonals and triangles, products and take as methods (NumPy's, PyTorch's names)
def _axes_arg(axes):
    return axes[0] if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))) else axes


def _tile(self, *reps):
    return _core.tile(self, _shape_args(reps))


def _flip(self, *axes):
    return _core.flip(self, _axes_arg(axes) if axes else None)


_shape_methods = {
    "ravel": lambda self: _core.ravel(self),
    "flatten": lambda self: _core.flatten(self),
    "swapaxes": lambda self, axis1, axis2: _core.swapaxes(self, axis1, axis2),
    "moveaxis": lambda self, source, destination: _core.moveaxis(self, source, destination),
    "diagonal": lambda self, offset=0, axis1=0, axis2=1: _core.diagonal(self, offset, axis1, axis2),
    "trace": lambda self, offset=0, axis1=0, axis2=1: _core.trace(self, offset, axis1, axis2),
    # NumPy's ndarray.repeat (PyTorch's Tensor.repeat is tile)
    "repeat": lambda self, repeats, axis=None: _core.repeat(self, repeats, axis),
    "take": lambda self, indices, axis=None: _core.take(self, indices, axis),
    "flip": _flip,
    "tile": _tile,
    "triu": lambda self, k=0: _core.triu(self, k),
    "tril": lambda self, k=0: _core.tril(self, k),
    "outer": lambda self, other: _core.outer(self, other),
    "inner": lambda self, other: _core.inner(self, other),
    "kron": lambda self, other: _core.kron(self, other),
}
for _name, _fn in _shape_methods.items():
    setattr(Tensor, _name, _fn)


# ---- in-place ops and item assignment (csrc/ops/inplace.cpp) -----------------------------------
# Each returns the tensor itself, as PyTorch's do; `t[index] = value` writes through the view.
def _setitem(self, index, value):
    _core.setitem_(self, index, value)


_inplace_methods = {
    "add_": lambda self, other, alpha=1: _core.add_(self, other, alpha),
    "sub_": lambda self, other, alpha=1: _core.sub_(self, other, alpha),
    "mul_": lambda self, other: _core.mul_(self, other),
    "div_": lambda self, other: _core.div_(self, other),
    "clamp_": lambda self, min=None, max=None: _core.clamp_(self, min, max),
    "copy_": lambda self, src: _core.copy_(self, src),
    "fill_": lambda self, value: _core.fill_(self, value),
    "zero_": lambda self: _core.zero_(self),
    "__setitem__": _setitem,
}
for _name, _fn in _inplace_methods.items():
    setattr(Tensor, _name, _fn)

# ---- reductions, statistics, scans and math functions as methods (as on NumPy's ndarray) --------
_math_and_reduction_methods = {
    "prod": lambda self, axis=None, *, keepdims=False: _core.prod(self, axis, keepdims=keepdims),
    "var": lambda self, axis=None, *, ddof=0, keepdims=False: _core.var(self, axis, ddof=ddof, keepdims=keepdims),
    "std": lambda self, axis=None, *, ddof=0, keepdims=False: _core.std(self, axis, ddof=ddof, keepdims=keepdims),
    "logsumexp": lambda self, axis=None, keepdims=False: _core.logsumexp(self, axis, keepdims=keepdims),
    "argmax": lambda self, axis=None, *, keepdims=False: _core.argmax(self, axis, keepdims=keepdims),
    "argmin": lambda self, axis=None, *, keepdims=False: _core.argmin(self, axis, keepdims=keepdims),
    "all": lambda self, axis=None, *, keepdims=False: _core.all(self, axis, keepdims=keepdims),
    "any": lambda self, axis=None, *, keepdims=False: _core.any(self, axis, keepdims=keepdims),
    "cumsum": lambda self, axis=None: _core.cumsum(self, axis),
    "cumprod": lambda self, axis=None: _core.cumprod(self, axis),
    "amax": lambda self, axis=None, keepdims=False: _core.max(self, axis, keepdims),
    "amin": lambda self, axis=None, keepdims=False: _core.min(self, axis, keepdims),
    "round": lambda self, decimals=0: _core.round(self, decimals),
    "__round__": lambda self, ndigits=None: _core.round(self, 0 if ndigits is None else ndigits),
    "arctan2": lambda self, other: _core.arctan2(self, other),
}
for _name in (
    "arcsin",
    "arccos",
    "arctan",
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
):
    _math_and_reduction_methods[_name] = (lambda fn: lambda self: fn(self))(getattr(_core, _name))
for _name, _fn in _math_and_reduction_methods.items():
    setattr(Tensor, _name, _fn)


# ---- f"{t:.3f}": a one-element tensor formats as its Python scalar, as in torch -------------------
def _format(self, spec):
    if not spec:
        return str(self)
    if self.size != 1:
        raise TypeError(
            f"unsupported format string {spec!r} passed to Tensor.__format__: only a tensor with one "
            f"element formats as a number, got shape {tuple(self.shape)}"
        )
    return format(self.item(), spec)


Tensor.__format__ = _format


# ---- an int tensor as an index: lst[t], range(t), operator.index(t) ---------------------------------
def _index(self):
    # Only 0-d int64 tensors, as NumPy's arrays: NumPy indexes with anything that has __index__
    # as with one integer, so a one-element 1-d tensor (np_array[t] selects a 1-d result today)
    # or a 0-d bool one (a mask today) would silently change meaning there.
    if self.dtype != np.int64 or self.ndim != 0:
        raise TypeError(
            "only integer tensors of a single element can be converted to an index (0-d int64 "
            f"tensors, as in NumPy), got a tensor of dtype {self.dtype} and shape {tuple(self.shape)}"
        )
    return int(self.item())


Tensor.__index__ = _index


# ---- NumPy's ndarray.nonzero (pyjac/_numpy_forms.py) ---------------------------------------------
def _nonzero(self):
    return _core.nonzero(self)


Tensor.nonzero = _nonzero
