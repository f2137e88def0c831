"""The autograd engine and its Python API: recording, backward / grad, accumulation, grad modes,
higher-order derivatives (create_graph), batched cotangents and very deep graphs."""

import os
import subprocess
import sys
import textwrap
import threading
import zlib

import numpy as np
import pytest

import pyjac as pj

# Subprocesses run from tests/, so `import pyjac` finds the installed package rather than the
# source tree (which has no compiled extension in a non-editable install).
_OUTSIDE_SOURCE_TREE = os.path.dirname(os.path.abspath(__file__))


def arr(t):
    return np.asarray(t.detach().numpy())


def rng():
    return np.random.default_rng(0)


# ---- recording ------------------------------------------------------------------------------


def test_nothing_recorded_without_requires_grad():
    x = pj.tensor([1.0, 2.0])
    y = pj.sin(x * 2 + 1).sum()
    assert y.grad_fn is None
    assert not y.requires_grad
    assert y.is_leaf


def test_recorded_when_an_input_requires_grad():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    c = pj.tensor([3.0, 4.0])
    y = c * x
    assert y.requires_grad
    assert not y.is_leaf
    assert y.grad_fn is not None
    assert y.grad_fn.name() == "MulBackward"
    assert x.is_leaf and c.is_leaf


@pytest.mark.parametrize(
    "fn, name",
    [
        (lambda x: x * x, "MulBackward"),
        (lambda x: x + x, "AddBackward"),
        (lambda x: x - 1.0, "SubBackward"),
        (lambda x: x / x, "DivBackward"),
        (lambda x: pj.exp(x), "ExpBackward"),
        (lambda x: pj.sin(x), "SinBackward"),
        (lambda x: x.sum(), "SumBackward"),
        (lambda x: x.reshape(2, 1), "ReshapeBackward"),
        (lambda x: x[0], "GetitemBackward"),
    ],
)
def test_grad_fn_names(fn, name):
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    y = fn(x)
    assert isinstance(y.grad_fn.name(), str)
    assert y.grad_fn.name() == name
    assert name in repr(y)


def test_grad_fn_next_functions():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    c = pj.tensor([3.0, 4.0])
    y = (x * 2) * c
    nxt = y.grad_fn.next_functions
    assert len(nxt) == 2
    assert nxt[0][0].name() == "MulBackward"
    assert nxt[1][0] is None
    assert nxt[0][0].next_functions[0][0].name() == "AccumulateGrad"


def test_requires_grad_propagates_through_chain():
    x = pj.tensor(1.0, requires_grad=True)
    y = pj.exp(pj.sin(x) * 3.0 + x)
    assert y.requires_grad and y.grad_fn is not None


def test_requires_grad_setter_and_method():
    x = pj.tensor([1.0, 2.0])
    assert not x.requires_grad
    r = x.requires_grad_()
    assert r is x and x.requires_grad
    x.requires_grad_(False)
    assert not x.requires_grad
    x.requires_grad = True
    assert x.requires_grad
    assert (x * 2).requires_grad


def test_requires_grad_cannot_be_switched_off_on_non_leaf():
    x = pj.tensor([1.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError):
        y.requires_grad = False


def test_detach_cuts_the_graph():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    z = (d * x).sum()
    z.backward()
    np.testing.assert_allclose(arr(x.grad), [1.0, 4.0])  # d treated as a constant


# ---- backward, .grad accumulation ------------------------------------------------------------


def test_backward_scalar():
    x = pj.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x * x).sum()
    ret = y.backward()
    assert ret is None
    np.testing.assert_allclose(arr(x.grad), [2.0, 4.0, 6.0])
    assert x.grad.shape == x.shape
    assert x.grad.dtype == x.dtype
    assert not x.grad.requires_grad


def test_backward_with_gradient():
    x = pj.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * x
    y.backward(gradient=pj.tensor([1.0, 0.5, -1.0]))
    np.testing.assert_allclose(arr(x.grad), [2.0, 2.0, -6.0])


def test_backward_gradient_accepts_numpy_and_lists():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).backward(np.array([1.0, 2.0]), retain_graph=True)
    np.testing.assert_allclose(arr(x.grad), [3.0, 6.0])


def test_grad_accumulates_across_backward_calls():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    for i in range(1, 4):
        (x * x).sum().backward()
        np.testing.assert_allclose(arr(x.grad), i * np.array([2.0, 4.0]))


def test_grad_set_to_none_and_zero():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    x.grad = None
    assert x.grad is None
    (x * 3).sum().backward()
    np.testing.assert_allclose(arr(x.grad), [3.0, 3.0])
    g = x.grad
    g.zero_()
    np.testing.assert_array_equal(arr(x.grad), [0.0, 0.0])
    (x * 3).sum().backward()
    np.testing.assert_allclose(arr(x.grad), [3.0, 3.0])


def test_grad_zero_does_not_write_into_user_gradient():
    # .grad must not alias the cotangent the user passed in
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    seed = pj.tensor([5.0, 6.0])
    (x + 0.0).backward(seed)
    x.grad.zero_()
    assert seed.tolist() == [5.0, 6.0]


def test_grad_assignment():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    x.grad = pj.tensor([10.0, 10.0])
    (x * 2).sum().backward()
    np.testing.assert_allclose(arr(x.grad), [12.0, 12.0])


def test_backward_does_not_touch_non_requiring_leaves():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    c = pj.tensor([3.0, 4.0])
    (x * c).sum().backward()
    assert c.grad is None


def test_non_leaf_grad_is_none_without_retain_grad():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    (h * h).sum().backward()
    assert h.grad is None


def test_retain_grad_on_non_leaf():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    h.retain_grad()
    assert h.retains_grad
    (h * h).sum().backward()
    np.testing.assert_allclose(arr(h.grad), [6.0, 12.0])
    np.testing.assert_allclose(arr(x.grad), [18.0, 36.0])


