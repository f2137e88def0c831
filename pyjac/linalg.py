"""Linear algebra under NumPy's names: ``inv det slogdet solve cholesky qr eigh svd norm``, plus
``eigvalsh svdvals matrix_norm``; ``pinv matrix_power lstsq multi_dot cond matrix_rank eigvals``
(``eigvals`` for symmetric input only, until complex dtypes) and SciPy's ``expm``.

Every function takes stacks of matrices ``(..., m, n)`` (float32 or float64; integers compute in
float64), computes with LAPACK (scipy-openblas32's, the library pyjac already uses for BLAS), and
is differentiable in both modes (reverse: ``backward``/``grad``, forward: ``jvp``/``jacfwd``) to
any order, with batched cotangents and tangents. Results are NumPy's named tuples where NumPy
has them (``SlogdetResult``, ``QRResult``, ``EighResult``, ``SVDResult``).

Errors: singular matrices (``inv``, ``solve``), matrices that are not positive definite
(``cholesky``), no convergence (``svd`` of a matrix with NaNs) and arrays of fewer than two
dimensions or non-square ones raise :class:`LinAlgError`, a ``ValueError`` as in NumPy.

Derivatives, and where they exist:

- ``inv``: dX = -X dA X; needs A invertible (as the value does).
- ``det``: d det = det tr(A^-1 dA); ``slogdet``: d log|det| = tr(A^-1 dA), the sign has zero
  derivative. Both derivatives need an invertible A (a singular one raises LinAlgError there).
- ``solve``: dX = A^-1 (dB - dA X), with broadcasting of the batch dims.
- ``cholesky``: reads only the lower triangle (``upper=True``: the upper one), and is
  differentiated as that function: the gradient of a symmetric input comes back in the lower
  triangle (off-diagonal entries counted twice), so finite differences agree entry by entry. For
  the symmetric gradient PyTorch and JAX report, use ``(G + G.T) / 2``, or symmetrise the input
  inside the function (``cholesky((A + A.T) / 2)``): then both conventions agree.
- ``qr``: differentiable for every shape in modes ``'reduced'`` and ``'r'`` (R needs full column
  rank in the leading k x k block, i.e. R's diagonal nonzero). With ``mode='complete'`` and
  m > n, Q's last m - n columns are an arbitrary orthonormal basis: they are treated as constants
  (their cotangents are ignored, their tangents are zero).
- ``eigh``: reads only the lower triangle (``UPLO='U'``: the upper one), differentiated as that
  function like ``cholesky``. Eigenvalue derivatives exist everywhere (also for repeated
  eigenvalues, as long as the loss does not use the eigenvectors); eigenvector derivatives need
  distinct eigenvalues (they divide by the gaps) and give inf/nan otherwise. Second and higher
  derivatives run through the eigenvector derivatives, so they need distinct eigenvalues even
  for eigenvalue-only losses.
- ``svd``: singular-value derivatives exist whenever the singular values are distinct or only
  ``S`` is used (``compute_uv=False``, ``svdvals``, ``norm(ord=2 / -2 / 'nuc')``); vector
  derivatives need distinct singular values, and nonzero ones when m != n. For a real SVD each
  pair (u_i, v_i) is fixed only up to a common sign: losses should not depend on that sign
  (U diag(S) Vh, |U|, U_i v_i^T products ... don't). With ``full_matrices=True`` the columns of U
  and rows of Vh beyond k = min(m, n) are an arbitrary basis and are treated as constants
  (cotangents ignored, tangents zero), as in ``torch.linalg.svd``. Second and higher derivatives
  need distinct singular values (and nonzero ones when m != n) in every case.
- ``pinv``: at constant rank (no singular value crossing the cutoff), from A and A^+ alone, so
  repeated and zero singular values are fine; ``lstsq``'s x goes through it.
- ``matrix_power``, ``multi_dot``, ``cond``, ``eigvals``, ``expm``: compositions of the ops above,
  differentiable wherever those are (``cond``'s 1/inf norms have kinks at ties, as ``norm``).
  ``expm`` differentiates the Pade approximant it evaluates (what ``scipy.linalg.expm_frechet``
  computes). Its values agree with SciPy's to ~1e-13 in norm; for non-normal or skew matrices of
  large norm SciPy 1.17's own error is larger (e.g. its exponential of a skew matrix of norm ~50
  is orthogonal only to ~1e-12), and pyjac's follows an extended-precision reference instead.
- ``matrix_rank``: an integer, no derivative.
"""

