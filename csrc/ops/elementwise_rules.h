#pragma once
// The table format of the elementwise op files (arithmetic.cpp, math_functions.cpp): how an op
// records itself, and UNARY_OP / BINARY_OP, which turn one derivative per operand into both rules.
#include "kernels/kernels.h"
#include "ops/record.h"
#include "ops/rule_macros.h"
#include "vmap/rules.h"

namespace pyjac {

enum class Save { Nothing, Input, Output, InputAndOutput };

inline Tensor record_unary(Tensor out, const Tensor& x, Save save, const OpSpec& spec) {
  if (Recording r = record(out, spec, x)) {
    if (save == Save::Input || save == Save::InputAndOutput) r->save_inputs(x);
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
    if (save_inputs) r->save_inputs(a, b);
    if (save_output) r->save_output(out);
    finish(r, out, {&a, &b});
  }
  return out;
}

// The forward kernels, by kernel family; `op` names the op in errors (a shape mismatch).
inline Tensor elementwise_kernel(kernels::Unary k, const Tensor& x) { return kernels::unary(k, x); }
inline Tensor elementwise_kernel(kernels::MathFn k, const Tensor& x) { return kernels::math_fn(k, x); }
inline Tensor elementwise_kernel(kernels::Binary k, const Tensor& a, const Tensor& b, const char* op) {
  return kernels::binary(k, a, b, op);
}
inline Tensor elementwise_kernel(kernels::MathFn2 k, const Tensor& a, const Tensor& b, const char* op) {
  return kernels::math_fn2(k, a, b, op);
}

// g * p inside a reverse rule, handing p itself on where g is the cotangent of a sum (Note [The
// cotangent of a sum], arithmetic.cpp).
Tensor times_cotangent(const Tensor& g, const Tensor& p);

}  // namespace pyjac

// Note [Elementwise derivatives, written once]
// An elementwise op's derivative in each operand is a linear map applied to an incoming tangent or
// cotangent `v`: usually multiplication by the partial derivative, written `times(p)`; sometimes
// cheaper as its own expression (`v / b` for a quotient, the fused `tanh_backward(v, out)`). The
// Jacobian is diagonal, so the one map both pushes a tangent forward and pulls a cotangent back:
// the macros below take it once per operand and generate the reverse rule (the map on g, with
// broadcasting undone by reduce_to) and the forward rule (the map on the operand's tangent, lined
// up with the output by lift). In a reverse rule times(p) may hand p on as the gradient itself
// (times_cotangent); in a forward rule it is v * p.
//
//   UNARY_OP(fn, family, kernel, saves, map)         f(x): kernels::family::kernel, node "<kernel>Backward"
//   BINARY_OP(fn, node, family, kernel, name, saves, map_a, map_b)   f(a, b), broadcasting; `name`
//                                                    is NumPy's, for errors
//   ELEMENTWISE_RULES(node, read, map)                the OpSpec alone, for ops recorded by hand
//   ELEMENTWISE_RULES2(node, read, map_a, map_b)
// `saves` names what the maps read, and so what the forward keeps:
//   UNARY_OP:  nothing | x (the input) | out (the output) | x_out (both)
//   BINARY_OP: nothing | a_b (both inputs) | a_b_out (both inputs and the output)
// `read` (the hand-recorded forms) is the statements that bind those names, e.g. PYJAC_READ_x or
// READ_SAVED(inside, 0) (rule_macros.h).
#define PYJAC_SAVE_nothing Save::Nothing
#define PYJAC_SAVE_x Save::Input
#define PYJAC_SAVE_out Save::Output
#define PYJAC_SAVE_x_out Save::InputAndOutput
#define PYJAC_READ_nothing
#define PYJAC_READ_x READ_INPUT(x, 0)
#define PYJAC_READ_out [[maybe_unused]] const Tensor out = n.output();
#define PYJAC_READ_x_out PYJAC_READ_x PYJAC_READ_out

#define PYJAC_SAVE2_nothing false, false
#define PYJAC_SAVE2_a_b true, false
#define PYJAC_SAVE2_a_b_out true, true
#define PYJAC_READ2_nothing
#define PYJAC_READ2_a_b READ_INPUT(a, 0) READ_INPUT(b, 1)
#define PYJAC_READ2_a_b_out PYJAC_READ2_a_b [[maybe_unused]] const Tensor out = n.output();

#define PYJAC_REVERSE_TIMES [[maybe_unused]] auto times = [&](const Tensor& p) { return times_cotangent(v, p); };
#define PYJAC_FORWARD_TIMES [[maybe_unused]] auto times = [&](const Tensor& p) { return v * p; };

#define ELEMENTWISE_RULES(node, read, map)                    \
  OpSpec {                                                    \
    node,                                                     \
        [](OpNode& n, const Tensor& v, Needs) -> TensorList { \
          (void)n;                                            \
          read PYJAC_REVERSE_TIMES return {map};              \
        },                                                    \
        [](OpNode& n, const TensorList& t) -> Tensor {        \
          (void)n;                                            \
          const Tensor& v = t[0];                             \
          read PYJAC_FORWARD_TIMES return map;                \
        }                                                     \
  }

#define ELEMENTWISE_RULES2(node, read, map_a, map_b)                                      \
  OpSpec {                                                                                \
    node,                                                                                 \
        [](OpNode& n, const Tensor& v, Needs needs) -> TensorList {                       \
          read PYJAC_REVERSE_TIMES return {needs[0] ? reduce_to(n, 0, map_a) : Tensor(),  \
                                           needs[1] ? reduce_to(n, 1, map_b) : Tensor()}; \
        },                                                                                \
        [](OpNode& n, const TensorList& t) -> Tensor {                                    \
          read Tensor along_a, along_b;                                                   \
          if (t[0].defined()) {                                                           \
            const Tensor v = n.lift(0, t[0]);                                             \
            PYJAC_FORWARD_TIMES along_a = map_a;                                          \
          }                                                                               \
          if (t[1].defined()) {                                                           \
            const Tensor v = n.lift(1, t[1]);                                             \
            PYJAC_FORWARD_TIMES along_b = map_b;                                          \
          }                                                                               \
          return plus(along_a, along_b);                                                  \
        }                                                                                 \
  }

#define UNARY_OP(fn, family, kernel, saves, map)                                                              \
  Tensor fn(const Tensor& input) {                                                                            \
    VMAP_ELEMENTWISE(fn, input);                                                                              \
    static const OpSpec spec = ELEMENTWISE_RULES(#kernel "Backward", PYJAC_READ_##saves, map);                \
    return record_unary(elementwise_kernel(kernels::family::kernel, input), input, PYJAC_SAVE_##saves, spec); \
  }

#define BINARY_OP(fn, node, family, kernel, name, saves, map_a, map_b)                      \
  Tensor fn(const Tensor& first, const Tensor& second) {                                    \
    VMAP_ELEMENTWISE(fn, first, second);                                                    \
    static const OpSpec spec = ELEMENTWISE_RULES2(node, PYJAC_READ2_##saves, map_a, map_b); \
    Tensor out = elementwise_kernel(kernels::family::kernel, first, second, name);          \
    return record_binary(std::move(out), first, second, PYJAC_SAVE2_##saves, spec);         \
  }
