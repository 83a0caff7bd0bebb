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

from keras_gpt2.converters.loading import build_causal_lm
from keras_gpt2.converters.weight_table import WeightMapping
from keras_gpt2.converters.weight_table import backbone_variables
from keras_gpt2.models.gpt2_backbone import TFJS_CONFIG_FIELDS
from keras_gpt2.tokenizers.byte_pair_tokenizer import MERGES_FILE
from keras_gpt2.tokenizers.byte_pair_tokenizer import VOCABULARY_FILE
from keras_gpt2.utils.atomic import atomic_directory
from keras_gpt2.version import __version__

MODEL_JSON = "model.json"
STORAGE_DTYPES = {"float32": "<f4", "int32": "<i4", "float16": "<f2", "uint8": "u1", "uint16": "<u2"}
QUANTIZATIONS = ("float16", "uint16", "uint8")
MAX_MODEL_JSON_BYTES = 64 * 1024 * 1024
MAX_WEIGHT_ELEMENTS = 2**31 - 1
TOPOLOGY_CLASSES = ("GPT2CausalLM", "GPT2Backbone")
BACKBONE_FIELDS = (*TFJS_CONFIG_FIELDS, "layer_norm_epsilon")


# === Weight codec ===


def quantize(array, dtype):
    """`(stored array, quantization entry or None)` for one float32 weight."""
    array = np.asarray(array, np.float32)
    if dtype is None:
        return array, None
    if dtype == "float16":
        return array.astype("<f2"), {"dtype": "float16", "original_dtype": "float32"}
    if dtype not in ("uint8", "uint16"):
        raise ValueError(f"Unknown quantization {dtype!r}; choose one of {QUANTIZATIONS}.")
    levels = 255 if dtype == "uint8" else 65535
    low, high = (float(array.min()), float(array.max())) if array.size else (0.0, 0.0)
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


def write_artifact(directory, topology, weights, quantization=None, shard_size_bytes=4 * 1024 * 1024, extra_files=None):
    """Writes `model.json` and shards for `weights` (`{name: array}`, in order), atomically.

    `extra_files` maps file names to a function `write(path)` run inside the
    staging folder, so side files land in the same atomic rename.
    """
    if shard_size_bytes < 1:
        raise ValueError("The shard size must be positive.")
    entries, chunks = [], []
    for name, array in weights.items():
        stored, quantization_entry = quantize(array, quantization)
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
    with atomic_directory(directory) as staging:
        for index, path in enumerate(paths):
            with open(os.path.join(staging, path), "wb") as file:
                file.write(data[index * shard_size_bytes : (index + 1) * shard_size_bytes])
        with open(os.path.join(staging, MODEL_JSON), "w", encoding="utf-8") as file:
            json.dump(model_json, file, indent=1)
        for write in (extra_files or {}).values():
            write(staging)
    return model_json


def _safe_path(folder, relative):
    """`folder/relative`, refusing anything that could point outside `folder`."""
    if not isinstance(relative, str) or not relative or os.path.isabs(relative) or "\\" in relative:
        raise ValueError(f"Manifest path {relative!r} must be a plain relative path.")
    if ".." in relative.split("/"):
        raise ValueError(f"Manifest path {relative!r} may not contain '..'.")
    path = os.path.join(folder, relative)
    real_folder = os.path.realpath(folder)
    if os.path.commonpath([os.path.realpath(path), real_folder]) != real_folder:
        raise ValueError(f"Manifest path {relative!r} leads outside {folder} (a symbolic link?).")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"Weight shard {relative!r} is missing from {folder}.")
    return path


def _entry_layout(entry):
    """`(name, shape, numpy storage dtype, byte size)` of one manifest entry, validated."""
    name = entry.get("name")
    shape = entry.get("shape")
    if not isinstance(name, str) or not isinstance(shape, list):
        raise ValueError(f"Manifest entry {entry!r} needs a string name and a shape list.")
    if any(not isinstance(d, int) or isinstance(d, bool) or d < 0 for d in shape):
        raise ValueError(f"Weight {name!r} has an invalid shape {shape}.")
    size = math.prod(shape)
    if size > MAX_WEIGHT_ELEMENTS:
        raise ValueError(f"Weight {name!r} declares {size:,} elements, more than any GPT-2 needs.")
    quantization = entry.get("quantization")
    dtype = quantization.get("dtype") if isinstance(quantization, dict) else entry.get("dtype")
    if dtype not in STORAGE_DTYPES:
        raise ValueError(f"Weight {name!r} has unknown dtype {dtype!r}.")
    if isinstance(quantization, dict) and dtype in ("uint8", "uint16"):
        if not all(isinstance(quantization.get(k), (int, float)) for k in ("min", "scale")):
            raise ValueError(f"Weight {name!r} is {dtype}-quantized but lacks numeric min/scale.")
    storage = np.dtype(STORAGE_DTYPES[dtype])
    return name, tuple(shape), storage, size * storage.itemsize


