"""A token embedding that also maps hidden states back to vocabulary logits."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_gpt2")
class ReverseEmbedding(keras.layers.Embedding):
    """`keras.layers.Embedding` whose `reverse=True` call gives logits.

    `reverse=True` computes `hidden @ embeddings^T` with the same matrix, so
    the language-model head is tied to the input embedding (GPT-2 keeps one
    copy of its largest matrix, and so do we).

    Examples:
    >>> import numpy as np
    >>> layer = ReverseEmbedding(input_dim=10, output_dim=4)
    >>> hidden = layer(np.array([[1, 2]]))
    >>> tuple(layer(hidden, reverse=True).shape)
    (1, 2, 10)
    """

    def call(self, inputs, reverse=False):
        if not reverse:
            return super().call(inputs)
        kernel = ops.cast(self.embeddings, self.compute_dtype)
        return ops.matmul(inputs, ops.transpose(kernel))

    def compute_output_shape(self, input_shape, reverse=False):
        if reverse:
            return (*input_shape[:-1], self.input_dim)
        return super().compute_output_shape(input_shape)

    def compute_output_spec(self, inputs, reverse=False):
        shape = self.compute_output_shape(inputs.shape, reverse=reverse)
        dtype = self.compute_dtype
        return keras.KerasTensor(shape, dtype=dtype)
