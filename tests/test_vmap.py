"""vmap's semantics (in_axes, out_axes, nesting, chunks, randomness, errors) and its composition
with the other transforms, against per-example loops and, where installed, torch.func and JAX.
Every op under vmap is checked in tests/test_vmap_every_op.py."""

import numpy as np
import pytest
from _helpers import run_readme_section

import pyjac as pj
from pyjac import func

vmap = func.vmap
rng = np.random.default_rng(0)


def loop(f, *xs):
    return np.stack([np.asarray(f(*[x[i] for x in xs])) for i in range(len(xs[0]))])


# ---- in_axes and out_axes ---------------------------------------------------------------------
def test_in_axes_int_none_and_negative():
    x = pj.tensor(rng.normal(size=(4, 3)))
    w = pj.tensor(rng.normal(size=3))
    np.testing.assert_allclose(vmap(lambda a, b: a * b, in_axes=(0, None))(x, w), np.asarray(x) * np.asarray(w))
    np.testing.assert_allclose(vmap(lambda a: a.sum(), in_axes=-1)(x), np.asarray(x).sum(0))
    np.testing.assert_allclose(vmap(lambda a: a.sum(), in_axes=1)(x), np.asarray(x).sum(0))


def test_in_axes_as_a_tree_prefix_of_the_arguments():
    params = {"w": pj.tensor(rng.normal(size=(3, 2))), "b": pj.tensor(rng.normal(size=2))}
    xs = pj.tensor(rng.normal(size=(5, 3)))

    def f(p, x):
        return x @ p["w"] + p["b"]

    want = np.asarray(xs) @ np.asarray(params["w"]) + np.asarray(params["b"])
    np.testing.assert_allclose(vmap(f, in_axes=(None, 0))(params, xs), want)
    np.testing.assert_allclose(vmap(f, in_axes=({"w": None, "b": None}, 0))(params, xs), want)
    bs = pj.tensor(rng.normal(size=(5, 2)))
    got = vmap(f, in_axes=({"w": None, "b": 0}, 0))({"w": params["w"], "b": bs}, xs)
    np.testing.assert_allclose(got, np.asarray(xs) @ np.asarray(params["w"]) + np.asarray(bs))
    with pytest.raises(ValueError, match="in_axes"):
        vmap(f, in_axes=({"w": None}, 0))(params, xs)
    with pytest.raises(ValueError, match="in_axes has 3 entries"):
        vmap(f, in_axes=(None, 0, 0))(params, xs)


def test_out_axes_move_the_batch_axis_and_none_needs_an_unbatched_output():
    x = pj.tensor(rng.normal(size=(4, 3)))
    got = vmap(lambda a: (a * 2, a.sum()), out_axes=(1, 0))(x)
    np.testing.assert_allclose(got[0], (np.asarray(x) * 2).T)
    np.testing.assert_allclose(got[1], np.asarray(x).sum(1))
    const = vmap(lambda a: (a, pj.ones(2)), out_axes=(0, None))(x)
    np.testing.assert_allclose(const[1], np.ones(2))
    with pytest.raises(ValueError, match="out_axes is None"):
        vmap(lambda a: a, out_axes=None)(x)


def test_an_output_that_does_not_depend_on_the_batch_is_broadcast():
    x = pj.tensor(rng.normal(size=(4, 3)))
    np.testing.assert_allclose(vmap(lambda a: pj.ones(2))(x), np.ones((4, 2)))


def test_nested_vmaps_map_two_axes_independently():
    x = pj.tensor(rng.normal(size=(3, 4, 5)))
    y = pj.tensor(rng.normal(size=(4, 5)))
    got = vmap(vmap(lambda a, b: (a * b).sum()), in_axes=(0, None))(x, y)
    np.testing.assert_allclose(got, (np.asarray(x) * np.asarray(y)).sum(-1))
    got = vmap(vmap(lambda a: a.sum(), in_axes=1), in_axes=2)(x)  # outer over axis 2, inner over axis 1
    np.testing.assert_allclose(got, np.asarray(x).sum(0).T)


def test_chunk_size_gives_the_same_result():
    x = pj.tensor(rng.normal(size=(10, 3)))
    f = lambda a: (pj.sin(a) @ pj.ones((3, 2)), a.max())  # noqa: E731
    whole, parts = vmap(f)(x), vmap(f, chunk_size=3)(x)
    for a, b in zip(whole, parts):
        np.testing.assert_allclose(a, b)


def test_axis_size_when_nothing_is_mapped():
    out = vmap(lambda: pj.ones(2), axis_size=3, in_axes=())()
    np.testing.assert_allclose(out, np.ones((3, 2)))
    with pytest.raises(ValueError, match="axis_size"):
        vmap(lambda w: w, in_axes=None)(pj.ones(2))


