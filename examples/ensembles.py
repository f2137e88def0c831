"""An ensemble of pj.nn models evaluated (and differentiated) in one batched call: the models'
parameters stacked with stack_module_state, the call mapped over them with vmap.

    python examples/ensembles.py
"""

import numpy as np

import pyjac as pj
from pyjac.func import functional_call, grad, stack_module_state, vmap


def main():
    pj.manual_seed(0)
    models = [pj.nn.Sequential(pj.nn.Linear(4, 16), pj.nn.Tanh(), pj.nn.Linear(16, 1)) for _ in range(5)]
    params, buffers = stack_module_state(models)  # each parameter with a leading axis of 5
    base = models[0]
    x = pj.tensor(np.random.default_rng(0).normal(size=(8, 4)))

    def predict(p, b, data):
        return functional_call(base, (p, b), (data,))

    # Every model on the same data: in_axes maps the parameters, not the data.
    outs = vmap(predict, in_axes=(0, 0, None))(params, buffers, x)  # (5, 8, 1)
    for i, m in enumerate(models):
        assert np.allclose(np.asarray(outs[i]), np.asarray(m(x)), rtol=1e-12, atol=1e-14)
    print("ensemble outputs", tuple(outs.shape), "match the models called one by one")

    # Every model's gradient of its own loss, also in one call.
    target = pj.tensor(np.sin(np.asarray(x).sum(axis=1, keepdims=True)))

    def loss(p, b):
        return pj.mean((predict(p, b, x) - target) ** 2)

    grads = vmap(grad(loss), in_axes=(0, 0))(params, buffers)
    for i, m in enumerate(models):
        one = {k: v.detach() for k, v in m.named_parameters()}
        want = grad(lambda p, m=m: pj.mean((functional_call(m, p, (x,)) - target) ** 2))(one)
        for k in one:
            assert np.allclose(np.asarray(grads[k][i]), np.asarray(want[k]), rtol=1e-10, atol=1e-12), k
    print(
        "per-model gradients of",
        len(grads),
        "parameters match;",
        "spread of the 5 losses:",
        np.round(np.asarray(vmap(loss)(params, buffers)), 4),
    )


if __name__ == "__main__":
    main()
