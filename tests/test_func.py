"""pyjac.func transforms (grad, value_and_grad, jacrev, jacfwd, jacobian, hessian, vjp, jvp): argnums,
has_aux, input kinds, composition (every pairing of jacfwd/jacrev gives the Hessian), errors, the
worked examples, finite differences, and parity with torch.func on random compositions."""

import numpy as np
import pytest
from _helpers import assert_tree_close

import pyjac as pj
from pyjac import func as F
from pyjac.testing import numerical_jacobian

JAC_TRANSFORMS = {"jacrev": F.jacrev, "jacfwd": F.jacfwd, "jacobian": F.jacobian}


def _np(x):
    return x.detach().numpy() if isinstance(x, pj.Tensor) else np.asarray(x)


def numeric_jacobian(fn, arrays, argnum=0, eps=1e-6):
    """Central differences in float64 of a one-tensor-out fn w.r.t. positional argument argnum."""
    return numerical_jacobian(fn, arrays, eps, wrt=[argnum])[0][0]


def matvec(v, M):
    return M @ v


def _mv():
    v = pj.tensor([0.5, -1.0, 2.0])
    M = pj.tensor(np.arange(9.0).reshape(3, 3) / 4 - 1)
    return v, M


def scalar_fn(x, y):
    """x (3,), y (2,) -> ()."""
    return pj.sum(pj.sin(x) * x**2) + pj.sum(pj.tanh(x[:2] * y)) + pj.norm(y) ** 3


X0 = np.array([0.4, -1.2, 0.9])
Y0 = np.array([0.7, -0.3])


def hessian_fd(f, arrays, argnum):
    """Hessian block d2 f / d(arg argnum)^2 by central differences of the reverse-mode gradient."""
    return numeric_jacobian(F.grad(f, argnum), arrays, argnum, eps=1e-5)


# ---- worked example: f(v, M) = M @ v --------------------------------------------------------------------
@pytest.mark.parametrize("name", list(JAC_TRANSFORMS))
def test_worked_example_matvec(name):
    T = JAC_TRANSFORMS[name]
    v, M = _mv()
    J0 = T(matvec)(v, M)
    assert isinstance(J0, pj.Tensor)
    np.testing.assert_array_equal(_np(J0), _np(M))
    J1 = T(matvec, 1)(v, M)
    assert isinstance(J1, pj.Tensor) and tuple(J1.shape) == (3, 3, 3)
    expected = np.zeros((3, 3, 3))
    for i in range(3):
        expected[i, i, :] = _np(v)
    np.testing.assert_array_equal(_np(J1), expected)
    both = T(matvec, (0, 1))(v, M)
    assert isinstance(both, tuple) and len(both) == 2
    np.testing.assert_array_equal(_np(both[0]), _np(M))
    np.testing.assert_array_equal(_np(both[1]), expected)
    # the functional API gives the same pair
    pair = pj.jacobian(matvec, (v, M))
    np.testing.assert_array_equal(_np(pair[0]), _np(both[0]))
    np.testing.assert_array_equal(_np(pair[1]), _np(both[1]))


