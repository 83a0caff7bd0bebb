"""Beam search."""

from keras import ops
from keras import tree

from keras_gpt2.samplers.sampler import Sampler
from keras_gpt2.samplers.sampler import any_equal
from keras_gpt2.samplers.sampler import keep_going


class BeamSampler(Sampler):
    """Keeps the `num_beams` most likely continuations; returns the best.

    Scores are summed log-probabilities (no length penalty). A beam that has
    produced a stop token is frozen with its score, so finished and
    unfinished beams compete fairly.

    Args:
        num_beams: beams per prompt, >= 1 (1 is greedy decoding).
        temperature: see `Sampler`.

    Examples:
    >>> sampler = BeamSampler(num_beams=3)
    >>> sampler.num_beams
    3
    """

    def __init__(self, num_beams=5, temperature=1.0):
        super().__init__(temperature=temperature, seed=None)
        if not isinstance(num_beams, int) or num_beams < 1:
            raise ValueError(f"`num_beams` must be an integer >= 1, got {num_beams!r}.")
        self.num_beams = num_beams

    def __call__(self, next, prompt, cache, index, mask, stop_token_ids=None, end=None):
        batch_size, max_length = ops.shape(prompt)[0], ops.shape(prompt)[1]
        beams = self.num_beams

        def expand(x):
            return ops.repeat(x, beams, axis=0)  # (B * beams, ...)

        prompt, mask, cache = expand(prompt), expand(mask), tree.map_structure(expand, cache)
        first_beam_only = ops.concatenate([ops.zeros([1]), ops.full([beams - 1], -1e9)])
        log_probs = ops.tile(first_beam_only, [batch_size])  # (B * beams,)

        def finished(prompt):
            if stop_token_ids is None:
                return ops.zeros(ops.shape(prompt)[:1], "bool")
            return ops.any(any_equal(prompt, stop_token_ids, ops.logical_not(mask)), axis=-1)

        def cond(prompt, cache, index, log_probs):
            def best_finished(prompt):
                return ops.reshape(finished(prompt), [batch_size, beams])[:, 0]

            return keep_going(prompt, index, mask, stop_token_ids, end, finished=best_finished)

        def body(prompt, cache, index, log_probs):
            logits, cache = next(prompt, cache, index)
            vocabulary_size = ops.shape(logits)[-1]
            step = ops.log_softmax(self.temper(logits), axis=-1)  # (B * beams, V)
            # Forced rows (still inside the prompt, or finished) may only take one token, at no cost.
            forced_token = ops.where(mask[:, index], prompt[:, index], prompt[:, index - 1])
            one_token = ops.where(ops.arange(vocabulary_size)[None, :] == forced_token[:, None], 0.0, -1e9)
            forced = ops.logical_or(mask[:, index], finished(prompt))
            step = ops.where(forced[:, None], one_token, step)
            scores = ops.reshape(log_probs[:, None] + step, [batch_size, beams * vocabulary_size])
            top_scores, top_indices = ops.top_k(scores, k=beams)
            source_beam = top_indices // vocabulary_size
            token = ops.cast(top_indices % vocabulary_size, prompt.dtype)
            rows = ops.reshape(ops.arange(batch_size)[:, None] * beams + source_beam, [-1])
            prompt = ops.take(prompt, rows, axis=0)
            cache = tree.map_structure(lambda c: ops.take(c, rows, axis=0), cache)
            prompt = ops.slice_update(prompt, [0, index], ops.reshape(token, [-1, 1]))
            return prompt, cache, index + 1, ops.reshape(top_scores, [-1])

        prompt, _, _, _ = ops.while_loop(
            cond, body, (prompt, cache, index, log_probs), maximum_iterations=max_length - index
        )
        return ops.reshape(prompt, [batch_size, beams, -1])[:, 0, :]

    def step(self, next, prompt, cache, index, mask, uniform):
        raise ValueError("Beam search reorders its beams until the end; it cannot stream tokens.")

    def get_config(self):
        return {"num_beams": self.num_beams, "temperature": self.temperature}
