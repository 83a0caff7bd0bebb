"""Preset folders (KerasHub layout): save and load backbone, tokenizer, preprocessor, task.

A preset is a plain folder:

    config.json              backbone class and config
    model.weights.h5         backbone weights (HDF5; loading runs no code), or
    model.weights.json       above `max_shard_size`: Keras's shard index, naming
    model_0000N.weights.h5   the shards (one HDF5 file each), as keras-hub writes
    tokenizer.json           tokenizer class and config
    assets/tokenizer/        vocabulary.json, merges.txt
    preprocessor.json        preprocessor class and config (without tokenizer)
    task.json                task class and config (without backbone/preprocessor)
    metadata.json            keras-gpt2 version and parameter count

Loading builds only the classes in `ALLOWED_CLASSES`, found by their
registered Keras name, and every config field is type-checked against that
class's schema before the class sees it: a preset cannot make us import or
run anything else. The weights files are checked (`h5_checks`; a shard index
may only name plain `model_0000N.weights.h5` files beside it) and measured
against the config before a variable is made.
"""

import importlib
import json
import math
import os
import re

import keras

from keras_gpt2.errors import InvalidCheckpointError
from keras_gpt2.io.checked_json import CheckedJSON
from keras_gpt2.io.destination import writing_folder
from keras_gpt2.io.h5_checks import check_h5_file
from keras_gpt2.io.hub import resolve_preset
from keras_gpt2.io.loading import checked_backbone_config
from keras_gpt2.io.loading import fill_tokenizer
from keras_gpt2.io.paths import checked_folder_file
from keras_gpt2.io.paths import safe_child
from keras_gpt2.models.lora import lora_layers
from keras_gpt2.models.plain_backbone import SCHEMES
from keras_gpt2.models.plain_backbone import plain_backbone
from keras_gpt2.models.plain_backbone import quantization_config
from keras_gpt2.models.plain_backbone import quantization_mode
from keras_gpt2.utils.deferred_weights import build_then_load
from keras_gpt2.version import __version__

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.weights.h5"
SHARDED_WEIGHTS_FILE = "model.weights.json"
SHARD_NAME = re.compile(r"model_[0-9]{5}\.weights\.h5")
TOKENIZER_FILE = "tokenizer.json"
TOKENIZER_ASSETS_DIR = os.path.join("assets", "tokenizer")
PREPROCESSOR_FILE = "preprocessor.json"
TASK_FILE = "task.json"
METADATA_FILE = "metadata.json"

# Class name -> the module that registers it with Keras (`keras_gpt2>Name`).
ALLOWED_CLASSES = {
    "GPT2Backbone": "keras_gpt2.models.gpt2_backbone",
    "GPT2CausalLM": "keras_gpt2.models.gpt2_causal_lm",
    "GPT2Preprocessor": "keras_gpt2.preprocessing.gpt2_preprocessor",
    "GPT2CausalLMPreprocessor": "keras_gpt2.preprocessing.gpt2_causal_lm_preprocessor",
    "GPT2Tokenizer": "keras_gpt2.tokenizers.gpt2_tokenizer",
}
# The config fields each class may have in a preset, with their JSON types.
LAYER_FIELDS = {"name": str, "trainable": bool, "dtype": (str, dict)}
PREPROCESSOR_FIELDS = {**LAYER_FIELDS, "sequence_length": int, "add_start_token": bool, "add_end_token": bool}
CONFIG_SCHEMAS = {
    "GPT2Backbone": {
        **LAYER_FIELDS,
        "vocabulary_size": int,
        "num_layers": int,
        "num_heads": int,
        "hidden_dim": int,
        "intermediate_dim": int,
        "dropout": float,
        "max_sequence_length": int,
        "layer_norm_epsilon": float,
    },
    "GPT2Tokenizer": {
        **LAYER_FIELDS,
        "sequence_length": (int, type(None)),
        "add_prefix_space": bool,
        "pad_value": int,
        "special_tokens_in_strings": bool,
    },
    "GPT2Preprocessor": PREPROCESSOR_FIELDS,
    "GPT2CausalLMPreprocessor": PREPROCESSOR_FIELDS,
    "GPT2CausalLM": {"sampler": (str, dict)},
}
FIELD_MINIMUMS = {"sequence_length": 1, "pad_value": 0}
DTYPE_POLICY_CLASSES = ("DTypePolicy", "FloatDTypePolicy", "QuantizedDTypePolicy", "QuantizedFloat8DTypePolicy")
BYTES_PER_STORED_PARAMETER = 2  # the smallest a preset stores (float16/bfloat16)


