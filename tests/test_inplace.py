"""In-place ops (add_ sub_ mul_ div_ clamp_ copy_ fill_ zero_) and ``t[index] = value``.

Values against NumPy's in-place ufuncs and assignment (broadcasting, dtypes, casting errors,
0-d and empty), the version counter, writes through views, and autograd: leaf and view errors,
no_grad updates, saved tensors modified after they were saved, and derivatives of in-place code
on non-leaves (finite differences, second derivatives, batched cotangents, forward mode, torch).
"""

import re

import numpy as np
import pytest
from op_registry import select

import pyjac as pj
from pyjac.testing import gradcheck, gradgradcheck


def _t(a, requires_grad=False, dtype=None):
    a = np.asarray(a)
    if dtype is not None:
        a = a.astype(dtype)
    return pj.tensor(a, requires_grad=requires_grad)


# name, pyjac method call, NumPy in-place equivalent: the registry's in-place entries (tests/op_registry/
# inplace.py, whose derivatives on non-leaves run in tests/test_every_op.py and tests/test_forward_mode.py)
BINARY = [(c.id, *c.args) for c in select("inplace", tags="binary")]
BINARY_IDS = [b[0] for b in BINARY]

# self shape, operand shape (broadcast into self)
FITTING = [
    ((), ()),
    ((0,), (0,)),
    ((0,), ()),
    ((4,), ()),
    ((4,), (4,)),
    ((4,), (1,)),
    ((2, 3), (3,)),
    ((2, 3), (2, 1)),
    ((2, 3), (1, 1)),
    ((2, 0, 3), (3,)),
    ((2, 3, 4), (3, 1)),
]


def _operand(rng, shape):
    return rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], size=shape)


# ==== values ======================================================================================
@pytest.mark.parametrize("shapes", FITTING, ids=str)
@pytest.mark.parametrize("name,op,ref", BINARY, ids=BINARY_IDS)
def test_binary_values_match_numpy(name, op, ref, shapes, rng):
    self_shape, other_shape = shapes
    a, o = rng.standard_normal(self_shape), _operand(rng, other_shape)
    t = _t(a)
    out = op(t, _t(o))
    assert out is t
    expected = a.copy()
    ref(expected, o)
    np.testing.assert_array_equal(t.numpy(), expected)  # the same IEEE operations, the same bits
    assert t.shape == self_shape and t.dtype == np.float64


@pytest.mark.parametrize("shapes", FITTING, ids=str)
@pytest.mark.parametrize("name,op,ref", BINARY, ids=BINARY_IDS)
def test_direct_update_and_recorded_path_agree_bitwise(name, op, ref, shapes, rng):
    # Without autograd the arithmetic runs straight into self's memory; with it, through the
    # out-of-place op. The results must not depend on which ran.
    self_shape, other_shape = shapes
    a, o = rng.standard_normal(self_shape), _operand(rng, other_shape)
    direct = _t(a)
    op(direct, _t(o))
    w = _t(a, requires_grad=True)
    recorded = w * 1.0
    op(recorded, _t(o))
    assert recorded.requires_grad
    np.testing.assert_array_equal(direct.detach().numpy(), recorded.detach().numpy())


@pytest.mark.parametrize("name,op,ref", BINARY, ids=BINARY_IDS)
def test_strided_targets(name, op, ref, rng):
    a, o = rng.standard_normal((4, 6)), _operand(rng, (3,))
    t = _t(a)
    op(t.T[::2, 1:], _t(o))  # a (3, 3) view with strides in both directions
    expected = a.copy()
    ref(expected.T[::2, 1:], o)
    np.testing.assert_array_equal(t.numpy(), expected)


def test_integer_alpha_on_integer_tensors():
    t = _t([1, 2, 3])
    t.add_(_t([1, 1, 1]), alpha=3)
    t.sub_(2, alpha=2)
    assert t.tolist() == [0, 1, 2] and t.dtype == np.int64


@pytest.mark.parametrize("name,op,ref", BINARY, ids=BINARY_IDS)
@pytest.mark.parametrize("other", [2, -1.5, True, [1.0, 2.0, 3.0], np.array([[0.5], [2.0]])], ids=repr)
def test_binary_operands_numbers_and_array_likes(name, op, ref, other, rng):
    a = rng.standard_normal((2, 3))
    t = _t(a)
    op(t, other)
    expected = a.copy()
    ref(expected, other)
    np.testing.assert_allclose(t.numpy(), expected, rtol=1e-15)


