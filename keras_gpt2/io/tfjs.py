"""TensorFlow.js Layers artifacts (`model.json` + binary shards), written and read here.

The `tensorflowjs` pip package cannot be a dependency (it pins an older
TensorFlow), so this module is the small codec itself. Its output is checked
in the tests against `tensorflowjs.read_weights` and npm `@tensorflow/tfjs`.

Layout of an export folder::

    model.json              format, modelTopology (class names + config), weightsManifest
    group1-shard1ofN.bin    weights, concatenated in manifest order, cut into shards
    vocabulary.json         tokenizer vocabulary (never inside model.json: TF.js
    merges.txt              rewrites config string values to camelCase on load)

Weight names are our variable paths (`token_embedding/embeddings`,
`transformer_layer_0/self_attention/query/kernel`, ...), the same in Python
and in the browser runtime. Quantized weights carry TF.js's `quantization`
entry: `{"dtype": "float16"}`, or affine `{"dtype": "uint8"|"uint16",
"min": m, "scale": s}` with `value = stored * scale + min`; each also carries
`original_dtype`.
"""

import json
import math
import os

import numpy as np

from keras_gpt2.errors import InvalidCheckpointError
from keras_gpt2.generation import samplers
from keras_gpt2.io.checked_json import CheckedJSON
from keras_gpt2.io.destination import writing_folder
from keras_gpt2.io.loading import CheckpointPlan
from keras_gpt2.io.loading import checked_backbone_config
from keras_gpt2.io.loading import read_gpt2_tokenizer
from keras_gpt2.io.paths import safe_child
from keras_gpt2.io.weight_table import StoredTensor
from keras_gpt2.io.weight_table import WeightMapping
from keras_gpt2.io.weight_table import backbone_variables
from keras_gpt2.models.plain_backbone import int8_weights
from keras_gpt2.models.plain_backbone import plain_backbone
from keras_gpt2.models.plain_backbone import quantization_mode
from keras_gpt2.tokenizers.byte_pair_tokenizer import MERGES_FILE
from keras_gpt2.tokenizers.byte_pair_tokenizer import VOCABULARY_FILE
from keras_gpt2.version import __version__

# The config fields TF.js and keras-hub use for GPT-2 (ours adds `layer_norm_epsilon`).
TFJS_CONFIG_FIELDS = (
    "vocabulary_size",
    "num_layers",
    "num_heads",
    "hidden_dim",
    "intermediate_dim",
    "dropout",
    "max_sequence_length",
)

MODEL_JSON = "model.json"
SCALE_SUFFIX = "_scale"  # `<name>_scale`: per-row scales of an int8 weight stored exactly
STORAGE_DTYPES = {"float32": "<f4", "int32": "<i4", "float16": "<f2", "uint8": "u1", "uint16": "<u2"}
QUANTIZATIONS = ("float16", "uint16", "uint8")
MAX_MODEL_JSON_BYTES = 64 * 1024 * 1024
MAX_WEIGHT_ELEMENTS = 2**31 - 1
TOPOLOGY_CLASSES = ("GPT2CausalLM", "GPT2Backbone")
BACKBONE_FIELDS = (*TFJS_CONFIG_FIELDS, "layer_norm_epsilon")
WEIGHT_FIELDS = ("name", "shape", "dtype", "quantization", "group")
QUANTIZATION_FIELDS = ("dtype", "min", "scale", "original_dtype")
BYTES_PER_STORED_PARAMETER = 1  # uint8 quantization


# === Weight codec ===


