"""Shape ops: reshape, transpose (.T), broadcast_to, squeeze, expand_dims, concatenate, stack.

Values against NumPy, gradients (first and second) against finite differences, batched
cotangents, float32, views sharing storage, and errors that name the shapes.
"""
import numpy as np
import pytest

import pyjac as pj
from pyjac.testing import gradcheck, gradgradcheck


def _t(a, requires_grad=False):
    return pj.tensor(np.asarray(a), requires_grad=requires_grad)


# Each case: id, input shapes, pyjac function, NumPy function. The functions take the inputs
# positionally and are written the same way for both libraries where the APIs agree.
def _cat(axis):
    return (lambda *xs: pj.concatenate(list(xs), axis=axis)), (lambda *xs: np.concatenate(list(xs), axis=axis))


def _stack(axis):
    return (lambda *xs: pj.stack(list(xs), axis=axis)), (lambda *xs: np.stack(list(xs), axis=axis))


CASES = [
    # reshape
    ("reshape-(2,3)->(3,2)", [(2, 3)], lambda x: pj.reshape(x, (3, 2)), lambda x: np.reshape(x, (3, 2))),
    ("reshape-(2,3,4)->(4,-1)", [(2, 3, 4)], lambda x: pj.reshape(x, (4, -1)), lambda x: np.reshape(x, (4, -1))),
    ("reshape-(6,)->(1,2,1,3)", [(6,)], lambda x: pj.reshape(x, (1, 2, 1, 3)), lambda x: np.reshape(x, (1, 2, 1, 3))),
    ("reshape-()->(1,1)", [()], lambda x: pj.reshape(x, (1, 1)), lambda x: np.reshape(x, (1, 1))),
    ("reshape-(1,1)->()", [(1, 1)], lambda x: pj.reshape(x, ()), lambda x: np.reshape(x, ())),
    ("reshape-(0,3)->(3,0)", [(0, 3)], lambda x: pj.reshape(x, (3, 0)), lambda x: np.reshape(x, (3, 0))),
    ("reshape-(2,3)->(-1,)", [(2, 3)], lambda x: pj.reshape(x, -1), lambda x: np.reshape(x, -1)),
    ("reshape-T-noncontig", [(2, 3)], lambda x: pj.reshape(x.T, (6,)), lambda x: np.reshape(x.T, (6,))),
    ("reshape-method-varargs", [(2, 3)], lambda x: x.reshape(3, 2), lambda x: x.reshape(3, 2)),
    ("flatten", [(2, 3, 2)], lambda x: x.flatten(), lambda x: x.flatten()),
    # transpose
    ("transpose-2d", [(2, 3)], lambda x: pj.transpose(x), lambda x: np.transpose(x)),
    ("transpose-3d-default", [(2, 3, 4)], lambda x: pj.transpose(x), lambda x: np.transpose(x)),
    ("transpose-3d-perm", [(2, 3, 4)], lambda x: pj.transpose(x, (1, 2, 0)), lambda x: np.transpose(x, (1, 2, 0))),
    ("transpose-neg-perm", [(2, 3, 4)], lambda x: pj.transpose(x, (-1, 0, -2)), lambda x: np.transpose(x, (-1, 0, -2))),
    ("transpose-0d", [()], lambda x: pj.transpose(x), lambda x: np.transpose(x)),
    ("transpose-1d", [(4,)], lambda x: pj.transpose(x), lambda x: np.transpose(x)),
    ("transpose-empty", [(0, 3)], lambda x: pj.transpose(x), lambda x: np.transpose(x)),
    ("T", [(2, 3)], lambda x: x.T, lambda x: x.T),
    ("T-3d", [(2, 3, 4)], lambda x: x.T, lambda x: x.T),
    ("transpose-method-varargs", [(2, 3, 4)], lambda x: x.transpose(2, 0, 1), lambda x: x.transpose(2, 0, 1)),
    ("transpose-method-tuple", [(2, 3, 4)], lambda x: x.transpose((2, 0, 1)), lambda x: x.transpose((2, 0, 1))),
    ("transpose-twice", [(2, 3, 4)], lambda x: pj.transpose(pj.transpose(x, (1, 2, 0)), (2, 1, 0)),
     lambda x: np.transpose(np.transpose(x, (1, 2, 0)), (2, 1, 0))),
    # broadcast_to
    ("broadcast_to-(3,)->(2,3)", [(3,)], lambda x: pj.broadcast_to(x, (2, 3)), lambda x: np.broadcast_to(x, (2, 3))),
    ("broadcast_to-(3,1)->(2,3,4)", [(3, 1)], lambda x: pj.broadcast_to(x, (2, 3, 4)),
     lambda x: np.broadcast_to(x, (2, 3, 4))),
    ("broadcast_to-()->(2,2)", [()], lambda x: pj.broadcast_to(x, (2, 2)), lambda x: np.broadcast_to(x, (2, 2))),
    ("broadcast_to-same", [(2, 3)], lambda x: pj.broadcast_to(x, (2, 3)), lambda x: np.broadcast_to(x, (2, 3))),
    ("broadcast_to-(1,)->(0,)", [(1,)], lambda x: pj.broadcast_to(x, (0,)), lambda x: np.broadcast_to(x, (0,))),
    ("broadcast_to-T", [(3, 1)], lambda x: pj.broadcast_to(x.T, (2, 1, 3)), lambda x: np.broadcast_to(x.T, (2, 1, 3))),
    # squeeze
    ("squeeze-all", [(1, 3, 1, 2)], lambda x: pj.squeeze(x), lambda x: np.squeeze(x)),
    ("squeeze-axis", [(1, 3, 1, 2)], lambda x: pj.squeeze(x, 2), lambda x: np.squeeze(x, 2)),
    ("squeeze-neg-axis", [(1, 3, 1)], lambda x: pj.squeeze(x, -1), lambda x: np.squeeze(x, -1)),
    ("squeeze-tuple", [(1, 3, 1, 2)], lambda x: pj.squeeze(x, (0, 2)), lambda x: np.squeeze(x, (0, 2))),
    ("squeeze-to-0d", [(1, 1)], lambda x: pj.squeeze(x), lambda x: np.squeeze(x)),
    ("squeeze-nothing", [(2, 3)], lambda x: pj.squeeze(x), lambda x: np.squeeze(x)),
    ("squeeze-method", [(1, 3, 1)], lambda x: x.squeeze(0), lambda x: x.squeeze(0)),
    # expand_dims
    ("expand_dims-0", [(2, 3)], lambda x: pj.expand_dims(x, 0), lambda x: np.expand_dims(x, 0)),
    ("expand_dims-end", [(2, 3)], lambda x: pj.expand_dims(x, 2), lambda x: np.expand_dims(x, 2)),
    ("expand_dims-neg", [(2, 3)], lambda x: pj.expand_dims(x, -1), lambda x: np.expand_dims(x, -1)),
    ("expand_dims-tuple", [(2, 3)], lambda x: pj.expand_dims(x, (0, 3)), lambda x: np.expand_dims(x, (0, 3))),
    ("expand_dims-tuple-neg", [(2, 3)], lambda x: pj.expand_dims(x, (-1, 1)), lambda x: np.expand_dims(x, (-1, 1))),
    ("expand_dims-0d", [()], lambda x: pj.expand_dims(x, 0), lambda x: np.expand_dims(x, 0)),
    # concatenate
    ("concatenate-axis0", [(2, 3), (1, 3), (3, 3)], *_cat(0)),
    ("concatenate-axis1", [(2, 3), (2, 1)], *_cat(1)),
    ("concatenate-axis-1", [(2, 2, 1), (2, 2, 3)], *_cat(-1)),
    ("concatenate-axis-2", [(2, 1, 3), (2, 2, 3)], *_cat(-2)),
    ("concatenate-None", [(2, 3), (4,), ()], *_cat(None)),
    ("concatenate-single", [(2, 3)], *_cat(0)),
    ("concatenate-with-empty", [(2, 3), (0, 3)], *_cat(0)),
    ("concatenate-1d", [(3,), (2,)], *_cat(0)),
    # stack
    ("stack-axis0", [(2, 3), (2, 3), (2, 3)], *_stack(0)),
    ("stack-axis1", [(2, 3), (2, 3)], *_stack(1)),
    ("stack-axis-1", [(2, 3), (2, 3)], *_stack(-1)),
    ("stack-0d", [(), ()], *_stack(0)),
    ("stack-single", [(4,)], *_stack(0)),
    ("stack-empty", [(0, 2), (0, 2)], *_stack(1)),
]
CASE_IDS = [c[0] for c in CASES]