@pytest.mark.parametrize("name,op,ref", BINARY, ids=BINARY_IDS)
def test_float32_self_keeps_its_dtype(name, op, ref, rng):
    a = rng.standard_normal(5).astype(np.float32)
    o = _operand(rng, 5)  # float64: cast down, as NumPy's same_kind allows
    t = _t(a)
    op(t, _t(o))
    expected = a.copy()
    ref(expected, o) if name != "copy_" else np.copyto(expected, o, casting="same_kind")
    assert t.dtype == np.float32
    np.testing.assert_allclose(t.numpy(), expected, rtol=1e-6)
    t2 = _t(a)
    op(t2, 1.5)  # a Python float stays weak: float32 arithmetic
    assert t2.dtype == np.float32


@pytest.mark.parametrize("dtype", [np.int64, np.bool_])
def test_integer_and_bool_arithmetic_that_stays_in_kind(dtype):
    a = np.array([3, 0, 5]).astype(dtype)
    for op, ref in [
        (
            lambda t: t.add_(True if dtype == np.bool_ else 2),
            lambda x: np.add(x, True if dtype == np.bool_ else 2, out=x),
        ),
        (
            lambda t: t.mul_(_t(np.array([1, 0, 1]).astype(dtype))),
            lambda x: np.multiply(x, np.array([1, 0, 1]).astype(dtype), out=x),
        ),
    ]:
        t, e = _t(a), a.copy()
        op(t)
        ref(e)
        assert t.dtype == dtype
        np.testing.assert_array_equal(t.numpy(), e)


@pytest.mark.parametrize(
    "call",
    [
        lambda t: t.add_(1.5),
        lambda t: t.sub_(_t([0.5, 1.0, 2.0])),
        lambda t: t.mul_(0.5),
        lambda t: t.div_(2),
        lambda t: t.add_(1, alpha=0.5),
        lambda t: t.copy_(_t([1.0, 2.0, 3.0])),
        lambda t: t.clamp_(0.5, 2.5),
    ],
    ids=[
        "add_float",
        "sub_float_tensor",
        "mul_float",
        "div_true_division",
        "alpha_float",
        "copy_float",
        "clamp_float_bounds",
    ],
)
def test_float_into_int_tensor_raises_like_numpy_same_kind(call):
    t = _t([1, 2, 3])
    with pytest.raises(TypeError, match="same_kind"):
        call(t)
    assert t.tolist() == [1, 2, 3] and t._version == 0  # nothing written


def test_int_into_bool_tensor_raises():
    t = _t([True, False])
    with pytest.raises(TypeError, match="int64 to bool"):
        t.add_(1)
    with pytest.raises(TypeError):
        t.sub_(_t([True, True]))  # bool subtraction computes in int64
    with pytest.raises(TypeError):
        t.copy_(_t([1, 0]))


def test_fill_and_setitem_cast_like_numpy_assignment():
    t, a = _t([1, 2, 3]), np.array([1, 2, 3])
    t.fill_(2.7)
    a.fill(2.7)
    assert t.tolist() == a.tolist() == [2, 2, 2]
    t[0] = -1.9
    a[0] = -1.9
    assert t.tolist() == a.tolist()
    b = _t([True, False])
    b.fill_(0.5)
    assert b.tolist() == [True, True]


@pytest.mark.parametrize("lo,hi", [(None, 0.5), (-0.5, None), (-0.5, 0.5), (1.0, -1.0), (None, None)], ids=str)
@pytest.mark.parametrize("shape", [(), (0,), (7,), (2, 3)], ids=str)
def test_clamp_matches_numpy_clip(lo, hi, shape, rng):
    a = rng.standard_normal(shape)
    t = _t(a)
    assert t.clamp_(lo, hi) is t
    expected = a if lo is None and hi is None else np.clip(a, lo, hi)
    np.testing.assert_array_equal(t.numpy(), expected)
    t = _t(a)
    t.clamp_(min=lo, max=hi)
    np.testing.assert_array_equal(t.numpy(), expected)


def test_clamp_on_int_tensor_with_integral_bounds():
    t = _t([-3, 0, 9])
    t.clamp_(-1, 4)
    assert t.tolist() == [-1, 0, 4] and t.dtype == np.int64


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.bool_])
def test_fill_and_zero(dtype):
    t = _t(np.ones((2, 3)), dtype=dtype)
    assert t.zero_() is t
    np.testing.assert_array_equal(t.numpy(), np.zeros((2, 3), dtype))
    t.fill_(1)
    np.testing.assert_array_equal(t.numpy(), np.ones((2, 3), dtype))
    e = pj.zeros((0, 2))
    e.fill_(3.0)
    assert e.shape == (0, 2)


