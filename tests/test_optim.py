"""pyjac.optim: SGD and Adam.

Hand-computed first steps, convergence on a quadratic, parameter groups, zero_grad, state_dict
round trips and argument errors; parity with torch.optim over 20 steps in float64 (skipped
cleanly without torch).
"""

import numpy as np
import pytest

import pyjac as pj
from pyjac.optim import SGD, Adam

SGD_CONFIGS = [
    dict(lr=0.1),
    dict(lr=0.05, momentum=0.9),
    dict(lr=0.05, momentum=0.9, dampening=0.3),
    dict(lr=0.05, momentum=0.8, nesterov=True),
    dict(lr=0.1, momentum=0.5, weight_decay=0.01),
    dict(lr=0.02, momentum=0.9, nesterov=True, weight_decay=0.1),
]
ADAM_CONFIGS = [
    dict(),
    dict(lr=0.01),
    dict(lr=0.05, betas=(0.8, 0.9), eps=1e-6),
    dict(lr=0.01, weight_decay=0.1),
    dict(lr=0.01, amsgrad=True),
    dict(lr=0.2, betas=(0.3, 0.6), weight_decay=0.05, amsgrad=True),  # lerp weight above 1/2
]
CONFIGS = [("SGD", c) for c in SGD_CONFIGS] + [("Adam", c) for c in ADAM_CONFIGS]
CONFIG_IDS = [f"{name}-{c}" for name, c in CONFIGS]
SHAPES = [(3, 4), (5,), ()]


def _params(rng, requires_grad=True):
    return [rng.standard_normal(s) for s in SHAPES]


@pytest.mark.parametrize("name,config", CONFIGS, ids=CONFIG_IDS)
def test_twenty_steps_match_torch(name, config, torch, rng):
    init = _params(rng)
    grads = [[rng.standard_normal(s) for s in SHAPES] for _ in range(20)]
    tps = [torch.tensor(a, requires_grad=True) for a in init]
    pps = [pj.tensor(a, requires_grad=True) for a in init]
    topt = getattr(torch.optim, name)(tps, **config)
    popt = getattr(pj.optim, name)(pps, **config)
    for step_grads in grads:
        for tp, pp, g in zip(tps, pps, step_grads):
            tp.grad = torch.tensor(g)
            pp.grad = pj.tensor(g)
        topt.step()
        popt.step()
        for tp, pp in zip(tps, pps):
            np.testing.assert_allclose(pp.detach().numpy(), tp.detach().numpy(), rtol=1e-12, atol=1e-13)
    for pp in pps:
        assert pp.is_leaf and pp.requires_grad and pp._version == 20


@pytest.mark.parametrize("name,config", CONFIGS, ids=CONFIG_IDS)
def test_training_loop_with_real_gradients_matches_torch(name, config, torch, rng):
    A, b = rng.standard_normal((8, 3)), rng.standard_normal(8)
    w0 = rng.standard_normal(3)

    def run(lib, tensor, opt_cls):
        w = tensor(w0.copy(), requires_grad=True)
        opt = opt_cls([w], **config)
        At, bt = tensor(A), tensor(b)
        for _ in range(20):
            opt.zero_grad()
            loss = ((At @ w - bt) ** 2).sum() + (w**4).sum()
            loss.backward()
            opt.step()
        return w.detach().numpy()

    got = run(pj, pj.tensor, getattr(pj.optim, name))
    want = run(torch, torch.tensor, getattr(torch.optim, name))
    np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-12)


def test_sgd_first_steps_by_hand():
    p = pj.tensor([1.0, -2.0], requires_grad=True)
    opt = SGD([p], lr=0.5, momentum=0.9, weight_decay=0.1)
    p.grad = pj.tensor([0.2, 0.4])
    opt.step()
    g1 = np.array([0.2, 0.4]) + 0.1 * np.array([1.0, -2.0])
    p1 = np.array([1.0, -2.0]) - 0.5 * g1
    np.testing.assert_allclose(p.detach().numpy(), p1, rtol=1e-15)
    opt.step()  # same .grad again: the buffer is momentum * b + g
    g2 = np.array([0.2, 0.4]) + 0.1 * p1
    np.testing.assert_allclose(p.detach().numpy(), p1 - 0.5 * (0.9 * g1 + g2), rtol=1e-15)


