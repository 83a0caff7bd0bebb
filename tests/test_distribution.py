"""Data- and model-parallel training through keras.distribution, on 4 virtual CPU devices (JAX)."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

# Sets the distribution named by argv[1]: "single", "data" or "model" (a 2 x 2 mesh).
DISTRIBUTION_PRELUDE = r"""
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
"""

PRESET_SCRIPT = (
    DISTRIBUTION_PRELUDE
    + r"""
from keras_gpt2.assets import shipped_preset_path

model = GPT2CausalLM.from_preset(sys.argv[2] if len(sys.argv) > 2 else shipped_preset_path("shakespeare"))
model.compile(optimizer=keras.optimizers.SGD(0.05), sampler="greedy")
texts = ["To be, or not to be, that is the question:", "Whether 'tis nobler in the mind to suffer",
         "The slings and arrows of outrageous fortune,", "Or to take arms against a sea of troubles,"] * 2
history = model.fit(texts, batch_size=4, epochs=2, shuffle=False, verbose=0)
shardings = {v.path: str(getattr(v.value.sharding, "spec", "single device")) for v in model.backbone.weights}
text = model.generate("KING.", max_new_tokens=8)
print("RESULT " + json.dumps({"loss": history.history["loss"], "shardings": shardings, "text": text,
                              "vocabulary_size": model.backbone.vocabulary_size}))
"""
)

MULTI_PROCESS_SCRIPT = r"""
import sys
import numpy as np
import jax
jax.config.update("jax_cpu_collectives_implementation", "gloo")
import keras

process_id, num_processes, port, output = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
if num_processes > 1:
    keras.distribution.initialize(job_addresses=f"127.0.0.1:{port}", num_processes=num_processes, process_id=process_id)
distribution = keras.distribution.DataParallel(devices=keras.distribution.list_devices())
distribution.auto_shard_dataset = False  # each process reads its own shard of the data, below
keras.distribution.set_distribution(distribution)
from keras_gpt2.models.gpt2_backbone import GPT2Backbone
from keras_gpt2.models.gpt2_causal_lm import GPT2CausalLM

backbone = GPT2Backbone(vocabulary_size=50257, num_layers=1, num_heads=2, hidden_dim=16, intermediate_dim=32,
                        dropout=0.0, max_sequence_length=8)
rng = np.random.default_rng(1)
for variable in backbone.weights:
    variable.assign(rng.normal(0, 0.1, variable.shape).astype("float32"))
model = GPT2CausalLM(backbone)
model.compile(optimizer=keras.optimizers.Adam(1e-2))
ids = np.random.default_rng(0).integers(0, 50257, size=(16, 9)).astype("int32")
global_batch = 8
local_batch = global_batch // num_processes
# Global batch b is rows [8b, 8b + 8); process p reads its slice of every global batch.
rows = [8 * b + local_batch * process_id + i for b in range(len(ids) // global_batch) for i in range(local_batch)]
ids = ids[rows]
x = {"token_ids": ids[:, :-1], "padding_mask": np.ones((len(ids), 8), bool)}
before = {"initial__" + v.path.replace("/", "__"): np.asarray(jax.device_get(v.value)) for v in backbone.weights}
model.fit(x, ids[:, 1:], batch_size=local_batch, epochs=2, shuffle=False, verbose=0)
after = {v.path.replace("/", "__"): np.asarray(jax.device_get(v.value)) for v in backbone.weights}
np.savez(output, **before, **after)
"""

SCRIPT = (
    DISTRIBUTION_PRELUDE
    + r"""
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
)


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


@pytest.mark.slow
def test_two_processes_on_localhost_end_with_the_weights_of_one(tmp_path):
    require_jax_pass()
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    env = {**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "3"}

    def start(process_id, num_processes):
        output = str(tmp_path / f"weights_{num_processes}_{process_id}.npz")
        arguments = [str(process_id), str(num_processes), port, output]
        command = [sys.executable, "-c", MULTI_PROCESS_SCRIPT, *arguments]
        return subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True), output

    pair = [start(i, 2) for i in range(2)]
    single, single_output = start(0, 1)
    for process, _ in [*pair, (single, single_output)]:
        _, errors = process.communicate(timeout=600)
        assert process.returncode == 0, errors[-3000:]
    expected = np.load(single_output)
    for _, output in pair:
        weights = np.load(output)
        assert sorted(weights.files) == sorted(expected.files)
        for name in expected.files:
            np.testing.assert_allclose(weights[name], expected[name], atol=1e-5, err_msg=name)
    moved = expected["transformer_layer_0__self_attention__query__kernel"]
    assert np.abs(moved - expected["initial__transformer_layer_0__self_attention__query__kernel"]).max() > 1e-3


@pytest.mark.slow
def test_a_sharded_preset_loads_onto_a_mesh(tmp_path):
    require_jax_pass()
    from keras_gpt2.assets import shipped_preset_path
    from keras_gpt2.models.gpt2_causal_lm import GPT2CausalLM

    GPT2CausalLM.from_preset(shipped_preset_path("shakespeare")).save_to_preset(
        tmp_path / "sharded", max_shard_size=0.025
    )
    assert len(list((tmp_path / "sharded").glob("model_*.weights.h5"))) >= 2
    single = run("single", script=PRESET_SCRIPT)
    model = run("model", str(tmp_path / "sharded"), script=PRESET_SCRIPT)
    np.testing.assert_allclose(model["loss"], single["loss"], rtol=1e-4)
    assert model["shardings"]["token_embedding/embeddings"].endswith("(None, 'model')")
