"""Indexing: basic (ints, slices with any step, None, Ellipsis) and advanced (integer arrays, bool
masks, mixed) `Tensor.__getitem__`, take and take_along_axis.

Family "indexing" (tests/test_ops_indexing.py, tests/test_indexing_advanced.py). `args` holds
the index (and axis) so that the family tests can pass it in other forms (as a tensor, say).
"""

import numpy as np

import pyjac as pj

from .core import F32, F64, I64, OpCase


class _Index:
    """``_I[...]`` returns the index object itself, so tables can spell indices naturally."""

    def __getitem__(self, idx):
        return idx


_I = _Index()
_M = np.array([[True, False, True, False], [False, False, True, True], [True, True, False, False]])

# (shape, index)
BASIC = [
    # ints, negative ints
    ((5,), _I[0]),
    ((5,), _I[-1]),
    ((5,), _I[4]),
    ((3, 4), _I[1]),
    ((3, 4), _I[-2]),
    ((3, 4), _I[1, 2]),
    ((3, 4), _I[-1, -4]),
    ((2, 3, 4), _I[1, -1]),
    ((2, 3, 4), _I[0, 1, 2]),
    # slices with positive steps
    ((6,), _I[1:4]),
    ((6,), _I[:]),
    ((6,), _I[::2]),
    ((6,), _I[1::3]),
    ((6,), _I[-4:-1]),
    ((6,), _I[2:100]),
    ((6,), _I[-100:2]),
    ((6,), _I[4:2]),  # empty
    ((6,), _I[6:]),  # empty at the end
    ((3, 4), _I[:, 1:3]),
    ((3, 4), _I[1:, ::3]),
    ((2, 3, 4), _I[:, 1:, 1:3]),
    # negative steps
    ((6,), _I[::-1]),
    ((6,), _I[::-2]),
    ((6,), _I[4:1:-1]),
    ((6,), _I[-1:-5:-2]),
    ((6,), _I[5::-3]),
    ((6,), _I[:2:-1]),
    ((6,), _I[1:4:-1]),  # empty
    ((6,), _I[100::-2]),
    ((6,), _I[:-100:-1]),
    ((3, 4), _I[::-1, ::-1]),
    ((3, 4), _I[::-2, 1::-1]),
    ((2, 3, 4), _I[::-1, 1, ::-3]),
    # None and Ellipsis
    ((3, 4), _I[None]),
    ((3, 4), _I[:, None]),
    ((3, 4), _I[..., None]),
    ((3, 4), _I[None, ..., None]),
    ((2, 3, 4), _I[...]),
    ((2, 3, 4), _I[..., 1]),
    ((2, 3, 4), _I[1, ...]),
    ((2, 3, 4), _I[0, ..., ::-1]),
    ((2, 3, 4), _I[..., 1:3, 2]),
    ((2, 3, 4), _I[:, None, 1, ..., None, -1]),
    ((2, 3, 4), _I[None, ::-1, ..., 1:, None]),
    # 0-d and scalar results
    ((), _I[...]),
    ((), _I[None]),
    ((), _I[()]),
    ((), _I[..., None]),
    ((3,), _I[()]),
    ((1,), _I[0]),
    # empty tensors
    ((0,), _I[:]),
    ((0, 3), _I[:, 1]),
    ((2, 0), _I[1]),
    ((2, 0), _I[::-1, ::-1]),
]


# (shape, index)
ADVANCED = [
    # one integer array
    ((5,), _I[[0, 2, 4]]),
    ((5,), _I[[-1, 0, -5]]),
    ((5,), _I[[3, 3, 3]]),
    ((5,), _I[np.array([[0, 1], [4, 2]])]),
    ((3, 4), _I[[2, 0]]),
    ((3, 4), _I[:, [3, 0, 3]]),
    ((3, 4), _I[..., [1, -1]]),
    ((2, 3, 4), _I[:, [0, 2]]),
    ((2, 3, 4), _I[1:, [0, 2], ::2]),
    ((2, 3, 4), _I[None, [1], :, None]),
    # several arrays: adjacent (in place) and separated (front)
    ((3, 4), _I[[0, 2], [1, 3]]),
    ((3, 4), _I[[[0], [2]], [1, 3, 0]]),
    ((2, 3, 4), _I[:, [0, 2], [1, 3]]),
    ((2, 3, 4), _I[[0, 1], :, [1, 3]]),
    ((2, 3, 4), _I[[1], ..., [0, 2]]),
    ((2, 3, 4), _I[:, [0, 1], ..., [0, 2]]),  # an Ellipsis of no dims still separates
    ((2, 3, 4), _I[[0, 1], None, [0, 2]]),
    ((2, 3, 4, 5), _I[:, [0], None, [1, 2]]),
    ((2, 3, 4, 5), _I[[1, 0], :, [[2], [3]], 1:4]),
    # ints mixed with arrays: ints become arrays, so they count for adjacency too
    ((2, 3, 4), _I[0, :, [0, 1]]),
    ((2, 3, 4), _I[:, 1, [0, 3]]),
    ((2, 3, 4), _I[1, [0, 2]]),
    ((2, 3, 4), _I[-1, [2, 1], -2]),
    ((2, 3, 4), _I[np.array(1), :, 2]),
    ((2, 3, 4), _I[np.int64(1), [0, 0]]),
    # bool masks
    ((3, 4), _I[_M]),
    ((3, 4), _I[_M[:, 0]]),
    ((3, 4), _I[:, _M[0]]),
    ((3, 4), _I[np.zeros(3, dtype=bool)]),  # all False
    ((2, 3, 4), _I[:, _M]),
    ((2, 3, 4), _I[_M[:2, :3], 1:3]),
    ((2, 3, 4), _I[[1, 0, 1], _M[:, 0]]),  # the mask gives 2 indices: NumPy rejects (3,) with (2,)
    ((3, 4), _I[True]),
    ((3, 4), _I[False]),
    ((3, 4), _I[:, True]),
    ((3, 4), _I[[0, 1], True]),
    ((), _I[True]),
    ((), _I[None, False]),
    # empty index arrays and empty tensors
    ((3, 4), _I[[]]),
    ((3, 4), _I[:, []]),
    ((3, 4), _I[np.zeros((0, 2), dtype=np.int64)]),
    ((0, 3), _I[[], 1]),
    ((0, 3), _I[:, [0, 2]]),
    ((2, 0), _I[[1, 0, 1]]),
]


