"""Helpers that let plain-Python preprocessing run eagerly and inside `tf.data`."""

import numpy as np

from keras_gpt2.errors import InvalidInputError


def is_symbolic_tf_tensor(value):
    """True for a TensorFlow tensor with no concrete value (inside `tf.function`/`tf.data`)."""
    import sys

    if "tensorflow" not in sys.modules:
        return False
    import tensorflow as tf

    return tf.is_tensor(value) and not tf.executing_eagerly()


def to_python_strings(inputs):
    """Normalises string input to `(list_of_str, was_batched)`.

    Accepts `str`, UTF-8 `bytes`, lists/tuples of those, numpy string arrays and
    eager `tf.Tensor`s of dtype string. Anything else is a `TypeError` naming what
    was received; bytes that are not UTF-8 are a `ValueError`.
    """
    if hasattr(inputs, "numpy") and not isinstance(inputs, np.ndarray):
        inputs = inputs.numpy()
    if isinstance(inputs, np.ndarray):
        if inputs.ndim > 1:
            raise ValueError(f"Expected a scalar or a 1-D batch of strings, got an array of shape {inputs.shape}.")
        if inputs.ndim == 0:
            inputs = inputs.item()
        else:
            inputs = inputs.tolist()
    batched = isinstance(inputs, (list, tuple))
    items = list(inputs) if batched else [inputs]
    strings = []
    for index, item in enumerate(items):
        if isinstance(item, bytes):
            try:
                item = item.decode("utf-8")
            except UnicodeDecodeError as error:
                raise ValueError(f"Input {index} is not valid UTF-8 ({error.reason} at byte {error.start}).") from None
        if not isinstance(item, str):
            raise TypeError(f"Expected text (str or UTF-8 bytes), got {type(item).__name__} at input {index}.")
        try:
            item.encode("utf-8")
        except UnicodeEncodeError as error:
            raise InvalidInputError(
                f"text {index}",
                f"character {error.start}",
                f"U+{ord(item[error.start]):04X} is a lone surrogate, which no UTF-8 text (and no token) can hold",
            ) from None
        strings.append(item)
    return strings, batched


def map_strings_in_graph(function, strings, dtypes, row_length):
    """Runs `function(list_of_str) -> arrays` on a symbolic string tensor.

    Lets numpy preprocessing serve inside `dataset.map`. Each returned array
    is `[batch, row_length]`; a scalar input gives `[row_length]`.
    """
    import tensorflow as tf

    def on_numpy(tensor):
        return function(decode_string_tensor(tensor))

    outputs = tf.py_function(on_numpy, [strings], list(dtypes))
    outputs = [tf.reshape(output, [-1, row_length]) for output in outputs]
    return [output[0] for output in outputs] if strings.shape.rank == 0 else outputs


def decode_string_tensor(tensor):
    """The strings of an eager string tensor of any rank, flattened, as `str`."""
    return [s.decode("utf-8") for s in np.asarray(tensor.numpy()).reshape(-1)]
