"""The machinery behind jacobian, hessian and the function transforms: whole Jacobians from one
batched sweep, reverse (a stacked identity of cotangents) or forward (a stacked identity of
tangents), optionally in chunks of rows to bound memory."""

import contextlib
import numbers
import threading

import numpy as np
import optree

from . import _core
from . import tree as _tree
from ._core import Tensor
from ._forward import dual_level, make_dual, tangent_of


def as_input(x, what="input", index=None):
    """A Tensor for a user-given input: Tensors pass, NumPy arrays and numbers are converted
    (integers to float64, since only floats are differentiable). ``what`` (with ``index`` after it,
    when given) names the input in errors ("jvp: primal 0"); it is formatted only then."""
    if type(x) is Tensor and x.dtype.kind == "f":  # the common case, on every transformed call
        return x
    if index is not None:
        what = f"{what} {index}"
    if not isinstance(x, Tensor):
        if isinstance(x, (list, tuple)) and _holds_tensor_requiring_grad(x):
            # Converting would copy the values and drop their history: derivatives through
            # them would silently be zero.
            raise TypeError(
                f"{what} is a {type(x).__name__} holding Tensors that require grad, which would "
                "lose their gradients as one array; pass pj.stack(...) of them instead"
            )
        try:
            x = _core.from_object(x)
        except (TypeError, ValueError) as e:
            raise type(e)(f"{what} must be a Tensor, a NumPy array or a number, got {type(x).__name__} ({e})") from None
    if x.dtype.kind != "f":
        x = _core.astype(x, np.float64)
    return x


def _holds_tensor_requiring_grad(items):
    for item in items:
        if isinstance(item, Tensor):
            if item.requires_grad:
                return True
        elif isinstance(item, (list, tuple)) and _holds_tensor_requiring_grad(item):
            return True
    return False


def fresh_input(x):
    """A tensor to differentiate with respect to: a new node on top of ``x`` (so gradients and
    tangents keep flowing to ``x`` when an outer transform is differentiating it), or a new leaf."""
    y = _core.alias(x)
    if not y.requires_grad:
        y.requires_grad_(True)
    return y


def flatten_outputs(out, who):
    """The user's function's output, a Tensor or a pytree of Tensors, as (leaves, treedef); the
    treedef is None for a lone Tensor (no flattening on the common path)."""
    if isinstance(out, Tensor):
        return (out,), None
    leaves, treedef = _tree.flatten(out)
    if leaves and all(isinstance(o, Tensor) for o in leaves):
        return tuple(leaves), treedef
    raise TypeError(
        f"{who}: the function must return a Tensor or a pytree of Tensors (tuple, list, dict, ...), "
        f"but it returned {type(out).__name__}"
        + (f" containing {[type(o).__name__ for o in leaves]}" if treedef.num_nodes > 1 else "")
    )


def rebuild(treedef, items):
    """The inverse of flatten_outputs / flatten_argument: items[0] for a lone leaf (treedef None),
    else the tree of structure treedef holding items."""
    return items[0] if treedef is None else _tree.unflatten(treedef, items)


def _path_text(path):
    return "".join(f"[{entry!r}]" for entry in path)


def _leaf_inputs(value, leaves, what):
    """as_input of every leaf of ``value``; an unusable leaf is named by its path in ``value``
    ("grad: argument 0['w'] must be a Tensor, ...")."""
    out = []
    for k, leaf in enumerate(leaves):
        if type(leaf) is Tensor and leaf.dtype.kind == "f":
            out.append(leaf)
            continue
        try:
            out.append(as_input(leaf, what))
        except (TypeError, ValueError):
            paths = optree.tree_flatten_with_path(value, namespace=_tree.NAMESPACE)[0]
            out.append(as_input(leaf, what + _path_text(paths[k])))
    return tuple(out)


def flatten_argument(value, what, index=None):
    """One argument to differentiate, a Tensor / array / number or a pytree of them, as
    (leaf Tensors, treedef); the treedef is None for a lone leaf, which is converted by as_input
    as before pytrees (so a list that is a pytree of numbers is a list of 0-d inputs, while a
    bare ``None`` argument, which has nothing to differentiate, is refused)."""
    if type(value) is Tensor and value.dtype.kind == "f":  # the common case: no naming, no flattening
        return (value,), None
    if index is not None:
        what = f"{what} {index}"
    if value is None or isinstance(value, Tensor):
        return (as_input(value, what),), None
    leaves, treedef = _tree.flatten(value)
    if treedef.num_nodes == 1 and treedef.num_leaves == 1:  # a leaf: an array, a number, ...
        return (as_input(value, what),), None
    return _leaf_inputs(value, leaves, what), treedef


