// pyjac.linalg: inverses, determinants, solves and decompositions through LAPACK, each with its
// derivative rules beside it, written in differentiable ops (so rules of rules, i.e. higher
// derivatives, come for free) and batch-agnostic (negative axes, matmul's batch broadcasting).
//
// Conventions the rules rely on (X^-T = (X^-1)^T; mtr transposes the last two dims):
//   * cholesky and eigh read only the lower triangle of their input, as LAPACK and NumPy do. They
//     are differentiated as that function: the input goes through sym_lower (the symmetric matrix
//     its lower triangle describes) and the core rules assume a symmetric argument, so gradients
//     come back lower-triangular (the strict lower part doubled) and agree with finite
//     differences for any input. For a symmetric X, sym(grad) is the familiar symmetric gradient.
//   * eigh/svd vector derivatives divide by eigenvalue (squared singular value) gaps: they need
//     distinct values; with only the eigenvalues / singular values used, they don't.
//   * Columns of Q (complete QR) and U, Vh (full SVD) beyond k = min(m, n) are an arbitrary basis
//     of a complement: they are treated as constants (cotangents there ignored, tangents zero).
#include <cmath>

#include "kernels/kernels.h"
#include "kernels/lapack.h"
#include "ops/record.h"
#include "ops/record_multi.h"
#include "ops/rule_macros.h"
#include "vmap/rules.h"

