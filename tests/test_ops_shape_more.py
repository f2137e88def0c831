"""More shape ops with NumPy's signatures: split, array_split, flip, tile, repeat, pad, moveaxis,
swapaxes, ravel, flatten, diagonal, trace, triu, tril, outer, inner, kron.

Values against NumPy (float64, float32 and int64), first and second derivatives against finite
differences, batched cotangents, forward-mode Jacobians against reverse-mode ones, views versus
copies, torch parity where torch is installed, 0-d and empty inputs, and errors.
"""
import numpy as np
import pytest

import pyjac as pj
from _derivative_checks import check_derivatives


def _t(a, requires_grad=False):
    return pj.tensor(np.asarray(a), requires_grad=requires_grad)


def _tuple(fn):
    return lambda *xs: tuple(fn(*xs))


# name, input shapes, pyjac fn, NumPy fn (the same call under NumPy's names)
CASES = [
    ("split-sections", [(2, 6)], _tuple(lambda x: pj.split(x, 3, axis=1)), lambda x: np.split(x, 3, axis=1)),
    ("split-indices", [(7,)], _tuple(lambda x: pj.split(x, [2, 5])), lambda x: np.split(x, [2, 5])),
    ("split-indices-neg-and-past-end", [(6, 2)], _tuple(lambda x: pj.split(x, [-4, 3, 10])),
     lambda x: np.split(x, [-4, 3, 10])),
    ("split-one-section", [(3,)], _tuple(lambda x: pj.split(x, 1)), lambda x: np.split(x, 1)),
    ("array_split-uneven", [(7,)], _tuple(lambda x: pj.array_split(x, 3)), lambda x: np.array_split(x, 3)),
    ("array_split-more-sections-than-items", [(3, 2)], _tuple(lambda x: pj.array_split(x, 5)),
     lambda x: np.array_split(x, 5)),
    ("array_split-axis-neg", [(2, 5)], _tuple(lambda x: pj.array_split(x, 2, axis=-1)),
     lambda x: np.array_split(x, 2, axis=-1)),
    ("flip-all", [(2, 3)], lambda x: pj.flip(x), lambda x: np.flip(x)),
    ("flip-axis0", [(3, 2)], lambda x: pj.flip(x, 0), lambda x: np.flip(x, 0)),
    ("flip-axis-neg", [(2, 3)], lambda x: pj.flip(x, -1), lambda x: np.flip(x, -1)),
    ("flip-tuple", [(2, 2, 3)], lambda x: pj.flip(x, (0, 2)), lambda x: np.flip(x, (0, 2))),
    ("flip-0d", [()], lambda x: pj.flip(x), lambda x: np.flip(x)),
    ("tile-int", [(3,)], lambda x: pj.tile(x, 2), lambda x: np.tile(x, 2)),
    ("tile-more-reps", [(3,)], lambda x: pj.tile(x, (2, 2)), lambda x: np.tile(x, (2, 2))),
    ("tile-fewer-reps", [(2, 3)], lambda x: pj.tile(x, 2), lambda x: np.tile(x, 2)),
    ("tile-3d", [(2, 1, 2)], lambda x: pj.tile(x, (2, 3, 1)), lambda x: np.tile(x, (2, 3, 1))),
    ("tile-zero", [(2, 3)], lambda x: pj.tile(x, (0, 2)), lambda x: np.tile(x, (0, 2))),
    ("tile-0d", [()], lambda x: pj.tile(x, 3), lambda x: np.tile(x, 3)),
    ("repeat-flat", [(2, 3)], lambda x: pj.repeat(x, 2), lambda x: np.repeat(x, 2)),
    ("repeat-axis0", [(2, 3)], lambda x: pj.repeat(x, 3, axis=0), lambda x: np.repeat(x, 3, axis=0)),
    ("repeat-axis-neg", [(2, 3)], lambda x: pj.repeat(x, 2, axis=-1), lambda x: np.repeat(x, 2, axis=-1)),
    ("repeat-per-element", [(3, 2)], lambda x: pj.repeat(x, [1, 0, 3], axis=0),
     lambda x: np.repeat(x, [1, 0, 3], axis=0)),
    ("repeat-per-element-flat", [(2, 2)], lambda x: pj.repeat(x, [2, 1, 0, 2]), lambda x: np.repeat(x, [2, 1, 0, 2])),
    ("repeat-single-list", [(2, 2)], lambda x: pj.repeat(x, [2], axis=1), lambda x: np.repeat(x, [2], axis=1)),
    ("repeat-0d", [()], lambda x: pj.repeat(x, 3), lambda x: np.repeat(x, 3)),
    ("pad-constant-int", [(2, 3)], lambda x: pj.pad(x, 1), lambda x: np.pad(x, 1)),
    ("pad-constant-pairs", [(2, 3)], lambda x: pj.pad(x, ((1, 2), (0, 3)), constant_values=((1.5, 2.5), (3.5, 4.5))),
     lambda x: np.pad(x, ((1, 2), (0, 3)), constant_values=((1.5, 2.5), (3.5, 4.5)))),
    ("pad-constant-one-pair", [(3,)], lambda x: pj.pad(x, (2, 1), constant_values=-1),
     lambda x: np.pad(x, (2, 1), constant_values=-1)),
    ("pad-edge", [(2, 3)], lambda x: pj.pad(x, ((2, 1), (1, 3)), mode="edge"),
     lambda x: np.pad(x, ((2, 1), (1, 3)), mode="edge")),
    ("pad-reflect", [(3, 4)], lambda x: pj.pad(x, ((2, 1), (3, 2)), mode="reflect"),
     lambda x: np.pad(x, ((2, 1), (3, 2)), mode="reflect")),
    ("pad-reflect-wider-than-input", [(3,)], lambda x: pj.pad(x, 5, mode="reflect"),
     lambda x: np.pad(x, 5, mode="reflect")),
    ("pad-symmetric", [(3, 2)], lambda x: pj.pad(x, ((4, 1), (2, 3)), mode="symmetric"),
     lambda x: np.pad(x, ((4, 1), (2, 3)), mode="symmetric")),
    ("pad-wrap", [(3,)], lambda x: pj.pad(x, (4, 5), mode="wrap"), lambda x: np.pad(x, (4, 5), mode="wrap")),
    ("pad-zero-width", [(2, 2)], lambda x: pj.pad(x, 0), lambda x: np.pad(x, 0)),
    ("pad-empty-axis-constant", [(0, 2)], lambda x: pj.pad(x, 1), lambda x: np.pad(x, 1)),
    ("moveaxis", [(2, 3, 4)], lambda x: pj.moveaxis(x, 0, -1), lambda x: np.moveaxis(x, 0, -1)),
    ("moveaxis-many", [(2, 3, 4)], lambda x: pj.moveaxis(x, [0, 1], [-1, 0]), lambda x: np.moveaxis(x, [0, 1], [-1, 0])),
    ("swapaxes", [(2, 3, 4)], lambda x: pj.swapaxes(x, 0, 2), lambda x: np.swapaxes(x, 0, 2)),
    ("swapaxes-neg", [(2, 3)], lambda x: pj.swapaxes(x, -1, 0), lambda x: np.swapaxes(x, -1, 0)),
    ("ravel", [(2, 3)], lambda x: pj.ravel(pj.transpose(x)), lambda x: np.ravel(x.T)),
    ("flatten", [(2, 3)], lambda x: pj.flatten(x), lambda x: x.flatten()),
    ("ravel-0d", [()], lambda x: pj.ravel(x), lambda x: np.ravel(x)),
    ("diagonal", [(3, 3)], lambda x: pj.diagonal(x), lambda x: np.diagonal(x)),
    ("diagonal-rect-offset", [(3, 4)], lambda x: pj.diagonal(x, 1), lambda x: np.diagonal(x, 1)),
    ("diagonal-neg-offset", [(4, 3)], lambda x: pj.diagonal(x, -2), lambda x: np.diagonal(x, -2)),
    ("diagonal-axes", [(3, 2, 4)], lambda x: pj.diagonal(x, 1, 2, 0), lambda x: np.diagonal(x, 1, 2, 0)),
    ("diagonal-neg-axes", [(2, 3, 3)], lambda x: pj.diagonal(x, 0, -2, -1), lambda x: np.diagonal(x, 0, -2, -1)),
    ("diagonal-offset-past-end", [(2, 3)], lambda x: pj.diagonal(x, 5), lambda x: np.diagonal(x, 5)),
    ("trace", [(3, 3)], lambda x: pj.trace(x), lambda x: np.trace(x)),
    ("trace-offset", [(3, 4)], lambda x: pj.trace(x, -1), lambda x: np.trace(x, -1)),
    ("trace-axes", [(2, 3, 3)], lambda x: pj.trace(x, 0, 1, 2), lambda x: np.trace(x, 0, 1, 2)),
    ("triu", [(3, 4)], lambda x: pj.triu(x), lambda x: np.triu(x)),
    ("triu-k", [(4, 3)], lambda x: pj.triu(x, 1), lambda x: np.triu(x, 1)),
    ("triu-batched", [(2, 3, 3)], lambda x: pj.triu(x, -1), lambda x: np.triu(x, -1)),
    ("triu-1d", [(3,)], lambda x: pj.triu(x), lambda x: np.triu(x)),
    ("tril", [(3, 4)], lambda x: pj.tril(x), lambda x: np.tril(x)),
    ("tril-k", [(3, 3)], lambda x: pj.tril(x, -1), lambda x: np.tril(x, -1)),
    ("tril-batched", [(2, 2, 3)], lambda x: pj.tril(x, 1), lambda x: np.tril(x, 1)),
    ("outer", [(3,), (4,)], lambda a, b: pj.outer(a, b), lambda a, b: np.outer(a, b)),
    ("outer-nd", [(2, 2), (3,)], lambda a, b: pj.outer(a, b), lambda a, b: np.outer(a, b)),
    ("outer-0d", [(), (2,)], lambda a, b: pj.outer(a, b), lambda a, b: np.outer(a, b)),
    ("inner-1d", [(3,), (3,)], lambda a, b: pj.inner(a, b), lambda a, b: np.inner(a, b)),
    ("inner-nd", [(2, 3), (2, 2, 3)], lambda a, b: pj.inner(a, b), lambda a, b: np.inner(a, b)),
    ("inner-0d", [(), (2, 3)], lambda a, b: pj.inner(a, b), lambda a, b: np.inner(a, b)),
    ("kron-1d", [(2,), (3,)], lambda a, b: pj.kron(a, b), lambda a, b: np.kron(a, b)),
    ("kron-2d", [(2, 2), (2, 3)], lambda a, b: pj.kron(a, b), lambda a, b: np.kron(a, b)),
    ("kron-mixed-ndim", [(2, 3), (2,)], lambda a, b: pj.kron(a, b), lambda a, b: np.kron(a, b)),
    ("kron-0d", [(), (2, 2)], lambda a, b: pj.kron(a, b), lambda a, b: np.kron(a, b)),
    # empty inputs
    ("split-empty", [(0, 2)], _tuple(lambda x: pj.split(x, 2)), lambda x: np.split(x, 2)),
    ("flip-empty", [(0, 3)], lambda x: pj.flip(x), lambda x: np.flip(x)),
    ("tile-empty", [(0, 2)], lambda x: pj.tile(x, (2, 2)), lambda x: np.tile(x, (2, 2))),
    ("repeat-empty", [(0, 3)], lambda x: pj.repeat(x, 2, axis=0), lambda x: np.repeat(x, 2, axis=0)),
    ("diagonal-empty", [(0, 3)], lambda x: pj.diagonal(x), lambda x: np.diagonal(x)),
    ("trace-empty", [(0, 3)], lambda x: pj.trace(x), lambda x: np.trace(x)),
    ("triu-empty", [(0, 0)], lambda x: pj.triu(x), lambda x: np.triu(x)),
    ("outer-empty", [(0,), (3,)], lambda a, b: pj.outer(a, b), lambda a, b: np.outer(a, b)),
    ("inner-empty-contraction", [(2, 0), (3, 0)], lambda a, b: pj.inner(a, b), lambda a, b: np.inner(a, b)),
    ("kron-empty", [(0, 2), (2,)], lambda a, b: pj.kron(a, b), lambda a, b: np.kron(a, b)),
]
IDS = [c[0] for c in CASES]


