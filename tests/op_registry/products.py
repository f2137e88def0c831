"""Products: matmul (@), dot, and einsum over many subscripts.

Family "products" (tests/test_ops_linalg.py for matmul and dot, tests/test_einsum.py). inner,
outer and kron are in the shape family with the other NumPy array functions.
"""

import numpy as np

import pyjac as pj

from .core import F32, F64, OpCase


def product(id, name, fn, shapes, ref, **kw):
    if kw.get("torch") is not None:  # as tests/test_ops_linalg.py has it
        kw.setdefault("torch_tol", {"value": (1e-12, 0), "grad": (1e-12, 1e-14)})
    return OpCase(id, name, fn, shapes, ref=ref, family="products", rtol=1e-12, **kw)


_C = np.linspace(-1.0, 1.0, 6).reshape(2, 3)

MATMUL = [
    product(
        "matmul",
        "matmul",
        pj.matmul,
        ((3, 4), (4, 5)),
        np.matmul,
        torch=lambda t, x, y: t.matmul(x, y),
        forms={"Tensor.__matmul__": lambda x, y: x @ y},
    ),
    product("matmul-vec-mat", "Tensor.__matmul__", lambda x, y: x @ y, ((4,), (4, 5)), np.matmul),
    product("matmul-mat-vec", "Tensor.__matmul__", lambda x, y: x @ y, ((3, 4), (4,)), np.matmul),
    product("matmul-vec-vec", "Tensor.__matmul__", lambda x, y: x @ y, ((4,), (4,)), np.matmul),
    product(
        "matmul-batched",
        "Tensor.__matmul__",
        lambda x, y: x @ y,
        ((2, 3, 4), (4, 5)),
        np.matmul,
        torch=lambda t, x, y: x @ y,
    ),
    product(
        "matmul-batched-bcast",
        "Tensor.__matmul__",
        lambda x, y: x @ y,
        ((2, 1, 3, 4), (5, 4, 2)),
        np.matmul,
        torch=lambda t, x, y: x @ y,
    ),
    product("matmul-mat-batched", "Tensor.__matmul__", lambda x, y: x @ y, ((3, 4), (2, 4, 5)), np.matmul),
    product("matmul-batched-vec", "Tensor.__matmul__", lambda x, y: x @ y, ((2, 3, 4), (4,)), np.matmul),
    product("rmatmul", "Tensor.__rmatmul__", lambda y: _C @ y, ((3, 2),), lambda b: _C @ b, dtypes=(F64,)),
    product("dot", "dot", pj.dot, ((4,), (4,)), np.dot, forms={"Tensor.dot": lambda x, y: x.dot(y)}),
    product("dot-2d", "dot", pj.dot, ((3, 4), (4, 2)), np.dot),
    product("dot-mat-vec", "dot", pj.dot, ((3, 4), (4,)), np.dot),
    product("dot-nd", "dot", pj.dot, ((2, 3, 4), (5, 4, 2)), np.dot),
    product("dot-nd-vec", "dot", pj.dot, ((2, 3, 4), (4,)), np.dot),
    product("dot-scalar", "dot", pj.dot, ((), (3,)), np.dot),
    product("dot-method", "Tensor.dot", lambda x, y: x.dot(y), ((2, 3), (3, 2)), np.dot),
]

# subscripts, operand shapes
EINSUM = [
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


def _einsum(i, subscripts, shapes):
    return OpCase(
        f"einsum-{subscripts.strip()}-{i}",
        "einsum",
        lambda *xs: pj.einsum(subscripts, *xs),
        tuple(shapes),
        ref=lambda *arrays: np.einsum(subscripts, *arrays),
        args=(subscripts,),
        family="products",
        rtol=1e-12,
        dtypes=(F64, F32),
    )


CASES = MATMUL + [_einsum(i, *c) for i, c in enumerate(EINSUM)]