def _inputs(rng, shapes):
    return [rng.standard_normal(s) for s in shapes]


@pytest.mark.parametrize("name,shapes,fn,ref", CASES, ids=CASE_IDS)
def test_shape_op_values(name, shapes, fn, ref, rng):
    arrays = _inputs(rng, shapes)
    out = fn(*[_t(a) for a in arrays])
    expected = ref(*arrays)
    assert isinstance(out, pj.Tensor)
    assert out.shape == expected.shape
    assert out.dtype == expected.dtype
    np.testing.assert_array_equal(out.numpy(), expected)


@pytest.mark.parametrize("name,shapes,fn,ref", CASES, ids=CASE_IDS)
def test_shape_op_float32_preserved(name, shapes, fn, ref, rng):
    arrays = [a.astype(np.float32) for a in _inputs(rng, shapes)]
    xs = [_t(a, True) for a in arrays]
    out = fn(*xs)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.detach().numpy(), ref(*arrays))
    if out.size:
        gs = pj.grad(pj.sum(out), xs, allow_unused=True)
        for g in gs:
            assert g is None or g.dtype == np.float32


# Cases small enough for finite differences (gradcheck is one forward pass per input element).
GRAD_CASES = [c for c in CASES if sum(int(np.prod(s)) for s in c[1]) <= 24]
GRAD_IDS = [c[0] for c in GRAD_CASES]


