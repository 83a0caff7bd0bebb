"""How likely a model finds texts: log-likelihood and perplexity, any length."""

import keras
import numpy as np
from keras import ops

from keras_gpt2.generation.prompts import checked_token_inputs
from keras_gpt2.preprocessing.start_end_packer import StartEndPacker
from keras_gpt2.utils.tensor_utils import to_python_strings


def score(model, inputs, batch_size=8):
    """See `GPT2CausalLM.score`.

    Examples:
    >>> from keras_gpt2.models.gpt2_backbone import GPT2Backbone
    >>> from keras_gpt2.models.gpt2_causal_lm import GPT2CausalLM
    >>> backbone = GPT2Backbone(vocabulary_size=50, num_layers=1, num_heads=2,
    ...                         hidden_dim=8, intermediate_dim=16, max_sequence_length=8)
    >>> result = score(GPT2CausalLM(backbone), {"token_ids": [[1, 2, 3, 4]]})
    >>> result["num_tokens"].tolist()
    [3]
    """
    if isinstance(inputs, dict):
        token_ids, mask = checked_token_inputs(inputs, model.backbone.vocabulary_size, where="score")
        sequences = [row[keep].tolist() for row, keep in zip(token_ids, mask)]
    else:
        if model.preprocessor is None:
            raise ValueError("Scoring text needs a preprocessor.")
        strings, _ = to_python_strings(inputs)
        tokenizer = model.preprocessor.tokenizer
        sequences = [[tokenizer.start_token_id, *ids, tokenizer.end_token_id] for ids in tokenizer(strings)]
    window = model.backbone.max_sequence_length
    # Windows that each begin with the last token of the one before: every token predicted once.
    pieces = [
        (index, ids[start : start + window])
        for index, ids in enumerate(sequences)
        for start in range(0, max(len(ids) - 1, 1), window - 1)
    ]
    log_likelihood = np.zeros(len(sequences))
    num_tokens = np.zeros(len(sequences), "int64")
    for first in range(0, len(pieces), batch_size):
        batch = pieces[first : first + batch_size]
        packer = StartEndPacker(max(len(ids) for _, ids in batch))
        token_ids, mask = packer([ids for _, ids in batch], add_start_value=False, add_end_value=False)
        logits = model({"token_ids": token_ids, "padding_mask": mask}, training=False)
        log_probs = keras.ops.convert_to_numpy(ops.log_softmax(ops.cast(logits, "float32"), axis=-1))
        chosen = np.take_along_axis(log_probs[:, :-1], token_ids[:, 1:, None], axis=-1)[..., 0]
        weights = mask[:, 1:]
        for row, (index, _) in enumerate(batch):
            log_likelihood[index] += float((chosen[row] * weights[row]).sum())
            num_tokens[index] += int(weights[row].sum())
    return {
        "log_likelihood": log_likelihood,
        "num_tokens": num_tokens,
        "perplexity": np.exp(-log_likelihood / np.maximum(num_tokens, 1)),
    }
