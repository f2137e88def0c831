"""pyjac.func.functional_call and stack_module_state: values and gradients against calling the
module directly, the module left unchanged (also when forward raises), buffers, nested and
shared sub-modules, tied weights, strict, errors, and parity with torch.func where installed."""

import collections

import numpy as np
import pytest
from _helpers import run_readme_section

import pyjac as pj
from pyjac import nn
from pyjac.func import functional_call, stack_module_state


def _transforms_take_dicts():
    """Whether pyjac.func's transforms take a dict of tensors (the pytree support of issue 14)."""
    try:
        pj.func.grad(lambda d: (d["a"] * d["a"]).sum())({"a": pj.ones(2)})
    except TypeError:
        return False
    return True


needs_pytrees = pytest.mark.skipif(
    not _transforms_take_dicts(), reason="pyjac.func transforms do not take dicts of tensors yet"
)


def mlp(seed=0, dtype=np.float64):
    pj.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 5, dtype=dtype), nn.Tanh(), nn.Linear(5, 2, dtype=dtype))


def snapshot(module):
    """Everything functional_call must leave as it was: the tensor objects under every name,
    their values and requires_grad, and the registries' orders."""
    state = {}
    for prefix, m in module.named_modules(remove_duplicate=False):
        for registry in ("_parameters", "_buffers"):
            for name, t in m.__dict__[registry].items():
                key = (prefix, registry, name)
                state[key] = (t, None if t is None else (t.detach().numpy().copy(), t.requires_grad, t.grad))
    return state


def assert_unchanged(module, before):
    after = snapshot(module)
    assert list(after) == list(before)
    for key, (t, info) in before.items():
        t2, info2 = after[key]
        assert t2 is t, key
        if t is not None:
            np.testing.assert_array_equal(info2[0], info[0])
            assert info2[1] == info[1] and info2[2] is info[2], key


def new_values(module, rng, requires_grad=True):
    return {
        k: pj.tensor(rng.standard_normal(v.shape).astype(v.dtype), requires_grad=requires_grad)
        for k, v in module.named_parameters()
    }


def loaded_copy(values, seed=1):
    """A second MLP holding ``values`` as its own parameters: what functional_call must equal."""
    other = mlp(seed)
    other.load_state_dict({k: v.detach().numpy() for k, v in values.items()})
    return other


# ---- values and gradients -------------------------------------------------------------------------
def test_own_parameters_give_the_direct_call(rng):
    m = mlp()
    x = pj.tensor(rng.standard_normal((4, 3)))
    y = functional_call(m, dict(m.named_parameters()), (x,))
    np.testing.assert_array_equal(y.detach().numpy(), m(x).detach().numpy())


def test_values_and_gradients_equal_a_module_holding_them(rng):
    m = mlp()
    before = snapshot(m)
    x = pj.tensor(rng.standard_normal((4, 3)))
    p = new_values(m, rng)
    y = functional_call(m, p, (x,))
    other = loaded_copy(p)
    y_ref = other(x)
    np.testing.assert_allclose(y.detach().numpy(), y_ref.detach().numpy(), rtol=1e-14, atol=1e-14)
    grads = pj.autograd.grad((y * y).sum(), list(p.values()))
    (y_ref * y_ref).sum().backward()
    for (name, ref), g in zip(other.named_parameters(), grads):
        np.testing.assert_allclose(g.detach().numpy(), ref.grad.detach().numpy(), rtol=1e-13, atol=1e-14, err_msg=name)
    assert_unchanged(m, before)  # no .grad reached the module's own parameters


def test_partial_dict_keeps_the_other_parameters(rng):
    m = mlp()
    x = pj.tensor(rng.standard_normal((4, 3)))
    w = pj.tensor(rng.standard_normal((2, 5)), requires_grad=True)
    y = functional_call(m, {"2.weight": w}, x)  # a lone argument needs no tuple
    expected = pj.tanh(x @ m[0].weight.T + m[0].bias) @ w.T + m[2].bias
    np.testing.assert_allclose(y.detach().numpy(), expected.detach().numpy(), rtol=1e-14)
    # the gradient reaches both the given tensor and the module's own parameters
    gw, gb = pj.autograd.grad(y.sum(), [w, m[0].bias])
    assert gw.shape == (2, 5) and gb.shape == (5,)


