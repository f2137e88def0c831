"""Pytrees: nested containers of leaves, with JAX's names (``jax.tree``), built on optree.

A pytree is a leaf or a container of pytrees. Containers are tuple, list, dict (leaves in sorted
key order, as JAX), namedtuple, OrderedDict and defaultdict (leaves in insertion order, as
optree), deque, None (a container with no leaves, as JAX) and every class registered with
:func:`register_pytree_node`. Anything else (a Tensor, a NumPy array, a number, a string) is a
leaf. Rebuilt dicts keep the key order they had when flattened (optree's rule; JAX sorts them).

The registry is pyjac's own (optree namespace ``"pyjac"``): registering a class here changes no
other library's pytrees, and classes registered in optree's global registry are containers here
too.

Every transform in :mod:`pyjac.func` and :mod:`pyjac.functional` takes pytrees of Tensors (or of
arrays and numbers) as arguments and may return pytrees of Tensors.
"""

import builtins

import optree

__all__ = [
    "map",
    "flatten",
    "unflatten",
    "leaves",
    "structure",
    "register_pytree_node",
    "broadcast_prefix",
    "PyTreeDef",
]

NAMESPACE = "pyjac"

#: The type of a tree's structure (what :func:`structure` and :func:`flatten` return).
PyTreeDef = optree.PyTreeSpec


def flatten(tree, is_leaf=None):
    """``(leaves, treedef)``: the leaves in order (depth first, dict keys sorted) and the
    structure to rebuild the tree from them with :func:`unflatten`. ``is_leaf(node)`` returning
    True stops the descent there (that node is a leaf)."""
    return optree.tree_flatten(tree, is_leaf=is_leaf, namespace=NAMESPACE)


def unflatten(treedef, leaves):
    """The tree of structure ``treedef`` holding ``leaves`` (an iterable, in flatten's order)."""
    return optree.tree_unflatten(treedef, leaves)


def leaves(tree, is_leaf=None):
    """The leaves of ``tree`` in flatten's order."""
    return optree.tree_leaves(tree, is_leaf=is_leaf, namespace=NAMESPACE)


def structure(tree, is_leaf=None):
    """The structure (treedef) of ``tree``: the tree with its leaves left out."""
    return optree.tree_structure(tree, is_leaf=is_leaf, namespace=NAMESPACE)


def map(f, tree, *rest, is_leaf=None):  # noqa: A001 (JAX's name)
    """The tree of ``f(leaf, *others)`` for every leaf of ``tree``, where ``others`` are the
    leaves at the same place in each tree of ``rest`` (which must have ``tree``'s structure, or
    have it as a prefix: a leaf of ``tree`` then takes the whole subtree there, as in JAX)."""
    return optree.tree_map(f, tree, *rest, is_leaf=is_leaf, namespace=NAMESPACE)


def register_pytree_node(cls, flatten_fn, unflatten_fn):
    """Makes ``cls`` a container: ``flatten_fn(obj) -> (children, aux_data)`` with ``children``
    an iterable of subtrees and ``aux_data`` hashable, comparable static data;
    ``unflatten_fn(aux_data, children) -> obj``. JAX's signature; returns ``cls``. Registering
    the same class twice is a ValueError."""
    if not isinstance(cls, type):
        raise TypeError(f"register_pytree_node: cls must be a class, got {type(cls).__name__}")
    for name, fn in (("flatten_fn", flatten_fn), ("unflatten_fn", unflatten_fn)):
        if not callable(fn):
            raise TypeError(f"register_pytree_node: {name} must be callable, got {type(fn).__name__}")
    optree.register_pytree_node(cls, flatten_fn, unflatten_fn, namespace=NAMESPACE)
    return cls


class _Broadcast:
    """Stands for None in a prefix tree while it is broadcast (where None is a leaf: "do not map
    this argument"), since None is a container without leaves everywhere else."""

    __slots__ = ()


_NONE = _Broadcast()


def broadcast_prefix(prefix, full, is_leaf=None, who="broadcast_prefix", what="prefix"):
    """One value of ``prefix`` per leaf of ``full`` (in flatten's order): ``prefix`` must be a
    prefix of ``full``'s structure, each of its leaves standing for a whole subtree of ``full``
    (JAX's rule for ``in_axes``). None in ``prefix`` is a leaf (it stands for its subtree), unlike
    everywhere else. A structure that is not a prefix is a ValueError naming ``who``, ``what`` and
    both structures."""
    marked = optree.tree_map(lambda p: _NONE if p is None else p, prefix, none_is_leaf=True, namespace=NAMESPACE)
    try:
        spread = optree.tree_broadcast_prefix(marked, full, is_leaf=is_leaf, namespace=NAMESPACE)
    except ValueError as e:
        raise ValueError(
            f"{who}: {what} of structure {_describe(prefix, none_is_leaf=True)} is not a prefix of the "
            f"structure {_describe(full)} it is applied to ({e})"
        ) from None
    values = optree.tree_leaves(spread, namespace=NAMESPACE)
    return [None if v is _NONE else v for v in values]


def _describe(tree, none_is_leaf=False):
    """A tree's structure as text, for error messages."""
    spec = optree.tree_structure(tree, none_is_leaf=none_is_leaf, namespace=NAMESPACE)
    return describe_structure(spec)


def describe_structure(treedef):
    """``PyTreeSpec({'a': *, 'b': [*, *]})`` without optree's wrapper and namespace: ``{'a': *,
    'b': [*, *]}`` (``*`` is a leaf)."""
    text = builtins.repr(treedef)
    if text.startswith("PyTreeSpec(") and text.endswith(")"):
        text = text[len("PyTreeSpec(") : -1]
        for tail in (", namespace='pyjac'", ", NoneIsLeaf"):
            text = text.replace(tail, "")
    return text