@pytest.mark.parametrize("name,shapes,fn,ref", GRAD_CASES, ids=GRAD_IDS)
def test_shape_op_gradcheck(name, shapes, fn, ref, rng):
    xs = [_t(a, True) for a in _inputs(rng, shapes)]
    assert gradcheck(fn, xs)


SECOND_ORDER = ["reshape-T-noncontig", "transpose-3d-perm", "broadcast_to-(3,1)->(2,3,4)", "squeeze-tuple",
                "expand_dims-tuple", "concatenate-axis1", "concatenate-None", "stack-axis-1"]


@pytest.mark.parametrize("name,shapes,fn,ref", [c for c in CASES if c[0] in SECOND_ORDER], ids=SECOND_ORDER)
def test_shape_op_gradgradcheck(name, shapes, fn, ref, rng):
    # f(x) * f(x) so the second derivative is not identically zero
    xs = [_t(a, True) for a in _inputs(rng, shapes)]
    assert gradgradcheck(lambda *xs: fn(*xs) * fn(*xs), xs)


@pytest.mark.parametrize("name,shapes,fn,ref", CASES, ids=CASE_IDS)
def test_shape_op_batched_cotangents(name, shapes, fn, ref, rng, batched_check):
    gs = batched_check(fn, _inputs(rng, shapes), k=3)
    for g, s in zip(gs, shapes):
        assert g.shape == (3,) + tuple(s)


def test_broadcast_to_gradient_sums(rng):
    x = _t(np.array([[1.0], [2.0], [3.0]]), True)
    w = rng.standard_normal((2, 3, 4))
    (g,) = pj.grad(pj.broadcast_to(x, (2, 3, 4)), x, grad_outputs=_t(w))
    np.testing.assert_allclose(g.numpy(), w.sum(axis=(0, 2))[:, None], rtol=1e-14)


def test_concatenate_gradient_slices(rng):
    a, b = _t(np.ones((2, 2)), True), _t(np.ones((2, 3)), True)
    w = np.arange(10.0).reshape(2, 5)
    ga, gb = pj.grad(pj.concatenate([a, b], axis=1), [a, b], grad_outputs=_t(w))
    np.testing.assert_array_equal(ga.numpy(), w[:, :2])
    np.testing.assert_array_equal(gb.numpy(), w[:, 2:])


def test_concatenate_same_tensor_twice_accumulates():
    a = _t(np.array([1.0, 2.0]), True)
    (g,) = pj.grad(pj.concatenate([a, a * 3.0, a]), a, grad_outputs=_t(np.arange(6.0)))
    np.testing.assert_array_equal(g.numpy(), [0 + 3 * 2 + 4, 1 + 3 * 3 + 5])