def flatten_like(value, treedef, what, target):
    """``value`` (cotangents, tangents, vectors v) as leaf Tensors in the structure ``treedef`` of
    ``target`` (None: one leaf, converted by as_input). A different structure is a ValueError
    naming both; a list where ``target`` is a tuple is read as that tuple (as pyjac always did)."""
    if treedef is None:
        return (as_input(value, what),)
    leaves, got = _tree.flatten(value)
    if got != treedef and isinstance(value, list) and treedef.type is tuple:
        value = tuple(value)
        leaves, got = _tree.flatten(value)
    if got != treedef:
        raise ValueError(
            f"{what} has the structure {_tree.describe_structure(got)}, but {target} has the structure "
            f"{_tree.describe_structure(treedef)}; they must match"
        )
    return _leaf_inputs(value, leaves, what)


class FlatArguments:
    """Arguments that may be pytrees as one flat tuple of leaf Tensors (``leaves``), and the way
    back from one value per leaf to one pytree per argument (``rebuild``). ``defs`` is None when
    every argument is a lone leaf (the common case: nothing to rebuild)."""

    __slots__ = ("leaves", "defs", "counts")

    def __init__(self, values, what, indices=None):
        """``indices``: the number naming each value in errors ("grad: argument 2"); None for
        unnumbered values."""
        leaves, defs, counts = [], None, []
        for i, v in enumerate(values):
            ls, d = flatten_argument(v, what, None if indices is None else indices[i])
            if d is not None and defs is None:
                defs = [None] * i
            if defs is not None:
                defs.append(d)
            leaves.extend(ls)
            counts.append(len(ls))
        self.leaves, self.defs, self.counts = tuple(leaves), defs, counts

    def rebuild(self, items):
        """One pytree per argument from one item per leaf (a list)."""
        if self.defs is None:
            return list(items)
        out, start = [], 0
        for d, n in zip(self.defs, self.counts):
            out.append(rebuild(d, items[start : start + n]))
            start += n
        return out

    def flatten_like(self, values, what, target, numbered=True):
        """Values with one entry per argument, each in that argument's structure, as leaves."""
        out = []
        for k, v in enumerate(values):
            d = None if self.defs is None else self.defs[k]
            suffix = f" {k}" if numbered else ""
            out.extend(flatten_like(v, d, what + suffix, target + suffix))
        return tuple(out)


def check_chunk_size(chunk_size, who, auto=True):
    """None (one sweep for everything), a positive int (rows per sweep) or, where ``auto``,
    "auto" (rows per sweep chosen to keep the sweep under the memory budget)."""
    if chunk_size is None or (auto and isinstance(chunk_size, str) and chunk_size == "auto"):
        return
    if not isinstance(chunk_size, numbers.Integral) or isinstance(chunk_size, (bool, np.bool_)):
        allowed = "None, a positive int or 'auto'" if auto else "None or a positive int"
        raise TypeError(f"{who}: chunk_size must be {allowed}, got {type(chunk_size).__name__}")
    if chunk_size < 1:
        raise ValueError(f"{who}: chunk_size must be None (no chunking) or a positive int, got {chunk_size}")


# The memory a batched sweep may use when chunk_size="auto" (set_memory_budget).
DEFAULT_MEMORY_BUDGET = 1 << 30
_memory_budget = DEFAULT_MEMORY_BUDGET


def set_memory_budget(nbytes):
    """Sets the bytes one batched Jacobian sweep may hold when ``chunk_size="auto"`` (default
    1 GiB, 2**30); returns the previous budget."""
    global _memory_budget
    if not isinstance(nbytes, numbers.Integral) or isinstance(nbytes, (bool, np.bool_)):
        raise TypeError(f"set_memory_budget: nbytes must be a positive int (bytes), got {type(nbytes).__name__}")
    if nbytes < 1:
        raise ValueError(f"set_memory_budget: nbytes must be a positive int (bytes), got {nbytes}")
    previous, _memory_budget = _memory_budget, int(nbytes)
    return previous


def get_memory_budget():
    """The bytes one batched Jacobian sweep may hold when ``chunk_size="auto"``."""
    return _memory_budget


def graph_size(outputs, limit=100_000):
    """The number of nodes of the recorded graph behind ``outputs`` (counted up to ``limit``)."""
    seen = {}  # id -> node: holding the Python objects keeps each C++ node's wrapper (and id) unique
    stack = [o.grad_fn for o in outputs if o.grad_fn is not None]
    while stack and len(seen) < limit:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen[id(node)] = node
        stack.extend(fn for fn, _ in node.next_functions if fn is not None and id(fn) not in seen)
    return len(seen)


