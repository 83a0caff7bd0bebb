"""The random numbers samplers consume, defined once for Python and the browser.

A counter-based generator: the uniform number for `(seed, row, position)` is a hash of
the three, so it does not depend on how generation is split into calls. `generate`,
`generate_stream`, every Keras backend and the JavaScript runtime
(`keras_gpt2/js/generation/random_stream.js`, the same arithmetic) draw the same
numbers, and so make the same choices from the same logits.

The hash is MurmurHash3's 32-bit finaliser applied three times (position, then row,
then seed folded in); the top 24 bits give a float32 in [0, 1) exactly.

Examples:
>>> values = uniforms(seed=7, batch_size=2, length=4)
>>> values.shape, values.dtype.name
((4, 2), 'float32')
>>> bool(((values >= 0) & (values < 1)).all())
True
>>> bool((uniforms(7, 2, 4) == values).all())
True
"""

import secrets

import numpy as np

_MASK = 0xFFFFFFFF


def _mix(h):
    """MurmurHash3's fmix32 on a uint32 array."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def uniforms(seed, batch_size, length):
    """`[length, batch_size]` float32 uniform numbers in [0, 1): entry `[position, row]` is
    the number row `row` uses to choose the token at `position`."""
    positions = np.arange(length, dtype=np.uint32)[:, None]
    rows = np.arange(batch_size, dtype=np.uint32)[None, :]
    with np.errstate(over="ignore"):
        h = _mix(positions * np.uint32(0x9E3779B1) + np.uint32(0x7F4A7C15))
        h = _mix(h ^ (rows * np.uint32(0x85EBCA77) + np.uint32(0x165667B1)))
        h = _mix(h ^ np.uint32(int(seed) & _MASK))
    return ((h >> np.uint32(8)).astype(np.float32)) * np.float32(2.0**-24)


def new_seed():
    """A fresh 32-bit seed, for samplers made without one."""
    return secrets.randbits(32)
