"""Extreme graphs: a 1,000,000-op chain and sums over 100,000 inputs backpropagate, give the right
gradients, use memory proportional to the graph, and give it all back afterwards.

Each case runs in a fresh interpreter: its peak resident set is then the graph's alone, and a
recursive traversal or destructor that overflowed the C stack would fail the test instead of
killing pytest. (tests/test_autograd.py checks the million-node chain's gradient and teardown;
here the point is the memory.)
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

import pyjac as pj

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc/self/statm")


_SCRIPT = textwrap.dedent("""
    import ctypes, gc, json, resource, sys
    import numpy as np
    import pyjac as pj

    PAGE = 4096
    def rss():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * PAGE
    def peak():
        # VmHWM, not ru_maxrss: ru_maxrss survives exec, so it would include the RSS of the
        # (large) pytest process this one was forked from.
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    try:
        trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        trim = lambda _: None
    def settle():
        gc.collect()
        pj._core.release_cached_buffers()  # pyjac's reusable buffers and free lists are not live memory
        trim(0)
        return rss()

    kind, n = sys.argv[1], int(sys.argv[2])
    x = pj.tensor(1.0, requires_grad=True)
    (x * 2.0).backward()  # warm up: first allocations, lazy initialisation
    x.grad = None
    base = settle()
    assert peak() - base < 64 * 2 ** 20, "the peak before the graph is too high to measure it"
    out = {}
    if kind == "chain":
        y = x
        for _ in range(n):
            y = y * 1.0000001
        out["built"] = rss() - base
        y.backward()
        out["grad_ok"] = abs(x.grad.item() / 1.0000001 ** n - 1) < 1e-9
        del y
    else:
        xs = [pj.tensor(float(i % 7), requires_grad=True) for i in range(n)]
        if kind == "stack":
            total = pj.stack(xs).sum()
        elif kind == "concatenate":
            total = pj.concatenate([pj.reshape(v, (1,)) for v in xs]).sum()
        elif kind == "python_sum":
            total = sum(xs)  # a chain of n - 1 additions
        out["built"] = rss() - base
        if kind == "stack":  # grad() to a list of n inputs, then backward() into n .grad slots
            gs = pj.grad(total, xs, retain_graph=True)
            out["grad_ok"] = len(gs) == n and all(g.item() == 1.0 for g in gs)
            del gs
        total.backward()
        grads = np.array([v.grad.item() for v in xs])
        out["grad_ok"] = out.get("grad_ok", True) and bool(np.all(grads == 1.0))
        assert total.item() == sum(float(i % 7) for i in range(n))
        del total, xs, grads
    out["peak"] = peak() - base
    out["after"] = settle() - base
    print("RESULT " + json.dumps(out))
""")


def run_case(kind, n):
    # the child imports the very pyjac this process tests (not, say, an editable install elsewhere)
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(
            [os.path.dirname(os.path.dirname(os.path.abspath(pj.__file__)))] + [p for p in sys.path if p]
        ),
    )
    cmd = [sys.executable] + (["-S"] if sys.flags.no_site else []) + ["-c", _SCRIPT, kind, str(n)]
    # cwd: the tests folder, so that `-c`'s sys.path[0] (the cwd) can't put a source checkout's
    # pyjac, without its compiled extension, ahead of the installed one.
    proc = subprocess.run(
        cmd, capture_output=True, text=True, timeout=600, env=env, cwd=os.path.dirname(os.path.abspath(__file__))
    )
    assert proc.returncode == 0, f"{kind} n={n}: rc={proc.returncode}\n{proc.stdout}\n{proc.stderr[-3000:]}"
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT ") :])


MB = 2**20


def test_million_op_chain_memory_is_proportional_and_freed():
    small, big = run_case("chain", 250_000), run_case("chain", 1_000_000)
    assert small["grad_ok"] and big["grad_ok"]
    per_op = big["peak"] / 1_000_000
    # A node, its output's TensorImpl and storage, and the engine's state for it come to a few
    # hundred bytes here; a per-node cost in kilobytes means something is held that shouldn't be.
    assert per_op < 1024, f"{per_op:.0f} bytes per op at the peak of a 10^6-op chain"
    # proportional: four times the ops, about four times the memory (not more)
    assert big["peak"] < 4 * small["peak"] * 1.3 + 16 * MB, (small, big)
    # and it is all given back once the graph is gone
    assert big["after"] < max(0.05 * big["peak"], 16 * MB), f"{big['after'] / MB:.0f} MB still held: {big}"


@pytest.mark.parametrize("kind", ["stack", "concatenate", "python_sum"])
def test_sum_of_100k_inputs(kind):
    r = run_case(kind, 100_000)
    assert r["grad_ok"], r
    per_input = r["peak"] / 100_000
    # each input: a Python Tensor and its TensorImpl, an edge, its gradient and AccumulateGrad node
    assert per_input < 4096, f"{per_input:.0f} bytes per input at the peak ({kind})"
    assert r["after"] < max(0.1 * r["peak"], 16 * MB), f"{r['after'] / MB:.0f} MB still held: {r}"
