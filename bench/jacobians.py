"""W3-W5: whole Jacobians and Hessians, pyjac against every installed peer (float64).

W3  the 256 x 256 Jacobian of f(x) = tanh(A2 @ tanh(A1 @ x + b1) + b2)
W4  the 128 x 128 Hessian of g(x) = sum(tanh(A @ x)**2)
W5  the (3, 3, 3) Jacobian of f(v, M) = M @ v with respect to M
"""
import argparse

import numpy as np

from harness import optional, report, time_candidates


def data(seed=0):
    r = np.random.default_rng(seed)
    return {
        "A1": r.standard_normal((256, 256)) / 16, "A2": r.standard_normal((256, 256)) / 16,
        "b1": r.standard_normal(256), "b2": r.standard_normal(256), "x3": r.standard_normal(256),
        "A": r.standard_normal((128, 128)) / 11, "x4": r.standard_normal(128),
        "v": r.standard_normal(3), "M": r.standard_normal((3, 3)),
    }


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
        "W3": {"pyjac": lambda: jac3(x3), "pyjac jacobian()": lambda: pj.jacobian(f3, x3)},
        "W4": {"pyjac": lambda: hes4(x4), "pyjac hessian()": lambda: pj.hessian(g4, x4)},
        "W5": {"pyjac": lambda: jac5(v, M), "pyjac jacobian()": lambda: pj.jacobian(lambda M: M @ v, M)},
    }


def torch_candidates(d):
    import torch
    from torch.autograd.functional import hessian as t_hessian, jacobian as t_jacobian
    A1, A2, b1, b2, x3 = (torch.tensor(d[k]) for k in ("A1", "A2", "b1", "b2", "x3"))
    A, x4 = torch.tensor(d["A"]), torch.tensor(d["x4"])
    v, M = torch.tensor(d["v"]), torch.tensor(d["M"])
    f3 = lambda x: torch.tanh(A2 @ torch.tanh(A1 @ x + b1) + b2)
    g4 = lambda x: torch.sum(torch.tanh(A @ x) ** 2)
    f5 = lambda v, M: M @ v
    return {
        "W3": {"torch.func.jacrev": lambda: torch.func.jacrev(f3)(x3),
               "torch.autograd.functional.jacobian": lambda: t_jacobian(f3, x3)},
        "W4": {"torch.func.hessian": lambda: torch.func.hessian(g4)(x4),
               "torch.autograd.functional.hessian": lambda: t_hessian(g4, x4)},
        "W5": {"torch.func.jacrev": lambda: torch.func.jacrev(f5, argnums=1)(v, M)},
    }


def hips_candidates(d):
    import autograd
    import autograd.numpy as anp
    f3 = lambda x: anp.tanh(d["A2"] @ anp.tanh(d["A1"] @ x + d["b1"]) + d["b2"])
    g4 = lambda x: anp.sum(anp.tanh(d["A"] @ x) ** 2)
    f5 = lambda v, M: anp.dot(M, v)
    j3, h4, j5 = autograd.jacobian(f3), autograd.hessian(g4), autograd.jacobian(f5, 1)
    return {"W3": {"hips-autograd": lambda: j3(d["x3"])}, "W4": {"hips-autograd": lambda: h4(d["x4"])},
            "W5": {"hips-autograd": lambda: j5(d["v"], d["M"])}}


def jax_candidates(d):
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    A1, A2, b1, b2, x3 = (jnp.asarray(d[k]) for k in ("A1", "A2", "b1", "b2", "x3"))
    A, x4, v, M = jnp.asarray(d["A"]), jnp.asarray(d["x4"]), jnp.asarray(d["v"]), jnp.asarray(d["M"])
    f3 = lambda x: jnp.tanh(A2 @ jnp.tanh(A1 @ x + b1) + b2)
    g4 = lambda x: jnp.sum(jnp.tanh(A @ x) ** 2)
    f5 = lambda v, M: M @ v
    j3, h4, j5 = jax.jit(jax.jacrev(f3)), jax.jit(jax.hessian(g4)), jax.jit(jax.jacrev(f5, argnums=1))
    return {"W3": {"jax.jit(jacrev)": lambda: j3(x3).block_until_ready()},
            "W4": {"jax.jit(hessian)": lambda: h4(x4).block_until_ready()},
            "W5": {"jax.jit(jacrev)": lambda: j5(v, M).block_until_ready()}}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--only", default="W3,W4,W5")
    args = ap.parse_args(argv)
    d = data()
    groups = [pyjac_candidates(d)]
    for name, make in (("torch", torch_candidates), ("hips-autograd", hips_candidates), ("jax", jax_candidates)):
        c = optional(name, lambda make=make: make(d))
        if c:
            groups.append(c)
    out = {}
    for w in args.only.split(","):
        cands = {}
        for g in groups:
            cands.update(g.get(w, {}))
        times, results = time_candidates(cands, args.repeats, min_time=0.02)
        out[w] = report(f"{w}: {__doc__.split(chr(10))[[2, 3, 4][int(w[1]) - 3]].split(None, 1)[1]}", times, results)
    return out


if __name__ == "__main__":
    main()
