"""Tensor creation, dtypes, NumPy interop, views and repr."""

import re

import numpy as np
import pytest

import pyjac as pj

FLOAT_DTYPES = [pj.float32, pj.float64]
ALL_DTYPES = [pj.float32, pj.float64, pj.int64, pj.bool_]


# ---- dtypes ---------------------------------------------------------------------------------


def test_dtype_names_are_numpy_dtypes():
    assert pj.float32 == np.float32
    assert pj.float64 == np.float64
    assert pj.int64 == np.int64
    assert pj.bool_ == np.bool_
    assert np.dtype(pj.float32) == np.dtype("float32")


def test_dtype_attribute_is_a_numpy_dtype():
    t = pj.zeros(2, dtype=pj.float32)
    assert isinstance(t.dtype, np.dtype)
    assert t.dtype == np.float32
    assert t.dtype == pj.float32
    assert t.dtype != np.float64


@pytest.mark.parametrize(
    "data, dtype",
    [
        (1.5, np.float64),
        ([1.0, 2.0], np.float64),
        ([[1.0], [2.0]], np.float64),
        (3, np.int64),
        ([1, 2, 3], np.int64),
        (True, np.bool_),
        ([True, False], np.bool_),
        ([1, 2.5], np.float64),
    ],
)
def test_python_data_dtype(data, dtype):
    t = pj.tensor(data)
    assert t.dtype == dtype
    np.testing.assert_array_equal(t.numpy(), np.asarray(data))


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_arrays_keep_their_dtype(dtype):
    a = np.array([[1, 0, 1], [0, 1, 1]]).astype(dtype)
    t = pj.tensor(a)
    assert t.dtype == dtype
    assert t.shape == (2, 3)
    np.testing.assert_array_equal(t.numpy(), a)


def test_numpy_scalars_keep_their_dtype():
    assert pj.tensor(np.float32(1.5)).dtype == np.float32
    assert pj.tensor(np.array(2.0, dtype=np.float32)).dtype == np.float32
    assert pj.tensor(np.float64(1.5)).dtype == np.float64


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_tensor_dtype_argument_converts(dtype):
    t = pj.tensor([0.0, 1.0, 2.0], dtype=dtype)
    assert t.dtype == dtype
    np.testing.assert_array_equal(t.numpy(), np.array([0.0, 1.0, 2.0]).astype(dtype))


def test_tensor_dtype_argument_accepts_strings_and_dtype_objects():
    assert pj.tensor([1, 2], dtype="float32").dtype == np.float32
    assert pj.tensor([1, 2], dtype=np.dtype("float64")).dtype == np.float64


# ---- tensor / asarray -----------------------------------------------------------------------


def test_tensor_copies_numpy_input():
    a = np.array([1.0, 2.0, 3.0])
    t = pj.tensor(a)
    a[0] = 100.0
    assert t.tolist() == [1.0, 2.0, 3.0]


def test_tensor_of_tensor_is_a_copy():
    a = pj.tensor([1.0, 2.0])
    b = pj.tensor(a)
    assert b is not a
    b.numpy()[0] = 7.0
    assert a.tolist() == [1.0, 2.0], "pj.tensor(t) must copy, like torch.tensor / np.array"


def test_tensor_of_tensor_keeps_the_gradient_path():
    # A copy, as np.array(t), but never a silent detach (issue 13): torch.tensor(t) detaches;
    # in pyjac that is t.detach().
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    z = pj.tensor(x * 2)
    assert z.requires_grad and z.grad_fn is not None
    assert z.tolist() == [2.0, 4.0]
    (g,) = pj.grad((z * z).sum(), x)
    assert g.tolist() == [8.0, 16.0]
    d = pj.tensor((x * 2).detach())
    assert not d.requires_grad and d.grad_fn is None


def test_tensor_requires_grad():
    t = pj.tensor([1.0, 2.0], requires_grad=True)
    assert t.requires_grad
    assert t.is_leaf
    assert t.grad is None
    assert t.grad_fn is None