import operator as _operator
import os as _os
from collections import namedtuple as _namedtuple

import numpy as _np
import scipy_openblas32 as _openblas

from . import _core, _creation, _ops
from ._core import Tensor
from ._vmap import per_example

_linalg = _core.linalg
# The same scipy-openblas32 library pyjac/__init__.py loads for BLAS.
_linalg.load_lapack(_os.path.join(_openblas.get_lib_dir(), _openblas.get_library(True)))

LinAlgError = _linalg.LinAlgError
LinAlgError.__module__ = __name__

SlogdetResult = _namedtuple("SlogdetResult", ["sign", "logabsdet"])
QRResult = _namedtuple("QRResult", ["Q", "R"])
EighResult = _namedtuple("EighResult", ["eigenvalues", "eigenvectors"])
SVDResult = _namedtuple("SVDResult", ["U", "S", "Vh"])


def inv(a):
    """The inverse of each matrix of ``a`` (..., n, n)."""
    return _linalg.inv(a)


def det(a):
    """The determinant of each matrix of ``a`` (..., n, n): shape (...)."""
    return _linalg.det(a)


def slogdet(a):
    """``(sign, logabsdet)`` of each matrix: det = sign * exp(logabsdet); (0, -inf) when singular."""
    return SlogdetResult(*_linalg.slogdet(a))


def solve(a, b):
    """x with ``a @ x == b``: ``a`` (..., n, n), ``b`` (n,) or (..., n, k), batch dims broadcast (NumPy 2)."""
    return _linalg.solve(a, b)


def cholesky(a, /, *, upper=False):
    """The lower factor L (a = L @ L.T) of each matrix, read from its lower triangle; ``upper=True``
    reads the upper triangle and returns U = L.T (a = U.T @ U)."""
    return _linalg.cholesky(a, bool(upper))


def qr(a, mode="reduced"):
    """QR decomposition: ``mode='reduced'`` -> (Q (..., m, k), R (..., k, n)), ``'complete'`` ->
    (Q (..., m, m), R (..., m, n)), ``'r'`` -> R alone (k = min(m, n))."""
    if mode == "r":
        return _linalg.qr(a, mode)[0]
    if mode in ("raw", "full", "f", "economic", "e"):
        raise ValueError(f"qr: mode {mode!r} is not supported by pyjac (use 'reduced', 'complete' or 'r')")
    return QRResult(*_linalg.qr(a, mode))


def eigh(a, UPLO="L"):
    """Eigenvalues (ascending) and eigenvectors (columns) of each symmetric matrix, read from its
    lower (``UPLO='L'``) or upper (``'U'``) triangle."""
    return EighResult(*_linalg.eigh(a, UPLO))


def eigvalsh(a, UPLO="L"):
    """The eigenvalues of each symmetric matrix, ascending (their derivatives exist for repeated ones too)."""
    return _linalg.eigh(a, UPLO)[0]


def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    """Singular value decomposition ``a == U @ diag(S) @ Vh`` with S descending:
    ``(U (..., m, m), S (..., k), Vh (..., n, n))``, or with ``full_matrices=False``
    ``(U (..., m, k), S, Vh (..., k, n))``; ``compute_uv=False`` returns S alone."""
    if hermitian:
        raise ValueError("svd: hermitian=True is not supported by pyjac")
    out = _linalg.svd(a, bool(full_matrices), bool(compute_uv))
    return SVDResult(*out) if compute_uv else out[0]


def svdvals(x, /):
    """The singular values of each matrix, descending."""
    return _linalg.svd(x, False, False)[0]


