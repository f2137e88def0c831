"""einsum against np.einsum on many subscripts (implicit and explicit output, traces, diagonals,
outer products, batch matmuls, '...' broadcasting, several operands: registry entries, whose
values and derivatives of first and second order (it is built from differentiable ops), batched
cotangents and forward mode run in tests/test_every_op.py and tests/test_forward_mode.py); here
other dtypes, contractions through matmul, gradient values, torch parity, and errors that name
einsum and the operands' shapes.
"""

import numpy as np
import pytest

import pyjac as pj

# The subscript cases are registry entries (tests/op_registry/products.py): their values against
# np.einsum (float64, float32), first and second derivatives, batched cotangents and forward mode
# run in tests/test_every_op.py and tests/test_forward_mode.py.


def _inputs(rng, shapes, dtype=np.float64):
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


@pytest.mark.parametrize("dtype", [np.float32, np.int64])
def test_values_other_dtypes(dtype, rng):
    for subscripts, shapes in [
        ("ij,jk->ik", [(2, 3), (3, 4)]),
        ("ii->i", [(3, 3)]),
        ("bij,bkj->bik", [(2, 2, 3), (2, 2, 3)]),
    ]:
        arrays = [(rng.standard_normal(s) * 4).astype(dtype) for s in shapes]
        expected = np.einsum(subscripts, *arrays)
        out = pj.einsum(subscripts, *[pj.tensor(a) for a in arrays])
        assert out.dtype == expected.dtype
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5)


@pytest.mark.parametrize(
    "types", [(np.bool_, np.bool_), (np.bool_, np.int64), (np.int64, np.bool_), (np.bool_, np.float32)]
)
def test_bool_operands_have_numpys_dtype(types, rng):
    # NumPy: einsum over bool operands is bool (sums are ors), mixed with int64 it is int64.
    for subscripts, shapes in [
        ("ij,jk->ik", [(2, 3), (3, 4)]),
        ("ij,ij->", [(3, 3), (3, 3)]),
        ("ij->i", [(2, 3)]),
        ("ii", [(3, 3)]),
        ("i,j->ij", [(2,), (3,)]),
        ("bij,bkj->bik", [(2, 2, 3), (2, 2, 3)]),
        ("ij,jk,kl->il", [(2, 3), (3, 2), (2, 2)]),
    ]:
        arrays = []
        for i, s in enumerate(shapes):
            t = types[min(i, 1)]
            arrays.append((rng.random(s) < 0.3).astype(t) if t is np.bool_ else rng.integers(-3, 4, s).astype(t))
        expected = np.einsum(subscripts, *arrays)
        out = pj.einsum(subscripts, *[pj.tensor(a) for a in arrays])
        assert out.dtype == expected.dtype, (subscripts, types, out.dtype, expected.dtype)
        np.testing.assert_array_equal(np.asarray(out), expected)


def _node_names(t):
    seen, stack, names = set(), [t.grad_fn], []
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        names.append(node.name())
        stack.extend(fn for fn, _ in node.next_functions)
    return names


@pytest.mark.parametrize(
    "subscripts,shapes",
    [
        ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
        ("ijk,ikl->jl", [(2, 2, 3), (2, 3, 2)]),
        ("i,i", [(3,), (3,)]),
        ("...ij,...jk", [(2, 2, 3), (2, 3, 2)]),
    ],
)
def test_contractions_go_through_matmul(subscripts, shapes, rng):
    xs = [pj.tensor(a, requires_grad=True) for a in _inputs(rng, shapes)]
    names = _node_names(pj.einsum(subscripts, *xs))
    assert "MatmulBackward" in names
    assert "MulBackward" not in names


def test_gradient_of_trace_and_diagonal(rng):
    a = rng.standard_normal((3, 3))
    x = pj.tensor(a, requires_grad=True)
    (g,) = pj.grad(pj.einsum("ii", x), x)
    np.testing.assert_array_equal(g.numpy(), np.eye(3))
    w = rng.standard_normal(3)
    (g,) = pj.grad(pj.einsum("ii->i", x), x, grad_outputs=pj.tensor(w))
    np.testing.assert_array_equal(g.numpy(), np.diag(w))


