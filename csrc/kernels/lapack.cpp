// LAPACK kernels. The routines come from scipy-openblas32 (Fortran calling convention: every
// argument by pointer, 32-bit integers, column-major storage, a hidden length after the other
// arguments for each character argument).
//
// Our tensors are row-major, and a row-major m x n buffer is the column-major n x m matrix a^T.
// Each kernel uses that instead of transposing where it can: inv, det and solve factor a^T
// (det(a^T) = det(a); the transposed solve of a^T is a solve with a); cholesky and eigh read the
// upper triangle of a^T, which is a's lower one; the SVD of a^T = U' S V'^T is a = V' S U'^T, so
// LAPACK's VT is our U and its U our Vh, both already in row-major order.
#include "kernels/lapack.h"

#include <dlfcn.h>

#include <climits>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>

#include "kernels/kernels.h"

namespace pyjac::kernels {

namespace {

using fint = int;     // LAPACK's INTEGER in scipy-openblas32 (LP64)
using flen = size_t;  // the hidden length of a CHARACTER argument

template <class T>
struct Routines {
  void (*gesv)(const fint*, const fint*, T*, const fint*, fint*, T*, const fint*, fint*) = nullptr;
  void (*getrf)(const fint*, const fint*, T*, const fint*, fint*, fint*) = nullptr;
  void (*getrs)(const char*, const fint*, const fint*, const T*, const fint*, const fint*, T*, const fint*, fint*,
                flen) = nullptr;
  void (*potrf)(const char*, const fint*, T*, const fint*, fint*, flen) = nullptr;
  void (*geqrf)(const fint*, const fint*, T*, const fint*, T*, T*, const fint*, fint*) = nullptr;
  void (*orgqr)(const fint*, const fint*, const fint*, T*, const fint*, const T*, T*, const fint*, fint*) = nullptr;
  void (*syevd)(const char*, const char*, const fint*, T*, const fint*, T*, T*, const fint*, fint*, const fint*, fint*,
                flen, flen) = nullptr;
  void (*gesdd)(const char*, const fint*, const fint*, T*, const fint*, T*, T*, const fint*, T*, const fint*, T*,
                const fint*, fint*, fint*, flen) = nullptr;
};

Routines<double> d_routines;
Routines<float> s_routines;
std::string lapack_path;  // empty: load_lapack was never called

template <class T>
Routines<T>& routines() {
  if constexpr (std::is_same_v<T, double>)
    return d_routines;
  else
    return s_routines;
}

// The routine `name` for T, or a RuntimeError naming the op and the missing symbol.
template <class T, class Fn>
Fn need(Fn fn, const char* name, const char* op) {
  if (fn) return fn;
  const std::string symbol = std::string("scipy_") + (std::is_same_v<T, double> ? "d" : "s") + name + "_";
  if (lapack_path.empty())
    throw std::runtime_error(std::string(op) + ": LAPACK is not loaded (import pyjac.linalg loads it)");
  throw std::runtime_error(std::string(op) + ": the LAPACK routine " + symbol + " is missing from " + lapack_path);
}
#define LAPACK(T, name, op) need<T>(routines<T>().name, #name, op)

fint as_fint(int64_t v, const char* op) {
  if (v > INT_MAX)
    throw ValueError(std::string(op) + ": matrix dimension " + std::to_string(v) + " is too large for LAPACK");
  return fint(v);
}

// LAPACK's workspace query answers with the optimal size in work[0].
template <class T>
fint workspace_size(T answer) {
  return std::max<fint>(1, fint(std::ceil(double(answer))));
}

void check_info(fint info, const char* routine, const char* op) {
  if (info < 0)
    throw std::runtime_error(std::string(op) + ": internal error, LAPACK's " + routine + " rejected argument " +
                             std::to_string(-info));
}

int64_t matrices_in(const Shape& shape) { return numel(Shape(shape.begin(), shape.end() - 2)); }

Shape with_matrix(Shape batch, int64_t rows, int64_t cols) {
  batch.push_back(rows);
  batch.push_back(cols);
  return batch;
}

Shape batch_of(const Tensor& a) { return Shape(a.shape().begin(), a.shape().end() - 2); }

// Identity matrices (rows x cols, ones on the diagonal) for every matrix of `out`.
template <class T>
void fill_identity(const Tensor& out) {
  const int64_t rows = out.shape()[out.ndim() - 2], cols = out.shape()[out.ndim() - 1];
  T* p = out.data<T>();
  std::fill(p, p + out.numel(), T(0));
  for (int64_t b = 0, count = matrices_in(out.shape()); b < count; ++b)
    for (int64_t i = 0; i < std::min(rows, cols); ++i) p[b * rows * cols + i * cols + i] = T(1);
}

// `a` (..., rows, cols) as a fresh contiguous row-major copy: LAPACK overwrites its input.
Tensor working_copy(const Tensor& a) { return cast(a, a.dtype()); }

// The transpose of each matrix, contiguous and new.
Tensor transposed_copy(const Tensor& a) {
  Shape shape = a.shape(), strides = a.strides();
  std::swap(shape[shape.size() - 1], shape[shape.size() - 2]);
  std::swap(strides[strides.size() - 1], strides[strides.size() - 2]);
  return cast(a.view_as_strided(shape, strides, a->offset), a.dtype());
}

// A view of x as `shape` (NumPy broadcasting: stride 0 along new or size-1 dims).
Tensor broadcast_view(const Tensor& x, const Shape& shape) {
  Shape strides(shape.size(), 0);
  const int64_t lead = int64_t(shape.size()) - x.ndim();
  for (int64_t d = 0; d < x.ndim(); ++d) strides[lead + d] = x.shape()[d] == 1 ? 0 : x.strides()[d];
  return x.view_as_strided(shape, strides, x->offset);
}

template <class T>
bool lower_has_nan(const T* p, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j <= i; ++j)
      if (std::isnan(p[i * n + j])) return true;
  return false;
}

template <class T>
bool has_nan(const T* p, int64_t count) {
  for (int64_t i = 0; i < count; ++i)
    if (std::isnan(p[i])) return true;
  return false;
}

}  // namespace

