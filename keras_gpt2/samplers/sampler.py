"""The decoding loop shared by every sampler."""

import keras
from keras import ops


def any_equal(inputs, values, where):
    """True where `inputs` equals one of `values` and `where` holds."""
    found = ops.zeros_like(inputs, dtype="bool")
    for value in values:
        found = ops.logical_or(found, ops.equal(inputs, value))
    return ops.logical_and(found, where)


class Sampler:
    """Base class: fills a right-padded prompt one position at a time.

    Subclasses choose the next token from one step's logits in
    `get_next_token`. The loop (`__call__`) is written with `keras.ops` so it
    compiles into one XLA/JAX program. Temperature divides the logits first.

    Args:
        temperature: logits are divided by it; must be > 0.
        seed: an int for reproducible sampling.
    """

    def __init__(self, temperature=1.0, seed=None):
        if not temperature > 0:
            raise ValueError(f"`temperature` must be > 0, got {temperature}.")
        self.temperature = float(temperature)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    @property
    def variables(self):
        """State the compiled loop must carry (the random seed)."""
        return [self.seed_generator.state]

    def get_next_token(self, logits):
        """`[batch]` ids from `[batch, vocabulary]` float32 logits (already tempered)."""
        raise NotImplementedError

    def validate(self, vocabulary_size):
        """Raises a clear error if the sampler cannot run on this vocabulary."""

    def __call__(self, next, prompt, cache, index, mask, stop_token_ids=None):
        """Fills `prompt` from `index` on; positions where `mask` is True keep the prompt.

        `next(prompt, cache, index)` returns `(logits, cache)`: the logits of
        position `index` given positions up to `index - 1`.
        """
        max_length = ops.shape(prompt)[-1]

        def cond(prompt, cache, index):
            if stop_token_ids is None:
                return True
            stopped = any_equal(prompt, stop_token_ids, ops.logical_not(mask))
            return ops.logical_not(ops.all(ops.any(stopped, axis=-1)))

        def body(prompt, cache, index):
            prompt, cache = self.step(next, prompt, cache, index, mask)
            return prompt, cache, index + 1

        prompt, _, _ = ops.while_loop(
            cond, body, (prompt, cache, index), maximum_iterations=max_length - index
        )
        return prompt

    def step(self, next, prompt, cache, index, mask):
        """One position: returns `(prompt, cache)` with position `index` filled."""
        logits, cache = next(prompt, cache, index)
        next_token = ops.cast(self.get_next_token(self.temper(logits)), prompt.dtype)
        next_token = ops.where(mask[:, index], prompt[:, index], next_token)
        return ops.slice_update(prompt, [0, index], next_token[:, None]), cache

    def temper(self, logits):
        return ops.cast(logits, "float32") / self.temperature

    def get_config(self):
        return {"temperature": self.temperature, "seed": self.seed}
