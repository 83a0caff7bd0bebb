"""The base of the tokenizers and preprocessors: text passes through untouched, nothing to build."""

import numpy as np

from keras_gpt2.preprocessing.preprocessing_layer import PreprocessingLayer


class Lengths(PreprocessingLayer):
    def call(self, inputs):
        return [len(text) for text in inputs]


def test_strings_reach_call_as_given_and_the_layer_has_no_weights():
    layer = Lengths()
    assert layer(["ab", "北京x"]) == [2, 3]  # a list of str, not a tensor
    assert layer(np.array(["abc"])) == [3]
    assert layer.built and layer.weights == [] and layer.trainable is False
