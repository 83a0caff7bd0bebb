// The generation loop around a model's cached forward pass; mirrors
// keras_gpt2/generation/generator.py. Prompts of any lengths run as one batch: the
// shortest prompt fills the cache in one pass, then every row advances one position per
// step, rows still inside their prompt taking their prompt's token (as in Python).
import tf from '../tf.js';
import { chain, repetitionPenalty, suppressTokensBefore } from './logits_processors.js';
import { topIndices } from './samplers.js';
import { TextStreamer, stopStringEnd } from './text_streamer.js';

function disposeCache(cache) {
  cache?.forEach(({ keys, values }) => { keys.dispose(); values.dispose(); });
}

/** `cache` with its rows reordered to `rows` (beam search), the old one disposed. */
function gatherCache(cache, rows) {
  const indices = tf.tensor1d(rows, 'int32');
  const gathered = cache.map(({ keys, values }) => ({ keys: tf.gather(keys, indices), values: tf.gather(values, indices) }));
  indices.dispose();
  disposeCache(cache);
  return gathered;
}

function logSoftmax(values) {
  let max = -Infinity;
  for (const v of values) max = Math.max(max, v);
  let total = 0;
  for (const v of values) total += Math.exp(v - max);
  const shift = max + Math.log(total);
  return values.map((v) => v - shift);
}

const IMPOSSIBLE = -1e9;

export class Generator {
  constructor(model) {
    this.model = model;
  }

  /** Checks one call's options; see GPT2CausalLM.generate. */
  settings(options) {
    const {
      sampler = this.model.sampler, stopStrings = [], repetitionPenalty: penalty = null, minNewTokens = 0,
      numReturnSequences = 1, logitsProcessors = [],
    } = options;
    const { vocabularySize } = this.model.backbone.config;
    sampler.validate(vocabularySize);
    const stopTokenIds = options.stopTokenIds ?? (this.model.tokenizer ? [this.model.tokenizer.endTokenId] : []);
    if (!Number.isInteger(numReturnSequences) || numReturnSequences < 1) {
      throw new Error(`numReturnSequences must be a positive integer, got ${numReturnSequences}`);
    }
    if (sampler.searchesBeams && numReturnSequences > sampler.numBeams) {
      throw new Error(`numReturnSequences (${numReturnSequences}) is more than numBeams (${sampler.numBeams}).`);
    }
    const stops = typeof stopStrings === 'string' ? [stopStrings] : stopStrings;
    if (stops.length && (!this.model.tokenizer || sampler.searchesBeams)) {
      throw new Error('stopStrings need a tokenizer (to read the text) and a sampler other than beam search.');
    }
    if (!Number.isInteger(minNewTokens) || minNewTokens < 0) throw new Error(`minNewTokens must be a non-negative integer, got ${minNewTokens}`);
    return {
      sampler, stopTokenIds, stopStrings: stops, minNewTokens, numReturnSequences,
      penalty: penalty === null || penalty === 1 ? null : penalty, logitsProcessors,
    };
  }

  /** The processors of one row: repetition penalty, minNewTokens, then the user's. */
  processFor(settings, minEnd) {
    return chain([
      settings.penalty ? repetitionPenalty(settings.penalty) : null,
      settings.minNewTokens && settings.stopTokenIds.length ? suppressTokensBefore(settings.stopTokenIds, minEnd) : null,
      ...settings.logitsProcessors,
    ]);
  }

  /** Logits [rows, vocabulary] (as arrays) for position `index` of every row, and the new cache. */
  async forward(rows, cache, from, index, useCache) {
    const pieces = useCache ? rows.map((ids) => ids.slice(from, index)) : rows.map((ids) => ids.slice(0, index));
    const result = this.model.callWithCache(pieces, useCache ? cache : null, useCache ? from : 0);
    if (useCache) disposeCache(cache);
    else disposeCache(result.cache);
    const flat = await result.logits.data();
    result.logits.dispose();
    const size = flat.length / rows.length;
    const logits = rows.map((_, r) => flat.slice(r * size, (r + 1) * size));
    return { logits, cache: useCache ? result.cache : null };
  }

