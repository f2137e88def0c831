"""vmap: a function over one example mapped over a batch, without a Python loop.

Each mapped argument becomes a *batched* tensor (Note [Batched tensors], csrc/vmap/batched.h): it
shows the function one example's shape, while every op on it runs once over the whole batch.
Levels nest, one per running vmap, so ``vmap(vmap(f))`` maps over two axes independently.
"""

import functools
import inspect
import numbers

import numpy as np

from . import _core
from . import tree as _tree
from ._core import Tensor

__all__ = ["vmap"]


def _is_axis(a):
    return a is None or (isinstance(a, numbers.Integral) and not isinstance(a, (bool, np.bool_)))


def _broadcast_axes(axes, tree, what):
    """``axes`` (an int / None, or a tree prefix of ``tree`` with ints / None at its leaves, as
    JAX's in_axes) as one axis per leaf of ``tree``."""
    per_leaf = _tree.broadcast_prefix(axes, tree, who="vmap", what=what)
    for a in per_leaf:
        if not _is_axis(a):
            raise TypeError(f"vmap: {what} must hold ints or None, got {type(a).__name__}")
    return per_leaf


def _as_mapped(x, axis, index):
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (np.ndarray, np.generic)):
        return _core.from_object(x)
    raise ValueError(
        f"vmap: in_axes gives argument leaf {index} (a {type(x).__name__}) the axis {axis}, but only tensors "
        "and arrays can be mapped over; give it in_axes None"
    )


def _batch_size(leaves, axes, axis_size):
    sizes = []
    for i, (x, a) in enumerate(zip(leaves, axes)):
        if a is None:
            continue
        if x.ndim == 0:
            raise ValueError(f"vmap: can't map over axis {a} of argument leaf {i}, a 0-d tensor")
        if not -x.ndim <= a < x.ndim:
            raise ValueError(
                f"vmap: in_axes {a} is out of range for argument leaf {i} of shape {tuple(x.shape)} "
                f"({x.ndim} dimension{'s' if x.ndim != 1 else ''})"
            )
        sizes.append((i, x.shape[a]))
    if not sizes:
        if axis_size is None:
            raise ValueError(
                "vmap: no argument is mapped (every in_axes is None); pass axis_size to say the batch size"
            )
        return int(axis_size)
    distinct = {s for _, s in sizes}
    if len(distinct) > 1:
        raise ValueError(
            "vmap: the mapped axes have different sizes: "
            + ", ".join(f"argument leaf {i} has {s}" for i, s in sizes)
            + " (every mapped argument needs the same batch size)"
        )
    size = sizes[0][1]
    if axis_size is not None and axis_size != size:
        raise ValueError(f"vmap: axis_size={axis_size} but the mapped axes have size {size}")
    return size


def _unbatch(out, out_axes, level):
    leaves, tree = _tree.flatten(out)
    axes = _broadcast_axes(out_axes, out, "out_axes")
    result = []
    for i, (y, a) in enumerate(zip(leaves, axes)):
        if not isinstance(y, Tensor):
            if isinstance(y, (numbers.Number, np.ndarray, np.generic)):
                y = _core.from_object(y)
            else:
                raise TypeError(
                    "vmap: the function must return tensors (or trees of them), "
                    f"got a {type(y).__name__} at output leaf {i}"
                )
        if a is None:
            if level in _core.vmap_levels(y):
                raise ValueError(
                    f"vmap: out_axes is None for output leaf {i}, but it differs between examples "
                    "(it depends on a mapped argument); give it an axis"
                )
            result.append(y)
            continue
        result.append(_core.vmap_remove_batch_dim(y, level, a))
    return _tree.unflatten(tree, result)


