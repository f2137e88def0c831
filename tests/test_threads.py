"""Threads: independent graphs backpropagated from several threads at once give the same answers
as one thread; grad mode is per thread; long kernels release the GIL.

(tests/test_autograd.py has the basic per-thread grad-mode checks; these go further.)
"""

import sys
import threading
import time

import numpy as np
import pytest

import pyjac as pj

N_THREADS = 4


def run_in_threads(work, n=N_THREADS):
    """Runs work(i) for i < n in n threads released together; returns the results in order and
    re-raises the first exception a thread hit. The time bounds only turn a hang into a failure:
    the work takes seconds, also on a loaded machine."""
    barrier = threading.Barrier(n)
    results, errors = [None] * n, []

    def body(i):
        try:
            barrier.wait(600)
            results[i] = work(i)
        except BaseException as e:  # noqa: B036 - reported below
            errors.append(e)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(600)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    if errors:
        raise errors[0]
    return results


def _mlp_grads(seed, steps=30, size=48):
    """A few steps of a tanh MLP's gradients, with a create_graph second derivative on the side:
    enough distinct ops (matmul through BLAS, large kernels that drop the GIL, reductions,
    views) that any shared state between threads would show."""
    r = np.random.default_rng(seed)
    X = pj.tensor(r.standard_normal((size, 16)))
    W1 = pj.tensor(r.standard_normal((16, size)) * 0.3, requires_grad=True)
    W2 = pj.tensor(r.standard_normal((size, 1)) * 0.3, requires_grad=True)
    out = []
    for _ in range(steps):
        h = pj.tanh(X @ W1)
        loss = ((h @ W2) ** 2).mean() + pj.norm(W1[:, ::2])
        loss.backward()
        (g,) = pj.grad(pj.sin(W2).sum(), W2, create_graph=True)
        (gg,) = pj.grad((g * g).sum(), W2)
        out.append((W1.grad.numpy().copy(), W2.grad.numpy().copy(), gg.numpy().copy()))
        with pj.no_grad():
            W1 = (W1 - 0.01 * W1.grad).detach().requires_grad_()
            W2 = (W2 - 0.01 * W2.grad).detach().requires_grad_()
    return out


def test_independent_graphs_in_threads_match_a_single_thread():
    expected = [_mlp_grads(seed) for seed in range(N_THREADS)]
    got = run_in_threads(_mlp_grads)
    for seed in range(N_THREADS):
        for step, (e, g) in enumerate(zip(expected[seed], got[seed])):
            for k in range(3):
                np.testing.assert_array_equal(g[k], e[k], err_msg=f"thread {seed}, step {step}, grad {k}")


def test_large_tensors_in_threads():
    # elementwise ops above the GIL-release threshold, with the engine running without the GIL
    n = 1 << 17

    def work(i):
        a = np.linspace(-2, 2, n) + i
        x = pj.tensor(a, requires_grad=True)
        for _ in range(5):
            (pj.exp(pj.sin(x)) * x).sum().backward()
        return x.grad.numpy().copy()

    expected = [work(i) for i in range(N_THREADS)]
    results = run_in_threads(work)
    for i, g in enumerate(results):
        np.testing.assert_array_equal(g, expected[i])
    a = np.linspace(-2, 2, n)
    np.testing.assert_allclose(expected[0], 5 * (np.exp(np.sin(a)) * (np.cos(a) * a + 1)), rtol=1e-9, atol=1e-12)


def test_jacobians_and_hessians_in_threads():
    A = np.random.default_rng(0).standard_normal((6, 6))

    def f(x):
        return pj.sum(pj.tanh(pj.tensor(A) @ x) ** 2)

    def work(i):
        x = pj.tensor(np.linspace(-1, 1, 6) * (i + 1))
        return [
            (pj.hessian(f, x).numpy(), pj.jacobian(lambda v: pj.tanh(pj.tensor(A) @ v), x).numpy()) for _ in range(20)
        ]

    results = run_in_threads(work)
    for i, rs in enumerate(results):
        x = pj.tensor(np.linspace(-1, 1, 6) * (i + 1))
        H, J = pj.hessian(f, x).numpy(), pj.jacobian(lambda v: pj.tanh(pj.tensor(A) @ v), x).numpy()
        for h, j in rs:
            np.testing.assert_array_equal(h, H)
            np.testing.assert_array_equal(j, J)