# ---- randomness -------------------------------------------------------------------------------
def test_randomness_error_same_different():
    x = pj.zeros((4, 3))
    with pytest.raises(RuntimeError, match="randomness"):
        vmap(lambda a: a + pj.rand(3))(x)
    same = np.asarray(vmap(lambda a: a + pj.rand(3), randomness="same")(x))
    assert np.all(same == same[0])
    different = np.asarray(vmap(lambda a: a + pj.randn(3), randomness="different")(x))
    assert len({tuple(r) for r in different}) == 4
    drop = np.asarray(vmap(lambda a: pj.nn.functional.dropout(a + 1, 0.5), randomness="different")(pj.zeros((50, 8))))
    assert set(np.unique(drop)) <= {0.0, 2.0}
    assert len({tuple(r) for r in drop}) > 1


# ---- errors -----------------------------------------------------------------------------------
def test_errors_name_what_cannot_be_batched():
    x = pj.tensor(rng.normal(size=(4, 3)))
    with pytest.raises(ValueError, match="different sizes"):
        vmap(lambda a, b: a + b)(x, pj.ones((5, 3)))
    with pytest.raises(ValueError, match="out of range"):
        vmap(lambda a: a, in_axes=2)(x)
    with pytest.raises(RuntimeError, match="item"):
        vmap(lambda a: a.sum().item())(x)
    with pytest.raises(RuntimeError, match="bool"):
        vmap(lambda a: a if a.sum() > 0 else -a)(x)
    with pytest.raises(ValueError, match="nonzero"):
        vmap(lambda a: pj.nonzero(a))(x)
    with pytest.raises(RuntimeError, match="backward"):
        vmap(lambda a: a.sum().backward())(pj.tensor(rng.normal(size=(4, 3)), requires_grad=True))
    kept = []
    vmap(lambda a: kept.append(a) or a)(x)
    with pytest.raises(RuntimeError, match="outside the vmap"):
        pj.exp(kept[0]) + pj.ones(())


def test_pyjac_autograd_grad_inside_vmap_refuses_an_unbatched_input():
    w = pj.tensor(rng.normal(size=3), requires_grad=True)
    with pytest.raises(RuntimeError, match="not batched"):
        vmap(lambda a: pj.grad((a * w).sum(), w))(pj.tensor(rng.normal(size=(4, 3))))


# ---- in-place ops on mapped tensors -------------------------------------------------------------
def test_in_place_ops_write_the_examples():
    x = pj.tensor(rng.normal(size=(4, 3)))
    base = np.asarray(x).copy()

    def f(a):
        a = a * 1.0
        a += pj.arange(3.0)
        a[0] = 7.0
        a.clip_(-1.0, 1.0) if hasattr(a, "clip_") else None
        return a

    want = base + np.arange(3.0)
    want[:, 0] = 7.0
    if hasattr(pj.ones(1), "clip_"):
        want = np.clip(want, -1, 1)
    np.testing.assert_allclose(vmap(f)(x), want)
    with pytest.raises(ValueError, match="not batched"):
        vmap(lambda a, b: b.add_(a), in_axes=(0, None))(x, pj.ones(3))


# ---- compositions -------------------------------------------------------------------------------
W = pj.tensor(rng.normal(size=(3, 4)))


def net(x):
    return pj.tanh(x @ W)


def scalar(x):
    return (pj.sin(x) ** 2).sum() + (x[0] * x[1])


@pytest.mark.parametrize(
    "name,make",
    [
        ("vmap(grad)", lambda: vmap(func.grad(scalar))),
        ("vmap(jacrev)", lambda: vmap(func.jacrev(net))),
        ("vmap(jacfwd)", lambda: vmap(func.jacfwd(net))),
        ("vmap(hessian)", lambda: vmap(func.hessian(scalar))),
        ("vmap(vmap)", lambda: vmap(vmap(lambda v: pj.sin(v) * 2))),
    ],
)
def test_vmap_of_a_transform_equals_the_loop(name, make):
    x = pj.tensor(rng.normal(size=(5, 3)))
    inner = {
        "vmap(grad)": func.grad(scalar),
        "vmap(jacrev)": func.jacrev(net),
        "vmap(jacfwd)": func.jacrev(net),
        "vmap(hessian)": func.hessian(scalar),
        "vmap(vmap)": lambda v: pj.sin(v) * 2,
    }[name]
    np.testing.assert_allclose(make()(x), loop(inner, x), rtol=1e-12, atol=1e-14)


