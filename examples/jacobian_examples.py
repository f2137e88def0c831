"""Worked examples for pyjac's Jacobians, Hessians and forward mode.

Run:  python examples/jacobian_examples.py

Each example prints its result and checks it (an AssertionError means pyjac got it wrong).
"""

import numpy as np

import pyjac as pj
from pyjac import func

np.set_printoptions(precision=6, suppress=True)


def section(title):
    print()
    print(title)
    print("-" * len(title))


def check(got, expected, tol=1e-12, what=""):
    got = got.numpy() if isinstance(got, pj.Tensor) else np.asarray(got)
    expected = expected.numpy() if isinstance(expected, pj.Tensor) else np.asarray(expected)
    assert got.shape == expected.shape, f"{what}: shape {got.shape} != {expected.shape}"
    err = float(np.max(np.abs(got - expected))) if got.size else 0.0
    assert err <= tol * max(1.0, float(np.max(np.abs(expected))) if expected.size else 1.0), (
        f"{what}: max abs error {err:.3g}"
    )
    print(f"  ok: {what} (max abs error {err:.2g})")


def finite_difference_jacobian(f, x, eps=1e-6):
    """Central differences in float64: shaped f(x).shape + x.shape."""
    x = np.array(x, dtype=np.float64)
    y0 = f(pj.tensor(x)).numpy()
    J = np.zeros(y0.shape + x.shape)
    for idx in np.ndindex(*x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += eps
        xm[idx] -= eps
        J[(Ellipsis,) + idx] = (f(pj.tensor(xp)).numpy() - f(pj.tensor(xm)).numpy()) / (2 * eps)
    return J


# ---- 1. f(v, M) = M @ v ----------------------------------------------------------------------------------
section("1. f(v, M) = M @ v, with v of shape (3,) and M of shape (3, 3)")


def f(v, M):
    return M @ v


v = pj.tensor([1.0, 2.0, 3.0])
M = pj.tensor([[1.0, -1.0, 0.5], [0.0, 2.0, 1.0], [3.0, 0.0, -2.0]])

J_v = func.jacobian(f)(v, M)
print("pyjac.func.jacobian(f)(v, M)  -- d f / d v:")
print(J_v)
check(J_v, M, what="d(M v)/dv equals M")

J_M = func.jacobian(f, 1)(v, M)
print("pyjac.func.jacobian(f, 1)(v, M)  -- d f / d M, shape", J_M.shape)
print(J_M)
expected = np.zeros((3, 3, 3))
for i in range(3):
    expected[i, i, :] = v.numpy()
check(J_M, expected, what="J[i, i, :] = v and zeros elsewhere")

J_both = func.jacobian(f, (0, 1))(v, M)
check(J_both[0], M, what="argnums=(0, 1): first block")
check(J_both[1], expected, what="argnums=(0, 1): second block")
pair = pj.jacobian(f, (v, M))
check(pair[0], J_both[0], what="pj.jacobian(f, (v, M))[0]")
check(pair[1], J_both[1], what="pj.jacobian(f, (v, M))[1]")

# ---- 2. a 1 -> 2 -> 2 -> 1 network, layer by layer ------------------------------------------------------------
section("2. A 1 -> 2 -> 2 -> 1 network: the chain rule from per-layer Jacobians")
rng = np.random.default_rng(0)
W1, b1 = pj.tensor(rng.standard_normal((2, 1))), pj.tensor(rng.standard_normal(2))
W2, b2 = pj.tensor(rng.standard_normal((2, 2))), pj.tensor(rng.standard_normal(2))
W3, b3 = pj.tensor(rng.standard_normal(2)), pj.tensor(rng.standard_normal(()))


def layer1(x):  # (1,) -> (2,)
    return pj.tanh(x @ W1.T + b1)


def layer2(h):  # (2,) -> (2,)
    return pj.tanh(h @ W2.T + b2)


def layer3(h):  # (2,) -> ()
    return h @ W3.T + b3


def net(x):
    return layer3(layer2(layer1(x)))


x = pj.tensor([0.3])
h1 = layer1(x)
h2 = layer2(h1)
J1 = pj.jacobian(layer1, x)
J2 = pj.jacobian(layer2, h1)
J3 = pj.jacobian(layer3, h2)
print("J1", J1.shape, "\n", J1)
print("J2", J2.shape, "\n", J2)
print("J3", J3.shape, "\n", J3)
chained = J3.numpy() @ J2.numpy() @ J1.numpy()
print("J3 @ J2 @ J1 =", chained)
whole = pj.jacobian(net, x)
print("pj.jacobian(net, x) =", whole)
check(whole, chained, what="per-layer Jacobians chain to the network's Jacobian")
xg = pj.tensor([0.3], requires_grad=True)
net(xg).backward()
print("x.grad after net(x).backward() =", xg.grad)
check(xg.grad, chained, what="x.grad equals J3 @ J2 @ J1")
check(whole, finite_difference_jacobian(net, [0.3]), tol=1e-7, what="against finite differences")

# ---- 3. Hessians, products -------------------------------------------------------------------------------------
section("3. Hessian by grad of grad, and jvp / vjp / hvp against full matrices")


def g(x):
    return pj.sum(pj.sin(x) * x**2) + x[0] * x[1] * x[2]


x0 = np.array([0.4, -1.2, 0.9])
xt = pj.tensor(x0, requires_grad=True)
(grad_g,) = pj.grad(g(xt), xt, create_graph=True)
H_gg = np.stack([pj.grad(grad_g[i], xt, retain_graph=True)[0].numpy() for i in range(3)])
H = pj.hessian(g, pj.tensor(x0))
print("pj.hessian(g, x) =\n", H)
check(H, H_gg, what="pj.hessian equals grad of grad")
check(func.hessian(g)(x0), H_gg, what="pyjac.func.hessian equals grad of grad")
for name, T in [
    ("jacfwd(jacrev)", func.jacfwd(func.jacrev(g))),
    ("jacrev(jacrev)", func.jacrev(func.jacrev(g))),
    ("jacfwd(jacfwd)", func.jacfwd(func.jacfwd(g))),
    ("jacrev(jacfwd)", func.jacrev(func.jacfwd(g))),
]:
    check(T(x0), H_gg, what=f"{name} gives the Hessian")


def h(x):
    return pj.sin(x) * pj.sum(x**2)


u = np.array([1.0, -2.0, 0.5])
J = pj.jacobian(h, pj.tensor(x0)).numpy()
_, jv = pj.jvp(h, pj.tensor(x0), pj.tensor(u))
check(jv, J @ u, what="jvp equals J @ v")
_, vj = pj.vjp(h, pj.tensor(x0), pj.tensor(u))
check(vj, u @ J, what="vjp equals v @ J")
_, hv = pj.hvp(g, pj.tensor(x0), pj.tensor(u))
check(hv, H.numpy() @ u, what="hvp equals H @ v")
_, vh = pj.vhp(g, pj.tensor(x0), pj.tensor(u))
check(vh, u @ H.numpy(), what="vhp equals v @ H")
check(J, finite_difference_jacobian(h, x0), tol=1e-7, what="the Jacobian against finite differences")

# ---- 4. create_graph=True: a third-order tensor ------------------------------------------------------------------
section("4. create_graph=True: differentiate a Hessian again (third-order tensor)")
T3 = pj.jacobian(lambda y: pj.hessian(g, y, create_graph=True), pj.tensor(x0))
print("d^3 g / dx^3 has shape", T3.shape)
T3_fd = finite_difference_jacobian(lambda y: pj.hessian(g, y), x0, eps=1e-5)
check(T3, T3_fd, tol=1e-6, what="third derivatives against finite differences of the Hessian")
d3 = -np.cos(x0) * x0**2 - 6 * x0 * np.sin(x0) + 6 * np.cos(x0)
check(np.einsum("iii->i", T3.numpy()), d3, tol=1e-10, what="the diagonal by hand")

# ---- 5. strategies and chunks ----------------------------------------------------------------------------------
section("5. Strategies and chunk sizes agree")
A = pj.tensor(rng.standard_normal((6, 4)))


def k(x):
    return pj.tanh(A @ x)


xk = pj.tensor(rng.standard_normal(4))
ref = pj.jacobian(k, xk, strategy="reverse-mode")
for strategy in ("reverse-mode", "forward-mode", "auto"):
    for vectorize in (True, False):
        check(
            pj.jacobian(k, xk, strategy=strategy, vectorize=vectorize),
            ref,
            tol=1e-14,
            what=f"strategy={strategy}, vectorize={vectorize}",
        )
for chunk in (1, 2, 7, None):
    check(pj.jacobian(k, xk, chunk_size=chunk), ref, tol=0.0, what=f"chunk_size={chunk}")

print()
print("all examples passed")