namespace pyjac::linalg {

namespace {

// ---- helpers: differentiable matrix pieces ------------------------------------------------------

Tensor mtr(const Tensor& x) { return swap_last_two(x); }
Tensor mmul(const Tensor& a, const Tensor& b) { return matmul(a, b); }
Tensor mmul(const Tensor& a, const Tensor& b, const Tensor& c) { return matmul(matmul(a, b), c); }

int64_t rows_of(const Tensor& x) { return x.shape()[x.ndim() - 2]; }
int64_t cols_of(const Tensor& x) { return x.shape().back(); }

// A constant rows x cols matrix whose (i, j) entry is value(i, j).
template <class F>
Tensor constant_matrix(int64_t rows, int64_t cols, DType dtype, F value) {
  Tensor out = empty({rows, cols}, dtype);
  dispatch_float(dtype, "linalg", [&](auto tag) {
    using T = decltype(tag);
    T* p = out.data<T>();
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j) p[i * cols + j] = T(value(i, j));
  });
  return out;
}

Tensor eye_of(int64_t n, DType dtype) {
  return constant_matrix(n, n, dtype, [](int64_t i, int64_t j) { return i == j; });
}

// Entries on and below the k-th diagonal (j - i <= k), or on and above it.
Tensor lower_tri(const Tensor& x, int64_t k = 0) {
  return x * constant_matrix(rows_of(x), cols_of(x), x.dtype(), [k](int64_t i, int64_t j) { return j - i <= k; });
}
Tensor upper_tri(const Tensor& x, int64_t k = 0) {
  return x * constant_matrix(rows_of(x), cols_of(x), x.dtype(), [k](int64_t i, int64_t j) { return j - i >= k; });
}

// The symmetric matrix the lower triangle of x describes.
Tensor sym_lower(const Tensor& x) { return lower_tri(x) + mtr(lower_tri(x, -1)); }

// (..., n, n) -> (..., n) and back.
Tensor diag_of(const Tensor& x) { return sum(x * eye_of(cols_of(x), x.dtype()), std::vector<int64_t>{-1}, false); }
Tensor diag_from(const Tensor& v) { return expand_dims(v, {v.ndim()}) * eye_of(v.shape().back(), v.dtype()); }

// x diag(s) and diag(s) x.
Tensor cols_scaled(const Tensor& x, const Tensor& s) { return x * expand_dims(s, {s.ndim() - 1}); }
Tensor rows_scaled(const Tensor& s, const Tensor& x) { return expand_dims(s, {s.ndim()}) * x; }

// A (...) tensor as (..., 1, 1), to scale matrices.
Tensor as_matrix_scale(const Tensor& x) { return expand_dims(x, {x.ndim(), x.ndim() + 1}); }

// tr(X^T Y) over the last two dims.
Tensor frobenius_inner(const Tensor& x, const Tensor& y) { return sum(x * y, std::vector<int64_t>{-2, -1}, false); }

// F_ij = 1 / (v_j - v_i) off the diagonal, 0 on it: the gap weights of eigen- and singular-vector rules.
Tensor inverse_gaps(const Tensor& v) {
  Tensor gaps = expand_dims(v, {v.ndim() - 1}) - expand_dims(v, {v.ndim()});
  Tensor eye = eye_of(v.shape().back(), v.dtype());
  return (1.0 - eye) / (gaps + eye);
}

bool needs_derivative(const Tensor& a) {
  return (GradMode::is_enabled() && a.requires_grad()) || (ForwardAD::any_live() && !a->tangents.empty());
}

// NumPy's linalg computes integers and bools in float64.
Tensor as_float(const Tensor& a) { return is_floating(a.dtype()) ? a : astype(a, DType::Float64); }

void check_matrix(const Tensor& a, const char* op) {
  if (a.ndim() < 2)
    throw LinAlgError(std::string(op) + ": " + std::to_string(a.ndim()) +
                      "-dimensional array given; the array must be at least two-dimensional (" + describe(a) + ")");
}

void check_square(const Tensor& a, const char* op) {
  check_matrix(a, op);
  if (rows_of(a) != cols_of(a))
    throw LinAlgError(std::string(op) + ": the last 2 dimensions of the array must be square, got " + describe(a));
}

// x[..., :, start:stop] and x[..., start:stop, :].
Tensor col_slice(const Tensor& x, int64_t start, int64_t stop) {
  return getitem(x, {IndexItem{IndexItem::Ellipsis}, IndexItem{IndexItem::Slice},
                     IndexItem{IndexItem::Slice, start, stop, 1, true, true}});
}
Tensor row_slice(const Tensor& x, int64_t start, int64_t stop) {
  return getitem(x, {IndexItem{IndexItem::Ellipsis}, IndexItem{IndexItem::Slice, start, stop, 1, true, true},
                     IndexItem{IndexItem::Slice}});
}
Tensor fresh(const Tensor& x) { return kernels::cast(x, x.dtype()); }

// ---- inv: X = A^-1.  dX = -X dA X;  gA = -X^T g X^T ---------------------------------------------
// `op` names the caller in the singular-matrix error (an inverse inside another op's rule).
Tensor inverse(const Tensor& a, const char* op) {
  static const OpSpec spec{"InvBackward", RULE({-mmul(mtr(n.output()), g, mtr(n.output()))}),
                           JVP(-mmul(n.output(), t[0], n.output()))};
  VMAP_UNARY(a, inverse(a, op));
  Tensor out = kernels::inv(a, op);
  if (Recording r = record(out, spec, a)) {
    r->shapes = {a.shape()};
    r->save_output(out);
    finish(r, out, {&a});
  }
  return out;
}

// ---- solve: X = A^-1 B with B (..., n, k), batch dims broadcast.
// dX = A^-1 (dB - dA X);  gB = A^-T g, gA = -gB X^T (each summed back over broadcast dims).
TensorList solve_vjp(OpNode& n, const Tensor& g, Needs needs) {
  Tensor gb = solve_matrices(mtr(n.input(0)), g);
  return {IF_NEEDED(0, unbroadcast(-mmul(gb, mtr(n.output())), n.shapes[0], n.out_ndim)),
          IF_NEEDED(1, unbroadcast(gb, n.shapes[1], n.out_ndim))};
}

}  // namespace

Tensor solve_matrices(const Tensor& a, const Tensor& b) {
  static const OpSpec spec{"SolveBackward", solve_vjp,
                           JVP(solve_matrices(n.input(0), plus(IF_TANGENT(1, n.lift(1, t[1])),
                                                               IF_TANGENT(0, -mmul(n.lift(0, t[0]), n.output())))))};
  if (vmap::any_batched(a, b)) return vmap::elementwise(solve_matrices, a, b);
  Tensor out = kernels::solve(a, b, "solve");
  if (Recording r = record(out, spec, a, b)) {
    r->save_inputs(a);
    r->shapes = {a.shape(), b.shape()};
    r->save_output(out);
    finish(r, out, {&a, &b});
  }
  return out;
}

Tensor inv(const Tensor& a_in) {
  Tensor a = as_float(a_in);
  check_square(a, "inv");
  return inverse(a, "inv");
}

