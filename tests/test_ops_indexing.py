"""Basic indexing: ints, slices with any step (negative too), None, Ellipsis.

Each index expression (a registry entry) is compared with NumPy and its derivatives checked by
tests/test_every_op.py and tests/test_forward_mode.py; here its gradient is checked to be the
scatter of the cotangent into zeros, its second derivative through x[i] * x[i], and chains,
views, iteration, errors and torch parity.
"""

import numpy as np
import pytest
from op_registry import params, select

import pyjac as pj
from pyjac.testing import gradcheck, gradgradcheck


def _t(a, requires_grad=False):
    return pj.tensor(np.asarray(a), requires_grad=requires_grad)


class _Index:
    """``_I[...]`` returns the index object itself, so tables can spell indices naturally."""

    def __getitem__(self, idx):
        return idx


_I = _Index()

# The index cases are registry entries (tests/op_registry/indexing.py, tag "basic"): their values
# (float64, float32, int64), first and second derivatives and batched cotangents run in
# tests/test_every_op.py, forward mode in tests/test_forward_mode.py. `args[0]` is the index.
BASIC = select("indexing", tags="basic")


@pytest.mark.parametrize("case", params(BASIC))
def test_index_gradient_is_scatter(case, rng):
    (idx,), (shape,) = case.args, case.shapes
    a = rng.standard_normal(shape)
    x = _t(a, True)
    out = x[idx]
    w = rng.standard_normal(out.shape)
    (g,) = pj.grad(out, x, grad_outputs=_t(w))
    expected = np.zeros(shape)
    expected[idx] = w
    assert g.shape == shape
    np.testing.assert_array_equal(g.numpy(), expected)


@pytest.mark.parametrize("case", params([c for c in BASIC if np.prod(c.shapes[0]) > 0]))
def test_index_gradgradcheck(case, rng):
    (idx,), (shape,) = case.args, case.shapes
    x = _t(rng.standard_normal(shape), True)
    assert gradgradcheck(lambda x: x[idx] * x[idx], (x,))


def test_index_float32_gradient(rng):
    a = rng.standard_normal((3, 4)).astype(np.float32)
    x = _t(a, True)
    (g,) = pj.grad(pj.sum(x[::-1, 1:3]), x)
    assert g.dtype == np.float32
    expected = np.zeros((3, 4), np.float32)
    expected[:, 1:3] = 1
    np.testing.assert_array_equal(g.numpy(), expected)


# ---- composition ----------------------------------------------------------------------------------------
def test_chained_indexing_values_and_gradient(rng):
    a = rng.standard_normal((4, 5, 3))
    x = _t(a, True)
    fn = lambda x: x[::-1][1:, ::2][..., -1][::-1, None]  # noqa: E731
    np.testing.assert_array_equal(fn(x).detach().numpy(), fn(a))
    assert gradcheck(fn, (_t(rng.standard_normal((3, 4, 2)), True)))


def test_overlapping_indices_accumulate(rng):
    x = _t(np.arange(5.0), True)
    y = x[1:4] * 2.0 + x[::-1][1:4] + x[2] * 10.0
    (g,) = pj.grad(pj.sum(y), x)
    # x[1:4] -> 2 on 1,2,3 ; x[::-1][1:4] = x[3], x[2], x[1] -> 1 each ; x[2] * 10 broadcast over 3 -> 30
    np.testing.assert_array_equal(g.numpy(), [0.0, 3.0, 33.0, 3.0, 0.0])


def test_index_of_transposed_and_broadcast_views(rng):
    a = rng.standard_normal((3, 4))
    x = _t(a)
    np.testing.assert_array_equal(x.T[::-1, 1].numpy(), a.T[::-1, 1])
    b = pj.broadcast_to(_t(a[:, :1]), (3, 4))
    np.testing.assert_array_equal(b[::-2, 1:].numpy(), np.broadcast_to(a[:, :1], (3, 4))[::-2, 1:])
    np.testing.assert_array_equal(pj.reshape(x[::-1, ::2], (-1,)).numpy(), a[::-1, ::2].reshape(-1))
    assert gradcheck(lambda x: pj.reshape(x.T[::-1, 1:], (-1,)), (_t(a, True),))