def test_retain_grad_accumulates_from_two_consumers():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    h = x * 1.0
    h.retain_grad()
    (h * 2 + h * 5).sum().backward()
    np.testing.assert_allclose(arr(h.grad), [7.0, 7.0])


def test_retained_grad_does_not_alias_user_gradient():
    # like a leaf's .grad, a retained non-leaf .grad must be private: zeroing it must not
    # write into the cotangent the caller passed in
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    h = x * 1.0
    h.retain_grad()
    seed = pj.tensor([5.0, 6.0])
    h.backward(seed)
    np.testing.assert_allclose(arr(h.grad), [5.0, 6.0])
    h.grad.zero_()
    assert seed.tolist() == [5.0, 6.0]
    assert x.grad.tolist() == [5.0, 6.0]


def test_grads_of_two_leaves_are_independent():
    a = pj.tensor([1.0, 2.0], requires_grad=True)
    b = pj.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    a.grad.zero_()
    assert b.grad.tolist() == [1.0, 1.0]


def test_accumulation_does_not_write_into_assigned_grad():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    g = pj.ones(2)
    x.grad = g
    (x * 2).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    assert g.tolist() == [1.0, 1.0]


def test_retain_graph_allows_second_backward():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    y = (pj.exp(x) * x).sum()
    y.backward(retain_graph=True)
    first = arr(x.grad).copy()
    y.backward()
    np.testing.assert_allclose(arr(x.grad), 2 * first)


def test_pj_backward_function_multiple_roots():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    a = (x * x).sum()
    b = x * 3
    pj.backward([a, b], [None, pj.tensor([1.0, -1.0])])
    np.testing.assert_allclose(arr(x.grad), [2.0 + 3.0, 4.0 - 3.0])


# ---- pj.grad ----------------------------------------------------------------------------


def test_grad_returns_tuple_and_leaves_grad_alone():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    g = pj.grad(y, x)
    assert isinstance(g, tuple) and len(g) == 1
    np.testing.assert_allclose(arr(g[0]), [2.0, 4.0])
    assert x.grad is None
    assert not g[0].requires_grad


def test_grad_multiple_inputs():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    w = pj.tensor([3.0, -1.0], requires_grad=True)
    y = (x * w * w).sum()
    gx, gw = pj.grad(y, [x, w])
    np.testing.assert_allclose(arr(gx), [9.0, 1.0])
    np.testing.assert_allclose(arr(gw), [6.0, -4.0])
    gw2, gx2 = pj.grad((x * w * w).sum(), (w, x))
    np.testing.assert_allclose(arr(gw2), arr(gw))
    np.testing.assert_allclose(arr(gx2), arr(gx))


def test_grad_multiple_outputs_sum_their_contributions():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    y1 = (x * x).sum()
    y2 = x * 5
    (g,) = pj.grad([y1, y2], x, grad_outputs=[None, pj.tensor([1.0, 2.0])])
    np.testing.assert_allclose(arr(g), [2.0 + 5.0, 4.0 + 10.0])
    y3 = pj.sin(x).sum()
    y4 = pj.cos(x).sum()
    (g,) = pj.grad([y3, y4], [x])
    np.testing.assert_allclose(arr(g), np.cos([1.0, 2.0]) - np.sin([1.0, 2.0]))


def test_grad_with_grad_outputs():
    x = pj.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = x * x
    v = pj.tensor([[1.0, 0.0], [2.0, -1.0]])
    (g,) = pj.grad(y, x, grad_outputs=v)
    np.testing.assert_allclose(arr(g), 2 * arr(x) * arr(v))


def test_grad_wrt_non_leaf_intermediate():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    z = (h * h).sum()
    gh, gx = pj.grad(z, [h, x])
    np.testing.assert_allclose(arr(gh), [6.0, 12.0])
    np.testing.assert_allclose(arr(gx), [18.0, 36.0])
    assert x.grad is None and h.grad is None


def test_grad_wrt_output_itself():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    (g,) = pj.grad(y, y, grad_outputs=pj.tensor([3.0, 4.0]))
    np.testing.assert_allclose(arr(g), [3.0, 4.0])


def test_grad_allow_unused():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    z = pj.tensor([1.0, 2.0], requires_grad=True)
    gx, gz = pj.grad((x * 2).sum(), [x, z], allow_unused=True)
    np.testing.assert_allclose(arr(gx), [2.0, 2.0])
    assert gz is None


def test_grad_only_needed_parts_of_graph():
    # a branch that doesn't lead to the input asked for must not affect the result
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    w = pj.tensor([3.0, 4.0], requires_grad=True)
    y = (x * w).sum() + pj.exp(w).sum()
    (gx,) = pj.grad(y, x)
    np.testing.assert_allclose(arr(gx), [3.0, 4.0])


def test_grad_float32_stays_float32():
    x = pj.tensor([1.0, 2.0], dtype=pj.float32, requires_grad=True)
    (g,) = pj.grad((x * x).sum(), x)
    assert g.dtype == np.float32
    (x * x).sum().backward()
    assert x.grad.dtype == np.float32


def test_grad_through_dtype_conversion():
    x = pj.tensor([1.0, 2.0], dtype=pj.float32, requires_grad=True)
    y = (pj.astype(x, pj.float64) ** 2).sum()
    (g,) = pj.grad(y, x)
    assert g.dtype == np.float32
    np.testing.assert_allclose(arr(g), [2.0, 4.0])


def test_grad_roots_that_depend_on_each_other():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    y1 = x * 2
    y2 = y1 * 3
    (g,) = pj.grad([y1.sum(), y2.sum()], x)
    np.testing.assert_allclose(arr(g), [8.0, 8.0])


def test_grad_same_root_twice():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    (g,) = pj.grad([y, y], x)
    np.testing.assert_allclose(arr(g), [4.0, 8.0])


def test_leaf_as_root():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    (g,) = pj.grad([x * 2, x], x, grad_outputs=[pj.ones(2), pj.ones(2)])
    np.testing.assert_allclose(arr(g), [3.0, 3.0])
    x.backward(pj.tensor([3.0, 4.0]))
    assert x.grad.tolist() == [3.0, 4.0]


