"""Errors: the right Python exception, a message naming the op and the shapes / dtypes, no crash,
no corrupted tensors."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import pyjac as pj

# Subprocesses run from tests/, so `import pyjac` finds the installed package rather than the
# source tree (which has no compiled extension in a non-editable install).
_OUTSIDE_SOURCE_TREE = os.path.dirname(os.path.abspath(__file__))


def _msg(excinfo):
    return str(excinfo.value)


# ---- shapes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "op, name",
    [
        (lambda a, b: a + b, "add"),
        (lambda a, b: a - b, "sub"),
        (lambda a, b: a * b, "mul"),
        (lambda a, b: a / b, "div"),
        (lambda a, b: pj.add(a, b), "add"),
        (lambda a, b: pj.maximum(a, b), "maximum"),
        (lambda a, b: pj.power(a, b), "pow"),
    ],
)
def test_broadcast_mismatch_is_value_error_with_both_shapes(op, name):
    a = pj.ones(2, 3)
    b = pj.ones(4)
    with pytest.raises(ValueError) as ei:
        op(a, b)
    m = _msg(ei)
    assert "(2, 3)" in m and "(4,)" in m, m
    assert name in m.lower(), m


# Forward errors name the forward op (NumPy's name for it), never a backward node ("AddBackward").
FORWARD_NAMES = [
    (lambda a, b: a + b, "add"),
    (lambda a, b: a - b, "subtract"),
    (lambda a, b: a * b, "multiply"),
    (lambda a, b: a / b, "divide"),
    (lambda a, b: a**b, "power"),
    (lambda a, b: a // b, "floor_divide"),
    (lambda a, b: a % b, "mod"),
    (lambda a, b: a == b, "equal"),
    (lambda a, b: a < b, "less"),
    (pj.add, "add"),
    (pj.subtract, "subtract"),
    (pj.multiply, "multiply"),
    (pj.divide, "divide"),
    (pj.true_divide, "divide"),
    (pj.power, "power"),
    (pj.maximum, "maximum"),
    (pj.minimum, "minimum"),
    (pj.arctan2, "arctan2"),
    (pj.mod, "mod"),
    (pj.floor_divide, "floor_divide"),
    (pj.greater_equal, "greater_equal"),
    (lambda a, b: pj.clip(a, b, None), "clip"),
    (lambda a, b: pj.clip(a, None, b), "clip"),
    (lambda a, b: pj.where(pj.ones(a.shape, dtype=bool), a, b), "where"),
    (pj.dot, "dot"),
    (pj.matmul, "matmul"),
    (pj.inner, "inner"),
]


@pytest.mark.parametrize("requires_grad", [False, True])
@pytest.mark.parametrize("op, name", FORWARD_NAMES, ids=[n + str(i) for i, (_, n) in enumerate(FORWARD_NAMES)])
def test_forward_errors_name_the_forward_op(op, name, requires_grad):
    a = pj.ones(2, 3, requires_grad=requires_grad)
    for x, y in ((a, pj.ones(4)), (pj.ones(4), a)):
        with pytest.raises(ValueError) as ei:
            op(x, y)
        m = _msg(ei)
        assert m.startswith(name + ":"), m
        assert "Backward" not in m, m
        assert "(2, 3)" in m and "(4,)" in m, m


def test_augmented_assignment_errors_name_the_op():
    x = pj.ones(2, 3)
    with pytest.raises(ValueError, match="^add:"):
        x += pj.ones(4)
    with pytest.raises(ValueError, match="^power:"):
        x **= pj.ones(4)
    with pytest.raises(ValueError, match="^multiply:"):
        x *= pj.ones(4)


def test_trace_of_a_vector_names_trace():
    with pytest.raises(ValueError, match="^trace: .*\\(4,\\)"):
        pj.trace(pj.ones(4))


def test_stale_view_error_names_the_forward_op():
    x = pj.ones(3, requires_grad=True)
    a = x * 1
    v = a[:2]
    a.mul_(2)  # a gets a new history; v still describes the old one
    for f, name in [
        (lambda: v + 1, "add"),
        (lambda: 1 - v, "subtract"),
        (lambda: v * v, "multiply"),
        (lambda: 2**v, "power"),
        (lambda: v**2, "power"),
        (lambda: -v, "negative"),
        (lambda: pj.sum(v), "sum"),
        (lambda: pj.exp(v), "exp"),
        (lambda: pj.arcsin(v), "arcsin"),
        (lambda: pj.broadcast_to(v, (2, 2)), "broadcast_to"),
        (lambda: pj.cumsum(v), "cumsum"),
        (lambda: pj.concatenate([v, v]), "concatenate"),
        (lambda: v[0], "getitem"),
    ]:
        with pytest.raises(RuntimeError) as ei:
            f()
        m = _msg(ei)
        assert m.startswith(name + ": an input (a view"), m


def test_broadcast_mismatch_with_requires_grad_and_numpy_operand():
    a = pj.ones(3, 2, requires_grad=True)
    with pytest.raises(ValueError) as ei:
        a * np.ones((2, 3))
    assert "(3, 2)" in _msg(ei) and "(2, 3)" in _msg(ei)


@pytest.mark.parametrize("sa, sb", [((2, 3), (4, 2)), ((3,), (4,)), ((2, 3, 4), (3, 5, 6)), ((5,), (4, 2))])
def test_matmul_mismatch_is_value_error_with_both_shapes(sa, sb):
    a, b = pj.ones(sa), pj.ones(sb)
    for f in (lambda: a @ b, lambda: pj.matmul(a, b)):
        with pytest.raises(ValueError) as ei:
            f()
        m = _msg(ei)
        assert "matmul" in m, m
        assert str(sa) in m and str(sb) in m, m


def test_matmul_with_scalar_is_value_error():
    with pytest.raises(ValueError):
        pj.ones(2, 2) @ 2.0
    with pytest.raises(ValueError):
        pj.matmul(pj.tensor(1.0), pj.ones(2))


def test_dot_mismatch():
    with pytest.raises(ValueError) as ei:
        pj.dot(pj.ones(2), pj.ones(3))
    assert "(2,)" in _msg(ei) and "(3,)" in _msg(ei)


@pytest.mark.parametrize(
    "fn, op",
    [
        (lambda t: t.sum(axis=2), "sum"),
        (lambda t: t.sum(axis=-3), "sum"),
        (lambda t: t.sum(axis=(0, 0)), "sum"),
        (lambda t: t.mean(axis=5), "mean"),
        (lambda t: t.max(axis=2), "max"),
        (lambda t: t.min(axis=-3), "min"),
        (lambda t: pj.norm(t, axis=3), "norm"),
        (lambda t: t.transpose(0, 0), "transpose"),
        (lambda t: t.transpose(0, 5), "transpose"),
        (lambda t: t.transpose(0), "transpose"),
        (lambda t: pj.squeeze(t, axis=0), "squeeze"),
        (lambda t: pj.expand_dims(t, 4), "expand_dims"),
        (lambda t: pj.concatenate([t, t], axis=2), "concatenate"),
        (lambda t: pj.stack([t, t], axis=4), "stack"),
    ],
)
def test_bad_axes_are_value_errors(fn, op):
    t = pj.ones(2, 3)
    with pytest.raises(ValueError) as ei:
        fn(t)
    assert op in _msg(ei), _msg(ei)


def test_bad_axes_with_requires_grad_records_nothing_and_raises():
    t = pj.ones(2, 3, requires_grad=True)
    with pytest.raises(ValueError):
        t.sum(axis=7)
    with pytest.raises(ValueError):
        (t * 2).mean(axis=(1, 1))


def test_axis_of_wrong_type_is_type_error():
    with pytest.raises(TypeError):
        pj.ones(3).sum(axis=0.5)
    with pytest.raises(TypeError):
        pj.ones(3).sum(axis="0")


@pytest.mark.parametrize("shape", [(4,), (4, 2), (-1, 4), (-1, -1), (0, -1), (-2, 3), (7,)])
def test_bad_reshape_is_value_error(shape):
    t = pj.ones(2, 3)
    with pytest.raises(ValueError) as ei:
        t.reshape(shape)
    m = _msg(ei)
    assert "reshape" in m, m


def test_bad_reshape_message_names_shapes():
    with pytest.raises(ValueError) as ei:
        pj.reshape(pj.ones(2, 3), (4,))
    assert "(2, 3)" in _msg(ei) and "(4,)" in _msg(ei)


@pytest.mark.parametrize(
    "fn",
    [
        lambda: pj.broadcast_to(pj.ones(3), (2, 2)),
        lambda: pj.concatenate([pj.ones(2, 3), pj.ones(2, 4)]),
        lambda: pj.concatenate([]),
        lambda: pj.stack([pj.ones(2), pj.ones(3)]),
        lambda: pj.stack([]),
        lambda: pj.where(pj.ones(2) > 0, pj.ones(3), pj.ones(3)),
        lambda: pj.zeros(-1),
        lambda: pj.ones((2, -3)),
        lambda: pj.eye(-2),
        lambda: pj.linspace(0, 1, -1),
        lambda: pj.arange(0, 5, 0),
        lambda: pj.ones(3).item(),
        lambda: bool(pj.ones(3)),
        lambda: pj.zeros(0).max(),
    ],
)
def test_other_value_errors(fn):
    with pytest.raises(ValueError):
        fn()


@pytest.mark.parametrize("index", [3, -4, (0, 0), (Ellipsis, Ellipsis), 1.5])
def test_bad_indices_raise_index_error(index):
    with pytest.raises(IndexError):
        pj.ones(3)[index]


def test_len_of_0d_is_type_error():
    with pytest.raises(TypeError):
        len(pj.tensor(1.0))


# ---- data conversion ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        [[1.0, 2.0], [3.0]],
        [[1, 2], [3, 4, 5]],
        [1.0, [2.0, 3.0]],
        [[1.0, [2.0]], [3.0, 4.0]],
    ],
)
def test_ragged_lists_are_value_errors(data):
    with pytest.raises(ValueError):
        pj.tensor(data)
    with pytest.raises(ValueError):
        pj.asarray(data)


@pytest.mark.parametrize(
    "data",
    [
        ["a", "b"],
        "abc",
        b"abc",
        [1.0, "a"],
        np.array(["x", "y"]),
        [object()],
        np.array([object(), object()]),
        None,
        {"a": 1},
        [1 + 2j],
    ],
)
def test_non_numeric_data_is_rejected(data):
    with pytest.raises((TypeError, ValueError)):
        pj.tensor(data)


def test_non_numeric_operands_are_type_errors():
    t = pj.ones(2)
    for other in ("a", None, object(), {"k": 1}):
        with pytest.raises(TypeError):
            t + other
        with pytest.raises(TypeError):
            other * t


@pytest.mark.parametrize("dtype", ["complex128", np.complex64, "U3", object, "foo"])
def test_unsupported_dtype_is_type_error(dtype):
    with pytest.raises(TypeError):
        pj.zeros(2, dtype=dtype)
    with pytest.raises(TypeError):
        pj.tensor([1.0], dtype=dtype)


# ---- requires_grad on non-float -------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: pj.tensor([1, 2], requires_grad=True),
        lambda: pj.tensor([True, False], requires_grad=True),
        lambda: pj.tensor(np.arange(3), requires_grad=True),
        lambda: pj.zeros(3, dtype=pj.int64, requires_grad=True),
        lambda: pj.ones(3, dtype=pj.bool_, requires_grad=True),
        lambda: pj.arange(4, requires_grad=True),
        lambda: pj.full((2,), 3, requires_grad=True),
        lambda: pj.tensor([1, 2]).requires_grad_(),
        lambda: setattr(pj.tensor([1, 2]), "requires_grad", True),
        lambda: pj.tensor([1.0, 2.0], dtype=pj.int64, requires_grad=True),
    ],
)
def test_requires_grad_on_integer_or_bool_is_type_error(make):
    with pytest.raises(TypeError) as ei:
        make()
    m = _msg(ei)
    assert "int64" in m or "bool" in m, m


def test_int_tensor_stays_without_grad_after_refusal():
    t = pj.tensor([1, 2])
    with pytest.raises(TypeError):
        t.requires_grad_()
    assert not t.requires_grad


# ---- graph misuse --------------------------------------------------------------------------


def test_second_backward_through_freed_graph():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    y = (pj.exp(x) * x).sum()
    y.backward()
    g = x.grad.tolist()
    with pytest.raises(RuntimeError) as ei:
        y.backward()
    assert "retain_graph=True" in _msg(ei)
    assert x.grad.tolist() == g


def test_second_grad_through_freed_graph_partial_overlap():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    h = pj.sin(x)
    a = (h * 2).sum()
    b = (h * 3).sum()
    a.backward()  # frees sin's saved input
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        b.backward()


def test_backward_non_scalar_without_gradient():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError) as ei:
        y.backward()
    assert "(2,)" in _msg(ei)
    with pytest.raises(RuntimeError):
        pj.grad(y, x)
    assert x.grad is None


def test_single_element_non_scalar_backward_is_allowed():
    x = pj.tensor([3.0], requires_grad=True)
    (x * x).backward()
    assert x.grad.tolist() == [6.0]


def test_grad_of_unreached_input():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    z = pj.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError) as ei:
        pj.grad((x * 2).sum(), [x, z])
    assert "allow_unused" in _msg(ei)
    gx, gz = pj.grad((x * 2).sum(), [x, z], allow_unused=True)
    assert gz is None and gx.tolist() == [2.0, 2.0]


def test_grad_of_unreached_non_leaf():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    other = x * 5  # in the graph of x, but not upstream of y
    y = (x * 2).sum()
    with pytest.raises(RuntimeError):
        pj.grad(y, other, retain_graph=True)
    assert pj.grad(y, other, allow_unused=True) == (None,)


def test_backward_of_tensor_without_grad():
    with pytest.raises(RuntimeError):
        pj.ones(2).sum().backward()
    with pytest.raises(RuntimeError):
        pj.grad(pj.ones(2).sum(), pj.ones(2, requires_grad=True))


def test_grad_wrt_input_not_requiring_grad():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError):
        pj.grad((x * 2).sum(), pj.ones(2))


@pytest.mark.parametrize("gshape", [(3,), (2, 1), (1,), (), (1, 2)])
def test_gradient_of_wrong_shape_is_value_error(gshape):
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises(ValueError) as ei:
        y.backward(pj.ones(gshape))
    assert str(gshape) in _msg(ei) and "(2,)" in _msg(ei)
    with pytest.raises(ValueError):
        pj.grad(y, x, grad_outputs=pj.ones(gshape))
    assert x.grad is None
    # the graph is intact: a correct call still works
    (g,) = pj.grad(y, x, grad_outputs=pj.ones(2))
    assert g.tolist() == [2.0, 2.0]


def test_batched_gradient_of_wrong_shape():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises(ValueError):
        pj.grad(y, x, grad_outputs=pj.ones(3, 4), is_grads_batched=True)
    with pytest.raises(ValueError):
        pj.grad(y, x, grad_outputs=pj.ones(2), is_grads_batched=True)  # no batch dim
    with pytest.raises(ValueError):
        pj.grad(y.sum(), x, grad_outputs=pj.tensor(1.0), is_grads_batched=True)
    with pytest.raises(ValueError):
        pj.grad(y, x, is_grads_batched=True)  # batched needs explicit grad_outputs


def test_wrong_number_of_grad_outputs():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError):
        pj.grad((x * 2).sum(), x, grad_outputs=[pj.tensor(1.0), pj.tensor(1.0)])


def test_non_tensor_outputs_inputs_are_type_errors():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError):
        pj.grad([1.0], [x])
    with pytest.raises(TypeError):
        pj.grad((x * 2).sum(), [np.ones(2)])


def test_assigning_grad_of_wrong_shape():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError):
        x.grad = pj.ones(3)
    assert x.grad is None


def test_requires_grad_false_on_non_leaf_is_runtime_error():
    x = pj.tensor([1.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError):
        y.requires_grad = False
    with pytest.raises(RuntimeError):
        y.requires_grad_(False)


def test_retain_grad_on_tensor_without_grad():
    with pytest.raises(RuntimeError):
        pj.ones(2).retain_grad()


def test_inplace_zero_on_leaf_requiring_grad():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError):
        x.zero_()
    assert x.tolist() == [1.0, 2.0]
    with pj.no_grad():
        x.zero_()
    assert x.tolist() == [0.0, 0.0]


def test_grad_mode_restored_after_failed_backward():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pj.no_grad():
        with pytest.raises(RuntimeError):
            y.backward(create_graph=True)
        assert not pj.is_grad_enabled()
    assert pj.is_grad_enabled()


# ---- nothing corrupts a tensor ------------------------------------------------------------


def test_failed_ops_leave_inputs_unchanged():
    a = pj.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    b = pj.tensor([1.0, 2.0])
    for f in (
        lambda: a + b,
        lambda: a @ a,
        lambda: a.reshape(4),
        lambda: a.sum(axis=4),
        lambda: pj.concatenate([a, b]),
        lambda: a[5],
    ):
        with pytest.raises((ValueError, IndexError)):
            f()
    assert a.tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    assert b.tolist() == [1.0, 2.0]
    assert a.requires_grad and a.is_leaf and a.grad is None
    (a * 2).sum().backward()
    assert a.grad.tolist() == [[2.0] * 3] * 2


# ---- nothing crashes the interpreter ----------------------------------------------------

_RISKY = textwrap.dedent("""
    import numpy as np
    import pyjac as pj

    def x():
        return pj.tensor([1.0, 2.0], requires_grad=True)

    cases = [
        'pj.ones(6).reshape(-1, -1)',
        'pj.ones(6).reshape(-1, 0)',
        'pj.arange(0, float("inf"))',
        'pj.broadcast_to(pj.ones(3), (-1, 3))',
        'pj.ones(3)[::0]',
        'pj.ones(3)[pj.tensor([0, 1])]',
        'pj.ones(3)[10**30]',
        'pj.ones(3)[-(10**30):]',
        'pj.ones(2, 3).transpose(0, 10**20)',
        'pj.ones(2, 3).sum(axis=10**20)',
        'pj.ones(2).reshape(10**20)',
        'pj.tensor([[1.0, [2.0]], [3.0, 4.0]])',
        'pj.tensor([1 + 2j])',
        'pj.tensor(2**70)',
        'pj.norm(pj.ones(3), ord="xyz")',
        'pj.clip(pj.ones(3), "a", 1)',
        'pj.arange(3) ** -1',
        'pj.concatenate(pj.ones(3))',
        'pj.stack([pj.ones(2), "a"])',
        'pj.where(pj.ones(2), pj.ones(2), pj.ones(2))',
        'x().backward()',
        'pj.grad(x() * 2, x())',
        'pj.grad((x() * 2).sum(), [])',
        'pj.grad([], [])',
        'pj.backward([])',
        'pj.grad(x().sum(), x(), grad_outputs=pj.tensor([1, 2]))',
        'pj.grad(x() * 2, x(), grad_outputs=pj.ones(0, 2), is_grads_batched=True)',
        '(lambda t: pj.grad(t * 2, t, grad_outputs=pj.ones(0, 2), is_grads_batched=True))(x())',
        '(lambda t: pj.grad(t * 2, t, grad_outputs="abc"))(x())',
        '(lambda t: pj.grad(t * 2, t, grad_outputs=[[1.0], [2.0, 3.0]]))(x())',
        'setattr(x(), "grad", "abc")',
        'setattr(x(), "grad", pj.ones(3))',
    ]
    for src in cases:
        print("CASE", src, flush=True)
        try:
            eval(src)
        except Exception:
            pass
    # the interpreter and the library still work
    t = pj.tensor([1.0, 2.0], requires_grad=True)
    (t * t).sum().backward()
    assert t.grad.tolist() == [2.0, 4.0]
    print("RISKY-OK", len(cases))