def test_asarray_returns_same_tensor():
    t = pj.tensor([1.0, 2.0])
    assert pj.asarray(t) is t
    assert pj.asarray(t, dtype=pj.float64) is t


def test_asarray_converts_dtype_and_other_data():
    t = pj.tensor([1.0, 2.0])
    u = pj.asarray(t, dtype=pj.float32)
    assert u.dtype == np.float32
    assert u.tolist() == [1.0, 2.0]
    v = pj.asarray([[1, 2], [3, 4]])
    assert v.dtype == np.int64 and v.shape == (2, 2)
    w = pj.asarray(np.ones(3, dtype=np.float32), requires_grad=True)
    assert w.dtype == np.float32 and w.requires_grad


# ---- creation functions ---------------------------------------------------------------------


@pytest.mark.parametrize("fn, value", [(pj.zeros, 0.0), (pj.ones, 1.0)])
def test_zeros_ones(fn, value):
    for t in (fn(2, 3), fn((2, 3)), fn([2, 3])):
        assert t.shape == (2, 3)
        assert t.dtype == np.float64
        np.testing.assert_array_equal(t.numpy(), np.full((2, 3), value))
    assert fn(()).shape == ()
    assert fn(0).shape == (0,)
    assert fn(4).shape == (4,)


@pytest.mark.parametrize("fn", [pj.zeros, pj.ones, pj.rand, pj.randn, pj.empty])
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_creation_dtype_and_requires_grad(fn, dtype):
    t = fn(3, 2, dtype=dtype, requires_grad=True)
    assert t.shape == (3, 2)
    assert t.dtype == dtype
    assert t.requires_grad and t.is_leaf and t.grad_fn is None


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_zeros_ones_all_dtypes(dtype):
    np.testing.assert_array_equal(pj.zeros(2, dtype=dtype).numpy(), np.zeros(2, dtype=dtype))
    np.testing.assert_array_equal(pj.ones(2, dtype=dtype).numpy(), np.ones(2, dtype=dtype))
    assert pj.zeros(2, dtype=dtype).dtype == dtype


def test_full():
    t = pj.full((2, 3), 1.5)
    assert t.dtype == np.float64
    np.testing.assert_array_equal(t.numpy(), np.full((2, 3), 1.5))
    assert pj.full((2,), 3).dtype == np.int64
    assert pj.full((2,), True).dtype == np.bool_
    assert pj.full(4, 2.0).shape == (4,)
    f = pj.full((2, 2), 7, dtype=pj.float32, requires_grad=True)
    assert f.dtype == np.float32 and f.requires_grad
    np.testing.assert_array_equal(f.detach().numpy(), np.full((2, 2), 7, dtype=np.float32))


@pytest.mark.parametrize("dtype", [None] + ALL_DTYPES)
def test_like_functions(dtype):
    base = pj.tensor(np.arange(6, dtype=np.float32).reshape(2, 3))
    expected_dtype = np.float32 if dtype is None else dtype
    z = pj.zeros_like(base, dtype=dtype)
    o = pj.ones_like(base, dtype=dtype)
    f = pj.full_like(base, 1, dtype=dtype)
    for t, v in ((z, 0), (o, 1), (f, 1)):
        assert t.shape == (2, 3)
        assert t.dtype == expected_dtype
        np.testing.assert_array_equal(t.numpy(), np.full((2, 3), v, dtype=expected_dtype))


def test_like_functions_requires_grad_and_numpy_input():
    base = pj.tensor([1.0, 2.0], requires_grad=True)
    z = pj.zeros_like(base)
    assert not z.requires_grad, "zeros_like does not inherit requires_grad"
    assert pj.ones_like(base, requires_grad=True).requires_grad
    assert pj.full_like(np.zeros((2, 2)), 3.0).tolist() == [[3.0, 3.0], [3.0, 3.0]]