def test_jacrev_with_respect_to_one_substituted_parameter(rng):
    m = mlp()
    x = pj.tensor(rng.standard_normal((4, 3)))
    w0 = m[0].weight.detach()
    J = pj.func.jacrev(lambda w: functional_call(m, {"0.weight": w}, (x,)))(w0)
    assert J.shape == (4, 2, 5, 3)
    J_ref = pj.jacobian(
        lambda w: nn.functional.linear(pj.tanh(nn.functional.linear(x, w, m[0].bias)), m[2].weight, m[2].bias), w0
    )
    np.testing.assert_allclose(J.detach().numpy(), J_ref.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_second_derivatives_through_functional_call(rng):
    m = mlp()
    x = pj.tensor(rng.standard_normal((4, 3)))
    b = m[2].bias.detach()
    H = pj.func.hessian(lambda v: (functional_call(m, {"2.bias": v}, x) ** 3).sum())(b)
    y0 = m(x).detach().numpy()
    np.testing.assert_allclose(H.detach().numpy(), np.diag((6 * y0).sum(axis=0)), rtol=1e-12, atol=1e-12)


def test_args_tuple_and_kwargs_pass_through():
    class Affine(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(np.array([2.0]))

        def forward(self, x, y, *, scale=1.0):
            return (self.w * x + y) * scale

    m = Affine()
    w = pj.tensor([3.0], requires_grad=True)
    out = functional_call(m, {"w": w}, (pj.tensor([1.0]), pj.tensor([10.0])), {"scale": 2.0})
    assert out.tolist() == [26.0]
    # a list is one argument, not a tuple of them (torch's rule)
    with pytest.raises(TypeError):
        functional_call(m, {"w": w}, [pj.tensor([1.0]), pj.tensor([10.0])])
    assert functional_call(m, {}, (pj.tensor([1.0]), pj.tensor([0.0]))).tolist() == [2.0]


# ---- the module is left unchanged -----------------------------------------------------------------
def test_module_unchanged_after_an_exception_in_forward(rng):
    class Fails(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(3, 2, dtype=np.float64)
            self.register_buffer("scale", pj.tensor([1.0, 2.0]))

        def forward(self, x):
            self.scale = self.lin(x).sum() * self.scale  # a new buffer, then a failure
            raise RuntimeError("boom after reading the substituted tensors")

    m = Fails()
    before = snapshot(m)
    values = {"lin.weight": pj.zeros((2, 3)), "lin.bias": pj.zeros(2), "scale": pj.zeros(2)}
    with pytest.raises(RuntimeError, match="boom"):
        functional_call(m, values, pj.ones((1, 3)))
    assert_unchanged(m, before)


def test_module_unchanged_after_a_refused_key_or_value():
    m = mlp()
    before = snapshot(m)
    with pytest.raises(RuntimeError, match="nope"):
        functional_call(m, {"0.weight": pj.zeros((5, 3)), "nope": pj.zeros(1)}, pj.ones((1, 3)))
    with pytest.raises(TypeError, match="'2.bias'"):
        functional_call(m, {"0.weight": pj.zeros((5, 3)), "2.bias": np.zeros(2)}, pj.ones((1, 3)))
    assert_unchanged(m, before)


def test_module_unchanged_when_forward_reassigns_and_the_dict_gets_the_new_value():
    class Counter(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("count", pj.tensor(0.0))

        def forward(self, x):
            self.count = self.count + 1  # a new tensor under the buffer's name, as torch modules do
            return x * self.count

    m = Counter()
    before = snapshot(m)
    given = pj.tensor(5.0)
    d = {"count": given}
    assert functional_call(m, d, pj.tensor(2.0)).item() == 12.0
    assert d["count"] is not given and d["count"].item() == 6.0 and given.item() == 5.0
    assert_unchanged(m, before)
    assert m.count.item() == 0.0
    # from a tuple of dicts, the value goes back to the dict it came from
    a, b = {}, {"count": pj.tensor(1.0)}
    functional_call(m, (a, b), pj.tensor(1.0))
    assert a == {} and b["count"].item() == 2.0
    assert_unchanged(m, before)


def test_in_place_changes_in_forward_show_in_the_given_tensor_only():
    class Accumulates(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("total", pj.zeros(2))

        def forward(self, x):
            self.total.add_(x)
            return self.total * 1.0

    m = Accumulates()
    mine = pj.zeros(2)
    functional_call(m, {"total": mine}, pj.tensor([1.0, 2.0]))
    functional_call(m, {"total": mine}, pj.tensor([1.0, 2.0]))
    assert mine.tolist() == [2.0, 4.0] and m.total.tolist() == [0.0, 0.0]


def test_requires_grad_of_the_module_is_kept(rng):
    m = mlp()
    m[0].weight.requires_grad_(False)  # frozen: registered, but not requiring grad
    before = snapshot(m)
    p = new_values(m, rng)
    functional_call(m, p, pj.ones((1, 3))).sum().backward()
    assert all(v.grad is not None for v in p.values())
    assert_unchanged(m, before)
    assert not m[0].weight.requires_grad and m[2].weight.requires_grad


# ---- buffers, nested and shared modules -----------------------------------------------------------
class Scaled(nn.Module):
    """A nested module with a buffer: y = body(x) * scale + shift."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(3, 4, dtype=np.float64), nn.Tanh())
        self.head = nn.Linear(4, 2, dtype=np.float64)
        self.register_buffer("scale", pj.tensor([1.0, -1.0]))
        self.register_buffer("shift", pj.tensor([0.5, 0.5]), persistent=False)

    def forward(self, x):
        return self.head(self.body(x)) * self.scale + self.shift


def test_nested_names_and_buffers(rng):
    m = Scaled()
    before = snapshot(m)
    assert [n for n, _ in m.named_parameters()] == ["body.0.weight", "body.0.bias", "head.weight", "head.bias"]
    x = pj.tensor(rng.standard_normal((4, 3)))
    params = {k: v.detach() + 1.0 for k, v in m.named_parameters()}
    buffers = {"scale": pj.tensor([2.0, 3.0], requires_grad=True), "shift": pj.tensor([0.0, 1.0])}
    y = functional_call(m, (params, buffers), (x,))
    h = np.tanh(
        x.detach().numpy() @ params["body.0.weight"].detach().numpy().T + params["body.0.bias"].detach().numpy()
    )
    expected = (h @ params["head.weight"].detach().numpy().T + params["head.bias"].detach().numpy()) * [2.0, 3.0] + [
        0.0,
        1.0,
    ]
    np.testing.assert_allclose(y.detach().numpy(), expected, rtol=1e-14)
    (g,) = pj.autograd.grad(y.sum(), [buffers["scale"]])  # a buffer can be differentiated too
    np.testing.assert_allclose(
        g.detach().numpy(), (h @ params["head.weight"].detach().numpy().T + params["head.bias"].detach().numpy()).sum(0)
    )
    assert_unchanged(m, before)


def test_shared_submodule_is_tied_under_both_names(rng):
    lin = nn.Linear(2, 2, dtype=np.float64)
    m = nn.Sequential(lin, nn.Tanh(), lin)
    assert [n for n, _ in m.named_parameters()] == ["0.weight", "0.bias"]
    names = [n for n, _ in m.named_parameters(remove_duplicate=False)]
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias"]
    x = pj.tensor(rng.standard_normal((3, 2)))
    w, b = pj.eye(2) * 0.5, pj.zeros(2)
    y = functional_call(m, {"0.weight": w, "0.bias": b}, x)
    np.testing.assert_allclose(y.detach().numpy(), 0.5 * np.tanh(0.5 * x.detach().numpy()), rtol=1e-14)
    # one module under two names has one slot per tensor: untying cannot split it (as in torch)
    y = functional_call(m, {"0.weight": w, "0.bias": b}, x, tie_weights=False)
    np.testing.assert_allclose(y.detach().numpy(), 0.5 * np.tanh(0.5 * x.detach().numpy()), rtol=1e-14)
    assert m[0] is lin and m[2] is lin and lin.weight is m[0].weight


# ---- tied weights ---------------------------------------------------------------------------------
class Tied(nn.Module):
    """x + foo + foo_tied, with foo_tied the same parameter as foo (torch's docs example)."""

    def __init__(self):
        super().__init__()
        self.foo = nn.Parameter(np.array(1.0))
        self.foo_tied = self.foo

    def forward(self, x):
        return x + self.foo + self.foo_tied


def test_tied_weights_follow_torch():
    m = Tied()
    before = snapshot(m)
    x = pj.tensor(0.0)
    assert m(x).item() == 2.0
    zero = pj.tensor(0.0)
    assert functional_call(m, {"foo": zero}, x).item() == 0.0  # foo_tied follows
    assert functional_call(m, {"foo_tied": zero}, x).item() == 0.0
    assert functional_call(m, {"foo": zero}, x, tie_weights=False).item() == 1.0
    assert functional_call(m, {"foo": zero, "foo_tied": zero}, x).item() == 0.0  # the same tensor twice
    with pytest.raises(ValueError, match="tied"):
        functional_call(m, {"foo": zero, "foo_tied": pj.tensor(0.0)}, x)
    assert functional_call(m, {"foo": zero, "foo_tied": pj.tensor(3.0)}, x, tie_weights=False).item() == 3.0
    assert_unchanged(m, before)


def test_tied_weight_gradient_sums_both_uses():
    m = Tied()
    foo = pj.tensor(2.0, requires_grad=True)
    (g,) = pj.autograd.grad(functional_call(m, {"foo": foo}, pj.tensor(0.0)) ** 2, [foo])
    assert g.item() == 2 * 4.0 * 2


# ---- strict and errors ----------------------------------------------------------------------------
def test_strict_missing_and_unexpected_keys():
    m = Scaled()
    full = {k: v for k, v in m.named_parameters()} | {k: v for k, v in m.named_buffers()}
    x = pj.ones((1, 3))
    functional_call(m, full, x, strict=True)
    partial = dict(full)
    del partial["head.bias"]
    with pytest.raises(RuntimeError, match=r"missing key\(s\): 'head.bias'"):
        functional_call(m, partial, x, strict=True)
    functional_call(m, partial, x)  # not strict: missing names keep the module's tensors
    with pytest.raises(RuntimeError, match=r"unexpected key\(s\): 'head.nope'"):
        functional_call(m, full | {"head.nope": pj.ones(1)}, x, strict=True)
    # strict counts tied names: with tie_weights=False the other name is missing
    t = Tied()
    functional_call(t, {"foo": pj.tensor(0.0)}, pj.tensor(0.0), strict=True)
    with pytest.raises(RuntimeError, match="foo_tied"):
        functional_call(t, {"foo": pj.tensor(0.0)}, pj.tensor(0.0), strict=True, tie_weights=False)


@pytest.mark.parametrize("name", ["nope", "body.nope", "nobody.0.weight", "body.0.weight.extra", "", "body.0"])
def test_names_not_in_the_module_raise_even_without_strict(name):
    m = Scaled()
    before = snapshot(m)
    with pytest.raises(RuntimeError, match="unexpected key"):
        functional_call(m, {name: pj.ones(1)}, pj.ones((1, 3)))
    assert_unchanged(m, before)


def test_empty_parameter_slot_and_plain_tensor_attribute_can_be_given():
    m = nn.Linear(2, 2, bias=False, dtype=np.float64)
    assert m.bias is None
    y = functional_call(m, {"bias": pj.tensor([1.0, 2.0])}, pj.zeros((1, 2)))
    assert y.tolist() == [[1.0, 2.0]] and m.bias is None

    class Plain(nn.Module):
        def __init__(self):
            super().__init__()
            self.offset = pj.tensor(1.0)  # not a parameter (no grad), not a buffer: a plain attribute

        def forward(self, x):
            return x + self.offset

    p = Plain()
    own = p.offset
    assert functional_call(p, {"offset": pj.tensor(5.0)}, pj.tensor(0.0)).item() == 5.0
    assert p.offset is own


def test_argument_errors():
    m = mlp()
    x = pj.ones((1, 3))
    w = pj.zeros((2, 5))
    with pytest.raises(ValueError, match="more than one dictionary"):
        functional_call(m, ({"2.weight": w}, {"2.weight": w}), x)
    with pytest.raises(ValueError, match="dict"):
        functional_call(m, [{"2.weight": w}, ["2.bias"]], x)
    with pytest.raises(ValueError, match="dict"):
        functional_call(m, w, x)
    with pytest.raises(TypeError, match="Tensor or None"):
        functional_call(m, {"2.weight": 1.0}, x)
    with pytest.raises(TypeError, match="strings"):
        functional_call(m, {2: w}, x)
    with pytest.raises(TypeError, match="Module"):
        functional_call(lambda v: v, {}, x)
    with pytest.raises(TypeError, match="kwargs"):
        functional_call(m, {}, x, [1])


def test_named_members_with_duplicates():
    m = Tied()
    assert [n for n, _ in m.named_parameters()] == ["foo"]
    assert [n for n, _ in m.named_parameters(remove_duplicate=False)] == ["foo", "foo_tied"]
    inner = nn.Linear(1, 1)
    outer = nn.Sequential(inner, nn.Sequential(inner))
    assert [n for n, _ in outer.named_modules(remove_duplicate=False)] == ["", "0", "1", "1.0"]
    assert [n for n, _ in outer.named_modules()] == ["", "0", "1"]


# ---- transforms over a dict of parameters (once pyjac.func takes pytrees) -------------------------
@needs_pytrees
def test_jacrev_with_respect_to_every_parameter(rng):
    m = mlp()
    x = pj.tensor(rng.standard_normal((4, 3)))
    params = {k: v.detach() for k, v in m.named_parameters()}
    J = pj.func.jacrev(lambda p: functional_call(m, p, (x,)))(params)
    assert set(J) == set(params)
    for name, p in params.items():
        ref = pj.func.jacrev(lambda v, name=name: functional_call(m, {name: v}, (x,)))(p)
        assert J[name].shape == (4, 2) + p.shape
        np.testing.assert_allclose(J[name].detach().numpy(), ref.detach().numpy(), rtol=1e-12, atol=1e-14, err_msg=name)


@needs_pytrees
def test_grad_of_a_loss_with_respect_to_a_dict(rng):
    m = mlp()
    x = pj.tensor(rng.standard_normal((6, 3)))
    target = pj.tensor(rng.standard_normal((6, 2)))
    params = {k: v.detach() for k, v in m.named_parameters()}

    def loss(p, x, t):
        return nn.functional.mse_loss(functional_call(m, p, (x,)), t)

    g = pj.func.grad(loss)(params, x, target)
    nn.functional.mse_loss(m(x), target).backward()
    for name, p in m.named_parameters():
        np.testing.assert_allclose(
            g[name].detach().numpy(), p.grad.detach().numpy(), rtol=1e-12, atol=1e-15, err_msg=name
        )


@pytest.mark.skipif(not hasattr(pj.func, "vmap"), reason="pyjac.func.vmap is not there yet")
def test_ensemble_under_vmap(rng):
    models = [mlp(seed) for seed in range(3)]
    params, buffers = stack_module_state(models)
    x = pj.tensor(rng.standard_normal((4, 3)))
    out = pj.func.vmap(lambda p, b, x: functional_call(models[0], (p, b), (x,)), in_axes=(0, 0, None))(
        params, buffers, x
    )
    np.testing.assert_allclose(out.detach().numpy(), np.stack([m(x).detach().numpy() for m in models]), rtol=1e-13)


@pytest.mark.skipif(
    not (hasattr(pj.func, "vmap") and _transforms_take_dicts()), reason="needs pyjac.func.vmap and dicts in transforms"
)
def test_per_sample_gradients_of_a_module(rng):
    m = mlp()
    params = {k: v.detach() for k, v in m.named_parameters()}
    x = pj.tensor(rng.standard_normal((6, 3)))
    t = pj.tensor(rng.standard_normal((6, 2)))

    def loss(p, xi, ti):
        return ((functional_call(m, p, (xi[None],)) - ti[None]) ** 2).sum()

    g = pj.func.vmap(pj.func.grad(loss), in_axes=(None, 0, 0))(params, x, t)
    for i in range(6):
        gi = pj.func.grad(loss)(params, x[i], t[i])
        for name in params:
            np.testing.assert_allclose(g[name][i].detach().numpy(), gi[name].detach().numpy(), rtol=1e-12, atol=1e-15)


# ---- stack_module_state ---------------------------------------------------------------------------
def test_stack_module_state_values_leaves_and_gradients(rng):
    models = [Scaled() for _ in range(3)]
    for i, m in enumerate(models):
        m.scale = pj.tensor([1.0 + i, -1.0])
    before = [snapshot(m) for m in models]
    params, buffers = stack_module_state(models)
    assert list(params) == [n for n, _ in models[0].named_parameters()]
    assert list(buffers) == ["scale", "shift"]  # non-persistent buffers too, as torch
    for name, stacked in params.items():
        np.testing.assert_array_equal(
            stacked.detach().numpy(), np.stack([dict(m.named_parameters())[name].detach().numpy() for m in models])
        )
        assert stacked.is_leaf and stacked.requires_grad and stacked.grad is None
    np.testing.assert_array_equal(buffers["scale"].detach().numpy(), [[1.0, -1.0], [2.0, -1.0], [3.0, -1.0]])
    assert not buffers["scale"].requires_grad
    # each slice runs like its model; gradients reach the stacked leaves, not the models
    x = pj.tensor(rng.standard_normal((2, 3)))
    total = 0
    for i, m in enumerate(models):
        y = functional_call(models[0], ({k: v[i] for k, v in params.items()}, {k: v[i] for k, v in buffers.items()}), x)
        np.testing.assert_allclose(y.detach().numpy(), m(x).detach().numpy(), rtol=1e-14)
        total = total + y.sum()
    total.backward()
    assert all(v.grad is not None and v.grad.shape == v.shape for v in params.values())
    for m, b in zip(models, before):
        assert_unchanged(m, b)


def test_stack_module_state_is_independent_of_the_models():
    models = [mlp(s) for s in range(2)]
    params, _ = stack_module_state(models)
    with pj.no_grad():
        models[0][0].weight.add_(1.0)
    np.testing.assert_array_equal(params["0.weight"][1].detach().numpy(), models[1][0].weight.detach().numpy())
    assert not np.array_equal(params["0.weight"][0].detach().numpy(), models[0][0].weight.detach().numpy())


def test_stack_module_state_frozen_and_mixed_requires_grad():
    models = [mlp(s) for s in range(2)]
    for m in models:
        m[0].weight.requires_grad_(False)
    params, _ = stack_module_state(models)
    assert not params["0.weight"].requires_grad and params["0.bias"].requires_grad
    models[1][2].bias.requires_grad_(False)
    with pytest.raises(ValueError, match="'2.bias' requires grad in some models"):
        stack_module_state(models)


def test_stack_module_state_one_model_and_a_sequential_of_models():
    params, buffers = stack_module_state([mlp()])
    assert params["0.weight"].shape == (1, 5, 3) and buffers == {}
    params, _ = stack_module_state(nn.Sequential(mlp(0), mlp(1)))
    assert params["2.bias"].shape == (2, 2)


def test_stack_module_state_mismatches_name_the_first_difference():
    with pytest.raises(ValueError, match="at least one"):
        stack_module_state([])
    with pytest.raises(TypeError, match="sequence of Modules"):
        stack_module_state(nn.Linear(2, 2))
    with pytest.raises(TypeError, match=r"models\[1\] is a int"):
        stack_module_state([mlp(), 3])
    with pytest.raises(ValueError, match=r"models\[1\] differs .* structure"):
        stack_module_state([mlp(), nn.Linear(3, 2, dtype=np.float64)])
    with pytest.raises(ValueError, match=r"'1' \(Tanh\) .* '1' \(ReLU\)"):
        stack_module_state([mlp(), nn.Sequential(nn.Linear(3, 5, dtype=np.float64), nn.ReLU(), nn.Linear(5, 2))])
    with pytest.raises(ValueError, match="shape"):
        stack_module_state([mlp(), nn.Sequential(nn.Linear(3, 6, dtype=np.float64), nn.Tanh(), nn.Linear(6, 2))])
    with pytest.raises(ValueError, match="dtype"):
        stack_module_state([mlp(), mlp(dtype=np.float32)])
    with pytest.raises(ValueError, match="training mode"):
        stack_module_state([mlp(), mlp().eval()])
    with pytest.raises(ValueError, match=r"models\[1\] has sub-module '3' \(Tanh\) that models\[0\] has not"):
        stack_module_state([mlp(), mlp().append(nn.Tanh())])
    with pytest.raises(ValueError, match=r"models\[1\] lacks sub-module '2'"):
        stack_module_state([mlp(), mlp()[:2]])
    no_bias = mlp()
    no_bias[2].register_parameter("bias", None)
    with pytest.raises(ValueError, match=r"models\[1\] lacks parameter '2.bias'"):
        stack_module_state([mlp(), no_bias])
    extra = Scaled()
    extra.register_buffer("more", pj.zeros(1))
    with pytest.raises(ValueError, match=r"models\[1\] has buffer 'more'"):
        stack_module_state([Scaled(), extra])


# ---- parity with torch.func -----------------------------------------------------------------------
def _torch_mlp(torch, ours):
    t = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2)).double()
    t.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    return t


def test_functional_call_parity_with_torch(torch, rng):
    m = mlp()
    tm = _torch_mlp(torch, m)
    x = rng.standard_normal((4, 3))
    p = new_values(m, rng)
    tp = {k: torch.tensor(v.detach().numpy(), requires_grad=True) for k, v in p.items()}
    y = functional_call(m, p, (pj.tensor(x),))
    ty = torch.func.functional_call(tm, tp, (torch.tensor(x),))
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-13)
    grads = pj.autograd.grad((y**2).sum(), list(p.values()))
    tgrads = torch.autograd.grad((ty**2).sum(), list(tp.values()))
    for g, tg in zip(grads, tgrads):
        np.testing.assert_allclose(g.detach().numpy(), tg.detach().numpy(), rtol=1e-12, atol=1e-15)
    # strict errors are RuntimeErrors in both
    partial = {k: v for k, v in p.items() if k != "0.bias"}
    with pytest.raises(RuntimeError):
        torch.func.functional_call(tm, {k: tp[k] for k in partial}, (torch.tensor(x),), strict=True)
    with pytest.raises(RuntimeError):
        functional_call(m, partial, (pj.tensor(x),), strict=True)


def test_tied_weights_parity_with_torch(torch):
    class TorchTied(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.foo = torch.nn.Parameter(torch.tensor(1.0, dtype=torch.float64))
            self.foo_tied = self.foo

        def forward(self, x):
            return x + self.foo + self.foo_tied

    ours, theirs = Tied(), TorchTied()
    cases = [({"foo": 0.0}, True), ({"foo_tied": 0.0}, True), ({"foo": 0.0}, False), ({"foo_tied": 4.0}, False)]
    for values, tie in cases:
        got = functional_call(ours, {k: pj.tensor(v) for k, v in values.items()}, pj.tensor(0.5), tie_weights=tie)
        want = torch.func.functional_call(
            theirs,
            {k: torch.tensor(v, dtype=torch.float64) for k, v in values.items()},
            torch.tensor(0.5),
            tie_weights=tie,
        )
        assert got.item() == want.item(), (values, tie)
    with pytest.raises(ValueError):
        torch.func.functional_call(theirs, {"foo": torch.tensor(0.0), "foo_tied": torch.tensor(1.0)}, torch.tensor(0.5))
    with pytest.raises(ValueError):
        functional_call(ours, {"foo": pj.tensor(0.0), "foo_tied": pj.tensor(1.0)}, pj.tensor(0.5))


def test_stack_module_state_parity_with_torch(torch):
    models = [mlp(s) for s in range(3)]
    for m in models:
        m[2].weight.requires_grad_(False)
    tmodels = [_torch_mlp(torch, m) for m in models]
    for tm in tmodels:
        tm[2].weight.requires_grad_(False)
    params, buffers = stack_module_state(models)
    tparams, tbuffers = torch.func.stack_module_state(tmodels)
    assert list(params) == list(tparams) and buffers == {} and tbuffers == {}
    for k in params:
        np.testing.assert_array_equal(params[k].detach().numpy(), tparams[k].detach().numpy())
        assert params[k].requires_grad == tparams[k].requires_grad
        assert params[k].is_leaf == tparams[k].is_leaf


# ---- the README's section runs ----------------------------------------------------------------------
def test_readme_modules_as_functions_runs():
    run_readme_section("Modules as functions", {"collections": collections})
