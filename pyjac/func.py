"""Function transforms in the style of HIPS autograd and JAX: each takes a function and returns
a function. ``argnums`` picks the differentiated arguments (an int gives one result, a tuple a
tuple; by default the first). Arguments may be Tensors, NumPy arrays, numbers or pytrees of them
(tuples, lists, dicts, namedtuples, registered classes: see :mod:`pyjac.tree`); a derivative
has its argument's structure, and functions may return pytrees of Tensors. Keyword arguments of
a transformed function go to ``fn`` undifferentiated. The transforms compose: ``jacfwd(jacrev(f))``
is a Jacobian of a Jacobian."""

import functools
import numbers

import numpy as np

from . import _core
from . import tree as _tree
from ._core import Tensor
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
    transform_depth,
    transform_scope,
)
from ._stateless import functional_call, stack_module_state
from ._vmap import vmap
from .autograd import grad as _grad

__all__ = ["grad", "value_and_grad", "vjp", "jvp", "linearize", "jacrev", "jacfwd", "jacobian", "hessian", "vmap"]
__all__ += ["functional_call", "stack_module_state"]


def _is_int(a):
    return type(a) is int or (isinstance(a, numbers.Integral) and not isinstance(a, (bool, np.bool_)))


def _check_argnums(argnums, who):
    """The argnums as a tuple of ints, checked for what doesn't need the call's arguments: type,
    emptiness and repeats. An int gives a one-element tuple."""
    if _is_int(argnums):
        return (int(argnums),)
    if not isinstance(argnums, (tuple, list)):
        raise TypeError(f"{who}: argnums must be an int or a tuple of ints, got {type(argnums).__name__}")
    if not argnums:
        raise ValueError(f"{who}: argnums must not be empty")
    for a in argnums:
        if not _is_int(a):
            raise TypeError(f"{who}: argnums must be ints, got {type(a).__name__}")
    nums = tuple(int(a) for a in argnums)
    _check_no_repeats(nums, nums, who)
    return nums


def _check_no_repeats(positions, argnums, who):
    # Two results for one argument would each need their own input to differentiate, and the
    # function can take only one of them: one of the two results would silently be zeros.
    seen = set()
    for p in positions:
        if p in seen:
            raise ValueError(
                f"{who}: argnums {tuple(argnums)} names argument {p} more than once; "
                "each argument can be differentiated only once"
            )
        seen.add(p)


def _argnums_tuple(argnums, nargs, who):
    if type(argnums) is int and 0 <= argnums < nargs:  # the common case, checked per call: fast
        return (argnums,)
    nums = _check_argnums(argnums, who)
    for a in nums:
        if not -nargs <= a < nargs:
            raise ValueError(
                f"{who}: argnums {a} is out of range for a function called with {nargs} "
                f"positional argument{'s' if nargs != 1 else ''}"
            )
    positions = tuple(a % nargs for a in nums)
    _check_no_repeats(positions, nums, who)  # (0, -2) with two arguments is argument 0 twice
    return positions


def _split_aux(out, has_aux, who):
    if not has_aux:
        return out, None
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise TypeError(f"{who}: with has_aux=True the function must return a pair (output, aux)")
    return out[0], out[1]


def _detach_leaf(t):
    return t.detach() if isinstance(t, Tensor) else t


