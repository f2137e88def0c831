"""The op registry itself (tests/op_registry): every public op has an entry, every entry is well
formed, every other spelling of an entry's call (Tensor method, operator, alias) gives the same
values, gradients and tangents as the entry's function, and every declared Jacobian structure
(`sparsity`) holds."""

import numpy as np
import pytest
from op_registry import NONE, NOT_OPS, REGISTRY, public_ops, resolve

import pyjac as pj

COVERED = {c.name for c in REGISTRY} | {f for c in REGISTRY for f in c.forms}


def test_every_public_op_has_a_registry_entry():
    missing = sorted(public_ops() - COVERED)
    assert not missing, (
        f"public ops with no entry in tests/op_registry (add one, or, if it is not an op, "
        f"add it to NOT_OPS in tests/op_registry/public.py): {', '.join(missing)}"
    )


def test_the_exclusion_list_names_public_callables_only():
    # a stale name (an op renamed or removed) would hide a new op of that name
    for name in NOT_OPS:
        assert callable(resolve(name)), name
    assert not NOT_OPS & COVERED, sorted(NOT_OPS & COVERED)


def _problems(case):
    try:
        resolve(case.name)
    except (AttributeError, KeyError):
        yield f"name {case.name!r} is not a public callable"
    for form in case.forms:
        try:
            resolve(form)
        except (AttributeError, KeyError):
            yield f"form {form!r} is not a public callable"
    if isinstance(case.domain, (tuple, list)) and len(case.domain) != case.nargs:
        yield f"{len(case.domain)} samplers for {case.nargs} inputs"
    if len(case.arrays()) != case.nargs:
        yield "the domain draws the wrong number of inputs"
    if case.sweep is not None and not (len(case.sweep) == 2 and all(callable(f) for f in case.sweep)):
        yield "sweep is not (pyjac function, NumPy function)"
    if case.derivative == NONE and case.torch is not None:
        yield "torch parity of derivatives for an op without them"
    for check in case.xfail:
        if check not in XFAIL_CHECKS:
            yield f"xfail names an unknown check {check!r}"


# the `check` names the tests pass to params() (tests/test_every_op.py, tests/test_forward_mode.py)
XFAIL_CHECKS = {"values", "derivatives", "batched", "zero", "no_gradient", "torch", "jvp_fd", "hvp_fd"}


def test_every_entry_is_well_formed():
    problems = [f"{c.id}: {p}" for c in REGISTRY for p in _problems(c)]
    assert not problems, "\n".join(problems)


FORMS = [(c, form) for c in REGISTRY for form in c.forms]


def _outputs(out):
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


@pytest.mark.parametrize("case,form", [pytest.param(c, f, id=f"{c.id}:{f}", marks=c.marks) for c, f in FORMS])
def test_every_form_gives_the_same_values_gradients_and_tangents(case, form):
    arrays = case.arrays()
    other = case.forms[form]
    want = _outputs(case.fn(*[pj.tensor(a) for a in arrays]))
    got = _outputs(other(*[pj.tensor(a) for a in arrays]))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert isinstance(g, pj.Tensor) and g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_array_equal(g.numpy(), w.numpy())
    if case.derivative == NONE:
        return
    floats = [i for i, a in enumerate(arrays) if a.dtype.kind == "f"]
    xs = [pj.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    r = np.random.default_rng(1)
    ws = [pj.tensor(r.standard_normal(w.shape)) for w in want]

    def vjp(f):
        outs = _outputs(f(*xs))
        loss = sum(pj.sum(o * w) for o, w in zip(outs, ws))
        return pj.grad(loss, [xs[i] for i in floats], allow_unused=True)

    for g, w in zip(vjp(other), vjp(case.fn)):
        assert (g is None) == (w is None)
        if g is not None:
            np.testing.assert_array_equal(g.numpy(), w.numpy())
    if case.forward:
        tangents = tuple(pj.tensor(r.standard_normal(a.shape)) for a in arrays)
        _, t_other = pj.jvp(_single(other), tuple(pj.tensor(a) for a in arrays), tangents)
        _, t_fn = pj.jvp(case.single, tuple(pj.tensor(a) for a in arrays), tangents)
        np.testing.assert_array_equal(t_other.numpy(), t_fn.numpy())


def _single(fn):
    def single(*xs):
        out = fn(*xs)
        if isinstance(out, (tuple, list)):
            return pj.concatenate([pj.reshape(o, (-1,)) for o in out])
        return out

    return single


def _broadcast_source(out_shape, in_shape):
    """For each output element (C order), the flat index of the input element broadcast onto it."""
    idx = np.arange(int(np.prod(in_shape)), dtype=np.int64).reshape(in_shape)
    return np.broadcast_to(idx, out_shape).reshape(-1)


def test_declared_jacobian_structure_holds():
    """`sparsity` (the room for structural-sparsity tests) says what it should: 'elementwise' entries
    have Jacobians that are zero away from each output's broadcast source, 'selection' entries
    Jacobians of 0s and 1s with at most one 1 per row."""
    problems = []
    for case in REGISTRY:
        if case.sparsity is None or case.derivative == NONE:
            continue
        arrays = case.arrays()
        xs = tuple(pj.tensor(a) for a in arrays)
        for k, out in enumerate(_outputs(case.fn(*xs))):
            jac = pj.jacobian(lambda *ys, k=k: _outputs(case.fn(*ys))[k], xs, strategy="reverse-mode")
            problems += _structure_problems(case, arrays, out, jac)
    assert not problems, "\n".join(problems)


def _structure_problems(case, arrays, out, jac):
    problems = []
    for a, block in zip(arrays, jac):
        J = np.asarray(block.numpy(), dtype=np.float64).reshape(int(np.prod(out.shape)), a.size)
        if case.sparsity == "elementwise":
            mask = np.zeros(J.shape, dtype=bool)
            if J.size:
                mask[np.arange(J.shape[0]), _broadcast_source(tuple(out.shape), a.shape)] = True
            if np.any(J[~mask]):
                problems.append(f"{case.id}: a nonzero derivative away from the diagonal")
        elif case.sparsity == "selection":
            if not np.all((J == 0) | (J == 1)) or np.any((J != 0).sum(axis=1) > 1):
                problems.append(f"{case.id}: not a selection (0/1 entries, at most one per row)")
        else:
            problems.append(f"{case.id}: unknown sparsity {case.sparsity!r}")
    return problems
