"""The 1-2-2-1 tanh network of the Jacobian examples, built from pj.nn.Linear and trained with Adam.

Run:  python examples/train_tanh_network.py

It fits y = sin(2x) on [-1, 1] (a small regression), and prints the Jacobian of each layer
(d layer output / d layer input, at x = 0.5) before and after training: training reshapes them,
and their product is always the whole network's derivative. A progress bar shows when tqdm is
installed. The script checks itself (an AssertionError means something is wrong).
"""

import numpy as np

import pyjac as pj
from pyjac import func

try:
    from tqdm import trange
except ImportError:  # tqdm is optional
    trange = range

np.set_printoptions(precision=4, suppress=True)


def make_network():
    return pj.nn.Sequential(
        pj.nn.Linear(1, 2, dtype=pj.float64),
        pj.nn.Tanh(),
        pj.nn.Linear(2, 2, dtype=pj.float64),
        pj.nn.Tanh(),
        pj.nn.Linear(2, 1, dtype=pj.float64),
    )


def layer_jacobians(net, x0):
    """Each block's Jacobian at the point the network passes through it, from input x0 (1,)."""
    blocks = [pj.nn.Sequential(net[0], net[1]), pj.nn.Sequential(net[2], net[3]), net[4]]
    jacobians, h = [], x0
    for block in blocks:
        jacobians.append(func.jacrev(lambda v, block=block: block(v))(h).detach().numpy())
        with pj.no_grad():
            h = block(h)
    return jacobians


def report(net, x0, title):
    print(title)
    js = layer_jacobians(net, x0)
    for i, j in enumerate(js, 1):
        print(f"  J{i} (shape {j.shape}):")
        print("    " + np.array2string(j, prefix="    "))
    chain = js[2] @ js[1] @ js[0]
    whole = func.jacrev(lambda v: net(v))(x0).detach().numpy()
    print(f"  J3 @ J2 @ J1 = {chain.ravel()}, the network's own Jacobian = {whole.ravel()}")
    assert np.allclose(chain, whole, atol=1e-12), "the chain rule through the layers disagrees"
    return chain


def main():
    pj.manual_seed(0)
    net = make_network()
    x = pj.linspace(-1.0, 1.0, 64, dtype=pj.float64).reshape(64, 1)
    y = pj.sin(2.0 * x)
    x0 = pj.tensor([0.5])

    report(net, x0, "before training")
    optimizer = pj.optim.Adam(net.parameters(), lr=0.02)
    loss_fn = pj.nn.MSELoss()
    first = None
    for _ in trange(2000):
        optimizer.zero_grad()
        loss = loss_fn(net(x), y)
        loss.backward()
        optimizer.step()
        if first is None:
            first = loss.item()
    final = loss_fn(net(x), y).item()
    print(f"MSE: {first:.4f} before training, {final:.6f} after 2000 Adam steps")
    chain = report(net, x0, "after training")
    slope = 2.0 * np.cos(2.0 * 0.5)
    print(f"  d/dx sin(2x) at 0.5 = {slope:.4f}; the trained network's slope = {chain.item():.4f}")
    assert final < 0.02 * first and final < 1e-3, "training did not fit the curve"


if __name__ == "__main__":
    main()
