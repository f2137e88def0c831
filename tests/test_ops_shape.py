"""Shape ops: reshape, transpose (.T), broadcast_to, squeeze, expand_dims, concatenate, stack, and
NumPy's split, array_split, flip, tile, repeat, pad, moveaxis, swapaxes, ravel, flatten,
diagonal, trace, triu, tril, outer, inner, kron.

The ops come from the registry (tests/op_registry, family "shape"); each is also checked at its
registry inputs by tests/test_every_op.py (values against NumPy in float64, float32 and int64,
gradients keeping float32, first and second derivatives, batched cotangents) and
tests/test_forward_mode.py. Here: second derivatives through f(x) * f(x), gradient values, views
sharing storage and copies not, reshape's order, torch parity of chains, and errors that name the
shapes.
"""

import numpy as np
import pytest
from op_registry import params, select

import pyjac as pj
from pyjac.testing import gradcheck, gradgradcheck


def _t(a, requires_grad=False):
    return pj.tensor(np.asarray(a), requires_grad=requires_grad)


SHAPE_OPS = select("shape")
# small enough for finite differences of the gradient (one backward pass per input element)
SECOND_ORDER = [c for c in SHAPE_OPS if 0 < sum(int(np.prod(s)) for s in c.shapes) <= 24]


@pytest.mark.parametrize("case", params(SECOND_ORDER))
def test_shape_op_gradgradcheck(case):
    # f(x) * f(x) so the second derivative is not identically zero
    fn = case.single
    xs = [_t(a, True) for a in case.arrays()]
    assert gradgradcheck(lambda *xs: fn(*xs) * fn(*xs), xs)


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
@pytest.mark.parametrize(
    "fn",
    [
        lambda x: x.T,
        lambda x: pj.reshape(x, (3, 2)),
        lambda x: pj.expand_dims(x, 0),
        lambda x: pj.broadcast_to(x, (4, 2, 3)),
        lambda x: pj.squeeze(pj.expand_dims(x, 1)),
    ],
    ids=["T", "reshape", "expand_dims", "broadcast_to", "squeeze"],
)
def test_views_share_storage(fn):
    x = _t(np.arange(6.0).reshape(2, 3))
    assert np.shares_memory(fn(x).numpy(), x.numpy())


def test_reshape_of_noncontiguous_has_right_order():
    a = np.arange(12.0).reshape(3, 4)
    x = _t(a)
    np.testing.assert_array_equal(pj.reshape(x.T, (2, 6)).numpy(), a.T.reshape(2, 6))
    np.testing.assert_array_equal(
        pj.reshape(pj.transpose(_t(a.reshape(2, 3, 2)), (2, 0, 1)), (-1,)).numpy(),
        a.reshape(2, 3, 2).transpose(2, 0, 1).reshape(-1),
    )


# ---- torch parity --------------------------------------------------------------------------------------
def test_shape_chain_torch_parity(torch, rng):
    a, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((4, 3))
    w = rng.standard_normal((2, 2, 12))

    def pj_fn(x, y):
        z = pj.transpose(x, (0, 2, 1))  # (2, 4, 3)
        y2 = pj.broadcast_to(pj.expand_dims(y, 0), (2, 4, 3))  # (2, 4, 3)
        s = pj.stack([z, y2], axis=1)  # (2, 2, 4, 3)
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
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-14)
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
ORDER_CASES = [
    ((2, 3), (3, 2)),
    ((2, 3, 4), (4, -1)),
    ((6,), (2, 3)),
    ((2, 3), (6,)),
    ((2, 1, 3), (3, 1, 2)),
    ((0, 3), (3, 0)),
    ((), (1, 1)),
    ((2, 3), (2, 3)),
]


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


@pytest.mark.parametrize(
    "order, exc, text",
    [
        ("K", ValueError, "reshape: order 'K' is not permitted for reshaping"),
        ("X", ValueError, "reshape: order must be one of 'C', 'F' or 'A', got 'X'"),
        ("CF", ValueError, "reshape: order must be one of"),
        (1, TypeError, "reshape: order must be str, not int"),
    ],
)
def test_reshape_order_errors(order, exc, text):
    x = pj.ones((2, 3))
    for f in (lambda: pj.reshape(x, (3, 2), order=order), lambda: x.reshape(3, 2, order=order)):
        with pytest.raises(exc) as ei:
            f()
        assert str(ei.value).startswith(text), str(ei.value)