def test_operand_that_does_not_fit_raises_valueerror():
    t = _t(np.zeros(3))
    for call in (lambda: t.add_(_t(np.ones((2, 3)))), lambda: t.mul_(_t(np.ones(4))), lambda: t.copy_(np.ones(2))):
        with pytest.raises(ValueError, match=r"\(2, 3\)|\(4,\)|\(2,\)"):
            call()
    s = _t(1.0)
    with pytest.raises(ValueError):
        s.add_(_t([1.0]))  # NumPy: non-broadcastable output operand with shape ()
    assert t.tolist() == [0.0, 0.0, 0.0] and t._version == 0


def test_writing_into_a_broadcast_view_raises():
    b = pj.broadcast_to(_t([1.0, 2.0]), (3, 2))
    for call in (
        lambda: b.add_(1.0),
        lambda: b.zero_(),
        lambda: b.__setitem__((slice(None), 0), 5.0),
        lambda: b.copy_(np.ones((3, 2))),
    ):
        with pytest.raises(ValueError, match="broadcast view"):
            call()
    assert b.tolist() == [[1.0, 2.0]] * 3
    b[0] = 5.0  # one row has no element sharing memory with another: written (every row shows it), as in PyTorch
    assert b.tolist() == [[5.0, 5.0]] * 3


def test_bad_arguments_raise_typeerror():
    t = _t([1.0, 2.0])
    with pytest.raises(TypeError):
        t.add_(1.0, alpha="x")
    with pytest.raises(TypeError):
        t.fill_("x")
    with pytest.raises(TypeError):
        t.clamp_(min=_t(0.0))
    with pytest.raises(TypeError):
        pj._core.add_([1.0], 1.0)  # self must be a Tensor, not something converted to a temporary


def test_aliased_operands_read_the_old_values():
    a = np.arange(6.0)
    t = _t(a)
    t.add_(t[::-1])
    np.testing.assert_array_equal(t.numpy(), a + a[::-1])
    t = _t(a)
    t[1:] = t[:-1]
    b = a.copy()
    b[1:] = b[:-1].copy()
    np.testing.assert_array_equal(t.numpy(), b)
    t = _t(a)
    t.mul_(t)
    np.testing.assert_array_equal(t.numpy(), a * a)
    t = _t(a)
    t.copy_(t[::-1])
    np.testing.assert_array_equal(t.numpy(), a[::-1])


# ==== version counter and views ===================================================================
ALL_CALLS = [
    ("add_", lambda t: t.add_(1.0)),
    ("sub_", lambda t: t.sub_(1.0)),
    ("mul_", lambda t: t.mul_(2.0)),
    ("div_", lambda t: t.div_(2.0)),
    ("clamp_", lambda t: t.clamp_(0.0, 1.0)),
    ("copy_", lambda t: t.copy_(np.ones(t.shape))),
    ("fill_", lambda t: t.fill_(1.0)),
    ("zero_", lambda t: t.zero_()),
    ("__setitem__", lambda t: t.__setitem__(0, 1.0)),
]
CALL_IDS = [c[0] for c in ALL_CALLS]


@pytest.mark.parametrize("name,call", ALL_CALLS, ids=CALL_IDS)
def test_every_inplace_op_bumps_the_version(name, call):
    t = _t([0.5, 1.5, 2.5])
    v = t[1:]
    assert t._version == v._version == 0
    call(t)
    assert t._version == v._version == 1
    call(v)
    assert t._version == v._version == 2
    u = t + 1.0
    assert u._version == 0


def test_writes_through_views_are_seen_by_the_base():
    base = pj.zeros((3, 4))
    ref = np.zeros((3, 4))
    base[1].fill_(2.0)
    ref[1] = 2.0
    base.T[2].add_(1.0)  # column 2 through a transposed view
    ref.T[2] += 1.0
    base[:, ::2].mul_(_t([3.0, -1.0]))
    ref[:, ::2] *= [3.0, -1.0]
    pj.reshape(base, (12,))[5:7].sub_(4.0)
    ref.reshape(12)[5:7] -= 4.0
    base[None, ..., 1][0].copy_(_t([7.0, 8.0, 9.0]))
    ref[None, ..., 1][0] = [7.0, 8.0, 9.0]
    np.testing.assert_array_equal(base.numpy(), ref)
    assert base._version == 5


