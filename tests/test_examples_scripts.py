"""Every script in examples/ runs to completion (exit code 0) in a fresh interpreter."""

import glob
import os
import subprocess
import sys

import pytest

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")
SCRIPTS = sorted(glob.glob(os.path.join(EXAMPLES, "*.py")))


def test_the_jacobian_examples_script_exists():
    assert os.path.join(EXAMPLES, "jacobian_examples.py") in SCRIPTS


@pytest.mark.parametrize("script", SCRIPTS, ids=[os.path.basename(s) for s in SCRIPTS])
def test_example_script_runs(script):
    proc = subprocess.run(
        [sys.executable, script], capture_output=True, text=True, timeout=300, cwd=os.path.dirname(EXAMPLES)
    )
    assert proc.returncode == 0, (
        f"{os.path.basename(script)} exited with {proc.returncode}\n"
        f"stdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}"
    )
    assert proc.stdout.strip(), "the script printed nothing"
    assert "Traceback" not in proc.stderr


def test_jacobian_examples_output_mentions_every_example():
    script = os.path.join(EXAMPLES, "jacobian_examples.py")
    proc = subprocess.run([sys.executable, script], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    for needle in ("M @ v", "J3 @ J2 @ J1", "grad of grad", "third", "all examples passed"):
        assert needle in out, f"{needle!r} missing from the output"