def test_adam_first_step_moves_each_coordinate_by_about_lr():
    p = pj.tensor([1.0, -2.0, 0.5], requires_grad=True)
    opt = Adam([p], lr=0.1)
    g = np.array([3.0, -0.01, 0.0])
    p.grad = pj.tensor(g)
    opt.step()
    # m_hat = g, v_hat = g**2 after one step: the update is lr * g / (|g| + eps)
    np.testing.assert_allclose(
        p.detach().numpy(), np.array([1.0, -2.0, 0.5]) - 0.1 * g / (np.abs(g) + 1e-8), rtol=1e-12
    )


@pytest.mark.parametrize(
    "make", [lambda ps: SGD(ps, lr=0.1, momentum=0.5), lambda ps: Adam(ps, lr=0.05)], ids=["SGD", "Adam"]
)
def test_minimizes_a_quadratic(make):
    target = np.array([1.0, -3.0, 2.0])
    x = pj.zeros(3, requires_grad=True)
    opt = make([x])
    for _ in range(500):
        opt.zero_grad()
        loss = ((x - pj.tensor(target)) ** 2).sum()
        loss.backward()
        opt.step()
    np.testing.assert_allclose(x.detach().numpy(), target, atol=1e-3)


def test_parameters_without_gradients_are_left_alone():
    a, b = pj.tensor([1.0], requires_grad=True), pj.tensor([2.0], requires_grad=True)
    opt = Adam([a, b], lr=0.1)
    a.grad = pj.tensor([1.0])
    opt.step()
    assert b.tolist() == [2.0] and b._version == 0 and b not in opt.state
    assert a.tolist() != [1.0]


