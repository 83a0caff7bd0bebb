"""Scoring against Hugging Face's loss on the same weights, and windows over long texts."""

import numpy as np
import pytest

from keras_gpt2.models.gpt2_causal_lm import GPT2CausalLM
from tests.helpers import tiny_backbone

torch = pytest.importorskip("torch")


def test_log_likelihood_equals_transformers_loss(hf_twins, gpt2_tokenizer):
    reference, ours = hf_twins
    texts = ["Shall I compare thee to a summer's day?", "a"]
    result = ours.score(texts)
    for text, log_likelihood, count in zip(texts, result["log_likelihood"], result["num_tokens"]):
        ids = [50256, *gpt2_tokenizer(text), 50256]
        with torch.no_grad():
            loss = reference(torch.tensor([ids]), labels=torch.tensor([ids])).loss.item()  # mean over predictions
        assert count == len(ids) - 1
        assert log_likelihood == pytest.approx(-loss * count, rel=1e-4)
    assert result["perplexity"] == pytest.approx(np.exp(-result["log_likelihood"] / result["num_tokens"]))


def test_long_sequences_are_cut_into_windows_predicting_each_token_once():
    model = GPT2CausalLM(tiny_backbone(vocabulary_size=97, max_sequence_length=8))
    ids = np.random.default_rng(3).integers(0, 97, size=20)
    whole = model.score({"token_ids": ids[None], "padding_mask": np.ones((1, 20))})
    assert whole["num_tokens"].tolist() == [19]
    windows = [ids[start : start + 8] for start in range(0, 19, 7)]
    parts = [model.score({"token_ids": w[None], "padding_mask": np.ones((1, len(w)))}) for w in windows]
    assert sum(int(p["num_tokens"][0]) for p in parts) == 19
    assert whole["log_likelihood"][0] == pytest.approx(sum(p["log_likelihood"][0] for p in parts), rel=1e-5)


def test_bad_token_ids_are_refused():
    from keras_gpt2.errors import InvalidInputError

    model = GPT2CausalLM(tiny_backbone(vocabulary_size=97, max_sequence_length=8))
    with pytest.raises(InvalidInputError, match=r"score: token_ids\[0, 1\]: 97 is outside the vocabulary"):
        model.score({"token_ids": np.array([[1, 97]])})