def test_mixed_precision_leaves_get_their_own_dtype():
    x32 = pj.tensor([1.0, 2.0], dtype=pj.float32, requires_grad=True)
    x64 = pj.tensor([3.0, 4.0], requires_grad=True)
    (x32 * x64).sum().backward()
    assert x32.grad.dtype == np.float32 and x64.grad.dtype == np.float64
    assert x32.grad.tolist() == [3.0, 4.0] and x64.grad.tolist() == [1.0, 2.0]


def test_scalar_gradient_argument_forms():
    for seed in (2.0, pj.tensor(2.0), pj.tensor(2.0, dtype=pj.float32), np.float64(2.0)):
        s = pj.tensor(2.0, requires_grad=True)
        (s * s).backward(seed)
        assert s.grad.item() == 8.0 and s.grad.dtype == np.float64


def test_grad_wrt_grad_outputs_under_create_graph():
    # d/dv of v . J: the cotangent itself is differentiable (what gradgradcheck relies on)
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    v = pj.tensor([1.0, -1.0], requires_grad=True)
    (g,) = pj.grad(x**3, x, grad_outputs=v, create_graph=True)
    np.testing.assert_allclose(arr(g), [3.0, -12.0])
    gv, gx = pj.grad(g.sum(), [v, x])
    np.testing.assert_allclose(arr(gv), [3.0, 12.0])
    np.testing.assert_allclose(arr(gx), [6.0, -12.0])


def test_grad_through_indexing_is_one_hot():
    x = pj.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    (g,) = pj.grad(x[1, 2], x)
    expected = np.zeros((2, 3))
    expected[1, 2] = 1.0
    np.testing.assert_array_equal(arr(g), expected)


# ---- graph shapes -------------------------------------------------------------------------


def test_diamond_graph():
    x = pj.tensor([0.5, -1.5], requires_grad=True)
    y = x * 2
    a = y * y
    b = pj.sin(y)
    z = (a + b).sum()
    z.backward()
    xv = np.array([0.5, -1.5])
    np.testing.assert_allclose(arr(x.grad), 2 * (2 * 2 * xv) + 2 * np.cos(2 * xv))


def test_diamond_with_unequal_path_lengths():
    # the node `y` must wait until both the long and the short branch delivered their gradient
    x = pj.tensor(0.7, requires_grad=True)
    y = pj.exp(x)
    long = y
    for _ in range(20):
        long = long * 1.1
    z = long + y * 3
    z.backward()
    expected = np.exp(0.7) * (1.1**20 + 3)
    np.testing.assert_allclose(x.grad.item(), expected, rtol=1e-12)


def test_reused_input():
    x = pj.tensor([2.0, 3.0], requires_grad=True)
    y = (x * x * x).sum()
    y.backward()
    np.testing.assert_allclose(arr(x.grad), 3 * np.array([2.0, 3.0]) ** 2)


def test_same_tensor_both_operands():
    x = pj.tensor([2.0, -3.0], requires_grad=True)
    for fn, d in [
        (lambda x: x * x, lambda v: 2 * v),
        (lambda x: x + x, lambda v: 2 + 0 * v),
        (lambda x: x - x, lambda v: 0 * v),
        (lambda x: x / x, lambda v: 0 * v),
        (lambda x: pj.maximum(x, x), lambda v: 1 + 0 * v),
    ]:
        (g,) = pj.grad(fn(x).sum(), x)
        np.testing.assert_allclose(arr(g), d(np.array([2.0, -3.0])), atol=1e-12)


def test_grad_results_never_alias_inputs_seeds_or_each_other():
    # mul's rule hands a sum's cotangent (a broadcast 1) straight through as the other operand:
    # what grad() returns must still be memory of its own.
    xv, yv = np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0])
    x, y = pj.tensor(xv, requires_grad=True), pj.tensor(yv, requires_grad=True)
    gx, gy = pj.grad((x * y).sum(), [x, y])
    np.testing.assert_array_equal(arr(gx), yv)
    np.testing.assert_array_equal(arr(gy), xv)
    for g in (gx, gy):
        for other in (x, y):
            assert not np.shares_memory(arr(g), arr(other))
    assert not np.shares_memory(arr(gx), arr(gy))
    gx.numpy()[0] = 100.0  # writing to a gradient leaves the inputs alone
    np.testing.assert_array_equal(arr(y), yv)
    v = pj.tensor([1.0, -1.0, 2.0])
    (g,) = pj.grad(x + 0.0, x, grad_outputs=v)
    np.testing.assert_array_equal(arr(g), arr(v))
    assert not np.shares_memory(arr(g), arr(v))


def test_grad_of_product_with_a_sum_cotangent_in_every_mode():
    # the broadcast-1 shortcut applies only without create_graph and forward mode: each of those
    # must still see the full rule
    xv = np.array([0.3, -1.2, 2.0])
    f = lambda x: (pj.tanh(x) * x).sum()  # noqa: E731
    t = np.tanh(xv)
    d1 = (1 - t * t) * xv + t
    d2 = np.diag(-2 * t * (1 - t * t) * xv + 2 * (1 - t * t))
    x = pj.tensor(xv, requires_grad=True)
    f(x).backward()
    np.testing.assert_allclose(arr(x.grad), d1, rtol=1e-14)
    (g,) = pj.grad(f(x), x, create_graph=True)
    np.testing.assert_allclose(arr(g), d1, rtol=1e-14)
    np.testing.assert_allclose(arr(pj.hessian(f, pj.tensor(xv))), d2, rtol=1e-13)
    v = np.array([1.0, 2.0, -1.0])
    np.testing.assert_allclose(arr(pj.hvp(f, pj.tensor(xv), pj.tensor(v))[1]), d2 @ v, rtol=1e-13)
    np.testing.assert_allclose(
        arr(pj.jacobian(lambda x: pj.grad(f(x), x, create_graph=True)[0], pj.tensor(xv))), d2, rtol=1e-13
    )


