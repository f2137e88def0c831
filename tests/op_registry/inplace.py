"""In-place ops (add_ sub_ mul_ div_ clamp_ copy_ fill_ zero_, ``t[index] = value``), each on a
non-leaf (an in-place op on a leaf that requires grad raises), so that the recorded in-place op is
what gets differentiated.

Family "inplace" (tests/test_inplace.py: values, the version counter, views, and errors).
"""
import numpy as np


from .core import F64, ZERO, OpCase, away_from_zero, clip_box, normal


def _on_copy(call):
    """fn(x, *others): call(z, *others) on z = x * 1 (a non-leaf), returning z."""
    def fn(x, *others):
        z = x * 1.0
        out = call(z, *others)
        assert out is None or out is z
        return z
    return fn


def _np_on_copy(call):
    def ref(a, *others):
        z = np.array(a, dtype=np.float64, copy=True)
        call(z, *others)
        return z
    return ref


def _setitem(index):
    def call(z, v):
        z[index] = v
    return call


def inplace(id, name, call, np_call, shapes, domain=normal, **kw):
    return OpCase(id, name, _on_copy(call), shapes, domain, ref=_np_on_copy(np_call), family="inplace", dtypes=(F64,),
                  **kw)


def _np_clip(z, lo, hi):
    np.clip(z, lo, hi, out=z)


CASES = [
    inplace("add_", "Tensor.add_", lambda z, y: z.add_(y), lambda z, y: np.add(z, y, out=z), ((2, 3), (3,)),
            sparsity="elementwise"),
    inplace("add_-alpha", "Tensor.add_", lambda z, y: z.add_(y, alpha=-2.5),
            lambda z, y: np.add(z, -2.5 * y, out=z), ((2, 3), (2, 1)), sparsity="elementwise"),
    inplace("sub_", "Tensor.sub_", lambda z, y: z.sub_(y, alpha=3), lambda z, y: np.subtract(z, 3 * y, out=z),
            ((2, 3), (3,)), sparsity="elementwise"),
    inplace("mul_", "Tensor.mul_", lambda z, y: z.mul_(y), lambda z, y: np.multiply(z, y, out=z), ((2, 3), (2, 3)),
            sparsity="elementwise"),
    inplace("div_", "Tensor.div_", lambda z, y: z.div_(y), lambda z, y: np.divide(z, y, out=z), ((2, 3), (3,)),
            (normal, away_from_zero(0.5, 1.5)), sparsity="elementwise"),
    inplace("clamp_", "Tensor.clamp_", lambda z: z.clamp_(-0.5, 0.5), lambda z: _np_clip(z, -0.5, 0.5),
            (np.array([[-0.9, -0.3, 0.1], [0.45, 0.7, -0.62]]),), clip_box, sparsity="elementwise"),
    inplace("copy_", "Tensor.copy_", lambda z, y: z.copy_(y), lambda z, y: np.copyto(z, y), ((2, 3), (3,)),
            sparsity="selection"),
    inplace("fill_", "Tensor.fill_", lambda z: z.fill_(2.0), lambda z: z.fill(2.0), ((2, 3),), derivative=ZERO,
            sparsity="elementwise"),
    inplace("zero_", "Tensor.zero_", lambda z: z.zero_(), lambda z: z.fill(0.0), ((2, 3),), derivative=ZERO,
            sparsity="elementwise"),
    inplace("setitem-basic", "Tensor.__setitem__", _setitem((slice(None), slice(1, None))),
            _setitem((slice(None), slice(1, None))), ((2, 3), (2, 2)), sparsity="selection"),
    inplace("setitem-advanced", "Tensor.__setitem__", _setitem(([0, 1], [2, 0])), _setitem(([0, 1], [2, 0])),
            ((2, 3), (2,)), sparsity="selection"),
    inplace("setitem-broadcast-value", "Tensor.__setitem__", _setitem(1), _setitem(1), ((2, 3), ()),
            sparsity="selection"),
]
