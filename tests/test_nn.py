"""pyjac.nn: Parameter, Module (registration, traversal, modes, gradients, state_dict), Linear
(initialisation, reproducibility, torch parity), Sequential, the activation and loss modules, and
a small end-to-end training run."""

import collections
import math

import numpy as np
import pytest

import pyjac as pj
import pyjac.nn.functional as F
from pyjac import nn
from pyjac.testing import gradcheck, gradgradcheck


def _t(a, requires_grad=False, dtype=None):
    a = np.asarray(a)
    if dtype is not None:
        a = a.astype(dtype)
    return pj.tensor(a, requires_grad=requires_grad)


class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 4, dtype=np.float64)
        self.act = nn.Tanh()
        self.fc2 = nn.Linear(4, 2, dtype=np.float64)
        self.scale = nn.Parameter(pj.ones(2))
        self.note = "plain attribute"
        self.constant = pj.ones(2)  # does not require grad: a plain attribute

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x))) * self.scale


# ==== Parameter ===========================================================================================
def test_parameter_is_a_leaf_requiring_grad_sharing_memory():
    data = pj.zeros(3)
    p = nn.Parameter(data)
    assert isinstance(p, pj.Tensor) and p.is_leaf and p.requires_grad
    assert not data.requires_grad  # the argument itself is left alone
    p.detach().numpy()[0] = 5.0
    assert data.numpy()[0] == 5.0  # same memory, as torch.nn.Parameter(t)
    q = nn.Parameter(np.ones((2, 2), dtype=np.float32))
    assert q.dtype == np.float32 and q.requires_grad
    frozen = nn.Parameter(pj.ones(2), requires_grad=False)
    assert not frozen.requires_grad


def test_parameter_isinstance_means_leaf_requiring_grad():
    x = pj.ones(2, requires_grad=True)
    assert isinstance(x, nn.Parameter)
    assert not isinstance(x * 2, nn.Parameter)
    assert not isinstance(pj.ones(2), nn.Parameter)
    assert not isinstance(np.ones(2), nn.Parameter)


def test_parameter_rejects_integers():
    with pytest.raises(TypeError, match="floating"):
        nn.Parameter(np.arange(3))


# ==== registration and traversal =========================================================================
def test_module_registers_parameters_and_children_in_order():
    m = TwoLayer()
    names = [n for n, _ in m.named_parameters()]
    assert names == ["scale", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert [n for n, _ in m.named_children()] == ["fc1", "act", "fc2"]
    assert list(m.children()) == [m.fc1, m.act, m.fc2]
    assert list(m.modules()) == [m, m.fc1, m.act, m.fc2]
    assert [n for n, _ in m.named_modules()] == ["", "fc1", "act", "fc2"]
    assert [n for n, _ in m.named_parameters(recurse=False)] == ["scale"]
    assert len(list(m.parameters())) == 5
    assert m.note == "plain attribute" and "note" in m.__dict__
    assert "constant" in m.__dict__ and "constant" not in m._parameters
    assert "fc1" not in m.__dict__  # registered entries live in the registries only


def test_non_leaf_tensor_is_a_plain_attribute():
    m = nn.Module()
    w = pj.ones(2, requires_grad=True)
    m.w = w
    m.derived = w * 2
    assert [n for n, _ in m.named_parameters()] == ["w"]
    assert m.derived.grad_fn is not None


def test_shared_modules_and_parameters_are_listed_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, nn.ReLU(), lin)
    assert len(list(seq.parameters())) == 2
    assert len(list(seq.modules())) == 3
    m = nn.Module()
    p = nn.Parameter(pj.ones(1))
    m.a = p
    m.b = p
    assert [n for n, _ in m.named_parameters()] == ["a"]


