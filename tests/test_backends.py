"""The same preset gives the same logits, and the same text for every sampler and seed, on
TensorFlow, JAX and PyTorch."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from keras_gpt2.models.gpt2_backbone import GPT2Backbone
from keras_gpt2.models.gpt2_causal_lm import GPT2CausalLM
from tests.helpers import once_per_suite

BACKENDS = ("tensorflow", "jax", "torch")
pytestmark = once_per_suite("each test starts every backend itself")
SCRIPT = """
import sys
import numpy as np
from keras_gpt2 import GPT2CausalLM
model = GPT2CausalLM.from_preset(sys.argv[1])
token_ids = np.load(sys.argv[2])
import keras
logits = keras.ops.convert_to_numpy(model({"token_ids": token_ids, "padding_mask": np.ones_like(token_ids)}))
generated = model.generate({"token_ids": token_ids[:1, :4]}, max_length=16, sampler="greedy", stop_token_ids=None)
np.savez(sys.argv[3], logits=logits, generated=generated["token_ids"])
"""
SHIPPED_SCRIPT = """
import json, sys
from keras_gpt2 import GPT2CausalLM
from keras_gpt2.assets import shipped_preset_path
from tests.references import shipped_generations
print(json.dumps(shipped_generations(GPT2CausalLM.from_preset(shipped_preset_path("shakespeare")))))
"""


def run_on_backend(backend, *arguments):
    run = subprocess.run(
        [sys.executable, "-c", *arguments],
        capture_output=True,
        text=True,
        env={**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": os.getcwd()},
    )
    assert run.returncode == 0, f"{backend}: {run.stderr[-2000:]}"
    return run.stdout


@pytest.mark.slow
def test_logits_and_greedy_tokens_agree_across_backends(tmp_path):
    for backend in ("jax", "torch"):
        pytest.importorskip(backend)
    backbone = GPT2Backbone(
        vocabulary_size=311,
        num_layers=2,
        num_heads=3,
        hidden_dim=24,
        intermediate_dim=48,
        dropout=0.0,
        max_sequence_length=16,
    )
    rng = np.random.default_rng(0)
    for weight in backbone.weights:
        weight.assign(rng.normal(0, 0.2, weight.shape))
    GPT2CausalLM(backbone).save_to_preset(tmp_path / "preset")
    np.save(tmp_path / "ids.npy", rng.integers(0, 311, size=(2, 12)).astype("int32"))
    results = {}
    for backend in BACKENDS:
        out = tmp_path / f"{backend}.npz"
        run_on_backend(backend, SCRIPT, str(tmp_path / "preset"), str(tmp_path / "ids.npy"), str(out))
        results[backend] = np.load(out)
    for backend in BACKENDS[1:]:
        np.testing.assert_allclose(results[backend]["logits"], results["tensorflow"]["logits"], atol=1e-4)
        np.testing.assert_array_equal(results[backend]["generated"], results["tensorflow"]["generated"])


@pytest.mark.slow
def test_every_sampler_and_seed_makes_the_same_text_on_every_backend():
    """The shipped model, 64 new tokens: greedy, beam and seeded top-k/top-p (one random stream)."""
    for backend in ("jax", "torch"):
        pytest.importorskip(backend)
    texts = {backend: json.loads(run_on_backend(backend, SHIPPED_SCRIPT).splitlines()[-1]) for backend in BACKENDS}
    assert texts["jax"] == texts["tensorflow"] and texts["torch"] == texts["tensorflow"]
    assert len(set(texts["tensorflow"])) == len(texts["tensorflow"])  # every setting made its own text