void load_lapack(const std::string& path) {
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) throw std::runtime_error("pyjac: cannot load LAPACK from " + path + ": " + dlerror());
  auto resolve = [&](auto& slot, const char* prefix, const char* name) {
    slot = reinterpret_cast<std::remove_reference_t<decltype(slot)>>(
        dlsym(handle, (std::string("scipy_") + prefix + name + "_").c_str()));
  };
#define PYJAC_RESOLVE(name)             \
  resolve(d_routines.name, "d", #name); \
  resolve(s_routines.name, "s", #name)
  PYJAC_RESOLVE(gesv);
  PYJAC_RESOLVE(getrf);
  PYJAC_RESOLVE(getrs);
  PYJAC_RESOLVE(potrf);
  PYJAC_RESOLVE(geqrf);
  PYJAC_RESOLVE(orgqr);
  PYJAC_RESOLVE(syevd);
  PYJAC_RESOLVE(gesdd);
#undef PYJAC_RESOLVE
  lapack_path = path;
}

Tensor inv(const Tensor& a, const char* op) {
  const int64_t n = a.shape().back();
  Tensor lu = working_copy(a);
  Tensor out = empty(a.shape(), a.dtype());
  if (out.numel() == 0) return out;
  dispatch_float(a.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    auto gesv = LAPACK(T, gesv, op);
    fill_identity<T>(out);
    const fint N = as_fint(n, op);
    std::vector<fint> ipiv(n);
    for (int64_t b = 0, count = matrices_in(a.shape()); b < count; ++b) {
      fint info = 0;
      // Solving a^T X' = I gives X' = a^-T in column-major order, which row-major is a^-1.
      gesv(&N, &N, lu.data<T>() + b * n * n, &N, ipiv.data(), out.data<T>() + b * n * n, &N, &info);
      check_info(info, "gesv", op);
      if (info > 0) throw LinAlgError(std::string(op) + ": singular matrix");
    }
  });
  return out;
}

