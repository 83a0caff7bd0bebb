"""int8 for the whole model (the tied embedding and head included): what it covers, how close
its greedy text stays to float32 on held-out Shakespeare, and that presets and exports keep it."""

import json
import os

import numpy as np
import pytest

from keras_gpt2.assets import shipped_preset_path
from keras_gpt2.io import tfjs
from keras_gpt2.models.gpt2_causal_lm import GPT2CausalLM
from keras_gpt2.models.plain_backbone import quantization_mode
from tests.conftest import REPO_DIR

NEW_TOKENS = 20


def held_out_prompts(count=20):
    """The first lines of Hamlet act 1 scene 2 (not in the shipped model's training data) that
    have at least four words, each cut to its first six."""
    with open(os.path.join(REPO_DIR, "tests", "data", "hamlet_held_out_excerpt.txt"), encoding="utf-8") as file:
        lines = [line.split() for line in file if len(line.split()) >= 4]
    return [" ".join(words[:6]) for words in lines[:count]]


def greedy_continuations(model, prompts):
    """The first NEW_TOKENS greedy token ids after each prompt (one batch)."""
    tokenizer = model.preprocessor.tokenizer
    encoded = [[tokenizer.end_token_id, *tokenizer(prompt)] for prompt in prompts]
    width = max(map(len, encoded))
    token_ids = np.array([ids + [0] * (width - len(ids)) for ids in encoded])
    padding_mask = np.array([[1] * len(ids) + [0] * (width - len(ids)) for ids in encoded], bool)
    output = model.generate(
        {"token_ids": token_ids, "padding_mask": padding_mask},
        max_new_tokens=NEW_TOKENS,
        sampler="greedy",
        stop_token_ids=None,
    )
    return [row[len(ids) : len(ids) + NEW_TOKENS].tolist() for row, ids in zip(output["token_ids"], encoded)]


def agreement(first, second):
    return sum(a == b for a, b in zip(first, second)) / len(first)


@pytest.fixture(scope="module")
def models():
    """(float32 shipped model, the same quantized to int8, prompts, float32 greedy continuations)."""
    prompts = held_out_prompts()
    assert len(prompts) == 20
    float_model = GPT2CausalLM.from_preset(shipped_preset_path("shakespeare"))
    expected = greedy_continuations(float_model, prompts)
    int8_model = GPT2CausalLM.from_preset(shipped_preset_path("shakespeare"))
    int8_model.quantize("int8")
    return float_model, int8_model, prompts, expected


def test_int8_covers_the_tied_embedding_and_head_and_keeps_the_text(models):
    float_model, int8_model, prompts, expected = models
    assert quantization_mode(int8_model.backbone) == "int8"  # weights only: activations stay float
    weights = {w.path: w for w in int8_model.backbone.weights}
    assert weights["token_embedding/embeddings"].dtype == "int8"
    assert tuple(weights["token_embedding/embeddings_scale"].shape) == (50257,)  # one scale per row
    size = sum(np.asarray(w.numpy()).nbytes for w in int8_model.backbone.weights)
    assert size < 0.3 * sum(np.asarray(w.numpy()).nbytes for w in float_model.backbone.weights)
    assert agreement(greedy_continuations(int8_model, prompts), expected) >= 0.9


def test_int8_survives_a_preset_round_trip(models, tmp_path):
    _, int8_model, prompts, _ = models
    int8_model.save_to_preset(tmp_path / "int8")
    assert json.loads((tmp_path / "int8" / "config.json").read_text())["quantization"] == "int8"
    reloaded = GPT2CausalLM.from_preset(tmp_path / "int8")
    assert quantization_mode(reloaded.backbone) == "int8"
    ids = np.array([[50256, 42, 2751, 13, 198, 464]])
    inputs = {"token_ids": ids, "padding_mask": np.ones_like(ids, bool)}
    np.testing.assert_allclose(np.asarray(reloaded(inputs)), np.asarray(int8_model(inputs)), atol=1e-6)
    assert os.path.getsize(tmp_path / "int8" / "model.weights.h5") < 0.3 * os.path.getsize(
        os.path.join(shipped_preset_path("shakespeare"), "model.weights.h5")
    )


def test_float16_export_of_an_int8_model_keeps_its_text(models, tmp_path):
    _, int8_model, prompts, _ = models
    tfjs.export_tfjs(int8_model, tmp_path / "web", quantization="float16")
    web = tfjs.import_tfjs(tmp_path / "web" / "model.json")
    assert quantization_mode(web.backbone) is None
    assert agreement(greedy_continuations(web, prompts), greedy_continuations(int8_model, prompts)) >= 0.9


def test_keras_default_int8_with_dynamic_activations_is_kept_by_presets(tmp_path):
    import keras

    model = GPT2CausalLM.from_preset(shipped_preset_path("shakespeare"))
    model.quantize("int8", config=keras.quantizers.Int8QuantizationConfig())
    assert quantization_mode(model.backbone) == "int8_dynamic_activations"
    model.save_to_preset(tmp_path / "dynamic")
    reloaded = GPT2CausalLM.from_preset(tmp_path / "dynamic")
    assert quantization_mode(reloaded.backbone) == "int8_dynamic_activations"
    ids = np.array([[50256, 42, 2751, 13, 198, 464]])
    inputs = {"token_ids": ids, "padding_mask": np.ones_like(ids, bool)}
    np.testing.assert_allclose(np.asarray(reloaded(inputs)), np.asarray(model(inputs)), atol=1e-6)


def test_uint8_export_of_an_int8_model_holds_its_exact_weights_in_python_and_the_browser_runtime(models, tmp_path):
    from tests.js_helpers import require_node_packages
    from tests.js_helpers import run_runtime
    from tests.js_helpers import serve_folder

    _, int8_model, prompts, _ = models
    tfjs.export_tfjs(int8_model, tmp_path / "web", quantization="uint8")
    manifest = json.loads((tmp_path / "web" / "model.json").read_text())["weightsManifest"][0]["weights"]
    embedding = next(entry for entry in manifest if entry["name"] == "token_embedding/embeddings")
    assert embedding["quantization"] == {"dtype": "uint8", "min": -128.0, "scale": 1.0, "original_dtype": "float32"}
    shards = sum(path.stat().st_size for path in (tmp_path / "web").glob("*.bin"))
    assert shards < 0.3 * sum(
        np.asarray(w.numpy()).nbytes * 4 for w in int8_model.backbone.weights if w.dtype == "int8"
    )

    web = tfjs.import_tfjs(tmp_path / "web" / "model.json")
    ids = np.array([[50256, 42, 2751, 13, 198, 464]])
    inputs = {"token_ids": ids, "padding_mask": np.ones_like(ids, bool)}
    np.testing.assert_allclose(np.asarray(web(inputs)), np.asarray(int8_model(inputs)), atol=1e-4)
    assert greedy_continuations(web, prompts) == greedy_continuations(int8_model, prompts)

    require_node_packages()
    prompt = [50256, 42, 2751, 13]
    with serve_folder(tmp_path / "web") as base_url:
        (result,) = run_runtime(
            f"{base_url}/model.json",
            [
                {
                    "kind": "generate",
                    "prompt": prompt,
                    "maxNewTokens": NEW_TOKENS,
                    "stopTokenIds": [],
                    "sampler": {"name": "greedy"},
                }
            ],
        )
    expected = int8_model.generate(
        {"token_ids": np.array([prompt])}, max_new_tokens=NEW_TOKENS, sampler="greedy", stop_token_ids=None
    )
    assert result["value"]["tokenIds"] == expected["token_ids"][0, len(prompt) :].tolist()
