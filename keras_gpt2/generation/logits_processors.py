"""Logits processors: functions `(logits, token_ids, index) -> logits` applied to each
step's next-token logits inside the compiled decode loop, before the sampler (and its
temperature) sees them, as Hugging Face's `LogitsProcessor`s are.

`logits` is `[batch, vocabulary]` float32, `token_ids` the `[batch, width]` sequences
being filled, `index` the position being predicted (every position before it holds a
prompt or generated token). A processor must use `keras.ops` only, so it compiles.

Examples:
>>> import numpy as np
>>> process = repetition_penalty(2.0)
>>> logits = np.array([[1.0, -1.0, 3.0]], "float32")
>>> ops.convert_to_numpy(process(logits, np.array([[0, 1, 0]]), 2)).tolist()
[[0.5, -2.0, 3.0]]
"""

from keras import ops


def repetition_penalty(penalty):
    """Hugging Face's repetition penalty: the logit of every token already in the sequence
    is divided by `penalty` when positive and multiplied by it when negative."""
    if not penalty > 0:
        raise ValueError(f"repetition_penalty must be > 0, got {penalty}")

    def process(logits, token_ids, index):
        batch_size, width = ops.shape(token_ids)[0], ops.shape(token_ids)[1]
        seen = ops.less(ops.arange(width)[None, :], index)
        # Positions not yet made point at the first token: it is seen, so writing its
        # penalised logit twice changes nothing.
        ids = ops.where(seen, token_ids, token_ids[:, :1])
        picked = ops.take_along_axis(logits, ids, axis=1)
        penalised = ops.where(ops.less(picked, 0), picked * penalty, picked / penalty)
        rows = ops.broadcast_to(ops.arange(batch_size)[:, None], ops.shape(ids))
        indices = ops.stack([ops.reshape(rows, [-1]), ops.reshape(ids, [-1])], axis=1)
        return ops.scatter_update(logits, indices, ops.reshape(penalised, [-1]))

    return process


def suppress_tokens_before(token_ids_to_suppress, ends):
    """Makes `token_ids_to_suppress` impossible while `index < ends[row]` (`ends` a `[batch]`
    tensor): with the stop tokens and each prompt's length plus `min_new_tokens`, this is
    Hugging Face's `min_new_tokens`."""
    suppressed = list(token_ids_to_suppress)

    def process(logits, token_ids, index):
        vocabulary = ops.arange(ops.shape(logits)[-1])
        banned = ops.zeros_like(vocabulary, dtype="bool")
        for token in suppressed:
            banned = ops.logical_or(banned, ops.equal(vocabulary, token))
        active = ops.less(index, ends)[:, None]
        return ops.where(ops.logical_and(active, banned[None, :]), ops.cast(-1e9, logits.dtype), logits)

    return process


def chain(processors):
    """One processor that applies `processors` in order (None when there are none)."""
    processors = [p for p in processors if p is not None]
    if not processors:
        return None

    def process(logits, token_ids, index):
        for processor in processors:
            logits = processor(ops.cast(logits, "float32"), token_ids, index)
        return logits

    return process
