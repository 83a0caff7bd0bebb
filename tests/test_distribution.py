"""Data- and model-parallel training through keras.distribution, on 4 virtual CPU devices (JAX)."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

PRESET_SCRIPT = r"""
import json, sys
import keras
from keras_gpt2.assets import shipped_preset_path
from keras_gpt2.models.gpt2_backbone import GPT2Backbone
from keras_gpt2.models.gpt2_causal_lm import GPT2CausalLM

mode = sys.argv[1]
devices = keras.distribution.list_devices()
if mode == "data":
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
elif mode == "model":
    mesh = keras.distribution.DeviceMesh((2, 2), ["batch", "model"], devices)
    layout_map = GPT2Backbone.get_layout_map(mesh)
    keras.distribution.set_distribution(keras.distribution.ModelParallel(layout_map=layout_map, batch_dim_name="batch"))
model = GPT2CausalLM.from_preset(shipped_preset_path("shakespeare"))
model.compile(optimizer=keras.optimizers.SGD(0.05), sampler="greedy")
texts = ["To be, or not to be, that is the question:", "Whether 'tis nobler in the mind to suffer",
         "The slings and arrows of outrageous fortune,", "Or to take arms against a sea of troubles,"] * 2
history = model.fit(texts, batch_size=4, epochs=2, shuffle=False, verbose=0)
shardings = {v.path: str(getattr(v.value.sharding, "spec", "single device")) for v in model.backbone.weights}
text = model.generate("KING.", max_new_tokens=8)
print("RESULT " + json.dumps({"loss": history.history["loss"], "shardings": shardings, "text": text,
                              "vocabulary_size": model.backbone.vocabulary_size}))
"""

SCRIPT = r"""
import json, sys
import numpy as np
import keras
from keras_gpt2.models.gpt2_backbone import GPT2Backbone
from keras_gpt2.models.gpt2_causal_lm import GPT2CausalLM

mode = sys.argv[1]
devices = keras.distribution.list_devices()
if mode == "data":
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
elif mode == "model":
    mesh = keras.distribution.DeviceMesh((2, 2), ["batch", "model"], devices)
    layout_map = GPT2Backbone.get_layout_map(mesh)
    keras.distribution.set_distribution(keras.distribution.ModelParallel(layout_map=layout_map, batch_dim_name="batch"))
keras.utils.set_random_seed(0)
backbone = GPT2Backbone(vocabulary_size=64, num_layers=2, num_heads=4, hidden_dim=16, intermediate_dim=32,
                        dropout=0.0, max_sequence_length=16)
weights = np.load(sys.argv[2])
for variable in backbone.weights:
    variable.assign(weights[variable.path.replace("/", "__")])
model = GPT2CausalLM(backbone)
model.compile(optimizer=keras.optimizers.SGD(0.5))
rng = np.random.default_rng(0)
ids = rng.integers(0, 64, size=(32, 17)).astype("int32")
x = {"token_ids": ids[:, :-1], "padding_mask": np.ones((32, 16), bool)}
history = model.fit(x, ids[:, 1:], batch_size=8, epochs=3, shuffle=False, verbose=0)
shardings = {v.path: str(getattr(v.value.sharding, "spec", "single device")) for v in backbone.weights}
devices_per_weight = {v.path: len(v.value.sharding.device_set) for v in backbone.weights}
print("RESULT " + json.dumps({"loss": history.history["loss"], "shardings": shardings,
                              "devices": devices_per_weight, "device_count": len(devices)}))
"""


def run(mode, *arguments, script=SCRIPT):
    env = {
        **os.environ,
        "KERAS_BACKEND": "jax",
        "XLA_FLAGS": "--xla_force_host_platform_device_count=4",
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }
    result = subprocess.run([sys.executable, "-c", script, mode, *arguments], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    line = next(line for line in result.stdout.splitlines() if line.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :])


def require_jax_pass():
    """The scripts run on JAX in their own processes: once, in the JAX pass of the suite."""
    pytest.importorskip("jax")
    if os.environ.get("KERAS_BACKEND") != "jax":
        pytest.skip("runs in the JAX pass")


@pytest.mark.slow
def test_data_and_model_parallel_training_match_single_device(tmp_path):
    require_jax_pass()
    from keras_gpt2.models.gpt2_backbone import GPT2Backbone

    backbone = GPT2Backbone(
        vocabulary_size=64,
        num_layers=2,
        num_heads=4,
        hidden_dim=16,
        intermediate_dim=32,
        dropout=0.0,
        max_sequence_length=16,
    )
    rng = np.random.default_rng(1)
    weights = {v.path.replace("/", "__"): rng.normal(0, 0.1, v.shape).astype("float32") for v in backbone.weights}
    np.savez(tmp_path / "weights.npz", **weights)
    single = run("single", str(tmp_path / "weights.npz"))
    data = run("data", str(tmp_path / "weights.npz"))
    model = run("model", str(tmp_path / "weights.npz"))
    assert data["device_count"] == model["device_count"] == 4
    np.testing.assert_allclose(data["loss"], single["loss"], rtol=1e-4)
    np.testing.assert_allclose(model["loss"], single["loss"], rtol=1e-4)
    assert single["loss"][-1] < single["loss"][0]
    # The layout map really shards: model-axis weights live split across devices.
    assert model["shardings"]["token_embedding/embeddings"].endswith("(None, 'model')")
    assert "'model'" in model["shardings"]["transformer_layer_0/self_attention/query/kernel"]
    assert "'model'" in model["shardings"]["transformer_layer_1/feedforward_intermediate_dense/kernel"]
    assert "'model'" not in model["shardings"]["layer_norm/gamma"]


@pytest.mark.slow
def test_shipped_preset_trains_data_and_model_parallel_at_the_real_vocabulary():
    require_jax_pass()
    single, data, model = (run(mode, script=PRESET_SCRIPT) for mode in ("single", "data", "model"))
    assert single["vocabulary_size"] == 50257
    np.testing.assert_allclose(data["loss"], single["loss"], rtol=1e-4)
    np.testing.assert_allclose(model["loss"], single["loss"], rtol=1e-4)
    assert 1 < single["loss"][0] < 8  # nats per real token of a trained model
    assert model["shardings"]["token_embedding/embeddings"].endswith("(None, 'model')")
    assert "'model'" in model["shardings"]["transformer_layer_0/self_attention/query/kernel"]
    assert "'model'" not in data["shardings"]["token_embedding/embeddings"]
    for result in (single, data, model):
        assert result["text"].startswith("KING.") and len(result["text"]) > len("KING.")