def test_numpy_view_sees_inplace_writes():
    t = pj.zeros(3)
    a = t.numpy()
    t.add_(1.0)
    t[2] = 5.0
    np.testing.assert_array_equal(a, [1.0, 1.0, 5.0])


# ==== autograd: errors ============================================================================
@pytest.mark.parametrize("name,call", ALL_CALLS, ids=CALL_IDS)
def test_leaf_requiring_grad_raises_and_is_not_modified(name, call):
    x = _t([0.5, 1.5, 2.5], requires_grad=True)
    with pytest.raises(RuntimeError, match=re.escape(name) + ": a leaf Variable that requires grad"):
        call(x)
    assert x.tolist() == [0.5, 1.5, 2.5] and x._version == 0


@pytest.mark.parametrize("name,call", ALL_CALLS, ids=CALL_IDS)
def test_no_grad_updates_leaves_bump_version_and_keep_them_leaves(name, call):
    x = _t([0.5, 1.5, 2.5], requires_grad=True)
    before = x.detach().numpy().copy()
    with pj.no_grad():
        call(x)
    assert x._version == 1 and x.is_leaf and x.requires_grad and x.grad_fn is None
    expected = before.copy()
    {
        "add_": lambda a: np.add(a, 1.0, out=a),
        "sub_": lambda a: np.subtract(a, 1.0, out=a),
        "mul_": lambda a: np.multiply(a, 2.0, out=a),
        "div_": lambda a: np.divide(a, 2.0, out=a),
        "clamp_": lambda a: np.clip(a, 0.0, 1.0, out=a),
        "copy_": lambda a: a.fill(1.0),
        "fill_": lambda a: a.fill(1.0),
        "zero_": lambda a: a.fill(0.0),
        "__setitem__": lambda a: a.__setitem__(0, 1.0),
    }[name](expected)
    np.testing.assert_array_equal(x.detach().numpy(), expected)
    (x * x).sum().backward()  # still a working leaf
    np.testing.assert_allclose(x.grad.numpy(), 2 * expected)


