"""The generation loop around a model's cached forward pass: compiled once per width bucket.

A `Generator` drives any model that has `init_cache(batch_size, max_length)`
and `call_with_cache(token_ids, cache, index) -> (logits, hidden, cache)`
(`GPT2CausalLM`). One compiled program per setting and width bucket fills the
cache from the prompts in fixed-size chunks (so its shapes do not depend on
the prompts' lengths), then runs the sampler's decode loop from `start` to
`end`; `generate` calls it once (or in segments when stop strings are
checked), `stream` calls the same program one position at a time, so both
make the same tokens.
"""

import dataclasses
import json

import keras
import numpy as np
from keras import ops

from keras_gpt2.generation import logits_processors as processors
from keras_gpt2.generation import samplers
from keras_gpt2.generation.compiled_functions import CompiledFunctions
from keras_gpt2.generation.prompts import prepare_prompts
from keras_gpt2.generation.text_streamer import TextStreamer
from keras_gpt2.generation.text_streamer import stop_string_end

# Prompt positions the cache is filled with per pass: long prompts in chunks of the first
# size, the rest in chunks of the second (a batch-32 prompt of 8 tokens must not pay for 64).
PREFILL_CHUNKS = (64, 8)
# With stop strings, generate checks the text after every this many positions.
STOP_STRING_INTERVAL = 8


@dataclasses.dataclass(frozen=True)
class Settings:
    """One call's checked generation settings (see `GPT2CausalLM.generate`)."""

    sampler: samplers.Sampler
    stop_token_ids: tuple
    stop_strings: tuple
    repetition_penalty: float
    min_new_tokens: int
    num_return_sequences: int
    logits_processors: tuple

    def key(self):
        """What the compiled program depends on: plain values, not objects (bar custom processors)."""
        sampler = (type(self.sampler).__name__, json.dumps(self.sampler.compiled_config(), sort_keys=True))
        beams = self.num_return_sequences if self.sampler.searches_beams else 1
        return (
            sampler,
            self.stop_token_ids,
            self.repetition_penalty,
            bool(self.min_new_tokens),
            beams,
            self.logits_processors,
        )

    def process(self, min_ends):
        """The logits processors of these settings, chained (None when there are none)."""
        return processors.chain(
            [
                processors.repetition_penalty(self.repetition_penalty) if self.repetition_penalty else None,
                processors.suppress_tokens_before(self.stop_token_ids, min_ends)
                if self.min_new_tokens and self.stop_token_ids
                else None,
                *self.logits_processors,
            ]
        )


