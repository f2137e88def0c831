"""Neural-network functions, ``torch.nn.functional`` style.

The activations and softmax are C++ ops (one fused kernel forward, one backward, and rules that
are themselves differentiable, so higher derivatives work); the losses are short compositions of
differentiable ops. Everything is stable for large inputs: softplus and the logistic losses use
``max(x, 0) + log1p(exp(-|x|))``, log_softmax shifts by the max, so finite math never gives inf
or NaN, and a NaN input gives a NaN output.

Axes follow NumPy's ``axis=``; PyTorch's ``dim=`` is accepted too.
"""

import functools
import warnings

import numpy as np

from .. import _core
from .._creation import arange, asarray
from .._vmap import every_example

_number = _core.number_param  # a parameter, not an operand: refuses a tensor that requires grad

__all__ = [
    "relu",
    "sigmoid",
    "tanh",
    "erf",
    "softplus",
    "gelu",
    "leaky_relu",
    "elu",
    "silu",
    "softmax",
    "log_softmax",
    "linear",
    "dropout",
    "mse_loss",
    "cross_entropy",
    "nll_loss",
    "binary_cross_entropy_with_logits",
]

relu = _core.relu
sigmoid = _core.sigmoid
tanh = _core.tanh
erf = _core.erf
silu = _core.silu


def softplus(x, beta=1.0, threshold=20.0):
    """``log(1 + exp(beta x)) / beta``, and ``x`` itself where ``beta x > threshold`` (as PyTorch)."""
    return _core.softplus(x, _number(beta, "softplus", "beta"), _number(threshold, "softplus", "threshold"))


def gelu(x, approximate="none"):
    """``x Phi(x)`` (Phi the standard normal CDF); ``approximate='tanh'`` gives the tanh form."""
    return _core.gelu(x, approximate)


def leaky_relu(x, negative_slope=0.01):
    return _core.leaky_relu(x, _number(negative_slope, "leaky_relu", "negative_slope"))


def elu(x, alpha=1.0):
    return _core.elu(x, _number(alpha, "elu", "alpha"))


def _axis(axis, dim, op):
    if dim is None:
        return axis
    if axis not in (None, -1) and axis != dim:
        raise ValueError(f"{op}: got both axis={axis} and dim={dim}")
    return dim


def softmax(x, axis=-1, dim=None):
    """``exp(x) / sum(exp(x))`` along ``axis`` (PyTorch's ``dim``), computed with the max shifted out."""
    return _core.softmax(x, _axis(axis, dim, "softmax"))


def log_softmax(x, axis=-1, dim=None):
    """``x - logsumexp(x)`` along ``axis``; finite for any finite input."""
    return _core.log_softmax(x, _axis(axis, dim, "log_softmax"))


def linear(x, weight, bias=None):
    """``x @ weight.T + bias`` with PyTorch's layout: weight (out_features, in_features), bias (out_features,)."""
    x, weight = asarray(x), asarray(weight)
    if weight.ndim != 2:
        raise ValueError(f"linear: weight must be 2-D (out_features, in_features), got shape {weight.shape}")
    if x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        raise ValueError(
            f"linear: input of shape {x.shape} does not end in in_features={weight.shape[1]} "
            f"(weight shape {weight.shape})"
        )
    y = _core.matmul(x, _core.transpose(weight))
    if bias is not None:
        bias = asarray(bias)
        if bias.shape != (weight.shape[0],):
            raise ValueError(f"linear: bias must have shape ({weight.shape[0]},), got {bias.shape}")
        y = y + bias
    return y


def dropout(x, p=0.5, training=True):
    """Zeroes each element with probability ``p`` and scales the rest by ``1 / (1 - p)``, drawing from
    pyjac's generator (reproducible after ``pj.manual_seed``). The identity when not training or p = 0."""
    p = _number(p, "dropout", "p")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: probability has to be between 0 and 1, got {p}")
    x = asarray(x)
    if not training or p == 0.0:
        return x
    dtype = x.dtype if x.dtype in (np.float32, np.float64) else np.float64
    keep = _core.rand(x.shape, dtype) >= p
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    return x * _core.where(keep, _core.full((), scale, dtype), _core.full((), 0.0, dtype))