def test_reassignment_rules():
    m = nn.Linear(2, 3)
    new_w = nn.Parameter(pj.zeros((3, 2), dtype=np.float32))
    m.weight = new_w
    assert m.weight is new_w
    with pytest.raises(TypeError, match="parameter 'weight'"):
        m.weight = new_w * 2  # a result of an op is not a parameter
    m.weight = None
    assert [n for n, _ in m.named_parameters()] == ["bias"]
    seq = nn.Sequential(nn.ReLU())
    with pytest.raises(TypeError, match="child module '0'"):
        seq.__setattr__("0", 3)
    # an attribute can change kind: a child replaced by a parameter and back
    holder = nn.Module()
    holder.x = nn.ReLU()
    holder.x = nn.Parameter(pj.ones(1))
    assert list(holder.children()) == [] and len(list(holder.parameters())) == 1
    del holder.x
    assert len(list(holder.parameters())) == 0
    with pytest.raises(AttributeError, match="no attribute 'x'"):
        _ = holder.x


def test_assignment_before_init_raises():
    class Broken(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(pj.ones(1))

    with pytest.raises(AttributeError, match="Module.__init__"):
        Broken()


def test_register_parameter_buffer_and_add_module():
    m = nn.Module()
    frozen = pj.ones(2)
    m.register_parameter("frozen", frozen)
    assert m.frozen is frozen and [n for n, _ in m.named_parameters()] == ["frozen"]
    m.register_buffer("running", pj.zeros(2))
    m.register_buffer("scratch", pj.zeros(2), persistent=False)
    assert [n for n, _ in m.named_buffers()] == ["running", "scratch"]
    assert list(m.state_dict()) == ["frozen", "running"]
    m.add_module("child", nn.Linear(1, 1))
    assert isinstance(m.child, nn.Linear)
    with pytest.raises(TypeError, match="not a Module"):
        m.add_module("bad", 3)
    with pytest.raises(TypeError, match="non-leaf"):
        m.register_parameter("p", pj.ones(1, requires_grad=True) * 2)


def test_register_buffer_over_a_parameter_is_a_key_error_and_keeps_the_parameter():
    # it used to remove the parameter from named_parameters() silently
    m = nn.Linear(2, 3)
    weight = m.weight
    with pytest.raises(KeyError, match="attribute 'weight' already exists"):
        m.register_buffer("weight", pj.zeros(2))
    assert m.weight is weight
    assert [n for n, _ in m.named_parameters()] == ["weight", "bias"]
    assert list(m.named_buffers()) == []


def test_register_parameter_and_add_module_over_other_attributes_are_key_errors():
    m = nn.Module()
    m.register_buffer("running", pj.zeros(2))
    m.child = nn.Tanh()
    m.plain = 3
    for name in ("running", "child", "plain", "forward", "training"):
        with pytest.raises(KeyError, match=f"attribute '{name}' already exists"):
            m.register_parameter(name, pj.ones(2))
    for name in ("child", "plain", "forward"):
        with pytest.raises(KeyError, match=f"attribute '{name}' already exists"):
            m.register_buffer(name, pj.ones(2))
    for name in ("running", "plain"):
        with pytest.raises(KeyError, match=f"attribute '{name}' already exists"):
            m.add_module(name, nn.Tanh())
    assert [n for n, _ in m.named_buffers()] == ["running"]
    assert [n for n, _ in m.named_children()] == ["child"]
    assert list(m.named_parameters()) == [] and m.plain == 3


def test_registering_again_under_the_same_kind_replaces_in_place():
    m = nn.Linear(2, 3)
    frozen = pj.ones((3, 2))
    m.register_parameter("weight", frozen)  # a parameter may replace a parameter, keeping its place
    assert m.weight is frozen and [n for n, _ in m.named_parameters()] == ["weight", "bias"]
    m.register_buffer("stats", pj.zeros(1), persistent=False)
    m.register_buffer("stats", pj.ones(1))  # persistent again
    assert m.stats.tolist() == [1.0] and "stats" in m.state_dict()
    seq = nn.Sequential(nn.Tanh(), nn.ReLU())
    seq.add_module("0", nn.Sigmoid())
    assert isinstance(seq[0], nn.Sigmoid) and len(seq) == 2


@pytest.mark.parametrize("register", ["register_parameter", "register_buffer", "add_module"])
def test_registered_names_must_be_non_empty_strings_without_dots(register):
    m = nn.Module()
    kind = {"register_parameter": "parameter", "register_buffer": "buffer", "add_module": "module"}[register]
    with pytest.raises(KeyError, match=f'{kind} name must not contain ".", got a.b'):
        getattr(m, register)("a.b", None)
    with pytest.raises(KeyError, match=f"{kind} name must not be empty"):
        getattr(m, register)("", None)
    with pytest.raises(TypeError, match=f"{kind} name should be a string, got int"):
        getattr(m, register)(3, None)


def test_assigning_over_registered_attributes_follows_torch():
    m = nn.Linear(2, 3)
    m.register_buffer("running", pj.zeros(3))
    with pytest.raises(TypeError, match="as parameter 'weight'"):
        m.weight = 3.0  # a parameter takes a leaf Tensor or None
    with pytest.raises(TypeError, match="as buffer 'running'"):
        m.running = "x"  # a buffer takes a Tensor or None
    m.running = pj.ones(3)  # still a buffer
    assert [n for n, _ in m.named_buffers()] == ["running"]
    p = nn.Parameter(pj.ones(3))
    m.running = p  # a parameter assigned over a buffer replaces it, as in torch
    assert [n for n, _ in m.named_buffers()] == [] and m.running is p
    assert [n for n, _ in m.named_parameters()] == ["weight", "bias", "running"]
    m.bias = None  # None keeps the name registered as a parameter
    assert "bias" in m._parameters and m.bias is None
    m.plain = 1
    m.plain = nn.Parameter(pj.ones(1))  # a plain attribute becomes a parameter
    assert "plain" in dict(m.named_parameters())


def test_register_before_module_init_is_an_attribute_error():
    class Early(nn.Module):
        def __init__(self):
            self.register_buffer("b", pj.zeros(1))

    with pytest.raises(AttributeError, match="Module.__init__"):
        Early()


def test_call_runs_forward_and_base_forward_raises():
    m = TwoLayer()
    x = _t(np.ones((5, 3)))
    np.testing.assert_array_equal(m(x).detach().numpy(), m.forward(x).detach().numpy())
    with pytest.raises(NotImplementedError):
        nn.Module()(x)


def test_repr_shows_the_tree():
    seq = nn.Sequential(nn.Linear(3, 4), nn.GELU(approximate="tanh"), nn.Dropout(0.1))
    text = repr(seq)
    assert "(0): Linear(in_features=3, out_features=4, bias=True)" in text
    assert "(1): GELU(approximate='tanh')" in text and "(2): Dropout(p=0.1)" in text


# ==== modes and gradients ================================================================================
def test_train_eval_set_every_module_and_return_self():
    m = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Dropout(0.5)))
    assert all(mod.training for mod in m.modules())
    assert m.eval() is m
    assert not any(mod.training for mod in m.modules())
    assert m.train() is m
    assert all(mod.training for mod in m.modules())
    m.train(False)
    assert not m[1][0].training


