"""`python -m pyjac`: the worked examples, printed."""

import numpy as np

import pyjac as pj


def main():
    np.set_printoptions(precision=4, suppress=True)
    print(f"pyjac {pj.__version__}: reverse-mode autodiff with a C++ core\n")

    x = pj.tensor([2.0, 3.0], requires_grad=True)
    y = x**2
    rows = [pj.grad(y, x, grad_outputs=e, retain_graph=True, create_graph=True)[0] for e in pj.eye(2)]
    print("Jacobian of x**2 at [2, 3], row by row:", [r.tolist() for r in rows])

    G = pj.eye(2)
    (J,) = pj.grad(y, x, grad_outputs=G, is_grads_batched=True)
    print("the same Jacobian in one batched sweep:  ", J.tolist())

    t = pj.tensor(0.5, requires_grad=True)
    (d1,) = pj.grad(pj.sin(t), t, create_graph=True)
    (d2,) = pj.grad(d1, t)
    print(f"d2/dt2 sin(t) at 0.5 = {d2.item():.6f}  (-sin(0.5) = {-np.sin(0.5):.6f})")

    z = pj.tensor(1.5, requires_grad=True)
    d = z**4
    for _ in range(3):
        (d,) = pj.grad(d, z, create_graph=True)
    print(f"third derivative of z**4 at 1.5 = {d.item():g}  (24 z = {24 * 1.5:g})")

    x = pj.arange(4.0, requires_grad=True)
    (2 * pj.dot(x, x)).backward()
    print("x =", x.tolist(), " grad of 2 x.x =", x.grad.tolist())
    x.grad.zero_()
    x.sum().backward()
    print("after zero_(), grad of sum(x) =", x.grad.tolist())

    a = pj.tensor([0.3, -0.2, 0.5], requires_grad=True)
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    c = b if b.sum() > 0 else 100 * b
    c.backward(pj.ones(3))
    print("control flow: a.grad =", a.grad.tolist(), " c / a =", (c / a).tolist())

    s = pj.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    pj.abs(s).sum().backward()
    print("abs'(-1, 0, 2) =", s.grad.tolist(), "(subgradient 0 at 0)")


if __name__ == "__main__":
    main()
