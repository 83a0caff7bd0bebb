"""The README's snippets run as written: its Python block, and the main job of its first set-up command."""

import os
import re
import shlex
import subprocess
import sys

import pytest

from tests.conftest import REPO_DIR


def readme_blocks(language):
    with open(os.path.join(REPO_DIR, "README.md"), encoding="utf-8") as file:
        return re.findall(rf"```{language}\n(.*?)```", file.read(), re.DOTALL)


def test_readme_has_exactly_two_setup_commands():
    setup = readme_blocks("bash")
    assert len(setup) == 2
    assert setup[0].startswith("python3 -m venv .venv") and "keras-gpt2 generate" in setup[0]
    assert setup[1].strip() == "bash tools/run_tests.sh"


@pytest.mark.slow
def test_python_snippet_runs_as_written_twice(tmp_path):
    """On the default backend only (the snippet does not choose one), so the JAX pass skips it."""
    if os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow":
        pytest.skip("the README's Python block runs on the default backend, TensorFlow")
    (block,) = readme_blocks("python")
    for _ in range(2):  # a second run must not trip over the first one's output
        run = subprocess.run([sys.executable, "-c", block], cwd=tmp_path, capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, run.stderr[-3000:]
    assert (tmp_path / "runs" / "mine" / "model.weights.h5").is_file()


def test_first_setup_command_generates_text_with_the_shipped_model():
    program, *arguments = shlex.split(readme_blocks("bash")[0].split("&&")[-1])
    assert program == ".venv/bin/keras-gpt2"
    executable = os.path.join(os.path.dirname(sys.executable), "keras-gpt2")
    run = subprocess.run([executable, *arguments], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.startswith(arguments[-1]) and len(run.stdout.split()) > len(arguments[-1].split()) + 5