def vmap(func, in_axes=0, out_axes=0, randomness="error", *, chunk_size=None, axis_size=None):
    """``func`` mapped over an axis of its arguments: ``vmap(f)(xs)[i] == f(xs[i])``, computed by one
    call of ``f`` on batched tensors rather than a loop.

    in_axes     the mapped axis of each argument: an int (every argument), None (an argument passed
                whole to every example), or a tree matching the arguments (a tuple with one entry per
                argument, each an int, None, or a tree prefix of that argument). Negative axes count
                from the end. Keyword arguments are passed whole, unmapped.
    out_axes    where the batch axis goes in each output (an int, or a tree prefix of the outputs);
                None for an output that is the same for every example.
    randomness  "error" (random ops inside raise), "different" (independent draws per example) or
                "same" (one draw for the whole batch), as torch.func.
    chunk_size  maps the batch in pieces of this many examples (one call of func each) to bound
                memory; the results are concatenated.
    axis_size   the batch size when no argument is mapped.

    Every pyjac op works on batched tensors; most by a rule that batches it directly, the rest
    (docs/vmap.md lists them) by calling the op once per example inside C++. Transforms compose:
    ``vmap(grad(f))`` gives per-example gradients, ``vmap(jacrev(f))`` batched Jacobians.
    """
    if not callable(func):
        raise TypeError(f"vmap: func must be callable, got {type(func).__name__}")
    if randomness not in ("error", "different", "same"):
        raise ValueError(f"vmap: randomness must be 'error', 'different' or 'same', got {randomness!r}")
    if chunk_size is not None and (
        not isinstance(chunk_size, numbers.Integral) or isinstance(chunk_size, bool) or chunk_size < 1
    ):
        raise ValueError(f"vmap: chunk_size must be None or a positive int, got {chunk_size!r}")
    if axis_size is not None and (
        not isinstance(axis_size, numbers.Integral) or isinstance(axis_size, bool) or axis_size < 0
    ):
        raise ValueError(f"vmap: axis_size must be None or a non-negative int, got {axis_size!r}")
    if not _is_axis(in_axes) and not isinstance(in_axes, (tuple, list)):
        raise TypeError(
            f"vmap: in_axes must be an int, None, or a tuple with one entry per argument, got {type(in_axes).__name__}"
        )

    @functools.wraps(func)
    def mapped(*args, **kwargs):
        if not _is_axis(in_axes) and len(in_axes) != len(args):
            raise ValueError(
                f"vmap: in_axes has {len(in_axes)} entries but the function was called with {len(args)} "
                "positional arguments"
            )
        leaves, tree = _tree.flatten(args)
        axes = _broadcast_axes(tuple(in_axes) if isinstance(in_axes, list) else in_axes, args, "in_axes")
        leaves = [x if a is None else _as_mapped(x, a, i) for i, (x, a) in enumerate(zip(leaves, axes))]
        size = _batch_size(leaves, axes, axis_size)
        if chunk_size is None or chunk_size >= size:
            return _run(func, leaves, axes, tree, kwargs, size)
        pieces = []
        for start in range(0, size, chunk_size):
            stop = min(size, start + chunk_size)
            part = [
                x if a is None else _core.take(x, _core.arange(start, stop, 1, np.int64), a)
                for x, a in zip(leaves, axes)
            ]
            pieces.append(_run(func, part, axes, tree, kwargs, stop - start))
        return _concatenate_chunks(pieces, out_axes)

    def _run(func, leaves, axes, tree, kwargs, size):
        level = _core.vmap_push_level(size, randomness)
        try:
            batched = [x if a is None else _core.vmap_add_batch_dim(x, a, level) for x, a in zip(leaves, axes)]
            out = func(*_tree.unflatten(tree, batched), **kwargs)
            return _unbatch(out, out_axes, level)
        finally:
            _core.vmap_pop_level(level)

    return mapped


def _concatenate_chunks(pieces, out_axes):
    first_leaves, tree = _tree.flatten(pieces[0])
    axes = _broadcast_axes(out_axes, pieces[0], "out_axes")
    columns = [_tree.flatten(p)[0] for p in pieces]
    result = []
    for j, a in enumerate(axes):
        if a is None:
            result.append(first_leaves[j])
        else:
            result.append(_core.concatenate([c[j] for c in columns], a))
    return _tree.unflatten(tree, result)


def every_example(t):
    """The values of ``t`` for every example at once, as a NumPy array with the batch dims in front
    (outermost vmap first), and how many there are: for SciPy-style checks of the inputs and
    warnings, which hold per element. Outside vmap: ``t``'s values and 0."""
    levels = _core.vmap_levels(t)
    for level in reversed(levels):
        t = _core.vmap_remove_batch_dim(t, level, 0)
    return np.asarray(t.detach()), len(levels)


def per_example(fn=None, *, over=None):
    """For the composites that compute with values in Python (a data-dependent branch, indices
    worked out in NumPy): under vmap ``fn`` runs once per example of the innermost vmap, the
    results stacked. With ``over`` (argument names) only when one of those arguments is batched:
    the others it batches like any pyjac code. docs/vmap.md lists the functions this applies to."""
    if fn is None:
        return functools.partial(per_example, over=over)
    signature = inspect.signature(fn) if over else None

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        leaves, tree = _tree.flatten((args, kwargs))
        levels = {lv for x in leaves if isinstance(x, Tensor) for lv in _core.vmap_levels(x)}
        if not levels:
            return fn(*args, **kwargs)
        if over:
            named = signature.bind(*args, **kwargs).arguments
            if not any(
                isinstance(x, Tensor) and _core.vmap_levels(x) for name in over for x in _tree.leaves(named.get(name))
            ):
                return fn(*args, **kwargs)
        level = max(levels)
        unstacked = [
            _core.vmap_remove_batch_dim(x, level, 0)
            if isinstance(x, Tensor) and level in _core.vmap_levels(x)
            else None
            for x in leaves
        ]
        size = next(u.shape[0] for u in unstacked if u is not None)
        results = []
        for i in range(size):
            example = [x if u is None else u[i] for x, u in zip(leaves, unstacked)]
            a, k = _tree.unflatten(tree, example)
            results.append(wrapper(*a, **k))
        out_leaves, out_tree = _tree.flatten(results[0])
        columns = [_tree.flatten(r)[0] for r in results]
        stacked = [
            _core.vmap_add_batch_dim(_core.stack([_as_result(c[j]) for c in columns], 0), 0, level)
            for j in range(len(out_leaves))
        ]
        return _tree.unflatten(out_tree, stacked)

    return wrapper


def _as_result(y):
    return y if isinstance(y, Tensor) else _core.from_object(y)
