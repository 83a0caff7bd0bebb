"""Every reader against mutated files: it loads exactly what the files encode, or refuses cleanly.

For each format a valid artifact of a tiny GPT-2 is written once by the
format's own writer (transformers, keras-hub, TensorFlow, ours). Hypothesis
then mutates a fresh copy per example (truncate, extend, flip bytes, change
JSON value types, drop and duplicate keys, huge declared shapes, hostile file
names, symbolic links out of the folder) and asserts:

- the load either succeeds, and then every tensor it read equals what the
  format's reference reader (safetensors, tensorflowjs, h5py, TensorFlow's
  checkpoint reader, torch) decodes from the same files, or it raises a
  `keras_gpt2.errors` exception (or FileNotFoundError for a missing file);
  never another exception type;
- it takes bounded time and, as tracemalloc sees it, no more than twice the
  memory of loading the valid artifact (plus 1 MiB);
- nothing is written anywhere under the example's folder.

`KERAS_GPT2_FUZZ_EXAMPLES` sets the examples per format (default 300). The
readers are numpy code, so the suite runs on the TensorFlow backend only.
"""

import json
import os
import shutil
import time
import tracemalloc

import keras
import numpy as np
import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from keras_gpt2.errors import KerasGPT2Error
from keras_gpt2.io import hugging_face
from keras_gpt2.io import keras_hub as keras_hub_format
from keras_gpt2.io import openai
from keras_gpt2.io import preset
from keras_gpt2.io import tfjs
from tests.helpers import once_per_suite

pytestmark = once_per_suite("backend-independent readers")

EXAMPLES = int(os.environ.get("KERAS_GPT2_FUZZ_EXAMPLES", "300"))
TIME_LIMIT_S = 20
CONFIG = dict(vocabulary_size=300, num_layers=1, num_heads=2, hidden_dim=8, intermediate_dim=32, max_sequence_length=16)
HF_CONFIG = dict(vocab_size=300, n_layer=1, n_head=2, n_embd=8, n_positions=16)
HOSTILE_NAMES = [
    "../outside.bin",
    "/etc/passwd",
    "%2e%2e/outside.bin",
    "http://127.0.0.1:1/x.bin",
    "//127.0.0.1:1/x.bin",
    "http:outside.bin",
    "..\\outside.bin",
    ".hidden",
    "",
    "a/../../outside.bin",
]
JSON_REPLACEMENTS = [None, True, -1, 0, 1.5, 2**62, 1e308, "x", "", [], {}, [1, 2], {"a": 1}, 10**30]


def small_vocabulary():
    """300 tokens of GPT-2's real vocabulary (the 256 bytes, the first merges, `<|endoftext|>`)."""
    from keras_gpt2.assets import gpt2_merges_path
    from keras_gpt2.assets import gpt2_vocabulary_path

    with open(gpt2_vocabulary_path(), encoding="utf-8") as file:
        full = json.load(file)
    vocabulary = {token: i for token, i in full.items() if i < 299}
    vocabulary["<|endoftext|>"] = 299
    with open(gpt2_merges_path(), encoding="utf-8") as file:
        lines = [line for line in file.read().split("\n")[1:] if line]
    merges = [line for line in lines if "".join(line.split(" ")) in vocabulary][:43]
    return vocabulary, merges


def write_tokenizer(folder, vocabulary_name, merges_name):
    vocabulary, merges = small_vocabulary()
    (folder / vocabulary_name).write_text(json.dumps(vocabulary), encoding="utf-8")
    (folder / merges_name).write_text("#version: 0.2\n" + "\n".join(merges) + "\n", encoding="utf-8")


def our_model():
    from keras_gpt2.models.gpt2_backbone import GPT2Backbone
    from keras_gpt2.models.gpt2_causal_lm import GPT2CausalLM
    from keras_gpt2.preprocessing.gpt2_causal_lm_preprocessor import GPT2CausalLMPreprocessor
    from keras_gpt2.tokenizers.gpt2_tokenizer import GPT2Tokenizer

    backbone = GPT2Backbone(**CONFIG, dropout=0.0)
    rng = np.random.default_rng(0)
    for weight in backbone.weights:
        weight.assign(rng.normal(0, 0.5, weight.shape))
    return GPT2CausalLM(backbone, GPT2CausalLMPreprocessor(GPT2Tokenizer(*small_vocabulary()), sequence_length=16))