""")


def test_risky_inputs_do_not_crash_the_interpreter():
    proc = subprocess.run(
        [sys.executable, "-c", _RISKY], capture_output=True, text=True, timeout=120, cwd=_OUTSIDE_SOURCE_TREE
    )
    cases = [line[5:] for line in proc.stdout.splitlines() if line.startswith("CASE ")]
    last = cases[-1] if cases else None
    assert proc.returncode == 0, f"rc={proc.returncode}; crashed on {last!r}\nstderr:{proc.stderr[-3000:]}"
    assert "RISKY-OK" in proc.stdout


_EACH_RAISES = textwrap.dedent("""
    import sys
    import pyjac as pj
    # each case must raise a Python exception of the listed type (not crash, not succeed)
    cases = {
        "huge_zeros": (lambda: pj.zeros(10**12, 10**12), (MemoryError, ValueError)),
        "reshape_two_unknown": (lambda: pj.ones(6).reshape(-1, -1), (ValueError,)),
        "slice_step_zero": (lambda: pj.ones(3)[::0], (ValueError,)),
        "huge_index": (lambda: pj.ones(3)[10**30], (IndexError, OverflowError, ValueError)),
        "huge_axis": (lambda: pj.ones(2, 3).sum(axis=10**20), (ValueError, OverflowError)),
        "bad_norm_ord": (lambda: pj.norm(pj.ones(3), ord="xyz"), (ValueError,)),
        "int_negative_power": (lambda: pj.arange(3) ** -1, (ValueError,)),
        "grad_outputs_ragged": (lambda: (lambda t: pj.grad(t * 2, t, grad_outputs=[[1.0], [2.0, 3.0]]))(
            pj.tensor([1.0, 2.0], requires_grad=True)), (ValueError,)),
    }
    bad = []
    for name, (f, types) in cases.items():
        try:
            f()
            bad.append(f"{name}: no exception")
        except types:
            pass
        except Exception as e:
            bad.append(f"{name}: {type(e).__name__}: {e}")
    print("BAD:" + "; ".join(bad))
