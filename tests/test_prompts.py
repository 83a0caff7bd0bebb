"""Prompts made ready for the compiled program: buckets, limits, packing, refusals."""

import numpy as np
import pytest

from keras_gpt2.generation.prompts import length_bucket
from keras_gpt2.generation.prompts import prepare_prompts
from tests.helpers import tiny_backbone


@pytest.fixture(scope="module")
def parts(gpt2_tokenizer):
    from keras_gpt2.preprocessing.gpt2_causal_lm_preprocessor import GPT2CausalLMPreprocessor

    return tiny_backbone(max_sequence_length=128), GPT2CausalLMPreprocessor(gpt2_tokenizer, sequence_length=20)


def test_buckets_are_powers_of_two_from_16_to_the_context():
    assert [length_bucket(n, 128) for n in (1, 16, 17, 33, 64, 65, 200)] == [16, 16, 32, 64, 64, 128, 128]


def test_each_prompt_gets_its_own_limit_with_max_new_tokens(parts, gpt2_tokenizer):
    backbone, preprocessor = parts
    prompts = prepare_prompts(["Hello", "Shall I compare thee"], backbone, preprocessor, max_new_tokens=5)
    lengths = [1 + len(gpt2_tokenizer(t)) for t in ("Hello", "Shall I compare thee")]
    assert prompts.lengths.tolist() == lengths and prompts.limits.tolist() == [n + 5 for n in lengths]
    assert prompts.token_ids.shape == (2, 16) and prompts.batched
    assert prompts.token_ids[0, : lengths[0]].tolist() == [50256, *gpt2_tokenizer("Hello")]
    frozen = prompts.frozen_mask()
    assert frozen[0].tolist() == [True] * lengths[0] + [False] * 5 + [True] * (16 - lengths[0] - 5)
    assert prompts.min_ends(3).tolist() == [n + 3 for n in lengths]
    repeated = prompts.repeat(2)
    assert repeated.token_ids.shape == (4, 16) and repeated.limits.tolist() == np.repeat(prompts.limits, 2).tolist()


def test_max_length_defaults_to_the_preprocessor_or_the_array_width(parts):
    backbone, preprocessor = parts
    assert prepare_prompts("Hello", backbone, preprocessor).limits.tolist() == [20]
    arrays = prepare_prompts(
        {"token_ids": np.array([[1, 2, 0]]), "padding_mask": np.array([[1, 1, 0]])}, backbone, None
    )
    assert arrays.limits.tolist() == [3] and arrays.lengths.tolist() == [2] and arrays.batched


def test_impossible_requests_are_clear_errors(parts):
    backbone, preprocessor = parts
    with pytest.raises(ValueError, match="beyond this model's max_sequence_length"):
        prepare_prompts("Hello", backbone, preprocessor, max_length=129)
    with pytest.raises(ValueError, match="not both"):
        prepare_prompts("Hello", backbone, preprocessor, max_length=8, max_new_tokens=2)
    with pytest.raises(ValueError, match="no preprocessor"):
        prepare_prompts("Hello", backbone, None)
    with pytest.raises(ValueError, match="at least one token"):
        prepare_prompts({"token_ids": np.array([[1, 2]]), "padding_mask": np.array([[0, 0]])}, backbone, None)
