"""Modules as functions, torch.func's way: ``functional_call`` runs a ``pyjac.nn.Module`` with
given tensors in place of its parameters and buffers (so a transform can differentiate with
respect to them), and ``stack_module_state`` stacks the state of several same-shaped modules for
an ensemble run under ``vmap``.

``functional_call`` swaps entries of the modules' registries for the duration of the call and
swaps them back afterwards (also when the call raises), as torch does: nothing is copied, so the
tensors given are the very ones the forward pass uses and gradients reach them. The swap is
visible to anything else that reads the module meanwhile, another thread included: a module
used by ``functional_call`` in one thread must not be called from another at the same time.
"""

from . import _core
from ._core import Tensor
from .nn.modules import Module

__all__ = ["functional_call", "stack_module_state"]

_MISSING = object()


# ---- names ----------------------------------------------------------------------------------------
def _all_named_tensors(module):
    """Every (dotted name, tensor) of the module's parameters and buffers, a tensor reachable by
    several names (tied weights, a shared sub-module) once per name: torch's
    ``named_parameters(remove_duplicate=False)`` followed by the buffers. A plain recursion over
    the registries: several times faster than chaining ``named_modules``' generators, and it runs
    on every call."""
    params, buffers, path = [], [], set()

    def visit(prefix, m):
        entries = m.__dict__
        params.extend((prefix + n, t) for n, t in entries["_parameters"].items() if t is not None)
        buffers.extend((prefix + n, t) for n, t in entries["_buffers"].items() if t is not None)
        path.add(id(m))  # a module containing itself is visited once per path, not forever
        for n, child in entries["_modules"].items():
            if child is not None and id(child) not in path:
                visit(prefix + n + ".", child)
        path.discard(id(m))

    visit("", module)
    return params + buffers


def _merge(dicts):
    """One dict from a dict or a sequence of dicts whose keys must not repeat, and for each key
    the user's dict it came from (to write back what the forward pass reassigned)."""
    if isinstance(dicts, dict):
        return dict(dicts), {k: dicts for k in dicts}
    if not isinstance(dicts, (tuple, list)):
        raise ValueError(
            "functional_call: parameter_and_buffer_dicts must be a dict, or a tuple or list of dicts, "
            f"got {type(dicts).__name__}"
        )
    for i, d in enumerate(dicts):
        if not isinstance(d, dict):
            raise ValueError(
                f"functional_call: every element of parameter_and_buffer_dicts must be a dict, element {i} "
                f"is a {type(d).__name__}"
            )
    merged, origin, repeated = {}, {}, []
    for d in dicts:
        for k, v in d.items():
            if k in merged and k not in repeated:
                repeated.append(k)
            merged[k], origin[k] = v, d
    if repeated:
        raise ValueError(
            f"functional_call: {repeated} appeared in more than one dictionary; which value to use is ambiguous"
        )
    return merged, origin


def _untie(named, given):
    """With tied weights (one tensor under several names) a value given under one of the names
    goes to all of them; different values for names of one tensor raise (torch's tie_weights)."""
    names_of = {}
    for name, t in named:
        names_of.setdefault(id(t), []).append(name)
    group = {name: names for names in names_of.values() if len(names) > 1 for name in names}
    untied = dict(given)
    for name in given:
        if name not in group:
            continue
        values = {id(given[n]): given[n] for n in group[name] if n in given}
        if len(values) > 1:
            raise ValueError(
                f"functional_call got different values for keys {sorted(n for n in group[name] if n in given)}, "
                f"which name one tied tensor ({sorted(group[name])}); pass one of them, the same tensor for "
                "all of them, or tie_weights=False"
            )
        for tied in group[name]:
            untied[tied] = given[name]
    return untied


def _key_error(module, missing, unexpected):
    parts = []
    if unexpected:
        parts.append("unexpected key(s): " + ", ".join(repr(k) for k in unexpected))
    if missing:
        parts.append("missing key(s): " + ", ".join(repr(k) for k in missing))
    return RuntimeError(f"functional_call: error(s) in reparametrizing {type(module).__name__}: " + "; ".join(parts))


