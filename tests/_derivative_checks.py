"""One derivative check for an op written as a function of float64 arrays: first and second
derivatives against finite differences, batched cotangents, forward-mode Jacobians against
reverse-mode ones, and forward-over-reverse against reverse-over-reverse."""

import numpy as np

import pyjac as pj
from pyjac.testing import gradcheck, gradgradcheck


def _as_tuple(out):
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def _scalarized(fn, weights):
    """sum_k <w_k, fn(x)_k**2>: a scalar whose Hessian involves fn's first and second derivatives."""

    def f(*xs):
        total = None
        for o, w in zip(_as_tuple(fn(*xs)), weights):
            term = pj.sum(o * o * pj.tensor(w))
            total = term if total is None else total + term
        return total

    return f


def _tolerances(**kw):
    return {k: v for k, v in kw.items() if v is not None}


def check_derivatives(
    fn,
    arrays,
    seed=0,
    second_order=True,
    gradgrad=None,
    forward=True,
    atol=None,
    atol2=None,
    jac_tol=1e-12,
    hess_tol=1e-10,
):
    """fn: tensors -> tensor or tuple of tensors; arrays: float64 inputs, all differentiable.

    second_order: check second derivatives (gradgradcheck, and Hessians by forward-over-reverse
    against reverse-over-reverse); gradgrad: run gradgradcheck (finite differences of the
    gradient; default: second_order); forward: compare forward-mode Jacobians (and Hessians) with
    reverse-mode ones; atol, atol2: gradcheck's and gradgradcheck's atol (None: their defaults);
    jac_tol, hess_tol: how closely the modes must agree."""
    xs = [pj.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in arrays]
    assert gradcheck(fn, xs, **_tolerances(atol=atol))
    if second_order if gradgrad is None else gradgrad:
        assert gradgradcheck(fn, xs, **_tolerances(atol=atol2))
    if not forward:
        return

    # Jacobians by forward mode (batched tangents) and reverse mode (batched cotangents).
    argnums = tuple(range(len(arrays)))
    plain = [pj.tensor(np.asarray(a, dtype=np.float64)) for a in arrays]
    tupled = lambda *ys: _as_tuple(fn(*ys))  # noqa: E731
    jf = pj.func.jacfwd(tupled, argnums)(*plain)
    jr = pj.func.jacrev(tupled, argnums)(*plain)
    for row_f, row_r in zip(jf, jr):
        for a, b in zip(row_f, row_r):
            assert a.shape == b.shape
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=jac_tol, atol=jac_tol)

    if second_order:
        # Hessian of a scalar built from fn: forward-over-reverse runs the JVP rules of the
        # backward ops (scatters, their transposes), reverse-over-reverse their VJP rules.
        r = np.random.default_rng(seed)
        outs = _as_tuple(fn(*plain))
        weights = [r.standard_normal(o.shape) for o in outs]
        s = _scalarized(fn, weights)
        hf = pj.func.jacfwd(pj.func.grad(s, argnums), argnums)(*plain)
        hr = pj.func.jacrev(pj.func.grad(s, argnums), argnums)(*plain)
        for row_f, row_r in zip(hf, hr):
            for a, b in zip(row_f, row_r):
                np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=hess_tol, atol=hess_tol)
