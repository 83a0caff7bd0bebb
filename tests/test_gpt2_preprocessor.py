import keras
import numpy as np
import pytest

from keras_gpt2.preprocessing.gpt2_preprocessor import GPT2Preprocessor


@pytest.fixture
def preprocessor(gpt2_tokenizer):
    return GPT2Preprocessor(gpt2_tokenizer, sequence_length=6)


def test_packs_with_start_and_end_tokens(preprocessor, gpt2_tokenizer):
    x = preprocessor(["Hello world", "a b c d e f g"])
    hello = gpt2_tokenizer("Hello world")
    assert x["token_ids"][0].tolist() == [50256, *hello, 50256, 0, 0]
    assert x["padding_mask"][0].tolist() == [True] * 4 + [False] * 2
    assert x["token_ids"][1].tolist() == [50256, *gpt2_tokenizer("a b c d"), 50256]


def test_single_string_is_unbatched(preprocessor):
    x = preprocessor("Hello")
    assert x["token_ids"].shape == (6,)


def test_labels_pass_through(preprocessor):
    x, y, sample_weight = preprocessor(["a"], np.array([1]), np.array([0.5]))
    assert y.tolist() == [1] and sample_weight.tolist() == [0.5]


def test_same_result_in_tf_data(preprocessor):
    import tensorflow as tf

    texts = ["Hello world", "more text here"]
    eager = preprocessor(texts)
    batch = next(iter(tf.data.Dataset.from_tensor_slices(texts).batch(2).map(preprocessor)))
    np.testing.assert_array_equal(batch["token_ids"].numpy(), eager["token_ids"])
    np.testing.assert_array_equal(batch["padding_mask"].numpy(), eager["padding_mask"])


def test_config_round_trip(preprocessor):
    config = keras.saving.serialize_keras_object(preprocessor)
    restored = keras.saving.deserialize_keras_object(config)
    assert restored.sequence_length == 6 and restored.tokenizer.special_tokens_in_strings is False
