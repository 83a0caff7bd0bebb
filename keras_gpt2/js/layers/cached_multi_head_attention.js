// Self-attention with a key/value cache; mirrors keras_gpt2/layers/cached_multi_head_attention.py.
//
// Made for few TF.js kernels per decode step (each costs tens of microseconds on wasm, and a
// GPT-2 step runs hundreds): at load time the query, key and value kernels ([hidden, heads,
// head_dim] in the file) become [hidden, hidden] products with their bias fused in, the
// 1/sqrt(head_dim) score scale is folded into the query kernel, and the layer norm before
// the block (its gamma and beta) can be folded in too (`inputNorm`). For one token the
// head split and merge are reshapes, not transposes.
import tf from '../tf.js';

/** [gamma, beta] of a layer norm folded into the product after it: norm(x) @ W + b as x_hat @ W' + b'. */
export function foldNorm([gamma, beta], kernel, bias) {
  return [tf.mul(tf.reshape(gamma, [-1, 1]), kernel), tf.add(tf.matMul(tf.reshape(beta, [1, -1]), kernel).reshape([-1]), bias)];
}

export class CachedMultiHeadAttention {
  constructor(weights, prefix, numHeads, { inputNorm = null } = {}) {
    const w = (name) => weights[`${prefix}/${name}`];
    const hidden = w('query/kernel').shape[0];
    this.numHeads = numHeads;
    this.headDim = hidden / numHeads;
    const folded = tf.tidy(() => ['query', 'key', 'value'].map((name, i) => {
      const scale = i === 0 ? 1 / Math.sqrt(this.headDim) : 1;
      const kernel = tf.mul(tf.reshape(w(`${name}/kernel`), [hidden, hidden]), scale);
      const bias = tf.mul(tf.reshape(w(`${name}/bias`), [hidden]), scale);
      return (inputNorm ? foldNorm(inputNorm, kernel, bias) : [kernel, bias]).map((t) => tf.keep(t));
    }));
    this.kernels = folded.map(([kernel]) => kernel);
    this.biases = folded.map(([, bias]) => bias);
    this.outputKernel = tf.keep(tf.reshape(w('attention_output/kernel'), [hidden, hidden]));
    this.outputBias = w('attention_output/bias');
  }

  /**
   * x: [batch, length, hidden] (normalized without gamma and beta when `inputNorm` was given).
   * cache: {keys [batch, heads, past, head_dim], values [batch, heads, head_dim, past]} or null. mask: [batch or 1, 1, length,
   * past + length] additive (0 or -1e9), or null when one token attends to everything before it.
   * Returns {output, cache} with the grown cache.
   */
  call(x, { cache = null, mask = null } = {}) {
    const [batch, length, hidden] = x.shape;
    const { numHeads, headDim } = this;
    const flat = tf.reshape(x, [batch * length, hidden]);
    // One product per part: slicing q, k and v out of one fused [.., 3 * hidden] product
    // costs more kernels on wasm than the two extra products.
    const [q, k, v] = this.kernels.map((b, i) => {
      const part = tf.fused.matMul({ a: flat, b, bias: this.biases[i] });
      // [batch * length, hidden] -> [batch, heads, length, head_dim]; values as [batch, heads, head_dim, length]
      if (length === 1) return tf.reshape(part, i === 2 ? [batch, numHeads, headDim, 1] : [batch, numHeads, 1, headDim]);
      return tf.transpose(tf.reshape(part, [batch, length, numHeads, headDim]), i === 2 ? [0, 2, 3, 1] : [0, 2, 1, 3]);
    });
    const keys = cache ? tf.concat([cache.keys, k], 2) : k; // [batch, heads, past + length, head_dim]
    const values = cache ? tf.concat([cache.values, v], 3) : v; // [batch, heads, head_dim, past + length]
    let attended; // [batch, heads, length, head_dim]
    if (length === 1 && !mask) {
      // One query: both products as a broadcast multiply and a sum over the last axis. TF.js's
      // wasm BatchMatMul over 12 heads costs about 0.25 ms each here (two per layer); these
      // run in SIMD loops. Values are cached transposed so that their sum is over the last axis too.
      const scores = tf.sum(tf.mul(q, keys), -1); // [batch, heads, past + 1], already scaled
      const probabilities = tf.reshape(tf.softmax(scores), [batch, numHeads, 1, -1]);
      attended = tf.reshape(tf.sum(tf.mul(probabilities, values), -1), [batch, numHeads, 1, headDim]);
    } else {
      let scores = tf.matMul(q, keys, false, true); // [batch, heads, length, past + length]
      if (mask) scores = tf.add(scores, mask);
      attended = tf.matMul(tf.softmax(scores), values, false, true);
    }
    const merged = length === 1 ? attended : tf.transpose(attended, [0, 2, 1, 3]);
    const output = tf.fused.matMul({ a: tf.reshape(merged, [batch * length, hidden]), b: this.outputKernel, bias: this.outputBias });
    return { output: tf.reshape(output, [batch, length, hidden]), cache: { keys, values } };
  }

  dispose() {
    [...this.kernels, ...this.biases, this.outputKernel].forEach((t) => t.dispose());
  }
}