# ---- losses ---------------------------------------------------------------------------------------
def _reduce(loss, reduction, op):
    if reduction == "mean":
        return _core.mean(loss)
    if reduction == "sum":
        return _core.sum(loss)
    if reduction == "none":
        return loss
    raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _check_reduction(reduction, op):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def mse_loss(input, target, reduction="mean"):
    """Squared error ``(input - target)**2``, averaged (``'mean'``), summed or kept (``'none'``)."""
    _check_reduction(reduction, "mse_loss")
    input, target = asarray(input), asarray(target)
    if input.shape != target.shape:
        warnings.warn(
            f"mse_loss: target shape {target.shape} differs from input shape {input.shape}; they are "
            f"broadcast together, which is likely not what you want",
            UserWarning,
            stacklevel=2,
        )
    return _reduce(_core.square(input - target), reduction, "mse_loss")


def _class_axis(input, op):
    if input.ndim == 0:
        raise ValueError(f"{op}: input must have a class axis, got a 0-d tensor")
    return 1 if input.ndim >= 2 else 0


def _along(v, ndim, axis):
    """A 1-D tensor reshaped to broadcast along ``axis`` of an ``ndim``-d tensor."""
    shape = [1] * ndim
    shape[axis] = -1
    return _core.reshape(v, tuple(shape))


def _class_weight(weight, n_classes, dtype, op):
    if weight is None:
        return None
    # A class weight is a constant, as in PyTorch (which has no derivative for it).
    weight = asarray(weight).detach()
    if weight.shape != (n_classes,):
        raise ValueError(f"{op}: weight must have shape ({n_classes},) for {n_classes} classes, got {weight.shape}")
    return _core.astype(weight, dtype) if weight.dtype != dtype else weight


def _check_classes(target, n_classes, ignore_index, op):
    """Raises IndexError unless every index is a class or ``ignore_index``; tells whether any is ignored.
    Under vmap it looks at every example at once: the checks are elementwise."""
    t = every_example(target)[0]
    if t.size == 0:
        return False
    if 0 <= t.min() and t.max() < n_classes:  # the common case, in two passes
        return bool(0 <= ignore_index < n_classes and (t == ignore_index).any())
    ignored = t == ignore_index
    bad = ~ignored & ((t < 0) | (t >= n_classes))
    if bad.any():
        raise IndexError(f"{op}: target {int(t[bad].flat[0])} is out of bounds for {n_classes} classes")
    return bool(ignored.any())


@functools.lru_cache(maxsize=64)
def _class_ids(n_classes, ndim, axis):
    """0, 1, ..., n_classes - 1 along ``axis`` (cached: losses build it on every call)."""
    return _along(arange(n_classes), ndim, axis)


def _one_hot(target, n_classes, ndim, axis, dtype, ignore_index, any_ignored):
    """The class-index target as a one-hot mask along ``axis``; ignored entries give all-zero rows."""
    hit = _core.astype(_core.equal(_core.expand_dims(target, axis), _class_ids(n_classes, ndim, axis)), dtype)
    if any_ignored and 0 <= ignore_index < n_classes:  # that class index would otherwise be picked
        hit = hit * _core.astype(_core.expand_dims(target != ignore_index, axis), dtype)
    return hit


def _index_target(input, target, axis, op):
    expected = input.shape[:axis] + input.shape[axis + 1 :]
    if target.shape != expected:
        raise ValueError(
            f"{op}: class-index target of shape {target.shape} does not match input of shape "
            f"{input.shape} (expected {expected})"
        )


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """Negative log-likelihood of class indices ``target`` under log-probabilities ``input``.

    ``input`` is (C,), (N, C) or (N, C, d1, ...) (classes on axis 1), ``target`` int64 shaped like
    input without the class axis. ``weight`` (C,) weighs each class; ``'mean'`` divides by the total
    weight of the non-ignored targets. Entries equal to ``ignore_index`` contribute nothing.
    """
    _check_reduction(reduction, "nll_loss")
    input, target = asarray(input), asarray(target)
    axis = _class_axis(input, "nll_loss")
    if target.dtype != np.int64:
        raise TypeError(f"nll_loss: target must hold int64 class indices, got dtype {target.dtype}")
    _index_target(input, target, axis, "nll_loss")
    return _nll(input, target, axis, weight, ignore_index, reduction, "nll_loss")


