"""Whole derivative objects in the style of ``torch.autograd.functional``: jacobian, hessian,
vjp, jvp, hvp, vhp. Inputs may be Tensors, NumPy arrays or Python floats; a tuple of inputs gives
tuple results. Jacobians come from one batched sweep (reverse or forward mode)."""

from . import _core
from ._jacobians import (
    as_input,
    check_chunk_size,
    check_outputs,
    forward_jacobian,
    fresh_input,
    jvp_forward,
    reverse_jacobian,
)
from .autograd import grad as _grad

__all__ = ["jacobian", "hessian", "vjp", "jvp", "hvp", "vhp"]


def _prepare(inputs, create_graph, who):
    """(fresh inputs, was_tuple). Without create_graph the results are cut from any outer graph."""
    was_tuple = isinstance(inputs, (tuple, list))
    items = inputs if was_tuple else (inputs,)
    xs = tuple(
        as_input(x, who + ": input", i) if was_tuple else as_input(x, who + ": inputs") for i, x in enumerate(items)
    )
    if not create_graph:
        xs = tuple(x.detach() for x in xs)
    return tuple(fresh_input(x) for x in xs), was_tuple


def _finish(t, create_graph):
    return t if create_graph or t is None else t.detach()


def _shape_result(jac, out_tuple, in_tuple, create_graph):
    rows = [tuple(_finish(b, create_graph) for b in row) for row in jac]
    rows = [row if in_tuple else row[0] for row in rows]
    return tuple(rows) if out_tuple else rows[0]


def _as_vectors(v, like, who, what):
    """The vectors v, one per tensor in ``like`` (the outputs for vjp, the inputs for jvp), each
    of its shape; ones when v is None and every tensor has one element."""
    if v is None:
        for t in like:
            if t.size != 1:
                raise RuntimeError(
                    f"{who}: v can be omitted only for single-element {what}s, got one of shape {t.shape}"
                )
        return [_core.full(t.shape, 1.0, t.dtype) for t in like]
    was_tuple = isinstance(v, (tuple, list))
    vs = v if was_tuple else (v,)
    if len(vs) != len(like):
        raise ValueError(f"{who}: got {len(vs)} vectors v for {len(like)} {what}s")
    out = []
    for i, (vi, t) in enumerate(zip(vs, like)):
        vi = as_input(vi, f"{who}: v[{i}]" if was_tuple else f"{who}: v")
        if vi.shape != t.shape:
            raise ValueError(f"{who}: v of shape {vi.shape} does not match {what} of shape {t.shape}")
        out.append(vi)
    return out


def _grads_or_zeros(gs, inputs, strict, who):
    out = []
    for j, (g, x) in enumerate(zip(gs, inputs)):
        if g is None:
            if strict:
                raise RuntimeError(f"{who}: the output is independent of input {j}; not allowed in strict mode")
            g = _core.full(x.shape, 0.0, x.dtype)
        out.append(g)
    return out


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=True, strategy="auto", chunk_size=None):
    """The Jacobian of ``func`` at ``inputs``: shaped out.shape + in.shape; ``result[i][j]`` is
    d out_i / d in_j when func returns a tuple and inputs is a tuple.

    strategy: "reverse-mode" (one backward sweep per chunk of output rows), "forward-mode" (one
    forward sweep per chunk of input columns) or "auto" (forward when the inputs have fewer
    elements than the outputs). vectorize=False goes row by row instead (for comparison).
    """
    if strategy not in ("auto", "reverse-mode", "forward-mode"):
        raise ValueError(f"jacobian: strategy must be 'auto', 'reverse-mode' or 'forward-mode', got {strategy!r}")
    check_chunk_size(chunk_size, "jacobian")
    xs, in_tuple = _prepare(inputs, create_graph, "jacobian")
    outs = None
    if strategy == "auto":
        # The output sizes decide; the evaluation is reused by reverse mode.
        outs, out_tuple = check_outputs(func(*xs), "jacobian")
        strategy = "forward-mode" if sum(x.size for x in xs) < sum(o.size for o in outs) else "reverse-mode"
    if strategy == "forward-mode":
        _, out_tuple, jac = forward_jacobian(func, xs, strict, vectorize, chunk_size)
    else:
        if outs is None:
            outs, out_tuple = check_outputs(func(*xs), "jacobian")
        jac = reverse_jacobian(outs, xs, create_graph, strict, vectorize, chunk_size)
    return _shape_result(jac, out_tuple, in_tuple, create_graph)


def _scalar_output(func, who):
    def wrapped(*xs):
        outs, was_tuple = check_outputs(func(*xs), who)
        if was_tuple or outs[0].size != 1:
            raise RuntimeError(
                f"{who}: the function must return a single-element Tensor, "
                f"got {'a tuple' if was_tuple else 'shape ' + str(outs[0].shape)}"
            )
        return _core.reshape(outs[0], ())

    return wrapped


