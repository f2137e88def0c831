"""Shape ops: reshape transpose .T broadcast_to squeeze expand_dims concatenate stack, and NumPy's
split array_split flip tile repeat pad moveaxis swapaxes ravel flatten diagonal trace triu tril
outer inner kron.

Family "shape" (tests/test_ops_shape.py). Every entry computes in float64, float32 and int64
(values compared with NumPy's exactly, except the sums and products of inner, trace, kron and
outer: rtol 1e-12).
"""

import numpy as np

import pyjac as pj

from .core import F32, F64, I64, OpCase


def _cat(axis):
    return (lambda *xs: pj.concatenate(list(xs), axis=axis)), (lambda *xs: np.concatenate(list(xs), axis=axis))


def _stack(axis):
    return (lambda *xs: pj.stack(list(xs), axis=axis)), (lambda *xs: np.stack(list(xs), axis=axis))


def _tuple(fn):
    return lambda *xs: tuple(fn(*xs))


# id, input shapes, pyjac function, NumPy function (the same call under NumPy's names)
VIEWS = [
    # reshape
    ("reshape-(2,3)->(3,2)", [(2, 3)], lambda x: pj.reshape(x, (3, 2)), lambda x: np.reshape(x, (3, 2))),
    ("reshape-(2,3,4)->(4,-1)", [(2, 3, 4)], lambda x: pj.reshape(x, (4, -1)), lambda x: np.reshape(x, (4, -1))),
    ("reshape-(6,)->(1,2,1,3)", [(6,)], lambda x: pj.reshape(x, (1, 2, 1, 3)), lambda x: np.reshape(x, (1, 2, 1, 3))),
    ("reshape-()->(1,1)", [()], lambda x: pj.reshape(x, (1, 1)), lambda x: np.reshape(x, (1, 1))),
    ("reshape-(1,1)->()", [(1, 1)], lambda x: pj.reshape(x, ()), lambda x: np.reshape(x, ())),
    ("reshape-(0,3)->(3,0)", [(0, 3)], lambda x: pj.reshape(x, (3, 0)), lambda x: np.reshape(x, (3, 0))),
    ("reshape-(2,3)->(-1,)", [(2, 3)], lambda x: pj.reshape(x, -1), lambda x: np.reshape(x, -1)),
    ("reshape-T-noncontig", [(2, 3)], lambda x: pj.reshape(x.T, (6,)), lambda x: np.reshape(x.T, (6,))),
    ("reshape-method-varargs", [(2, 3)], lambda x: x.reshape(3, 2), lambda x: x.reshape(3, 2)),
    ("flatten-method", [(2, 3, 2)], lambda x: x.flatten(), lambda x: x.flatten()),
    # transpose
    ("transpose-2d", [(2, 3)], lambda x: pj.transpose(x), lambda x: np.transpose(x)),
    ("transpose-3d-default", [(2, 3, 4)], lambda x: pj.transpose(x), lambda x: np.transpose(x)),
    ("transpose-3d-perm", [(2, 3, 4)], lambda x: pj.transpose(x, (1, 2, 0)), lambda x: np.transpose(x, (1, 2, 0))),
    ("transpose-neg-perm", [(2, 3, 4)], lambda x: pj.transpose(x, (-1, 0, -2)), lambda x: np.transpose(x, (-1, 0, -2))),
    ("transpose-0d", [()], lambda x: pj.transpose(x), lambda x: np.transpose(x)),
    ("transpose-1d", [(4,)], lambda x: pj.transpose(x), lambda x: np.transpose(x)),
    ("transpose-empty", [(0, 3)], lambda x: pj.transpose(x), lambda x: np.transpose(x)),
    ("T", [(2, 3)], lambda x: x.T, lambda x: x.T),
    ("T-3d", [(2, 3, 4)], lambda x: x.T, lambda x: x.T),
    ("transpose-method-varargs", [(2, 3, 4)], lambda x: x.transpose(2, 0, 1), lambda x: x.transpose(2, 0, 1)),
    ("transpose-method-tuple", [(2, 3, 4)], lambda x: x.transpose((2, 0, 1)), lambda x: x.transpose((2, 0, 1))),
    (
        "transpose-twice",
        [(2, 3, 4)],
        lambda x: pj.transpose(pj.transpose(x, (1, 2, 0)), (2, 1, 0)),
        lambda x: np.transpose(np.transpose(x, (1, 2, 0)), (2, 1, 0)),
    ),
    # broadcast_to
    ("broadcast_to-(3,)->(2,3)", [(3,)], lambda x: pj.broadcast_to(x, (2, 3)), lambda x: np.broadcast_to(x, (2, 3))),
    (
        "broadcast_to-(3,1)->(2,3,4)",
        [(3, 1)],
        lambda x: pj.broadcast_to(x, (2, 3, 4)),
        lambda x: np.broadcast_to(x, (2, 3, 4)),
    ),
    ("broadcast_to-()->(2,2)", [()], lambda x: pj.broadcast_to(x, (2, 2)), lambda x: np.broadcast_to(x, (2, 2))),
    ("broadcast_to-same", [(2, 3)], lambda x: pj.broadcast_to(x, (2, 3)), lambda x: np.broadcast_to(x, (2, 3))),
    ("broadcast_to-(1,)->(0,)", [(1,)], lambda x: pj.broadcast_to(x, (0,)), lambda x: np.broadcast_to(x, (0,))),
    ("broadcast_to-T", [(3, 1)], lambda x: pj.broadcast_to(x.T, (2, 1, 3)), lambda x: np.broadcast_to(x.T, (2, 1, 3))),
    # squeeze
    ("squeeze-all", [(1, 3, 1, 2)], lambda x: pj.squeeze(x), lambda x: np.squeeze(x)),
    ("squeeze-axis", [(1, 3, 1, 2)], lambda x: pj.squeeze(x, 2), lambda x: np.squeeze(x, 2)),
    ("squeeze-neg-axis", [(1, 3, 1)], lambda x: pj.squeeze(x, -1), lambda x: np.squeeze(x, -1)),
    ("squeeze-tuple", [(1, 3, 1, 2)], lambda x: pj.squeeze(x, (0, 2)), lambda x: np.squeeze(x, (0, 2))),
    ("squeeze-to-0d", [(1, 1)], lambda x: pj.squeeze(x), lambda x: np.squeeze(x)),
    ("squeeze-nothing", [(2, 3)], lambda x: pj.squeeze(x), lambda x: np.squeeze(x)),
    ("squeeze-method", [(1, 3, 1)], lambda x: x.squeeze(0), lambda x: x.squeeze(0)),
    # expand_dims
    ("expand_dims-0", [(2, 3)], lambda x: pj.expand_dims(x, 0), lambda x: np.expand_dims(x, 0)),
    ("expand_dims-end", [(2, 3)], lambda x: pj.expand_dims(x, 2), lambda x: np.expand_dims(x, 2)),
    ("expand_dims-neg", [(2, 3)], lambda x: pj.expand_dims(x, -1), lambda x: np.expand_dims(x, -1)),
    ("expand_dims-tuple", [(2, 3)], lambda x: pj.expand_dims(x, (0, 3)), lambda x: np.expand_dims(x, (0, 3))),
    ("expand_dims-tuple-neg", [(2, 3)], lambda x: pj.expand_dims(x, (-1, 1)), lambda x: np.expand_dims(x, (-1, 1))),
    ("expand_dims-0d", [()], lambda x: pj.expand_dims(x, 0), lambda x: np.expand_dims(x, 0)),
    # concatenate
    ("concatenate-axis0", [(2, 3), (1, 3), (3, 3)], *_cat(0)),
    ("concatenate-axis1", [(2, 3), (2, 1)], *_cat(1)),
    ("concatenate-axis-1", [(2, 2, 1), (2, 2, 3)], *_cat(-1)),
    ("concatenate-axis-2", [(2, 1, 3), (2, 2, 3)], *_cat(-2)),
    ("concatenate-None", [(2, 3), (4,), ()], *_cat(None)),
    ("concatenate-single", [(2, 3)], *_cat(0)),
    ("concatenate-with-empty", [(2, 3), (0, 3)], *_cat(0)),
    ("concatenate-1d", [(3,), (2,)], *_cat(0)),
    # stack
    ("stack-axis0", [(2, 3), (2, 3), (2, 3)], *_stack(0)),
    ("stack-axis1", [(2, 3), (2, 3)], *_stack(1)),
    ("stack-axis-1", [(2, 3), (2, 3)], *_stack(-1)),
    ("stack-0d", [(), ()], *_stack(0)),
    ("stack-single", [(4,)], *_stack(0)),
    ("stack-empty", [(0, 2), (0, 2)], *_stack(1)),
]


