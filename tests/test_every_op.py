"""Every op in the registry (tests/op_registry), whatever its family, at the entry's own inputs:

- values against NumPy in each of the entry's dtypes (and, in float32, gradients in float32);
- first and second derivatives against central finite differences, forward-mode Jacobians
  against reverse-mode ones, and forward-over-reverse Hessians against reverse-over-reverse ones
  (tests/_derivative_checks.py);
- batched cotangents against a loop of single VJPs;
- piecewise-constant ops: every derivative exactly 0; integer and bool results: no gradient;
- torch parity of values, VJPs and second derivatives where torch is installed.

Forward mode op by op (JVPs, batched tangents, hvp) is in tests/test_forward_mode.py, over the
same registry; sweeps over shapes, axes and dtypes and each op's edge cases are in its family file.
"""

import numpy as np
import pytest
from _derivative_checks import check_derivatives
from op_registry import NONE, REGISTRY, ZERO, differentiable, params, select

import pyjac as pj


def _outputs(out):
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


# ---- values -------------------------------------------------------------------------------------------
def _check_values(case, dtype):
    arrays = case.arrays(dtype=dtype)
    with np.errstate(all="ignore"):
        expected = _outputs(case.ref(*arrays))
    got = _outputs(case.fn(*[pj.tensor(a) for a in arrays]))
    assert len(got) == len(expected)
    low = np.dtype(dtype) == np.float32
    for g, e in zip(got, expected):
        e = np.asarray(e)
        assert isinstance(g, pj.Tensor)
        assert tuple(g.shape) == e.shape
        if e.dtype.kind == "f" and np.dtype(dtype).kind == "f":
            assert g.dtype == dtype, f"{g.dtype} from {np.dtype(dtype).name} inputs"
        else:
            assert g.dtype == e.dtype
        if case.rtol == 0:
            np.testing.assert_array_equal(g.numpy(), e)
        else:
            rtol = max(case.rtol, 1e-5) if low else case.rtol
            np.testing.assert_allclose(g.numpy(), e, rtol=rtol, atol=1e-6 if low else rtol / 10)
    if case.derivative == NONE or np.dtype(dtype).kind != "f" or not all(a.dtype.kind == "f" for a in arrays):
        return
    # gradients keep the inputs' dtype
    xs = [pj.tensor(a, requires_grad=True) for a in arrays]
    out = case.single(*xs)
    for x, g in zip(xs, pj.grad(pj.sum(out), xs, allow_unused=True)):
        assert g is None or g.dtype == x.dtype


@pytest.mark.parametrize("case", params([c for c in REGISTRY if c.ref is not None], "values"))
def test_values_against_numpy(case):
    """In each of the entry's dtypes (in float32 also: gradients in float32)."""
    for dtype in case.dtypes:
        try:
            _check_values(case, dtype)
        except AssertionError as e:
            raise AssertionError(f"{np.dtype(dtype).name}: {e}") from None


# ---- derivatives ------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", params(differentiable(fd=True), "derivatives"))
def test_first_and_second_derivatives(case):
    check_derivatives(
        case.fn,
        case.arrays(),
        second_order=case.second_order,
        gradgrad=case.second_order and case.hess_fd,
        forward=case.forward,
        atol=case.atol,
        atol2=case.atol2,
        jac_tol=case.jac_tol,
        hess_tol=case.hess_tol,
    )


@pytest.mark.parametrize("case", params(differentiable(batched=True), "batched"))
def test_batched_cotangents(case, batched_check):
    batched_check(case.single, case.arrays(), k=4)


@pytest.mark.parametrize("case", params(select(derivative=ZERO), "zero"))
def test_piecewise_constant_derivatives_are_zero(case):
    arrays = case.arrays()
    xs = [pj.tensor(a, requires_grad=True) for a in arrays]
    out = case.single(*xs)
    w = pj.tensor(np.random.default_rng(2).standard_normal(out.shape))
    gs = pj.grad(out, xs, grad_outputs=w, allow_unused=True, create_graph=True)
    for x, g in zip(xs, gs):
        if g is not None:
            assert g.shape == x.shape
            np.testing.assert_array_equal(g.detach().numpy(), 0.0)
    live = [g for g in gs if g is not None and g.requires_grad]
    if live:  # the second derivative: d/dx <g, v> is zero too
        total = sum(pj.sum(g * pj.tensor(np.ones(g.shape))) for g in live)
        for h in pj.grad(total, xs, allow_unused=True):
            assert h is None or not np.any(h.numpy())
    if case.forward:
        tangents = tuple(pj.tensor(np.ones(a.shape)) for a in arrays)
        _, t = pj.jvp(case.single, tuple(pj.tensor(a) for a in arrays), tangents)
        np.testing.assert_array_equal(t.numpy(), 0.0)


@pytest.mark.parametrize("case", params(select(derivative=NONE), "no_gradient"))
def test_integer_and_bool_results_have_no_gradient(case):
    xs = [pj.tensor(a, requires_grad=a.dtype.kind == "f") for a in case.arrays()]
    for out in _outputs(case.fn(*xs)):
        assert not out.requires_grad and out.grad_fn is None


# ---- torch parity ------------------------------------------------------------------------------------
TORCH_TOL = {"value": (1e-12, 1e-14), "grad": (1e-12, 1e-14), "second": (1e-11, 1e-13)}


@pytest.mark.parametrize("case", params([c for c in REGISTRY if c.torch is not None], "torch"))
def test_torch_parity(case, torch):
    arrays = case.arrays()
    tol = {k: dict(zip(("rtol", "atol"), case.torch_tol.get(k, v))) for k, v in TORCH_TOL.items()}
    r = np.random.default_rng(3)
    xs = [pj.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, tout = case.fn(*xs), case.torch(torch, *ts)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), **tol["value"])
    w = r.standard_normal(out.shape)
    gs = pj.grad(out, xs, grad_outputs=pj.tensor(w), create_graph=True, allow_unused=True)
    tgs = torch.autograd.grad(tout, ts, grad_outputs=torch.tensor(w), create_graph=True, allow_unused=True)
    for g, tg, a in zip(gs, tgs, arrays):
        g = np.zeros(a.shape) if g is None else g.detach().numpy()
        tg = np.zeros(a.shape) if tg is None else tg.detach().numpy()
        np.testing.assert_allclose(g, tg, **tol["grad"])
    # second derivatives: d/dx sum_i <g_i, v_i> (torch leaves derivatives that are constant unrecorded)
    vs = [r.standard_normal(a.shape) for a in arrays]
    live = [(g, v) for g, v in zip(gs, vs) if g is not None and g.requires_grad]
    tlive = [(g, v) for g, v in zip(tgs, vs) if g is not None and g.requires_grad]
    hs = pj.grad(sum(pj.sum(g * pj.tensor(v)) for g, v in live), xs, allow_unused=True) if live else [None] * len(xs)
    ths = (
        torch.autograd.grad(sum((g * torch.tensor(v)).sum() for g, v in tlive), ts, allow_unused=True)
        if tlive
        else [None] * len(ts)
    )
    for h, th, a in zip(hs, ths, arrays):
        h = np.zeros(a.shape) if h is None else h.numpy()
        th = np.zeros(a.shape) if th is None else th.numpy(force=True)
        np.testing.assert_allclose(h, th, **tol["second"])