Tensor solve(const Tensor& a_in, const Tensor& b_in) {
  Tensor a = as_float(a_in), b = as_float(b_in);
  check_square(a, "solve");
  if (b.ndim() == 0) throw LinAlgError("solve: b must be at least one-dimensional, got " + describe(b));
  if (a.dtype() != b.dtype()) {  // float32 with float64 computes in float64, as in NumPy
    a = astype(a, DType::Float64);
    b = astype(b, DType::Float64);
  }
  const int64_t n = cols_of(a);
  const bool vector = b.ndim() == 1;
  const int64_t b_rows = vector ? b.shape()[0] : rows_of(b);
  if (b_rows != n)
    throw ValueError("solve: a of shape " + shape_str(a.shape()) + " needs b with " + std::to_string(n) +
                     (vector ? " entries" : " rows") + ", got b of shape " + shape_str(b.shape()));
  if (!vector) {
    Shape ab(a.shape().begin(), a.shape().end() - 2), bb(b.shape().begin(), b.shape().end() - 2);
    try {
      broadcast_shapes(ab, bb, "solve");
    } catch (const ValueError&) {
      throw ValueError("solve: batch dimensions of a " + shape_str(a.shape()) + " and b " + shape_str(b.shape()) +
                       " could not be broadcast together");
    }
    return solve_matrices(a, b);
  }
  return squeeze(solve_matrices(a, expand_dims(b, {1})), std::vector<int64_t>{-1});
}

// ---- det = det(A).  d det = det tr(A^-1 dA);  gA = g det A^-T -------------------------------------
// ---- slogdet: log|det A|.  d = tr(A^-1 dA);  gA = g A^-T. The sign is piecewise constant. --------
// Both need an invertible A for their derivatives (the inverse raises LinAlgError otherwise).
Tensor det(const Tensor& a_in) {
  static const OpSpec spec{"DetBackward",
                           RULE({as_matrix_scale(g * n.output()) * mtr(inverse(n.input(0), "det (derivative)"))}),
                           JVP(n.output() * frobenius_inner(mtr(inverse(n.input(0), "det (derivative)")), t[0]))};
  Tensor a = as_float(a_in);
  check_square(a, "det");
  VMAP_UNARY(a, det(a));
  Tensor out = kernels::det(a);
  if (Recording r = record(out, spec, a)) {
    r->save_inputs(a);
    r->save_output(out);
    finish(r, out, {&a});
  }
  return out;
}

TensorList slogdet(const Tensor& a_in) {
  static const OpSpec spec{"SlogdetBackward",
                           RULE({as_matrix_scale(g) * mtr(inverse(n.input(0), "slogdet (derivative)"))}),
                           JVP(frobenius_inner(mtr(inverse(n.input(0), "slogdet (derivative)")), t[0]))};
  Tensor a = as_float(a_in);
  check_square(a, "slogdet");
  VMAP_UNARY_LIST(a, slogdet(a));
  auto [sign, logabs] = kernels::slogdet(a);
  if (Recording r = record(logabs, spec, a)) {
    r->save_inputs(a);
    finish(r, logabs, {&a});
  }
  return {sign, logabs};
}

// ---- cholesky: S = L L^T (S symmetric).  dL = L Phi(L^-1 dS L^-T);  gS = L^-T Phi(L^T g) L^-1,
// Phi(X) = the lower triangle of X with its diagonal halved (Murray 2016). --------------------------
namespace {

Tensor phi(const Tensor& x) {
  return x * constant_matrix(rows_of(x), cols_of(x), x.dtype(), [](int64_t i, int64_t j) {
           return i > j ? 1.0 : i == j ? 0.5 : 0.0;
         });
}

Tensor cholesky_vjp(const Tensor& l, const Tensor& g) {
  Tensor lt = mtr(l);
  Tensor y = solve_matrices(lt, phi(mmul(lt, g)));  // L^-T Phi(L^T g)
  return mtr(solve_matrices(lt, mtr(y)));           // ... L^-1
}

Tensor cholesky_jvp(const Tensor& l, const Tensor& ds) {
  Tensor p = solve_matrices(l, ds);                     // L^-1 dS
  return mmul(l, phi(mtr(solve_matrices(l, mtr(p)))));  // L Phi(L^-1 dS L^-T)
}

Tensor cholesky_lower(const Tensor& a) {
  static const OpSpec spec{"CholeskyBackward", RULE({cholesky_vjp(n.output(), g)}),
                           JVP(cholesky_jvp(n.output(), t[0]))};
  VMAP_UNARY(a, cholesky_lower(a));
  const Tensor s = needs_derivative(a) ? sym_lower(a) : a;  // same values: LAPACK reads the lower triangle
  Tensor out = kernels::cholesky(s);
  if (Recording r = record(out, spec, s)) {
    r->save_output(out);
    finish(r, out, {&s});
  }
  return out;
}

}  // namespace

