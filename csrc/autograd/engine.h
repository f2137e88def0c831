#pragma once
#include "autograd/node.h"

namespace pyjac {

// Backpropagates from `outputs` seeded with `grad_outputs` (each shaped like its output, or
// (k, *output_shape) when `batched`). With no `inputs`, gradients accumulate into every reached
// leaf's .grad and nothing is returned; otherwise the gradients for `inputs` are returned
// (undefined for an unreached input when allow_unused) and no .grad is touched.
TensorList run_backward(const TensorList& outputs, const TensorList& grad_outputs, bool keep_graph, bool create_graph,
                        const TensorList& inputs, bool allow_unused, bool batched);

// A check the engine calls between nodes of a pass, on the thread running it, every 256 nodes
// (with the number of nodes the pass has run); it may throw to abort the pass (the python layer
// raises a pending KeyboardInterrupt there).
// The pass then lets go of every node it held: the nodes it ran have freed what they saved,
// unless retain_graph was given, and the others are as they were.
void set_pass_interrupt_check(void (*check)(uint32_t executed));

// Whether the graph below `outputs` reaches a leaf that requires grad other than `own_leaves`
// (or a non-leaf tensor's history outside them): how a transform tells that something outside it,
// a closure over a tensor that requires grad say, may still want to differentiate its result.
bool depends_on_other_leaves(const TensorList& outputs, const TensorList& own_leaves);

}  // namespace pyjac
