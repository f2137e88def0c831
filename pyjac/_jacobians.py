"""The machinery behind jacobian, hessian and the function transforms: whole Jacobians from one
batched sweep, reverse (a stacked identity of cotangents) or forward (a stacked identity of
tangents), optionally in chunks of rows to bound memory."""
import numpy as np

from . import _core
from ._core import Tensor
from ._forward import dual_level, make_dual, tangent_of
from .autograd import grad as _grad


def as_input(x, what="input"):
    """A Tensor for a user-given input: Tensors pass, NumPy arrays and numbers are converted
    (integers to float64, since only floats are differentiable)."""
    if not isinstance(x, Tensor):
        x = _core.from_object(x)
    if x.dtype.kind != "f":
        x = _core.astype(x, np.float64)
    return x


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
    raise TypeError(f"{who}: the function must return a Tensor or a tuple of Tensors, "
                    f"but it returned {type(out).__name__}"
                    + (f" containing {[type(o).__name__ for o in out]}" if isinstance(out, (tuple, list)) else ""))


def _zeros(shape, dtype):
    return _core.full(tuple(shape), 0.0, dtype)


def _identity_rows(n, start, stop, shape, dtype):
    """Rows start..stop of the n x n identity, each shaped ``shape``: (stop - start, *shape)."""
    eye = _core.eye(stop - start, n, start, dtype)
    return _core.reshape(eye, (stop - start,) + tuple(shape))


def _chunks(n, chunk_size):
    step = n if not chunk_size else max(1, int(chunk_size))
    return [(s, min(n, s + step)) for s in range(0, n, step)] or [(0, 0)]


def _unused(strict, i, j, who):
    if strict:
        raise RuntimeError(f"{who}: output {i} of the function is independent of input {j}; "
                           "this is not allowed in strict mode")


def reverse_jacobian(outputs, inputs, create_graph=False, strict=False, vectorize=True, chunk_size=None,
                     who="jacobian"):
    """J[i][j] = d outputs[i] / d inputs[j], shaped out_i.shape + in_j.shape, by backward sweeps
    seeded with rows of the identity (all rows at once when vectorized)."""
    jac = []
    for i, out in enumerate(outputs):
        m = out.size
        blocks = [[] for _ in inputs]
        if out.requires_grad and m:
            spans = _chunks(m, chunk_size) if vectorize else [(r, r + 1) for r in range(m)]
            for start, stop in spans:
                seed = _identity_rows(m, start, stop, out.shape, out.dtype)
                if vectorize:
                    gs = _grad(out, inputs, seed, retain_graph=True, create_graph=create_graph, allow_unused=True,
                               is_grads_batched=True)
                else:
                    gs = _grad(out, inputs, _core.reshape(seed, out.shape), retain_graph=True,
                               create_graph=create_graph, allow_unused=True)
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


def forward_jacobian(func, inputs, strict=False, vectorize=True, chunk_size=None, who="jacobian"):
    """(outputs, J) with J[i][j] shaped out_i.shape + in_j.shape, by forward sweeps that push rows
    of the identity through as tangents (all rows at once when vectorized)."""
    sizes = [x.size for x in inputs]
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
    n = int(offsets[-1])
    spans = _chunks(n, chunk_size) if vectorize else [(r, r + 1) for r in range(n)]
    pieces = None  # pieces[i][j]: list of (rows, *out_i.shape) tangent blocks
    outputs = None
    for start, stop in spans:
        with dual_level() as level:
            duals = []
            for j, x in enumerate(inputs):
                # Input j's slice of the identity rows start..stop: (rows, *x.shape).
                rows = _core.eye(stop - start, n, start, x.dtype)
                block = rows[:, int(offsets[j]):int(offsets[j + 1])]
                duals.append(make_dual(x, _core.reshape(block, (stop - start,) + tuple(x.shape)), level))
            outs, was_tuple = check_outputs(func(*duals), who)
            if pieces is None:
                pieces = [[] for _ in outs]
                outputs = (outs, was_tuple)
            for i, o in enumerate(outs):
                t = tangent_of(o, level)
                pieces[i].append(t if t is not None else _zeros((stop - start,) + tuple(o.shape), o.dtype))
    outs, was_tuple = outputs
    jac = []
    for i, o in enumerate(outs):
        full = pieces[i][0] if len(pieces[i]) == 1 else _core.concatenate(pieces[i], 0)  # (n, *out.shape)
        row = []
        for j, x in enumerate(inputs):
            block = full[int(offsets[j]):int(offsets[j + 1])]
            block = _core.reshape(block, (x.size,) + tuple(o.shape))
            # (in, *out) -> (*out, in) -> (*out, *in.shape)
            perm = tuple(range(1, o.ndim + 1)) + (0,)
            row.append(_core.reshape(_core.transpose(block, perm), tuple(o.shape) + tuple(x.shape)))
        jac.append(row)
    if strict:
        for i, o in enumerate(outs):
            for j in range(len(inputs)):
                if not np.any(jac[i][j].numpy()):
                    _unused(strict, i, j, who)
    return outs, was_tuple, jac


def jvp_forward(func, inputs, tangents, who="jvp"):
    """(outputs, was_tuple, output tangents) from one forward sweep."""
    with dual_level() as level:
        duals = [make_dual(x, t, level) for x, t in zip(inputs, tangents)]
        outs, was_tuple = check_outputs(func(*duals), who)
        touts = []
        for o in outs:
            t = tangent_of(o, level)
            touts.append(t if t is not None else _zeros(o.shape, o.dtype))
    return outs, was_tuple, touts
