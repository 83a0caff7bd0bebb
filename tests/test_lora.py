"""LoRA adapters: only they train, they lower the loss, they merge into every export exactly,
and their own file round-trips and refuses what is not this model's adapters."""

import h5py
import keras
import numpy as np
import pytest

from keras_gpt2.assets import shipped_preset_path
from keras_gpt2.errors import InvalidCheckpointError
from keras_gpt2.io import tfjs
from keras_gpt2.io.hugging_face import export_hf
from keras_gpt2.models.gpt2_causal_lm import GPT2CausalLM
from keras_gpt2.models.lora import lora_layers
from keras_gpt2.models.plain_backbone import plain_backbone
from tests.helpers import tiny_backbone

TEXTS = ["The rocket left the launch pad at dawn and reached orbit by noon."] * 8
IDS = np.array([[50256, 2514, 307, 11, 393, 407, 284, 307]])
INPUTS = {"token_ids": IDS, "padding_mask": np.ones_like(IDS, bool)}


def logits(model, inputs=INPUTS):
    return np.asarray(keras.ops.convert_to_numpy(model(inputs)))


def shipped():
    return GPT2CausalLM.from_preset(shipped_preset_path("shakespeare"))


@pytest.fixture(scope="module")
def tuned():
    """The shipped model (real vocabulary, trained), LoRA rank 4 enabled and fine-tuned on a
    sentence it has not seen; returns (model, a copy of the base weights, losses)."""
    keras.utils.set_random_seed(0)
    model = shipped()
    base = {v.path: np.array(v.numpy()) for v in model.backbone.weights}
    model.backbone.enable_lora(4)
    model.compile(optimizer=keras.optimizers.Adam(0.1), sampler="greedy")
    history = model.fit(TEXTS, batch_size=8, epochs=15, verbose=0)
    return model, base, history.history["loss"]


def test_only_the_adapters_train_and_they_lower_the_loss(tuned):
    model, base, losses = tuned
    trainable = [v.path for v in model.backbone.trainable_weights]
    assert len(trainable) == model.backbone.num_layers * 2 * 2  # layers x (query, value) x (a, b)
    assert all(path.endswith(("lora_kernel_a", "lora_kernel_b")) for path in trainable)
    assert losses[-1] < losses[0] - 0.5
    for variable in model.backbone.weights:
        if variable.path in base:  # every base weight, kernels under adapters included, is unchanged
            np.testing.assert_array_equal(variable.numpy(), base[variable.path], err_msg=variable.path)


def test_merged_exports_give_the_adapted_logits(tuned, tmp_path):
    transformers = pytest.importorskip("transformers")
    torch = pytest.importorskip("torch")
    model, _, _ = tuned
    expected = logits(model)
    merged = GPT2CausalLM(plain_backbone(model.backbone), model.preprocessor)
    assert lora_layers(merged.backbone) == []
    np.testing.assert_allclose(logits(merged), expected, atol=1e-5)

    model.save_to_preset(tmp_path / "preset")
    np.testing.assert_allclose(logits(GPT2CausalLM.from_preset(tmp_path / "preset")), expected, atol=1e-5)

    export_hf(model, tmp_path / "hf")
    reference = transformers.GPT2LMHeadModel.from_pretrained(tmp_path / "hf").eval()
    with torch.no_grad():
        hf_logits = reference(input_ids=torch.tensor(IDS)).logits.numpy()
    np.testing.assert_allclose(hf_logits, expected, atol=1e-4)

    tfjs.export_tfjs(model, tmp_path / "web")
    np.testing.assert_allclose(logits(tfjs.import_tfjs(tmp_path / "web" / "model.json")), expected, atol=1e-5)


def test_adapter_file_round_trips_and_is_small(tuned, tmp_path):
    model, _, _ = tuned
    path = tmp_path / "adapters.lora.h5"
    model.backbone.save_lora_weights(path)
    with pytest.raises(FileExistsError):
        model.backbone.save_lora_weights(path)
    fresh = shipped()  # the same base weights
    fresh.backbone.load_lora_weights(path)  # enables rank 4 on the layers the file names
    np.testing.assert_allclose(logits(fresh), logits(model), atol=1e-6)
    model.save_to_preset(tmp_path / "full")
    assert path.stat().st_size * 50 < (tmp_path / "full" / "model.weights.h5").stat().st_size


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda f: f.attrs.__setitem__("rank", 0), "rank: must be a positive integer"),
        (lambda f: f.attrs.__setitem__("format", "other"), "is not a keras-gpt2 LoRA file"),
        (
            lambda f: f.create_dataset("transformer_layer_0/self_attention/key/lora_kernel_a", data=np.zeros((16, 4))),
            "does not hold this model's adapters",
        ),
        (lambda f: f.move("transformer_layer_0", "transformer_layer_7"), "does not hold this model's adapters"),
    ],
)
def test_an_adapter_file_that_does_not_fit_is_refused(tuned, tmp_path, edit, message):
    model, _, _ = tuned
    path = tmp_path / "adapters.lora.h5"
    model.backbone.save_lora_weights(path)
    with h5py.File(path, "a") as file:
        edit(file)
    fresh = tiny_backbone()
    fresh.enable_lora(4)
    with pytest.raises(InvalidCheckpointError, match=message):
        fresh.load_lora_weights(path)


def test_adapters_can_cover_the_mlp_too():
    from keras_gpt2.models import lora

    backbone = tiny_backbone()
    backbone.enable_lora(2, lora.ATTENTION_TARGETS + lora.MLP_TARGETS)
    assert {layer.name for layer in lora_layers(backbone)} == set(lora.ATTENTION_TARGETS + lora.MLP_TARGETS)
    assert len(backbone.trainable_weights) == backbone.num_layers * 4 * 2