def quantize(array, dtype, value_range=None):
    """`(stored array, quantization entry or None)` for one float32 weight; `value_range`
    `(low, high)` replaces the array's own min and max (int8 values use (-128, 127): scale 1)."""
    array = np.asarray(array, np.float32)
    if dtype is None:
        return array, None
    if dtype == "float16":
        return array.astype("<f2"), {"dtype": "float16", "original_dtype": "float32"}
    if dtype not in ("uint8", "uint16"):
        raise ValueError(f"Unknown quantization {dtype!r}; choose one of {QUANTIZATIONS}.")
    levels = 255 if dtype == "uint8" else 65535
    low, high = (float(array.min()), float(array.max())) if array.size else (0.0, 0.0)
    if value_range is not None:
        low, high = value_range
    scale = (high - low) / levels if high > low else 1.0
    stored = np.round((array - low) / scale).clip(0, levels).astype(STORAGE_DTYPES[dtype])
    return stored, {"dtype": dtype, "min": low, "scale": scale, "original_dtype": "float32"}


def dequantize(stored, quantization):
    """Float32 values from stored values and their quantization entry (or None)."""
    if quantization is None:
        return stored
    if quantization["dtype"] == "float16":
        return stored.astype(np.float32)
    return (stored.astype(np.float64) * quantization["scale"] + quantization["min"]).astype(np.float32)


def write_artifact(
    directory,
    topology,
    weights,
    quantization=None,
    shard_size_bytes=4 * 1024 * 1024,
    extra_files=None,
    overwrite=False,
    sources=(),
    encodings=None,
):
    """Writes `model.json` and shards for `weights` (`{name: array}`, in order), atomically.

    `extra_files` maps names to a function `write(staging_folder)`, so side
    files (tokenizer, demo page) land in the same swap (see `writing_folder`).
    `encodings` maps some names to `(quantization dtype or None, value range or None)`
    instead of `quantization`.
    """
    if shard_size_bytes < 1:
        raise ValueError("The shard size must be positive.")
    entries, chunks = [], []
    for name, array in weights.items():
        stored, quantization_entry = quantize(array, *(encodings or {}).get(name, (quantization, None)))
        entry = {"name": name, "shape": list(np.shape(array)), "dtype": "float32"}
        if quantization_entry is not None:
            entry["quantization"] = quantization_entry
        entries.append(entry)
        chunks.append(np.ascontiguousarray(stored).tobytes())
    data = b"".join(chunks)
    count = max(1, math.ceil(len(data) / shard_size_bytes))
    paths = [f"group1-shard{i + 1}of{count}.bin" for i in range(count)]
    model_json = {
        "format": "layers-model",
        "generatedBy": f"keras-gpt2 {__version__}",
        "convertedBy": f"keras-gpt2 {__version__}",
        "modelTopology": topology,
        "weightsManifest": [{"paths": paths, "weights": entries}],
    }
    with writing_folder(directory, sources=sources, overwrite=overwrite) as staging:
        for index, path in enumerate(paths):
            with open(os.path.join(staging, path), "wb") as file:
                file.write(data[index * shard_size_bytes : (index + 1) * shard_size_bytes])
        with open(os.path.join(staging, MODEL_JSON), "w", encoding="utf-8") as file:
            json.dump(model_json, file, indent=1)
        for write in (extra_files or {}).values():
            write(staging)
    return model_json


def _quantization(weight):
    """The checked `quantization` entry of a manifest weight (or None)."""
    if not weight.has("quantization") or weight.value["quantization"] is None:
        return None
    quantization = weight.child("quantization")
    for key in quantization.keys():
        if key not in QUANTIZATION_FIELDS:
            raise quantization.error("is not a TF.js quantization field", key)
    dtype = quantization.get("dtype", str)
    if dtype not in QUANTIZATIONS:
        raise quantization.error(f"{dtype!r} is not one of {QUANTIZATIONS}", "dtype")
    entry = {"dtype": dtype}
    if dtype != "float16":
        entry["min"] = quantization.get("min", float)
        entry["scale"] = quantization.get("scale", float)
        if entry["scale"] <= 0:
            raise quantization.error(f"must be positive, got {entry['scale']}", "scale")
    return entry


