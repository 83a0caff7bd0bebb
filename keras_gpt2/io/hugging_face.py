"""Hugging Face `transformers` GPT-2 checkpoints in and out.

Reads `config.json` and `model.safetensors` (or sharded safetensors with
`model.safetensors.index.json`); `pytorch_model.bin` only through
`torch.load(weights_only=True)`, which cannot run code.
"""

import json
import os

import numpy as np

from keras_gpt2.errors import InvalidCheckpointError
from keras_gpt2.io.checked_json import CheckedJSON
from keras_gpt2.io.destination import writing_folder
from keras_gpt2.io.loading import CheckpointPlan
from keras_gpt2.io.loading import checked_backbone_config
from keras_gpt2.io.loading import checkpoint_tokenizer
from keras_gpt2.io.paths import checked_folder_file
from keras_gpt2.io.paths import safe_child
from keras_gpt2.io.safetensors import read_safetensors
from keras_gpt2.io.safetensors import write_safetensors
from keras_gpt2.io.weight_table import WeightMapping
from keras_gpt2.io.weight_table import as_stored
from keras_gpt2.io.weight_table import assign_from_table
from keras_gpt2.io.weight_table import export_with_table
from keras_gpt2.io.weight_table import split_heads
from keras_gpt2.models.plain_backbone import plain_backbone

SUPPORTED_ACTIVATIONS = ("gelu_new", "gelu_pytorch_tanh")
CONFIG_FILE = "config.json"
SAFETENSORS_FILE = "model.safetensors"
INDEX_FILE = "model.safetensors.index.json"
BIN_FILE = "pytorch_model.bin"
BYTES_PER_STORED_PARAMETER = 2  # float16/bfloat16 checkpoints are the smallest


# Our config field -> the Hugging Face field it comes from, so errors name the user's field.
HF_FIELDS = {
    "vocabulary_size": "vocab_size",
    "num_layers": "n_layer",
    "num_heads": "n_head",
    "hidden_dim": "n_embd",
    "intermediate_dim": "n_inner",
    "dropout": "resid_pdrop",
    "max_sequence_length": "n_positions",
    "layer_norm_epsilon": "layer_norm_epsilon",
}
# Buffers and tied copies that some checkpoints carry besides the weights.
IGNORED_TENSORS = (r"(transformer\.)?h\.\d+\.attn\.(masked_)?bias", "lm_head.weight")


