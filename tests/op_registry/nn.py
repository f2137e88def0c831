"""pyjac.nn.functional: activations (and erf), softmax and log_softmax, linear, dropout, losses.

Family "nn" (tests/test_nn_functional.py). Activations carry tag "activation" and a `sweep` for
the family's shape sweeps; softmaxes carry tag "softmax" with a sweep over axis.
"""

import math

import numpy as np

import pyjac as pj
import pyjac.nn.functional as F

from .core import F64, OpCase, away_from_zero, wide

# ---- NumPy references ------------------------------------------------------------------------------
erf_np = np.vectorize(math.erf, otypes=[float])
erfc_np = np.vectorize(math.erfc, otypes=[float])


def sigmoid_np(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0, e) / (1.0 + e)


def softplus_np(x, beta=1.0, threshold=20.0):
    return np.where(beta * x > threshold, x, np.logaddexp(0.0, beta * x) / beta)


def gelu_np(x):
    return 0.5 * x * erfc_np(-x / np.sqrt(2.0))


def gelu_tanh_np(x):
    # 0.5 x (1 + tanh u) written as x sigmoid(2u), which does not cancel for negative x
    return x * sigmoid_np(2 * np.sqrt(2.0 / np.pi) * (x + 0.044715 * x**3))


def leaky_np(x, slope=0.01):
    return np.where(x > 0, x, slope * x)