def _slot(module, name):
    """(owner module, registry or None, attribute) for a dotted name that names a parameter or
    buffer slot (a None one too) or a plain Tensor attribute; None when it names nothing of that."""
    prefix, _, attr = name.rpartition(".")
    owner = module
    for part in prefix.split(".") if prefix else ():
        owner = owner.__dict__["_modules"].get(part) if isinstance(owner, Module) else None
        if owner is None:
            return None
    if not isinstance(owner, Module) or not attr:
        return None
    for registry in ("_parameters", "_buffers"):
        if attr in owner.__dict__[registry]:
            return owner, registry, attr
    value = owner.__dict__.get(attr, _MISSING)
    if value is None or isinstance(value, Tensor):
        return owner, None, attr
    return None


def _get(slot):
    owner, registry, attr = slot
    return owner.__dict__[registry][attr] if registry else owner.__dict__.get(attr, _MISSING)


def _put(slot, value):
    # Straight into the registry: Module.__setattr__ would refuse a non-leaf for a parameter and
    # register a leaf that requires grad as a new parameter where a buffer was.
    owner, registry, attr = slot
    if registry:
        owner.__dict__[registry][attr] = value
    elif value is _MISSING:
        owner.__dict__.pop(attr, None)
    else:
        object.__setattr__(owner, attr, value)


# ---- functional_call ------------------------------------------------------------------------------
def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights=True, strict=False):
    """Calls ``module(*args, **kwargs)`` with the tensors of ``parameter_and_buffer_dicts`` in place
    of its parameters and buffers, and returns what it returns (torch.func.functional_call).

    ``parameter_and_buffer_dicts`` maps dotted names (``"0.weight"``, ``"layer.bias"``, as
    ``named_parameters``/``named_buffers`` give them) to Tensors (or None), or is a tuple or list
    of such dicts with distinct keys (a key in two raises ValueError). Names left out keep the
    module's own tensor, unless ``strict`` (then missing and unexpected names raise
    RuntimeError). A name that is not a parameter, buffer or Tensor attribute of the module
    raises RuntimeError either way (torch would set it as a new attribute). ``args`` is a tuple
    of positional arguments or a single one; ``kwargs`` a dict.

    With ``tie_weights`` (the default) a tensor registered under several names (tied weights, a
    shared sub-module) is replaced under all of them by the value given for any one (different
    values for one tied tensor raise ValueError); with ``tie_weights=False`` only the names given
    are replaced.

    The module is left exactly as it was, with the same tensor objects, even if the call raises.
    The substituted tensors are used without copying: in-place changes the forward pass makes to
    them show in the dicts' tensors, and a buffer the forward pass reassigns (``self.n = self.n +
    1``) is written back into the dict it came from, as torch does. The swap lasts for the call
    and is visible to other threads meanwhile (see the module docstring).
    """
    if not isinstance(module, Module):
        raise TypeError(f"functional_call: module must be a pyjac.nn.Module, got {type(module).__name__}")
    given, origin = _merge(parameter_and_buffer_dicts)
    for name, value in given.items():
        if not isinstance(name, str):
            raise TypeError(f"functional_call: keys must be strings (dotted names), got {type(name).__name__}")
        if value is not None and not isinstance(value, Tensor):
            raise TypeError(
                f"functional_call: the value for '{name}' must be a Tensor or None, got {type(value).__name__}"
            )
    if kwargs is None:
        kwargs = {}
    elif not isinstance(kwargs, dict):
        raise TypeError(f"functional_call: kwargs must be a dict, got {type(kwargs).__name__}")
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)

    named = _all_named_tensors(module)
    untied = _untie(named, given) if tie_weights else given
    if strict:
        known = {n for n, _ in named}
        missing = sorted(known - untied.keys())
        unexpected = sorted(untied.keys() - known)
        if missing or unexpected:
            raise _key_error(module, missing, unexpected)
    slots = {name: _slot(module, name) for name in untied}
    unknown = sorted(name for name, slot in slots.items() if slot is None)
    if unknown:
        raise _key_error(module, [], unknown)

    swapped = []  # (slot, original), restored last-in first-out
    try:
        for name, value in untied.items():
            swapped.append((slots[name], _get(slots[name])))
            _put(slots[name], value)
        out = module(*args, **kwargs)
        after = {name: _get(slots[name]) for name in given}
    finally:
        for slot, original in reversed(swapped):
            _put(slot, original)
    for name, value in after.items():
        if value is not given[name] and value is not _MISSING:
            origin[name][name] = value
    return out


