#include "autograd/anomaly.h"

#include <cmath>

#include "kernels/kernels.h"
#include "tensor/errors.h"

namespace pyjac {

thread_local bool AnomalyMode::enabled_ = false;
thread_local bool AnomalyMode::check_nan_ = false;
std::atomic<int> AnomalyMode::threads_enabled_{0};

namespace {

std::atomic<AnomalyMode::TraceHook> trace_hook{nullptr};

std::string where_created(const Node& node) {
  if (node.creation_trace)
    return "\n\nTraceback of the forward call that created '" + std::string(node.name()) + "':\n" +
           *node.creation_trace;
  return "\n\n('" + std::string(node.name()) +
         "' was recorded outside detect_anomaly(), so where its forward op was called is unknown: run the "
         "forward pass inside detect_anomaly() too to see it.)";
}

// 0: all finite; 1: some inf and no NaN; 2: some NaN.
int nonfinite_kind(const Tensor& t) {
  if (!t.defined() || !is_floating(t.dtype()) || t.numel() == 0) return 0;
  const Tensor c = kernels::contiguous(t);
  int kind = 0;
  dispatch_float(c.dtype(), "detect_anomaly", [&](auto tag) {
    using T = decltype(tag);
    const T* p = c.data<T>();
    for (int64_t i = 0, n = c.numel(); i < n; ++i) {
      if (std::isnan(p[i])) {
        kind = 2;
        return;
      }
      if (std::isinf(p[i])) kind = 1;
    }
  });
  return kind;
}

std::string ordinal(size_t i) {
  const size_t mod100 = i % 100, mod10 = i % 10;
  const char* suffix = (mod100 >= 11 && mod100 <= 13) ? "th"
                       : mod10 == 1                   ? "st"
                       : mod10 == 2                   ? "nd"
                       : mod10 == 3                   ? "rd"
                                                      : "th";
  return std::to_string(i) + suffix;
}

}  // namespace

void AnomalyMode::set_trace_hook(TraceHook hook) { trace_hook.store(hook); }

void AnomalyMode::note_creation(Node& node) {
  if (TraceHook hook = trace_hook.load()) node.creation_trace = std::make_unique<std::string>(hook());
}

TensorList apply_checked(Node& node, TensorList&& grads, Needs needs) {
  TensorList out;
  // Same exception type, so Python still sees a ValueError (or ...) but learns where the op came from.
  try {
    out = node.apply(std::move(grads), needs);
  } catch (const ValueError& e) {
    throw ValueError(e.what() + where_created(node));
  } catch (const TypeError& e) {
    throw TypeError(e.what() + where_created(node));
  } catch (const IndexError& e) {
    throw IndexError(e.what() + where_created(node));
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(e.what() + where_created(node));
  }
  if (!AnomalyMode::check_nan()) return out;
  for (size_t i = 0; i < out.size(); ++i) {
    if (!needs[i]) continue;
    if (const int kind = nonfinite_kind(out[i]))
      throw std::runtime_error("Function '" + std::string(node.name()) + "' returned " + (kind == 2 ? "nan" : "inf") +
                               " values in its " + ordinal(i) + " output." + where_created(node));
  }
  return out;
}

}  // namespace pyjac
