import pytest

from keras_gpt2.tokenizers.byte_pair_tokenizer import BytePairTokenizer
from keras_gpt2.tokenizers.byte_pair_tokenizer import bytes_to_unicode
from keras_gpt2.tokenizers.byte_pair_tokenizer import load_merges
from keras_gpt2.tokenizers.byte_pair_tokenizer import load_vocabulary

TOY_VOCABULARY = {"a": 0, "b": 1, "ab": 2, "Ġ": 3, "Ġab": 4, "Ġa": 5, "<x>": 6}
TOY_MERGES = ["a b", "Ġ a", "Ġ ab"]


def test_bytes_to_unicode_matches_tiktoken_data_gym_mapping():
    mapping = bytes_to_unicode()
    assert sorted(mapping) == list(range(256))
    assert len(set(mapping.values())) == 256
    # tiktoken's independent construction: printable non-space bytes first, others shifted to 256+.
    order = [b for b in range(256) if chr(b).isprintable() and chr(b) != " "]
    shifted = [b for b in range(256) if b not in order]
    assert all(mapping[b] == chr(b) for b in order)
    assert [mapping[b] for b in shifted] == [chr(256 + n) for n in range(len(shifted))]


def test_merges_by_rank_on_toy_vocabulary():
    tokenizer = BytePairTokenizer(TOY_VOCABULARY, TOY_MERGES)
    assert tokenizer("ab ab a") == [2, 4, 5]
    assert tokenizer.detokenize([2, 4, 5]) == "ab ab a"


def test_add_prefix_space():
    tokenizer = BytePairTokenizer(TOY_VOCABULARY, TOY_MERGES, add_prefix_space=True)
    assert tokenizer("ab") == [4]


def test_unsplittable_tokens():
    tokenizer = BytePairTokenizer(TOY_VOCABULARY, TOY_MERGES, unsplittable_tokens=["<x>"])
    assert tokenizer("ab<x>") == [2, 6]
    with pytest.raises(ValueError, match="not in the vocabulary"):
        BytePairTokenizer(TOY_VOCABULARY, TOY_MERGES, unsplittable_tokens=["<y>"])


def test_byte_missing_from_vocabulary_is_an_error():
    tokenizer = BytePairTokenizer(TOY_VOCABULARY, TOY_MERGES)
    with pytest.raises(ValueError, match="no token in this vocabulary"):
        tokenizer("abc")


def test_loads_files_and_skips_version_header(tmp_path):
    (tmp_path / "vocab.json").write_text('{"a": 0, "b": 1, "ab": 2}')
    (tmp_path / "merges.txt").write_text("#version: 0.2\na b\n")
    assert load_vocabulary(tmp_path / "vocab.json") == {"a": 0, "b": 1, "ab": 2}
    assert load_merges(tmp_path / "merges.txt") == ["a b"]


@pytest.mark.parametrize("vocabulary", [{}, {"a": 1}, {"a": 0, "b": 0}, [1, 2]])
def test_bad_vocabulary_is_rejected(vocabulary):
    with pytest.raises(ValueError, match="vocabulary|Vocabulary"):
        load_vocabulary(vocabulary)


def test_bad_merge_rule_is_rejected():
    with pytest.raises(ValueError, match="two tokens"):
        load_merges(["a b c"])


def test_no_vocabulary_yet_is_a_clear_error():
    with pytest.raises(ValueError, match="no vocabulary yet"):
        BytePairTokenizer()("a")