MORE = [
    ("split-sections", [(2, 6)], _tuple(lambda x: pj.split(x, 3, axis=1)), lambda x: np.split(x, 3, axis=1)),
    ("split-indices", [(7,)], _tuple(lambda x: pj.split(x, [2, 5])), lambda x: np.split(x, [2, 5])),
    (
        "split-indices-neg-and-past-end",
        [(6, 2)],
        _tuple(lambda x: pj.split(x, [-4, 3, 10])),
        lambda x: np.split(x, [-4, 3, 10]),
    ),
    ("split-one-section", [(3,)], _tuple(lambda x: pj.split(x, 1)), lambda x: np.split(x, 1)),
    ("array_split-uneven", [(7,)], _tuple(lambda x: pj.array_split(x, 3)), lambda x: np.array_split(x, 3)),
    (
        "array_split-more-sections-than-items",
        [(3, 2)],
        _tuple(lambda x: pj.array_split(x, 5)),
        lambda x: np.array_split(x, 5),
    ),
    (
        "array_split-axis-neg",
        [(2, 5)],
        _tuple(lambda x: pj.array_split(x, 2, axis=-1)),
        lambda x: np.array_split(x, 2, axis=-1),
    ),
    ("flip-all", [(2, 3)], lambda x: pj.flip(x), lambda x: np.flip(x)),
    ("flip-axis0", [(3, 2)], lambda x: pj.flip(x, 0), lambda x: np.flip(x, 0)),
    ("flip-axis-neg", [(2, 3)], lambda x: pj.flip(x, -1), lambda x: np.flip(x, -1)),
    ("flip-tuple", [(2, 2, 3)], lambda x: pj.flip(x, (0, 2)), lambda x: np.flip(x, (0, 2))),
    ("flip-0d", [()], lambda x: pj.flip(x), lambda x: np.flip(x)),
    ("tile-int", [(3,)], lambda x: pj.tile(x, 2), lambda x: np.tile(x, 2)),
    ("tile-more-reps", [(3,)], lambda x: pj.tile(x, (2, 2)), lambda x: np.tile(x, (2, 2))),
    ("tile-fewer-reps", [(2, 3)], lambda x: pj.tile(x, 2), lambda x: np.tile(x, 2)),
    ("tile-3d", [(2, 1, 2)], lambda x: pj.tile(x, (2, 3, 1)), lambda x: np.tile(x, (2, 3, 1))),
    ("tile-zero", [(2, 3)], lambda x: pj.tile(x, (0, 2)), lambda x: np.tile(x, (0, 2))),
    ("tile-0d", [()], lambda x: pj.tile(x, 3), lambda x: np.tile(x, 3)),
    ("repeat-flat", [(2, 3)], lambda x: pj.repeat(x, 2), lambda x: np.repeat(x, 2)),
    ("repeat-axis0", [(2, 3)], lambda x: pj.repeat(x, 3, axis=0), lambda x: np.repeat(x, 3, axis=0)),
    ("repeat-axis-neg", [(2, 3)], lambda x: pj.repeat(x, 2, axis=-1), lambda x: np.repeat(x, 2, axis=-1)),
    (
        "repeat-per-element",
        [(3, 2)],
        lambda x: pj.repeat(x, [1, 0, 3], axis=0),
        lambda x: np.repeat(x, [1, 0, 3], axis=0),
    ),
    ("repeat-per-element-flat", [(2, 2)], lambda x: pj.repeat(x, [2, 1, 0, 2]), lambda x: np.repeat(x, [2, 1, 0, 2])),
    ("repeat-single-list", [(2, 2)], lambda x: pj.repeat(x, [2], axis=1), lambda x: np.repeat(x, [2], axis=1)),
    ("repeat-0d", [()], lambda x: pj.repeat(x, 3), lambda x: np.repeat(x, 3)),
    ("pad-constant-int", [(2, 3)], lambda x: pj.pad(x, 1), lambda x: np.pad(x, 1)),
    (
        "pad-constant-pairs",
        [(2, 3)],
        lambda x: pj.pad(x, ((1, 2), (0, 3)), constant_values=((1.5, 2.5), (3.5, 4.5))),
        lambda x: np.pad(x, ((1, 2), (0, 3)), constant_values=((1.5, 2.5), (3.5, 4.5))),
    ),
    (
        "pad-constant-one-pair",
        [(3,)],
        lambda x: pj.pad(x, (2, 1), constant_values=-1),
        lambda x: np.pad(x, (2, 1), constant_values=-1),
    ),
    (
        "pad-edge",
        [(2, 3)],
        lambda x: pj.pad(x, ((2, 1), (1, 3)), mode="edge"),
        lambda x: np.pad(x, ((2, 1), (1, 3)), mode="edge"),
    ),
    (
        "pad-reflect",
        [(3, 4)],
        lambda x: pj.pad(x, ((2, 1), (3, 2)), mode="reflect"),
        lambda x: np.pad(x, ((2, 1), (3, 2)), mode="reflect"),
    ),
    (
        "pad-reflect-wider-than-input",
        [(3,)],
        lambda x: pj.pad(x, 5, mode="reflect"),
        lambda x: np.pad(x, 5, mode="reflect"),
    ),
    (
        "pad-symmetric",
        [(3, 2)],
        lambda x: pj.pad(x, ((4, 1), (2, 3)), mode="symmetric"),
        lambda x: np.pad(x, ((4, 1), (2, 3)), mode="symmetric"),
    ),
    ("pad-wrap", [(3,)], lambda x: pj.pad(x, (4, 5), mode="wrap"), lambda x: np.pad(x, (4, 5), mode="wrap")),
    ("pad-zero-width", [(2, 2)], lambda x: pj.pad(x, 0), lambda x: np.pad(x, 0)),
    ("pad-empty-axis-constant", [(0, 2)], lambda x: pj.pad(x, 1), lambda x: np.pad(x, 1)),
    ("moveaxis", [(2, 3, 4)], lambda x: pj.moveaxis(x, 0, -1), lambda x: np.moveaxis(x, 0, -1)),
    (
        "moveaxis-many",
        [(2, 3, 4)],
        lambda x: pj.moveaxis(x, [0, 1], [-1, 0]),
        lambda x: np.moveaxis(x, [0, 1], [-1, 0]),
    ),
    ("swapaxes", [(2, 3, 4)], lambda x: pj.swapaxes(x, 0, 2), lambda x: np.swapaxes(x, 0, 2)),
    ("swapaxes-neg", [(2, 3)], lambda x: pj.swapaxes(x, -1, 0), lambda x: np.swapaxes(x, -1, 0)),
    ("ravel", [(2, 3)], lambda x: pj.ravel(pj.transpose(x)), lambda x: np.ravel(x.T)),
    ("flatten", [(2, 3)], lambda x: pj.flatten(x), lambda x: x.flatten()),
    ("ravel-0d", [()], lambda x: pj.ravel(x), lambda x: np.ravel(x)),
    ("diagonal", [(3, 3)], lambda x: pj.diagonal(x), lambda x: np.diagonal(x)),
    ("diagonal-rect-offset", [(3, 4)], lambda x: pj.diagonal(x, 1), lambda x: np.diagonal(x, 1)),
    ("diagonal-neg-offset", [(4, 3)], lambda x: pj.diagonal(x, -2), lambda x: np.diagonal(x, -2)),
    ("diagonal-axes", [(3, 2, 4)], lambda x: pj.diagonal(x, 1, 2, 0), lambda x: np.diagonal(x, 1, 2, 0)),
    ("diagonal-neg-axes", [(2, 3, 3)], lambda x: pj.diagonal(x, 0, -2, -1), lambda x: np.diagonal(x, 0, -2, -1)),
    ("diagonal-offset-past-end", [(2, 3)], lambda x: pj.diagonal(x, 5), lambda x: np.diagonal(x, 5)),
    ("trace", [(3, 3)], lambda x: pj.trace(x), lambda x: np.trace(x)),
    ("trace-offset", [(3, 4)], lambda x: pj.trace(x, -1), lambda x: np.trace(x, -1)),
    ("trace-axes", [(2, 3, 3)], lambda x: pj.trace(x, 0, 1, 2), lambda x: np.trace(x, 0, 1, 2)),
    ("triu", [(3, 4)], lambda x: pj.triu(x), lambda x: np.triu(x)),
    ("triu-k", [(4, 3)], lambda x: pj.triu(x, 1), lambda x: np.triu(x, 1)),
    ("triu-batched", [(2, 3, 3)], lambda x: pj.triu(x, -1), lambda x: np.triu(x, -1)),
    ("triu-1d", [(3,)], lambda x: pj.triu(x), lambda x: np.triu(x)),
    ("tril", [(3, 4)], lambda x: pj.tril(x), lambda x: np.tril(x)),
    ("tril-k", [(3, 3)], lambda x: pj.tril(x, -1), lambda x: np.tril(x, -1)),
    ("tril-batched", [(2, 2, 3)], lambda x: pj.tril(x, 1), lambda x: np.tril(x, 1)),
    ("outer", [(3,), (4,)], lambda a, b: pj.outer(a, b), lambda a, b: np.outer(a, b)),
    ("outer-nd", [(2, 2), (3,)], lambda a, b: pj.outer(a, b), lambda a, b: np.outer(a, b)),
    ("outer-0d", [(), (2,)], lambda a, b: pj.outer(a, b), lambda a, b: np.outer(a, b)),
    ("inner-1d", [(3,), (3,)], lambda a, b: pj.inner(a, b), lambda a, b: np.inner(a, b)),
    ("inner-nd", [(2, 3), (2, 2, 3)], lambda a, b: pj.inner(a, b), lambda a, b: np.inner(a, b)),
    ("inner-0d", [(), (2, 3)], lambda a, b: pj.inner(a, b), lambda a, b: np.inner(a, b)),
    ("kron-1d", [(2,), (3,)], lambda a, b: pj.kron(a, b), lambda a, b: np.kron(a, b)),
    ("kron-2d", [(2, 2), (2, 3)], lambda a, b: pj.kron(a, b), lambda a, b: np.kron(a, b)),
    ("kron-mixed-ndim", [(2, 3), (2,)], lambda a, b: pj.kron(a, b), lambda a, b: np.kron(a, b)),
    ("kron-0d", [(), (2, 2)], lambda a, b: pj.kron(a, b), lambda a, b: np.kron(a, b)),
    # empty inputs
    ("split-empty", [(0, 2)], _tuple(lambda x: pj.split(x, 2)), lambda x: np.split(x, 2)),
    ("flip-empty", [(0, 3)], lambda x: pj.flip(x), lambda x: np.flip(x)),
    ("tile-empty", [(0, 2)], lambda x: pj.tile(x, (2, 2)), lambda x: np.tile(x, (2, 2))),
    ("repeat-empty", [(0, 3)], lambda x: pj.repeat(x, 2, axis=0), lambda x: np.repeat(x, 2, axis=0)),
    ("diagonal-empty", [(0, 3)], lambda x: pj.diagonal(x), lambda x: np.diagonal(x)),
    ("trace-empty", [(0, 3)], lambda x: pj.trace(x), lambda x: np.trace(x)),
    ("triu-empty", [(0, 0)], lambda x: pj.triu(x), lambda x: np.triu(x)),
    ("outer-empty", [(0,), (3,)], lambda a, b: pj.outer(a, b), lambda a, b: np.outer(a, b)),
    ("inner-empty-contraction", [(2, 0), (3, 0)], lambda a, b: pj.inner(a, b), lambda a, b: np.inner(a, b)),
    ("kron-empty", [(0, 2), (2,)], lambda a, b: pj.kron(a, b), lambda a, b: np.kron(a, b)),
]