def _inputs(rng, shapes, dtype=np.float64):
    if dtype == np.int64:
        return [rng.integers(-5, 5, size=s) for s in shapes]
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


def _compare(got, expected, exact=True):
    if isinstance(expected, (list, tuple)):
        got = tuple(got)
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            _compare(g, e, exact)
        return
    expected = np.asarray(expected)
    assert isinstance(got, pj.Tensor)
    assert got.shape == expected.shape
    assert got.dtype == expected.dtype, (got.dtype, expected.dtype)
    if exact:
        np.testing.assert_array_equal(got.numpy(), expected)
    else:
        tol = 1e-5 if expected.dtype == np.float32 else 1e-12
        np.testing.assert_allclose(got.numpy(), expected, rtol=tol, atol=tol)


# inner/outer/kron/trace add or multiply: float rounding may differ from NumPy's order by an ulp.
INEXACT = ("inner", "trace", "kron", "outer")


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64], ids=["f64", "f32", "i64"])
@pytest.mark.parametrize("name,shapes,fn,ref", CASES, ids=IDS)
def test_values(name, shapes, fn, ref, dtype, rng):
    arrays = _inputs(rng, shapes, dtype)
    _compare(fn(*[_t(a) for a in arrays]), ref(*arrays), exact=not name.startswith(INEXACT) or dtype == np.int64)