class _Call:
    """One call of a transformed function: the differentiated arguments (pytrees) flattened into
    fresh input leaves, the user's function called with them substituted (and the keyword
    arguments passed through), and what to do with the results."""

    def __init__(self, fn, args, kwargs, argnums, who, kind="reverse", label="argument"):
        self.fn = fn
        self.kwargs = kwargs
        self.kind = kind  # which kind of outer transform this call is, for the functions it calls
        self.args = list(args)
        self.nums = _argnums_tuple(argnums, len(args), who)
        self.single = _is_int(argnums)
        leaves = []
        for i in self.nums:  # the common case, every argument a float Tensor: nothing to flatten
            a = args[i]
            if type(a) is not Tensor or a.dtype.kind != "f":
                self.flat = FlatArguments([args[i] for i in self.nums], who + ": " + label, self.nums)
                leaves = self.flat.leaves
                break
            leaves.append(a)
        else:
            self.flat = None
        if _core.vmap_live_levels():
            # Inside vmap every example needs its own input to differentiate with respect to:
            # one unbatched input would collect the gradients of all examples summed.
            leaves = [_core.vmap_batched_at_live_levels(x) for x in leaves]
        # Forward transforms carry tangents, not gradients: their inputs need not require grad
        # (which would make inner reverse transforms record their backward pass for nothing).
        self.inputs = tuple(fresh_input(x) if kind == "reverse" else _core.alias(x) for x in leaves)
        self.nested = False
        self.attached = transform_depth() > 0

    def __call__(self, *xs):
        args = list(self.args)
        for i, x in zip(self.nums, xs if self.flat is None else self.flat.rebuild(xs)):
            args[i] = x
        with transform_scope(self.kind):
            return self.fn(*args, **self.kwargs)

    def observe(self, outputs):
        """Decides, from the function's outputs, whether anything outside this transform may
        differentiate its results: an outer transform, or a tensor that requires grad reached
        through an argument or a closure. Then the backward pass is recorded (create_graph) and
        the results stay attached; otherwise they are cut loose like torch.func's."""
        leaves = [x for x in self.inputs if x.is_leaf]
        self.nested = _core.is_grad_enabled() and _core.depends_on_other_leaves(list(outputs), leaves)
        self.attached = self.nested or transform_depth() > 0

    def per_argument(self, items):
        """One item per input leaf -> one pytree per differentiated argument (a list)."""
        items = [self.finish(t) for t in items]
        return items if self.flat is None else self.flat.rebuild(items)

    def result(self, items):
        per = self.per_argument(items)
        return per[0] if self.single else tuple(per)

    def finish(self, t):
        if isinstance(t, Tensor):
            return t if self.attached else t.detach()
        if self.attached or t is None:
            return t
        # aux comes back as it was (the same object) unless it holds Tensors to cut loose
        if not any(isinstance(u, Tensor) for u in _tree.leaves(t)):
            return t
        return _tree.map(_detach_leaf, t)


