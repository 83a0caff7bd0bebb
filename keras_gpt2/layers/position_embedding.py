"""Learned absolute position embeddings."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_gpt2")
class PositionEmbedding(keras.layers.Layer):
    """Adds nothing; returns the learned embedding of each position.

    Args:
        sequence_length: the number of positions (GPT-2's context length).
        initializer: initializer of the `[sequence_length, hidden_dim]` table.

    Call arguments:
        inputs: `[batch, length, hidden_dim]`; only its shape is used.
        start_index: first position, for cached decoding one token at a time.

    Examples:
    >>> import numpy as np
    >>> layer = PositionEmbedding(sequence_length=8)
    >>> tuple(layer(np.zeros((2, 3, 4))).shape)
    (2, 3, 4)
    """

    def __init__(self, sequence_length, initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.sequence_length = int(sequence_length)
        self.initializer = keras.initializers.get(initializer)

    def build(self, inputs_shape):
        self.position_embeddings = self.add_weight(
            name="embeddings",
            shape=[self.sequence_length, inputs_shape[-1]],
            initializer=self.initializer,
            trainable=True,
        )

    def call(self, inputs, start_index=0):
        shape = ops.shape(inputs)
        length, hidden_dim = shape[-2], shape[-1]
        table = ops.convert_to_tensor(self.position_embeddings)
        positions = ops.slice(table, (start_index, 0), (length, hidden_dim))
        return ops.broadcast_to(ops.cast(positions, self.compute_dtype), shape)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "sequence_length": self.sequence_length,
                "initializer": keras.initializers.serialize(self.initializer),
            }
        )
        return config