def norm(x, ord=None, axis=None, keepdims=False):
    """``pyjac.norm``: vector and matrix norms as in ``numpy.linalg.norm`` (matrix ord 2, -2 and
    'nuc' through the SVD)."""
    return _core.norm(x, ord, axis, keepdims)


def matrix_norm(x, /, *, keepdims=False, ord="fro"):
    """The norm of each matrix (..., m, n), as ``numpy.linalg.matrix_norm``."""
    return _core.norm(x, ord, (-2, -1), keepdims)


# ---- functions composed of the ops above -------------------------------------------------------------
# pinv is an op of its own (its constant-rank derivative does not go through singular vectors, so
# repeated singular values are fine); the others are compositions of differentiable ops, so their
# derivatives in both modes and to every order follow from the ops'. Thresholds, ranks, Pade
# degrees and scalings are read from detached values: they are piecewise constant.

_NoValue = object()


def _as_float(x):
    return x if x.dtype in (_np.float32, _np.float64) else _ops.astype(x, _np.float64)


def _values(x):
    """A tensor's (or array-like's) values as a NumPy array, for choices that carry no derivative."""
    return x.detach().numpy() if isinstance(x, Tensor) else _np.asarray(x)


def _mT(x):
    return _ops.swapaxes(x, -1, -2)


def _check_matrix(a, name):
    if a.ndim < 2:
        raise LinAlgError(
            f"{name}: {a.ndim}-dimensional array given; the array must be at least two-dimensional "
            f"(shape {tuple(a.shape)})"
        )


def _check_square(a, name):
    _check_matrix(a, name)
    if a.shape[-1] != a.shape[-2]:
        raise LinAlgError(f"{name}: the last 2 dimensions of the array must be square, got shape {tuple(a.shape)}")


def _sym_lower(a):
    """The symmetric matrix the lower triangle of ``a`` describes (what LAPACK's eigh reads)."""
    return _ops.tril(a) + _mT(_ops.tril(a, -1))


def pinv(a, rcond=None, hermitian=False, *, rtol=_NoValue):
    """The Moore-Penrose pseudo-inverse of each matrix of ``a`` (..., m, n) -> (..., n, m), as
    ``numpy.linalg.pinv``: singular values at or below ``rcond * max(S)`` count as zero (``rcond``
    may be an array broadcast over the batch dims; default 1e-15, or with ``rtol=None``
    ``max(m, n) * eps``). ``hermitian=True`` reads only the lower triangle, as NumPy's eigh does.

    Differentiable (both modes, every order) as a function of constant rank: the derivative holds
    while no singular value crosses the cutoff, and repeated singular values are fine."""
    a = _as_float(_creation.asarray(a))
    _check_matrix(a, "pinv")
    if rcond is None:
        if rtol is _NoValue:
            rcond = 1e-15
        elif rtol is None:
            rcond = max(a.shape[-2:]) * _np.finfo(a.dtype).eps
        else:
            rcond = rtol
    elif rtol is not _NoValue:
        raise ValueError("pinv: `rtol` and `rcond` can't be both set.")
    if hermitian:
        _check_square(a, "pinv")
        a = _sym_lower(a)
    return _linalg.pinv(a, _creation.asarray(_values(rcond).astype(_np.float64)))


def matrix_power(a, n):
    """``a`` (..., m, m) raised to the integer power ``n`` by repeated squaring, as
    ``numpy.linalg.matrix_power``: ``n == 0`` gives the identity (with zero derivative), ``n < 0``
    the power of ``inv(a)`` (LinAlgError for a singular matrix)."""
    a = _creation.asarray(a)
    _check_square(a, "matrix_power")
    try:
        n = _operator.index(n)
    except TypeError:
        raise TypeError(f"matrix_power: exponent must be an integer, got {type(n).__name__}") from None
    if n == 0:
        # The identity, still a function of a (where with an all-False mask: zero derivative and
        # no NaN from a's values), so a result from an input that requires grad requires grad.
        eye = _ops.broadcast_to(_creation.eye(a.shape[-1], dtype=a.dtype), tuple(a.shape))
        return _ops.where(_creation.zeros(tuple(a.shape), dtype=bool), a, eye)
    if n < 0:
        try:
            a = inv(a)
        except LinAlgError as e:
            raise LinAlgError(f"matrix_power: a negative power needs invertible matrices ({e})") from None
        n = -n
    if n == 1:
        return a.copy()
    if n == 2:
        return _ops.matmul(a, a)
    if n == 3:
        return _ops.matmul(_ops.matmul(a, a), a)
    # NumPy's binary decomposition: the same products in the same order, so the same rounding.
    z = result = None
    while n > 0:
        z = a if z is None else _ops.matmul(z, z)
        n, bit = divmod(n, 2)
        if bit:
            result = z if result is None else _ops.matmul(result, z)
    return result


