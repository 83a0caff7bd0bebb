"""Turns raw text into the `token_ids`/`padding_mask` inputs of `GPT2Backbone`."""

import keras

from keras_gpt2.preprocessing.preprocessing_layer import PreprocessingLayer
from keras_gpt2.preprocessing.start_end_packer import StartEndPacker
from keras_gpt2.utils.tensor_utils import is_symbolic_tf_tensor
from keras_gpt2.utils.tensor_utils import map_strings_in_graph
from keras_gpt2.utils.tensor_utils import to_python_strings


@keras.saving.register_keras_serializable(package="keras_gpt2")
class GPT2Preprocessor(PreprocessingLayer):
    """Tokenizes, adds `<|endoftext|>` at start and end, pads to a fixed length.

    Works on a string, a list of strings, numpy or eager string tensors, and
    inside `tf.data` (`dataset.map(preprocessor)`).

    Args:
        tokenizer: a `GPT2Tokenizer`.
        sequence_length: length of the packed output.
        add_start_token: prepend `<|endoftext|>`.
        add_end_token: append `<|endoftext|>`.

    Examples:
    >>> from keras_gpt2.assets import gpt2_vocabulary_path, gpt2_merges_path
    >>> from keras_gpt2.tokenizers.gpt2_tokenizer import GPT2Tokenizer
    >>> tokenizer = GPT2Tokenizer(gpt2_vocabulary_path(), gpt2_merges_path())
    >>> preprocessor = GPT2Preprocessor(tokenizer, sequence_length=5)
    >>> x = preprocessor(["Hello world"])
    >>> x["token_ids"].tolist()
    [[50256, 15496, 995, 50256, 0]]
    >>> x["padding_mask"].tolist()
    [[True, True, True, True, False]]
    """

    def __init__(
        self,
        tokenizer,
        sequence_length=1024,
        add_start_token=True,
        add_end_token=True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.tokenizer = tokenizer
        self.sequence_length = sequence_length
        self.add_start_token = add_start_token
        self.add_end_token = add_end_token

    def _packer(self, sequence_length):
        return StartEndPacker(
            sequence_length,
            start_value=self.tokenizer.start_token_id,
            end_value=self.tokenizer.end_token_id,
            pad_value=self.tokenizer.pad_token_id,
        )

    def _pack(self, strings, sequence_length, add_start_token, add_end_token):
        """`(token_ids, padding_mask)` numpy arrays for a list of strings."""
        return self._packer(sequence_length)(
            self.tokenizer.tokenize(strings),
            add_start_value=add_start_token,
            add_end_value=add_end_token,
        )

    def _pack_any(self, x, sequence_length, add_start_token=None, add_end_token=None):
        """Packs eager or symbolic string input; a single string gives unbatched arrays."""
        add_start_token = self.add_start_token if add_start_token is None else add_start_token
        add_end_token = self.add_end_token if add_end_token is None else add_end_token

        def pack(strings):
            return self._pack(strings, sequence_length, add_start_token, add_end_token)

        if is_symbolic_tf_tensor(x):
            import tensorflow as tf

            token_ids, padding_mask = map_strings_in_graph(pack, x, [tf.int32, tf.bool], sequence_length)
            return token_ids, padding_mask
        strings, batched = to_python_strings(x)
        token_ids, padding_mask = pack(strings)
        return (token_ids, padding_mask) if batched else (token_ids[0], padding_mask[0])

    def call(self, x, y=None, sample_weight=None, sequence_length=None):
        token_ids, padding_mask = self._pack_any(x, sequence_length or self.sequence_length)
        x = {"token_ids": token_ids, "padding_mask": padding_mask}
        return keras.utils.pack_x_y_sample_weight(x, y, sample_weight)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "tokenizer": keras.saving.serialize_keras_object(self.tokenizer),
                "sequence_length": self.sequence_length,
                "add_start_token": self.add_start_token,
                "add_end_token": self.add_end_token,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config["tokenizer"], dict):
            config["tokenizer"] = keras.saving.deserialize_keras_object(config["tokenizer"])
        return cls(**config)
