// How generate picks each next token; mirrors keras_gpt2/generation/samplers/. Samplers work on one
// row of logits (a Float32Array) on the CPU, after the model step has been read back.

/** A small seedable PRNG (mulberry32): same seed, same samples. */
export function seededRandom(seed) {
  if (seed === undefined || seed === null) return Math.random;
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6D2B79F5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Indices of the k largest values, largest first. */
export function topIndices(values, k) {
  const indices = Array.from(values.keys());
  if (k >= values.length) return indices.sort((a, b) => values[b] - values[a]);
  const best = [];
  for (const i of indices) {
    if (best.length < k || values[i] > values[best[best.length - 1]]) {
      let at = best.length;
      while (at > 0 && values[best[at - 1]] < values[i]) at -= 1;
      best.splice(at, 0, i);
      if (best.length > k) best.pop();
    }
  }
  return best;
}

export class Sampler {
  constructor({ temperature = 1.0, seed = null } = {}) {
    if (!(temperature > 0)) throw new Error(`temperature must be > 0, got ${temperature}.`);
    this.temperature = temperature;
    this.random = seededRandom(seed);
  }

  validate(vocabularySize) {} // eslint-disable-line no-unused-vars

  /** Draws from softmax(logits[candidates] / temperature). */
  draw(logits, candidates) {
    const scaled = candidates.map((i) => logits[i] / this.temperature);
    const max = Math.max(...scaled);
    const weights = scaled.map((v) => Math.exp(v - max));
    let target = this.random() * weights.reduce((a, b) => a + b, 0);
    for (let j = 0; j < weights.length; j++) {
      target -= weights[j];
      if (target <= 0) return candidates[j];
    }
    return candidates[candidates.length - 1];
  }
}

export class GreedySampler extends Sampler {
  sample(logits) {
    let best = 0;
    for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
    return best;
  }
}

export class RandomSampler extends Sampler {
  sample(logits) {
    return this.draw(logits, Array.from(logits.keys()));
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

  sample(logits) {
    return this.draw(logits, topIndices(logits, this.k));
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

  sample(logits) {
    const ranked = topIndices(logits, this.k ?? logits.length);
    const max = logits[ranked[0]] / this.temperature;
    const weights = ranked.map((i) => Math.exp(logits[i] / this.temperature - max));
    const total = weights.reduce((a, b) => a + b, 0);
    // Keep a token while the mass before it is still short of p (the first always stays).
    let before = 0;
    let size = 0;
    while (size < ranked.length && before < this.p) {
      before += weights[size] / total;
      size += 1;
    }
    return this.draw(logits, ranked.slice(0, size));
  }
}

export const SAMPLERS = { greedy: GreedySampler, random: RandomSampler, top_k: TopKSampler, top_p: TopPSampler };
