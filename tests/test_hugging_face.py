import json
import shutil

import numpy as np
import pytest

from keras_gpt2.cli.main import main
from keras_gpt2.errors import InvalidCheckpointError
from keras_gpt2.io.hugging_face import backbone_config_from_hf
from keras_gpt2.io.hugging_face import export_hf
from keras_gpt2.io.hugging_face import import_hf
from keras_gpt2.models.gpt2_causal_lm import GPT2CausalLM

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

HF_CONFIGS = [
    dict(vocab_size=300, n_layer=2, n_head=3, n_embd=48, n_positions=32),
    dict(vocab_size=257, n_layer=1, n_head=2, n_embd=32, n_positions=16, n_inner=40, layer_norm_epsilon=1e-6),
]


def hf_folder(tmp_path, config, tokenizer=None, **save_kwargs):
    torch.manual_seed(0)
    model = transformers.GPT2LMHeadModel(transformers.GPT2Config(**config)).eval()
    folder = tmp_path / "hf"
    model.save_pretrained(folder, **save_kwargs)
    if tokenizer is not None:
        tokenizer.save_vocabulary(str(folder / "vocab.json"), str(folder / "merges.txt"))
    return model, folder


def hf_logits(model, token_ids):
    with torch.no_grad():
        return model(input_ids=torch.tensor(token_ids, dtype=torch.long)).logits.numpy()


def our_logits(model, token_ids):
    import keras

    return keras.ops.convert_to_numpy(model({"token_ids": token_ids, "padding_mask": np.ones_like(token_ids)}))


@pytest.mark.parametrize("config", HF_CONFIGS)
def test_hf_to_ours_to_hf_round_trip(tmp_path, config):
    hf_model, folder = hf_folder(tmp_path, config)
    ours = import_hf(folder)
    token_ids = np.random.default_rng(0).integers(0, config["vocab_size"], size=(2, 10))
    np.testing.assert_allclose(our_logits(ours, token_ids), hf_logits(hf_model, token_ids), atol=1e-4)
    export_hf(ours, tmp_path / "back")
    reloaded = transformers.GPT2LMHeadModel.from_pretrained(tmp_path / "back").eval()
    np.testing.assert_allclose(hf_logits(reloaded, token_ids), hf_logits(hf_model, token_ids), atol=1e-5)


def test_sharded_safetensors_and_pytorch_bin(tmp_path):
    hf_model, folder = hf_folder(tmp_path, HF_CONFIGS[0], max_shard_size="20KB")
    assert (folder / "model.safetensors.index.json").is_file()
    token_ids = np.array([[1, 2, 3, 4]])
    np.testing.assert_allclose(our_logits(import_hf(folder), token_ids), hf_logits(hf_model, token_ids), atol=1e-4)
    binary = tmp_path / "bin"
    binary.mkdir()
    shutil.copy(folder / "config.json", binary)
    torch.save(hf_model.state_dict(), binary / "pytorch_model.bin")
    np.testing.assert_allclose(our_logits(import_hf(binary), token_ids), hf_logits(hf_model, token_ids), atol=1e-4)


def test_sharded_export_loads_in_transformers_and_back(tmp_path, gpt2_tokenizer):
    config = dict(vocab_size=50257, n_layer=2, n_head=2, n_embd=32, n_positions=16)
    hf_model, folder = hf_folder(tmp_path, config, tokenizer=gpt2_tokenizer)
    preset = tmp_path / "preset"
    assert main(["import-hf", str(folder), str(preset)]) == 0
    assert main(["export-hf", str(preset), str(tmp_path / "sharded"), "--max-shard-size-mb", "1"]) == 0
    index = json.loads((tmp_path / "sharded" / "model.safetensors.index.json").read_text())
    shards = sorted(set(index["weight_map"].values()))
    assert len(shards) >= 2 and shards[0] == f"model-00001-of-{len(shards):05d}.safetensors"
    for shard in shards:  # at most 1 MB of tensors, or one tensor larger than that (the 6.4 MB embedding)
        count = list(index["weight_map"].values()).count(shard)
        assert count == 1 or (tmp_path / "sharded" / shard).stat().st_size <= 10**6 + 10**4
    reloaded = transformers.GPT2LMHeadModel.from_pretrained(tmp_path / "sharded").eval()
    token_ids = np.array([[50256, 15496, 995]])
    np.testing.assert_allclose(hf_logits(reloaded, token_ids), hf_logits(hf_model, token_ids), atol=1e-5)
    np.testing.assert_allclose(
        our_logits(import_hf(tmp_path / "sharded"), token_ids), hf_logits(hf_model, token_ids), atol=1e-4
    )


