"""Checks applied the same way to every layer and model (as keras-hub's run_*_test)."""

import keras
import numpy as np


def run_serialization_test(obj, inputs, tmp_path, atol=1e-6):
    """Config round trip, then `.keras` save/load, each giving identical outputs."""
    expected = keras.ops.convert_to_numpy(obj(inputs, training=False))
    restored = obj.__class__.from_config(obj.get_config())
    assert restored.get_config() == obj.get_config()
    if isinstance(obj, keras.Model):
        path = str(tmp_path / "model.keras")
        obj.save(path)
        loaded = keras.saving.load_model(path)
        np.testing.assert_allclose(keras.ops.convert_to_numpy(loaded(inputs, training=False)), expected, atol=atol)
    return expected


def random_token_inputs(vocabulary_size, batch_size, length, seed=0, padded_rows=()):
    """`{token_ids, padding_mask}` with the last half of `padded_rows` padded."""
    rng = np.random.default_rng(seed)
    token_ids = rng.integers(0, vocabulary_size, size=(batch_size, length)).astype("int32")
    padding_mask = np.ones((batch_size, length), "int32")
    for row in padded_rows:
        padding_mask[row, length // 2 :] = 0
    return {"token_ids": token_ids, "padding_mask": padding_mask}


def copy_weights_by_path(source, target):
    """Copies every weight of `source` into the weight of `target` with the same path."""
    target_weights = {w.path: w for w in target.weights}
    assert sorted(target_weights) == sorted(w.path for w in source.weights)
    for weight in source.weights:
        target_weights[weight.path].assign(keras.ops.convert_to_numpy(weight))


def save_tiny_preset(tokenizer, folder, max_sequence_length):
    """A one-layer, hidden-16 GPT-2 with the real vocabulary, saved as a preset; returns the folder."""
    from keras_gpt2.models.gpt2_backbone import GPT2Backbone
    from keras_gpt2.models.gpt2_causal_lm import GPT2CausalLM
    from keras_gpt2.preprocessing.gpt2_causal_lm_preprocessor import GPT2CausalLMPreprocessor

    backbone = GPT2Backbone(
        vocabulary_size=50257,
        num_layers=1,
        num_heads=2,
        hidden_dim=16,
        intermediate_dim=32,
        dropout=0.0,
        max_sequence_length=max_sequence_length,
    )
    preprocessor = GPT2CausalLMPreprocessor(tokenizer, sequence_length=max_sequence_length)
    GPT2CausalLM(backbone, preprocessor).save_to_preset(folder)
    return folder


def tiny_backbone(vocabulary_size=50257, max_sequence_length=32, dropout=0.0, dtype=None):
    """A two-layer, hidden-16 GPT-2 backbone, by default with GPT-2's real vocabulary size."""
    from keras_gpt2.models.gpt2_backbone import GPT2Backbone

    return GPT2Backbone(
        vocabulary_size=vocabulary_size,
        num_layers=2,
        num_heads=2,
        hidden_dim=16,
        intermediate_dim=32,
        dropout=dropout,
        max_sequence_length=max_sequence_length,
        dtype=dtype,
    )


def wide_random_causal_lm(tokenizer, num_heads=4, max_sequence_length=64):
    """A 2-layer, hidden-32 `GPT2CausalLM` at the real vocabulary with wide random weights
    (well-separated logits, so greedy decoding has no ties), compiled for greedy sampling."""
    import numpy as np

    from keras_gpt2.models.gpt2_backbone import GPT2Backbone
    from keras_gpt2.models.gpt2_causal_lm import GPT2CausalLM
    from keras_gpt2.preprocessing.gpt2_causal_lm_preprocessor import GPT2CausalLMPreprocessor

    backbone = GPT2Backbone(
        vocabulary_size=50257,
        num_layers=2,
        num_heads=num_heads,
        hidden_dim=32,
        intermediate_dim=64,
        dropout=0.0,
        max_sequence_length=max_sequence_length,
    )
    rng = np.random.default_rng(0)
    for weight in backbone.weights:
        weight.assign(rng.normal(0, 0.3 if "embedding" in weight.path else 0.15, weight.shape))
    model = GPT2CausalLM(backbone, GPT2CausalLMPreprocessor(tokenizer, sequence_length=64))
    model.compile(sampler="greedy")
    return model


def once_per_suite(reason):
    """A module mark: run in the TensorFlow pass only, for tests whose subject does not
    depend on the Keras backend (JavaScript, file readers) or that start every backend
    themselves; `reason` says which."""
    import pytest

    return pytest.mark.skipif(
        keras.config.backend() != "tensorflow", reason=f"{reason}: run once, in the TensorFlow pass"
    )
