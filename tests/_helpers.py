"""Assertions shared by the test modules (imported directly: pytest puts tests/ on sys.path)."""

import numpy as np

import pyjac as pj


def as_numpy(x):
    return x.numpy() if isinstance(x, pj.Tensor) else np.asarray(x)


def assert_tree_close(got, expected, rtol=1e-7, atol=1e-9, path="result"):
    """got: pyjac Tensors in tuples; expected: arrays (or torch tensors) in the same structure."""
    if isinstance(expected, (tuple, list)):
        assert isinstance(got, tuple), f"{path}: expected a tuple, got {type(got).__name__}"
        assert len(got) == len(expected), f"{path}: length {len(got)} != {len(expected)}"
        for k, (g, e) in enumerate(zip(got, expected)):
            assert_tree_close(g, e, rtol, atol, f"{path}[{k}]")
        return
    assert isinstance(got, pj.Tensor), f"{path}: expected a Tensor, got {type(got).__name__}"
    e = expected.detach().numpy() if hasattr(expected, "detach") else np.asarray(expected)
    assert tuple(got.shape) == tuple(e.shape), f"{path}: shape {got.shape} != {e.shape}"
    np.testing.assert_allclose(as_numpy(got), e, rtol=rtol, atol=atol, err_msg=path)