def hf_model():
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    torch.manual_seed(0)
    return transformers.GPT2LMHeadModel(transformers.GPT2Config(**HF_CONFIG)).eval()


# === Valid artifacts, one per format, and how each is loaded and decoded by a reference ===


def make_hf(folder, **save_kwargs):
    hf_model().save_pretrained(folder, **save_kwargs)
    write_tokenizer(folder, "vocab.json", "merges.txt")
    return folder


def make_hf_bin(folder):
    torch = pytest.importorskip("torch")
    model = hf_model()
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(model.config.to_dict()))
    torch.save(model.state_dict(), folder / "pytorch_model.bin")
    return folder


def make_tfjs(folder):
    tfjs.export_tfjs(our_model(), folder, shard_size_mb=0.01)
    return folder


def make_preset(folder):
    our_model().save_to_preset(folder)
    return folder


def make_keras_hub(folder):
    keras_hub = pytest.importorskip("keras_hub")
    backbone = keras_hub.models.GPT2Backbone(**CONFIG)
    vocabulary, merges = small_vocabulary()
    tokenizer = keras_hub.models.GPT2Tokenizer(vocabulary=vocabulary, merges=merges)
    preprocessor = keras_hub.models.GPT2CausalLMPreprocessor(tokenizer, sequence_length=16)
    keras_hub.models.GPT2CausalLM(backbone, preprocessor).save_to_preset(str(folder))
    return folder


def make_openai(folder):
    from tests.test_openai import write_openai_checkpoint

    write_openai_checkpoint(folder, hf_model(), HF_CONFIG)
    write_tokenizer(folder, "encoder.json", "vocab.bpe")
    return folder


BACKBONES = {}


def read_plan(plan):
    """Runs every check a plan makes (names, shapes, assignment) and returns the tensors it read.

    Backbones are kept per config: building one per example would dominate the run.
    """
    from keras_gpt2.models.gpt2_backbone import GPT2Backbone

    key = tuple(sorted(plan.config.items()))
    if key not in BACKBONES:
        BACKBONES[key] = GPT2Backbone(**plan.config)
    plan.assign_to(BACKBONES[key])
    return {mapping.name: np.asarray(plan.tensors[mapping.name].read()) for mapping in plan.table_for(BACKBONES[key])}


def reference_safetensors(folder):
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    tensors = {}
    for name in sorted(os.listdir(folder)):
        if name.endswith(".safetensors"):
            tensors.update(safetensors_numpy.load_file(str(folder / name)))
    return tensors


def reference_torch(folder):
    torch = pytest.importorskip("torch")
    state = torch.load(folder / "pytorch_model.bin", map_location="cpu", weights_only=True)
    return {name: tensor.float().numpy() for name, tensor in state.items()}


def reference_tfjs(folder):
    from tests.test_tfjs import tensorflowjs_module

    read_weights = tensorflowjs_module("read_weights")
    manifest = json.loads((folder / "model.json").read_text())["weightsManifest"]
    return {e["name"]: e["data"] for e in read_weights.read_weights(manifest, str(folder), flatten=True)}


def reference_h5(path):
    import h5py

    with h5py.File(path, "r") as file:
        found = {}
        file.visititems(
            lambda name, item: found.__setitem__(name, item[()]) if isinstance(item, h5py.Dataset) else None
        )
    return found


def reference_openai(folder):
    import tensorflow as tf

    reader = tf.train.load_checkpoint(str(folder / "model.ckpt"))
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()}


def load_preset(folder):
    model = preset.load_task(folder)
    return {v.path: keras.ops.convert_to_numpy(v) for v in model.backbone.weights}


