"""Every script in examples/ runs as written, on tiny settings."""

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO_DIR
from tests.helpers import save_tiny_preset


@pytest.fixture(scope="module")
def tiny_preset(gpt2_tokenizer, tmp_path_factory):
    return str(save_tiny_preset(gpt2_tokenizer, tmp_path_factory.mktemp("examples") / "tiny", 128))


def run_example(name, *args, cwd=REPO_DIR):
    run = subprocess.run(
        [sys.executable, os.path.join(REPO_DIR, "examples", name), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        timeout=900,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return run.stdout


def test_generate_example(tiny_preset):
    output = run_example("generate.py", "--model", tiny_preset, "--max-new-tokens", 4)
    assert output.startswith("To be, or not to be") and "perplexity" in output


def test_fine_tune_example(tiny_preset, tmp_path):
    (tmp_path / "notes.txt").write_text("Dear diary, today I wrote a tokenizer. " * 30)
    output = run_example(
        "fine_tune.py",
        tmp_path / "notes.txt",
        "--model",
        tiny_preset,
        "--epochs",
        1,
        "--sequence-length",
        16,
        "--output",
        tmp_path / "tuned",
    )
    assert "saved to" in output and (tmp_path / "tuned" / "model.weights.h5").is_file()


def test_export_to_browser_example(tiny_preset, tmp_path):
    run_example("export_to_browser.py", "--model", tiny_preset, "--output", tmp_path / "web")
    assert (tmp_path / "web" / "index.html").is_file() and (tmp_path / "web" / "model.json").is_file()


def test_import_hugging_face_example(tmp_path, gpt2_tokenizer):
    transformers = pytest.importorskip("transformers")
    config = transformers.GPT2Config(vocab_size=50257, n_layer=1, n_head=2, n_embd=16, n_positions=32)
    transformers.GPT2LMHeadModel(config).save_pretrained(tmp_path / "hf")
    output = run_example("import_hugging_face.py", tmp_path / "hf", "--output", tmp_path / "preset")
    assert output.startswith("Hello, my name is") and (tmp_path / "preset" / "config.json").is_file()


@pytest.mark.slow
def test_train_shakespeare_example(tmp_path):
    output = run_example(
        "train_shakespeare.py",
        "--output",
        tmp_path / "run",
        "--data-dir",
        tmp_path / "data",
        "--epochs",
        1,
        "--max-train-tokens",
        4000,
        "--max-validation-tokens",
        2000,
        "--batch-size",
        8,
        "--sequence-length",
        32,
    )
    card = json.loads((tmp_path / "run" / "card.json").read_text())
    assert card["train_tokens"] == 4000 and card["validation_works"]
    assert card["unigram_validation_perplexity"] > 100 and "validation_loss" in output