# Finite differences need one forward pass per input element: keep the inputs small.
GRAD_CASES = [c for c in CASES if 0 < sum(int(np.prod(s)) for s in c[1]) <= 16]


@pytest.mark.parametrize("name,shapes,fn,ref", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_derivatives(name, shapes, fn, ref, rng):
    check_derivatives(fn, _inputs(rng, shapes))


@pytest.mark.parametrize("name,shapes,fn,ref", CASES, ids=IDS)
def test_batched_cotangents(name, shapes, fn, ref, rng, batched_check):
    if "split" in name:  # several outputs: check them as one
        pieces = fn
        fn = lambda *xs: pj.concatenate([pj.ravel(p) for p in pieces(*xs)])  # noqa: E731
    gs = batched_check(fn, _inputs(rng, shapes), k=3)
    for g, s in zip(gs, shapes):
        assert g.shape == (3,) + tuple(s)


def test_repeat_gradient_accumulates():
    x = _t(np.array([1.0, 2.0, 3.0]), True)
    (g,) = pj.grad(pj.sum(pj.repeat(x, [3, 0, 2])), x)
    np.testing.assert_array_equal(g.numpy(), [3.0, 0.0, 2.0])
    (g,) = pj.grad(pj.sum(pj.tile(x, (2, 2))), x)
    np.testing.assert_array_equal(g.numpy(), [4.0, 4.0, 4.0])


def test_pad_gradient_is_the_interior_or_the_reflections(rng):
    x = _t(rng.standard_normal((3, 4)), True)
    (g,) = pj.grad(pj.sum(pj.pad(x, ((1, 2), (3, 0)), constant_values=7.0)), x)
    np.testing.assert_array_equal(g.numpy(), np.ones((3, 4)))
    x1 = _t(np.array([1.0, 2.0, 3.0]), True)
    (g,) = pj.grad(pj.sum(pj.pad(x1, 2, mode="reflect")), x1)  # [3 2 1 2 3 2 1]
    np.testing.assert_array_equal(g.numpy(), [2.0, 3.0, 2.0])


def test_trace_gradient_is_identity(rng):
    x = _t(rng.standard_normal((3, 4)), True)
    (g,) = pj.grad(pj.trace(x, 1), x)
    np.testing.assert_array_equal(g.numpy(), np.eye(3, 4, 1))


def test_triu_gradient_masks_and_ignores_nan():
    a = np.full((3, 3), np.nan)
    np.fill_diagonal(a, 1.0)
    x = _t(a, True)
    out = pj.triu(pj.tril(x))
    np.testing.assert_array_equal(out.detach().numpy(), np.eye(3))
    (g,) = pj.grad(pj.sum(out), x)
    np.testing.assert_array_equal(g.numpy(), np.eye(3))


# ---- views and copies ----------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [
    lambda x: pj.diagonal(x), lambda x: pj.swapaxes(x, 0, 1), lambda x: pj.moveaxis(x, 0, 1),
    lambda x: pj.flip(x, 0), lambda x: pj.ravel(x), lambda x: pj.split(x, 3)[1],
], ids=["diagonal", "swapaxes", "moveaxis", "flip", "ravel", "split"])
def test_views_share_storage(fn):
    x = _t(np.arange(9.0).reshape(3, 3))
    v = fn(x)
    np.shares_memory(v.numpy(), x.numpy())
    assert np.shares_memory(v.numpy(), x.numpy())


