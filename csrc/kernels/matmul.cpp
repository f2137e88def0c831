// Batched matrix products through cblas (scipy-openblas32, loaded at import), with NumPy's batch
// broadcasting. Transposed views go to BLAS as transpose flags instead of being copied.
#include <dlfcn.h>

#include <cstring>
#include <mutex>

#include "kernels/int_math.h"
#include "kernels/kernels.h"

namespace pyjac::kernels {

namespace {

enum { RowMajor = 101, NoTrans = 111, Trans = 112 };
using dgemm_fn = void (*)(int, int, int, int, int, int, double, const double*, int, const double*, int, double, double*,
                          int);
using sgemm_fn = void (*)(int, int, int, int, int, int, float, const float*, int, const float*, int, float, float*,
                          int);

dgemm_fn dgemm = nullptr;
sgemm_fn sgemm = nullptr;

// Whether every matrix of t's batch (`batch`, its leading dims) is the same one: no batch, or
// batch dims of size 1 or stride 0 (a broadcast).
bool shared(const Tensor& t, const Shape& batch) {
  for (size_t d = 0; d < batch.size(); ++d)
    if (batch[d] != 1 && t.strides()[d] != 0) return false;
  return true;
}

// How BLAS can read a matrix view (rows x cols with the given strides) without a copy.
struct MatrixView {
  bool ok;
  int trans;
  int64_t ld;
};

MatrixView blas_view(int64_t rows, int64_t cols, int64_t s0, int64_t s1) {
  // A stride along a dim of size 1 never matters; a zero stride elsewhere (broadcast) can't be
  // expressed to BLAS, so such a view gets neither form and is copied.
  const int64_t r = std::max<int64_t>(rows, 1), c = std::max<int64_t>(cols, 1);
  if ((cols <= 1 || s1 == 1) && (rows <= 1 || s0 >= c)) return {true, NoTrans, rows <= 1 ? c : s0};
  if ((rows <= 1 || s0 == 1) && (cols <= 1 || s1 >= r)) return {true, Trans, cols <= 1 ? r : s1};
  return {false, NoTrans, 0};
}

template <class T>
void gemm(int64_t n, int64_t m, int64_t k, const T* a, MatrixView va, int64_t as0, int64_t as1, const T* b,
          MatrixView vb, int64_t bs0, int64_t bs1, T* c) {
  if constexpr (std::is_same_v<T, double>) {
    if (dgemm && va.ok && vb.ok) {
      dgemm(RowMajor, va.trans, vb.trans, int(n), int(m), int(k), 1.0, a, int(va.ld), b, int(vb.ld), 0.0, c,
            int(std::max<int64_t>(m, 1)));
      return;
    }
  } else if constexpr (std::is_same_v<T, float>) {
    if (sgemm && va.ok && vb.ok) {
      sgemm(RowMajor, va.trans, vb.trans, int(n), int(m), int(k), 1.0f, a, int(va.ld), b, int(vb.ld), 0.0f, c,
            int(std::max<int64_t>(m, 1)));
      return;
    }
  }
  // Plain loops: integer dtypes, or BLAS unavailable.
  for (int64_t i = 0; i < n; ++i) {
    T* crow = c + i * m;
    for (int64_t j = 0; j < m; ++j) crow[j] = T(0);
    for (int64_t p = 0; p < k; ++p) {
      const T av = a[i * as0 + p * as1];
      for (int64_t j = 0; j < m; ++j) crow[j] = wrap_add(crow[j], wrap_mul(av, b[p * bs0 + j * bs1]));
    }
  }
}

// A product with k == 1 (an outer product: per-example gradients w.r.t. a weight come as a batch
// of them): each element written once, where BLAS would clear the output first and pack both
// operands for a single multiply-add.
template <class T>
void outer(int64_t n, int64_t m, const T* a, int64_t as0, const T* b, int64_t bs1, T* c) {
  for (int64_t i = 0; i < n; ++i) {
    const T av = a[i * as0];
    T* row = c + i * m;
    if (bs1 == 1)
      for (int64_t j = 0; j < m; ++j) row[j] = wrap_mul(av, b[j]);
    else
      for (int64_t j = 0; j < m; ++j) row[j] = wrap_mul(av, b[j * bs1]);
  }
}

}  // namespace

void load_blas(const std::string& path) {
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) throw std::runtime_error(std::string("pyjac: cannot load BLAS from ") + path + ": " + dlerror());
  auto d = reinterpret_cast<dgemm_fn>(dlsym(handle, "scipy_cblas_dgemm"));
  auto s = reinterpret_cast<sgemm_fn>(dlsym(handle, "scipy_cblas_sgemm"));
  if (!d || !s) throw std::runtime_error("pyjac: " + path + " has no scipy_cblas_dgemm/sgemm");
  dgemm = d;
  sgemm = s;
}

bool blas_loaded() { return dgemm != nullptr; }

