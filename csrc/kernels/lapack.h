#pragma once
// Matrix decompositions through LAPACK (scipy-openblas32's, dlopen'ed at import like the BLAS in
// matmul.cpp). Every kernel takes float32 or float64 stacks of matrices (..., m, n) with any
// strides and returns fresh contiguous tensors; no autograd here.
#include <string>

#include "tensor/tensor.h"

namespace pyjac {

// NumPy's numpy.linalg.LinAlgError is a ValueError too: singular or non-definite input, no
// convergence, or arrays of the wrong rank for a matrix function.
struct LinAlgError : ValueError {
  using ValueError::ValueError;
};

}  // namespace pyjac

namespace pyjac::kernels {

// Resolves the routines from the given shared library; a routine it lacks raises RuntimeError
// when first used.
void load_lapack(const std::string& path);

// a^-1; LinAlgError naming `op` when a matrix is singular.
Tensor inv(const Tensor& a, const char* op);
// a^-1 b with a (A..., n, n) and b (B..., n, k) whose batch dims broadcast. Each distinct matrix
// of `a` is factored once however many right-hand sides share it (a batched cotangent, say).
Tensor solve(const Tensor& a, const Tensor& b, const char* op);
// sign and log|det| (0 and -inf for a singular matrix), and det itself.
std::pair<Tensor, Tensor> slogdet(const Tensor& a);
Tensor det(const Tensor& a);
// L with a = L L^T, reading only the lower triangle; LinAlgError when not positive definite.
Tensor cholesky(const Tensor& a);
// Householder QR. reduced: Q (m, k), R (k, n); complete: Q (m, m), R (m, n); k = min(m, n).
std::pair<Tensor, Tensor> qr(const Tensor& a, bool complete);
// Eigenvalues (ascending) and eigenvectors (columns) of the symmetric matrix whose lower
// triangle a holds. A matrix with a NaN there gives NaNs, as in NumPy.
std::pair<Tensor, Tensor> eigh(const Tensor& a);
// a = U diag(S) Vh. reduced: U (m, k), Vh (k, n); full: U (m, m), Vh (n, n). Without
// `compute_uv` only S is computed (u, vh undefined). LinAlgError when it does not converge
// (NaN input included, as in NumPy).
struct SvdResult {
  Tensor u, s, vh;
};
SvdResult svd(const Tensor& a, bool compute_uv, bool full_matrices);

}  // namespace pyjac::kernels