def _weight_layout(weight):
    """`(name, shape, numpy storage dtype, byte size, quantization)` of one manifest entry, checked."""
    for key in weight.keys():
        if key not in WEIGHT_FIELDS:
            raise weight.error("is not a TF.js weight field", key)
    name = weight.get("name", str)
    shape = tuple(item.value for _, item in weight.child("shape", list).items(int))
    if any(d < 0 for d in shape):
        raise weight.error(f"{list(shape)} has a negative dimension", "shape")
    size = math.prod(shape)
    if size > MAX_WEIGHT_ELEMENTS:
        raise weight.error(f"declares {size:,} elements, more than any GPT-2 needs", "shape")
    dtype = weight.get("dtype", str)
    if dtype not in ("float32", "int32"):
        raise weight.error(f"{dtype!r} is not float32 or int32", "dtype")
    quantization = _quantization(weight)
    storage = np.dtype(STORAGE_DTYPES[quantization["dtype"] if quantization else dtype])
    return name, shape, storage, size * storage.itemsize, quantization


class _Shards:
    """The shards of one manifest group read as one byte stream, a range at a time."""

    def __init__(self, paths):
        self.paths = paths
        self.sizes = [os.path.getsize(path) for path in paths]

    def read(self, offset, nbytes):
        chunks, start = [], 0
        for path, size in zip(self.paths, self.sizes):
            if offset < start + size and offset + nbytes > start and nbytes:
                begin = max(offset - start, 0)
                with open(path, "rb") as file:
                    file.seek(begin)
                    chunks.append(file.read(min(size - begin, offset + nbytes - start - begin)))
            start += size
        return b"".join(chunks)


def read_manifest(model_json_path):
    """`(model.json as CheckedJSON, {name: StoredTensor}, shard bytes)` of a TF.js Layers artifact.

    Every shard path must be a plain name inside the folder and appear once;
    every weight name once; every dtype, shape and quantization parameter is
    checked, and the bytes the manifest declares must equal the bytes the
    shards hold, all before a weight is read. Each weight is read (and
    dequantized) only when its `StoredTensor` is read.
    """
    model_json_path = os.fspath(model_json_path)
    folder = os.path.dirname(os.path.abspath(model_json_path))
    if not os.path.isfile(model_json_path):
        raise FileNotFoundError(f"{model_json_path}: does not exist")
    model_json = CheckedJSON.read(model_json_path, MAX_MODEL_JSON_BYTES).as_object()
    tensors, seen_paths, total = {}, set(), 0
    for g, group in model_json.child("weightsManifest", list).items(dict):
        paths = []
        for p, item in group.child("paths", list).items(str):
            if item.value in seen_paths:
                raise item.error(f"{item.value!r} is listed twice")
            seen_paths.add(item.value)
            paths.append(safe_child(folder, item.value, model_json_path, item.field))
        layouts = [_weight_layout(weight) for _, weight in group.child("weights", list).items(dict)]
        shards = _Shards(paths)
        declared, available = sum(layout[3] for layout in layouts), sum(shards.sizes)
        if available != declared:
            raise group.error(
                f"the shards hold {available:,} bytes but the manifest declares {declared:,}: "
                "a shard is truncated or the manifest is wrong"
            )
        total += available
        offset = 0
        for name, shape, storage, nbytes, quantization in layouts:
            if name in tensors:
                raise group.error(f"weight {name!r} is listed twice", "weights")

            def read(
                shards=shards, offset=offset, nbytes=nbytes, storage=storage, shape=shape, quantization=quantization
            ):
                stored = np.frombuffer(shards.read(offset, nbytes), dtype=storage).reshape(shape)
                return dequantize(stored, quantization)

            tensors[name] = StoredTensor(shape, read)
            offset += nbytes
    return model_json, tensors, total


def read_artifact(model_json_path):
    """`(model_json, {name: float32 array})` of a TF.js Layers artifact, every weight read (see `read_manifest`)."""
    model_json, tensors, _ = read_manifest(model_json_path)
    return model_json.value, {name: tensor.read() for name, tensor in tensors.items()}


# === GPT-2 export and import ===


def tfjs_weight_table(backbone):
    """Our names are the TF.js names: the identity table over the backbone's variables."""
    return [WeightMapping(path, (path,)) for path in backbone_variables(backbone)]