def test_zero_grad(rng):
    m = TwoLayer()
    pj.sum(m(_t(rng.standard_normal((4, 3))))).backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad(set_to_none=False)
    for p in m.parameters():
        np.testing.assert_array_equal(p.grad.numpy(), 0)
    pj.sum(m(_t(rng.standard_normal((4, 3))))).backward()
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())


def test_requires_grad_freezes_parameters():
    m = nn.Linear(2, 2)
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())
    assert len(list(m.parameters())) == 2  # still registered


# ==== state_dict =========================================================================================
def test_state_dict_holds_numpy_copies():
    m = TwoLayer()
    sd = m.state_dict()
    assert list(sd) == ["scale", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert all(isinstance(v, np.ndarray) for v in sd.values())
    before = sd["fc1.weight"].copy()
    with pj.no_grad():
        m.fc1.weight.detach().numpy()[...] = 0.0
    np.testing.assert_array_equal(sd["fc1.weight"], before)


@pytest.mark.parametrize("as_tensors", [False, True], ids=["numpy", "tensors"])
def test_state_dict_round_trip(as_tensors, rng):
    pj.manual_seed(1)
    a = TwoLayer()
    pj.manual_seed(2)
    b = TwoLayer()
    x = _t(rng.standard_normal((5, 3)))
    assert not np.allclose(a(x).detach().numpy(), b(x).detach().numpy())
    sd = a.state_dict()
    if as_tensors:
        sd = collections.OrderedDict((k, pj.tensor(v)) for k, v in sd.items())
    weight_object = b.fc1.weight
    version = weight_object._version
    result = b.load_state_dict(sd)
    assert result.missing_keys == [] and result.unexpected_keys == []
    np.testing.assert_array_equal(a(x).detach().numpy(), b(x).detach().numpy())
    assert b.fc1.weight is weight_object  # loaded in place: optimisers keep their references
    assert weight_object._version > version
    assert b.fc1.weight.requires_grad and b.fc1.weight.is_leaf


def test_load_state_dict_converts_dtype():
    m = nn.Linear(2, 3)  # float32
    m.load_state_dict({"weight": np.arange(6.0).reshape(3, 2), "bias": [1.0, 2.0, 3.0]})
    assert m.weight.dtype == np.float32
    np.testing.assert_array_equal(m.weight.detach().numpy(), np.arange(6.0).reshape(3, 2))
    np.testing.assert_array_equal(m.bias.detach().numpy(), [1, 2, 3])


def test_load_state_dict_shape_mismatch_names_the_key_and_changes_nothing():
    m = TwoLayer()
    sd = m.state_dict()
    original = {k: v.copy() for k, v in sd.items()}
    bad = {k: v + 1 for k, v in sd.items()}
    bad["fc2.weight"] = np.zeros((4, 2))
    with pytest.raises(ValueError, match="'fc2.weight'.*\\(4, 2\\).*\\(2, 4\\)"):
        m.load_state_dict(bad)
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(v, original[k], err_msg=k)  # all-or-nothing
    with pytest.raises(ValueError, match="'fc2.weight'"):
        m.load_state_dict(bad, strict=False)


def test_load_state_dict_missing_and_unexpected_keys():
    m = TwoLayer()
    sd = m.state_dict()
    del sd["fc1.bias"]
    sd["extra"] = np.zeros(1)
    with pytest.raises(RuntimeError, match="missing key\\(s\\): 'fc1.bias'.*unexpected key\\(s\\): 'extra'"):
        m.load_state_dict(sd)
    result = m.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["fc1.bias"] and result.unexpected_keys == ["extra"]
    with pytest.raises(TypeError, match="'fc1.weight'"):
        m.load_state_dict({**sd, "fc1.weight": object()}, strict=False)


def test_loss_module_weight_is_a_buffer_in_the_state_dict():
    loss = nn.CrossEntropyLoss(weight=pj.tensor([1.0, 2.0]))
    assert list(loss.state_dict()) == ["weight"]
    assert list(loss.parameters()) == []
    assert list(nn.CrossEntropyLoss().state_dict()) == []


# ==== Linear ==============================================================================================
def test_linear_defaults_shapes_and_dtype():
    m = nn.Linear(3, 5)
    assert m.weight.shape == (5, 3) and m.bias.shape == (5,)
    assert m.weight.dtype == np.float32 and m.bias.dtype == np.float32  # PyTorch's default
    assert m.in_features == 3 and m.out_features == 5
    y = m(pj.ones((2, 3), dtype=np.float32))
    assert y.shape == (2, 5) and y.dtype == np.float32
    assert m(pj.ones(3, dtype=np.float32)).shape == (5,)
    m64 = nn.Linear(3, 5, dtype=np.float64)
    assert m64.weight.dtype == np.float64
    nb = nn.Linear(3, 5, bias=False)
    assert nb.bias is None and [n for n, _ in nb.named_parameters()] == ["weight"]
    assert list(nb.state_dict()) == ["weight"]
    with pytest.raises(TypeError, match="dtype"):
        nn.Linear(2, 2, dtype=np.int64)


def test_linear_init_statistics():
    pj.manual_seed(0)
    fan_in = 400
    m = nn.Linear(fan_in, 300, dtype=np.float64)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    bound = 1 / math.sqrt(fan_in)
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    # U(-bound, bound): mean 0, variance bound^2 / 3; 120 000 draws
    assert abs(w.mean()) < 0.01 * bound
    assert abs(w.var() / (bound**2 / 3) - 1) < 0.02
    assert np.abs(w).max() > 0.99 * bound  # the whole range is used
    assert abs(b.mean()) < 0.1 * bound and b.std() > 0.4 * bound
    # the four quarters of the range are hit about equally often
    counts = np.histogram(w, bins=4, range=(-bound, bound))[0]
    assert np.all(np.abs(counts / w.size - 0.25) < 0.01)


def test_linear_reproducible_with_manual_seed():
    pj.manual_seed(42)
    a = nn.Linear(6, 4)
    pj.manual_seed(42)
    b = nn.Linear(6, 4)
    c = nn.Linear(6, 4)
    np.testing.assert_array_equal(a.weight.detach().numpy(), b.weight.detach().numpy())
    np.testing.assert_array_equal(a.bias.detach().numpy(), b.bias.detach().numpy())
    assert not np.array_equal(b.weight.detach().numpy(), c.weight.detach().numpy())


def test_linear_parity_with_torch(rng, torch):
    for dtype, tdtype, tol in [(np.float32, torch.float32, 1e-6), (np.float64, torch.float64, 1e-13)]:
        m = nn.Linear(4, 3, dtype=dtype)
        tm = torch.nn.Linear(4, 3, dtype=tdtype)
        with torch.no_grad():
            tm.weight.copy_(torch.tensor(m.weight.detach().numpy()))
            tm.bias.copy_(torch.tensor(m.bias.detach().numpy()))
        # and the other way: torch's weights loaded through load_state_dict
        m2 = nn.Linear(4, 3, dtype=dtype)
        m2.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
        a = rng.standard_normal((5, 4)).astype(dtype)
        x, tx = _t(a, True), torch.tensor(a, requires_grad=True)
        y, ty = m(x), tm(tx)
        np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=tol, atol=tol)
        np.testing.assert_allclose(m2(x).detach().numpy(), ty.detach().numpy(), rtol=tol, atol=tol)
        G = rng.standard_normal(y.shape).astype(dtype)
        y.backward(_t(G))
        ty.backward(torch.tensor(G))
        np.testing.assert_allclose(m.weight.grad.numpy(), tm.weight.grad.numpy(), rtol=tol, atol=tol)
        np.testing.assert_allclose(m.bias.grad.numpy(), tm.bias.grad.numpy(), rtol=tol, atol=tol)
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=tol, atol=tol)