def test_reshape_order_f_errors_name_the_requested_shape():
    with pytest.raises(
        ValueError, match=r"reshape: cannot reshape float64 tensor of shape \(2, 3\) into shape \(4, -1\)"
    ):
        pj.reshape(pj.ones((2, 3)), (4, -1), order="F")


def test_concatenate_axis_must_be_one_int_or_none():
    x = pj.ones((2, 3))
    for axis in [(), (0, 1), [0]]:
        with pytest.raises(TypeError, match="concatenate: axis must be an int or None"):
            pj.concatenate([x, x], axis=axis)
    assert pj.concatenate([x, x], axis=None).shape == (12,)


# ==== NumPy's array functions: split ... kron =========================================================
def test_repeat_gradient_accumulates():
    x = _t(np.array([1.0, 2.0, 3.0]), True)
    (g,) = pj.grad(pj.sum(pj.repeat(x, [3, 0, 2])), x)
    np.testing.assert_array_equal(g.numpy(), [3.0, 0.0, 2.0])
    (g,) = pj.grad(pj.sum(pj.tile(x, (2, 2))), x)
    np.testing.assert_array_equal(g.numpy(), [4.0, 4.0, 4.0])


def test_pad_gradient_is_the_interior_or_the_reflections(rng):
    x = _t(rng.standard_normal((3, 4)), True)
    (g,) = pj.grad(pj.sum(pj.pad(x, ((1, 2), (3, 0)), constant_values=7.0)), x)
    np.testing.assert_array_equal(g.numpy(), np.ones((3, 4)))
    x1 = _t(np.array([1.0, 2.0, 3.0]), True)
    (g,) = pj.grad(pj.sum(pj.pad(x1, 2, mode="reflect")), x1)  # [3 2 1 2 3 2 1]
    np.testing.assert_array_equal(g.numpy(), [2.0, 3.0, 2.0])


def test_trace_gradient_is_identity(rng):
    x = _t(rng.standard_normal((3, 4)), True)
    (g,) = pj.grad(pj.trace(x, 1), x)
    np.testing.assert_array_equal(g.numpy(), np.eye(3, 4, 1))


def test_triu_gradient_masks_and_ignores_nan():
    a = np.full((3, 3), np.nan)
    np.fill_diagonal(a, 1.0)
    x = _t(a, True)
    out = pj.triu(pj.tril(x))
    np.testing.assert_array_equal(out.detach().numpy(), np.eye(3))
    (g,) = pj.grad(pj.sum(out), x)
    np.testing.assert_array_equal(g.numpy(), np.eye(3))


# ---- views and copies of the array functions ------------------------------------------------------
@pytest.mark.parametrize(
    "fn",
    [
        lambda x: pj.diagonal(x),
        lambda x: pj.swapaxes(x, 0, 1),
        lambda x: pj.moveaxis(x, 0, 1),
        lambda x: pj.flip(x, 0),
        lambda x: pj.ravel(x),
        lambda x: pj.split(x, 3)[1],
    ],
    ids=["diagonal", "swapaxes", "moveaxis", "flip", "ravel", "split"],
)
def test_array_function_views_share_storage(fn):
    x = _t(np.arange(9.0).reshape(3, 3))
    v = fn(x)
    np.shares_memory(v.numpy(), x.numpy())
    assert np.shares_memory(v.numpy(), x.numpy())


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: pj.flatten(x),
        lambda x: pj.tile(x, 1),
        lambda x: pj.repeat(x, 1, axis=0),
        lambda x: pj.pad(x, 0),
    ],
    ids=["flatten", "tile", "repeat", "pad"],
)
def test_copies_dont_share_storage(fn):
    x = _t(np.arange(6.0).reshape(2, 3))
    assert not np.shares_memory(fn(x).numpy(), x.numpy())


def test_diagonal_of_a_view_keeps_its_geometry(rng):
    a = rng.standard_normal((4, 5, 6))
    x = _t(a)
    np.testing.assert_array_equal(
        pj.diagonal(x[1:, ::2, ::-1], 1, 2, 0).numpy(), np.diagonal(a[1:, ::2, ::-1], 1, 2, 0)
    )