""")


def test_risky_inputs_raise_the_right_exceptions():
    proc = subprocess.run(
        [sys.executable, "-c", _EACH_RAISES], capture_output=True, text=True, timeout=120, cwd=_OUTSIDE_SOURCE_TREE
    )
    assert proc.returncode == 0, f"rc={proc.returncode}\nstderr:{proc.stderr[-3000:]}"
    assert "BAD:" in proc.stdout and proc.stdout.strip().endswith("BAD:"), proc.stdout


# Sizes whose byte count overflows 64 bits must be refused (MemoryError or ValueError), never
# turned into a tiny allocation that kernels then write far past. Each in its own interpreter.
OVERSIZED = [
    "pj.zeros(10**12, 10**12)",
    "pj.empty(2**62)",
    "pj.ones(2**61)",
    "pj.zeros((2**40, 2**40))",
    "pj.full((2**62,), 1.0)",
    "pj.eye(2**31)",
    "pj.eye(2**40)",
    "pj.linspace(0, 1, 2**62)",
    "pj.arange(0, 2.0**62)",
    "pj.rand(2**62)",
    "pj.randn(2**31, 2**31)",
]


@pytest.mark.parametrize("src", OVERSIZED)
def test_oversized_creation_raises_instead_of_crashing(src):
    code = textwrap.dedent(f"""
        import pyjac as pj
        try:
            t = {src}
        except (MemoryError, ValueError) as e:
            print("RAISED", type(e).__name__)
        else:
            print("RETURNED", t.shape)
    """)
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=_OUTSIDE_SOURCE_TREE
    )
    assert proc.returncode == 0, f"{src}: interpreter died with rc={proc.returncode}\n{proc.stderr[-2000:]}"
    assert "RAISED" in proc.stdout, f"{src}: {proc.stdout}{proc.stderr[-2000:]}"


@pytest.mark.parametrize("args", [(0, float("nan")), (float("nan"), 3), (0, float("inf")), (0, 3, float("nan"))])
def test_arange_with_non_finite_bounds_raises_like_numpy(args):
    with pytest.raises(ValueError):
        np.arange(*args)
    with pytest.raises(ValueError, match="arange"):
        pj.arange(*args)


# ---- tensors too large to allocate ---------------------------------------------------------------
# Every size here is beyond the 2**48 bytes pyjac refuses up front, so no test asks the system for
# memory. The inputs are stride-0 views (broadcast_to), which take none.


def _huge_vector(n=10**8, dtype=np.float64):
    return pj.broadcast_to(pj.ones(1, dtype=dtype), (n,))


_big = 10**8
HUGE = [
    ("empty", lambda: pj.empty((_big, _big)), "float64", (_big, _big)),
    ("zeros", lambda: pj.zeros(_big, _big, dtype=np.float32), "float32", (_big, _big)),
    ("ones", lambda: pj.ones((_big, _big)), "float64", (_big, _big)),
    ("full", lambda: pj.full((_big, _big), 2), "int64", (_big, _big)),
    ("eye", lambda: pj.eye(_big), "float64", (_big, _big)),
    ("rand", lambda: pj.rand(_big, _big), "float64", (_big, _big)),
    ("randn", lambda: pj.randn(_big, _big), "float64", (_big, _big)),
    ("arange", lambda: pj.arange(0, 1e17), "float64", (10**17,)),
    ("linspace", lambda: pj.linspace(0, 1, 10**17), "float64", (10**17,)),
    ("multiply", lambda: _huge_vector()[:, None] * _huge_vector(), "float64", (_big, _big)),
    ("add", lambda: pj.add(_huge_vector()[:, None], _huge_vector()), "float64", (_big, _big)),
    ("subtract", lambda: 1.0 - (_huge_vector()[:, None] - _huge_vector()), "float64", (_big, _big)),
    ("equal", lambda: _huge_vector()[:, None] == _huge_vector(), "bool", (_big, _big)),
    ("arctan2", lambda: pj.arctan2(_huge_vector()[:, None], _huge_vector()), "float64", (_big, _big)),
    (
        "where",
        lambda: pj.where(pj.ones(1, dtype=bool), _huge_vector()[:, None], _huge_vector()),
        "float64",
        (_big, _big),
    ),
    ("outer", lambda: pj.outer(_huge_vector(), _huge_vector()), "float64", (_big, _big)),
    ("kron", lambda: pj.kron(_huge_vector(), _huge_vector()), "float64", (_big, _big)),
    (
        "einsum",
        lambda: pj.einsum("i,j->ij", _huge_vector(), _huge_vector()),
        "float64",
        None,
    ),  # an intermediate's shape
    ("matmul", lambda: _huge_vector()[:, None] @ _huge_vector()[None, :], "float64", (_big, _big)),
    ("tile", lambda: pj.tile(pj.ones(2), (_big, _big)), "float64", None),
    ("repeat", lambda: pj.repeat(pj.ones(2), 10**14), "float64", None),
    ("pad", lambda: pj.pad(pj.ones(2), 10**14), "float64", None),
    ("copy", lambda: pj.broadcast_to(pj.ones(1), (_big, _big)).copy(), "float64", (_big, _big)),
    (
        "concatenate",
        lambda: pj.concatenate([pj.broadcast_to(pj.ones(1), (_big, _big))] * 2),
        "float64",
        (2 * _big, _big),
    ),
    ("stack", lambda: pj.stack([_huge_vector(10**16)] * 2), "float64", (2, 10**16)),
    (
        "index",
        lambda: pj.ones((2, 2))[_huge_vector(dtype=np.int64)[:, None], _huge_vector(dtype=np.int64)],
        "int64",
        (_big, _big),
    ),
    ("index", lambda: pj.broadcast_to(pj.ones(1), (2, _big, _big))[pj.tensor([0])], "float64", (1, _big, _big)),
]


@pytest.mark.parametrize("op, f, dtype, shape", HUGE, ids=[h[0] for h in HUGE])
def test_huge_tensor_raises_memory_error_naming_op_bytes_and_shape(op, f, dtype, shape):
    with pytest.raises(MemoryError) as ei:
        f()
    m = _msg(ei)
    assert m.startswith(op + ": cannot allocate "), m
    assert f"for a {dtype} tensor of shape" in m, m
    if shape is not None:  # None: a composite op, which names the intermediate it could not make
        assert str(shape) in m, m
        nbytes = int(np.prod(shape, dtype=object)) * np.dtype(dtype).itemsize
        assert f"({nbytes} bytes)" in m, m


def test_memory_error_message_gives_a_readable_size():
    with pytest.raises(MemoryError) as ei:
        pj.empty((10**6, 10**6, 100))
    assert _msg(ei) == (
        "empty: cannot allocate 800.0 TB (800000000000000 bytes) for a float64 tensor of shape (1000000, 1000000, 100)"
    )
    with pytest.raises(MemoryError) as ei:
        pj.zeros(10**12, 10**12)  # 8e24 bytes: more than 64 bits count
    assert "8.0 YB (8000000000000000000000000 bytes)" in _msg(ei)
    with pytest.raises(MemoryError) as ei:
        pj.zeros(10**18, 10**18, 10**18)  # more than 128 bits count
    assert "cannot allocate 8.0e+54 bytes for a float64 tensor" in _msg(ei)


# ---- arguments that reached C++ standard exceptions, undefined behaviour or endless loops ---------


@pytest.mark.isolated
@pytest.mark.parametrize(
    "call",
    [lambda x: pj.moveaxis(x, 0, None), lambda x: pj.moveaxis(x, None, 0), lambda x: pj.expand_dims(x, None)],
    ids=["moveaxis-dst", "moveaxis-src", "expand_dims"],
)
def test_none_axis_where_an_axis_is_required_is_a_type_error(call):
    # None was dereferenced as "no axes" (a crash, or std::length_error's "vector::reserve")
    with pytest.raises(
        TypeError,
        match=r"^(moveaxis|expand_dims): (source|destination|axis) must be an int or a sequence of ints, not None",
    ):
        call(pj.ones((2, 3)))


def test_array_split_into_absurdly_many_sections_raises_memory_error_at_once():
    # 2**41 split points were pushed one by one until memory ran out (std::bad_alloc)
    for sections in (2**41, 2**62):
        with pytest.raises(MemoryError, match=f"^array_split: cannot make {sections} sections"):
            pj.array_split(pj.ones((2, 3)), sections)
    assert [t.shape for t in pj.array_split(pj.ones(3), 5)] == [(1,), (1,), (1,), (0,), (0,)]


def test_round_with_huge_decimals_finishes_like_numpy():
    # the power of ten was multiplied out one decimal at a time, 2**40 of them: the timeout only
    # guards the suite against that hang
    code = textwrap.dedent("""
        import warnings
        import numpy as np
        import pyjac as pj
        warnings.simplefilter("ignore")
        x = np.array([1.5, -2.25, 0.0, 1e300])
        for d in (2**40, -2**40, 400, -400):
            got = pj.round(pj.tensor(x), d).numpy()
            ref = np.round(x, 400 if d > 0 else -400)
            assert np.array_equal(got, ref, equal_nan=True), (d, got, ref)
        print("ok")
    """)
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=_OUTSIDE_SOURCE_TREE
    )
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr
