"""Hugging Face `transformers` GPT-2 checkpoints in and out.

Reads `config.json` and `model.safetensors` (or sharded safetensors with
`model.safetensors.index.json`); `pytorch_model.bin` only through
`torch.load(weights_only=True)`, which cannot run code.
"""

import json
import os

import numpy as np

from keras_gpt2.converters.loading import build_causal_lm
from keras_gpt2.converters.loading import gpt2_tokenizer_from_files
from keras_gpt2.converters.safetensors import read_safetensors
from keras_gpt2.converters.safetensors import write_safetensors
from keras_gpt2.converters.weight_table import WeightMapping
from keras_gpt2.converters.weight_table import assign_from_table
from keras_gpt2.converters.weight_table import export_with_table
from keras_gpt2.converters.weight_table import split_heads
from keras_gpt2.utils.atomic import atomic_directory

SUPPORTED_ACTIVATIONS = ("gelu_new", "gelu_pytorch_tanh")


def backbone_config_from_hf(hf_config):
    """Our `GPT2Backbone` arguments from a Hugging Face `GPT2Config` dict."""
    activation = hf_config.get("activation_function", "gelu_new")
    if activation not in SUPPORTED_ACTIVATIONS:
        raise ValueError(
            f"activation_function {activation!r} is not supported; GPT-2 uses the tanh GELU "
            f"({' or '.join(SUPPORTED_ACTIVATIONS)})."
        )
    for flag in ("scale_attn_by_inverse_layer_idx", "reorder_and_upcast_attn"):
        if hf_config.get(flag):
            raise ValueError(f"Hugging Face option {flag}=True is not supported.")
    if hf_config.get("scale_attn_weights", True) is False:
        raise ValueError("scale_attn_weights=False is not supported.")
    hidden_dim = hf_config["n_embd"]
    return {
        "vocabulary_size": hf_config["vocab_size"],
        "num_layers": hf_config["n_layer"],
        "num_heads": hf_config["n_head"],
        "hidden_dim": hidden_dim,
        "intermediate_dim": hf_config.get("n_inner") or 4 * hidden_dim,
        "dropout": hf_config.get("resid_pdrop", 0.1),
        "max_sequence_length": hf_config["n_positions"],
        "layer_norm_epsilon": hf_config.get("layer_norm_epsilon", 1e-5),
    }


def hf_config_from_backbone(backbone):
    """A Hugging Face `GPT2Config` dict for our backbone."""
    return {
        "architectures": ["GPT2LMHeadModel"],
        "model_type": "gpt2",
        "vocab_size": backbone.vocabulary_size,
        "n_layer": backbone.num_layers,
        "n_head": backbone.num_heads,
        "n_embd": backbone.hidden_dim,
        "n_inner": backbone.intermediate_dim,
        "n_positions": backbone.max_sequence_length,
        "n_ctx": backbone.max_sequence_length,
        "activation_function": "gelu_new",
        "layer_norm_epsilon": backbone.layer_norm_epsilon,
        "resid_pdrop": backbone.dropout,
        "embd_pdrop": backbone.dropout,
        "attn_pdrop": backbone.dropout,
        "bos_token_id": 50256,
        "eos_token_id": 50256,
        "tie_word_embeddings": True,
    }


def hf_weight_table(num_layers, num_heads, prefix="transformer."):
    """The name-and-layout table between HF GPT-2 and our backbone."""
    to_heads, from_heads = split_heads(num_heads)

    def split_qkv(array):  # c_attn: [hidden, 3 * hidden] -> three [hidden, heads, head_dim]
        return tuple(to_heads(part)[0] for part in np.split(array, 3, axis=-1))

    def join_qkv(query, key, value):
        return np.concatenate([from_heads(query), from_heads(key), from_heads(value)], axis=-1)

    def split_qkv_bias(array):  # [3 * hidden] -> three [heads, head_dim]
        return tuple(part.reshape(num_heads, -1) for part in np.split(array, 3))

    def join_qkv_bias(query, key, value):
        return np.concatenate([query.reshape(-1), key.reshape(-1), value.reshape(-1)])

    def to_output_heads(array):  # c_proj: [hidden, hidden] -> [heads, head_dim, hidden]
        return (array.reshape(num_heads, -1, array.shape[-1]),)

    def from_output_heads(array):
        return array.reshape(-1, array.shape[-1])

    table = [
        WeightMapping(f"{prefix}wte.weight", ("token_embedding/embeddings",)),
        WeightMapping(f"{prefix}wpe.weight", ("position_embedding/embeddings",)),
    ]
    for i in range(num_layers):
        hf, ours = f"{prefix}h.{i}.", f"transformer_layer_{i}/"
        attention = ours + "self_attention/"
        table += [
            WeightMapping(hf + "ln_1.weight", (ours + "self_attention_layer_norm/gamma",)),
            WeightMapping(hf + "ln_1.bias", (ours + "self_attention_layer_norm/beta",)),
            WeightMapping(
                hf + "attn.c_attn.weight",
                tuple(attention + f"{n}/kernel" for n in ("query", "key", "value")),
                split_qkv,
                join_qkv,
            ),
            WeightMapping(
                hf + "attn.c_attn.bias",
                tuple(attention + f"{n}/bias" for n in ("query", "key", "value")),
                split_qkv_bias,
                join_qkv_bias,
            ),
            WeightMapping(
                hf + "attn.c_proj.weight",
                (attention + "attention_output/kernel",),
                to_output_heads,
                from_output_heads,
            ),
            WeightMapping(hf + "attn.c_proj.bias", (attention + "attention_output/bias",)),
            WeightMapping(hf + "ln_2.weight", (ours + "feedforward_layer_norm/gamma",)),
            WeightMapping(hf + "ln_2.bias", (ours + "feedforward_layer_norm/beta",)),
            WeightMapping(hf + "mlp.c_fc.weight", (ours + "feedforward_intermediate_dense/kernel",)),
            WeightMapping(hf + "mlp.c_fc.bias", (ours + "feedforward_intermediate_dense/bias",)),
            WeightMapping(hf + "mlp.c_proj.weight", (ours + "feedforward_output_dense/kernel",)),
            WeightMapping(hf + "mlp.c_proj.bias", (ours + "feedforward_output_dense/bias",)),
        ]
    table += [
        WeightMapping(f"{prefix}ln_f.weight", ("layer_norm/gamma",)),
        WeightMapping(f"{prefix}ln_f.bias", ("layer_norm/beta",)),
    ]
    return table