def read_artifact(model_json_path):
    """`(model_json, {name: float32 array})` from a TF.js Layers artifact.

    Every path, dtype and size is checked before a weight is allocated: a
    manifest cannot read outside its folder or make us allocate more than the
    shards hold.
    """
    folder = os.path.dirname(os.path.abspath(model_json_path))
    if not os.path.isfile(model_json_path):
        raise FileNotFoundError(f"{model_json_path} does not exist.")
    if os.path.getsize(model_json_path) > MAX_MODEL_JSON_BYTES:
        raise ValueError(f"{model_json_path} is larger than {MAX_MODEL_JSON_BYTES // 2**20} MiB.")
    with open(model_json_path, encoding="utf-8") as file:
        try:
            model_json = json.load(file)
        except json.JSONDecodeError as error:
            raise ValueError(f"{model_json_path} is not valid JSON: {error}") from None
    manifest = model_json.get("weightsManifest") if isinstance(model_json, dict) else None
    if not isinstance(manifest, list):
        raise ValueError(f"{model_json_path} has no weightsManifest list.")
    weights = {}
    for group in manifest:
        paths = [_safe_path(folder, p) for p in group.get("paths", [])]
        layouts = [_entry_layout(entry) for entry in group.get("weights", [])]
        declared = sum(layout[3] for layout in layouts)
        available = sum(os.path.getsize(p) for p in paths)
        if available != declared:
            raise ValueError(
                f"The shards of {model_json_path} hold {available:,} bytes but the manifest "
                f"declares {declared:,}: a shard is truncated or the manifest is wrong."
            )
        data = bytearray()
        for path in paths:
            with open(path, "rb") as file:
                data += file.read()
        offset = 0
        for entry, (name, shape, storage, nbytes) in zip(group["weights"], layouts):
            stored = np.frombuffer(bytes(data[offset : offset + nbytes]), dtype=storage).reshape(shape)
            weights[name] = dequantize(stored, entry.get("quantization"))
            offset += nbytes
    return model_json, weights


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


def export_tfjs(model, directory, quantization=None, shard_size_mb=4.0):
    """Writes `model` (a `GPT2CausalLM`) as a TF.js Layers artifact in `directory`, atomically."""
    if quantization is not None and quantization not in QUANTIZATIONS:
        raise ValueError(f"Unknown quantization {quantization!r}; choose one of {QUANTIZATIONS}.")
    backbone = model.backbone
    weights = {path: np.asarray(v.numpy(), np.float32) for path, v in backbone_variables(backbone).items()}
    extra = {}
    if model.preprocessor is not None:
        extra["tokenizer"] = model.preprocessor.tokenizer.save_assets
    return write_artifact(
        directory,
        model_topology(model),
        weights,
        quantization=quantization,
        shard_size_bytes=int(shard_size_mb * 1024 * 1024),
        extra_files=extra,
    )


def import_tfjs(model_json_path):
    """A `GPT2CausalLM` from a TF.js artifact (ours, or the tensorflowjs writer's with our names)."""
    from keras_gpt2.tokenizers.gpt2_tokenizer import GPT2Tokenizer

    model_json, weights = read_artifact(model_json_path)
    topology = model_json.get("modelTopology") or {}
    if topology.get("class_name") not in TOPOLOGY_CLASSES:
        raise ValueError(f"modelTopology class {topology.get('class_name')!r} is not one of {TOPOLOGY_CLASSES}.")
    config = topology.get("config") or {}
    backbone_config = config["backbone"]["config"] if topology["class_name"] == "GPT2CausalLM" else config
    missing = [f for f in BACKBONE_FIELDS[:-1] if f not in backbone_config]
    if missing:
        raise ValueError(f"modelTopology config lacks {missing}.")
    tokenizer, preprocessor_config = None, None
    preprocessor_entry = config.get("preprocessor")
    if preprocessor_entry is not None:
        folder = os.path.dirname(os.path.abspath(model_json_path))
        settings = dict(preprocessor_entry["config"])
        tokenizer_settings = settings.pop("tokenizer")["config"]
        tokenizer = GPT2Tokenizer(
            _safe_path(folder, tokenizer_settings.get("vocabulary", VOCABULARY_FILE)),
            _safe_path(folder, tokenizer_settings.get("merges", MERGES_FILE)),
            add_prefix_space=tokenizer_settings.get("add_prefix_space", False),
            special_tokens_in_strings=tokenizer_settings.get("special_tokens_in_strings", False),
            pad_value=tokenizer_settings.get("pad_value", 0),
        )
        preprocessor_config = {
            k: settings[k] for k in ("sequence_length", "add_start_token", "add_end_token") if k in settings
        }
    return build_causal_lm(
        {f: backbone_config[f] for f in BACKBONE_FIELDS if f in backbone_config},
        tfjs_weight_table,
        lambda name: weights[name],
        tokenizer=tokenizer,
        preprocessor_config=preprocessor_config,
        description="import-tfjs",
    )