def test_concatenate_with_constant_input(rng):
    a = _t(rng.standard_normal((2, 2)), True)
    c = _t(rng.standard_normal((1, 2)))
    assert gradcheck(lambda a: pj.concatenate([c, a, c], axis=0), (a,))


def test_stack_gradient_unstacks(rng):
    xs = [_t(rng.standard_normal(3), True) for _ in range(4)]
    w = rng.standard_normal((3, 4))
    gs = pj.grad(pj.stack(xs, axis=1), xs, grad_outputs=_t(w))
    for i, g in enumerate(gs):
        np.testing.assert_array_equal(g.numpy(), w[:, i])


def test_concatenate_mixed_dtypes_promote():
    a = _t(np.ones(2, np.float32), True)
    b = _t(np.ones(3), True)
    out = pj.concatenate([a, b])
    assert out.dtype == np.float64
    ga, gb = pj.grad(pj.sum(out * 2.0), [a, b])
    assert ga.dtype == np.float32 and gb.dtype == np.float64
    np.testing.assert_array_equal(ga.numpy(), [2.0, 2.0])
    i = pj.concatenate([_t(np.array([1, 2])), _t(np.array([0.5]))])
    assert i.dtype == np.float64
    np.testing.assert_array_equal(i.numpy(), [1.0, 2.0, 0.5])


def test_concatenate_and_stack_accept_tuples():
    a, b = _t(np.ones(2)), _t(np.zeros(2))
    np.testing.assert_array_equal(pj.concatenate((a, b)).numpy(), [1, 1, 0, 0])
    np.testing.assert_array_equal(pj.stack((a, b)).numpy(), [[1, 1], [0, 0]])


# ---- views share storage ------------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [lambda x: x.T, lambda x: pj.reshape(x, (3, 2)), lambda x: pj.expand_dims(x, 0),
                                lambda x: pj.broadcast_to(x, (4, 2, 3)), lambda x: pj.squeeze(pj.expand_dims(x, 1))],
                         ids=["T", "reshape", "expand_dims", "broadcast_to", "squeeze"])
def test_views_share_storage(fn):
    x = _t(np.arange(6.0).reshape(2, 3))
    assert np.shares_memory(fn(x).numpy(), x.numpy())


def test_reshape_of_noncontiguous_has_right_order():
    a = np.arange(12.0).reshape(3, 4)
    x = _t(a)
    np.testing.assert_array_equal(pj.reshape(x.T, (2, 6)).numpy(), a.T.reshape(2, 6))
    np.testing.assert_array_equal(pj.reshape(pj.transpose(_t(a.reshape(2, 3, 2)), (2, 0, 1)), (-1,)).numpy(),
                                  a.reshape(2, 3, 2).transpose(2, 0, 1).reshape(-1))


# ---- torch parity --------------------------------------------------------------------------------------
def test_shape_chain_torch_parity(torch, rng):
    a, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((4, 3))
    w = rng.standard_normal((2, 2, 12))

    def pj_fn(x, y):
        z = pj.transpose(x, (0, 2, 1))                         # (2, 4, 3)
        y2 = pj.broadcast_to(pj.expand_dims(y, 0), (2, 4, 3))  # (2, 4, 3)
        s = pj.stack([z, y2], axis=1)                          # (2, 2, 4, 3)
        return pj.reshape(s, (2, 2, 12)) * pj.squeeze(pj.reshape(pj.concatenate([x[:, :1], x[:, 1:]], 1), (1, 2, 12)))

    def torch_fn(x, y):
        z = x.permute(0, 2, 1)
        y2 = y.unsqueeze(0).expand(2, 4, 3)
        s = torch.stack([z, y2], dim=1)
        return s.reshape(2, 2, 12) * torch.cat([x[:, :1], x[:, 1:]], 1).reshape(1, 2, 12).squeeze()

    xa, xb = _t(a, True), _t(b, True)
    out = pj_fn(xa, xb)
    ga, gb = pj.grad(out, [xa, xb], grad_outputs=_t(w))
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    tout = torch_fn(ta, tb)
    tout.backward(torch.tensor(w))
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-14)
    np.testing.assert_allclose(ga.numpy(), ta.grad.numpy(), rtol=1e-13)
    np.testing.assert_allclose(gb.numpy(), tb.grad.numpy(), rtol=1e-13)