def reference_preset(folder):
    """The preset's weights as Keras itself loads them from the same files into a fresh model."""
    from keras_gpt2.models.gpt2_backbone import GPT2Backbone

    backbone = GPT2Backbone(**CONFIG, dropout=0.0)
    backbone.load_weights(str(folder / "model.weights.h5"))
    return {v.path: keras.ops.convert_to_numpy(v) for v in backbone.weights}


FORMATS = {
    "hugging_face": (make_hf, lambda f: read_plan(hugging_face.read_hf(f)), reference_safetensors),
    "hugging_face_sharded": (
        lambda f: make_hf(f, max_shard_size="10KB"),
        lambda f: read_plan(hugging_face.read_hf(f)),
        reference_safetensors,
    ),
    "hugging_face_bin": (make_hf_bin, lambda f: read_plan(hugging_face.read_hf(f)), reference_torch),
    "tfjs": (make_tfjs, lambda f: read_plan(tfjs.read_tfjs(f / "model.json")), reference_tfjs),
    "keras_hub": (
        make_keras_hub,
        lambda f: read_plan(keras_hub_format.read_keras_hub(f)),
        lambda f: reference_h5(f / "model.weights.h5"),
    ),
    "openai": (make_openai, lambda f: read_plan(openai.read_openai(f)), reference_openai),
    "preset": (make_preset, load_preset, reference_preset),
}


# === Mutations ===


def files_of(folder):
    return sorted(
        os.path.relpath(os.path.join(root, name), folder) for root, _, names in os.walk(folder) for name in names
    )


def json_paths(value, prefix=()):
    """Every path (tuple of keys/indices) to a node of a JSON value, the root excluded."""
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        yield prefix + (key,)
        if len(prefix) < 8:
            yield from json_paths(child, prefix + (key,))


def parent_and_key(document, path):
    node = document
    for key in path[:-1]:
        node = node[key]
    return node, path[-1]


@st.composite
def mutations(draw, folder):
    """One mutation: `(description, function(folder) that applies it)`."""
    names = [n for n in files_of(folder) if n != ".keras-gpt2.json"]
    name = draw(st.sampled_from(names))
    size = os.path.getsize(folder / name)
    is_json = name.endswith(".json")
    kinds = ["truncate", "extend", "flip", "empty", "symlink_out"]
    if is_json and size < 2_000_000:
        kinds += ["json_replace"] * 4 + ["json_drop"] * 2 + ["json_duplicate", "json_name", "json_huge_shape"] * 2
    kind = draw(st.sampled_from(kinds))
    if kind == "truncate":
        cut = draw(st.integers(0, max(size - 1, 0)))
        return f"truncate {name} to {cut}", lambda f: (f / name).write_bytes((f / name).read_bytes()[:cut])
    if kind == "extend":
        extra = draw(st.binary(min_size=1, max_size=64))
        return f"extend {name} by {len(extra)}", lambda f: (f / name).write_bytes((f / name).read_bytes() + extra)
    if kind == "flip":
        position, mask = draw(st.integers(0, max(size - 1, 0))), draw(st.integers(1, 255))

        def flip(f):
            data = bytearray((f / name).read_bytes())
            if data:
                data[position % len(data)] ^= mask
            (f / name).write_bytes(bytes(data))

        return f"flip byte {position} of {name}", flip
    if kind == "empty":
        return f"empty {name}", lambda f: (f / name).write_bytes(b"")
    if kind == "symlink_out":

        def link_out(f):
            outside = f.parent / "outside" / os.path.basename(name)
            outside.parent.mkdir(exist_ok=True)
            shutil.copy(f / name, outside)
            (f / name).unlink()
            os.symlink(outside, f / name)

        return f"{name} is a symbolic link out of the folder", link_out
    document = json.loads((folder / name).read_text(encoding="utf-8"))
    paths = list(json_paths(document))
    if not paths:
        return f"empty {name}", lambda f: (f / name).write_bytes(b"")
    path = draw(st.sampled_from(paths))
    if kind == "json_replace":
        replacement = draw(st.sampled_from(JSON_REPLACEMENTS))
        return f"{name}: {path} = {replacement!r}", json_edit(name, path, lambda node, key: replacement)
    if kind == "json_drop":
        return f"{name}: drop {path}", json_edit(name, path, None)
    if kind == "json_name":
        hostile = draw(st.sampled_from(HOSTILE_NAMES))
        return f"{name}: {path} = {hostile!r}", json_edit(name, path, lambda node, key: hostile)
    if kind == "json_huge_shape":
        huge = draw(st.sampled_from([[2**31, 2**31], [10**9], [100000, 100000, 100000], [2**62]]))
        return f"{name}: {path} = {huge}", json_edit(name, path, lambda node, key: huge)

    def duplicate(f):  # a key written twice: json.dumps cannot, so edit the text
        text = (f / name).read_text(encoding="utf-8")
        brace = text.find("{")
        if brace >= 0 and text[brace + 1 :].lstrip().startswith('"'):
            first_key = json.loads(text[brace:])
            key = next(iter(first_key), None) if isinstance(first_key, dict) else None
            if key is not None:
                text = text[: brace + 1] + json.dumps(key) + ": 1, " + text[brace + 1 :]
        (f / name).write_text(text, encoding="utf-8")

    return f"{name}: duplicate the first key", duplicate


