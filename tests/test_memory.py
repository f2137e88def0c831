"""Memory: no growth over many steps, graphs and saved buffers are freed, no reference cycles.

Tensors are not tracked by Python's gc (they hold no Python references), so leaks are measured
through the resident set size from /proc/self/statm. Big buffers are > 32 MiB so glibc serves them
with mmap and gives them back to the OS as soon as they are freed; `settle()` also trims the heap.
"""

import ctypes
import ctypes.util
import gc
import os

import numpy as np
import pytest

import pyjac as pj

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc/self/statm")

PAGE = os.sysconf("SC_PAGE_SIZE")
MB = 1024 * 1024
BIG = 5_000_000  # float64 elements: 40 MB, above glibc's largest mmap threshold


def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def _malloc_trim():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc.malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None


_TRIM = _malloc_trim()


def settle():
    """RSS once garbage is collected and free heap pages are handed back (glibc's malloc_trim), so
    that RSS tracks live memory and not what earlier tests left in the allocator's free lists."""
    gc.collect()
    pj._core.release_cached_buffers()  # a cache of reusable buffers is not live memory
    if _TRIM is not None:
        _TRIM(0)
    return rss()


# ---- steady state over many steps -----------------------------------------------------------


def _mlp_step(W1, b1, W2, X, Y, lr=1e-3):
    h = pj.tanh(X @ W1 + b1)
    out = h @ W2
    loss = ((out - Y) ** 2).mean()
    loss.backward()
    with pj.no_grad():
        new = [(p - lr * p.grad).detach().requires_grad_() for p in (W1, b1, W2)]
    return new, loss.item()


def test_training_loop_rss_is_stable():
    r = np.random.default_rng(0)
    X = pj.tensor(r.standard_normal((128, 32)))
    Y = pj.tensor(r.standard_normal((128, 1)))
    W1 = pj.tensor(r.standard_normal((32, 64)) * 0.1, requires_grad=True)
    b1 = pj.zeros(64, requires_grad=True)
    W2 = pj.tensor(r.standard_normal((64, 1)) * 0.1, requires_grad=True)
    params = [W1, b1, W2]
    for _ in range(300):  # warm up allocator pools
        params, first_loss = _mlp_step(*params, X, Y)
    before = settle()
    for _ in range(3000):  # each step allocates ~70 KB tensors: a per-step leak is >= 200 MB
        params, loss = _mlp_step(*params, X, Y)
    after = settle()
    assert loss < first_loss
    assert after - before < 8 * MB, f"RSS grew by {(after - before) / MB:.1f} MB over 3000 steps"


def test_many_tiny_steps_rss_is_stable():
    # 0-d tensors: a leaked Node or TensorImpl per op would be ~10 objects per step
    def step(x, w):
        y = pj.sin(x * w + 1.0) * pj.exp(-w) / (x + 2.0)
        y.backward()
        return x.grad.item() + w.grad.item()

    for _ in range(2000):
        step(pj.tensor(0.5, requires_grad=True), pj.tensor(1.5, requires_grad=True))
    before = settle()
    for _ in range(30000):
        step(pj.tensor(0.5, requires_grad=True), pj.tensor(1.5, requires_grad=True))
    after = settle()
    assert after - before < 4 * MB, f"RSS grew by {(after - before) / MB:.1f} MB over 30000 tiny steps"


def test_grad_create_graph_loop_rss_is_stable():
    def step():
        x = pj.tensor(np.linspace(-1, 1, 256), requires_grad=True)
        f = (pj.sin(x) * x**3).sum()
        (g,) = pj.grad(f, x, create_graph=True)
        (h,) = pj.grad((g * g).sum(), x)
        return h

    for _ in range(200):
        step()
    before = settle()
    for _ in range(2000):
        step()
    after = settle()
    assert after - before < 6 * MB, f"RSS grew by {(after - before) / MB:.1f} MB"


