"""Custom derivative rules from Python: ``pyjac.autograd.Function``.

First and second derivatives of Functions whose backward is written in pyjac ops (finite
differences), non-tensor arguments, needs_input_grad, several outputs, non-differentiable
outputs, batched cotangents, forward mode through ``jvp``, the errors, and that the ctx and the
saved tensors are freed after backward and when the graph is dropped.
"""

import gc
import weakref

import numpy as np
import pytest

import pyjac as pj
from pyjac.autograd import Function
from pyjac.testing import gradcheck, gradgradcheck


def _t(a, requires_grad=False):
    return pj.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


class Exp(Function):
    """Saves its output: under create_graph backward differentiates through it."""

    @staticmethod
    def forward(ctx, x):
        y = pj.exp(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y

    @staticmethod
    def jvp(ctx, t):
        (y,) = ctx.saved_tensors
        return t * y


class ScaledPow(Function):
    """x ** p * y with a Python number p in the middle: saves inputs, returns None for p."""

    @staticmethod
    def forward(ctx, x, p, y):
        ctx.p = p
        ctx.save_for_backward(x, y)
        ctx.seen_needs = ctx.needs_input_grad
        return x**p * y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        p = ctx.p
        gx = g * p * x ** (p - 1) * y if ctx.needs_input_grad[0] else None
        gy = g * x**p if ctx.needs_input_grad[2] else None
        return gx, None, gy


class SinCos(Function):
    """Two outputs: (sin x, cos x * y)."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return pj.sin(x), pj.cos(x) * y

    @staticmethod
    def backward(ctx, g1, g2):
        x, y = ctx.saved_tensors
        return g1 * pj.cos(x) - g2 * pj.sin(x) * y, pj.sum(g2 * pj.cos(x), axis=0)

    @staticmethod
    def jvp(ctx, tx, ty):
        x, y = ctx.saved_tensors
        return tx * pj.cos(x), -tx * pj.sin(x) * y + pj.cos(x) * ty


class MatVec(Function):
    """A @ v with matrices: gradients of two different shapes."""

    @staticmethod
    def forward(ctx, a, v):
        ctx.save_for_backward(a, v)
        return a @ v

    @staticmethod
    def backward(ctx, g):
        a, v = ctx.saved_tensors
        return pj.reshape(g, (-1, 1)) * pj.reshape(v, (1, -1)), pj.transpose(a) @ g


def _sin_cos(x, y):
    return SinCos.apply(x, y)


def _scaled_pow(x, y):
    return ScaledPow.apply(x, 3, y)


CASES = [
    ("exp", Exp.apply, lambda r: [r.standard_normal((2, 3))]),
    ("scaled_pow", _scaled_pow, lambda r: [r.uniform(0.5, 1.5, 4), r.standard_normal(4)]),
    ("sin_cos", _sin_cos, lambda r: [r.standard_normal((2, 3)), r.standard_normal(3)]),
    ("matvec", MatVec.apply, lambda r: [r.standard_normal((3, 2)), r.standard_normal(2)]),
]
CASE_IDS = [c[0] for c in CASES]


@pytest.mark.parametrize("name,fn,data", CASES, ids=CASE_IDS)
def test_first_and_second_derivatives(name, fn, data, rng):
    xs = [_t(a, True) for a in data(rng)]
    assert gradcheck(fn, xs)
    assert gradgradcheck(fn, xs)


@pytest.mark.parametrize("name,fn,data", CASES, ids=CASE_IDS)
def test_batched_cotangents(name, fn, data, rng, batched_check):
    if name == "sin_cos":
        batched_check(lambda x, y: SinCos.apply(x, y)[1], data(rng))
    else:
        batched_check(fn, data(rng))


def test_values_and_gradients_match_the_builtin_ops(rng):
    xa, ya = rng.uniform(0.5, 1.5, 4), rng.standard_normal(4)
    x, y = _t(xa, True), _t(ya, True)
    out = ScaledPow.apply(x, 3, y)
    np.testing.assert_allclose(out.detach().numpy(), xa**3 * ya, rtol=1e-14)
    gx, gy = pj.grad(out.sum(), (x, y))
    np.testing.assert_allclose(gx.numpy(), 3 * xa**2 * ya, rtol=1e-14)
    np.testing.assert_allclose(gy.numpy(), xa**3, rtol=1e-14)
    assert out.grad_fn.name() == "ScaledPowBackward"


def test_hessian_through_a_saved_output(rng):
    xa = rng.standard_normal(3)
    H = pj.hessian(lambda x: pj.sum(Exp.apply(x) * x), _t(xa))
    np.testing.assert_allclose(H.numpy(), np.diag(np.exp(xa) * (2 + xa)), rtol=1e-13)


def test_needs_input_grad_and_non_tensor_arguments():
    x, y = _t([1.0, 2.0], True), _t([3.0, 4.0])
    out = ScaledPow.apply(x, 2, y)
    assert out.grad_fn is not None
    (gx,) = pj.grad(out.sum(), x)
    np.testing.assert_allclose(gx.numpy(), [6.0, 16.0])
    ctx_needs = []

    class Probe(Function):
        @staticmethod
        def forward(ctx, a, k, b, name):
            ctx_needs.append(ctx.needs_input_grad)
            return a * k + b

        @staticmethod
        def backward(ctx, g):
            return g * 2.0, None, None, None

    Probe.apply(x, 2.0, y, "label")
    with pj.no_grad():
        Probe.apply(x, 2.0, y, "label")
    assert ctx_needs == [(True, False, False, False), (False, False, False, False)]


def test_no_recording_when_nothing_requires_grad_or_under_no_grad():
    y = Exp.apply(_t([0.0, 1.0]))
    assert not y.requires_grad and y.grad_fn is None
    x = _t([0.0, 1.0], True)
    with pj.no_grad():
        z = Exp.apply(x)
    assert not z.requires_grad


def test_forward_runs_without_recording():
    seen = []

    class Spy(Function):
        @staticmethod
        def forward(ctx, x):
            y = x * 2.0
            seen.append((pj.is_grad_enabled(), y.requires_grad))
            return y

        @staticmethod
        def backward(ctx, g):
            return g * 2.0

    out = Spy.apply(_t([1.0], True))
    assert seen == [(False, False)] and out.requires_grad


def test_multiple_outputs_and_unused_outputs_get_zeros(rng):
    x, y = _t(rng.standard_normal((2, 3)), True), _t(rng.standard_normal(3), True)
    s, c = SinCos.apply(x, y)
    assert s.grad_fn is c.grad_fn and s.grad_fn.name() == "SinCosBackward"
    (gx,) = pj.grad(s.sum(), x)  # c received nothing: backward got zeros for it
    np.testing.assert_allclose(gx.detach().numpy(), np.cos(x.detach().numpy()), rtol=1e-14)

    got = []

    class NoMaterialize(Function):
        @staticmethod
        def forward(ctx, a):
            ctx.set_materialize_grads(False)
            return a * 2.0, a * 3.0

        @staticmethod
        def backward(ctx, g1, g2):
            got.append((g1 is None, g2 is None))
            return g1 * 2.0

    a = _t([1.0, 2.0], True)
    p, q = NoMaterialize.apply(a)
    p.sum().backward()
    assert got == [(False, True)]


def test_mark_non_differentiable_and_integer_outputs():
    class SortLike(Function):
        @staticmethod
        def forward(ctx, x):
            mask = x > 0.0
            doubled = x * 2.0
            twice_again = x * 4.0
            ctx.mark_non_differentiable(twice_again)
            return doubled, mask, twice_again

        @staticmethod
        def backward(ctx, g, g_mask, g_other):
            assert g_mask.dtype == np.bool_ or float(g_mask.sum()) == 0.0
            return g * 2.0

    x = _t([-1.0, 2.0], True)
    d, m, t = SortLike.apply(x)
    assert d.requires_grad and not m.requires_grad and not t.requires_grad
    assert m.dtype == np.bool_ and m.tolist() == [False, True]
    d.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


def test_returning_an_input_keeps_the_input_a_leaf():
    class Identity(Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 3.0  # a deliberately different rule, to see it used

    x = _t([1.0, 2.0], True)
    y = Identity.apply(x)
    assert x.is_leaf and x.grad_fn is None and y is not x and y.grad_fn is not None
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


def test_function_used_inside_another_functions_backward(rng):
    class Square(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * Exp.apply(pj.log(x * 2.0))  # 2x, through another Function

    x = _t(rng.uniform(0.5, 1.5, 3), True)
    assert gradcheck(Square.apply, (x,))
    assert gradgradcheck(Square.apply, (x,))


def test_jacobian_of_a_function_one_backward_call_for_all_rows(rng):
    # Batched cotangents reach backward batched (Note [Custom Functions under vmap]): one call
    # sees one row's shape and computes every row.
    calls = []

    class Cube(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        def backward(ctx, g):
            calls.append(tuple(g.shape))
            (x,) = ctx.saved_tensors
            return 3.0 * g * x * x

    xa = rng.standard_normal(4)
    J = pj.jacobian(Cube.apply, _t(xa))
    np.testing.assert_allclose(J.numpy(), np.diag(3 * xa**2), rtol=1e-14)
    assert calls == [(4,)]


def test_a_backward_that_reads_values_runs_once_per_row(rng):
    calls = []

    class CubeByNumpy(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        def backward(ctx, g):
            calls.append(tuple(g.shape))
            (x,) = ctx.saved_tensors
            return pj.tensor(3.0 * np.asarray(g) * np.asarray(x) ** 2)

    xa = rng.standard_normal(4)
    J = pj.jacobian(CubeByNumpy.apply, _t(xa))
    np.testing.assert_allclose(J.numpy(), np.diag(3 * xa**2), rtol=1e-14)
    assert calls == [(4,)] * 5  # the batched try, then one call per row


# ==== forward mode ================================================================================
def test_jvp_through_a_function_with_jvp(rng):
    xa, ya, ta, ua = (rng.standard_normal(3) for _ in range(4))
    out, tangent = pj.jvp(lambda x, y: SinCos.apply(x, y), (_t(xa), _t(ya)), (_t(ta), _t(ua)))
    np.testing.assert_allclose(out[1].numpy(), np.cos(xa) * ya, rtol=1e-14)
    np.testing.assert_allclose(tangent[0].numpy(), ta * np.cos(xa), rtol=1e-14)
    np.testing.assert_allclose(tangent[1].numpy(), -ta * np.sin(xa) * ya + np.cos(xa) * ua, rtol=1e-14)


def test_jacfwd_jacrev_and_hvp_agree(rng):
    xa = rng.standard_normal(3)
    f = lambda x: Exp.apply(x) * x  # noqa: E731
    fwd = pj.jacobian(f, _t(xa), strategy="forward-mode")
    rev = pj.jacobian(f, _t(xa), strategy="reverse-mode")
    np.testing.assert_allclose(fwd.numpy(), rev.numpy(), rtol=1e-13)
    va = rng.standard_normal(3)
    _, hv = pj.hvp(lambda x: pj.sum(Exp.apply(x) * x), _t(xa), _t(va))
    np.testing.assert_allclose(hv.numpy(), np.exp(xa) * (2 + xa) * va, rtol=1e-13)


def test_forward_mode_without_jvp_raises_naming_the_function():
    with pytest.raises(RuntimeError, match="ScaledPow.*jvp"):
        pj.jvp(lambda x: ScaledPow.apply(x, 2, _t([1.0])), _t([1.0]), _t([1.0]))


def test_jvp_returning_a_wrong_shape_raises():
    class BadJvp(Exp):
        @staticmethod
        def jvp(ctx, t):
            return pj.zeros(5)

    with pytest.raises(ValueError, match="BadJvp.jvp.*shape"):
        pj.jvp(BadJvp.apply, _t([1.0, 2.0]), _t([1.0, 1.0]))


# ==== errors ======================================================================================
def test_backward_returning_the_wrong_number_of_gradients_raises():
    class TooFew(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(RuntimeError, match="TooFew.backward returned 1 gradient.*2 argument"):
        TooFew.apply(_t([1.0], True), _t([2.0], True)).sum().backward()

    class ExtraNone(TooFew):
        @staticmethod
        def backward(ctx, g):
            return g, g, None

    x = _t([1.0], True)
    ExtraNone.apply(x, _t([2.0])).sum().backward()  # trailing Nones are fine, as in PyTorch
    assert x.grad.tolist() == [1.0]


def test_backward_returning_a_wrong_shape_raises():
    class WrongShape(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2.0

        @staticmethod
        def backward(ctx, g):
            return pj.sum(g)

    with pytest.raises(ValueError, match=r"WrongShape.backward returned a gradient of shape \(\).*\(3,\)"):
        WrongShape.apply(_t([1.0, 2.0, 3.0], True)).sum().backward()


def test_gradient_for_a_non_tensor_argument_raises():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g, g

    with pytest.raises(RuntimeError, match="Bad.backward.*position 1.*not a tensor"):
        Bad.apply(_t([1.0], True), 2.0).sum().backward()


def test_exception_in_backward_propagates_and_the_engine_recovers():
    class Boom(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1.0

        @staticmethod
        def backward(ctx, g):
            raise KeyError("boom")

    x = _t([1.0], True)
    with pytest.raises(KeyError, match="boom"):
        Boom.apply(x).sum().backward()
    assert pj.is_grad_enabled()
    (x * 2.0).sum().backward()
    assert x.grad.tolist() == [2.0]


def test_saved_tensor_modified_in_place_raises():
    x = _t([1.0, 2.0], True)
    y = Exp.apply(x)
    with pj.no_grad():
        y.mul_(2.0)  # y shares memory with the saved output
    with pytest.raises(RuntimeError, match="ExpBackward's saved tensor 0.*version 1; expected version 0"):
        y.sum().backward()
    a = _t([1.0, 2.0], True)
    b = a * 1.0
    out = ScaledPow.apply(b, 2, _t([1.0, 1.0]))
    b.add_(1.0)
    with pytest.raises(RuntimeError, match="ScaledPowBackward"):
        out.sum().backward()


def test_second_backward_needs_retain_graph():
    x = _t([1.0], True)
    y = Exp.apply(x)
    y.sum().backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.sum().backward()
    z = Exp.apply(x)
    z.sum().backward(retain_graph=True)
    z.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 * np.exp([1.0]))


def test_ctx_misuse():
    class Misuse(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return ctx.saved_tensors  # not available in forward

    with pytest.raises(RuntimeError, match="saved_tensors"):
        Misuse.apply(_t([1.0], True))

    class SavesNumber(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(3.0)
            return x

    with pytest.raises(TypeError, match="save_for_backward"):
        SavesNumber.apply(_t([1.0], True))

    class NoBackward(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2.0

    with pytest.raises(NotImplementedError):
        NoBackward.apply(_t([1.0], True)).sum().backward()


# ==== memory ======================================================================================
class Holder(Function):
    """Saves an input, an intermediate and its output, and keeps weak references to ctx and to the
    intermediate it also keeps as a ctx attribute. (What save_for_backward keeps is held by the
    node as tensors, not as these Python objects: tests/test_memory.py follows its memory.)"""

    refs = []

    @staticmethod
    def forward(ctx, x):
        mid = x * 3.0
        out = pj.sin(mid)
        ctx.save_for_backward(x, mid, out)
        ctx.extra = mid  # user attributes live on the ctx too
        Holder.refs = [weakref.ref(ctx), weakref.ref(mid)]
        return out

    @staticmethod
    def backward(ctx, g):
        x, mid, out = ctx.saved_tensors
        # From x (mid has no history, so a create_graph backward must not use it); `out` comes back
        # as this node's output, the case that must not leave a cycle.
        return g * 3.0 * pj.cos(x * 3.0) + 0.0 * out


def _alive():
    gc.collect()
    return [r() is not None for r in Holder.refs]


def test_ctx_and_saved_tensors_are_freed_after_backward():
    x = _t([0.1, 0.2], True)
    y = Holder.apply(x)
    assert _alive() == [True, True]
    y.sum().backward()
    assert _alive() == [False, False]
    np.testing.assert_allclose(x.grad.numpy(), 3 * np.cos(0.3 * np.array([1.0, 2.0])), rtol=1e-14)


def test_ctx_and_saved_tensors_are_freed_when_the_graph_is_dropped():
    x = _t([0.1, 0.2], True)
    y = Holder.apply(x)
    z = y * 2.0
    del y
    assert _alive() == [True, True]
    del z
    assert _alive() == [False, False]


def test_retain_graph_keeps_them_until_the_graph_goes():
    x = _t([0.1, 0.2], True)
    y = Holder.apply(x)
    y.sum().backward(retain_graph=True)
    assert _alive() == [True, True]
    y.sum().backward(create_graph=True)  # handing out the saved output as a node output leaves no cycle
    assert x.grad.requires_grad
    x.grad = None
    del y
    assert _alive() == [False, False]


def test_double_backward_graph_is_freed():
    x = _t([0.1, 0.2], True)
    y = Holder.apply(x)
    (g,) = pj.grad(y.sum(), x, create_graph=True)
    (gg,) = pj.grad(g.sum(), x)
    np.testing.assert_allclose(gg.detach().numpy(), -9 * np.sin(3 * x.detach().numpy()), rtol=1e-13)
    del g, gg, y
    assert _alive() == [False, False]


# ---- gradients handed to user code never alias user tensors (Note [Gradients user code can see]) ----


class _DoublesItsCotangentInPlace(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 1

    @staticmethod
    def backward(ctx, g):
        g.mul_(2)
        return g


def test_backward_modifying_its_cotangent_in_place_changes_no_user_tensor():
    # d(S(x) * w)/dS = w: the cotangent was w itself, so g.mul_(2) doubled w
    x = pj.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = pj.tensor([4.0, 5.0, 6.0])
    (_DoublesItsCotangentInPlace.apply(x) * w).sum().backward()
    np.testing.assert_array_equal(w.numpy(), [4.0, 5.0, 6.0])
    np.testing.assert_array_equal(x.grad.numpy(), [8.0, 10.0, 12.0])


def test_backward_modifying_its_cotangent_leaves_grad_outputs_alone():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    v = pj.tensor([3.0, 4.0])
    (g,) = pj.grad(_DoublesItsCotangentInPlace.apply(x), x, grad_outputs=v)
    np.testing.assert_array_equal(v.numpy(), [3.0, 4.0])
    np.testing.assert_array_equal(g.numpy(), [6.0, 8.0])
    seeds = pj.ones((2, 2))
    (J,) = pj.grad(_DoublesItsCotangentInPlace.apply(x), x, grad_outputs=seeds, is_grads_batched=True)
    np.testing.assert_array_equal(seeds.numpy(), np.ones((2, 2)))
    np.testing.assert_array_equal(J.numpy(), np.full((2, 2), 2.0))


class _ClobbersWhatItSaved(Function):
    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(w)
        return x * 1

    @staticmethod
    def backward(ctx, g):
        (w,) = ctx.saved_tensors
        with pj.no_grad():
            w.mul_(100)
        return g, None


def test_backward_modifying_a_saved_input_leaves_gradients_already_computed_alone():
    # x's gradient from x * w is w itself, computed before the custom backward runs and still on
    # its way to x.grad when the backward multiplies w by 100 (it gave 400, 500, 600)
    x = pj.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = pj.tensor([4.0, 5.0, 6.0])
    loss = _ClobbersWhatItSaved.apply(x * 0, w).sum() + (x * w).sum()
    loss.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 5.0, 6.0])


def test_backward_modifying_a_saved_input_that_a_later_rule_reads_raises():
    x = pj.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = pj.tensor([4.0, 5.0, 6.0])
    loss = (x * w).sum() + _ClobbersWhatItSaved.apply(x * 0, w).sum()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


def test_unaliased_cotangents_still_differentiate_under_create_graph():
    x = pj.tensor([0.5, 1.5], requires_grad=True)
    w = pj.tensor([2.0, 3.0])
    (g,) = pj.grad((_DoublesItsCotangentInPlace.apply(x**2) * w).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), 4 * np.array([0.5, 1.5]) * [2.0, 3.0])
    (gg,) = pj.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), 4 * np.array([2.0, 3.0]))


# ---- misbehaving Functions: a clear error instead of a silently wrong gradient ---------------------
class _DoublesItsGradientInPlace(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 3.0

    @staticmethod
    def backward(ctx, g):
        g.mul_(2.0)  # writes into the gradient the engine handed in: its own copy
        return g * 3.0


def test_backward_that_writes_into_its_incoming_gradient_changes_no_other_gradient():
    # z = F(x) + w: add's rule hands one gradient tensor to both branches; the write doubled w's
    # gradient (and the caller's grad_outputs tensor) before
    x, w = _t([1.0, 2.0, 3.0], True), _t([1.0, 1.0, 1.0], True)
    v = _t([1.0, 1.0, 1.0])
    for z in (_DoublesItsGradientInPlace.apply(x) + w, w + _DoublesItsGradientInPlace.apply(x)):
        gx, gw = pj.grad(z, [x, w], v)
        np.testing.assert_array_equal(gx.numpy(), [6.0, 6.0, 6.0])
        np.testing.assert_array_equal(gw.numpy(), [1.0, 1.0, 1.0])
        np.testing.assert_array_equal(v.numpy(), [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(pj.jacobian(_DoublesItsGradientInPlace.apply, x).numpy(), 6 * np.eye(3))


def test_backward_that_writes_into_a_saved_tensor_fails_the_later_rows_of_a_batched_gradient():
    # backward runs once per row of a batched cotangent; the node checked the saved versions only
    # before the first row, so the later rows silently used the written values
    class SinWritesX(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return pj.sin(x)

        @staticmethod
        def backward(ctx, g):
            np.asarray(g)  # reads the cotangent's values: not batchable, so backward runs per row
            (x,) = ctx.saved_tensors
            result = g * pj.cos(x)
            with pj.no_grad():
                x.mul_(2.0)
            return result

    x = _t([0.2, 0.5, 0.9], True)
    with pytest.raises(
        RuntimeError,
        match=r"SinWritesXBackward's saved tensor 0 \(a float64 tensor of shape \(3,\)\) "
        r"is at version 1; expected version 0",
    ):
        pj.jacobian(SinWritesX.apply, x)


@pytest.mark.parametrize("returned", ["list", "ndarray", "numpy scalar", "tuple with a list"])
def test_forward_returning_untrackable_values_while_recording_raises(returned):
    # the values came out without history: a gradient through them was silently zero
    class Untrackable(Function):
        @staticmethod
        def forward(ctx, x):
            y = pj.sin(x)
            return {
                "list": [y, y],
                "ndarray": y.numpy(),
                "numpy scalar": np.float64(y.sum().item()),
                "tuple with a list": (y, [y]),
            }[returned]

        @staticmethod
        def backward(ctx, *gs):
            return gs[0]

    x = _t([0.2, 0.5], True)
    with pytest.raises(
        TypeError,
        match=r"Untrackable.forward returned a value of type \w+ as (its output|output 1): "
        "only Tensors carry gradients",
    ):
        pj.func.grad(lambda v: pj.sum(pj.asarray(Untrackable.apply(v)[0])))(x)
    with pytest.raises(TypeError, match="Untrackable.forward returned"):
        Untrackable.apply(x)
    # without anything to record, forward's result is returned as it is (as in torch)
    assert isinstance(Untrackable.apply(x.detach()), type(Untrackable.forward(None, x.detach())))
    with pj.no_grad():
        Untrackable.apply(x)


def test_python_scalars_and_none_among_the_outputs_pass_through():
    class WithExtras(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2.0, 1.5, None, "label"

        @staticmethod
        def backward(ctx, g, *unused):
            return g * 2.0

    x = _t([1.0, 2.0], True)
    y, scale, nothing, label = WithExtras.apply(x)
    assert (scale, nothing, label) == (1.5, None, "label") and y.grad_fn is not None
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


# ---- non-tensor outputs: backward gets one cotangent per output, None for non-tensors (torch) ----


class WithNumbers(Function):
    """(2x, "label", 3x, 7): tensors at positions 0 and 2."""

    received = []

    @staticmethod
    def forward(ctx, x):
        return x * 2.0, "label", x * 3.0, 7

    @staticmethod
    def backward(ctx, g0, g_label, g2, g_seven):
        WithNumbers.received.append((g_label, g_seven))
        return g0 * 2.0 + g2 * 3.0

    @staticmethod
    def jvp(ctx, t):
        return t * 2.0, None, t * 3.0, None


def test_backward_gets_none_for_non_tensor_outputs():
    WithNumbers.received = []
    x = _t([1.0, 2.0], True)
    y, label, z, seven = WithNumbers.apply(x)
    assert label == "label" and seven == 7
    (gx,) = pj.grad((y + z).sum(), x, retain_graph=True)
    np.testing.assert_array_equal(gx.numpy(), [5.0, 5.0])
    assert WithNumbers.received == [(None, None)]
    # only one tensor output used: the other gets zeros (materialized), the non-tensors None
    (gx,) = pj.grad(y.sum(), x)
    np.testing.assert_array_equal(gx.numpy(), [2.0, 2.0])


def test_non_tensor_output_first_and_batched_cotangents():
    class NumberFirst(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return 3, x * x

        @staticmethod
        def backward(ctx, g_number, g):
            assert g_number is None
            (x,) = ctx.saved_tensors
            return g * 2.0 * x

    x = _t([1.0, 2.0, 3.0], True)
    n, y = NumberFirst.apply(x)
    assert n == 3
    J = pj.jacobian(lambda x: NumberFirst.apply(x)[1], x)
    np.testing.assert_array_equal(J.numpy(), np.diag([2.0, 4.0, 6.0]))
    assert gradgradcheck(lambda x: NumberFirst.apply(x)[1], [x])


def test_jvp_with_non_tensor_outputs():
    x = _t([1.0, 2.0])
    out, tangent = pj.jvp(lambda x: WithNumbers.apply(x)[2], x, _t([1.0, 0.5]))
    np.testing.assert_array_equal(tangent.numpy(), [3.0, 1.5])

    class TensorTangentsOnly(WithNumbers):
        @staticmethod
        def jvp(ctx, t):
            return t * 2.0, t * 3.0

    _, tangent = pj.jvp(lambda x: TensorTangentsOnly.apply(x)[0], x, _t([1.0, 1.0]))
    np.testing.assert_array_equal(tangent.numpy(), [2.0, 2.0])

    class TangentForANumber(WithNumbers):
        @staticmethod
        def jvp(ctx, t):
            return t * 2.0, t, t * 3.0, None

    with pytest.raises(
        RuntimeError,
        match="TangentForANumber.jvp returned a tangent at position 1, but forward's output there is not a tensor",
    ):
        pj.jvp(lambda x: TangentForANumber.apply(x)[0], x, _t([1.0, 1.0]))