def grad(fn, argnums=0, has_aux=False):
    """The gradient function of a scalar-valued ``fn``: ``grad(fn)(*args, **kwargs)`` has the
    structure of the differentiated argument(s); keyword arguments are passed to fn, not
    differentiated."""
    vg = _value_and_grad(fn, argnums, has_aux, "grad")

    @functools.wraps(fn)
    def grad_fn(*args, **kwargs):
        value, g = vg(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return grad_fn


def value_and_grad(fn, argnums=0, has_aux=False):
    """A function returning (fn(*args), gradient); with has_aux, ((output, aux), gradient)."""
    return _value_and_grad(fn, argnums, has_aux, "value_and_grad")


def _zeros_like(x):
    return _core.full(x.shape, 0.0, x.dtype)


def _value_and_grad(fn, argnums, has_aux, who):
    _check_argnums(argnums, who)

    @functools.wraps(fn)
    def value_and_grad_fn(*args, **kwargs):
        call = _Call(fn, args, kwargs, argnums, who)
        out, aux = _split_aux(call(*call.inputs), has_aux, who)
        if not isinstance(out, Tensor):
            raise TypeError(f"{who}: the function must return a Tensor, but it returned {type(out).__name__}")
        if out.size != 1:
            raise RuntimeError(f"{who}: the function must return a single-element Tensor, got shape {out.shape}")
        call.observe([out])
        gs = (
            _grad(out, call.inputs, create_graph=call.nested, allow_unused=True)
            if out.requires_grad
            else (None,) * len(call.inputs)
        )
        gs = [g if g is not None else _zeros_like(x) for g, x in zip(gs, call.inputs)]
        value = call.finish(out)
        return ((value, call.finish(aux)) if has_aux else value), call.result(gs)

    return value_and_grad_fn


def _cotangent_leaves(cotangents, outs, out_def, who):
    """The cotangents given to a vjp_fn, in the structure of the outputs, as leaf Tensors."""
    if out_def is not None and out_def.type is tuple and not isinstance(cotangents, (tuple, list)):
        n = out_def.num_children
        # An array would be iterated along its first axis and pass for a tuple of cotangents.
        raise TypeError(
            f"{who}: the function returned a tuple of {n} outputs, so vjp_fn takes a tuple "
            f"of {n} cotangents, got {type(cotangents).__name__}"
        )
    cts = flatten_like(cotangents, out_def, f"{who}: cotangent", "the function's output")
    for c, o in zip(cts, outs):
        if c.shape != o.shape:
            raise ValueError(f"{who}: cotangent of shape {c.shape} does not match output of shape {o.shape}")
    return cts


def vjp(fn, *primals, has_aux=False):
    """(fn(*primals), vjp_fn) where vjp_fn(cotangents) gives a tuple with the cotangent of every
    primal (each in its primal's structure). Primals may be pytrees; the cotangents given to
    vjp_fn have the structure of fn's output (a tuple output takes a tuple)."""
    if not primals:
        raise ValueError("vjp: primals must not be empty (fn needs at least one argument to differentiate)")
    call = _Call(fn, primals, {}, tuple(range(len(primals))), "vjp", label="primal")
    out, aux = _split_aux(call(*call.inputs), has_aux, "vjp")
    outs, out_def = flatten_outputs(out, "vjp")
    call.observe(outs)

    def vjp_fn(cotangents):
        cts = _cotangent_leaves(cotangents, outs, out_def, "vjp")
        live = [(o, c) for o, c in zip(outs, cts) if o.requires_grad]
        gs = (
            _grad(
                [o for o, _ in live],
                call.inputs,
                [c for _, c in live],
                retain_graph=True,
                create_graph=call.nested or any(c.requires_grad for c in cts),
                allow_unused=True,
            )
            if live
            else (None,) * len(call.inputs)
        )
        return tuple(call.per_argument([g if g is not None else _zeros_like(x) for g, x in zip(gs, call.inputs)]))

    value = rebuild(out_def, [call.finish(o) for o in outs])
    return (value, vjp_fn, call.finish(aux)) if has_aux else (value, vjp_fn)


def _tangent_leaves(call, tangents, who):
    ts = (call.flat or FlatArguments(call.inputs, who)).flatten_like(tangents, f"{who}: tangent", "primal")
    for x, t in zip(call.inputs, ts):
        if t.shape != x.shape:
            raise ValueError(f"{who}: tangent of shape {t.shape} does not match primal of shape {x.shape}")
    return ts


def jvp(fn, primals, tangents, has_aux=False):
    """(fn(*primals), J tangents), by one forward-mode sweep. ``primals`` and ``tangents`` are
    tuples (or lists) with one entry per argument of fn, each a pytree, the tangents in the
    structure of their primals; anything else (a Tensor, an array, a number, a dict) is the one
    argument of fn, as JAX takes a lone array."""
    primals, tangents = _as_arguments(primals), _as_arguments(tangents)
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: got {len(primals)} primals but {len(tangents)} tangents")
    if not primals:
        raise ValueError("jvp: primals must not be empty (fn needs at least one argument to differentiate)")
    call = _Call(fn, primals, {}, tuple(range(len(primals))), "jvp", kind="forward", label="primal")
    ts = _tangent_leaves(call, tangents, "jvp")
    aux_box = {}

    def body(*xs):
        out, aux_box["aux"] = _split_aux(call(*xs), has_aux, "jvp")
        return out

    outs, out_def, touts = jvp_forward(body, call.inputs, ts)
    call.observe(list(outs) + list(touts))
    outs = rebuild(out_def, [call.finish(o) for o in outs])
    touts = rebuild(out_def, [call.finish(t) for t in touts])
    return (outs, touts, call.finish(aux_box["aux"])) if has_aux else (outs, touts)


def _as_arguments(values):
    return tuple(values) if isinstance(values, (tuple, list)) else (values,)


def linearize(fn, *primals, has_aux=False):
    """(fn(*primals), jvp_fn) where ``jvp_fn(*tangents)`` gives J tangents, the output tangent
    (in the output's structure) for tangents in the primals' structures: JAX's linearize.

    The linearisation is kept, not recomputed: fn runs once, and its backward pass is recorded
    as a graph g(u) = J^T u of a placeholder cotangent u; each jvp_fn call is one backward sweep
    through that graph (J t = d<J^T u, t>/du, exact since g is linear in u). fn is not run
    again, so random ops inside it are not redrawn; the recorded graph (about two backward
    passes' worth of saved tensors) lives as long as jvp_fn."""
    if not primals:
        raise ValueError("linearize: primals must not be empty (fn needs at least one argument to differentiate)")
    call = _Call(fn, primals, {}, tuple(range(len(primals))), "linearize", label="primal")
    out, aux = _split_aux(call(*call.inputs), has_aux, "linearize")
    outs, out_def = flatten_outputs(out, "linearize")
    call.observe(outs)
    live = [o for o in outs if o.requires_grad]
    # The placeholder cotangents: ones (the recorded graph is linear in them, so any value would
    # do; ones keep clear of any shortcut taken for zeros).
    us = [fresh_input(_core.full(o.shape, 1.0, o.dtype)) for o in live]
    vjps = (
        _grad(live, call.inputs, us, retain_graph=True, create_graph=True, allow_unused=True)
        if live
        else (None,) * len(call.inputs)
    )
    pairs = [(j, g) for j, g in enumerate(vjps) if g is not None and g.requires_grad]
    del vjps

    def jvp_fn(*tangents):
        if len(tangents) != len(primals):
            raise ValueError(f"linearize: jvp_fn takes {len(primals)} tangents (one per primal), got {len(tangents)}")
        ts = _tangent_leaves(call, tangents, "linearize")
        results = (
            _grad(
                [g for _, g in pairs],
                us,
                [ts[j] for j, _ in pairs],
                retain_graph=True,
                create_graph=call.nested or any(t.requires_grad for t in ts),
                allow_unused=True,
            )
            if pairs and us
            else (None,) * len(us)
        )
        per_live = iter(results)
        touts = [next(per_live) if o.requires_grad else None for o in outs]
        touts = [call.finish(t) if t is not None else _zeros_like(o) for t, o in zip(touts, outs)]
        return rebuild(out_def, touts)

    value = rebuild(out_def, [call.finish(o) for o in outs])
    return (value, jvp_fn, call.finish(aux)) if has_aux else (value, jvp_fn)


def _jacobian_transform(fn, argnums, has_aux, mode, chunk_size, who):
    _check_argnums(argnums, who)
    check_chunk_size(chunk_size, who)

    @functools.wraps(fn)
    def jac_fn(*args, **kwargs):
        call = _Call(fn, args, kwargs, argnums, who, kind="forward" if mode == "forward" else "reverse")
        aux_box = {}

        def body(*xs):
            out, aux_box["aux"] = _split_aux(call(*xs), has_aux, who)
            return out

        outs = None
        chunk = chunk_size
        if mode != "forward":
            # Reverse mode starts from one evaluation; "auto" looks at its output sizes first.
            outs, out_def = flatten_outputs(body(*call.inputs), who)
        if mode == "forward" or (mode == "auto" and sum(x.size for x in call.inputs) < sum(o.size for o in outs)):
            if outs is not None:  # "auto" picked forward mode: the evaluation shows the graph
                chunk = resolve_chunk(chunk_size, max(x.size for x in call.inputs), outs, call.inputs)
            if call.kind != "forward":
                call = _Call(fn, args, kwargs, argnums, who, kind="forward")
            outs, out_def, jac = forward_jacobian(body, call.inputs, chunk_size=chunk, who=who)
            call.observe(list(outs) + [b for row in jac for b in row])
        else:
            call.observe(outs)
            jac = reverse_jacobian(outs, call.inputs, create_graph=call.nested, chunk_size=chunk, who=who)
        result = rebuild(out_def, [call.result(row) for row in jac])
        return (result, call.finish(aux_box["aux"])) if has_aux else result

    return jac_fn


def jacrev(fn, argnums=0, has_aux=False, chunk_size=None):
    """The Jacobian of fn by reverse mode: one backward sweep over a stacked identity of
    cotangents (chunks of ``chunk_size`` rows if given; "auto" picks them to stay under
    pyjac.get_memory_budget()). Shaped out.shape + in.shape, nested output structure outside,
    the differentiated arguments' structure inside."""
    return _jacobian_transform(fn, argnums, has_aux, "reverse", chunk_size, "jacrev")


def jacfwd(fn, argnums=0, has_aux=False, chunk_size=None):
    """The Jacobian of fn by forward mode: one forward sweep over a stacked identity of tangents
    (chunks of ``chunk_size`` columns if given; "auto": see jacrev)."""
    return _jacobian_transform(fn, argnums, has_aux, "forward", chunk_size, "jacfwd")


def jacobian(fn, argnums=0, has_aux=False, chunk_size=None):
    """The Jacobian of fn, forward mode when the inputs have fewer elements than the outputs."""
    return _jacobian_transform(fn, argnums, has_aux, "auto", chunk_size, "jacobian")


def hessian(fn, argnums=0, chunk_size=None):
    """The Hessian of a scalar fn: jacrev(jacrev(fn)), one batched backward sweep through the
    gradient's graph (measured faster here than forward-over-reverse, jacfwd(jacrev(fn)), which
    gives the same result). ``chunk_size`` (None, an int or "auto") bounds the rows of that
    sweep. For pytree arguments it nests as JAX's: the argument's structure outside and inside."""
    check_chunk_size(chunk_size, "hessian")
    gradient = _jacobian_transform(fn, argnums, False, "reverse", None, "hessian")
    return _jacobian_transform(gradient, argnums, False, "reverse", chunk_size, "hessian")
