"""keras-hub GPT-2 preset directories (`config.json` + `model.weights.h5`), both ways.

keras-hub is not needed to read them: the weights file is plain HDF5, checked
(`h5_checks`) and then read with h5py (no code runs). Keras names each layer's group after its class
(`transformer_decoder`, `transformer_decoder_1`, ...); this module's table
maps those groups to our variable paths. Writing one (`export_keras_hub`)
builds keras-hub's own classes, so keras-hub must be installed for that.
"""

import os

import h5py

from keras_gpt2.io.checked_json import CheckedJSON
from keras_gpt2.io.destination import writing_folder
from keras_gpt2.io.h5_checks import check_h5_file
from keras_gpt2.io.loading import CheckpointPlan
from keras_gpt2.io.loading import checked_backbone_config
from keras_gpt2.io.loading import checkpoint_tokenizer
from keras_gpt2.io.paths import checked_folder_file
from keras_gpt2.io.tfjs import TFJS_CONFIG_FIELDS
from keras_gpt2.io.weight_table import StoredTensor
from keras_gpt2.io.weight_table import WeightMapping
from keras_gpt2.io.weight_table import export_with_table
from keras_gpt2.models.plain_backbone import plain_backbone

BYTES_PER_STORED_PARAMETER = 2

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


def read_keras_hub(folder):
    """The checked `CheckpointPlan` of a keras-hub GPT-2 preset folder."""
    folder = os.fspath(folder)
    config_path = checked_folder_file(folder, "config.json")
    weights_path = checked_folder_file(folder, "model.weights.h5")
    for path in (config_path, weights_path):
        if not os.path.isfile(path):
            raise FileNotFoundError(f"{path}: is missing")
    entry = CheckedJSON.read(config_path).as_object()
    if entry.get("class_name", str) != "GPT2Backbone":
        raise entry.error(f"{entry.value['class_name']!r} is not a keras-hub GPT2Backbone", "class_name")
    fields = entry.child("config")
    config = {field: fields.get(field, (int, float)) for field in TFJS_CONFIG_FIELDS}
    config = checked_backbone_config(
        config,
        config_path,
        {field: f"config.{field}" for field in TFJS_CONFIG_FIELDS},
        os.path.getsize(weights_path),
        BYTES_PER_STORED_PARAMETER,
    )
    preprocessor_config = None
    preprocessor_path = checked_folder_file(folder, "preprocessor.json")
    if os.path.isfile(preprocessor_path):
        settings = CheckedJSON.read(preprocessor_path).as_object().child("config", dict, {})
        sequence_length = settings.get("sequence_length", int, None, minimum=1)
        if sequence_length is not None:
            preprocessor_config = {"sequence_length": sequence_length}
    tokenizer_dir = os.path.join(folder, "assets", "tokenizer")
    tokenizer = checkpoint_tokenizer(
        checked_folder_file(tokenizer_dir, "vocabulary.json"),
        checked_folder_file(tokenizer_dir, "merges.txt"),
        config["vocabulary_size"],
    )
    shapes = check_h5_file(weights_path)

    def read(name):
        with h5py.File(weights_path, "r") as weights:
            return weights[name][()]

    names = [mapping.name for mapping in keras_hub_weight_table(config["num_layers"]) if mapping.name in shapes]
    tensors = {name: StoredTensor(shapes[name], lambda name=name: read(name)) for name in names}
    return CheckpointPlan(
        config,
        lambda backbone: keras_hub_weight_table(backbone.num_layers),
        tensors,
        weights_path,
        tokenizer=tokenizer,
        preprocessor_config=preprocessor_config,
        description="import-keras-hub",
    )


def import_keras_hub(folder):
    """A `GPT2CausalLM` from a keras-hub GPT-2 preset folder (see `read_keras_hub`)."""
    return read_keras_hub(folder).build()


def export_keras_hub(model, folder, overwrite=False, sources=()):
    """Writes `model` as a keras-hub preset that `keras_hub.models.GPT2CausalLM.from_preset`
    loads: keras-hub's GPT-2 task, backbone, tokenizer and preprocessor (with our
    `sequence_length`), saved by keras-hub, with our weights written into its weights
    file through the same table `read_keras_hub` uses (LoRA adapters merged).
    `overwrite` and `sources` as in `keras_gpt2.io.destination.writing_folder`.
    """
    try:
        import keras_hub
    except ImportError:
        raise ValueError("export-keras-hub needs keras-hub (pip install keras-hub)") from None
    backbone = plain_backbone(model.backbone)
    if backbone.layer_norm_epsilon != 1e-5:
        raise ValueError(
            f"keras-hub's GPT2Backbone has layer_norm_epsilon 1e-5; this model has {backbone.layer_norm_epsilon}"
        )
    theirs = keras_hub.models.GPT2Backbone(**{field: getattr(backbone, field) for field in TFJS_CONFIG_FIELDS})
    preprocessor = None
    if model.preprocessor is not None:
        ours = model.preprocessor.tokenizer
        tokenizer = keras_hub.models.GPT2Tokenizer(vocabulary=dict(ours.vocabulary), merges=list(ours.merges))
        preprocessor = keras_hub.models.GPT2CausalLMPreprocessor(
            tokenizer, sequence_length=model.preprocessor.sequence_length
        )
    values = export_with_table(backbone, keras_hub_weight_table(backbone.num_layers))
    with writing_folder(folder, sources=sources, overwrite=overwrite) as staging:
        keras_hub.models.GPT2CausalLM(backbone=theirs, preprocessor=preprocessor).save_to_preset(staging)
        weights_path = os.path.join(staging, "model.weights.h5")
        written = set(check_h5_file(weights_path))
        with h5py.File(weights_path, "r+") as weights:
            for name, value in values.items():
                if weights[name].shape != value.shape:
                    raise ValueError(f"keras-hub stores {name} as {weights[name].shape}, ours is {value.shape}")
                weights[name][...] = value.astype(weights[name].dtype)
        if written != set(values):
            raise ValueError(
                f"keras-hub's weights file has tensors our table does not fill: {sorted(written - set(values))[:3]}"
            )
