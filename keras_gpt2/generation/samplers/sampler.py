"""The decoding loop shared by every sampler."""

from keras import ops

from keras_gpt2.generation import random_stream


def any_equal(inputs, values, where):
    """True where `inputs` equals one of `values` and `where` holds."""
    found = ops.zeros_like(inputs, dtype="bool")
    for value in values:
        found = ops.logical_or(found, ops.equal(inputs, value))
    return ops.logical_and(found, where)


def keep_going(token_ids, index, mask, stop_token_ids, end):
    """The decode loop's condition: before `end`, and some row has not made a stop token."""
    going = ops.less(index, end)
    if not stop_token_ids:
        return going
    stopped = ops.any(any_equal(token_ids, stop_token_ids, ops.logical_not(mask)), axis=-1)
    return ops.logical_and(going, ops.logical_not(ops.all(stopped)))


def sample_from_logits(logits, uniform):
    """Inverse-CDF draw: for each row, the first index whose cumulative probability passes `uniform`.

    Zero-probability entries are never drawn. The JavaScript runtime draws the
    same way, over candidates in the same order, so equal uniforms give equal tokens.
    """
    cumulative = ops.cumsum(ops.softmax(logits, axis=-1), axis=-1)
    threshold = uniform[:, None] * cumulative[:, -1:]
    index = ops.sum(ops.cast(cumulative <= threshold, "int32"), axis=-1)
    return ops.minimum(index, ops.shape(logits)[-1] - 1)


class Sampler:
    """Base class: fills right-padded sequences one position at a time.

    Subclasses choose the next token from one step's logits and one uniform
    number per row in `get_next_token`. The loop (`__call__`) is written with
    `keras.ops` so it compiles into one program; the uniform numbers come in
    from outside (`uniforms`, from `keras_gpt2.generation.random_stream`), so a
    seed gives the same choices in `generate`, `generate_stream`, every backend
    and the browser. A seeded sampler makes the same choices on every call;
    without a seed each call draws a fresh one. Temperature divides the logits
    first.

    Args:
        temperature: logits are divided by it; must be > 0.
        seed: an int (taken modulo 2**32) for reproducible sampling.
    """

    # Beam search makes its several sequences itself; other samplers get each prompt repeated.
    searches_beams = False

    def __init__(self, temperature=1.0, seed=None):
        if not temperature > 0:
            raise ValueError(f"`temperature` must be > 0, got {temperature}.")
        if seed is not None and not isinstance(seed, int):
            raise ValueError(f"`seed` must be an integer or None, got {seed!r}.")
        self.temperature = float(temperature)
        self.seed = seed

    def get_next_token(self, logits, uniform):
        """`[batch]` ids from `[batch, vocabulary]` float32 logits (already tempered)
        and `[batch]` uniform numbers in [0, 1)."""
        raise NotImplementedError

    def uniforms(self, batch_size, length):
        """The `[length, batch_size]` uniform numbers of one call (see `random_stream`)."""
        seed = random_stream.new_seed() if self.seed is None else self.seed
        return random_stream.uniforms(seed, batch_size, length)

    def validate(self, vocabulary_size):
        """Raises a clear error if the sampler cannot run on this vocabulary."""

    def compiled_config(self):
        """What a compiled loop depends on: the config without the seed (uniforms come in)."""
        return {key: value for key, value in self.get_config().items() if key != "seed"}

    def __call__(self, next, token_ids, cache, index, mask, uniforms, end, stop_token_ids=(), process=None):
        """Fills `token_ids` from `index` to `end`; positions where `mask` is True keep theirs.

        `next(token_ids, cache, index)` returns `(logits, cache)`: the logits of
        position `index` given positions up to `index - 1`; `process(logits,
        token_ids, index)` (optional) changes them before the choice. Stops
        early once every row has made a stop token. Returns `(token_ids, cache)`.
        """

        def cond(token_ids, cache, index):
            return keep_going(token_ids, index, mask, stop_token_ids, end)

        def body(token_ids, cache, index):
            token_ids, cache = self.step(next, token_ids, cache, index, mask, uniforms[index], process)
            return token_ids, cache, index + 1

        width = ops.shape(token_ids)[1]
        token_ids, cache, _ = ops.while_loop(cond, body, (token_ids, cache, index), maximum_iterations=width)
        return token_ids, cache

    def step(self, next, token_ids, cache, index, mask, uniform, process=None):
        """One position: returns `(token_ids, cache)` with position `index` filled."""
        logits, cache = next(token_ids, cache, index)
        if process is not None:
            logits = process(ops.cast(logits, "float32"), token_ids, index)
        next_token = ops.cast(self.get_next_token(self.temper(logits), uniform), token_ids.dtype)
        next_token = ops.where(mask[:, index], token_ids[:, index], next_token)
        return ops.slice_update(token_ids, [0, index], next_token[:, None]), cache

    def temper(self, logits):
        return ops.cast(logits, "float32") / self.temperature

    def get_config(self):
        return {"temperature": self.temperature, "seed": self.seed}
