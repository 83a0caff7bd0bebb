"""Text normalisation for the preprocessing layers, eager and inside tf.data."""

import keras
import numpy as np
import pytest

from keras_gpt2.errors import InvalidInputError
from keras_gpt2.utils.tensor_utils import decode_string_tensor
from keras_gpt2.utils.tensor_utils import is_symbolic_tf_tensor
from keras_gpt2.utils.tensor_utils import map_strings_in_graph
from keras_gpt2.utils.tensor_utils import to_python_strings


@pytest.mark.parametrize(
    "inputs, expected",
    [
        ("naïve", (["naïve"], False)),
        ("naïve".encode(), (["naïve"], False)),
        (["a", b"b"], (["a", "b"], True)),
        (("a",), (["a"], True)),
        (np.array(["x", "y"]), (["x", "y"], True)),
        (np.array("x"), (["x"], False)),
    ],
)
def test_every_string_form_becomes_a_list_of_str(inputs, expected):
    assert to_python_strings(inputs) == expected


def test_tensorflow_string_tensors_are_read_eagerly():
    tf = pytest.importorskip("tensorflow")
    assert to_python_strings(tf.constant(["a", "北京"])) == (["a", "北京"], True)
    assert decode_string_tensor(tf.constant([["a"], ["b"]])) == ["a", "b"]
    assert not is_symbolic_tf_tensor(tf.constant("a"))


@pytest.mark.parametrize(
    "inputs, error, message",
    [
        ([b"\xff"], ValueError, "Input 0 is not valid UTF-8"),
        (["ok", 3], TypeError, "got int at input 1"),
        (np.array([["a"]]), ValueError, "shape \\(1, 1\\)"),
        (["ok", "a\ud800b"], InvalidInputError, "text 1: character 1: U\\+D800 is a lone surrogate"),
    ],
)
def test_what_is_not_text_is_refused_with_its_position(inputs, error, message):
    with pytest.raises(error, match=message):
        to_python_strings(inputs)


def test_numpy_preprocessing_runs_inside_tf_data():
    if keras.config.backend() != "tensorflow":
        pytest.skip("tf.data graphs are exercised once, on the TensorFlow pass")
    import tensorflow as tf

    def lengths(strings):
        return [np.array([[len(s), len(s.encode())] for s in strings], "int32")]

    seen = []

    def mapped(batch):
        seen.append(is_symbolic_tf_tensor(batch))
        return map_strings_in_graph(lengths, batch, [tf.int32], 2)[0]

    dataset = tf.data.Dataset.from_tensor_slices(["ab", "北京"]).batch(2).map(mapped)
    assert next(iter(dataset)).numpy().tolist() == [[2, 2], [2, 6]]
    assert seen == [True]
