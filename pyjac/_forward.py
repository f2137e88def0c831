"""Forward mode from Python: a dual level, duals in, tangents out. The propagation itself is the
ops' JVP rules in C++; this only opens and closes levels."""

import contextlib

from . import _core


@contextlib.contextmanager
def dual_level():
    """A forward-mode level: inside it, ``make_dual`` attaches tangents that every op propagates."""
    level = _core.forward_enter()
    try:
        yield level
    finally:
        _core.forward_exit(level)


def make_dual(primal, tangent, level):
    """``primal`` carrying ``tangent`` (shaped like primal, or with extra leading batch dims)."""
    return _core.make_dual(primal, tangent, level)


def tangent_of(output, level):
    """The tangent ``output`` carries at ``level``, or None when it does not depend on the duals."""
    return _core.tangent(output, level)
