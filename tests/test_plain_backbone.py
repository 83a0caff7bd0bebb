"""`plain_backbone`: what exports store, from LoRA and int8 backbones; the int8 defaults."""

import keras
import numpy as np
import pytest

from keras_gpt2.models.plain_backbone import int8_weights
from keras_gpt2.models.plain_backbone import plain_backbone
from keras_gpt2.models.plain_backbone import quantization_mode
from tests.helpers import random_token_inputs
from tests.helpers import tiny_backbone


def outputs(backbone, inputs):
    return np.asarray(keras.ops.convert_to_numpy(backbone(inputs)))


def test_a_plain_backbone_is_returned_as_is():
    backbone = tiny_backbone()
    assert plain_backbone(backbone) is backbone and quantization_mode(backbone) is None


def test_int8_weights_are_dequantized_into_the_same_function():
    backbone = tiny_backbone()
    inputs = random_token_inputs(50257, 2, 6)
    backbone.quantize("int8")
    assert quantization_mode(backbone) == "int8"  # weight-only: the default here
    plain = plain_backbone(backbone)
    assert quantization_mode(plain) is None and all(w.dtype != "int8" for w in plain.weights)
    np.testing.assert_allclose(outputs(plain, inputs), outputs(backbone, inputs), atol=1e-5)
    values, scale = int8_weights(backbone)["token_embedding/embeddings"]
    assert values.dtype == np.int8 and scale.shape == (50257, 1)


def test_lora_on_int8_weights_is_refused_for_export():
    backbone = tiny_backbone()
    backbone.quantize("int8")
    backbone.enable_lora(2)
    with pytest.raises(ValueError, match="merge them before quantizing"):
        plain_backbone(backbone)