def registered_class(name):
    """The Keras-registered keras-gpt2 class `name`, which must be in `ALLOWED_CLASSES`."""
    importlib.import_module(ALLOWED_CLASSES[name])
    return keras.saving.get_registered_object(f"keras_gpt2>{name}")


def _write_json(path, value):
    with open(path, "w", encoding="utf-8") as file:
        json.dump(value, file, indent=2)
        file.write("\n")


def _class_entry(obj, config):
    return {"class_name": type(obj).__name__, "config": config}


def _entry(preset, filename, expected):
    """`(class name, checked config dict, path, the file's checked top level)` of one preset JSON file."""
    if not os.path.isdir(os.fspath(preset)):
        raise FileNotFoundError(f"{preset}: is not a preset folder")
    path = checked_folder_file(preset, filename)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: is missing")
    entry = CheckedJSON.read(path).as_object()
    name = entry.get("class_name", str)
    if name not in expected:
        raise entry.error(f"{name!r} is not one of {sorted(expected)}", "class_name")
    config = entry.child("config", dict, {})
    schema = CONFIG_SCHEMAS[name]
    for key in config.keys():
        if key not in schema:
            raise config.error("is not a field of " + name, key)
        config.get(key, schema[key], None, minimum=FIELD_MINIMUMS.get(key))
    values = dict(config.value)
    if isinstance(values.get("dtype"), dict):
        values["dtype"] = _dtype_policy(config.child("dtype"))
    return name, values, path, entry


def _dtype_policy(field):
    """A Keras dtype policy from its serialized form, built by us (no deserialization of classes)."""
    name = field.get("class_name", str)
    if name not in DTYPE_POLICY_CLASSES:
        raise field.error(f"{name!r} is not a Keras dtype policy", "class_name")
    policy = field.child("config").get("name", str)
    try:
        return keras.dtype_policies.get(policy)
    except ValueError:
        raise field.error(f"{policy!r} is not a dtype policy name", "config.name") from None


def _construct(name, config, path):
    """`from_config` of a checked config; a refusal by the class names the file."""
    try:
        return registered_class(name).from_config(config)
    except InvalidCheckpointError:
        raise
    except (TypeError, ValueError) as error:
        raise InvalidCheckpointError(path, "config", str(error)) from None


def has_file(preset, filename):
    return os.path.isfile(os.path.join(os.fspath(preset), filename))


