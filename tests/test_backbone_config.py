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
