"""pyjac.linalg (inv det slogdet solve cholesky qr eigh eigvalsh svd svdvals norm matrix_norm)
and the matrix norms that go through the SVD.

Family "linalg" (tests/test_linalg_decomp.py). Inputs are kept well conditioned, eigen- and
singular values apart, and eigen/singular vectors get a fixed sign inside the tested function;
derivatives are compared with finite differences to atol 1e-6 (first) and 1e-5 (second order).
"""

import numpy as np

import pyjac as pj
import pyjac.linalg as la

from .core import F64, OpCase


def mT(x):
    return np.swapaxes(x, -1, -2)


def mT_t(x):
    perm = tuple(range(x.ndim - 2)) + (x.ndim - 1, x.ndim - 2)
    return pj.transpose(x, perm)


def sym_half(x):
    return (x + mT_t(x)) / 2


# ---- inputs: well-conditioned matrices of each kind ------------------------------------------------
def general(r, shape):
    """Square matrices with singular values kept away from 0."""
    n = shape[-1]
    return r.standard_normal(shape) + 3 * np.eye(n)


def spd(r, shape):
    x = r.standard_normal(shape)
    return x @ mT(x) + shape[-1] * np.eye(shape[-1])


def orthogonal(r, shape):
    q, _ = np.linalg.qr(r.standard_normal(shape))
    return q


def spaced(r, batch, k, lo=1.0, step=0.7):
    """Values lo, lo + step, ... in a random order per matrix, slightly jittered: distinct gaps."""
    base = lo + step * np.arange(k) + r.uniform(0, step / 4, batch + (k,))
    return np.take_along_axis(base, np.argsort(r.random(batch + (k,)), axis=-1), axis=-1)


def sym_distinct(r, shape, lo=-1.5):
    """Symmetric matrices whose eigenvalues are at least ~0.5 apart."""
    batch, n = shape[:-2], shape[-1]
    q = orthogonal(r, shape)
    w = spaced(r, batch, n, lo=lo)
    return (q * w[..., None, :]) @ mT(q)


def svd_distinct(r, shape):
    """Matrices whose singular values are at least ~0.5 apart and at least 1."""
    batch, (m, n) = shape[:-2], shape[-2:]
    k = min(m, n)
    u = orthogonal(r, batch + (m, k))
    v = orthogonal(r, batch + (n, k))
    s = spaced(r, batch, k)
    return (u * s[..., None, :]) @ mT(v)


def sign_fixed_columns(v):
    """Columns of v (and the flip that made them so) with a positive first row: a smooth choice of
    sign for eigen- and singular vectors, so finite differences of raw vectors mean something."""
    flip = pj.sign(v[..., :1, :])
    return v * flip, flip


def eig_fixed(a, UPLO="L"):
    w, v = la.eigh(a, UPLO)
    return w, sign_fixed_columns(v)[0]


def svd_fixed(a, full_matrices=False):
    u, s, vh = la.svd(a, full_matrices=full_matrices)
    k = s.shape[-1]
    u_k, flip = sign_fixed_columns(u[..., :, :k])
    vh_k = vh[..., :k, :] * pj.reshape(flip, flip.shape[:-2] + (k, 1))
    return u_k, s, vh_k


# ---- entries ---------------------------------------------------------------------------------------------
# (id, public op, function, input shape, input maker (rng, shape) -> array). Symmetric/PD inputs are
# built inside where the op needs them, so finite differences stay in the op's domain; the raw
# lower-triangle forms are checked too.
def _neg_first_row(r, s):
    return general(r, s) * np.array([[-1.0], [1.0], [1.0]])


def _neg_first_matrix(r, s):
    return general(r, s) * np.array([-1.0, 1.0])[:, None, None]


def _nuclear_axes_input(r, s):
    return mT(svd_distinct(r, (s[0], s[2], s[1])))


def _svd_reconstruction(a):
    u, s, vh = la.svd(a, full_matrices=False)
    return (u * s[..., None, :]) @ vh


