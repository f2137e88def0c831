"""Whole derivative objects in the style of ``torch.autograd.functional``: jacobian, hessian,
vjp, jvp, hvp, vhp. Inputs may be Tensors, NumPy arrays, Python floats or pytrees of them (see
:mod:`pyjac.tree`); a tuple of inputs gives tuple results, and func may return a pytree of
Tensors. Jacobians come from one batched sweep (reverse or forward mode)."""

from . import _core
from ._jacobians import (
    FlatArguments,
    check_chunk_size,
    flatten_like,
    flatten_outputs,
    forward_jacobian,
    fresh_input,
    jvp_forward,
    rebuild,
    resolve_chunk,
    reverse_jacobian,
)
from .autograd import grad as _grad

__all__ = ["jacobian", "hessian", "vjp", "jvp", "hvp", "vhp"]


class _Inputs:
    """The inputs (a tuple of them, or one), each a pytree, as fresh leaf Tensors; ``call(func)``
    is func on flat leaves. Without create_graph the leaves are cut from any outer graph."""

    def __init__(self, inputs, create_graph, who):
        self.was_tuple = isinstance(inputs, (tuple, list))
        items = tuple(inputs) if self.was_tuple else (inputs,)
        self.who = who
        self.flat = FlatArguments(
            items, who + (": input" if self.was_tuple else ": inputs"), range(len(items)) if self.was_tuple else None
        )
        xs = self.flat.leaves
        if not create_graph:
            xs = tuple(x.detach() for x in xs)
        self.leaves = tuple(fresh_input(x) for x in xs)

    def call(self, func):
        if self.flat.defs is None:
            return func
        return lambda *leaves: func(*self.flat.rebuild(leaves))

    def shape(self, items):
        """One item per leaf -> the inputs' structure (a tuple, or the one input)."""
        per = self.flat.rebuild(list(items))
        return tuple(per) if self.was_tuple else per[0]

    def vectors(self, v, what):
        """v in the structure of the inputs, as leaves."""
        defs = self.flat.defs or [None] * len(self.flat.counts)
        if not self.was_tuple:
            return flatten_like(v, defs[0], f"{self.who}: v", "the input")
        if not isinstance(v, (tuple, list)) or len(v) != len(defs):
            got = len(v) if isinstance(v, (tuple, list)) else 1
            raise ValueError(f"{self.who}: got {got} vectors v for {len(defs)} {what}s")
        out = []
        for k, (vk, d) in enumerate(zip(v, defs)):
            out.extend(flatten_like(vk, d, f"{self.who}: v[{k}]", f"input {k}"))
        return tuple(out)


def _finish(t, create_graph):
    return t if create_graph or t is None else t.detach()


def _shape_result(jac, out_def, inputs, create_graph):
    rows = [inputs.shape([_finish(b, create_graph) for b in row]) for row in jac]
    return rebuild(out_def, rows)