Tensor matmul(const Tensor& a_in, const Tensor& b_in) {
  // NumPy's product of bool matrices is bool, an or of ands: count the ands, then test for any.
  if (a_in.dtype() == DType::Bool && b_in.dtype() == DType::Bool)
    return cast(matmul(cast(a_in, DType::Int64), cast(b_in, DType::Int64)), DType::Bool);
  const int64_t na = a_in.ndim(), nb = b_in.ndim();
  const int64_t n = a_in.shape()[na - 2], k = a_in.shape()[na - 1], m = b_in.shape()[nb - 1];
  Shape a_batch(a_in.shape().begin(), a_in.shape().end() - 2);
  Shape b_batch(b_in.shape().begin(), b_in.shape().end() - 2);
  Shape batch = broadcast_shapes(a_batch, b_batch, "matmul");
  const DType dt = promote(a_in.dtype(), b_in.dtype());
  Tensor a = a_in.dtype() == dt ? a_in : cast(a_in, dt);
  Tensor b = b_in.dtype() == dt ? b_in : cast(b_in, dt);

  Shape out_shape = batch;
  out_shape.push_back(n);
  out_shape.push_back(m);
  Tensor out = empty(out_shape, dt, "matmul");
  const int64_t batch_n = numel(batch);
  if (out.numel() == 0) return out;
  if (k == 0) return naming_allocation_errors("matmul", [&] { return zeros(out_shape, dt); });

  auto views = [&](Tensor& t) {
    const int64_t d = t.ndim();
    MatrixView v = blas_view(t.shape()[d - 2], t.shape()[d - 1], t.strides()[d - 2], t.strides()[d - 1]);
    if (!v.ok) {
      t = contiguous(t);
      v = blas_view(t.shape()[d - 2], t.shape()[d - 1], t.strides()[d - 2], t.strides()[d - 1]);
    }
    return v;
  };
  MatrixView va = views(a), vb = views(b);

  dispatch(dt, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (!std::is_same_v<T, bool>) {
      const T* pa = a.data<T>();
      const T* pb = b.data<T>();
      T* pc = out.data<T>();
      const int64_t as0 = a.strides()[na - 2], as1 = a.strides()[na - 1];
      const int64_t bs0 = b.strides()[nb - 2], bs1 = b.strides()[nb - 1];
      // One tall product when b is shared by the whole batch (no batch dims, or broadcast ones
      // with stride 0: vmap's expanded weights) and a's rows stack evenly: (B*n, k) @ (k, m) is
      // far faster than B small ones.
      if (shared(b, b_batch) && a.is_contiguous() && va.trans == NoTrans) {
        const int64_t rows = numel(a_batch) * n;
        if (rows * m == out.numel()) {
          MatrixView tall{true, NoTrans, std::max<int64_t>(k, 1)};
          gemm<T>(rows, m, k, pa, tall, k, 1, pb, vb, bs0, bs1, pc);
          return;
        }
      }
      // a shared by the whole batch and b a stack of narrow matrices (a batched cotangent meeting
      // a matrix-vector product): one wide product a @ [b_1 ... b_B] instead of B thin ones.
      const int64_t b_count = numel(b_batch);
      // A stack of vectors (m == 1): out (B, n) = b (B, k) @ a^T is one GEMM written straight
      // into out, where the wide form below would transpose b in and the result out.
      if (numel(a_batch) == 1 && b_count > 1 && m == 1 && b.is_contiguous()) {
        MatrixView rows_of_b{true, NoTrans, std::max<int64_t>(k, 1)};
        MatrixView a_transposed = blas_view(k, n, as1, as0);
        if (a_transposed.ok) {
          gemm<T>(b_count, n, k, pb, rows_of_b, k, 1, pa, a_transposed, as1, as0, pc);
          return;
        }
      }
      if (numel(a_batch) == 1 && b_count > 1 && m <= 16) {
        std::vector<int64_t> perm{nb - 2};
        for (int64_t d = 0; d < nb - 2; ++d) perm.push_back(d);
        perm.push_back(nb - 1);
        Shape ps, pst;
        for (auto d : perm) {
          ps.push_back(b.shape()[d]);
          pst.push_back(b.strides()[d]);
        }
        Tensor wide_b = contiguous(b.view_as_strided(ps, pst, b->offset));  // (k, B..., m)
        const int64_t cols = b_count * m;
        Tensor wide_c = empty({n, cols}, dt, "matmul");
        MatrixView wb{true, NoTrans, std::max<int64_t>(cols, 1)};
        gemm<T>(n, cols, k, pa, va, as0, as1, wide_b.data<T>(), wb, cols, 1, wide_c.data<T>());
        // wide_c[i, beta * m + j] -> out[beta, i, j]
        copy_into(out.view_as_strided({b_count, n, m}, {n * m, m, 1}, 0),
                  wide_c.view_as_strided({b_count, n, m}, {m, cols, 1}, 0));
        return;
      }
      // Walk the batch with broadcast strides.
      const int64_t nd = int64_t(batch.size());
      std::vector<int64_t> sa(nd, 0), sb(nd, 0);
      for (int64_t d = 0; d < int64_t(a_batch.size()); ++d) {
        int64_t od = nd - int64_t(a_batch.size()) + d;
        sa[od] = a_batch[d] == 1 ? 0 : a.strides()[d];
      }
      for (int64_t d = 0; d < int64_t(b_batch.size()); ++d) {
        int64_t od = nd - int64_t(b_batch.size()) + d;
        sb[od] = b_batch[d] == 1 ? 0 : b.strides()[d];
      }
      std::vector<int64_t> idx(nd, 0);
      for (int64_t i = 0; i < batch_n; ++i) {
        int64_t oa = 0, ob = 0;
        for (int64_t d = 0; d < nd; ++d) {
          oa += idx[d] * sa[d];
          ob += idx[d] * sb[d];
        }
        if (k == 1)
          outer<T>(n, m, pa + oa, as0, pb + ob, bs1, pc + i * n * m);
        else
          gemm<T>(n, m, k, pa + oa, va, as0, as1, pb + ob, vb, bs0, bs1, pc + i * n * m);
        for (int64_t d = nd - 1; d >= 0; --d) {
          if (++idx[d] < batch[d]) break;
          idx[d] = 0;
        }
      }
    }
  });
  return out;
}

}  // namespace pyjac::kernels
