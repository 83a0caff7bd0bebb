from keras_gpt2.generation.samplers.greedy_sampler import GreedySampler
from tests.sampler_helpers import run_fixed_distribution


def test_always_takes_the_most_likely_token():
    assert (run_fixed_distribution(GreedySampler()) == 0).all()