@per_example
def lstsq(a, b, rcond=None):
    """The least-squares solution of ``a @ x = b``, as ``numpy.linalg.lstsq``: ``a`` (M, N), ``b``
    (M,) or (M, K) -> ``(x, residuals, rank, s)``: the minimum-norm x among the minimisers, the
    squared residual norm of each column of b (shape (K,), or (1,) for a vector b; empty unless
    rank == N < M), the effective rank (singular values above ``rcond * max(S)``, default
    ``eps * max(M, N)``; a negative rcond means eps) and the singular values of ``a``.

    ``x``, ``residuals`` and ``s`` are differentiable in ``a`` and ``b``, x through the
    pseudo-inverse: exact for full-rank problems, over- and under-determined, and at constant rank
    otherwise. Computed in float64 and returned in NumPy's result type (float32 only when both
    inputs are)."""
    a, b = _creation.asarray(a), _creation.asarray(b)
    if a.ndim != 2:
        raise LinAlgError(f"lstsq: a must be two-dimensional, got shape {tuple(a.shape)} (b {tuple(b.shape)})")
    if b.ndim not in (1, 2):
        raise LinAlgError(f"lstsq: b must be one- or two-dimensional, got shape {tuple(b.shape)} (a {tuple(a.shape)})")
    m, n = a.shape
    if b.shape[0] != m:
        raise LinAlgError(f"lstsq: incompatible dimensions: a {tuple(a.shape)} and b {tuple(b.shape)}")
    result_t = _np.float32 if a.dtype == _np.float32 and b.dtype == _np.float32 else _np.float64
    a64, b64 = _ops.astype(a, _np.float64), _ops.astype(b, _np.float64)
    eps = _np.finfo(_np.float64).eps
    rcond = eps * max(n, m) if rcond is None else float(_values(rcond))
    if rcond < 0:  # as LAPACK's gelsd
        rcond = eps
    if m == 0 or n == 0:
        s = _ops.reshape(a64, (-1,))[:0]
        rank = 0
    else:
        s = svdvals(a64)
        s_values = _values(s)
        rank = int(_np.count_nonzero(s_values > rcond * s_values[0]))
    x = _ops.matmul(_linalg.pinv(a64, _creation.asarray(rcond)), b64)
    if rank == n and m > n:
        resid = _ops.matmul(a64, x) - b64
        residuals = _ops.sum(resid * resid, axis=0)
        if b.ndim == 1:
            residuals = _ops.reshape(residuals, (1,))
    else:
        residuals = _ops.reshape(x, (-1,))[:0]  # empty, but still a function of a and b
    return _ops.astype(x, result_t), _ops.astype(residuals, result_t), rank, _ops.astype(s, result_t)


def _multi_dot_three(a, b, c):
    # NumPy's choice between (ab)c and a(bc): the one of fewer scalar multiplications.
    a0, a1b0 = a.shape
    b1c0, c1 = c.shape
    if a0 * b1c0 * (a1b0 + c1) < a1b0 * c1 * (a0 + b1c0):
        return _ops.matmul(_ops.matmul(a, b), c)
    return _ops.matmul(a, _ops.matmul(b, c))


