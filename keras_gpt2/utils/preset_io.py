"""Preset directories (KerasHub layout): save and load backbone, tokenizer, task.

A preset is a plain directory:

    config.json              backbone class and config
    model.weights.h5         backbone weights (HDF5; loading runs no code)
    tokenizer.json           tokenizer class and config
    assets/tokenizer/        vocabulary.json, merges.txt
    preprocessor.json        preprocessor class and config (without tokenizer)
    task.json                task class and config (without backbone/preprocessor)
    metadata.json            keras-gpt2 version and parameter count

Loading only ever builds the classes named in `ALLOWED_CLASSES`; a preset
cannot make us import or run anything else.
"""

import json
import os

from keras_gpt2.utils.atomic import atomic_directory
from keras_gpt2.utils.deferred_weights import build_then_load
from keras_gpt2.version import __version__

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.weights.h5"
TOKENIZER_FILE = "tokenizer.json"
TOKENIZER_ASSETS_DIR = os.path.join("assets", "tokenizer")
PREPROCESSOR_FILE = "preprocessor.json"
TASK_FILE = "task.json"
METADATA_FILE = "metadata.json"


def _allowed_classes():
    from keras_gpt2.models.gpt2_backbone import GPT2Backbone
    from keras_gpt2.models.gpt2_causal_lm import GPT2CausalLM
    from keras_gpt2.preprocessing.gpt2_causal_lm_preprocessor import GPT2CausalLMPreprocessor
    from keras_gpt2.preprocessing.gpt2_preprocessor import GPT2Preprocessor
    from keras_gpt2.tokenizers.gpt2_tokenizer import GPT2Tokenizer

    classes = [GPT2Backbone, GPT2CausalLM, GPT2Preprocessor, GPT2CausalLMPreprocessor, GPT2Tokenizer]
    return {cls.__name__: cls for cls in classes}


def _write_json(path, value):
    with open(path, "w", encoding="utf-8") as file:
        json.dump(value, file, indent=2)
        file.write("\n")


def _read_json(preset, filename):
    path = os.path.join(os.fspath(preset), filename)
    if not os.path.isdir(os.fspath(preset)):
        raise FileNotFoundError(f"Preset directory {preset} does not exist.")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"Preset {preset} has no {filename}.")
    try:
        with open(path, encoding="utf-8") as file:
            return json.load(file)
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} is not valid JSON: {error}") from None


def _class_entry(obj, config):
    return {"class_name": type(obj).__name__, "config": config}


def _build(entry, filename, **overrides):
    classes = _allowed_classes()
    name = entry.get("class_name") if isinstance(entry, dict) else None
    if name not in classes:
        raise ValueError(f"{filename} names class {name!r}; expected one of {sorted(classes)}.")
    config = dict(entry.get("config") or {})
    config.update(overrides)
    return classes[name].from_config(config)


def has_file(preset, filename):
    return os.path.isfile(os.path.join(os.fspath(preset), filename))


def save_preset(preset, backbone, tokenizer=None, preprocessor=None, task=None):
    """Writes a preset directory atomically (temp dir, then rename)."""
    with atomic_directory(preset) as staging:
        _write_json(os.path.join(staging, CONFIG_FILE), _class_entry(backbone, backbone.get_config()))
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


def load_backbone(preset, load_weights=True, **overrides):
    """The backbone of a preset, with its weights unless `load_weights=False`."""
    entry = _read_json(preset, CONFIG_FILE)
    if not load_weights:
        return _build(entry, CONFIG_FILE, **overrides)
    path = os.path.join(os.fspath(preset), WEIGHTS_FILE)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"Preset {preset} has no {WEIGHTS_FILE}.")
    return build_then_load(
        lambda: _build(entry, CONFIG_FILE, **overrides), lambda backbone: backbone.load_weights(path)
    )


def load_tokenizer(preset, **overrides):
    """The tokenizer of a preset, vocabulary and merges included."""
    tokenizer = _build(_read_json(preset, TOKENIZER_FILE), TOKENIZER_FILE, **overrides)
    tokenizer.load_assets(os.path.join(os.fspath(preset), TOKENIZER_ASSETS_DIR))
    return tokenizer


def load_preprocessor(preset, **overrides):
    """The preprocessor of a preset with its tokenizer."""
    return _build(
        _read_json(preset, PREPROCESSOR_FILE),
        PREPROCESSOR_FILE,
        tokenizer=load_tokenizer(preset),
        **overrides,
    )


def load_task(preset, load_weights=True, dtype=None, **overrides):
    """The task of a preset (backbone, and preprocessor when the preset has one).

    `dtype` (a dtype policy such as "bfloat16") applies to the backbone.
    """
    entry = _read_json(preset, TASK_FILE) if has_file(preset, TASK_FILE) else {"class_name": "GPT2CausalLM"}
    preprocessor = load_preprocessor(preset) if has_file(preset, PREPROCESSOR_FILE) else None
    backbone_overrides = {} if dtype is None else {"dtype": dtype}
    return _build(
        entry,
        TASK_FILE,
        backbone=load_backbone(preset, load_weights=load_weights, **backbone_overrides),
        preprocessor=preprocessor,
        **overrides,
    )
