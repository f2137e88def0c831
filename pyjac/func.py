"""Function transforms in the style of HIPS autograd and JAX: each takes a function and returns
a function. ``argnums`` picks the differentiated arguments (an int gives one result, a tuple a
tuple; by default the first). The transformed functions accept NumPy arrays and floats, return
Tensors, and compose: ``jacfwd(jacrev(f))`` is a Jacobian of a Jacobian."""

import functools
import numbers

import numpy as np

from . import _core
from ._core import Tensor
from ._jacobians import (
    as_input,
    check_chunk_size,
    check_outputs,
    forward_jacobian,
    fresh_input,
    jvp_forward,
    reverse_jacobian,
    transform_depth,
    transform_scope,
)
from ._stateless import functional_call, stack_module_state
from ._vmap import vmap
from .autograd import grad as _grad

__all__ = ["grad", "value_and_grad", "vjp", "jvp", "jacrev", "jacfwd", "jacobian", "hessian", "vmap"]
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


class _Call:
    """One call of a transformed function: the differentiated arguments as fresh inputs, the
    user's function called with them substituted, and what to do with the results."""

    def __init__(self, fn, args, argnums, who, kind="reverse", label="argument"):
        self.fn = fn
        self.kind = kind  # which kind of outer transform this call is, for the functions it calls
        self.args = list(args)
        self.nums = _argnums_tuple(argnums, len(args), who)
        self.single = _is_int(argnums)
        originals = [as_input(args[i], who + ": " + label, i) for i in self.nums]
        if _core.vmap_live_levels():
            # Inside vmap every example needs its own input to differentiate with respect to:
            # one unbatched input would collect the gradients of all examples summed.
            originals = [_core.vmap_batched_at_live_levels(x) for x in originals]
        # Forward transforms carry tangents, not gradients: their inputs need not require grad
        # (which would make inner reverse transforms record their backward pass for nothing).
        self.inputs = tuple(fresh_input(x) if kind == "reverse" else _core.alias(x) for x in originals)
        self.nested = False
        self.attached = transform_depth() > 0

    def __call__(self, *xs):
        args = list(self.args)
        for i, x in zip(self.nums, xs):
            args[i] = x
        with transform_scope(self.kind):
            return self.fn(*args)

    def observe(self, outputs):
        """Decides, from the function's outputs, whether anything outside this transform may
        differentiate its results: an outer transform, or a tensor that requires grad reached
        through an argument or a closure. Then the backward pass is recorded (create_graph) and
        the results stay attached; otherwise they are cut loose like torch.func's."""
        leaves = [x for x in self.inputs if x.is_leaf]
        self.nested = _core.is_grad_enabled() and _core.depends_on_other_leaves(list(outputs), leaves)
        self.attached = self.nested or transform_depth() > 0

    def result(self, items):
        items = tuple(self.finish(t) for t in items)
        return items[0] if self.single else items

    def finish(self, t):
        if isinstance(t, Tensor):
            return t if self.attached else t.detach()
        if isinstance(t, (tuple, list)):
            return type(t)(self.finish(u) for u in t)
        return t


def grad(fn, argnums=0, has_aux=False):
    """The gradient function of a scalar-valued ``fn``."""
    vg = _value_and_grad(fn, argnums, has_aux, "grad")

    @functools.wraps(fn)
    def grad_fn(*args):
        value, g = vg(*args)
        return (g, value[1]) if has_aux else g

    return grad_fn


def value_and_grad(fn, argnums=0, has_aux=False):
    """A function returning (fn(*args), gradient); with has_aux, ((output, aux), gradient)."""
    return _value_and_grad(fn, argnums, has_aux, "value_and_grad")


def _value_and_grad(fn, argnums, has_aux, who):
    _check_argnums(argnums, who)

    @functools.wraps(fn)
    def value_and_grad_fn(*args):
        call = _Call(fn, args, argnums, who)
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
        gs = [g if g is not None else _core.full(x.shape, 0.0, x.dtype) for g, x in zip(gs, call.inputs)]
        value = call.finish(out)
        return ((value, call.finish(aux)) if has_aux else value), call.result(gs)

    return value_and_grad_fn


def vjp(fn, *primals, has_aux=False):
    """(fn(*primals), vjp_fn) where vjp_fn(cotangent) gives the cotangents of every primal. Each
    primal is one argument of fn; when fn returns a tuple, vjp_fn takes a tuple of cotangents."""
    if not primals:
        raise ValueError("vjp: primals must not be empty (fn needs at least one argument to differentiate)")
    call = _Call(fn, primals, tuple(range(len(primals))), "vjp", label="primal")
    out, aux = _split_aux(call(*call.inputs), has_aux, "vjp")
    outs, was_tuple = check_outputs(out, "vjp")
    call.observe(outs)

    def vjp_fn(cotangents):
        if was_tuple and not isinstance(cotangents, (tuple, list)):
            # An array would be iterated along its first axis and pass for a tuple of cotangents.
            raise TypeError(
                f"vjp: the function returned a tuple of {len(outs)} outputs, so vjp_fn takes a tuple "
                f"of {len(outs)} cotangents, got {type(cotangents).__name__}"
            )
        cts = cotangents if was_tuple else (cotangents,)
        if len(cts) != len(outs):
            raise ValueError(f"vjp: expected {len(outs)} cotangents, got {len(cts)}")
        cts = [as_input(c, f"vjp: cotangent {k}" if was_tuple else "vjp: cotangent") for k, c in enumerate(cts)]
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
        return tuple(
            call.finish(g) if g is not None else _core.full(x.shape, 0.0, x.dtype) for g, x in zip(gs, call.inputs)
        )

    value = tuple(call.finish(o) for o in outs) if was_tuple else call.finish(outs[0])
    return (value, vjp_fn, call.finish(aux)) if has_aux else (value, vjp_fn)


