import keras
import numpy as np
import pytest

from keras_gpt2.cli.main import main
from keras_gpt2.io.keras_hub import import_keras_hub
from keras_gpt2.models.gpt2_causal_lm import GPT2CausalLM
from tests.helpers import random_token_inputs

keras_hub = pytest.importorskip("keras_hub")


def test_keras_hub_preset_imports_with_identical_outputs(tmp_path, gpt2_tokenizer):
    backbone = keras_hub.models.GPT2Backbone(
        vocabulary_size=50257,
        num_layers=3,
        num_heads=2,
        hidden_dim=16,
        intermediate_dim=32,
        max_sequence_length=24,
    )
    for weight in backbone.weights:
        weight.assign(np.random.default_rng(len(weight.path)).normal(0, 0.05, weight.shape))
    tokenizer = keras_hub.models.GPT2Tokenizer(vocabulary=gpt2_tokenizer.vocabulary, merges=gpt2_tokenizer.merges)
    preprocessor = keras_hub.models.GPT2CausalLMPreprocessor(tokenizer, sequence_length=24)
    keras_hub.models.GPT2CausalLM(backbone, preprocessor).save_to_preset(str(tmp_path / "kh"))
    assert main(["import-keras-hub", str(tmp_path / "kh"), str(tmp_path / "ours")]) == 0
    ours = GPT2CausalLM.from_preset(tmp_path / "ours")
    inputs = random_token_inputs(50257, 2, 12, padded_rows=[1])
    real = inputs["padding_mask"].astype(bool)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(ours.backbone(inputs))[real],
        keras.ops.convert_to_numpy(backbone(inputs))[real],
        atol=1e-5,
    )
    assert ours.preprocessor.tokenizer("Hello world") == gpt2_tokenizer("Hello world")


def test_not_a_gpt2_preset(tmp_path):
    (tmp_path / "config.json").write_text('{"class_name": "BertBackbone", "config": {}}')
    (tmp_path / "model.weights.h5").write_bytes(b"")
    with pytest.raises(ValueError, match="not a keras-hub GPT2Backbone"):
        import_keras_hub(tmp_path)


def test_export_keras_hub_loads_in_keras_hub_with_equal_logits_and_ids(tmp_path):
    keras_hub = pytest.importorskip("keras_hub")
    from keras_gpt2.assets import shipped_preset_path

    out = tmp_path / "keras_hub_preset"
    assert main(["export-keras-hub", shipped_preset_path("shakespeare"), str(out)]) == 0
    theirs = keras_hub.models.GPT2CausalLM.from_preset(str(out))
    ours = GPT2CausalLM.from_preset(shipped_preset_path("shakespeare"))
    ids = np.array([[50256, 42, 2751, 13, 198, 464]])
    inputs = {"token_ids": ids, "padding_mask": np.ones_like(ids, bool)}
    np.testing.assert_allclose(np.asarray(theirs(inputs)), np.asarray(ours(inputs)), atol=1e-5)
    text = "KING HENRY. Once more unto the breach, dear friends."
    assert np.asarray(theirs.preprocessor.tokenizer(text)).tolist() == ours.preprocessor.tokenizer(text)
    assert theirs.preprocessor.sequence_length == ours.preprocessor.sequence_length
    again = import_keras_hub(out)  # and back: the same weights
    np.testing.assert_allclose(np.asarray(again(inputs)), np.asarray(ours(inputs)), atol=1e-6)
