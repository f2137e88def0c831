"""Reverse mode from Python: ``grad``, ``backward`` and the grad-mode switches.

The graph walk happens in C++ (``_core.run_backward``); this module only normalises arguments.
"""

import functools

from . import _core
from ._core import Tensor


def _as_tuple(x, what):
    if isinstance(x, Tensor):
        return (x,)
    if isinstance(x, (tuple, list)):
        for i, t in enumerate(x):
            if not isinstance(t, Tensor):
                raise TypeError(f"{what}[{i}] must be a Tensor, got {type(t).__name__}")
        return tuple(x)
    raise TypeError(f"{what} must be a Tensor or a sequence of Tensors, got {type(x).__name__}")


def _seed_grads(outputs, grad_outputs, batched, op):
    from ._creation import asarray, ones_like

    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    elif isinstance(grad_outputs, Tensor) or not isinstance(grad_outputs, (tuple, list)):
        grad_outputs = (grad_outputs,)
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"{op}: got {len(grad_outputs)} grad_outputs for {len(outputs)} outputs")
    seeds = []
    for out, g in zip(outputs, grad_outputs):
        if g is None:
            if batched:
                raise ValueError(f"{op}: is_grads_batched=True needs explicit grad_outputs")
            if out.size != 1:
                raise RuntimeError(
                    f"{op}: grad can be implicitly created only for scalar outputs, "
                    f"got an output of shape {out.shape}; pass a gradient"
                )
            g = ones_like(out)
        seeds.append(asarray(g, dtype=out.dtype))
    return seeds


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph=None,
    create_graph=False,
    allow_unused=False,
    is_grads_batched=False,
):
    """Gradients of ``outputs`` with respect to ``inputs``, as a tuple (None for an unused input
    when ``allow_unused``).

    ``grad_outputs`` are the cotangents (ones for scalar outputs by default). With
    ``is_grads_batched=True`` each has an extra leading dimension k, and the result has shape
    ``(k, *input.shape)``: k vector-Jacobian products in one backward sweep. ``create_graph=True``
    records the backward pass itself, so the result can be differentiated again.
    """
    outputs = _as_tuple(outputs, "outputs")
    inputs = _as_tuple(inputs, "inputs")
    seeds = _seed_grads(outputs, grad_outputs, is_grads_batched, "grad")
    if retain_graph is None:
        retain_graph = create_graph
    return _core.run_backward(
        list(outputs),
        seeds,
        retain_graph=bool(retain_graph),
        create_graph=bool(create_graph),
        inputs=list(inputs),
        allow_unused=bool(allow_unused),
        batched=bool(is_grads_batched),
    )


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False):
    """Accumulates the gradients of ``tensors`` into the ``.grad`` of every leaf they reach."""
    tensors = _as_tuple(tensors, "tensors")
    seeds = _seed_grads(tensors, grad_tensors, False, "backward")
    if retain_graph is None:
        retain_graph = create_graph
    _core.run_backward(
        list(tensors),
        seeds,
        retain_graph=bool(retain_graph),
        create_graph=bool(create_graph),
        inputs=[],
        allow_unused=False,
        batched=False,
    )


def is_grad_enabled():
    return _core.is_grad_enabled()


class _GradModeContext:
    """A grad-mode switch usable as a context manager and as a decorator (per thread)."""

    _mode = True

    def __enter__(self):
        self._prev = _core.is_grad_enabled()
        _core.set_grad_enabled(self._mode)
        return self

    def __exit__(self, *exc):
        _core.set_grad_enabled(self._prev)
        return False

    def __call__(self, fn):
        mode = self._mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            prev = _core.is_grad_enabled()
            _core.set_grad_enabled(mode)
            try:
                return fn(*args, **kwargs)
            finally:
                _core.set_grad_enabled(prev)

        return wrapper


class no_grad(_GradModeContext):
    """Records nothing inside: ops on tensors that require grad give tensors that don't."""

    _mode = False


class enable_grad(_GradModeContext):
    """Turns recording back on inside a ``no_grad`` block."""

    _mode = True


class set_grad_enabled(_GradModeContext):
    """``set_grad_enabled(False)`` is ``no_grad()``; also works as a plain call."""

    def __init__(self, mode):
        self._mode = bool(mode)
        self._prev = _core.is_grad_enabled()
        _core.set_grad_enabled(self._mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _core.set_grad_enabled(self._prev)
        return False

    def __call__(self, fn):
        _core.set_grad_enabled(self._prev)  # as a decorator it switches only inside fn
        return super().__call__(fn)


# ---- custom Functions (pyjac/_function.py, csrc/python/py_function.cpp) -------------------------
from ._function import Function, FunctionCtx  # noqa: E402,F401

# ---- anomaly mode ---------------------------------------------------------------------------


def is_anomaly_enabled():
    """Whether anomaly mode is on in this thread."""
    return _core.is_anomaly_enabled()


class detect_anomaly:
    """Anomaly mode, as a context manager or decorator (per thread, like grad mode).

    Inside, every op recorded on the tape remembers the Python stack it was called from, and
    backward checks the gradients each derivative rule returns: a NaN or inf raises a
    ``RuntimeError`` such as ``Function 'SqrtBackward' returned inf values in its 0th output.``
    followed by the traceback of the forward call that created that op. An error raised inside a
    rule gets the same traceback appended. With ``check_nan=False`` only the tracebacks are kept.
    Recording a stack per op is slow: use this for debugging, not in production.
    """

    def __init__(self, check_nan=True):
        self._check_nan = bool(check_nan)

    def __enter__(self):
        self._prev = (_core.is_anomaly_enabled(), _core.is_anomaly_check_nan_enabled())
        _core.set_anomaly_enabled(True, check_nan=self._check_nan)
        return self

    def __exit__(self, *exc):
        enabled, check_nan = self._prev
        _core.set_anomaly_enabled(enabled, check_nan=check_nan)
        return False

    def __call__(self, fn):
        check_nan = self._check_nan

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with detect_anomaly(check_nan):
                return fn(*args, **kwargs)

        return wrapper


class set_detect_anomaly:
    """``set_detect_anomaly(True)`` turns anomaly mode on (or off) for this thread, as a plain call
    or as a context manager that restores the previous state."""

    def __init__(self, mode, check_nan=True):
        self._prev = (_core.is_anomaly_enabled(), _core.is_anomaly_check_nan_enabled())
        _core.set_anomaly_enabled(bool(mode), check_nan=bool(check_nan))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        enabled, check_nan = self._prev
        _core.set_anomaly_enabled(enabled, check_nan=check_nan)
        return False
