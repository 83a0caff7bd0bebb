import json
import os

import h5py
import numpy as np
import pytest

from keras_gpt2.errors import DestinationError
from keras_gpt2.errors import InvalidCheckpointError
from keras_gpt2.errors import UnsafePathError
from keras_gpt2.io import preset
from keras_gpt2.models.gpt2_causal_lm import GPT2CausalLM
from keras_gpt2.preprocessing.gpt2_causal_lm_preprocessor import GPT2CausalLMPreprocessor
from tests.helpers import save_tiny_preset
from tests.helpers import tiny_backbone


@pytest.fixture(scope="module")
def saved(gpt2_tokenizer, tmp_path_factory):
    return save_tiny_preset(gpt2_tokenizer, tmp_path_factory.mktemp("preset") / "preset", 32)


def edited_copy(saved, tmp_path, filename, edit):
    import shutil

    folder = tmp_path / "edited"
    shutil.copytree(saved, folder)
    path = folder / filename
    document = json.loads(path.read_text())
    edit(document)
    path.write_text(json.dumps(document))
    return folder


def test_round_trip_at_the_real_vocabulary(saved):
    model = GPT2CausalLM.from_preset(saved)
    assert model.backbone.vocabulary_size == 50257
    assert model.preprocessor.tokenizer("Hello world") == [15496, 995]
    files = json.loads((saved / ".keras-gpt2.json").read_text())["files"]
    assert "model.weights.h5" in files and "assets/tokenizer/vocabulary.json" in files


def test_only_known_classes_are_built(saved, tmp_path):
    folder = edited_copy(saved, tmp_path, "config.json", lambda d: d.update(class_name="Lambda"))
    with pytest.raises(
        InvalidCheckpointError, match=r"config.json: class_name: 'Lambda' is not one of \['GPT2Backbone'\]"
    ):
        GPT2CausalLM.from_preset(folder)


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("num_heads", 3, "config.num_heads: 3 heads do not divide hidden_dim 16"),
        ("num_layers", 0, "config.num_layers: must be a positive integer, got 0"),
        ("hidden_dim", 16.0, "config.hidden_dim: must be an integer, got 16.0"),
        ("layer_norm_epsilon", "1e-5", "config.layer_norm_epsilon: must be a number"),
        ("dropout", 1.5, r"config.dropout: must be in \[0, 1\)"),
        ("activation", "relu", "config.activation: is not a field of GPT2Backbone"),
        ("num_layers", 100000, "declares a model of .* parameters"),
        ("hidden_dim", 10**9, "config.json: the config asks for .* parameters"),
    ],
)
def test_bad_backbone_configs_are_refused_before_building(saved, tmp_path, field, value, message):
    folder = edited_copy(saved, tmp_path, "config.json", lambda d: d["config"].__setitem__(field, value))
    with pytest.raises(InvalidCheckpointError, match=message):
        GPT2CausalLM.from_preset(folder)


def test_bad_tokenizer_and_preprocessor_configs(saved, tmp_path):
    folder = edited_copy(saved, tmp_path, "tokenizer.json", lambda d: d["config"].__setitem__("pad_value", "0"))
    with pytest.raises(InvalidCheckpointError, match="tokenizer.json: config.pad_value: must be an integer"):
        GPT2CausalLM.from_preset(folder)
    folder = edited_copy(saved, tmp_path / "b", "preprocessor.json", lambda d: d.update(config=[1]))
    with pytest.raises(InvalidCheckpointError, match="preprocessor.json: config: must be an object"):
        GPT2CausalLM.from_preset(folder)


def test_weights_that_do_not_fit_the_config(saved, tmp_path):
    folder = edited_copy(saved, tmp_path, "config.json", lambda d: d["config"].__setitem__("intermediate_dim", 24))
    with pytest.raises(InvalidCheckpointError, match="model.weights.h5: does not fit config.json"):
        GPT2CausalLM.from_preset(folder)


def test_h5_external_links_and_storage_are_refused(saved, tmp_path):
    import shutil

    secret = tmp_path / "secret.bin"
    secret.write_bytes(np.arange(16, dtype="float32").tobytes())
    for kind in ("external_link", "external_storage", "huge_unallocated"):
        folder = tmp_path / kind
        shutil.copytree(saved, folder)
        with h5py.File(folder / "model.weights.h5", "a") as file:
            if kind == "external_link":
                file["stolen"] = h5py.ExternalLink(str(secret), "/data")
            elif kind == "external_storage":
                file.create_dataset("stolen", shape=(16,), dtype="float32", external=[(str(secret), 0, 64)])
            else:
                file.create_dataset("huge", shape=(2**18, 2**10), dtype="float32")  # 1 GiB declared, none stored
        message = {
            "external_link": "ExternalLink",
            "external_storage": "external storage",
            "huge_unallocated": "stores 0",
        }
        with pytest.raises(InvalidCheckpointError, match=message[kind]):
            GPT2CausalLM.from_preset(folder)


