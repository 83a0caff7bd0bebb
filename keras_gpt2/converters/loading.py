"""Shared last step of every import: a backbone filled through a table, plus a tokenizer."""

import os

from tqdm.auto import tqdm

from keras_gpt2.converters.weight_table import assign_from_table


def gpt2_tokenizer_from_files(vocabulary_path, merges_path, vocabulary_size):
    """A `GPT2Tokenizer` from the checkpoint's own files, else (for the 50,257-token
    vocabulary only) the real GPT-2 files shipped with keras-gpt2, else None."""
    from keras_gpt2.assets import gpt2_merges_path
    from keras_gpt2.assets import gpt2_vocabulary_path
    from keras_gpt2.tokenizers.gpt2_tokenizer import GPT2Tokenizer

    if vocabulary_path and merges_path and os.path.isfile(vocabulary_path) and os.path.isfile(merges_path):
        tokenizer = GPT2Tokenizer(vocabulary_path, merges_path)
    elif vocabulary_size == 50257:
        tokenizer = GPT2Tokenizer(gpt2_vocabulary_path(), gpt2_merges_path())
    else:
        return None
    if tokenizer.vocabulary_size() != vocabulary_size:
        raise ValueError(f"The tokenizer has {tokenizer.vocabulary_size()} tokens but the model {vocabulary_size}.")
    return tokenizer


def build_causal_lm(
    backbone_config, table_for, read_tensor, tokenizer=None, preprocessor_config=None, description="converting"
):
    """`GPT2CausalLM` from backbone arguments and a foreign checkpoint.

    `table_for(backbone)` gives the format's name-and-layout table;
    `read_tensor(name)` returns one numpy array. With a tokenizer, a
    `GPT2CausalLMPreprocessor` is attached (`preprocessor_config` overrides
    its defaults). Shows a progress bar.
    """
    from keras_gpt2.models.gpt2_backbone import GPT2Backbone
    from keras_gpt2.models.gpt2_causal_lm import GPT2CausalLM
    from keras_gpt2.preprocessing.gpt2_causal_lm_preprocessor import GPT2CausalLMPreprocessor

    backbone = GPT2Backbone(**backbone_config)
    table = table_for(backbone)
    with tqdm(total=len(table), desc=description, unit="tensor", disable=None) as progress:
        assign_from_table(backbone, table, read_tensor, progress=progress)
    preprocessor = None
    if tokenizer is not None:
        settings = {"sequence_length": backbone.max_sequence_length, **(preprocessor_config or {})}
        preprocessor = GPT2CausalLMPreprocessor(tokenizer, **settings)
    return GPT2CausalLM(backbone, preprocessor)
