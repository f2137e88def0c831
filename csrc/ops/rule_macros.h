#pragma once
// Shorthand for writing derivative rules as one-line table entries.
//   RULE(expr): a rule returning the gradient list `expr`; inside it `n` is the node (what the
//               forward saved), `g` the incoming cotangent and `needs[i]` whether input i wants one.
//   IF_NEEDED(i, expr): expr when input i needs a gradient, else nothing (skips the work).
#define RULE(...) [](OpNode & n, const Tensor& g, Needs needs) -> TensorList { \
    (void)n; (void)needs; return __VA_ARGS__; }
#define IF_NEEDED(i, ...) (needs[i] ? (__VA_ARGS__) : Tensor())
