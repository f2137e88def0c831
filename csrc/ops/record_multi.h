#pragma once
// The tape for ops with several outputs (QR's Q and R, eigh's w and V, the SVD's U, S, Vh): like
// OpNode, but the rules see (and give) one tangent or cotangent per output.
//   vjp: grads[i] shaped (*batch, *out_i_shape), undefined where output i got none (zero)
//        -> one gradient per input.
//   jvp: tangents per input (undefined = zero) -> one tangent per output (undefined = zero).
#include "ops/record.h"

namespace pyjac {

struct MultiOpNode;
using MultiRule = TensorList (*)(MultiOpNode& node, const TensorList& grads, Needs needs);
using MultiJvpRule = TensorList (*)(MultiOpNode& node, const TensorList& tangents);

struct MultiOpSpec {
  const char* name;
  MultiRule vjp;
  MultiJvpRule jvp;
};

struct MultiOpNode final : Node {
  MultiOpNode(const MultiOpSpec& spec, uint32_t outputs) : spec_(spec) { num_outputs = outputs; }
  const char* name() const override { return spec_.name; }
  TensorList apply(TensorList&& grads, Needs needs) override;
  void release_saved() override;
  void visit_references(ReferenceVisitor& v) const override;
  TensorList jvp(const TensorList& tangents) { return spec_.jvp(*this, tangents); }

  // Output i, differentiable again under create_graph (see OpNode::output).
  Tensor output(size_t i);
  // How many leading batch dims the defined cotangents carry.
  int64_t batch_ndim(const TensorList& grads) const;

  TensorList saved;
  std::vector<Shape> shapes;  // the input shapes
  std::vector<int64_t> out_ndims;
  TensorList out_data;  // the outputs, without history

 private:
  friend void finish_multi(MultiOpNode& node, const TensorList& outs, const TensorList& inputs);
  MultiOpSpec spec_;
  bool released_ = false;
  SavedVersions versions_;
};

// Puts an op with outputs `outs` on the tape when grad mode is on and an input requires grad, or
// when an input carries a live tangent (then the outputs get theirs from the jvp rule). Returns
// nothing when there is nothing to record. The caller fills `saved` etc., then calls
// finish_multi, which remembers the saved tensors' versions and runs the jvp rule.
std::shared_ptr<MultiOpNode> record_multi(TensorList& outs, const MultiOpSpec& spec, const TensorList& inputs);
void finish_multi(MultiOpNode& node, const TensorList& outs, const TensorList& inputs);

}  // namespace pyjac
