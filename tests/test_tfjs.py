import importlib
import json
import os
import shutil
import subprocess
import sys
import types

import keras
import numpy as np
import pytest

from keras_gpt2.errors import InvalidCheckpointError
from keras_gpt2.errors import KerasGPT2Error
from keras_gpt2.io import tfjs
from keras_gpt2.models.gpt2_backbone import GPT2Backbone
from keras_gpt2.models.gpt2_causal_lm import GPT2CausalLM
from keras_gpt2.preprocessing.gpt2_causal_lm_preprocessor import GPT2CausalLMPreprocessor
from tests.conftest import REPO_DIR

QUANTIZED_SIZE_RATIOS = {"float16": 0.5, "uint16": 0.5, "uint8": 0.25}


def tensorflowjs_module(name):
    """Imports one numpy-only module of the tensorflowjs pip package (installed --no-deps).

    Its package `__init__` imports the converters, which need TF 2.19 and
    decision forests; the weight readers and writers need none of that.
    """
    if "tensorflowjs" not in sys.modules:
        spec = importlib.util.find_spec("tensorflowjs")
        if spec is None:
            pytest.skip("tensorflowjs is not installed (tools/run_tests.sh installs it --no-deps)")
        package = types.ModuleType("tensorflowjs")
        package.__path__ = list(spec.submodule_search_locations)
        package.__spec__ = spec
        sys.modules["tensorflowjs"] = package
    return importlib.import_module(f"tensorflowjs.{name}")


@pytest.fixture(scope="module")
def model(gpt2_tokenizer):
    backbone = GPT2Backbone(
        vocabulary_size=50257,
        num_layers=2,
        num_heads=2,
        hidden_dim=16,
        intermediate_dim=32,
        dropout=0.0,
        max_sequence_length=32,
    )
    return GPT2CausalLM(backbone, GPT2CausalLMPreprocessor(gpt2_tokenizer, sequence_length=16))


@pytest.fixture(scope="module")
def exported(model, tmp_path_factory):
    folder = tmp_path_factory.mktemp("tfjs") / "float32"
    tfjs.export_tfjs(model, folder, shard_size_mb=0.5)
    return folder


def weights_of(model):
    return {w.path: keras.ops.convert_to_numpy(w) for w in model.backbone.weights}


def test_model_json_follows_the_tfjs_layers_format(exported, model):
    model_json = json.loads((exported / "model.json").read_text())
    assert model_json["format"] == "layers-model"
    assert model_json["generatedBy"].startswith("keras-gpt2") and model_json["convertedBy"]
    topology = model_json["modelTopology"]
    assert topology["class_name"] == "GPT2CausalLM"
    backbone = topology["config"]["backbone"]
    assert backbone["class_name"] == "GPT2Backbone"
    for field in (
        "vocabulary_size",
        "num_layers",
        "num_heads",
        "hidden_dim",
        "intermediate_dim",
        "dropout",
        "max_sequence_length",
    ):
        assert backbone["config"][field] == getattr(model.backbone, field)
    assert "Ġ" not in json.dumps(model_json)  # no vocabulary inside the config
    (group,) = model_json["weightsManifest"]
    count = len(group["paths"])
    assert count > 1 and group["paths"][0] == f"group1-shard1of{count}.bin"
    assert [w["name"] for w in group["weights"]] == list(weights_of(model))
    assert (exported / "vocabulary.json").is_file() and (exported / "merges.txt").is_file()


def test_float32_round_trip_is_bit_identical(exported, model):
    restored = tfjs.import_tfjs(str(exported / "model.json"))
    for path, value in weights_of(model).items():
        np.testing.assert_array_equal(weights_of(restored)[path], value)
    inputs = model.preprocessor.generate_preprocess(["Hello there"])
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(restored(inputs)), keras.ops.convert_to_numpy(model(inputs))
    )
    assert restored.preprocessor.tokenizer("Hello") == model.preprocessor.tokenizer("Hello")


