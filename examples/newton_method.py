"""Newton's method on the 4-D Rosenbrock function with pyjac's exact gradient and Hessian.

Each step solves H(x) dx = -grad f(x) (with a backtracking line search while far from the
minimum). Near the minimum x* = (1, 1, 1, 1) the full step is taken and the error squares from
one iteration to the next: the printed ratio |e_{k+1}| / |e_k|^2 settles to a constant.

    python examples/newton_method.py
"""

import numpy as np

import pyjac as pj
from pyjac import func


def rosenbrock(x):
    return pj.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def newton(f, x0, tol=1e-12, max_iter=50):
    gradient = func.grad(f)
    x = np.asarray(x0, dtype=np.float64)
    x_star = np.ones_like(x)
    errors = [np.linalg.norm(x - x_star)]
    print(f"{'k':>2} {'f(x)':>12} {'|grad f|':>10} {'|x - x*|':>10} {'|e_k+1|/|e_k|^2':>16} {'step':>5}")
    for k in range(max_iter):
        fx = f(pj.tensor(x)).item()
        g = gradient(x).numpy()
        H = pj.hessian(f, pj.tensor(x)).numpy()
        ratio = errors[-1] / errors[-2] ** 2 if len(errors) > 1 and errors[-2] > 0 else float("nan")
        print(f"{k:2d} {fx:12.4e} {np.linalg.norm(g):10.3e} {errors[-1]:10.3e} {ratio:16.4f}", end="")
        if np.linalg.norm(g) < tol:
            print()
            return x, errors
        dx = np.linalg.solve(H, -g)
        if g @ dx >= 0:  # not a descent direction (H not positive definite here): go downhill instead
            dx = -g
        t = 1.0
        while f(pj.tensor(x + t * dx)).item() > fx + 1e-4 * t * (g @ dx):
            t *= 0.5
        print(f" {t:5.3g}")
        x = x + t * dx
        errors.append(np.linalg.norm(x - x_star))
    raise RuntimeError("Newton's method did not converge")


if __name__ == "__main__":
    x, errors = newton(rosenbrock, [2.0, 2.0, 2.0, 2.0])
    print(f"minimum at {np.array2string(x, precision=12)} after {len(errors) - 1} iterations")
    assert np.allclose(x, 1.0, atol=1e-12), x
    # Quadratic convergence: once close, each error is at most a constant times the previous one squared.
    close = [(e0, e1) for e0, e1 in zip(errors, errors[1:]) if e0 < 1e-2 and e1 > 0]
    assert len(close) >= 2 and all(e1 <= 10 * e0**2 for e0, e1 in close), close
    print(f"quadratic convergence: |e_k+1| <= 10 |e_k|^2 over the last {len(close)} steps")
