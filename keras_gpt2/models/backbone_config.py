"""The one check of GPT-2 hyper-parameters, used by `GPT2Backbone` and by every importer.

Examples:
>>> config = dict(vocabulary_size=50257, num_layers=12, num_heads=12, hidden_dim=768,
...               intermediate_dim=3072, max_sequence_length=1024)
>>> parameter_count(validate_backbone_config(config, "config.json"))
124439808
>>> validate_backbone_config({**config, "num_heads": 7}, "config.json", {"num_heads": "n_head"})
Traceback (most recent call last):
...
keras_gpt2.errors.InvalidConfigError: config.json: n_head: 7 heads do not divide hidden_dim 768
"""

import math
import numbers

from keras_gpt2.errors import InvalidConfigError

SIZE_FIELDS = ("vocabulary_size", "num_layers", "num_heads", "hidden_dim", "intermediate_dim", "max_sequence_length")
# Far above any GPT-2 (the largest has 1.6 billion), low enough that a typo cannot ask for terabytes.
MAX_PARAMETERS = 2**35


def _integer(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def validate_backbone_config(config, where, field_names=None):
    """`config` with sizes as `int` and rates as `float`, or an `InvalidConfigError`.

    `where` names the file (or class) the values came from; `field_names`
    maps our field names to that file's own (`{"hidden_dim": "n_embd"}`)
    so the error names the field the user can see.
    """
    names = field_names or {}
    config = dict(config)

    def fail(field, problem):
        raise InvalidConfigError(where, names.get(field, field), problem)

    for field in SIZE_FIELDS:
        value = config.get(field)
        if not _integer(value) or value < 1:
            fail(field, f"must be a positive integer, got {value!r}")
        config[field] = int(value)
    if config["hidden_dim"] % config["num_heads"]:
        fail("num_heads", f"{config['num_heads']} heads do not divide hidden_dim {config['hidden_dim']}")
    for field, default in (("dropout", 0.1), ("layer_norm_epsilon", 1e-5)):
        value = config.get(field, default)
        if not isinstance(value, numbers.Real) or isinstance(value, bool) or not math.isfinite(value):
            fail(field, f"must be a finite number, got {value!r}")
        config[field] = float(value)
    if not 0 <= config["dropout"] < 1:
        fail("dropout", f"must be in [0, 1), got {config['dropout']}")
    if config["layer_norm_epsilon"] <= 0:
        fail("layer_norm_epsilon", f"must be positive, got {config['layer_norm_epsilon']}")
    count = parameter_count(config)
    if count > MAX_PARAMETERS:
        fail(None, f"the config asks for {count:,} parameters, more than {MAX_PARAMETERS:,}")
    return config


# OpenAI's four GPT-2 sizes, under Hugging Face's names (keras-hub's preset names beside them).
GPT2_SIZES = {
    name: dict(
        vocabulary_size=50257,
        num_layers=layers,
        num_heads=heads,
        hidden_dim=hidden,
        intermediate_dim=4 * hidden,
        max_sequence_length=1024,
    )
    for name, layers, heads, hidden in (
        ("gpt2", 12, 12, 768),  # gpt2_base_en
        ("gpt2-medium", 24, 16, 1024),  # gpt2_medium_en
        ("gpt2-large", 36, 20, 1280),  # gpt2_large_en
        ("gpt2-xl", 48, 25, 1600),  # gpt2_extra_large_en
    )
}


def parameter_count(config):
    """The number of weights of a GPT-2 backbone with this (validated) config."""
    hidden, inner = config["hidden_dim"], config["intermediate_dim"]
    per_layer = 4 * hidden * hidden + 4 * hidden + 2 * hidden * inner + inner + hidden + 4 * hidden
    embeddings = (config["vocabulary_size"] + config["max_sequence_length"]) * hidden
    return embeddings + config["num_layers"] * per_layer + 2 * hidden


def check_fits_in(config, available_bytes, bytes_per_parameter, where):
    """Refuses a config whose weights could not be in `available_bytes` of files.

    Called before a model is built, so a small folder that declares a huge
    model is refused at once instead of allocating what it declares.
    """
    count = parameter_count(config)
    needed = count * bytes_per_parameter
    if needed > available_bytes:
        raise InvalidConfigError(
            where,
            None,
            f"declares a model of {count:,} parameters ({needed:,} bytes at least), "
            f"but its weight files hold only {available_bytes:,} bytes",
        )