def save_preset(
    preset, backbone, tokenizer=None, preprocessor=None, task=None, overwrite=False, sources=(), max_shard_size=None
):
    """Writes a preset folder (staged beside it, then swapped in; see `writing_folder`).

    Weights larger than `max_shard_size` (GB, as Keras and keras-hub count it:
    2**30 bytes) are cut into several HDF5 files listed in `model.weights.json`.
    LoRA adapters are folded into the kernels: a preset is a plain model (keep the
    adapters alone with `save_lora_weights`). int8 weights (`quantize("int8")`) are
    kept as they are, and `config.json` names the scheme (`"quantization": "int8"`).
    """
    if lora_layers(backbone):
        backbone = plain_backbone(backbone)
    quantization = quantization_mode(backbone)
    if max_shard_size is not None and not max_shard_size > 0:
        raise ValueError(f"max_shard_size must be a positive number of GB, got {max_shard_size}")
    sizes = {v.path: math.prod(v.shape) * _bytes_per_element(v.dtype) for v in _stored_variables(backbone)}
    sharded = max_shard_size is not None and sum(sizes.values()) > max_shard_size * 1024**3
    largest = max(sizes, key=sizes.get)
    if sharded and sizes[largest] > max_shard_size * 1024**3:
        raise ValueError(
            f"max_shard_size {max_shard_size} GB is smaller than the weight {largest} ({sizes[largest]:,} bytes), "
            "which cannot be split across shards"
        )
    with writing_folder(preset, sources=sources, overwrite=overwrite) as staging:
        entry = _class_entry(backbone, backbone.get_config())
        if quantization:
            entry["quantization"] = quantization
        _write_json(os.path.join(staging, CONFIG_FILE), entry)
        if sharded:
            backbone.save_weights(os.path.join(staging, SHARDED_WEIGHTS_FILE), max_shard_size=max_shard_size)
        else:
            backbone.save_weights(os.path.join(staging, WEIGHTS_FILE))
        if preprocessor is not None:
            tokenizer = preprocessor.tokenizer
            config = preprocessor.get_config()
            del config["tokenizer"]
            _write_json(os.path.join(staging, PREPROCESSOR_FILE), _class_entry(preprocessor, config))
        if tokenizer is not None:
            assets = os.path.join(staging, TOKENIZER_ASSETS_DIR)
            os.makedirs(assets)
            tokenizer.save_assets(assets)
            _write_json(os.path.join(staging, TOKENIZER_FILE), _class_entry(tokenizer, tokenizer.get_config()))
        if task is not None:
            _write_json(os.path.join(staging, TASK_FILE), _class_entry(task, task.get_task_config()))
        _write_json(
            os.path.join(staging, METADATA_FILE),
            {"keras_gpt2_version": __version__, "parameter_count": backbone.count_params()},
        )


def _bytes_per_element(dtype):
    """4 for "float32", 2 for "bfloat16", 1 for "int8" and "float8_e4m3fn"."""
    return int(re.search(r"[0-9]+", keras.backend.standardize_dtype(dtype)).group()) // 8


def _stored_variables(backbone):
    """The variables `save_weights` writes (a dropout seed is not one of them)."""
    return [variable for variable in backbone.weights if "seed_generator" not in variable.path]


def weight_files(preset):
    """`(path to pass to load_weights, [HDF5 files])` of a preset: `model.weights.h5`, or the
    shards that `model.weights.json` lists, each a plain `model_0000N.weights.h5` beside it."""
    index_path = checked_folder_file(preset, SHARDED_WEIGHTS_FILE)
    if not os.path.isfile(index_path):
        weights_path = checked_folder_file(preset, WEIGHTS_FILE)
        if not os.path.isfile(weights_path):
            raise FileNotFoundError(f"{weights_path}: is missing")
        return weights_path, [weights_path]
    weight_map = CheckedJSON.read(index_path).as_object().child("weight_map")
    shards = {}
    for key in weight_map.keys():
        entry = weight_map.get(key, (str, list))
        names = (
            [entry] if isinstance(entry, str) else [item.value for _, item in weight_map.child(key, list).items(str)]
        )
        for name in names:
            if not SHARD_NAME.fullmatch(name):
                raise InvalidCheckpointError(
                    index_path, f"weight_map.{key}", f"{name!r} is not a shard name (model_0000N.weights.h5)"
                )
            shards[name] = safe_child(preset, name, index_path, f"weight_map.{key}")
    if not shards:
        raise InvalidCheckpointError(index_path, "weight_map", "lists no shards")
    return index_path, [shards[name] for name in sorted(shards)]


