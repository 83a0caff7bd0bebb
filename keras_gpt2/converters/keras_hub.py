"""keras-hub GPT-2 preset directories (`config.json` + `model.weights.h5`).

keras-hub is not needed to read them: the weights file is plain HDF5, read
with h5py (no code runs). Keras names each layer's group after its class
(`transformer_decoder`, `transformer_decoder_1`, ...); this module's table
maps those groups to our variable paths.
"""

import json
import os

from keras_gpt2.converters.loading import build_causal_lm
from keras_gpt2.converters.loading import gpt2_tokenizer_from_files
from keras_gpt2.converters.weight_table import WeightMapping
from keras_gpt2.models.gpt2_backbone import TFJS_CONFIG_FIELDS

DECODER_VARIABLES = {
    "_self_attention_layer_norm/vars/0": "self_attention_layer_norm/gamma",
    "_self_attention_layer_norm/vars/1": "self_attention_layer_norm/beta",
    "_self_attention_layer/query_dense/vars/0": "self_attention/query/kernel",
    "_self_attention_layer/query_dense/vars/1": "self_attention/query/bias",
    "_self_attention_layer/key_dense/vars/0": "self_attention/key/kernel",
    "_self_attention_layer/key_dense/vars/1": "self_attention/key/bias",
    "_self_attention_layer/value_dense/vars/0": "self_attention/value/kernel",
    "_self_attention_layer/value_dense/vars/1": "self_attention/value/bias",
    "_self_attention_layer/output_dense/vars/0": "self_attention/attention_output/kernel",
    "_self_attention_layer/output_dense/vars/1": "self_attention/attention_output/bias",
    "_feedforward_layer_norm/vars/0": "feedforward_layer_norm/gamma",
    "_feedforward_layer_norm/vars/1": "feedforward_layer_norm/beta",
    "_feedforward_intermediate_dense/vars/0": "feedforward_intermediate_dense/kernel",
    "_feedforward_intermediate_dense/vars/1": "feedforward_intermediate_dense/bias",
    "_feedforward_output_dense/vars/0": "feedforward_output_dense/kernel",
    "_feedforward_output_dense/vars/1": "feedforward_output_dense/bias",
}


def keras_hub_weight_table(num_layers):
    """keras-hub HDF5 dataset paths <-> our variable paths (layouts are identical)."""
    table = [
        WeightMapping("layers/reversible_embedding/vars/0", ("token_embedding/embeddings",)),
        WeightMapping("layers/position_embedding/vars/0", ("position_embedding/embeddings",)),
        WeightMapping("layers/layer_normalization/vars/0", ("layer_norm/gamma",)),
        WeightMapping("layers/layer_normalization/vars/1", ("layer_norm/beta",)),
    ]
    for i in range(num_layers):
        group = "layers/transformer_decoder" + (f"_{i}" if i else "")
        table += [
            WeightMapping(f"{group}/{theirs}", (f"transformer_layer_{i}/{ours}",))
            for theirs, ours in DECODER_VARIABLES.items()
        ]
    return table


def import_keras_hub(folder):
    """A `GPT2CausalLM` from a keras-hub GPT-2 preset folder."""
    import h5py

    config_path = os.path.join(folder, "config.json")
    weights_path = os.path.join(folder, "model.weights.h5")
    for path in (config_path, weights_path):
        if not os.path.isfile(path):
            raise FileNotFoundError(f"{folder} has no {os.path.basename(path)}.")
    with open(config_path, encoding="utf-8") as file:
        entry = json.load(file)
    if entry.get("class_name") != "GPT2Backbone":
        raise ValueError(f"{config_path} describes a {entry.get('class_name')!r}, not a keras-hub GPT2Backbone.")
    config = {field: entry["config"][field] for field in TFJS_CONFIG_FIELDS}
    tokenizer_dir = os.path.join(folder, "assets", "tokenizer")
    tokenizer = gpt2_tokenizer_from_files(
        os.path.join(tokenizer_dir, "vocabulary.json"),
        os.path.join(tokenizer_dir, "merges.txt"),
        config["vocabulary_size"],
    )
    with h5py.File(weights_path, "r") as weights:

        def read_tensor(name):
            dataset = weights.get(name)
            if not isinstance(dataset, h5py.Dataset):
                raise KeyError(name)
            return dataset[()]

        return build_causal_lm(
            config,
            lambda backbone: keras_hub_weight_table(backbone.num_layers),
            read_tensor,
            tokenizer=tokenizer,
            description="import-keras-hub",
        )