# ids whose public op is a Tensor method or property (the rest call the function named by the id's
# first word)
_NAMES = {
    "reshape-method-varargs": "Tensor.reshape",
    "flatten-method": "Tensor.flatten",
    "T": "Tensor.T",
    "T-3d": "Tensor.T",
    "transpose-method-varargs": "Tensor.transpose",
    "transpose-method-tuple": "Tensor.transpose",
    "squeeze-method": "Tensor.squeeze",
}
# The Tensor-method spelling of an entry's call.
_FORMS = {
    "flip-all": {"Tensor.flip": lambda x: x.flip()},
    "tile-int": {"Tensor.tile": lambda x: x.tile(2)},
    "repeat-flat": {"Tensor.repeat": lambda x: x.repeat(2)},
    "moveaxis": {"Tensor.moveaxis": lambda x: x.moveaxis(0, -1)},
    "swapaxes": {"Tensor.swapaxes": lambda x: x.swapaxes(0, 2)},
    "ravel": {"Tensor.ravel": lambda x: x.T.ravel()},
    "diagonal": {"Tensor.diagonal": lambda x: x.diagonal()},
    "trace": {"Tensor.trace": lambda x: x.trace()},
    "triu": {"Tensor.triu": lambda x: x.triu()},
    "tril": {"Tensor.tril": lambda x: x.tril()},
    "outer": {"Tensor.outer": lambda a, b: a.outer(b)},
    "inner-1d": {"Tensor.inner": lambda a, b: a.inner(b)},
    "kron-1d": {"Tensor.kron": lambda a, b: a.kron(b)},
}
# Sums and products: float rounding may differ from NumPy's order by an ulp.
INEXACT = ("inner", "trace", "kron", "outer")
# Each output element is one input element (or a constant): a Jacobian of 0s and 1s, at most one 1 per row;
# not for sums and products, nor where an input also enters computed (x * 2, x * y).
_DENSE = INEXACT
_COMPUTED = ("concatenate-partial-const", "stack-computed")


