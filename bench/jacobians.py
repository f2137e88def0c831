"""W3-W5: whole Jacobians and Hessians, pyjac against every installed peer (float64).

W3  the 256 x 256 Jacobian of f(x) = tanh(A2 @ tanh(A1 @ x + b1) + b2)
W4  the 128 x 128 Hessian of g(x) = sum(tanh(A @ x)**2)
W5  the (3, 3, 3) Jacobian of f(v, M) = M @ v with respect to M

Peers: torch (torch.func, torch.autograd.functional), HIPS autograd, jax (eager and jit),
mygrad (row by row: it has no Jacobian function and no second derivatives), and the
hand-derived NumPy Jacobian / Hessian as the floor. Every result is checked against pyjac's.
"""

import argparse

import numpy as np
from harness import Candidate, gather_workload, print_rows, run_candidates

TITLES = {
    "W3": "W3 Jacobian 256x256 of tanh(A2 @ tanh(A1 @ x + b1) + b2)",
    "W4": "W4 Hessian 128x128 of sum(tanh(A @ x)**2)",
    "W5": "W5 tiny Jacobian (3, 3, 3) of M @ v w.r.t. M",
}
TOL = {"W3": 1e-9, "W4": 1e-9, "W5": 1e-12}


def data(seed=0):
    r = np.random.default_rng(seed)
    return {
        "A1": r.standard_normal((256, 256)) / 16,
        "A2": r.standard_normal((256, 256)) / 16,
        "b1": r.standard_normal(256),
        "b2": r.standard_normal(256),
        "x3": r.standard_normal(256),
        "A": r.standard_normal((128, 128)) / 11,
        "x4": r.standard_normal(128),
        "v": r.standard_normal(3),
        "M": r.standard_normal((3, 3)),
    }


# Each maker returns {workload: [Candidate]}; the first pyjac candidate is every workload's reference.


def pyjac_candidates(d):
    import pyjac as pj
    from pyjac import func

    A1, A2, b1, b2, x3 = (pj.tensor(d[k]) for k in ("A1", "A2", "b1", "b2", "x3"))
    A, x4 = pj.tensor(d["A"]), pj.tensor(d["x4"])
    v, M = pj.tensor(d["v"]), pj.tensor(d["M"])
    f3 = lambda x: pj.tanh(A2 @ pj.tanh(A1 @ x + b1) + b2)
    g4 = lambda x: pj.sum(pj.tanh(A @ x) ** 2)
    f5 = lambda v, M: M @ v
    jac3, hes4, jac5 = func.jacrev(f3), func.hessian(g4), func.jacobian(f5, 1)
    return {
        "W3": [
            Candidate("pyjac func.jacrev", lambda: jac3(x3), "pyjac"),
            Candidate("pyjac jacobian()", lambda: pj.jacobian(f3, x3), "pyjac"),
        ],
        "W4": [
            Candidate("pyjac func.hessian", lambda: hes4(x4), "pyjac"),
            Candidate("pyjac hessian()", lambda: pj.hessian(g4, x4), "pyjac"),
        ],
        "W5": [
            Candidate("pyjac func.jacobian", lambda: jac5(v, M), "pyjac"),
            Candidate("pyjac jacobian()", lambda: pj.jacobian(lambda M: M @ v, M), "pyjac"),
        ],
    }


def torch_candidates(d):
    import torch
    from torch.autograd.functional import hessian as t_hessian
    from torch.autograd.functional import jacobian as t_jacobian

    A1, A2, b1, b2, x3 = (torch.tensor(d[k]) for k in ("A1", "A2", "b1", "b2", "x3"))
    A, x4 = torch.tensor(d["A"]), torch.tensor(d["x4"])
    v, M = torch.tensor(d["v"]), torch.tensor(d["M"])
    f3 = lambda x: torch.tanh(A2 @ torch.tanh(A1 @ x + b1) + b2)
    g4 = lambda x: torch.sum(torch.tanh(A @ x) ** 2)
    f5 = lambda v, M: M @ v
    jac3, hes4, jac5 = torch.func.jacrev(f3), torch.func.hessian(g4), torch.func.jacrev(f5, argnums=1)
    return {
        "W3": [
            Candidate("torch.func.jacrev", lambda: jac3(x3), "torch"),
            Candidate(
                "torch.autograd.functional.jacobian", lambda: t_jacobian(f3, x3), "torch", note="row by row (default)"
            ),
            Candidate("torch...jacobian(vectorize=True)", lambda: t_jacobian(f3, x3, vectorize=True), "torch"),
        ],
        "W4": [
            Candidate("torch.func.hessian", lambda: hes4(x4), "torch"),
            Candidate(
                "torch.autograd.functional.hessian", lambda: t_hessian(g4, x4), "torch", note="row by row (default)"
            ),
            Candidate("torch...hessian(vectorize=True)", lambda: t_hessian(g4, x4, vectorize=True), "torch"),
        ],
        "W5": [
            Candidate("torch.func.jacrev", lambda: jac5(v, M), "torch"),
            Candidate("torch.autograd.functional.jacobian", lambda: t_jacobian(lambda M: M @ v, M), "torch"),
        ],
    }


