"""Greedy decoding."""

from keras import ops

from keras_gpt2.generation.samplers.sampler import Sampler


class GreedySampler(Sampler):
    """Always picks the most likely token.

    Examples:
    >>> import numpy as np
    >>> from keras import ops
    >>> ops.convert_to_numpy(GreedySampler().get_next_token(np.array([[0.1, 3.0, 0.2]], "float32"), None)).tolist()
    [1]
    """

    def __init__(self, **kwargs):
        super().__init__(temperature=1.0, seed=None)

    def get_next_token(self, logits, uniform):
        return ops.argmax(logits, axis=-1)

    def get_config(self):
        return {}
