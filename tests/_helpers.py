"""Assertions shared by the test modules (imported directly: pytest puts tests/ on sys.path)."""

import os
import re

import numpy as np
import pytest

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


def run_readme_section(title, namespace=None):
    """Runs the python code blocks of the README section headed ``## <title>`` (the README's
    examples are tests); skips where the README isn't beside the tests (an installed copy)."""
    readme = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "README.md")
    if not os.path.exists(readme):
        pytest.skip("README.md is not beside the tests (an installed copy)")
    with open(readme, encoding="utf-8") as f:
        text = f.read()
    start = text.index("## " + title)
    end = text.find("\n## ", start + 1)
    blocks = re.findall(r"```python\n(.*?)```", text[start : end if end >= 0 else None], re.S)
    assert blocks, f"README section {title!r} has no python code block"
    namespace = {} if namespace is None else namespace
    for block in blocks:
        exec(compile(block, f"README.md ({title})", "exec"), namespace)  # noqa: S102
