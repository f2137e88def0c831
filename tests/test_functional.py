"""pyjac.jacobian / hessian / vjp / jvp / hvp / vhp (torch.autograd.functional style): return
structures, input kinds, every strategy x vectorize combination and chunking against central
finite differences and (where torch is installed) against torch.autograd.functional, strict mode,
create_graph, errors, and the worked examples."""

import os

import numpy as np
import pytest
from _helpers import assert_tree_close

import pyjac as pj
from pyjac.testing import numerical_jacobian

STRATEGIES = ["reverse-mode", "forward-mode", "auto"]
COMBOS = [(s, v) for s in STRATEGIES for v in (True, False)]
COMBO_IDS = [f"{s}-{'vec' if v else 'loop'}" for s, v in COMBOS]


# ---- helpers --------------------------------------------------------------------------------------
def _np(x):
    return x.numpy() if isinstance(x, pj.Tensor) else np.asarray(x)


def numeric_jacobian(fn, arrays, eps=1e-6):
    """Central differences in float64: J[i][j] shaped out_i.shape + in_j.shape."""
    return numerical_jacobian(fn, arrays, eps)


def _rand(seed, *shape):
    return np.random.default_rng(seed).standard_normal(shape)


# Functions with their inputs (as arrays) used across the tests.
def f_elementwise(x):
    return pj.sin(x) * x**2


def f_two_in_one_out(x, y):
    return pj.tanh(x @ y) + pj.sum(x, axis=-1, keepdims=True)  # x (2, 3), y (3, 4) -> (2, 4)


def f_one_in_two_out(x):
    return pj.exp(x) * 0.5, pj.sum(x**3)  # (3,) -> ((3,), ())


def f_two_in_two_out(x, y):
    return x * y, pj.sin(x).sum() + pj.norm(y)  # (3,), (3,) -> ((3,), ())


def f_scalar(x, y):
    return pj.sum(pj.sin(x)[:, None] * y**2) + pj.sum(x**3) * pj.mean(y)  # x (2,), y (3,)


# ---- worked example: f(v, M) = M @ v -----------------------------------------------------------------
def _mv_inputs():
    v = pj.tensor([0.5, -1.0, 2.0])
    M = pj.tensor(np.arange(9.0).reshape(3, 3) / 4 - 1)
    return v, M


@pytest.mark.parametrize("strategy,vectorize", COMBOS, ids=COMBO_IDS)
def test_worked_example_matvec_pair(strategy, vectorize):
    v, M = _mv_inputs()
    Jv, JM = pj.jacobian(lambda v, M: M @ v, (v, M), strategy=strategy, vectorize=vectorize)
    np.testing.assert_array_equal(_np(Jv), _np(M))
    assert tuple(JM.shape) == (3, 3, 3)
    expected = np.zeros((3, 3, 3))
    for i in range(3):
        expected[i, i, :] = _np(v)
    np.testing.assert_array_equal(_np(JM), expected)


def test_worked_example_matvec_single_inputs():
    v, M = _mv_inputs()
    Jv = pj.jacobian(lambda v: M @ v, v)
    assert isinstance(Jv, pj.Tensor)
    np.testing.assert_array_equal(_np(Jv), _np(M))
    JM = pj.jacobian(lambda M: M @ v, M)
    assert tuple(JM.shape) == (3, 3, 3)
    for i in range(3):
        np.testing.assert_array_equal(_np(JM)[i, i], _np(v))
        np.testing.assert_array_equal(np.delete(_np(JM)[i], i, axis=0), 0)