def hips_candidates(d):
    import autograd
    import autograd.numpy as anp

    f3 = lambda x: anp.tanh(d["A2"] @ anp.tanh(d["A1"] @ x + d["b1"]) + d["b2"])
    g4 = lambda x: anp.sum(anp.tanh(d["A"] @ x) ** 2)
    f5 = lambda v, M: anp.dot(M, v)
    j3, h4, j5 = autograd.jacobian(f3), autograd.hessian(g4), autograd.jacobian(f5, 1)
    return {
        "W3": [Candidate("hips-autograd jacobian", lambda: j3(d["x3"]), "hips-autograd")],
        "W4": [Candidate("hips-autograd hessian", lambda: h4(d["x4"]), "hips-autograd")],
        "W5": [Candidate("hips-autograd jacobian", lambda: j5(d["v"], d["M"]), "hips-autograd")],
    }


def jax_candidates(d):
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    A1, A2, b1, b2, x3 = (jnp.asarray(d[k]) for k in ("A1", "A2", "b1", "b2", "x3"))
    A, x4, v, M = jnp.asarray(d["A"]), jnp.asarray(d["x4"]), jnp.asarray(d["v"]), jnp.asarray(d["M"])
    f3 = lambda x: jnp.tanh(A2 @ jnp.tanh(A1 @ x + b1) + b2)
    g4 = lambda x: jnp.sum(jnp.tanh(A @ x) ** 2)
    f5 = lambda v, M: M @ v
    e3, e4, e5 = jax.jacrev(f3), jax.hessian(g4), jax.jacrev(f5, argnums=1)
    j3, j4, j5 = jax.jit(e3), jax.jit(e4), jax.jit(e5)
    return {
        "W3": [
            Candidate("jax.jacrev (eager)", lambda: e3(x3).block_until_ready(), "jax"),
            Candidate("jax.jit(jax.jacrev)", lambda: j3(x3).block_until_ready(), "jax", note="compiled once"),
        ],
        "W4": [
            Candidate("jax.hessian (eager)", lambda: e4(x4).block_until_ready(), "jax"),
            Candidate("jax.jit(jax.hessian)", lambda: j4(x4).block_until_ready(), "jax", note="compiled once"),
        ],
        "W5": [
            Candidate("jax.jacrev (eager)", lambda: e5(v, M).block_until_ready(), "jax"),
            Candidate("jax.jit(jax.jacrev)", lambda: j5(v, M).block_until_ready(), "jax", note="compiled once"),
        ],
    }


def mygrad_candidates(d):
    """mygrad has no Jacobian function: one forward and backward per output row, as a user would
    write it. It has no second derivatives, so no W4."""
    import mygrad as mg

    A1, A2, b1, b2 = (d[k] for k in ("A1", "A2", "b1", "b2"))
    eye256, eye3 = np.eye(256), np.eye(3)

    def jac3():
        rows = []
        for e in eye256:
            x = mg.tensor(d["x3"])
            y = mg.tanh(mg.matmul(A2, mg.tanh(mg.matmul(A1, x) + b1)) + b2)
            y.backward(e)
            rows.append(x.grad)
        return np.stack(rows)

    def jac5():
        rows = []
        for e in eye3:
            M = mg.tensor(d["M"])
            y = mg.matmul(M, d["v"])
            y.backward(e)
            rows.append(M.grad)
        return np.stack(rows)

    return {
        "W3": [Candidate("mygrad (row by row)", jac3, "mygrad")],
        "W5": [Candidate("mygrad (row by row)", jac5, "mygrad")],
    }


def numpy_candidates(d):
    """The floor: derivatives worked out by hand.
    W3: J = diag(1 - y^2) A2 diag(1 - h^2) A1.  W4: H = A^T diag(2 (1 - t^2)(1 - 3 t^2)) A.
    W5: J[i, j, k] = delta_ij v_k."""
    A1, A2, b1, b2, x3 = (d[k] for k in ("A1", "A2", "b1", "b2", "x3"))
    A, x4, v = d["A"], d["x4"], d["v"]
    eye3 = np.eye(3)

    def jac3():
        h = np.tanh(A1 @ x3 + b1)
        y = np.tanh(A2 @ h + b2)
        return ((1 - y * y)[:, None] * A2 * (1 - h * h)) @ A1

    def hes4():
        t = np.tanh(A @ x4)
        t2 = t * t
        w = 2 * (1 - t2) * (1 - 3 * t2)
        return A.T @ (w[:, None] * A)

    def jac5():
        return eye3[:, :, None] * v

    return {
        "W3": [Candidate("numpy (hand-derived)", jac3, "numpy", note="floor")],
        "W4": [Candidate("numpy (hand-derived)", hes4, "numpy", note="floor")],
        "W5": [Candidate("numpy (hand-derived)", jac5, "numpy", note="floor")],
    }


FACTORIES = [
    ("pyjac", pyjac_candidates),
    ("torch", torch_candidates),
    ("hips-autograd", hips_candidates),
    ("jax", jax_candidates),
    ("mygrad", mygrad_candidates),
    ("numpy", numpy_candidates),
]


def candidates(workload, d=None, notes=None):
    """The Candidates of one of W3, W4, W5 (the pyjac reference first)."""
    return gather_workload(FACTORIES, workload, data() if d is None else d, notes)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--only", default="W3,W4,W5")
    args = ap.parse_args(argv)
    d = data()
    out = {}
    for w in args.only.split(","):
        print(TITLES[w])
        rows = run_candidates(candidates(w, d), args.repeats, min_time=0.1, budget=60, tol=TOL[w], pause=0.15)
        print_rows(rows)
        out[w] = rows
    return out


if __name__ == "__main__":
    main()
