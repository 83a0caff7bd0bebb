"""The GPT-2 network from token ids to final hidden states."""

import math

import keras

from keras_gpt2.layers.position_embedding import PositionEmbedding
from keras_gpt2.layers.reverse_embedding import ReverseEmbedding
from keras_gpt2.layers.transformer_decoder import TransformerDecoder
from keras_gpt2.models import lora
from keras_gpt2.models import plain_backbone
from keras_gpt2.models.backbone_config import GPT2_SIZES
from keras_gpt2.models.backbone_config import validate_backbone_config


@keras.saving.register_keras_serializable(package="keras_gpt2")
class GPT2Backbone(keras.Model):
    """GPT-2 as a functional Keras model: `{token_ids, padding_mask}` -> hidden states.

    Initialisation is GPT-2's: normal(0.02) kernels, token embeddings
    normal(0.01), position embeddings normal(0.02), and the two residual
    output projections of every block normal(0.02 / sqrt(2 * num_layers)).

    Args:
        vocabulary_size: number of token ids.
        num_layers: number of transformer blocks.
        num_heads: attention heads per block.
        hidden_dim: width of the residual stream.
        intermediate_dim: MLP width.
        dropout: dropout rate (embeddings, attention, residual branches).
        max_sequence_length: context length (number of positions).
        layer_norm_epsilon: epsilon of every layer norm.

    Examples:
    >>> import numpy as np
    >>> backbone = GPT2Backbone(vocabulary_size=100, num_layers=2, num_heads=2,
    ...                         hidden_dim=16, intermediate_dim=32, max_sequence_length=8)
    >>> x = {"token_ids": np.array([[1, 2, 3]]), "padding_mask": np.array([[1, 1, 1]])}
    >>> tuple(backbone(x).shape)
    (1, 3, 16)
    """

    def __init__(
        self,
        vocabulary_size,
        num_layers,
        num_heads,
        hidden_dim,
        intermediate_dim,
        dropout=0.1,
        max_sequence_length=1024,
        layer_norm_epsilon=1e-5,
        dtype=None,
        **kwargs,
    ):
        validate_backbone_config(
            dict(
                vocabulary_size=vocabulary_size,
                num_layers=num_layers,
                num_heads=num_heads,
                hidden_dim=hidden_dim,
                intermediate_dim=intermediate_dim,
                dropout=dropout,
                max_sequence_length=max_sequence_length,
                layer_norm_epsilon=layer_norm_epsilon,
            ),
            type(self).__name__,
        )

        # === Layers ===
        kernel_initializer = keras.initializers.RandomNormal(stddev=0.02)
        residual_initializer = keras.initializers.RandomNormal(stddev=0.02 / math.sqrt(2 * num_layers))
        token_embedding = ReverseEmbedding(
            input_dim=vocabulary_size,
            output_dim=hidden_dim,
            embeddings_initializer=keras.initializers.RandomNormal(stddev=0.01),
            name="token_embedding",
            dtype=dtype,
        )
        position_embedding = PositionEmbedding(
            sequence_length=max_sequence_length,
            initializer=keras.initializers.RandomNormal(stddev=0.02),
            name="position_embedding",
            dtype=dtype,
        )
        embeddings_add = keras.layers.Add(name="embeddings_add", dtype=dtype)
        embeddings_dropout = keras.layers.Dropout(dropout, name="embeddings_dropout", dtype=dtype)
        transformer_layers = [
            TransformerDecoder(
                num_heads=num_heads,
                intermediate_dim=intermediate_dim,
                dropout=dropout,
                layer_norm_epsilon=layer_norm_epsilon,
                kernel_initializer=kernel_initializer,
                residual_kernel_initializer=residual_initializer,
                name=f"transformer_layer_{i}",
                dtype=dtype,
            )
            for i in range(num_layers)
        ]
        layer_norm = keras.layers.LayerNormalization(epsilon=layer_norm_epsilon, name="layer_norm", dtype=dtype)

        # === Functional Model ===
        token_ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
        padding_mask = keras.Input(shape=(None,), dtype="int32", name="padding_mask")
        tokens = token_embedding(token_ids)
        positions = position_embedding(tokens)
        x = embeddings_dropout(embeddings_add((tokens, positions)))
        for transformer_layer in transformer_layers:
            x = transformer_layer(x, decoder_padding_mask=padding_mask)
        sequence_output = layer_norm(x)
        super().__init__(
            inputs={"token_ids": token_ids, "padding_mask": padding_mask},
            outputs=sequence_output,
            dtype=dtype,
            **kwargs,
        )

        # === Config ===
        self.vocabulary_size = vocabulary_size
        self.num_layers = num_layers
        self.num_heads = num_heads
        self.hidden_dim = hidden_dim
        self.intermediate_dim = intermediate_dim
        self.dropout = dropout
        self.max_sequence_length = max_sequence_length
        self.layer_norm_epsilon = layer_norm_epsilon
        self.token_embedding = token_embedding
        self.position_embedding = position_embedding
        self.embeddings_add = embeddings_add
        self.embeddings_dropout = embeddings_dropout
        self.transformer_layers = transformer_layers
        self.layer_norm = layer_norm
        plain_backbone.weight_only_int8_by_default(self)

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "vocabulary_size": self.vocabulary_size,
            "num_layers": self.num_layers,
            "num_heads": self.num_heads,
            "hidden_dim": self.hidden_dim,
            "intermediate_dim": self.intermediate_dim,
            "dropout": self.dropout,
            "max_sequence_length": self.max_sequence_length,
            "layer_norm_epsilon": self.layer_norm_epsilon,
            "dtype": keras.dtype_policies.serialize(self.dtype_policy),
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("dtype"), dict):
            config["dtype"] = keras.dtype_policies.deserialize(config["dtype"])
        return cls(**config)

    @staticmethod
    def get_layout_map(device_mesh, model_parallel_dim_name="model", data_parallel_dim_name="batch"):
        """A `keras.distribution.LayoutMap` that shards GPT-2's weights on the model axis.

        Embeddings are split along the hidden width (so any vocabulary size
        works, GPT-2's 50,257 included, which no even model axis divides),
        attention kernels along the heads, MLP kernels along the intermediate
        width (column- then row-parallel), as in Megatron-LM. Use it with
        `keras.distribution.ModelParallel` (JAX backend).

        Examples:
        >>> import keras
        >>> mesh = keras.distribution.DeviceMesh((1, 1), ["batch", "model"], keras.distribution.list_devices()[:1])
        >>> layout_map = GPT2Backbone.get_layout_map(mesh)
        >>> layout_map["token_embedding/embeddings"].axes
        (None, 'model')
        """
        model, data = model_parallel_dim_name, data_parallel_dim_name
        if model not in device_mesh.axis_names or data not in device_mesh.axis_names:
            raise ValueError(f"The device mesh needs axes {data!r} and {model!r}; it has {device_mesh.axis_names}.")
        layout_map = keras.distribution.LayoutMap(device_mesh)
        layout_map["token_embedding/embeddings"] = (None, model)
        layout_map["position_embedding/embeddings"] = (None, model)
        layout_map[r"transformer_layer_\d+/self_attention/(query|key|value)/kernel"] = (None, model, None)
        layout_map[r"transformer_layer_\d+/self_attention/(query|key|value)/bias"] = (model, None)
        layout_map[r"transformer_layer_\d+/self_attention/attention_output/kernel"] = (model, None, None)
        layout_map[r"transformer_layer_\d+/feedforward_intermediate_dense/kernel"] = (None, model)
        layout_map[r"transformer_layer_\d+/feedforward_intermediate_dense/bias"] = (model,)
        layout_map[r"transformer_layer_\d+/feedforward_output_dense/kernel"] = (model, None)
        return layout_map

    def enable_lora(self, rank, target_layer_names=lora.ATTENTION_TARGETS, lora_alpha=None):
        """Freezes the backbone and adds trainable rank-`rank` adapters (see `keras_gpt2.models.lora`):
        on the attention's query and value kernels, or the layers named (`lora.ATTENTION_TARGETS +
        lora.MLP_TARGETS` adds the MLP's two kernels)."""
        lora.enable_lora(self, rank, target_layer_names, lora_alpha)

    def save_lora_weights(self, path, overwrite=False):
        """Writes only the adapters, a small HDF5 file (see `keras_gpt2.io.lora`)."""
        from keras_gpt2.io import lora as lora_file  # the format reads models, not the reverse

        lora_file.save_lora_weights(self, path, overwrite)

    def load_lora_weights(self, path):
        """Reads adapters written by `save_lora_weights` (enabling LoRA first when needed)."""
        from keras_gpt2.io import lora as lora_file

        lora_file.load_lora_weights(self, path)

    @classmethod
    def from_config_name(cls, name, **overrides):
        """A randomly initialised backbone of one of GPT-2's sizes: "gpt2", "gpt2-medium",
        "gpt2-large" or "gpt2-xl" (their configs as published; `overrides` replace fields).

        Examples:
        >>> GPT2Backbone.from_config_name("gpt2-medium", num_layers=1).hidden_dim
        1024
        """
        if name not in GPT2_SIZES:
            raise ValueError(f"{name!r} is not one of {sorted(GPT2_SIZES)}")
        return cls(**{**GPT2_SIZES[name], **overrides})

    @classmethod
    def from_preset(cls, preset, **kwargs):
        """Loads the backbone of a preset directory (see `keras_gpt2.io.preset`)."""
        from keras_gpt2.io import preset as preset_format  # the format reads models, not the reverse

        return preset_format.load_backbone(preset, **kwargs)

    def save_to_preset(self, preset, overwrite=False, max_shard_size=None):
        """Writes `config.json` and the weights to a new folder (see `keras_gpt2.io.preset`)."""
        from keras_gpt2.io import preset as preset_format

        preset_format.save_preset(preset, backbone=self, overwrite=overwrite, max_shard_size=max_shard_size)