def json_edit(name, path, new_value):
    def edit(f):
        document = json.loads((f / name).read_text(encoding="utf-8"))
        node, key = parent_and_key(document, path)
        if new_value is None:
            del node[key]
        else:
            node[key] = new_value(node, key)
        (f / name).write_text(json.dumps(document), encoding="utf-8")

    return edit


# === The property ===


def snapshot(root):
    return {
        path: (os.lstat(os.path.join(root, path)).st_size, os.lstat(os.path.join(root, path)).st_mtime_ns)
        for path in files_of(root)
    } | {"dirs": tuple(sorted(r for r, _, _ in os.walk(root)))}


def measured_load(load, folder):
    tracemalloc.start()
    started = time.perf_counter()
    try:
        return load(folder), None
    except (KerasGPT2Error, FileNotFoundError) as error:
        return None, error
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        measured_load.last = (time.perf_counter() - started, peak)


@pytest.fixture(scope="module")
def valid_artifacts(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz_valid")


@pytest.mark.parametrize("format_name", sorted(FORMATS))
def test_mutated_artifacts_load_exactly_or_are_refused(format_name, valid_artifacts, tmp_path_factory):
    make, load, reference = FORMATS[format_name]
    valid = make(valid_artifacts / format_name)
    loaded, error = measured_load(load, valid)
    assert error is None, f"the valid {format_name} artifact does not load: {error}"
    _, valid_peak = measured_load.last
    memory_limit = 2 * valid_peak + 2**20
    expected = reference(valid)
    for name, array in loaded.items():
        np.testing.assert_array_equal(array, np.asarray(expected[name]).reshape(array.shape), err_msg=name)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(st.data())
    def check(data):
        root = tmp_path_factory.mktemp(format_name)
        folder = root / "artifact"
        shutil.copytree(valid, folder, symlinks=True)
        description, apply = data.draw(mutations(folder))
        apply(folder)
        before = snapshot(root)
        try:
            loaded, error = measured_load(load, folder)
        except Exception as unexpected:
            raise AssertionError(f"{description}: raised {type(unexpected).__name__}: {unexpected}") from unexpected
        seconds, peak = measured_load.last
        assert snapshot(root) == before, f"{description}: the load wrote files"
        assert seconds < TIME_LIMIT_S, f"{description}: took {seconds:.1f} s"
        assert peak <= memory_limit, f"{description}: peaked at {peak:,} bytes (valid: {valid_peak:,})"
        if error is None:
            try:
                expected = reference(folder)
            except Exception as refused:
                raise AssertionError(f"{description}: we loaded what the reference refuses ({refused})") from None
            for name, array in loaded.items():
                assert name in expected, f"{description}: {name} is not in the reference's reading"
                reference_array = np.asarray(expected[name])
                assert reference_array.size == array.size, f"{description}: {name} differs in size"
                np.testing.assert_array_equal(array, reference_array.reshape(array.shape), err_msg=description)
        shutil.rmtree(root)

    check()
