import numpy as np

from keras_gpt2.generation.samplers.random_sampler import RandomSampler
from tests.sampler_helpers import PROBABILITIES
from tests.sampler_helpers import run_fixed_distribution


def test_frequencies_follow_the_distribution():
    tokens = run_fixed_distribution(RandomSampler(seed=1), batch_size=256, length=41)
    frequencies = np.bincount(tokens.reshape(-1), minlength=len(PROBABILITIES)) / tokens.size
    np.testing.assert_allclose(frequencies, PROBABILITIES, atol=0.02)


def test_low_temperature_sharpens():
    tokens = run_fixed_distribution(RandomSampler(temperature=0.05, seed=1))
    assert (tokens == 0).mean() > 0.99


def test_seed_reproduces():
    first = run_fixed_distribution(RandomSampler(seed=5))
    np.testing.assert_array_equal(first, run_fixed_distribution(RandomSampler(seed=5)))
    assert not np.array_equal(first, run_fixed_distribution(RandomSampler(seed=6)))
