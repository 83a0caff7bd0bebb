"""A token embedding that also maps hidden states back to vocabulary logits."""

import keras


@keras.saving.register_keras_serializable(package="keras_gpt2")
class ReverseEmbedding(keras.layers.ReversibleEmbedding):
    """`keras.layers.Embedding` whose `reverse=True` call gives logits.

    `reverse=True` computes `hidden @ embeddings^T` with the same matrix, so
    the language-model head is tied to the input embedding (GPT-2 keeps one
    copy of its largest matrix, and so do we). Built on Keras's
    `ReversibleEmbedding` with tied weights, so `quantize("int8")` covers the
    table and the head too (one scale per vocabulary row).

    Examples:
    >>> import numpy as np
    >>> layer = ReverseEmbedding(input_dim=10, output_dim=4)
    >>> hidden = layer(np.array([[1, 2]]))
    >>> tuple(layer(hidden, reverse=True).shape)
    (1, 2, 10)
    """

    def __init__(self, input_dim, output_dim, **kwargs):
        kwargs.pop("tie_weights", None)  # always tied: GPT-2 has one table
        super().__init__(input_dim, output_dim, tie_weights=True, **kwargs)

    def quantize(self, mode=None, type_check=True, config=None):
        # Keras quantizes subclasses only when they say they can; this one is the base
        # class's tied case exactly.
        if type_check and type(self) is not ReverseEmbedding:
            raise self._not_implemented_error(self.quantize)
        super().quantize(mode, type_check=False, config=config)