# ---- worked example: a 1 -> 2 -> 2 -> 1 network -----------------------------------------------------
def _network():
    r = np.random.default_rng(7)
    W1, b1 = pj.tensor(r.standard_normal((2, 1))), pj.tensor(r.standard_normal(2))
    W2, b2 = pj.tensor(r.standard_normal((2, 2))), pj.tensor(r.standard_normal(2))
    W3, b3 = pj.tensor(r.standard_normal(2)), pj.tensor(r.standard_normal(()))

    def layer1(x):  # (1,) -> (2,)
        return pj.tanh(x @ W1.T + b1)

    def layer2(h):  # (2,) -> (2,)
        return pj.tanh(h @ W2.T + b2)

    def layer3(h):  # (2,) -> ()
        return h @ W3.T + b3

    def net(x):
        return layer3(layer2(layer1(x)))

    return (W1, b1, W2, b2, W3, b3), (layer1, layer2, layer3), net


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_worked_example_network_chain_rule(strategy):
    (W1, b1, W2, b2, W3, b3), (layer1, layer2, layer3), net = _network()
    x0 = np.array([0.3])
    x = pj.tensor(x0)
    h1 = layer1(x)
    h2 = layer2(h1)
    J1 = pj.jacobian(layer1, x, strategy=strategy)
    J2 = pj.jacobian(layer2, h1, strategy=strategy)
    J3 = pj.jacobian(layer3, h2, strategy=strategy)
    assert tuple(J1.shape) == (2, 1) and tuple(J2.shape) == (2, 2) and tuple(J3.shape) == (2,)
    chained = _np(J3) @ _np(J2) @ _np(J1)
    assert chained.shape == (1,)
    whole = pj.jacobian(net, x, strategy=strategy)
    assert tuple(whole.shape) == (1,)
    np.testing.assert_allclose(_np(whole), chained, rtol=1e-12, atol=1e-12)
    xg = pj.tensor(x0, requires_grad=True)
    net(xg).backward()
    np.testing.assert_allclose(_np(xg.grad), chained, rtol=1e-12, atol=1e-12)
    # and by hand in NumPy
    a1 = np.tanh(_np(W1) @ x0 + _np(b1))
    a2 = np.tanh(_np(W2) @ a1 + _np(b2))
    by_hand = _np(W3) @ np.diag(1 - a2**2) @ _np(W2) @ np.diag(1 - a1**2) @ _np(W1)
    np.testing.assert_allclose(chained, by_hand, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(_np(net(x)), _np(W3) @ a2 + _np(b3), rtol=1e-12)


def test_worked_example_network_products():
    _, _, net = _network()
    x = pj.tensor([0.3])
    J = _np(pj.jacobian(net, x))
    _, jv = pj.jvp(net, x, pj.tensor([2.0]))
    np.testing.assert_allclose(_np(jv), J @ np.array([2.0]), rtol=1e-12)
    _, vj = pj.vjp(net, x, pj.tensor(3.0))
    np.testing.assert_allclose(_np(vj), 3.0 * J, rtol=1e-12)
    H = pj.hessian(net, x)
    num = numeric_jacobian(lambda y: pj.jacobian(net, y), [np.array([0.3])], eps=1e-5)[0][0]
    np.testing.assert_allclose(_np(H), num, rtol=1e-6, atol=1e-8)


# ---- worked examples: Hessian by grad of grad, jvp, vjp, hvp, third order -------------------------------
def _g(x):
    return pj.sum(pj.sin(x) * x**2) + x[0] * x[1] * x[2] + pj.norm(x) ** 3


def _hessian_by_grad_of_grad(f, xv):
    x = pj.tensor(xv, requires_grad=True)
    (g,) = pj.grad(f(x), x, create_graph=True)
    rows = [pj.grad(g[i], x, retain_graph=True)[0] for i in range(xv.size)]
    return np.stack([_np(r) for r in rows])


@pytest.mark.parametrize("outer", ["auto", "forward-mode", "reverse-mode"])
@pytest.mark.parametrize("vectorize", [True, False])
def test_hessian_equals_grad_of_grad(outer, vectorize):
    xv = np.array([0.4, -1.2, 0.9])
    H = pj.hessian(_g, pj.tensor(xv), vectorize=vectorize, outer_jacobian_strategy=outer)
    assert isinstance(H, pj.Tensor) and tuple(H.shape) == (3, 3)
    expected = _hessian_by_grad_of_grad(_g, xv)
    np.testing.assert_allclose(_np(H), expected, rtol=1e-12, atol=1e-12)
    num = numeric_jacobian(lambda y: pj.jacobian(_g, y), [xv], eps=1e-5)[0][0]
    np.testing.assert_allclose(_np(H), num, rtol=1e-6, atol=1e-7)


def test_jvp_vjp_hvp_vhp_against_full_matrices():
    r = np.random.default_rng(3)
    xv, u, w = r.standard_normal(3), r.standard_normal(3), r.standard_normal(3)

    def f(x):
        return pj.sin(x) * pj.sum(x**2) + x[::-1]

    J = _np(pj.jacobian(f, pj.tensor(xv)))
    out, jv = pj.jvp(f, pj.tensor(xv), pj.tensor(u))
    np.testing.assert_allclose(_np(out), _np(f(pj.tensor(xv))), rtol=1e-14)
    np.testing.assert_allclose(_np(jv), J @ u, rtol=1e-12, atol=1e-12)
    out, vj = pj.vjp(f, pj.tensor(xv), pj.tensor(w))
    np.testing.assert_allclose(_np(vj), w @ J, rtol=1e-12, atol=1e-12)
    H = _np(pj.hessian(_g, pj.tensor(xv)))
    val, hv = pj.hvp(_g, pj.tensor(xv), pj.tensor(u))
    np.testing.assert_allclose(_np(val), _np(_g(pj.tensor(xv))), rtol=1e-14)
    np.testing.assert_allclose(_np(hv), H @ u, rtol=1e-12, atol=1e-12)
    val, vh = pj.vhp(_g, pj.tensor(xv), pj.tensor(u))
    np.testing.assert_allclose(_np(vh), u @ H, rtol=1e-12, atol=1e-12)
    # and the matrices themselves against finite differences
    np.testing.assert_allclose(J, numeric_jacobian(f, [xv])[0][0], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("outer_strategy", STRATEGIES)
@pytest.mark.parametrize("hess_strategy", ["auto", "reverse-mode", "forward-mode"])
def test_create_graph_third_order_against_finite_differences(outer_strategy, hess_strategy):
    xv = np.array([0.4, -1.2, 0.9])

    def hess(y):
        return pj.hessian(_g, y, create_graph=True, outer_jacobian_strategy=hess_strategy)

    T = pj.jacobian(hess, pj.tensor(xv), strategy=outer_strategy)
    assert tuple(T.shape) == (3, 3, 3)
    num = numeric_jacobian(lambda y: pj.hessian(_g, y), [xv], eps=1e-5)[0][0]
    np.testing.assert_allclose(_np(T), num, rtol=1e-5, atol=1e-6)
    Tn = _np(T)
    for perm in [(1, 0, 2), (2, 1, 0), (0, 2, 1)]:
        np.testing.assert_allclose(Tn, Tn.transpose(perm), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("inner,outer", [(a, b) for a in ("reverse-mode", "forward-mode") for b in STRATEGIES])
def test_create_graph_jacobian_of_jacobian_is_hessian(inner, outer):
    xv = np.array([0.4, -1.2, 0.9])

    def grad_fn(y):
        return pj.jacobian(_g, y, create_graph=True, strategy=inner)

    H = pj.jacobian(grad_fn, pj.tensor(xv), strategy=outer)
    np.testing.assert_allclose(_np(H), _hessian_by_grad_of_grad(_g, xv), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("strategy", ["reverse-mode", "forward-mode"])
def test_create_graph_flows_to_outer_leaf(strategy):
    xv = np.array([0.4, -1.2, 0.9])
    x = pj.tensor(xv, requires_grad=True)
    J = pj.jacobian(_g, x, create_graph=True, strategy=strategy)
    assert J.requires_grad
    pj.sum(J * pj.tensor([1.0, 2.0, 3.0])).backward()
    H = _hessian_by_grad_of_grad(_g, xv)
    np.testing.assert_allclose(_np(x.grad), np.array([1.0, 2.0, 3.0]) @ H, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("api", ["vjp", "jvp", "hvp", "vhp"])
def test_create_graph_products_differentiate_again(api):
    """d/dx sum(w * product(x)) against finite differences of the product itself."""
    xv, u, w = np.array([0.4, -1.2, 0.9]), np.array([1.0, 2.0, -0.5]), np.array([0.3, -1.0, 2.0])
    fn = {"vjp": pj.vjp, "jvp": pj.jvp, "hvp": pj.hvp, "vhp": pj.vhp}[api]
    f = _g if api in ("hvp", "vhp") else (lambda a: pj.sin(a) * pj.sum(a**2))

    def product(x, create_graph=False):
        return fn(f, x, pj.tensor(u), create_graph=create_graph)[1]

    x = pj.tensor(xv, requires_grad=True)
    r = product(x, create_graph=True)
    assert r.requires_grad
    (g,) = pj.grad(pj.sum(r * pj.tensor(w)), x)
    num = numeric_jacobian(lambda y: product(y), [xv], eps=1e-5)[0][0]
    np.testing.assert_allclose(_np(g), w @ num, rtol=1e-6, atol=1e-7)


def test_without_create_graph_results_are_detached_and_inputs_untouched():
    x = pj.tensor([0.4, -1.2, 0.9], requires_grad=True)
    y = pj.tensor([1.0, 2.0, 3.0])
    results = [
        pj.jacobian(_g, x),
        pj.jacobian(_g, x, strategy="forward-mode"),
        pj.hessian(_g, x),
        *pj.vjp(_g, x),
        *pj.jvp(_g, x, y),
        *pj.hvp(_g, x, y),
        *pj.vhp(_g, x, y),
        pj.jacobian(_g, y),
    ]
    for r in results:
        assert isinstance(r, pj.Tensor)
        assert not r.requires_grad
        assert r.grad_fn is None
    assert x.grad is None
    assert not y.requires_grad and y.grad is None
    np.testing.assert_array_equal(_np(y), [1.0, 2.0, 3.0])


# ---- the functional API over functions that use pyjac.func transforms inside --------------------------------
def _penalty_setup():
    """g(W): the input gradient of a tiny model, as a function of its weights W (the inner
    transform closes over W), and s(W) = |g(W)|**2 (a gradient penalty)."""
    r = np.random.default_rng(21)
    W0, x0 = r.standard_normal((2, 3)), r.standard_normal(3)

    def g(W):
        return pj.func.grad(lambda x: pj.sum(pj.tanh(W @ x)))(x0)

    def s(W):
        return pj.sum(g(W) ** 2)

    return W0, g, s


def numeric_hessian(s, x, eps=1e-4):
    """Second central differences of a scalar function of one array."""
    x = np.array(x, dtype=np.float64)
    n = x.size

    def ev(d):
        return float(_np(s(pj.tensor(x + d.reshape(x.shape)))))

    H = np.zeros((n, n))
    E = np.eye(n) * eps
    for i in range(n):
        for j in range(n):
            H[i, j] = (ev(E[i] + E[j]) - ev(E[i] - E[j]) - ev(E[j] - E[i]) + ev(-E[i] - E[j])) / (4 * eps * eps)
    return H.reshape(x.shape + x.shape)


@pytest.mark.parametrize("strategy,vectorize", COMBOS, ids=COMBO_IDS)
def test_jacobian_of_a_function_using_a_transform_on_a_closure(strategy, vectorize):
    W0, g, _ = _penalty_setup()
    J = pj.jacobian(g, pj.tensor(W0), strategy=strategy, vectorize=vectorize)
    assert tuple(J.shape) == (3, 2, 3)
    np.testing.assert_allclose(_np(J), numeric_jacobian(g, [W0])[0][0], rtol=1e-6, atol=1e-8)


def test_products_of_a_function_using_a_transform_on_a_closure():
    W0, g, s = _penalty_setup()
    J = numeric_jacobian(g, [W0])[0][0].reshape(3, 6)
    H = numeric_hessian(s, W0).reshape(6, 6)
    u = np.random.default_rng(5).standard_normal((2, 3))
    c = np.array([1.0, -2.0, 0.5])
    _, vj = pj.vjp(g, pj.tensor(W0), pj.tensor(c))
    np.testing.assert_allclose(_np(vj).ravel(), c @ J, rtol=1e-6, atol=1e-8, err_msg="vjp")
    _, jv = pj.jvp(g, pj.tensor(W0), pj.tensor(u))
    np.testing.assert_allclose(_np(jv), J @ u.ravel(), rtol=1e-6, atol=1e-8, err_msg="jvp")
    _, hv = pj.hvp(s, pj.tensor(W0), pj.tensor(u))
    np.testing.assert_allclose(_np(hv).ravel(), H @ u.ravel(), rtol=1e-5, atol=1e-6, err_msg="hvp")
    _, vh = pj.vhp(s, pj.tensor(W0), pj.tensor(u))
    np.testing.assert_allclose(_np(vh).ravel(), u.ravel() @ H, rtol=1e-5, atol=1e-6, err_msg="vhp")


@pytest.mark.parametrize("outer", ["auto", "forward-mode", "reverse-mode"])
def test_hessian_of_a_function_using_a_transform_on_a_closure(outer):
    W0, _, s = _penalty_setup()
    Hs = pj.hessian(s, pj.tensor(W0), outer_jacobian_strategy=outer)
    assert tuple(Hs.shape) == (2, 3, 2, 3)
    np.testing.assert_allclose(_np(Hs), numeric_hessian(s, W0), rtol=1e-5, atol=1e-6)


# ---- return structures ------------------------------------------------------------------------------
@pytest.mark.parametrize("strategy,vectorize", COMBOS, ids=COMBO_IDS)
def test_structures_and_values_against_finite_differences(strategy, vectorize):
    cases = [
        (f_elementwise, [_rand(0, 4)], False, False),
        (f_two_in_one_out, [_rand(1, 2, 3), _rand(2, 3, 4)], True, False),
        (f_one_in_two_out, [_rand(3, 3)], False, True),
        (f_two_in_two_out, [_rand(4, 3), _rand(5, 3)], True, True),
    ]
    for fn, arrays, in_tuple, out_tuple in cases:
        inputs = tuple(pj.tensor(a) for a in arrays) if in_tuple else pj.tensor(arrays[0])
        J = pj.jacobian(fn, inputs, strategy=strategy, vectorize=vectorize)
        num = numeric_jacobian(fn, arrays)
        expected = [tuple(row) if in_tuple else row[0] for row in num]
        expected = tuple(expected) if out_tuple else expected[0]
        assert_tree_close(J, expected, rtol=1e-6, atol=1e-7, path=fn.__name__)


def test_structures_match_torch(torch):
    from torch.autograd import functional as F

    x = np.array([0.3, -0.7, 1.1])
    cases = [
        (lambda a: a * 2, lambda a: a * 2, False),
        (lambda a, b: a * b, lambda a, b: a * b, True),
        (lambda a: (a * 2, a.sum()), lambda a: (a * 2, a.sum()), False),
        (lambda a, b: (a * b, (a - b).sum()), lambda a, b: (a * b, (a - b).sum()), True),
    ]

    def shape_tree(r):
        if isinstance(r, tuple):
            return tuple(shape_tree(e) for e in r)
        return tuple(r.shape)

    for fp, ft, in_tuple in cases:
        ip = (pj.tensor(x), pj.tensor(x + 1)) if in_tuple else pj.tensor(x)
        it = (torch.tensor(x), torch.tensor(x + 1)) if in_tuple else torch.tensor(x)
        assert shape_tree(pj.jacobian(fp, ip)) == shape_tree(F.jacobian(ft, it))
        assert_tree_close(pj.jacobian(fp, ip), F.jacobian(ft, it), rtol=1e-14, atol=1e-14)
        vp = tuple(pj.tensor(np.ones(3)) for _ in ip) if in_tuple else pj.tensor(np.ones(3))
        vt = tuple(torch.ones(3, dtype=torch.float64) for _ in it) if in_tuple else torch.ones(3, dtype=torch.float64)
        assert_tree_close(pj.jvp(fp, ip, vp), F.jvp(ft, it, vt), rtol=1e-14, atol=1e-14)
        outs_t = ft(*it) if in_tuple else ft(it)
        cot_t = tuple(torch.ones_like(o) for o in outs_t) if isinstance(outs_t, tuple) else torch.ones_like(outs_t)
        cot_p = tuple(pj.tensor(c.numpy()) for c in cot_t) if isinstance(cot_t, tuple) else pj.tensor(cot_t.numpy())
        assert_tree_close(pj.vjp(fp, ip, cot_p), F.vjp(ft, it, cot_t), rtol=1e-14, atol=1e-14)


def test_hessian_tuple_structure():
    xa, ya = _rand(0, 2), _rand(1, 3)
    H = pj.hessian(f_scalar, (pj.tensor(xa), pj.tensor(ya)))
    assert isinstance(H, tuple) and len(H) == 2
    for i, a in enumerate((xa, ya)):
        assert isinstance(H[i], tuple) and len(H[i]) == 2
        for j, b in enumerate((xa, ya)):
            assert tuple(H[i][j].shape) == a.shape + b.shape
    np.testing.assert_allclose(_np(H[0][1]), _np(H[1][0]).T, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("outer", ["auto", "forward-mode", "reverse-mode"])
@pytest.mark.parametrize("vectorize", [True, False])
def test_hessian_tuple_inputs_against_finite_differences(outer, vectorize):
    xa, ya = _rand(0, 2), _rand(1, 3)
    H = pj.hessian(f_scalar, (pj.tensor(xa), pj.tensor(ya)), vectorize=vectorize, outer_jacobian_strategy=outer)

    def gradient(x, y):
        return pj.jacobian(f_scalar, (x, y))

    num = numeric_jacobian(gradient, [xa, ya], eps=1e-5)
    assert_tree_close(H, tuple(tuple(row) for row in num), rtol=1e-6, atol=1e-7)


# ---- input kinds ----------------------------------------------------------------------------------
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_inputs_may_be_numpy_arrays_and_python_floats(strategy):
    J = pj.jacobian(lambda x: x * x * x, 2.0, strategy=strategy)
    assert isinstance(J, pj.Tensor) and tuple(J.shape) == ()
    assert J.item() == pytest.approx(12.0)
    a = np.array([1.0, 2.0])
    J = pj.jacobian(lambda x: x * x, a, strategy=strategy)
    assert isinstance(J, pj.Tensor)
    np.testing.assert_array_equal(_np(J), np.diag([2.0, 4.0]))
    np.testing.assert_array_equal(a, [1.0, 2.0])
    Ja, Jb = pj.jacobian(lambda x, y: x * y, (np.array([1.0, 2.0]), 3.0), strategy=strategy)
    np.testing.assert_array_equal(_np(Ja), 3.0 * np.eye(2))
    np.testing.assert_array_equal(_np(Jb), [1.0, 2.0])
    Jc = pj.jacobian(lambda x: x * x, np.array([1, 2]), strategy=strategy)  # ints become float64
    assert Jc.dtype == np.float64
    np.testing.assert_array_equal(_np(Jc), np.diag([2.0, 4.0]))


def test_products_and_hessians_accept_numpy_and_floats():
    out, jv = pj.jvp(lambda x: x**3, 2.0, 1.0)
    assert isinstance(out, pj.Tensor) and isinstance(jv, pj.Tensor)
    assert out.item() == 8.0 and jv.item() == pytest.approx(12.0)
    out, vj = pj.vjp(lambda x: x**3, 2.0)
    assert vj.item() == pytest.approx(12.0)
    out, hv = pj.hvp(lambda x: x**3, 2.0, 1.0)
    assert hv.item() == pytest.approx(12.0)
    out, vh = pj.vhp(lambda x: x**3, 2.0)
    assert vh.item() == pytest.approx(12.0)
    H = pj.hessian(lambda x: pj.sum(x**3), np.array([1.0, 2.0]))
    np.testing.assert_allclose(_np(H), np.diag([6.0, 12.0]))
    H = pj.hessian(lambda x, y: x * y * y, (1.5, np.array(2.0)))
    assert_tree_close(H, ((0.0, 4.0), (4.0, 3.0)), rtol=1e-14, atol=1e-14)
    _, jv = pj.jvp(lambda x: x * 2, np.array([1.0, 2.0]), np.array([1.0, -1.0]))
    np.testing.assert_array_equal(_np(jv), [2.0, -2.0])


def test_v_may_be_omitted_only_for_single_element():
    out, vj = pj.vjp(lambda x: pj.sum(x * x), pj.tensor([1.0, 2.0]))
    np.testing.assert_array_equal(_np(vj), [2.0, 4.0])
    with pytest.raises(RuntimeError):
        pj.vjp(lambda x: x * x, pj.tensor([1.0, 2.0]))
    with pytest.raises(RuntimeError):
        pj.jvp(lambda x: x * x, pj.tensor([1.0, 2.0]))
    with pytest.raises(RuntimeError):
        pj.hvp(lambda x: pj.sum(x * x), pj.tensor([1.0, 2.0]))
    with pytest.raises(ValueError):
        pj.vjp(lambda x: x * x, pj.tensor([1.0, 2.0]), pj.tensor([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError):
        pj.jvp(lambda x, y: x * y, (pj.tensor([1.0, 2.0]), pj.tensor([1.0, 2.0])), pj.tensor([1.0, 2.0]))


@pytest.mark.parametrize("api", ["jacobian", "hessian", "vjp", "jvp", "hvp", "vhp"])
def test_unusable_inputs_are_a_type_error_naming_the_function(api):
    fn = getattr(pj, api)
    with pytest.raises(TypeError, match=f"{api}: inputs must be a Tensor, a NumPy array or a number, got NoneType"):
        fn(lambda a: pj.sum(a * a), None)
    with pytest.raises(TypeError, match=f"{api}: input 1 must be a Tensor, a NumPy array or a number, got str"):
        fn(lambda a, b: pj.sum(a * a), (1.0, "b"))


@pytest.mark.parametrize("api", ["jacobian", "hessian", "vjp", "jvp", "hvp", "vhp"])
def test_a_list_of_tensors_that_require_grad_as_one_input_is_a_pytree(api):
    # It used to be stacked into one array (losing its history), so it was refused; as a pytree
    # each Tensor is a leaf, and with create_graph derivatives flow back to x.
    x = pj.tensor(1.5, requires_grad=True)
    f = lambda a: a[0] * a[1] ** 2  # noqa: E731
    kwargs = {} if api in ("jacobian", "hessian") else {"v": ([1.0, 1.0],)} if api != "vjp" else {"v": 1.0}
    res = getattr(pj, api)(f, ([x, 2 * x],), create_graph=True, **kwargs)
    res = res[1] if api in ("vjp", "jvp", "hvp", "vhp") else res
    res = res[0] if api != "jvp" and isinstance(res, tuple) else res
    if api == "hessian":  # [[d2f/da0 da0, d2f/da0 da1], [d2f/da1 da0, d2f/da1 da1]] = [[0, 2 a1], [2 a1, 2 a0]]
        flat = [res[0][0][0], res[0][0][1], res[1][0][1]]  # res[a][input 0][b]
        np.testing.assert_allclose([t.item() for t in flat], [0.0, 6.0, 3.0])
        (dx,) = pj.grad(flat[1] + flat[2], x)
        assert dx.item() == pytest.approx(4 + 2)
        return
    if api in ("hvp", "vhp"):  # H [1, 1] = [2 a1, 2 a1 + 2 a0]
        np.testing.assert_allclose([t.item() for t in res], [6.0, 9.0])
        return
    if api == "jvp":  # a1^2 + 2 a0 a1
        assert res.item() == pytest.approx(9.0 + 9.0)
        return
    assert isinstance(res, list) and len(res) == 2  # the gradient [a1^2, 2 a0 a1] = [9, 9]
    np.testing.assert_allclose([t.item() for t in res], [9.0, 9.0])
    (dx,) = pj.grad(res[0] + res[1], x)
    assert dx.item() == pytest.approx(2 * 2 * 3.0 + 2 * 2 * 3.0)  # d/dx (4x^2 + 4x^2)


def test_v_that_is_unusable_is_a_type_error_naming_the_function():
    with pytest.raises(TypeError, match="jvp: v must be a Tensor, a NumPy array or a number, got object"):
        pj.jvp(lambda a: a * 2, 1.0, object())
    with pytest.raises(TypeError, match=r"vjp: v\[1\] must be a Tensor, a NumPy array or a number, got str"):
        pj.vjp(lambda a: (a * 2, a * 3), 1.0, (1.0, "x"))


def test_vjp_with_tuple_outputs_and_tuple_v():
    x, y = pj.tensor([1.0, 2.0]), pj.tensor([3.0, -1.0])
    outs, (gx, gy) = pj.vjp(f_two_in_two_out, (x, y), (pj.tensor([1.0, 1.0]), pj.tensor(2.0)))
    assert isinstance(outs, tuple) and len(outs) == 2
    xv, yv = _np(x), _np(y)
    np.testing.assert_allclose(_np(gx), yv + 2 * np.cos(xv), rtol=1e-14)
    np.testing.assert_allclose(_np(gy), xv + 2 * yv / np.linalg.norm(yv), rtol=1e-14)


# ---- strict ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("strategy,vectorize", COMBOS, ids=COMBO_IDS)
def test_strict_raises_for_an_independent_output(strategy, vectorize):
    x, y = pj.tensor([1.0, 2.0]), pj.tensor([3.0, 4.0])
    with pytest.raises(RuntimeError, match="independent|strict"):
        pj.jacobian(lambda a, b: a * 2, (x, y), strict=True, strategy=strategy, vectorize=vectorize)
    with pytest.raises(RuntimeError):
        pj.jacobian(lambda a: pj.ones(2), x, strict=True, strategy=strategy, vectorize=vectorize)
    # not strict: the block is zeros of the right shape
    Ja, Jb = pj.jacobian(lambda a, b: a * 2, (x, y), strategy=strategy, vectorize=vectorize)
    np.testing.assert_array_equal(_np(Ja), 2 * np.eye(2))
    assert tuple(Jb.shape) == (2, 2)
    np.testing.assert_array_equal(_np(Jb), np.zeros((2, 2)))
    J = pj.jacobian(lambda a: pj.ones(3), x, strategy=strategy, vectorize=vectorize)
    assert tuple(J.shape) == (3, 2)
    np.testing.assert_array_equal(_np(J), np.zeros((3, 2)))


@pytest.mark.parametrize("strategy,vectorize", COMBOS, ids=COMBO_IDS)
def test_strict_does_not_raise_for_a_dependent_output_with_zero_derivative(strategy, vectorize):
    """a * b at b = 0 depends on a (d/da = b happens to be 0 here): strict must not raise, in any
    strategy, as in torch (strict is about dependence, not about the value of the derivative)."""
    x, zero = pj.tensor([1.0, 2.0]), pj.tensor([0.0, 0.0])
    Ja, Jb = pj.jacobian(lambda a, b: a * b, (x, zero), strict=True, strategy=strategy, vectorize=vectorize)
    np.testing.assert_array_equal(_np(Ja), np.zeros((2, 2)))
    np.testing.assert_array_equal(_np(Jb), np.diag([1.0, 2.0]))


@pytest.mark.parametrize("outer", ["auto", "forward-mode", "reverse-mode"])
def test_strict_hessian_of_a_dependent_function_with_zero_second_derivative(outer):
    """d2/dx2 sum(x**3) = 6 x is 0 at x = 0 but depends on x: strict does not raise (as in torch)."""
    H = pj.hessian(lambda a: pj.sum(a**3), pj.tensor([0.0, 0.0]), strict=True, outer_jacobian_strategy=outer)
    np.testing.assert_array_equal(_np(H), np.zeros((2, 2)))


def test_strict_in_products():
    x, y = pj.tensor([1.0, 2.0]), pj.tensor([3.0, 4.0])
    v = (pj.tensor([1.0, 1.0]), pj.tensor([1.0, 1.0]))
    with pytest.raises(RuntimeError):
        pj.vjp(lambda a, b: a * 2, (x, y), pj.tensor([1.0, 1.0]), strict=True)
    with pytest.raises(RuntimeError):
        pj.hvp(lambda a, b: pj.sum(a**2), (x, y), v, strict=True)
    with pytest.raises(RuntimeError):
        pj.vhp(lambda a, b: pj.sum(a**2), (x, y), v, strict=True)
    with pytest.raises(RuntimeError):
        pj.hessian(lambda a, b: pj.sum(a**2), (x, y), strict=True)
    # non-strict: zeros for the unused input
    _, (gx, gy) = pj.vjp(lambda a, b: a * 2, (x, y), pj.tensor([1.0, 1.0]))
    np.testing.assert_array_equal(_np(gy), [0.0, 0.0])
    _, (hx, hy) = pj.hvp(lambda a, b: pj.sum(a**2), (x, y), v)
    np.testing.assert_array_equal(_np(hx), [2.0, 2.0])
    np.testing.assert_array_equal(_np(hy), [0.0, 0.0])


def test_strict_jvp_raises_for_an_independent_output():
    """As torch.autograd.functional.jvp: strict=True and an output independent of an input."""
    x, y = pj.tensor([1.0, 2.0]), pj.tensor([3.0, 4.0])
    with pytest.raises(RuntimeError):
        pj.jvp(lambda a, b: a * 2, (x, y), (pj.ones(2), pj.ones(2)), strict=True)
    _, jv = pj.jvp(lambda a, b: a * 2, (x, y), (pj.ones(2), pj.ones(2)))
    np.testing.assert_array_equal(_np(jv), [2.0, 2.0])


# ---- chunking -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("strategy", ["reverse-mode", "forward-mode", "auto"])
@pytest.mark.parametrize("chunk_size", [0, -1])
def test_chunk_size_below_one_is_a_value_error(strategy, chunk_size):
    # 0 used to mean "no chunking" silently, and -1 failed in a reshape in forward mode
    with pytest.raises(
        ValueError, match=f"jacobian: chunk_size must be None \\(no chunking\\) or a positive int, got {chunk_size}"
    ):
        pj.jacobian(lambda x: x * 2.0, pj.ones(3), strategy=strategy, chunk_size=chunk_size)


@pytest.mark.parametrize("chunk_size", [1.5, True, np.float64(2.0)])
def test_non_int_chunk_size_is_a_type_error(chunk_size):
    with pytest.raises(TypeError, match="jacobian: chunk_size must be None, a positive int or 'auto'"):
        pj.jacobian(lambda x: x * 2.0, pj.ones(3), chunk_size=chunk_size)


def test_numpy_int_chunk_size_works():
    J = pj.jacobian(lambda x: x * 2.0, pj.ones(3), chunk_size=np.int64(2))
    np.testing.assert_array_equal(J.numpy(), 2 * np.eye(3))


@pytest.mark.parametrize("strategy", ["reverse-mode", "forward-mode", "auto"])
def test_chunk_sizes_give_identical_results(strategy):
    r = np.random.default_rng(11)
    A = pj.tensor(r.standard_normal((9, 7)))
    xa, ya = r.standard_normal(7), r.standard_normal(2)

    def f(x, y):
        return pj.tanh(A @ x) * pj.sum(x**2) + pj.sum(y), x[:2] * y

    results = [
        pj.jacobian(f, (pj.tensor(xa), pj.tensor(ya)), strategy=strategy, chunk_size=c) for c in (1, 2, 7, None, 100)
    ]
    ref = results[3]
    for c, res in zip((1, 2, 7, None, 100), results):
        for i in range(2):
            for j in range(2):
                np.testing.assert_array_equal(_np(res[i][j]), _np(ref[i][j]), err_msg=f"chunk_size={c}, [{i}][{j}]")
    num = numeric_jacobian(f, [xa, ya])
    assert_tree_close(ref, tuple(tuple(row) for row in num), rtol=1e-6, atol=1e-7)
    # and vectorize=False (row by row) agrees too
    loop = pj.jacobian(f, (pj.tensor(xa), pj.tensor(ya)), strategy=strategy, vectorize=False)
    assert_tree_close(loop, tuple(tuple(_np(b) for b in row) for row in ref), rtol=1e-13, atol=1e-13)


def test_large_jacobian_in_chunks():
    n = 2048
    r = np.random.default_rng(0)
    A_np = r.standard_normal((n, n)) / np.sqrt(n)
    x_np = r.standard_normal(n)
    A = pj.tensor(A_np)
    J = pj.jacobian(lambda x: pj.tanh(A @ x), pj.tensor(x_np), chunk_size=128, strategy="reverse-mode")
    assert tuple(J.shape) == (n, n)
    Jn = _np(J)
    s = 1 - np.tanh(A_np @ x_np) ** 2
    for i in (0, 1, 127, 128, 1000, 2047):
        np.testing.assert_allclose(Jn[i], s[i] * A_np[i], rtol=1e-10, atol=1e-12, err_msg=f"row {i}")
    for k in (0, 129, 2047):
        np.testing.assert_allclose(Jn[:, k], s * A_np[:, k], rtol=1e-10, atol=1e-12, err_msg=f"column {k}")


def test_large_jacobian_in_chunks_forward_mode():
    n = 2048
    r = np.random.default_rng(1)
    A_np = r.standard_normal((n, n)) / np.sqrt(n)
    x_np = r.standard_normal(n)
    A = pj.tensor(A_np)
    J = pj.jacobian(lambda x: pj.tanh(A @ x), pj.tensor(x_np), chunk_size=128, strategy="forward-mode")
    Jn = _np(J)
    s = 1 - np.tanh(A_np @ x_np) ** 2
    for i in (0, 128, 2047):
        np.testing.assert_allclose(Jn[i], s[i] * A_np[i], rtol=1e-10, atol=1e-12, err_msg=f"row {i}")


# ---- errors -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("returned,name", [(3.0, "float"), (None, "NoneType"), ("x", "str"), (np.ones(2), "ndarray")])
@pytest.mark.parametrize(
    "api", ["jacobian", "jacobian-forward", "jacobian-reverse", "hessian", "vjp", "jvp", "hvp", "vhp"]
)
def test_function_returning_a_non_tensor_is_a_type_error(api, returned, name):
    x = pj.tensor([1.0, 2.0])
    fn = lambda a: returned  # noqa: E731
    calls = {
        "jacobian": lambda: pj.jacobian(fn, x),
        "jacobian-forward": lambda: pj.jacobian(fn, x, strategy="forward-mode"),
        "jacobian-reverse": lambda: pj.jacobian(fn, x, strategy="reverse-mode"),
        "hessian": lambda: pj.hessian(fn, x),
        "vjp": lambda: pj.vjp(fn, x, pj.ones(2)),
        "jvp": lambda: pj.jvp(fn, x, pj.ones(2)),
        "hvp": lambda: pj.hvp(fn, x, pj.ones(2)),
        "vhp": lambda: pj.vhp(fn, x, pj.ones(2)),
    }
    with pytest.raises(TypeError, match=name):
        calls[api]()


def test_tuple_with_a_non_tensor_is_a_type_error():
    with pytest.raises(TypeError, match="float"):
        pj.jacobian(lambda a: (a * 2, 1.0), pj.tensor([1.0]))


@pytest.mark.parametrize("bad", ["forward", "reverse", "Auto", "", None])
def test_bad_strategy_is_a_value_error(bad):
    x = pj.tensor([1.0, 2.0])
    with pytest.raises(ValueError, match="strategy"):
        pj.jacobian(lambda a: a * 2, x, strategy=bad)
    with pytest.raises(ValueError, match="strategy"):
        pj.hessian(lambda a: pj.sum(a**2), x, outer_jacobian_strategy=bad)


def test_hessian_and_hvp_need_a_single_element_output():
    x = pj.tensor([1.0, 2.0])
    for call in (
        lambda: pj.hessian(lambda a: a * a, x),
        lambda: pj.hvp(lambda a: a * a, x, pj.ones(2)),
        lambda: pj.vhp(lambda a: a * a, x, pj.ones(2)),
    ):
        with pytest.raises(RuntimeError):
            call()
    H = pj.hessian(lambda a: pj.reshape(pj.sum(a**3), (1,)), x)  # one element is fine
    np.testing.assert_allclose(_np(H), np.diag([6.0, 12.0]))


# ---- parity with torch.autograd.functional on random compositions -----------------------------------------
def _ops(lib, torch=None):
    C = np.random.default_rng(99).standard_normal((3, 3)) / 2
    if lib == "pj":
        m, Cm = pj, pj.tensor(C)
        flip = lambda u: u[..., ::-1]  # noqa: E731
        sumk = lambda u: pj.sum(u, axis=-1, keepdims=True)  # noqa: E731
        meank = lambda u: pj.mean(u, axis=0, keepdims=True)  # noqa: E731
        normk = lambda u: pj.norm(u, axis=-1, keepdims=True)  # noqa: E731
        maxk = lambda u: pj.max(u, axis=-1, keepdims=True)  # noqa: E731
        clip = lambda u: pj.clip(u, -0.8, 0.8)  # noqa: E731
        where = lambda a, b: pj.where(a > b, a * b, a - b)  # noqa: E731
    else:
        m, Cm = torch, torch.tensor(C)
        flip = lambda u: torch.flip(u, (-1,))  # noqa: E731
        sumk = lambda u: torch.sum(u, dim=-1, keepdim=True)  # noqa: E731
        meank = lambda u: torch.mean(u, dim=0, keepdim=True)  # noqa: E731
        normk = lambda u: torch.linalg.vector_norm(u, dim=-1, keepdim=True)  # noqa: E731
        maxk = lambda u: torch.amax(u, dim=-1, keepdim=True)  # noqa: E731
        clip = lambda u: torch.clamp(u, -0.8, 0.8)  # noqa: E731
        where = lambda a, b: torch.where(a > b, a * b, a - b)  # noqa: E731
    unary = {
        "sin": m.sin,
        "cos": m.cos,
        "tanh": m.tanh,
        "sigmoid": m.sigmoid,
        "exp_s": lambda u: m.exp(0.5 * u),
        "log1p_sq": lambda u: m.log1p(u * u),
        "sqrt1": lambda u: m.sqrt(1.0 + m.square(u)),
        "neg_affine": lambda u: 1.5 - 0.7 * u,
        "rdiv": lambda u: 1.0 / (1.0 + u * u),
        "rpow": lambda u: 0.8**u,
        "cube": lambda u: u**3 / 4.0,
        "flip": flip,
        "sumk": sumk,
        "meank": meank,
        "normk": normk,
        "maxk": maxk,
        "clip": clip,
        "matC": lambda u: u @ Cm,
        "expm1": lambda u: m.expm1(0.3 * u),
    }
    binary = {
        "add": lambda a, b: a + b,
        "sub": lambda a, b: a - b,
        "mul": lambda a, b: a * b,
        "div_safe": lambda a, b: a / (1.5 + b * b),
        "maximum": m.maximum,
        "minimum": m.minimum,
        "pow_safe": lambda a, b: (1.1 + a * a) ** (0.5 * m.tanh(b)),
        "where": where,
    }
    return unary, binary


def _program(seed, steps=8):
    """Steps (kind, op name, argument positions in the pool of values); each step takes the
    newest value or one of the two before it, so the result is a deep composition."""
    r = np.random.default_rng(seed)
    unames = sorted(_ops("pj")[0])
    bnames = sorted(_ops("pj")[1])
    prog, size = [], 2
    for _ in range(steps):
        recent = size - 1 - int(r.integers(min(3, size)))
        if r.random() < 0.55:
            prog.append(("u", unames[r.integers(len(unames))], (recent,)))
        else:
            other = int(r.choice([k for k in range(size) if k != size - 1]))
            pair = (size - 1, other) if r.random() < 0.5 else (other, size - 1)
            prog.append(("b", bnames[r.integers(len(bnames))], pair))
        size += 1
    return prog


def make_composition(seed, lib, torch=None, outputs="one"):
    """A random composition of core ops of x (3,) and y (2, 3), in pyjac or torch."""
    unary, binary = _ops(lib, torch)
    prog = _program(seed)
    m = pj if lib == "pj" else torch

    def run(x, y):
        pool = [x, y]
        for kind, name, args in prog:
            pool.append(unary[name](pool[args[0]]) if kind == "u" else binary[name](*(pool[a] for a in args)))
        return pool

    def f(x, y):
        pool = run(x, y)
        main = pool[-1] + 0.5 * pool[-2] + x * y
        if outputs == "one":
            return main
        if outputs == "two":
            return main, m.sum(pool[-2]) * m.sin(x)
        return m.sum(m.sin(main)) + m.sum(main * main) / 4.0  # scalar

    return f


SEEDS = list(range(8))


def _inputs(seed):
    r = np.random.default_rng(1000 + seed)
    return r.standard_normal(3), r.standard_normal((2, 3))


@pytest.mark.parametrize("seed", SEEDS)
def test_random_compositions_against_finite_differences(seed):
    xa, ya = _inputs(seed)
    f = make_composition(seed, "pj", outputs="two")
    num = numeric_jacobian(f, [xa, ya])
    expected = tuple(tuple(row) for row in num)
    for strategy, vectorize in COMBOS:
        J = pj.jacobian(f, (pj.tensor(xa), pj.tensor(ya)), strategy=strategy, vectorize=vectorize)
        assert_tree_close(J, expected, rtol=1e-5, atol=1e-6, path=f"{strategy}/{vectorize}")


@pytest.mark.parametrize("outputs", ["one", "two"])
@pytest.mark.parametrize("seed", SEEDS)
def test_random_compositions_jacobian_against_torch(torch, seed, outputs):
    from torch.autograd import functional as F

    xa, ya = _inputs(seed)
    fp = make_composition(seed, "pj", outputs=outputs)
    ft = make_composition(seed, "torch", torch, outputs=outputs)
    ref = F.jacobian(ft, (torch.tensor(xa), torch.tensor(ya)))
    assert_tree_close(
        fp(pj.tensor(xa), pj.tensor(ya)), ft(torch.tensor(xa), torch.tensor(ya)), rtol=1e-12, atol=1e-12, path="value"
    )
    for strategy, vectorize in COMBOS:
        J = pj.jacobian(fp, (pj.tensor(xa), pj.tensor(ya)), strategy=strategy, vectorize=vectorize)
        assert_tree_close(J, ref, rtol=1e-10, atol=1e-12, path=f"{strategy}/{vectorize}")
    for c in (1, 2, 7):
        J = pj.jacobian(fp, (pj.tensor(xa), pj.tensor(ya)), chunk_size=c)
        assert_tree_close(J, ref, rtol=1e-10, atol=1e-12, path=f"chunk {c}")


@pytest.mark.parametrize("seed", SEEDS)
def test_random_compositions_hessian_and_products_against_torch(torch, seed):
    from torch.autograd import functional as F

    xa, ya = _inputs(seed)
    fp = make_composition(seed, "pj", outputs="scalar")
    ft = make_composition(seed, "torch", torch, outputs="scalar")
    it = (torch.tensor(xa), torch.tensor(ya))
    ip = (pj.tensor(xa), pj.tensor(ya))
    r = np.random.default_rng(seed)
    va, vb = r.standard_normal(3), r.standard_normal((2, 3))
    vt, vp = (torch.tensor(va), torch.tensor(vb)), (pj.tensor(va), pj.tensor(vb))
    H_ref = F.hessian(ft, it)
    for outer in ("auto", "forward-mode", "reverse-mode"):
        for vectorize in (True, False):
            H = pj.hessian(fp, ip, vectorize=vectorize, outer_jacobian_strategy=outer)
            assert_tree_close(H, H_ref, rtol=1e-9, atol=1e-11, path=f"hessian {outer}/{vectorize}")
    assert_tree_close(pj.hvp(fp, ip, vp), F.hvp(ft, it, vt), rtol=1e-9, atol=1e-11, path="hvp")
    assert_tree_close(pj.vhp(fp, ip, vp), F.vhp(ft, it, vt), rtol=1e-9, atol=1e-11, path="vhp")
    assert_tree_close(pj.vjp(fp, ip), F.vjp(ft, it), rtol=1e-10, atol=1e-12, path="vjp")
    assert_tree_close(pj.jvp(fp, ip, vp), F.jvp(ft, it, vt), rtol=1e-10, atol=1e-12, path="jvp")


@pytest.mark.parametrize("seed", SEEDS[:4])
def test_random_compositions_create_graph_against_torch(torch, seed):
    """Jacobians made with create_graph=True, differentiated again (a third-order quantity)."""
    from torch.autograd import functional as F

    xa, ya = _inputs(seed)
    fp = make_composition(seed, "pj", outputs="scalar")
    ft = make_composition(seed, "torch", torch, outputs="scalar")
    w = np.random.default_rng(seed).standard_normal((3, 3))
    wp, wt = pj.tensor(w), torch.tensor(w)

    def gp(x):
        return pj.sum(pj.hessian(lambda a: fp(a, pj.tensor(ya)), x, create_graph=True) * wp)

    def gt(x):
        return torch.sum(F.hessian(lambda a: ft(a, torch.tensor(ya)), x, create_graph=True) * wt)

    ref = F.jacobian(gt, torch.tensor(xa))
    for strategy in STRATEGIES:
        assert_tree_close(pj.jacobian(gp, pj.tensor(xa), strategy=strategy), ref, rtol=1e-8, atol=1e-10)


def test_a_run_without_torch_skips_the_parity_tests_and_exits_cleanly(tmp_path):
    """Where torch is not installed the parity tests skip and the run still exits with code 0
    (simulated in a child interpreter in which ``import torch`` fails)."""
    import subprocess
    import sys

    here = os.path.abspath(__file__)
    chosen = [f"{here}::test_structures_match_torch", f"{here}::test_inputs_may_be_numpy_arrays_and_python_floats"]
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "import pytest\n"
        f"sys.exit(pytest.main({chosen!r} + ['-q', '-rs', '-p', 'no:cacheprovider']))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=str(tmp_path))
    assert proc.returncode == 0, (
        f"exit code {proc.returncode}\nstdout:\n{proc.stdout[-2000:]}\nstderr:\n{proc.stderr[-2000:]}"
    )
    assert "skipped" in proc.stdout and "could not import 'torch'" in proc.stdout, proc.stdout[-2000:]
