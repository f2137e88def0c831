"""pyjac's public ops, found by introspection: what the registry must cover.

Public callables of `pyjac`, `pyjac.linalg`, `pyjac.nn.functional`, `pyjac.special` and
`pyjac.stats` (their `__all__`, classes left out), the public methods of `pyjac.Tensor`, and the
Python operators it defines. Everything there is an op, except the short list of names below.
"""

import inspect

import pyjac as pj

MODULES = {
    "": pj,
    "linalg.": pj.linalg,
    "nn.functional.": pj.nn.functional,
    "special.": pj.special,
    "stats.": pj.stats,
}

# The Python operator protocol: what `a + b`, `-a`, `a[i]`, `a[i] = v`, `round(a)`, `divmod(a, b)`
# ... call. Only those the Tensor defines count (the in-place `+=` forms fall back to `+`).
OPERATORS = {
    "__add__",
    "__radd__",
    "__sub__",
    "__rsub__",
    "__mul__",
    "__rmul__",
    "__truediv__",
    "__rtruediv__",
    "__floordiv__",
    "__rfloordiv__",
    "__mod__",
    "__rmod__",
    "__divmod__",
    "__rdivmod__",
    "__pow__",
    "__rpow__",
    "__matmul__",
    "__rmatmul__",
    "__and__",
    "__rand__",
    "__or__",
    "__ror__",
    "__xor__",
    "__rxor__",
    "__lshift__",
    "__rlshift__",
    "__rshift__",
    "__rrshift__",
    "__iadd__",
    "__isub__",
    "__imul__",
    "__itruediv__",
    "__ifloordiv__",
    "__imod__",
    "__ipow__",
    "__imatmul__",
    "__neg__",
    "__pos__",
    "__abs__",
    "__invert__",
    "__round__",
    "__trunc__",
    "__floor__",
    "__ceil__",
    "__eq__",
    "__ne__",
    "__lt__",
    "__le__",
    "__gt__",
    "__ge__",
    "__getitem__",
    "__setitem__",
}

# Public callables that are not ops on tensors. Keep this short: anything that computes a tensor
# from tensors belongs in the registry.
NOT_OPS = {
    # creation: tensors from values, shapes or a generator, not from tensors to differentiate
    "tensor",
    "asarray",
    "zeros",
    "ones",
    "full",
    "empty",
    "eye",
    "arange",
    "linspace",
    "rand",
    "randn",
    "zeros_like",
    "ones_like",
    "full_like",
    # transforms and autograd entry points: they take functions or outputs (tests/test_func.py,
    # tests/test_functional.py, tests/test_autograd.py)
    "grad",
    "backward",
    "jacobian",
    "hessian",
    "vjp",
    "jvp",
    "hvp",
    "vhp",
    # the memory budget of chunk_size="auto" Jacobian sweeps (tests/test_func_pytrees.py)
    "set_memory_budget",
    "get_memory_budget",
    # grad mode and the random seed
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "manual_seed",
    # Tensor utilities: autograd bookkeeping, and leaving pyjac for Python or NumPy
    "Tensor.backward",
    "Tensor.detach",
    "Tensor.requires_grad_",
    "Tensor.retain_grad",
    "Tensor.numpy",
    "Tensor.item",
    "Tensor.tolist",
}


def public_ops():
    """Every public op's qualified name: 'exp', 'linalg.inv', 'nn.functional.gelu', 'Tensor.sum',
    'Tensor.__add__'. Classes (Tensor, dtypes, LinAlgError, result tuples) are not ops."""
    names = set()
    for prefix, module in MODULES.items():
        for n in module.__all__:
            obj = getattr(module, n)
            if callable(obj) and not inspect.isclass(obj):
                names.add(prefix + n)
    for n, obj in vars(pj.Tensor).items():
        if n.startswith("_"):
            if n in OPERATORS:
                names.add("Tensor." + n)
        elif callable(obj) and not isinstance(obj, property):
            names.add("Tensor." + n)
    return names - NOT_OPS