def _multi_dot_chain_order(arrays):
    """NumPy's dynamic programme for the cheapest parenthesisation (Cormen et al., 15.2):
    s[i, j] is where the product of arrays i..j splits."""
    n = len(arrays)
    p = [x.shape[0] for x in arrays] + [arrays[-1].shape[1]]
    cost = _np.zeros((n, n))
    s = _np.empty((n, n), dtype=_np.intp)
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i, j] = _np.inf
            for k in range(i, j):
                q = cost[i, k] + cost[k + 1, j] + p[i] * p[k + 1] * p[j + 1]
                if q < cost[i, j]:
                    cost[i, j] = q
                    s[i, j] = k
    return s


def _multi_dot(arrays, order, i, j):
    if i == j:
        return arrays[i]
    k = order[i, j]
    return _ops.matmul(_multi_dot(arrays, order, i, k), _multi_dot(arrays, order, k + 1, j))


def multi_dot(arrays):
    """The product of a sequence of matrices in the cheapest order, as ``numpy.linalg.multi_dot``:
    the first array may be 1-d (a row vector) and the last 1-d (a column vector), every other one
    2-d; the result drops the dimensions the 1-d ends added. Differentiable as a chain of matmuls."""
    arrays = [_creation.asarray(x) for x in arrays]
    n = len(arrays)
    if n < 2:
        raise ValueError(f"multi_dot: expecting at least two arrays, got {n}")
    if n == 2:
        return _ops.dot(arrays[0], arrays[1])
    ndim_first, ndim_last = arrays[0].ndim, arrays[-1].ndim
    if ndim_first == 1:
        arrays[0] = _ops.reshape(arrays[0], (1, -1))
    if ndim_last == 1:
        arrays[-1] = _ops.reshape(arrays[-1], (-1, 1))
    for i, x in enumerate(arrays):
        if x.ndim != 2:
            raise LinAlgError(
                f"multi_dot: {x.ndim}-dimensional array given (argument {i}, shape {tuple(x.shape)}); "
                "arrays must be two-dimensional (the first and the last may be one-dimensional)"
            )
    for i in range(n - 1):
        if arrays[i].shape[1] != arrays[i + 1].shape[0]:
            raise ValueError(
                f"multi_dot: shapes {tuple(arrays[i].shape)} (argument {i}) and "
                f"{tuple(arrays[i + 1].shape)} (argument {i + 1}) not aligned"
            )
    if n == 3:
        result = _multi_dot_three(*arrays)
    else:
        result = _multi_dot(arrays, _multi_dot_chain_order(arrays), 0, n - 1)
    if ndim_first == 1 and ndim_last == 1:
        return _ops.reshape(result, ())
    if ndim_first == 1 or ndim_last == 1:
        return _ops.reshape(result, (-1,))
    return result


@per_example
def cond(x, p=None):
    """The condition number of each matrix of ``x``, as ``numpy.linalg.cond``: ``p`` None or 2
    (largest over smallest singular value), -2 (smallest over largest), or 'fro', 'nuc', inf,
    -inf, 1, -1 (``norm(x, p) * norm(inv(x), p)``, square matrices only). A singular matrix gives
    inf. Differentiable (p = None, 2, -2 through the singular values, the others through ``inv``
    and ``norm``)."""
    x = _as_float(_creation.asarray(x))
    if x.ndim >= 2 and x.shape[-1] * x.shape[-2] == 0:
        raise LinAlgError(f"cond: cond is not defined on empty arrays (shape {tuple(x.shape)})")
    if p is None or (not isinstance(p, str) and p in (2, -2)):
        _check_matrix(x, "cond")
        s = svdvals(x)
        r = s[..., -1] / s[..., 0] if p == -2 else s[..., 0] / s[..., -1]
    else:
        _check_square(x, "cond")
        try:
            r = norm(x, p, axis=(-2, -1)) * norm(inv(x), p, axis=(-2, -1))
        except LinAlgError:
            # A matrix of the stack is singular: its condition number is inf (as NumPy's), the
            # others' as usual, one matrix at a time.
            flat = _ops.reshape(x, (-1,) + tuple(x.shape[-2:]))
            parts = []
            for i in range(flat.shape[0]):
                try:
                    parts.append(norm(flat[i], p) * norm(inv(flat[i]), p))
                except LinAlgError:  # singular, or NaN inside (then NaN, as NumPy)
                    bad = _np.nan if _np.isnan(_values(flat[i])).any() else _np.inf
                    parts.append(_creation.full((), bad, dtype=x.dtype))
            r = _ops.reshape(_ops.stack(parts), tuple(x.shape[:-2]))
    # NaN (from inf / inf or 0 / 0) means an infinite condition number, unless x holds NaN (NumPy).
    nan_mask = _np.isnan(_values(r)) & ~_np.isnan(_values(x)).any(axis=(-2, -1))
    if nan_mask.any():
        r = _ops.where(_creation.asarray(nan_mask), _creation.full((), _np.inf, dtype=r.dtype), r)
    return r


