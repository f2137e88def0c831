"""Pytrees, keyword arguments, linearize and chunk_size="auto" in every transform of pyjac.func
and pyjac.functional: values against the flat-tensor results, and against JAX and torch.func
where installed (skipped cleanly where not)."""

import collections

import numpy as np
import pytest
from _helpers import run_readme_section

import pyjac as pj
from pyjac import func as F
from pyjac import tree

try:
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
except ImportError:
    jax = None

try:
    import torch
    import torch.func as tfunc
except ImportError:
    torch = None

needs_jax = pytest.mark.skipif(jax is None, reason="jax is not installed")
needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")

rng = np.random.default_rng(7)
P0 = {"w": rng.standard_normal((3, 2)), "b": rng.standard_normal(2)}
X0 = rng.standard_normal((4, 3))


def _np(t):
    return t.numpy() if isinstance(t, pj.Tensor) else np.asarray(t)


def _params():
    return {k: pj.tensor(v) for k, v in P0.items()}


def model(p, x, scale=1.0, m=pj):
    h = m.tanh(x @ p["w"] + p["b"])
    return {"out": h * scale, "stats": (m.sum(h**2), [h[0]])}


def loss(p, x, scale=1.0, m=pj):
    return m.sum(model(p, x, scale, m)["out"] ** 2)


def flat_loss(w, b, x, scale=1.0):
    return loss({"w": w, "b": b}, x, scale)


def assert_trees_close(a, b, rtol=1e-12, atol=1e-14):
    la, da = tree.flatten(a)
    lb = tree.leaves(b)
    assert len(la) == len(lb), (da, tree.structure(b))
    for u, v in zip(la, lb):
        assert tuple(np.shape(_np(u))) == tuple(np.shape(_np(v)))
        np.testing.assert_allclose(_np(u), _np(v), rtol=rtol, atol=atol)


# ---- gradients and Jacobians of pytrees against the flat results ------------------------------------------
def test_grad_of_a_dict_has_the_dicts_structure_and_the_flat_values():
    g = F.grad(loss)(_params(), pj.tensor(X0), scale=2.0)
    assert isinstance(g, dict) and set(g) == {"w", "b"}
    gw, gb = F.grad(flat_loss, (0, 1))(pj.tensor(P0["w"]), pj.tensor(P0["b"]), pj.tensor(X0), scale=2.0)
    np.testing.assert_array_equal(_np(g["w"]), _np(gw))
    np.testing.assert_array_equal(_np(g["b"]), _np(gb))


def test_value_and_grad_of_a_namedtuple_and_a_list_of_numbers():
    Pt = collections.namedtuple("Pt", ["a", "b"])
    (value, aux), g = F.value_and_grad(lambda p: (p.a**2 * p.b, {"a": p.a}), has_aux=True)(Pt(3.0, 2.0))
    assert isinstance(g, Pt) and g.a.item() == 12.0 and g.b.item() == 9.0 and value.item() == 18.0
    assert isinstance(aux, dict) and aux["a"].item() == 3.0 and not aux["a"].requires_grad
    g = F.grad(lambda v: v[0] * v[1] ** 2)([2.0, 3.0])  # a list of numbers is a list of 0-d leaves
    assert isinstance(g, list) and [t.item() for t in g] == [9.0, 12.0]