@pytest.mark.parametrize(
    "args, kwargs",
    [
        ((3,), {}),
        ((2, 4), {}),
        ((4, 3), {"k": 1}),
        ((3,), {"k": -1}),
        ((3, 3), {"k": 5}),
    ],
)
def test_eye(args, kwargs):
    n = args[0]
    m = args[1] if len(args) > 1 else None
    np.testing.assert_array_equal(pj.eye(*args, **kwargs).numpy(), np.eye(n, m, **kwargs))


def test_eye_dtype_requires_grad():
    e = pj.eye(2, dtype=pj.float32, requires_grad=True)
    assert e.dtype == np.float32 and e.requires_grad
    assert pj.eye(2).dtype == np.float64


@pytest.mark.parametrize("args", [(5,), (2, 7), (1, 10, 3), (0.0, 1.0, 0.25), (5.0,), (3, -3, -1), (0,)])
def test_arange_matches_numpy(args):
    t = pj.arange(*args)
    a = np.arange(*args)
    assert t.dtype == a.dtype
    np.testing.assert_allclose(t.numpy(), a)


def test_arange_dtype_requires_grad():
    t = pj.arange(4, dtype=pj.float32, requires_grad=True)
    assert t.dtype == np.float32 and t.requires_grad
    np.testing.assert_array_equal(t.detach().numpy(), np.arange(4, dtype=np.float32))
    assert pj.arange(4.0).dtype == np.float64


@pytest.mark.parametrize(
    "args, kwargs",
    [
        ((0, 1), {}),
        ((0, 1, 5), {}),
        ((-2, 3, 7), {"endpoint": False}),
        ((1, 1, 1), {}),
        ((0, 1, 0), {}),
    ],
)
def test_linspace_matches_numpy(args, kwargs):
    np.testing.assert_allclose(pj.linspace(*args, **kwargs).numpy(), np.linspace(*args, **kwargs))


def test_linspace_dtype_requires_grad():
    t = pj.linspace(0, 1, 3, dtype=pj.float32, requires_grad=True)
    assert t.dtype == np.float32 and t.requires_grad


def test_rand_range_and_randn_stats():
    pj.manual_seed(0)
    u = pj.rand(20000).numpy()
    assert u.min() >= 0.0 and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 0.02
    n = pj.randn(20000).numpy()
    assert abs(n.mean()) < 0.05
    assert abs(n.std() - 1.0) < 0.05
    assert pj.rand(2, 3).shape == (2, 3) and pj.randn((4,)).shape == (4,)
    assert pj.rand(3, dtype=pj.float32).dtype == np.float32


def test_manual_seed_reproducible():
    pj.manual_seed(1234)
    a1, b1 = pj.rand(10).numpy().copy(), pj.randn(3, 3).numpy().copy()
    pj.manual_seed(1234)
    a2, b2 = pj.rand(10).numpy().copy(), pj.randn(3, 3).numpy().copy()
    np.testing.assert_array_equal(a1, a2)
    np.testing.assert_array_equal(b1, b2)
    pj.manual_seed(4321)
    assert not np.array_equal(pj.rand(10).numpy(), a1)
    # successive draws differ
    assert not np.array_equal(pj.rand(10).numpy(), pj.rand(10).numpy())


# ---- interop --------------------------------------------------------------------------------


def test_numpy_shares_memory():
    t = pj.tensor([1.0, 2.0, 3.0])
    a = t.numpy()
    b = np.asarray(t)
    assert isinstance(a, np.ndarray) and isinstance(b, np.ndarray)
    assert np.shares_memory(a, b)
    a[1] = 20.0
    assert t.tolist() == [1.0, 20.0, 3.0]
    assert b[1] == 20.0
    assert t[1].item() == 20.0


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_asarray_of_tensor_is_zero_copy(dtype):
    t = pj.zeros((3, 4), dtype=dtype)
    a = np.asarray(t)
    assert a.dtype == dtype
    assert a.shape == (3, 4)
    a[2, 3] = 1
    assert t.numpy()[2, 3] == 1
    assert np.shares_memory(a, t.numpy())


