#pragma once
// A node's edges to its inputs. Almost every op has one or two inputs, so up to two edges live
// inside the node: recording an op allocates no edge array, and the engine reads a node's edges
// from the cache line it already loaded for the node.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <utility>

namespace pyjac {

struct Node;

struct Edge {
  std::shared_ptr<Node> fn;  // empty: the input needs no gradient
  uint32_t input_nr = 0;     // which output of `fn` the input was
};

class EdgeList {
 public:
  EdgeList() = default;
  EdgeList(const EdgeList&) = delete;
  EdgeList& operator=(const EdgeList&) = delete;
  ~EdgeList() {
    std::destroy_n(data(), size_);
    if (heap_) std::free(heap_);
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  Edge& operator[](size_t i) { return data()[i]; }
  const Edge& operator[](size_t i) const { return data()[i]; }
  Edge* begin() { return data(); }
  Edge* end() { return data() + size_; }
  const Edge* begin() const { return data(); }
  const Edge* end() const { return data() + size_; }

  void reserve(size_t n) {
    if (n > capacity_) grow(n);
  }
  void push_back(Edge e) {
    if (size_ == capacity_) grow(size_t(capacity_) * 2);
    new (data() + size_) Edge(std::move(e));
    ++size_;
  }

 private:
  static constexpr uint32_t kInline = 2;

  Edge* data() { return heap_ ? heap_ : reinterpret_cast<Edge*>(inline_); }
  const Edge* data() const { return heap_ ? heap_ : reinterpret_cast<const Edge*>(inline_); }

  void grow(size_t n) {
    Edge* fresh = static_cast<Edge*>(std::malloc(n * sizeof(Edge)));
    if (!fresh) throw std::bad_alloc();
    Edge* old = data();
    std::uninitialized_move_n(old, size_, fresh);
    std::destroy_n(old, size_);
    if (heap_) std::free(heap_);
    heap_ = fresh;
    capacity_ = uint32_t(n);
  }

  alignas(Edge) unsigned char inline_[kInline * sizeof(Edge)];
  Edge* heap_ = nullptr;
  uint32_t size_ = 0;
  uint32_t capacity_ = kInline;
};

}  // namespace pyjac
