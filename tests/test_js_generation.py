"""The browser runtime's generation (keras_gpt2/js/generation, run in Node on the wasm
backend) against Python's: the same random stream, samplers, controls and preprocessors."""

import keras
import numpy as np
import pytest

from keras_gpt2.assets import shipped_preset_path
from keras_gpt2.io import tfjs
from keras_gpt2.models.gpt2_causal_lm import GPT2CausalLM
from tests.helpers import once_per_suite
from tests.helpers import wide_random_causal_lm
from tests.js_helpers import require_node_packages
from tests.js_helpers import run_runtime
from tests.js_helpers import serve_folder
from tests.references import SHIPPED_CASES
from tests.references import SHIPPED_NEW_TOKENS
from tests.references import SHIPPED_PROMPT
from tests.references import camel_case
from tests.references import shipped_generations

pytestmark = [pytest.mark.node, once_per_suite("the JavaScript runtime does not depend on the Keras backend")]


def served_export(model, tmp_path_factory):
    require_node_packages()
    folder = tmp_path_factory.mktemp("export")
    tfjs.export_tfjs(model, folder / "model")  # float32
    return serve_folder(folder)


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    model = GPT2CausalLM.from_preset(shipped_preset_path("shakespeare"))
    with served_export(model, tmp_path_factory) as base_url:
        yield model, f"{base_url}/model/model.json"


@pytest.fixture(scope="module")
def wide(tmp_path_factory, gpt2_tokenizer):
    model = wide_random_causal_lm(gpt2_tokenizer)
    with served_export(model, tmp_path_factory) as base_url:
        yield model, f"{base_url}/model/model.json"


def js_sampler(name, options):
    return {"name": name, "options": camel_case(options)}


@pytest.mark.slow
def test_every_sampler_and_seed_makes_python_text_on_the_shipped_model(shipped):
    model, url = shipped
    tasks = [
        {"kind": "generate", "prompt": SHIPPED_PROMPT, "maxNewTokens": SHIPPED_NEW_TOKENS, "sampler": js_sampler(*case)}
        for case in SHIPPED_CASES
    ]
    results = run_runtime(url, tasks)
    assert [r["value"]["text"] for r in results] == shipped_generations(model)
    for (name, _), result in zip(SHIPPED_CASES, results):
        assert result["tensorsAfter"] == result["tensorsBefore"]
        if name != "beam":  # beam search gives its text at the end
            assert "".join(result["value"]["pieces"]) == result["value"]["text"]


def test_the_browser_defaults_are_pythons(gpt2_tokenizer, tmp_path_factory):
    from keras_gpt2.generation.samplers import TopKSampler

    model = wide_random_causal_lm(gpt2_tokenizer)
    model.compile(sampler=TopKSampler(k=7, seed=4))  # exported with the model: the browser's default too
    with served_export(model, tmp_path_factory) as base_url:
        (result,) = run_runtime(f"{base_url}/model/model.json", [{"kind": "generate", "prompt": "Thou art"}])
    expected = model.generate("Thou art", strip_prompt=True)  # up to the preprocessor's sequence_length
    assert result["value"]["text"] == expected
    assert len(result["value"]["tokenIds"]) == 64 - len(gpt2_tokenizer("Thou art")) - 1


def test_random_stream_is_the_same_numbers(wide):
    from keras_gpt2.generation.random_stream import uniforms

    _, url = wide
    (result,) = run_runtime(url, [{"kind": "uniforms", "seed": 4294967295, "rows": 5, "length": 300}])
    np.testing.assert_array_equal(np.array(result["value"]), uniforms(4294967295, 5, 300))


CONTROLS = [
    ("repetition penalty", dict(repetition_penalty=1.8)),
    ("stop strings", dict(stop_strings=["e"])),
    ("min new tokens", dict(min_new_tokens=6)),
    ("several samples", dict(sampler=("top_k", {"k": 30, "seed": 3}), num_return_sequences=3)),
    ("beams", dict(sampler=("beam", {"num_beams": 3, "length_penalty": 0.5}), num_return_sequences=2)),
    ("batched prompts", dict(sampler=("top_k", {"k": 20, "seed": 9}))),
]


@pytest.mark.parametrize("name, settings", CONTROLS, ids=[name for name, _ in CONTROLS])
def test_generation_controls_match_python(wide, name, settings):
    from keras_gpt2.generation import samplers

    model, url = wide
    prompts = ["The", "Shall I compare thee to a", "Rough winds"] if name == "batched prompts" else "Thou art"
    settings = dict(settings)
    sampler = settings.pop("sampler", ("greedy", {}))
    if name == "min new tokens":  # an end token that greedy makes at once without the control
        prompt = np.array([[50256, *model.preprocessor.tokenizer("Thou art")]])
        output = model.generate({"token_ids": prompt}, max_new_tokens=1, sampler="greedy", stop_token_ids=None)
        settings["stop_token_ids"] = [int(output["token_ids"][0, -1])]
    python_sampler = samplers.get({"class_name": sampler[0], "config": sampler[1]})
    expected = model.generate(prompts, max_new_tokens=12, sampler=python_sampler, strip_prompt=True, **settings)
    task = {"kind": "generate", "prompt": prompts, "maxNewTokens": 12, "sampler": js_sampler(*sampler)}
    task.update(camel_case(settings))
    (result,) = run_runtime(url, [task])
    value = result["value"]
    texts = [r["text"] for r in value] if isinstance(value, list) else value["text"]
    assert texts == expected
    if name == "min new tokens":
        assert len(model.preprocessor.tokenizer(texts)) >= 6
    assert result["tensorsAfter"] == result["tensorsBefore"]


def test_preprocessors_match_python(wide, parity_corpus):
    from keras_gpt2.preprocessing.gpt2_causal_lm_preprocessor import GPT2CausalLMPreprocessor
    from keras_gpt2.preprocessing.gpt2_preprocessor import GPT2Preprocessor

    model, url = wide
    tokenizer, texts = model.preprocessor.tokenizer, parity_corpus[:20]
    (result,) = run_runtime(url, [{"kind": "preprocess", "texts": texts, "sequenceLength": 24}])
    value = result["value"]

    def as_lists(arrays):
        return [keras.ops.convert_to_numpy(a).tolist() for a in arrays]

    packed = GPT2Preprocessor(tokenizer, sequence_length=24)(texts)
    assert [value["packed"]["tokenIds"], value["packed"]["paddingMask"]] == as_lists(packed.values())
    x, y, weight = GPT2CausalLMPreprocessor(tokenizer, sequence_length=24)(texts)
    training = value["training"]
    assert [training["x"]["tokenIds"], training["y"], training["sampleWeight"]] == as_lists([x["token_ids"], y, weight])
    prompts = GPT2CausalLMPreprocessor(tokenizer, sequence_length=24).generate_preprocess(texts)
    assert [value["prompts"]["tokenIds"], value["prompts"]["paddingMask"]] == as_lists(prompts.values())
    assert value["loaded"] == model.preprocessor.sequence_length  # the exported preprocessor, rebuilt
