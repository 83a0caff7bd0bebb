"""The plain float backbone every export format stores: LoRA adapters merged, int8 dequantized.

A backbone may carry LoRA adapters (`keras_gpt2.models.lora`) or int8 weights
(`quantize("int8")`: kernels and the tied embedding as int8 with one scale per
output unit or vocabulary row; activations stay float unless asked). Hugging
Face, TF.js and keras-hub files hold plain float tensors, so exports go
through `plain_backbone`; a preset keeps int8 weights as they are.

Examples:
>>> from keras_gpt2.models.gpt2_backbone import GPT2Backbone
>>> backbone = GPT2Backbone(vocabulary_size=64, num_layers=1, num_heads=2, hidden_dim=8,
...                         intermediate_dim=16, max_sequence_length=8)
>>> backbone.quantize("int8")
>>> quantization_mode(backbone), quantization_mode(plain_backbone(backbone))
('int8', None)
"""

import functools
import warnings

import keras
import numpy as np
from keras import ops

from keras_gpt2.models.lora import lora_layers
from keras_gpt2.utils.deferred_weights import build_then_load

# How a preset names its quantization: int8 weights with float activations (our default,
# which keeps GPT-2's greedy text closest), or Keras's default that also quantizes each
# layer's input to int8 at run time.
SCHEMES = ("int8", "int8_dynamic_activations")


def quantization_config(scheme):
    """The Keras quantization config of one of `SCHEMES`."""
    if scheme not in SCHEMES:
        raise ValueError(f"{scheme!r} is not one of {SCHEMES}")
    if scheme == "int8":
        return keras.quantizers.Int8QuantizationConfig(activation_quantizer=None)
    return keras.quantizers.Int8QuantizationConfig()


def weight_only_int8_by_default(model):
    """Makes `model.quantize("int8")` (no config) quantize weights only, activations staying float.

    Keras resolves a missing config to its default (int8 activations too) in the wrapper it
    puts around every layer's `quantize`, before a subclass sees the call; so the default is
    set here, around that wrapper. Keras's warning for every layer with nothing to quantize
    (norms, dropout, the position table) is silenced.
    """
    keras_quantize = model.quantize

    @functools.wraps(keras_quantize)
    def quantize(mode=None, config=None, **kwargs):
        if mode == "int8" and config is None:
            config = quantization_config("int8")
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*does not have a `quantize` method")
            keras_quantize(mode=mode, config=config, **kwargs)

    model.quantize = quantize


def quantization_mode(backbone):
    """The scheme (one of `SCHEMES`) of the backbone's int8 weights, else None."""
    layers = [layer for layer in backbone._flatten_layers() if getattr(layer, "quantization_mode", None)]
    modes = {layer.quantization_mode for layer in layers}
    if len(modes) > 1:
        raise ValueError(f"this backbone mixes quantization modes {sorted(modes)}")
    if not modes:
        return None
    mode = modes.pop()
    if mode != "int8":
        return mode
    dynamic = any(getattr(layer, "inputs_quantizer", None) is not None for layer in layers)
    return "int8_dynamic_activations" if dynamic else "int8"


def _int8_parts(layer):
    """`(int8 variable, scale broadcastable to it)` of an int8 kernel or embedding layer."""
    if isinstance(layer, keras.layers.EinsumDense):
        return layer._kernel, layer._adjust_scale_for_dequant(layer.kernel_scale)
    if isinstance(layer, keras.layers.Dense):
        return layer._kernel, ops.expand_dims(layer.kernel_scale, 0)
    if isinstance(layer, keras.layers.Embedding):
        return layer._embeddings, ops.expand_dims(layer.embeddings_scale, -1)
    raise ValueError(f"{layer.path}: int8 weights of a {type(layer).__name__} are not known here")


def _int8_variables(backbone):
    """`(int8 variable, scale broadcastable to it)` of every quantized layer; other modes are refused."""
    for layer in backbone._flatten_layers(include_self=False):
        mode = getattr(layer, "quantization_mode", None)
        if mode not in (None, "int8"):  # int8 with or without dynamic activations
            raise ValueError(f"{layer.path}: {mode} weights cannot be exported; only int8 ones are dequantized")
        if mode == "int8":
            yield _int8_parts(layer)


def int8_weights(backbone):
    """`{variable path: (int8 numpy array, float32 scale broadcastable to it)}`: value = int8 / scale."""
    return {
        variable.path: (np.asarray(variable.numpy()), np.asarray(ops.convert_to_numpy(scale), np.float32))
        for variable, scale in _int8_variables(backbone)
    }


def _float_values(backbone):
    """`{variable path: float tensor}` for the variables that are not plain floats as stored."""
    values = {
        variable.path: ops.divide(ops.cast(variable, "float32"), scale) for variable, scale in _int8_variables(backbone)
    }
    for layer in lora_layers(backbone):
        if layer._kernel.path in values:
            raise ValueError(f"{layer.path}: has LoRA adapters on int8 weights; merge them before quantizing")
        values[layer._kernel.path] = layer.kernel
    return values


def plain_backbone(backbone):
    """`backbone` itself when it is plain, else a new float backbone with the same function."""
    values = _float_values(backbone)
    if not values:
        return backbone
    config = backbone.get_config()
    if quantization_mode(backbone):
        config["dtype"] = "float32"
    sources = {v.path: v for v in backbone.weights}

    def load(plain):
        for variable in plain.weights:
            variable.assign(values.get(variable.path, sources[variable.path]))

    return build_then_load(lambda: type(backbone).from_config(config), load)
