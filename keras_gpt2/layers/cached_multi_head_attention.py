"""Multi-head self-attention that can read and update a key/value cache."""

import math

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_gpt2")
class CachedMultiHeadAttention(keras.layers.Layer):
    """Multi-head attention with an optional key/value cache for decoding.

    Weights follow keras-hub's layout (and so the TF.js names):
    `query|key|value/kernel` `[hidden, num_heads, head_dim]` with biases
    `[num_heads, head_dim]`, and `attention_output/kernel`
    `[num_heads, head_dim, hidden]`.

    The cache of one layer is a pair `(key_cache, value_cache)`, each
    `[batch, max_length, num_heads, head_dim]`. Keeping keys and values apart
    (rather than keras-hub's stacked `[batch, 2, ...]`) spares a copy of the
    whole cache at every decoding step. Given a cache and
    `cache_update_index`, the keys and values of the new tokens are written at
    that index and attention reads the cache; the mask must hide positions not
    yet written.

    Args:
        num_heads: number of attention heads.
        key_dim: size of each head.
        dropout: dropout rate on attention probabilities.
        kernel_initializer: initializer of query, key and value kernels.
        output_kernel_initializer: initializer of the output projection
            (GPT-2 scales it down with depth).

    Examples:
    >>> import numpy as np
    >>> layer = CachedMultiHeadAttention(num_heads=2, key_dim=4)
    >>> tuple(layer(np.zeros((1, 3, 8), "float32")).shape)
    (1, 3, 8)
    """

    def __init__(
        self,
        num_heads,
        key_dim,
        dropout=0.0,
        kernel_initializer="glorot_uniform",
        output_kernel_initializer=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.num_heads = num_heads
        self.key_dim = key_dim
        self.dropout = dropout
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.output_kernel_initializer = keras.initializers.get(output_kernel_initializer or kernel_initializer)
        self.dropout_layer = keras.layers.Dropout(dropout, dtype=self.dtype_policy)

    def build(self, inputs_shape):
        hidden_dim = inputs_shape[-1]
        projection = dict(
            equation="btd,dhk->bthk",
            output_shape=(None, self.num_heads, self.key_dim),
            bias_axes="hk",
            kernel_initializer=self.kernel_initializer,
            dtype=self.dtype_policy,
        )
        self.query_dense = keras.layers.EinsumDense(name="query", **projection)
        self.key_dense = keras.layers.EinsumDense(name="key", **projection)
        self.value_dense = keras.layers.EinsumDense(name="value", **projection)
        self.output_dense = keras.layers.EinsumDense(
            "bthk,hkd->btd",
            output_shape=(None, hidden_dim),
            bias_axes="d",
            kernel_initializer=self.output_kernel_initializer,
            name="attention_output",
            dtype=self.dtype_policy,
        )
        for dense in (self.query_dense, self.key_dense, self.value_dense):
            dense.build(inputs_shape)
        self.output_dense.build((*inputs_shape[:-1], self.num_heads, self.key_dim))

    def call(
        self,
        inputs,
        attention_mask=None,
        cache=None,
        cache_update_index=None,
        training=None,
    ):
        query = self.query_dense(inputs)  # (B, T, nh, hs)
        key = self.key_dense(inputs)
        value = self.value_dense(inputs)
        if cache is not None:
            key_cache, value_cache = cache
            start = [0, cache_update_index, 0, 0]
            key = ops.slice_update(key_cache, start, ops.cast(key, key_cache.dtype))  # (B, S, nh, hs)
            value = ops.slice_update(value_cache, start, ops.cast(value, value_cache.dtype))
            cache = (key, value)
        scores = ops.einsum("bqhk,bshk->bhqs", query, ops.cast(key, self.compute_dtype))  # (B, nh, T, S)
        scores = ops.cast(scores, "float32") / math.sqrt(self.key_dim)
        if attention_mask is not None:
            mask = ops.expand_dims(ops.cast(attention_mask, "bool"), axis=1)
            scores = ops.where(mask, scores, ops.full_like(scores, -1e9))
        probabilities = ops.cast(ops.softmax(scores, axis=-1), self.compute_dtype)
        probabilities = self.dropout_layer(probabilities, training=training)
        attended = ops.einsum("bhqs,bshk->bqhk", probabilities, ops.cast(value, self.compute_dtype))
        outputs = self.output_dense(attended)  # (B, T, hidden)
        return outputs if cache is None else (outputs, cache)

    def compute_output_shape(self, inputs_shape):
        return inputs_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_heads": self.num_heads,
                "key_dim": self.key_dim,
                "dropout": self.dropout,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "output_kernel_initializer": keras.initializers.serialize(self.output_kernel_initializer),
            }
        )
        return config
