// How generate picks each next token; mirrors keras_gpt2/generation/samplers/. A sampler
// chooses from one row of logits (a Float32Array, already processed) and one uniform
// number from random_stream.js, drawing exactly as the Python samplers do (inverse CDF
// over the same candidates in the same order), so equal logits and seeds give equal tokens.
import { newSeed, uniform } from './random_stream.js';

/** Indices of the k largest values, largest first (ties: lower index first). */
export function topIndices(values, k) {
  if (k >= values.length) return Array.from(values.keys()).sort((a, b) => values[b] - values[a] || a - b);
  const best = [];
  for (let i = 0; i < values.length; i++) {
    if (best.length < k || values[i] > values[best[best.length - 1]]) {
      let at = best.length;
      while (at > 0 && values[best[at - 1]] < values[i]) at -= 1;
      best.splice(at, 0, i);
      if (best.length > k) best.pop();
    }
  }
  return best;
}

/** Inverse-CDF draw among `candidates` (logits already tempered), as Python's sample_from_logits. */
export function sampleFromLogits(values, candidates, u) {
  let max = -Infinity;
  for (const i of candidates) max = Math.max(max, values[i]);
  const cumulative = new Float64Array(candidates.length);
  let total = 0;
  candidates.forEach((i, j) => { total += Math.exp(values[i] - max); cumulative[j] = total; });
  const threshold = u * total;
  let index = 0;
  while (index < candidates.length && cumulative[index] <= threshold) index += 1;
  return candidates[Math.min(index, candidates.length - 1)];
}

export class Sampler {
  /** Options: temperature (> 0), seed (an integer for reproducible sampling; none: fresh each call). */
  constructor({ temperature = 1.0, seed = null } = {}) {
    if (!(temperature > 0)) throw new Error(`temperature must be > 0, got ${temperature}.`);
    if (seed !== null && !Number.isInteger(seed)) throw new Error(`seed must be an integer or null, got ${seed}.`);
    this.temperature = temperature;
    this.seed = seed;
  }

  validate(vocabularySize) {} // eslint-disable-line no-unused-vars

  /** The random stream of one call: (row, position) -> uniform number. */
  uniforms() {
    const seed = this.seed ?? newSeed();
    return (row, position) => uniform(seed, row, position);
  }

  temper(logits) {
    return logits.map((value) => Math.fround(value / this.temperature));
  }

  /** The next token from one row of logits and its uniform number. */
  sample(logits, u = Math.random()) {
    return this.getNextToken(this.temper(logits), u);
  }
}

export class GreedySampler extends Sampler {
  getNextToken(logits) {
    let best = 0;
    for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
    return best;
  }
}

export class RandomSampler extends Sampler {
  getNextToken(logits, u) {
    return sampleFromLogits(logits, Array.from(logits.keys()), u);
  }
}

export class TopKSampler extends Sampler {
  constructor({ k = 5, ...options } = {}) {
    super(options);
    if (!Number.isInteger(k) || k < 1) throw new Error(`k must be an integer >= 1, got ${k}.`);
    this.k = k;
  }

  validate(vocabularySize) {
    if (this.k > vocabularySize) throw new Error(`k (${this.k}) is larger than the vocabulary (${vocabularySize}).`);
  }

  getNextToken(logits, u) {
    return sampleFromLogits(logits, topIndices(logits, this.k), u);
  }
}

export class TopPSampler extends Sampler {
  constructor({ p = 0.9, k = null, ...options } = {}) {
    super(options);
    if (!(p > 0 && p <= 1)) throw new Error(`p must be in (0, 1], got ${p}.`);
    if (k !== null && (!Number.isInteger(k) || k < 1)) throw new Error(`k must be an integer >= 1, got ${k}.`);
    this.p = p;
    this.k = k;
  }

  validate(vocabularySize) {
    if (this.k !== null && this.k > vocabularySize) {
      throw new Error(`k (${this.k}) is larger than the vocabulary (${vocabularySize}).`);
    }
  }

  getNextToken(logits, u) {
    const ranked = topIndices(logits, this.k ?? logits.length);
    const max = logits[ranked[0]];
    const weights = ranked.map((i) => Math.exp(logits[i] - max));
    const total = weights.reduce((a, b) => a + b, 0);
    // Keep a token while the mass before it is still short of p (the first always stays).
    let before = 0;
    let size = 0;
    while (size < ranked.length && before < this.p) {
      before += weights[size] / total;
      size += 1;
    }
    return sampleFromLogits(logits, ranked.slice(0, size), u);
  }
}

/**
 * Hugging Face's beam search (early_stopping false), as keras_gpt2/generation/samplers/
 * beam_sampler.py; the search itself is `Generator.beamSearch` (generator.js), which works on
 * the whole batch of beams at once.
 * Options: numBeams (>= 1), lengthPenalty (default 1.0), temperature.
 */
export class BeamSampler extends Sampler {
  constructor({ numBeams = 5, lengthPenalty = 1.0, temperature = 1.0 } = {}) {
    super({ temperature });
    if (!Number.isInteger(numBeams) || numBeams < 1) throw new Error(`numBeams must be an integer >= 1, got ${numBeams}.`);
    this.numBeams = numBeams;
    this.lengthPenalty = lengthPenalty;
  }

  get searchesBeams() {
    return true;
  }

  getNextToken() {
    throw new Error('Beam search reorders its beams until the end; it cannot pick one token at a time.');
  }
}

export const SAMPLERS = {
  greedy: GreedySampler, random: RandomSampler, top_k: TopKSampler, top_p: TopPSampler, beam: BeamSampler,
};

/** A sampler from a name or a {className, config} entry (as model.json records it), as Python's samplers.get. */
export function getSampler(identifier) {
  if (identifier instanceof Sampler) return identifier;
  const [given, config] = typeof identifier === 'string' ? [identifier, {}] : [identifier?.className, identifier?.config ?? {}];
  const name = String(given).replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`); // TF.js hands 'top_k' over as 'topK'
  if (!(name in SAMPLERS)) throw new Error(`Unknown sampler ${JSON.stringify(identifier)}; choose one of ${Object.keys(SAMPLERS)}.`);
  return new SAMPLERS[name](config);
}