def test_step_records_nothing_and_returns_the_closure_loss():
    w = pj.tensor([1.0, 2.0], requires_grad=True)
    opt = SGD([w], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == 5.0
    assert w.is_leaf and w.grad_fn is None
    np.testing.assert_allclose(w.detach().numpy(), [0.8, 1.6])
    assert pj.is_grad_enabled()


def test_float32_parameters_stay_float32():
    w = pj.tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    for opt in (SGD([w], lr=0.1, momentum=0.9), Adam([w], lr=0.1, amsgrad=True)):
        w.grad = pj.tensor(np.array([0.5, -0.5], dtype=np.float32))
        opt.step()
        opt.step()
        assert w.dtype == np.float32
        assert all(v.dtype == np.float32 for v in opt.state[w].values() if isinstance(v, pj.Tensor))


def test_param_groups_with_their_own_hyperparameters():
    a, b = pj.tensor([1.0], requires_grad=True), pj.tensor([1.0], requires_grad=True)
    opt = SGD([{"params": [a]}, {"params": b, "lr": 0.5}], lr=0.1)
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[1]["lr"] == 0.5
    assert opt.param_groups[1]["momentum"] == 0
    a.grad, b.grad = pj.tensor([1.0]), pj.tensor([1.0])
    opt.step()
    np.testing.assert_allclose([a.item(), b.item()], [0.9, 0.5])
    c = pj.tensor([1.0], requires_grad=True)
    opt.add_param_group({"params": [c], "lr": 1.0})
    opt.param_groups[0]["lr"] = 0.0  # changing a group's lr between steps, as schedulers do
    for t in (a, b, c):
        t.grad = pj.tensor([1.0])
    opt.step()
    np.testing.assert_allclose([a.item(), b.item(), c.item()], [0.9, 0.0, 0.0])


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad(set_to_none):
    w = pj.tensor([1.0, 2.0], requires_grad=True)
    opt = SGD([w], lr=0.1)
    (w * w).sum().backward()
    g = w.grad
    opt.zero_grad(set_to_none=set_to_none)
    if set_to_none:
        assert w.grad is None
    else:
        assert w.grad is g and w.grad.tolist() == [0.0, 0.0]
    (w * 3.0).sum().backward()
    assert w.grad.tolist() == [3.0, 3.0]


def test_zero_grad_of_a_gradient_with_history():
    w = pj.tensor([1.0, 2.0], requires_grad=True)
    (w**3).sum().backward(create_graph=True)
    assert w.grad.requires_grad
    SGD([w], lr=0.1).zero_grad(set_to_none=False)
    assert w.grad.tolist() == [0.0, 0.0] and not w.grad.requires_grad


@pytest.mark.parametrize("name,config", CONFIGS, ids=CONFIG_IDS)
def test_state_dict_round_trip_continues_the_same_run(name, config, rng):
    init = _params(rng)
    grads = [[rng.standard_normal(s) for s in SHAPES] for _ in range(10)]
    cls = getattr(pj.optim, name)

    def steps(opt, params, gs):
        for step_grads in gs:
            for p, g in zip(params, step_grads):
                p.grad = pj.tensor(g)
            opt.step()

    straight = [pj.tensor(a, requires_grad=True) for a in init]
    opt = cls(straight, **config)
    steps(opt, straight, grads)

    first = [pj.tensor(a, requires_grad=True) for a in init]
    opt1 = cls(first, **config)
    steps(opt1, first, grads[:5])
    saved = opt1.state_dict()
    assert set(saved) == {"state", "param_groups"} and saved["param_groups"][0]["params"] == [0, 1, 2]
    resumed = [pj.tensor(p.detach().numpy(), requires_grad=True) for p in first]
    opt2 = cls(resumed, **config)
    opt2.load_state_dict(saved)
    steps(opt2, resumed, grads[5:])
    for a, b in zip(straight, resumed):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_state_dict_holds_copies():
    w = pj.tensor([1.0], requires_grad=True)
    opt = SGD([w], lr=0.1, momentum=0.9)
    w.grad = pj.tensor([1.0])
    opt.step()
    sd = opt.state_dict()
    opt.step()
    assert sd["state"][0]["momentum_buffer"].tolist() == [1.0]


def test_load_state_dict_mismatch_raises():
    a, b = pj.tensor([1.0], requires_grad=True), pj.tensor([1.0], requires_grad=True)
    sd = SGD([a, b], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="doesn't match"):
        SGD([a], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="number of parameter groups"):
        SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(sd)


@pytest.mark.parametrize(
    "make,error",
    [
        (lambda w: SGD([], lr=0.1), ValueError),
        (lambda w: SGD(w, lr=0.1), TypeError),  # a bare Tensor, not a list
        (lambda w: SGD([w * 2.0], lr=0.1), ValueError),  # non-leaf
        (lambda w: SGD([w, w], lr=0.1), ValueError),
        (lambda w: SGD([{"params": [w]}, {"params": [w]}], lr=0.1), ValueError),
        (lambda w: SGD({w}, lr=0.1), TypeError),
        (lambda w: SGD([np.ones(2)], lr=0.1), TypeError),
        (lambda w: SGD([w]), ValueError),  # lr is required
        (lambda w: SGD([w], lr=-0.1), ValueError),
        (lambda w: SGD([w], lr=0.1, momentum=-1), ValueError),
        (lambda w: SGD([w], lr=0.1, nesterov=True), ValueError),
        (lambda w: SGD([w], lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), ValueError),
        (lambda w: SGD([w], lr=0.1, weight_decay=-1), ValueError),
        (lambda w: Adam([w], lr=-1), ValueError),
        (lambda w: Adam([w], betas=(1.0, 0.9)), ValueError),
        (lambda w: Adam([w], betas=(0.9, -0.1)), ValueError),
        (lambda w: Adam([w], eps=-1e-8), ValueError),
        (lambda w: Adam([w], weight_decay=-0.1), ValueError),
    ],
    ids=[
        "empty",
        "bare_tensor",
        "non_leaf",
        "duplicate",
        "duplicate_across_groups",
        "set",
        "not_a_tensor",
        "no_lr",
        "negative_lr",
        "negative_momentum",
        "nesterov_without_momentum",
        "nesterov_with_dampening",
        "negative_weight_decay",
        "adam_negative_lr",
        "beta1",
        "beta2",
        "eps",
        "adam_weight_decay",
    ],
)
def test_argument_errors(make, error):
    w = pj.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(error):
        make(w)


def test_repr_lists_the_groups():
    w = pj.tensor([1.0], requires_grad=True)
    text = repr(Adam([w], lr=0.01))
    assert text.startswith("Adam (") and "lr: 0.01" in text and "amsgrad: False" in text
