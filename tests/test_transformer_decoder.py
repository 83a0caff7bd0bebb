import keras
import numpy as np
import pytest

from keras_gpt2.layers.transformer_decoder import TransformerDecoder
from keras_gpt2.layers.transformer_decoder import causal_attention_mask
from keras_gpt2.layers.transformer_decoder import gelu_tanh
from tests.helpers import run_serialization_test


def test_gelu_is_the_tanh_approximation():
    x = np.linspace(-4, 4, 17).astype("float32")
    expected = 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(gelu_tanh(x)), expected, atol=1e-6)


def test_causal_mask_with_start_index_and_padding():
    mask = keras.ops.convert_to_numpy(causal_attention_mask(2, 4, start_index=1, padding_mask=np.array([[1, 1, 1, 0]])))
    assert mask.tolist() == [[[True, True, False, False], [True, True, True, False]]]


def test_future_tokens_do_not_change_the_past():
    block = TransformerDecoder(num_heads=2, intermediate_dim=8)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1, 5, 4)).astype("float32")
    changed = x.copy()
    changed[:, 3:] = rng.normal(size=(1, 2, 4))
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(block(x))[:, :3], keras.ops.convert_to_numpy(block(changed))[:, :3], atol=1e-6
    )


def test_cached_decoding_equals_full_pass():
    block = TransformerDecoder(num_heads=2, intermediate_dim=8)
    x = np.random.default_rng(2).normal(size=(2, 4, 4)).astype("float32")
    full = keras.ops.convert_to_numpy(block(x))
    cache = (np.zeros((2, 4, 2, 2), "float32"), np.zeros((2, 4, 2, 2), "float32"))
    prefix, cache = block(x[:, :2], cache=cache, cache_update_index=0)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(prefix), full[:, :2], atol=1e-5)
    for index in (2, 3):
        step, cache = block(x[:, index : index + 1], cache=cache, cache_update_index=index)
        np.testing.assert_allclose(keras.ops.convert_to_numpy(step)[:, 0], full[:, index], atol=1e-5)


def test_heads_must_divide_hidden_dim():
    with pytest.raises(ValueError, match="divisible"):
        TransformerDecoder(num_heads=3, intermediate_dim=8)(np.zeros((1, 2, 4), "float32"))


def test_serialization(tmp_path):
    block = TransformerDecoder(num_heads=2, intermediate_dim=8, dropout=0.2, normalize_first=True)
    run_serialization_test(block, np.ones((1, 3, 4), "float32"), tmp_path)