def test_one_shared_leaf_many_threads_each_with_own_graph():
    # the leaf's AccumulateGrad node is shared by all graphs; grad() (no .grad writes) is safe to
    # run concurrently on it
    x = pj.tensor(np.linspace(-1, 1, 32), requires_grad=True)

    def work(i):
        out = []
        for _ in range(50):
            (g,) = pj.grad((pj.sin(x * (i + 1)) ** 2).sum(), x)
            out.append(g.numpy().copy())
        return out

    results = run_in_threads(work)
    a = np.linspace(-1, 1, 32)
    for i, gs in enumerate(results):
        c = i + 1
        expected = 2 * np.sin(c * a) * np.cos(c * a) * c
        for g in gs:
            np.testing.assert_allclose(g, expected, rtol=1e-12, atol=1e-15)


def test_one_shared_subgraph_backpropagated_from_many_threads_at_once():
    # Every pass marks the nodes it walks; a node another thread's pass holds at that moment is
    # looked up in the pass's own table instead. Long shared chains with diamonds (a node reached
    # twice) and per-thread heads make both paths run, interleaved, many times over.
    xv = np.linspace(-0.9, 0.9, 16)
    x = pj.tensor(xv, requires_grad=True)
    h = x
    for _ in range(40):
        h = pj.tanh(h * 0.9 + 0.05) + h * 0.1  # h feeds both terms: a diamond per step
    shared = h  # backpropagated with retain_graph by every thread

    def reference(c):
        xs = pj.tensor(xv, requires_grad=True)
        k = xs
        for _ in range(40):
            k = pj.tanh(k * 0.9 + 0.05) + k * 0.1
        (g,) = pj.grad((pj.sin(k * c) + k * k).sum(), xs)
        return g.numpy().copy()

    def work(i):
        c = float(i + 1)
        out = []
        for _ in range(40):
            head = (pj.sin(shared * c) + shared * shared).sum()
            (g,) = pj.grad(head, x, retain_graph=True)
            out.append(g.numpy().copy())
        return out

    results = run_in_threads(work)
    for i, gs in enumerate(results):
        expected = reference(float(i + 1))
        for g in gs:
            np.testing.assert_allclose(g, expected, rtol=1e-13, atol=1e-15)
    # and afterwards one plain pass still sees the whole graph
    shared.sum().backward()
    assert x.grad is not None and np.all(np.isfinite(x.grad.numpy()))


def test_grad_mode_is_per_thread_under_concurrency():
    # half the threads record, half run under no_grad, all at once: neither leaks into the other
    def work(i):
        x = pj.tensor([1.0, 2.0], requires_grad=True)
        seen = []
        for _ in range(200):
            if i % 2:
                with pj.no_grad():
                    y = pj.exp(x) * 2
                seen.append((pj.is_grad_enabled(), y.requires_grad))
            else:
                y = pj.exp(x) * 2
                seen.append((pj.is_grad_enabled(), y.requires_grad))
                y.sum().backward()
        return seen, (x.grad.numpy().copy() if x.grad is not None else None)

    results = run_in_threads(work)
    for i, (seen, g) in enumerate(results):
        if i % 2:
            assert set(seen) == {(True, False)}
            assert g is None
        else:
            assert set(seen) == {(True, True)}
            np.testing.assert_allclose(g, 200 * 2 * np.exp([1.0, 2.0]), rtol=1e-12)


def test_no_grad_in_one_thread_while_another_backpropagates_with_create_graph():
    stop = threading.Event()
    failures = []

    def toggler():
        while not stop.is_set():
            with pj.no_grad():
                if pj.is_grad_enabled():
                    failures.append("no_grad not in effect in its own thread")
            pj.set_grad_enabled(False)
            pj.set_grad_enabled(True)

    th = threading.Thread(target=toggler)
    th.start()
    try:
        for _ in range(200):
            x = pj.tensor(0.7, requires_grad=True)
            (g,) = pj.grad(x**4, x, create_graph=True)
            assert g.requires_grad, "create_graph lost: another thread's grad mode leaked in"
            (gg,) = pj.grad(g, x)
            assert gg.item() == pytest.approx(12 * 0.7**2)
    finally:
        stop.set()
        th.join(10)
    assert not failures