@per_example
def matrix_rank(A, tol=None, hermitian=False, *, rtol=None):
    """The number of singular values of each matrix above a tolerance, as
    ``numpy.linalg.matrix_rank``: ``tol`` absolute, or ``rtol`` relative to the largest singular
    value (default ``max(m, n) * eps``); ``hermitian=True`` reads the lower triangle (eigenvalue
    magnitudes). An int64 tensor of the batch shape, with no derivative; arrays of fewer than two
    dimensions have rank 1 unless all zero."""
    if rtol is not None and tol is not None:
        raise ValueError("matrix_rank: `tol` and `rtol` can't be both set.")
    A = _as_float(_creation.asarray(A)).detach()
    if A.ndim < 2:
        return _creation.asarray(_np.int64(not _np.all(_values(A) == 0)))
    if A.shape[-1] * A.shape[-2] == 0:
        return _creation.zeros(tuple(A.shape[:-2]), dtype=_np.int64)
    S = _values(_ops.abs(eigvalsh(A)) if hermitian else svdvals(A))
    if tol is None:
        if rtol is None:
            rtol = max(A.shape[-2:]) * _np.finfo(S.dtype).eps
        else:
            rtol = _values(rtol)[..., None]
        tol = S.max(axis=-1, keepdims=True) * rtol
    else:
        tol = _values(tol)[..., None]
    return _creation.asarray(_np.count_nonzero(S > tol, axis=-1).astype(_np.int64))


@per_example
def eigvals(a):
    """The eigenvalues of each square matrix of ``a`` for real symmetric input (ascending, through
    ``eigh``). A non-symmetric matrix may have complex eigenvalues, which need complex dtypes
    pyjac does not have yet: it raises NotImplementedError instead of returning a wrong answer.
    Symmetric means up to rounding (max |a - a.T| <= 1000 eps max |a|); the symmetric part
    ``(a + a.T) / 2`` is decomposed, so the gradient is symmetric (at a symmetric matrix the
    eigenvalues' derivative in any direction is that of the direction's symmetric part)."""
    a = _as_float(_creation.asarray(a))
    _check_square(a, "eigvals")
    values = _values(a)
    if values.size:
        asym = _np.abs(values - _np.swapaxes(values, -1, -2)).max()
        if asym > 1000 * _np.finfo(values.dtype).eps * _np.abs(values).max():
            raise NotImplementedError(
                f"eigvals: the input (shape {tuple(a.shape)}) is not symmetric (max |a - a.T| = {asym:.3g}); "
                "the eigenvalues of a non-symmetric matrix may be complex, which needs complex dtypes that "
                "pyjac does not support yet. For symmetric input use eigvals or eigvalsh."
            )
    return eigvalsh((a + _mT(a)) / 2)