def test_modified_saved_input_raises_naming_the_node():
    x = _t([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1.0
    z = y * x  # MulBackward saves y
    y.mul_(2.0)
    with pytest.raises(
        RuntimeError,
        match=r"modified by an inplace operation: MulBackward's saved tensor 0 .*"
        r"at version 1; expected version 0",
    ):
        z.sum().backward()


def test_modified_saved_output_raises_naming_the_node():
    x = _t([0.1, 0.2], requires_grad=True)
    y = pj.exp(x)  # ExpBackward saves its output
    with pj.no_grad():
        y.add_(1.0)
    with pytest.raises(RuntimeError, match="ExpBackward's saved output .*version 1; expected version 0"):
        y.sum().backward()


@pytest.mark.parametrize(
    "name, outputs",
    [
        ("QrBackward", lambda a: pj.linalg.qr(a)),
        ("EighBackward", lambda a: pj.linalg.eigh(a @ a.T)),
        ("SvdBackward", lambda a: pj.linalg.svd(a, full_matrices=False)),
    ],
)
def test_modified_saved_output_of_a_several_output_op_raises(name, outputs):
    # ops with several outputs keep them for their rules too, under the same version check
    a = _t(np.random.default_rng(3).standard_normal((4, 3)), requires_grad=True)
    outs = outputs(a * 1.0)
    with pj.no_grad():
        outs[0].mul_(2.0)
    with pytest.raises(
        RuntimeError,
        match=rf"modified by an inplace operation: {name}'s saved output 0 .*"
        r"version 1; expected version 0",
    ):
        sum(o.sum() for o in outs).backward()


def test_modified_through_a_view_or_a_detached_alias_is_detected():
    x = _t([1.0, 2.0, 3.0], requires_grad=True)
    y = pj.sin(x)  # SinBackward saves x
    with pj.no_grad():
        x[1:].mul_(2.0)
    with pytest.raises(RuntimeError, match="SinBackward"):
        y.sum().backward()
    x2 = _t([1.0, 2.0], requires_grad=True)
    y2 = pj.log(x2)
    x2.detach().zero_()  # the detached handle shares x2's memory and version, as in PyTorch
    with pytest.raises(RuntimeError, match="LogBackward"):
        y2.sum().backward()


def test_unrelated_inplace_writes_do_not_trip_the_check():
    x = _t([1.0, 2.0], requires_grad=True)
    y = x * 2.0  # saves nothing
    with pj.no_grad():
        x.add_(1.0)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


def test_inplace_on_a_view_of_a_tensor_that_requires_grad_raises():
    x = _t([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1.0
    v = y[1:]
    with pytest.raises(RuntimeError, match="view"):
        v.mul_(2.0)
    with pytest.raises(RuntimeError, match="view"):
        x[:2].add_(1.0)
    w = _t([5.0], requires_grad=True)
    buf = pj.zeros(3)
    with pytest.raises(RuntimeError, match="view"):  # a requires-grad value written through a view
        buf[1:2].copy_(w)
    assert y.tolist() == [1.0, 2.0, 3.0] and buf.tolist() == [0.0, 0.0, 0.0]
    with pj.no_grad():
        v.mul_(2.0)  # allowed without recording
    assert y.tolist() == [1.0, 4.0, 6.0]


def test_view_taken_before_its_base_got_a_new_history_is_refused():
    x = _t([1.0, 2.0, 3.0], requires_grad=True)
    buf = pj.zeros(3)
    head = buf[:2]
    buf.add_(x)  # buf now depends on x; head still describes the old, constant buf
    with pytest.raises(RuntimeError, match="view.*in-place"):
        (head * 2.0).sum()
    (buf[:2] * 2.0).sum().backward()  # a view taken now is fine
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0, 0.0])
    with pj.no_grad():
        np.testing.assert_array_equal((head * 1.0).numpy(), [1.0, 2.0])  # values are still readable
    other = pj.zeros(2)
    for write in (lambda: other.copy_(head), lambda: other.__setitem__(0, head[0]), lambda: head.add_(1.0)):
        with pytest.raises(RuntimeError, match="view"):
            write()
    assert other.tolist() == [0.0, 0.0] and other._version == 0  # refused before writing


# ==== autograd: derivatives of in-place code on non-leaves ========================================
def _chain_fns():
    """f(x, y) written with in-place ops on a non-leaf, and the same written out of place."""

    def arith(x, y):
        z = x * 1.0
        z.add_(y, alpha=0.5)
        z.mul_(y)
        z.sub_(x, alpha=2)
        z.div_(y * y + 1.0)
        return z

    def arith_ref(x, y):
        z = (x + 0.5 * y) * y - 2 * x
        return z / (y * y + 1.0)

    def squares(x, y):  # self and other alias
        z = x * y
        z.mul_(z)
        z.add_(z)
        return z

    def squares_ref(x, y):
        return 2 * (x * y) ** 2

    def clamp(x, y):
        z = x * y
        z.clamp_(-0.3, 0.4)
        return z * x

    def clamp_ref(x, y):
        return pj.clip(x * y, -0.3, 0.4) * x

    def copy_fill(x, y):
        z = x * 2.0
        w = pj.sin(y)
        z.copy_(w[:1])  # broadcast (1,) into (3,)
        z.mul_(x)
        u = x * 1.0
        u.fill_(2.0)
        u.add_(y)
        v = x * 3.0
        v.zero_()
        return z + u + v

    def copy_fill_ref(x, y):
        return pj.sin(y)[:1] * x + 2.0 + y

    return [
        ("arith", arith, arith_ref),
        ("aliased", squares, squares_ref),
        ("clamp", clamp, clamp_ref),
        ("copy_fill", copy_fill, copy_fill_ref),
    ]


CHAINS = _chain_fns()


@pytest.mark.parametrize("name,fn,ref", CHAINS, ids=[c[0] for c in CHAINS])
def test_inplace_chain_values_and_gradients_match_out_of_place(name, fn, ref, rng):
    xa, ya = rng.uniform(-1, 1, 3), rng.uniform(0.3, 1.2, 3)
    x, y = _t(xa, True), _t(ya, True)
    out, expected = fn(x, y), ref(x, y)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-13)
    g = _t(rng.standard_normal(3))
    got = pj.grad(out, (x, y), g)
    want = pj.grad(expected, (x, y), g)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name,fn,ref", CHAINS, ids=[c[0] for c in CHAINS])
def test_inplace_chain_first_and_second_derivatives(name, fn, ref, rng):
    x, y = _t(rng.uniform(-1, 1, 3), True), _t(rng.uniform(0.3, 1.2, 3), True)
    assert gradcheck(fn, (x, y))
    assert gradgradcheck(fn, (x, y))


@pytest.mark.parametrize("name,fn,ref", CHAINS, ids=[c[0] for c in CHAINS])
def test_inplace_chain_batched_cotangents(name, fn, ref, rng, batched_check):
    batched_check(fn, [rng.uniform(-1, 1, 3), rng.uniform(0.3, 1.2, 3)])


@pytest.mark.parametrize("name,fn,ref", CHAINS, ids=[c[0] for c in CHAINS])
def test_inplace_chain_forward_mode_matches_reverse(name, fn, ref, rng):
    xa, ya = rng.uniform(-1, 1, 3), rng.uniform(0.3, 1.2, 3)
    fwd = pj.jacobian(fn, (_t(xa), _t(ya)), strategy="forward-mode")
    rev = pj.jacobian(fn, (_t(xa), _t(ya)), strategy="reverse-mode")
    for a, b in zip(fwd, rev):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, atol=1e-14)