def load_backbone(preset, load_weights=True, **overrides):
    """The backbone of a preset, with its weights unless `load_weights=False`."""
    preset = resolve_preset(preset)
    name, config, config_path, entry = _entry(preset, CONFIG_FILE, ("GPT2Backbone",))
    config.update(overrides)
    quantization = entry.get("quantization", str, None)
    if quantization not in (None, *SCHEMES):
        raise InvalidCheckpointError(config_path, "quantization", f"{quantization!r} is not one of {SCHEMES}")
    available = None
    if load_weights:
        weights_path, files = weight_files(preset)
        available = sum(os.path.getsize(path) for path in files)
    fields = {key: f"config.{key}" for key in CONFIG_SCHEMAS[name]}
    stored_bytes = 1 if quantization else BYTES_PER_STORED_PARAMETER
    config.update(checked_backbone_config(config, config_path, fields, available, stored_bytes))

    def build():
        backbone = _construct(name, config, config_path)
        if quantization:
            backbone.quantize("int8", config=quantization_config(quantization))
        return backbone

    if not load_weights:
        return build()
    stored_shapes = {(path, key): shape for path in files for key, shape in check_h5_file(path).items()}

    def load(backbone):
        # Keras skips groups it cannot match and keeps random weights there; refuse instead.
        needed = sorted(tuple(variable.shape) for variable in backbone.weights)
        if sorted(stored_shapes.values()) != needed:
            raise InvalidCheckpointError(
                weights_path,
                None,
                f"does not fit {CONFIG_FILE}: its {len(stored_shapes)} tensors do not have the shapes of "
                f"the model's {len(needed)} weights",
            )
        try:
            backbone.load_weights(weights_path)
        except (ValueError, KeyError, OSError, TypeError) as error:
            raise InvalidCheckpointError(weights_path, None, f"does not fit {CONFIG_FILE} ({error})") from None

    if quantization:  # int8 variables are made from float ones: no deferred build
        backbone = build()
        load(backbone)
        return backbone
    return build_then_load(build, load)


def load_tokenizer(preset, vocabulary_size=None, **overrides):
    """The tokenizer of a preset, vocabulary and merges included (with `vocabulary_size` tokens, when given)."""
    preset = resolve_preset(preset)
    name, config, path, _ = _entry(preset, TOKENIZER_FILE, ("GPT2Tokenizer",))
    config.update(overrides)
    assets = os.path.join(os.fspath(preset), TOKENIZER_ASSETS_DIR)
    vocabulary = checked_folder_file(assets, "vocabulary.json")
    merges = checked_folder_file(assets, "merges.txt")
    return fill_tokenizer(_construct(name, config, path), vocabulary, merges, vocabulary_size)


def load_preprocessor(preset, vocabulary_size=None, **overrides):
    """The preprocessor of a preset with its tokenizer (see `load_tokenizer`)."""
    preset = resolve_preset(preset)
    name, config, path, _ = _entry(preset, PREPROCESSOR_FILE, ("GPT2Preprocessor", "GPT2CausalLMPreprocessor"))
    config.update(overrides)
    config["tokenizer"] = load_tokenizer(preset, vocabulary_size)
    return _construct(name, config, path)


def load_task(preset, load_weights=True, dtype=None, **overrides):
    """The task of a preset (backbone, and preprocessor when the preset has one).

    `dtype` (a dtype policy such as "bfloat16") applies to the backbone. `preset` may
    also name a Hub checkpoint (`hf://org/name`, keras-hub's names; see `keras_gpt2.io.hub`).
    """
    preset = resolve_preset(preset)
    if has_file(preset, TASK_FILE):
        name, config, path, _ = _entry(preset, TASK_FILE, ("GPT2CausalLM",))
    else:
        name, config, path = "GPT2CausalLM", {}, os.path.join(os.fspath(preset), TASK_FILE)
    backbone_overrides = {} if dtype is None else {"dtype": dtype}
    backbone = load_backbone(preset, load_weights=load_weights, **backbone_overrides)
    preprocessor = load_preprocessor(preset, backbone.vocabulary_size) if has_file(preset, PREPROCESSOR_FILE) else None
    config.update(overrides)
    return _construct(name, {**config, "backbone": backbone, "preprocessor": preprocessor}, path)