class _GilWatcher:
    """Tells, without any clock, whether a call let another Python thread run.

    A helper thread counts in a loop, sleeping a moment between counts so that it hands the GIL
    back. With a huge switch interval the interpreter never takes the GIL away from a thread that
    is running Python code, so while the main thread runs the count can advance only if the main
    thread itself releases the GIL: a count that moved during `call()` proves the call released
    it, and a call that never releases it can never move the count. How soon the helper gets a
    core once the GIL is free is up to the OS, so callers repeat the call until the count moves.
    """

    def __enter__(self):
        self.count = 0
        self.stop = False
        self.old_interval = sys.getswitchinterval()
        sys.setswitchinterval(1000.0)  # before the helper starts: a waiting thread reads it
        self.helper = threading.Thread(target=self._count, daemon=True)
        self.helper.start()
        return self

    def _count(self):
        while not self.stop:
            self.count += 1
            time.sleep(0.001)  # GIL released: the main thread takes it back when its call returns

    def ran_during(self, call):
        before = self.count
        call()
        return self.count != before

    def __exit__(self, *exc):
        self.stop = True
        self.helper.join()  # blocks, so the helper gets the GIL, sees `stop` and ends
        sys.setswitchinterval(self.old_interval)


def _let_other_threads_run(kernel, max_calls=200):
    # A kernel that releases the GIL passes as soon as the helper is scheduled during one call
    # (almost always the first); one that never releases it fails after max_calls calls.
    with _GilWatcher() as watcher:
        return any(watcher.ran_during(kernel) for _ in range(max_calls))


BIG = 1 << 23  # 8M float64: far above the release threshold, and tens of ms of work


@pytest.fixture(scope="module")
def big():
    return pj.linspace(0, 1, BIG)


def _square(b):
    return pj.reshape(b[: 1 << 18], (512, 512))


