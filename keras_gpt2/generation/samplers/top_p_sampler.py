"""Nucleus (top-p) sampling."""

from keras import ops

from keras_gpt2.generation.samplers.sampler import Sampler
from keras_gpt2.generation.samplers.sampler import sample_from_logits


class TopPSampler(Sampler):
    """Samples from the smallest set of tokens whose probability reaches `p`.

    Args:
        p: probability mass to keep, in (0, 1].
        k: optionally look only at the `k` most likely tokens first (faster on
            large vocabularies, since sorting 50k logits is the slow part).
        temperature, seed: see `Sampler`.

    Examples:
    >>> import numpy as np
    >>> sampler = TopPSampler(p=0.5, seed=0)
    >>> int(sampler.get_next_token(np.log(np.array([[0.1, 0.6, 0.3]], "float32")), np.array([0.99]))[0])
    1
    """

    def __init__(self, p=0.9, k=None, temperature=1.0, seed=None):
        super().__init__(temperature=temperature, seed=seed)
        if not 0 < p <= 1:
            raise ValueError(f"`p` must be in (0, 1], got {p}.")
        if k is not None and (not isinstance(k, int) or k < 1):
            raise ValueError(f"`k` must be an integer >= 1 or None, got {k!r}.")
        self.p = float(p)
        self.k = k

    def validate(self, vocabulary_size):
        if self.k is not None and self.k > vocabulary_size:
            raise ValueError(f"`k` ({self.k}) is larger than the vocabulary ({vocabulary_size}).")

    def get_next_token(self, logits, uniform):
        k = self.k or ops.shape(logits)[-1]
        sorted_logits, sorted_indices = ops.top_k(logits, k=k, sorted=True)
        probabilities = ops.softmax(sorted_logits, axis=-1)
        # Keep a token if the mass before it is still short of p (the first always stays).
        mass_before = ops.cumsum(probabilities, axis=-1) - probabilities
        keep = mass_before < self.p
        kept_logits = ops.where(keep, sorted_logits, ops.full_like(sorted_logits, -1e9))
        choice = sample_from_logits(kept_logits, uniform)
        return ops.squeeze(ops.take_along_axis(sorted_indices, choice[:, None], axis=-1), axis=-1)

    def get_config(self):
        return {**super().get_config(), "p": self.p, "k": self.k}
