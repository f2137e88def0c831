#pragma once
// The generic batching rule: the op once per example, the results stacked (Note [Batched
// tensors], batched.h). Correct for any op whose result shape does not depend on the values;
// slower than a rule of its own (one call per example), so docs/vmap.md lists the ops that use it.
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "ops/ops.h"
#include "vmap/batched.h"

namespace pyjac::vmap {

namespace loop_detail {

inline void collect(Levels& l, const Tensor& t) { add_levels(l, t); }
inline void collect(Levels& l, const TensorList& ts) {
  for (const Tensor& t : ts) add_levels(l, t);
}
inline void collect(Levels& l, const std::optional<Tensor>& t) {
  if (t) add_levels(l, *t);
}
inline void collect(Levels& l, const std::vector<IndexItem>& index) {
  for (const IndexItem& it : index)
    if (it.kind == IndexItem::Array) add_levels(l, it.array);
}
template <class T>
void collect(Levels&, const T&) {}

inline bool batched_arg(const Tensor& t) { return is_batched(t); }
inline bool batched_arg(const TensorList& ts) { return any_batched(ts); }
inline bool batched_arg(const std::optional<Tensor>& t) { return t && is_batched(*t); }
inline bool batched_arg(const std::vector<IndexItem>& index) {
  for (const IndexItem& it : index)
    if (it.kind == IndexItem::Array && is_batched(it.array)) return true;
  return false;
}
template <class T>
bool batched_arg(const T&) {
  return false;
}

// x's examples, in the order of the flattened batch dims (sizes): one plain tensor each.
TensorList examples(const Tensor& x, const Levels& levels, const Shape& sizes, int64_t n);

// An argument's value for example i: tensors (also inside lists and index items) sliced.
template <class T>
struct PerExample {
  PerExample(const T& v, const Levels&, const Shape&, int64_t) : value(v) {}
  const T& at(int64_t) const { return value; }
  const T& value;
};
template <>
struct PerExample<Tensor> {
  PerExample(const Tensor& v, const Levels& l, const Shape& s, int64_t n)
      : value(v), pieces(is_batched(v) ? examples(v, l, s, n) : TensorList()) {}
  const Tensor& at(int64_t i) const { return pieces.empty() ? value : pieces[size_t(i)]; }
  Tensor value;
  TensorList pieces;
};
template <>
struct PerExample<TensorList> {
  PerExample(const TensorList& v, const Levels& l, const Shape& s, int64_t n) {
    for (const Tensor& t : v) items.emplace_back(t, l, s, n);
  }
  TensorList at(int64_t i) const {
    TensorList out;
    for (const auto& item : items) out.push_back(item.at(i));
    return out;
  }
  std::vector<PerExample<Tensor>> items;
};
template <>
struct PerExample<std::optional<Tensor>> {
  PerExample(const std::optional<Tensor>& v, const Levels& l, const Shape& s, int64_t n)
      : item(v ? *v : Tensor(), l, s, n), present(bool(v)) {}
  std::optional<Tensor> at(int64_t i) const { return present ? std::optional<Tensor>(item.at(i)) : std::nullopt; }
  PerExample<Tensor> item;
  bool present;
};
template <>
struct PerExample<std::vector<IndexItem>> {
  PerExample(const std::vector<IndexItem>& v, const Levels& l, const Shape& s, int64_t n) : value(v) {
    for (const IndexItem& it : v) arrays.emplace_back(it.kind == IndexItem::Array ? it.array : Tensor(), l, s, n);
  }
  std::vector<IndexItem> at(int64_t i) const {
    std::vector<IndexItem> out = value;
    for (size_t j = 0; j < out.size(); ++j)
      if (out[j].kind == IndexItem::Array) out[j].array = arrays[j].at(i);
    return out;
  }
  const std::vector<IndexItem>& value;
  std::vector<PerExample<Tensor>> arrays;
};

// The per-example results as one batched result.
Tensor combine(const char* op, const TensorList& results, const Levels& levels, const Shape& sizes);
TensorList combine(const char* op, const std::vector<TensorList>& results, const Levels& levels, const Shape& sizes);

}  // namespace loop_detail

template <class... A>
bool any_batched_arg(const A&... args) {
  return (loop_detail::batched_arg(args) || ...);
}

template <class F, class... A>
auto loop(const char* op, F&& f, const A&... args) {
  Levels levels;
  (loop_detail::collect(levels, args), ...);
  TensorList all;  // every tensor argument, to read the levels' sizes from
  auto gather = [&](const auto& a) {
    using T = std::decay_t<decltype(a)>;
    if constexpr (std::is_same_v<T, Tensor>) all.push_back(a);
    if constexpr (std::is_same_v<T, TensorList>) all.insert(all.end(), a.begin(), a.end());
    if constexpr (std::is_same_v<T, std::optional<Tensor>>)
      if (a) all.push_back(*a);
    if constexpr (std::is_same_v<T, std::vector<IndexItem>>)
      for (const IndexItem& it : a)
        if (it.kind == IndexItem::Array) all.push_back(it.array);
  };
  (gather(args), ...);
  const Shape sizes = level_sizes(levels, all);
  const int64_t n = numel(sizes);
  if (n == 0) unbatchable(op, "has no batching rule of its own and cannot run over an empty batch");
  std::tuple<loop_detail::PerExample<std::decay_t<A>>...> per{
      loop_detail::PerExample<std::decay_t<A>>(args, levels, sizes, n)...};
  using R = std::decay_t<decltype(f(args...))>;
  std::vector<R> results;
  results.reserve(size_t(n));
  for (int64_t i = 0; i < n; ++i) results.push_back(std::apply([&](const auto&... p) { return f(p.at(i)...); }, per));
  if constexpr (std::is_same_v<R, Tensor>)
    return loop_detail::combine(op, TensorList(results.begin(), results.end()), levels, sizes);
  else
    return loop_detail::combine(op, results, levels, sizes);
}

}  // namespace pyjac::vmap
