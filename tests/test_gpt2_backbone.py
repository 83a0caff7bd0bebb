import keras
import numpy as np
import pytest

from keras_gpt2.io.hugging_face import hf_config_from_backbone
from keras_gpt2.io.hugging_face import load_hf_backbone_weights
from keras_gpt2.models.gpt2_backbone import GPT2Backbone
from tests.helpers import copy_weights_by_path
from tests.helpers import random_token_inputs
from tests.helpers import run_serialization_test

# (vocabulary, layers, heads, hidden, intermediate, max_sequence_length): heads of
# size 16 and 4 (not 64), an odd vocabulary, and full-context inputs.
PARITY_CONFIGS = [
    (101, 2, 3, 48, 96, 16),
    (257, 3, 4, 16, 40, 12),
    (50, 1, 2, 32, 128, 8),
]


def make_backbone(config, dropout=0.0):
    vocabulary_size, num_layers, num_heads, hidden_dim, intermediate_dim, max_length = config
    return GPT2Backbone(
        vocabulary_size=vocabulary_size,
        num_layers=num_layers,
        num_heads=num_heads,
        hidden_dim=hidden_dim,
        intermediate_dim=intermediate_dim,
        dropout=dropout,
        max_sequence_length=max_length,
    )


def hugging_face_twin(backbone):
    """A randomly initialised HF GPT2LMHeadModel, its weights copied into `backbone`."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    torch.manual_seed(0)
    config = transformers.GPT2Config(**hf_config_from_backbone(backbone))
    model = transformers.GPT2LMHeadModel(config).eval()
    state = {name: tensor.detach().numpy() for name, tensor in model.state_dict().items()}
    load_hf_backbone_weights(backbone, state)
    return model


@pytest.mark.parametrize("config", PARITY_CONFIGS)
def test_hidden_states_match_hugging_face(config):
    import torch

    backbone = make_backbone(config)
    hf_model = hugging_face_twin(backbone)
    inputs = random_token_inputs(config[0], batch_size=2, length=config[5], padded_rows=[1])
    with torch.no_grad():
        hf_out = hf_model(
            input_ids=torch.tensor(inputs["token_ids"], dtype=torch.long),
            attention_mask=torch.tensor(inputs["padding_mask"]),
            output_hidden_states=True,
        )
    ours = keras.ops.convert_to_numpy(backbone(inputs))
    real = inputs["padding_mask"].astype(bool)
    np.testing.assert_allclose(ours[real], hf_out.hidden_states[-1].numpy()[real], atol=1e-4)


@pytest.mark.parametrize("config", PARITY_CONFIGS[:2])
def test_hidden_states_match_keras_hub(config):
    keras_hub = pytest.importorskip("keras_hub")
    vocabulary_size, num_layers, num_heads, hidden_dim, intermediate_dim, max_length = config
    reference = keras_hub.models.GPT2Backbone(
        vocabulary_size=vocabulary_size,
        num_layers=num_layers,
        num_heads=num_heads,
        hidden_dim=hidden_dim,
        intermediate_dim=intermediate_dim,
        dropout=0.0,
        max_sequence_length=max_length,
    )
    for weight in reference.weights:  # keras-hub zero-initialises biases; make every weight count.
        weight.assign(np.random.default_rng(len(weight.path)).normal(0, 0.05, weight.shape))
    backbone = make_backbone(config)
    copy_weights_by_path(reference, backbone)
    inputs = random_token_inputs(vocabulary_size, batch_size=2, length=max_length, padded_rows=[0])
    real = inputs["padding_mask"].astype(bool)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(backbone(inputs))[real],
        keras.ops.convert_to_numpy(reference(inputs))[real],
        atol=1e-4,
    )


def test_padding_does_not_affect_real_tokens():
    backbone = make_backbone(PARITY_CONFIGS[0])
    inputs = random_token_inputs(101, batch_size=1, length=10, padded_rows=[0])
    other = {k: v.copy() for k, v in inputs.items()}
    other["token_ids"][0, 5:] = (other["token_ids"][0, 5:] + 7) % 101
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(backbone(inputs))[0, :5],
        keras.ops.convert_to_numpy(backbone(other))[0, :5],
        atol=1e-6,
    )


def test_gpt2_small_has_124m_parameters():
    backbone = GPT2Backbone(vocabulary_size=50257, num_layers=12, num_heads=12, hidden_dim=768, intermediate_dim=3072)
    assert backbone.count_params() == 124_439_808


def test_initialisation_follows_gpt2():
    backbone = GPT2Backbone(vocabulary_size=2000, num_layers=8, num_heads=4, hidden_dim=64, intermediate_dim=256)
    weights = {w.path: keras.ops.convert_to_numpy(w) for w in backbone.weights}
    assert weights["token_embedding/embeddings"].std() == pytest.approx(0.01, rel=0.05)
    assert weights["position_embedding/embeddings"].std() == pytest.approx(0.02, rel=0.05)
    assert weights["transformer_layer_0/self_attention/query/kernel"].std() == pytest.approx(0.02, rel=0.1)
    residual = weights["transformer_layer_0/feedforward_output_dense/kernel"].std()
    assert residual == pytest.approx(0.02 / np.sqrt(16), rel=0.1)


def test_serialization_and_layer_names(tmp_path):
    backbone = make_backbone(PARITY_CONFIGS[1], dropout=0.1)
    names = [layer.name for layer in backbone.layers]
    for name in (
        "token_embedding",
        "position_embedding",
        "embeddings_add",
        "embeddings_dropout",
        "transformer_layer_0",
        "transformer_layer_2",
        "layer_norm",
    ):
        assert name in names
    run_serialization_test(backbone, random_token_inputs(257, 2, 6), tmp_path)


def test_preset_round_trip(tmp_path):
    backbone = make_backbone(PARITY_CONFIGS[2])
    backbone.save_to_preset(tmp_path / "preset")
    restored = GPT2Backbone.from_preset(tmp_path / "preset")
    inputs = random_token_inputs(50, 1, 8)
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(restored(inputs)), keras.ops.convert_to_numpy(backbone(inputs))
    )


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_mixed_precision(policy):
    backbone = GPT2Backbone(
        vocabulary_size=64,
        num_layers=1,
        num_heads=2,
        hidden_dim=8,
        intermediate_dim=16,
        max_sequence_length=8,
        dtype=policy,
    )
    output = backbone(random_token_inputs(64, 1, 4))
    assert keras.backend.standardize_dtype(output.dtype) == policy.split("_")[1]
    assert all(keras.backend.standardize_dtype(w.dtype) == "float32" for w in backbone.weights)