def auto_chunk(rows, row_elements, nodes, itemsize):
    """Rows per sweep so that a batched sweep of ``rows`` rows stays under the memory budget, or
    None when all rows fit in one. The estimate of one row's cost: ``nodes + 2`` tensors (one per
    node of the graph the sweep runs through, plus its seed and its result) of ``row_elements``
    elements each (the larger of all inputs' and all outputs' sizes). A graph whose
    intermediates are much larger than its inputs and outputs (an outer product inside) can
    exceed it: give chunk_size explicitly there."""
    per_row = max(1, (nodes + 2) * max(1, row_elements) * itemsize)
    fit = max(1, _memory_budget // per_row)
    return None if fit >= rows else int(fit)


def resolve_chunk(chunk_size, rows, outputs, inputs):
    """chunk_size with "auto" replaced by auto_chunk's answer for a sweep of ``rows`` rows through
    the graph from ``inputs`` to ``outputs`` (recorded: its nodes are counted)."""
    if not (isinstance(chunk_size, str) and chunk_size == "auto"):
        return chunk_size
    elements = max(sum(o.size for o in outputs), sum(x.size for x in inputs))
    itemsize = max([np.dtype(t.dtype).itemsize for t in list(outputs) + list(inputs)] or [8])
    return auto_chunk(rows, elements, graph_size(outputs), itemsize)


@contextlib.contextmanager
def _core_grad_enabled():
    previous = _core.is_grad_enabled()
    _core.set_grad_enabled(True)
    try:
        yield
    finally:
        _core.set_grad_enabled(previous)


def _zeros(shape, dtype):
    return _core.full(tuple(shape), 0.0, dtype)


def _identity_rows(n, start, stop, shape, dtype):
    """Rows start..stop of the n x n identity, each shaped ``shape``: (stop - start, *shape)."""
    eye = _core.eye(stop - start, n, start, dtype)
    return _core.reshape(eye, (stop - start,) + tuple(shape))


def _chunks(n, chunk_size):
    step = max(n, 1) if chunk_size is None else int(chunk_size)
    return [(s, min(n, s + step)) for s in range(0, n, step)] or [(0, 0)]


def _unused(strict, i, j, who):
    if strict:
        raise RuntimeError(
            f"{who}: output {i} of the function is independent of input {j}; this is not allowed in strict mode"
        )


def reverse_jacobian(
    outputs, inputs, create_graph=False, strict=False, vectorize=True, chunk_size=None, who="jacobian"
):
    """J[i][j] = d outputs[i] / d inputs[j], shaped out_i.shape + in_j.shape, by backward sweeps
    seeded with rows of the identity (all rows at once when vectorized)."""
    jac = []
    for i, out in enumerate(outputs):
        m = out.size
        blocks = [[] for _ in inputs]
        if out.requires_grad and m:
            # One row at a time when there is only one: a batch of one would make every rule
            # broadcast against an extra dimension for nothing.
            batched = vectorize and m > 1
            chunk = resolve_chunk(chunk_size, m, [out], inputs) if batched else None
            spans = _chunks(m, chunk) if batched else [(r, r + 1) for r in range(m)]
            for start, stop in spans:
                seed = _identity_rows(m, start, stop, out.shape, out.dtype)
                # The engine directly: outputs, inputs and seeds are already checked tensors here.
                if batched:
                    gs = _core.run_backward(
                        [out],
                        [seed],
                        retain_graph=True,
                        create_graph=bool(create_graph),
                        inputs=list(inputs),
                        allow_unused=True,
                        batched=True,
                    )
                else:
                    gs = _core.run_backward(
                        [out],
                        [_core.reshape(seed, out.shape)],
                        retain_graph=True,
                        create_graph=bool(create_graph),
                        inputs=list(inputs),
                        allow_unused=True,
                        batched=False,
                    )
                    gs = tuple(None if g is None else _core.expand_dims(g, 0) for g in gs)
                for j, g in enumerate(gs):
                    blocks[j].append(g)
        row = []
        for j, x in enumerate(inputs):
            parts = blocks[j]
            if not parts or any(p is None for p in parts):
                _unused(strict, i, j, who)
                row.append(_zeros(tuple(out.shape) + tuple(x.shape), x.dtype))
                continue
            full = parts[0] if len(parts) == 1 else _core.concatenate(parts, 0)
            row.append(_core.reshape(full, tuple(out.shape) + tuple(x.shape)))
        jac.append(row)
    return jac


def _forward_pass(func, inputs, tangents, who, separate_levels):
    """Runs func on duals of ``inputs`` carrying ``tangents`` (None: that input carries none).
    With separate_levels each input gets its own forward level, so the result tells, per output
    and input, the tangent from that input alone, or None when the output doesn't depend on it.
    Returns (outputs, out_def (see flatten_outputs), per_output list of per-input tangents (or one summed entry))."""
    with contextlib.ExitStack() as stack:
        shared = None if separate_levels else stack.enter_context(dual_level())
        levels, duals = [], []
        for x, t in zip(inputs, tangents):
            if t is None:
                levels.append(None)
                duals.append(x)
                continue
            level = stack.enter_context(dual_level()) if separate_levels else shared
            levels.append(level)
            duals.append(make_dual(x, t, level))
        with transform_scope("forward"):
            outs, out_def = flatten_outputs(func(*duals), who)
        if separate_levels:
            touts = [[None if lv is None else tangent_of(o, lv) for lv in levels] for o in outs]
        else:
            touts = [[tangent_of(o, shared)] for o in outs]
    return outs, out_def, touts


def forward_jacobian(func, inputs, strict=False, vectorize=True, chunk_size=None, who="jacobian"):
    """(outputs, out_def, J) with J[i][j] shaped out_i.shape + in_j.shape, by forward sweeps that
    push rows of each input's identity through as tangents (every input at once, each at its own
    level, when vectorized without chunks; otherwise chunk by chunk)."""

    def identity_tangents(x, start, stop):
        return _identity_rows(x.size, start, stop, x.shape, x.dtype)

    if vectorize and isinstance(chunk_size, str):  # "auto": one recorded evaluation shows the graph
        with _core_grad_enabled():
            probe = tuple(fresh_input(x.detach()) for x in inputs)
            outs = flatten_outputs(func(*probe), who)[0]
            chunk_size = resolve_chunk(chunk_size, max([x.size for x in inputs] or [0]), outs, probe)
            del probe, outs
    if vectorize and chunk_size is None:
        passes = [[(j, 0, x.size) for j, x in enumerate(inputs)]]
    else:
        step = int(chunk_size) if vectorize else 1
        passes = [[(j, s, min(x.size, s + step))] for j, x in enumerate(inputs) for s in range(0, x.size, step)]
        passes = passes or [[(j, 0, 0) for j in range(len(inputs))]]
    blocks = None  # blocks[i][j]: list of (rows, *out_i.shape) tangents; None entries: independent
    result = None
    for spans in passes:
        tangents = [None] * len(inputs)
        for j, start, stop in spans:
            tangents[j] = identity_tangents(inputs[j], start, stop)
        outs, out_def, touts = _forward_pass(func, inputs, tangents, who, separate_levels=True)
        if blocks is None:
            blocks = [[[] for _ in inputs] for _ in outs]
            result = (outs, out_def)
        for i in range(len(outs)):
            for j, _, _ in spans:
                blocks[i][j].append(touts[i][j])
    outs, out_def = result
    jac = []
    for i, o in enumerate(outs):
        row = []
        for j, x in enumerate(inputs):
            parts = blocks[i][j]
            if not parts or all(p is None for p in parts):
                if x.size and o.size:
                    _unused(strict, i, j, who)
                row.append(_zeros(tuple(o.shape) + tuple(x.shape), x.dtype))
                continue
            parts = [p if p is not None else _zeros((0,) + tuple(o.shape), o.dtype) for p in parts]
            full = parts[0] if len(parts) == 1 else _core.concatenate(parts, 0)  # (in.size, *out.shape)
            # (in, *out) -> (*out, in) -> (*out, *in.shape)
            perm = tuple(range(1, o.ndim + 1)) + (0,)
            block = _core.transpose(_core.reshape(full, (x.size,) + tuple(o.shape)), perm)
            row.append(_core.reshape(block, tuple(o.shape) + tuple(x.shape)))
        jac.append(row)
    return outs, out_def, jac


def jvp_forward(func, inputs, tangents, who="jvp", strict=False):
    """(outputs, out_def, output tangents) from one forward sweep (per-input levels when strict,
    to tell which outputs depend on which inputs)."""
    outs, out_def, touts = _forward_pass(func, inputs, tangents, who, separate_levels=strict)
    result = []
    for i, (o, ts) in enumerate(zip(outs, touts)):
        total = None
        for j, t in enumerate(ts):
            if t is None:
                if strict:
                    _unused(True, i, j, who)
                continue
            total = t if total is None else total + t
        result.append(total if total is not None else _zeros(o.shape, o.dtype))
    return outs, out_def, result


# How many transforms of each kind are running on this thread. Inside any, an inner transform
# must not cut its results loose (detaching would drop the outer tangents); inside a reverse one,
# it must also record its backward pass (create_graph), since the outer transform may
# differentiate through it even when the dependence comes only through a closure.
_depth = threading.local()


def transform_depth(kind=None):
    if kind is None:
        return getattr(_depth, "forward", 0) + getattr(_depth, "reverse", 0)
    return getattr(_depth, kind, 0)


@contextlib.contextmanager
def transform_scope(kind):
    setattr(_depth, kind, transform_depth(kind) + 1)
    try:
        yield
    finally:
        setattr(_depth, kind, transform_depth(kind) - 1)
