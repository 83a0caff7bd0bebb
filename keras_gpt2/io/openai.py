"""The original OpenAI GPT-2 TensorFlow checkpoints (`hparams.json`, `model.ckpt.*`).

Variables are named `model/wte`, `model/h0/attn/c_attn/w` ...; the 1x1
convolution kernels carry a leading axis of 1 (`[1, n_embd, 3 * n_embd]`).
The table is the Hugging Face one with OpenAI's names and that axis added,
so the two formats cannot disagree on layouts.
"""

import dataclasses
import glob
import os
import re

import numpy as np

from keras_gpt2.errors import InvalidCheckpointError
from keras_gpt2.errors import UnsafePathError
from keras_gpt2.io.checked_json import CheckedJSON
from keras_gpt2.io.checked_json import read_file_capped
from keras_gpt2.io.hugging_face import hf_weight_table
from keras_gpt2.io.loading import CheckpointPlan
from keras_gpt2.io.loading import checked_backbone_config
from keras_gpt2.io.loading import checkpoint_tokenizer
from keras_gpt2.io.paths import checked_folder_file
from keras_gpt2.io.paths import inside
from keras_gpt2.io.paths import safe_child
from keras_gpt2.io.weight_table import StoredTensor

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
                foreign_shape=lambda *shapes, f=mapping.foreign_shape: (1, *f(*shapes)),
            )
        table.append(dataclasses.replace(mapping, name=name))
    return table


HPARAMS_FIELDS = {
    "vocabulary_size": "n_vocab",
    "num_layers": "n_layer",
    "num_heads": "n_head",
    "hidden_dim": "n_embd",
    "max_sequence_length": "n_ctx",
}
BYTES_PER_STORED_PARAMETER = 4  # OpenAI's checkpoints are float32


def backbone_config_from_hparams(hparams):
    """Our `GPT2Backbone` arguments from a checked `hparams.json`."""
    hidden_dim = hparams.get("n_embd", int)
    return {
        "vocabulary_size": hparams.get("n_vocab", int),
        "num_layers": hparams.get("n_layer", int),
        "num_heads": hparams.get("n_head", int),
        "hidden_dim": hidden_dim,
        "intermediate_dim": 4 * hidden_dim,
        "max_sequence_length": hparams.get("n_ctx", int),
    }


def checkpoint_prefix(folder):
    """The checkpoint prefix the `checkpoint` state file names, which must lie inside `folder`.

    TensorFlow's own `latest_checkpoint` would follow any path the file
    names, relative or absolute; here it must be a plain name (or an
    absolute path to a file in `folder`, as TensorFlow itself writes).
    """
    state = checked_folder_file(folder, "checkpoint")
    name = "model.ckpt"
    if os.path.isfile(state):
        text = read_file_capped(state, 1024 * 1024).decode("utf-8", "replace")
        match = re.search(r'^model_checkpoint_path:\s*"([^"]*)"', text, re.MULTILINE)
        if match is None:
            raise InvalidCheckpointError(state, "model_checkpoint_path", "is missing")
        name = match.group(1)
        if os.path.isabs(name) and inside(folder, name):
            name = os.path.relpath(name, os.path.realpath(folder))
    elif not os.path.isfile(os.path.join(folder, name + ".index")):
        raise FileNotFoundError(f"{folder}: has no TensorFlow checkpoint (a checkpoint file or {name}.index)")
    index = safe_child(folder, name + ".index", state, "model_checkpoint_path")
    prefix = index[: -len(".index")]
    data_files = glob.glob(glob.escape(prefix) + ".data-*")
    for path in data_files:
        if not inside(folder, path):
            raise UnsafePathError(path, None, "is a symbolic link that leads outside its folder")
    if not data_files:
        raise FileNotFoundError(f"{prefix}.data-00000-of-00001: is missing")
    return prefix, sum(os.path.getsize(path) for path in data_files) + os.path.getsize(index)


def read_openai(folder):
    """The checked `CheckpointPlan` of an OpenAI checkpoint folder (tokenizer from encoder.json/vocab.bpe)."""
    import tensorflow as tf

    folder = os.fspath(folder)
    hparams_path = checked_folder_file(folder, "hparams.json")
    if not os.path.isfile(hparams_path):
        raise FileNotFoundError(f"{hparams_path}: is missing")
    hparams = CheckedJSON.read(hparams_path).as_object()
    prefix, available = checkpoint_prefix(folder)
    config = checked_backbone_config(
        backbone_config_from_hparams(hparams), hparams_path, HPARAMS_FIELDS, available, BYTES_PER_STORED_PARAMETER
    )
    # TensorFlow's checkpoint reader is native code that reports damage with whatever
    # exception type its binding chooses (OpError, ValueError, IndexError, ...).
    try:
        reader = tf.train.load_checkpoint(prefix)
        shapes = reader.get_variable_to_shape_map()
    except Exception as error:
        problem = f"is not a readable checkpoint ({_message(error)})"
        raise InvalidCheckpointError(f"{prefix}.index", None, problem) from None

    def read(name):
        try:
            return reader.get_tensor(name)
        except Exception as error:
            raise InvalidCheckpointError(prefix, name, f"cannot be read ({_message(error)})") from None

    tensors = {name: StoredTensor(tuple(shape), lambda name=name: read(name)) for name, shape in shapes.items()}
    tokenizer = checkpoint_tokenizer(
        checked_folder_file(folder, "encoder.json"), checked_folder_file(folder, "vocab.bpe"), config["vocabulary_size"]
    )
    return CheckpointPlan(
        config,
        lambda backbone: openai_weight_table(backbone.num_layers, backbone.num_heads),
        tensors,
        prefix,
        tokenizer=tokenizer,
        description="import-openai",
    )


def _message(error):
    return " ".join(str(getattr(error, "message", error)).split())[:300]


def import_openai(folder):
    """A `GPT2CausalLM` from an OpenAI GPT-2 checkpoint folder (see `read_openai`)."""
    return read_openai(folder).build()