def elu_np(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def silu_np(x):
    return x * sigmoid_np(x)


def softmax_np(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax_np(x, axis):
    s = x - np.max(x, axis=axis, keepdims=True)
    return s - np.log(np.sum(np.exp(s), axis=axis, keepdims=True))


# ---- activations: domains away from kinks (0 for leaky_relu/elu, the threshold for softplus) ----------
def _softplus_thr3_domain(rng, shape):
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.1, 1.3, shape) + 0.3


def activation(id, name, fn, ref, torch, domain, forms=None):
    return OpCase(
        id,
        name,
        fn,
        ((2, 3),),
        domain,
        ref=ref,
        sweep=(fn, ref),
        torch=torch,
        torch_tol={"second": (1e-10, 1e-12)},
        forms=forms or {},
        family="nn",
        tags={"activation"},
        sparsity="elementwise",
    )


_away = away_from_zero(0.2, 2.0)
ACTIVATIONS = [
    activation("erf", "erf", pj.erf, erf_np, lambda t, x: t.erf(x), wide, forms={"nn.functional.erf": F.erf}),
    activation(
        "softplus", "nn.functional.softplus", F.softplus, softplus_np, lambda t, x: t.nn.functional.softplus(x), wide
    ),
    activation(
        "softplus_beta2_thr3",
        "nn.functional.softplus",
        lambda x: F.softplus(x, beta=2.0, threshold=3.0),
        lambda x: softplus_np(x, 2.0, 3.0),
        lambda t, x: t.nn.functional.softplus(x, beta=2.0, threshold=3.0),
        _softplus_thr3_domain,
    ),
    activation(
        "softplus_neg_beta",
        "nn.functional.softplus",
        lambda x: F.softplus(x, beta=-0.5),
        lambda x: np.logaddexp(0, -0.5 * x) / -0.5,
        lambda t, x: t.nn.functional.softplus(x, beta=-0.5),
        wide,
    ),
    activation("gelu", "nn.functional.gelu", F.gelu, gelu_np, lambda t, x: t.nn.functional.gelu(x), wide),
    activation(
        "gelu_tanh",
        "nn.functional.gelu",
        lambda x: F.gelu(x, approximate="tanh"),
        gelu_tanh_np,
        lambda t, x: t.nn.functional.gelu(x, approximate="tanh"),
        wide,
    ),
    activation(
        "leaky_relu",
        "nn.functional.leaky_relu",
        F.leaky_relu,
        leaky_np,
        lambda t, x: t.nn.functional.leaky_relu(x),
        _away,
    ),
    activation(
        "leaky_relu_0.2",
        "nn.functional.leaky_relu",
        lambda x: F.leaky_relu(x, 0.2),
        lambda x: leaky_np(x, 0.2),
        lambda t, x: t.nn.functional.leaky_relu(x, 0.2),
        _away,
    ),
    activation("elu", "nn.functional.elu", F.elu, elu_np, lambda t, x: t.nn.functional.elu(x), _away),
    activation(
        "elu_0.5",
        "nn.functional.elu",
        lambda x: F.elu(x, alpha=0.5),
        lambda x: elu_np(x, 0.5),
        lambda t, x: t.nn.functional.elu(x, 0.5),
        _away,
    ),
    activation("silu", "nn.functional.silu", F.silu, silu_np, lambda t, x: t.nn.functional.silu(x), wide),
]


def softmax(id, name, fn, ref, axis, shape):
    return OpCase(
        id,
        name,
        lambda x: fn(x, axis=axis),
        (shape,),
        ref=lambda a: ref(a, axis),
        sweep=(fn, ref),
        torch=lambda t, x: getattr(t, name.split(".")[-1])(x, axis),
        torch_tol={"grad": (1e-11, 1e-13), "second": (1e-10, 1e-12)},
        family="nn",
        tags={"softmax"},
    )


SOFTMAXES = [
    softmax("softmax", "nn.functional.softmax", F.softmax, softmax_np, -1, (3, 4)),
    softmax("softmax-axis0", "nn.functional.softmax", F.softmax, softmax_np, 0, (2, 3, 4)),
    softmax("log_softmax", "nn.functional.log_softmax", F.log_softmax, log_softmax_np, -1, (3, 4)),
    softmax("log_softmax-axis1", "nn.functional.log_softmax", F.log_softmax, log_softmax_np, 1, (2, 3, 4)),
]


def _t(a):
    return pj.tensor(np.asarray(a))


def _dropout(x):
    pj.manual_seed(5)  # the mask is drawn anew on every call: fix it inside the function
    return F.dropout(x, 0.4)


_MSE_TARGET = np.linspace(-1, 1, 12).reshape(4, 3)


def _loss(id, name, fn, shapes=((4, 3),), **kw):
    return OpCase(id, name, fn, shapes, family="nn", tags={"loss"}, **kw)


OTHERS = [
    OpCase(
        "linear",
        "nn.functional.linear",
        F.linear,
        ((4, 3), (2, 3), (2,)),
        ref=lambda x, w, b: x @ w.T + b,
        torch=lambda t, x, w, b: t.nn.functional.linear(x, w, b),
        torch_tol={"value": (1e-13, 0), "grad": (1e-13, 0)},
        family="nn",
        rtol=1e-13,
    ),
    OpCase(
        "linear-no-bias",
        "nn.functional.linear",
        F.linear,
        ((2, 4, 3), (2, 3)),
        ref=lambda x, w: x @ w.T,
        family="nn",
        rtol=1e-13,
    ),
    OpCase("dropout", "nn.functional.dropout", _dropout, ((8,),), vmap=False, family="nn"),
    # losses (reduction 'none' keeps every output element in the Jacobians)
    _loss(
        "mse",
        "nn.functional.mse_loss",
        lambda x: F.mse_loss(x, _t(_MSE_TARGET), reduction="none"),
        ref=lambda a: (a - _MSE_TARGET) ** 2,
        dtypes=(F64,),
    ),
    _loss(
        "mse-mean-both",
        "nn.functional.mse_loss",
        F.mse_loss,
        ((3, 4), (3, 4)),
        ref=lambda a, b: np.mean((a - b) ** 2),
        torch=lambda t, x, y: t.nn.functional.mse_loss(x, y),
        torch_tol={"value": (1e-13, 0)},
    ),
    _loss(
        "ce_index",
        "nn.functional.cross_entropy",
        lambda x: F.cross_entropy(x, _t([0, 2, 1, 1]), reduction="none", label_smoothing=0.1),
        torch=lambda t, x: t.nn.functional.cross_entropy(
            x, t.tensor([0, 2, 1, 1]), reduction="none", label_smoothing=0.1
        ),
    ),
    _loss(
        "ce_prob",
        "nn.functional.cross_entropy",
        lambda x: F.cross_entropy(x, _t(np.full((4, 3), 1 / 3)), reduction="none"),
    ),
    _loss(
        "nll",
        "nn.functional.nll_loss",
        lambda x: F.nll_loss(x, _t([0, 2, -100, 1]), reduction="none"),
        torch=lambda t, x: t.nn.functional.nll_loss(x, t.tensor([0, 2, -100, 1]), reduction="none"),
    ),
    _loss(
        "bce",
        "nn.functional.binary_cross_entropy_with_logits",
        lambda x: F.binary_cross_entropy_with_logits(
            x, _t(np.full((4, 3), 0.25)), reduction="none", pos_weight=_t([1.0, 2.0, 3.0])
        ),
    ),
]

CASES = ACTIVATIONS + SOFTMAXES + OTHERS
