"""Adds start/end tokens, truncates and pads id sequences to a fixed length."""

import numpy as np


class StartEndPacker:
    """Packs ragged id sequences into a dense `[batch, sequence_length]` array.

    The start token is prepended, the end token appended, then the sequence
    is truncated so the end token survives (the content is cut, not the
    marker) and padded with `pad_value`.

    Args:
        sequence_length: length of every output row.
        start_value: id put first, or None.
        end_value: id put last, or None.
        pad_value: id used for padding.

    Examples:
    >>> packer = StartEndPacker(6, start_value=1, end_value=2, pad_value=0)
    >>> ids, mask = packer([[5, 6, 7]])
    >>> ids.tolist()
    [[1, 5, 6, 7, 2, 0]]
    >>> mask.tolist()
    [[True, True, True, True, True, False]]
    """

    def __init__(self, sequence_length, start_value=None, end_value=None, pad_value=0):
        if sequence_length is None or sequence_length < 1:
            raise ValueError(f"`sequence_length` must be a positive integer, got {sequence_length}.")
        self.sequence_length = sequence_length
        self.start_value = start_value
        self.end_value = end_value
        self.pad_value = pad_value

    def __call__(self, sequences, add_start_value=True, add_end_value=True):
        """Returns `(token_ids, padding_mask)`, int32 and bool arrays of shape `[batch, sequence_length]`."""
        start = [self.start_value] if add_start_value and self.start_value is not None else []
        end = [self.end_value] if add_end_value and self.end_value is not None else []
        room = self.sequence_length - len(start) - len(end)
        if room < 0:
            raise ValueError(f"`sequence_length` {self.sequence_length} is too short for the start/end tokens.")
        token_ids = np.full((len(sequences), self.sequence_length), self.pad_value, "int32")
        padding_mask = np.zeros((len(sequences), self.sequence_length), bool)
        for row, sequence in enumerate(sequences):
            packed = start + list(sequence[:room]) + end
            token_ids[row, : len(packed)] = packed
            padding_mask[row, : len(packed)] = True
        return token_ids, padding_mask