# ---- errors -------------------------------------------------------------------------------------------
def test_reshape_errors():
    x = _t(np.ones((2, 3)))
    with pytest.raises(ValueError) as exc:
        pj.reshape(x, (4, 2))
    assert "(2, 3)" in str(exc.value) and "(4, 2)" in str(exc.value)
    with pytest.raises(ValueError):
        pj.reshape(x, (-1, -1))
    with pytest.raises(ValueError):
        pj.reshape(x, (4, -1))
    with pytest.raises(ValueError):
        pj.reshape(x, (-2, -3))
    with pytest.raises(ValueError):
        x.reshape(7)
    with pytest.raises(TypeError):
        pj.reshape(x, (2.0, 3))


def test_transpose_errors():
    x = _t(np.ones((2, 3, 4)))
    with pytest.raises(ValueError):
        pj.transpose(x, (0, 1))
    with pytest.raises(ValueError):
        pj.transpose(x, (0, 1, 1))
    with pytest.raises(ValueError):
        pj.transpose(x, (0, 1, 3))
    with pytest.raises(ValueError):
        x.transpose(0, 2)


def test_broadcast_to_errors():
    x = _t(np.ones((2, 3)))
    for shape in [(3, 3), (3,), (2, 1), (4, 3, 2)]:
        with pytest.raises(ValueError) as exc:
            pj.broadcast_to(x, shape)
        assert "(2, 3)" in str(exc.value) and str(shape) in str(exc.value)


def test_squeeze_errors():
    x = _t(np.ones((1, 3)))
    with pytest.raises(ValueError) as exc:
        pj.squeeze(x, 1)
    assert "(1, 3)" in str(exc.value)
    with pytest.raises(ValueError):
        pj.squeeze(x, 2)
    with pytest.raises(ValueError):
        pj.squeeze(x, (0, 0))


def test_expand_dims_errors():
    x = _t(np.ones((2, 3)))
    with pytest.raises(ValueError):
        pj.expand_dims(x, 3)
    with pytest.raises(ValueError):
        pj.expand_dims(x, -4)
    with pytest.raises(ValueError):
        pj.expand_dims(x, (0, 0))


def test_concatenate_errors():
    a, b = _t(np.ones((2, 3))), _t(np.ones((2, 2)))
    with pytest.raises(ValueError) as exc:
        pj.concatenate([a, b], axis=0)
    assert "(2, 3)" in str(exc.value) and "(2, 2)" in str(exc.value)
    with pytest.raises(ValueError):
        pj.concatenate([a, _t(np.ones(3))])  # different ndim
    with pytest.raises(ValueError):
        pj.concatenate([a, a], axis=2)
    with pytest.raises(ValueError):
        pj.concatenate([_t(np.array(1.0)), _t(np.array(2.0))])
    with pytest.raises(ValueError):
        pj.concatenate([])
    with pytest.raises(TypeError):
        pj.concatenate(a)


def test_stack_errors():
    a, b = _t(np.ones((2, 3))), _t(np.ones((3, 2)))
    with pytest.raises(ValueError) as exc:
        pj.stack([a, b])
    assert "(2, 3)" in str(exc.value) and "(3, 2)" in str(exc.value)
    with pytest.raises(ValueError):
        pj.stack([a, a], axis=3)
    with pytest.raises(ValueError):
        pj.stack([a, a], axis=-4)
    with pytest.raises(ValueError):
        pj.stack([])


def test_failed_shape_op_leaves_input_usable():
    x = _t(np.arange(6.0), True)
    with pytest.raises(ValueError):
        pj.reshape(x, (4, 2))
    (g,) = pj.grad(pj.sum(pj.reshape(x, (2, 3)) * 2.0), x)
    np.testing.assert_array_equal(g.numpy(), np.full(6, 2.0))


# ---- reshape's order ------------------------------------------------------------------------------
ORDER_CASES = [((2, 3), (3, 2)), ((2, 3, 4), (4, -1)), ((6,), (2, 3)), ((2, 3), (6,)), ((2, 1, 3), (3, 1, 2)),
               ((0, 3), (3, 0)), ((), (1, 1)), ((2, 3), (2, 3))]


