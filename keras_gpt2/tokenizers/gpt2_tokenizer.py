"""The GPT-2 tokenizer: byte-level BPE plus the `<|endoftext|>` special token."""

import keras

from keras_gpt2.tokenizers.byte_pair_tokenizer import BytePairTokenizer

END_OF_TEXT = "<|endoftext|>"


@keras.saving.register_keras_serializable(package="keras_gpt2")
class GPT2Tokenizer(BytePairTokenizer):
    """GPT-2's tokenizer, with `<|endoftext|>` as start, end token.

    By default the text `"<|endoftext|>"` inside an input string is ordinary
    text and tokenizes into pieces (`<`, `|`, `end`, ...), as tiktoken does with
    `disallowed_special=()`: user text can never inject a control token. Pass
    `special_tokens_in_strings=True` to map it to its id (50256) instead.

    Args:
        vocabulary: dict or path to `encoder.json`/`vocab.json`; must contain
            `<|endoftext|>`.
        merges: list or path to `vocab.bpe`/`merges.txt`.
        sequence_length: optional dense output length.
        add_prefix_space: see `BytePairTokenizer`.
        special_tokens_in_strings: whether `<|endoftext|>` in text is the
            special id.
        pad_value: pad id for dense outputs (0, as in TF.js).

    Examples:
    >>> from keras_gpt2.assets import gpt2_vocabulary_path, gpt2_merges_path
    >>> tokenizer = GPT2Tokenizer(gpt2_vocabulary_path(), gpt2_merges_path())
    >>> tokenizer("Hello world")
    [15496, 995]
    >>> tokenizer.end_token_id
    50256
    """

    def __init__(
        self,
        vocabulary=None,
        merges=None,
        sequence_length=None,
        add_prefix_space=False,
        special_tokens_in_strings=False,
        pad_value=0,
        **kwargs,
    ):
        kwargs.pop("unsplittable_tokens", None)
        self.special_tokens_in_strings = special_tokens_in_strings
        super().__init__(
            vocabulary=vocabulary,
            merges=merges,
            sequence_length=sequence_length,
            add_prefix_space=add_prefix_space,
            unsplittable_tokens=[END_OF_TEXT] if special_tokens_in_strings else None,
            pad_value=pad_value,
            **kwargs,
        )

    def set_vocabulary_and_merges(self, vocabulary, merges):
        super().set_vocabulary_and_merges(vocabulary, merges)
        if END_OF_TEXT not in self.vocabulary:
            raise ValueError(f"GPT-2 vocabularies must contain {END_OF_TEXT!r}.")

    @property
    def end_token_id(self):
        """Id of `<|endoftext|>`, GPT-2's end (and start) token."""
        return self.token_to_id(END_OF_TEXT)

    @property
    def start_token_id(self):
        """GPT-2 starts documents with the same `<|endoftext|>` token."""
        return self.end_token_id

    @property
    def pad_token_id(self):
        return self.pad_value

    def get_config(self):
        config = super().get_config()
        del config["unsplittable_tokens"]
        config["special_tokens_in_strings"] = self.special_tokens_in_strings
        return config
