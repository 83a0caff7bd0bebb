import keras
import numpy as np
import pytest

from keras_gpt2.errors import InvalidInputError
from keras_gpt2.models.gpt2_causal_lm import GPT2CausalLM
from keras_gpt2.preprocessing.gpt2_causal_lm_preprocessor import GPT2CausalLMPreprocessor
from tests.helpers import random_token_inputs
from tests.helpers import run_serialization_test
from tests.helpers import tiny_backbone
from tests.test_gpt2_backbone import hugging_face_twin

TEXT = (
    "Shall I compare thee to a summer's day? Thou art more lovely and more temperate. "
    "Rough winds do shake the darling buds of May, and summer's lease hath all too short a date."
)


@pytest.fixture
def causal_lm(gpt2_tokenizer):
    backbone = tiny_backbone()
    rng = np.random.default_rng(0)
    for weight in backbone.weights:  # Seeded, wide weights: reproducible, well-separated logits (no greedy ties).
        weight.assign(rng.normal(0, 0.3 if "embedding" in weight.path else 0.15, weight.shape))
    preprocessor = GPT2CausalLMPreprocessor(gpt2_tokenizer, sequence_length=16)
    return GPT2CausalLM(backbone, preprocessor)


def test_logits_match_hugging_face():
    import torch

    backbone = tiny_backbone(vocabulary_size=333)
    hf_model = hugging_face_twin(backbone)
    inputs = random_token_inputs(333, batch_size=2, length=32)
    with torch.no_grad():
        expected = hf_model(input_ids=torch.tensor(inputs["token_ids"], dtype=torch.long)).logits.numpy()
    np.testing.assert_allclose(keras.ops.convert_to_numpy(GPT2CausalLM(backbone)(inputs)), expected, atol=1e-4)


def test_cached_passes_equal_full_forward_pass():
    model = GPT2CausalLM(tiny_backbone(vocabulary_size=99, max_sequence_length=8))
    inputs = random_token_inputs(99, batch_size=2, length=8)
    full = keras.ops.convert_to_numpy(model(inputs))
    cache = model.init_cache(2, 8)
    logits, _, cache = model.call_with_cache(inputs["token_ids"][:, :3], cache, 0)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(logits), full[:, :3], atol=1e-5)
    for index in range(3, 8):
        logits, _, cache = model.call_with_cache(inputs["token_ids"][:, index : index + 1], cache, index)
        np.testing.assert_allclose(keras.ops.convert_to_numpy(logits)[:, 0], full[:, index], atol=1e-5)


