"""einsum against np.einsum on many subscripts (implicit and explicit output, traces, diagonals,
outer products, batch matmuls, '...' broadcasting, several operands), its derivatives of first
and second order (it is built from differentiable ops), batched cotangents, forward mode, torch
parity, and errors that name einsum and the operands' shapes.
"""
import numpy as np
import pytest

import pyjac as pj
from _derivative_checks import check_derivatives

# subscripts, operand shapes
CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 2)]),
    ("ij,kj->ik", [(2, 3), (4, 3)]),
    ("ji,jk->ki", [(3, 2), (3, 2)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
    ("bij,bjk->bki", [(2, 2, 3), (2, 3, 2)]),
    ("i,i", [(4,), (4,)]),
    ("i,i->", [(3,), (3,)]),
    ("i,i->i", [(3,), (3,)]),
    ("i,j->ij", [(3,), (4,)]),
    ("i,j", [(2,), (3,)]),
    ("ij,kl->ijkl", [(2, 1), (1, 3)]),
    ("ij,ij->ij", [(2, 3), (2, 3)]),
    ("ij,ij->", [(2, 3), (2, 3)]),
    ("ij->ji", [(2, 3)]),
    ("ij", [(2, 3)]),
    ("ji", [(2, 3)]),
    ("ij->", [(2, 3)]),
    ("ij->j", [(2, 3)]),
    ("ii", [(3, 3)]),
    ("ii->i", [(3, 3)]),
    ("ii->", [(3, 3)]),
    ("iij->ji", [(2, 2, 3)]),
    ("ijji->", [(2, 3, 3, 2)]),
    ("iii->i", [(2, 2, 2)]),
    ("bii->bi", [(2, 3, 3)]),
    ("ii,i->i", [(3, 3), (3,)]),
    ("ij,jk,kl->il", [(2, 3), (3, 2), (2, 2)]),
    ("ab,bc,cd,de->ae", [(2, 2), (2, 3), (3, 2), (2, 2)]),
    ("i,i,i", [(3,), (3,), (3,)]),
    ("ijk,ikl->jl", [(2, 2, 3), (2, 3, 2)]),
    ("ijk,jil->kl", [(2, 3, 2), (3, 2, 2)]),
    ("ijk->kij", [(2, 3, 2)]),
    ("ba", [(2, 3)]),
    ("Ba,bA", [(2, 3), (2, 2)]),
    ("aB,Ba->", [(2, 3), (3, 2)]),
    (" ij , jk -> ik ", [(2, 3), (3, 2)]),
    # '...' broadcasting
    ("...ij,...jk", [(2, 2, 3), (2, 3, 2)]),
    ("...ij,...jk->...ik", [(2, 1, 2, 3), (3, 3, 2)]),
    ("...ii->...i", [(2, 3, 3)]),
    ("i...->...", [(3, 2, 2)]),
    ("...->...", [(2, 3)]),
    ("...,...", [(2, 3), (3,)]),
    ("i...j,j...->...i", [(2, 3, 2), (2, 3)]),
    ("...i,...i->...", [(2, 3), (1, 3)]),
    ("ij...,jk...->ik...", [(2, 3), (3, 2)]),  # '...' of no dims
    # size-1 dims broadcast against the label's size
    ("ij,ij->ij", [(1, 3), (2, 3)]),
    ("i,i", [(1,), (3,)]),
    # 0-d operands
    (",->", [(), ()]),
    ("i,->i", [(3,), ()]),
    ("->", [()]),
    # empty dims
    ("ij,jk->ik", [(2, 0), (0, 3)]),
    ("ij,jk->ik", [(0, 3), (3, 2)]),
    ("i->", [(0,)]),
]
IDS = [f"{s.strip()}-{i}" for i, (s, _) in enumerate(CASES)]


def _inputs(rng, shapes, dtype=np.float64):
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


@pytest.mark.parametrize("subscripts,shapes", CASES, ids=IDS)
def test_values(subscripts, shapes, rng):
    arrays = _inputs(rng, shapes)
    expected = np.einsum(subscripts, *arrays)
    out = pj.einsum(subscripts, *[pj.tensor(a) for a in arrays])
    assert out.shape == expected.shape
    assert out.dtype == expected.dtype
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.int64])
def test_values_other_dtypes(dtype, rng):
    for subscripts, shapes in [("ij,jk->ik", [(2, 3), (3, 4)]), ("ii->i", [(3, 3)]), ("bij,bkj->bik", [(2, 2, 3), (2, 2, 3)])]:
        arrays = [(rng.standard_normal(s) * 4).astype(dtype) for s in shapes]
        expected = np.einsum(subscripts, *arrays)
        out = pj.einsum(subscripts, *[pj.tensor(a) for a in arrays])
        assert out.dtype == expected.dtype
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5)



