"""The worked examples from the project brief, as tests."""

import os
import subprocess
import sys

import numpy as np
import pytest

import pyjac as pj

# Subprocesses run from tests/, so `import pyjac` finds the installed package rather than the
# source tree (which has no compiled extension in a non-editable install).
_OUTSIDE_SOURCE_TREE = os.path.dirname(os.path.abspath(__file__))


def test_jacobian_rows_of_square_with_create_graph():
    x = pj.tensor([2.0, 3.0], requires_grad=True)
    y = x**2
    rows = [pj.grad(y, x, grad_outputs=e, retain_graph=True, create_graph=True)[0] for e in pj.eye(2)]
    assert len(rows) == 2
    np.testing.assert_array_equal(np.stack([r.detach().numpy() for r in rows]), [[4.0, 0.0], [0.0, 6.0]])
    assert [r.tolist() for r in rows] == [[4.0, 0.0], [0.0, 6.0]]
    # create_graph=True: each row is itself differentiable; d/dx of row i is 2 e_i
    for i, r in enumerate(rows):
        assert r.requires_grad
        (h,) = pj.grad(r.sum(), x, retain_graph=True)
        np.testing.assert_array_equal(h.numpy(), 2 * np.eye(2)[i])


def test_jacobian_of_square_in_one_batched_sweep():
    x = pj.tensor([2.0, 3.0], requires_grad=True)
    y = x**2
    (J,) = pj.grad(y, x, grad_outputs=pj.eye(2), is_grads_batched=True)
    assert J.tolist() == [[4.0, 0.0], [0.0, 6.0]]


@pytest.mark.parametrize("xv", [0.5, -1.3, 2.0, 0.0])
def test_second_derivative_of_sin(xv):
    x = pj.tensor(xv, requires_grad=True)
    y = pj.sin(x)
    (d1,) = pj.grad(y, x, create_graph=True)
    (d2,) = pj.grad(d1, x)
    assert d1.item() == pytest.approx(np.cos(xv), abs=1e-14)
    assert d2.item() == pytest.approx(-np.sin(xv), abs=1e-14)


def test_second_derivative_of_sin_vector_elementwise():
    xv = np.linspace(-3, 3, 13)
    x = pj.tensor(xv, requires_grad=True)
    (d1,) = pj.grad(pj.sin(x).sum(), x, create_graph=True)
    (d2,) = pj.grad(d1.sum(), x)
    np.testing.assert_allclose(d2.numpy(), -np.sin(xv), atol=1e-14)


def test_dot_sum_square_and_detach_sequence():
    x = pj.arange(4.0, requires_grad=True)
    assert x.dtype == np.float64 and x.requires_grad
    y = 2 * pj.dot(x, x)
    assert y.shape == ()
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), (4 * x).detach().numpy())
    assert x.grad.tolist() == [0.0, 4.0, 8.0, 12.0]

    x.grad.zero_()
    x.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 1.0, 1.0]

    x.grad.zero_()
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), (2 * x).detach().numpy())

    x.grad.zero_()
    u = (x * x).detach()
    assert not u.requires_grad
    (u * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), u.numpy())
    assert x.grad.tolist() == [0.0, 1.0, 4.0, 9.0]


def test_dot_sequence_with_grad_set_to_none():
    x = pj.arange(4.0, requires_grad=True)
    (2 * pj.dot(x, x)).backward()
    x.grad = None
    x.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 1.0, 1.0]


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
@pytest.mark.parametrize("use_sum", [False, True])
def test_python_control_flow(seed, use_sum):
    r = np.random.default_rng(seed)
    a = pj.tensor(r.standard_normal(3), requires_grad=True)
    b = a * 2
    steps = 0
    while b.norm() < 1000:
        b = b * 2
        steps += 1
    c = b if b.sum() > 0 else 100 * b
    if use_sum:
        c.sum().backward()
    else:
        c.backward(gradient=pj.ones(3))
    np.testing.assert_allclose(a.grad.numpy(), (c / a).detach().numpy(), rtol=1e-12)
    # and the factor is the power of two the loop produced (times 100 on the other branch)
    factor = 2.0 ** (steps + 1) * (1 if b.sum() > 0 else 100)
    np.testing.assert_allclose(a.grad.numpy(), np.full(3, factor))


def test_python_control_flow_negative_branch():
    a = pj.tensor([-0.3, -0.2, 0.1], requires_grad=True)
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    assert b.sum() < 0
    c = b if b.sum() > 0 else 100 * b
    c.backward(gradient=pj.ones(3))
    np.testing.assert_allclose(a.grad.numpy(), (c / a).detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("dtype", [pj.float32, pj.float64])
def test_abs_relu_subgradient_zero_at_zero(dtype):
    x = pj.tensor([-2.0, 0.0, 3.0], dtype=dtype, requires_grad=True)
    pj.abs(x).sum().backward()
    assert x.grad.tolist() == [-1.0, 0.0, 1.0]
    x.grad = None
    pj.relu(x).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 1.0]
    x.grad = None
    abs(x).sum().backward()  # Python's abs() goes through __abs__
    assert x.grad.tolist() == [-1.0, 0.0, 1.0]


def test_abs_relu_subgradient_scalar_zero():
    z = pj.tensor(0.0, requires_grad=True)
    assert pj.grad(pj.abs(z), z)[0].item() == 0.0
    assert pj.grad(pj.relu(z), z)[0].item() == 0.0


def test_abs_relu_methods_subgradient_zero_at_zero():
    z = pj.tensor(0.0, requires_grad=True)
    assert pj.grad(z.abs(), z)[0].item() == 0.0
    assert pj.grad(z.relu(), z)[0].item() == 0.0


def test_python_dash_m_pyjac():
    import pyjac

    main = os.path.join(os.path.dirname(pyjac.__file__), "__main__.py")
    if not os.path.exists(main):
        pytest.skip("pyjac/__main__.py does not exist yet")
    proc = subprocess.run(
        [sys.executable, "-m", "pyjac"], capture_output=True, text=True, timeout=60, cwd=_OUTSIDE_SOURCE_TREE
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.strip(), "python -m pyjac printed nothing"
    # the Jacobian example [[4, 0], [0, 6]] appears in the output
    compact = out.replace(" ", "")
    assert "[[4.0,0.0],[0.0,6.0]]" in compact or "[[4.,0.],[0.,6.]]" in compact, out
    assert "Traceback" not in proc.stderr
