"""pyjac.linalg (inv det slogdet solve cholesky qr eigh eigvalsh svd svdvals norm matrix_norm)
and the matrix norms that go through the SVD.

Family "linalg" (tests/test_linalg_decomp.py). Inputs are kept well conditioned, eigen- and
singular values apart, and eigen/singular vectors get a fixed sign inside the tested function;
derivatives are compared with finite differences to atol 1e-6 (first) and 1e-5 (second order).
"""

import numpy as np

import pyjac as pj
import pyjac.linalg as la

from .core import F32, F64, I64, NONE, OpCase, normal


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


# ---- pinv matrix_power lstsq multi_dot cond matrix_rank eigvals expm ------------------------------------
# Rank-deficient inputs are built inside the function as products u @ v, so finite differences
# stay at constant rank (where pinv and lstsq are differentiable).
def _rank_two(u, v):
    return pj.matmul(u, v)


def _np_lstsq(rcond=None):
    def ref(a, b):
        x, res, _, s = np.linalg.lstsq(a, b, rcond=rcond)
        return (x, res, s) if res.size else (x, s)

    return ref


def _pj_lstsq(rcond=None):
    def fn(a, b):
        x, res, _, s = la.lstsq(a, b, rcond=rcond)
        return (x, res, s) if res.shape[0] else (x, s)

    return fn


def _scaled(scale, maker=general):
    def sample(r, shape):
        return scale * maker(r, shape) / shape[-1]

    sample.__name__ = f"scaled({scale})"
    return sample


def _expm_mixed(r, shape):
    """A stack whose matrices need different Pade degrees and scalings (grouped computation)."""
    scales = np.array([0.01, 0.3, 2.0, 12.0])[: shape[0]]
    return r.standard_normal(shape) * scales[:, None, None]


def _matrix_power(n):
    return lambda a: la.matrix_power(a, n)


def _np_matrix_power(n):
    return lambda a: np.linalg.matrix_power(a, n)


def _cond(p):
    return lambda a: la.cond(a, p)


def _np_cond(p):
    return lambda a: np.linalg.cond(a, p)


def _extra(id, name, fn, shapes, domain, ref, dtypes=(F64,), **kw):
    opts = dict(family="linalg", rtol=1e-10, atol=1e-6, atol2=1e-5, jac_tol=1e-9, tol=1e-9, dtypes=dtypes)
    opts.update(kw)
    return OpCase(id, name, fn, shapes, domain, ref=ref, **opts)


def _pinv_rank_two(u, v):
    return la.pinv(_rank_two(u, v))


