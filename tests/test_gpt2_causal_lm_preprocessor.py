import numpy as np
import pytest

from keras_gpt2.preprocessing.gpt2_causal_lm_preprocessor import GPT2CausalLMPreprocessor


@pytest.fixture
def preprocessor(gpt2_tokenizer):
    return GPT2CausalLMPreprocessor(gpt2_tokenizer, sequence_length=5)


def test_labels_are_inputs_shifted_by_one(preprocessor):
    x, y, sample_weight = preprocessor(["The quick brown fox", "Hi"])
    np.testing.assert_array_equal(x["token_ids"][:, 1:], y[:, :-1])
    assert x["token_ids"].shape == y.shape == sample_weight.shape == (2, 5)
    assert sample_weight[1].tolist() == [True, True, False, False, False]


def test_rejects_labels(preprocessor):
    with pytest.raises(ValueError, match="own labels"):
        preprocessor(["a"], y=np.array([1]))


def test_generate_preprocess_has_no_end_token(preprocessor, gpt2_tokenizer):
    x = preprocessor.generate_preprocess(["Hello world"], sequence_length=6)
    assert x["token_ids"][0].tolist() == [50256, *gpt2_tokenizer("Hello world"), 0, 0, 0]


def test_generate_postprocess_inverts_generate_preprocess(preprocessor):
    prompts = ["Hello world", "  spaced  out ", "émoji 🙂"]
    x = preprocessor.generate_preprocess(prompts, sequence_length=12)
    assert preprocessor.generate_postprocess(x) == prompts


def test_generate_postprocess_drops_end_tokens_and_padding(preprocessor, gpt2_tokenizer):
    hello = gpt2_tokenizer("Hello")
    x = {
        "token_ids": np.array([[50256, *hello, 50256, 0]]),
        "padding_mask": np.array([[True] * (len(hello) + 2) + [False]]),
    }
    assert preprocessor.generate_postprocess(x) == ["Hello"]


def test_fit_style_dataset(preprocessor):
    import tensorflow as tf

    dataset = tf.data.Dataset.from_tensor_slices(["a b c", "d e"]).batch(2).map(preprocessor)
    x, y, sample_weight = next(iter(dataset))
    assert x["token_ids"].shape == (2, 5) and y.dtype == tf.int32 and sample_weight.dtype == tf.bool
