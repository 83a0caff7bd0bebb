import numpy as np
import pytest

from keras_gpt2.generation.samplers.top_k_sampler import TopKSampler
from tests.sampler_helpers import run_fixed_distribution


def test_never_samples_outside_the_top_k():
    tokens = run_fixed_distribution(TopKSampler(k=3, seed=0), batch_size=128)
    assert set(np.unique(tokens)) == {0, 1, 2}


def test_top_k_renormalises_within_the_top_k():
    tokens = run_fixed_distribution(TopKSampler(k=2, seed=0), batch_size=256, length=41)
    assert (tokens == 0).mean() == pytest.approx(0.4 / 0.65, abs=0.03)


@pytest.mark.parametrize("k", [0, -3, 2.5])
def test_bad_k(k):
    with pytest.raises(ValueError, match="`k`"):
        TopKSampler(k=k)


def test_k_larger_than_vocabulary():
    with pytest.raises(ValueError, match="larger than the vocabulary"):
        TopKSampler(k=8).validate(7)