def test_numpy_of_a_tensor_requiring_grad_raises_as_torch():
    # a writable view would let writes change values a graph saved, past the version counter:
    # z = y * y; y.numpy()[:] = 100 gave the gradient of 100 * 100 before
    y = pj.tensor([1.0, 2.0, 3.0], requires_grad=True)
    z = y * y
    with pytest.raises(RuntimeError, match=r"numpy: can't call numpy\(\) on a tensor that requires grad.*detach\(\)"):
        y.numpy()
    with pytest.raises(RuntimeError, match="requires grad"):
        z.numpy()  # a non-leaf too
    z.sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [2.0, 4.0, 6.0])


def test_asarray_of_a_tensor_requiring_grad_is_a_read_only_view():
    y = pj.tensor([1.0, 2.0, 3.0], requires_grad=True)
    z = y * y
    a = np.asarray(y)
    assert np.shares_memory(a, y.detach().numpy())  # still no copy
    assert not a.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        a[:] = 100
    with pytest.raises(ValueError, match="read-only"):
        np.asarray(z)[0] = 1
    z.sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [2.0, 4.0, 6.0])
    # copies, and tensors that need no gradient, stay writable
    c = np.array(y)
    c[0] = 7
    assert y.tolist() == [1.0, 2.0, 3.0] and c.flags.writeable
    assert np.asarray(y.detach()).flags.writeable and np.asarray(pj.ones(2)).flags.writeable


def test_numpy_force_gives_a_writable_view_as_torch():
    y = pj.tensor([1.0, 2.0], requires_grad=True)
    a = y.numpy(force=True)
    a[0] = 5
    assert y.tolist() == [5.0, 2.0]


def test_repr_str_and_tolist_of_tensors_requiring_grad():
    y = pj.tensor([1.5, 2.0], requires_grad=True)
    assert repr(y) == "tensor([1.5, 2. ], requires_grad=True)" and str(y) == repr(y)
    assert y.tolist() == [1.5, 2.0] and (y * 2).tolist() == [3.0, 4.0]


@pytest.mark.isolated
@pytest.mark.parametrize(
    "make",
    [
        lambda: pj.Tensor(),
        lambda: pj.Tensor.__new__(pj.Tensor),
        lambda: pj.Tensor([1.0, 2.0]),
        lambda: pj.Tensor(data=1),
    ],
    ids=["no-args", "__new__", "data", "keyword"],
)
def test_tensor_type_cannot_be_constructed_empty(make):
    # Tensor() made an empty shell whose every use (.shape, repr, t + 1) segfaulted
    with pytest.raises(TypeError, match=r"pyjac.Tensor can't be constructed directly.*pyjac.tensor\(data\)"):
        make()
    with pytest.raises(TypeError):
        object.__new__(pj.Tensor)
    with pytest.raises(TypeError):
        type("Sub", (pj.Tensor,), {})  # and there is no subclass to construct one through


def test_numpy_array_keeps_tensor_alive():
    a = pj.arange(5.0).numpy()
    import gc

    gc.collect()
    np.testing.assert_array_equal(a, np.arange(5.0))


def test_np_array_copy_and_dtype():
    t = pj.tensor([1.0, 2.0])
    c = np.array(t)  # np.array copies by default
    c[0] = 5.0
    assert t.tolist() == [1.0, 2.0]
    f = np.asarray(t, dtype=np.float32)
    assert f.dtype == np.float32
    np.testing.assert_array_equal(f, [1.0, 2.0])


def test_numpy_functions_accept_tensors():
    t = pj.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert np.sum(np.asarray(t)) == 10.0
    np.testing.assert_array_equal(np.array(t) @ np.array(t), np.array([[7.0, 10.0], [15.0, 22.0]]))