class Generator:
    """Generation for one model: settings, the compiled-program cache, `generate` and `stream`.

    Args:
        model: a `GPT2CausalLM` (anything with `init_cache`, `call_with_cache`,
            `backbone` and `preprocessor`).
        max_programs: compiled programs kept (least recently used dropped).

    Examples:
    >>> from keras_gpt2.models.gpt2_backbone import GPT2Backbone
    >>> from keras_gpt2.models.gpt2_causal_lm import GPT2CausalLM
    >>> backbone = GPT2Backbone(vocabulary_size=50, num_layers=1, num_heads=2,
    ...                         hidden_dim=8, intermediate_dim=16, max_sequence_length=32)
    >>> generator = GPT2CausalLM(backbone).generator
    >>> output = generator.generate({"token_ids": [[1, 2, 3]]}, max_new_tokens=4, sampler="greedy")
    >>> output["token_ids"].shape, generator.compilations
    ((1, 7), 1)
    """

    def __init__(self, model, max_programs=8):
        self.model = model
        self.default_sampler = samplers.get("top_k")
        self.programs = CompiledFunctions(max_programs)
        # How many programs generation has traced (compiled) so far.
        self.compilations = 0

    def reset(self, sampler=None):
        """Drops every compiled program; optionally sets the default sampler (see `compile`)."""
        self.programs.clear()
        if sampler is not None:
            self.default_sampler = samplers.get(sampler)

    # === Settings ===

    def settings(
        self,
        sampler=None,
        stop_token_ids="auto",
        stop_strings=None,
        repetition_penalty=None,
        min_new_tokens=None,
        num_return_sequences=1,
        logits_processors=(),
    ):
        """Checks the settings of one call, before anything compiles."""
        sampler = self.default_sampler if sampler is None else samplers.get(sampler)
        sampler.validate(self.model.backbone.vocabulary_size)
        if repetition_penalty is not None and not repetition_penalty > 0:
            raise ValueError(f"repetition_penalty must be > 0, got {repetition_penalty}")
        if min_new_tokens is not None and (not isinstance(min_new_tokens, int) or min_new_tokens < 0):
            raise ValueError(f"min_new_tokens must be a non-negative integer, got {min_new_tokens!r}")
        if not isinstance(num_return_sequences, int) or num_return_sequences < 1:
            raise ValueError(f"num_return_sequences must be a positive integer, got {num_return_sequences!r}")
        if sampler.searches_beams and num_return_sequences > sampler.num_beams:
            raise ValueError(
                f"num_return_sequences ({num_return_sequences}) is more than num_beams ({sampler.num_beams})."
            )
        if isinstance(stop_strings, str):
            stop_strings = [stop_strings]
        stop_strings = tuple(stop_strings or ())
        if stop_strings and (self.model.preprocessor is None or sampler.searches_beams):
            raise ValueError(
                "stop_strings need a preprocessor (to read the text) and a sampler other than beam search."
            )
        if not all(isinstance(s, str) and s for s in stop_strings):
            raise ValueError(f"stop_strings must be non-empty strings, got {stop_strings!r}")
        return Settings(
            sampler=sampler,
            stop_token_ids=self._stop_token_ids(stop_token_ids),
            stop_strings=stop_strings,
            repetition_penalty=None if repetition_penalty in (None, 1, 1.0) else float(repetition_penalty),
            min_new_tokens=min_new_tokens or 0,
            num_return_sequences=num_return_sequences,
            logits_processors=tuple(logits_processors or ()),
        )

    def _stop_token_ids(self, stop_token_ids):
        if stop_token_ids == "auto":
            preprocessor = self.model.preprocessor
            return () if preprocessor is None else (preprocessor.tokenizer.end_token_id,)
        return tuple(int(i) for i in stop_token_ids or ())

    # === The compiled program ===

    def _prefill(self, token_ids, cache, length):
        """Fills `cache` with positions `[0, length)` of `token_ids`, in chunks of `PREFILL_CHUNKS`.

        The last small chunk may reach past `length` (other rows' prompts,
        padding): those positions are written again by the decode steps
        before they are read.
        """
        batch_size, width = ops.shape(token_ids)[0], ops.shape(token_ids)[1]
        large, small = (min(size, width) for size in PREFILL_CHUNKS)

        def chunk(size):
            def body(cache, at):
                start = ops.minimum(at, width - size)
                piece = ops.slice(token_ids, [0, start], [batch_size, size])
                _, _, cache = self.model.call_with_cache(piece, cache, start)
                return cache, at + size

            return body

        at = ops.zeros((), "int32")
        cache, at = ops.while_loop(lambda cache, at: ops.less_equal(at + large, length), chunk(large), (cache, at))
        cache, _ = ops.while_loop(lambda cache, at: ops.less(at, length), chunk(small), (cache, at))
        return cache

    def _next(self, token_ids, cache, index):
        """Logits for position `index` from the token at `index - 1`."""
        token = ops.slice(token_ids, [0, index - 1], [ops.shape(token_ids)[0], 1])
        logits, _, cache = self.model.call_with_cache(token, cache, index - 1)
        return ops.squeeze(logits, axis=1), cache

    def _program(self, settings):
        """The compiled program: `(token_ids, cache, frozen_mask, prefill_length, start, end,
        uniforms, min_ends) -> (token_ids, cache)`."""

        def run(token_ids, cache, frozen_mask, prefill_length, start, end, uniforms, min_ends):
            self.compilations += 1  # runs only while tracing
            cache = self._prefill(token_ids, cache, prefill_length)
            extra = {"num_return_sequences": settings.num_return_sequences} if settings.sampler.searches_beams else {}
            return settings.sampler(
                self._next,
                token_ids,
                cache,
                start,
                frozen_mask,
                uniforms,
                end,
                stop_token_ids=settings.stop_token_ids,
                process=settings.process(min_ends),
                **extra,
            )

        variables = self.model.variables  # quantizing or adding adapters makes new ones: a new program
        return self.programs.get((settings.key(), tuple(map(id, variables))), run, variables)

    def _runner(self, settings, prompts):
        """`run(token_ids, cache, frozen_mask, prefill_length, start, end) -> (token_ids, cache)`:
        the compiled program with this call's uniforms and `min_ends` bound, and its first
        `(token_ids, cache)` (the prompts and a zero cache)."""
        program = self._program(settings)
        rows, width = prompts.token_ids.shape
        uniforms = ops.convert_to_tensor(settings.sampler.uniforms(rows, width))
        min_ends = ops.convert_to_tensor(prompts.min_ends(settings.min_new_tokens), "int32")

        def run(token_ids, cache, frozen_mask, prefill_length, start, end):
            scalars = [ops.convert_to_tensor(value, "int32") for value in (prefill_length, start, end)]
            return program(token_ids, cache, ops.convert_to_tensor(frozen_mask), *scalars, uniforms, min_ends)

        return run, (ops.convert_to_tensor(prompts.token_ids), self.model.init_cache(rows, width))

    # === generate and stream ===

    def generate(self, inputs, max_length=None, max_new_tokens=None, strip_prompt=False, **options):
        """See `GPT2CausalLM.generate`."""
        settings = self.settings(**options)
        prompts = prepare_prompts(inputs, self.model.backbone, self.model.preprocessor, max_length, max_new_tokens)
        rows = prompts if settings.sampler.searches_beams else prompts.repeat(settings.num_return_sequences)
        run, (token_ids, cache) = self._runner(settings, rows)
        prefill_length, index = rows.start - 1, rows.start
        step = STOP_STRING_INTERVAL if settings.stop_strings else rows.end
        while index < rows.end:
            end = min(index + step, rows.end)
            token_ids, cache = run(token_ids, cache, rows.frozen_mask(), prefill_length, index, end)
            prefill_length, index = 0, end
            if settings.stop_strings and self._cut_at_stop_strings(token_ids, rows, settings, end):
                break
        if settings.sampler.searches_beams:
            rows = prompts.repeat(settings.num_return_sequences)
        token_ids, padding_mask = self._finish(token_ids, rows, settings.stop_token_ids, strip_prompt)
        return self._outputs(inputs, prompts, token_ids, padding_mask, settings.num_return_sequences)

    def _cut_at_stop_strings(self, token_ids, rows, settings, end):
        """Lowers each row's limit to where its text holds a stop string; True when every row is done."""
        token_ids = np.asarray(keras.ops.convert_to_numpy(token_ids))
        tokenizer = self.model.preprocessor.tokenizer
        lengths = rows.lengths
        done = True
        for row in range(len(token_ids)):
            start, limit = int(lengths[row]), min(int(rows.limits[row]), end)
            new = token_ids[row, start:limit].tolist()
            stopped = [i for i, token in enumerate(new) if token in settings.stop_token_ids]
            new = new[: stopped[0]] if stopped else new
            kept = stop_string_end(tokenizer, new, settings.stop_strings)
            if kept is not None:
                rows.limits[row] = start + kept
            done &= kept is not None or bool(stopped) or limit >= rows.limits[row]
        return done

    @staticmethod
    def _finish(token_ids, prompts, stop_token_ids, strip_prompt):
        """`(token_ids, padding_mask)` cut to `end`: the mask marks each row's prompt (unless
        stripped) and its new tokens, up to its limit and before its first stop token."""
        token_ids = np.asarray(keras.ops.convert_to_numpy(token_ids))[:, : prompts.end]
        prompt_mask = prompts.padding_mask[:, : prompts.end]
        positions = np.arange(prompts.end)[None, :]
        generated = ~prompt_mask & (positions < prompts.limits[:, None])
        if stop_token_ids:
            stops = np.isin(token_ids, stop_token_ids) & generated
            generated &= ~(np.cumsum(stops, axis=-1) > 0)
        padding_mask = generated if strip_prompt else (prompt_mask | generated)
        return token_ids, padding_mask

    def _outputs(self, inputs, prompts, token_ids, padding_mask, num_return_sequences):
        """Token arrays for array input, else strings; several sequences per prompt are grouped."""
        result = {"token_ids": token_ids, "padding_mask": padding_mask}
        if isinstance(inputs, dict):
            if prompts.batched or num_return_sequences > 1:
                return result
            return {key: value[0] for key, value in result.items()}
        texts = self.model.preprocessor.generate_postprocess(result)
        if num_return_sequences > 1:
            texts = [texts[i : i + num_return_sequences] for i in range(0, len(texts), num_return_sequences)]
        return texts if prompts.batched else texts[0]

    def stream(self, prompt, max_length=None, max_new_tokens=None, **options):
        """See `GPT2CausalLM.generate_stream`. Settings and the prompt are checked here, when
        called, so a bad request fails before any text is shown; the pieces come lazily."""
        if self.model.preprocessor is None:
            raise ValueError("Streaming text needs a preprocessor to detokenize.")
        settings = self.settings(**options)
        if settings.sampler.searches_beams:
            raise ValueError("Beam search reorders its beams until the end; it cannot stream tokens.")
        if settings.num_return_sequences != 1:
            raise ValueError("generate_stream makes one sequence; use generate for num_return_sequences > 1.")
        prompts = prepare_prompts([prompt], self.model.backbone, self.model.preprocessor, max_length, max_new_tokens)
        return self._pieces(settings, prompts)

    def _pieces(self, settings, prompts):
        """Yields the text pieces of one prompt's continuation (see `stream`)."""
        run, (token_ids, cache) = self._runner(settings, prompts)
        frozen_mask = ops.convert_to_tensor(prompts.frozen_mask())  # once: the same every step
        streamer = TextStreamer(self.model.preprocessor.tokenizer, settings.stop_strings)
        prefill_length = prompts.start - 1
        for index in range(prompts.start, prompts.end):
            token_ids, cache = run(token_ids, cache, frozen_mask, prefill_length, index, index + 1)
            prefill_length = 0
            token = int(keras.ops.convert_to_numpy(token_ids)[0, index])
            if token in settings.stop_token_ids:
                break
            piece = streamer.put(token)
            if piece:
                yield piece
            if streamer.stopped:
                return
        piece = streamer.end()
        if piece:
            yield piece