def test_hessian_of_a_quadratic_form(rng):
    a = rng.standard_normal((3, 3))
    x = rng.standard_normal(3)
    h = pj.hessian(lambda v: pj.einsum("i,ij,j->", v, pj.tensor(a), v), pj.tensor(x))
    np.testing.assert_allclose(h.numpy(), a + a.T, rtol=1e-12)


def test_torch_parity(torch, rng):
    specs = [
        ("ij,jk->ik", [(2, 3), (3, 4)]),
        ("bij,bkj->bik", [(2, 2, 3), (2, 4, 3)]),
        ("ii->i", [(3, 3)]),
        ("i,j->ij", [(3,), (2,)]),
        ("...ij,...jk", [(2, 2, 3), (3, 2)]),
        ("ijk,ikl->jl", [(2, 2, 3), (2, 3, 2)]),
    ]
    for subscripts, shapes in specs:
        arrays = _inputs(rng, shapes)
        xs = [pj.tensor(a, requires_grad=True) for a in arrays]
        out = pj.einsum(subscripts, *xs)
        w = rng.standard_normal(out.shape)
        gs = pj.grad(out, xs, grad_outputs=pj.tensor(w))
        txs = [torch.tensor(a, requires_grad=True) for a in arrays]
        tout = torch.einsum(subscripts, *txs)
        tgs = torch.autograd.grad(tout, txs, grad_outputs=torch.tensor(w))
        np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-12, atol=1e-12)
        for g, tg in zip(gs, tgs):
            np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "subscripts,shapes,match",
    [
        ("ij,jk->ik", [(2, 3)], r"2 subscript terms for 1 operands"),
        ("ij", [(2, 3), (3,)], r"1 subscript terms for 2 operands"),
        ("ij,jk->ik", [(2, 3), (4, 5)], r"label 'j' has size 3 in one operand and 4 in operand 1"),
        ("ij->ik", [(2, 3)], r"output subscript 'k' does not appear"),
        ("ij->ii", [(2, 3)], r"output subscript 'i' appears more than once"),
        ("ijk", [(2, 3)], r"operand 0 has 2 dimensions but its subscripts 'ijk' give 3"),
        ("i", [(2, 3)], r"operand 0 has 2 dimensions but its subscripts 'i' give 1"),
        ("ij...k", [(2, 3)], r"operand 0 has 2 dimensions, fewer than the 3 subscripts"),
        ("i1", [(2, 3)], r"invalid subscript character '1'"),
        ("i..j", [(2, 3)], r"invalid ellipsis"),
        ("...i...", [(2, 3)], r"invalid ellipsis"),
        ("ii", [(2, 3)], r"dimensions in operand 0 for collapsing index 'i' don't match \(2 != 3\)"),
        ("...i->i", [(2, 3)], r"no '...' to put them in"),
        ("ij->j->i", [(2, 3)], r"output subscripts"),
        ("", [], r"at least one operand"),
    ],
)
def test_errors(subscripts, shapes, match):
    xs = [pj.ones(s) for s in shapes]
    with pytest.raises(ValueError, match=match) as info:
        pj.einsum(subscripts, *xs)
    msg = str(info.value)
    assert msg.startswith("einsum: ")
    for s in shapes:
        assert str(tuple(s)) in msg


@pytest.mark.parametrize(
    "subscripts, char",
    [("ié,j", "é"), ("i,j->é", "é"), ("ij,jk->i\u4e2d", "\u4e2d"), ("i\U0001f600", "\U0001f600"), ("iß", "ß")],
)
def test_non_ascii_subscript_raises_value_error_naming_the_character(subscripts, char):
    operands = [pj.ones([2] * len(t.replace(char, "x"))) for t in subscripts.split("->")[0].split(",")]
    with pytest.raises(ValueError) as ei:
        pj.einsum(subscripts, *operands)
    m = str(ei.value)
    assert m.startswith("einsum: ") and f"'{char}'" in m, m
