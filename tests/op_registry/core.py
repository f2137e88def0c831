"""The registry's entry type (`OpCase`), input domains, and the selection helpers the tests use.

An entry is one way of calling one public op on tensors: the op's name, a function of the
tensors with every non-tensor argument bound, the inputs (shapes and the domain they are drawn
from), a NumPy reference, which derivatives apply, and the other public spellings of the same
call (Tensor methods, operators, aliases). See the package docstring for the conventions.
"""

import dataclasses
import functools
from dataclasses import dataclass, field
from typing import Callable, Mapping, Optional

import numpy as np
import pytest

import pyjac as pj

# What `OpCase.derivative` can say.
SMOOTH = "smooth"  # differentiable: reverse, forward and (unless second_order=False) second order are checked
ZERO = "zero"  # piecewise constant (floor, round, //, sign, ...): every derivative is exactly 0 where defined
NONE = "none"  # integer or bool result (comparisons, argmax, all, ...): no gradient at all

F64, F32, I64, BOOL = np.float64, np.float32, np.int64, np.bool_


# ---- domains ------------------------------------------------------------------------------------
# A sampler is (rng, shape) -> float64 array. Each keeps finite differences away from poles,
# domain edges, kinks and jumps of the ops that use it.
def normal(rng, shape):
    return rng.standard_normal(shape)


def uniform(lo, hi):
    def sample(rng, shape):
        return rng.uniform(lo, hi, shape)

    sample.__name__ = f"uniform({lo}, {hi})"
    return sample


positive = uniform(0.5, 2.0)  # log, sqrt, x ** y's base
above_m1 = uniform(-0.5, 2.0)  # log1p
small = uniform(-1.0, 1.0)  # tan
inside_unit = uniform(-0.9, 0.9)  # arcsin, arccos, arctanh
above_one = uniform(1.2, 3.0)  # arccosh
wide = uniform(-4.0, 4.0)  # smooth activations
clip_box = uniform(-1.5, 1.5)


def away_from_zero(lo=0.2, hi=1.5):
    """Both signs, |x| in [lo, hi]: abs, relu, sign and friends away from their kink at 0."""

    def sample(rng, shape):
        return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(lo, hi, shape)

    sample.__name__ = f"away_from_zero({lo}, {hi})"
    return sample


def between_integers(rng, shape):
    """k + f with f in [0.1, 0.4] or [0.6, 0.9]: away from the jumps of floor, ceil, trunc, round."""
    frac = rng.uniform(0.1, 0.4, shape) + rng.choice([0.0, 0.5], size=shape)
    return rng.integers(-3, 4, shape) + frac


def ints(lo, hi):
    """Integers (as float64): small values so that ties happen (comparisons, argmax)."""

    def sample(rng, shape):
        return rng.integers(lo, hi, shape).astype(np.float64)

    sample.__name__ = f"ints({lo}, {hi})"
    return sample


def as_float32(sampler):
    def sample(rng, shape):
        return sampler(rng, shape).astype(np.float32)

    sample.__name__ = f"as_float32({sampler.__name__})"
    return sample


def bools(rng, shape):
    return rng.random(shape) > 0.5


class Joint:
    """A sampler of all inputs at once, for constraints between them: (rng, *shapes) -> arrays
    (maximum's inputs without ties, mod's a / b away from integers, ...)."""

    def __init__(self, fn):
        self.fn = fn
        self.__name__ = getattr(fn, "__name__", "joint")

    def __call__(self, rng, *shapes):
        return list(self.fn(rng, *shapes))