Tensor cholesky(const Tensor& a_in, bool upper) {
  Tensor a = as_float(a_in);
  check_square(a, "cholesky");
  // The upper factor of A (reading its upper triangle) is the transposed lower factor of A^T.
  return upper ? mtr(cholesky_lower(mtr(a))) : cholesky_lower(a);
}

// ---- qr (m >= n, reduced): A = QR.  With B = dA R^-1, C = Q^T B, U = triu(C) + tril(C, -1)^T:
//   dQ = B - Q U,  dR = U R;
//   gA = (gQ + Q copyu(M)) R^-T,  M = gR R^T - Q^T gQ,  copyu(M) = triu(M) + triu(M, 1)^T.
namespace {

TensorList qr_vjp(MultiOpNode& n, const TensorList& g, Needs) {
  Tensor q = n.output(0), r = n.output(1);
  const Tensor &gq = g[0], &gr = g[1];
  Tensor m = plus(gr.defined() ? mmul(gr, mtr(r)) : Tensor(), gq.defined() ? -mmul(mtr(q), gq) : Tensor());
  Tensor b = plus(gq, mmul(q, upper_tri(m) + mtr(upper_tri(m, 1))));
  return {mtr(solve_matrices(r, mtr(b)))};
}

TensorList qr_jvp(MultiOpNode& n, const TensorList& t) {
  Tensor q = n.output(0), r = n.output(1);
  Tensor b = mtr(solve_matrices(mtr(r), mtr(t[0])));
  Tensor c = mmul(mtr(q), b);
  Tensor u = upper_tri(c) + mtr(lower_tri(c, -1));
  return {b - mmul(q, u), mmul(u, r)};
}

// Puts Q and R (already computed, reduced, m >= n) on the tape as outputs of A.
TensorList qr_recorded(const Tensor& a, const Tensor& q, const Tensor& r) {
  static const MultiOpSpec spec{"QrBackward", qr_vjp, qr_jvp};
  TensorList outs{q, r};
  if (auto node = record_multi(outs, spec, {a})) finish_multi(*node, outs, {a});
  return outs;
}

}  // namespace

TensorList qr(const Tensor& a_in, const std::string& mode) {
  if (mode != "reduced" && mode != "complete" && mode != "r")
    throw ValueError("qr: unrecognized mode '" + mode + "' (expected 'reduced', 'complete' or 'r')");
  Tensor a = as_float(a_in);
  check_matrix(a, "qr");
  VMAP_UNARY_LIST(a, qr(a, mode));
  const bool complete = mode == "complete";
  const int64_t m = rows_of(a), n = cols_of(a);
  TensorList out;
  if (!needs_derivative(a)) {
    auto [q, r] = kernels::qr(a, complete);
    out = {q, r};
  } else if (m >= n) {
    auto [q, r] = kernels::qr(a, complete);
    if (!complete || m == n) {
      out = qr_recorded(a, q, r);
    } else {
      TensorList core = qr_recorded(a, fresh(col_slice(q, 0, n)), fresh(row_slice(r, 0, n)));
      out = {concatenate({core[0], fresh(col_slice(q, n, m))}, -1),
             concatenate({core[1], fresh(row_slice(r, n, m))}, -2)};
    }
  } else {
    // Wide: A = [X | Y] with X square; X = Q R_X, and then R = [R_X | Q^T Y].
    TensorList core = qr(col_slice(a, 0, m), "reduced");
    out = {core[0], concatenate({core[1], mmul(mtr(core[0]), col_slice(a, m, n))}, -1)};
  }
  if (mode == "r") return {out[1]};
  return out;
}

// ---- eigh (S symmetric): S = V diag(w) V^T.  With C = V^T dS V and F = inverse_gaps(w):
//   dw = diag(C),  dV = V (F * C);   gS = V (diag(gw) + F * (V^T gV)) V^T.
namespace {

TensorList eigh_vjp(MultiOpNode& n, const TensorList& g, Needs) {
  Tensor w = n.output(0), v = n.output(1);
  Tensor inner = plus(g[0].defined() ? diag_from(g[0]) : Tensor(),
                      g[1].defined() ? inverse_gaps(w) * mmul(mtr(v), g[1]) : Tensor());
  return {mmul(v, inner, mtr(v))};
}

TensorList eigh_jvp(MultiOpNode& n, const TensorList& t) {
  Tensor w = n.output(0), v = n.output(1);
  Tensor c = mmul(mtr(v), t[0], v);
  return {diag_of(c), mmul(v, inverse_gaps(w) * c)};
}

}  // namespace