@pytest.mark.parametrize("types", [(np.bool_, np.bool_), (np.bool_, np.int64), (np.int64, np.bool_), (np.bool_, np.float32)])
def test_bool_operands_have_numpys_dtype(types, rng):
    # NumPy: einsum over bool operands is bool (sums are ors), mixed with int64 it is int64.
    for subscripts, shapes in [("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,ij->", [(3, 3), (3, 3)]), ("ij->i", [(2, 3)]),
                               ("ii", [(3, 3)]), ("i,j->ij", [(2,), (3,)]), ("bij,bkj->bik", [(2, 2, 3), (2, 2, 3)]),
                               ("ij,jk,kl->il", [(2, 3), (3, 2), (2, 2)])]:
        arrays = []
        for i, s in enumerate(shapes):
            t = types[min(i, 1)]
            arrays.append((rng.random(s) < 0.3).astype(t) if t is np.bool_ else rng.integers(-3, 4, s).astype(t))
        expected = np.einsum(subscripts, *arrays)
        out = pj.einsum(subscripts, *[pj.tensor(a) for a in arrays])
        assert out.dtype == expected.dtype, (subscripts, types, out.dtype, expected.dtype)
        np.testing.assert_array_equal(np.asarray(out), expected)

GRAD_CASES = [c for c in CASES if 0 < sum(int(np.prod(s)) for s in c[1]) <= 30 and all(np.prod(s) > 0 for s in c[1])]


@pytest.mark.parametrize("subscripts,shapes", GRAD_CASES, ids=[c[0].strip() for c in GRAD_CASES])
def test_derivatives(subscripts, shapes, rng):
    check_derivatives(lambda *xs: pj.einsum(subscripts, *xs), _inputs(rng, shapes))


@pytest.mark.parametrize("subscripts,shapes", CASES, ids=IDS)
def test_batched_cotangents(subscripts, shapes, rng, batched_check):
    gs = batched_check(lambda *xs: pj.einsum(subscripts, *xs), _inputs(rng, shapes), k=2)
    for g, s in zip(gs, shapes):
        assert g.shape == (2,) + tuple(s)


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


@pytest.mark.parametrize("subscripts,shapes", [("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]), ("ijk,ikl->jl", [(2, 2, 3), (2, 3, 2)]),
                                               ("i,i", [(3,), (3,)]), ("...ij,...jk", [(2, 2, 3), (2, 3, 2)])])
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
    specs = [("ij,jk->ik", [(2, 3), (3, 4)]), ("bij,bkj->bik", [(2, 2, 3), (2, 4, 3)]), ("ii->i", [(3, 3)]),
             ("i,j->ij", [(3,), (2,)]), ("...ij,...jk", [(2, 2, 3), (3, 2)]), ("ijk,ikl->jl", [(2, 2, 3), (2, 3, 2)])]
    for subscripts, shapes in specs:
        arrays = _inputs(rng, shapes)
        xs = [pj.tensor(a, requires_grad=True) for a in arrays]
        out = pj.einsum(subscripts, *xs)
        w = rng.standard_normal(out.shape)
        gs = pj.grad(out, xs, grad_outputs=pj.tensor(w))
        txs = [torch.tensor(a, requires_grad=True) for a in arrays]
        tout = torch.einsum(subscripts, *txs)
        tgs = torch.autograd.grad(tout, txs, grad_outputs=torch.tensor(w))
        np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-12, atol=1e-12)
        for g, tg in zip(gs, tgs):
            np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("subscripts,shapes,match", [
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
])
def test_errors(subscripts, shapes, match):
    xs = [pj.ones(s) for s in shapes]
    with pytest.raises(ValueError, match=match) as info:
        pj.einsum(subscripts, *xs)
    msg = str(info.value)
    assert msg.startswith("einsum: ")
    for s in shapes:
        assert str(tuple(s)) in msg


@pytest.mark.parametrize("subscripts, char", [("ié,j", "é"), ("i,j->é", "é"), ("ij,jk->i\u4e2d", "\u4e2d"),
                                              ("i\U0001F600", "\U0001F600"), ("iß", "ß")])
def test_non_ascii_subscript_raises_value_error_naming_the_character(subscripts, char):
    operands = [pj.ones([2] * len(t.replace(char, "x"))) for t in subscripts.split("->")[0].split(",")]
    with pytest.raises(ValueError) as ei:
        pj.einsum(subscripts, *operands)
    m = str(ei.value)
    assert m.startswith("einsum: ") and f"'{char}'" in m, m
