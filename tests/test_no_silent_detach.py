"""No silent gradient loss (issue 13): a result computed from a tensor that requires grad requires
grad itself, whichever way the tensor arrives (as it is, inside a list, as an endpoint, a fill
value or a parameter), or the call raises. A derivative that is silently 0 is the one failure a
user cannot see.

- every differentiable op in the registry: float results of inputs that require grad require
  grad, and carry a tangent in forward mode;
- every module-level op in the registry, given its first input as a list of the tensor's rows:
  the same value and the same gradient, or a clear error;
- the places the Python layer reads a value (linspace, arange, full, pad, number parameters);
- transforms of a function whose output does not depend on its input: zeros, or an error with
  strict=True.
"""

import numpy as np
import pytest
from op_registry import NONE, params, select

import pyjac as pj

DIFFERENTIABLE = [c for c in select() if c.derivative != NONE]


def _outputs(out):
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


@pytest.mark.parametrize("case", params(DIFFERENTIABLE))
def test_results_of_inputs_that_require_grad_require_grad(case):
    arrays = case.arrays()
    xs = [pj.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    outs = _outputs(case.fn(*xs))
    moved = None
    for i, out in enumerate(outs):
        if out.dtype.kind == "f" and not out.requires_grad:
            # only an output that does not depend on the inputs may be a constant (average's
            # sum of weights without weights): it stays the same when every input moves
            if moved is None:
                rng = np.random.default_rng(1)
                nudged = [a + 1e-3 * rng.standard_normal(a.shape) if a.dtype.kind == "f" else a for a in arrays]
                moved = _outputs(case.fn(*[pj.tensor(a) for a in nudged]))
            np.testing.assert_array_equal(
                moved[i].numpy(), out.numpy(), err_msg=f"{case.id}: output {i} lost the inputs' gradient path"
            )


@pytest.mark.parametrize("case", params([c for c in DIFFERENTIABLE if c.forward]))
def test_results_carry_the_inputs_tangents(case):
    arrays = case.arrays()
    floats = [i for i, a in enumerate(arrays) if a.dtype.kind == "f"]

    def f(*moving):
        xs = [pj.tensor(a) for a in arrays]
        for i, m in zip(floats, moving):
            xs[i] = m
        return case.single(*xs)

    primals = tuple(pj.tensor(arrays[i]) for i in floats)
    tangents = tuple(pj.ones_like(p) for p in primals)
    _, tangent = pj.func.jvp(f, primals, tangents)
    assert tangent is not None and tangent.shape == case.single(*[pj.tensor(a) for a in arrays]).shape


def _takes_a_list_first(case):
    first = case.shapes[0] if case.shapes else None
    shape = first.shape if isinstance(first, np.ndarray) else first
    return (
        not case.name.startswith("Tensor.")
        and shape is not None
        and len(shape) >= 1
        and shape[0] >= 1
        and case.arrays()[0].dtype.kind == "f"
    )


@pytest.mark.parametrize("case", params([c for c in DIFFERENTIABLE if _takes_a_list_first(c)]))
def test_a_list_of_tensors_is_the_tensor(case):
    arrays = case.arrays()
    xs = [pj.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    expected = case.single(*xs)
    (g_expected,) = pj.grad((expected * expected).sum(), xs[0], allow_unused=True)
    rows = [xs[0][i] for i in range(xs[0].shape[0])]
    try:
        got = case.single(rows, *xs[1:])
    except Exception:
        return  # a clear refusal is allowed; a silent constant is not
    if got.shape != expected.shape:
        return  # the entry applies a Python operator to its input (a list * 2 repeats the list)
    np.testing.assert_allclose(got.detach().numpy(), expected.detach().numpy(), rtol=1e-12, atol=1e-12)
    assert got.requires_grad, f"{case.id}: a list of tensors became a constant"
    (g_got,) = pj.grad((got * got).sum(), xs[0], allow_unused=True)
    if g_expected is None:
        assert g_got is None or not np.any(g_got.numpy())
    else:
        np.testing.assert_allclose(g_got.numpy(), g_expected.numpy(), rtol=1e-12, atol=1e-12)


# ---- the examples of the issue ----------------------------------------------------------------------
LISTS = {
    "mean": (lambda x: pj.mean([x, x + 2]), 1.0),
    "sum": (lambda x: pj.sum([x, x]), 2.0),
    "asarray": (lambda x: pj.asarray([x, 2 * x]).sum(), 3.0),
    "tensor": (lambda x: pj.tensor([[x, 1.0], [3, x * x]]).sum(), 1.0 + 2 * 0.5),
    "std": (lambda x: pj.std([x, 0.0]), 0.5),
    "linalg.norm": (lambda x: pj.linalg.norm([x, 0.0]), 1.0),
    "tuple": (lambda x: pj.exp((x, 2 * x)).sum(), np.exp(0.5) + 2 * np.exp(1.0)),
    "array beside": (lambda x: pj.stack([[x, x], np.array([1.0, 2.0])]).sum(), 2.0),
}


@pytest.mark.parametrize("name", list(LISTS))
def test_lists_of_tensors_in_the_issue(name):
    f, expected = LISTS[name]
    np.testing.assert_allclose(pj.func.grad(f)(0.5).item(), expected, rtol=1e-12)
    # forward mode too: the tangent passes through the stacking
    _, t = pj.func.jvp(f, (pj.tensor(0.5),), (pj.tensor(1.0),))
    np.testing.assert_allclose(t.item(), expected, rtol=1e-12)


def test_a_list_stacks_with_numpys_dtype_and_refuses_ragged_shapes():
    x = pj.tensor(np.float32(1.0), requires_grad=True)
    assert pj.asarray([x, x]).dtype == np.float32
    assert pj.asarray([x, 2.0]).dtype == np.asarray([np.float32(1.0), 2.0]).dtype
    with pytest.raises(ValueError, match=r"different shapes \(\(2,\) and \(1,\)\)"):
        pj.tensor([pj.ones(2, requires_grad=True), pj.ones(1)])


def _fd(f, x, eps=1e-6):
    return (f(x + eps) - f(x - eps)) / (2 * eps)


ENDPOINTS = {
    "linspace start": lambda a: pj.linspace(a, 2.0, 5) ** 2,
    "linspace stop": lambda b: pj.sin(pj.linspace(-1.0, b, 4)),
    "linspace no endpoint": lambda b: pj.linspace(0.0, b, 4, endpoint=False) ** 2,
    "linspace both": lambda a: pj.linspace(a, 3 * a, 3, axis=0) ** 3,
    "linspace arrays": lambda a: pj.linspace(pj.stack([a, 2 * a]), 1.0, 3, axis=1) ** 2,
    "arange start": lambda a: pj.arange(a, 4.0) ** 2,
    "arange step": lambda s: pj.arange(0.0, 1.0, s) ** 2,
    "full": lambda v: pj.full((2, 2), v) * pj.tensor([[1.0, 2.0], [3.0, 4.0]]),
    "full_like": lambda v: pj.full_like(pj.ones(3), v) ** 2,
    "pad": lambda c: pj.pad(pj.tensor([1.0, 2.0]), (1, 2), constant_values=c) ** 2,
}


@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_values_the_python_layer_reads_are_differentiable(name):
    f = ENDPOINTS[name]
    x0 = 0.3
    weights = lambda y: pj.tensor(np.linspace(1.0, 2.0, y.size).reshape(y.shape))
    loss = lambda x: (f(x) * weights(f(x))).sum()
    got = pj.func.grad(loss)(x0).item()
    numeric = _fd(lambda v: loss(pj.tensor(v)).item(), x0)
    assert got != 0.0
    np.testing.assert_allclose(got, numeric, rtol=1e-6)
    _, tangent = pj.func.jvp(loss, (pj.tensor(x0),), (pj.tensor(1.0),))
    np.testing.assert_allclose(tangent.item(), got, rtol=1e-12)


def test_linspace_of_tensors_matches_numpy():
    for args, kw in [
        ((0.0, 1.0, 5), {}),
        ((-2.0, 3.0, 4), {"endpoint": False}),
        (([0.0, 1.0], [1.0, 3.0], 3), {"axis": 1}),
        (([0.0, 1.0], 2.0, 4), {"axis": -1}),
        ((0.0, 10.0, 4), {"dtype": np.int64}),
        ((1.0, 1.0, 3), {}),
        ((0.0, 1.0, 1), {}),
        ((0.0, 1.0, 0), {}),
    ]:
        start, stop = (pj.tensor(np.asarray(v, np.float64)) for v in args[:2])
        got = pj.linspace(start, stop, args[2], **kw)
        expected = np.linspace(*args, **kw)
        assert got.dtype == expected.dtype and tuple(got.shape) == expected.shape, (args, kw)
        np.testing.assert_allclose(got.numpy(), expected, rtol=1e-15, atol=1e-15, err_msg=str((args, kw)))
    y, step = pj.linspace(pj.tensor(0.0), 1.0, 5, retstep=True)
    assert step.item() == 0.25
    assert pj.linspace(0.0, 1.0, 5, retstep=True)[1] == np.linspace(0.0, 1.0, 5, retstep=True)[1]
    assert pj.linspace(pj.tensor(np.float32(0.0)), np.float32(1.0), 3).dtype == np.float32


def test_arange_of_tensors_matches_numpy():
    for args in [(0.5, 4.0), (0.0, 1.0, 0.3), (3.0, 0.0, -0.5)]:
        got = pj.arange(*(pj.tensor(a) for a in args))
        np.testing.assert_allclose(got.numpy(), np.arange(*args), rtol=1e-15, atol=1e-15)
    assert pj.arange(pj.tensor(1), 4).dtype == np.int64
    with pytest.raises(ValueError, match="arange"):
        pj.arange(pj.tensor([0.0, 1.0]), 4.0)


PARAMETERS = {
    "var ddof": lambda p: pj.var(pj.tensor([1.0, 2.0, 4.0]), ddof=p),
    "std ddof": lambda p: pj.std(pj.tensor([1.0, 2.0, 4.0]), ddof=p),
    "softplus beta": lambda p: pj.nn.functional.softplus(pj.ones(2), beta=p),
    "softplus threshold": lambda p: pj.nn.functional.softplus(pj.ones(2), threshold=p),
    "leaky_relu": lambda p: pj.nn.functional.leaky_relu(-pj.ones(2), p),
    "elu": lambda p: pj.nn.functional.elu(-pj.ones(2), alpha=p),
    "dropout": lambda p: pj.nn.functional.dropout(pj.ones(2), p=p * 0.5),
    "cross_entropy": lambda p: pj.nn.functional.cross_entropy(
        pj.ones((2, 3)), pj.tensor([0, 1]), label_smoothing=p * 0.1
    ),
    "pad pairs": lambda p: pj.pad(pj.ones(2), 1, constant_values=[p, p]),
    "norm ord": lambda p: pj.linalg.norm(pj.ones(3), ord=p * 3),
}


@pytest.mark.parametrize("name", list(PARAMETERS))
def test_number_parameters_refuse_tensors_that_require_grad(name):
    f = PARAMETERS[name]
    op = name.split()[0]
    with pytest.raises(TypeError, match=op):
        f(pj.tensor(1.0, requires_grad=True))
    with pytest.raises(TypeError, match=op):  # a forward-mode tangent is a derivative too
        pj.func.jvp(lambda p: f(p).sum(), (pj.tensor(1.0),), (pj.tensor(1.0),))
    # the value itself is fine: a number, a NumPy scalar, a tensor that does not require grad,
    # or one under no_grad
    for p in (1.0, np.float64(1.0), pj.tensor(1.0)):
        f(p)
    with pj.no_grad():
        f(pj.tensor(1.0, requires_grad=True))


# ---- transforms of functions that do not depend on their input ------------------------------------
CONSTANT = lambda x: pj.tensor(3.0) + 0 * x.detach().sum()
X = pj.tensor([1.0, 2.0])


@pytest.mark.parametrize(
    "name, call, shape",
    [
        ("func.grad", lambda: pj.func.grad(CONSTANT)(X), (2,)),
        ("func.jacrev", lambda: pj.func.jacrev(CONSTANT)(X), (2,)),
        ("func.jacfwd", lambda: pj.func.jacfwd(CONSTANT)(X), (2,)),
        ("func.hessian", lambda: pj.func.hessian(CONSTANT)(X), (2, 2)),
        ("func.vjp", lambda: pj.func.vjp(CONSTANT, X)[1](pj.tensor(1.0))[0], (2,)),
        ("func.jvp", lambda: pj.func.jvp(CONSTANT, (X,), (pj.ones(2),))[1], ()),
        ("jacobian", lambda: pj.jacobian(CONSTANT, X), (2,)),
        ("hessian", lambda: pj.hessian(CONSTANT, X), (2, 2)),
        ("vjp", lambda: pj.vjp(CONSTANT, X, pj.tensor(1.0))[1], (2,)),
        ("jvp", lambda: pj.jvp(CONSTANT, X, pj.ones(2))[1], ()),
        ("hvp", lambda: pj.hvp(CONSTANT, X, pj.ones(2))[1], (2,)),
        ("vhp", lambda: pj.vhp(CONSTANT, X, pj.ones(2))[1], (2,)),
    ],
)
def test_transforms_of_constant_functions_are_zero(name, call, shape):
    out = call()
    assert tuple(out.shape) == shape and not np.any(out.numpy()), name


@pytest.mark.parametrize("name", ["jacobian", "hessian", "vjp", "jvp", "hvp", "vhp"])
def test_strict_transforms_refuse_constant_functions(name):
    fn = getattr(pj, name)
    args = (CONSTANT, X) if name in ("jacobian", "hessian") else (CONSTANT, X, pj.ones(2) if name != "vjp" else None)
    with pytest.raises(RuntimeError, match=f"{name}: .*independent of input 0.*strict"):
        fn(*args, strict=True)