# ---- the entry --------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class OpCase:
    """One registry entry; see the package docstring for what each field promises."""

    id: str
    name: str
    fn: Callable
    shapes: tuple = ((2, 3),)
    domain: object = normal
    ref: Optional[Callable] = None
    sweep: Optional[tuple] = None
    args: tuple = ()
    derivative: str = SMOOTH
    second_order: bool = True
    forward: bool = True
    fd: bool = True
    hess_fd: bool = True
    batched: bool = True
    dtypes: tuple = (F64, F32)
    rtol: float = 1e-13
    tol: float = 1e-10
    fd_tol: float = 1e-6
    jac_tol: float = 1e-12
    hess_tol: float = 1e-10
    atol: Optional[float] = None
    atol2: Optional[float] = None
    torch: Optional[Callable] = None
    torch_tol: Mapping[str, tuple] = field(default_factory=dict)
    forms: Mapping[str, Callable] = field(default_factory=dict)
    family: str = ""
    tags: frozenset = frozenset()
    marks: tuple = ()
    xfail: Mapping[str, str] = field(default_factory=dict)
    vmap: bool = True
    sparsity: Optional[str] = None

    def __post_init__(self):
        assert self.derivative in (SMOOTH, ZERO, NONE), self.derivative
        object.__setattr__(self, "shapes", tuple(s if isinstance(s, np.ndarray) else tuple(s) for s in self.shapes))
        object.__setattr__(self, "tags", frozenset(self.tags))

    def __repr__(self):
        return self.id

    # -- what the tests ask ----------------------------------------------------------------------
    @property
    def differentiable(self):
        return self.derivative != NONE

    @property
    def nargs(self):
        return len(self.shapes)

    @property
    def op(self):
        """The public callable (or property) this entry exercises, found from `name`."""
        return resolve(self.name)

    def sample(self, rng, *shapes):
        """Inputs drawn from the domain for other shapes (the family tests' shape sweeps)."""
        d = self.domain
        if isinstance(d, Joint):
            return d(rng, *shapes)
        if isinstance(d, (tuple, list)):
            return [s(rng, shape) for s, shape in zip(d, shapes)]
        return [d(rng, shape) for shape in shapes]

    def arrays(self, seed=0, dtype=None):
        """This entry's inputs: the given shapes drawn from the domain (fixed arrays as they are),
        float64 unless `dtype` says otherwise (float inputs only; bool inputs stay bool)."""
        rng = np.random.default_rng(seed)
        drawn = self.sample(rng, *[s.shape if isinstance(s, np.ndarray) else s for s in self.shapes])
        out = []
        for s, a in zip(self.shapes, drawn):
            a = np.array(s, copy=True) if isinstance(s, np.ndarray) else np.asarray(a)
            if dtype is not None and a.dtype.kind == "f":
                a = np.round(a * 3).astype(dtype) if np.dtype(dtype).kind in "iu" else a.astype(dtype)
            out.append(a)
        return out

    @functools.cached_property
    def single(self):
        """fn with one tensor out: several outputs are raveled and concatenated."""
        fn = self.fn

        def single(*xs):
            out = fn(*xs)
            if isinstance(out, (tuple, list)):
                return pj.concatenate([pj.reshape(o, (-1,)) for o in out])
            return out

        return single

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)


# ---- names ----------------------------------------------------------------------------------
def resolve(qualified):
    """'exp' -> pj.exp, 'linalg.inv' -> pj.linalg.inv, 'nn.functional.gelu', 'Tensor.__add__'."""
    obj = pj
    for part in qualified.split("."):
        obj = vars(obj)[part] if isinstance(obj, type) and part in vars(obj) else getattr(obj, part)
    return obj


# ---- selecting and parametrizing -----------------------------------------------------------------
def params(cases, check=None, isolate=True):
    """pytest params for entries, with each entry's marks (isolate=False leaves out `isolated`),
    and a strict xfail where the entry records a known library bug for `check`."""
    out = []
    for c in cases:
        marks = [m for m in c.marks if isolate or m.name != "isolated"]
        if check is not None and check in c.xfail:
            marks.append(pytest.mark.xfail(strict=True, reason=c.xfail[check]))
        out.append(pytest.param(c, id=c.id, marks=marks))
    return out
