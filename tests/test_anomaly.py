"""Anomaly mode: pj.autograd.detect_anomaly() names the rule that produced a NaN or inf and shows
where its forward op was called."""

import threading

import numpy as np
import pytest

import pyjac as pj
from pyjac import _core


def _line_of(marker):
    """The line number in this file of the source line containing `marker`."""
    with open(__file__) as f:
        for i, line in enumerate(f, 1):
            if marker in line and "_line_of" not in line:
                return i
    raise AssertionError(marker)


def test_inf_from_a_rule_names_the_op_and_the_forward_line():
    x = pj.tensor([0.0, 4.0], requires_grad=True)
    with pj.autograd.detect_anomaly():
        y = pj.sqrt(x)  # FORWARD-SQRT
        with pytest.raises(RuntimeError) as info:
            y.sum().backward()
    msg = str(info.value)
    assert "Function 'SqrtBackward' returned inf values in its 0th output" in msg
    assert f'{__file__}", line {_line_of("# FORWARD-SQRT")}' in msg
    assert "y = pj.sqrt(x)" in msg
    assert x.grad is None  # nothing reached the leaf


def test_nan_from_a_rule_is_reported_as_nan():
    x = pj.tensor([0.0, 1.0], requires_grad=True)
    with pj.autograd.detect_anomaly():
        z = pj.sqrt(x)
        w = z * 0.0  # the zero cotangent meets sqrt's infinite slope at 0: 0 * inf
        with pytest.raises(RuntimeError, match=r"Function 'SqrtBackward' returned nan values in its 0th output"):
            w.sum().backward()


def test_the_first_bad_rule_is_the_one_named():
    # log's rule makes the inf (1/0); exp's rule only passes it on, and is never reached
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    with pj.autograd.detect_anomaly():
        u = pj.exp(x) - pj.exp(x).detach()  # exactly zero, still on the tape
        v = pj.log(u)
        with pytest.raises(RuntimeError) as info:
            v.sum().backward()
    assert "'LogBackward' returned inf" in str(info.value)
    assert "v = pj.log(u)" in str(info.value)


def test_second_output_position_is_named():
    a = pj.tensor([1.0, 2.0], requires_grad=True)
    b = pj.tensor([0.0, 3.0], requires_grad=True)
    with pj.autograd.detect_anomaly():
        q = a / b  # d/db = -a / b**2: inf at b == 0; d/da = 1/b: inf too, so a's is output 0
        with pytest.raises(RuntimeError, match=r"'DivBackward' returned inf values in its 0th output"):
            q.sum().backward()
        a2 = pj.tensor([1.0, 2.0])  # a constant: only b's gradient is computed and checked
        q2 = a2 / b
        with pytest.raises(RuntimeError, match=r"'DivBackward' returned (nan|inf) values in its 1st output"):
            q2.sum().backward()


def test_without_anomaly_mode_nan_gradients_pass_silently():
    x = pj.tensor([0.0, 1.0], requires_grad=True)
    (pj.sqrt(x) * 0.0).sum().backward()
    assert np.isnan(x.grad.numpy()[0]) and x.grad.numpy()[1] == 0.0


def test_finite_backward_is_unchanged_in_anomaly_mode():
    r = np.random.default_rng(0)
    a = r.standard_normal((3, 4))
    W = r.standard_normal((4, 2))
    expected = None
    for anomaly in (False, True):
        x = pj.tensor(a, requires_grad=True)
        w = pj.tensor(W, requires_grad=True)
        with pj.autograd.set_detect_anomaly(anomaly):
            loss = (pj.tanh(x @ w) ** 2).sum() + pj.norm(x)
            loss.backward()
        got = (x.grad.numpy().copy(), w.grad.numpy().copy())
        if expected is None:
            expected = got
        else:
            np.testing.assert_array_equal(got[0], expected[0])
            np.testing.assert_array_equal(got[1], expected[1])


def test_pj_grad_and_create_graph_are_checked_too():
    x = pj.tensor([0.0, 1.0], requires_grad=True)
    with pj.autograd.detect_anomaly():
        (g,) = pj.grad((x**3).sum(), x, create_graph=True)  # 3 x**2: fine
        h = pj.sqrt(g)  # FORWARD-OF-GRAD
        with pytest.raises(RuntimeError) as info:
            pj.grad(h.sum(), x)
    assert "'SqrtBackward' returned inf" in str(info.value)
    assert "h = pj.sqrt(g)" in str(info.value)


def test_nodes_recorded_in_a_backward_with_create_graph_get_a_trace():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    with pj.autograd.detect_anomaly():
        (g,) = pj.grad(pj.sin(x).sum(), x, create_graph=True)
    trace = _core.node_creation_trace(g.grad_fn)
    assert trace is not None and "pj.grad(pj.sin(x).sum(), x, create_graph=True)" in trace