  /**
   * prompts: arrays of token ids. Returns for each row its new token ids (up to a stop
   * token, a stop string or maxNewTokens). onToken({row, tokenId, text}) is called as
   * each row's token arrives; signal (an AbortSignal) stops after the current step.
   */
  async run(prompts, options) {
    const settings = this.settings(options);
    const { maxNewTokens = null, maxLength = null, useCache = true, onToken = null, signal = null } = options;
    const limits = this.limits(prompts, maxNewTokens, maxLength);
    if (settings.sampler.searchesBeams) return this.beamSearch(prompts, limits, settings, { useCache, signal });
    const n = settings.numReturnSequences;
    const rows = prompts.flatMap((ids) => Array.from({ length: n }, () => [...ids]));
    const lengths = rows.map((ids) => ids.length);
    const rowLimits = limits.flatMap((limit) => Array(n).fill(limit));
    const processes = lengths.map((length) => this.processFor(settings, length + settings.minNewTokens));
    const uniforms = settings.sampler.uniforms();
    const streamers = rows.map(() => (this.model.tokenizer ? new TextStreamer(this.model.tokenizer, settings.stopStrings) : null));
    const done = rows.map(() => false);
    const start = Math.min(...lengths);
    let cache = null;
    let from = 0;
    for (let index = start; index < Math.max(...rowLimits) && !done.every(Boolean) && !signal?.aborted; index++) {
      const step = await this.forward(rows, cache, from, index, useCache);
      cache = step.cache;
      from = index;
      for (let r = 0; r < rows.length; r++) {
        if (index < lengths[r]) continue; // still inside its prompt: the cache reads its own token
        if (done[r] || index >= rowLimits[r]) {
          done[r] = true;
          rows[r].push(0); // every row keeps the same width; this position is not part of the output
          continue;
        }
        const logits = processes[r] ? processes[r](step.logits[r], rows[r], index) : step.logits[r];
        const tokenId = settings.sampler.sample(logits, uniforms(r, index));
        rows[r].push(tokenId);
        if (settings.stopTokenIds.includes(tokenId)) {
          done[r] = true;
          continue;
        }
        const text = streamers[r]?.put(tokenId) ?? '';
        if (streamers[r]?.stopped) done[r] = true;
        if (onToken) await onToken({ row: r, tokenId, text });
      }
    }
    disposeCache(cache);
    return rows.map((ids, r) => this.newTokens(ids.slice(lengths[r], rowLimits[r]), settings));
  }

  /** Each prompt's length limit: its length + maxNewTokens, or maxLength (default: the preprocessor's sequenceLength). */
  limits(prompts, maxNewTokens, maxLength) {
    const { maxSequenceLength } = this.model.backbone.config;
    if (maxNewTokens !== null && maxLength !== null) throw new Error('Pass maxLength or maxNewTokens, not both.');
    if (maxNewTokens !== null && !(Number.isInteger(maxNewTokens) && maxNewTokens >= 1)) {
      throw new Error(`maxNewTokens must be a positive integer, got ${maxNewTokens}`);
    }
    if (prompts.some((ids) => ids.length < 1)) throw new Error('Every prompt needs at least one token.');
    const total = maxLength ?? this.model.preprocessor?.sequenceLength ?? maxSequenceLength;
    const limits = prompts.map((ids) => (maxNewTokens !== null ? ids.length + maxNewTokens : total));
    const end = Math.max(...limits);
    if (end > maxSequenceLength) throw new Error(`Length ${end} is beyond this model's max_sequence_length (${maxSequenceLength}).`);
    const longest = Math.max(...prompts.map((ids) => ids.length));
    if (prompts.some((ids, i) => ids.length > limits[i])) throw new Error(`A prompt has ${longest} tokens, more than maxLength ${end}.`);
    return limits;
  }