def test_fit_on_raw_strings_lowers_the_loss(causal_lm):
    keras.utils.set_random_seed(0)
    causal_lm = GPT2CausalLM(tiny_backbone(), causal_lm.preprocessor)  # GPT-2 initialisation
    causal_lm.compile(optimizer=keras.optimizers.Adam(1e-2))
    texts = [TEXT[i : i + 60] for i in range(0, len(TEXT) - 60, 10)]
    history = causal_lm.fit(texts, batch_size=4, epochs=5, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.8 * losses[0]


def test_loss_on_raw_strings_is_nats_per_real_token(causal_lm):
    texts = ["To be, or not to be", "Hi"]  # 7 and 2 tokens in a 16-token window: mostly padding
    causal_lm.compile()
    reported = causal_lm.evaluate(texts, verbose=0, return_dict=True)["loss"]
    x, y, weights = causal_lm.preprocessor(texts)
    logits = keras.ops.convert_to_numpy(causal_lm.predict(x, verbose=0)).astype("float64")
    peak = logits.max(-1, keepdims=True)
    log_probs = logits - peak - np.log(np.exp(logits - peak).sum(-1, keepdims=True))
    chosen = np.take_along_axis(log_probs, np.asarray(y)[..., None], axis=-1)[..., 0]
    weights = np.asarray(weights, "float64")
    expected = -(chosen * weights).sum() / weights.sum()
    assert expected > 5  # an untrained model over 50,257 tokens: several nats per token
    np.testing.assert_allclose(reported, expected, rtol=1e-4)


def test_fit_on_tf_data_and_on_arrays(causal_lm):
    import tensorflow as tf

    causal_lm.compile(optimizer=keras.optimizers.Adam(1e-3))
    dataset = tf.data.Dataset.from_tensor_slices([TEXT[:50], TEXT[50:100]]).batch(2)
    causal_lm.fit(dataset, epochs=1, verbose=0)
    x, y, sample_weight = causal_lm.preprocessor([TEXT[:50], TEXT[50:100]])
    history = causal_lm.fit(x, y, sample_weight=sample_weight, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_predict_and_evaluate_take_strings(causal_lm):
    causal_lm.compile()
    logits = causal_lm.predict(["Hello world"], verbose=0)
    assert logits.shape == (1, 16, 50257)
    loss = causal_lm.evaluate(["Hello world"], verbose=0)
    assert np.isfinite(loss).all()


def test_save_and_load_give_identical_outputs(causal_lm, tmp_path):
    inputs = causal_lm.preprocessor.generate_preprocess(["Hello world"])
    expected = run_serialization_test(causal_lm, inputs, tmp_path)
    causal_lm.compile(sampler="greedy")
    causal_lm.save_to_preset(tmp_path / "preset")
    restored = GPT2CausalLM.from_preset(tmp_path / "preset")
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(restored(inputs)), expected)
    assert restored.preprocessor.sequence_length == 16
    assert type(restored.sampler).__name__ == "GreedySampler"
    assert restored.generate("Hello", max_length=10) == causal_lm.generate("Hello", max_length=10)


def test_mixed_bfloat16_trains_and_generates(gpt2_tokenizer):
    backbone = tiny_backbone(dtype="mixed_bfloat16")
    model = GPT2CausalLM(backbone, GPT2CausalLMPreprocessor(gpt2_tokenizer, sequence_length=16))
    model.compile(optimizer=keras.optimizers.Adam(1e-2), sampler="greedy")
    history = model.fit([TEXT] * 4, epochs=3, batch_size=4, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert {weight.dtype for weight in backbone.weights} == {"float32"}
    assert model.generate("Shall I", max_length=12).startswith("Shall I")


def test_preset_loads_in_another_dtype(causal_lm, tmp_path):
    causal_lm.save_to_preset(tmp_path / "preset")
    restored = GPT2CausalLM.from_preset(tmp_path / "preset", dtype="bfloat16")
    assert {weight.dtype for weight in restored.backbone.weights} == {"bfloat16"}
    embedding = keras.ops.convert_to_numpy(keras.ops.cast(restored.backbone.token_embedding.embeddings, "float32"))
    expected = keras.ops.convert_to_numpy(causal_lm.backbone.token_embedding.embeddings)
    np.testing.assert_allclose(embedding, expected, rtol=1e-2, atol=1e-3)
    assert restored.generate("Hello", max_length=10, sampler="greedy").startswith("Hello")


# === Generation ===


# No prefill pass; one chunk of 8 and a decode step through the prompt; a chunk of 64, then of 8.
@pytest.mark.parametrize("prompt_length", [1, 10, 75])
def test_greedy_generation_equals_hugging_face(prompt_length):
    import torch

    backbone = tiny_backbone(vocabulary_size=211, max_sequence_length=128)
    hf_model = hugging_face_twin(backbone)
    model = GPT2CausalLM(backbone)
    prompt = np.random.default_rng(prompt_length).integers(0, 211, size=(1, prompt_length)).astype("int32")
    with torch.no_grad():
        expected = hf_model.generate(
            torch.tensor(prompt, dtype=torch.long),
            max_new_tokens=20,
            do_sample=False,
            eos_token_id=None,
            pad_token_id=0,
        ).numpy()
    output = model.generate({"token_ids": prompt}, max_length=prompt_length + 20, sampler="greedy", stop_token_ids=None)
    np.testing.assert_array_equal(output["token_ids"], expected)
    assert output["padding_mask"].all()


def test_batched_prompts_of_different_lengths_equal_each_alone(causal_lm):
    prompts = ["The", "Shall I compare thee to a", "Rough winds"]
    together = causal_lm.generate(prompts, max_length=14, sampler="greedy", stop_token_ids=None)
    alone = [causal_lm.generate(p, max_length=14, sampler="greedy", stop_token_ids=None) for p in prompts]
    assert together == alone
    assert all(text.startswith(prompt) for text, prompt in zip(together, prompts))


def test_every_prompt_in_a_batch_gets_exactly_max_new_tokens(causal_lm):
    prompts = ["The", "Shall I compare thee to a", "Rough winds"]
    together = causal_lm.generate(prompts, max_new_tokens=5, sampler="greedy", stop_token_ids=None, strip_prompt=True)
    alone = [
        causal_lm.generate(p, max_new_tokens=5, sampler="greedy", stop_token_ids=None, strip_prompt=True)
        for p in prompts
    ]
    assert together == alone
    ids = causal_lm.preprocessor.generate_preprocess(prompts, sequence_length=16)
    output = causal_lm.generate(ids, max_new_tokens=5, sampler="greedy", stop_token_ids=None, strip_prompt=True)
    assert output["padding_mask"].sum(axis=-1).tolist() == [5, 5, 5]


def test_tokens_after_a_stop_token_are_masked():
    model = GPT2CausalLM(tiny_backbone(vocabulary_size=40, max_sequence_length=16))
    prompt = {"token_ids": np.array([[1, 2, 0, 0, 0, 0, 0, 0]]), "padding_mask": np.array([[1, 1, 0, 0, 0, 0, 0, 0]])}
    free = model.generate(prompt, sampler="greedy", stop_token_ids=None)
    stop = int(free["token_ids"][0, 4])
    stopped = model.generate(prompt, sampler="greedy", stop_token_ids=[stop])
    first = int(np.argmax(stopped["token_ids"][0, 2:] == stop)) + 2
    assert stopped["padding_mask"][0].tolist() == [True] * first + [False] * (8 - first)
    np.testing.assert_array_equal(stopped["token_ids"][0, : first + 1], free["token_ids"][0, : first + 1])


def test_strip_prompt_and_max_new_tokens(causal_lm):
    full = causal_lm.generate("Hello", max_new_tokens=4, sampler="greedy", stop_token_ids=None)
    new = causal_lm.generate("Hello", max_new_tokens=4, sampler="greedy", stop_token_ids=None, strip_prompt=True)
    assert full == "Hello" + new and new


def test_stream_yields_the_same_text_as_generate(causal_lm):
    expected = causal_lm.generate("Thou art", max_new_tokens=8, sampler="greedy", strip_prompt=True)
    pieces = list(causal_lm.generate_stream("Thou art", max_new_tokens=8, sampler="greedy"))
    assert "".join(pieces) == expected and len(pieces) > 1


def test_seeded_sampling_is_reproducible(causal_lm):
    from keras_gpt2.generation.samplers.top_p_sampler import TopPSampler

    first = causal_lm.generate(["Hello"] * 2, max_new_tokens=6, sampler=TopPSampler(p=0.95, seed=3))
    second = causal_lm.generate(["Hello"] * 2, max_new_tokens=6, sampler=TopPSampler(p=0.95, seed=3))
    assert first == second


def test_beam_search_with_one_beam_is_greedy_and_keeps_the_prompt(causal_lm):
    # (That a wider beam finds what greedy misses is shown on a fixed distribution in
    # test_beam_sampler.py: on a model, beam >= greedy is not guaranteed.)
    from keras_gpt2.generation.samplers.beam_sampler import BeamSampler

    prompt = {"token_ids": np.array([[50256, *causal_lm.preprocessor.tokenizer("Hello there")]])}
    kwargs = dict(max_length=10, stop_token_ids=None)
    greedy = causal_lm.generate(prompt, sampler="greedy", **kwargs)["token_ids"]
    one_beam = causal_lm.generate(prompt, sampler=BeamSampler(num_beams=1), **kwargs)["token_ids"]
    np.testing.assert_array_equal(one_beam, greedy)
    beams = causal_lm.generate(prompt, sampler=BeamSampler(num_beams=4), **kwargs)["token_ids"]
    assert beams.shape == greedy.shape
    np.testing.assert_array_equal(beams[:, :3], prompt["token_ids"])


def test_generation_limits_are_clear_errors(causal_lm):
    with pytest.raises(ValueError, match="beyond this model's max_sequence_length"):
        causal_lm.generate("Hello", max_length=33)
    with pytest.raises(ValueError, match="more than `max_length`"):
        causal_lm.generate("Hello world, this is long", max_length=3)
    with pytest.raises(ValueError, match="not both"):
        causal_lm.generate("Hello", max_length=8, max_new_tokens=3)
    with pytest.raises(ValueError, match="no preprocessor"):
        GPT2CausalLM(causal_lm.backbone).generate("Hello")
    with pytest.raises(ValueError, match="larger than the vocabulary"):
        from keras_gpt2.generation.samplers.top_k_sampler import TopKSampler

        causal_lm.generate("Hello", sampler=TopKSampler(k=60000))


def test_bad_inputs_are_refused_before_anything_compiles(causal_lm):
    prompt = {"token_ids": np.array([[50256, 15496, 50257]]), "padding_mask": np.array([[1, 1, 1]])}
    with pytest.raises(InvalidInputError, match=r"generate: token_ids\[0, 2\]: 50257 is outside the vocabulary"):
        causal_lm.generate(prompt)
    with pytest.raises(InvalidInputError, match="token_ids.*is outside the vocabulary"):
        causal_lm.generate({"token_ids": np.array([-1, 5])})
    with pytest.raises(InvalidInputError, match=r"padding_mask: has shape \(1, 2\), but token_ids has shape \(1, 3\)"):
        causal_lm.generate({"token_ids": np.array([[1, 2, 3]]), "padding_mask": np.array([[1, 1]])})
    with pytest.raises(InvalidInputError, match="must be a non-empty 1-D or 2-D integer array"):
        causal_lm.generate({"token_ids": np.array([[0.5, 1.0]])})
    with pytest.raises(InvalidInputError, match="fit: x: is empty"):
        causal_lm.fit([])
    with pytest.raises(InvalidInputError, match="text 1: character 3: U\\+D800 is a lone surrogate"):
        causal_lm.generate(["fine", "abc\ud800def"])
