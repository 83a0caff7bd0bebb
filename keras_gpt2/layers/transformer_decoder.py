"""One GPT-2 block: pre-norm causal self-attention and a GELU MLP."""

import keras
from keras import ops

from keras_gpt2.layers.cached_multi_head_attention import CachedMultiHeadAttention


def gelu_tanh(x):
    """GELU in the tanh approximation, GPT-2's `gelu_new`."""
    return keras.activations.gelu(x, approximate=True)


def causal_attention_mask(query_length, key_length, start_index=0, padding_mask=None):
    """`[batch or 1, query_length, key_length]` bools: may query i attend to key j.

    Query i sits at position `start_index + i`; it sees keys at positions up
    to its own, and (with `padding_mask` `[batch, key_length]`) only real ones.
    """
    query_positions = ops.arange(query_length) + start_index
    key_positions = ops.arange(key_length)
    mask = ops.expand_dims(key_positions, 0) <= ops.expand_dims(query_positions, 1)
    mask = ops.expand_dims(mask, 0)  # (1, T, S)
    if padding_mask is not None:
        mask = ops.logical_and(mask, ops.expand_dims(ops.cast(padding_mask, "bool"), 1))
    return mask


@keras.saving.register_keras_serializable(package="keras_gpt2")
class TransformerDecoder(keras.layers.Layer):
    """A pre-layer-norm decoder block as GPT-2 uses it.

    `x + attention(norm(x))`, then `x + mlp(norm(x))`, with GELU in its tanh
    approximation (GPT-2's `gelu_new`), dropout on attention probabilities and
    on both residual branches.

    Args:
        num_heads: attention heads.
        intermediate_dim: MLP width (4 x hidden in GPT-2).
        dropout: dropout rate.
        layer_norm_epsilon: epsilon of both layer norms.
        kernel_initializer: initializer of every kernel but the two residual
            output projections.
        residual_kernel_initializer: initializer of the attention output and
            MLP output kernels (GPT-2 scales them by `1/sqrt(2 * num_layers)`).
        normalize_first: pre-norm (True, GPT-2) or post-norm.

    Examples:
    >>> import numpy as np
    >>> block = TransformerDecoder(num_heads=2, intermediate_dim=16)
    >>> tuple(block(np.zeros((1, 3, 8), "float32")).shape)
    (1, 3, 8)
    """

    def __init__(
        self,
        num_heads,
        intermediate_dim,
        dropout=0.0,
        layer_norm_epsilon=1e-5,
        kernel_initializer="glorot_uniform",
        residual_kernel_initializer=None,
        normalize_first=True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.num_heads = num_heads
        self.intermediate_dim = intermediate_dim
        self.dropout = dropout
        self.layer_norm_epsilon = layer_norm_epsilon
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.residual_kernel_initializer = keras.initializers.get(residual_kernel_initializer or kernel_initializer)
        self.normalize_first = normalize_first

    def build(self, inputs_shape):
        hidden_dim = inputs_shape[-1]
        if hidden_dim % self.num_heads:
            raise ValueError(f"hidden_dim ({hidden_dim}) must be divisible by num_heads ({self.num_heads}).")
        policy = self.dtype_policy
        self.self_attention_layer_norm = keras.layers.LayerNormalization(
            epsilon=self.layer_norm_epsilon, name="self_attention_layer_norm", dtype=policy
        )
        self.self_attention = CachedMultiHeadAttention(
            num_heads=self.num_heads,
            key_dim=hidden_dim // self.num_heads,
            dropout=self.dropout,
            kernel_initializer=self.kernel_initializer,
            output_kernel_initializer=self.residual_kernel_initializer,
            name="self_attention",
            dtype=policy,
        )
        self.self_attention_dropout = keras.layers.Dropout(self.dropout, dtype=policy)
        self.feedforward_layer_norm = keras.layers.LayerNormalization(
            epsilon=self.layer_norm_epsilon, name="feedforward_layer_norm", dtype=policy
        )
        self.feedforward_intermediate_dense = keras.layers.Dense(
            self.intermediate_dim,
            activation=gelu_tanh,
            kernel_initializer=self.kernel_initializer,
            name="feedforward_intermediate_dense",
            dtype=policy,
        )
        self.feedforward_output_dense = keras.layers.Dense(
            hidden_dim,
            kernel_initializer=self.residual_kernel_initializer,
            name="feedforward_output_dense",
            dtype=policy,
        )
        self.feedforward_dropout = keras.layers.Dropout(self.dropout, dtype=policy)
        self.self_attention_layer_norm.build(inputs_shape)
        self.self_attention.build(inputs_shape)
        self.feedforward_layer_norm.build(inputs_shape)
        self.feedforward_intermediate_dense.build(inputs_shape)
        self.feedforward_output_dense.build((*inputs_shape[:-1], self.intermediate_dim))

    def call(
        self,
        decoder_sequence,
        decoder_padding_mask=None,
        cache=None,
        cache_update_index=None,
        training=None,
    ):
        """Returns the new sequence, and with a cache `(sequence, cache)`."""
        query_length = ops.shape(decoder_sequence)[1]
        key_length = query_length if cache is None else ops.shape(cache[0])[1]
        attention_mask = causal_attention_mask(
            query_length,
            key_length,
            start_index=0 if cache is None else cache_update_index,
            padding_mask=decoder_padding_mask,
        )
        x = decoder_sequence
        residual = x
        if self.normalize_first:
            x = self.self_attention_layer_norm(x)
        attended = self.self_attention(
            x,
            attention_mask=attention_mask,
            cache=cache,
            cache_update_index=cache_update_index,
            training=training,
        )
        if cache is not None:
            attended, cache = attended
        x = residual + self.self_attention_dropout(attended, training=training)
        if not self.normalize_first:
            x = self.self_attention_layer_norm(x)

        residual = x
        if self.normalize_first:
            x = self.feedforward_layer_norm(x)
        x = self.feedforward_output_dense(self.feedforward_intermediate_dense(x))
        x = residual + self.feedforward_dropout(x, training=training)
        if not self.normalize_first:
            x = self.feedforward_layer_norm(x)
        return x if cache is None else (x, cache)

    def compute_output_shape(self, inputs_shape):
        return inputs_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_heads": self.num_heads,
                "intermediate_dim": self.intermediate_dim,
                "dropout": self.dropout,
                "layer_norm_epsilon": self.layer_norm_epsilon,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "residual_kernel_initializer": keras.initializers.serialize(self.residual_kernel_initializer),
                "normalize_first": self.normalize_first,
            }
        )
        return config