def test_gradients_summed_in_place_leave_held_tensors_alone():
    # the engine adds a node's incoming gradients into a buffer only it can see; a gradient the
    # user passed in, a retained one, or one a custom backward keeps must never be written to
    xv = np.array([0.5, -1.5, 2.0])
    x = pj.tensor(xv, requires_grad=True)
    seed = pj.tensor([1.0, 2.0, 3.0])
    y = x * 2.0
    y.retain_grad()
    z = y * 3.0 + y * 4.0 + pj.exp(y)
    z.backward(seed)
    expected_y = np.array([1.0, 2.0, 3.0]) * (7.0 + np.exp(2 * xv))
    np.testing.assert_allclose(arr(y.grad), expected_y, rtol=1e-14)
    np.testing.assert_allclose(arr(x.grad), 2 * expected_y, rtol=1e-14)
    np.testing.assert_array_equal(arr(seed), [1.0, 2.0, 3.0])

    kept = []

    class Twice(pj.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 1.0

        @staticmethod
        def backward(ctx, g):
            h = g * 1.0
            kept.append((h, arr(h).copy()))
            return h

    w = pj.tensor(xv, requires_grad=True)
    u = Twice.apply(w)
    (Twice.apply(u) + Twice.apply(u) * 2.0 + u).sum().backward()
    np.testing.assert_array_equal(arr(w.grad), np.full(3, 4.0))
    for h, value in kept:
        np.testing.assert_array_equal(arr(h), value)


def test_wide_fan_out():
    x = pj.tensor(1.0, requires_grad=True)
    total = x * 0.0
    for i in range(200):
        total = total + x * float(i)
    total.backward()
    assert x.grad.item() == pytest.approx(sum(range(200)))


def test_multiple_leaves_and_broadcasting():
    W = pj.tensor(rng().standard_normal((3, 4)), requires_grad=True)
    b = pj.tensor(rng().standard_normal(3), requires_grad=True)
    X = pj.tensor(rng().standard_normal((5, 4)))
    out = pj.tanh(X @ W.T + b)
    loss = (out * out).mean()
    loss.backward()
    Wn, bn, Xn = arr(W), arr(b), arr(X)
    o = np.tanh(Xn @ Wn.T + bn)
    d = 2 * o / o.size * (1 - o**2)
    np.testing.assert_allclose(arr(W.grad), d.T @ Xn, rtol=1e-10)
    np.testing.assert_allclose(arr(b.grad), d.sum(0), rtol=1e-10)


def test_backward_through_views():
    x = pj.tensor(np.arange(6.0), requires_grad=True)
    m = x.reshape(2, 3)
    y = (m.T[1:] * pj.tensor([[1.0, 2.0], [3.0, 4.0]])).sum()
    y.backward()
    # m.T[1:] = [[1, 4], [2, 5]]
    np.testing.assert_allclose(arr(x.grad), [0.0, 1.0, 3.0, 0.0, 2.0, 4.0])


# ---- grad mode ---------------------------------------------------------------------------


def test_no_grad_context():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    assert pj.is_grad_enabled()
    with pj.no_grad():
        assert not pj.is_grad_enabled()
        y = x * 2
    assert pj.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None


def test_enable_grad_inside_no_grad():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    with pj.no_grad():
        with pj.enable_grad():
            assert pj.is_grad_enabled()
            y = x * 2
        z = x * 2
        assert not pj.is_grad_enabled()
    assert y.requires_grad and not z.requires_grad


def test_set_grad_enabled_context_and_call():
    x = pj.tensor([1.0], requires_grad=True)
    with pj.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert pj.is_grad_enabled()
    with pj.set_grad_enabled(True):
        assert (x * 2).requires_grad
    pj.set_grad_enabled(False)
    try:
        assert not pj.is_grad_enabled()
        assert not (x * 2).requires_grad
    finally:
        pj.set_grad_enabled(True)
    assert pj.is_grad_enabled()


def test_grad_modes_as_decorators():
    x = pj.tensor([1.0], requires_grad=True)

    @pj.no_grad()
    def f(t):
        assert not pj.is_grad_enabled()
        return t * 2

    @pj.enable_grad()
    def g(t):
        return t * 2

    @pj.set_grad_enabled(False)
    def h(t):
        return t * 2

    assert pj.is_grad_enabled(), "defining a set_grad_enabled decorator must not switch the mode"
    assert f.__name__ == "f"
    assert not f(x).requires_grad
    assert pj.is_grad_enabled()
    assert not h(x).requires_grad
    assert pj.is_grad_enabled()
    with pj.no_grad():
        assert g(x).requires_grad
        assert not pj.is_grad_enabled()


def test_grad_mode_restored_after_exception():
    with pytest.raises(KeyError):
        with pj.no_grad():
            raise KeyError("x")
    assert pj.is_grad_enabled()

    @pj.no_grad()
    def boom():
        raise KeyError("y")

    with pytest.raises(KeyError):
        boom()
    assert pj.is_grad_enabled()


def test_nested_no_grad_restores_previous():
    with pj.no_grad():
        with pj.no_grad():
            pass
        assert not pj.is_grad_enabled()
    assert pj.is_grad_enabled()


def test_grad_mode_is_thread_local():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    results = {}
    main_in_no_grad = threading.Event()
    worker_done = threading.Event()
    worker_in_no_grad = threading.Event()
    main_checked = threading.Event()

    # The waits have generous bounds that only turn a hang into a failure, and each is checked: a
    # wait that timed out would let the threads run out of step (and fail for the wrong reason).
    def worker():
        results["worker_waited"] = main_in_no_grad.wait(600)
        results["worker_enabled"] = pj.is_grad_enabled()
        results["worker_records"] = (x * 2).requires_grad
        with pj.no_grad():
            worker_in_no_grad.set()
            results["worker_waited_again"] = main_checked.wait(600)
            results["worker_no_grad_records"] = (x * 2).requires_grad
        worker_done.set()

    th = threading.Thread(target=worker)
    th.start()
    with pj.no_grad():
        main_in_no_grad.set()
        assert worker_in_no_grad.wait(600), "the worker thread hung"
    # worker is inside its own no_grad now; the main thread must record again
    results["main_enabled"] = pj.is_grad_enabled()
    results["main_records"] = (x * 2).requires_grad
    main_checked.set()
    assert worker_done.wait(600), "the worker thread hung"
    th.join(600)
    assert results == {
        "worker_waited": True,
        "worker_enabled": True,
        "worker_records": True,
        "worker_waited_again": True,
        "worker_no_grad_records": False,
        "main_enabled": True,
        "main_records": True,
    }


def test_new_thread_starts_with_grad_enabled():
    out = []
    with pj.no_grad():
        th = threading.Thread(target=lambda: out.append(pj.is_grad_enabled()))
        th.start()
        th.join()
    assert out == [True]


def test_backward_in_threads():
    errors = []

    def work(seed):
        try:
            r = np.random.default_rng(seed)
            for _ in range(50):
                a = r.standard_normal(5)
                x = pj.tensor(a, requires_grad=True)
                (pj.sin(x) * x).sum().backward()
                np.testing.assert_allclose(arr(x.grad), np.cos(a) * a + np.sin(a), rtol=1e-12)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


# ---- create_graph / higher order ------------------------------------------------------------


def test_grad_without_create_graph_is_constant():
    x = pj.tensor(2.0, requires_grad=True)
    (g,) = pj.grad(x**3, x)
    assert not g.requires_grad and g.grad_fn is None


def test_create_graph_result_is_differentiable():
    x = pj.tensor(2.0, requires_grad=True)
    (g,) = pj.grad(x**3, x, create_graph=True)
    assert g.requires_grad and g.grad_fn is not None
    assert g.item() == pytest.approx(12.0)


@pytest.mark.parametrize("xv", [1.5, -0.7, 3.0])
def test_third_derivative_of_x4(xv):
    x = pj.tensor(xv, requires_grad=True)
    y = x**4
    (d1,) = pj.grad(y, x, create_graph=True)
    (d2,) = pj.grad(d1, x, create_graph=True)
    (d3,) = pj.grad(d2, x, create_graph=True)
    (d4,) = pj.grad(d3, x, create_graph=True)
    assert d1.item() == pytest.approx(4 * xv**3)
    assert d2.item() == pytest.approx(12 * xv**2)
    assert d3.item() == pytest.approx(24 * xv)
    assert d4.item() == pytest.approx(24.0)


def test_third_derivative_of_x4_vector():
    xv = np.array([-2.0, 0.5, 1.0, 3.0])
    x = pj.tensor(xv, requires_grad=True)
    (d1,) = pj.grad((x**4).sum(), x, create_graph=True)
    (d2,) = pj.grad(d1.sum(), x, create_graph=True)
    (d3,) = pj.grad(d2.sum(), x)
    np.testing.assert_allclose(arr(d3), 24 * xv)


def test_nth_derivatives_of_sin_cycle():
    xv = 0.3
    x = pj.tensor(xv, requires_grad=True)
    d = pj.sin(x)
    expected = [np.cos, lambda v: -np.sin(v), lambda v: -np.cos(v), np.sin]
    for n in range(8):
        (d,) = pj.grad(d, x, create_graph=True)
        assert d.item() == pytest.approx(expected[n % 4](xv), abs=1e-12), n


def test_higher_order_exp_tanh():
    xv = 0.4
    x = pj.tensor(xv, requires_grad=True)
    (d1,) = pj.grad(pj.tanh(x), x, create_graph=True)
    (d2,) = pj.grad(d1, x)
    t = np.tanh(xv)
    assert d1.item() == pytest.approx(1 - t**2)
    assert d2.item() == pytest.approx(-2 * t * (1 - t**2))
    (e1,) = pj.grad(pj.exp(2 * x), x, create_graph=True)
    (e2,) = pj.grad(e1, x, create_graph=True)
    (e3,) = pj.grad(e2, x)
    assert e3.item() == pytest.approx(8 * np.exp(2 * xv))


def rosenbrock(x):
    return (100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2).sum()


def rosenbrock_grad_np(v):
    g = np.zeros_like(v)
    g[:-1] += -400.0 * v[:-1] * (v[1:] - v[:-1] ** 2) - 2.0 * (1.0 - v[:-1])
    g[1:] += 200.0 * (v[1:] - v[:-1] ** 2)
    return g


def rosenbrock_hessian_np(v):
    n = v.size
    H = np.zeros((n, n))
    for i in range(n - 1):
        H[i, i] += 1200.0 * v[i] ** 2 - 400.0 * v[i + 1] + 2.0
        H[i + 1, i + 1] += 200.0
        H[i, i + 1] += -400.0 * v[i]
        H[i + 1, i] += -400.0 * v[i]
    return H


@pytest.mark.parametrize("v", [np.array([1.0, 1.0]), np.array([-1.2, 1.0, 0.5, 2.0, -0.3])])
def test_rosenbrock_hessian_grad_of_grad(v):
    x = pj.tensor(v, requires_grad=True)
    f = rosenbrock(x)
    (g,) = pj.grad(f, x, create_graph=True)
    np.testing.assert_allclose(arr(g), rosenbrock_grad_np(v), rtol=1e-12, atol=1e-12)
    rows = []
    for i in range(v.size):
        (h,) = pj.grad(g[i], x, retain_graph=True)
        rows.append(arr(h))
    np.testing.assert_allclose(np.stack(rows), rosenbrock_hessian_np(v), rtol=1e-12, atol=1e-10)


def test_rosenbrock_hessian_batched():
    v = np.array([-1.2, 1.0, 0.5, 2.0])
    x = pj.tensor(v, requires_grad=True)
    (g,) = pj.grad(rosenbrock(x), x, create_graph=True)
    (H,) = pj.grad(g, x, grad_outputs=pj.eye(v.size), is_grads_batched=True)
    assert H.shape == (4, 4)
    np.testing.assert_allclose(arr(H), rosenbrock_hessian_np(v), rtol=1e-12, atol=1e-10)


def test_mixed_partials():
    x = pj.tensor(1.3, requires_grad=True)
    y = pj.tensor(-0.4, requires_grad=True)
    f = pj.sin(x * y) + x * x * y
    gx, gy = pj.grad(f, [x, y], create_graph=True)
    (gxy,) = pj.grad(gx, y, retain_graph=True)
    (gyx,) = pj.grad(gy, x)
    xv, yv = 1.3, -0.4
    expected = np.cos(xv * yv) - xv * yv * np.sin(xv * yv) + 2 * xv
    assert gxy.item() == pytest.approx(expected)
    assert gyx.item() == pytest.approx(expected)


def test_backward_create_graph_makes_grad_differentiable():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    (x**3).sum().backward(create_graph=True)
    g = x.grad
    assert g.requires_grad
    np.testing.assert_allclose(arr(g), [3.0, 12.0])
    (gg,) = pj.grad(g.sum(), x)
    np.testing.assert_allclose(arr(gg), [6.0, 12.0])


def test_create_graph_retains_graph_by_default():
    x = pj.tensor(2.0, requires_grad=True)
    y = x**3
    pj.grad(y, x, create_graph=True)
    (g,) = pj.grad(y, x)  # graph still alive
    assert g.item() == pytest.approx(12.0)


def test_gradient_penalty_style_double_backward():
    # d/dw of ||d/dx (w . x^2)||^2: differentiating through a gradient w.r.t. another leaf
    w = pj.tensor([1.0, -2.0], requires_grad=True)
    x = pj.tensor([0.5, 1.5], requires_grad=True)
    (gx,) = pj.grad((w * x * x).sum(), x, create_graph=True)  # 2 w x
    penalty = (gx * gx).sum()  # 4 w^2 x^2
    penalty.backward()
    np.testing.assert_allclose(arr(w.grad), 8 * arr(w) * arr(x) ** 2)
    np.testing.assert_allclose(arr(x.grad), 8 * arr(w) ** 2 * arr(x))


# ---- retain_graph semantics ---------------------------------------------------------------


def test_second_backward_without_retain_graph_raises():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_grad_then_grad_without_retain_raises():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    y = pj.exp(x).sum()
    pj.grad(y, x)
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        pj.grad(y, x)


def test_retain_graph_many_times():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    y = (pj.exp(x) * x).sum()
    for _ in range(5):
        (g,) = pj.grad(y, x, retain_graph=True)
    np.testing.assert_allclose(arr(g), np.exp([1.0, 2.0]) * (1 + np.array([1.0, 2.0])))
    y.backward()
    with pytest.raises(RuntimeError):
        y.backward()


def test_subgraph_shared_between_two_losses():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    h = pj.exp(x)
    a = (h * 2).sum()
    b = (h * 3).sum()
    a.backward(retain_graph=True)
    b.backward()
    np.testing.assert_allclose(arr(x.grad), 5 * np.exp([1.0, 2.0]))


# ---- batched cotangents ---------------------------------------------------------------------


def _loop_vjps(fn, xs_np, G):
    """Row by row: one grad call per cotangent row. Returns a list (per input) of (k, *shape)."""
    rows = [[] for _ in xs_np]
    for gk in G:
        xs = [pj.tensor(a, requires_grad=True) for a in xs_np]
        y = fn(*xs)
        gs = pj.grad(y, xs, grad_outputs=pj.tensor(gk))
        for i, g in enumerate(gs):
            rows[i].append(arr(g))
    return [np.stack(r) for r in rows]


def _batched_vjps(fn, xs_np, G):
    xs = [pj.tensor(a, requires_grad=True) for a in xs_np]
    y = fn(*xs)
    gs = pj.grad(y, xs, grad_outputs=pj.tensor(G), is_grads_batched=True)
    return [arr(g) for g in gs], y.shape


BATCHED_CASES = {
    "broadcast_add_mul": (lambda a, b: a * b + pj.sin(a), [(3,), (2, 3)]),
    "broadcast_scalar": (lambda s, v: s * v + s, [(), (4,)]),
    "broadcast_keepdim": (lambda a, b: a / (b * b + 1.0), [(2, 1, 3), (4, 1)]),
    "matmul_mv": (lambda W, x: pj.tanh(W @ x), [(3, 4), (4,)]),
    "matmul_mm": (lambda A, B: A @ B, [(2, 3), (3, 4)]),
    "matmul_batched": (lambda A, B: pj.matmul(A, B), [(2, 3, 4), (4, 2)]),
    "dot": (lambda a, b: pj.dot(a, b) * a, [(5,), (5,)]),
    "sum_axis": (lambda a, b: (a * b).sum(axis=1), [(3, 4), (4,)]),
    "sum_all": (lambda a, b: (a * b).sum(), [(3, 4), (3, 1)]),
    "mean_keepdims": (lambda a, b: a.mean(axis=0, keepdims=True) * b, [(3, 4), (2, 1, 4)]),
    "max_axis": (lambda a, b: (a + b).max(axis=-1), [(3, 4), (4,)]),
    "norm": (lambda a, b: pj.norm(a - b, axis=1), [(3, 4), (3, 4)]),
    "indexing": (lambda a, b: a[1:, ::2] * b[0], [(3, 4), (2, 2)]),
    "indexing_int_newaxis": (lambda a, b: a[:, 1][:, None] + b[..., 0], [(3, 4), (3, 2)]),
    "reshape_transpose": (lambda a, b: a.reshape(2, 6).T * b, [(3, 4), (2,)]),
    "exp_log_div": (lambda a, b: pj.log(pj.exp(a) + b * b) / (1.0 + b * b), [(2, 3), (2, 3)]),
    "where_maximum": (lambda a, b: pj.where(a > 0, a * b, pj.maximum(a, b)), [(5,), (5,)]),
    "concatenate_stack": (lambda a, b: pj.stack([pj.concatenate([a, b]), pj.concatenate([b, a])]), [(2,), (3,)]),
    "broadcast_to_squeeze": (lambda a, b: pj.squeeze(pj.broadcast_to(a, (3, 2, 1)), axis=-1) * b, [(2, 1), (2,)]),
}


@pytest.mark.parametrize("name", sorted(BATCHED_CASES))
def test_batched_vjp_matches_loop(name):
    fn, shapes = BATCHED_CASES[name]
    r = np.random.default_rng(zlib.crc32(name.encode()))
    xs_np = [r.standard_normal(s) for s in shapes]
    y_shape = fn(*[pj.tensor(a) for a in xs_np]).shape
    k = 4
    G = r.standard_normal((k,) + y_shape)
    batched, _ = _batched_vjps(fn, xs_np, G)
    loop = _loop_vjps(fn, xs_np, G)
    for b, one_by_one, a in zip(batched, loop, xs_np):
        assert b.shape == (k,) + a.shape
        np.testing.assert_allclose(b, one_by_one, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["broadcast_add_mul", "matmul_mv", "sum_axis", "indexing", "norm"])
def test_batched_identity_gives_jacobian(name):
    fn, shapes = BATCHED_CASES[name]
    r = np.random.default_rng(7)
    xs_np = [r.standard_normal(s) for s in shapes]
    y_shape = fn(*[pj.tensor(a) for a in xs_np]).shape
    m = int(np.prod(y_shape))
    G = np.eye(m).reshape((m,) + y_shape)
    batched, _ = _batched_vjps(fn, xs_np, G)
    # finite-difference Jacobian of the first input
    eps = 1e-6
    a0 = xs_np[0]
    J = np.zeros((m, a0.size))
    for j in range(a0.size):
        p, q = a0.copy().ravel(), a0.copy().ravel()
        p[j] += eps
        q[j] -= eps
        fp = arr(fn(pj.tensor(p.reshape(a0.shape)), *[pj.tensor(a) for a in xs_np[1:]])).ravel()
        fq = arr(fn(pj.tensor(q.reshape(a0.shape)), *[pj.tensor(a) for a in xs_np[1:]])).ravel()
        J[:, j] = (fp - fq) / (2 * eps)
    np.testing.assert_allclose(batched[0].reshape(m, -1), J, rtol=1e-5, atol=1e-7)


def test_batched_jacobian_of_square_is_diagonal():
    x = pj.tensor([2.0, 3.0, -1.0], requires_grad=True)
    y = x**2
    (J,) = pj.grad(y, x, grad_outputs=pj.eye(3), is_grads_batched=True)
    np.testing.assert_allclose(arr(J), np.diag([4.0, 6.0, -2.0]))


def test_batched_single_row_and_large_k():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    y = pj.exp(x) * 3
    (g1,) = pj.grad(y, x, grad_outputs=pj.tensor([[1.0, 1.0]]), is_grads_batched=True, retain_graph=True)
    assert g1.shape == (1, 2)
    np.testing.assert_allclose(arr(g1)[0], 3 * np.exp([1.0, 2.0]))
    G = np.random.default_rng(1).standard_normal((100, 2))
    (gk,) = pj.grad(y, x, grad_outputs=pj.tensor(G), is_grads_batched=True)
    np.testing.assert_allclose(arr(gk), G * 3 * np.exp([1.0, 2.0]))


def test_batched_scalar_output():
    x = pj.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x * x).sum()
    (g,) = pj.grad(y, x, grad_outputs=pj.tensor([1.0, -2.0]), is_grads_batched=True)
    np.testing.assert_allclose(arr(g), [[2.0, 4.0, 6.0], [-4.0, -8.0, -12.0]])