  /** A row's new tokens: before its first stop token, up to the token completing a stop string. */
  newTokens(tokens, settings) {
    const stop = tokens.findIndex((t) => settings.stopTokenIds.includes(t));
    const kept = stop < 0 ? tokens : tokens.slice(0, stop);
    const end = settings.stopStrings.length ? stopStringEnd(this.model.tokenizer, kept, settings.stopStrings) : null;
    return end === null ? kept : kept.slice(0, end);
  }

  /** Hugging Face's beam search (early_stopping false); see beam_sampler.py for the steps. */
  async beamSearch(prompts, limits, settings, { useCache, signal }) {
    const { numBeams: beams, lengthPenalty, temperature } = settings.sampler;
    const candidates = Math.max(2, 1 + settings.stopTokenIds.length) * beams;
    const state = prompts.map((ids, b) => ({
      length: ids.length,
      limit: limits[b],
      running: Array.from({ length: beams }, () => [...ids]),
      scores: Array.from({ length: beams }, (_, k) => (k === 0 ? 0 : IMPOSSIBLE)),
      finished: [], // {ids, score}, best first, at most `beams`
      improving: true,
      process: this.processFor(settings, ids.length + settings.minNewTokens),
    }));
    const start = Math.min(...prompts.map((ids) => ids.length));
    const end = Math.max(...state.map((s) => s.limit));
    let cache = null;
    let from = 0;
    for (let index = start; index < end && state.some((s) => s.improving) && !signal?.aborted; index++) {
      const rows = state.flatMap((s) => s.running);
      const step = await this.forward(rows, cache, from, index, useCache);
      cache = step.cache;
      from = index;
      const sources = [];
      state.forEach((s, b) => {
        if (index < s.length || !s.improving) { // inside the prompt, or done: beams stay in place
          s.running.forEach((ids, k) => { ids.push(index < s.length ? prompts[b][index] : 0); sources.push(b * beams + k); });
          if (index + 1 >= s.limit) s.improving = false;
          return;
        }
        const scored = [];
        s.running.forEach((ids, k) => {
          let logProbs = logSoftmax(step.logits[b * beams + k].map((v) => v / temperature));
          if (s.process) logProbs = s.process(logProbs, ids, index);
          logProbs.forEach((value, token) => scored.push(s.scores[k] + value));
        });
        const vocabularySize = scored.length / beams;
        const top = topIndices(scored, candidates).map((flat) => ({
          score: scored[flat], beam: Math.floor(flat / vocabularySize), token: flat % vocabularySize,
        }));
        const newTokens = index + 1 - s.length;
        const atLimit = index + 1 >= s.limit;
        top.forEach((c) => { c.ends = settings.stopTokenIds.includes(c.token) || atLimit; });
        // Candidates among the top `beams` that ended become hypotheses; the best that did not end run on.
        const merged = [
          ...s.finished,
          ...top.filter((c, j) => c.ends && j < beams)
            .map((c) => ({ ids: [...s.running[c.beam], c.token], score: c.score / newTokens ** lengthPenalty })),
        ];
        s.finished = topIndices(merged.map((h) => h.score), beams).map((i) => merged[i]);
        const runningScores = top.map((c) => c.score + (c.ends ? IMPOSSIBLE : 0));
        const live = topIndices(runningScores, beams);
        const liveScores = live.map((j) => runningScores[j]);
        s.running = live.map((j) => [...s.running[top[j].beam], top[j].token]);
        live.forEach((j) => sources.push(b * beams + top[j].beam));
        s.scores = liveScores;
        const bestPossible = liveScores[0] / newTokens ** lengthPenalty;
        const worst = s.finished.length === beams ? Math.min(...s.finished.map((h) => h.score)) : IMPOSSIBLE;
        s.improving = bestPossible > worst && !atLimit;
      });
      if (cache) cache = gatherCache(cache, sources);
    }
    disposeCache(cache);
    return state.flatMap((s) => s.finished.slice(0, settings.numReturnSequences)
      .map((h) => this.newTokens(h.ids.slice(s.length, s.limit), settings)));
  }
}
