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
    return OpCase(
        id, name, _on_copy(call), shapes, domain, ref=_np_on_copy(np_call), family="inplace", dtypes=(F64,), **kw
    )


def _np_clip(z, lo, hi):
    np.clip(z, lo, hi, out=z)


# id, method, the call on (self, other), its NumPy in-place equivalent: `args` of the entries, for the
# value tests of tests/test_inplace.py over shapes and operands
BINARY = [
    ("add_", "Tensor.add_", lambda t, o: t.add_(o), lambda a, o: np.add(a, o, out=a)),
    (
        "add_alpha",
        "Tensor.add_",
        lambda t, o: t.add_(o, alpha=-2.5),
        lambda a, o: np.add(a, -2.5 * np.asarray(o), out=a),
    ),
    ("sub_", "Tensor.sub_", lambda t, o: t.sub_(o), lambda a, o: np.subtract(a, o, out=a)),
    (
        "sub_alpha",
        "Tensor.sub_",
        lambda t, o: t.sub_(o, alpha=3),
        lambda a, o: np.subtract(a, 3 * np.asarray(o), out=a),
    ),
    ("mul_", "Tensor.mul_", lambda t, o: t.mul_(o), lambda a, o: np.multiply(a, o, out=a)),
    ("div_", "Tensor.div_", lambda t, o: t.div_(o), lambda a, o: np.divide(a, o, out=a)),
    ("copy_", "Tensor.copy_", lambda t, o: t.copy_(o), lambda a, o: np.copyto(a, o)),
]
_BINARY_SHAPES = {"add_alpha": ((2, 3), (2, 1)), "mul_": ((2, 3), (2, 3))}


def _binary(id, name, call, np_call):
    domain = (normal, away_from_zero(0.5, 1.5)) if id == "div_" else normal
    return inplace(
        id,
        name,
        call,
        np_call,
        _BINARY_SHAPES.get(id, ((2, 3), (3,))),
        domain,
        args=(call, np_call),
        tags={"binary"},
        sparsity="selection" if id == "copy_" else "elementwise",
    )


CASES = [_binary(*b) for b in BINARY] + [
    inplace(
        "clamp_",
        "Tensor.clamp_",
        lambda z: z.clamp_(-0.5, 0.5),
        lambda z: _np_clip(z, -0.5, 0.5),
        (np.array([[-0.9, -0.3, 0.1], [0.45, 0.7, -0.62]]),),
        clip_box,
        sparsity="elementwise",
    ),
    inplace(
        "fill_",
        "Tensor.fill_",
        lambda z: z.fill_(2.0),
        lambda z: z.fill(2.0),
        ((2, 3),),
        derivative=ZERO,
        sparsity="elementwise",
    ),
    inplace(
        "zero_",
        "Tensor.zero_",
        lambda z: z.zero_(),
        lambda z: z.fill(0.0),
        ((2, 3),),
        derivative=ZERO,
        sparsity="elementwise",
    ),
    inplace(
        "setitem-basic",
        "Tensor.__setitem__",
        _setitem((slice(None), slice(1, None))),
        _setitem((slice(None), slice(1, None))),
        ((2, 3), (2, 2)),
        sparsity="selection",
    ),
    inplace(
        "setitem-advanced",
        "Tensor.__setitem__",
        _setitem(([0, 1], [2, 0])),
        _setitem(([0, 1], [2, 0])),
        ((2, 3), (2,)),
        sparsity="selection",
    ),
    inplace(
        "setitem-broadcast-value", "Tensor.__setitem__", _setitem(1), _setitem(1), ((2, 3), ()), sparsity="selection"
    ),
]