def test_batched_multiple_outputs():
    a = np.array([0.5, -1.0])
    x = pj.tensor(a, requires_grad=True)
    y1 = x * x
    y2 = pj.sin(x).sum()
    G1 = pj.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    G2 = pj.tensor([1.0, 0.0, 2.0])
    (g,) = pj.grad([y1, y2], x, grad_outputs=[G1, G2], is_grads_batched=True)
    expected = arr(G1) * 2 * a + arr(G2)[:, None] * np.cos(a)
    np.testing.assert_allclose(arr(g), expected)


def test_batched_with_create_graph():
    # rows of the Jacobian of y = x**3, differentiated once more: d/dx sum_k J[k] = 6x
    a = np.array([1.0, -2.0, 0.5])
    x = pj.tensor(a, requires_grad=True)
    y = x**3
    (J,) = pj.grad(y, x, grad_outputs=pj.eye(3), is_grads_batched=True, create_graph=True)
    assert J.requires_grad
    np.testing.assert_allclose(arr(J), np.diag(3 * a**2))
    (g2,) = pj.grad(J.sum(), x)
    np.testing.assert_allclose(arr(g2), 6 * a)


def test_batched_create_graph_matches_loop_second_order():
    r = np.random.default_rng(3)
    Wn = r.standard_normal((3, 4))
    xn = r.standard_normal(4)
    G = r.standard_normal((5, 3))

    def first(W, x, g, batched):
        y = pj.tanh(W @ x)
        (gx,) = pj.grad(y, x, grad_outputs=g, is_grads_batched=batched, create_graph=True)
        return gx

    W = pj.tensor(Wn, requires_grad=True)
    x = pj.tensor(xn, requires_grad=True)
    gb = first(W, x, pj.tensor(G), True)  # (5, 4)
    (hb,) = pj.grad((gb * gb).sum(), W)
    hl = np.zeros_like(Wn)
    for k in range(5):
        W = pj.tensor(Wn, requires_grad=True)
        x = pj.tensor(xn, requires_grad=True)
        gk = first(W, x, pj.tensor(G[k]), False)
        (h,) = pj.grad((gk * gk).sum(), W)
        hl += arr(h)
    np.testing.assert_allclose(arr(hb), hl, rtol=1e-10, atol=1e-12)


