#pragma once
#include "autograd/node.h"

namespace pyjac {

// Backpropagates from `outputs` seeded with `grad_outputs` (each shaped like its output, or
// (k, *output_shape) when `batched`). With no `inputs`, gradients accumulate into every reached
// leaf's .grad and nothing is returned; otherwise the gradients for `inputs` are returned
// (undefined for an unreached input when allow_unused) and no .grad is touched.
TensorList run_backward(const TensorList& outputs, const TensorList& grad_outputs, bool keep_graph,
                        bool create_graph, const TensorList& inputs, bool allow_unused, bool batched);

}  // namespace pyjac