Tensor solve(const Tensor& a, const Tensor& b, const char* op) {
  const int64_t n = a.shape().back(), k = b.shape().back();
  const Shape a_batch = batch_of(a), b_batch = batch_of(b);
  const Shape batch = broadcast_shapes(a_batch, b_batch, op);
  Tensor out = empty(with_matrix(batch, n, k), a.dtype());
  if (out.numel() == 0) return out;
  // Which matrix of `a` serves each matrix of the broadcast batch.
  const int64_t a_count = numel(a_batch), count = numel(batch);
  std::vector<int64_t> a_index(count);
  {
    Shape strides(batch.size(), 0);
    int64_t s = 1;
    for (int64_t d = int64_t(a_batch.size()) - 1; d >= 0; --d) {
      const int64_t od = int64_t(batch.size()) - int64_t(a_batch.size()) + d;
      strides[od] = a_batch[d] == 1 ? 0 : s;
      s *= a_batch[d];
    }
    std::vector<int64_t> idx(batch.size(), 0);
    for (int64_t i = 0; i < count; ++i) {
      int64_t at = 0;
      for (size_t d = 0; d < batch.size(); ++d) at += idx[d] * strides[d];
      a_index[i] = at;
      for (int64_t d = int64_t(batch.size()) - 1; d >= 0; --d) {
        if (++idx[d] < batch[d]) break;
        idx[d] = 0;
      }
    }
  }
  Tensor lu = working_copy(a);
  // Each right-hand side column-major: the row-major transpose, broadcast over the whole batch.
  Tensor rhs = transposed_copy(broadcast_view(b, with_matrix(batch, n, k)));
  dispatch_float(a.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    auto getrf = LAPACK(T, getrf, op);
    auto getrs = LAPACK(T, getrs, op);
    const fint N = as_fint(n, op), K = as_fint(k, op);
    std::vector<fint> ipiv(a_count * n);
    for (int64_t i = 0; i < a_count; ++i) {
      fint info = 0;
      getrf(&N, &N, lu.data<T>() + i * n * n, &N, ipiv.data() + i * n, &info);
      check_info(info, "getrf", op);
      if (info > 0) throw LinAlgError(std::string(op) + ": singular matrix");
    }
    const char trans = 'T';  // the factors are of a^T
    for (int64_t i = 0; i < count; ++i) {
      fint info = 0;
      const int64_t j = a_index[i];
      getrs(&trans, &N, &K, lu.data<T>() + j * n * n, &N, ipiv.data() + j * n, rhs.data<T>() + i * n * k, &N, &info, 1);
      check_info(info, "getrs", op);
    }
  });
  return transposed_copy(rhs);
}

std::pair<Tensor, Tensor> slogdet(const Tensor& a) {
  const int64_t n = a.shape().back();
  const Shape batch = batch_of(a);
  Tensor sign = empty(batch, a.dtype()), logabs = empty(batch, a.dtype());
  if (sign.numel() == 0) return {sign, logabs};
  Tensor lu = working_copy(a);
  dispatch_float(a.dtype(), "slogdet", [&](auto tag) {
    using T = decltype(tag);
    const fint N = as_fint(n, "slogdet");
    std::vector<fint> ipiv(n);
    auto getrf = n > 0 ? LAPACK(T, getrf, "slogdet") : nullptr;
    for (int64_t b = 0, count = numel(batch); b < count; ++b) {
      double s = 1, log_total = 0;
      if (n > 0) {
        T* m = lu.data<T>() + b * n * n;
        fint info = 0;
        getrf(&N, &N, m, &N, ipiv.data(), &info);  // info > 0 (a zero pivot) shows up below
        check_info(info, "getrf", "slogdet");
        for (int64_t i = 0; i < n; ++i) {
          if (ipiv[i] != fint(i + 1)) s = -s;
          const double u = double(m[i * n + i]);
          if (u == 0) {
            s = 0;
            log_total = -std::numeric_limits<double>::infinity();
            break;
          }
          if (u < 0) s = -s;
          log_total += std::log(std::fabs(u));
        }
      }
      sign.data<T>()[b] = T(s);
      logabs.data<T>()[b] = T(log_total);
    }
  });
  return {sign, logabs};
}

Tensor det(const Tensor& a) {
  // As NumPy: sign * exp(log|det|), which neither overflows nor underflows on the way.
  auto [sign, logabs] = slogdet(a);
  if (sign.numel() == 0) return sign;
  dispatch_float(a.dtype(), "det", [&](auto tag) {
    using T = decltype(tag);
    T* s = sign.data<T>();
    const T* l = logabs.data<T>();
    for (int64_t i = 0; i < sign.numel(); ++i) s[i] = s[i] * std::exp(l[i]);
  });
  return sign;
}