def backbone_config_from_hf(hf_config, where=CONFIG_FILE):
    """Our `GPT2Backbone` arguments from a Hugging Face `GPT2Config` dict (or `CheckedJSON`)."""
    if not isinstance(hf_config, CheckedJSON):
        hf_config = CheckedJSON(hf_config, where)
    hf_config.as_object()
    activation = hf_config.get("activation_function", str, "gelu_new")
    if activation not in SUPPORTED_ACTIVATIONS:
        raise hf_config.error(
            f"{activation!r} is not supported; GPT-2 uses the tanh GELU ({' or '.join(SUPPORTED_ACTIVATIONS)})",
            "activation_function",
        )
    for flag in ("scale_attn_by_inverse_layer_idx", "reorder_and_upcast_attn"):
        if hf_config.get(flag, bool, False):
            raise hf_config.error("True is not supported", flag)
    if hf_config.get("scale_attn_weights", bool, True) is False:
        raise hf_config.error("False is not supported", "scale_attn_weights")
    if hf_config.get("tie_word_embeddings", bool, True) is False:
        raise hf_config.error("False is not supported (GPT-2's head is the token embedding)", "tie_word_embeddings")
    hidden_dim = hf_config.get("n_embd", int)
    return {
        "vocabulary_size": hf_config.get("vocab_size", int),
        "num_layers": hf_config.get("n_layer", int),
        "num_heads": hf_config.get("n_head", int),
        "hidden_dim": hidden_dim,
        "intermediate_dim": hf_config.get("n_inner", int, None) or 4 * hidden_dim,
        "dropout": hf_config.get("resid_pdrop", float, 0.1),
        "max_sequence_length": hf_config.get("n_positions", int),
        "layer_norm_epsilon": hf_config.get("layer_norm_epsilon", float, 1e-5),
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

    def qkv_shape(query, key, value):
        return (query[0], 3 * query[1] * query[2])

    def qkv_bias_shape(query, key, value):
        return (3 * query[0] * query[1],)

    def output_heads_shape(shape):
        return (shape[0] * shape[1], shape[2])

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
                qkv_shape,
            ),
            WeightMapping(
                hf + "attn.c_attn.bias",
                tuple(attention + f"{n}/bias" for n in ("query", "key", "value")),
                split_qkv_bias,
                join_qkv_bias,
                qkv_bias_shape,
            ),
            WeightMapping(
                hf + "attn.c_proj.weight",
                (attention + "attention_output/kernel",),
                to_output_heads,
                from_output_heads,
                output_heads_shape,
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


def hf_prefix(names):
    """`"transformer."` for a `GPT2LMHeadModel` state dict, `""` for a bare `GPT2Model` one."""
    return "transformer." if "transformer.wte.weight" in names else ""


def load_hf_backbone_weights(backbone, tensors, progress=None, where="state dict"):
    """Assigns a `{name: array}` HF GPT-2 state dict (with or without `transformer.`) to `backbone`."""
    table = hf_weight_table(backbone.num_layers, backbone.num_heads, prefix=hf_prefix(tensors))
    assign_from_table(backbone, table, as_stored(tensors), where, IGNORED_TENSORS, progress=progress)


def hf_state_dict_from_backbone(backbone):
    """`{name: array}` in HF `GPT2LMHeadModel` layout (lm_head tied to wte)."""
    return export_with_table(backbone, hf_weight_table(backbone.num_layers, backbone.num_heads))


def _read_sharded(folder, index_path):
    index = CheckedJSON.read(index_path).as_object()
    weight_map = index.child("weight_map")
    shards = {}
    for name in weight_map.keys():
        shard = weight_map.get(name, str)
        shards.setdefault(shard, set()).add(name)
    tensors, total_bytes = {}, 0
    for shard, names in sorted(shards.items()):
        path = safe_child(folder, shard, index_path, f"weight_map.{sorted(names)[0]}")
        total_bytes += os.path.getsize(path)
        found = read_safetensors(path)
        for name in found:
            if name in tensors:
                raise InvalidCheckpointError(path, name, "is stored in two shards")
            if name not in names:
                raise InvalidCheckpointError(path, name, f"is not listed for this shard in {INDEX_FILE}")
        missing = sorted(names - set(found))
        if missing:
            raise InvalidCheckpointError(path, missing[0], f"is listed in {INDEX_FILE} but not stored here")
        tensors.update(found)
    return tensors, total_bytes


def _read_pytorch_bin(path):
    """A `.bin` state dict through `torch.load(weights_only=True)`, which refuses pickled code."""
    try:
        import torch
    except ImportError:
        raise InvalidCheckpointError(
            path, None, "is a PyTorch pickle; install torch to read it safely, or convert it to model.safetensors"
        ) from None
    try:
        # Not mmap=True: memory-mapped loading skips the check of record sizes against the storages.
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises pickle, zip and runtime errors of many types
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        problem = (
            "holds Python objects other than tensors; refused (unpickling them could run code)"
            if "weights_only" in str(error) or "Unsupported global" in str(error)
            else f"is not a readable PyTorch checkpoint ({first_line[:200]})"
        )
        raise InvalidCheckpointError(path, None, problem) from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise InvalidCheckpointError(path, None, "is not a state dict of tensors")
    return {name: tensor.float().numpy() for name, tensor in state.items()}


def read_hf_tensors(folder):
    """`({name: array}, bytes on disk)` from `model.safetensors`, sharded safetensors, or `pytorch_model.bin`.

    Safetensors are memory-mapped (a tensor is read when used); a shard
    index may only name files inside `folder`. A `.bin` file is only opened
    with `torch.load(weights_only=True)`.
    """
    single = checked_folder_file(folder, SAFETENSORS_FILE)
    index = checked_folder_file(folder, INDEX_FILE)
    binary = checked_folder_file(folder, BIN_FILE)
    if os.path.isfile(single):
        return read_safetensors(single), os.path.getsize(single)
    if os.path.isfile(index):
        return _read_sharded(folder, index)
    if os.path.isfile(binary):
        return _read_pytorch_bin(binary), os.path.getsize(binary)
    raise FileNotFoundError(f"{folder}: has no {SAFETENSORS_FILE}, {INDEX_FILE} or {BIN_FILE}")


def read_hf(folder):
    """The checked `CheckpointPlan` of a Hugging Face GPT-2 folder (tokenizer from vocab.json and
    merges.txt, or from tokenizer.json where those are absent)."""
    folder = os.fspath(folder)
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"{folder}: is not a folder")
    config_path = checked_folder_file(folder, CONFIG_FILE)
    hf_config = CheckedJSON.read(config_path)
    tensors, available = read_hf_tensors(folder)
    config = checked_backbone_config(
        backbone_config_from_hf(hf_config), config_path, HF_FIELDS, available, BYTES_PER_STORED_PARAMETER
    )
    prefix = hf_prefix(tensors)
    tokenizer = checkpoint_tokenizer(
        checked_folder_file(folder, "vocab.json"),
        checked_folder_file(folder, "merges.txt"),
        config["vocabulary_size"],
        checked_folder_file(folder, "tokenizer.json"),
    )
    return CheckpointPlan(
        config,
        lambda backbone: hf_weight_table(backbone.num_layers, backbone.num_heads, prefix=prefix),
        as_stored(tensors),
        folder,
        IGNORED_TENSORS,
        tokenizer=tokenizer,
        description="import-hf",
    )