def test_item_tolist_shape_ndim_size():
    t = pj.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert t.shape == (2, 3)
    assert isinstance(t.shape, tuple)
    assert t.ndim == 2
    assert t.size == 6
    assert len(t) == 2
    assert t.tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    s = pj.tensor(2.5)
    assert s.shape == () and s.ndim == 0 and s.size == 1
    assert s.item() == 2.5 and isinstance(s.item(), float)
    assert s.tolist() == 2.5
    assert pj.tensor([7]).item() == 7 and isinstance(pj.tensor([7]).item(), int)
    assert pj.tensor(True).item() is True
    assert float(pj.tensor(1.5)) == 1.5 and int(pj.tensor(3)) == 3
    e = pj.zeros(0, 3)
    assert e.shape == (0, 3) and e.size == 0 and e.tolist() == []


def test_item_float32_value():
    t = pj.tensor(np.float32(0.1))
    assert t.item() == float(np.float32(0.1))


def test_iteration_and_bool():
    t = pj.tensor([1.0, 0.0, 3.0])
    assert [v.item() for v in t] == [1.0, 0.0, 3.0]
    assert bool(pj.tensor(1.0)) and not bool(pj.tensor(0.0))


# ---- repr ----------------------------------------------------------------------------------


def test_repr_plain():
    assert repr(pj.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(pj.tensor(2.5)) == "tensor(2.5)"
    assert str(pj.tensor([1.0, 2.0])) == "tensor([1., 2.])"


def test_repr_shows_numpy_like_body():
    r = repr(pj.tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert r.startswith("tensor([[1., 2.],")
    assert "[3., 4.]" in r
    assert r.endswith(")")


def test_repr_non_default_dtype():
    r = repr(pj.tensor([1, 2]))
    assert "[1, 2]" in r and "int64" in r
    assert "float32" in repr(pj.zeros(2, dtype=pj.float32))
    assert "bool" in repr(pj.tensor([True]))


def test_repr_autograd_info():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    assert "requires_grad=True" in repr(x)
    y = x * x
    assert "grad_fn=<MulBackward>" in repr(y)
    assert "requires_grad" not in repr(x.detach())
    assert "grad_fn" not in repr(x)


# ---- views ---------------------------------------------------------------------------------


def test_reshape_of_contiguous_is_a_view():
    t = pj.arange(6.0)
    v = t.reshape(2, 3)
    assert v.shape == (2, 3)
    assert np.shares_memory(v.numpy(), t.numpy())
    t.numpy()[4] = -1.0
    assert v.numpy()[1, 1] == -1.0
    v.numpy()[0, 2] = 42.0
    assert t.numpy()[2] == 42.0
    assert pj.reshape(t, (3, 2)).shape == (3, 2)
    assert t.reshape((-1, 2)).shape == (3, 2)


def test_transpose_is_a_view():
    t = pj.tensor(np.arange(6.0).reshape(2, 3))
    for v in (t.T, t.transpose(), pj.transpose(t), t.transpose(1, 0), pj.transpose(t, (1, 0))):
        assert v.shape == (3, 2)
        np.testing.assert_array_equal(v.numpy(), np.arange(6.0).reshape(2, 3).T)
        assert np.shares_memory(v.numpy(), t.numpy())
    v = t.T
    t.numpy()[0, 1] = 99.0
    assert v.numpy()[1, 0] == 99.0


def test_slicing_is_a_view():
    t = pj.arange(10.0)
    s = t[2:8:2]
    np.testing.assert_array_equal(s.numpy(), [2.0, 4.0, 6.0])
    assert np.shares_memory(s.numpy(), t.numpy())
    t.numpy()[4] = -4.0
    assert s.numpy()[1] == -4.0
    m = pj.tensor(np.arange(12.0).reshape(3, 4))
    row, col = m[1], m[:, 2]
    np.testing.assert_array_equal(row.numpy(), [4.0, 5.0, 6.0, 7.0])
    np.testing.assert_array_equal(col.numpy(), [2.0, 6.0, 10.0])
    assert np.shares_memory(row.numpy(), m.numpy())
    assert np.shares_memory(col.numpy(), m.numpy())
    m.numpy()[1, 2] = 100.0
    assert row.numpy()[2] == 100.0 and col.numpy()[1] == 100.0


@pytest.mark.parametrize(
    "index",
    [
        (1,),
        (slice(None), 1),
        (Ellipsis, 0),
        (None, slice(1, None)),
        (slice(None, None, -1),),
        (slice(0, 3, 2), slice(None, None, 2)),
        (-1, -2),
        (slice(5, 10),),
    ],
)
def test_indexing_matches_numpy(index):
    a = np.arange(24.0).reshape(4, 6)
    np.testing.assert_array_equal(pj.tensor(a)[index].numpy(), a[index])


def test_numpy_of_noncontiguous_view_has_right_values():
    a = np.arange(24.0).reshape(2, 3, 4)
    t = pj.tensor(a)
    v = pj.transpose(t, (2, 0, 1))[1:, :, ::2]
    np.testing.assert_array_equal(v.numpy(), a.transpose(2, 0, 1)[1:, :, ::2])
    np.testing.assert_array_equal(np.asarray(v), a.transpose(2, 0, 1)[1:, :, ::2])
    assert v.tolist() == a.transpose(2, 0, 1)[1:, :, ::2].tolist()


def test_detach_shares_storage():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d.grad_fn is None
    assert np.shares_memory(d.detach().numpy(), x.detach().numpy())


def test_copy_is_a_copy():
    t = pj.tensor([1.0, 2.0])
    c = t.copy()
    c.numpy()[0] = 9.0
    assert t.tolist() == [1.0, 2.0]


# ---- NumPy on the left of an operator --------------------------------------------------------


@pytest.mark.parametrize(
    "op",
    [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a * b,
        lambda a, b: a / b,
        lambda a, b: a**b,
        lambda a, b: a @ b,
        lambda a, b: a < b,
        lambda a, b: a >= b,
        lambda a, b: a == b,
    ],
)
def test_numpy_left_operand_returns_tensor(op):
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    b_np = np.array([[0.5, 1.5], [2.0, 1.0]])
    b = pj.tensor(b_np)
    r = op(a, b)
    assert isinstance(r, pj.Tensor), type(r)
    np.testing.assert_allclose(r.numpy(), op(a, b_np))


def test_numpy_left_operand_records_graph():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    y = np.array([3.0, 4.0]) * x
    assert isinstance(y, pj.Tensor)
    assert y.grad_fn is not None
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0])