def test_batched_float32():
    x = pj.tensor([1.0, 2.0], dtype=pj.float32, requires_grad=True)
    (J,) = pj.grad(x * x, x, grad_outputs=pj.eye(2, dtype=pj.float32), is_grads_batched=True)
    assert J.dtype == np.float32 and J.shape == (2, 2)
    np.testing.assert_allclose(arr(J), np.diag([2.0, 4.0]))


def test_batched_does_not_touch_leaf_grad():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    pj.grad(x * 2, x, grad_outputs=pj.eye(2), is_grads_batched=True)
    assert x.grad is None


# ---- deep graphs (iterative engine) ----------------------------------------------------------

_DEEP_SCRIPT = textwrap.dedent("""
    import math, sys
    import pyjac as pj
    n = 1_000_000
    x = pj.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(n):
        y = y * 1.0000001
    y.backward()
    expected = 1.0000001 ** n
    assert math.isclose(x.grad.item(), expected, rel_tol=1e-9), (x.grad.item(), expected)
    del y                                 # graph released after backward
    # a graph dropped without any backward
    y = x
    for _ in range(n):
        y = y * 1.0000001
    del y
    # pj.grad through a deep chain with a non-scalar leaf
    v = pj.tensor([1.0, 2.0], requires_grad=True)
    y = v
    for _ in range(200_000):
        y = y + 0.0
    (g,) = pj.grad(y.sum(), v)
    assert g.tolist() == [1.0, 1.0], g.tolist()
    del y, g
    print("DEEP-OK")
""")


