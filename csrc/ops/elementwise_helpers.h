#pragma once
// Recording shared by the elementwise op files: an op computes its output with a kernel, then
// hands it here with what its rules read.
#include "ops/record.h"

namespace pyjac {

enum class Save { Nothing, Input, Output, InputAndOutput };

inline Tensor record_unary(Tensor out, const Tensor& x, Save save, const OpSpec& spec) {
  if (Recording r = record(out, spec, x)) {
    if (save == Save::Input || save == Save::InputAndOutput) r->saved = {x};
    if (save == Save::Output || save == Save::InputAndOutput) r->save_output(out);
    finish(r, out, {&x});
  }
  return out;
}

// A broadcasting two-input op: the input shapes are kept for reduce_to.
inline Tensor record_binary(Tensor out, const Tensor& a, const Tensor& b, bool save_inputs, bool save_output,
                            const OpSpec& spec) {
  if (Recording r = record(out, spec, a, b)) {
    r->shapes = {a.shape(), b.shape()};
    if (save_inputs) r->saved = {a, b};
    if (save_output) r->save_output(out);
    finish(r, out, {&a, &b});
  }
  return out;
}

}  // namespace pyjac
