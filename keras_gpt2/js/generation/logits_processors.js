// Logits processors: (logits Float32Array, tokenIds of the row so far, index) -> logits,
// applied before the sampler; mirrors keras_gpt2/generation/logits_processors.py.

/** Hugging Face's repetition penalty over the tokens before `index`. */
export function repetitionPenalty(penalty) {
  if (!(penalty > 0)) throw new Error(`repetitionPenalty must be > 0, got ${penalty}`);
  return (logits, tokenIds, index) => {
    for (const token of new Set(tokenIds.slice(0, index))) {
      const value = logits[token];
      logits[token] = value < 0 ? value * penalty : value / penalty;
    }
    return logits;
  };
}

/** Makes `tokens` impossible while `index < end` (with the stop tokens: Hugging Face's minNewTokens). */
export function suppressTokensBefore(tokens, end) {
  return (logits, tokenIds, index) => {
    if (index < end) for (const token of tokens) logits[token] = -1e9;
    return logits;
  };
}

/** One processor applying `processors` in order (null when there are none). */
export function chain(processors) {
  const kept = processors.filter(Boolean);
  if (!kept.length) return null;
  return (logits, tokenIds, index) => kept.reduce((values, process) => process(values, tokenIds, index), logits);
}
