"""Beam search, as Hugging Face's `generate(num_beams=...)` does it."""

from keras import ops
from keras import tree

from keras_gpt2.generation.samplers.sampler import Sampler
from keras_gpt2.generation.samplers.sampler import any_equal

_IMPOSSIBLE = -1.0e9


def _gather_beams(values, indices):
    """`values[b, indices[b, j]]` for `[batch, beams, ...]` values and `[batch, k]` indices."""
    shape = ops.shape(indices) + (1,) * (len(ops.shape(values)) - 2)
    return ops.take_along_axis(values, ops.reshape(indices, shape), axis=1)


class BeamSampler(Sampler):
    """Keeps the `num_beams` most likely continuations of each prompt.

    Hugging Face's algorithm (transformers 5, `early_stopping=False`): each
    step ranks `2 * num_beams` (more with several stop tokens) continuations
    by summed log-probability; those ending in a stop token, or reaching the
    length limit, become finished hypotheses scored
    `sum_logprobs / new_tokens ** length_penalty`, and the best unfinished ones
    go on. A prompt is done when no running beam can beat its worst finished
    hypothesis. The best finished hypotheses are returned, best first.

    Args:
        num_beams: beams per prompt, >= 1.
        length_penalty: exponent of the length divisor; > 0 favours longer
            sequences, < 0 shorter ones (Hugging Face's default 1.0).
        temperature: divides the logits before the log-softmax (1.0: plain
            beam search, as Hugging Face's).

    Examples:
    >>> sampler = BeamSampler(num_beams=3, length_penalty=0.5)
    >>> sampler.num_beams, sampler.length_penalty
    (3, 0.5)
    """

    searches_beams = True

    def __init__(self, num_beams=5, length_penalty=1.0, temperature=1.0):
        super().__init__(temperature=temperature, seed=None)
        if not isinstance(num_beams, int) or num_beams < 1:
            raise ValueError(f"`num_beams` must be an integer >= 1, got {num_beams!r}.")
        self.num_beams = num_beams
        self.length_penalty = float(length_penalty)

    def __call__(
        self,
        next,
        token_ids,
        cache,
        index,
        mask,
        uniforms,
        end,
        stop_token_ids=(),
        process=None,
        num_return_sequences=1,
    ):
        """Returns `([batch * num_return_sequences, width] token ids, None)`, each prompt's best first."""
        if not 1 <= num_return_sequences <= self.num_beams:
            raise ValueError(f"num_return_sequences must be in [1, num_beams={self.num_beams}] with beam search.")
        batch_size, width = ops.shape(token_ids)[0], ops.shape(token_ids)[1]
        beams = self.num_beams
        candidates = max(2, 1 + len(stop_token_ids)) * beams
        # Each row: its prompt's length, and the length it may reach (mask = prompt or past the limit).
        prompt_lengths = ops.sum(ops.cumprod(ops.cast(mask, "int32"), axis=1), axis=1)
        limits = prompt_lengths + ops.sum(ops.cast(ops.logical_not(mask), "int32"), axis=1)
        flat_rows = ops.arange(batch_size * beams)

        def flatten(x):
            return ops.reshape(x, (batch_size * beams,) + tuple(ops.shape(x)[2:]))

        def unflatten(x):
            return ops.reshape(x, (batch_size, beams) + tuple(ops.shape(x)[1:]))

        running = unflatten(ops.repeat(token_ids, beams, axis=0))  # (B, K, W)
        cache = tree.map_structure(lambda c: ops.repeat(c, beams, axis=0), cache)
        running_scores = ops.tile(
            ops.concatenate([ops.zeros([1]), ops.full([beams - 1], _IMPOSSIBLE)])[None], [batch_size, 1]
        )
        state = (
            running,
            running_scores,
            running,  # finished hypotheses (B, K, W)
            ops.full((batch_size, beams), _IMPOSSIBLE),  # their scores
            ops.zeros((batch_size, beams), "bool"),  # slot holds a finished hypothesis
            ops.ones((batch_size,), "bool"),  # the prompt may still improve
        )

        def cond(cache, index, state):
            return ops.logical_and(ops.less(index, end), ops.any(state[-1]))

        def body(cache, index, state):
            running, running_scores, finished, finished_scores, is_finished, improving = state
            logits, new_cache = next(flatten(running), cache, index)
            log_probs = ops.log_softmax(self.temper(logits), axis=-1)
            if process is not None:
                log_probs = process(log_probs, flatten(running), index)
            vocabulary_size = ops.shape(log_probs)[-1]
            scores = ops.reshape(unflatten(log_probs) + running_scores[:, :, None], [batch_size, -1])
            top_scores, top_indices = ops.top_k(scores, k=candidates)  # (B, 2K)
            source_beams = top_indices // vocabulary_size
            tokens = ops.cast(top_indices % vocabulary_size, running.dtype)
            continued = _gather_beams(running, source_beams)  # (B, 2K, W)
            continued = ops.slice_update(continued, [0, 0, index], tokens[:, :, None])
            new_tokens = ops.cast(index + 1 - prompt_lengths, "float32")[:, None]
            at_limit = ops.greater_equal(index + 1, limits)[:, None]
            ends = ops.logical_or(any_equal(tokens, stop_token_ids, ops.ones_like(tokens, "bool")), at_limit)

            # The best candidates that did not end run on.
            live_scores = top_scores + ops.cast(ends, "float32") * _IMPOSSIBLE
            live_scores, kept = ops.top_k(live_scores, k=beams)
            next_running = _gather_beams(continued, kept)
            next_sources = _gather_beams(source_beams, kept)

            # Candidates among the top K that ended become hypotheses, if they beat the finished ones.
            in_top = ops.less(ops.arange(candidates), beams)[None, :]
            just_finished = ops.logical_and(ends, in_top)
            penalised = top_scores / new_tokens**self.length_penalty
            blocked = ops.logical_or(ops.logical_not(just_finished), ops.logical_not(improving)[:, None])
            penalised = penalised + ops.cast(blocked, "float32") * _IMPOSSIBLE
            merged_scores = ops.concatenate([finished_scores, penalised], axis=1)
            best_scores, best = ops.top_k(merged_scores, k=beams)
            next_finished = _gather_beams(ops.concatenate([finished, continued], axis=1), best)
            next_is_finished = _gather_beams(ops.concatenate([is_finished, just_finished], axis=1), best)

            # Hugging Face's heuristic: go on while the best running beam, at this length, beats the worst hypothesis.
            best_possible = live_scores[:, :1] / new_tokens**self.length_penalty
            worst = ops.where(next_is_finished, ops.min(best_scores, axis=1, keepdims=True), _IMPOSSIBLE)
            next_improving = ops.logical_and(improving, ops.any(best_possible > worst, axis=1))
            next_improving = ops.logical_and(next_improving, ops.logical_not(at_limit[:, 0]))

            # Rows still inside their prompt (or done) only copy the prompt's token; beams stay in place.
            forced = mask[:, index]
            prompt_token = ops.broadcast_to(token_ids[:, index][:, None, None], (batch_size, beams, 1))
            copied = ops.slice_update(running, [0, 0, index], prompt_token)

            def pick(when_forced, otherwise):
                shape = ops.shape(forced) + (1,) * (len(ops.shape(otherwise)) - 1)
                return ops.where(ops.reshape(forced, shape), when_forced, otherwise)

            state = (
                pick(copied, next_running),
                pick(running_scores, live_scores),
                pick(finished, next_finished),
                pick(finished_scores, best_scores),
                pick(is_finished, next_is_finished),
                pick(improving, next_improving),
            )
            sources = ops.reshape(ops.arange(batch_size)[:, None] * beams + next_sources, [-1])
            sources = ops.where(ops.repeat(forced, beams), flat_rows, sources)
            new_cache = tree.map_structure(lambda c: ops.take(c, sources, axis=0), new_cache)
            return new_cache, index + 1, state

        _, _, state = ops.while_loop(cond, body, (cache, index, state), maximum_iterations=width)
        finished = state[2][:, :num_return_sequences]
        return ops.reshape(finished, [batch_size * num_return_sequences, width]), None

    def step(self, next, token_ids, cache, index, mask, uniform, process=None):
        raise ValueError("Beam search reorders its beams until the end; it cannot stream tokens.")

    def get_config(self):
        return {"num_beams": self.num_beams, "length_penalty": self.length_penalty, "temperature": self.temperature}