def model_topology(model):
    """The `modelTopology` of a `GPT2CausalLM`: class names and TF.js config fields only."""
    backbone = model.backbone
    topology = {
        "class_name": "GPT2CausalLM",
        "config": {
            "backbone": {
                "class_name": "GPT2Backbone",
                "config": {field: getattr(backbone, field) for field in BACKBONE_FIELDS},
            },
        },
        "keras_version": f"keras-gpt2 {__version__}",
        "backend": "tensorflow.js",
    }
    # The sampler `generate` uses by default, so that the browser's default is Python's.
    topology["config"]["sampler"] = samplers.serialize(model.sampler)
    preprocessor = model.preprocessor
    if preprocessor is not None:
        tokenizer = preprocessor.tokenizer
        topology["config"]["preprocessor"] = {
            "class_name": "GPT2CausalLMPreprocessor",
            "config": {
                "sequence_length": preprocessor.sequence_length,
                "add_start_token": preprocessor.add_start_token,
                "add_end_token": preprocessor.add_end_token,
                "tokenizer": {
                    "class_name": "GPT2Tokenizer",
                    "config": {
                        "vocabulary": VOCABULARY_FILE,
                        "merges": MERGES_FILE,
                        "add_prefix_space": tokenizer.add_prefix_space,
                        "special_tokens_in_strings": tokenizer.special_tokens_in_strings,
                        "pad_value": tokenizer.pad_value,
                    },
                },
            },
        }
    return topology


def export_tfjs(model, directory, quantization=None, shard_size_mb=4.0, with_demo=False, overwrite=False, sources=()):
    """Writes `model` (a `GPT2CausalLM`) as a TF.js Layers artifact in `directory`.

    `with_demo` adds the browser demo page and runtime in the same swap;
    `overwrite` and `sources` as in `keras_gpt2.io.destination.writing_folder`.
    From an int8 model (`quantize("int8")`), `quantization="uint8"` stores its int8
    values exactly (uint8 with min -128, scale 1) and their float scales beside them
    as `<name>_scale` (broadcastable to the weight; loaders divide), and the weights
    int8 keeps in float (biases, norms, positions) in float32: the browser gets the
    very weights of the int8 model. Other quantizations dequantize first.
    """
    if quantization is not None and quantization not in QUANTIZATIONS:
        raise ValueError(f"Unknown quantization {quantization!r}; choose one of {QUANTIZATIONS}.")
    backbone = plain_backbone(model.backbone)  # LoRA merged, int8 dequantized
    weights = {path: np.asarray(v.numpy(), np.float32) for path, v in backbone_variables(backbone).items()}
    encodings = {}
    if quantization == "uint8" and quantization_mode(model.backbone) == "int8":
        encodings = {path: (None, None) for path in weights}  # what int8 keeps in float stays float
        for path, (values, scale) in int8_weights(model.backbone).items():
            weights[path] = values.astype(np.float32)
            weights[path + SCALE_SUFFIX] = scale
            encodings[path] = ("uint8", (-128.0, 127.0))
            encodings[path + SCALE_SUFFIX] = (None, None)
    extra = {}
    if model.preprocessor is not None:
        extra["tokenizer"] = model.preprocessor.tokenizer.save_assets
    if with_demo:
        from keras_gpt2.js import write_demo

        extra["demo"] = write_demo
    return write_artifact(
        directory,
        model_topology(model),
        weights,
        quantization=quantization,
        shard_size_bytes=int(shard_size_mb * 1024 * 1024),
        extra_files=extra,
        overwrite=overwrite,
        sources=sources,
        encodings=encodings,
    )


