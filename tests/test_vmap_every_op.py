"""vmap over every op in the registry: vmap(op)(stacked inputs) equals the per-example results
stacked, with the batch axis in front and elsewhere, and gradients through the batched op equal
the per-example gradients."""

import numpy as np
import pytest
from op_registry import REGISTRY, SMOOTH, params

import pyjac as pj

BATCH = 3
CASES = [c for c in REGISTRY if c.vmap]


def _examples(case):
    return [case.arrays(seed=i) for i in range(BATCH)]


def _as_tuple(out):
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def _per_example(case, examples):
    outs = [_as_tuple(case.fn(*[pj.tensor(a) for a in ex])) for ex in examples]
    return [np.stack([np.asarray(o[k]) for o in outs]) for k in range(len(outs[0]))]


def _assert_same(got, want, case):
    got = _as_tuple(got)
    assert len(got) == len(want), case.id
    for g, w in zip(got, want):
        g = np.asarray(g)
        assert g.shape == w.shape, (case.id, g.shape, w.shape)
        assert g.dtype == w.dtype, (case.id, g.dtype, w.dtype)
        if w.dtype.kind == "f":
            # A batched call may take another (vectorized) kernel path than one example's: the same
            # math, rounded differently; cases computing in float32 say so by their looser `tol`.
            rtol = max(1e-12, case.tol if case.tol > 1e-8 else 0)
            np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol / 10, equal_nan=True, err_msg=case.id)
        else:
            np.testing.assert_array_equal(g, w, err_msg=case.id)


@pytest.mark.parametrize("case", params(CASES, "vmap"))
def test_vmap_matches_the_per_example_results(case):
    examples = _examples(case)
    stacked = [pj.tensor(np.stack([ex[j] for ex in examples])) for j in range(case.nargs)]
    _assert_same(pj.func.vmap(case.fn)(*stacked), _per_example(case, examples), case)


@pytest.mark.parametrize("case", params(CASES, "vmap"))
def test_vmap_over_the_last_axis_and_unmapped_arguments(case):
    # The batch axis last in every mapped input (a batch dim that is not in front), and every
    # input after the first passed whole (in_axes None): shared by all examples.
    examples = _examples(case)
    shared = examples[0][1:]
    examples = [[ex[0], *shared] for ex in examples]
    first = pj.tensor(np.stack([ex[0] for ex in examples], axis=-1))
    in_axes = (-1,) + (None,) * (case.nargs - 1)
    got = pj.func.vmap(case.fn, in_axes=in_axes, out_axes=0)(first, *[pj.tensor(a) for a in shared])
    _assert_same(got, _per_example(case, examples), case)


@pytest.mark.parametrize("case", params([c for c in CASES if c.derivative == SMOOTH], "vmap_grad"))
def test_gradients_through_vmap_match_the_per_example_ones(case):
    examples = _examples(case)
    stacked = [np.stack([ex[j] for ex in examples]) for j in range(case.nargs)]
    floats = [j for j, a in enumerate(stacked) if a.dtype.kind == "f"]
    if not floats:
        pytest.skip("no float input")
    xs = [pj.tensor(a, requires_grad=j in floats) for j, a in enumerate(stacked)]
    out = pj.func.vmap(case.single)(*xs)
    weights = pj.tensor(np.random.default_rng(1).normal(size=out.shape))
    grads = pj.grad((out * weights).sum(), [xs[j] for j in floats], allow_unused=True)
    for i, ex in enumerate(examples):
        ys = [pj.tensor(a, requires_grad=j in floats) for j, a in enumerate(ex)]
        o = case.single(*ys)
        want = pj.grad((o * weights[i]).sum(), [ys[j] for j in floats], allow_unused=True)
        for g, w, j in zip(grads, want, floats):
            g_i = np.zeros(ex[j].shape) if g is None else np.asarray(g)[i]
            w_i = np.zeros(ex[j].shape) if w is None else np.asarray(w)
            rtol = max(1e-10, case.tol if case.tol > 1e-8 else 0)
            np.testing.assert_allclose(g_i, w_i, rtol=rtol, atol=rtol / 100, err_msg=f"{case.id} input {j}")