def test_numpy_scalar_left_operand_returns_tensor():
    r = np.float64(2.0) * pj.tensor([1.0, 2.0])
    assert isinstance(r, pj.Tensor)
    assert r.tolist() == [2.0, 4.0]


def test_scalar_operands_keep_float32():
    t = pj.ones(2, dtype=pj.float32)
    assert (t * 2.0).dtype == np.float32
    assert (2 + t).dtype == np.float32
    assert (t / 3).dtype == np.float32
    i = pj.tensor([1, 2])
    assert (i * 2).dtype == np.int64
    assert (i * 2.0).dtype == np.float64
    assert (i / 2).dtype == np.float64


# ---- NumPy-style methods ------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "exp",
        "log",
        "log1p",
        "expm1",
        "sqrt",
        "square",
        "sin",
        "cos",
        "tan",
        "tanh",
        "sigmoid",
        "relu",
        "abs",
        "sign",
    ],
)
def test_unary_methods(name):
    a = np.array([0.25, 0.5, 2.0])
    t = pj.tensor(a)
    method = getattr(t, name)
    expected = getattr(pj, name)(t).numpy()
    np.testing.assert_allclose(method().numpy(), expected)


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("sum", {}),
        ("sum", {"axis": 0}),
        ("mean", {"axis": 1, "keepdims": True}),
        ("max", {}),
        ("min", {"axis": -1}),
    ],
)
def test_reduction_methods(name, kwargs):
    a = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(getattr(pj.tensor(a), name)(**kwargs).numpy(), getattr(a, name)(**kwargs))