def test_linear_gradcheck_through_the_module(rng):
    m = nn.Linear(3, 2, dtype=np.float64)
    x = _t(rng.standard_normal((4, 3)), True)
    assert gradcheck(m, (x,))
    assert gradgradcheck(lambda v: pj.tanh(m(v)), (x,))


# ==== Sequential ===========================================================================================
def test_sequential_indexing_len_iteration_and_slicing():
    layers = [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)]
    seq = nn.Sequential(*layers)
    assert len(seq) == 3
    assert seq[0] is layers[0] and seq[-1] is layers[2]
    assert list(seq) == layers
    head = seq[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2 and head[1] is layers[1]
    with pytest.raises(IndexError, match="out of range"):
        seq[3]
    with pytest.raises(TypeError, match="argument 1"):
        nn.Sequential(nn.ReLU(), "relu")
    seq.append(nn.Sigmoid())
    assert len(seq) == 4 and isinstance(seq[3], nn.Sigmoid)
    named = nn.Sequential(collections.OrderedDict([("enc", nn.Linear(2, 2)), ("act", nn.Tanh())]))
    assert [n for n, _ in named.named_parameters()] == ["enc.weight", "enc.bias"]


def test_sequential_forward_chains(rng):
    seq = nn.Sequential(nn.Linear(3, 4, dtype=np.float64), nn.Tanh(), nn.Linear(4, 2, dtype=np.float64))
    a = rng.standard_normal((5, 3))
    W1, b1, W2, b2 = (p.detach().numpy() for p in seq.parameters())
    np.testing.assert_allclose(seq(_t(a)).detach().numpy(), np.tanh(a @ W1.T + b1) @ W2.T + b2, rtol=1e-13)


# ==== activation and loss modules ==========================================================================
ACTIVATION_MODULES = [
    (nn.Tanh(), pj.tanh),
    (nn.ReLU(), pj.relu),
    (nn.Sigmoid(), pj.sigmoid),
    (nn.GELU(), F.gelu),
    (nn.GELU("tanh"), lambda x: F.gelu(x, "tanh")),
    (nn.Softplus(beta=2.0, threshold=5.0), lambda x: F.softplus(x, 2.0, 5.0)),
    (nn.SiLU(), F.silu),
    (nn.LeakyReLU(0.2), lambda x: F.leaky_relu(x, 0.2)),
    (nn.ELU(alpha=0.5), lambda x: F.elu(x, 0.5)),
    (nn.Softmax(dim=0), lambda x: F.softmax(x, 0)),
    (nn.LogSoftmax(), F.log_softmax),
    (nn.Identity(), lambda x: x),
]


@pytest.mark.parametrize("module,fn", ACTIVATION_MODULES, ids=[type(m).__name__ for m, _ in ACTIVATION_MODULES])
def test_activation_modules_match_functions(module, fn, rng):
    x = _t(rng.standard_normal((3, 4)))
    np.testing.assert_array_equal(module(x).numpy(), fn(x).numpy())
    assert list(module.parameters()) == []


def test_activation_module_argument_errors():
    with pytest.raises(ValueError, match="approximate"):
        nn.GELU("fast")
    with pytest.raises(ValueError, match="probability"):
        nn.Dropout(1.5)
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss(reduction="avg")


def test_dropout_module_train_and_eval(rng):
    d = nn.Dropout(0.5)
    x = _t(rng.uniform(1, 2, (50, 50)))
    y = d(x).numpy()
    assert 0.4 < (y == 0).mean() < 0.6
    kept = y != 0
    np.testing.assert_allclose(y[kept], 2 * x.numpy()[kept], rtol=1e-15)
    d.eval()
    assert d(x) is x
    seq = nn.Sequential(nn.Linear(50, 50), nn.Dropout(0.9)).eval()
    out = seq(_t(np.ones((2, 50)), dtype=np.float32)).detach().numpy()
    assert (out != 0).all()


def test_loss_modules_match_functions(rng):
    a, b = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    t = np.array([0, 2, 1, 2])
    w = np.array([1.0, 2.0, 0.5])
    np.testing.assert_array_equal(nn.MSELoss()(_t(a), _t(b)).numpy(), F.mse_loss(_t(a), _t(b)).numpy())
    np.testing.assert_array_equal(
        nn.MSELoss("sum")(_t(a), _t(b)).numpy(), F.mse_loss(_t(a), _t(b), reduction="sum").numpy()
    )
    np.testing.assert_array_equal(
        nn.CrossEntropyLoss(weight=_t(w), label_smoothing=0.1)(_t(a), _t(t)).numpy(),
        F.cross_entropy(_t(a), _t(t), weight=_t(w), label_smoothing=0.1).numpy(),
    )
    np.testing.assert_array_equal(
        nn.CrossEntropyLoss(ignore_index=2, reduction="none")(_t(a), _t(t)).numpy(),
        F.cross_entropy(_t(a), _t(t), ignore_index=2, reduction="none").numpy(),
    )
    np.testing.assert_array_equal(
        nn.NLLLoss(weight=_t(w))(_t(a), _t(t)).numpy(), F.nll_loss(_t(a), _t(t), weight=_t(w)).numpy()
    )
    p = rng.uniform(0, 1, (4, 3))
    np.testing.assert_array_equal(
        nn.BCEWithLogitsLoss(pos_weight=_t(w))(_t(a), _t(p)).numpy(),
        F.binary_cross_entropy_with_logits(_t(a), _t(p), pos_weight=_t(w)).numpy(),
    )


def test_loss_modules_torch_parity(rng, torch):
    a, t = rng.standard_normal((6, 4)), rng.integers(0, 4, 6)
    w = rng.uniform(0.5, 2, 4)
    pairs = [
        (
            nn.CrossEntropyLoss(weight=_t(w), label_smoothing=0.2),
            torch.nn.CrossEntropyLoss(weight=torch.tensor(w), label_smoothing=0.2),
            _t(t),
            torch.tensor(t),
        ),
        (nn.NLLLoss(), torch.nn.NLLLoss(), _t(t), torch.tensor(t)),
        (nn.MSELoss(), torch.nn.MSELoss(), _t(a[::-1].copy()), torch.tensor(a[::-1].copy())),
        (
            nn.BCEWithLogitsLoss(pos_weight=_t(w)),
            torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(w)),
            _t(np.abs(np.sin(a))),
            torch.tensor(np.abs(np.sin(a))),
        ),
    ]
    for loss, tloss, target, ttarget in pairs:
        np.testing.assert_allclose(loss(_t(a), target).item(), tloss(torch.tensor(a), ttarget).item(), rtol=1e-13)