Tensor cholesky(const Tensor& a) {
  const int64_t n = a.shape().back();
  Tensor out = working_copy(a);
  if (out.numel() == 0) return out;
  dispatch_float(a.dtype(), "cholesky", [&](auto tag) {
    using T = decltype(tag);
    auto potrf = LAPACK(T, potrf, "cholesky");
    const fint N = as_fint(n, "cholesky");
    const char uplo = 'U';  // a^T's upper triangle is a's lower one
    for (int64_t b = 0, count = matrices_in(a.shape()); b < count; ++b) {
      T* m = out.data<T>() + b * n * n;
      if (lower_has_nan(m, n)) {  // NumPy's answer: NaN where L would be
        for (int64_t i = 0; i < n; ++i)
          for (int64_t j = 0; j < n; ++j) m[i * n + j] = j <= i ? std::numeric_limits<T>::quiet_NaN() : T(0);
        continue;
      }
      fint info = 0;
      potrf(&uplo, &N, m, &N, &info, 1);
      check_info(info, "potrf", "cholesky");
      if (info > 0) throw LinAlgError("cholesky: matrix is not positive definite");
      for (int64_t i = 0; i < n; ++i)
        for (int64_t j = i + 1; j < n; ++j) m[i * n + j] = T(0);
    }
  });
  return out;
}

std::pair<Tensor, Tensor> qr(const Tensor& a_in, bool complete) {
  const int64_t m = a_in.shape()[a_in.ndim() - 2], n = a_in.shape().back(), k = std::min(m, n);
  const int64_t q_cols = complete ? m : k, r_rows = complete ? m : k;
  const Shape batch = batch_of(a_in);
  Tensor q = empty(with_matrix(batch, m, q_cols), a_in.dtype());
  Tensor r = zeros(with_matrix(batch, r_rows, n), a_in.dtype());
  if (numel(batch) == 0) return {q, r};
  if (k == 0) {
    dispatch_float(a_in.dtype(), "qr", [&](auto tag) { fill_identity<decltype(tag)>(q); });
    return {q, r};
  }
  Tensor a = contiguous(a_in);
  dispatch_float(a.dtype(), "qr", [&](auto tag) {
    using T = decltype(tag);
    auto geqrf = LAPACK(T, geqrf, "qr");
    auto orgqr = LAPACK(T, orgqr, "qr");
    const fint M = as_fint(m, "qr"), N = as_fint(n, "qr"), K = as_fint(k, "qr"), QC = as_fint(q_cols, "qr");
    // Column-major m x max(n, q_cols): the reflectors, then Q built in place.
    const int64_t cols = std::max(n, q_cols);
    std::vector<T> work_matrix(m * cols), tau(k);
    fint lwork = -1, info = 0;
    T query = 0;
    geqrf(&M, &N, work_matrix.data(), &M, tau.data(), &query, &lwork, &info);
    fint size = workspace_size(query);
    orgqr(&M, &QC, &K, work_matrix.data(), &M, tau.data(), &query, &lwork, &info);
    size = std::max(size, workspace_size(query));
    std::vector<T> work(size);
    for (int64_t b = 0, count = numel(batch); b < count; ++b) {
      const T* src = a.data<T>() + b * m * n;
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) work_matrix[j * m + i] = src[i * n + j];
      geqrf(&M, &N, work_matrix.data(), &M, tau.data(), work.data(), &size, &info);
      check_info(info, "geqrf", "qr");
      T* rp = r.data<T>() + b * r_rows * n;
      for (int64_t i = 0; i < k; ++i)
        for (int64_t j = i; j < n; ++j) rp[i * n + j] = work_matrix[j * m + i];
      orgqr(&M, &QC, &K, work_matrix.data(), &M, tau.data(), work.data(), &size, &info);
      check_info(info, "orgqr", "qr");
      T* qp = q.data<T>() + b * m * q_cols;
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < q_cols; ++j) qp[i * q_cols + j] = work_matrix[j * m + i];
    }
  });
  return {q, r};
}