# ---- stack_module_state ---------------------------------------------------------------------------
def _structure(model):
    return [(prefix, type(m), m.training) for prefix, m in model.named_modules()]


def _stacked_leaf(tensors, name):
    """The stack of one entry of every model: a new leaf that requires grad when every model's
    does, a plain tensor when none does (torch's construct_stacked_leaf)."""
    wants_grad = {t.requires_grad for t in tensors}
    if len(wants_grad) > 1:
        raise ValueError(f"stack_module_state: '{name}' requires grad in some models and not in others")
    result = _core.stack(tensors)
    return result.detach().requires_grad_() if wants_grad == {True} else result


def stack_module_state(models):
    """``(params, buffers)``: for a sequence of modules of one structure, two dicts by dotted name
    of their parameters and buffers stacked along a new leading axis of length ``len(models)``
    (torch.func.stack_module_state). The stacked parameters are new leaves, unrelated to the
    models' own tensors, that require grad when the models' parameters do (so an optimizer can
    train them); buffers are stacked as they are. Use them with ``functional_call`` on any one of
    the models under ``vmap``.

    The models must be of one class, with the same sub-modules in the same training mode, and the
    same parameter and buffer names, shapes and dtypes; the first difference raises ValueError.
    """
    try:
        models = list(models)
    except TypeError:
        raise TypeError(
            f"stack_module_state: models must be a sequence of Modules, got {type(models).__name__}"
        ) from None
    if not models:
        raise ValueError("stack_module_state: expected at least one model, got 0")
    for i, m in enumerate(models):
        if not isinstance(m, Module):
            raise TypeError(f"stack_module_state: models[{i}] is a {type(m).__name__}, not a pyjac.nn.Module")
    first = models[0]
    reference = _structure(first)
    for i, m in enumerate(models[1:], 1):
        structure = _structure(m)
        for (p0, t0, tr0), (p, t, tr) in zip(reference, structure):
            where = f"'{p0}'" if p0 else "the model itself"
            if p0 != p or t0 is not t:
                here = f"'{p}' ({t.__name__})" if p else t.__name__
                raise ValueError(
                    f"stack_module_state: models[{i}] differs from models[0] in structure: models[0] has "
                    f"{where} ({t0.__name__}) where models[{i}] has {here}"
                )
            if tr0 != tr:
                raise ValueError(
                    f"stack_module_state: models[{i}] differs from models[0] in training mode at {where} "
                    f"(training={tr} vs {tr0}); call train() or eval() on all of them"
                )
        if len(structure) > len(reference):
            p, t, _ = structure[len(reference)]
            raise ValueError(
                f"stack_module_state: models[{i}] has sub-module '{p}' ({t.__name__}) that models[0] has not"
            )
        if len(structure) < len(reference):
            p, t, _ = reference[len(structure)]
            raise ValueError(f"stack_module_state: models[{i}] lacks sub-module '{p}' ({t.__name__}) of models[0]")

    def stacked(kind, method):
        named = [list(getattr(m, method)()) for m in models]
        names = [n for n, _ in named[0]]
        for i, entries in enumerate(named[1:], 1):
            other = [n for n, _ in entries]
            if other != names:
                extra = [n for n in other if n not in names]
                lacking = [n for n in names if n not in other]
                detail = (
                    f"models[{i}] has {kind} {extra[0]!r} that models[0] has not"
                    if extra
                    else f"models[{i}] lacks {kind} {lacking[0]!r}"
                    if lacking
                    else f"models[{i}] lists its {kind}s in another order"
                )
                raise ValueError(f"stack_module_state: {detail}")
        result = {}
        for k, name in enumerate(names):
            tensors = [entries[k][1] for entries in named]
            t0 = tensors[0]
            for i, t in enumerate(tensors[1:], 1):
                if t.shape != t0.shape or t.dtype != t0.dtype:
                    raise ValueError(
                        f"stack_module_state: {kind} '{name}' has shape {t.shape} and dtype {t.dtype} in "
                        f"models[{i}] but shape {t0.shape} and dtype {t0.dtype} in models[0]"
                    )
            result[name] = _stacked_leaf(tensors, name)
        return result

    return stacked("parameter", "named_parameters"), stacked("buffer", "named_buffers")