# ---- expm: scaling and squaring with Pade approximants (Al-Mohy & Higham 2009), as SciPy -----------
# The degree m and the scaling s are chosen per matrix from detached 1-norms as
# scipy.linalg.expm chooses them; the approximant r_m(A / 2^s)^(2^s) is then evaluated in
# differentiable ops (matmul, solve), so every derivative is exact for the computed function. The
# first is the Frechet derivative of the same approximant (what scipy.linalg.expm_frechet
# computes), accurate to about the same relative precision as the value.
_PADE_THETA = (1.495585217958292e-2, 2.539398330063230e-1, 9.504178996162932e-1, 2.097847961257068, 4.25)
# The bound coefficients of Al-Mohy & Higham's correction term l(A, m), per precision (SciPy's).
_PADE_ELL = {
    _np.float64: (
        1.1191048088221578e-11,
        1.1167770708198077e-06,
        4.9826124310493469e-01,
        6.566286250e05,
        1.2573361865339437e19,
    ),
    _np.float32: (
        6.0081481933593750e-03,
        5.9956512451171875e02,
        2.6750196800000000e08,
        3.52524808749056e14,
        6.7502722515508048e27,
    ),
}
# Numerator coefficients b_0 .. b_m of the [m/m] Pade approximant of exp.
_PADE_B = {
    3: (120.0, 60.0, 12.0, 1.0),
    5: (30240.0, 15120.0, 3360.0, 420.0, 30.0, 1.0),
    7: (17297280.0, 8648640.0, 1995840.0, 277200.0, 25200.0, 1512.0, 56.0, 1.0),
    9: (17643225600.0, 8821612800.0, 2075673600.0, 302702400.0, 30270240.0, 2162160.0, 110880.0, 3960.0, 90.0, 1.0),
    13: (
        64764752532480000.0,
        32382376266240000.0,
        7771770303897600.0,
        1187353796428800.0,
        129060195264000.0,
        10559470521600.0,
        670442572800.0,
        33522128640.0,
        1323241920.0,
        40840800.0,
        960960.0,
        16380.0,
        182.0,
        1.0,
    ),
}


def _onenorm(x):
    return _np.abs(x).sum(axis=0).max()


def _ceil_at_least_0(v):
    return int(_np.ceil(v)) if _np.isfinite(v) and v > 0 else 0


def _pade_degree_and_scaling(a):
    """(m, s) for one matrix (a NumPy array) as SciPy's pick_pade_structure: the least degree m
    whose bound holds at d_k = ||A^k||^(1/k), unless Al-Mohy & Higham's l(A, m), from the 1-norm
    of |A|^(2m+1), asks for more; else degree 13 with the least scaling s that satisfies both."""
    theta, coeff = _PADE_THETA, _PADE_ELL[a.dtype.type]
    with _np.errstate(all="ignore"):
        abs_t = _np.abs(a).T  # (|A|^T)^k 1 holds the column sums of |A|^k: its max is ||A^k||_1
        work = abs_t.sum(axis=1)
        norm_a = work.max()

        def spin(k):  # k more factors of |A|
            nonlocal work
            for _ in range(k):
                work = abs_t @ work
            return work.max()

        a2 = a @ a
        a4 = a2 @ a2
        a6 = a2 @ a4
        d4, d6 = _onenorm(a4) ** 0.25, _onenorm(a6) ** (1 / 6)
        eta1 = max(d4, d6)
        if _ceil_at_least_0(_np.log2(spin(6) / norm_a / coeff[0]) / 6) == 0 and eta1 < theta[0]:
            return 3, 0
        if _ceil_at_least_0(_np.log2(spin(4) / norm_a / coeff[1]) / 10) == 0 and eta1 < theta[1]:
            return 5, 0
        d8 = _onenorm(a4 @ a4) ** 0.125
        eta2 = max(d6, d8)
        if _ceil_at_least_0(_np.log2(spin(4) / norm_a / coeff[2]) / 14) == 0 and eta2 < theta[2]:
            return 7, 0
        if _ceil_at_least_0(_np.log2(spin(4) / norm_a / coeff[3]) / 18) == 0 and eta2 < theta[3]:
            return 9, 0
        d10 = _onenorm(a4 @ a6) ** 0.1
        s = _ceil_at_least_0(_np.log2(min(eta2, max(d8, d10)) / theta[4]))
        if s:
            abs_t = abs_t * 2.0**-s
            work = work * 2.0 ** (-19 * s)
            norm_a = norm_a * 2.0**-s
        return 13, s + _ceil_at_least_0(_np.log2(spin(8) / norm_a / coeff[4]) / 26)


