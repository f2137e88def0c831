"""pyjac: automatic differentiation with a C++ core.

Tensors, kernels, the tape, the engine and every derivative rule live in the C++ extension
``pyjac._core``; this package is the thin Python face over it.
"""

import os as _os
import re as _re
import warnings as _warnings

import numpy as _np
import scipy_openblas32 as _openblas

from . import _core


def _threads_setting_warning(raw, cpus):
    """The warning to give for PYJAC_NUM_THREADS=raw, or None if it is used as written (or empty,
    which means unset). The C++ side (csrc/kernels/parallel.cpp, threads_from_environment) reads it
    with atoi, takes the CPU count for values below 1 and caps it at 256; this mirrors that, to
    say what is used instead."""
    text = raw.strip(" \t\n\v\f\r")
    if not text:
        return None
    match = _re.match(r"[+-]?[0-9]+", text)
    n = 0
    if match:
        # atoi is (int)strtol: saturated to 64 bits, then the low 32 bits as a signed int
        n = max(-(2**63), min(2**63 - 1, int(match.group()))) & 0xFFFFFFFF
        n = n - 2**32 if n >= 2**31 else n
    if n < 1:
        return (
            f"PYJAC_NUM_THREADS={raw!r} is not a positive whole number: pyjac ignores it and uses "
            f"{cpus} thread{'s' if cpus != 1 else ''} (the number of CPUs available)"
        )
    if n > 256:
        return f"PYJAC_NUM_THREADS={raw!r} is above the maximum of 256: pyjac uses 256 threads"
    whole = match.group() == text
    if whole and int(text) == n:
        return None
    if whole:
        return f"PYJAC_NUM_THREADS={raw!r} overflows a C int: pyjac reads it as {n} and uses {n} threads"
    return (
        f"PYJAC_NUM_THREADS={raw!r} is not a whole number: pyjac reads its leading digits and uses "
        f"{n} thread{'s' if n != 1 else ''}"
    )


def _available_cpus():
    try:
        return max(1, len(_os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, _os.cpu_count() or 1)


if "PYJAC_NUM_THREADS" in _os.environ:
    _message = _threads_setting_warning(_os.environ["PYJAC_NUM_THREADS"], _available_cpus())
    if _message:
        _warnings.warn(_message, RuntimeWarning, stacklevel=2)

# matmul calls OpenBLAS's cblas; load it from the scipy-openblas32 wheel so no environment
# variable or rpath is needed.
_core.load_blas(_os.path.join(_openblas.get_lib_dir(), _openblas.get_library(True)))

# Pytrees (pyjac.tree) and the memory budget of chunk_size="auto" Jacobian sweeps.
from . import (  # noqa: E402,F401
    _tensor,  # noqa: E402,F401  (Python conveniences on Tensor)
    autograd,
    func,
    testing,
    tree,  # noqa: E402,F401
)
from ._core import Tensor  # noqa: E402
from ._creation import (  # noqa: E402
    arange,
    asarray,
    empty,
    eye,
    full,
    full_like,
    linspace,
    manual_seed,
    ones,
    ones_like,
    rand,
    randn,
    tensor,
    zeros,
    zeros_like,
)
from ._jacobians import get_memory_budget, set_memory_budget  # noqa: E402
from ._ops import *  # noqa: E402,F401,F403
from ._ops import __all__ as _ops_all  # noqa: E402
from .autograd import (  # noqa: E402
    backward,
    enable_grad,
    grad,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from .functional import hessian, hvp, jacobian, jvp, vhp, vjp  # noqa: E402

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
    "Tensor",
    "tensor",
    "asarray",
    "zeros",
    "ones",
    "full",
    "empty",
    "zeros_like",
    "ones_like",
    "full_like",
    "eye",
    "arange",
    "linspace",
    "rand",
    "randn",
    "manual_seed",
    "grad",
    "backward",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "jacobian",
    "hessian",
    "vjp",
    "jvp",
    "hvp",
    "vhp",
    "set_memory_budget",
    "get_memory_budget",
    "float32",
    "float64",
    "int64",
    "bool_",
    "newaxis",
] + list(_ops_all)

# Submodules, after the names above that they use: pyjac.linalg (LAPACK-backed matrix functions;
# loads LAPACK from the same library), pyjac.nn (Module, layers, losses, nn.functional),
# pyjac.optim (optimizers), pyjac.special and pyjac.stats (SciPy's special functions and
# distributions).
from . import linalg, nn, optim, special, stats  # noqa: E402, F401
