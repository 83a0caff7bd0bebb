"""Preprocessing for next-token training and for generation."""

import keras
import numpy as np

from keras_gpt2.preprocessing.gpt2_preprocessor import GPT2Preprocessor


@keras.saving.register_keras_serializable(package="keras_gpt2")
class GPT2CausalLMPreprocessor(GPT2Preprocessor):
    """Packs text into `(x, y, sample_weight)` where `y` is `x` shifted by one.

    The text is packed to `sequence_length + 1` tokens; `x` holds the first
    `sequence_length`, `y` the last `sequence_length`, and `sample_weight`
    is 1 wherever `y` is a real token. `generate_preprocess` and
    `generate_postprocess` serve `GPT2CausalLM.generate`.

    Examples:
    >>> from keras_gpt2.assets import gpt2_vocabulary_path, gpt2_merges_path
    >>> from keras_gpt2.tokenizers.gpt2_tokenizer import GPT2Tokenizer
    >>> tokenizer = GPT2Tokenizer(gpt2_vocabulary_path(), gpt2_merges_path())
    >>> preprocessor = GPT2CausalLMPreprocessor(tokenizer, sequence_length=4)
    >>> x, y, sample_weight = preprocessor(["Hello world"])
    >>> x["token_ids"].tolist(), y.tolist(), sample_weight.tolist()
    ([[50256, 15496, 995, 50256]], [[15496, 995, 50256, 0]], [[True, True, True, False]])
    """

    def call(self, x, y=None, sample_weight=None, sequence_length=None):
        if y is not None or sample_weight is not None:
            raise ValueError(
                "GPT2CausalLMPreprocessor makes its own labels from the text; pass only `x` (raw strings)."
            )
        token_ids, padding_mask = self._pack_any(x, (sequence_length or self.sequence_length) + 1)
        x = {"token_ids": token_ids[..., :-1], "padding_mask": padding_mask[..., :-1]}
        return x, token_ids[..., 1:], padding_mask[..., 1:]

    def generate_preprocess(self, x, sequence_length=None):
        """Prompts to `{"token_ids", "padding_mask"}` with a start token and no end token."""
        token_ids, padding_mask = self._pack_any(x, sequence_length or self.sequence_length, add_end_token=False)
        return {"token_ids": token_ids, "padding_mask": padding_mask}

    def generate_postprocess(self, x):
        """Generated `{"token_ids", "padding_mask"}` back to strings, special tokens dropped."""
        token_ids = np.asarray(keras.ops.convert_to_numpy(x["token_ids"]))
        padding_mask = np.asarray(keras.ops.convert_to_numpy(x["padding_mask"]), bool)
        batched = token_ids.ndim == 2
        token_ids, padding_mask = np.atleast_2d(token_ids), np.atleast_2d(padding_mask)
        special = {self.tokenizer.start_token_id, self.tokenizer.end_token_id}
        rows = [
            [int(i) for i, keep in zip(ids, mask) if keep and int(i) not in special]
            for ids, mask in zip(token_ids, padding_mask)
        ]
        texts = self.tokenizer.detokenize(rows) if rows else []
        return texts if batched else texts[0]