def _pade_expm(a, m, s):
    """r_m(A / 2^s)^(2^s) for a stack of matrices, in differentiable ops (SciPy's evaluation)."""
    b = _PADE_B[m]
    if s:
        a = a * 2.0**-s
    eye = _creation.eye(a.shape[-1], dtype=a.dtype)
    mm = _ops.matmul
    a2 = mm(a, a)
    if m == 3:
        u = mm(a, a2) + b[1] * a
        v = b[2] * a2 + b[0] * eye
    else:
        a4 = mm(a2, a2)
        if m == 5:
            u = mm(a, a4 + b[3] * a2 + b[1] * eye)
            v = b[4] * a4 + b[2] * a2 + b[0] * eye
        else:
            a6 = mm(a2, a4)
            if m == 7:
                u = mm(a, a6 + b[5] * a4 + b[3] * a2 + b[1] * eye)
                v = b[6] * a6 + b[4] * a4 + b[2] * a2 + b[0] * eye
            elif m == 9:
                a8 = mm(a4, a4)
                u = mm(a, a8 + b[7] * a6 + b[5] * a4 + b[3] * a2 + b[1] * eye)
                v = b[8] * a8 + b[6] * a6 + b[4] * a4 + b[2] * a2 + b[0] * eye
            else:
                u = mm(a, mm(a6, a6 + b[11] * a4 + b[9] * a2) + (b[7] * a6 + b[5] * a4 + b[3] * a2 + b[1] * eye))
                v = mm(a6, b[12] * a6 + b[10] * a4 + b[8] * a2) + (b[6] * a6 + b[4] * a4 + b[2] * a2 + b[0] * eye)
    # r_m = (V - U)^-1 (V + U) = I + 2 (V - U)^-1 U
    x = eye + 2.0 * solve(v - u, u)
    for _ in range(s):
        x = mm(x, x)
    return x


@per_example
def expm(A):
    """The matrix exponential of each matrix of ``A`` (..., n, n), as ``scipy.linalg.expm``:
    scaling and squaring with a Pade approximant of degree 3, 5, 7, 9 or 13 chosen per matrix
    (Al-Mohy & Higham 2009, SciPy's thresholds). Differentiable in both modes to every order: the
    approximant is evaluated in differentiable ops, so derivatives are exact for the computed
    function. Unlike SciPy, diagonal and triangular inputs are not special-cased (SciPy recomputes
    their diagonals exactly; that would not be differentiable in the other directions), so there
    the last digits may differ."""
    a = _as_float(_creation.asarray(A))
    if a.ndim < 2 and a.size == 1:
        return _ops.reshape(_ops.exp(a), (1, 1))
    _check_square(a, "expm")
    n = a.shape[-1]
    if a.size == 0 or n == 1:
        return _ops.exp(a)
    batch = tuple(a.shape[:-2])
    flat = _ops.reshape(a, (-1, n, n))
    values = _values(flat)
    groups = {}
    for i in range(values.shape[0]):
        groups.setdefault(_pade_degree_and_scaling(values[i]), []).append(i)
    if len(groups) == 1:
        ((m, s),) = groups
        out = _pade_expm(flat, m, s)
    else:
        # Matrices that need different degrees or scalings are computed in groups, then put back
        # in order: a common scaling would over-scale the small ones and cost accuracy.
        order = [i for idx in groups.values() for i in idx]
        parts = [_pade_expm(_ops.take(flat, _creation.asarray(idx), axis=0), m, s) for (m, s), idx in groups.items()]
        out = _ops.take(_ops.concatenate(parts, axis=0), _creation.asarray(_np.argsort(order)), axis=0)
    return _ops.reshape(out, batch + (n, n))


__all__ = [
    "LinAlgError",
    "inv",
    "det",
    "slogdet",
    "solve",
    "cholesky",
    "qr",
    "eigh",
    "eigvalsh",
    "svd",
    "svdvals",
    "norm",
    "matrix_norm",
    "pinv",
    "matrix_power",
    "lstsq",
    "multi_dot",
    "cond",
    "matrix_rank",
    "eigvals",
    "expm",
    "SlogdetResult",
    "QRResult",
    "EighResult",
    "SVDResult",
]