def load_hf_backbone_weights(backbone, tensors, progress=None):
    """Assigns a `{name: array}` HF GPT-2 state dict (with or without `transformer.`) to `backbone`."""
    prefix = "transformer." if "transformer.wte.weight" in tensors else ""
    table = hf_weight_table(backbone.num_layers, backbone.num_heads, prefix=prefix)
    assign_from_table(backbone, table, lambda name: tensors[name], progress=progress)


def hf_state_dict_from_backbone(backbone):
    """`{name: array}` in HF `GPT2LMHeadModel` layout (lm_head tied to wte)."""
    return export_with_table(backbone, hf_weight_table(backbone.num_layers, backbone.num_heads))


def read_hf_config(folder):
    path = os.path.join(folder, "config.json")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{folder} has no config.json.")
    with open(path, encoding="utf-8") as file:
        return json.load(file)


def read_hf_tensors(folder):
    """`{name: array}` from `model.safetensors`, sharded safetensors, or `pytorch_model.bin`.

    Safetensors are memory-mapped (a tensor is read when used). A `.bin` file
    is only opened with `torch.load(weights_only=True)`, which refuses pickled
    code; without torch it is refused with a message.
    """
    single = os.path.join(folder, "model.safetensors")
    index = os.path.join(folder, "model.safetensors.index.json")
    if os.path.isfile(single):
        return read_safetensors(single)
    if os.path.isfile(index):
        with open(index, encoding="utf-8") as file:
            weight_map = json.load(file).get("weight_map", {})
        tensors = {}
        for shard in sorted(set(weight_map.values())):
            if os.path.basename(shard) != shard:
                raise ValueError(f"Shard {shard!r} in {index} must be a file name in {folder}.")
            path = os.path.join(folder, shard)
            if not os.path.isfile(path):
                raise FileNotFoundError(f"Shard {shard} listed in {index} is missing.")
            tensors.update(read_safetensors(path))
        return tensors
    binary = os.path.join(folder, "pytorch_model.bin")
    if os.path.isfile(binary):
        try:
            import torch
        except ImportError:
            raise ValueError(
                f"{binary} is a PyTorch pickle; install torch to read it safely (weights_only=True), "
                "or convert it to model.safetensors."
            ) from None
        state = torch.load(binary, map_location="cpu", weights_only=True)
        return {name: tensor.float().numpy() for name, tensor in state.items()}
    raise FileNotFoundError(f"{folder} has no model.safetensors, model.safetensors.index.json or pytorch_model.bin.")


def import_hf(folder):
    """A `GPT2CausalLM` from a Hugging Face GPT-2 folder (tokenizer from vocab.json/merges.txt)."""
    config = backbone_config_from_hf(read_hf_config(folder))
    tensors = read_hf_tensors(folder)
    prefix = "transformer." if "transformer.wte.weight" in tensors else ""
    tokenizer = gpt2_tokenizer_from_files(
        os.path.join(folder, "vocab.json"), os.path.join(folder, "merges.txt"), config["vocabulary_size"]
    )
    return build_causal_lm(
        config,
        lambda backbone: hf_weight_table(backbone.num_layers, backbone.num_heads, prefix=prefix),
        lambda name: tensors[name],
        tokenizer=tokenizer,
        description="import-hf",
    )


def export_hf(model, folder):
    """Writes a folder that `transformers.GPT2LMHeadModel.from_pretrained` loads, atomically."""
    with atomic_directory(folder) as staging:
        with open(os.path.join(staging, "config.json"), "w", encoding="utf-8") as file:
            json.dump(hf_config_from_backbone(model.backbone), file, indent=2)
        write_safetensors(
            os.path.join(staging, "model.safetensors"),
            hf_state_dict_from_backbone(model.backbone),
            metadata={"format": "pt"},
        )
        if model.preprocessor is not None:
            model.preprocessor.tokenizer.save_vocabulary(
                os.path.join(staging, "vocab.json"), os.path.join(staging, "merges.txt")
            )
