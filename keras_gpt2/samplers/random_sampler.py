"""Sampling from the full (tempered) distribution."""

import keras
from keras import ops

from keras_gpt2.samplers.sampler import Sampler


class RandomSampler(Sampler):
    """Samples the next token from `softmax(logits / temperature)`.

    Examples:
    >>> import numpy as np
    >>> sampler = RandomSampler(temperature=0.7, seed=1)
    >>> int(sampler.get_next_token(np.array([[0.0, 50.0, 0.0]], "float32"))[0])
    1
    """

    def get_next_token(self, logits):
        return ops.squeeze(keras.random.categorical(logits, 1, seed=self.seed_generator), axis=-1)
