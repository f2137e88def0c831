"""The op registry: one list of every public op, and how to call and check it, for every test.

Every derivative test iterates over this registry (or a filter of it) instead of keeping an op
list of its own, so an op added here is checked in every mode at once, and an op missing here
fails tests/test_op_registry.py. Tests for one op's edge cases (a convention at 0, an error
message, NaN handling) stay explicit in that op's family file.

An entry (`OpCase`, tests/op_registry/core.py) is one way of calling one op:

  id          unique; the pytest id. Several entries per op are fine (broadcasting, axis, keepdims
              variants, ties, zeros); the op's base entry has id == name where that reads well.
  name        the public callable the entry exercises, qualified: 'exp', 'linalg.inv',
              'nn.functional.gelu', 'Tensor.sum', 'Tensor.__rsub__', 'Tensor.T'.
  fn          (*tensors) -> Tensor or tuple of Tensors; every non-tensor argument bound.
  shapes      one per tensor input; a fixed NumPy array instead of a shape uses that array (ties,
              zeros, points at a kink).
  domain      where inputs are drawn: a sampler (rng, shape) -> array for every input, a tuple of
              them (one per input), or Joint(fn(rng, *shapes)) for constraints between inputs.
              Domains keep finite differences away from poles, kinks, jumps and ties.
  ref         NumPy reference for fn (same arguments, arrays for tensors); None where NumPy has none.
  sweep       (pyjac function, NumPy function) with the op's remaining signature, for a family
              file's sweeps over shapes, axes and keepdims (`sample(rng, *shapes)` draws inputs).
  args        the non-tensor arguments bound in fn (an index, indices and axis, subscripts), for
              family tests that pass them in other forms.
  derivative  SMOOTH, ZERO (piecewise constant: every derivative is 0, checked exactly) or NONE
              (integer/bool result: no gradient, checked).
  second_order, forward, batched
              whether second derivatives, forward mode (JVP) and batched cotangents are checked.
  fd, hess_fd whether first / second-order finite differences mean something at the drawn inputs
              (False at ties or kinks, where only the AD modes are compared with each other).
  dtypes      float dtypes the values are checked in (and int64/bool where the op takes them);
              float32 also checks that gradients keep the input's dtype.
  rtol        values against `ref` (0: bitwise equal; atol is rtol / 10); float32 uses >= 1e-5.
  tol, fd_tol, jac_tol, hess_tol, atol, atol2
              forward vs reverse mode (tol, jac_tol), against finite differences (fd_tol, and
              gradcheck's atol / gradgradcheck's atol2: None for their defaults), Hessians by both
              modes (hess_tol).
  torch       (torch, *torch tensors) -> torch result: parity of values, VJPs and second
              derivatives where torch is installed (the tests skip cleanly otherwise);
              torch_tol: {'value' | 'grad' | 'second': (rtol, atol)} where the defaults of
              tests/test_every_op.py do not fit.
  forms       {qualified name: callable}: other spellings of the same call (Tensor methods,
              operators, aliases, nn.functional re-exports), checked to give the same values,
              gradients and tangents as fn.
  family      the file with the op's edge-case tests: elementwise, math, comparison, reduction,
              cumulative, shape, indexing, products, linalg, nn, inplace, sorting.
  tags        finer groups inside a family (unary, binary, scalar, activation, loss, ...).
  marks       pytest marks for every test of the entry (`isolated`: run in a forked child).
  xfail       {check: reason}: a known library bug in one check of one entry (strict xfail).

Room for the next transforms (tests that iterate over the registry the same way):

  vmap        True: the entry is expected to work under a batching transform over a new leading
              axis of every input: vmap(fn)(stacked inputs) == stack([fn(*inputs_i)]) for inputs
              drawn with `sample(rng, *shapes)`. False where that cannot hold (random ops).
  sparsity    the structure of the Jacobian, for structural-sparsity tests: 'elementwise'
              (diagonal after broadcasting), 'selection' (each output element is one input element
              or a constant: 0/1 entries, at most one per row), None (dense or not declared).
              tests/test_op_registry.py checks each declaration against the reverse-mode Jacobian
              at the entry's inputs.

A new transform's test is a loop over `select(...)` (or `differentiable()`) with `params(cases,
check)`, drawing inputs with `arrays()` or `sample()`; `xfail` entries name that check.
"""

from . import (
    array_functions,
    elementwise,
    indexing,
    inplace,
    linalg,
    nn,
    products,
    reductions,
    shapes,
    sorting,
    special,
)
from .core import BOOL, F32, F64, I64, NONE, SMOOTH, ZERO, Joint, OpCase, params, resolve  # noqa: F401
from .public import NOT_OPS, public_ops  # noqa: F401

REGISTRY = (
    elementwise.CASES
    + reductions.CASES
    + shapes.CASES
    + indexing.CASES
    + products.CASES
    + linalg.CASES
    + nn.CASES
    + inplace.CASES
    + array_functions.CASES
    + special.CASES
    + sorting.CASES
)
BY_ID = {c.id: c for c in REGISTRY}
assert len(BY_ID) == len(REGISTRY), sorted({c.id for c in REGISTRY if sum(d.id == c.id for d in REGISTRY) > 1})


def select(family=None, tags=(), exclude_tags=(), derivative=None, **flags):
    """Entries of a family (or several: a tuple), having every tag in `tags` and none in
    `exclude_tags`, with the given derivative kind(s) and flag values (forward=True, fd=True, ...)."""
    families = (family,) if isinstance(family, str) else family
    tags, exclude_tags = (
        {tags} if isinstance(tags, str) else set(tags),
        {exclude_tags} if isinstance(exclude_tags, str) else set(exclude_tags),
    )
    kinds = (derivative,) if isinstance(derivative, str) else derivative
    out = []
    for c in REGISTRY:
        if families is not None and c.family not in families:
            continue
        if not tags <= c.tags or c.tags & exclude_tags:
            continue
        if kinds is not None and c.derivative not in kinds:
            continue
        if any(getattr(c, k) != v for k, v in flags.items()):
            continue
        out.append(c)
    return out


def differentiable(**kw):
    """Entries with derivatives to check (SMOOTH or ZERO)."""
    return select(derivative=(SMOOTH, ZERO), **kw)
