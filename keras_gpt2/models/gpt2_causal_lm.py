"""GPT-2 as a language model: next-token logits, training, generation, scoring."""

import keras
from keras import ops

from keras_gpt2.errors import InvalidInputError
from keras_gpt2.generation import samplers
from keras_gpt2.generation import scoring
from keras_gpt2.generation.generator import Generator
from keras_gpt2.models import plain_backbone
from keras_gpt2.models.gpt2_backbone import GPT2Backbone  # noqa: F401 (registers the class)
from keras_gpt2.preprocessing.gpt2_causal_lm_preprocessor import GPT2CausalLMPreprocessor  # noqa: F401


def _is_string_data(x):
    if isinstance(x, str):
        return True
    if isinstance(x, (list, tuple)) and x and isinstance(x[0], (str, bytes)):
        return True
    dtype = getattr(x, "dtype", None)
    return dtype is not None and (getattr(dtype, "kind", "") in "USO" or str(dtype) == "<dtype: 'string'>")


@keras.saving.register_keras_serializable(package="keras_gpt2")
class GPT2CausalLM(keras.Model):
    """GPT-2 with its tied language-model head.

    Calling the model maps `{token_ids, padding_mask}` to next-token logits
    `[batch, length, vocabulary_size]`. With a preprocessor attached, `fit`,
    `evaluate`, `predict`, `generate` and `score` also take raw strings.

    Args:
        backbone: a `GPT2Backbone`.
        preprocessor: a `GPT2CausalLMPreprocessor`, or None for token ids only.

    Examples:
    >>> import numpy as np
    >>> backbone = GPT2Backbone(vocabulary_size=50, num_layers=1, num_heads=2,
    ...                         hidden_dim=8, intermediate_dim=16, max_sequence_length=16)
    >>> model = GPT2CausalLM(backbone)
    >>> model.compile(sampler="greedy")
    >>> prompt = {"token_ids": np.array([[1, 2, 0, 0]]), "padding_mask": np.array([[1, 1, 0, 0]])}
    >>> model.generate(prompt, stop_token_ids=None)["token_ids"].shape
    (1, 4)
    """

    def __init__(self, backbone, preprocessor=None, **kwargs):
        # === Functional Model ===
        inputs = backbone.input
        hidden_states = backbone(inputs)
        logits = backbone.token_embedding(hidden_states, reverse=True)
        super().__init__(inputs=inputs, outputs=logits, **kwargs)

        # === Config ===
        self.backbone = backbone
        self.preprocessor = preprocessor
        # The decode loop, its compiled programs and the default sampler (`compile(sampler=...)`).
        self.generator = Generator(self)
        plain_backbone.weight_only_int8_by_default(self)

    # === Training ===

    def compile(self, optimizer="auto", loss="auto", weighted_metrics="auto", sampler="top_k", **kwargs):
        """Keras `compile` with GPT-2 defaults, plus the sampler `generate` uses.

        Defaults: Adam(2e-5), sparse categorical cross-entropy from logits
        averaged over real tokens (padding has zero weight, so the loss is
        nats per token whatever the padding), and weighted accuracy.
        """
        if optimizer == "auto":
            optimizer = keras.optimizers.Adam(2e-5)
        if loss == "auto":
            # The mean over real tokens (padding has weight 0), not over every position.
            loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="mean_with_sample_weight")
        if weighted_metrics == "auto":
            weighted_metrics = [keras.metrics.SparseCategoricalAccuracy()]
        super().compile(optimizer=optimizer, loss=loss, weighted_metrics=weighted_metrics, **kwargs)
        self.generator.reset(sampler)

    @property
    def sampler(self):
        """The sampler `generate` uses when none is given."""
        return self.generator.default_sampler

    def _preprocess_data(self, x, y=None, sample_weight=None):
        """Raw strings (lists, arrays or a `tf.data.Dataset` of them) go through the preprocessor."""
        import tensorflow as tf

        if self.preprocessor is None:
            return x, y, sample_weight
        if isinstance(x, tf.data.Dataset):
            if getattr(x.element_spec, "dtype", None) == tf.string:
                return x.map(self.preprocessor, num_parallel_calls=tf.data.AUTOTUNE).prefetch(2), None, None
            return x, y, sample_weight
        if _is_string_data(x):
            return self.preprocessor(x, y, sample_weight)
        return x, y, sample_weight

    def fit(self, x=None, y=None, batch_size=None, sample_weight=None, **kwargs):
        if isinstance(x, (list, tuple)) and len(x) == 0:
            raise InvalidInputError("fit", "x", "is empty; give at least one text (or a dataset)")
        x, y, sample_weight = self._preprocess_data(x, y, sample_weight)
        return super().fit(x, y, batch_size=batch_size, sample_weight=sample_weight, **kwargs)

    def evaluate(self, x=None, y=None, batch_size=None, sample_weight=None, **kwargs):
        x, y, sample_weight = self._preprocess_data(x, y, sample_weight)
        return super().evaluate(x, y, batch_size=batch_size, sample_weight=sample_weight, **kwargs)

    def predict(self, x, batch_size=None, **kwargs):
        x, _, _ = self._preprocess_data(x)
        return super().predict(x, batch_size=batch_size, **kwargs)

    # === Cached forward pass ===

    def init_cache(self, batch_size, max_length):
        """Empty key/value caches: one `(keys, values)` pair per layer, sized to `max_length`."""
        backbone = self.backbone
        shape = [batch_size, max_length, backbone.num_heads, backbone.hidden_dim // backbone.num_heads]
        dtype = backbone.transformer_layers[0].compute_dtype  # the backbone itself may keep float32
        return tuple((ops.zeros(shape, dtype), ops.zeros(shape, dtype)) for _ in backbone.transformer_layers)

    def call_with_cache(self, token_ids, cache, cache_update_index):
        """Forward pass of `token_ids` placed at `cache_update_index` onwards.

        Reads and updates `cache` (see `init_cache`); returns
        `(logits, hidden_states, cache)`. No padding mask: every cached
        position before the current one holds a real token during generation.
        """
        backbone = self.backbone
        tokens = backbone.token_embedding(token_ids)
        positions = backbone.position_embedding(tokens, start_index=cache_update_index)
        x = backbone.embeddings_add((tokens, positions))
        updated = []
        for layer, layer_cache in zip(backbone.transformer_layers, cache):
            x, layer_cache = layer(x, cache=layer_cache, cache_update_index=cache_update_index)
            updated.append(layer_cache)
        hidden_states = backbone.layer_norm(x)
        logits = backbone.token_embedding(hidden_states, reverse=True)
        return logits, hidden_states, tuple(updated)

    # === Generation (keras_gpt2/generation) ===

    def generate(self, inputs, max_length=None, max_new_tokens=None, strip_prompt=False, **options):
        """Continues prompts.

        Args:
            inputs: a string, a list of strings (prompts of any lengths in one
                batch), or a dict of `token_ids`/`padding_mask` arrays.
            max_length: total length (prompt + new tokens) of every sequence;
                defaults to the preprocessor's `sequence_length`, or the width
                of `token_ids`. Beyond `max_sequence_length` is an error.
            max_new_tokens: instead of `max_length`: every prompt gets exactly
                this many new tokens (fewer if it stops).
            strip_prompt: return only the new text.
            sampler: a sampler or name for this call; default is the one
                given to `compile` (top-k). A seeded sampler gives the same
                text on every call, in `generate_stream`, on every backend and
                in the browser runtime.
            stop_token_ids: ids that end a sequence; "auto" (default) is
                `<|endoftext|>` when there is a preprocessor; None runs to the end.
            stop_strings: a string or strings that end a sequence once its new
                text holds one (Hugging Face's: the token completing it is kept).
                Not with beam search.
            repetition_penalty: Hugging Face's: the logit of every token
                already in the sequence is divided by it when positive and
                multiplied by it when negative (1.0 or None: off).
            min_new_tokens: no stop token before this many new tokens.
            num_return_sequences: sequences per prompt: the best beams with
                beam search, else independent samples. Strings come back as a
                list per prompt; arrays as `[prompts * n, length]` rows.
            logits_processors: functions `(logits, token_ids, index) -> logits`
                written with `keras.ops`, applied inside the compiled step
                after the two above (see `keras_gpt2.generation.logits_processors`).
                Pass the same function objects to reuse the compiled program.

        Returns:
            Strings for string input, else `{"token_ids", "padding_mask"}`
            where the mask marks the prompt and the generated tokens.
        """
        return self.generator.generate(inputs, max_length, max_new_tokens, strip_prompt, **options)

    def generate_stream(self, prompt, max_length=None, max_new_tokens=None, **options):
        """Yields the text of one prompt's continuation piece by piece, as it is made.

        Takes `generate`'s options and runs the same compiled program one
        position at a time, so it makes the same tokens. A piece is held back
        while it ends inside a multi-byte character, so every piece is valid text.

        Examples:
        >>> # for piece in model.generate_stream("ROMEO:", max_new_tokens=20):
        >>> #     print(piece, end="", flush=True)
        """
        return self.generator.stream(prompt, max_length, max_new_tokens, **options)

    def score(self, inputs, batch_size=8):
        """Log-likelihood of texts (or `{token_ids, padding_mask}`) under the model.

        Returns a dict of numpy arrays, one entry per sequence:
        `log_likelihood` (natural log, summed over predicted tokens),
        `num_tokens`, and `perplexity` (`exp(-log_likelihood / num_tokens)`).
        Text is scored as `<|endoftext|>` + text + `<|endoftext|>`: the first
        token is given and every later one, the end token included, is
        predicted. Sequences longer than the context are cut into windows
        that each begin with the last token of the one before, so every
        token is predicted exactly once.
        """
        return scoring.score(self, inputs, batch_size)

    # === Config and presets ===

    def get_task_config(self):
        """What the preset's `task.json` records beyond backbone and preprocessor."""
        return {"sampler": samplers.serialize(self.sampler)}

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "backbone": keras.saving.serialize_keras_object(self.backbone),
            "preprocessor": keras.saving.serialize_keras_object(self.preprocessor),
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        sampler = config.pop("sampler", None)
        for key in ("backbone", "preprocessor"):
            if isinstance(config.get(key), dict):
                config[key] = keras.saving.deserialize_keras_object(config[key])
        model = cls(**config)
        if sampler is not None:
            model.generator.reset(sampler)
        return model

    @classmethod
    def from_preset(cls, preset, load_weights=True, dtype=None, **kwargs):
        """Loads backbone, preprocessor (if saved) and sampler from a preset directory.

        `dtype` is the backbone's dtype policy, e.g. "bfloat16" to halve the
        weights' memory. On JAX the weights are read straight into the model
        (no random initial weights are made first).
        """
        from keras_gpt2.io import preset as preset_format  # the format reads models, not the reverse

        return preset_format.load_task(preset, load_weights=load_weights, dtype=dtype, **kwargs)

    def save_to_preset(self, preset, overwrite=False, sources=(), max_shard_size=None):
        """Writes backbone, weights, tokenizer assets, preprocessor and task config.

        Refuses a folder that is not empty unless `overwrite=True`, and even
        then one holding files keras-gpt2 did not write, or one that is, holds
        or lies in one of the `sources` read (`keras_gpt2.io.destination`).
        Weights above `max_shard_size` GB are cut into several files, as
        keras-hub does.
        """
        from keras_gpt2.io import preset as preset_format

        preset_format.save_preset(
            preset,
            self.backbone,
            preprocessor=self.preprocessor,
            task=self,
            overwrite=overwrite,
            sources=sources,
            max_shard_size=max_shard_size,
        )
