"""The built wheel holds everything and works outside the repository, offline."""

import glob
import os
import shutil
import site
import subprocess
import sys
import zipfile

import pytest

from tests.conftest import REPO_DIR


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    build = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), REPO_DIR],
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    (path,) = glob.glob(str(out / "*.whl"))
    return path


def test_wheel_contains_runtime_demo_and_shipped_model(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "keras_gpt2/js/index.js",
        "keras_gpt2/js/demo/index.html",
        "keras_gpt2/js/vendor/tf.min.js",
        "keras_gpt2/js/vendor/tfjs-backend-wasm-simd.wasm",
        "keras_gpt2/assets/gpt2/encoder.json",
        "keras_gpt2/assets/presets/shakespeare/model.weights.h5",
        "keras_gpt2/assets/presets/shakespeare/MODEL_CARD.md",
        "keras_gpt2/assets/presets/shakespeare-tfjs/model.json",
    ):
        assert required in names, required


@pytest.mark.slow
def test_installed_wheel_generates_and_exports_offline(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    # Dependencies come from this environment (a path entry, so its editable keras_gpt2 is not
    # seen); keras_gpt2 itself only from the wheel. No index: nothing is downloaded.
    target_site = subprocess.run(
        [python, "-c", "import site; print(site.getsitepackages()[0])"], capture_output=True, text=True, check=True
    ).stdout.strip()
    with open(os.path.join(target_site, "dependencies.pth"), "w") as file:
        file.write(site.getsitepackages()[0] + "\n")
    subprocess.run([python, "-m", "pip", "install", "--quiet", "--no-index", "--no-deps", wheel], check=True)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": "", "HF_HUB_OFFLINE": "1"}
    cli = str(venv / "bin" / "keras-gpt2")
    where = subprocess.run(
        [python, "-c", "import keras_gpt2; print(keras_gpt2.__file__)"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        check=True,
    )
    assert str(venv) in where.stdout
    run = subprocess.run(
        [cli, "generate", "KING.", "--max-new-tokens", "8", "--seed", "1"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    assert run.returncode == 0 and run.stdout.startswith("KING."), run.stderr[-2000:]
    preset = os.path.join(os.path.dirname(where.stdout.strip()), "assets", "presets", "shakespeare")
    run = subprocess.run(
        [cli, "export-tfjs", preset, str(tmp_path / "web"), "--with-demo", "--quantize", "float16"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert (tmp_path / "web" / "index.html").is_file() and (tmp_path / "web" / "vendor" / "tf.min.js").is_file()
    shutil.rmtree(venv)