def shard_tensors(tensors, max_shard_bytes):
    """`[{name: array}]`: the tensors in order, cut into shards of at most `max_shard_bytes`
    (a tensor larger than that gets a shard of its own), as `save_pretrained` does."""
    shards, current, size = [], {}, 0
    for name, array in tensors.items():
        if current and size + array.nbytes > max_shard_bytes:
            shards.append(current)
            current, size = {}, 0
        current[name] = array
        size += array.nbytes
    return shards + [current] if current else shards


def export_hf(model, folder, overwrite=False, sources=(), max_shard_bytes=5 * 10**9):
    """Writes a folder that `transformers.GPT2LMHeadModel.from_pretrained` loads (see `writing_folder`).

    Weights above `max_shard_bytes` are cut into `model-0000i-of-0000N.safetensors`
    shards with a `model.safetensors.index.json`, as transformers writes them. LoRA
    adapters are folded into the kernels.
    """
    if max_shard_bytes < 1:
        raise ValueError(f"max_shard_bytes must be positive, got {max_shard_bytes}")
    shards = shard_tensors(hf_state_dict_from_backbone(plain_backbone(model.backbone)), max_shard_bytes)
    with writing_folder(folder, sources=sources, overwrite=overwrite) as staging:
        with open(os.path.join(staging, CONFIG_FILE), "w", encoding="utf-8") as file:
            json.dump(hf_config_from_backbone(model.backbone), file, indent=2)
        names = (
            [SAFETENSORS_FILE]
            if len(shards) == 1
            else [f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors" for i in range(len(shards))]
        )
        for name, shard in zip(names, shards):
            write_safetensors(os.path.join(staging, name), shard, metadata={"format": "pt"})
        if len(shards) > 1:
            index = {
                "metadata": {"total_size": sum(a.nbytes for shard in shards for a in shard.values())},
                "weight_map": {tensor: name for name, shard in zip(names, shards) for tensor in shard},
            }
            with open(os.path.join(staging, INDEX_FILE), "w", encoding="utf-8") as file:
                json.dump(index, file, indent=2)
        if model.preprocessor is not None:
            tokenizer = model.preprocessor.tokenizer
            tokenizer.save_vocabulary(os.path.join(staging, "vocab.json"), os.path.join(staging, "merges.txt"))
            tokenizer.save_tokenizer_json(os.path.join(staging, "tokenizer.json"))


def import_hf(folder):
    """A `GPT2CausalLM` from a Hugging Face GPT-2 folder (see `read_hf`)."""
    return read_hf(folder).build()
