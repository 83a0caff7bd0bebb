"""Top-k sampling."""

from keras import ops

from keras_gpt2.generation.samplers.sampler import Sampler
from keras_gpt2.generation.samplers.sampler import sample_from_logits


class TopKSampler(Sampler):
    """Samples among the `k` most likely tokens only.

    Args:
        k: how many tokens to keep; 1 <= k <= vocabulary size.
        temperature, seed: see `Sampler`.

    Examples:
    >>> import numpy as np
    >>> sampler = TopKSampler(k=1, seed=0)
    >>> int(sampler.get_next_token(np.array([[0.1, 0.5, 0.4]], "float32"), np.array([0.9]))[0])
    1
    """

    def __init__(self, k=5, temperature=1.0, seed=None):
        super().__init__(temperature=temperature, seed=seed)
        if not isinstance(k, int) or k < 1:
            raise ValueError(f"`k` must be an integer >= 1, got {k!r}.")
        self.k = k

    def validate(self, vocabulary_size):
        if self.k > vocabulary_size:
            raise ValueError(f"`k` ({self.k}) is larger than the vocabulary ({vocabulary_size}).")

    def get_next_token(self, logits, uniform):
        top_logits, top_indices = ops.top_k(logits, k=self.k, sorted=True)  # most likely first, as in JS
        choice = sample_from_logits(top_logits, uniform)
        return ops.squeeze(ops.take_along_axis(top_indices, choice[:, None], axis=-1), axis=-1)

    def get_config(self):
        return {**super().get_config(), "k": self.k}
