"""Optimizers with PyTorch's update rules (``torch.optim.SGD`` and ``torch.optim.Adam``).

Parameters are leaf tensors; ``step()`` reads their ``.grad`` and updates them in place under
``no_grad`` (which is what lets a leaf that requires grad be written), in the same order of
operations as torch's single-tensor implementations, so float64 runs agree to rounding.
Parameter groups work as in torch: a list of dicts, each with ``params`` and any hyperparameter
that overrides the optimizer's defaults.
"""

from . import _core
from ._core import Tensor
from ._creation import zeros_like
from .autograd import enable_grad, no_grad

__all__ = ["Optimizer", "SGD", "Adam"]


class _Required:
    def __repr__(self):
        return "<required parameter>"


required = _Required()


class Optimizer:
    """Base class: parameter groups, per-parameter state, ``zero_grad``, ``state_dict``."""

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.state = {}  # parameter -> dict of buffers (Tensor hashes by identity)
        self.param_groups = []
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or dicts, but got a Tensor"
            )
        if isinstance(params, (set, frozenset)):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, not sets "
                "(a set's order changes between runs)"
            )
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group):
        """Adds a group (a dict with ``params``); missing hyperparameters take the defaults."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param group must be a dict, got {type(param_group).__name__}")
        params = param_group.get("params")
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError("optimizer parameters need to be organized in ordered collections, not sets")
        elif params is None:
            raise ValueError("a param group needs a 'params' entry")
        params = list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        group = dict(param_group, params=params)
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            group.setdefault(name, default)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if len({id(p) for p in params}) != len(params) or any(id(p) in seen for p in params):
            raise ValueError("some parameters appear more than once (in one group or in several)")
        self._check(group)
        self.param_groups.append(group)

    def _check(self, group):
        pass

    def zero_grad(self, set_to_none=True):
        """Forgets the gradients: ``.grad = None`` (default) or zeros them in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    with no_grad():
                        g = p.grad
                        if g.grad_fn is not None or g.requires_grad:
                            g = g.detach()
                            p.grad = g
                        g.zero_()

    def _params_with_grad(self):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    yield group, p

    def step(self, closure=None):
        raise NotImplementedError

    def _closure_loss(self, closure):
        if closure is None:
            return None
        with enable_grad():
            return closure()

    # ---- checkpoints ----------------------------------------------------------------------------
    def state_dict(self):
        """``{"state": {index: buffers}, "param_groups": [...]}`` with parameters as indices (torch's
        layout); buffers are copies."""
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if p in self.state:
                    state[index[id(p)]] = {
                        k: (_core.copy(v) if isinstance(v, Tensor) else v) for k, v in self.state[p].items()
                    }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for mine, theirs in zip(self.param_groups, groups):
            if len(mine["params"]) != len(theirs["params"]):
                raise ValueError(
                    "loaded state dict contains a parameter group that doesn't match the size of optimizer's group"
                )
        params = {}
        for mine, theirs in zip(self.param_groups, groups):
            for p, i in zip(mine["params"], theirs["params"]):
                params[i] = p
        self.state = {}
        for i, buffers in state_dict["state"].items():
            p = params[i]
            self.state[p] = {
                k: (_core.astype(_core.copy(v), p.dtype) if isinstance(v, Tensor) else v) for k, v in buffers.items()
            }
        for mine, theirs in zip(self.param_groups, groups):
            for k, v in theirs.items():
                if k != "params":
                    mine[k] = v

    def __repr__(self):
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines + [")"])


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2
    weight decay, as ``torch.optim.SGD``::

        g = grad + weight_decay * p
        b = g (first step) or momentum * b + (1 - dampening) * g
        g = g + momentum * b if nesterov else b        (when momentum != 0)
        p = p - lr * g
    """

    def __init__(self, params, lr=required, momentum=0, dampening=0, weight_decay=0, nesterov=False):
        super().__init__(
            params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov)
        )

    def _check(self, group):
        if group["lr"] < 0:
            raise ValueError(f"Invalid learning rate: {group['lr']}")
        if group["momentum"] < 0:
            raise ValueError(f"Invalid momentum value: {group['momentum']}")
        if group["weight_decay"] < 0:
            raise ValueError(f"Invalid weight_decay value: {group['weight_decay']}")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")

    @no_grad()
    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns closure()'s loss if given."""
        loss = self._closure_loss(closure)
        for group, p in list(self._params_with_grad()):
            lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
            grad = p.grad
            if group["weight_decay"] != 0:
                grad = grad + p * group["weight_decay"]
            if momentum != 0:
                state = self.state.setdefault(p, {})
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = state["momentum_buffer"] = _core.copy(grad)
                else:
                    buf.mul_(momentum).add_(grad, alpha=1 - dampening)
                grad = grad + buf * momentum if group["nesterov"] else buf
            p.add_(grad, alpha=-lr)
        return loss


class Adam(Optimizer):
    """Adam (Kingma and Ba), with optional L2 weight decay and AMSGrad, as ``torch.optim.Adam``::

    g = grad + weight_decay * p
    m = m + (1 - beta1) * (g - m)            v = beta2 * v + (1 - beta2) * g * g
    v_max = max(v_max, v) (amsgrad)          denom = sqrt(v or v_max) / sqrt(1 - beta2**t) + eps
    p = p - lr / (1 - beta1**t) * m / denom
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False):
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad))

    def _check(self, group):
        if group["lr"] < 0:
            raise ValueError(f"Invalid learning rate: {group['lr']}")
        if group["eps"] < 0:
            raise ValueError(f"Invalid epsilon value: {group['eps']}")
        beta1, beta2 = group["betas"]
        if not 0.0 <= beta1 < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {beta1}")
        if not 0.0 <= beta2 < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {beta2}")
        if group["weight_decay"] < 0:
            raise ValueError(f"Invalid weight_decay value: {group['weight_decay']}")

    @no_grad()
    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns closure()'s loss if given."""
        loss = self._closure_loss(closure)
        for group, p in list(self._params_with_grad()):
            beta1, beta2 = group["betas"]
            grad = p.grad
            state = self.state.setdefault(p, {})
            if not state:
                state["step"] = 0
                state["exp_avg"] = zeros_like(p)
                state["exp_avg_sq"] = zeros_like(p)
                if group["amsgrad"]:
                    state["max_exp_avg_sq"] = zeros_like(p)
            state["step"] += 1
            step = float(state["step"])
            exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
            if group["weight_decay"] != 0:
                grad = grad + p * group["weight_decay"]
            # In-place where possible: each temporary of a large parameter costs a fresh buffer.
            _lerp_(exp_avg, grad, 1 - beta1)
            exp_avg_sq.mul_(beta2).add_((grad * (1 - beta2)).mul_(grad))
            step_size = group["lr"] / (1 - beta1**step)
            bias_correction2_sqrt = (1 - beta2**step) ** 0.5
            if group["amsgrad"]:
                max_sq = state.setdefault("max_exp_avg_sq", zeros_like(p))
                max_sq.copy_(_core.maximum(max_sq, exp_avg_sq))
                denom = _core.sqrt(max_sq).div_(bias_correction2_sqrt).add_(group["eps"])
            else:
                denom = _core.sqrt(exp_avg_sq).div_(bias_correction2_sqrt).add_(group["eps"])
            p.add_((exp_avg * -step_size).div_(denom))
        return loss


def _lerp_(start, end, weight):
    """start += weight * (end - start), rounded the way torch.lerp does on either side of 1/2."""
    if weight < 0.5:
        start.add_((end - start).mul_(weight))
    else:
        start.copy_(end - (end - start).mul_(1 - weight))