def _case(id, shapes, fn, ref):
    op = id.split("-")[0]
    # float64 constants promote float32 inputs (as in NumPy)
    dtypes = (F64, I64) if id.endswith("partial-const") else (F64, F32, I64)
    return OpCase(
        id,
        _NAMES.get(id, op),
        fn,
        tuple(shapes),
        ref=ref,
        forms=_FORMS.get(id, {}),
        family="shape",
        dtypes=dtypes,
        rtol=1e-12 if op in INEXACT else 0,
        sparsity=None if op in _DENSE or id in _COMPUTED else "selection",
    )


# inputs mixed with constants and computed tensors
MIXED = [
    (
        "concatenate-partial-const",
        [(2, 3)],
        lambda x: pj.concatenate([x, pj.ones(2, 3), x * 2], axis=0),
        lambda x: np.concatenate([x, np.ones((2, 3)), x * 2], axis=0),
    ),
    (
        "stack-partial-const",
        [(3,)],
        lambda x: pj.stack([pj.zeros(3), x], axis=1),
        lambda x: np.stack([np.zeros(3), x], axis=1),
    ),
    (
        "stack-computed",
        [(2, 3), (2, 3)],
        lambda x, y: pj.stack([x, y, x * y], axis=-1),
        lambda x, y: np.stack([x, y, x * y], axis=-1),
    ),
]

CASES = [_case(*c) for c in VIEWS + MORE + MIXED]