TensorList eigh(const Tensor& a_in, bool upper) {
  static const MultiOpSpec spec{"EighBackward", eigh_vjp, eigh_jvp};
  Tensor a = as_float(a_in);
  check_square(a, "eigh");
  VMAP_UNARY_LIST(a, eigh(a, upper));
  if (upper) a = mtr(a);  // A's upper triangle is A^T's lower one
  const Tensor s = needs_derivative(a) ? sym_lower(a) : a;
  auto [w, v] = kernels::eigh(s);
  TensorList outs{w, v};
  if (auto node = record_multi(outs, spec, {s})) finish_multi(*node, outs, {s});
  return outs;
}

// ---- svd (reduced): A = U diag(S) V^T, k = min(m, n). With P = U^T dA V, F = inverse_gaps(S^2):
//   dS = diag(P)
//   dU = U (F * (P S + S P^T)) + (I - U U^T) dA V S^-1
//   dV = V (F * (S P + P^T S)) + (I - V V^T) dA^T U S^-1
//   gA = U [ (F * (U^T gU - gU^T U)) S + diag(gS) + S (F * (V^T gV - gV^T V)) ] V^T
//        + (I - U U^T) gU S^-1 V^T + U S^-1 gV^T (I - V V^T)
// (Townsend, "Differentiating the singular value decomposition"). The projector terms vanish
// when U (or V) is square, and are skipped then, so square matrices may have one zero singular value.
namespace {

TensorList svd_vjp(MultiOpNode& n, const TensorList& g, Needs) {
  Tensor u = n.output(0), s = n.output(1), vh = n.output(2);
  const int64_t m = rows_of(u), cols = cols_of(vh), k = s.shape().back();
  const Tensor &gu = g[0], &gs = g[1];
  const Tensor gv = g[2].defined() ? mtr(g[2]) : Tensor();
  Tensor inner = gs.defined() ? diag_from(gs) : Tensor();
  Tensor f = (gu.defined() || gv.defined()) ? inverse_gaps(s * s) : Tensor();
  Tensor ut_gu, vt_gv;
  if (gu.defined()) {
    ut_gu = mmul(mtr(u), gu);
    inner = plus(inner, cols_scaled(f * (ut_gu - mtr(ut_gu)), s));
  }
  if (gv.defined()) {
    vt_gv = mmul(vh, gv);
    inner = plus(inner, rows_scaled(s, f * (vt_gv - mtr(vt_gv))));
  }
  Tensor ga = mmul(u, inner, vh);
  if (gu.defined() && m > k) ga = ga + mmul(cols_scaled(gu - mmul(u, ut_gu), 1.0 / s), vh);
  if (gv.defined() && cols > k) ga = ga + mmul(u, rows_scaled(1.0 / s, mtr(gv) - mmul(mtr(vt_gv), vh)));
  return {ga};
}

TensorList svd_jvp(MultiOpNode& n, const TensorList& t) {
  Tensor u = n.output(0), s = n.output(1), vh = n.output(2), v = mtr(n.output(2));
  const int64_t m = rows_of(u), cols = cols_of(vh), k = s.shape().back();
  const Tensor& da = t[0];
  Tensor p = mmul(mtr(u), da, v);
  Tensor f = inverse_gaps(s * s);
  Tensor ps = cols_scaled(p, s), sp = rows_scaled(s, p);
  Tensor du = mmul(u, f * (ps + mtr(ps)));
  Tensor dv = mmul(v, f * (sp + mtr(sp)));
  if (m > k) du = du + cols_scaled(mmul(da, v) - mmul(u, p), 1.0 / s);
  if (cols > k) dv = dv + cols_scaled(mmul(mtr(da), u) - mmul(v, mtr(p)), 1.0 / s);
  return {du, diag_of(p), mtr(dv)};
}

TensorList svd_recorded(const Tensor& a, const Tensor& u, const Tensor& s, const Tensor& vh) {
  static const MultiOpSpec spec{"SvdBackward", svd_vjp, svd_jvp};
  TensorList outs{u, s, vh};
  if (auto node = record_multi(outs, spec, {a})) finish_multi(*node, outs, {a});
  return outs;
}

}  // namespace