std::pair<Tensor, Tensor> eigh(const Tensor& a) {
  const int64_t n = a.shape().back();
  const Shape batch = batch_of(a);
  Shape w_shape = batch;
  w_shape.push_back(n);
  Tensor w = empty(w_shape, a.dtype());
  Tensor columns = working_copy(a);  // after syevd: the eigenvectors, column-major
  if (columns.numel() == 0) return {w, columns};
  dispatch_float(a.dtype(), "eigh", [&](auto tag) {
    using T = decltype(tag);
    auto syevd = LAPACK(T, syevd, "eigh");
    const fint N = as_fint(n, "eigh");
    const char jobz = 'V', uplo = 'U';  // a^T's upper triangle is a's lower one
    fint lwork = -1, liwork = -1, info = 0, iquery = 0;
    T query = 0;
    syevd(&jobz, &uplo, &N, columns.data<T>(), &N, w.data<T>(), &query, &lwork, &iquery, &liwork, &info, 1, 1);
    lwork = workspace_size(query);
    liwork = std::max<fint>(1, iquery);
    std::vector<T> work(lwork);
    std::vector<fint> iwork(liwork);
    for (int64_t b = 0, count = numel(batch); b < count; ++b) {
      T* m = columns.data<T>() + b * n * n;
      T* wb = w.data<T>() + b * n;
      if (lower_has_nan(m, n)) {  // NumPy's answer: all NaN
        std::fill(m, m + n * n, std::numeric_limits<T>::quiet_NaN());
        std::fill(wb, wb + n, std::numeric_limits<T>::quiet_NaN());
        continue;
      }
      syevd(&jobz, &uplo, &N, m, &N, wb, work.data(), &lwork, iwork.data(), &liwork, &info, 1, 1);
      check_info(info, "syevd", "eigh");
      if (info > 0) throw LinAlgError("eigh: eigenvalues did not converge");
    }
  });
  return {w, transposed_copy(columns)};
}

SvdResult svd(const Tensor& a, bool compute_uv, bool full_matrices) {
  const int64_t m = a.shape()[a.ndim() - 2], n = a.shape().back(), k = std::min(m, n);
  const int64_t u_cols = full_matrices ? m : k, vh_rows = full_matrices ? n : k;
  const Shape batch = batch_of(a);
  SvdResult res;
  Shape s_shape = batch;
  s_shape.push_back(k);
  res.s = empty(s_shape, a.dtype());
  if (compute_uv) {
    res.u = empty(with_matrix(batch, m, u_cols), a.dtype());
    res.vh = empty(with_matrix(batch, vh_rows, n), a.dtype());
  }
  if (numel(batch) == 0) return res;
  if (k == 0) {
    if (compute_uv)
      dispatch_float(a.dtype(), "svd", [&](auto tag) {
        fill_identity<decltype(tag)>(res.u);
        fill_identity<decltype(tag)>(res.vh);
      });
    return res;
  }
  Tensor at = working_copy(a);  // column-major: a^T, n x m
  dispatch_float(a.dtype(), "svd", [&](auto tag) {
    using T = decltype(tag);
    auto gesdd = LAPACK(T, gesdd, "svd");
    const char jobz = compute_uv ? (full_matrices ? 'A' : 'S') : 'N';
    const fint M = as_fint(n, "svd"), N = as_fint(m, "svd");  // the matrix LAPACK sees is a^T
    const fint LDU = std::max<fint>(1, M), LDVT = std::max<fint>(1, as_fint(u_cols, "svd"));
    std::vector<fint> iwork(8 * k);
    std::vector<T> dummy(1);
    fint lwork = -1, info = 0;
    T query = 0;
    gesdd(&jobz, &M, &N, at.data<T>(), &M, res.s.data<T>(), dummy.data(), &LDU, dummy.data(), &LDVT, &query, &lwork,
          iwork.data(), &info, 1);
    lwork = workspace_size(query);
    std::vector<T> work(lwork);
    for (int64_t b = 0, count = numel(batch); b < count; ++b) {
      T* mat = at.data<T>() + b * m * n;
      if (has_nan(mat, m * n)) throw LinAlgError("svd: SVD did not converge (the matrix has NaN entries)");
      // LAPACK's U (n x vh_rows, column-major) is our Vh; its VT (u_cols x m) is our U.
      T* u_lapack = compute_uv ? res.vh.data<T>() + b * vh_rows * n : dummy.data();
      T* vt_lapack = compute_uv ? res.u.data<T>() + b * m * u_cols : dummy.data();
      gesdd(&jobz, &M, &N, mat, &M, res.s.data<T>() + b * k, u_lapack, &LDU, vt_lapack, &LDVT, work.data(), &lwork,
            iwork.data(), &info, 1);
      check_info(info, "gesdd", "svd");
      if (info > 0) throw LinAlgError("svd: SVD did not converge");
    }
  });
  return res;
}

}  // namespace pyjac::kernels