@pytest.mark.parametrize("fn", [
    lambda x: pj.flatten(x), lambda x: pj.tile(x, 1), lambda x: pj.repeat(x, 1, axis=0), lambda x: pj.pad(x, 0),
], ids=["flatten", "tile", "repeat", "pad"])
def test_copies_dont_share_storage(fn):
    x = _t(np.arange(6.0).reshape(2, 3))
    assert not np.shares_memory(fn(x).numpy(), x.numpy())


def test_diagonal_of_a_view_keeps_its_geometry(rng):
    a = rng.standard_normal((4, 5, 6))
    x = _t(a)
    np.testing.assert_array_equal(pj.diagonal(x[1:, ::2, ::-1], 1, 2, 0).numpy(), np.diagonal(a[1:, ::2, ::-1], 1, 2, 0))


def test_methods(rng):
    a = rng.standard_normal((2, 3, 3))
    x = _t(a)
    np.testing.assert_array_equal(x.diagonal(0, 1, 2).numpy(), a.diagonal(0, 1, 2))
    np.testing.assert_allclose(x.trace(0, 1, 2).numpy(), a.trace(0, 1, 2), rtol=1e-14)
    np.testing.assert_array_equal(x.swapaxes(0, 2).numpy(), a.swapaxes(0, 2))
    np.testing.assert_array_equal(x.repeat(2, axis=1).numpy(), a.repeat(2, axis=1))
    np.testing.assert_array_equal(x.ravel().numpy(), a.ravel())
    np.testing.assert_array_equal(x.flatten().numpy(), a.flatten())
    np.testing.assert_array_equal(x.flip(0, 2).numpy(), np.flip(a, (0, 2)))
    np.testing.assert_array_equal(x.flip().numpy(), np.flip(a))
    np.testing.assert_array_equal(x.tile(2, 1).numpy(), np.tile(a, (2, 1)))
    np.testing.assert_array_equal(x.triu(1).numpy(), np.triu(a, 1))
    np.testing.assert_array_equal(x.tril().numpy(), np.tril(a))
    np.testing.assert_array_equal(x.moveaxis(0, -1).numpy(), np.moveaxis(a, 0, -1))
    np.testing.assert_array_equal(x.take([0, 2], axis=1).numpy(), a.take([0, 2], axis=1))
    v = _t(a[0, 0])
    np.testing.assert_array_equal(v.outer(v).numpy(), np.outer(a[0, 0], a[0, 0]))
    np.testing.assert_allclose(v.inner(v).numpy(), np.inner(a[0, 0], a[0, 0]), rtol=1e-14)
    np.testing.assert_array_equal(v.kron(v).numpy(), np.kron(a[0, 0], a[0, 0]))


