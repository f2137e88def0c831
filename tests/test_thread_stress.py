"""Thread stress: many threads sharing leaves, graphs and .grad slots, with the interpreter
switching threads as often as it can (sys.setswitchinterval lowered).

Each test states an exact answer (PyTorch's: accumulation into .grad is atomic per tensor, a
graph freed by one pass makes the others raise). Every test runs in a forked child (`isolated`),
so a crash fails only that test, and under a watchdog, so a deadlock fails it instead of hanging
the suite. .ci/sanitize runs these under AddressSanitizer, .ci/tsan under ThreadSanitizer.
"""

import faulthandler
import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import pyjac as pj

pytestmark = pytest.mark.isolated

N_THREADS = 8
# Under ThreadSanitizer everything runs 5-15x slower: fewer rounds, the same checks.
ROUNDS = 60 if os.environ.get("PYJAC_TSAN") else 300
WATCHDOG_SECONDS = 300
# Subprocesses start here, so that `import pyjac` finds the installed package, not the source tree.
_OUTSIDE_SOURCE_TREE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(autouse=True)
def busy_switching():
    """Switch threads every microsecond, and dump every thread's stack and exit (failing the test)
    if it has not finished after WATCHDOG_SECONDS."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    faulthandler.dump_traceback_later(WATCHDOG_SECONDS, exit=True, file=sys.__stderr__)
    yield
    faulthandler.cancel_dump_traceback_later()
    sys.setswitchinterval(old)


def run_threads(work, n=N_THREADS):
    """Runs work(i) for i < n in threads released together; returns the results in order, and
    the exceptions the threads raised (in no particular order)."""
    barrier = threading.Barrier(n)
    results, errors = [None] * n, []

    def body(i):
        try:
            barrier.wait(60)
            results[i] = work(i)
        except BaseException as e:  # noqa: B036 - reported to the test
            errors.append(e)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


def no_errors(errors):
    if errors:
        raise errors[0]


def test_hogwild_backward_into_one_shared_leaf_loses_no_update():
    x = pj.ones(1000, requires_grad=True)

    def work(i):
        for _ in range(ROUNDS):
            (x * x).sum().backward()

    no_errors(run_threads(work)[1])
    np.testing.assert_array_equal(x.grad.numpy(), np.full(1000, 2.0 * N_THREADS * ROUNDS))


def test_hogwild_on_float32_and_broadcast_leaves():
    # the accumulated gradient is cast (float64 seed into float32) and unbroadcast on the way
    w = pj.ones((1, 64), dtype=pj.float32, requires_grad=True)
    b = pj.zeros(64, dtype=pj.float32, requires_grad=True)
    X = pj.ones((16, 64), dtype=pj.float32)

    def work(i):
        for _ in range(ROUNDS):
            (X * w + b).sum().backward()

    no_errors(run_threads(work)[1])
    np.testing.assert_array_equal(w.grad.numpy(), np.full((1, 64), 16.0 * N_THREADS * ROUNDS, np.float32))
    np.testing.assert_array_equal(b.grad.numpy(), np.full(64, 16.0 * N_THREADS * ROUNDS, np.float32))


def test_one_shared_loss_backpropagated_with_retain_graph():
    x = pj.ones(500, requires_grad=True)
    loss = (pj.sin(x) * x).sum()
    per_pass = np.sin(1.0) + np.cos(1.0)

    def work(i):
        for _ in range(ROUNDS):
            loss.backward(retain_graph=True)

    no_errors(run_threads(work)[1])
    np.testing.assert_allclose(x.grad.numpy(), per_pass * N_THREADS * ROUNDS, rtol=1e-12)


def test_retain_grad_on_a_shared_non_leaf():
    x = pj.ones(200, requires_grad=True)
    h = x * 2
    h.retain_grad()
    loss = (h * h).sum()

    def work(i):
        for _ in range(ROUNDS):
            loss.backward(retain_graph=True)

    no_errors(run_threads(work)[1])
    np.testing.assert_array_equal(h.grad.numpy(), np.full(200, 4.0 * N_THREADS * ROUNDS))
    np.testing.assert_array_equal(x.grad.numpy(), np.full(200, 8.0 * N_THREADS * ROUNDS))


def test_retain_grad_called_while_other_threads_backpropagate():
    x = pj.ones(50, requires_grad=True)
    h = pj.tanh(x) * 3
    loss = (h * h).sum()

    def work(i):
        for k in range(ROUNDS):
            if i == 0 and k == ROUNDS // 2:
                h.retain_grad()
            loss.backward(retain_graph=True)

    no_errors(run_threads(work)[1])
    assert h.retains_grad
    # every pass after retain_grad() added 2h to h.grad: some whole number of passes did
    passes = h.grad.numpy() / (2 * h.detach().numpy())
    n = round(passes[0])
    assert 1 <= n <= N_THREADS * ROUNDS
    np.testing.assert_allclose(passes, n, rtol=1e-12)


def test_reading_grad_while_other_threads_accumulate_gives_whole_tensors():
    x = pj.ones(4096, requires_grad=True)
    seen = []

    def work(i):
        if i % 2:  # writers
            for _ in range(ROUNDS):
                (x * x).sum().backward()
        else:  # readers: each .grad is one complete sum, never a mix of two
            for _ in range(ROUNDS * 4):
                g = x.grad
                if g is not None:
                    a = g.numpy()
                    seen.append(a[0])
                    assert np.all(a == a[0]), "a .grad read mixed two accumulations"

    no_errors(run_threads(work)[1])
    writers = N_THREADS // 2
    np.testing.assert_array_equal(x.grad.numpy(), np.full(4096, 2.0 * writers * ROUNDS))
    assert all(v % 2 == 0 and 2 <= v <= 2 * writers * ROUNDS for v in seen)


def test_setting_grad_to_none_while_others_accumulate():
    # optimizer.zero_grad(set_to_none=True) racing backward: no crash, and .grad is always whole
    x = pj.ones(300, requires_grad=True)

    def work(i):
        for _ in range(ROUNDS):
            if i == 0:
                x.grad = None
            else:
                (x * 3).sum().backward()

    no_errors(run_threads(work)[1])
    g = x.grad
    if g is not None:
        a = g.numpy()
        assert np.all(a == a[0]) and a[0] % 3 == 0


def test_many_passes_through_one_graph_without_retain_graph_one_wins():
    for _ in range(20):
        x = pj.ones(100, requires_grad=True)
        loss = (x * x).sum()
        results, errors = run_threads(lambda i: loss.backward())
        # the pass that ran MulBackward first freed its saved tensors; every other pass raised
        assert len(errors) == N_THREADS - 1, errors
        for e in errors:
            assert isinstance(e, RuntimeError) and "backward through the graph a second time" in str(e), repr(e)
        np.testing.assert_array_equal(x.grad.numpy(), np.full(100, 2.0))


def test_grad_of_one_graph_without_retain_graph_from_many_threads():
    x = pj.tensor(np.linspace(-1, 1, 64), requires_grad=True)
    y = pj.exp(x)
    loss = (y * y).sum()
    results, errors = run_threads(lambda i: pj.grad(loss, x)[0].numpy().copy())
    winners = [r for r in results if r is not None]
    assert len(winners) == 1 and len(errors) == N_THREADS - 1
    np.testing.assert_allclose(winners[0], 2 * np.exp(2 * np.linspace(-1, 1, 64)), rtol=1e-13)
    assert all(isinstance(e, RuntimeError) and "second time" in str(e) for e in errors)


def test_leaf_used_first_by_many_threads_at_once_gets_one_accumulator():
    # Big tensors record their ops without the GIL: the leaf's accumulator is made by whichever
    # thread records first, and every graph must reach the same one.
    for _ in range(10):
        x = pj.ones(1 << 16, requires_grad=True)

        def work(i):
            y = x * float(i + 1)  # above the GIL-release threshold: recorded without the GIL
            y.sum().backward()

        no_errors(run_threads(work)[1])
        np.testing.assert_array_equal(x.grad.numpy(), np.full(1 << 16, N_THREADS * (N_THREADS + 1) / 2))


def test_create_graph_into_a_shared_leaf_from_many_threads():
    x = pj.tensor([0.5, -0.25, 1.5], requires_grad=True)

    def work(i):
        for _ in range(ROUNDS // 10):
            (g,) = pj.grad((x**3).sum(), x, create_graph=True)  # 3 x^2, with history
            g.sum().backward()  # d/dx sum(3 x^2) = 6 x, into x.grad

    no_errors(run_threads(work)[1])
    np.testing.assert_allclose(x.grad.numpy(), 6 * np.array([0.5, -0.25, 1.5]) * N_THREADS * (ROUNDS // 10), rtol=1e-12)


class Scale(pj.autograd.Function):
    """A custom rule: its backward runs Python (taking the GIL) inside the engine, and reads a
    .grad other threads are accumulating into."""

    watched = None

    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        w = Scale.watched.grad
        if w is not None:
            a = w.numpy()
            assert np.all(a == a[0])
        return g * 2


def test_custom_function_backward_reading_grad_while_others_accumulate():
    x = pj.ones(256, requires_grad=True)
    Scale.watched = x

    def work(i):
        for _ in range(ROUNDS // 2):
            Scale.apply(x).sum().backward()

    no_errors(run_threads(work)[1])
    np.testing.assert_array_equal(x.grad.numpy(), np.full(256, 2.0 * N_THREADS * (ROUNDS // 2)))


def test_custom_function_in_one_shared_graph():
    x = pj.ones(256, requires_grad=True)
    loss = (Scale.apply(pj.sin(x)) ** 2).sum()
    Scale.watched = x

    def work(i):
        for _ in range(ROUNDS // 4):
            loss.backward(retain_graph=True)

    no_errors(run_threads(work)[1])
    per_pass = 8 * np.sin(1.0) * np.cos(1.0)
    np.testing.assert_allclose(x.grad.numpy(), per_pass * N_THREADS * (ROUNDS // 4), rtol=1e-12)


def test_threads_accumulate_their_batches_into_one_model():
    # data-parallel gradients: each thread backpropagates its own batches into the shared
    # parameters; the sum is the sum of the per-batch gradients, whatever the interleaving
    rng = np.random.default_rng(0)
    f64 = pj.float64
    model = pj.nn.Sequential(pj.nn.Linear(8, 16, dtype=f64), pj.nn.Tanh(), pj.nn.Linear(16, 1, dtype=f64))
    data = [
        (pj.tensor(rng.standard_normal((32, 8))), pj.tensor(rng.standard_normal((32, 1)))) for _ in range(N_THREADS)
    ]
    loss = pj.nn.MSELoss()
    expected = [np.zeros(p.shape) for p in model.parameters()]
    for X, Y in data:
        grads = pj.grad(loss(model(X), Y), list(model.parameters()))
        for e, g in zip(expected, grads):
            e += g.numpy() * (ROUNDS // 10)

    def work(i):
        X, Y = data[i]
        for _ in range(ROUNDS // 10):
            loss(model(X), Y).backward()

    no_errors(run_threads(work)[1])
    for p, e in zip(model.parameters(), expected):
        np.testing.assert_allclose(p.grad.numpy(), e, rtol=1e-9, atol=1e-12)


def test_cycle_collection_while_other_threads_backpropagate():
    # Every step leaves a cycle through .grad (create_graph): the collector scans and frees them
    # as wrappers die, on whichever thread drops them, while the other threads' passes run
    # through shared leaves; one thread also forces full collections.
    import gc

    w = pj.tensor([0.5, 1.5], requires_grad=True)

    def work(i):
        for k in range(ROUNDS // 3):
            x = pj.tensor([1.0, 2.0], requires_grad=True)
            loss = (x**3 * w).sum()
            loss.backward(create_graph=True)  # x.grad = 3 x^2 w, w.grad += x^3 (with history)
            np.testing.assert_allclose(x.grad.detach().numpy(), 3 * np.array([1.0, 4.0]) * [0.5, 1.5])
            del x, loss
            if i == 0 and k % 10 == 0:
                gc.collect()

    no_errors(run_threads(work)[1])
    np.testing.assert_allclose(w.grad.detach().numpy(), np.array([1.0, 8.0]) * N_THREADS * (ROUNDS // 3))


def _exit_while_busy(body):
    script = textwrap.dedent("""
        import threading, time
        import pyjac as pj
        started = threading.Event()

        def work():
            started.set()
            while True:
        {body}

        threading.Thread(target=work, daemon=True).start()
        started.wait()
        time.sleep(0.3)
        print("main done", flush=True)
    """).replace("{body}", textwrap.indent(textwrap.dedent(body), " " * 8))
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=_OUTSIDE_SOURCE_TREE
    )


@pytest.mark.parametrize(
    "body",
    [
        "x = pj.ones(3_000_000, requires_grad=True)\n(pj.tanh(x) * x).sum().backward()",
        "a = pj.ones(4_000_000)\npj.exp(pj.sin(a))",
        "A = pj.ones((400, 400))\nA @ A",
        """
    class F(pj.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1
        @staticmethod
        def backward(ctx, g):
            return g * 1
    x = pj.ones(1_000_000, requires_grad=True)
    F.apply(pj.exp(x)).sum().backward()
    """,
    ],
    ids=["backward", "kernel", "matmul", "custom-function"],
)
def test_interpreter_exits_cleanly_while_a_daemon_thread_is_inside_pyjac(body):
    for _ in range(3):
        r = _exit_while_busy(body)
        assert r.returncode == 0, (r.returncode, r.stderr[-2000:])
        assert "main done" in r.stdout and "terminate called" not in r.stderr
