"""The machinery behind jacobian, hessian and the function transforms: whole Jacobians from one
batched sweep, reverse (a stacked identity of cotangents) or forward (a stacked identity of
tangents), optionally in chunks of rows to bound memory."""

import contextlib
import numbers
import threading

import numpy as np

from . import _core
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


def check_outputs(out, who):
    """A Tensor or tuple of Tensors from the user's function, as (tuple, was_tuple)."""
    if isinstance(out, Tensor):
        return (out,), False
    if isinstance(out, (tuple, list)) and out and all(isinstance(o, Tensor) for o in out):
        return tuple(out), True
    raise TypeError(
        f"{who}: the function must return a Tensor or a tuple of Tensors, "
        f"but it returned {type(out).__name__}"
        + (f" containing {[type(o).__name__ for o in out]}" if isinstance(out, (tuple, list)) else "")
    )


def check_chunk_size(chunk_size, who):
    """None (one sweep for everything) or a positive int (rows per sweep)."""
    if chunk_size is None:
        return
    if not isinstance(chunk_size, numbers.Integral) or isinstance(chunk_size, (bool, np.bool_)):
        raise TypeError(f"{who}: chunk_size must be None or a positive int, got {type(chunk_size).__name__}")
    if chunk_size < 1:
        raise ValueError(f"{who}: chunk_size must be None (no chunking) or a positive int, got {chunk_size}")


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
            spans = _chunks(m, chunk_size) if batched else [(r, r + 1) for r in range(m)]
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
    Returns (outputs, was_tuple, per_output list of per-input tangents (or one summed entry))."""
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
            outs, was_tuple = check_outputs(func(*duals), who)
        if separate_levels:
            touts = [[None if lv is None else tangent_of(o, lv) for lv in levels] for o in outs]
        else:
            touts = [[tangent_of(o, shared)] for o in outs]
    return outs, was_tuple, touts


def forward_jacobian(func, inputs, strict=False, vectorize=True, chunk_size=None, who="jacobian"):
    """(outputs, was_tuple, J) with J[i][j] shaped out_i.shape + in_j.shape, by forward sweeps that
    push rows of each input's identity through as tangents (every input at once, each at its own
    level, when vectorized without chunks; otherwise chunk by chunk)."""

    def identity_tangents(x, start, stop):
        return _identity_rows(x.size, start, stop, x.shape, x.dtype)

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
        outs, was_tuple, touts = _forward_pass(func, inputs, tangents, who, separate_levels=True)
        if blocks is None:
            blocks = [[[] for _ in inputs] for _ in outs]
            result = (outs, was_tuple)
        for i in range(len(outs)):
            for j, _, _ in spans:
                blocks[i][j].append(touts[i][j])
    outs, was_tuple = result
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
    return outs, was_tuple, jac


def jvp_forward(func, inputs, tangents, who="jvp", strict=False):
    """(outputs, was_tuple, output tangents) from one forward sweep (per-input levels when strict,
    to tell which outputs depend on which inputs)."""
    outs, was_tuple, touts = _forward_pass(func, inputs, tangents, who, separate_levels=strict)
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
    return outs, was_tuple, result


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
