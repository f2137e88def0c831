"""Shared fixtures and helpers for the op tests.

Helpers are exposed as fixtures (``rng``, ``torch``, ``batched_check``) so the test modules never
import this file directly. Tests marked ``isolated`` run in a forked child (see below).
"""

import os
import signal
import traceback

import numpy as np
import pytest

import pyjac as pj


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "isolated: run the test in a forked child process, so that a crash in the C++ extension fails only "
        "that test instead of ending the whole run",
    )


def _die_with_parent():
    """A forked child is killed when pytest exits (a watchdog's exit=True, say): an orphan would
    keep the output pipe open and hang whatever reads it (CI's tee) until its time limit. A child
    can hang for good after fork under ASan, on an allocator lock another thread held at the fork."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    """Runs tests marked ``isolated`` in a forked child; a signal there becomes a test failure."""
    if pyfuncitem.get_closest_marker("isolated") is None or not hasattr(os, "fork") or os.environ.get("PYJAC_NO_FORK"):
        return None  # (PYJAC_NO_FORK: .ci/sanitize, where a fork can deadlock ASan's allocator)
    funcargs = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: run the test body, report, and leave without running any teardown
        _die_with_parent()
        os.close(read_fd)
        status, text = "ok", ""
        try:
            pyfuncitem.obj(**funcargs)
        except pytest.skip.Exception as e:
            status, text = "skip", str(e)
        except BaseException:  # noqa: B036 - everything goes back to the parent
            status, text = "fail", traceback.format_exc()
        with os.fdopen(write_fd, "w") as f:
            f.write(status + "\n" + text)
        os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd) as f:
        data = f.read()
    _, wstatus = os.waitpid(pid, 0)
    if os.WIFSIGNALED(wstatus):
        sig = os.WTERMSIG(wstatus)
        pytest.fail(f"the test crashed the interpreter with {signal.Signals(sig).name}", pytrace=False)
    status, _, text = data.partition("\n")
    if status == "skip":
        pytest.skip(text)
    if status != "ok":
        pytest.fail("failed in the isolated child process:\n" + (text or data), pytrace=False)
    return True


@pytest.fixture
def rng():
    """A fresh, seeded NumPy generator per test (results don't depend on test order)."""
    return np.random.default_rng(1234)


@pytest.fixture(autouse=True)
def _seed_pyjac():
    """gradgradcheck draws its random cotangents from pyjac's generator: make them reproducible."""
    pj.manual_seed(0)
    yield


@pytest.fixture
def torch():
    """The torch module, or a clean skip where it is not installed."""
    return pytest.importorskip("torch")


def make_tensor(a, requires_grad=False, dtype=None):
    """A pyjac tensor holding a copy of ``a`` (NumPy dtype kept unless ``dtype`` is given)."""
    a = np.asarray(a)
    if dtype is not None:
        a = a.astype(dtype)
    return pj.tensor(a, requires_grad=requires_grad)


def check_batched_vjp(fn, arrays, k=3, seed=0, atol=1e-10, rtol=1e-10):
    """``grad(fn(*xs), xs, G, is_grads_batched=True)`` equals a Python loop of single VJPs.

    ``arrays`` are float64 NumPy arrays for the inputs (all differentiable). Returns the batched
    gradients as NumPy arrays so callers can assert more.
    """
    r = np.random.default_rng(seed)
    xs = [make_tensor(a, requires_grad=True) for a in arrays]
    out = fn(*xs)
    G = r.standard_normal((k,) + tuple(out.shape))
    batched = pj.grad(out, xs, grad_outputs=make_tensor(G), retain_graph=True, allow_unused=True, is_grads_batched=True)
    assert len(batched) == len(xs)
    results = []
    for i, (x, gb) in enumerate(zip(xs, batched)):
        expected = []
        for j in range(k):
            (gj,) = pj.grad(out, [x], grad_outputs=make_tensor(G[j]), retain_graph=True, allow_unused=True)
            expected.append(np.zeros(x.shape) if gj is None else gj.numpy())
        expected = np.stack(expected) if k else np.zeros((0,) + tuple(x.shape))
        if gb is None:
            gb_np = np.zeros((k,) + tuple(x.shape))
        else:
            assert tuple(gb.shape) == (k,) + tuple(x.shape), f"input {i}: batched grad shape {gb.shape}"
            gb_np = gb.numpy()
        np.testing.assert_allclose(gb_np, expected, atol=atol, rtol=rtol, err_msg=f"input {i}")
        results.append(gb_np)
    return results


@pytest.fixture
def batched_check():
    return check_batched_vjp
