"""``Module`` and the layers built on it, PyTorch style.

A parameter is a plain pyjac ``Tensor``: a leaf that requires grad. ``Tensor`` is a C++ type, so
rather than a subclass, ``Parameter(data)`` returns such a tensor, and ``Module.__setattr__``
registers every leaf tensor that requires grad as a parameter (and every ``Module`` as a child),
the way PyTorch registers ``nn.Parameter`` attributes. ``isinstance(t, Parameter)`` asks exactly
that question: is ``t`` a leaf that requires grad. To keep a tensor that requires grad as a plain
attribute, make it a non-leaf (or ``register_buffer`` it detached); to register a parameter that
does not require grad (a frozen one), use ``register_parameter``.
"""

import collections
import math

import numpy as np

from .. import _core
from .._core import Tensor
from .._creation import asarray
from . import functional as F

__all__ = [
    "Parameter",
    "Module",
    "Linear",
    "Sequential",
    "Identity",
    "Tanh",
    "ReLU",
    "Sigmoid",
    "GELU",
    "Softplus",
    "SiLU",
    "LeakyReLU",
    "ELU",
    "Softmax",
    "LogSoftmax",
    "Dropout",
    "MSELoss",
    "CrossEntropyLoss",
    "BCEWithLogitsLoss",
    "NLLLoss",
]