def _as_vectors(v, like, who, what, inputs=None, out_def=None):
    """The vectors v as leaves, one per tensor in ``like`` (the output leaves for vjp, with
    their structure out_def; the input leaves for jvp, with the structure of ``inputs``), each of
    its shape; ones when v is None and every tensor has one element."""
    if v is None:
        for t in like:
            if t.size != 1:
                raise RuntimeError(
                    f"{who}: v can be omitted only for single-element {what}s, got one of shape {t.shape}"
                )
        return [_core.full(t.shape, 1.0, t.dtype) for t in like]
    if inputs is not None:
        vs = inputs.vectors(v, what)
    else:
        if out_def is not None and out_def.type is tuple:
            n = out_def.num_children
            if not isinstance(v, (tuple, list)) or len(v) != n:
                got = len(v) if isinstance(v, (tuple, list)) else 1
                raise ValueError(f"{who}: got {got} vectors v for {n} {what}s")
            vs = flatten_like(v, out_def, f"{who}: v", "the function's output")
        else:
            vs = flatten_like(v, out_def, f"{who}: v", "the function's output")
    for vi, t in zip(vs, like):
        if vi.shape != t.shape:
            raise ValueError(f"{who}: v of shape {vi.shape} does not match {what} of shape {t.shape}")
    return list(vs)


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
    d out_i / d in_j when func returns a tuple and inputs is a tuple. With pytrees, the output's
    structure is outside and the inputs' inside (as JAX's jacobians nest).

    strategy: "reverse-mode" (one backward sweep per chunk of output rows), "forward-mode" (one
    forward sweep per chunk of input columns) or "auto" (forward when the inputs have fewer
    elements than the outputs). vectorize=False goes row by row instead (for comparison).
    chunk_size: None (one sweep), rows per sweep, or "auto" (as many as fit in
    pyjac.get_memory_budget()).
    """
    if strategy not in ("auto", "reverse-mode", "forward-mode"):
        raise ValueError(f"jacobian: strategy must be 'auto', 'reverse-mode' or 'forward-mode', got {strategy!r}")
    check_chunk_size(chunk_size, "jacobian")
    ins = _Inputs(inputs, create_graph, "jacobian")
    xs, f = ins.leaves, ins.call(func)
    outs = None
    chunk = chunk_size
    if strategy == "auto":
        # The output sizes decide; the evaluation is reused by reverse mode.
        outs, out_def = flatten_outputs(f(*xs), "jacobian")
        strategy = "forward-mode" if sum(x.size for x in xs) < sum(o.size for o in outs) else "reverse-mode"
        if strategy == "forward-mode" and vectorize:  # the evaluation shows the graph
            chunk = resolve_chunk(chunk_size, max(x.size for x in xs), outs, xs)
    if strategy == "forward-mode":
        _, out_def, jac = forward_jacobian(f, xs, strict, vectorize, chunk)
    else:
        if outs is None:
            outs, out_def = flatten_outputs(f(*xs), "jacobian")
        jac = reverse_jacobian(outs, xs, create_graph, strict, vectorize, chunk)
    return _shape_result(jac, out_def, ins, create_graph)


def _scalar_output(func, who):
    def wrapped(*xs):
        outs, out_def = flatten_outputs(func(*xs), who)
        if out_def is not None or outs[0].size != 1:
            raise RuntimeError(
                f"{who}: the function must return a single-element Tensor, "
                f"got {'a ' + out_def.type.__name__ if out_def is not None else 'shape ' + str(outs[0].shape)}"
            )
        return _core.reshape(outs[0], ())

    return wrapped


def hessian(
    func, inputs, create_graph=False, strict=False, vectorize=True, outer_jacobian_strategy="auto", chunk_size=None
):
    """The Hessian of a scalar ``func``: shaped in.shape + in.shape (``result[i][j]`` for tuple
    inputs; for pytrees the inputs' structure outside and inside). The gradient comes from
    reverse mode (with create_graph); the outer Jacobian of it is reverse-over-reverse
    ("reverse-mode", and "auto": one batched backward sweep through the gradient's graph,
    measured fastest here) or forward-over-reverse ("forward-mode"), in sweeps of ``chunk_size``
    rows (None: one; "auto": as many as fit in pyjac.get_memory_budget())."""
    if outer_jacobian_strategy not in ("auto", "reverse-mode", "forward-mode"):
        raise ValueError("hessian: outer_jacobian_strategy must be 'auto', 'reverse-mode' or 'forward-mode'")
    check_chunk_size(chunk_size, "hessian")
    ins = _Inputs(inputs, create_graph, "hessian")
    scalar = _scalar_output(ins.call(func), "hessian")
    xs = ins.leaves

    def gradient(*ys):
        out = scalar(*ys)
        gs = _grad(out, ys, create_graph=True, allow_unused=True) if out.requires_grad else (None,) * len(ys)
        return tuple(_grads_or_zeros(gs, ys, strict, "hessian"))

    strategy = "reverse-mode" if outer_jacobian_strategy == "auto" else outer_jacobian_strategy
    if strategy == "forward-mode":
        _, _, jac = forward_jacobian(gradient, xs, strict, vectorize, chunk_size, "hessian")
    else:
        jac = reverse_jacobian(gradient(*xs), xs, create_graph, strict, vectorize, chunk_size, "hessian")
    return ins.shape([ins.shape([_finish(b, create_graph) for b in row]) for row in jac])


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T J): the vector-Jacobian product, by one backward sweep. v has the
    output's structure; the result the inputs'."""
    ins = _Inputs(inputs, create_graph, "vjp")
    xs = ins.leaves
    outs, out_def = flatten_outputs(ins.call(func)(*xs), "vjp")
    vs = _as_vectors(v, outs, "vjp", "output", out_def=out_def)
    live = [(o, vi) for o, vi in zip(outs, vs) if o.requires_grad]
    gs = (
        _grad([o for o, _ in live], xs, [vi for _, vi in live], create_graph=create_graph, allow_unused=True)
        if live
        else (None,) * len(xs)
    )
    gs = [_finish(g, create_graph) for g in _grads_or_zeros(gs, xs, strict, "vjp")]
    return rebuild(out_def, [_finish(o, create_graph) for o in outs]), ins.shape(gs)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), J v): the Jacobian-vector product, by one forward-mode sweep. v has the
    inputs' structure; the result the output's."""
    ins = _Inputs(inputs, create_graph, "jvp")
    xs = ins.leaves
    ts = _as_vectors(v, xs, "jvp", "input", inputs=ins)
    outs, out_def, touts = jvp_forward(ins.call(func), xs, ts, "jvp", strict=strict)
    outs = rebuild(out_def, [_finish(o, create_graph) for o in outs])
    return outs, rebuild(out_def, [_finish(t, create_graph) for t in touts])


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), H v) for a scalar func, forward-over-reverse: the tangent v rides through
    the forward pass and the backward pass, and comes out of the gradient as H v."""
    ins = _Inputs(inputs, create_graph, "hvp")
    scalar = _scalar_output(ins.call(func), "hvp")
    xs = ins.leaves
    ts = _as_vectors(v, xs, "hvp", "input", inputs=ins)
    holder = {}

    def gradient(*ys):
        out = scalar(*ys)
        holder["out"] = out
        gs = _grad(out, ys, create_graph=create_graph, allow_unused=True) if out.requires_grad else (None,) * len(ys)
        return tuple(_grads_or_zeros(gs, ys, strict, "hvp"))

    _, _, products = jvp_forward(gradient, xs, ts, "hvp")
    return _finish(holder["out"], create_graph), ins.shape([_finish(p, create_graph) for p in products])


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T H) for a scalar func, reverse-over-reverse."""
    ins = _Inputs(inputs, create_graph, "vhp")
    scalar = _scalar_output(ins.call(func), "vhp")
    xs = ins.leaves
    ts = _as_vectors(v, xs, "vhp", "input", inputs=ins)
    out = scalar(*xs)
    if not out.requires_grad:
        zeros = [_core.full(x.shape, 0.0, x.dtype) for x in xs]
        _grads_or_zeros((None,) * len(xs), xs, strict, "vhp")
        return _finish(out, create_graph), ins.shape(zeros)
    gs = _grads_or_zeros(_grad(out, xs, create_graph=True, allow_unused=True), xs, strict, "vhp")
    live = [(g, t) for g, t in zip(gs, ts) if g.requires_grad]
    second = (
        _grad([g for g, _ in live], xs, [t for _, t in live], create_graph=create_graph, allow_unused=True)
        if live
        else (None,) * len(xs)
    )
    second = [_finish(s, create_graph) for s in _grads_or_zeros(second, xs, False, "vhp")]
    return _finish(out, create_graph), ins.shape(second)