@pytest.mark.parametrize("order", ["C", "F", "A", "c", "f", "a", None])
@pytest.mark.parametrize("shape, new", ORDER_CASES)
@pytest.mark.parametrize("layout", ["C", "F", "strided"])
def test_reshape_order_values_like_numpy(shape, new, order, layout, rng):
    a = rng.standard_normal(shape)
    if layout == "F":
        a = np.asfortranarray(a)
    x = _t(a)
    if layout == "F":  # the same Fortran layout in pyjac: the transpose of a C-contiguous tensor
        x = pj.transpose(_t(np.ascontiguousarray(a.T)))
    elif layout == "strided":
        a = np.repeat(a, 2, axis=-1)[..., ::2] if a.ndim else a
        x = _t(np.repeat(np.asarray(x), 2, axis=-1))[..., ::2] if a.ndim else x
    expected = np.reshape(a, new, order=order)
    for got in (pj.reshape(x, new, order=order), x.reshape(new, order=order)):
        assert got.shape == expected.shape
        np.testing.assert_array_equal(got.numpy(), expected)


def test_reshape_method_takes_order_with_separate_sizes():
    a = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(_t(a).reshape(3, 2, order="F").numpy(), a.reshape(3, 2, order="F"))


@pytest.mark.parametrize("order", ["F", "A"])
def test_reshape_order_f_is_differentiable(order, rng):
    for shape, new in [((2, 3), (3, 2)), ((2, 3, 2), (4, 3))]:
        a = rng.standard_normal(shape)
        assert gradcheck(lambda x: pj.reshape(x, new, order=order), [_t(a, True)])
        assert gradgradcheck(lambda x: pj.reshape(x, new, order=order) ** 2, [_t(a, True)])
        # forward mode too: J v for one tangent
        v = rng.standard_normal(shape)
        _, t = pj.jvp(lambda x: pj.reshape(x, new, order=order), _t(a), _t(v))
        np.testing.assert_array_equal(t.numpy(), np.reshape(v, new, order=order if order == "F" else "C"))


def test_reshape_order_f_makes_views_where_numpy_does():
    base = _t(np.arange(6.0).reshape(3, 2))
    fortran = pj.transpose(base)  # (2, 3), Fortran-contiguous
    for order in ("F", "A"):
        out = pj.reshape(fortran, (3, 2), order=order)
        assert np.shares_memory(out.numpy(), base.numpy())
        np.testing.assert_array_equal(out.numpy(), np.reshape(np.asarray(fortran), (3, 2), order=order))
    # C-contiguous input in Fortran order: NumPy copies, and so does pyjac
    c = _t(np.arange(6.0).reshape(2, 3))
    assert not np.shares_memory(pj.reshape(c, (3, 2), order="F").numpy(), c.numpy())


@pytest.mark.parametrize("order, exc, text", [
    ("K", ValueError, "reshape: order 'K' is not permitted for reshaping"),
    ("X", ValueError, "reshape: order must be one of 'C', 'F' or 'A', got 'X'"),
    ("CF", ValueError, "reshape: order must be one of"),
    (1, TypeError, "reshape: order must be str, not int"),
])
def test_reshape_order_errors(order, exc, text):
    x = pj.ones((2, 3))
    for f in (lambda: pj.reshape(x, (3, 2), order=order), lambda: x.reshape(3, 2, order=order)):
        with pytest.raises(exc) as ei:
            f()
        assert str(ei.value).startswith(text), str(ei.value)


def test_reshape_order_f_errors_name_the_requested_shape():
    with pytest.raises(ValueError, match=r"reshape: cannot reshape float64 tensor of shape \(2, 3\) into shape \(4, -1\)"):
        pj.reshape(pj.ones((2, 3)), (4, -1), order="F")


def test_concatenate_axis_must_be_one_int_or_none():
    x = pj.ones((2, 3))
    for axis in [(), (0, 1), [0]]:
        with pytest.raises(TypeError, match="concatenate: axis must be an int or None"):
            pj.concatenate([x, x], axis=axis)
    assert pj.concatenate([x, x], axis=None).shape == (12,)
