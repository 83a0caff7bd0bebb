import keras
import numpy as np

from keras_gpt2.layers.cached_multi_head_attention import CachedMultiHeadAttention
from keras_gpt2.layers.transformer_decoder import causal_attention_mask
from tests.helpers import run_serialization_test


def test_matches_keras_multi_head_attention_with_same_weights():
    inputs = np.random.default_rng(0).normal(size=(2, 5, 12)).astype("float32")
    ours = CachedMultiHeadAttention(num_heads=3, key_dim=4)
    reference = keras.layers.MultiHeadAttention(num_heads=3, key_dim=4)
    mask = keras.ops.convert_to_numpy(causal_attention_mask(5, 5))
    ours(inputs)
    reference(inputs, inputs, attention_mask=mask)
    for mine, theirs in zip(
        (ours.query_dense, ours.key_dense, ours.value_dense, ours.output_dense),
        (reference._query_dense, reference._key_dense, reference._value_dense, reference._output_dense),
    ):
        for a, b in zip(mine.weights, theirs.weights):
            a.assign(np.random.default_rng(a.shape[0]).normal(size=a.shape))
            b.assign(a.numpy())
    batch_mask = np.repeat(mask, 2, axis=0)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(ours(inputs, attention_mask=batch_mask)),
        keras.ops.convert_to_numpy(reference(inputs, inputs, attention_mask=batch_mask)),
        atol=1e-5,
    )


def test_cached_steps_equal_one_full_pass():
    layer = CachedMultiHeadAttention(num_heads=2, key_dim=3)
    inputs = np.random.default_rng(1).normal(size=(1, 4, 6)).astype("float32")
    full = keras.ops.convert_to_numpy(layer(inputs, attention_mask=causal_attention_mask(4, 4)))
    cache = (np.zeros((1, 4, 2, 3), "float32"), np.zeros((1, 4, 2, 3), "float32"))
    for index in range(4):
        step, cache = layer(
            inputs[:, index : index + 1],
            attention_mask=causal_attention_mask(1, 4, start_index=index),
            cache=cache,
            cache_update_index=index,
        )
        np.testing.assert_allclose(keras.ops.convert_to_numpy(step)[:, 0], full[:, index], atol=1e-5)


def test_serialization(tmp_path):
    layer = CachedMultiHeadAttention(num_heads=2, key_dim=2, dropout=0.1)
    run_serialization_test(layer, np.ones((1, 3, 4), "float32"), tmp_path)
