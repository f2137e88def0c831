"""Derivative checks against central finite differences (use float64 inputs).

``gradcheck`` compares the Jacobian that backward computes (row by row, and again in one batched
sweep) with a numerical one; ``gradgradcheck`` does the same for the gradient function itself,
built with ``create_graph=True``, so it checks second derivatives.
"""

import numpy as np

from . import _core
from ._core import Tensor
from .autograd import grad


class GradcheckError(AssertionError):
    pass


def _outputs_tuple(out):
    if isinstance(out, Tensor):
        return (out,)
    return tuple(out)


def _diff_inputs(inputs):
    return [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]


def numerical_jacobian(fn, inputs, eps=1e-6, wrt=None):
    """The Jacobian of fn by central differences in float64, as NumPy arrays: ``J[i][j]`` is
    d output_i / d input_j shaped out_i.shape + in_j.shape.

    ``inputs`` are Tensors, arrays or numbers (each passed to fn as a Tensor; a Tensor that
    requires grad is passed as one, since fn may differentiate internally). ``wrt`` lists the
    input positions to perturb (default: all); J then has one column block per listed input.
    """
    inputs = tuple(inputs)
    wrt = range(len(inputs)) if wrt is None else wrt
    # C order: each input is perturbed through a flat view, which for another layout would be a copy.
    base = [np.array(x, dtype=np.float64, order="C") for x in inputs]

    def evaluate():
        args = []
        for x, a in zip(inputs, base):
            t = _core.from_object(a.astype(x.dtype) if isinstance(x, Tensor) else a)
            args.append(t.requires_grad_(True) if isinstance(x, Tensor) and x.requires_grad else t)
        return [o.detach().numpy().astype(np.float64) for o in _outputs_tuple(fn(*args))]

    ref = evaluate()
    jac = [[np.zeros(r.shape + base[j].shape) for j in wrt] for r in ref]
    for col, j in enumerate(wrt):
        flat = base[j].reshape(-1)
        for k in range(flat.size):
            orig = flat[k]
            flat[k] = orig + eps
            plus = evaluate()
            flat[k] = orig - eps
            minus = evaluate()
            flat[k] = orig
            where = (Ellipsis,) + np.unravel_index(k, base[j].shape)
            for o in range(len(ref)):
                jac[o][col][where] = (plus[o] - minus[o]) / (2 * eps)
    return jac


def _numerical_jacobians(fn, inputs, eps):
    """J[o][i]: (outputs[o].size, inputs[i].size) for each input that requires grad."""
    idx = _diff_inputs(inputs)
    jac = numerical_jacobian(fn, inputs, eps, wrt=idx)

    def as_matrix(block, x):
        out_size = int(np.prod(block.shape[: block.ndim - x.ndim]))
        return block.reshape(out_size, x.size)

    return [[as_matrix(block, inputs[i]) for block, i in zip(row, idx)] for row in jac]


def _analytical_jacobians(outputs, inputs, batched):
    idx = _diff_inputs(inputs)
    xs = [inputs[i] for i in idx]
    jac = []
    for out in outputs:
        rows = [np.zeros((out.size, x.size)) for x in xs]
        if out.requires_grad and out.size:
            if batched:
                eye = _core.from_object(np.eye(out.size).reshape((out.size,) + out.shape).astype(out.dtype))
                gs = grad(out, xs, eye, retain_graph=True, allow_unused=True, is_grads_batched=True)
                for c, g in enumerate(gs):
                    if g is not None:
                        rows[c][:] = np.asarray(g).reshape(out.size, -1)
            else:
                for r in range(out.size):
                    e = np.zeros(out.size)
                    e[r] = 1
                    seed = _core.from_object(e.reshape(out.shape).astype(out.dtype))
                    gs = grad(out, xs, seed, retain_graph=True, allow_unused=True)
                    for c, g in enumerate(gs):
                        if g is not None:
                            if g.shape != xs[c].shape:
                                raise GradcheckError(
                                    f"gradient for input {idx[c]} has shape {g.shape}, expected {xs[c].shape}"
                                )
                            rows[c][r] = np.asarray(g).ravel()
        jac.append(rows)
    return jac


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, check_batched_grad=True, raise_exception=True):
    """True when fn's backward matches central differences for every input that requires grad."""
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    for i in _diff_inputs(inputs):
        if inputs[i].dtype != np.float64:
            raise ValueError(f"gradcheck: input {i} is {inputs[i].dtype}; use float64 for finite differences")
    outputs = _outputs_tuple(fn(*inputs))
    numerical = _numerical_jacobians(fn, inputs, eps)
    passes = [("backward", False)] + ([("batched backward", True)] if check_batched_grad else [])
    for label, batched in passes:
        analytical = _analytical_jacobians(outputs, inputs, batched)
        for o, (num_o, ana_o) in enumerate(zip(numerical, analytical)):
            for c, (num, ana) in enumerate(zip(num_o, ana_o)):
                if not np.allclose(ana, num, atol=atol, rtol=rtol, equal_nan=True):
                    if not raise_exception:
                        return False
                    i = _diff_inputs(inputs)[c]
                    raise GradcheckError(
                        f"gradcheck: Jacobian of output {o} w.r.t. input {i} from {label} does not match "
                        f"finite differences (max abs diff {np.max(np.abs(ana - num)):.3g})\n"
                        f"analytical:\n{ana}\nnumerical:\n{num}"
                    )
    return True


def gradgradcheck(
    fn, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3, check_batched_grad=True, raise_exception=True
):
    """gradcheck of x, v -> grad(fn(x), x, v, create_graph=True): second derivatives."""
    from ._creation import randn, zeros_like

    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    idx = _diff_inputs(inputs)
    outputs = _outputs_tuple(fn(*inputs))
    if grad_outputs is None:
        grad_outputs = tuple(randn(*o.shape, requires_grad=True) for o in outputs)
    grad_outputs = tuple(grad_outputs)
    n = len(inputs)

    def first_derivative(*args):
        xs, vs = args[:n], args[n:]
        outs = _outputs_tuple(fn(*xs))
        diff = [xs[i] for i in idx]
        live = [(o, v) for o, v in zip(outs, vs) if o.requires_grad]
        if not live:
            return tuple(zeros_like(x) for x in diff)
        gs = grad([o for o, _ in live], diff, [v for _, v in live], create_graph=True, allow_unused=True)
        return tuple(g if g is not None else zeros_like(x) for g, x in zip(gs, diff))

    return gradcheck(
        first_derivative,
        inputs + grad_outputs,
        eps=eps,
        atol=atol,
        rtol=rtol,
        check_batched_grad=check_batched_grad,
        raise_exception=raise_exception,
    )