@pytest.mark.parametrize("quantization", [None, "float16", "uint16", "uint8"])
def test_tensorflowjs_reader_reads_what_we_write(model, tmp_path, quantization):
    read_weights = tensorflowjs_module("read_weights")
    tfjs.export_tfjs(model, tmp_path / "out", quantization=quantization, shard_size_mb=0.3)
    model_json = json.loads((tmp_path / "out" / "model.json").read_text())
    theirs = {
        e["name"]: e["data"]
        for e in read_weights.read_weights(model_json["weightsManifest"], str(tmp_path / "out"), flatten=True)
    }
    _, ours = tfjs.read_artifact(str(tmp_path / "out" / "model.json"))
    assert list(theirs) == list(ours)
    for name, value in ours.items():
        np.testing.assert_allclose(theirs[name], value, rtol=1e-6, atol=1e-7)


def test_tensorflowjs_writer_output_imports(model, tmp_path):
    write_weights = tensorflowjs_module("write_weights")
    folder = tmp_path / "theirs"
    folder.mkdir()
    entries = [{"name": name, "data": value} for name, value in weights_of(model).items()]
    groups = [entries[: len(entries) // 2], entries[len(entries) // 2 :]]  # two groups, each with its own shards
    manifest = write_weights.write_weights(groups, str(folder), shard_size_bytes=100_000, write_manifest=False)
    assert len(manifest) == 2
    model_json = {
        "format": "layers-model",
        "modelTopology": tfjs.model_topology(GPT2CausalLM(model.backbone)),
        "weightsManifest": manifest,
    }
    (folder / "model.json").write_text(json.dumps(model_json))
    restored = tfjs.import_tfjs(str(folder / "model.json"))
    for path, value in weights_of(model).items():
        np.testing.assert_array_equal(weights_of(restored)[path], value)


@pytest.mark.parametrize("quantization", ["float16", "uint16", "uint8"])
def test_quantized_sizes_and_logits(model, exported, tmp_path, quantization):
    tfjs.export_tfjs(model, tmp_path / quantization, quantization=quantization)

    def shard_bytes(folder):
        return sum(f.stat().st_size for f in folder.glob("group1-shard*.bin"))

    ratio = shard_bytes(tmp_path / quantization) / shard_bytes(exported)
    assert ratio == pytest.approx(QUANTIZED_SIZE_RATIOS[quantization], rel=1e-3)
    restored = tfjs.import_tfjs(str(tmp_path / quantization / "model.json"))
    inputs = model.preprocessor.generate_preprocess(["To be, or not to be"])
    difference = np.abs(keras.ops.convert_to_numpy(restored(inputs)) - keras.ops.convert_to_numpy(model(inputs)))
    # Documented bounds for this random tiny model (logits of order 0.1).
    bound = {"float16": 1e-3, "uint16": 1e-3, "uint8": 5e-2}[quantization]
    assert difference.max() < bound


def test_float16_keeps_greedy_text_of_a_trained_model(model, tmp_path):
    trained = GPT2CausalLM(GPT2Backbone.from_config(model.backbone.get_config()), model.preprocessor)
    trained.compile(optimizer=keras.optimizers.Adam(1e-2), sampler="greedy")
    text = "Shall I compare thee to a summer's day? Thou art more lovely and more temperate. " * 4
    trained.fit([text[i : i + 50] for i in range(0, 200, 5)], epochs=8, batch_size=8, verbose=0)
    tfjs.export_tfjs(trained, tmp_path / "f16", quantization="float16")
    restored = tfjs.import_tfjs(str(tmp_path / "f16" / "model.json"))
    restored.compile(sampler="greedy")
    prompts = ["Shall I", "Thou art", "more lovely"]
    assert restored.generate(prompts, max_length=16) == trained.generate(prompts, max_length=16)


@pytest.mark.node
def test_tfjs_decode_weights_in_node_reads_our_files(model, tmp_path):
    if not shutil.which("node") or not os.path.isdir(os.path.join(REPO_DIR, "node_modules", "@tensorflow")):
        pytest.skip("node or npm packages missing (tools/run_tests.sh runs npm ci)")
    for quantization in (None, "uint8"):
        folder = tmp_path / str(quantization)
        tfjs.export_tfjs(model, folder, quantization=quantization, shard_size_mb=0.3)
        run = subprocess.run(
            ["node", os.path.join(REPO_DIR, "tests", "js", "decode_weights.mjs"), str(folder / "model.json")],
            capture_output=True,
            text=True,
            check=True,
            cwd=REPO_DIR,
        )
        decoded = json.loads(run.stdout)
        _, ours = tfjs.read_artifact(str(folder / "model.json"))
        for name, value in ours.items():
            assert decoded[name]["shape"] == list(value.shape)
            np.testing.assert_allclose(
                np.array(decoded[name]["values"], "float32"), value.reshape(-1), rtol=1e-6, atol=1e-7
            )


# === Safety: each bad artifact is a clear error before any large allocation ===


def corrupt(exported, tmp_path, change):
    folder = tmp_path / "bad"
    shutil.copytree(exported, folder)
    model_json = json.loads((folder / "model.json").read_text())
    change(model_json, folder)
    (folder / "model.json").write_text(json.dumps(model_json))
    return str(folder / "model.json")


def set_first_path(value):
    def change(model_json, folder):
        model_json["weightsManifest"][0]["paths"][0] = value

    return change


def symlink_outside(model_json, folder):
    outside = folder.parent / "outside.bin"
    outside.write_bytes(b"\0" * 16)
    os.symlink(outside, folder / "link.bin")
    model_json["weightsManifest"][0]["paths"][0] = "link.bin"


def truncate_last_shard(model_json, folder):
    last = folder / model_json["weightsManifest"][0]["paths"][-1]
    last.write_bytes(last.read_bytes()[:-4])


def set_first_weight(key, value):
    def change(model_json, folder):
        model_json["weightsManifest"][0]["weights"][0][key] = value

    return change


@pytest.mark.parametrize(
    "change, message",
    [
        (set_first_path("../evil.bin"), r"paths\[0\]: '../evil.bin' must be a plain relative file name"),
        (set_first_path("/etc/passwd"), "must be a plain relative file name"),
        (set_first_path("%2e%2e/evil.bin"), "must be a plain relative file name"),
        (symlink_outside, "leads outside"),
        (truncate_last_shard, "truncated"),
        (set_first_weight("shape", [50257, 17]), "truncated or the manifest is wrong"),
        (set_first_weight("dtype", "complex64"), r"weights\[0\].dtype: 'complex64' is not float32"),
        (set_first_weight("shape", [2**40, 2**20]), "more than any GPT-2 needs"),
        (set_first_weight("shape", [-1, 16]), "negative dimension"),
        (set_first_weight("quantization", {"dtype": "uint8", "min": 0, "scale": float("nan")}), "not valid JSON"),
        (set_first_weight("quantization", {"dtype": "uint8", "min": 0, "scale": 1e400}), "not valid JSON"),
        (set_first_weight("quantization", {"dtype": "uint8", "min": "0", "scale": 1}), "min: must be a number"),
        (set_first_weight("name", "position_embedding/embeddings"), "is listed twice"),
    ],
)
def test_bad_artifacts_are_clear_errors(exported, tmp_path, change, message):
    with pytest.raises(KerasGPT2Error, match=message):
        tfjs.import_tfjs(corrupt(exported, tmp_path, change))


def test_a_repeated_shard_is_refused(exported, tmp_path):
    def repeat(model_json, folder):
        model_json["weightsManifest"][0]["paths"][1] = model_json["weightsManifest"][0]["paths"][0]

    with pytest.raises(InvalidCheckpointError, match="listed twice"):
        tfjs.import_tfjs(corrupt(exported, tmp_path, repeat))


def test_failed_export_leaves_nothing(model, tmp_path):
    with pytest.raises(ValueError, match="Unknown quantization"):
        tfjs.export_tfjs(model, tmp_path / "out", quantization="int4")
    assert list(tmp_path.iterdir()) == []
