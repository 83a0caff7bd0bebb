"""The decoding loop shared by every sampler."""

import keras
from keras import ops


def any_equal(inputs, values, where):
    """True where `inputs` equals one of `values` and `where` holds."""
    found = ops.zeros_like(inputs, dtype="bool")
    for value in values:
        found = ops.logical_or(found, ops.equal(inputs, value))
    return ops.logical_and(found, where)


def keep_going(prompt, index, mask, stop_token_ids, end, finished=None):
    """The decode loop's condition: before `end`, and some row has not made a stop token.

    `finished(prompt)` overrides which rows count as stopped (beam search looks at its best beams).
    """
    going = True if end is None else ops.less(index, end)
    if stop_token_ids is None:
        return going
    if finished is None:
        stopped = ops.any(any_equal(prompt, stop_token_ids, ops.logical_not(mask)), axis=-1)
    else:
        stopped = finished(prompt)
    unfinished = ops.logical_not(ops.all(stopped))
    return unfinished if end is None else ops.logical_and(going, unfinished)


def sample_from_logits(logits, uniform):
    """Inverse-CDF draw: for each row, the first index whose cumulative probability reaches `uniform`.

    Zero-probability entries are never drawn. Random numbers come in from
    outside, so no random state is touched inside compiled loops.
    """
    cumulative = ops.cumsum(ops.softmax(logits, axis=-1), axis=-1)
    threshold = uniform[:, None] * cumulative[:, -1:]
    index = ops.sum(ops.cast(cumulative <= threshold, "int32"), axis=-1)
    return ops.minimum(index, ops.shape(logits)[-1] - 1)


class Sampler:
    """Base class: fills a right-padded prompt one position at a time.

    Subclasses choose the next token from one step's logits and one uniform
    random number per row in `get_next_token`. The loop (`__call__`) is
    written with `keras.ops` so it compiles into one XLA/JAX program; all the
    random numbers it needs are drawn once before the loop, from the seed
    generator, so seeded runs reproduce on every backend. Temperature divides
    the logits first.

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

    def get_next_token(self, logits, uniform):
        """`[batch]` ids from `[batch, vocabulary]` float32 logits (already tempered)
        and `[batch]` uniform numbers in [0, 1)."""
        raise NotImplementedError

    def draw_uniform(self, shape):
        """Uniform numbers in [0, 1) from the sampler's seed generator."""
        return keras.random.uniform(shape, seed=self.seed_generator)

    def validate(self, vocabulary_size):
        """Raises a clear error if the sampler cannot run on this vocabulary."""

    def __call__(self, next, prompt, cache, index, mask, stop_token_ids=None, end=None):
        """Fills `prompt` from `index` on; positions where `mask` is True keep the prompt.

        `next(prompt, cache, index)` returns `(logits, cache)`: the logits of
        position `index` given positions up to `index - 1`. The loop stops at
        `end` (a scalar; default the prompt's width), or once every row has
        made a stop token.
        """
        batch_size, max_length = ops.shape(prompt)[0], ops.shape(prompt)[-1]
        uniform = self.draw_uniform((max_length, batch_size))

        def cond(prompt, cache, index):
            return keep_going(prompt, index, mask, stop_token_ids, end)

        def body(prompt, cache, index):
            prompt, cache = self.step(next, prompt, cache, index, mask, uniform[index])
            return prompt, cache, index + 1

        prompt, _, _ = ops.while_loop(cond, body, (prompt, cache, index), maximum_iterations=max_length - index)
        return prompt

    def step(self, next, prompt, cache, index, mask, uniform):
        """One position: returns `(prompt, cache)` with position `index` filled."""
        logits, cache = next(prompt, cache, index)
        next_token = ops.cast(self.get_next_token(self.temper(logits), uniform), prompt.dtype)
        next_token = ops.where(mask[:, index], prompt[:, index], next_token)
        return ops.slice_update(prompt, [0, index], next_token[:, None]), cache

    def temper(self, logits):
        return ops.cast(logits, "float32") / self.temperature

    def get_config(self):
        return {"temperature": self.temperature, "seed": self.seed}