def jvp(fn, primals, tangents, has_aux=False):
    """(fn(*primals), J tangents), by one forward-mode sweep. ``primals`` and ``tangents`` are
    tuples (or lists) with one entry per argument of fn; anything else (a Tensor, an array, a
    number) is the one argument of fn, as JAX takes a lone array."""
    primals, tangents = _as_arguments(primals), _as_arguments(tangents)
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: got {len(primals)} primals but {len(tangents)} tangents")
    if not primals:
        raise ValueError("jvp: primals must not be empty (fn needs at least one argument to differentiate)")
    call = _Call(fn, primals, tuple(range(len(primals))), "jvp", kind="forward", label="primal")
    ts = [as_input(t, f"jvp: tangent {k}") for k, t in enumerate(tangents)]
    for x, t in zip(call.inputs, ts):
        if t.shape != x.shape:
            raise ValueError(f"jvp: tangent of shape {t.shape} does not match primal of shape {x.shape}")
    aux_box = {}

    def body(*xs):
        out, aux_box["aux"] = _split_aux(call(*xs), has_aux, "jvp")
        return out

    outs, was_tuple, touts = jvp_forward(body, call.inputs, ts)
    call.observe(list(outs) + list(touts))
    outs = tuple(call.finish(o) for o in outs)
    touts = tuple(call.finish(t) for t in touts)
    result = (outs, touts) if was_tuple else (outs[0], touts[0])
    return result + (call.finish(aux_box["aux"]),) if has_aux else result


def _as_arguments(values):
    return tuple(values) if isinstance(values, (tuple, list)) else (values,)


def _jacobian_transform(fn, argnums, has_aux, mode, chunk_size, who):
    _check_argnums(argnums, who)
    check_chunk_size(chunk_size, who)

    @functools.wraps(fn)
    def jac_fn(*args):
        call = _Call(fn, args, argnums, who, kind="forward" if mode == "forward" else "reverse")
        aux_box = {}

        def body(*xs):
            out, aux_box["aux"] = _split_aux(call(*xs), has_aux, who)
            return out

        outs = None
        if mode != "forward":
            # Reverse mode starts from one evaluation; "auto" looks at its output sizes first.
            outs, was_tuple = check_outputs(body(*call.inputs), who)
        if mode == "forward" or (mode == "auto" and sum(x.size for x in call.inputs) < sum(o.size for o in outs)):
            if call.kind != "forward":
                call = _Call(fn, args, argnums, who, kind="forward")
            outs, was_tuple, jac = forward_jacobian(body, call.inputs, chunk_size=chunk_size, who=who)
            call.observe(list(outs) + [b for row in jac for b in row])
        else:
            call.observe(outs)
            jac = reverse_jacobian(outs, call.inputs, create_graph=call.nested, chunk_size=chunk_size, who=who)
        rows = tuple(call.result(row) for row in jac)
        result = rows if was_tuple else rows[0]
        return (result, call.finish(aux_box["aux"])) if has_aux else result

    return jac_fn


def jacrev(fn, argnums=0, has_aux=False, chunk_size=None):
    """The Jacobian of fn by reverse mode: one backward sweep over a stacked identity of
    cotangents (chunks of ``chunk_size`` rows if given). Shaped out.shape + in.shape."""
    return _jacobian_transform(fn, argnums, has_aux, "reverse", chunk_size, "jacrev")


def jacfwd(fn, argnums=0, has_aux=False, chunk_size=None):
    """The Jacobian of fn by forward mode: one forward sweep over a stacked identity of tangents."""
    return _jacobian_transform(fn, argnums, has_aux, "forward", chunk_size, "jacfwd")


def jacobian(fn, argnums=0, has_aux=False, chunk_size=None):
    """The Jacobian of fn, forward mode when the inputs have fewer elements than the outputs."""
    return _jacobian_transform(fn, argnums, has_aux, "auto", chunk_size, "jacobian")


def hessian(fn, argnums=0):
    """The Hessian of a scalar fn: jacrev(jacrev(fn)), one batched backward sweep through the
    gradient's graph (measured faster here than forward-over-reverse, jacfwd(jacrev(fn)), which
    gives the same result)."""
    gradient = _jacobian_transform(fn, argnums, False, "reverse", None, "hessian")
    return _jacobian_transform(gradient, argnums, False, "reverse", None, "hessian")