def test_greedy_generation_after_import_equals_hf(tmp_path, gpt2_tokenizer):
    config = dict(vocab_size=50257, n_layer=2, n_head=2, n_embd=32, n_positions=64)
    hf_model, folder = hf_folder(tmp_path, config, tokenizer=gpt2_tokenizer)
    preset = tmp_path / "preset"
    assert main(["import-hf", str(folder), str(preset)]) == 0
    ours = GPT2CausalLM.from_preset(preset)
    prompt = [50256, *gpt2_tokenizer("Good morning")]
    with torch.no_grad():
        expected = hf_model.generate(
            torch.tensor([prompt]), max_new_tokens=16, do_sample=False, eos_token_id=None, pad_token_id=0
        ).numpy()
    output = ours.generate(
        {"token_ids": np.array([prompt])}, max_length=len(prompt) + 16, sampler="greedy", stop_token_ids=None
    )
    np.testing.assert_array_equal(output["token_ids"], expected)
    assert ours.preprocessor.tokenizer("Good morning") == gpt2_tokenizer("Good morning")


def test_unsupported_config_is_rejected():
    with pytest.raises(InvalidCheckpointError, match="activation_function: 'relu' is not supported"):
        backbone_config_from_hf({**HF_CONFIGS[0], "activation_function": "relu"})
    with pytest.raises(InvalidCheckpointError, match="scale_attn_by_inverse_layer_idx: True is not supported"):
        backbone_config_from_hf({**HF_CONFIGS[0], "scale_attn_by_inverse_layer_idx": True})


def test_config_that_does_not_match_the_weights(tmp_path):
    _, folder = hf_folder(tmp_path, HF_CONFIGS[0])
    config = json.loads((folder / "config.json").read_text())
    config["n_embd"] = 24
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(
        InvalidCheckpointError, match=r"transformer.wte.weight: has shape \(300, 48\), but the config needs \(300, 24\)"
    ):
        import_hf(folder)


def test_truncated_checkpoint_leaves_no_preset(tmp_path, capsys):
    _, folder = hf_folder(tmp_path, HF_CONFIGS[0])
    data = (folder / "model.safetensors").read_bytes()
    (folder / "model.safetensors").write_bytes(data[: len(data) // 2])
    assert main(["import-hf", str(folder), str(tmp_path / "out")]) == 2
    assert "truncated" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
    assert main(["import-hf", str(tmp_path / "nowhere"), str(tmp_path / "out")]) == 2


TOKENIZER_TEXTS = [
    "Hello world",
    " leading space",
    "naïve café 北京 🙂",
    "a\n\nb\tc",
    "it's 2026!",
]  # no "<|endoftext|>": HF reads it as the special token, we as text (keras-hub's default)


def test_export_writes_a_tokenizer_json_that_auto_tokenizer_reads_alone(tmp_path, gpt2_tokenizer):
    config = dict(vocab_size=50257, n_layer=1, n_head=2, n_embd=16, n_positions=16)
    _, folder = hf_folder(tmp_path, config, tokenizer=gpt2_tokenizer)
    exported = tmp_path / "exported"
    export_hf(import_hf(folder), exported)
    for name in ("vocab.json", "merges.txt"):  # tokenizer.json alone, as transformers 5 writes it
        (exported / name).unlink()
    reference = transformers.AutoTokenizer.from_pretrained(exported)
    reimported = import_hf(exported).preprocessor.tokenizer
    for text in TOKENIZER_TEXTS:
        assert reference(text)["input_ids"] == gpt2_tokenizer(text), text
        assert reimported(text) == gpt2_tokenizer(text), text


@pytest.fixture
def own_bpe_folder(tmp_path):
    """A GPT-2 whose only tokenizer file is a 320-token byte-level BPE `tokenizer.json`
    (trained here with the `tokenizers` library), so no fallback vocabulary fits it."""
    from tokenizers import ByteLevelBPETokenizer

    trained = ByteLevelBPETokenizer()
    trained.train_from_iterator(
        ["the quick brown fox jumps over the lazy dog " * 20],
        vocab_size=320,
        special_tokens=["<|endoftext|>"],
        show_progress=False,
    )
    vocabulary_size = trained.get_vocab_size()
    _, folder = hf_folder(tmp_path, dict(vocab_size=vocabulary_size, n_layer=1, n_head=2, n_embd=16, n_positions=16))
    trained.save(str(folder / "tokenizer.json"))
    return folder


def test_a_folder_with_only_tokenizer_json_imports_its_own_tokenizer(own_bpe_folder):
    from tokenizers import Tokenizer

    reference = Tokenizer.from_file(str(own_bpe_folder / "tokenizer.json"))
    tokenizer = import_hf(own_bpe_folder).preprocessor.tokenizer
    for text in ["the lazy fox", "quick brown dogs jump", "unseen words ü"]:
        assert tokenizer(text) == reference.encode(text).ids, text


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda model: model.update(type="WordPiece"), "model.type: is 'WordPiece'"),
        (lambda model: model["merges"].append("a b c"), "must be two tokens"),
        (lambda model: model["vocab"].update({"zz": 0}), "ids must be the integers"),
    ],
)
def test_a_hostile_tokenizer_json_is_refused(own_bpe_folder, edit, message):
    path = own_bpe_folder / "tokenizer.json"
    document = json.loads(path.read_text())
    edit(document["model"])
    path.write_text(json.dumps(document))
    with pytest.raises(InvalidCheckpointError, match=message):
        import_hf(own_bpe_folder)
