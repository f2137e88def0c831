"""NumPy's other call forms of existing ops: einsum's interleaved (sublist) form, one-argument
where (= nonzero), and nonzero itself."""

from . import _core

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_MISSING = object()


def _subscripts(sublist, position):
    out = []
    for s in sublist:
        if s is Ellipsis:
            out.append("...")
            continue
        try:
            i = int(s) if not isinstance(s, bool) else None
        except (TypeError, ValueError):
            i = None
        if i is None or i != s or not 0 <= i < len(_LETTERS):
            raise ValueError(
                f"einsum: subscript {s!r} in the {position} sublist is not an integer "
                f"in [0, {len(_LETTERS)}) or Ellipsis"
            )
        out.append(_LETTERS[i])
    return "".join(out)


def einsum(*operands, **kwargs):
    """NumPy's einsum: ``einsum('ij,jk->ik', a, b)``, or the interleaved form
    ``einsum(a, [0, 1], b, [1, 2], [0, 2])`` (integers for labels, Ellipsis for '...', the output
    sublist optional). Differentiable in every operand."""
    kwargs.pop("optimize", None)  # the contraction order is einsum's own choice; results are the same
    if kwargs:
        raise TypeError(f"einsum: unsupported keyword arguments {sorted(kwargs)}")
    if not operands:
        raise TypeError("einsum: no operands given")
    if isinstance(operands[0], str):
        return _core.einsum(*operands)
    tensors, inputs = list(operands[0::2]), operands[1::2]
    output = None
    if len(operands) % 2:  # the last item is the output sublist
        output = tensors.pop()
    if len(inputs) != len(tensors):
        raise ValueError("einsum: the interleaved form needs one sublist after each operand")
    spec = ",".join(_subscripts(s, f"operand {i}'s") for i, s in enumerate(inputs))
    if output is not None:
        spec += "->" + _subscripts(output, "output")
    return _core.einsum(spec, *tensors)


def nonzero(a):
    """The indices of the nonzero elements: a tuple of int64 tensors, one per axis (no derivative)."""
    return _core.nonzero(a if isinstance(a, _core.Tensor) else _core.from_object(a))


def where(condition, x=_MISSING, y=_MISSING):
    """Elements of x where condition holds, else of y (broadcast; differentiable in x and y). With the
    condition alone, nonzero(condition)."""
    if x is _MISSING and y is _MISSING:
        return nonzero(condition)
    if x is _MISSING or y is _MISSING:
        raise ValueError("where: either both or neither of x and y should be given")
    return _core.where(condition, x, y)


__all__ = ["einsum", "nonzero", "where"]