def hessian(func, inputs, create_graph=False, strict=False, vectorize=True, outer_jacobian_strategy="auto"):
    """The Hessian of a scalar ``func``: shaped in.shape + in.shape (``result[i][j]`` for tuple
    inputs). The gradient comes from reverse mode (with create_graph); the outer Jacobian of it is
    reverse-over-reverse ("reverse-mode", and "auto": one batched backward sweep through the
    gradient's graph, measured fastest here) or forward-over-reverse ("forward-mode")."""
    if outer_jacobian_strategy not in ("auto", "reverse-mode", "forward-mode"):
        raise ValueError("hessian: outer_jacobian_strategy must be 'auto', 'reverse-mode' or 'forward-mode'")
    scalar = _scalar_output(func, "hessian")
    xs, in_tuple = _prepare(inputs, create_graph, "hessian")

    def gradient(*ys):
        out = scalar(*ys)
        gs = _grad(out, ys, create_graph=True, allow_unused=True) if out.requires_grad else (None,) * len(ys)
        return tuple(_grads_or_zeros(gs, ys, strict, "hessian"))

    strategy = "reverse-mode" if outer_jacobian_strategy == "auto" else outer_jacobian_strategy
    if strategy == "forward-mode":
        _, _, jac = forward_jacobian(gradient, xs, strict, vectorize, None, "hessian")
    else:
        jac = reverse_jacobian(gradient(*xs), xs, create_graph, strict, vectorize, None, "hessian")
    return _shape_result(jac, in_tuple, in_tuple, create_graph)


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T J): the vector-Jacobian product, by one backward sweep."""
    xs, in_tuple = _prepare(inputs, create_graph, "vjp")
    outs, out_tuple = check_outputs(func(*xs), "vjp")
    vs = _as_vectors(v, outs, "vjp", "output")
    live = [(o, vi) for o, vi in zip(outs, vs) if o.requires_grad]
    gs = (
        _grad([o for o, _ in live], xs, [vi for _, vi in live], create_graph=create_graph, allow_unused=True)
        if live
        else (None,) * len(xs)
    )
    gs = [_finish(g, create_graph) for g in _grads_or_zeros(gs, xs, strict, "vjp")]
    outs = tuple(_finish(o, create_graph) for o in outs)
    return (outs if out_tuple else outs[0]), (tuple(gs) if in_tuple else gs[0])


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), J v): the Jacobian-vector product, by one forward-mode sweep."""
    xs, in_tuple = _prepare(inputs, create_graph, "jvp")
    ts = _as_vectors(v, xs, "jvp", "input")
    outs, out_tuple, touts = jvp_forward(func, xs, ts, "jvp", strict=strict)
    outs = tuple(_finish(o, create_graph) for o in outs)
    touts = tuple(_finish(t, create_graph) for t in touts)
    return (outs if out_tuple else outs[0]), (touts if out_tuple else touts[0])


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), H v) for a scalar func, forward-over-reverse: the tangent v rides through
    the forward pass and the backward pass, and comes out of the gradient as H v."""
    scalar = _scalar_output(func, "hvp")
    xs, in_tuple = _prepare(inputs, create_graph, "hvp")
    ts = _as_vectors(v, xs, "hvp", "input")
    holder = {}

    def gradient(*ys):
        out = scalar(*ys)
        holder["out"] = out
        gs = _grad(out, ys, create_graph=create_graph, allow_unused=True) if out.requires_grad else (None,) * len(ys)
        return tuple(_grads_or_zeros(gs, ys, strict, "hvp"))

    _, _, products = jvp_forward(gradient, xs, ts, "hvp")
    products = tuple(_finish(p, create_graph) for p in products)
    return _finish(holder["out"], create_graph), (products if in_tuple else products[0])


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T H) for a scalar func, reverse-over-reverse."""
    scalar = _scalar_output(func, "vhp")
    xs, in_tuple = _prepare(inputs, create_graph, "vhp")
    ts = _as_vectors(v, xs, "vhp", "input")
    out = scalar(*xs)
    if not out.requires_grad:
        zeros = tuple(_core.full(x.shape, 0.0, x.dtype) for x in xs)
        _grads_or_zeros((None,) * len(xs), xs, strict, "vhp")
        return _finish(out, create_graph), (zeros if in_tuple else zeros[0])
    gs = _grads_or_zeros(_grad(out, xs, create_graph=True, allow_unused=True), xs, strict, "vhp")
    live = [(g, t) for g, t in zip(gs, ts) if g.requires_grad]
    second = (
        _grad([g for g, _ in live], xs, [t for _, t in live], create_graph=create_graph, allow_unused=True)
        if live
        else (None,) * len(xs)
    )
    second = [_finish(s, create_graph) for s in _grads_or_zeros(second, xs, False, "vhp")]
    return _finish(out, create_graph), (tuple(second) if in_tuple else second[0])
