"""Advanced indexing in __getitem__ (integer arrays, bool masks, mixed with ints, slices, None and
Ellipsis), take, take_along_axis and the out-of-place index_put behind __setitem__.

Every index (a registry entry, as are take and take_along_axis) is compared with NumPy on the same
array, given as NumPy arrays and as tensors; where the broadcast index dims land (front when the
arrays are separated, in place when adjacent) is part of that. The gradient is a scatter-add
(repeated indices accumulate): finite differences to second order, batched cotangents and forward
mode run in tests/test_every_op.py and tests/test_forward_mode.py; here repeated indices, index_put,
errors and torch.
"""

import numpy as np
import pytest
from _derivative_checks import check_derivatives
from op_registry import params, select
from op_registry.indexing import BAD_BROADCAST

import pyjac as pj


def _t(a, requires_grad=False):
    return pj.tensor(np.asarray(a), requires_grad=requires_grad)


class _Index:
    def __getitem__(self, idx):
        return idx


_I = _Index()
_M = np.array([[True, False, True, False], [False, False, True, True], [True, True, False, False]])

# The index cases are registry entries (tests/op_registry/indexing.py, tag "advanced"): their values,
# first and second derivatives and batched cotangents run in tests/test_every_op.py, forward mode in
# tests/test_forward_mode.py. `args[0]` is the index; one case NumPy rejects is an error case below.
ADVANCED = select("indexing", tags="advanced")


def _as_pyjac_index(index):
    """The same index with every array (and list) as a pyjac tensor."""
    items = index if isinstance(index, tuple) else (index,)
    out = tuple(
        pj.tensor(np.asarray(i, dtype=np.int64 if isinstance(i, list) else None))
        if isinstance(i, (list, np.ndarray))
        else i
        for i in items
    )
    return out if isinstance(index, tuple) else out[0]


@pytest.mark.parametrize("as_tensor", [False, True], ids=["numpy-index", "tensor-index"])
@pytest.mark.parametrize("case", params(ADVANCED))
def test_values(case, as_tensor, rng):
    (index,), (shape,) = case.args, case.shapes
    a = rng.standard_normal(shape)
    expected = a[index]
    out = _t(a)[_as_pyjac_index(index) if as_tensor else index]
    assert out.shape == expected.shape
    assert out.dtype == expected.dtype
    np.testing.assert_array_equal(out.numpy(), expected)


@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.bool_])
def test_values_keep_dtype(dtype, rng):
    a = (rng.standard_normal((3, 4)) * 3).astype(dtype)
    for index in (_I[[0, 2], 1:], _I[_M], _I[1, [3, 3]]):
        out = _t(a)[index]
        assert out.dtype == a.dtype
        np.testing.assert_array_equal(out.numpy(), a[index])


def test_result_is_a_copy():
    a = np.arange(12.0).reshape(3, 4)
    x = _t(a)
    y = x[[0, 1]]
    assert not np.shares_memory(y.numpy(), x.numpy())


def test_index_of_a_view(rng):
    a = rng.standard_normal((4, 5, 6))
    v = _t(a)[1:, ::-2].transpose()
    np.testing.assert_array_equal(v[[0, 5], :, [2, 1]].numpy(), a[1:, ::-2].T[[0, 5], :, [2, 1]])


def test_repeated_indices_accumulate():
    x = _t(np.arange(4.0), True)
    (g,) = pj.grad(pj.sum(x[[0, 2, 0, 0, 3]]), x)
    np.testing.assert_array_equal(g.numpy(), [3.0, 0.0, 1.0, 1.0])
    w = np.array([1.0, 10.0, 100.0, 1000.0, 10000.0])
    (g,) = pj.grad(x[[0, 2, 0, 0, 3]], x, grad_outputs=_t(w))
    np.testing.assert_array_equal(g.numpy(), [1101.0, 0.0, 10.0, 10000.0])


def test_repeated_indices_second_derivative():
    # f = sum(x[i]**3) with i = [1, 1]: df/dx1 = 6 x1**2, d2f/dx1^2 = 12 x1.
    x = _t(np.array([0.5, 2.0]), True)
    (g,) = pj.grad(pj.sum(x[[1, 1]] ** 3), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), [0.0, 24.0])
    (h,) = pj.grad(g[1], x)
    np.testing.assert_allclose(h.numpy(), [0.0, 24.0])