# ---- argnums -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(JAC_TRANSFORMS) + ["grad", "hessian"])
def test_argnums_int_tuple_negative_and_default(name):
    T = {"grad": F.grad, "hessian": F.hessian, **JAC_TRANSFORMS}[name]
    x, y = pj.tensor(X0), pj.tensor(Y0)
    default = T(scalar_fn)(x, y)
    first = T(scalar_fn, 0)(x, y)
    second = T(scalar_fn, 1)(x, y)
    negative = T(scalar_fn, -1)(x, y)
    both = T(scalar_fn, (0, 1))(x, y)
    one_tuple = T(scalar_fn, (1,))(x, y)
    for r in (default, first, second, negative):
        assert isinstance(r, pj.Tensor)
    assert isinstance(both, tuple) and len(both) == 2
    assert isinstance(one_tuple, tuple) and len(one_tuple) == 1
    np.testing.assert_array_equal(_np(default), _np(first))
    np.testing.assert_array_equal(_np(negative), _np(second))
    if name == "hessian":  # tuple argnums: blocks H[i][j]
        assert all(isinstance(row, tuple) and len(row) == 2 for row in both)
        np.testing.assert_array_equal(_np(both[0][0]), _np(first))
        np.testing.assert_array_equal(_np(both[1][1]), _np(second))
        assert isinstance(one_tuple[0], tuple) and len(one_tuple[0]) == 1
        np.testing.assert_array_equal(_np(one_tuple[0][0]), _np(second))
    else:
        np.testing.assert_array_equal(_np(both[0]), _np(first))
        np.testing.assert_array_equal(_np(both[1]), _np(second))
        np.testing.assert_array_equal(_np(one_tuple[0]), _np(second))
    if name == "hessian":
        assert tuple(first.shape) == (3, 3) and tuple(second.shape) == (2, 2)
        np.testing.assert_allclose(_np(first), hessian_fd(scalar_fn, [X0, Y0], 0), rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(_np(second), hessian_fd(scalar_fn, [X0, Y0], 1), rtol=1e-6, atol=1e-7)
    else:
        assert tuple(first.shape) == (3,) and tuple(second.shape) == (2,)
        np.testing.assert_allclose(_np(first), numeric_jacobian(scalar_fn, [X0, Y0], 0), rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(_np(second), numeric_jacobian(scalar_fn, [X0, Y0], 1), rtol=1e-6, atol=1e-8)


def test_hessian_argnums_tuple_gives_blocks():
    H = F.hessian(scalar_fn, (0, 1))(pj.tensor(X0), pj.tensor(Y0))
    assert isinstance(H, tuple) and len(H) == 2 and all(isinstance(r, tuple) and len(r) == 2 for r in H)
    shapes = [[tuple(b.shape) for b in row] for row in H]
    assert shapes == [[(3, 3), (3, 2)], [(2, 3), (2, 2)]]
    np.testing.assert_allclose(_np(H[0][1]), _np(H[1][0]).T, rtol=1e-12, atol=1e-12)
    cross = numeric_jacobian(F.grad(scalar_fn, 0), [X0, Y0], 1, eps=1e-5)  # d/dy (d f/dx): (3, 2)
    np.testing.assert_allclose(_np(H[0][1]), cross, rtol=1e-6, atol=1e-7)


def test_default_argnums_leaves_other_arguments_alone():
    """Only the first argument is differentiated; the others may be anything (an int exponent here)."""
    g = F.grad(lambda x, n: pj.sum(x**n))(np.array([1.0, 2.0]), 3)
    np.testing.assert_array_equal(_np(g), [3.0, 12.0])
    J = F.jacfwd(lambda x, label: x * 2.0)(np.array([1.0, 2.0]), "not a tensor")
    np.testing.assert_array_equal(_np(J), 2 * np.eye(2))


@pytest.mark.parametrize("name", ["grad", "value_and_grad", "jacrev", "jacfwd", "jacobian", "hessian"])
@pytest.mark.parametrize("argnums", [2, -3, (0, 2), (5,)])
def test_argnums_out_of_range_is_a_value_error(name, argnums):
    T = {"grad": F.grad, "value_and_grad": F.value_and_grad, "hessian": F.hessian, **JAC_TRANSFORMS}[name]
    with pytest.raises(ValueError, match="argnums"):
        T(scalar_fn, argnums)(pj.tensor(X0), pj.tensor(Y0))


ALL_ARGNUMS_TRANSFORMS = ["grad", "value_and_grad", "jacrev", "jacfwd", "jacobian", "hessian"]


def _transform(name):
    return getattr(F, name)


@pytest.mark.parametrize("name", ALL_ARGNUMS_TRANSFORMS)
@pytest.mark.parametrize("argnums", [(0, 0), (1, 0, 1), (0, -2), [-1, 1]])
def test_repeated_argnums_are_a_value_error(name, argnums):
    # Each argument has one input to differentiate; a second result for it was silently zeros.
    with pytest.raises(ValueError, match=rf"{name}: argnums .* names argument \d more than once"):
        _transform(name)(scalar_fn, argnums)(pj.tensor(X0), pj.tensor(Y0))


@pytest.mark.parametrize("name", ALL_ARGNUMS_TRANSFORMS)
def test_literally_repeated_argnums_are_refused_when_the_transform_is_made(name):
    with pytest.raises(ValueError, match=f"{name}: argnums \\(0, 0\\)"):
        _transform(name)(scalar_fn, (0, 0))


@pytest.mark.parametrize("name", ALL_ARGNUMS_TRANSFORMS)
@pytest.mark.parametrize(
    "argnums, message",
    [
        (1.0, "argnums must be an int or a tuple of ints, got float"),
        ("0", "argnums must be an int or a tuple of ints, got str"),
        (None, "argnums must be an int or a tuple of ints, got NoneType"),
        ((0, 1.0), "argnums must be ints, got float"),
        ((True,), "argnums must be ints, got bool"),
        (True, "argnums must be an int or a tuple of ints, got bool"),
    ],
)
def test_non_int_argnums_are_a_type_error_naming_the_transform(name, argnums, message):
    with pytest.raises(TypeError, match=f"{name}: {message}"):
        _transform(name)(scalar_fn, argnums)(pj.tensor(X0), pj.tensor(Y0))


@pytest.mark.parametrize("name", ALL_ARGNUMS_TRANSFORMS)
def test_empty_argnums_are_a_value_error(name):
    with pytest.raises(ValueError, match=f"{name}: argnums must not be empty"):
        _transform(name)(scalar_fn, ())


@pytest.mark.parametrize("name", ALL_ARGNUMS_TRANSFORMS)
def test_out_of_range_argnums_name_the_transform(name):
    with pytest.raises(ValueError, match=f"{name}: argnums 2 is out of range for a function called with 2"):
        _transform(name)(scalar_fn, 2)(pj.tensor(X0), pj.tensor(Y0))


def test_numpy_integer_argnums_work_like_ints():
    x, y = pj.tensor(X0), pj.tensor(Y0)
    single = F.grad(scalar_fn, np.int64(1))(x, y)
    assert isinstance(single, pj.Tensor)
    np.testing.assert_array_equal(_np(single), _np(F.grad(scalar_fn, 1)(x, y)))
    pair = F.jacrev(scalar_fn, (np.int64(0), 1))(x, y)
    assert isinstance(pair, tuple) and len(pair) == 2


@pytest.mark.parametrize("name", list(JAC_TRANSFORMS))
@pytest.mark.parametrize("chunk_size", [0, -1, -(2**70)])
def test_chunk_size_below_one_is_a_value_error(name, chunk_size):
    # 0 used to mean "no chunking" and -1 made jacfwd fail in a reshape; None means no chunking
    with pytest.raises(
        ValueError, match=f"{name}: chunk_size must be None \\(no chunking\\) or a positive int, got {chunk_size}"
    ):
        JAC_TRANSFORMS[name](lambda x: x * 2.0, chunk_size=chunk_size)(np.ones(3))


@pytest.mark.parametrize("name", list(JAC_TRANSFORMS))
@pytest.mark.parametrize("chunk_size", [1.5, 2.0, True, "2"])
def test_non_int_chunk_size_is_a_type_error(name, chunk_size):
    with pytest.raises(
        TypeError, match=f"{name}: chunk_size must be None, a positive int or 'auto', got {type(chunk_size).__name__}"
    ):
        JAC_TRANSFORMS[name](lambda x: x * 2.0, chunk_size=chunk_size)(np.ones(3))


# ---- inputs and outputs --------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(JAC_TRANSFORMS) + ["grad", "hessian"])
def test_numpy_arrays_and_floats_in_tensors_out(name):
    T = {"grad": F.grad, "hessian": F.hessian, **JAC_TRANSFORMS}[name]
    r = T(lambda x: x**3)(2.0)
    assert isinstance(r, pj.Tensor) and tuple(r.shape) == ()
    assert r.item() == pytest.approx(12.0)  # 3 x**2 and 6 x at x = 2
    r = T(lambda x, y: pj.sum(x * x) * y, (0, 1))(np.array([1.0, 2.0]), 3.0)
    assert isinstance(r, tuple)
    if name == "hessian":
        assert_tree_close(r, ((6 * np.eye(2), np.array([2.0, 4.0])), (np.array([2.0, 4.0]), 0.0)), rtol=1e-14)
    else:
        assert_tree_close(r, (np.array([6.0, 12.0]), 5.0), rtol=1e-14)
    ints = T(lambda x: pj.sum(x**3) if name in ("grad", "hessian") else x**3)(np.array([1, 2]))
    assert ints.dtype == np.float64


def test_results_do_not_require_grad_and_inputs_are_untouched():
    x = pj.tensor(X0, requires_grad=False)
    a = np.array(X0)
    results = [
        F.grad(scalar_fn)(x, pj.tensor(Y0)),
        F.jacrev(pj.sin)(x),
        F.jacfwd(pj.sin)(x),
        F.hessian(scalar_fn)(a, Y0),
        F.jvp(pj.sin, (x,), (x,))[1],
        F.vjp(pj.sin, x)[1](x)[0],
    ]
    for r in results:
        assert isinstance(r, pj.Tensor)
        assert not r.requires_grad and r.grad_fn is None
    assert not x.requires_grad and x.grad is None
    np.testing.assert_array_equal(a, X0)


@pytest.mark.parametrize("transform", ["grad", "value_and_grad", "jacrev", "jacfwd", "vjp", "jvp"])
def test_tensor_aux_is_cut_from_the_transform_like_the_results(transform):
    """A Tensor aux computed from the differentiated input comes back like the results do: with
    its values, and no graph to the transform's internal inputs when nothing outside needs one
    (torch.func returns aux unwrapped from the transform too)."""
    x = pj.tensor([1.0, 2.0])
    f = lambda a: (pj.sum(a**2), a * 3.0)  # noqa: E731
    calls = {
        "grad": lambda: F.grad(f, has_aux=True)(x)[1],
        "value_and_grad": lambda: F.value_and_grad(f, has_aux=True)(x)[0][1],
        "jacrev": lambda: F.jacrev(f, has_aux=True)(x)[1],
        "jacfwd": lambda: F.jacfwd(f, has_aux=True)(x)[1],
        "vjp": lambda: F.vjp(f, x, has_aux=True)[2],
        "jvp": lambda: F.jvp(f, (x,), (x,), has_aux=True)[2],
    }
    aux = calls[transform]()
    assert isinstance(aux, pj.Tensor)
    np.testing.assert_array_equal(_np(aux), [3.0, 6.0])
    assert not aux.requires_grad
    assert aux.grad_fn is None


def test_value_and_grad_and_has_aux():
    x = pj.tensor(X0)
    value, g = F.value_and_grad(scalar_fn)(x, pj.tensor(Y0))
    np.testing.assert_allclose(_np(value), _np(scalar_fn(x, pj.tensor(Y0))), rtol=1e-15)
    np.testing.assert_allclose(_np(g), _np(F.grad(scalar_fn)(x, pj.tensor(Y0))), rtol=1e-15)
    aux_obj = {"anything": [1, 2]}

    def with_aux(x):
        return pj.sum(x**2), aux_obj

    g, aux = F.grad(with_aux, has_aux=True)(x)
    assert aux is aux_obj
    np.testing.assert_allclose(_np(g), 2 * X0)
    (value, aux), g = F.value_and_grad(with_aux, has_aux=True)(x)
    assert aux is aux_obj and value.item() == pytest.approx(np.sum(X0**2))
    for T in JAC_TRANSFORMS.values():
        J, aux = T(lambda x: (pj.sin(x), "aux"), has_aux=True)(x)
        assert aux == "aux"
        np.testing.assert_allclose(_np(J), np.diag(np.cos(X0)), rtol=1e-14, atol=1e-15)
    out, fn, aux = F.vjp(lambda x: (pj.sin(x), 7), x, has_aux=True)
    assert aux == 7
    np.testing.assert_allclose(_np(fn(pj.ones(3))[0]), np.cos(X0), rtol=1e-14)
    out, tangent, aux = F.jvp(lambda x: (pj.sin(x), 8), (x,), (pj.ones(3),), has_aux=True)
    assert aux == 8
    np.testing.assert_allclose(_np(tangent), np.cos(X0), rtol=1e-14)


def test_vjp_transform():
    x, y = pj.tensor(X0), pj.tensor(Y0)
    out, vjp_fn = F.vjp(lambda a, b: a[:2] * b + pj.sum(a), x, y)
    np.testing.assert_allclose(_np(out), X0[:2] * Y0 + np.sum(X0), rtol=1e-15)
    ct = np.array([1.0, -2.0])
    for _ in range(2):  # callable more than once
        gx, gy = vjp_fn(ct)
        np.testing.assert_allclose(_np(gx), np.r_[ct * Y0, 0.0] + ct.sum(), rtol=1e-14)
        np.testing.assert_allclose(_np(gy), ct * X0[:2], rtol=1e-14)
    # tuple outputs take a tuple of cotangents; a single primal still gives a 1-tuple
    out, vjp_fn = F.vjp(lambda a: (a * 2, pj.sum(a**2)), X0)
    assert isinstance(out, tuple) and len(out) == 2
    (g,) = vjp_fn((np.ones(3), 1.0))
    np.testing.assert_allclose(_np(g), 2 + 2 * X0, rtol=1e-14)
    with pytest.raises(ValueError):
        vjp_fn((np.ones(3),))


def test_jvp_transform():
    out, t = F.jvp(lambda a, b: a[:2] * b, (X0, Y0), (np.ones(3), np.array([1.0, 2.0])))
    np.testing.assert_allclose(_np(out), X0[:2] * Y0, rtol=1e-15)
    np.testing.assert_allclose(_np(t), Y0 + X0[:2] * [1.0, 2.0], rtol=1e-14)
    out, ts = F.jvp(lambda a: (a * 2, pj.sum(a)), (X0,), (np.ones(3),))
    assert isinstance(out, tuple) and isinstance(ts, tuple)
    np.testing.assert_allclose(_np(ts[0]), 2 * np.ones(3))
    assert ts[1].item() == pytest.approx(3.0)
    with pytest.raises(ValueError):
        F.jvp(pj.sin, (X0,), (np.ones(3), np.ones(3)))
    with pytest.raises(ValueError):
        F.jvp(pj.sin, (X0,), (np.ones(2),))


LONE_PRIMALS = {
    "ndarray": (np.array([0.5, -1.0]), np.array([1.0, 2.0])),
    "Tensor": (pj.tensor([0.5, -1.0]), pj.tensor([1.0, 2.0])),
    "0-d Tensor": (pj.tensor(0.5), pj.tensor(2.0)),
    "float": (0.5, 2.0),
    "int": (3, 1),
    "numpy float": (np.float64(0.5), np.float64(2.0)),
}


@pytest.mark.parametrize("kind", list(LONE_PRIMALS))
def test_jvp_takes_a_lone_primal_and_tangent_as_the_one_argument(kind):
    # An array used to be iterated as a tuple of primals (fn got one argument per row), and a
    # float or 0-d tensor raised "not iterable"; JAX takes a lone array as the one argument.
    primal, tangent = LONE_PRIMALS[kind]
    out, t = F.jvp(lambda a: a**3, primal, tangent)
    ref_out, ref_t = F.jvp(lambda a: a**3, (primal,), (tangent,))
    p, v = _np(primal).astype(float), _np(tangent).astype(float)
    np.testing.assert_allclose(_np(out), p**3, rtol=1e-15)
    np.testing.assert_allclose(_np(t), 3 * p**2 * v, rtol=1e-15)
    np.testing.assert_array_equal(_np(out), _np(ref_out))
    np.testing.assert_array_equal(_np(t), _np(ref_t))
    # and pj.jvp (torch.autograd.functional style) reads it the same way
    f_out, f_t = pj.jvp(lambda a: a**3, primal, tangent)
    np.testing.assert_array_equal(_np(f_out), _np(out))
    np.testing.assert_array_equal(_np(f_t), _np(t))


def test_jvp_lists_are_sequences_of_primals_like_tuples():
    out, t = F.jvp(lambda a, b: a * b, [2.0, 3.0], [1.0, 0.0])
    assert out.item() == 6.0 and t.item() == 3.0
    out, t = pj.jvp(lambda a, b: a * b, [2.0, 3.0], [1.0, 0.0])
    assert out.item() == 6.0 and t.item() == 3.0


@pytest.mark.parametrize("bad, kind", [(None, "NoneType"), ("ab", "str"), (object(), "object")])
def test_jvp_with_unusable_primals_is_a_type_error_naming_jvp(bad, kind):
    with pytest.raises(TypeError, match=f"jvp: primal 0 must be a Tensor, a NumPy array or a number, got {kind}"):
        F.jvp(lambda a: a * 2, bad, 1.0)
    with pytest.raises(TypeError, match=f"jvp: tangent 0 must be a Tensor, a NumPy array or a number, got {kind}"):
        F.jvp(lambda a: a * 2, 1.0, bad)
    with pytest.raises(TypeError, match=f"jvp: inputs must be a Tensor, a NumPy array or a number, got {kind}"):
        pj.jvp(lambda a: a * 2, bad, 1.0)
    with pytest.raises(TypeError, match=f"vjp: primal 0 must be a Tensor, a NumPy array or a number, got {kind}"):
        F.vjp(lambda a: a * 2, bad)


def test_jvp_and_vjp_without_primals_are_value_errors():
    with pytest.raises(ValueError, match="jvp: primals must not be empty"):
        F.jvp(lambda: pj.ones(1), (), ())
    with pytest.raises(ValueError, match="vjp: primals must not be empty"):
        F.vjp(lambda: pj.ones(1))


def test_vjp_fn_of_a_tuple_output_takes_a_tuple_not_an_array():
    # An array with one row per output used to be iterated as the tuple of cotangents.
    _, vjp_fn = F.vjp(lambda a: (a * 2, a * 3), np.array([1.0, 2.0]))
    with pytest.raises(
        TypeError,
        match="vjp: the function returned a tuple of 2 outputs, so vjp_fn takes a tuple of 2 cotangents, got ndarray",
    ):
        vjp_fn(np.ones((2, 2)))
    (g,) = vjp_fn([np.ones(2), np.ones(2)])  # a list is a tuple here
    np.testing.assert_array_equal(_np(g), [5.0, 5.0])


@pytest.mark.parametrize("transform", ["grad", "jacrev", "jacfwd", "vjp", "jvp"])
def test_a_list_of_tensors_that_require_grad_is_a_pytree_and_keeps_their_history(transform):
    # A list argument used to be stacked into one array, losing its history (so it was refused);
    # as a pytree each Tensor is its own leaf, and an outer derivative flows through it.
    x = pj.tensor(1.5, requires_grad=True)
    arg = [x, 2 * x]
    f = lambda v: v[0] ** 2 + v[1] ** 2  # noqa: E731
    calls = {
        "grad": lambda: F.grad(f)(arg),
        "jacrev": lambda: F.jacrev(f)(arg),
        "jacfwd": lambda: F.jacfwd(f)(arg),
        "vjp": lambda: F.vjp(f, arg)[1](pj.tensor(1.0))[0],
        "jvp": lambda: [F.jvp(f, (arg,), ([1.0, 0.0],))[1], F.jvp(f, (arg,), ([0.0, 1.0],))[1]],
    }
    g = calls[transform]()
    assert isinstance(g, list) and len(g) == 2
    np.testing.assert_allclose([g[0].item(), g[1].item()], [3.0, 6.0])  # (2 x, 2 (2 x))
    (dx,) = pj.grad(g[0] + g[1], x)
    assert dx.item() == pytest.approx(2 + 2 * 2)  # d/dx (2x + 4x)


@pytest.mark.parametrize("name", list(JAC_TRANSFORMS))
def test_jacobian_transforms_tuple_outputs(name):
    T = JAC_TRANSFORMS[name]

    def f(a, b):
        return a[:2] * b, pj.sum(a**2) * b

    J = T(f, (0, 1))(X0, Y0)
    assert isinstance(J, tuple) and len(J) == 2 and all(isinstance(r, tuple) and len(r) == 2 for r in J)
    for i in range(2):
        out_i = lambda a, b, i=i: f(a, b)[i]  # noqa: E731
        for j in range(2):
            np.testing.assert_allclose(_np(J[i][j]), numeric_jacobian(out_i, [X0, Y0], j), rtol=1e-6, atol=1e-8)
    J0 = T(f)(X0, Y0)  # int argnums, tuple outputs: one Tensor per output
    assert isinstance(J0, tuple) and all(isinstance(b, pj.Tensor) for b in J0)
    np.testing.assert_array_equal(_np(J0[1]), _np(J[1][0]))


@pytest.mark.parametrize("shape_in,shape_out", [((2,), (7,)), ((7,), (2,)), ((3,), (3,))])
def test_jacobian_picks_a_mode_and_all_modes_agree(shape_in, shape_out):
    r = np.random.default_rng(0)
    A = pj.tensor(r.standard_normal(shape_out + shape_in))
    x = r.standard_normal(shape_in)

    def f(a):
        return pj.tanh(A @ a) * pj.sum(a)

    Js = [T(f)(x) for T in JAC_TRANSFORMS.values()]
    for J in Js:
        assert tuple(J.shape) == shape_out + shape_in
        np.testing.assert_allclose(_np(J), _np(Js[0]), rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(_np(Js[0]), numeric_jacobian(f, [x]), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", list(JAC_TRANSFORMS))
def test_chunk_size_gives_identical_results(name):
    T = JAC_TRANSFORMS[name]
    r = np.random.default_rng(1)
    A = pj.tensor(r.standard_normal((9, 7)))
    x = r.standard_normal(7)

    def f(a):
        return pj.sin(A @ a) * pj.sum(a**2)

    ref = _np(T(f)(x))
    for c in (1, 2, 7, None):
        np.testing.assert_array_equal(_np(T(f, chunk_size=c)(x)), ref, err_msg=f"chunk_size={c}")


# ---- composition -------------------------------------------------------------------------------------
def _hess_cases():
    return {
        "jacfwd(jacrev)": lambda f, a=0: F.jacfwd(F.jacrev(f, a), a),
        "jacrev(jacrev)": lambda f, a=0: F.jacrev(F.jacrev(f, a), a),
        "jacfwd(jacfwd)": lambda f, a=0: F.jacfwd(F.jacfwd(f, a), a),
        "jacrev(jacfwd)": lambda f, a=0: F.jacrev(F.jacfwd(f, a), a),
        "jacobian(jacobian)": lambda f, a=0: F.jacobian(F.jacobian(f, a), a),
        "jacobian(grad)": lambda f, a=0: F.jacobian(F.grad(f, a), a),
        "hessian": lambda f, a=0: F.hessian(f, a),
    }


@pytest.mark.parametrize("combo", list(_hess_cases()))
def test_compositions_give_the_hessian(combo):
    make = _hess_cases()[combo]
    H0 = make(scalar_fn)(X0, Y0)
    H1 = make(scalar_fn, 1)(X0, Y0)
    assert tuple(H0.shape) == (3, 3) and tuple(H1.shape) == (2, 2)
    np.testing.assert_allclose(_np(H0), hessian_fd(scalar_fn, [X0, Y0], 0), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(_np(H1), hessian_fd(scalar_fn, [X0, Y0], 1), rtol=1e-6, atol=1e-7)
    ref = pj.hessian(lambda a: scalar_fn(a, pj.tensor(Y0)), pj.tensor(X0))
    np.testing.assert_allclose(_np(H0), _np(ref), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("combo", [c for c in _hess_cases() if c not in ("jacobian(grad)", "hessian")])
def test_compositions_of_a_vector_function(combo):
    """For a vector-valued f the compositions give out.shape + in.shape + in.shape."""
    make = _hess_cases()[combo]

    def f(a):
        return pj.sin(a) * pj.sum(a**2)

    T = make(f)(X0)
    assert tuple(T.shape) == (3, 3, 3)
    num = numeric_jacobian(F.jacrev(f), [X0], eps=1e-5)
    np.testing.assert_allclose(_np(T), num, rtol=1e-6, atol=1e-7)


def test_third_order_compositions():
    def f(a):
        return pj.sum(pj.sin(a) * a**2)

    x = X0
    third = [
        F.jacfwd(F.jacfwd(F.jacrev(f)))(x),
        F.jacrev(F.jacrev(F.jacrev(f)))(x),
        F.jacfwd(F.hessian(f))(x),
        F.jacrev(F.jacfwd(F.jacfwd(f)))(x),
    ]
    num = numeric_jacobian(F.hessian(f), [x], eps=1e-5)
    for T in third:
        assert tuple(T.shape) == (3, 3, 3)
        np.testing.assert_allclose(_np(T), num, rtol=1e-6, atol=1e-7)
    # the third derivative of sin(x) x^2 sits on the diagonal
    d3 = -np.cos(x) * x**2 - 6 * x * np.sin(x) + 6 * np.cos(x)
    np.testing.assert_allclose(np.einsum("iii->i", _np(third[0])), d3, rtol=1e-12)


def test_grad_of_grad_scalar():
    f = lambda x: pj.sin(x) * x**2  # noqa: E731
    for xv in (0.0, 0.7, -2.1):
        d1 = F.grad(f)(xv).item()
        d2 = F.grad(F.grad(f))(xv).item()
        d3 = F.grad(F.grad(F.grad(f)))(xv).item()
        assert d1 == pytest.approx(np.cos(xv) * xv**2 + 2 * xv * np.sin(xv), abs=1e-13)
        assert d2 == pytest.approx(-np.sin(xv) * xv**2 + 4 * xv * np.cos(xv) + 2 * np.sin(xv), abs=1e-13)
        assert d3 == pytest.approx(-np.cos(xv) * xv**2 - 6 * xv * np.sin(xv) + 6 * np.cos(xv), abs=1e-12)


def test_jvp_of_grad_and_vjp_of_grad():
    """Hessian-vector products from the transforms: jvp(grad(f)) and vjp(grad(f))."""
    u = np.array([1.0, -0.5, 2.0])
    H = _np(F.hessian(scalar_fn)(X0, Y0))
    _, hv = F.jvp(lambda a: F.grad(scalar_fn)(a, pj.tensor(Y0)), (X0,), (u,))
    np.testing.assert_allclose(_np(hv), H @ u, rtol=1e-12, atol=1e-12)
    _, vjp_fn = F.vjp(lambda a: F.grad(scalar_fn)(a, pj.tensor(Y0)), X0)
    np.testing.assert_allclose(_np(vjp_fn(u)[0]), u @ H, rtol=1e-12, atol=1e-12)


def test_nested_transforms_with_closures():
    """An inner transform's function that closes over the outer transform's variable: the inner
    result must stay differentiable with respect to it (as in torch.func and JAX).
    d/dx [d/dy (x * y)] = 1;  d/dx [x * d/dy (x + y)] = 1;  d/dx [d/dy (x**2 y**2)] at y=3 is 4 x y = 24."""
    assert F.grad(lambda x: F.grad(lambda y: x * y)(3.0))(2.0).item() == pytest.approx(1.0)
    assert F.grad(lambda x: x * F.grad(lambda y: x + y)(3.0))(2.0).item() == pytest.approx(1.0)
    assert F.grad(lambda x: F.grad(lambda y: x**2 * y**2)(3.0))(2.0).item() == pytest.approx(24.0)
    assert F.jacfwd(lambda x: F.grad(lambda y: x * y)(3.0))(2.0).item() == pytest.approx(1.0)
    assert F.jacrev(lambda x: F.jacfwd(lambda y: x * y)(3.0))(2.0).item() == pytest.approx(1.0)
    _, t = F.jvp(lambda x: F.jvp(lambda y: x * y, (3.0,), (1.0,))[1], (2.0,), (1.0,))
    assert t.item() == pytest.approx(1.0)


def test_transform_inside_ordinary_autograd():
    """A transform's result stays differentiable by backward() when the function closes over a
    tensor that requires grad (a gradient penalty): as torch.func.grad inside torch autograd."""
    r = np.random.default_rng(21)
    W0, x0 = r.standard_normal((2, 3)), r.standard_normal(3)

    def penalty(W):
        g = F.grad(lambda x: pj.sum(pj.tanh(W @ x)))(x0)
        return pj.sum(g**2)

    W = pj.tensor(W0, requires_grad=True)
    out = penalty(W)
    assert out.requires_grad
    out.backward()
    num = numeric_jacobian(penalty, [W0])
    np.testing.assert_allclose(_np(W.grad), num, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(_np(F.grad(penalty)(W0)), num, rtol=1e-6, atol=1e-8)


def test_nested_transforms_through_arguments():
    """The same quantities with the outer variable passed as an argument."""
    assert F.grad(lambda x: F.grad(lambda y, z: z * y)(3.0, x))(2.0).item() == pytest.approx(1.0)
    assert F.grad(lambda x: F.grad(lambda y, z: z**2 * y**2)(3.0, x))(2.0).item() == pytest.approx(24.0)
    assert F.grad(lambda x: F.grad(lambda y: y * x)(x))(2.0).item() == pytest.approx(1.0)


# ---- errors ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "returned,name", [(3.0, "float"), (None, "NoneType"), ([1.0], "list"), (np.ones(2), "ndarray")]
)
@pytest.mark.parametrize(
    "transform", ["grad", "value_and_grad", "jacrev", "jacfwd", "jacobian", "hessian", "vjp", "jvp"]
)
def test_non_tensor_return_is_a_type_error_saying_what_it_returned(transform, returned, name):
    fn = lambda a: returned  # noqa: E731
    x = pj.tensor([1.0, 2.0])
    calls = {
        "grad": lambda: F.grad(fn)(x),
        "value_and_grad": lambda: F.value_and_grad(fn)(x),
        "jacrev": lambda: F.jacrev(fn)(x),
        "jacfwd": lambda: F.jacfwd(fn)(x),
        "jacobian": lambda: F.jacobian(fn)(x),
        "hessian": lambda: F.hessian(fn)(x),
        "vjp": lambda: F.vjp(fn, x),
        "jvp": lambda: F.jvp(fn, (x,), (x,)),
    }
    with pytest.raises(TypeError, match=name):
        calls[transform]()


def test_grad_of_a_non_scalar_is_an_error():
    with pytest.raises(RuntimeError):
        F.grad(lambda a: a * 2)(np.array([1.0, 2.0]))
    g = F.grad(lambda a: pj.reshape(pj.sum(a), (1, 1)))(np.array([1.0, 2.0]))  # one element is fine
    np.testing.assert_array_equal(_np(g), [1.0, 1.0])


def test_grad_of_an_independent_output_is_zeros():
    g = F.grad(lambda a, b: pj.sum(b**2), (0, 1))(np.array([1.0, 2.0]), np.array([3.0]))
    np.testing.assert_array_equal(_np(g[0]), [0.0, 0.0])
    np.testing.assert_array_equal(_np(g[1]), [6.0])
    J = F.jacfwd(lambda a: pj.ones(3))(np.array([1.0, 2.0]))
    assert tuple(J.shape) == (3, 2)
    np.testing.assert_array_equal(_np(J), np.zeros((3, 2)))
    J = F.jacrev(lambda a: pj.ones(3))(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(_np(J), np.zeros((3, 2)))


# ---- parity with torch.func on random compositions --------------------------------------------------------
def _ops(lib, torch=None):
    C = np.random.default_rng(99).standard_normal((3, 3)) / 2
    if lib == "pj":
        m, Cm = pj, pj.tensor(C)
        extra = {
            "flip": lambda u: u[..., ::-1],
            "sumk": lambda u: pj.sum(u, axis=-1, keepdims=True),
            "normk": lambda u: pj.norm(u, axis=-1, keepdims=True),
            "maxk": lambda u: pj.max(u, axis=-1, keepdims=True),
            "where": lambda a, b: pj.where(a > b, a * b, a - b),
        }
    else:
        m, Cm = torch, torch.tensor(C)
        extra = {
            "flip": lambda u: torch.flip(u, (-1,)),
            "sumk": lambda u: torch.sum(u, dim=-1, keepdim=True),
            "normk": lambda u: torch.linalg.vector_norm(u, dim=-1, keepdim=True),
            "maxk": lambda u: torch.amax(u, dim=-1, keepdim=True),
            "where": lambda a, b: torch.where(a > b, a * b, a - b),
        }
    unary = {
        "sin": m.sin,
        "tanh": m.tanh,
        "sigmoid": m.sigmoid,
        "exp_s": lambda u: m.exp(0.5 * u),
        "log1p_sq": lambda u: m.log1p(u * u),
        "sqrt1": lambda u: m.sqrt(1.0 + m.square(u)),
        "affine": lambda u: 1.5 - 0.7 * u,
        "rdiv": lambda u: 1.0 / (1.0 + u * u),
        "rpow": lambda u: 0.8**u,
        "matC": lambda u: u @ Cm,
        "flip": extra["flip"],
        "sumk": extra["sumk"],
        "normk": extra["normk"],
        "maxk": extra["maxk"],
    }
    binary = {
        "add": lambda a, b: a + b,
        "sub": lambda a, b: a - b,
        "mul": lambda a, b: a * b,
        "div_safe": lambda a, b: a / (1.5 + b * b),
        "maximum": m.maximum,
        "minimum": m.minimum,
        "pow_safe": lambda a, b: (1.1 + a * a) ** (0.5 * m.tanh(b)),
        "where": extra["where"],
    }
    return unary, binary


def make_composition(seed, lib, torch=None, scalar=False):
    """A random deep composition of core ops of x (3,) and y (2, 3), in pyjac or torch."""
    unary, binary = _ops(lib, torch)
    r = np.random.default_rng(seed)
    unames, bnames = sorted(unary), sorted(binary)
    prog, size = [], 2
    for _ in range(8):
        recent = size - 1 - int(r.integers(min(3, size)))
        if r.random() < 0.55:
            prog.append((unary[unames[r.integers(len(unames))]], (recent,)))
        else:
            other = int(r.choice([k for k in range(size) if k != size - 1]))
            prog.append((binary[bnames[r.integers(len(bnames))]], (size - 1, other)))
        size += 1
    m = pj if lib == "pj" else torch

    def f(x, y):
        pool = [x, y]
        for fn, args in prog:
            pool.append(fn(*(pool[a] for a in args)))
        main = pool[-1] + 0.5 * pool[-2] + x * y
        return m.sum(m.sin(main)) + m.sum(main * main) / 4.0 if scalar else main

    return f


def _inputs(seed):
    r = np.random.default_rng(2000 + seed)
    return r.standard_normal(3), r.standard_normal((2, 3))


SEEDS = list(range(6))


@pytest.mark.parametrize("seed", SEEDS)
def test_random_compositions_jacobians_against_torch_func(torch, seed):
    import torch.func as tf

    xa, ya = _inputs(seed)
    fp, ft = make_composition(seed, "pj"), make_composition(seed, "torch", torch)
    xt, yt = torch.tensor(xa), torch.tensor(ya)
    for argnums in (0, 1, (0, 1)):
        ref = tf.jacrev(ft, argnums)(xt, yt)
        for name, T in JAC_TRANSFORMS.items():
            assert_tree_close(T(fp, argnums)(xa, ya), ref, rtol=1e-10, atol=1e-12, path=f"{name} {argnums}")
        assert_tree_close(F.jacrev(fp, argnums, chunk_size=2)(xa, ya), ref, rtol=1e-10, atol=1e-12)
    out, vjp_fn = F.vjp(fp, xa, ya)
    out_t, vjp_t = tf.vjp(ft, xt, yt)
    ct = np.random.default_rng(seed).standard_normal(out_t.shape)
    assert_tree_close(out, out_t, rtol=1e-12, atol=1e-12)
    assert_tree_close(vjp_fn(ct), vjp_t(torch.tensor(ct)), rtol=1e-10, atol=1e-12)
    u, w = np.ones(3) * 0.3, np.random.default_rng(seed + 1).standard_normal((2, 3))
    assert_tree_close(
        F.jvp(fp, (xa, ya), (u, w)), tf.jvp(ft, (xt, yt), (torch.tensor(u), torch.tensor(w))), rtol=1e-10, atol=1e-12
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_random_compositions_hessians_against_torch_func(torch, seed):
    import torch.func as tf

    xa, ya = _inputs(seed)
    fp, ft = make_composition(seed, "pj", scalar=True), make_composition(seed, "torch", torch, scalar=True)
    xt, yt = torch.tensor(xa), torch.tensor(ya)
    assert_tree_close(F.grad(fp, (0, 1))(xa, ya), tf.grad(ft, (0, 1))(xt, yt), rtol=1e-10, atol=1e-12)
    v, g = F.value_and_grad(fp)(xa, ya)
    g_t, v_t = tf.grad_and_value(ft)(xt, yt)
    assert_tree_close((v, g), (v_t, g_t), rtol=1e-10, atol=1e-12)
    for argnums in (0, 1, (0, 1)):
        ref = tf.hessian(ft, argnums)(xt, yt)
        assert_tree_close(F.hessian(fp, argnums)(xa, ya), ref, rtol=1e-9, atol=1e-11, path=f"hessian {argnums}")
        for combo, make in _hess_cases().items():
            if combo == "hessian":
                continue
            if not isinstance(argnums, int):
                continue
            assert_tree_close(make(fp, argnums)(xa, ya), ref, rtol=1e-9, atol=1e-11, path=f"{combo} {argnums}")


def test_numerical_jacobian_of_a_non_contiguous_array():
    # A transposed (F-ordered) NumPy input: the perturbations must reach the function (they went to
    # a copy once, and every finite difference was 0).
    a = np.arange(6.0).reshape(2, 3).T
    (jac,) = numerical_jacobian(lambda x: x * x, [a])[0]
    np.testing.assert_allclose(jac.reshape(a.size, a.size), np.diag(2 * a.ravel()), atol=1e-6)
