// Advanced-indexing kernels: gather through integer index arrays, its transpose (scatter-add,
// where repeated indices accumulate), nonzero for boolean masks, and the last-write mask that
// gives assignment through repeated indices NumPy's "last one wins" meaning.
// A gather's source is a strided view whose dims are (pre dims, one dim per index array, post
// dims); the arrays share one shape B and are already checked to be in range.
#include <algorithm>
#include <unordered_set>

#include "kernels/kernels.h"

namespace pyjac::kernels {

namespace {

// Element offsets of every position of a (shape, strides) block, in row-major order.
std::vector<int64_t> block_offsets(const int64_t* shape, const int64_t* strides, int64_t nd) {
  int64_t n = 1;
  for (int64_t d = 0; d < nd; ++d) n *= shape[d];
  std::vector<int64_t> out(size_t(std::max<int64_t>(n, 0)));
  if (n == 0) return out;
  std::vector<int64_t> idx(size_t(nd), 0);
  int64_t off = 0;
  for (int64_t i = 0; i < n; ++i) {
    out[size_t(i)] = off;
    for (int64_t d = nd - 1; d >= 0; --d) {
      if (++idx[d] < shape[d]) {
        off += strides[d];
        break;
      }
      off -= strides[d] * (shape[d] - 1);
      idx[d] = 0;
    }
  }
  return out;
}

// The offset each index position b points at along the indexed dims.
std::vector<int64_t> index_offsets(const int64_t* strides, const std::vector<Tensor>& idx) {
  const int64_t nb = idx.empty() ? 1 : idx[0].numel();
  std::vector<int64_t> off(size_t(nb), 0);
  for (size_t j = 0; j < idx.size(); ++j) {
    const int64_t* p = idx[j].data<int64_t>();
    for (int64_t b = 0; b < nb; ++b) off[size_t(b)] += p[b] * strides[j];
  }
  return off;
}

struct Plan {
  std::vector<int64_t> pre, bidx, post;
  Shape out_shape;
  bool post_contiguous = false;  // post offsets are 0, 1, 2, ...: rows copy as runs

  // Calls f(offset of a row) for each row of the indexed tensor, in the gathered tensor's order;
  // a row's elements are at that offset plus `post`.
  template <class F>
  void for_each_row(F&& f) const {
    for (int64_t pre_offset : pre)
      for (int64_t index_offset : bidx) f(pre_offset + index_offset);
  }
};

// The gathered shape: v's dims before the indexed ones, the index shape, v's dims after them.
Shape gathered_shape(const Tensor& v, int64_t pre_nd, const std::vector<Tensor>& idx) {
  const int64_t k = int64_t(idx.size());
  const int64_t post_nd = v.ndim() - pre_nd - k;
  Shape shape(v.shape().begin(), v.shape().begin() + pre_nd);
  if (k) shape.insert(shape.end(), idx[0].shape().begin(), idx[0].shape().end());
  shape.insert(shape.end(), v.shape().end() - post_nd, v.shape().end());
  return shape;
}

Plan plan_for(const Tensor& v, int64_t pre_nd, const std::vector<Tensor>& idx) {
  const int64_t k = int64_t(idx.size());
  const int64_t post_nd = v.ndim() - pre_nd - k;
  Plan p;
  p.pre = block_offsets(v.shape().data(), v.strides().data(), pre_nd);
  p.bidx = index_offsets(v.strides().data() + pre_nd, idx);
  p.post = block_offsets(v.shape().data() + pre_nd + k, v.strides().data() + pre_nd + k, post_nd);
  p.out_shape = gathered_shape(v, pre_nd, idx);
  p.post_contiguous = true;
  for (size_t q = 0; q < p.post.size() && p.post_contiguous; ++q) p.post_contiguous = p.post[q] == int64_t(q);
  return p;
}

}  // namespace

Tensor index_gather(const Tensor& v, int64_t pre_nd, const std::vector<Tensor>& idx) {
  // The output first: a (broadcast) v too large to gather from fails there with a message saying
  // how large, not in the offset tables below, which are no larger than the output.
  Tensor out = empty(gathered_shape(v, pre_nd, idx), v.dtype());
  Plan p = plan_for(v, pre_nd, idx);
  dispatch(v.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* src = v.data<T>();
    T* o = out.data<T>();
    const size_t nq = p.post.size();
    p.for_each_row([&](int64_t row) {
      const T* base = src + row;
      if (p.post_contiguous) {
        std::copy(base, base + nq, o);
        o += nq;
      } else {
        for (size_t q = 0; q < nq; ++q) *o++ = base[p.post[q]];
      }
    });
  });
  return out;
}

void index_scatter_add(const Tensor& dst, int64_t pre_nd, const std::vector<Tensor>& idx, const Tensor& src_in) {
  Plan p = plan_for(dst, pre_nd, idx);
  if (src_in.shape() != p.out_shape)
    throw ValueError("index_scatter_add: source of shape " + shape_str(src_in.shape()) + " does not match " +
                     shape_str(p.out_shape));
  Tensor src = src_in.dtype() == dst.dtype() ? contiguous(src_in) : cast(src_in, dst.dtype());
  dispatch(dst.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* s = src.data<T>();
    T* d = dst.data<T>();
    const size_t nq = p.post.size();
    p.for_each_row([&](int64_t row) {
      T* base = d + row;
      if constexpr (std::is_same_v<T, bool>) {
        for (size_t q = 0; q < nq; ++q) base[p.post[q]] = base[p.post[q]] || *s++;
      } else if (p.post_contiguous) {
        for (size_t q = 0; q < nq; ++q) base[q] += s[q];
        s += nq;
      } else {
        for (size_t q = 0; q < nq; ++q) base[p.post[q]] += *s++;
      }
    });
  });
}

Tensor index_last_write(const Shape& strides, const std::vector<Tensor>& idx) {
  std::vector<int64_t> off = index_offsets(strides.data(), idx);
  Shape shape = idx.empty() ? Shape{} : idx[0].shape();
  Tensor out = empty(shape, DType::Bool);
  bool* o = out.data<bool>();
  std::unordered_set<int64_t> seen;
  seen.reserve(off.size());
  for (size_t b = off.size(); b-- > 0;) o[b] = seen.insert(off[b]).second;
  return out;
}

std::vector<Tensor> nonzero(const Tensor& mask) {
  Tensor m = contiguous(mask);
  const int64_t nd = m.ndim(), n = m.numel();
  int64_t count = 0;
  dispatch(m.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* p = m.data<T>();
    for (int64_t i = 0; i < n; ++i) count += p[i] != T(0);
  });
  std::vector<Tensor> out;
  for (int64_t d = 0; d < nd; ++d) out.push_back(empty({count}, DType::Int64));
  std::vector<int64_t> idx(size_t(nd), 0);
  int64_t c = 0;
  dispatch(m.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* p = m.data<T>();
    for (int64_t i = 0; i < n; ++i) {
      if (p[i] != T(0)) {
        for (int64_t d = 0; d < nd; ++d) out[size_t(d)].data<int64_t>()[c] = idx[size_t(d)];
        ++c;
      }
      for (int64_t d = nd - 1; d >= 0; --d) {
        if (++idx[size_t(d)] < m.shape()[d]) break;
        idx[size_t(d)] = 0;
      }
    }
  });
  return out;
}

}  // namespace pyjac::kernels