def test_index_jvp_matches_gather(rng):
    a, v = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    index = _I[[2, 0, 2], 1:]
    value, tangent = pj.jvp(lambda x: x[index], (_t(a),), (_t(v),))
    np.testing.assert_array_equal(value.numpy(), a[index])
    np.testing.assert_array_equal(tangent.numpy(), v[index])


def test_torch_parity(torch, rng):
    a = rng.standard_normal((3, 4, 5))
    w = rng.standard_normal((2, 4, 2))
    idx0, idx2 = np.array([2, 0]), np.array([[1, 4, 4], [4, 4, 0]])
    mask = a[0] > 0

    def both(lib, x, t):
        return (
            lib.sum(x[idx0, :, 1:3] * t(w))
            + lib.sum(x[:, [1, 1, 2], idx2[0]] ** 2)
            + lib.sum(x[1][t(mask)] ** 3)
            + lib.sum(x[..., [0, 0, 0]] * x[..., [4, 3, 2]])
        )

    x = _t(a, True)
    out = both(pj, x, lambda v: pj.tensor(v))
    (g,) = pj.grad(out, x)
    tx = torch.tensor(a, requires_grad=True)
    tout = both(torch, tx, lambda v: torch.tensor(v))
    (tg,) = torch.autograd.grad(tout, tx)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=1e-12, atol=1e-12)