# ---- torch parity ----------------------------------------------------------------------------------
def test_torch_parity(torch, rng):
    a = rng.standard_normal((3, 4))
    b = rng.standard_normal((4,))
    w = rng.standard_normal((3,))

    def pj_fn(x, y):
        parts = [pj.sum(pj.flip(x, 0) * x), pj.sum(pj.tile(y, (2, 1)) ** 2), pj.trace(x * x),
                 pj.sum(pj.triu(x, 1) ** 2), pj.sum(pj.tril(x) * 3.0), pj.sum(pj.outer(y, y) ** 2),
                 pj.inner(y, y * y), pj.sum(pj.kron(x, y) ** 2), pj.sum(pj.diagonal(x, 1) * pj.tensor(w)),
                 pj.sum(pj.swapaxes(x, 0, 1) * pj.moveaxis(x, 0, 1)), pj.sum(pj.repeat(y, 2) ** 3),
                 pj.sum(pj.pad(x, ((1, 2), (0, 1)), constant_values=0.5) ** 2),
                 pj.sum(pj.split(y, 2)[1] ** 2)]
        total = parts[0]
        for p in parts[1:]:
            total = total + p
        return total

    def torch_fn(x, y):
        parts = [(torch.flip(x, [0]) * x).sum(), (torch.tile(y, (2, 1)) ** 2).sum(), torch.trace(x * x),
                 (torch.triu(x, 1) ** 2).sum(), (torch.tril(x) * 3.0).sum(), (torch.outer(y, y) ** 2).sum(),
                 torch.inner(y, y * y), (torch.kron(x, y) ** 2).sum(),
                 (torch.diagonal(x, 1) * torch.tensor(w)).sum(),
                 (torch.swapaxes(x, 0, 1) * torch.moveaxis(x, 0, 1)).sum(),
                 (torch.repeat_interleave(y, 2) ** 3).sum(),
                 (torch.nn.functional.pad(x, (0, 1, 1, 2), value=0.5) ** 2).sum(),
                 (torch.split(y, 2)[1] ** 2).sum()]
        return sum(parts[1:], parts[0])

    x, y = _t(a, True), _t(b, True)
    out = pj_fn(x, y)
    gx, gy = pj.grad(out, [x, y])
    tx = torch.tensor(a, requires_grad=True)
    ty = torch.tensor(b, requires_grad=True)
    tout = torch_fn(tx, ty)
    tgx, tgy = torch.autograd.grad(tout, [tx, ty])
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(gx.numpy(), tgx.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gy.numpy(), tgy.numpy(), rtol=1e-12, atol=1e-12)


