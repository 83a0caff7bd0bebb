"""Sampling from the full (tempered) distribution."""

from keras_gpt2.generation.samplers.sampler import Sampler
from keras_gpt2.generation.samplers.sampler import sample_from_logits


class RandomSampler(Sampler):
    """Samples the next token from `softmax(logits / temperature)`.

    Examples:
    >>> import numpy as np
    >>> sampler = RandomSampler(temperature=0.7, seed=1)
    >>> int(sampler.get_next_token(np.array([[0.0, 50.0, 0.0]], "float32"), np.array([0.5]))[0])
    1
    """

    def get_next_token(self, logits, uniform):
        return sample_from_logits(logits, uniform)
