import json
import re
import shutil

import numpy as np
import pytest

from keras_gpt2.cli.main import main
from keras_gpt2.errors import UnsafePathError
from keras_gpt2.io.openai import import_openai
from keras_gpt2.io.openai import openai_name
from keras_gpt2.models.gpt2_causal_lm import GPT2CausalLM
from tests.test_hugging_face import hf_logits
from tests.test_hugging_face import our_logits

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")


def write_openai_checkpoint(folder, hf_model, config):
    """The original OpenAI layout, written with TensorFlow from a random HF model's arrays."""
    import tensorflow as tf

    folder.mkdir()
    names, tensors = [], []
    for name, tensor in hf_model.transformer.state_dict().items():
        if re.fullmatch(r"h\.\d+\.attn\.(bias|masked_bias)", name):  # causal-mask buffers, not weights
            continue
        array = tensor.numpy()
        ours = openai_name(name)
        names.append(ours)
        tensors.append(array[None] if ours.endswith("/w") else array)
    tf.raw_ops.SaveV2(
        prefix=str(folder / "model.ckpt"), tensor_names=names, shape_and_slices=[""] * len(names), tensors=tensors
    )
    (folder / "checkpoint").write_text('model_checkpoint_path: "model.ckpt"\n')
    hparams = {
        "n_vocab": config["vocab_size"],
        "n_ctx": config["n_positions"],
        "n_embd": config["n_embd"],
        "n_head": config["n_head"],
        "n_layer": config["n_layer"],
    }
    (folder / "hparams.json").write_text(json.dumps(hparams))


@pytest.mark.parametrize(
    "config",
    [
        dict(vocab_size=211, n_layer=2, n_head=4, n_embd=32, n_positions=24),
        dict(vocab_size=50257, n_layer=1, n_head=2, n_embd=16, n_positions=16),
    ],
)
def test_openai_checkpoint_matches_hugging_face(tmp_path, config):
    torch.manual_seed(0)
    hf_model = transformers.GPT2LMHeadModel(transformers.GPT2Config(**config)).eval()
    write_openai_checkpoint(tmp_path / "124M", hf_model, config)
    assert main(["import-openai", str(tmp_path / "124M"), str(tmp_path / "preset")]) == 0
    ours = GPT2CausalLM.from_preset(tmp_path / "preset")
    token_ids = np.random.default_rng(0).integers(0, config["vocab_size"], size=(2, 9))
    np.testing.assert_allclose(our_logits(ours, token_ids), hf_logits(hf_model, token_ids), atol=1e-4)
    assert (ours.preprocessor is not None) == (config["vocab_size"] == 50257)


def test_missing_files_are_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="hparams.json"):
        import_openai(tmp_path)
    (tmp_path / "hparams.json").write_text('{"n_vocab": 10, "n_ctx": 8, "n_embd": 8, "n_head": 2, "n_layer": 1}')
    with pytest.raises(FileNotFoundError, match="has no TensorFlow checkpoint"):
        import_openai(tmp_path)


@pytest.mark.parametrize("target", ["../elsewhere/model.ckpt", "ABSOLUTE"])
def test_checkpoint_state_file_cannot_point_outside(tmp_path, target):
    config = dict(vocab_size=211, n_layer=1, n_head=2, n_embd=16, n_positions=8)
    torch.manual_seed(0)
    hf_model = transformers.GPT2LMHeadModel(transformers.GPT2Config(**config)).eval()
    write_openai_checkpoint(tmp_path / "elsewhere", hf_model, config)
    folder = tmp_path / "hostile"
    folder.mkdir()
    shutil.copy(tmp_path / "elsewhere" / "hparams.json", folder)
    path = str(tmp_path / "elsewhere" / "model.ckpt") if target == "ABSOLUTE" else target
    (folder / "checkpoint").write_text(f'model_checkpoint_path: "{path}"\n')
    with pytest.raises(UnsafePathError, match="model_checkpoint_path: .* must be a plain relative file name"):
        import_openai(folder)