@pytest.mark.parametrize("name", ["jacrev", "jacfwd", "jacobian"])
def test_jacobian_of_pytree_output_wrt_pytree_input_nests_output_outside(name):
    T = getattr(F, name)
    J = T(model)(_params(), pj.tensor(X0), scale=2.0)
    assert tree.structure(J) == tree.structure(
        {"out": {"b": 0, "w": 0}, "stats": ({"b": 0, "w": 0}, [{"b": 0, "w": 0}])}
    )
    assert tuple(J["out"]["w"].shape) == (4, 2, 3, 2) and tuple(J["stats"][0]["b"].shape) == (2,)
    # against the flat Jacobians with respect to (w, b)
    Jw, Jb = T(lambda w, b: model({"w": w, "b": b}, pj.tensor(X0), 2.0)["out"], (0, 1))(
        pj.tensor(P0["w"]), pj.tensor(P0["b"])
    )
    np.testing.assert_allclose(_np(J["out"]["w"]), _np(Jw), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(_np(J["out"]["b"]), _np(Jb), rtol=1e-14, atol=1e-15)


def test_argnums_tuple_of_pytrees_gives_a_tuple_of_structures():
    f = lambda a, b: pj.sum(a["u"] * b[0]) + pj.sum(b[1])  # noqa: E731
    J = F.jacrev(f, (0, 1))({"u": pj.ones(2)}, (pj.full((2,), 3.0), pj.ones(3)))
    assert isinstance(J, tuple) and isinstance(J[0], dict) and isinstance(J[1], tuple)
    np.testing.assert_array_equal(_np(J[0]["u"]), [3.0, 3.0])
    np.testing.assert_array_equal(_np(J[1][0]), [1.0, 1.0])
    np.testing.assert_array_equal(_np(J[1][1]), [1.0, 1.0, 1.0])


def test_hessian_of_a_dict_nests_the_dict_outside_and_inside():
    H = F.hessian(loss)(_params(), pj.tensor(X0))
    assert set(H) == {"w", "b"} and set(H["w"]) == {"w", "b"}
    assert tuple(H["w"]["b"].shape) == (3, 2, 2)
    flat = F.hessian(flat_loss, (0, 1))(pj.tensor(P0["w"]), pj.tensor(P0["b"]), pj.tensor(X0))
    np.testing.assert_allclose(_np(H["w"]["b"]), _np(flat[0][1]), rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(_np(H["b"]["b"]), _np(flat[1][1]), rtol=1e-13, atol=1e-14)


@needs_jax
@pytest.mark.parametrize("name", ["jacrev", "jacfwd", "hessian"])
def test_pytree_jacobians_and_hessians_equal_jaxs(name):
    p_j = {k: jnp.asarray(v) for k, v in P0.items()}
    if name == "hessian":
        ours = F.hessian(loss)(_params(), pj.tensor(X0), scale=0.5)
        ref = jax.hessian(lambda p: loss(p, X0, 0.5, jnp))(p_j)
    else:
        ours = getattr(F, name)(model)(_params(), pj.tensor(X0), scale=0.5)
        ref = getattr(jax, name)(lambda p: model(p, X0, 0.5, jnp))(p_j)
    assert tree.structure(ours).num_leaves == jax.tree_util.tree_structure(ref).num_leaves
    assert_trees_close(ours, ref)


@needs_torch
def test_jacobians_wrt_a_dict_of_parameters_equal_torch_func():
    p_t = {k: torch.tensor(v) for k, v in P0.items()}
    x_t = torch.tensor(X0)
    ours = F.jacrev(lambda p: model(p, pj.tensor(X0))["out"])(_params())
    ref = tfunc.jacrev(lambda p: torch.tanh(x_t @ p["w"] + p["b"]))(p_t)
    for k in ("w", "b"):
        np.testing.assert_allclose(_np(ours[k]), ref[k].numpy(), rtol=1e-12, atol=1e-14)
    g = F.grad(loss)(_params(), pj.tensor(X0))
    g_ref = tfunc.grad(lambda p: torch.sum(torch.tanh(x_t @ p["w"] + p["b"]) ** 2))(p_t)
    for k in ("w", "b"):
        np.testing.assert_allclose(_np(g[k]), g_ref[k].numpy(), rtol=1e-12, atol=1e-14)


# ---- vjp / jvp with pytrees -----------------------------------------------------------------------------
def test_vjp_cotangents_have_the_output_structure_and_results_the_primals():
    out, vjp_fn = F.vjp(lambda p: model(p, pj.tensor(X0)), _params())
    ct = tree.map(lambda o: pj.ones(o.shape), out)
    (g,) = vjp_fn(ct)
    assert set(g) == {"w", "b"}
    # against the sum of the flat vjps (the cotangents are ones): the gradient of the output sum
    ref = F.grad(lambda p: sum(pj.sum(o) for o in tree.leaves(model(p, pj.tensor(X0)))))(_params())
    assert_trees_close(g, ref, rtol=1e-13)


def test_vjp_cotangents_of_another_structure_are_a_value_error_naming_both():
    _, vjp_fn = F.vjp(lambda p: {"a": p * 2, "b": p * 3}, pj.ones(2))
    with pytest.raises(ValueError, match=r"vjp: cotangent has the structure \{'a': \*\}.*\{'a': \*, 'b': \*\}"):
        vjp_fn({"a": pj.ones(2)})
    with pytest.raises(ValueError, match="vjp: cotangent of shape"):
        vjp_fn({"a": pj.ones(2), "b": pj.ones(3)})


def test_jvp_tangents_have_the_primal_structure():
    T0 = {k: rng.standard_normal(v.shape) for k, v in P0.items()}
    out, t = F.jvp(lambda p: model(p, pj.tensor(X0)), (_params(),), (T0,))
    assert tree.structure(t) == tree.structure(out)
    J = F.jacfwd(lambda p: model(p, pj.tensor(X0)))(_params())
    expected = tree.map(
        lambda Jw, Jb: pj.tensor(
            np.tensordot(_np(Jw), T0["w"], axes=T0["w"].ndim) + np.tensordot(_np(Jb), T0["b"], axes=1)
        ),
        tree.map(lambda d: d["w"], J, is_leaf=lambda n: isinstance(n, dict) and set(n) == {"w", "b"}),
        tree.map(lambda d: d["b"], J, is_leaf=lambda n: isinstance(n, dict) and set(n) == {"w", "b"}),
    )
    assert_trees_close(t, expected, rtol=1e-12)
    # a lone dict is the one argument, as a lone array
    out2, t2 = F.jvp(lambda p: model(p, pj.tensor(X0)), _params(), T0)
    assert_trees_close(t2, t)


def test_jvp_tangent_of_another_structure_is_a_value_error_naming_both():
    with pytest.raises(ValueError, match=r"jvp: tangent 0 has the structure \[\*\], but primal 0 has .*\{'a': \*\}"):
        F.jvp(lambda p: p["a"] * 2, ({"a": pj.ones(2)},), ([pj.ones(2)],))


def test_an_unusable_leaf_is_named_by_its_path():
    with pytest.raises(
        TypeError, match=r"grad: argument 0\['w'\] must be a Tensor, a NumPy array or a number, got str"
    ):
        F.grad(lambda p: pj.sum(p["b"]))({"b": pj.ones(2), "w": "oops"})
    with pytest.raises(TypeError, match=r"jacobian: input 1\[0\] must be a Tensor"):
        pj.jacobian(lambda a, b: a, (pj.ones(2), [object()]))


def test_a_function_returning_a_pytree_with_a_non_tensor_leaf_is_a_type_error():
    with pytest.raises(
        TypeError, match=r"jacrev: the function must return a Tensor or a pytree of Tensors.*\['Tensor', 'float'\]"
    ):
        F.jacrev(lambda x: {"a": x, "b": 1.0})(pj.ones(2))


# ---- keyword arguments --------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["grad", "value_and_grad", "jacrev", "jacfwd", "jacobian", "hessian"])
def test_keyword_arguments_pass_through_undifferentiated(name):
    f = lambda x, scale=1.0, power=2: pj.sum(scale * x**power)  # noqa: E731
    x = pj.tensor([1.0, 2.0])
    got = getattr(F, name)(f)(x, scale=3.0, power=3)
    ref = getattr(F, name)(lambda x: f(x, 3.0, 3))(x)
    assert_trees_close(got, ref, rtol=0, atol=0)


@needs_jax
def test_keyword_arguments_as_jax():
    f_pj = lambda x, scale: pj.sum(scale * pj.sin(x))  # noqa: E731
    f_jx = lambda x, scale: jnp.sum(scale * jnp.sin(x))  # noqa: E731
    x = np.array([0.1, 0.7])
    np.testing.assert_allclose(_np(F.grad(f_pj)(x, scale=2.0)), jax.grad(f_jx)(x, scale=2.0), rtol=1e-15)


# ---- pyjac.functional with pytrees ---------------------------------------------------------------------
def test_functional_jacobian_and_hessian_of_dict_inputs():
    x = pj.tensor(X0)
    J = pj.jacobian(lambda p: model(p, x)["out"], _params())
    Jw, Jb = pj.jacobian(lambda w, b: model({"w": w, "b": b}, x)["out"], (pj.tensor(P0["w"]), pj.tensor(P0["b"])))
    np.testing.assert_allclose(_np(J["w"]), _np(Jw), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(_np(J["b"]), _np(Jb), rtol=1e-14, atol=1e-15)
    H = pj.hessian(lambda p: loss(p, x), _params())
    Hf = pj.hessian(lambda w, b: flat_loss(w, b, x), (pj.tensor(P0["w"]), pj.tensor(P0["b"])))
    np.testing.assert_allclose(_np(H["w"]["b"]), _np(Hf[0][1]), rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(_np(H["b"]["w"]), _np(Hf[1][0]), rtol=1e-13, atol=1e-14)
    # a tuple of inputs, one of them a dict: the tuple outside, the dict inside
    J2 = pj.jacobian(lambda p, s: model(p, x, s)["stats"][0], (_params(), pj.tensor(2.0)))
    assert isinstance(J2, tuple) and isinstance(J2[0], dict) and tuple(J2[1].shape) == ()


def test_functional_products_of_dict_inputs_against_flat():
    x = pj.tensor(X0)
    V = {k: rng.standard_normal(v.shape) for k, v in P0.items()}
    flat_in = (pj.tensor(P0["w"]), pj.tensor(P0["b"]))
    flat_v = (pj.tensor(V["w"]), pj.tensor(V["b"]))
    for api in ("hvp", "vhp"):
        _, r = getattr(pj, api)(lambda p: loss(p, x), _params(), V)
        _, rf = getattr(pj, api)(lambda w, b: flat_loss(w, b, x), flat_in, flat_v)
        np.testing.assert_allclose(_np(r["w"]), _np(rf[0]), rtol=1e-13, atol=1e-14)
        np.testing.assert_allclose(_np(r["b"]), _np(rf[1]), rtol=1e-13, atol=1e-14)
    _, t = pj.jvp(lambda p: model(p, x), _params(), V)
    _, tf = pj.jvp(lambda w, b: model({"w": w, "b": b}, x), flat_in, flat_v)
    assert_trees_close(t, tf, rtol=0, atol=0)
    out, g = pj.vjp(lambda p: model(p, x), _params(), tree.map(lambda o: pj.ones(o.shape), model(_params(), x)))
    _, gf = pj.vjp(lambda w, b: model({"w": w, "b": b}, x), flat_in, tree.map(lambda o: pj.ones(o.shape), out))
    np.testing.assert_allclose(_np(g["w"]), _np(gf[0]), rtol=1e-14, atol=1e-15)
    with pytest.raises(ValueError, match="vjp: v has the structure"):
        pj.vjp(lambda p: model(p, x), _params(), [pj.ones(2)])


# ---- linearize ------------------------------------------------------------------------------------------
def test_linearize_gives_the_output_and_jvps_of_pytrees():
    x = pj.tensor(X0)
    out, lin = F.linearize(lambda p: model(p, x), _params())
    assert_trees_close(out, model(_params(), x), rtol=0, atol=0)
    for _ in range(2):  # the linearisation is kept: call it again
        V = {k: rng.standard_normal(v.shape) for k, v in P0.items()}
        _, ref = F.jvp(lambda p: model(p, x), (_params(),), (V,))
        assert_trees_close(lin(V), ref, rtol=1e-12, atol=1e-14)
    with pytest.raises(ValueError, match="linearize: tangent 0 has the structure"):
        lin([pj.ones(2)])
    with pytest.raises(ValueError, match="linearize: jvp_fn takes 1 tangents"):
        lin(V, V)


def test_linearize_several_primals_independent_outputs_and_aux():
    out, lin, aux = F.linearize(lambda a, b: ((a * b, pj.ones(2)), "aux"), pj.tensor([1.0, 2.0]), 3.0, has_aux=True)
    assert aux == "aux"
    t = lin(pj.tensor([1.0, 0.0]), 1.0)
    np.testing.assert_array_equal(_np(t[0]), [3.0 + 1.0, 2.0])
    np.testing.assert_array_equal(_np(t[1]), [0.0, 0.0])


def test_linearize_does_not_rerun_the_function():
    calls = []

    def f(x):
        calls.append(1)
        mask = pj.tensor((np.random.default_rng(len(calls)).random(5) > 0.5).astype(float))
        return pj.sin(x) * mask

    x = pj.tensor(np.linspace(0, 1, 5))
    out, lin = F.linearize(f, x)
    t1, t2 = lin(pj.ones(5)), lin(pj.ones(5))
    assert len(calls) == 1
    mask = (np.random.default_rng(1).random(5) > 0.5).astype(float)
    np.testing.assert_allclose(_np(t1), np.cos(np.linspace(0, 1, 5)) * mask, rtol=1e-15)
    np.testing.assert_array_equal(_np(t1), _np(t2))


@needs_jax
def test_linearize_equals_jax():
    x = X0[0]
    _, lin = F.linearize(lambda p: model(p, pj.tensor(x)), _params())
    _, lin_j = jax.linearize(lambda p: model(p, x, 1.0, jnp), {k: jnp.asarray(v) for k, v in P0.items()})
    V = {k: rng.standard_normal(v.shape) for k, v in P0.items()}
    assert_trees_close(lin(V), lin_j(V), rtol=1e-12)


def test_linearize_composes_with_grad():
    # d/dx of the linearized jvp at x: d/dx (cos(x) t) = -sin(x) t
    g = F.grad(lambda x: pj.sum(F.linearize(pj.sin, x)[1](pj.tensor([1.0, 2.0]))))(pj.tensor([0.3, 0.5]))
    np.testing.assert_allclose(_np(g), -np.sin([0.3, 0.5]) * [1.0, 2.0], rtol=1e-14)


# ---- chunk_size ---------------------------------------------------------------------------------------------
@pytest.fixture
def small_budget():
    previous = pj.set_memory_budget(1024)
    yield
    pj.set_memory_budget(previous)


def _count(monkeypatch, module, name):
    calls = []
    original = getattr(module, name)

    def counted(*a, **k):
        calls.append(1)
        return original(*a, **k)

    monkeypatch.setattr(module, name, counted)
    return calls


def test_memory_budget_is_validated_and_has_a_default():
    assert pj.get_memory_budget() == 2**30
    previous = pj.set_memory_budget(12345)
    try:
        assert previous == 2**30 and pj.get_memory_budget() == 12345
    finally:
        pj.set_memory_budget(previous)
    for bad, err in [(0, ValueError), (-5, ValueError), (1.5, TypeError), (True, TypeError), ("1", TypeError)]:
        with pytest.raises(err, match="set_memory_budget: nbytes must be a positive int"):
            pj.set_memory_budget(bad)


def _wide(x):
    return pj.tanh(pj.outer(x, x)).ravel() * 2.0


@pytest.mark.parametrize("name", ["jacrev", "jacobian"])
def test_auto_chunks_split_a_reverse_jacobian_over_budget(name, small_budget, monkeypatch):
    x = pj.tensor(np.linspace(-1, 1, 8))
    f = lambda x: pj.tanh(x) * 3.0  # noqa: E731  (8 outputs from 8 inputs: reverse mode)
    one = F.jacrev(f)(x)
    calls = _count(monkeypatch, pj._core, "run_backward")
    J = getattr(F, name)(f, chunk_size="auto")(x)
    assert len(calls) > 1  # 8 rows x (nodes + 2) x 8 elements x 8 bytes do not fit in 1024 bytes
    np.testing.assert_allclose(_np(J), _np(one), rtol=1e-15)
    calls.clear()
    pj.set_memory_budget(2**30)
    getattr(F, name)(f, chunk_size="auto")(x)
    assert len(calls) == 1  # it fits: one sweep


def test_auto_chunks_split_a_forward_jacobian_over_budget(small_budget, monkeypatch):
    import pyjac._jacobians as J

    x = pj.tensor(np.linspace(-1, 1, 8))
    one = F.jacfwd(_wide)(x)
    calls = _count(monkeypatch, J, "_forward_pass")
    got = F.jacfwd(_wide, chunk_size="auto")(x)
    assert len(calls) > 1
    np.testing.assert_allclose(_np(got), _np(one), rtol=1e-15)
    calls.clear()
    got = F.jacobian(_wide, chunk_size="auto")(x)  # 64 outputs, 8 inputs: forward mode
    assert len(calls) > 1
    np.testing.assert_allclose(_np(got), _np(one), rtol=1e-15)


def test_auto_chunks_in_the_functional_api(small_budget, monkeypatch):
    x = pj.tensor(np.linspace(-1, 1, 8))
    f = lambda x: pj.tanh(x) * 3.0  # noqa: E731
    g = lambda x: pj.sum(pj.tanh(x) ** 3)  # noqa: E731
    ref_j, ref_h = pj.jacobian(f, x), pj.hessian(g, x)
    calls = _count(monkeypatch, pj._core, "run_backward")
    np.testing.assert_allclose(_np(pj.jacobian(f, x, chunk_size="auto")), _np(ref_j), rtol=1e-15)
    assert len(calls) > 1
    calls.clear()
    np.testing.assert_allclose(_np(pj.hessian(g, x, chunk_size="auto")), _np(ref_h), rtol=1e-14)
    assert len(calls) > 1
    np.testing.assert_allclose(_np(F.hessian(g, chunk_size="auto")(x)), _np(ref_h), rtol=1e-14)


@pytest.mark.parametrize("chunk", [1, 3, 8, 100])
def test_hessian_chunk_size_gives_the_one_sweep_hessian(chunk, monkeypatch):
    g = lambda x: pj.sum(pj.tanh(x) ** 3) * pj.sum(x)  # noqa: E731
    x = pj.tensor(np.linspace(-1, 1, 8))
    ref = F.hessian(g)(x)
    calls = _count(monkeypatch, pj._core, "run_backward")
    got = F.hessian(g, chunk_size=chunk)(x)
    sweeps = len(calls)
    np.testing.assert_allclose(_np(got), _np(ref), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(_np(pj.hessian(g, x, chunk_size=chunk)), _np(ref), rtol=1e-14, atol=1e-15)
    assert sweeps == 1 + -(-8 // chunk)  # the gradient's sweep, then the Hessian's rows in chunks


def test_hessian_chunk_size_is_checked():
    with pytest.raises(ValueError, match="hessian: chunk_size must be None"):
        F.hessian(pj.sum, chunk_size=0)
    with pytest.raises(TypeError, match="hessian: chunk_size must be None, a positive int or 'auto'"):
        pj.hessian(pj.sum, pj.ones(2), chunk_size="big")


# ---- the README's Pytrees section runs -------------------------------------------------------------------
def test_the_readme_pytrees_examples_run():
    run_readme_section("Pytrees")