def test_shape_methods():
    a = np.arange(6.0).reshape(2, 3)
    t = pj.tensor(a)
    assert t.flatten().shape == (6,)
    assert t.ravel().tolist() == list(range(6))
    assert t.reshape(3, 2).shape == (3, 2)
    assert t.reshape((3, 2)).shape == (3, 2)
    assert t.transpose(1, 0).shape == (3, 2)
    assert pj.tensor(np.zeros((1, 3, 1))).squeeze().shape == (3,)
    assert t.astype(pj.float32).dtype == np.float32
    np.testing.assert_allclose(t.clip(1, 4).numpy(), a.clip(1, 4))
    np.testing.assert_allclose(pj.tensor([3.0, 4.0]).norm().item(), 5.0)
    np.testing.assert_allclose(pj.tensor([1.0, 2.0]).dot(pj.tensor([3.0, 4.0])).item(), 11.0)


# ---- format() ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, dtype, spec",
    [
        (1.23456, np.float64, ".3f"),
        (0.1, np.float32, ".10f"),
        (-2.5, np.float64, "+08.2e"),
        (7, np.int64, "d"),
        (255, np.int64, "#x"),
        (3, np.int64, ">5"),
        (True, np.bool_, "d"),
        (1.5, np.float64, "g"),
        (12345.678, np.float64, ",.1f"),
    ],
)
def test_format_of_a_one_element_tensor_is_that_of_its_python_scalar(value, dtype, spec):
    # f"{t:.3f}" used to raise "unsupported format string passed to pyjac.Tensor.__format__"
    for shape in ((), (1,), (1, 1)):
        t = pj.tensor(np.full(shape, value, dtype=dtype))
        assert format(t, spec) == format(t.item(), spec), (shape, spec)
        assert f"{t:{spec}}" == format(t.item(), spec)


def test_format_of_a_tensor_that_requires_grad():
    x = pj.tensor(1.23456, requires_grad=True)
    assert f"{x * 2:.2f}" == "2.47" and f"{x:.1e}" == "1.2e+00"


def test_format_with_an_empty_spec_is_str():
    for t in (pj.tensor(1.5), pj.tensor([1.0, 2.0]), pj.zeros((0, 2)), pj.tensor(3, requires_grad=False)):
        assert f"{t}" == str(t) == format(t, "") == "{}".format(t)


@pytest.mark.parametrize("shape", [(2,), (0,), (2, 3), (1, 0)])
def test_format_spec_on_several_elements_is_a_type_error_naming_the_shape(shape):
    t = pj.zeros(shape)
    with pytest.raises(
        TypeError,
        match=rf"unsupported format string '.2f' passed to Tensor.__format__: only a tensor "
        rf"with one element formats as a number, got shape {re.escape(str(shape))}",
    ):
        f"{t:.2f}"


def test_format_spec_that_does_not_fit_the_scalar_raises_like_python():
    with pytest.raises(ValueError, match="Unknown format code 'd' for object of type 'float'"):
        f"{pj.tensor(1.5):d}"


# ---- __index__ ------------------------------------------------------------------------------


def test_int_tensors_work_as_python_indices():
    # lst[pj.tensor(1)] used to raise "list indices must be integers or slices, not pyjac.Tensor"
    import operator

    i = pj.tensor(1)
    assert [10, 20, 30][i] == 20
    assert "abc"[pj.tensor(-1)] == "c"
    assert [10, 20, 30, 40][pj.tensor(1) : pj.tensor(3)] == [20, 30]
    assert list(range(pj.tensor(3))) == [0, 1, 2]
    assert operator.index(pj.tensor(-7)) == -7 and type(operator.index(i)) is int
    assert hex(pj.tensor(255)) == "0xff"
    assert (1, 2, 3)[pj.arange(3)[2]] == 3  # a 0-d result of indexing