TensorList svd(const Tensor& a_in, bool full_matrices, bool compute_uv) {
  Tensor a = as_float(a_in);
  check_matrix(a, "svd");
  VMAP_UNARY_LIST(a, svd(a, full_matrices, compute_uv));
  if (!needs_derivative(a)) {
    kernels::SvdResult r = kernels::svd(a, compute_uv, full_matrices);
    if (!compute_uv) return {r.s};
    return {r.u, r.s, r.vh};
  }
  const int64_t m = rows_of(a), n = cols_of(a), k = std::min(m, n);
  const bool full = compute_uv && full_matrices;
  kernels::SvdResult r = kernels::svd(a, true, full);
  TensorList out;
  if (!full || (m == k && n == k)) {
    out = svd_recorded(a, r.u, r.s, r.vh);
  } else {
    out = svd_recorded(a, fresh(col_slice(r.u, 0, k)), r.s, fresh(row_slice(r.vh, 0, k)));
    if (m > k) out[0] = concatenate({out[0], fresh(col_slice(r.u, k, m))}, -1);
    if (n > k) out[2] = concatenate({out[2], fresh(row_slice(r.vh, k, n))}, -2);
  }
  if (!compute_uv) return {out[1]};
  return out;
}

Tensor svdvals(const Tensor& a) { return svd(a, false, false)[0]; }

// ---- pinv: X = A^+ (A m x n, X n x m), through the SVD with singular values at or below
// rcond * max(S) taken as zero. Differentiated as a function of constant rank (Golub & Pereyra
// 1973), which holds near A whenever no kept singular value crosses the cutoff:
//   dX = -X dA X + X X^T dA^T (I - A X) + (I - X A) dA^T X^T X
//   gA = -X^T g X^T + (I - A X) g^T X X^T + X^T X g^T (I - X A)
// The rule is written with A and X only (no singular vectors), so repeated singular values (a
// rank-deficient A, an orthogonal one) are no problem, and it is differentiable again.
namespace {

Tensor pinv_vjp(const Tensor& a, const Tensor& x, const Tensor& g) {
  Tensor gt = mtr(g), xt = mtr(x);
  Tensor p = mmul(gt, mmul(x, xt));  // g^T X X^T
  Tensor q = mmul(mmul(xt, x), gt);  // X^T X g^T
  return -mmul(xt, g, xt) + (p - mmul(a, mmul(x, p))) + (q - mmul(mmul(q, x), a));
}

Tensor pinv_jvp(const Tensor& a, const Tensor& x, const Tensor& da) {
  Tensor dat = mtr(da);
  Tensor r = mmul(mmul(x, mtr(x)), dat);  // X X^T dA^T
  Tensor s = mmul(dat, mmul(mtr(x), x));  // dA^T X^T X
  return -mmul(x, da, x) + (r - mmul(r, mmul(a, x))) + (s - mmul(mmul(x, a), s));
}

}  // namespace

Tensor pinv(const Tensor& a_in, const Tensor& rcond) {
  static const OpSpec spec{"PinvBackward", RULE({pinv_vjp(n.input(0), n.output(), g)}),
                           JVP(pinv_jvp(n.input(0), n.output(), t[0]))};
  Tensor a = as_float(a_in);
  check_matrix(a, "pinv");
  if (vmap::any_batched(a, rcond)) {  // rcond broadcasts against a's stack dims
    const vmap::Levels levels = vmap::levels_of({&a, &rcond});
    return vmap::from_front(pinv(vmap::to_front(a, levels), vmap::to_front(rcond, levels, a.ndim() - 2)), levels);
  }
  const int64_t m = rows_of(a), cols = cols_of(a);
  Shape out_shape(a.shape().begin(), a.shape().end() - 2);
  out_shape.push_back(cols);
  out_shape.push_back(m);
  Tensor out;
  if (m == 0 || cols == 0 || a.numel() == 0) {
    out = zeros(out_shape, a.dtype());
  } else {
    // Constants only from here to the product: the SVD's factors carry no graph.
    kernels::SvdResult r = kernels::svd(a, true, false);
    Tensor cutoff = expand_dims(astype(rcond, a.dtype()), {rcond.ndim()}) * max(r.s, std::vector<int64_t>{-1}, true);
    Tensor kept = gt(r.s, cutoff);
    Tensor s_inv =
        where(kept, 1.0 / where(kept, r.s, full(r.s.shape(), 1.0, a.dtype())), zeros(r.s.shape(), a.dtype()));
    out = fresh(mmul(mtr(r.vh), rows_scaled(s_inv, mtr(r.u))));
  }
  if (Recording rec = record(out, spec, a)) {
    rec->save_inputs(a);
    rec->save_output(out);
    finish(rec, out, {&a});
  }
  return out;
}

}  // namespace pyjac::linalg