# ---- errors ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("call,exc,match", [
    (lambda x: pj.split(x, 4), ValueError, "split: array split does not result in an equal division"),
    (lambda x: pj.split(x, 0), ValueError, "split: number sections must be larger than 0"),
    (lambda x: pj.array_split(x, -1), ValueError, "array_split: number sections"),
    (lambda x: pj.split(x, 2, axis=2), ValueError, "split: axis 2 is out of bounds"),
    (lambda x: pj.split(pj.tensor(1.0), 1), ValueError, "split: cannot split a 0-d tensor"),
    (lambda x: pj.flip(x, 2), ValueError, "flip: axis 2 is out of bounds"),
    (lambda x: pj.tile(x, (-1, 2)), ValueError, "tile: negative"),
    (lambda x: pj.repeat(x, [1, 2], axis=0), ValueError, r"repeat: .*\(2,\)"),
    (lambda x: pj.repeat(x, -1), ValueError, "repeat: negative"),
    (lambda x: pj.repeat(x, 1.5), TypeError, "repeat: repeats must be integers"),
    (lambda x: pj.repeat(x, 2, axis=3), ValueError, "repeat: axis 3 is out of bounds"),
    (lambda x: pj.pad(x, -1), ValueError, "pad: pad_width can't contain negative values"),
    (lambda x: pj.pad(x, ((1, 2), (1, 2), (1, 2))), ValueError, "pad: pad_width"),
    (lambda x: pj.pad(x, 1, mode="median"), ValueError, "pad: mode 'median' is not supported"),
    (lambda x: pj.pad(pj.zeros((0, 2)), 1, mode="edge"), ValueError, "pad: can't extend empty axis 0"),
    (lambda x: pj.moveaxis(x, [0, 1], [0]), ValueError, "moveaxis: `source` and `destination`"),
    (lambda x: pj.moveaxis(x, [0, 0], [0, 1]), ValueError, "moveaxis: repeated axis"),
    (lambda x: pj.moveaxis(x, 2, 0), ValueError, "moveaxis: axis 2 is out of bounds"),
    (lambda x: pj.swapaxes(x, 0, 2), ValueError, "swapaxes: axis 2 is out of bounds"),
    (lambda x: pj.diagonal(pj.ones(3)), ValueError, r"diagonal: input must be at least 2-d, got float64 tensor of shape \(3,\)"),
    (lambda x: pj.diagonal(x, 0, 1, -1), ValueError, "diagonal: axis1 and axis2 cannot be the same"),
    (lambda x: pj.trace(x, 0, 0, 5), ValueError, "diagonal: axis 5 is out of bounds"),
    (lambda x: pj.triu(pj.tensor(1.0)), ValueError, "triu: input must be at least 1-d"),
    (lambda x: pj.tril(pj.tensor(1.0)), ValueError, "tril: input must be at least 1-d"),
    (lambda x: pj.inner(x, pj.ones((2, 4))), ValueError, r"inner: shapes \(3, 2\) and \(2, 4\) not aligned"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_errors(call, exc, match):
    x = pj.ones((3, 2))
    with pytest.raises(exc, match=match):
        call(x)


def test_split_argument_forms(rng):
    a = rng.standard_normal((6, 2))
    for arg in (3, np.int64(3), np.array(3), np.array([1, 4]), (1, 4), [], pj.tensor(np.array([2]))):
        expected = np.split(a, arg.numpy() if isinstance(arg, pj.Tensor) else arg)
        got = pj.split(_t(a), arg)
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            np.testing.assert_array_equal(g.numpy(), e)


def test_failed_op_leaves_input_usable(rng):
    a = rng.standard_normal((3, 2))
    x = _t(a, True)
    with pytest.raises(ValueError):
        pj.split(x, 2)
    (g,) = pj.grad(pj.sum(pj.flip(x) * 2.0), x)
    np.testing.assert_array_equal(g.numpy(), np.full((3, 2), 2.0))
