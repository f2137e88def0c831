"""Custom derivative rules from Python, as ``torch.autograd.Function``.

The node that runs ``backward`` lives in C++ (csrc/python/py_function.cpp); this module is the
user-facing class and the context object that carries what forward saved.
"""

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

    def save_for_backward(self, *tensors):
        """Keeps tensors (inputs, outputs or intermediates; None allowed) for backward. Modifying
        one in place before backward runs makes backward raise."""
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(
                    f"save_for_backward: argument {i} is a {type(t).__name__}, not a Tensor or None "
                    "(keep other values as ctx attributes)"
                )
        self._to_save = tensors

    @property
    def saved_tensors(self):
        if self._saved is None:
            raise RuntimeError(
                "saved_tensors: only available inside backward or jvp (and only until the graph's "
                "saved tensors are freed; pass retain_graph=True to backward more than once)"
            )
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
    Tensor or a tuple, which may hold non-tensors too). ``backward(ctx, *grads)`` gets one
    cotangent per output (None for outputs that are not tensors, as in torch) and returns one
    gradient per forward argument (None for non-tensors and inputs needing none). Written in
    pyjac ops, backward is itself differentiated under ``create_graph=True``. With batched
    cotangents (``is_grads_batched``, ``jacobian``) backward runs once per row. Forward mode
    (``jvp``, ``jacfwd``, ``hvp``) needs an optional ``jvp(ctx, *tangents)`` returning the output
    tangents, one per output with None for non-tensor outputs (tensor arguments without a tangent
    get zeros, other arguments None).
    """

    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError("a Function subclass must define forward(ctx, *args)")

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError("a Function subclass must define backward(ctx, *grads) to be differentiated")

    @classmethod
    def apply(cls, *args):
        try:
            result = _core.function_apply(cls, FunctionCtx(), args)
        except RuntimeError as e:
            # Batched arguments with forward-mode tangents: once per example (docs/vmap.md).
            if not str(e).startswith("vmap: forward mode through a custom Function"):
                raise
            return _apply_per_example(cls, *args)
        if _core.is_grad_enabled() and any(isinstance(a, Tensor) and a.requires_grad for a in args):
            _check_outputs(cls.__name__, result)
        return result


def _apply_per_example(cls, *args):
    from ._vmap import per_example

    return per_example(cls.apply)(*args)


# Outputs that hold numbers but can't carry a history: returned from a forward that is being
# recorded, they would make derivatives through them silently zero.
_UNTRACKABLE_OUTPUTS = (list, tuple, dict, np.ndarray, np.generic)


def _check_outputs(name, result):
    outputs = result if isinstance(result, tuple) else (result,)
    for k, out in enumerate(outputs):
        if isinstance(out, _UNTRACKABLE_OUTPUTS):
            where = f"as output {k}" if isinstance(result, tuple) else "as its output"
            raise TypeError(
                f"{name}.forward returned a value of type {type(out).__name__} {where}: only Tensors "
                "carry gradients, so derivatives through it would silently be zero; return Tensors "
                "(pj.stack(...) of a list of them), and keep other values on ctx"
            )