def test_batched_grad_loop_rss_is_stable():
    def step():
        x = pj.tensor(np.linspace(-1, 1, 32), requires_grad=True)
        y = pj.tanh(x[:, None] * x[None, :]).sum(axis=1)
        (J,) = pj.grad(y, x, grad_outputs=pj.eye(32), is_grads_batched=True)
        return J

    for _ in range(100):
        step()
    before = settle()
    for _ in range(1500):
        step()
    after = settle()
    assert after - before < 6 * MB, f"RSS grew by {(after - before) / MB:.1f} MB"


# ---- graphs and saved buffers are freed ------------------------------------------------------


def test_graph_dropped_without_backward_is_freed():
    x = pj.ones(BIG, requires_grad=True)
    y = pj.exp(x) * x + pj.sin(x)  # saves several 40 MB buffers
    del y
    before = settle()
    for _ in range(5):
        y = pj.exp(x) * x + pj.sin(x)
        z = pj.tanh(y)
        del y, z  # graph (and its saved buffers) dropped without backward
    after = settle()
    assert after - before < 40 * MB, f"RSS grew by {(after - before) / MB:.1f} MB: dropped graphs not freed"


def test_saved_buffers_freed_after_backward():
    x = pj.ones(BIG, requires_grad=True)
    base = settle()
    y1 = pj.exp(x)  # saves its output y1
    y2 = pj.sin(y1)  # saves its input y1
    y3 = pj.tanh(y2)  # saves its output y3
    y4 = pj.exp(y3)  # saves its output y4
    loss = y4.sum()
    del y1, y2, y3, y4  # now only the graph (held by `loss`) keeps y1, y3, y4 alive
    held = settle()
    assert held - base > 100 * MB, "sanity: the saved buffers should be resident"
    loss.backward()
    after = settle()
    # x.grad (40 MB) is new; the three saved 40 MB buffers must be gone although `loss` is alive
    assert after - base < 70 * MB, (
        f"after backward {(after - base) / MB:.0f} MB above baseline (held {(held - base) / MB:.0f} MB): "
        "saved tensors were not released"
    )
    assert loss.grad_fn is not None
    del loss
    x.grad = None
    assert settle() - base < 20 * MB


def test_retain_graph_keeps_then_drop_frees():
    x = pj.ones(BIG, requires_grad=True)
    base = settle()
    loss = pj.exp(pj.exp(x)).sum()
    loss.backward(retain_graph=True)
    held = settle()
    assert held - base > 100 * MB  # two saved outputs and x.grad
    del loss
    x.grad = None
    assert settle() - base < 20 * MB


def test_pj_grad_frees_saved_buffers():
    x = pj.ones(BIG, requires_grad=True)
    base = settle()
    loss = pj.sin(pj.exp(x)).sum()
    (g,) = pj.grad(loss, x)
    del g
    after = settle()
    assert after - base < 20 * MB, f"{(after - base) / MB:.0f} MB still held after grad()"
    del loss


def test_backward_create_graph_cycle_is_broken_by_clearing_grad():
    # x.grad built with create_graph=True refers back to x through its graph (as in PyTorch);
    # clearing .grad must be enough to release everything.
    x = pj.ones(BIG, requires_grad=True)
    base = settle()
    for _ in range(3):
        (pj.exp(x) * x).sum().backward(create_graph=True)
        assert x.grad.requires_grad
        x.grad = None
    assert settle() - base < 30 * MB


# ---- cycles through .grad (Note [Reference cycles through .grad]) ----------------------------------


def test_create_graph_cycle_of_a_dropped_leaf_is_freed_at_once():
    # x -> x.grad (with history) -> ... -> x: before, nothing ever freed it once x was dropped
    base = settle()
    for _ in range(3):
        x = pj.ones(BIG, requires_grad=True)
        (pj.exp(x) * x).sum().backward(create_graph=True)
        assert x.grad.requires_grad
        del x
        pj._core.release_cached_buffers()
        if _TRIM is not None:
            _TRIM(0)
        assert rss() - base < 30 * MB, "the cycle outlived its last Python reference"  # no gc.collect()


