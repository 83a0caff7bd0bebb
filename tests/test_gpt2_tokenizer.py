import keras
import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from keras_gpt2.tokenizers.gpt2_tokenizer import GPT2Tokenizer


def test_ids_equal_tiktoken_on_parity_corpus(gpt2_tokenizer, tiktoken_gpt2, parity_corpus):
    assert len(parity_corpus) >= 200
    ours = gpt2_tokenizer(parity_corpus)
    for text, ids in zip(parity_corpus, ours):
        assert ids == tiktoken_gpt2.encode(text, disallowed_special=()), text


def test_ids_equal_hugging_face_on_parity_corpus(gpt2_tokenizer, hf_gpt2_tokenizer, parity_corpus):
    ours = gpt2_tokenizer(parity_corpus)
    for text, ids in zip(parity_corpus, ours):
        assert ids == hf_gpt2_tokenizer.encode(text, add_special_tokens=False, split_special_tokens=True), text


def test_whitespace_run_keeps_gpt2_pre_split(gpt2_tokenizer):
    # keras-hub 0.32 gives ["ĠĠ", "hello"] here; GPT-2 gives ["Ġ", "Ġhello"].
    tokens = [gpt2_tokenizer.id_to_token(i) for i in gpt2_tokenizer("  hello")]
    assert tokens == ["Ġ", "Ġhello"]


def test_special_token_is_text_unless_asked(gpt2_tokenizer, tiktoken_gpt2):
    text = "a<|endoftext|>b"
    assert 50256 not in gpt2_tokenizer(text)
    special = GPT2Tokenizer(gpt2_tokenizer.vocabulary, gpt2_tokenizer.merges, special_tokens_in_strings=True)
    assert special(text) == tiktoken_gpt2.encode(text, allowed_special="all")
    assert special.detokenize(special(text)) == text


@settings(max_examples=600, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=60))
def test_detokenize_inverts_tokenize(gpt2_tokenizer, text):
    assert gpt2_tokenizer.detokenize(gpt2_tokenizer(text)) == text


def test_batched_inputs_of_every_kind_agree(gpt2_tokenizer):
    import tensorflow as tf

    texts = ["one two", "three"]
    expected = [gpt2_tokenizer(t) for t in texts]
    assert gpt2_tokenizer(texts) == expected
    assert gpt2_tokenizer(np.array(texts)) == expected
    assert gpt2_tokenizer(tf.constant(texts)) == expected
    assert gpt2_tokenizer([t.encode() for t in texts]) == expected


def test_sequence_length_gives_padded_int32_array(gpt2_tokenizer):
    dense = GPT2Tokenizer(gpt2_tokenizer.vocabulary, gpt2_tokenizer.merges, sequence_length=3)(["a b c d e", "a"])
    assert dense.dtype == np.int32 and dense.shape == (2, 3)
    assert dense[0].tolist() == gpt2_tokenizer("a b c")
    assert dense[1].tolist() == gpt2_tokenizer("a") + [0, 0]


def test_works_inside_tf_data(gpt2_tokenizer):
    import tensorflow as tf

    texts = ["Hello world", "foo bar baz qux"]
    dataset = tf.data.Dataset.from_tensor_slices(texts).map(gpt2_tokenizer)
    assert [t.numpy().tolist() for t in dataset] == gpt2_tokenizer(texts)
    ragged = next(iter(tf.data.Dataset.from_tensor_slices(texts).batch(2).map(gpt2_tokenizer)))
    assert ragged.to_list() == gpt2_tokenizer(texts)


@pytest.mark.parametrize(
    "bad_input, error",
    [(42, TypeError), ([b"\xff\xfe"], ValueError), (["ok", None], TypeError), (np.array([["a"]]), ValueError)],
)
def test_bad_input_is_a_clear_error(gpt2_tokenizer, bad_input, error):
    with pytest.raises(error, match="input|UTF-8|shape"):
        gpt2_tokenizer(bad_input)


def test_detokenize_rejects_ids_outside_vocabulary(gpt2_tokenizer):
    with pytest.raises(ValueError, match="outside the vocabulary"):
        gpt2_tokenizer.detokenize([15496, 50257])
    with pytest.raises(ValueError, match="outside the vocabulary"):
        gpt2_tokenizer.detokenize([[-1]])


def test_detokenize_batches(gpt2_tokenizer):
    ids = gpt2_tokenizer(["Hello world", "x"])
    assert gpt2_tokenizer.detokenize(ids) == ["Hello world", "x"]
    assert gpt2_tokenizer.detokenize(np.array([ids[0]])) == ["Hello world"]


def test_special_token_ids(gpt2_tokenizer):
    assert gpt2_tokenizer.end_token_id == gpt2_tokenizer.start_token_id == 50256
    assert gpt2_tokenizer.pad_token_id == 0
    assert gpt2_tokenizer.vocabulary_size() == 50257


def test_vocabulary_must_hold_end_of_text():
    with pytest.raises(ValueError, match="endoftext"):
        GPT2Tokenizer({"a": 0}, [])


def test_config_and_assets_round_trip(gpt2_tokenizer, tmp_path):
    tokenizer = GPT2Tokenizer(
        gpt2_tokenizer.vocabulary, gpt2_tokenizer.merges, sequence_length=8, special_tokens_in_strings=True
    )
    config = keras.saving.serialize_keras_object(tokenizer)
    assert "vocabulary" not in str(config["config"]) and "Ġ" not in str(config)
    restored = keras.saving.deserialize_keras_object(config)
    tokenizer.save_assets(str(tmp_path))
    restored.load_assets(str(tmp_path))
    text = "a<|endoftext|> b  c"
    np.testing.assert_array_equal(restored(text), tokenizer(text))
