"""pyjac: automatic differentiation with a C++ core.

Tensors, kernels, the tape, the engine and every derivative rule live in the C++ extension
``pyjac._core``; this package is the thin Python face over it.
"""
import os as _os

import numpy as _np
import scipy_openblas32 as _openblas

from . import _core

# matmul calls OpenBLAS's cblas; load it from the scipy-openblas32 wheel so no environment
# variable or rpath is needed.
_core.load_blas(_os.path.join(_openblas.get_lib_dir(), _openblas.get_library(True)))

from ._core import Tensor  # noqa: E402
from . import _tensor  # noqa: E402,F401  (Python conveniences on Tensor)
from ._creation import (  # noqa: E402
    tensor, asarray, zeros, ones, full, empty, zeros_like, ones_like, full_like, eye, arange, linspace,
    rand, randn, manual_seed,
)
from ._ops import *  # noqa: E402,F401,F403
from ._ops import __all__ as _ops_all  # noqa: E402
from .autograd import (  # noqa: E402
    grad, backward, no_grad, enable_grad, set_grad_enabled, is_grad_enabled,
)
from . import autograd, testing, func  # noqa: E402,F401
from .functional import jacobian, hessian, vjp, jvp, hvp, vhp  # noqa: E402

float32 = _np.float32
float64 = _np.float64
int64 = _np.int64
bool_ = _np.bool_
newaxis = None
pi = _np.pi
e = _np.e
inf = _np.inf
nan = _np.nan

__version__ = "0.1.0"

__all__ = [
    "Tensor", "tensor", "asarray", "zeros", "ones", "full", "empty", "zeros_like", "ones_like", "full_like",
    "eye", "arange", "linspace", "rand", "randn", "manual_seed",
    "grad", "backward", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
    "jacobian", "hessian", "vjp", "jvp", "hvp", "vhp",
    "float32", "float64", "int64", "bool_", "newaxis",
] + list(_ops_all)

# ---- neural networks: pyjac.nn (Module, layers, losses) and pyjac.nn.functional ---------------------
from . import nn  # noqa: E402,F401

# ---- pyjac.linalg (LAPACK-backed matrix functions; loads LAPACK from the same library) ----------
from . import linalg  # noqa: E402,F401

# ---- optimizers (pyjac/optim.py) ------------------------------------------------------------------
from . import optim  # noqa: E402,F401
