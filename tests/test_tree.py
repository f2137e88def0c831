"""pyjac.tree: JAX's pytree functions on optree, in pyjac's own registry namespace. Leaf order and
structure are checked against jax.tree_util where JAX is installed."""

import collections

import numpy as np
import optree
import pytest

import pyjac as pj
from pyjac import tree

try:
    import jax
except ImportError:  # the parity tests skip
    jax = None

needs_jax = pytest.mark.skipif(jax is None, reason="jax is not installed")

Point = collections.namedtuple("Point", ["x", "y"])

TREES = {
    "leaf": 1.5,
    "tuple": (1, 2.0, 3),
    "list": [1, [2, 3], (4,)],
    "dict sorted": {"b": 1, "a": 2, "c": {"z": 3, "y": 4}},
    "namedtuple": Point(1, [2, 3]),
    "None is a node without leaves": [1, None, (None, 2)],
    "OrderedDict in insertion order": collections.OrderedDict([("b", 1), ("a", 2)]),
    "defaultdict sorted": collections.defaultdict(list, {"b": 1, "a": 2}),
    "empty containers": ((), [], {}, 5),
    "array and tensor leaves": {"a": np.ones(2), "t": pj.ones(3)},
}


@pytest.mark.parametrize("name", list(TREES))
def test_flatten_then_unflatten_gives_the_tree_back(name):
    t = TREES[name]
    leaves, treedef = tree.flatten(t)
    back = tree.unflatten(treedef, leaves)
    assert tree.structure(back) == treedef
    assert all(a is b for a, b in zip(tree.leaves(back), leaves))
    assert tree.leaves(t) == leaves if name != "array and tensor leaves" else len(leaves) == 2
    assert type(back) is type(t)


@needs_jax
@pytest.mark.parametrize("name", [n for n in TREES if n != "array and tensor leaves"])
def test_leaf_order_and_leaf_count_as_jax(name):
    t = TREES[name]
    assert tree.leaves(t) == jax.tree_util.tree_leaves(t)
    assert tree.structure(t).num_leaves == jax.tree_util.tree_structure(t).num_leaves
    # map rebuilds the same containers as JAX (dicts compare without key order)
    assert tree.map(lambda v: v * 10, t) == jax.tree_util.tree_map(lambda v: v * 10, t)


def test_dict_leaves_are_in_sorted_key_order_and_rebuilt_dicts_keep_their_order():
    leaves, treedef = tree.flatten({"b": 1, "a": 2})
    assert leaves == [2, 1]
    back = tree.unflatten(treedef, [20, 10])
    assert back == {"a": 20, "b": 10} and list(back) == ["b", "a"]  # optree's rule (JAX sorts)


def test_tensors_and_arrays_are_leaves_and_none_has_no_leaves():
    t = pj.ones((2, 2))
    assert tree.leaves(t) == [t]
    a = np.ones(3)
    assert tree.leaves([a]) == [a]
    assert tree.leaves(None) == []
    assert tree.leaves([None, 1]) == [1]


def test_map_over_several_trees_and_is_leaf():
    assert tree.map(lambda a, b: a + b, {"x": 1, "y": (2, 3)}, {"x": 10, "y": (20, 30)}) == {"x": 11, "y": (22, 33)}
    with pytest.raises(ValueError):
        tree.map(lambda a, b: a + b, (1, 2), (1, 2, 3))
    # is_leaf stops the descent: each pair is one leaf
    assert tree.map(lambda p: p[0] * p[1], [(2, 3), (4, 5)], is_leaf=lambda n: isinstance(n, tuple)) == [6, 20]
    assert tree.leaves([(1, 2), 3], is_leaf=lambda n: isinstance(n, tuple)) == [(1, 2), 3]


class Pair:
    def __init__(self, a, b):
        self.a, self.b = a, b


tree.register_pytree_node(Pair, lambda p: ((p.a, p.b), None), lambda aux, children: Pair(*children))


def test_a_registered_class_is_a_container_in_pyjacs_registry_only():
    p = Pair(1, [2, 3])
    assert tree.leaves(p) == [1, 2, 3]
    q = tree.map(lambda v: v * 2, p)
    assert isinstance(q, Pair) and q.a == 2 and q.b == [4, 6]
    # optree's global registry (and every other library's namespace) is untouched
    assert optree.tree_leaves(p) == [p]
    assert optree.tree_leaves(p, namespace="somebody-else") == [p]


def test_register_pytree_node_checks_its_arguments_and_refuses_a_second_registration():
    with pytest.raises(TypeError, match="register_pytree_node: cls must be a class"):
        tree.register_pytree_node(Pair(1, 2), lambda p: ((), None), lambda a, c: None)
    with pytest.raises(TypeError, match="register_pytree_node: flatten_fn must be callable"):
        tree.register_pytree_node(type("Fresh", (), {}), None, lambda a, c: None)
    with pytest.raises(ValueError):
        tree.register_pytree_node(Pair, lambda p: ((p.a, p.b), None), lambda aux, children: Pair(*children))


@needs_jax
def test_a_class_registered_with_jax_signature_works_the_same_in_both():
    class Box:
        def __init__(self, items, label):
            self.items, self.label = items, label

    flatten = lambda b: (b.items, b.label)  # noqa: E731
    unflatten = lambda label, items: Box(list(items), label)  # noqa: E731
    tree.register_pytree_node(Box, flatten, unflatten)
    jax.tree_util.register_pytree_node(Box, flatten, unflatten)
    b = Box([1, {"q": 2, "p": 3}], "lbl")
    assert tree.leaves(b) == jax.tree_util.tree_leaves(b) == [1, 3, 2]
    mapped = tree.map(lambda v: v + 1, b)
    assert mapped.label == "lbl" and mapped.items == [2, {"q": 3, "p": 4}]


def test_broadcast_prefix_spreads_each_prefix_leaf_over_its_subtree():
    full = (np.ones(2), {"a": 1.0, "b": [2.0, 3.0]}, 4.0)
    assert tree.broadcast_prefix(0, full) == [0, 0, 0, 0, 0]
    assert tree.broadcast_prefix((0, None, 1), full) == [0, None, None, None, 1]
    assert tree.broadcast_prefix((0, {"a": 1, "b": None}, None), full) == [0, 1, None, None, None]


@needs_jax
def test_broadcast_prefix_as_jax_tree_broadcast():
    full = (0, {"a": 0, "b": 0}, (0, 0))
    assert tree.broadcast_prefix((1, 2, 3), full) == jax.tree_util.tree_leaves(jax.tree.broadcast((1, 2, 3), full))


def test_broadcast_prefix_that_is_not_a_prefix_names_who_what_and_both_structures():
    with pytest.raises(ValueError, match=r"vmap: in_axes of structure \(\*, \*, \*\) is not a prefix of .*\(\*, \*\)"):
        tree.broadcast_prefix((0, 0, 0), (1.0, 2.0), who="vmap", what="in_axes")
    with pytest.raises(ValueError, match=r"in_axes of structure \{'a': \*\}"):
        tree.broadcast_prefix({"a": 0}, {"b": 1.0}, who="vmap", what="in_axes")