GRAD = [
    ("inv", "linalg.inv", la.inv, (3, 3), general),
    ("inv-batched", "linalg.inv", la.inv, (2, 3, 3), general),
    ("inv-1x1", "linalg.inv", la.inv, (1, 1), general),
    ("det", "linalg.det", la.det, (3, 3), general),
    ("det-batched", "linalg.det", la.det, (2, 3, 3), general),
    ("det-negative", "linalg.det", la.det, (3, 3), _neg_first_row),
    ("slogdet", "linalg.slogdet", lambda a: la.slogdet(a)[1], (3, 3), general),
    (
        "slogdet-batched-signs",
        "linalg.slogdet",
        lambda a: la.slogdet(a).logabsdet * la.slogdet(a).sign,
        (2, 3, 3),
        _neg_first_matrix,
    ),
    ("solve-vector", "linalg.solve", lambda a: la.solve(a, pj.tensor([1.0, -2.0, 0.5])), (3, 3), general),
    ("cholesky-sym", "linalg.cholesky", lambda a: la.cholesky(sym_half(a)), (3, 3), spd),
    ("cholesky-raw-lower", "linalg.cholesky", la.cholesky, (3, 3), spd),
    ("cholesky-upper-raw", "linalg.cholesky", lambda a: la.cholesky(a, upper=True), (3, 3), spd),
    ("cholesky-batched", "linalg.cholesky", lambda a: la.cholesky(sym_half(a)), (2, 3, 3), spd),
    ("qr-square", "linalg.qr", lambda a: tuple(la.qr(a)), (3, 3), general),
    ("qr-tall", "linalg.qr", lambda a: tuple(la.qr(a)), (4, 3), svd_distinct),
    ("qr-wide", "linalg.qr", lambda a: tuple(la.qr(a)), (2, 4), svd_distinct),
    ("qr-batched", "linalg.qr", lambda a: tuple(la.qr(a)), (2, 3, 2), svd_distinct),
    ("qr-r-mode", "linalg.qr", lambda a: la.qr(a, "r"), (4, 2), svd_distinct),
    (
        "qr-complete-tall-used-columns",
        "linalg.qr",
        lambda a: (la.qr(a, "complete").Q[:, :2], la.qr(a, "complete").R),
        (4, 2),
        svd_distinct,
    ),
    ("qr-complete-wide", "linalg.qr", lambda a: tuple(la.qr(a, "complete")), (2, 3), svd_distinct),
    ("eigh-values", "linalg.eigh", lambda a: la.eigh(sym_half(a))[0], (3, 3), sym_distinct),
    ("eigh-vectors-sign-fixed", "linalg.eigh", lambda a: eig_fixed(sym_half(a)), (3, 3), sym_distinct),
    ("eigh-raw-lower", "linalg.eigh", lambda a: eig_fixed(a), (3, 3), sym_distinct),
    ("eigh-upper", "linalg.eigh", lambda a: eig_fixed(a, "U"), (3, 3), sym_distinct),
    ("eigh-batched", "linalg.eigh", lambda a: eig_fixed(sym_half(a)), (2, 3, 3), sym_distinct),
    ("eigvalsh", "linalg.eigvalsh", la.eigvalsh, (3, 3), sym_distinct),
    ("svd-values", "linalg.svd", lambda a: la.svd(a, compute_uv=False), (3, 3), svd_distinct),
    ("svd-square-sign-fixed", "linalg.svd", svd_fixed, (3, 3), svd_distinct),
    ("svd-tall-sign-fixed", "linalg.svd", svd_fixed, (4, 2), svd_distinct),
    ("svd-wide-sign-fixed", "linalg.svd", svd_fixed, (2, 4), svd_distinct),
    ("svd-full-tall-sign-fixed", "linalg.svd", lambda a: svd_fixed(a, full_matrices=True), (4, 2), svd_distinct),
    ("svd-full-wide-sign-fixed", "linalg.svd", lambda a: svd_fixed(a, full_matrices=True), (2, 3), svd_distinct),
    ("svd-batched-sign-fixed", "linalg.svd", svd_fixed, (2, 3, 2), svd_distinct),
    ("svd-reconstruction", "linalg.svd", _svd_reconstruction, (3, 2), svd_distinct),
    ("svdvals", "linalg.svdvals", la.svdvals, (2, 3), svd_distinct),
    ("norm-spectral", "norm", lambda a: pj.norm(a, 2), (3, 4), svd_distinct),
    ("norm-spectral-min", "norm", lambda a: pj.norm(a, -2), (4, 3), svd_distinct),
    ("norm-nuclear", "norm", lambda a: pj.norm(a, "nuc"), (3, 2), svd_distinct),
    (
        "norm-nuclear-axes",
        "norm",
        lambda a: pj.norm(a, "nuc", axis=(2, 0), keepdims=True),
        (2, 2, 3),
        _nuclear_axes_input,
    ),
    ("matrix_norm", "linalg.matrix_norm", lambda a: la.matrix_norm(a, ord=2), (2, 3, 2), svd_distinct),
    ("linalg.norm", "linalg.norm", lambda a: la.norm(a, 2), (3, 4), svd_distinct),
]

_REFS = {
    "inv": np.linalg.inv,
    "inv-batched": np.linalg.inv,
    "det": np.linalg.det,
    "det-batched": np.linalg.det,
    "slogdet": lambda a: np.linalg.slogdet(a)[1],
    "eigvalsh": np.linalg.eigvalsh,
    "svd-values": lambda a: np.linalg.svd(a, compute_uv=False),
    "svdvals": lambda a: np.linalg.svd(a, compute_uv=False),
    "norm-spectral": lambda a: np.linalg.norm(a, 2),
    "norm-nuclear": lambda a: np.linalg.norm(a, "nuc"),
    "linalg.norm": lambda a: np.linalg.norm(a, 2),
}


def _case(id, name, fn, shape, make):
    return OpCase(
        id,
        name,
        fn,
        (shape,),
        make,
        ref=_REFS.get(id),
        family="linalg",
        rtol=1e-10,
        atol=1e-6,
        atol2=1e-5,
        jac_tol=1e-9,
        tol=1e-9,
        dtypes=(F64,),
    )


CASES = [_case(*c) for c in GRAD] + [
    OpCase(
        "linalg.solve",
        "linalg.solve",
        la.solve,
        ((3, 3), (3, 2)),
        (general, lambda r, s: r.standard_normal(s)),
        ref=np.linalg.solve,
        family="linalg",
        rtol=1e-10,
        atol=1e-6,
        atol2=1e-5,
        jac_tol=1e-9,
        tol=1e-9,
        dtypes=(F64,),
    ),
]
