#pragma once
// Shorthand for writing derivative rules as one-line table entries (Note [An op's entry], record.h).
//   RULE(expr): a reverse rule returning the gradient list `expr`; inside, `n` is the node (what
//               the forward saved), `g` the incoming cotangent, `needs[i]` whether input i wants one.
//   IF_NEEDED(i, expr): expr when input i needs a gradient, else nothing (skips the work).
//   JVP(expr): a forward rule returning the output tangent; `t[i]` is input i's tangent.
//   IF_TANGENT(i, expr): expr when input i has a tangent, else nothing (a zero term for plus()).
//   RULE_WITH(read, expr), JVP_WITH(read, expr): the same, after the statements `read`, which bind
//               names to what the rule reads: READ_INPUT(x, 0), READ_SAVED(mask, 0), or an op's own
//               macro for its parameters.
#define RULE_WITH(read, ...)                                  \
  [](OpNode& n, const Tensor& g, Needs needs) -> TensorList { \
    (void)n;                                                  \
    (void)needs;                                              \
    read return __VA_ARGS__;                                  \
  }
#define JVP_WITH(read, ...)                      \
  [](OpNode& n, const TensorList& t) -> Tensor { \
    (void)n;                                     \
    read return __VA_ARGS__;                     \
  }
#define READ_INPUT(name, i) [[maybe_unused]] const Tensor& name = n.input(i);
#define READ_SAVED(name, k) [[maybe_unused]] const Tensor& name = n.saved(k);
#define RULE(...) RULE_WITH(, __VA_ARGS__)
#define JVP(...) JVP_WITH(, __VA_ARGS__)
#define IF_NEEDED(i, ...) (needs[i] ? (__VA_ARGS__) : Tensor())
#define IF_TANGENT(i, ...) (t[i].defined() ? (__VA_ARGS__) : Tensor())
