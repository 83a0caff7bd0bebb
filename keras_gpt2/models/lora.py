"""Low-rank adapters (LoRA) on a GPT-2 backbone: enable, save, load and merge them.

`enable_lora(backbone, rank)` freezes every weight and gives the attention's
query and value projections (or the layers named) trainable low-rank factors,
through Keras's own `EinsumDense`/`Dense.enable_lora`: the effective kernel is
`kernel + lora_kernel_a @ lora_kernel_b * alpha / rank`, with `b` starting at
zero so the model is unchanged until trained. Biases stay frozen, as in HF PEFT's
default. The adapters are a small file of their own (`keras_gpt2.io.lora`), and
`keras_gpt2.models.plain_backbone` folds them in for every export.

Examples:
>>> from keras_gpt2.models.gpt2_backbone import GPT2Backbone
>>> backbone = GPT2Backbone(vocabulary_size=64, num_layers=2, num_heads=2, hidden_dim=8,
...                         intermediate_dim=16, max_sequence_length=8)
>>> backbone.enable_lora(rank=2)
>>> [w.path for w in backbone.trainable_weights][:2]
['transformer_layer_0/self_attention/query/lora_kernel_a', 'transformer_layer_0/self_attention/query/lora_kernel_b']
"""

ATTENTION_TARGETS = ("query", "value")
MLP_TARGETS = ("feedforward_intermediate_dense", "feedforward_output_dense")


def lora_layers(backbone):
    """The layers of `backbone` that carry adapters."""
    return [layer for layer in backbone._flatten_layers(include_self=False) if getattr(layer, "lora_enabled", False)]


def enable_lora(backbone, rank, target_layer_names=ATTENTION_TARGETS, lora_alpha=None):
    """Freezes `backbone` and adds rank-`rank` adapters to the layers named `target_layer_names`."""
    if not isinstance(rank, int) or rank < 1:
        raise ValueError(f"rank must be a positive integer, got {rank!r}")
    if lora_layers(backbone):
        raise ValueError("LoRA is already enabled on this backbone")
    backbone.trainable = True
    layers = backbone._flatten_layers(include_self=False)
    for layer in layers:
        layer.trainable = False
    targets = [layer for layer in layers if layer.name in target_layer_names and hasattr(layer, "enable_lora")]
    if not targets:
        raise ValueError(f"no layer is named one of {list(target_layer_names)}")
    for layer in targets:
        layer.trainable = True
        layer.enable_lora(rank, lora_alpha=lora_alpha)
        if getattr(layer, "bias", None) is not None:
            layer.bias.trainable = False
    backbone.lora_rank = rank


def adapter_variables(backbone):
    """`{path: variable}` of the adapters' factors."""
    return {v.path: v for layer in lora_layers(backbone) for v in (layer.lora_kernel_a, layer.lora_kernel_b)}