def test_graph_recorded_outside_anomaly_mode_still_raises_and_says_so():
    x = pj.tensor([0.0], requires_grad=True)
    y = pj.log(x)
    with pj.autograd.detect_anomaly():
        with pytest.raises(RuntimeError) as info:
            y.backward()
    msg = str(info.value)
    assert "'LogBackward' returned inf" in msg
    assert "recorded outside detect_anomaly()" in msg


def test_no_trace_is_recorded_when_off():
    x = pj.tensor([1.0], requires_grad=True)
    y = pj.exp(x)
    assert _core.node_creation_trace(y.grad_fn) is None
    with pj.autograd.detect_anomaly():
        z = pj.exp(x)
    assert "z = pj.exp(x)" in _core.node_creation_trace(z.grad_fn)
    w = pj.exp(x)
    assert _core.node_creation_trace(w.grad_fn) is None


def test_operator_and_large_kernel_paths_record_traces():
    # operators go through a different binding path; large tensors release the GIL around the op
    big = pj.ones(1 << 16, requires_grad=True)
    small = pj.tensor([2.0], requires_grad=True)
    with pj.autograd.detect_anomaly():
        a = small * small
        b = pj.exp(big)
        c = big[3:]
    for t, text in ((a, "a = small * small"), (b, "b = pj.exp(big)"), (c, "c = big[3:]")):
        assert text in _core.node_creation_trace(t.grad_fn)


def test_error_inside_a_rule_gets_the_forward_trace():
    x = pj.tensor([1.0, 2.0], requires_grad=True)
    with pj.autograd.detect_anomaly():
        y = pj.exp(x).sum()  # FORWARD-EXP
        y.backward()
        with pytest.raises(RuntimeError) as info:
            y.backward()  # saved tensors already freed
    msg = str(info.value)
    assert "retain_graph=True" in msg
    assert "Traceback of the forward call" in msg and "FORWARD-EXP" in msg


def test_check_nan_false_keeps_traces_but_does_not_raise():
    x = pj.tensor([0.0], requires_grad=True)
    with pj.autograd.detect_anomaly(check_nan=False):
        y = pj.sqrt(x)
        assert _core.node_creation_trace(y.grad_fn) is not None
        y.backward()
    assert np.isinf(x.grad.item())


def test_context_manager_restores_and_nests():
    assert not pj.autograd.is_anomaly_enabled()
    with pj.autograd.detect_anomaly():
        assert pj.autograd.is_anomaly_enabled()
        with pj.autograd.set_detect_anomaly(False):
            assert not pj.autograd.is_anomaly_enabled()
        assert pj.autograd.is_anomaly_enabled()
    assert not pj.autograd.is_anomaly_enabled()

    with pytest.raises(KeyError):
        with pj.autograd.detect_anomaly():
            raise KeyError("x")
    assert not pj.autograd.is_anomaly_enabled()


def test_decorator():
    @pj.autograd.detect_anomaly()
    def f(x):
        assert pj.autograd.is_anomaly_enabled()
        return pj.log(x).sum()

    x = pj.tensor([0.0], requires_grad=True)
    y = f(x)
    assert not pj.autograd.is_anomaly_enabled()
    assert "return pj.log(x).sum()" in _core.node_creation_trace(y.grad_fn.next_functions[0][0])


def test_anomaly_mode_is_per_thread():
    seen = {}
    inside = threading.Event()
    checked = threading.Event()

    def worker():
        seen["worker_waited"] = inside.wait(600)
        seen["worker"] = pj.autograd.is_anomaly_enabled()
        x = pj.tensor([0.0], requires_grad=True)
        y = pj.sqrt(x)
        seen["trace"] = _core.node_creation_trace(y.grad_fn)
        y.backward()  # no anomaly mode here: no error
        seen["grad"] = x.grad.item()
        checked.set()

    th = threading.Thread(target=worker)
    th.start()
    with pj.autograd.detect_anomaly():
        inside.set()
        # generous bounds that only turn a hang into a failure; a timed-out wait would otherwise
        # let the threads run out of step and fail for the wrong reason on a loaded machine
        assert checked.wait(600), "the worker thread hung"
        seen["main"] = pj.autograd.is_anomaly_enabled()
    th.join(600)
    assert seen == {"worker_waited": True, "worker": False, "trace": None, "grad": np.inf, "main": True}


def test_backward_in_threads_with_anomaly_mode():
    errors = []

    def work(seed):
        try:
            with pj.autograd.detect_anomaly():
                for _ in range(20):
                    x = pj.tensor(np.random.default_rng(seed).standard_normal(4), requires_grad=True)
                    (pj.sin(x) * x).sum().backward()
                    xz = pj.tensor([0.0], requires_grad=True)
                    with pytest.raises(RuntimeError, match="SqrtBackward"):
                        pj.sqrt(xz).backward()
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
