"""Presets by Hub name, against a Hugging Face cache built here (`HF_HUB_OFFLINE=1`: no network)."""

import hashlib
import os
import subprocess
import sys

import numpy as np
import pytest

from keras_gpt2.errors import InvalidInputError
from keras_gpt2.io.hub import KERAS_HUB_NAMES
from keras_gpt2.io.hub import resolve_preset
from keras_gpt2.models.gpt2_causal_lm import GPT2CausalLM

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
pytest.importorskip("huggingface_hub")

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def populate_hub_cache(hub_dir, repository, folder):
    """Lays `folder`'s files out as huggingface_hub's cache does: blobs by hash, a snapshot of
    links to them for one commit, and `refs/main` naming that commit."""
    root = hub_dir / f"models--{repository.replace('/', '--')}"
    (root / "blobs").mkdir(parents=True)
    (root / "snapshots" / COMMIT).mkdir(parents=True)
    (root / "refs").mkdir()
    (root / "refs" / "main").write_text(COMMIT)
    for path in folder.iterdir():
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        (root / "blobs" / digest).write_bytes(path.read_bytes())
        os.symlink(f"../../blobs/{digest}", root / "snapshots" / COMMIT / path.name)
    return root


@pytest.fixture
def offline_hub(tmp_path, monkeypatch, gpt2_tokenizer):
    """A GPT-2 with the real vocabulary in a local Hub cache as `test-org/tiny-gpt2`; returns the HF model."""
    torch.manual_seed(0)
    config = transformers.GPT2Config(vocab_size=50257, n_layer=2, n_head=2, n_embd=32, n_positions=32)
    model = transformers.GPT2LMHeadModel(config).eval()
    model.save_pretrained(tmp_path / "saved")
    gpt2_tokenizer.save_vocabulary(str(tmp_path / "saved" / "vocab.json"), str(tmp_path / "saved" / "merges.txt"))
    populate_hub_cache(tmp_path / "hf_home" / "hub", "test-org/tiny-gpt2", tmp_path / "saved")
    for name, value in {
        "HF_HOME": str(tmp_path / "hf_home"),
        "HF_HUB_OFFLINE": "1",
        "KERAS_GPT2_CACHE": str(tmp_path / "keras_gpt2_cache"),
    }.items():
        monkeypatch.setenv(name, value)
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hf_home" / "hub"))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    return model


def test_hf_name_loads_converts_once_and_matches_transformers(offline_hub, tmp_path):
    ours = GPT2CausalLM.from_preset("hf://test-org/tiny-gpt2")
    ids = np.array([[50256, 15496, 995, 11]])
    with torch.no_grad():
        expected = offline_hub(input_ids=torch.tensor(ids)).logits.numpy()
    inputs = {"token_ids": ids, "padding_mask": np.ones_like(ids, bool)}
    np.testing.assert_allclose(np.asarray(ours(inputs)), expected, atol=1e-4)
    assert ours.preprocessor.tokenizer("Hello world") == [15496, 995]
    converted = tmp_path / "keras_gpt2_cache" / "hub" / "test-org--tiny-gpt2" / COMMIT
    assert (converted / "model.weights.h5").is_file()

    # The converted preset is what later calls load: the Hub's blobs are no longer read.
    for blob in (tmp_path / "hf_home" / "hub" / "models--test-org--tiny-gpt2" / "blobs").iterdir():
        blob.write_bytes(b"")
    assert resolve_preset("hf://test-org/tiny-gpt2") == str(converted)
    again = GPT2CausalLM.from_preset("hf://test-org/tiny-gpt2")
    np.testing.assert_allclose(np.asarray(again(inputs)), expected, atol=1e-4)


def test_command_line_generates_from_a_hub_name(offline_hub, tmp_path):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "keras_gpt2.cli.main",
            "generate",
            "Hello",
            "--model",
            "hf://test-org/tiny-gpt2",
            "--max-new-tokens",
            "5",
            "--sampler",
            "greedy",
            "--no-stream",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.startswith("Hello")


@pytest.mark.parametrize(
    "name, message",
    [
        ("hf://no-slash", "must be hf://organization/name"),
        ("hf://a/../b", "must be hf://organization/name"),
        ("hf://org/name@../x", "is not a revision name"),
    ],
)
def test_malformed_hub_names_are_refused(name, message):
    with pytest.raises(InvalidInputError, match=message):
        resolve_preset(name)


def test_keras_hub_names_are_the_openai_checkpoints():
    from keras_hub.src.models.gpt2.gpt2_presets import backbone_presets

    assert set(KERAS_HUB_NAMES) <= set(backbone_presets)
    assert resolve_preset("runs/mine") == "runs/mine"