def test_array_function_methods(rng):
    a = rng.standard_normal((2, 3, 3))
    x = _t(a)
    np.testing.assert_array_equal(x.diagonal(0, 1, 2).numpy(), a.diagonal(0, 1, 2))
    np.testing.assert_allclose(x.trace(0, 1, 2).numpy(), a.trace(0, 1, 2), rtol=1e-14)
    np.testing.assert_array_equal(x.swapaxes(0, 2).numpy(), a.swapaxes(0, 2))
    np.testing.assert_array_equal(x.repeat(2, axis=1).numpy(), a.repeat(2, axis=1))
    np.testing.assert_array_equal(x.ravel().numpy(), a.ravel())
    np.testing.assert_array_equal(x.flatten().numpy(), a.flatten())
    np.testing.assert_array_equal(x.flip(0, 2).numpy(), np.flip(a, (0, 2)))
    np.testing.assert_array_equal(x.flip().numpy(), np.flip(a))
    np.testing.assert_array_equal(x.tile(2, 1).numpy(), np.tile(a, (2, 1)))
    np.testing.assert_array_equal(x.triu(1).numpy(), np.triu(a, 1))
    np.testing.assert_array_equal(x.tril().numpy(), np.tril(a))
    np.testing.assert_array_equal(x.moveaxis(0, -1).numpy(), np.moveaxis(a, 0, -1))
    np.testing.assert_array_equal(x.take([0, 2], axis=1).numpy(), a.take([0, 2], axis=1))
    v = _t(a[0, 0])
    np.testing.assert_array_equal(v.outer(v).numpy(), np.outer(a[0, 0], a[0, 0]))
    np.testing.assert_allclose(v.inner(v).numpy(), np.inner(a[0, 0], a[0, 0]), rtol=1e-14)
    np.testing.assert_array_equal(v.kron(v).numpy(), np.kron(a[0, 0], a[0, 0]))


# ---- torch parity of the array functions ----------------------------------------------------------
def test_array_functions_torch_parity(torch, rng):
    a = rng.standard_normal((3, 4))
    b = rng.standard_normal((4,))
    w = rng.standard_normal((3,))

    def pj_fn(x, y):
        parts = [
            pj.sum(pj.flip(x, 0) * x),
            pj.sum(pj.tile(y, (2, 1)) ** 2),
            pj.trace(x * x),
            pj.sum(pj.triu(x, 1) ** 2),
            pj.sum(pj.tril(x) * 3.0),
            pj.sum(pj.outer(y, y) ** 2),
            pj.inner(y, y * y),
            pj.sum(pj.kron(x, y) ** 2),
            pj.sum(pj.diagonal(x, 1) * pj.tensor(w)),
            pj.sum(pj.swapaxes(x, 0, 1) * pj.moveaxis(x, 0, 1)),
            pj.sum(pj.repeat(y, 2) ** 3),
            pj.sum(pj.pad(x, ((1, 2), (0, 1)), constant_values=0.5) ** 2),
            pj.sum(pj.split(y, 2)[1] ** 2),
        ]
        total = parts[0]
        for p in parts[1:]:
            total = total + p
        return total

    def torch_fn(x, y):
        parts = [
            (torch.flip(x, [0]) * x).sum(),
            (torch.tile(y, (2, 1)) ** 2).sum(),
            torch.trace(x * x),
            (torch.triu(x, 1) ** 2).sum(),
            (torch.tril(x) * 3.0).sum(),
            (torch.outer(y, y) ** 2).sum(),
            torch.inner(y, y * y),
            (torch.kron(x, y) ** 2).sum(),
            (torch.diagonal(x, 1) * torch.tensor(w)).sum(),
            (torch.swapaxes(x, 0, 1) * torch.moveaxis(x, 0, 1)).sum(),
            (torch.repeat_interleave(y, 2) ** 3).sum(),
            (torch.nn.functional.pad(x, (0, 1, 1, 2), value=0.5) ** 2).sum(),
            (torch.split(y, 2)[1] ** 2).sum(),
        ]
        return sum(parts[1:], parts[0])

    x, y = _t(a, True), _t(b, True)
    out = pj_fn(x, y)
    gx, gy = pj.grad(out, [x, y])
    tx = torch.tensor(a, requires_grad=True)
    ty = torch.tensor(b, requires_grad=True)
    tout = torch_fn(tx, ty)
    tgx, tgy = torch.autograd.grad(tout, [tx, ty])
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(gx.numpy(), tgx.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gy.numpy(), tgy.numpy(), rtol=1e-12, atol=1e-12)


