"""The code passes the project's lint rules (unused imports and variables included)."""

import shutil
import subprocess
import sys

import pytest

from tests.conftest import REPO_DIR


def test_ruff_lint_passes():
    if shutil.which("ruff") is None and subprocess.run([sys.executable, "-m", "ruff", "--version"]).returncode:
        pytest.skip("ruff is not installed (it is in the test extra)")
    run = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "keras_gpt2", "tests", "examples", "benchmarks", "tools"],
        capture_output=True,
        text=True,
        cwd=REPO_DIR,
    )
    assert run.returncode == 0, run.stdout[-3000:]