# ==== end to end ==============================================================================================
def test_second_derivatives_through_a_small_network(rng):
    x, t = _t(rng.standard_normal((5, 3))), _t(rng.integers(0, 2, 5))

    def loss(W1, b1, W2):
        h = F.gelu(F.linear(x, W1, b1))
        return F.cross_entropy(F.linear(h, W2), t, label_smoothing=0.1)

    args = (
        _t(rng.standard_normal((4, 3)), True),
        _t(rng.standard_normal(4), True),
        _t(rng.standard_normal((2, 4)), True),
    )
    assert gradcheck(loss, args)
    assert gradgradcheck(loss, args)


def test_training_a_small_classifier_reduces_the_loss(rng):
    pj.manual_seed(0)
    a = rng.standard_normal((64, 2))
    labels = (a[:, 0] * a[:, 1] > 0).astype(np.int64)  # XOR of the signs: needs the hidden layer
    x, t = _t(a, dtype=np.float32), _t(labels)
    model = nn.Sequential(nn.Linear(2, 16), nn.SiLU(), nn.Linear(16, 2))
    criterion = nn.CrossEntropyLoss()
    first = None
    for _ in range(300):
        model.zero_grad()
        loss = criterion(model(x), t)
        loss.backward()
        first = loss.item() if first is None else first
        with pj.no_grad():
            for p in model.parameters():
                p.detach().numpy()[...] -= 0.5 * p.grad.numpy()
    assert loss.item() < 0.3 * first
    accuracy = (np.argmax(model(x).detach().numpy(), axis=1) == labels).mean()
    assert accuracy > 0.9