# ---- errors ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "index,match",
    [
        (_I[[0, 3]], r"index 3 is out of bounds for axis 0 with size 3"),
        (_I[:, [-5]], r"index -5 is out of bounds for axis 1 with size 4"),
        (_I[[0], 7], r"index 7 is out of bounds for axis 1 with size 4"),
        (
            _I[[0, 1], [0, 1, 2]],
            r"shape mismatch: indexing arrays could not be broadcast together with shapes \(2,\) \(3,\)",
        ),
        (_I[np.array([0.0, 1.0])], r"arrays used as indices must be of integer \(or boolean\) type, got float64"),
        (_I[[1.5]], r"arrays used as indices must be of integer \(or boolean\) type"),
        (
            _I[_M[:2]],
            r"boolean index did not match indexed array along axis 0; size of axis is 3 but size of "
            r"corresponding boolean axis is 2",
        ),
        (_I[:, _M[0, :3]], r"boolean index did not match indexed array along axis 1; size of axis is 4"),
        (_I[[0], [0], [0]], r"too many indices for tensor: tensor is 2-dimensional, but 3 were indexed"),
        (_I[..., [0], ...], r"an index can only have a single ellipsis"),
        (_I["a"], r"only integers, slices"),
        (_I[[0, "a"]], r"only integers, slices|integer \(or boolean\)"),
        (_I[1.0], r"only integers, slices"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_errors(index, match):
    x = _t(np.zeros((3, 4)), True)
    with pytest.raises(IndexError, match=match):
        x[index]
    (g,) = pj.grad(pj.sum(x[[0, 0]]), x)  # the tensor is still fine
    assert g.numpy()[0].tolist() == [2.0] * 4


@pytest.mark.parametrize("shape,index", BAD_BROADCAST)
def test_errors_where_numpy_rejects_the_broadcast(shape, index):
    assert BAD_BROADCAST  # the registry's table keeps one such case
    with pytest.raises(IndexError, match=r"shape mismatch: indexing arrays could not be broadcast together"):
        _t(np.zeros(shape))[index]


# ---- take / take_along_axis ------------------------------------------------------------------------
# (values and derivatives of the registry's take and take_along_axis entries: tests/test_every_op.py)
def test_take_along_axis_with_argsort_of_values(rng):
    a = rng.standard_normal((3, 4))
    order = np.argsort(a, axis=1)
    x = _t(a, True)
    s = pj.take_along_axis(x, order, 1)
    np.testing.assert_array_equal(s.detach().numpy(), np.sort(a, axis=1))
    (g,) = pj.grad(pj.sum(s * pj.arange(4.0)), x)
    expected = np.empty_like(a)
    np.put_along_axis(expected, order, np.broadcast_to(np.arange(4.0), (3, 4)), axis=1)
    np.testing.assert_array_equal(g.numpy(), expected)


@pytest.mark.parametrize(
    "call,exc,match",
    [
        (lambda x: pj.take(x, [3]), IndexError, "index 3 is out of bounds for axis 0 with size 3"),
        (lambda x: pj.take(x, [0], axis=2), ValueError, "take: axis 2 is out of bounds"),
        (lambda x: pj.take(x, [0.5]), TypeError, "take: indices must be integers"),
        (lambda x: pj.take(pj.tensor(1.0), [0], axis=0), ValueError, "take"),
        (
            lambda x: pj.take_along_axis(x, [[0]], None),
            ValueError,
            "when axis=None, `indices` must have a single dimension",
        ),
        (lambda x: pj.take_along_axis(pj.ones((2, 3)), [0], 1), ValueError, "must have the same number of dimensions"),
        (lambda x: pj.take_along_axis(pj.ones((2, 3)), [[0.0]], 1), IndexError, "must be an integer array"),
        (lambda x: pj.take_along_axis(pj.ones((2, 3)), [[3]], 1), IndexError, "index 3 is out of bounds for axis 1"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_take_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call(pj.ones(3))


# ---- index_put (out of place x[index] = values) ------------------------------------------------
PUT_CASES = [
    ((5,), _I[[0, 2]], (2,)),
    ((5,), _I[1:4], ()),
    ((3, 4), _I[1], (4,)),
    ((3, 4), _I[1, 2], ()),
    ((3, 4), _I[:, [0, 3]], (3, 1)),
    ((3, 4), _I[_M], (6,)),
    ((2, 3, 4), _I[[0, 1], :, [1, 3]], (3,)),  # broadcast dims in front
    ((2, 3, 4), _I[..., ::2], (2, 1, 2)),
    ((3, 4), _I[[2, 0], None, [1, 1]], (2, 1)),
]


@pytest.mark.parametrize("shape,index,vshape", PUT_CASES)
def test_index_put_values_and_derivatives(shape, index, vshape, rng):
    a, v = rng.standard_normal(shape), rng.standard_normal(vshape)
    expected = a.copy()
    expected[index] = v
    out = pj._core.index_put(_t(a), index, _t(v))
    np.testing.assert_array_equal(out.numpy(), expected)
    check_derivatives(lambda x, y: pj._core.index_put(x, index, y), [a, v])


def test_index_put_repeated_indices_last_write_wins():
    a = np.zeros(4)
    v = np.array([1.0, 2.0, 3.0, 4.0])
    expected = a.copy()
    expected[[1, 3, 1, 1]] = v
    x, y = _t(a, True), _t(v, True)
    out = pj._core.index_put(x, [1, 3, 1, 1], y)
    np.testing.assert_array_equal(out.detach().numpy(), expected)  # [0, 4, 0, 2]
    gx, gy = pj.grad(out, [x, y], grad_outputs=_t([10.0, 20.0, 30.0, 40.0]))
    np.testing.assert_array_equal(gx.numpy(), [10.0, 0.0, 30.0, 0.0])
    np.testing.assert_array_equal(gy.numpy(), [0.0, 40.0, 0.0, 20.0])
    check_derivatives(lambda x, y: pj._core.index_put(x, [1, 3, 1, 1], y), [a + 1.0, v])


def test_index_put_casts_values_and_leaves_input_alone(rng):
    a = rng.standard_normal((2, 3)).astype(np.float32)
    x = _t(a)
    out = pj._core.index_put(x, (0, [0, 2]), 7)
    assert out.dtype == np.float32
    expected = a.copy()
    expected[0, [0, 2]] = 7
    np.testing.assert_array_equal(out.numpy(), expected)
    np.testing.assert_array_equal(x.numpy(), a)
    xi = _t(np.arange(6).reshape(2, 3))
    np.testing.assert_array_equal(pj._core.index_put(xi, _I[:, 1], 2.7).numpy(), [[0, 2, 2], [3, 2, 5]])


def test_index_put_errors():
    x = pj.zeros((3, 4))
    with pytest.raises(
        ValueError,
        match=r"index_put: shape mismatch: value array of shape \(3,\) could not be "
        r"broadcast to indexing result of shape \(2, 4\)",
    ):
        pj._core.index_put(x, [0, 1], pj.ones(3))
    with pytest.raises(IndexError, match="index 4 is out of bounds for axis 1 with size 4"):
        pj._core.index_put(x, (0, 4), 1.0)
