"""Shared steps of every import: the tokenizer files, a checked config, a backbone filled through a table."""

import dataclasses
import os
from typing import Callable

from tqdm.auto import tqdm

from keras_gpt2.errors import InvalidCheckpointError
from keras_gpt2.io.checked_json import CheckedJSON
from keras_gpt2.io.checked_json import read_file_capped
from keras_gpt2.io.weight_table import assign_from_table
from keras_gpt2.models.backbone_config import check_fits_in
from keras_gpt2.models.backbone_config import validate_backbone_config

MAX_MERGES_BYTES = 64 * 1024 * 1024


def _checked_vocabulary(vocabulary):
    """The `{token: id}` value of a `CheckedJSON` object whose ids are exactly 0..N-1."""
    ids = sorted(vocabulary.as_object().get(token, int) for token in vocabulary.keys())
    if not ids or ids != list(range(len(ids))):
        raise vocabulary.error("token ids must be the integers 0..N-1, each used once")
    return vocabulary.value


def read_vocabulary(path):
    """`{token: id}` from a vocabulary JSON file: string tokens, ids exactly 0..N-1."""
    return _checked_vocabulary(CheckedJSON.read(path))


def read_tokenizer_json(path):
    """`(vocabulary, merges)` of a Hugging Face `tokenizer.json` holding a BPE model (the one
    file transformers 5 writes); merges may be `"a b"` strings or `["a", "b"]` pairs."""
    model = CheckedJSON.read(path).as_object().child("model")
    kind = model.get("type", str)
    if kind != "BPE":
        raise model.error(f"is {kind!r}; only a BPE model (GPT-2's) is read", "type")
    merges = []
    for _, rule in model.child("merges", list).items((str, list)):
        parts = rule.value.split(" ") if isinstance(rule.value, str) else rule.value
        if len(parts) != 2 or not all(isinstance(part, str) and part and " " not in part for part in parts):
            raise rule.error(f"{str(rule.value)[:40]} must be two tokens")
        merges.append(" ".join(parts))
    return _checked_vocabulary(model.child("vocab")), merges


def read_merges(path):
    """The merge rules of a `merges.txt`/`vocab.bpe` file, each two tokens separated by one space."""
    data = read_file_capped(path, MAX_MERGES_BYTES)
    try:
        lines = data.decode("utf-8").split("\n")
    except UnicodeDecodeError as error:
        raise InvalidCheckpointError(path, None, f"is not UTF-8 text ({error.reason} at byte {error.start})") from None
    rules = [line for line in lines if line and not line.startswith("#version")]
    for number, rule in enumerate(rules, 1):
        if len(rule.split(" ")) != 2:
            raise InvalidCheckpointError(path, f"rule {number}", f"{rule[:40]!r} must be two tokens and one space")
    return rules


def set_checked_vocabulary(tokenizer, vocabulary, merges, vocabulary_size, vocabulary_where, merges_where):
    """Gives `tokenizer` a checked vocabulary and merges, which must have `vocabulary_size` tokens when given."""
    if vocabulary_size is not None and len(vocabulary) != vocabulary_size:
        raise InvalidCheckpointError(
            vocabulary_where, None, f"has {len(vocabulary):,} tokens but the model has {vocabulary_size:,}"
        )
    try:
        tokenizer.set_vocabulary_and_merges(vocabulary, merges)
    except Exception as error:  # the `tokenizers` engine refuses merges of unknown tokens with its own types
        raise InvalidCheckpointError(merges_where, None, f"does not fit the vocabulary ({error})") from None
    return tokenizer


def fill_tokenizer(tokenizer, vocabulary_path, merges_path, vocabulary_size=None):
    """Gives `tokenizer` the checked vocabulary and merges of two files (and checks its size)."""
    vocabulary, merges = read_vocabulary(vocabulary_path), read_merges(merges_path)
    return set_checked_vocabulary(tokenizer, vocabulary, merges, vocabulary_size, vocabulary_path, merges_path)


def read_gpt2_tokenizer(vocabulary_path, merges_path, vocabulary_size=None, **settings):
    """A `GPT2Tokenizer` from two checked files, with as many tokens as the model has."""
    from keras_gpt2.tokenizers.gpt2_tokenizer import GPT2Tokenizer

    return fill_tokenizer(GPT2Tokenizer(**settings), vocabulary_path, merges_path, vocabulary_size)


def checkpoint_tokenizer(vocabulary_path, merges_path, vocabulary_size, tokenizer_json_path=None):
    """The checkpoint's own tokenizer: its vocabulary and merges files when both exist, else
    its `tokenizer.json`, else (for the 50,257-token vocabulary only) the real GPT-2 files
    shipped with keras-gpt2, else None."""
    from keras_gpt2.assets import gpt2_merges_path
    from keras_gpt2.assets import gpt2_vocabulary_path
    from keras_gpt2.tokenizers.gpt2_tokenizer import GPT2Tokenizer

    if os.path.isfile(vocabulary_path) and os.path.isfile(merges_path):
        return read_gpt2_tokenizer(vocabulary_path, merges_path, vocabulary_size)
    if tokenizer_json_path is not None and os.path.isfile(tokenizer_json_path):
        vocabulary, merges = read_tokenizer_json(tokenizer_json_path)
        return set_checked_vocabulary(
            GPT2Tokenizer(), vocabulary, merges, vocabulary_size, tokenizer_json_path, tokenizer_json_path
        )
    if vocabulary_size == 50257:
        return read_gpt2_tokenizer(gpt2_vocabulary_path(), gpt2_merges_path(), vocabulary_size)
    return None


def checked_backbone_config(config, where, field_names=None, available_bytes=None, bytes_per_parameter=1):
    """`validate_backbone_config`, then the weights' files must be able to hold such a model."""
    config = validate_backbone_config(config, where, field_names)
    if available_bytes is not None:
        check_fits_in(config, available_bytes, bytes_per_parameter, where)
    return config


@dataclasses.dataclass
class CheckpointPlan:
    """What a reader found in a foreign checkpoint, checked, before any model exists.

    `config` holds checked `GPT2Backbone` arguments; `tensors` maps the
    format's names to `StoredTensor`s (read only on demand); `table_for(backbone)`
    gives the format's name-and-layout table. `build()` makes the
    `GPT2CausalLM`; `assign_to(backbone)` fills an existing backbone.
    """

    config: dict
    table_for: Callable
    tensors: dict
    where: str
    ignored: tuple = ()
    tokenizer: object = None
    preprocessor_config: dict = None
    description: str = "converting"

    def assign_to(self, backbone, progress=None):
        table = self.table_for(backbone)
        assign_from_table(backbone, table, self.tensors, self.where, ignored=self.ignored, progress=progress)

    def build(self):
        """The `GPT2CausalLM` (with a preprocessor when there is a tokenizer); shows a progress bar."""
        from keras_gpt2.models.gpt2_backbone import GPT2Backbone
        from keras_gpt2.models.gpt2_causal_lm import GPT2CausalLM
        from keras_gpt2.preprocessing.gpt2_causal_lm_preprocessor import GPT2CausalLMPreprocessor

        backbone = GPT2Backbone(**self.config)
        total = len(self.table_for(backbone))
        with tqdm(total=total, desc=self.description, unit="tensor", disable=None) as progress:
            self.assign_to(backbone, progress=progress)
        preprocessor = None
        if self.tokenizer is not None:
            settings = {"sequence_length": backbone.max_sequence_length, **(self.preprocessor_config or {})}
            preprocessor = GPT2CausalLMPreprocessor(self.tokenizer, **settings)
        return GPT2CausalLM(backbone, preprocessor)