def test_million_node_chain_backward_and_drop():
    # run in a subprocess: a recursive engine or destructor would overflow the C stack and kill
    # the interpreter, which must show up as a test failure, not take pytest down.
    proc = subprocess.run(
        [sys.executable, "-c", _DEEP_SCRIPT], capture_output=True, text=True, timeout=120, cwd=_OUTSIDE_SOURCE_TREE
    )
    assert proc.returncode == 0, f"rc={proc.returncode}\nstdout:{proc.stdout}\nstderr:{proc.stderr[-3000:]}"
    assert "DEEP-OK" in proc.stdout


def test_deep_chain_in_process():
    # the same property, smaller, in this interpreter (reference cycles or recursion would show)
    x = pj.tensor(0.5, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = pj.sin(y) * 0.0 + y
    y.backward()
    assert x.grad.item() == pytest.approx(1.0)


# ---- assigning .grad, as torch allows it ------------------------------------------------------------


def test_grad_assignment_checks_dtype_shape_and_self():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    x.grad = pj.tensor([0.5, 0.5])
    np.testing.assert_array_equal(x.grad.numpy(), [0.5, 0.5])
    x.grad = np.array([1, 2])  # arrays and lists convert to the tensor's dtype
    assert x.grad.dtype == pj.float64 and x.grad.tolist() == [1.0, 2.0]
    with pytest.raises(TypeError, match="grad: assigned gradient has dtype int64, but the tensor's dtype is float64"):
        x.grad = pj.tensor([1, 2])
    with pytest.raises(TypeError, match="dtype float32, but the tensor's dtype is float64"):
        x.grad = pj.tensor([1.0, 2.0], dtype=pj.float32)
    with pytest.raises(RuntimeError, match="its own gradient"):
        x.grad = x
    with pytest.raises(RuntimeError, match="its own gradient"):
        x.grad = x.detach()
    with pytest.raises(ValueError, match=r"grad: assigned gradient of shape \(3,\) does not match"):
        x.grad = pj.zeros(3)
    with pytest.raises(TypeError, match="only floating point tensors have gradients"):
        pj.tensor([1, 2]).grad = pj.tensor([1, 2])
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 2.0])  # failed assignments changed nothing
    del x.grad
    assert x.grad is None