def test_inplace_grad_fn_names_and_history():
    x = _t([1.0, 2.0], requires_grad=True)
    y = x * 1.0
    y.mul_(_t([3.0, 4.0]))
    assert y.grad_fn.name() == "MulBackward" and not y.is_leaf
    (mul_inputs,) = [n for n, _ in y.grad_fn.next_functions if n is not None][:1]
    assert mul_inputs.name() == "CopyBackward"  # the old values, kept for the rule
    buf = pj.zeros(2)
    buf.copy_(x)
    assert buf.requires_grad and buf.grad_fn.name() == "CopyBackwards"
    buf.fill_(1.0)
    assert buf.grad_fn.name() == "FillBackward"
    buf[0] = x[1]
    assert buf.grad_fn.name() == "SetitemBackward"


def test_copy_into_a_non_leaf_gives_its_old_history_zeros():
    a = _t([1.0, 2.0], requires_grad=True)
    b = _t([3.0, 4.0], requires_grad=True)
    x = a * 2.0
    x.copy_(b)
    ga, gb = pj.grad(x.sum(), (a, b))
    np.testing.assert_array_equal(ga.numpy(), [0.0, 0.0])
    np.testing.assert_array_equal(gb.numpy(), [1.0, 1.0])


def test_copy_between_float_dtypes_gives_the_source_dtype_gradient():
    src = _t(np.array([1.0, 2.0]), requires_grad=True)
    dst = pj.zeros(2, dtype=np.float32)
    dst.copy_(src)
    assert dst.dtype == np.float32 and dst.requires_grad
    (dst * dst).sum().backward()
    assert src.grad.dtype == np.float64
    np.testing.assert_allclose(src.grad.numpy(), [2.0, 4.0])


def test_written_buffer_that_did_not_require_grad_starts_to():
    w = _t([2.0, -1.0], requires_grad=True)
    acc = pj.ones(2)
    acc.mul_(w)
    acc.add_(w, alpha=3)
    assert acc.requires_grad and not acc.is_leaf
    acc.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [4.0, 4.0])


def test_retain_grad_follows_the_tensor_to_its_new_values():
    x = _t([1.0, 2.0], requires_grad=True)
    y = x * 1.0
    y.retain_grad()
    y.mul_(3.0)
    (y * y).sum().backward()
    # d/dy_new of sum(y_new^2) = 2 y_new, as PyTorch's retained grad after an in-place op
    np.testing.assert_allclose(y.grad.numpy(), [6.0, 12.0])
    np.testing.assert_allclose(x.grad.numpy(), [18.0, 36.0])