@pytest.mark.parametrize(
    "t",
    [
        pj.tensor(1.0),
        pj.tensor(1.0, dtype=pj.float32),
        pj.tensor(True),
        pj.tensor([1]),
        pj.tensor([[2]]),
        pj.tensor([1, 2]),
        pj.zeros(0, dtype=pj.int64),
    ],
)
def test_other_tensors_are_not_indices(t):
    with pytest.raises(
        TypeError,
        match=r"only integer tensors of a single element can be converted to an index "
        r"\(0-d int64 tensors, as in NumPy\), got a tensor of dtype "
        rf"{t.dtype} and shape {re.escape(str(tuple(t.shape)))}",
    ):
        [1, 2, 3][t]
    with pytest.raises(TypeError):
        range(t)


def test_numpy_indexing_with_tensors_keeps_its_meaning():
    # NumPy reads anything with __index__ as one integer index: only 0-d int tensors have it, so a
    # one-element 1-d tensor still selects a 1-d result and a 0-d bool tensor is still a mask
    a = np.arange(5) * 10
    assert a[pj.tensor(2)] == 20 and np.ndim(a[pj.tensor(2)]) == 0
    np.testing.assert_array_equal(a[pj.tensor([2])], [20])
    np.testing.assert_array_equal(a[pj.tensor([2, 0])], [20, 0])
    np.testing.assert_array_equal(a[pj.tensor(True)], a[np.array(True)])
    np.testing.assert_array_equal(a[pj.tensor([True, False, True, False, False])], [0, 20])
    with pytest.raises(IndexError):
        a[pj.tensor(1.0)]
    m = np.arange(12).reshape(3, 4)
    np.testing.assert_array_equal(m[pj.tensor(1), pj.tensor([0, 3])], m[1, [0, 3]])


def test_pyjac_indexing_with_a_0d_int_tensor_is_unchanged_and_differentiable():
    x = pj.tensor([1.0, 2.0, 3.0], requires_grad=True)
    i = pj.tensor(2)
    y = x[i]
    assert tuple(y.shape) == () and y.item() == 3.0
    np.testing.assert_array_equal(x[pj.tensor([2])].detach().numpy(), [3.0])
    (y * y).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 6.0])
    np.testing.assert_array_equal(pj.arange(12.0).reshape(3, 4)[i, 1:].numpy(), np.arange(12.0).reshape(3, 4)[2, 1:])


@pytest.mark.parametrize("scalar", [np.int64(3), np.int32(3), np.float64(3.0), np.float32(3.0), np.bool_(True)])
@pytest.mark.parametrize("op", ["add", "mul", "sub", "floordiv", "pow", "lt"])
def test_numpy_scalars_with_an_int_tensor_still_give_tensors(scalar, op):
    import operator

    fn = getattr(operator, op)
    t = pj.tensor(2)
    for left, right in ((scalar, t), (t, scalar)):
        r = fn(left, right)
        assert isinstance(r, pj.Tensor), (left, right, type(r))
        expected = fn(
            np.asarray(left) if isinstance(left, pj.Tensor) else left,
            np.asarray(right) if isinstance(right, pj.Tensor) else right,
        )
        assert r.item() == expected.item()


def test_int_tensors_as_axes_and_sizes_work_like_numpy_0d_arrays():
    a = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(pj.sum(pj.tensor(a), axis=pj.tensor(1)).numpy(), np.sum(a, axis=np.array(1)))
    assert pj.zeros(pj.tensor(3)).shape == np.zeros(np.array(3)).shape
    assert np.zeros(pj.tensor(3)).shape == (3,)


@pytest.mark.parametrize("bad", [pj.tensor(1.7), pj.tensor(True), pj.tensor([1])])
def test_non_index_tensors_as_an_axis_are_refused(bad):
    with pytest.raises(TypeError):
        pj.sum(pj.ones((2, 3)), axis=bad)


def test_a_float_tensor_as_a_size_is_refused():
    with pytest.raises(TypeError):
        pj.zeros(pj.tensor(2.5))


def test_a_float_tensor_as_a_slice_bound_is_refused():
    with pytest.raises(TypeError):
        pj.arange(5)[pj.tensor(1.5) :]