class _ParameterMeta(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.is_leaf and obj.requires_grad


class Parameter(metaclass=_ParameterMeta):
    """``Parameter(data, requires_grad=True)`` returns a leaf Tensor sharing ``data``'s memory (a
    Tensor's, or a copy of an array's) with ``requires_grad`` set. Not a class of its own: see the
    module docstring."""

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            data = np.zeros(0, dtype=np.float32)
        t = data.detach() if isinstance(data, Tensor) else asarray(data)
        if not np.issubdtype(t.dtype, np.floating):
            raise TypeError(f"Parameter: only floating point tensors can require gradients, got dtype {t.dtype}")
        return t.requires_grad_(bool(requires_grad))


IncompatibleKeys = collections.namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


def _is_parameter(value):
    return isinstance(value, Tensor) and value.is_leaf and value.requires_grad


class Module:
    """Base class of layers: subclasses set parameters and sub-modules as attributes in
    ``__init__`` (after ``super().__init__()``) and define ``forward``."""

    def __init__(self):
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "training", True)

    # ---- registration ----------------------------------------------------------------------------
    def _registries(self):
        try:
            return self.__dict__["_parameters"], self.__dict__["_buffers"], self.__dict__["_modules"]
        except KeyError:
            raise AttributeError(
                f"cannot assign attributes to {type(self).__name__} before Module.__init__() is called"
            ) from None

    def _forget(self, name):
        params, buffers, modules = self._registries()
        self.__dict__.pop(name, None)
        params.pop(name, None)
        buffers.pop(name, None)
        modules.pop(name, None)
        self._non_persistent.discard(name)

    def __setattr__(self, name, value):
        params, buffers, modules = self._registries()
        if isinstance(value, Module):
            self._forget(name)
            modules[name] = value
        elif _is_parameter(value):
            self._forget(name)
            params[name] = value
        elif name in modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} as child module '{name}' (a Module or None expected)"
                )
            modules[name] = None
        elif name in params:
            if value is not None and not (isinstance(value, Tensor) and value.is_leaf):
                raise TypeError(
                    f"cannot assign {type(value).__name__} as parameter '{name}' (a leaf Tensor or None "
                    f"expected; a result of an op is not a parameter)"
                )
            params[name] = value
        elif name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign {type(value).__name__} as buffer '{name}' (a Tensor or None expected)")
            buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name):
        # Only reached when normal lookup fails: registered entries live outside __dict__.
        for registry in ("_parameters", "_buffers", "_modules"):
            entries = self.__dict__.get(registry)
            if entries is not None and name in entries:
                return entries[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        params, buffers, modules = self._registries()
        if name in params or name in buffers or name in modules:
            self._forget(name)
        else:
            object.__delattr__(self, name)

    def _check_registered_name(self, kind, name, registry):
        """As torch: a name must be a non-empty string without dots, and may replace an entry of
        the same kind but not an attribute of another kind (which would silently vanish)."""
        self._registries()
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
        if "." in name:
            raise KeyError(f'{kind} name must not contain ".", got {name}')
        if name == "":
            raise KeyError(f"{kind} name must not be empty")
        if name not in registry and hasattr(self, name):
            raise KeyError(f"attribute '{name}' already exists")

    def register_parameter(self, name, param):
        """Registers ``param`` (a leaf floating Tensor, or None) under ``name``, whether or not it
        requires grad. ``name`` may be a parameter already, but no other attribute (KeyError)."""
        self._check_registered_name("parameter", name, self.__dict__.get("_parameters", {}))
        if param is not None and not (isinstance(param, Tensor) and param.is_leaf):
            raise TypeError(
                f"register_parameter: '{name}' must be a leaf Tensor or None, got "
                f"{'a non-leaf Tensor' if isinstance(param, Tensor) else type(param).__name__}"
            )
        self._parameters[name] = param  # a replaced parameter keeps its place in the order

    def register_buffer(self, name, tensor, persistent=True):
        """Registers a tensor that is state but not a parameter (in ``state_dict`` when persistent).
        ``name`` may be a buffer already, but no other attribute (KeyError)."""
        self._check_registered_name("buffer", name, self.__dict__.get("_buffers", {}))
        if tensor is not None and not isinstance(tensor, Tensor):
            tensor = asarray(tensor)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)

    def add_module(self, name, module):
        """Registers ``module`` (or None) as a child under ``name``, which may be a child already but
        no other attribute (KeyError)."""
        self._check_registered_name("module", name, self.__dict__.get("_modules", {}))
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {type(module).__name__} is not a Module")
        self._modules[name] = module

    # ---- traversal -------------------------------------------------------------------------------
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """(dotted name, module) pairs, this module first. With ``remove_duplicate=False`` a module
        reachable under several names (a shared sub-module) is listed under each of them, as in
        torch (a module containing itself is still listed once per path, not forever)."""
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(memo, prefix + ("." if prefix else "") + name, remove_duplicate)
        if not remove_duplicate:
            memo.discard(id(self))  # the memo then holds the current path only

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        seen = set()
        for name, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self):
        for _, child in self.named_children():
            yield child

    def _named_members(self, registry, recurse, remove_duplicate=True):
        seen = set()
        mods = self.named_modules(remove_duplicate=remove_duplicate) if recurse else [("", self)]
        for prefix, module in mods:
            for name, value in getattr(module, registry).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield prefix + ("." if prefix else "") + name, value

    def named_parameters(self, recurse=True, remove_duplicate=True):
        """(name, parameter) pairs, dotted names for sub-modules, each tensor once (under every
        name it has with ``remove_duplicate=False``: tied weights, shared sub-modules)."""
        return self._named_members("_parameters", recurse, remove_duplicate)

    def parameters(self, recurse=True):
        for _, p in self.named_parameters(recurse):
            yield p

    def named_buffers(self, recurse=True, remove_duplicate=True):
        return self._named_members("_buffers", recurse, remove_duplicate)

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse):
            yield b

    def apply(self, fn):
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ---- modes and gradients ---------------------------------------------------------------------
    def train(self, mode=True):
        """Training mode (``mode=True``) or evaluation mode, for this module and every sub-module."""
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Clears every parameter's ``.grad``: to None (the default), or to zeros in place."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            elif p.grad.requires_grad:  # a gradient built with create_graph: drop its history
                p.grad = p.grad.detach() * 0
            else:
                p.grad.zero_()

    # ---- state -----------------------------------------------------------------------------------
    def _state_items(self):
        """(dotted name, tensor) for every parameter and persistent buffer, sub-modules included."""
        for prefix, module in self.named_modules():
            dot = prefix + ("." if prefix else "")
            for name, p in module._parameters.items():
                if p is not None:
                    yield dot + name, p
            for name, b in module._buffers.items():
                if b is not None and name not in module._non_persistent:
                    yield dot + name, b

    def state_dict(self):
        """An ordered dict of dotted names to NumPy copies of every parameter and persistent buffer."""
        return collections.OrderedDict((name, t.detach().numpy().copy()) for name, t in self._state_items())

    def load_state_dict(self, state_dict, strict=True):
        """Copies values (NumPy arrays, Tensors or nested lists) into the parameters and buffers in place.

        A shape mismatch raises ValueError naming the key; with ``strict`` missing or unexpected
        keys raise RuntimeError. Nothing is modified unless every entry fits. Returns the
        ``(missing_keys, unexpected_keys)`` pair.
        """
        own = collections.OrderedDict(self._state_items())
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        if strict and (missing or unexpected):
            parts = []
            if missing:
                parts.append("missing key(s): " + ", ".join(repr(k) for k in missing))
            if unexpected:
                parts.append("unexpected key(s): " + ", ".join(repr(k) for k in unexpected))
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}: " + "; ".join(parts))
        updates = []
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            try:
                value = value.detach() if isinstance(value, Tensor) else asarray(np.asarray(value))
            except (TypeError, ValueError) as e:
                raise TypeError(f"load_state_dict: value for '{key}' is not array-like ({e})") from None
            if value.shape != target.shape:
                raise ValueError(
                    f"load_state_dict: size mismatch for '{key}': the checkpoint has shape "
                    f"{value.shape}, the model has {target.shape}"
                )
            updates.append((target, value))
        for target, value in updates:
            _core._assign(target, value)
        return IncompatibleKeys(missing, unexpected)

    # ---- calling and printing --------------------------------------------------------------------
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward() method")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def extra_repr(self):
        return ""

    def __repr__(self):
        lines = []
        for name, child in self._modules.items():
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        extra = self.extra_repr()
        if not lines:
            return f"{type(self).__name__}({extra})"
        head = f"{type(self).__name__}(" + (f"\n  {extra}" if extra else "")
        return head + "\n" + "\n".join(lines) + "\n)"