RELEASING = [
    ("exp", lambda b: pj.exp(b)),
    ("sqrt", lambda b: pj.sqrt(b)),
    ("add", lambda b: pj.add(b, b)),
    ("maximum", lambda b: pj.maximum(b, b)),
    ("tensor * tensor", lambda b: b * b),
    ("strided views", lambda b: b[::2] * b[1::2]),
    ("sum", lambda b: pj.sum(b)),
    ("max axis", lambda b: pj.max(pj.reshape(b, (1024, -1)), axis=1)),
    ("matmul", lambda b: _square(b) @ _square(b)),
    ("norm", lambda b: pj.norm(b)),
    ("where", lambda b: pj.where(b, b, b)),
    ("clip", lambda b: pj.clip(b, 0.2, 0.4)),
    ("astype", lambda b: pj.astype(b, np.float32)),
    ("concatenate", lambda b: pj.concatenate([b, b])),
    ("stack", lambda b: pj.stack([b, b])),
    ("copy", lambda b: b.copy()),
    ("reshape that copies", lambda b: pj.reshape(pj.transpose(pj.reshape(b, (1024, -1))), (-1,))),
    ("tensor + float", lambda b: b + 1.0),
    ("tensor ** float", lambda b: b**1.5),
    ("float - tensor", lambda b: 2.0 - b),
    ("comparison", lambda b: b > b),
    ("comparison with a number", lambda b: b >= 0.5),
    ("tensor % float", lambda b: b % 0.3),
    ("tensor // float", lambda b: b // 0.3),
]


@pytest.mark.parametrize("name, kernel", RELEASING)
def test_long_kernels_release_the_gil(big, name, kernel):
    assert _let_other_threads_run(lambda: kernel(big)), f"{name} kept the GIL for its whole run"


def test_backward_releases_the_gil(big):
    x0 = big[: 1 << 21]

    def backward():
        x = x0.detach().requires_grad_()
        (pj.exp(x) * x).sum().backward()

    assert _let_other_threads_run(backward)


def test_the_detector_sees_a_call_that_releases_the_gil():
    # the other control: a blocking call that is known to release the GIL
    assert _let_other_threads_run(lambda: threading.Event().wait(0.01))


def test_tiny_kernels_hold_the_gil():
    # the control: the detector does say "no" for work that keeps the GIL (a pure-Python loop)
    def python_loop():
        s = 0
        for i in range(200_000):
            s += i

    with _GilWatcher() as watcher:
        assert not any(watcher.ran_during(python_loop) for _ in range(5))


# ---- kernels split across cores ----------------------------------------------------------------
_SPLIT_PROGRAM = r"""
import hashlib, sys
import numpy as np
import pyjac as pj
h = hashlib.sha256()
rng = np.random.default_rng(0)
for n in (1000, (1 << 18) - 1, 1 << 18, (1 << 18) + 77, 1_000_003):
    for dtype in ("float64", "float32"):
        a = pj.tensor(rng.standard_normal(n).astype(dtype), requires_grad=True)
        b = pj.tensor(rng.standard_normal(n).astype(dtype))
        outs = [pj.tanh(a), pj.exp(a * 0.5), a * b, a + 1.5, pj.maximum(a, b), a[1:] - b[:-1], pj.sqrt(pj.abs(b))]
        (pj.tanh(a) * b).sum().backward()
        outs.append(a.grad)
        for o in outs:
            h.update(o.detach().numpy().tobytes())
print(pj._core.num_threads(), h.hexdigest())
"""


def _split_run(threads):
    import os
    import subprocess

    env = dict(os.environ, PYJAC_NUM_THREADS=str(threads))
    out = subprocess.run(
        [sys.executable, "-c", _SPLIT_PROGRAM],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=os.path.dirname(__file__),
    )
    assert out.returncode == 0, out.stderr
    used, digest = out.stdout.split()
    return int(used), digest


def test_split_kernels_give_the_same_bits_as_one_thread():
    # elementwise loops split into pieces per thread; the bits must not depend on the split
    one, reference = _split_run(1)
    assert one == 1
    for threads in (2, 3, 8):
        used, digest = _split_run(threads)
        assert used == threads
        assert digest == reference, f"{threads} threads changed the results"


def test_split_kernels_from_many_threads_at_once(big):
    # one loop at a time uses the pool; loops that find it busy run on their caller's thread. The
    # reference is pyjac's own answer from one thread (the bits of tanh differ between libm and
    # libmvec, so NumPy's could differ in the last place)
    expected = (pj.tanh(big) * 2.0).numpy().copy()
    np.testing.assert_allclose(expected, np.tanh(big.numpy()) * 2.0, rtol=1e-15, atol=0)

    def work(i):
        return [np.array_equal((pj.tanh(big) * 2.0).numpy(), expected) for _ in range(3)]

    assert all(all(r) for r in run_in_threads(work))


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork")
def test_split_kernels_work_in_a_forked_child(big):
    import os

    (pj.tanh(big) * 2.0).sum()  # the pool exists in the parent now
    pid = os.fork()
    if pid == 0:  # the child has none of the pool's threads: it must make its own, not hang
        try:
            ok = np.allclose((pj.tanh(big) * 2.0).numpy(), np.tanh(big.numpy()) * 2.0)
            os._exit(0 if ok else 1)
        except BaseException:
            os._exit(2)
    # The deadline only turns a hang into a failure; the child needs about a second, also on a
    # loaded machine, so it is far beyond any slowness.
    deadline = time.monotonic() + 600
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            pytest.fail("the forked child hung in a split kernel")
        time.sleep(0.05)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


# ---- PYJAC_NUM_THREADS -------------------------------------------------------------------------
_IMPORT_PROGRAM = r"""
import json, warnings
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import pyjac
print(json.dumps([str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]))
print(pyjac._core.num_threads())
"""


def _import_with_threads_variable(value):
    import json
    import os
    import subprocess

    env = dict(os.environ, PYJAC_NUM_THREADS=value)
    out = subprocess.run(
        [sys.executable, "-c", _IMPORT_PROGRAM],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=os.path.dirname(__file__),
    )
    assert out.returncode == 0, out.stderr
    messages, used = out.stdout.splitlines()
    return json.loads(messages), int(used)


@pytest.mark.parametrize(
    "value, says",
    [
        ("0", "is not a positive whole number: pyjac ignores it and uses"),
        ("-1", "is not a positive whole number: pyjac ignores it and uses"),
        ("abc", "is not a positive whole number: pyjac ignores it and uses"),
        ("300", "is above the maximum of 256: pyjac uses"),
        ("2abc", "is not a whole number: pyjac reads its leading digits and uses"),
        ("1.5", "is not a whole number: pyjac reads its leading digits and uses"),
        ("4294967298", "overflows a C int: pyjac reads it as 2 and uses"),
    ],
)
def test_a_bad_thread_count_warns_at_import_with_what_is_used_instead(value, says):
    # these were silently replaced by the CPU count, capped or read in part
    messages, used = _import_with_threads_variable(value)
    assert len(messages) == 1, messages
    assert f"PYJAC_NUM_THREADS={value!r} {says} {used} thread" in messages[0]


@pytest.mark.parametrize("value", ["1", "3", " 2 ", "+4", "256", ""])
def test_a_good_thread_count_imports_without_a_warning(value):
    messages, used = _import_with_threads_variable(value)
    assert messages == []
    if value.strip():
        assert used == int(value)
