"""Generation controls against Hugging Face's `generate` with the same weights and settings."""

import numpy as np
import pytest

from keras_gpt2.generation.logits_processors import chain
from keras_gpt2.generation.logits_processors import repetition_penalty

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

PROMPT = [50256, 464, 2068, 7586, 21831]


def hf_generate(reference, **settings):
    with torch.no_grad():
        output = reference.generate(torch.tensor([PROMPT]), do_sample=False, pad_token_id=0, **settings)
    return output[0, len(PROMPT) :].tolist()


def ours_generate(model, **settings):
    """The new tokens, up to (not including) a stop token."""
    output = model.generate({"token_ids": np.array([PROMPT])}, sampler="greedy", **settings)
    return output["token_ids"][0, len(PROMPT) :][output["padding_mask"][0, len(PROMPT) :]].tolist()


@pytest.mark.parametrize("penalty", [1.3, 3.0, 0.7])
def test_repetition_penalty_matches_transformers(hf_twins, penalty):
    reference, ours = hf_twins
    expected = hf_generate(reference, max_new_tokens=24, repetition_penalty=penalty, eos_token_id=None)
    plain = ours_generate(ours, max_new_tokens=24, stop_token_ids=None)
    assert ours_generate(ours, max_new_tokens=24, stop_token_ids=None, repetition_penalty=penalty) == expected
    assert plain != expected  # the penalty changed the text, so the comparison means something


def test_min_new_tokens_matches_transformers(hf_twins):
    reference, ours = hf_twins
    stop = ours_generate(ours, max_new_tokens=12, stop_token_ids=None)[1]  # made early: the end token here

    def before_stop(tokens):
        return tokens[: tokens.index(stop)] if stop in tokens else tokens

    expected = before_stop(hf_generate(reference, max_new_tokens=12, min_new_tokens=6, eos_token_id=stop))
    assert len(expected) >= 6
    assert ours_generate(ours, max_new_tokens=12, stop_token_ids=[stop], min_new_tokens=6) == expected
    assert len(ours_generate(ours, max_new_tokens=12, stop_token_ids=[stop])) == 1  # without it: stops at once


def test_custom_processors_run_inside_the_compiled_step(hf_twins):
    from keras import ops

    _, ours = hf_twins
    banned = ours_generate(ours, max_new_tokens=8, stop_token_ids=None)[0]

    def ban(logits, token_ids, index):
        return ops.where(ops.equal(ops.arange(ops.shape(logits)[-1]), banned)[None, :], -1e9, logits)

    made = ours_generate(ours, max_new_tokens=8, stop_token_ids=None, logits_processors=[ban])
    assert banned not in made and len(made) == 8
    assert chain([]) is None and chain([None]) is None


def test_streaming_takes_the_same_controls(hf_twins):
    _, ours = hf_twins
    whole = ours.generate("The quick", max_new_tokens=12, sampler="greedy", repetition_penalty=2.0, strip_prompt=True)
    pieces = "".join(ours.generate_stream("The quick", max_new_tokens=12, sampler="greedy", repetition_penalty=2.0))
    assert pieces == whole


def test_bad_controls_are_refused(hf_twins):
    _, ours = hf_twins
    with pytest.raises(ValueError, match="repetition_penalty must be > 0"):
        ours.generate({"token_ids": np.array([PROMPT])}, repetition_penalty=0)
    with pytest.raises(ValueError, match="min_new_tokens must be a non-negative integer"):
        ours.generate({"token_ids": np.array([PROMPT])}, min_new_tokens=-1)
    with pytest.raises(ValueError, match="must be > 0"):
        repetition_penalty(-1.0)