EXTRA = [
    _extra("linalg.pinv", "linalg.pinv", la.pinv, ((3, 3),), general, np.linalg.pinv, dtypes=(F64, F32)),
    _extra("pinv-tall", "linalg.pinv", la.pinv, ((4, 2),), svd_distinct, np.linalg.pinv),
    _extra("pinv-wide", "linalg.pinv", la.pinv, ((2, 4),), svd_distinct, np.linalg.pinv),
    _extra("pinv-batched", "linalg.pinv", la.pinv, ((2, 3, 2),), svd_distinct, np.linalg.pinv),
    # repeated singular values (2 Q): no singular-vector derivative involved
    _extra("pinv-orthogonal", "linalg.pinv", la.pinv, ((3, 3),), lambda r, s: 2 * orthogonal(r, s), np.linalg.pinv),
    _extra(
        "pinv-rank-deficient",
        "linalg.pinv",
        _pinv_rank_two,
        ((4, 2), (2, 3)),
        lambda r, s: r.standard_normal(s) + np.eye(*s),
        lambda u, v: np.linalg.pinv(u @ v),
    ),
    _extra(
        "pinv-hermitian",
        "linalg.pinv",
        lambda a: la.pinv(a, hermitian=True),
        ((3, 3),),
        sym_distinct,
        lambda a: np.linalg.pinv(a, hermitian=True),
    ),
    _extra(
        "pinv-rtol",
        "linalg.pinv",
        lambda a: la.pinv(a, rtol=1e-8),
        ((3, 2),),
        svd_distinct,
        lambda a: np.linalg.pinv(a, rtol=1e-8),
    ),
    *[
        _extra(
            f"matrix_power-{n}" if n != 2 else "linalg.matrix_power",
            "linalg.matrix_power",
            _matrix_power(n),
            ((3, 3),),
            general,
            _np_matrix_power(n),
            dtypes=(F64, F32, I64) if n >= 0 else (F64, F32),
        )
        for n in (2, 0, 1, 3, 5, 6, -1, -3)
    ],
    _extra(
        "matrix_power-batched",
        "linalg.matrix_power",
        _matrix_power(4),
        ((2, 3, 3),),
        _scaled(1.0),
        _np_matrix_power(4),
    ),
    _extra("linalg.lstsq", "linalg.lstsq", _pj_lstsq(), ((5, 3), (5, 2)), (svd_distinct, normal), _np_lstsq()),
    _extra("lstsq-vector", "linalg.lstsq", _pj_lstsq(), ((5, 2), (5,)), (svd_distinct, normal), _np_lstsq()),
    _extra("lstsq-square", "linalg.lstsq", _pj_lstsq(), ((3, 3), (3,)), (general, normal), _np_lstsq()),
    _extra("lstsq-underdetermined", "linalg.lstsq", _pj_lstsq(), ((2, 4), (2, 3)), (svd_distinct, normal), _np_lstsq()),
    _extra(
        "lstsq-rank-deficient",
        "linalg.lstsq",
        lambda u, v, b: la.lstsq(_rank_two(u, v), b, rcond=1e-10)[0],
        ((5, 2), (2, 4), (5,)),
        (lambda r, s: r.standard_normal(s) + np.eye(*s), lambda r, s: r.standard_normal(s) + np.eye(*s), normal),
        lambda u, v, b: np.linalg.lstsq(u @ v, b, rcond=1e-10)[0],
    ),
    _extra(
        "linalg.multi_dot",
        "linalg.multi_dot",
        lambda a, b, c, d: la.multi_dot([a, b, c, d]),
        ((2, 3), (3, 4), (4, 5), (5, 2)),
        normal,
        lambda a, b, c, d: np.linalg.multi_dot([a, b, c, d]),
        dtypes=(F64, F32),
        rtol=1e-12,
    ),
    _extra(
        "multi_dot-vector-ends",
        "linalg.multi_dot",
        lambda a, b, c, d: la.multi_dot([a, b, c, d]),
        ((3,), (3, 4), (4, 2), (2,)),
        normal,
        lambda a, b, c, d: np.linalg.multi_dot([a, b, c, d]),
        rtol=1e-12,
    ),
    _extra(
        "multi_dot-three",
        "linalg.multi_dot",
        lambda a, b, c: la.multi_dot([a, b, c]),
        ((4, 2), (2, 5), (5,)),
        normal,
        lambda a, b, c: np.linalg.multi_dot([a, b, c]),
        rtol=1e-12,
    ),
    *[
        _extra(
            "linalg.cond" if p is None else f"cond-{p}",
            "linalg.cond",
            _cond(p),
            ((3, 3),),
            general if p not in (2, -2) else svd_distinct,
            _np_cond(p),
            dtypes=(F64, F32) if p is None else (F64,),
        )
        for p in (None, 2, -2, "fro", "nuc", np.inf, -np.inf, 1, -1)
    ],
    _extra("cond-batched", "linalg.cond", _cond(1), ((2, 3, 3),), general, _np_cond(1)),
    _extra(
        "linalg.matrix_rank",
        "linalg.matrix_rank",
        lambda u, v: la.matrix_rank(_rank_two(u, v)),
        ((2, 4, 2), (2, 2, 3)),
        normal,
        lambda u, v: np.linalg.matrix_rank(u @ v),
        derivative=NONE,
        rtol=0,
    ),
    _extra(
        "matrix_rank-full",
        "linalg.matrix_rank",
        la.matrix_rank,
        ((3, 4),),
        normal,
        np.linalg.matrix_rank,
        derivative=NONE,
        rtol=0,
    ),
    _extra(
        "linalg.eigvals",
        "linalg.eigvals",
        lambda a: la.eigvals(sym_half(a)),
        ((3, 3),),
        sym_distinct,
        lambda a: np.sort(np.linalg.eigvals((a + mT(a)) / 2).real),
    ),
    _extra(
        "eigvals-batched",
        "linalg.eigvals",
        lambda a: la.eigvals(sym_half(a)),
        ((2, 3, 3),),
        sym_distinct,
        lambda a: np.sort(np.linalg.eigvals((a + mT(a)) / 2).real, axis=-1),
    ),
]


def _scipy_expm(a):
    from scipy.linalg import expm

    return expm(a)


# expm at norms that pick each Pade degree (3, 5, 7, 9 without scaling; 13 with and without).
EXTRA += [
    _extra(
        "linalg.expm" if scale == 1.0 else f"expm-norm-{scale}",
        "linalg.expm",
        la.expm,
        ((3, 3),),
        lambda r, s, scale=scale: scale * r.standard_normal(s) / 3,
        _scipy_expm,
        dtypes=(F64, F32) if scale == 1.0 else (F64,),
        rtol=1e-12,
    )
    for scale in (0.02, 0.3, 1.0, 3.0, 6.0, 20.0)
] + [
    _extra("expm-batched-mixed", "linalg.expm", la.expm, ((4, 2, 2),), _expm_mixed, _scipy_expm, rtol=1e-12),
    _extra("expm-1x1", "linalg.expm", la.expm, ((2, 1, 1),), normal, _scipy_expm, rtol=1e-12),
]

CASES += EXTRA