def _numpy_ok(shape, index):
    try:
        np.zeros(shape)[index]
        return True
    except IndexError:
        return False


# One case above mixes a (3,) array with a 2-True mask on purpose: NumPy rejects it, so it is an
# error case (tests/test_indexing_advanced.py), not an entry.
BAD_BROADCAST = [c for c in ADVANCED if not _numpy_ok(*c)]
ADVANCED = [c for c in ADVANCED if _numpy_ok(*c)]


def index_id(case):
    shape, idx = case

    def one(i):
        if isinstance(i, slice):
            parts = (i.start, i.stop) if i.step is None else (i.start, i.stop, i.step)
            return ":".join("" if v is None else str(v) for v in parts)
        return {None: "None", Ellipsis: "..."}.get(i, str(i)) if not isinstance(i, int) else str(i)

    parts = [one(i) for i in idx] if isinstance(idx, tuple) else [one(idx)]
    return f"{shape}[{','.join(parts)}]"


def _getitem(id, shape, index, **kw):
    return OpCase(
        id,
        "Tensor.__getitem__",
        lambda x: x[index],
        (shape,),
        ref=lambda a: a[index],
        args=(index,),
        family="indexing",
        dtypes=(F64, F32, I64),
        rtol=0,
        sparsity="selection",
        **kw,
    )


BASIC_CASES = [_getitem(index_id(c), *c, tags={"basic"}) for c in BASIC]
ADVANCED_CASES = [
    _getitem(f"adv{shape}-{i}", shape, index, tags={"advanced"}) for i, (shape, index) in enumerate(ADVANCED)
]

# (shape, indices, axis)
TAKE = [
    ((5,), [0, 4, 4, -1], None),
    ((2, 3), [[0, 5], [2, 2]], None),
    ((2, 3), [2, 0], 1),
    ((2, 3), [[1], [0]], 0),
    ((2, 3, 4), 2, -1),
    ((2, 3, 4), [], 1),
    ((3,), np.array(1), 0),
]
TAKE_ALONG = [
    ((3,), [2, 0, 0, 1], 0),
    ((2, 3), [[0, 2], [1, 1]], 1),
    ((2, 3), [[1, 0, 1]], 0),
    ((2, 3, 2), [[[1], [0], [1]]], 2),  # broadcasts over axis 0
    ((2, 3), [[2], [0]], -1),
    ((2, 3), [5, 0, 1], None),
]


def _take(i, shape, indices, axis):
    ind = np.asarray(indices, dtype=np.int64)
    forms = {"Tensor.take": lambda x: x.take(ind, axis=axis)} if i == 2 else {}
    return OpCase(
        f"take-{i}",
        "take",
        lambda x: pj.take(x, ind, axis=axis),
        (shape,),
        ref=lambda a: np.take(a, ind, axis=axis),
        args=(ind, axis),
        forms=forms,
        family="indexing",
        dtypes=(F64, F32, I64),
        rtol=0,
        sparsity="selection",
    )


def _take_along(i, shape, indices, axis):
    ind = np.asarray(indices, dtype=np.int64)
    return OpCase(
        f"take_along_axis-{i}",
        "take_along_axis",
        lambda x: pj.take_along_axis(x, ind, axis),
        (shape,),
        ref=lambda a: np.take_along_axis(a, ind, axis=axis),
        args=(ind, axis),
        family="indexing",
        dtypes=(F64, F32, I64),
        rtol=0,
        sparsity="selection",
    )


CASES = (
    BASIC_CASES
    + ADVANCED_CASES
    + [_take(i, *c) for i, c in enumerate(TAKE)]
    + [_take_along(i, *c) for i, c in enumerate(TAKE_ALONG)]
)