# ---- layers ---------------------------------------------------------------------------------------
class Linear(Module):
    """``y = x @ weight.T + bias`` with weight (out_features, in_features), PyTorch's layout and
    initialisation: weight and bias uniform in (-1/sqrt(in_features), 1/sqrt(in_features)) (that is
    kaiming_uniform with a = sqrt(5)), drawn from pyjac's generator so ``pj.manual_seed`` fixes them.
    float32 by default, as in PyTorch; pass ``dtype=`` for float64."""

    def __init__(self, in_features, out_features, bias=True, dtype=None):
        super().__init__()
        dtype = np.dtype(np.float32 if dtype is None else dtype)
        if dtype not in (np.float32, np.float64):
            raise TypeError(f"Linear: dtype must be float32 or float64, got {dtype}")
        if in_features < 0 or out_features < 0:
            raise ValueError(f"Linear: feature counts must be non-negative, got ({in_features}, {out_features})")
        self.in_features, self.out_features = int(in_features), int(out_features)
        bound = 1.0 / math.sqrt(in_features) if in_features > 0 else 0.0
        self.weight = Parameter(_uniform((self.out_features, self.in_features), bound, dtype))
        if bias:
            self.bias = Parameter(_uniform((self.out_features,), bound, dtype))
        else:
            self.register_parameter("bias", None)

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


def _uniform(shape, bound, dtype):
    """U(-bound, bound) samples from pyjac's generator."""
    return (_core.rand(shape, np.float64) * (2.0 * bound) - bound).astype(dtype)


class Sequential(Module):
    """Modules applied in order; indexable (a slice gives a Sequential), with ``len`` and iteration."""

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], collections.OrderedDict):
            for name, m in modules[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(modules):
                if not isinstance(m, Module):
                    raise TypeError(f"Sequential: argument {i} is a {type(m).__name__}, not a Module")
                self.add_module(str(i), m)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, idx):
        items = list(self._modules.items())
        if isinstance(idx, slice):
            return Sequential(collections.OrderedDict(items[idx]))
        try:
            return items[idx][1]
        except IndexError:
            raise IndexError(f"Sequential: index {idx} is out of range for {len(items)} modules") from None

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def forward(self, x):
        for m in self._modules.values():
            x = m(x)
        return x


class Identity(Module):
    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x


class Tanh(Module):
    def forward(self, x):
        return F.tanh(x)


class ReLU(Module):
    def forward(self, x):
        return F.relu(x)


class Sigmoid(Module):
    def forward(self, x):
        return F.sigmoid(x)


class SiLU(Module):
    def forward(self, x):
        return F.silu(x)


class GELU(Module):
    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x):
        return F.gelu(x, self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Softplus(Module):
    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class LeakyReLU(Module):
    def __init__(self, negative_slope=0.01):
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class ELU(Module):
    def __init__(self, alpha=1.0):
        super().__init__()
        self.alpha = alpha

    def forward(self, x):
        return F.elu(x, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}"


class _AlongAxis(Module):
    """A normalisation along one axis (``dim``, PyTorch's name for it, is accepted too)."""

    _function = None

    def __init__(self, axis=-1, dim=None):
        super().__init__()
        self.axis = F._axis(axis, dim, type(self).__name__)

    def forward(self, x):
        return self._function(x, self.axis)

    def extra_repr(self):
        return f"axis={self.axis}"


class Softmax(_AlongAxis):
    _function = staticmethod(F.softmax)


class LogSoftmax(_AlongAxis):
    _function = staticmethod(F.log_softmax)


class Dropout(Module):
    """Dropout while ``training``; the identity after ``eval()``."""

    def __init__(self, p=0.5):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: probability has to be between 0 and 1, got {p}")
        self.p = p

    def forward(self, x):
        return F.dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"


# ---- losses ---------------------------------------------------------------------------------------
class MSELoss(Module):
    def __init__(self, reduction="mean"):
        super().__init__()
        F._check_reduction(reduction, "MSELoss")
        self.reduction = reduction

    def forward(self, input, target):
        return F.mse_loss(input, target, self.reduction)


class _WeightedLoss(Module):
    def __init__(self, weight, reduction, op):
        super().__init__()
        F._check_reduction(reduction, op)
        self.register_buffer("weight", None if weight is None else asarray(weight).detach())
        self.reduction = reduction


class CrossEntropyLoss(_WeightedLoss):
    def __init__(self, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        super().__init__(weight, reduction, "CrossEntropyLoss")
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, self.weight, self.ignore_index, self.reduction, self.label_smoothing)


class NLLLoss(_WeightedLoss):
    def __init__(self, weight=None, ignore_index=-100, reduction="mean"):
        super().__init__(weight, reduction, "NLLLoss")
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return F.nll_loss(input, target, self.weight, self.ignore_index, self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    def __init__(self, weight=None, reduction="mean", pos_weight=None):
        super().__init__(weight, reduction, "BCEWithLogitsLoss")
        self.register_buffer("pos_weight", None if pos_weight is None else asarray(pos_weight).detach())

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, self.weight, self.pos_weight, self.reduction)