def trimmed_rss():
    """RSS without running Python's collector: what pyjac frees by itself."""
    pj._core.release_cached_buffers()
    if _TRIM is not None:
        _TRIM(0)
    return rss()


@pytest.mark.parametrize("loss_outlives_leaf", [False, True], ids=["leaf-last", "loss-last"])
def test_create_graph_loop_with_fresh_leaves_rss_is_flat_over_10000_steps(loss_outlives_leaf):
    # leaked about 3-13 KB a step before. With loss-last the frame drops x while `loss` (whose
    # graph saved x) is still alive: that cycle is found by a later scan, without gc.collect().
    X = pj.tensor(np.random.default_rng(0).standard_normal((16, 4)))

    def step():
        x = pj.tensor(np.full((4, 8), 0.1), requires_grad=True)
        loss = (pj.tanh(X @ x) ** 2).mean()
        loss.backward(create_graph=True)
        if loss_outlives_leaf:
            del x
        else:
            del loss

    was_enabled = gc.isenabled()
    gc.disable()  # no help from Python's collector
    try:
        for _ in range(500):
            step()
        before = trimmed_rss()
        for _ in range(10_000):
            step()
        after = trimmed_rss()
    finally:
        if was_enabled:
            gc.enable()
    assert after - before < 4 * MB, f"RSS grew by {(after - before) / MB:.1f} MB"


def test_create_graph_loop_with_a_fresh_model_rss_is_flat():
    # a model made per step (its parameters' .grad graphs share nodes): freed with the model
    X = pj.tensor(np.random.default_rng(0).standard_normal((16, 4)))

    def step():
        model = pj.nn.Sequential(pj.nn.Linear(4, 8), pj.nn.Tanh(), pj.nn.Linear(8, 1))
        loss = (model(X) ** 2).mean()
        loss.backward(create_graph=True)
        params = list(model.parameters())
        penalty = sum((p.grad**2).sum() for p in params)
        pj.grad(penalty, params)  # leaves each .grad with its history (and its cycle)

    for _ in range(200):
        step()
    before = settle()
    for _ in range(3000):
        step()
    after = settle()
    assert after - before < 4 * MB, f"RSS grew by {(after - before) / MB:.1f} MB"


def test_cycle_kept_by_a_held_grad_lives_until_that_goes():
    x = pj.ones(BIG, requires_grad=True)
    z = pj.tensor(2.0, requires_grad=True)
    (pj.exp(x) * x * z).sum().backward(create_graph=True)
    g = x.grad  # z (x + 1) e^x; its graph saved x and exp(x): 80 MB
    held = settle()
    del x
    assert settle() > held - 20 * MB, "memory the held gradient still needs was freed"
    (dz,) = pj.grad(g.sum(), z)  # through g's graph, which reads the saved x and exp(x)
    np.testing.assert_allclose(dz.item(), BIG * 2 * np.e, rtol=1e-9)
    del g
    assert settle() < held - 60 * MB, "the cycle outlived the gradient that held it (after gc.collect)"


def test_collecting_a_cycle_frees_nothing_still_in_use():
    x = pj.tensor([0.5, 1.0, 2.0], requires_grad=True)
    y = pj.sin(x)  # y's node saved x: y keeps the cycle's head alive
    z = pj.tensor([1.0, 1.0, 1.0], requires_grad=True)
    w = z * (x * 1)  # and so does w, through a node whose other input is alive
    (x**3).sum().backward(create_graph=True)
    del x
    gc.collect()
    (gy,) = pj.grad(pj.cos(y).sum(), y, retain_graph=True)
    np.testing.assert_allclose(gy.numpy(), -np.sin(np.sin([0.5, 1.0, 2.0])))
    y.sum().backward()  # through SinBackward's saved x, into the unreachable leaf's .grad
    w.sum().backward()
    np.testing.assert_array_equal(z.grad.numpy(), [0.5, 1.0, 2.0])