# ---- Ctrl-C during a long backward -------------------------------------------------------------------

_INTERRUPT_SCRIPT = """
import os, signal, sys, threading
import pyjac as pj

main = threading.main_thread().ident


class Trigger(pj.autograd.Function):
    # The pass's first node. Once its backward has returned into the engine (the main thread's
    # innermost Python frame is again the one that called backward), a helper thread sends SIGINT,
    # while the engine still has a long chain to run: deterministic, whatever the timing.
    ran = False

    @staticmethod
    def forward(ctx, x):
        return x * 1

    @staticmethod
    def backward(ctx, g):
        if Trigger.ran:
            return g
        Trigger.ran = True
        caller = sys._getframe(1)

        def send():
            while sys._current_frames()[main] is not caller:
                pass
            os.kill(os.getpid(), signal.SIGINT)

        threading.Thread(target=send).start()
        return g


x = pj.tensor(0.5, requires_grad=True)
h = x
for _ in range(300_000):
    h = pj.tanh(h)
loss = Trigger.apply(h)
try:
    loss.backward(retain_graph=True)
    print("not interrupted")
except KeyboardInterrupt:
    # stopped between nodes: the leaf at the end of the chain got nothing
    print("interrupted", Trigger.ran, x.grad is None)
loss.backward()  # the graph is whole (retain_graph): a second pass runs to the end
expected = 1.0
v = 0.5
import math
for _ in range(300_000):
    t = math.tanh(v)
    expected *= 1 - t * t
    v = t
print("second pass", abs(x.grad.item() - expected) <= 1e-12 * abs(expected))
"""


def test_ctrl_c_stops_a_long_backward_between_nodes():
    # the KeyboardInterrupt used to arrive only after the whole pass had finished
    proc = subprocess.run(
        [sys.executable, "-c", _INTERRUPT_SCRIPT], capture_output=True, text=True, timeout=600, cwd=_OUTSIDE_SOURCE_TREE
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split("\n")[:2] == ["interrupted True True", "second pass True"], proc.stdout
