"""Prompts made ready for the compiled generation program: checked, packed, bucketed."""

import dataclasses

import keras
import numpy as np

from keras_gpt2.errors import InvalidInputError
from keras_gpt2.preprocessing.start_end_packer import StartEndPacker
from keras_gpt2.utils.tensor_utils import to_python_strings


def length_bucket(length, max_sequence_length):
    """The width programs are compiled for: the smallest power of two >= `length`, at least 16.

    Prompts of many lengths then share a few programs (16, 32, 64, ... up to
    `max_sequence_length`); the decode loop stops at the real end.

    Examples:
    >>> [length_bucket(n, 1024) for n in (1, 17, 68, 1000)]
    [16, 32, 128, 1024]
    """
    return min(max(16, 1 << max(length - 1, 0).bit_length()), max_sequence_length)


@dataclasses.dataclass
class PreparedPrompts:
    """Prompts as `[rows, bucket]` arrays, and for each row the length to generate up to
    (`limits`); `start` is the shortest prompt's length and `end` the longest limit,
    where the decode loop stops. `batched` is False for a single prompt."""

    token_ids: np.ndarray
    padding_mask: np.ndarray
    batched: bool
    limits: np.ndarray

    @property
    def lengths(self):
        return self.padding_mask.sum(axis=-1).astype("int32")

    @property
    def start(self):
        return int(self.lengths.min())

    @property
    def end(self):
        return int(self.limits.max())

    def frozen_mask(self):
        """True where the sampler must keep the token: the prompt, and each row past its limit."""
        positions = np.arange(self.token_ids.shape[1])[None, :]
        return self.padding_mask | (positions >= self.limits[:, None])

    def min_ends(self, min_new_tokens):
        """For each row, the first position where a stop token may come: prompt + `min_new_tokens`."""
        return self.lengths + int(min_new_tokens)

    def repeat(self, times):
        """Each prompt `times` times in a row (for several sequences per prompt)."""
        return PreparedPrompts(
            np.repeat(self.token_ids, times, axis=0),
            np.repeat(self.padding_mask, times, axis=0),
            self.batched,
            np.repeat(self.limits, times, axis=0),
        )


def checked_token_inputs(inputs, vocabulary_size, where="generate"):
    """`(token_ids, padding_mask)` as 2-D numpy arrays, refused unless ids fit the vocabulary and shapes agree."""
    if "token_ids" not in inputs:
        raise InvalidInputError(where, "inputs", "a dict of arrays needs a 'token_ids' entry")
    raw_ids = np.asarray(keras.ops.convert_to_numpy(inputs["token_ids"]))
    if raw_ids.ndim not in (1, 2) or raw_ids.size == 0 or raw_ids.dtype.kind not in "iu":
        raise InvalidInputError(
            where, "token_ids", f"must be a non-empty 1-D or 2-D integer array, got {raw_ids.dtype} {raw_ids.shape}"
        )
    outside = (raw_ids < 0) | (raw_ids >= vocabulary_size)
    if outside.any():
        position = tuple(int(i) for i in np.argwhere(outside)[0])
        raise InvalidInputError(
            where,
            f"token_ids{list(position)}",
            f"{int(raw_ids[position])} is outside the vocabulary [0, {vocabulary_size})",
        )
    token_ids = np.atleast_2d(raw_ids.astype("int32"))
    if inputs.get("padding_mask") is None:
        return token_ids, np.ones(token_ids.shape, bool)
    raw_mask = np.asarray(keras.ops.convert_to_numpy(inputs["padding_mask"]))
    if raw_mask.shape != raw_ids.shape:
        raise InvalidInputError(
            where, "padding_mask", f"has shape {raw_mask.shape}, but token_ids has shape {raw_ids.shape}"
        )
    return token_ids, np.atleast_2d(raw_mask.astype(bool))


def prepare_prompts(inputs, backbone, preprocessor, max_length=None, max_new_tokens=None):
    """Checks and packs `inputs` (strings, or a dict of `token_ids`/`padding_mask`).

    With `max_new_tokens`, each prompt's limit is its own length plus that many
    tokens; with `max_length` (default: the preprocessor's `sequence_length`,
    or the width of `token_ids`), every row's limit is that length. Text is
    tokenized once and packed by `StartEndPacker`.
    """
    if isinstance(inputs, dict):
        token_ids, padding_mask = checked_token_inputs(inputs, backbone.vocabulary_size)
        batched = np.ndim(inputs["token_ids"]) == 2
        sequences = [row[keep].tolist() for row, keep in zip(token_ids, padding_mask)]
        start_value, default_length = None, token_ids.shape[1]
    else:
        if preprocessor is None:
            raise ValueError(
                "This model has no preprocessor, so it cannot take text; pass "
                "{'token_ids', 'padding_mask'} arrays, or attach a GPT2CausalLMPreprocessor."
            )
        strings, batched = to_python_strings(inputs)
        sequences = preprocessor.tokenizer(strings)
        add_start = preprocessor.add_start_token
        start_value = preprocessor.tokenizer.start_token_id if add_start else None
        default_length = preprocessor.sequence_length
    lengths = np.array([len(ids) for ids in sequences]) + int(start_value is not None)
    if max_new_tokens is not None:
        if max_length is not None:
            raise ValueError("Pass `max_length` or `max_new_tokens`, not both.")
        if not isinstance(max_new_tokens, int) or max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be a positive integer, got {max_new_tokens!r}")
        limits = lengths + max_new_tokens
    else:
        limits = np.full(len(lengths), int(max_length or default_length))
    end, limit = int(limits.max()), backbone.max_sequence_length
    if end > limit:
        raise ValueError(f"`max_length` {end} is beyond this model's max_sequence_length ({limit}).")
    if int(lengths.min()) < 1:
        raise ValueError("Every prompt needs at least one token (the start token counts).")
    if np.any(lengths > limits):
        raise ValueError(f"A prompt has {int(lengths.max())} tokens, more than `max_length` {end}.")
    packer = StartEndPacker(length_bucket(end, limit), start_value=start_value)
    token_ids, padding_mask = packer(sequences, add_end_value=False)
    return PreparedPrompts(token_ids, padding_mask, batched, limits)