def test_no_grad_write_into_a_non_leaf_keeps_its_history():
    x = _t([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    with pj.no_grad():
        y.add_(10.0)
    assert y.grad_fn.name() == "MulBackward"
    assert y.tolist() == [12.0, 14.0]
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


def test_inplace_ops_match_torch(torch, rng):
    xa, ya = rng.uniform(-1, 1, (2, 3)), rng.uniform(0.5, 1.5, 3)
    g = rng.standard_normal((2, 3))

    def run(lib, x, y):
        z = x * 1.0
        z.add_(y, alpha=2)
        z.mul_(y)
        z.sub_(x)
        z.div_(y)
        z.clamp_(-0.7, 1.9)
        u = x * 1.0
        u[0] = y * y
        u[1, ::2] = 0.5
        u[:, 1] = x[:, 2] * 3
        return z * u

    tx = torch.tensor(xa, requires_grad=True)
    ty = torch.tensor(ya, requires_grad=True)
    tout = run(torch, tx, ty)
    tout.backward(torch.tensor(g))
    px, py = _t(xa, True), _t(ya, True)
    pout = run(pj, px, py)
    pout.backward(_t(g))
    np.testing.assert_allclose(pout.detach().numpy(), tout.detach().numpy(), rtol=1e-13)
    np.testing.assert_allclose(px.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(py.grad.numpy(), ty.grad.numpy(), rtol=1e-12, atol=1e-14)


# ==== __setitem__ =================================================================================
# index, value shape (None: a Python number)
SETITEM = [
    (0, None),
    (-1, (4,)),
    (1, (1,)),
    ((1, 2), None),
    ((-2, -3), ()),
    (slice(None), (3, 4)),
    (slice(1, None), (4,)),
    (slice(None, None, 2), (2, 1)),
    (slice(None, None, -1), (4,)),
    (slice(5, -5, -2), None),
    (slice(-2, None), (1, 4)),
    ((slice(None), 1), (3,)),
    ((slice(None), -1), (1,)),
    ((Ellipsis, 0), (3,)),
    ((0, Ellipsis), None),
    ((Ellipsis,), (4,)),
    (Ellipsis, (3, 1)),
    ((None, 1), (1, 4)),
    ((1, None, slice(1, 3)), (2,)),
    ((slice(None), None, slice(None, None, 3)), (3, 1, 2)),
    ((slice(0, 0),), (4,)),
    ((slice(2, 1),), None),
    ((slice(None), slice(1, 3)), (3, 2)),
    ((), (3, 4)),
    ((slice(None), slice(None)), (1, 1, 4)),  # an extra leading 1 is dropped, as NumPy does
    ((slice(1, 2), slice(None, None, -2)), (1, 2)),
]


@pytest.mark.parametrize("index,value_shape", SETITEM, ids=[str(s) for s in SETITEM])
def test_setitem_matches_numpy(index, value_shape, rng):
    a = rng.standard_normal((3, 4))
    value = 2.5 if value_shape is None else rng.standard_normal(value_shape)
    t = _t(a)
    t[index] = value if value_shape is None else _t(value)
    a[index] = value
    np.testing.assert_array_equal(t.numpy(), a)
    assert t._version == 1


@pytest.mark.parametrize("value", [1, 2.5, True, [1.0, 2.0, 3.0, 4.0], np.arange(4), np.float32(3.5)], ids=repr)
def test_setitem_value_kinds(value):
    a = np.zeros((2, 4))
    t = _t(a)
    t[1] = value
    a[1] = value
    np.testing.assert_array_equal(t.numpy(), a)
    assert t.dtype == np.float64


def test_setitem_on_0d_and_float32():
    t = _t(1.0)
    t[()] = 5.0
    assert t.item() == 5.0
    t[...] = _t(np.float64(7.0))
    assert t.item() == 7.0
    f = pj.zeros(3, dtype=np.float32)
    f[1:] = _t(np.array([1.0, 2.0]))
    assert f.dtype == np.float32 and f.tolist() == [0.0, 1.0, 2.0]


@pytest.mark.parametrize(
    "index,value,error",
    [
        (3, 1.0, IndexError),
        ((0, 0, 0), 1.0, IndexError),
        ((Ellipsis, Ellipsis), 1.0, IndexError),
        (slice(None), np.ones((3, 1, 4)), ValueError),
        (0, np.ones((2, 4)), ValueError),
        (0, np.ones(3), ValueError),
        ("a", 1.0, IndexError),
        (1.5, 1.0, IndexError),
        (slice(None, None, 0), 1.0, ValueError),
    ],
    ids=["out_of_bounds", "too_many", "two_ellipses", "shape", "extra_dim", "length", "str", "float", "zero_step"],
)
def test_setitem_errors(index, value, error):
    t = pj.zeros((3, 4))
    with pytest.raises(error):
        t[index] = value
    assert t._version == 0 and not t.numpy().any()


@pytest.mark.parametrize(
    "index",
    [[0, 1], np.array([0, 2]), _t([1]), (slice(None), [0, 1]), True, np.array([True, False, True])],
    ids=["list", "array", "tensor", "tuple_list", "bool", "mask"],
)
def test_setitem_advanced_indices_match_numpy(index):
    rng = np.random.default_rng(0)
    base = rng.standard_normal((3, 4))
    t = pj.tensor(base.copy())
    expected = base.copy()
    np_index = index.numpy() if isinstance(index, pj.Tensor) else index
    expected[np_index] = 1.5
    t[index] = 1.5
    np.testing.assert_array_equal(t.numpy(), expected)
    assert t._version == 1


def test_setitem_advanced_values_broadcast_and_repeated_indices_take_the_last_write():
    t = pj.zeros((3, 4))
    t[[0, 2], 1:3] = pj.tensor([[1.0, 2.0], [3.0, 4.0]])
    expected = np.zeros((3, 4))
    expected[[0, 2], 1:3] = [[1.0, 2.0], [3.0, 4.0]]
    np.testing.assert_array_equal(t.numpy(), expected)
    u = pj.zeros(3)
    u[[1, 1]] = pj.tensor([5.0, 6.0])
    assert u.numpy()[1] == 6.0


def test_setitem_advanced_gradients_flow_to_values_and_untouched_entries():
    def f(x, v):
        y = x * 1.0
        y[[1, 0], [2, 0]] = v * 3.0
        return (y * y).sum()

    x = pj.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    v = pj.tensor([1.0, -2.0], requires_grad=True)
    f(x, v).backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0.0, 2.0, 4.0], [6.0, 8.0, 0.0]])
    np.testing.assert_allclose(v.grad.numpy(), [18.0, -36.0])
    assert gradcheck(
        f, (pj.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True), pj.tensor([1.0, -2.0], requires_grad=True))
    )