def _nll(logp, target, axis, weight, ignore_index, reduction, op):
    n_classes = logp.shape[axis]
    any_ignored = _check_classes(target, n_classes, ignore_index, op)
    hot = _one_hot(target, n_classes, logp.ndim, axis, logp.dtype, ignore_index, any_ignored)
    w = _class_weight(weight, n_classes, logp.dtype, op)
    if w is not None:
        hot = hot * _along(w, logp.ndim, axis)
    loss = -_core.sum(logp * hot, axis)
    if reduction == "mean":
        if w is None and not any_ignored:
            return _core.mean(loss)
        return _core.sum(loss) / _core.sum(hot)  # the total weight of the counted targets
    return _reduce(loss, reduction, op)


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """Cross entropy of logits ``input`` (classes on axis 1, or axis 0 for a 1-D input) against
    either int64 class indices (shaped like input without the class axis) or class probabilities
    (shaped like input). ``weight``, ``ignore_index``, ``reduction`` and ``label_smoothing`` mean
    what they mean in ``torch.nn.functional.cross_entropy``."""
    _check_reduction(reduction, "cross_entropy")
    input, target = asarray(input), asarray(target)
    axis = _class_axis(input, "cross_entropy")
    eps = _number(label_smoothing, "cross_entropy", "label_smoothing")
    if not 0.0 <= eps <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be between 0 and 1, got {eps}")
    n_classes = input.shape[axis]
    logp = _core.log_softmax(input, axis)
    w = _class_weight(weight, n_classes, logp.dtype, "cross_entropy")
    if target.dtype in (np.float32, np.float64):
        if target.shape != input.shape:
            raise ValueError(
                f"cross_entropy: probability target of shape {target.shape} does not match input of shape {input.shape}"
            )
        if eps > 0:
            target = target * (1.0 - eps) + eps / n_classes
        prod = logp * target if w is None else logp * target * _along(w, input.ndim, axis)
        if reduction == "mean":  # over the samples (every position but the class axis)
            return -_core.sum(prod) / (input.size / n_classes if n_classes else 0.0)
        if reduction == "sum":
            return -_core.sum(prod)
        return -_core.sum(prod, axis)
    if target.dtype != np.int64:
        raise TypeError(
            f"cross_entropy: target must be int64 class indices or float probabilities, got dtype {target.dtype}"
        )
    _index_target(input, target, axis, "cross_entropy")
    nll = _nll(logp, target, axis, weight, ignore_index, reduction, "cross_entropy")
    if eps == 0:
        return nll
    # PyTorch's smoothing for class indices: mix in the mean over classes of -logp (class-weighted),
    # leaving out ignored targets and normalised like the nll term.
    counted = _core.astype(target != ignore_index, logp.dtype)
    per_class = logp if w is None else logp * _along(w, input.ndim, axis)
    smooth = -_core.sum(per_class, axis) * counted
    if reduction == "mean":
        if w is None:
            denominator = _core.sum(counted)
        else:
            hot = _one_hot(target, n_classes, input.ndim, axis, logp.dtype, ignore_index, True)
            denominator = _core.sum(hot * _along(w, input.ndim, axis))
        smooth = _core.sum(smooth) / denominator
    elif reduction == "sum":
        smooth = _core.sum(smooth)
    return nll * (1.0 - eps) + smooth * (eps / n_classes)


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction="mean"):
    """``-[pos_weight t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))]``, weighted by ``weight``,
    computed as ``(1 - t) x + (1 + (pos_weight - 1) t) softplus(-x)`` (no overflow for any x)."""
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    input, target = asarray(input), asarray(target)
    if target.shape != input.shape:
        raise ValueError(
            f"binary_cross_entropy_with_logits: target size {target.shape} must be the same as input size {input.shape}"
        )
    log_one_plus_exp = _core.softplus(-input, 1.0, float("inf"))  # -log sigmoid(x), exact everywhere
    if pos_weight is None:
        loss = (1.0 - target) * input + log_one_plus_exp
    else:
        loss = (1.0 - target) * input + (1.0 + (asarray(pos_weight) - 1.0) * target) * log_one_plus_exp
    if weight is not None:
        loss = loss * asarray(weight)
    return _reduce(loss, reduction, "binary_cross_entropy_with_logits")
