import json

import pytest

from keras_gpt2.assets import gpt2_merges_path
from keras_gpt2.assets import gpt2_vocabulary_path
from keras_gpt2.errors import InvalidCheckpointError
from keras_gpt2.io.loading import checkpoint_tokenizer
from keras_gpt2.io.loading import read_gpt2_tokenizer
from keras_gpt2.io.loading import read_merges
from keras_gpt2.io.loading import read_vocabulary


def write(tmp_path, vocabulary, merges):
    (tmp_path / "vocab.json").write_text(json.dumps(vocabulary) if not isinstance(vocabulary, str) else vocabulary)
    (tmp_path / "merges.txt").write_text(merges)
    return tmp_path / "vocab.json", tmp_path / "merges.txt"


def test_real_vocabulary_reads_with_tiktoken_ids(tiktoken_gpt2):
    tokenizer = read_gpt2_tokenizer(gpt2_vocabulary_path(), gpt2_merges_path(), 50257)
    text = "Hello world, it's 2026!"
    assert tokenizer(text) == tiktoken_gpt2.encode(text)


@pytest.mark.parametrize(
    "vocabulary, message",
    [
        ({"a": 0, "b": 2}, "token ids must be the integers 0..N-1"),
        ({"a": 0, "b": "1"}, "b: must be an integer"),
        ([["a", 0]], "must be an object"),
        ('{"a": 0, "a": 1}', "repeats the key"),
    ],
)
def test_bad_vocabularies(tmp_path, vocabulary, message):
    vocabulary_path, _ = write(tmp_path, vocabulary, "")
    with pytest.raises(InvalidCheckpointError, match=message):
        read_vocabulary(vocabulary_path)


def test_bad_merges_and_mismatches(tmp_path):
    vocabulary_path, merges_path = write(tmp_path, {"a": 0, "b": 1, "<|endoftext|>": 2}, "#version: 0.2\na b c\n")
    with pytest.raises(InvalidCheckpointError, match="merges.txt: rule 1: 'a b c' must be two tokens"):
        read_merges(merges_path)
    merges_path.write_bytes(b"a \xff\n")
    with pytest.raises(InvalidCheckpointError, match="is not UTF-8"):
        read_merges(merges_path)
    merges_path.write_text("a b\n")
    with pytest.raises(InvalidCheckpointError, match="vocab.json: has 3 tokens but the model has 5"):
        read_gpt2_tokenizer(vocabulary_path, merges_path, 5)
    with pytest.raises(InvalidCheckpointError, match="merges.txt: does not fit the vocabulary"):
        read_gpt2_tokenizer(vocabulary_path, merges_path, 3)


def test_checkpoint_without_tokenizer_files(tmp_path):
    assert checkpoint_tokenizer(tmp_path / "vocab.json", tmp_path / "merges.txt", 300) is None
    shipped = checkpoint_tokenizer(tmp_path / "vocab.json", tmp_path / "merges.txt", 50257)
    assert shipped("Hello world") == [15496, 995]
