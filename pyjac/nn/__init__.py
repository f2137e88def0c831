"""Neural-network building blocks, ``torch.nn`` style: ``Module``, layers, activations and losses
(``pyjac.nn.functional`` holds the functions they call)."""

from . import functional
from .modules import *  # noqa: F401,F403
from .modules import __all__ as _modules_all

__all__ = ["functional"] + list(_modules_all)