def test_index_results_are_views(rng):
    a = rng.standard_normal((3, 4))
    x = _t(a)
    for idx in (_I[1], _I[:, ::2], _I[::-1], _I[None, 1:]):
        assert np.shares_memory(x[idx].numpy(), x.numpy())


def test_numpy_of_negative_step_view_is_correct(rng):
    a = rng.standard_normal((3, 4))
    v = _t(a)[::-1, ::-2]
    np.testing.assert_array_equal(np.asarray(v), a[::-1, ::-2])
    np.testing.assert_array_equal(v.tolist(), a[::-1, ::-2].tolist())
    np.testing.assert_array_equal((v * 1.0).numpy(), a[::-1, ::-2])
    np.testing.assert_array_equal(v.copy().numpy(), a[::-1, ::-2])


def test_iteration_and_len(rng):
    a = rng.standard_normal((3, 2))
    x = _t(a)
    assert len(x) == 3
    rows = list(x)
    assert len(rows) == 3
    for r, e in zip(rows, a):
        np.testing.assert_array_equal(r.numpy(), e)


def test_index_item(rng):
    a = rng.standard_normal((2, 3))
    assert _t(a)[1, 2].item() == a[1, 2]
    assert _t(np.arange(6).reshape(2, 3))[-1, -1].item() == 5


# ---- errors ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "shape,idx",
    [
        ((3,), _I[3]),
        ((3,), _I[-4]),
        ((2, 3), _I[0, 3]),
        ((2, 3), _I[-3]),
        ((0,), _I[0]),
        ((2, 3), _I[1, ..., 5]),
    ],
    ids=lambda v: str(v),
)
def test_index_out_of_bounds(shape, idx):
    with pytest.raises(IndexError) as np_exc:
        np.zeros(shape)[idx]
    assert np_exc
    with pytest.raises(IndexError) as exc:
        _t(np.zeros(shape))[idx]
    assert "out of bounds" in str(exc.value)


@pytest.mark.parametrize(
    "shape,idx", [((3,), _I[0, 0]), ((2, 3), _I[0, 1, 2]), ((), _I[0]), ((2,), _I[..., 0, 0])], ids=str
)
def test_too_many_indices(shape, idx):
    with pytest.raises(IndexError):
        _t(np.zeros(shape))[idx]


def test_two_ellipses():
    with pytest.raises(IndexError):
        _t(np.zeros((2, 3)))[..., 0, ...]


def test_zero_step():
    with pytest.raises(ValueError):
        _t(np.zeros(4))[::0]


# Lists, arrays and bools are advanced indices now (tests/test_indexing_advanced.py).
@pytest.mark.parametrize(
    "idx", [1.5, "a", np.array([0.0, 1.0]), None.__class__], ids=["float", "str", "float-array", "type"]
)
def test_unsupported_index_types_raise_cleanly(idx):
    x = _t(np.arange(3.0))
    with pytest.raises((IndexError, TypeError)):
        x[idx]
    np.testing.assert_array_equal(x.numpy(), [0.0, 1.0, 2.0])


def test_numpy_integer_indices_work():
    a = np.arange(12.0).reshape(3, 4)
    x = _t(a)
    np.testing.assert_array_equal(x[np.int64(1), np.int32(-1)].numpy(), a[1, -1])
    np.testing.assert_array_equal(x[np.int64(0) : np.int64(3) : np.int64(2)].numpy(), a[0:3:2])


# ---- torch parity --------------------------------------------------------------------------------------
def test_indexing_torch_parity(torch, rng):
    # torch has no negative steps: compare x[::-1] with flip
    a = rng.standard_normal((4, 5, 3))
    w = rng.standard_normal((3, 3, 1))
    x = _t(a, True)
    out = x[1:, ::-2, None, -1]
    (g,) = pj.grad(out, x, grad_outputs=_t(w))
    tx = torch.tensor(a, requires_grad=True)
    tout = tx[1:].flip(1)[:, ::2, None, -1]
    tout.backward(torch.tensor(w))
    np.testing.assert_array_equal(out.detach().numpy(), tout.detach().numpy())
    np.testing.assert_array_equal(g.numpy(), tx.grad.numpy())