def test_transforms_of_vmap():
    x = pj.tensor(rng.normal(size=(5, 3)))
    np.testing.assert_allclose(func.jacrev(vmap(net))(x), func.jacrev(net)(x), atol=1e-14)
    np.testing.assert_allclose(
        func.grad(lambda a: vmap(scalar)(a).sum())(x), loop(func.grad(scalar), x), rtol=1e-12, atol=1e-14
    )


def test_vmap_of_vjp_and_jvp():
    x, cts, ts = (pj.tensor(rng.normal(size=s)) for s in [(5, 3), (5, 4), (5, 3)])
    got = vmap(lambda a, c: func.vjp(net, a)[1](c)[0])(x, cts)
    np.testing.assert_allclose(got, loop(lambda a, c: func.vjp(net, a)[1](c)[0], x, cts), atol=1e-14)
    got = vmap(lambda a, t: func.jvp(net, (a,), (t,))[1])(x, ts)
    np.testing.assert_allclose(got, loop(lambda a, t: func.jvp(net, (a,), (t,))[1], x, ts), atol=1e-14)
    # Batched cotangents and tangents at a fixed point: the rows of the Jacobian, one sweep each.
    x0 = x[0]
    (rows,) = vmap(func.vjp(net, x0)[1])(pj.eye(4))
    np.testing.assert_allclose(rows, func.jacrev(net)(x0), atol=1e-14)
    _, cols = vmap(lambda t: func.jvp(net, (x0,), (t,)))(pj.eye(3))
    np.testing.assert_allclose(np.asarray(cols).T, func.jacrev(net)(x0), atol=1e-14)


def test_per_sample_gradients_of_an_nn_model():
    model = pj.nn.Sequential(pj.nn.Linear(3, 8), pj.nn.Tanh(), pj.nn.Linear(8, 2))
    params = {k: v.detach() for k, v in model.named_parameters()}
    x = pj.tensor(rng.normal(size=(6, 3)))
    y = pj.tensor(rng.integers(0, 2, size=6))

    def loss(p, xi, yi):
        logits = func.functional_call(model, p, (xi[None],))
        return pj.nn.functional.cross_entropy(logits, yi[None])

    grads = vmap(func.grad(loss), in_axes=(None, 0, 0))(params, x, y)
    for i in range(6):
        want = func.grad(loss)(params, x[i], y[i])
        for k in params:
            np.testing.assert_allclose(grads[k][i], want[k], rtol=1e-12, atol=1e-14)


def test_torch_func_parity():
    torch = pytest.importorskip("torch")
    x = rng.normal(size=(5, 3))
    w = rng.normal(size=(3, 4))

    def tnet(a):
        return torch.tanh(a @ torch.tensor(w))

    def pnet(a):
        return pj.tanh(a @ pj.tensor(w))

    tx = torch.tensor(x)
    cases = [
        (torch.func.vmap(torch.func.jacrev(tnet)), vmap(func.jacrev(pnet))),
        (torch.func.vmap(torch.func.grad(lambda a: tnet(a).sum())), vmap(func.grad(lambda a: pnet(a).sum()))),
        (
            torch.func.vmap(torch.func.hessian(lambda a: tnet(a).sum())),
            vmap(func.hessian(lambda a: pnet(a).sum())),
        ),
        (torch.func.jacrev(torch.func.vmap(tnet)), func.jacrev(vmap(pnet))),
    ]
    for t, p in cases:
        np.testing.assert_allclose(np.asarray(p(pj.tensor(x))), t(tx).numpy(), rtol=1e-12, atol=1e-14)


def test_jax_parity():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    x = rng.normal(size=(5, 3))
    w = rng.normal(size=(3, 4))
    got = vmap(func.jacrev(lambda a: pj.tanh(a @ pj.tensor(w))))(pj.tensor(x))
    want = jax.vmap(jax.jacrev(lambda a: jnp.tanh(a @ w)))(x)
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-12, atol=1e-14)
    got = vmap(lambda a, b: (a * b).sum(), in_axes=(0, None))(pj.tensor(x), pj.tensor(x[0]))
    np.testing.assert_allclose(np.asarray(got), jax.vmap(lambda a, b: (a * b).sum(), in_axes=(0, None))(x, x[0]))


def test_the_readme_vmap_section_runs():
    run_readme_section("vmap")