def fold_row_scales(tensors, where):
    """`tensors` with each `<name>_scale` divided into `<name>` (see `export_tfjs`); a scale must
    broadcast to its weight's shape, checked before anything is read."""
    folded = dict(tensors)
    for name in [name for name in tensors if name.endswith(SCALE_SUFFIX)]:
        base = name[: -len(SCALE_SUFFIX)]
        if base not in tensors:
            continue
        weight, scale = folded.pop(base), folded.pop(name)
        if len(scale.shape) != len(weight.shape) or any(s not in (1, w) for s, w in zip(scale.shape, weight.shape)):
            raise InvalidCheckpointError(
                where, name, f"shape {scale.shape} does not broadcast to {base}'s {weight.shape}"
            )
        folded[base] = StoredTensor(weight.shape, lambda weight=weight, scale=scale: weight.read() / scale.read())
    return folded


def _preprocessor_settings(preprocessor, folder, where, vocabulary_size):
    """`(tokenizer, preprocessor config)` from a checked `preprocessor` topology entry."""
    if preprocessor.get("class_name", str) != "GPT2CausalLMPreprocessor":
        raise preprocessor.error("must be GPT2CausalLMPreprocessor", "class_name")
    settings = preprocessor.child("config")
    tokenizer_entry = settings.child("tokenizer")
    if tokenizer_entry.get("class_name", str) != "GPT2Tokenizer":
        raise tokenizer_entry.error("must be GPT2Tokenizer", "class_name")
    tokenizer_settings = tokenizer_entry.child("config")
    files = {}
    for key, default in (("vocabulary", VOCABULARY_FILE), ("merges", MERGES_FILE)):
        name = tokenizer_settings.get(key, str, default)
        files[key] = safe_child(folder, name, where, f"{tokenizer_settings.field}.{key}")
    tokenizer = read_gpt2_tokenizer(
        files["vocabulary"],
        files["merges"],
        vocabulary_size,
        add_prefix_space=tokenizer_settings.get("add_prefix_space", bool, False),
        special_tokens_in_strings=tokenizer_settings.get("special_tokens_in_strings", bool, False),
        pad_value=tokenizer_settings.get("pad_value", int, 0),
    )
    config = {}
    for key, kind, minimum in (
        ("sequence_length", int, 1),
        ("add_start_token", bool, None),
        ("add_end_token", bool, None),
    ):
        if settings.has(key):
            config[key] = settings.get(key, kind, minimum=minimum)
    return tokenizer, config


def read_tfjs(model_json_path):
    """The checked `CheckpointPlan` of a TF.js artifact (ours, or the tensorflowjs writer's with our names)."""
    model_json_path = os.fspath(model_json_path)
    model_json, tensors, available = read_manifest(model_json_path)
    topology = model_json.child("modelTopology")
    class_name = topology.get("class_name", str)
    if class_name not in TOPOLOGY_CLASSES:
        raise topology.error(f"{class_name!r} is not one of {TOPOLOGY_CLASSES}", "class_name")
    config = topology.child("config")
    backbone = config.child("backbone").child("config") if class_name == "GPT2CausalLM" else config
    backbone_config = {field: backbone.get(field, (int, float)) for field in TFJS_CONFIG_FIELDS}
    if backbone.has("layer_norm_epsilon"):
        backbone_config["layer_norm_epsilon"] = backbone.get("layer_norm_epsilon", float)
    backbone_config = checked_backbone_config(
        backbone_config,
        model_json_path,
        {field: f"{backbone.field}.{field}" for field in BACKBONE_FIELDS},
        available,
        BYTES_PER_STORED_PARAMETER,
    )
    tokenizer, preprocessor_config = None, None
    if config.has("preprocessor") and class_name == "GPT2CausalLM":
        folder = os.path.dirname(os.path.abspath(model_json_path))
        tokenizer, preprocessor_config = _preprocessor_settings(
            config.child("preprocessor"), folder, model_json_path, backbone_config["vocabulary_size"]
        )
    return CheckpointPlan(
        backbone_config,
        tfjs_weight_table,
        fold_row_scales(tensors, model_json_path),
        model_json_path,
        tokenizer=tokenizer,
        preprocessor_config=preprocessor_config,
        description="import-tfjs",
    )


def import_tfjs(model_json_path):
    """A `GPT2CausalLM` from a TF.js artifact (see `read_tfjs`)."""
    return read_tfjs(model_json_path).build()
