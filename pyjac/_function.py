"""Custom derivative rules from Python, as ``torch.autograd.Function``.

The node that runs ``backward`` lives in C++ (csrc/python/py_function.cpp); this module is the
user-facing class and the context object that carries what forward saved.
"""
import functools

import numpy as np

from . import _core
from ._core import Tensor


class FunctionCtx:
    """What ``forward`` leaves for ``backward`` (and ``jvp``).

    ``save_for_backward(*tensors)`` / ``saved_tensors``, ``needs_input_grad`` (one bool per
    forward argument), ``mark_non_differentiable(*outputs)``, ``set_materialize_grads(bool)``;
    any other attribute is yours (``ctx.axis = axis``).
    """

    def __init__(self):
        self.needs_input_grad = ()
        self.materialize_grads = True
        self._to_save = ()
        self._non_differentiable = ()
        self._saved = None  # set by the node only while backward or jvp runs
        self._saved_versions = None  # the saved tensors' versions once forward has returned
        self._name = "Function"

    def save_for_backward(self, *tensors):
        """Keeps tensors (inputs, outputs or intermediates; None allowed) for backward. Modifying
        one in place before backward runs makes backward raise."""
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward: argument {i} is a {type(t).__name__}, not a Tensor or None "
                                "(keep other values as ctx attributes)")
        self._to_save = tensors

    @property
    def saved_tensors(self):
        if self._saved is None:
            raise RuntimeError("saved_tensors: only available inside backward or jvp (and only until the graph's "
                               "saved tensors are freed; pass retain_graph=True to backward more than once)")
        # The node checks versions once per backward; a batched backward then calls backward once
        # per row, and a backward that wrote into a saved tensor would give the later rows from
        # the new values. Checked here too, on every access.
        for j, (t, expected) in enumerate(zip(self._to_save, self._saved_versions or ())):
            if t is not None and t._version != expected:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by an inplace "
                    f"operation: {self._name}Backward's saved tensor {j} is at version {t._version}; expected "
                    f"version {expected}. Hint: modify a copy instead (also inside backward, which may run once "
                    "per row of a batched gradient), or modify it only after the backward pass.")
        return self._saved

    def mark_non_differentiable(self, *tensors):
        """Outputs that get no gradient (indices, masks): returned as they are, without history."""
        self._non_differentiable = tensors

    def set_materialize_grads(self, value):
        """With False, backward gets None (not zeros) for outputs that received no gradient."""
        self.materialize_grads = bool(value)


class Function:
    """A differentiable operation with hand-written derivatives::

        class Exp(pj.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                y = pj.exp(x)
                ctx.save_for_backward(y)
                return y

            @staticmethod
            def backward(ctx, g):
                (y,) = ctx.saved_tensors
                return g * y

        y = Exp.apply(x)

    ``forward(ctx, *args)`` runs without recording (arguments may be anything; it returns a
    Tensor or a tuple). ``backward(ctx, *grads)`` gets one cotangent per output and returns one
    gradient per forward argument (None for non-tensors and inputs needing none). Written in
    pyjac ops, backward is itself differentiated under ``create_graph=True``. With batched
    cotangents (``is_grads_batched``, ``jacobian``) backward runs once per row. Forward mode
    (``jvp``, ``jacfwd``, ``hvp``) needs an optional ``jvp(ctx, *tangents)`` returning the output
    tangents (tensor arguments without a tangent get zeros, other arguments None).
    """

    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError("a Function subclass must define forward(ctx, *args)")

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError("a Function subclass must define backward(ctx, *grads) to be differentiated")

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        backward = cls.__dict__.get("backward")
        fn = backward.__func__ if isinstance(backward, staticmethod) else backward
        if callable(fn) and not getattr(fn, "_checks_incoming_gradients", False):
            cls.backward = staticmethod(_checking_incoming_gradients(cls.__name__, fn))

    @classmethod
    def apply(cls, *args):
        ctx = FunctionCtx()
        ctx._name = cls.__name__
        result = _core.function_apply(cls, ctx, args)
        ctx._saved_versions = tuple(None if t is None else t._version for t in ctx._to_save)
        if _core.is_grad_enabled() and any(isinstance(a, Tensor) and a.requires_grad for a in args):
            _check_outputs(cls.__name__, result)
        return result


# Outputs that hold numbers but can't carry a history: returned from a forward that is being
# recorded, they would make derivatives through them silently zero.
_UNTRACKABLE_OUTPUTS = (list, tuple, dict, np.ndarray, np.generic)


def _check_outputs(name, result):
    outputs = result if isinstance(result, tuple) else (result,)
    for k, out in enumerate(outputs):
        if isinstance(out, _UNTRACKABLE_OUTPUTS):
            where = f"as output {k}" if isinstance(result, tuple) else "as its output"
            raise TypeError(f"{name}.forward returned a value of type {type(out).__name__} {where}: only Tensors "
                            "carry gradients, so derivatives through it would silently be zero; return Tensors "
                            "(pj.stack(...) of a list of them), and keep other values on ctx")


def _checking_incoming_gradients(name, backward):
    """backward, raising if it wrote into a gradient it was given: the engine may share that tensor
    with other gradients (or it is the gradient the caller passed in), which would silently change."""
    @functools.wraps(backward)
    def checked(ctx, *grads):
        versions = [g._version if isinstance(g, Tensor) else None for g in grads]
        result = backward(ctx, *grads)
        for k, (g, version) in enumerate(zip(grads, versions)):
            if version is not None and g._version != version:
                raise RuntimeError(f"{name}.backward modified its incoming gradient {k} in place; that tensor may be "
                                   "shared with other gradients (or be the gradient passed to backward), which "
                                   "would silently change: compute a new tensor instead (g = g * 2, not g.mul_(2))")
        return result
    checked._checks_incoming_gradients = True
    return checked
