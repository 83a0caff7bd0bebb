"""GPT-2 for Keras 3: train with `fit`, generate fast, export to TensorFlow.js.

Public names are imported lazily so that `keras-gpt2 --help` answers without
loading TensorFlow.

Examples:
>>> import keras_gpt2
>>> keras_gpt2.GPT2Tokenizer.__name__
'GPT2Tokenizer'
"""

import importlib

from keras_gpt2.version import __version__

_PUBLIC_NAMES = {
    "BytePairTokenizer": "keras_gpt2.tokenizers.byte_pair_tokenizer",
    "GPT2Tokenizer": "keras_gpt2.tokenizers.gpt2_tokenizer",
    "StartEndPacker": "keras_gpt2.preprocessing.start_end_packer",
    "GPT2Preprocessor": "keras_gpt2.preprocessing.gpt2_preprocessor",
    "GPT2CausalLMPreprocessor": "keras_gpt2.preprocessing.gpt2_causal_lm_preprocessor",
    "PositionEmbedding": "keras_gpt2.layers.position_embedding",
    "CachedMultiHeadAttention": "keras_gpt2.layers.cached_multi_head_attention",
    "TransformerDecoder": "keras_gpt2.layers.transformer_decoder",
    "ReverseEmbedding": "keras_gpt2.layers.reverse_embedding",
    "GPT2Backbone": "keras_gpt2.models.gpt2_backbone",
    "GPT2CausalLM": "keras_gpt2.models.gpt2_causal_lm",
}

__all__ = ["__version__", *_PUBLIC_NAMES]


def __getattr__(name):
    if name not in _PUBLIC_NAMES:
        raise AttributeError(f"module 'keras_gpt2' has no attribute {name!r}")
    return getattr(importlib.import_module(_PUBLIC_NAMES[name]), name)


def __dir__():
    return sorted(__all__)
