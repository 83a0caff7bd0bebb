import pytest

from keras_gpt2.errors import InvalidConfigError
from keras_gpt2.models.backbone_config import check_fits_in
from keras_gpt2.models.backbone_config import parameter_count
from keras_gpt2.models.backbone_config import validate_backbone_config
from keras_gpt2.models.gpt2_backbone import GPT2Backbone

GPT2_SMALL = dict(
    vocabulary_size=50257, num_layers=12, num_heads=12, hidden_dim=768, intermediate_dim=3072, max_sequence_length=1024
)


@pytest.mark.parametrize("name", ["gpt2", "gpt2-medium", "gpt2-large", "gpt2-xl"])
def test_parameter_count_equals_transformers(name):
    transformers = pytest.importorskip("transformers")
    sizes = {
        "gpt2": (12, 12, 768),
        "gpt2-medium": (24, 16, 1024),
        "gpt2-large": (36, 20, 1280),
        "gpt2-xl": (48, 25, 1600),
    }[name]
    layers, heads, width = sizes
    config = transformers.GPT2Config(n_layer=layers, n_head=heads, n_embd=width)
    expected = transformers.GPT2Model(config).num_parameters() if name == "gpt2" else None
    ours = parameter_count(
        validate_backbone_config(
            dict(GPT2_SMALL, num_layers=layers, num_heads=heads, hidden_dim=width, intermediate_dim=4 * width), name
        )
    )
    known = {"gpt2": 124439808, "gpt2-medium": 354823168, "gpt2-large": 774030080, "gpt2-xl": 1557611200}
    assert ours == known[name]
    if expected is not None:
        assert ours == expected


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("num_layers", 0, "must be a positive integer"),
        ("num_heads", -2, "must be a positive integer"),
        ("hidden_dim", 768.0, "must be a positive integer"),
        ("num_layers", True, "must be a positive integer"),
        ("num_heads", 7, "7 heads do not divide hidden_dim 768"),
        ("dropout", 1.0, r"must be in \[0, 1\)"),
        ("dropout", float("nan"), "must be a finite number"),
        ("layer_norm_epsilon", 0.0, "must be positive"),
        ("layer_norm_epsilon", "1e-5", "must be a finite number"),
    ],
)
def test_impossible_configs_name_the_field(field, value, message):
    with pytest.raises(InvalidConfigError, match=f"GPT2Backbone: {field}: {message}"):
        GPT2Backbone(**{**GPT2_SMALL, field: value})


def test_the_files_must_be_able_to_hold_the_model():
    config = validate_backbone_config(GPT2_SMALL, "config.json")
    check_fits_in(config, 124439808 * 2, 2, "config.json")
    with pytest.raises(InvalidConfigError, match="weight files hold only 1,000 bytes"):
        check_fits_in(config, 1000, 2, "config.json")


def test_named_sizes_have_the_parameter_counts_keras_hub_publishes():
    from keras_hub.src.models.gpt2.gpt2_presets import backbone_presets

    from keras_gpt2.models.backbone_config import GPT2_SIZES

    names = {
        "gpt2": "gpt2_base_en",
        "gpt2-medium": "gpt2_medium_en",
        "gpt2-large": "gpt2_large_en",
        "gpt2-xl": "gpt2_extra_large_en",
    }
    for ours, theirs in names.items():
        assert parameter_count(GPT2_SIZES[ours]) == backbone_presets[theirs]["metadata"]["params"], ours
    small = GPT2Backbone.from_config_name("gpt2")  # built, so the count is the model's, not only the formula's
    assert small.count_params() == backbone_presets["gpt2_base_en"]["metadata"]["params"]
    with pytest.raises(ValueError, match="is not one of"):
        GPT2Backbone.from_config_name("gpt3")


def test_named_sizes_match_transformers_configs_where_it_has_defaults():
    transformers = pytest.importorskip("transformers")
    from keras_gpt2.io.hugging_face import hf_config_from_backbone
    from keras_gpt2.models.backbone_config import GPT2_SIZES

    defaults = transformers.GPT2Config()  # transformers' defaults are GPT-2 small's
    hf = hf_config_from_backbone(GPT2Backbone.from_config_name("gpt2", num_layers=1))
    assert (hf["n_embd"], hf["n_head"], hf["n_positions"], hf["vocab_size"]) == (
        defaults.n_embd,
        defaults.n_head,
        defaults.n_positions,
        defaults.vocab_size,
    )
    assert GPT2_SIZES["gpt2"]["num_layers"] == defaults.n_layer
