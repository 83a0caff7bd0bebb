"""Base class of the tokenizers and preprocessors: Keras layers that take text."""

import keras


class PreprocessingLayer(keras.layers.Layer):
    """A weightless Keras layer whose inputs are strings and Python lists, not tensors.

    Keras layers normally convert positional inputs to tensors; text must pass
    through untouched, so that the same object serves on lists, numpy arrays,
    eager tensors and inside `tf.data`, and is saved with the model.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("trainable", False)
        super().__init__(**kwargs)
        self._convert_input_args = False
        self._allow_non_tensor_positional_args = True
        self.built = True  # No weights: nothing to build.
