"""GPT-2 as a language model: next-token logits, training, generation, scoring."""

import dataclasses

import keras
import numpy as np
from keras import ops

from keras_gpt2 import samplers
from keras_gpt2.errors import InvalidInputError
from keras_gpt2.generation import logits_processors
from keras_gpt2.models import plain_backbone
from keras_gpt2.models.gpt2_backbone import GPT2Backbone  # noqa: F401 (registers the class)
from keras_gpt2.preprocessing.gpt2_causal_lm_preprocessor import GPT2CausalLMPreprocessor  # noqa: F401
from keras_gpt2.samplers.sampler import any_equal
from keras_gpt2.utils.compile import compile_function
from keras_gpt2.utils.tensor_utils import to_python_strings


def _is_string_data(x):
    if isinstance(x, str):
        return True
    if isinstance(x, (list, tuple)) and x and isinstance(x[0], (str, bytes)):
        return True
    dtype = getattr(x, "dtype", None)
    return dtype is not None and (getattr(dtype, "kind", "") in "USO" or str(dtype) == "<dtype: 'string'>")


@dataclasses.dataclass(frozen=True)
class PreparedPrompts:
    """Prompts ready for the compiled prefill and decode: `[batch, bucket]` arrays, and for
    each row the length to generate up to (`limits`); `start` is the shortest prompt's
    length and `end` the longest limit, where the decode loop stops."""

    token_ids: np.ndarray
    padding_mask: np.ndarray
    batched: bool
    limits: np.ndarray
    start: int
    end: int

    def frozen_mask(self):
        """True where the sampler must keep the token: the prompt, and each row past its limit."""
        positions = np.arange(self.token_ids.shape[1])[None, :]
        return self.padding_mask | (positions >= self.limits[:, None])

    def min_ends(self, min_new_tokens):
        """For each row, the first position where a stop token may come: prompt + `min_new_tokens`."""
        return self.padding_mask.sum(axis=-1).astype("int32") + int(min_new_tokens)


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
        self.sampler = samplers.get("top_k")
        self._generate_functions = {}
        self._named_samplers = {}
        # How many programs generation has traced (compiled), by kind: "prefill", "decode", "step".
        self.compilation_counts = {"prefill": 0, "decode": 0, "step": 0}
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
        self.sampler = samplers.get(sampler)

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
        dtype = backbone.compute_dtype
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

    def _prefill(self, prefix_ids, token_ids):
        """A cache as long as `token_ids`, filled in one pass over `prefix_ids`.

        The prefix must cover every position before the shortest prompt's end;
        positions it fills beyond that (padding, or the rest of longer
        prompts) are written again by the decoding steps before they are read.
        """
        self.compilation_counts["prefill"] += 1  # compiled, this runs only while tracing
        cache = self.init_cache(ops.shape(prefix_ids)[0], ops.shape(token_ids)[1])
        _, _, cache = self.call_with_cache(prefix_ids, cache, 0)
        return cache

    def _next(self, prompt, cache, index):
        """Logits for position `index` from the token at `index - 1`."""
        token = ops.slice(prompt, [0, index - 1], [ops.shape(prompt)[0], 1])
        logits, _, cache = self.call_with_cache(token, cache, index - 1)
        return ops.squeeze(logits, axis=1), cache

    # === Generation ===

    def _get_sampler(self, sampler):
        """The compiled sampler, or one made from a name once and kept (so it compiles once)."""
        if sampler is None:
            sampler = self.sampler
        elif isinstance(sampler, str):
            sampler = self._named_samplers.setdefault(sampler, samplers.get(sampler))
        else:
            sampler = samplers.get(sampler)
        sampler.validate(self.backbone.vocabulary_size)
        return sampler

    def _compiled(self, key, function, sampler):
        if key not in self._generate_functions:
            self._generate_functions[key] = compile_function(function, self.variables, sampler.variables)
        return self._generate_functions[key]

    def _processed_next(self, controls, stop_token_ids, min_ends):
        """`_next` with the logits processors of `controls` applied (see `_controls`)."""
        repetition, min_new_tokens, custom = controls
        process = logits_processors.chain(
            [
                logits_processors.repetition_penalty(repetition) if repetition is not None else None,
                logits_processors.suppress_tokens_before(stop_token_ids, min_ends)
                if min_new_tokens and stop_token_ids
                else None,
                *custom,
            ]
        )
        if process is None:
            return self._next

        def next(prompt, cache, index):
            logits, cache = self._next(prompt, cache, index)
            return process(logits, prompt, index), cache

        return next

    @staticmethod
    def _controls(repetition_penalty, min_new_tokens, logits_processors):
        """The generation controls as one hashable key part: `(penalty, min_new_tokens, processors)`."""
        if repetition_penalty is not None and not repetition_penalty > 0:
            raise ValueError(f"repetition_penalty must be > 0, got {repetition_penalty}")
        if min_new_tokens is not None and (not isinstance(min_new_tokens, int) or min_new_tokens < 0):
            raise ValueError(f"min_new_tokens must be a non-negative integer, got {min_new_tokens!r}")
        penalty = None if repetition_penalty in (None, 1, 1.0) else float(repetition_penalty)
        return penalty, min_new_tokens or 0, tuple(logits_processors or ())

    def _decode_function(self, sampler, stop_token_ids, controls):
        """The compiled decode loop; its shapes depend only on the batch and the length bucket."""

        def decode(token_ids, cache, frozen_mask, start, end, min_ends):
            self.compilation_counts["decode"] += 1  # runs only while tracing
            next = self._processed_next(controls, stop_token_ids, min_ends)
            return sampler(next, token_ids, cache, start, frozen_mask, stop_token_ids, end=end)

        return self._compiled(("decode", sampler, stop_token_ids, controls), decode, sampler)

    @staticmethod
    def _prefix(token_ids, padding_mask):
        """The first columns of `token_ids` that the prefill pass reads.

        Enough to hold the shortest prompt, rounded up to a power of two so
        that prompts of many lengths share a few compiled programs.
        """
        shortest = int(padding_mask.sum(axis=-1).min())
        width = min(1 << max(shortest - 1, 0).bit_length(), token_ids.shape[1])
        return ops.convert_to_tensor(token_ids[:, :width])

    def _resolve_stop_token_ids(self, stop_token_ids):
        if stop_token_ids == "auto":
            if self.preprocessor is None:
                return None
            return (self.preprocessor.tokenizer.end_token_id,)
        if stop_token_ids is None:
            return None
        return tuple(int(i) for i in stop_token_ids)

    def _prepare_prompts(self, inputs, max_length, max_new_tokens):
        """The prompts as a `PreparedPrompts`, padded to a length bucket.

        The arrays are as wide as the smallest power of two that holds the
        longest sequence to make (at most `max_sequence_length`), so prompts
        of many lengths share a few compiled programs; the decode loop stops
        at `end`, and each row at its own limit.
        """
        limit = self.backbone.max_sequence_length
        if isinstance(inputs, dict):
            token_ids, padding_mask = self._checked_token_inputs(inputs)
            batched = np.ndim(inputs["token_ids"]) == 2
            lengths = padding_mask.sum(axis=-1)
            strings = None
        else:
            if self.preprocessor is None:
                raise ValueError(
                    "This model has no preprocessor, so it cannot take text; pass "
                    "{'token_ids', 'padding_mask'} arrays, or attach a GPT2CausalLMPreprocessor."
                )
            strings, batched = to_python_strings(inputs)
            prompt_ids = self.preprocessor.tokenizer(strings)
            lengths = np.array([len(ids) + int(self.preprocessor.add_start_token) for ids in prompt_ids])
            token_ids = padding_mask = None
        if max_new_tokens is not None:
            if max_length is not None:
                raise ValueError("Pass `max_length` or `max_new_tokens`, not both.")
            limits = lengths + int(max_new_tokens)
        else:
            if max_length is None:
                max_length = token_ids.shape[1] if token_ids is not None else self.preprocessor.sequence_length
            limits = np.full(len(lengths), int(max_length))
        end = int(limits.max())
        if end > limit:
            raise ValueError(f"`max_length` {end} is beyond this model's max_sequence_length ({limit}).")
        if int(lengths.min()) < 1:
            raise ValueError("Every prompt needs at least one token (the start token counts).")
        if np.any(lengths > limits):
            raise ValueError(f"A prompt has {int(lengths.max())} tokens, more than `max_length` {end}.")
        width = min(1 << max(end - 1, 0).bit_length(), limit)
        if token_ids is None:
            x = self.preprocessor.generate_preprocess(strings, sequence_length=width)
            token_ids, padding_mask = np.asarray(x["token_ids"]), np.asarray(x["padding_mask"], bool)
        else:
            kept = min(token_ids.shape[1], end)
            padded_ids = np.zeros((len(token_ids), width), "int32")
            padded_mask = np.zeros((len(token_ids), width), bool)
            padded_ids[:, :kept], padded_mask[:, :kept] = token_ids[:, :kept], padding_mask[:, :kept]
            token_ids, padding_mask = padded_ids, padded_mask
        return PreparedPrompts(token_ids, padding_mask, batched, limits, int(lengths.min()), end)

    def _checked_token_inputs(self, inputs, where="generate"):
        """`(token_ids, padding_mask)` as 2-D numpy arrays, refused unless ids fit the vocabulary and shapes agree."""
        if "token_ids" not in inputs:
            raise InvalidInputError(where, "inputs", "a dict of arrays needs a 'token_ids' entry")
        raw_ids = np.asarray(keras.ops.convert_to_numpy(inputs["token_ids"]))
        if raw_ids.ndim not in (1, 2) or raw_ids.size == 0 or raw_ids.dtype.kind not in "iu":
            raise InvalidInputError(
                where, "token_ids", f"must be a non-empty 1-D or 2-D integer array, got {raw_ids.dtype} {raw_ids.shape}"
            )
        vocabulary_size = self.backbone.vocabulary_size
        outside = (raw_ids < 0) | (raw_ids >= vocabulary_size)
        if outside.any():
            position = tuple(int(i) for i in np.argwhere(outside)[0])
            raise InvalidInputError(
                where,
                f"token_ids{list(position)}",
                f"{int(raw_ids[position])} is outside the vocabulary [0, {vocabulary_size})",
            )
        token_ids = np.atleast_2d(raw_ids.astype("int32"))
        if inputs.get("padding_mask") is None:
            return token_ids, np.ones(token_ids.shape, bool)
        raw_mask = np.asarray(keras.ops.convert_to_numpy(inputs["padding_mask"]))
        if raw_mask.shape != raw_ids.shape:
            raise InvalidInputError(
                where, "padding_mask", f"has shape {raw_mask.shape}, but token_ids has shape {raw_ids.shape}"
            )
        return token_ids, np.atleast_2d(raw_mask.astype(bool))

    def _finish(self, token_ids, prompts, stop_token_ids, strip_prompt):
        """`(token_ids, padding_mask)` cut to `end`: the mask marks each row's prompt (unless
        stripped) and its new tokens, up to its limit and before its first stop token."""
        token_ids = np.asarray(keras.ops.convert_to_numpy(token_ids))[:, : prompts.end]
        prompt_mask = prompts.padding_mask[:, : prompts.end]
        positions = np.arange(prompts.end)[None, :]
        generated = ~prompt_mask & (positions < prompts.limits[:, None])
        if stop_token_ids is not None:
            stops = keras.ops.convert_to_numpy(any_equal(token_ids, stop_token_ids, generated))
            after_stop = np.cumsum(stops, axis=-1) > 0
            generated &= ~after_stop
        padding_mask = generated if strip_prompt else (prompt_mask | generated)
        return token_ids, padding_mask

    def generate(
        self,
        inputs,
        max_length=None,
        max_new_tokens=None,
        stop_token_ids="auto",
        strip_prompt=False,
        sampler=None,
        repetition_penalty=None,
        min_new_tokens=None,
        logits_processors=(),
    ):
        """Continues prompts.

        Args:
            inputs: a string, a list of strings (prompts of any lengths in one
                batch), or a dict of `token_ids`/`padding_mask` arrays.
            max_length: total length (prompt + new tokens) of every sequence;
                defaults to the preprocessor's `sequence_length`, or the width
                of `token_ids`. Beyond `max_sequence_length` is an error.
            max_new_tokens: instead of `max_length`: the longest prompt plus this.
            stop_token_ids: ids that end a sequence; "auto" is `<|endoftext|>`
                when there is a preprocessor; None runs to `max_length`.
            strip_prompt: return only the new text.
            sampler: a sampler or name for this call; default is the one
                given to `compile` (top-k).
            repetition_penalty: Hugging Face's: the logit of every token
                already in the sequence is divided by it when positive and
                multiplied by it when negative (1.0 or None: off).
            min_new_tokens: no stop token before this many new tokens.
            logits_processors: functions `(logits, token_ids, index) -> logits`
                written with `keras.ops`, applied inside the compiled step
                after the two above (see `keras_gpt2.generation.logits_processors`).

        Returns:
            Strings for string input, else `{"token_ids", "padding_mask"}`
            where the mask marks the prompt and the generated tokens.
        """
        sampler = self._get_sampler(sampler)
        stop_token_ids = self._resolve_stop_token_ids(stop_token_ids)
        controls = self._controls(repetition_penalty, min_new_tokens, logits_processors)
        prompts = self._prepare_prompts(inputs, max_length, max_new_tokens)
        prefill = self._compiled(("prefill",), self._prefill, sampler)
        decode = self._decode_function(sampler, stop_token_ids, controls)
        tokens = ops.convert_to_tensor(prompts.token_ids)
        cache = prefill(self._prefix(prompts.token_ids, prompts.padding_mask), tokens)
        output = decode(
            tokens,
            cache,
            ops.convert_to_tensor(prompts.frozen_mask()),
            ops.convert_to_tensor(prompts.start, "int32"),
            ops.convert_to_tensor(prompts.end, "int32"),
            ops.convert_to_tensor(prompts.min_ends(controls[1]), "int32"),
        )
        token_ids, padding_mask = self._finish(output, prompts, stop_token_ids, strip_prompt)
        result = {"token_ids": token_ids, "padding_mask": padding_mask}
        if isinstance(inputs, dict):
            return result if prompts.batched else {k: v[0] for k, v in result.items()}
        texts = self.preprocessor.generate_postprocess(result)
        return texts if prompts.batched else texts[0]

    def generate_stream(
        self,
        prompt,
        max_length=None,
        max_new_tokens=None,
        stop_token_ids="auto",
        sampler=None,
        repetition_penalty=None,
        min_new_tokens=None,
        logits_processors=(),
    ):
        """Yields the text of one prompt's continuation piece by piece, as it is made.

        Uses the same compiled prefill and decode step as `generate`, one step
        per Python iteration, with the same controls (see `generate`). A piece
        is held back while it ends inside a multi-byte character, so every
        yielded piece is valid text.

        Examples:
        >>> # for piece in model.generate_stream("ROMEO:", max_new_tokens=20):
        >>> #     print(piece, end="", flush=True)
        """
        if self.preprocessor is None:
            raise ValueError("Streaming text needs a preprocessor to detokenize.")
        sampler = self._get_sampler(sampler)
        stop_token_ids = self._resolve_stop_token_ids(stop_token_ids) or ()  # a tuple
        controls = self._controls(repetition_penalty, min_new_tokens, logits_processors)
        prompts = self._prepare_prompts([prompt], max_length, max_new_tokens)
        token_ids, prompt_mask = prompts.token_ids, prompts.padding_mask
        prefill = self._compiled(("prefill",), self._prefill, sampler)

        def decode_step(token_ids, cache, index, mask, min_ends):
            self.compilation_counts["step"] += 1  # runs only while tracing
            uniform = sampler.draw_uniform((ops.shape(token_ids)[0],))
            next = self._processed_next(controls, stop_token_ids, min_ends)
            return sampler.step(next, token_ids, cache, index, mask, uniform)

        step = self._compiled(("step", sampler, stop_token_ids, controls), decode_step, sampler)
        min_ends = ops.convert_to_tensor(prompts.min_ends(controls[1]), "int32")
        length = int(prompt_mask.sum())
        mask = ops.convert_to_tensor(prompts.frozen_mask())
        tokens = ops.convert_to_tensor(token_ids)
        cache = prefill(self._prefix(token_ids, prompt_mask), tokens)
        new_ids, emitted = [], ""
        tokenizer = self.preprocessor.tokenizer
        for index in range(length, int(prompts.limits[0])):
            tokens, cache = step(tokens, cache, ops.convert_to_tensor(index, "int32"), mask, min_ends)
            token = int(keras.ops.convert_to_numpy(tokens)[0, index])
            if token in stop_token_ids:
                break
            new_ids.append(token)
            text = tokenizer.detokenize(new_ids)
            if not text.endswith("\ufffd") and len(text) > len(emitted):
                yield text[len(emitted) :]
                emitted = text
        text = tokenizer.detokenize(new_ids) if new_ids else ""
        if len(text) > len(emitted):
            yield text[len(emitted) :]

    # === Scoring ===

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
        if isinstance(inputs, dict):
            token_ids = np.atleast_2d(keras.ops.convert_to_numpy(inputs["token_ids"]))
            mask = np.atleast_2d(keras.ops.convert_to_numpy(inputs["padding_mask"])).astype(bool)
            sequences = [list(row[keep]) for row, keep in zip(token_ids, mask)]
        else:
            if self.preprocessor is None:
                raise ValueError("Scoring text needs a preprocessor.")
            strings, _ = to_python_strings(inputs)
            tokenizer = self.preprocessor.tokenizer
            sequences = [[tokenizer.start_token_id, *ids, tokenizer.end_token_id] for ids in tokenizer(strings)]
        window = self.backbone.max_sequence_length
        pieces = [
            (index, ids[start : start + window])
            for index, ids in enumerate(sequences)
            for start in range(0, max(len(ids) - 1, 1), window - 1)
        ]
        log_likelihood = np.zeros(len(sequences))
        num_tokens = np.zeros(len(sequences), "int64")
        for first in range(0, len(pieces), batch_size):
            batch = pieces[first : first + batch_size]
            width = max(len(ids) for _, ids in batch)
            token_ids = np.zeros((len(batch), width), "int32")
            mask = np.zeros((len(batch), width), bool)
            for row, (_, ids) in enumerate(batch):
                token_ids[row, : len(ids)], mask[row, : len(ids)] = ids, True
            logits = self({"token_ids": token_ids, "padding_mask": mask}, training=False)
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
            model.sampler = samplers.get(sampler)
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
