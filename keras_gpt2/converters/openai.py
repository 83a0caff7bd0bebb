"""The original OpenAI GPT-2 TensorFlow checkpoints (`hparams.json`, `model.ckpt.*`).

Variables are named `model/wte`, `model/h0/attn/c_attn/w` ...; the 1x1
convolution kernels carry a leading axis of 1 (`[1, n_embd, 3 * n_embd]`).
The table is the Hugging Face one with OpenAI's names and that axis added,
so the two formats cannot disagree on layouts.
"""

import dataclasses
import json
import os

import numpy as np

from keras_gpt2.converters.hugging_face import hf_weight_table
from keras_gpt2.converters.loading import build_causal_lm
from keras_gpt2.converters.loading import gpt2_tokenizer_from_files

# Hugging Face name suffix -> OpenAI name suffix, for the parts that differ.
HF_TO_OPENAI = {
    "wte.weight": "wte",
    "wpe.weight": "wpe",
    "ln_f.weight": "ln_f/g",
    "ln_f.bias": "ln_f/b",
}
HF_LAYER_TO_OPENAI = {
    "ln_1.weight": "ln_1/g",
    "ln_1.bias": "ln_1/b",
    "attn.c_attn.weight": "attn/c_attn/w",
    "attn.c_attn.bias": "attn/c_attn/b",
    "attn.c_proj.weight": "attn/c_proj/w",
    "attn.c_proj.bias": "attn/c_proj/b",
    "ln_2.weight": "ln_2/g",
    "ln_2.bias": "ln_2/b",
    "mlp.c_fc.weight": "mlp/c_fc/w",
    "mlp.c_fc.bias": "mlp/c_fc/b",
    "mlp.c_proj.weight": "mlp/c_proj/w",
    "mlp.c_proj.bias": "mlp/c_proj/b",
}


def openai_name(hf_name):
    """`h.3.attn.c_attn.weight` -> `model/h3/attn/c_attn/w`."""
    if hf_name.startswith("h."):
        _, layer, rest = hf_name.split(".", 2)
        return f"model/h{layer}/{HF_LAYER_TO_OPENAI[rest]}"
    return f"model/{HF_TO_OPENAI[hf_name]}"


def openai_weight_table(num_layers, num_heads):
    """The HF table renamed, with the convolution kernels' leading axis of 1 handled."""
    table = []
    for mapping in hf_weight_table(num_layers, num_heads, prefix=""):
        name = openai_name(mapping.name)
        if name.endswith("/w"):
            to_keras, from_keras = mapping.to_keras, mapping.from_keras
            mapping = dataclasses.replace(
                mapping,
                to_keras=lambda array, f=to_keras: f(np.squeeze(array, axis=0)),
                from_keras=lambda *arrays, f=from_keras: f(*arrays)[None],
            )
        table.append(dataclasses.replace(mapping, name=name))
    return table


def backbone_config_from_hparams(hparams):
    return {
        "vocabulary_size": hparams["n_vocab"],
        "num_layers": hparams["n_layer"],
        "num_heads": hparams["n_head"],
        "hidden_dim": hparams["n_embd"],
        "intermediate_dim": 4 * hparams["n_embd"],
        "max_sequence_length": hparams["n_ctx"],
    }


def import_openai(folder):
    """A `GPT2CausalLM` from an OpenAI checkpoint folder (tokenizer from encoder.json/vocab.bpe)."""
    import tensorflow as tf

    hparams_path = os.path.join(folder, "hparams.json")
    if not os.path.isfile(hparams_path):
        raise FileNotFoundError(f"{folder} has no hparams.json.")
    with open(hparams_path, encoding="utf-8") as file:
        config = backbone_config_from_hparams(json.load(file))
    checkpoint = tf.train.latest_checkpoint(folder) or os.path.join(folder, "model.ckpt")
    if not os.path.isfile(checkpoint + ".index"):
        raise FileNotFoundError(f"{folder} has no TensorFlow checkpoint (model.ckpt.index).")
    reader = tf.train.load_checkpoint(checkpoint)
    known = reader.get_variable_to_shape_map()

    def read_tensor(name):
        if name not in known:
            raise KeyError(name)
        return reader.get_tensor(name)

    tokenizer = gpt2_tokenizer_from_files(
        os.path.join(folder, "encoder.json"), os.path.join(folder, "vocab.bpe"), config["vocabulary_size"]
    )
    return build_causal_lm(
        config,
        lambda backbone: openai_weight_table(backbone.num_layers, backbone.num_heads),
        read_tensor,
        tokenizer=tokenizer,
        description="import-openai",
    )