SETITEM_GRAD = [
    (0, (4,)),
    ((slice(None), 1), (1,)),
    ((slice(None, None, -2), slice(1, 3)), (2, 2)),
    ((Ellipsis, -1), ()),
    ((None, 2, slice(None, None, 3)), (1, 2)),
    ((slice(1, 3),), (1, 4)),
    ((slice(0, 0),), (4,)),
]


@pytest.mark.parametrize("index,value_shape", SETITEM_GRAD, ids=[str(s) for s in SETITEM_GRAD])
def test_setitem_derivatives(index, value_shape, rng, batched_check):
    def f(x, v):
        z = x * 1.0
        z[index] = v * v
        return z * x

    xa, va = rng.standard_normal((3, 4)), rng.standard_normal(value_shape)
    x, v = _t(xa, True), _t(va, True)
    out = f(x, v)
    ref = xa.copy()
    ref[index] = va * va
    np.testing.assert_allclose(out.detach().numpy(), ref * xa, rtol=1e-14)
    assert gradcheck(f, (x, v))
    assert gradgradcheck(f, (x, v))
    batched_check(f, [xa, va])
    fwd = pj.jacobian(f, (_t(xa), _t(va)), strategy="forward-mode")
    rev = pj.jacobian(f, (_t(xa), _t(va)), strategy="reverse-mode")
    for a, b in zip(fwd, rev):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, atol=1e-14)


def test_setitem_fills_a_buffer_row_by_row():
    x = _t([0.5, -1.0, 2.0], requires_grad=True)
    out = pj.zeros((3, 2))
    for i in range(3):
        out[i] = pj.stack([x[i] * x[i], pj.sin(x[i])])
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.detach().numpy() + np.cos(x.detach().numpy()), rtol=1e-14)


def test_setitem_recurrence_through_the_same_buffer():
    x = _t(0.7, requires_grad=True)
    h = pj.zeros(5)
    h[0] = x
    for i in range(1, 5):
        h[i] = h[i - 1] * 2.0 + 1.0
    (g,) = pj.grad(h[4], x)
    assert g.item() == 16.0
    np.testing.assert_allclose(h.detach().numpy(), [0.7, 2.4, 5.8, 12.6, 26.2])


def test_setitem_matches_torch(torch, rng):
    xa, va = rng.standard_normal((4, 5)), rng.standard_normal((2, 1))
    idx = (slice(0, 3, 2), slice(1, 4))  # torch has no negative steps

    def run(x, v):
        z = x * 1.0
        z[idx] = v.exp()
        z[0] = z[1] * 2  # reads what the previous write left
        return (z * z).sum()

    tx, tv = torch.tensor(xa, requires_grad=True), torch.tensor(va, requires_grad=True)
    run(tx, tv).backward()
    px, pv = _t(xa, True), _t(va, True)
    run(px, pv).backward()
    np.testing.assert_allclose(px.grad.numpy(), tx.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(pv.grad.numpy(), tv.grad.numpy(), rtol=1e-12)


def test_setitem_with_an_int_index_into_a_float_buffer_keeps_the_value_dtype_gradient():
    v = _t(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    buf = pj.zeros((2, 2))
    buf[1] = v
    (buf * buf).sum().backward()
    assert v.grad.dtype == np.float32
    np.testing.assert_allclose(v.grad.numpy(), [2.0, 4.0])