def test_a_custom_function_under_vmap():
    class Cube(pj.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x**2 * g

    x = pj.tensor(rng.normal(size=(4, 3)))
    np.testing.assert_allclose(vmap(Cube.apply)(x), np.asarray(x) ** 3)
    calls = []
    Cube.backward = staticmethod(lambda ctx, g, f=Cube.backward: calls.append(g.shape) or f(ctx, g))
    np.testing.assert_allclose(vmap(func.grad(lambda v: Cube.apply(v).sum()))(x), 3 * np.asarray(x) ** 2)
    assert calls == [(3,)]  # once for the whole batch, seeing one example's shape
    np.testing.assert_allclose(func.grad(lambda v: vmap(Cube.apply)(v).sum())(x), 3 * np.asarray(x) ** 2)
    np.testing.assert_allclose(
        vmap(func.hessian(lambda v: Cube.apply(v).sum()))(x), [np.diag(6 * r) for r in np.asarray(x)]
    )


def test_an_axis_out_of_range_for_the_example_raises_under_vmap():
    # Out of range for one example, yet a dim of the batched physical tensor: must not slip through.
    x = pj.tensor(rng.normal(size=(4, 2, 3)))
    for op in (lambda a: a.sum(axis=2), lambda a: pj.nn.functional.softmax(a, axis=-3), lambda a: pj.cumsum(a, axis=2)):
        with pytest.raises(ValueError, match="out of bounds"):
            vmap(op)(x)


@pytest.mark.parametrize(
    "index",
    [
        lambda a, i: a[i],
        lambda a, i: a[:, i],  # the arrays' block after a slice: back in its place
        lambda a, i: a[i, :, i],  # arrays separated by a slice: the block first, as NumPy
        lambda a, i: a[..., i, 1],
        lambda a, i: a[None, i],
        lambda a, i: pj.take_along_axis(a, pj.broadcast_to(i[None, :, None], (5, 3, 5)), axis=1),
    ],
)
def test_indexing_with_mapped_index_arrays(index):
    xs = pj.tensor(rng.normal(size=(4, 5, 5, 5)), requires_grad=True)
    idx = pj.tensor(rng.integers(0, 5, size=(4, 3)))
    got = vmap(index)(xs, idx)
    np.testing.assert_array_equal(got.detach(), loop(lambda a, i: index(a, i).detach(), xs, idx))
    (g,) = pj.grad(got.sum(), xs)
    want = np.stack([np.asarray(pj.grad(index(xs[b], idx[b]).sum(), xs)[0])[b] for b in range(4)])
    np.testing.assert_array_equal(np.asarray(g), want)
    # an unmapped tensor indexed by mapped indices
    base = pj.tensor(rng.normal(size=(5, 5, 5)))
    np.testing.assert_array_equal(vmap(lambda i: index(base, i))(idx), loop(lambda i: index(base, i), idx))


def test_repr_of_a_batched_tensor_shows_the_example_shape_and_the_batch():
    seen = []
    vmap(lambda a: seen.append(repr(a)) or a)(pj.zeros((2, 3)))
    assert seen[0].startswith("BatchedTensor(shape=(3,), levels=[")
    assert "tensor([[0., 0., 0.]," in seen[0]


@pytest.mark.parametrize(
    "index",
    [lambda i: (i,), lambda i: (slice(None), i), lambda i: (i, slice(None), i)],
    ids=["front", "after-a-slice", "separated"],
)
def test_assignment_with_mapped_index_arrays(index):
    xs = pj.tensor(rng.normal(size=(4, 5, 5, 5)), requires_grad=True)
    vs = pj.tensor(rng.normal(size=(4, 5)), requires_grad=True)  # broadcast over each region
    idx = pj.tensor(rng.integers(0, 5, size=(4, 2)))

    def put(a, i, v):
        return pj._core.index_put(a, index(i), v)

    got = vmap(put)(xs, idx, vs)
    np.testing.assert_array_equal(got.detach(), loop(lambda a, i, v: put(a, i, v).detach(), xs, idx, vs))
    gx, gv = pj.grad((got * got).sum(), [xs, vs])
    for b in range(4):
        wx, wv = pj.grad((put(xs[b], idx[b], vs[b]) ** 2).sum(), [xs, vs])
        np.testing.assert_allclose(np.asarray(gx)[b], np.asarray(wx)[b], rtol=1e-14)
        np.testing.assert_allclose(np.asarray(gv)[b], np.asarray(wv)[b], rtol=1e-14)


def test_assignment_of_mapped_values_shaped_like_the_region_after_a_slice():
    xs = pj.tensor(rng.normal(size=(4, 5, 5, 5)))
    idx = pj.tensor(rng.integers(0, 5, size=(4, 2)))
    vs = pj.tensor(rng.normal(size=(4, 5, 2, 5)))  # x[:, i] of one example is (5, 2, 5)

    def put(a, i, v):
        return pj._core.index_put(a, (slice(None), i), v)

    np.testing.assert_array_equal(vmap(put)(xs, idx, vs), loop(put, xs, idx, vs))
    np.testing.assert_array_equal(
        vmap(put, in_axes=(None, 0, 0))(xs[0], idx, vs), loop(lambda i, v: put(xs[0], i, v), idx, vs)
    )
