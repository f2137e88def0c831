#pragma once
// Collecting reference cycles that run through .grad.
//
// Note [Reference cycles through .grad]
// The tape is acyclic by construction (a node holds only older tensors; outputs are saved
// without their history), except through a tensor's .grad: backward(create_graph=True) leaves in
// x.grad a tensor whose history saved x (d(x**3)/dx = 3 x**2 saves x), so
//   x -> x.grad -> its grad_fn -> ... -> a saved x.
// No Python object is in that loop, so Python's collector can't see it, and once the last Python
// reference to x goes the whole graph would stay (PyTorch only warns about it). pyjac collects
// such cycles itself, with the trial deletion CPython's collector uses, over the tape's own
// references: starting from a tensor, it walks every tensor and node reachable through strong
// references, counts the references each receives from inside that set, and when every object's
// whole reference count is accounted for from inside, nothing outside can reach any of them: it
// clears the .grad slots in the set, which frees all of it. An object referenced from anywhere
// else (a Python wrapper, a running pass, a node whose references it can't list) keeps the set.
//
// It runs when the last Python reference to a tensor that may head such a cycle (one whose .grad
// has had history) goes. A tensor found still reachable then (the frame dropping it still holds
// the loss whose graph saved it, say) is scanned again later: after as many tensors have been
// dropped as the scan walked objects, and at each full collection of Python's own collector
// (gc.collect(), or its generation 2).
#include <memory>

#include "tensor/tensor.h"

namespace pyjac {

// Marks `t` as a tensor whose .grad has history (called where such a gradient is stored).
void note_grad_with_history(const std::shared_ptr<TensorImpl>& t);

// Called when a tensor's Python wrapper dies, with the wrapper's reference to it (or nothing
// when it was not a tensor that may head a cycle, just to count the death).
void wrapper_released(std::shared_ptr<TensorImpl> t);

// Scans the tensors still waiting (see above) and frees the cycles nothing else reaches;
// returns how many tensors it freed.
size_t collect_cycles();

}  // namespace pyjac