class _SavesEverything(pj.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        mid = x * 3.0
        out = pj.sin(mid)
        ctx.save_for_backward(x, mid, out)  # mid is not kept anywhere else: 40 MB
        return out

    @staticmethod
    def backward(ctx, g):
        x, mid, out = ctx.saved_tensors
        return g * 3.0 * pj.cos(x * 3.0) + 0.0 * out


def test_custom_function_saved_tensors_live_as_long_as_the_graph():
    x = pj.ones(BIG, requires_grad=True)
    base = settle()
    y = _SavesEverything.apply(x)  # out and y: 40 MB; mid: 40 MB
    with_graph = settle()
    assert with_graph - base > 70 * MB
    y.sum().backward(retain_graph=True)
    x.grad = None
    assert settle() > with_graph - 10 * MB, "retain_graph freed what the node saved"
    y.sum().backward()
    x.grad = None
    assert settle() < with_graph - 30 * MB, "backward kept what the node saved"
    del y
    assert settle() - base < 10 * MB
    y = _SavesEverything.apply(x) * 2.0
    del y
    assert settle() - base < 10 * MB, "dropping the graph kept what the node saved"


class _Cube(pj.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 3 * x * x * g


def test_create_graph_cycle_through_a_custom_function_is_freed():
    # x -> x.grad -> MulBackward -> the saved x: held as a Python object by the ctx before, a
    # cycle no collector could see
    base = settle()
    for _ in range(3):
        x = pj.ones(BIG, requires_grad=True)
        y = _Cube.apply(x)
        y.sum().backward(create_graph=True, retain_graph=True)
        del x, y
        assert settle() - base < 30 * MB


def test_numpy_view_frees_storage_when_dropped():
    base = settle()
    for _ in range(5):
        a = pj.ones(BIG).numpy()
        assert a[-1] == 1.0
        del a
    assert settle() - base < 30 * MB


def test_deep_graph_memory_is_reused():
    # Repeatedly building (and dropping, or backpropagating) a 200k-node chain must not grow
    # the process: the first rounds set the allocator's high-water mark, later rounds stay there.
    x = pj.tensor(1.0, requires_grad=True)

    def build(n):
        y = x
        for _ in range(n):
            y = y * 1.0000001
        return y

    for i in range(2):  # warm up: one dropped graph, one backpropagated
        y = build(200_000)
        if i == 1:
            y.backward()
        del y
    before = settle()
    for i in range(4):
        y = build(200_000)
        if i % 2:
            y.backward()
        del y
    after = settle()
    assert after - before < 8 * MB, f"RSS grew by {(after - before) / MB:.1f} MB"


# ---- no reference cycles --------------------------------------------------------------------


def test_no_cyclic_garbage_from_a_training_loop():
    r = np.random.default_rng(1)
    X = pj.tensor(r.standard_normal((16, 4)))
    Y = pj.tensor(r.standard_normal((16, 1)))

    @pj.no_grad()
    def update(p, lr=0.01):
        return (p - lr * p.grad).detach().requires_grad_()

    def run(steps):
        W = pj.tensor(r.standard_normal((4, 1)), requires_grad=True)
        for _ in range(steps):
            out = pj.sigmoid(X @ W)
            h = out * 1.0
            h.retain_grad()
            loss = ((h - Y) ** 2).mean()
            loss.backward()
            (g,) = pj.grad(pj.tanh(W).sum(), W, create_graph=True)
            (gg,) = pj.grad(g.sum(), W)
            (J,) = pj.grad(W * W, W, grad_outputs=pj.ones(3, 4, 1), is_grads_batched=True)
            with pj.set_grad_enabled(False):
                _ = repr(loss) + repr(h.grad) + repr(gg) + str(J.shape)
            W = update(W)
        return W

    run(5)  # warm up imports, caches
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        gc.collect()
        run(200)
        found = gc.collect()
    finally:
        if was_enabled:
            gc.enable()
    assert found == 0, f"gc found {found} unreachable objects: the loop created reference cycles"


def test_no_cyclic_garbage_with_debug_saveall():
    old = gc.get_debug()
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gc.garbage.clear()
        for _ in range(100):
            x = pj.tensor([1.0, 2.0, 3.0], requires_grad=True)
            y = (pj.exp(x) * x).sum()
            y.backward()
            pj.grad((x * x).sum(), x)
        gc.collect()
        leaked = [o for o in gc.garbage if isinstance(o, pj.Tensor) or "pyjac" in type(o).__module__]
        n_garbage = len(gc.garbage)
    finally:
        gc.set_debug(old)
        gc.garbage.clear()
    assert not leaked, leaked[:5]
    assert n_garbage == 0, f"{n_garbage} objects in cycles"


# ---- reliability: long runs, transforms, dropped graphs, cycles -------------------------------
# (RSS is meaningless under AddressSanitizer, whose quarantine keeps freed memory on purpose:
# .ci/sanitize leaves this file out.)


def test_100k_forward_backward_steps_rss_is_flat():
    x = pj.tensor(0.5, requires_grad=True)
    w = pj.tensor(np.array([1.5, -0.5, 2.0]), requires_grad=True)

    def step():
        y = (pj.tanh(x * w + 0.1) * pj.exp(-w)).sum()
        y.backward()
        x.grad = None
        w.grad = None

    for _ in range(5_000):
        step()
    before = settle()
    for _ in range(100_000):
        step()
    after = settle()
    assert after - before < 4 * MB, f"RSS grew by {(after - before) / MB:.1f} MB over 100,000 steps"


def _transform_calls():
    from pyjac import func

    r = np.random.default_rng(3)
    A = pj.tensor(r.standard_normal((8, 8)) / 3)
    x = pj.tensor(r.standard_normal(8))
    v = pj.tensor(r.standard_normal(8))
    f = lambda z: pj.tanh(A @ z)  # noqa: E731
    g = lambda z: pj.sum(pj.tanh(A @ z) ** 2)  # noqa: E731
    return {
        "jacobian": lambda: pj.jacobian(f, x),
        "jacobian forward-mode": lambda: pj.jacobian(f, x, strategy="forward-mode"),
        "jacobian row by row": lambda: pj.jacobian(f, x, vectorize=False),
        "jacobian create_graph": lambda: pj.jacobian(f, x, create_graph=True),
        "hessian": lambda: pj.hessian(g, x),
        "hvp": lambda: pj.hvp(g, x, v),
        "vjp": lambda: pj.vjp(f, x, v),
        "jvp": lambda: pj.jvp(f, x, v),
        "func.jacrev": lambda: func.jacrev(f)(x),
        "func.jacfwd": lambda: func.jacfwd(f)(x),
        "func.hessian": lambda: func.hessian(g)(x),
        "func.grad": lambda: func.grad(g)(x),
    }


@pytest.mark.parametrize("name", sorted(_transform_calls()))
def test_repeated_jacobian_and_hessian_calls_rss_is_flat(name):
    call = _transform_calls()[name]
    for _ in range(300):
        call()
    before = settle()
    for _ in range(3000):
        call()
    after = settle()
    assert after - before < 4 * MB, f"{name}: RSS grew by {(after - before) / MB:.1f} MB over 3000 calls"


def test_small_graphs_dropped_without_backward_rss_is_flat():
    x = pj.tensor(np.linspace(-1, 1, 16), requires_grad=True)

    def build():
        y = x
        for _ in range(8):
            y = pj.sin(y) * x + y[::-1]
        return y.sum()  # dropped: never backpropagated

    for _ in range(2_000):
        build()
    before = settle()
    for _ in range(20_000):
        build()
    after = settle()
    assert after - before < 4 * MB, f"RSS grew by {(after - before) / MB:.1f} MB over 20,000 dropped graphs"


def test_saved_buffers_freed_after_batched_grad():
    x = pj.ones(BIG // 4, requires_grad=True)  # 10 MB; the batch of 4 cotangents makes 40 MB ones
    base = settle()
    y = pj.exp(pj.sin(x))  # saves x and the output
    (J,) = pj.grad(y, x, grad_outputs=pj.ones((4,) + x.shape), is_grads_batched=True)
    del J
    after = settle()
    # only y (10 MB) is still alive; sin's input and exp's output saved in the graph are freed
    assert after - base < 25 * MB, f"{(after - base) / MB:.0f} MB held after a batched grad"
    assert y.grad_fn is not None


def test_failed_backward_frees_its_buffers():
    # an exception in the middle of a backward (here from anomaly mode) must not leak the pass's
    # gradient buffers or pin the graph
    x = pj.ones(BIG, requires_grad=True)
    base = settle()
    for _ in range(3):
        with pj.autograd.detect_anomaly():
            y = pj.log(x - 1.0)  # log(0): an inf gradient
            with pytest.raises(RuntimeError):
                (y * 2.0).sum().backward()
        del y
    assert settle() - base < 30 * MB


def test_no_cyclic_garbage_from_transforms_anomaly_mode_and_errors():
    from pyjac import func

    calls = list(_transform_calls().values())

    def run():
        for call in calls:
            call()
        x = pj.tensor([0.0, 1.0], requires_grad=True)
        with pj.autograd.detect_anomaly():
            y = pj.sqrt(x)
            try:
                y.sum().backward()
            except RuntimeError:
                pass
        try:
            pj.grad(pj.exp(x).sum(), x)
            pj.exp(x).sum().backward()
            (pj.exp(x) * 2).sum().backward()
            z = pj.exp(x)
            z.sum().backward()
            z.sum().backward()
        except RuntimeError:
            pass
        h = (x * x).sum()
        h.retain_grad()
        h.backward()
        out, vjp_fn = func.vjp(lambda t: pj.sin(t) * t, x)
        vjp_fn(pj.ones(2))

    run()  # warm up imports and caches
    gc.collect()
    old = gc.get_debug()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gc.garbage.clear()
        for _ in range(20):
            run()
        gc.collect()
        garbage = list(gc.garbage)
    finally:
        gc.set_debug(old)
        gc.garbage.clear()
    pyjac_objects = [o for o in garbage if isinstance(o, (pj.Tensor, pj._core.Node))]
    assert not pyjac_objects, pyjac_objects[:5]
    assert not garbage, f"{len(garbage)} objects in reference cycles, e.g. {garbage[:5]}"


def test_forward_mode_while_recording_leaves_no_cycles():
    # Ops that save their output (tanh, exp, sigmoid) keep a copy whose tangent, when reverse mode
    # records too, is computed by a graph that holds the op's node: a cycle of shared pointers
    # that closing the dual level must break.
    from pyjac._forward import dual_level, make_dual, tangent_of

    x = pj.tensor(np.linspace(-1, 1, 64), requires_grad=True)
    v = pj.ones(64)

    def step():
        with dual_level() as level:
            y = pj.exp(pj.tanh(make_dual(x, v, level))) * pj.sigmoid(x)
            assert tangent_of(y, level) is not None
            (g,) = pj.grad(y.sum(), x, create_graph=True)  # forward-over-reverse as well
            assert tangent_of(g, level) is not None

    for _ in range(300):
        step()
    before = settle()
    for _ in range(5000):
        step()
    after = settle()
    assert after - before < 4 * MB, f"RSS grew by {(after - before) / MB:.1f} MB: forward-mode graphs leaked"
