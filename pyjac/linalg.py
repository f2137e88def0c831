"""Linear algebra under NumPy's names: ``inv det slogdet solve cholesky qr eigh svd norm``, plus
``eigvalsh svdvals matrix_norm``.

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
"""

import os as _os
from collections import namedtuple as _namedtuple

import scipy_openblas32 as _openblas

from . import _core

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
    "SlogdetResult",
    "QRResult",
    "EighResult",
    "SVDResult",
]