def test_a_symlinked_weights_file_out_of_the_folder_is_refused(saved, tmp_path):
    import shutil

    folder = tmp_path / "linked"
    shutil.copytree(saved, folder)
    shutil.move(folder / "model.weights.h5", tmp_path / "elsewhere.h5")
    os.symlink(tmp_path / "elsewhere.h5", folder / "model.weights.h5")
    with pytest.raises(UnsafePathError, match="leads outside its folder"):
        GPT2CausalLM.from_preset(folder)


def test_missing_preset_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="is not a preset folder"):
        GPT2CausalLM.from_preset(tmp_path / "nowhere")


def test_saving_never_replaces_what_it_did_not_write(gpt2_tokenizer, saved, tmp_path):
    model = GPT2CausalLM(tiny_backbone(), GPT2CausalLMPreprocessor(gpt2_tokenizer, sequence_length=16))
    target = tmp_path / "site"
    target.mkdir()
    (target / "index.html").write_text("my page")
    for overwrite in (False, True):
        with pytest.raises(DestinationError):
            model.save_to_preset(target, overwrite=overwrite)
    assert sorted(os.listdir(target)) == ["index.html"]
    model.save_to_preset(tmp_path / "mine")
    with pytest.raises(DestinationError, match="not empty"):
        model.save_to_preset(tmp_path / "mine")
    model.save_to_preset(tmp_path / "mine", overwrite=True)  # ours: replaced
    with pytest.raises(DestinationError, match="source"):
        model.save_to_preset(saved / "inner", sources=(saved,))


def test_load_task_builds_the_registered_classes_only(saved):
    assert set(preset.ALLOWED_CLASSES) == set(preset.CONFIG_SCHEMAS)
    for name in preset.ALLOWED_CLASSES:
        assert preset.registered_class(name).__name__ == name


def test_weights_above_max_shard_size_are_written_as_shards_and_read_back(gpt2_tokenizer, tmp_path):
    model = GPT2CausalLM(tiny_backbone(), GPT2CausalLMPreprocessor(gpt2_tokenizer, sequence_length=16))
    # The embedding (50,257 x 16 floats) is 3.2 MB; everything else 0.1 MB.
    with pytest.raises(ValueError, match="smaller than the weight token_embedding/embeddings"):
        model.save_to_preset(tmp_path / "refused", max_shard_size=0.001)
    model.save_to_preset(tmp_path / "sharded", max_shard_size=0.003)
    shards = sorted(name for name in os.listdir(tmp_path / "sharded") if name.endswith(".weights.h5"))
    assert shards == ["model_00000.weights.h5", "model_00001.weights.h5"]
    assert not (tmp_path / "sharded" / "model.weights.h5").exists()
    assert all(os.path.getsize(tmp_path / "sharded" / name) < 0.0031 * 1024**3 for name in shards)
    loaded = GPT2CausalLM.from_preset(tmp_path / "sharded")
    inputs = {"token_ids": np.array([[50256, 15496, 995, 50255]]), "padding_mask": np.ones((1, 4), bool)}
    np.testing.assert_allclose(loaded(inputs), model(inputs), atol=1e-6)

    model.save_to_preset(tmp_path / "whole", max_shard_size=1.0)
    assert os.listdir(tmp_path / "whole").count("model.weights.h5") == 1


@pytest.mark.parametrize(
    "edit, error, message",
    [
        (lambda m: m.update({"/x/vars": "../model_00000.weights.h5"}), InvalidCheckpointError, "not a shard name"),
        (lambda m: m.update({"/x/vars": ["model_00099.weights.h5"]}), FileNotFoundError, "is missing"),
        (lambda m: m.update({"/x/vars": 7}), InvalidCheckpointError, "weight_map./x/vars"),
        (lambda m: m.clear(), InvalidCheckpointError, "lists no shards"),
    ],
)
def test_a_hostile_shard_index_is_refused(gpt2_tokenizer, tmp_path, edit, error, message):
    model = GPT2CausalLM(tiny_backbone(), GPT2CausalLMPreprocessor(gpt2_tokenizer, sequence_length=16))
    model.save_to_preset(tmp_path / "sharded", max_shard_size=0.003)
    index = tmp_path / "sharded" / "model.weights.json"
    document = json.loads(index.read_text())
    edit(document["weight_map"])
    index.write_text(json.dumps(document))
    with pytest.raises(error, match=message):
        GPT2CausalLM.from_preset(tmp_path / "sharded")


def test_a_shard_that_lost_its_tensors_is_refused(gpt2_tokenizer, tmp_path):
    model = GPT2CausalLM(tiny_backbone(), GPT2CausalLMPreprocessor(gpt2_tokenizer, sequence_length=16))
    model.save_to_preset(tmp_path / "sharded", max_shard_size=0.003)
    last = sorted((tmp_path / "sharded").glob("model_*.weights.h5"))[-1]
    with h5py.File(last, "a") as file:
        datasets = []
        file.visititems(lambda name, item: datasets.append(name) if isinstance(item, h5py.Dataset) else None)
        del file[datasets[0]]
    with pytest.raises(InvalidCheckpointError, match="do not have the shapes"):
        GPT2CausalLM.from_preset(tmp_path / "sharded")