# ---- errors of the array functions ----------------------------------------------------------------
@pytest.mark.parametrize(
    "call,exc,match",
    [
        (lambda x: pj.split(x, 4), ValueError, "split: array split does not result in an equal division"),
        (lambda x: pj.split(x, 0), ValueError, "split: number sections must be larger than 0"),
        (lambda x: pj.array_split(x, -1), ValueError, "array_split: number sections"),
        (lambda x: pj.split(x, 2, axis=2), ValueError, "split: axis 2 is out of bounds"),
        (lambda x: pj.split(pj.tensor(1.0), 1), ValueError, "split: cannot split a 0-d tensor"),
        (lambda x: pj.flip(x, 2), ValueError, "flip: axis 2 is out of bounds"),
        (lambda x: pj.tile(x, (-1, 2)), ValueError, "tile: negative"),
        (lambda x: pj.repeat(x, [1, 2], axis=0), ValueError, r"repeat: .*\(2,\)"),
        (lambda x: pj.repeat(x, -1), ValueError, "repeat: negative"),
        (lambda x: pj.repeat(x, 1.5), TypeError, "repeat: repeats must be integers"),
        (lambda x: pj.repeat(x, 2, axis=3), ValueError, "repeat: axis 3 is out of bounds"),
        (lambda x: pj.pad(x, -1), ValueError, "pad: pad_width can't contain negative values"),
        (lambda x: pj.pad(x, ((1, 2), (1, 2), (1, 2))), ValueError, "pad: pad_width"),
        (lambda x: pj.pad(x, 1, mode="median"), ValueError, "pad: mode 'median' is not supported"),
        (lambda x: pj.pad(pj.zeros((0, 2)), 1, mode="edge"), ValueError, "pad: can't extend empty axis 0"),
        (lambda x: pj.moveaxis(x, [0, 1], [0]), ValueError, "moveaxis: `source` and `destination`"),
        (lambda x: pj.moveaxis(x, [0, 0], [0, 1]), ValueError, "moveaxis: repeated axis"),
        (lambda x: pj.moveaxis(x, 2, 0), ValueError, "moveaxis: axis 2 is out of bounds"),
        (lambda x: pj.swapaxes(x, 0, 2), ValueError, "swapaxes: axis 2 is out of bounds"),
        (
            lambda x: pj.diagonal(pj.ones(3)),
            ValueError,
            r"diagonal: input must be at least 2-d, got float64 tensor of shape \(3,\)",
        ),
        (lambda x: pj.diagonal(x, 0, 1, -1), ValueError, "diagonal: axis1 and axis2 cannot be the same"),
        (lambda x: pj.trace(x, 0, 0, 5), ValueError, "diagonal: axis 5 is out of bounds"),
        (lambda x: pj.triu(pj.tensor(1.0)), ValueError, "triu: input must be at least 1-d"),
        (lambda x: pj.tril(pj.tensor(1.0)), ValueError, "tril: input must be at least 1-d"),
        (lambda x: pj.inner(x, pj.ones((2, 4))), ValueError, r"inner: shapes \(3, 2\) and \(2, 4\) not aligned"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_array_function_errors(call, exc, match):
    x = pj.ones((3, 2))
    with pytest.raises(exc, match=match):
        call(x)


def test_split_argument_forms(rng):
    a = rng.standard_normal((6, 2))
    for arg in (3, np.int64(3), np.array(3), np.array([1, 4]), (1, 4), [], pj.tensor(np.array([2]))):
        expected = np.split(a, arg.numpy() if isinstance(arg, pj.Tensor) else arg)
        got = pj.split(_t(a), arg)
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            np.testing.assert_array_equal(g.numpy(), e)


def test_failed_split_leaves_input_usable(rng):
    a = rng.standard_normal((3, 2))
    x = _t(a, True)
    with pytest.raises(ValueError):
        pj.split(x, 2)
    (g,) = pj.grad(pj.sum(pj.flip(x) * 2.0), x)
    np.testing.assert_array_equal(g.numpy(), np.full((3, 2), 2.0))
