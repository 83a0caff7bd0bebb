// Self-attention with a key/value cache; mirrors keras_gpt2/layers/cached_multi_head_attention.py.
// Query, key and value kernels ([hidden, heads, head_dim] in the file) are fused into one
// [hidden, 3 * hidden] matrix at load time: one matmul per step instead of three.
import tf from '../tf.js';

export class CachedMultiHeadAttention {
  constructor(weights, prefix, numHeads) {
    const w = (name) => weights[`${prefix}/${name}`];
    const hidden = w('query/kernel').shape[0];
    this.numHeads = numHeads;
    this.headDim = hidden / numHeads;
    this.qkvKernel = tf.concat(['query', 'key', 'value'].map((n) => tf.reshape(w(`${n}/kernel`), [hidden, hidden])), 1);
    this.qkvBias = tf.concat(['query', 'key', 'value'].map((n) => tf.reshape(w(`${n}/bias`), [hidden])), 0);
    this.outputKernel = tf.reshape(w('attention_output/kernel'), [hidden, hidden]);
    this.outputBias = w('attention_output/bias');
  }

  splitHeads(x, batch, length) {
    // [batch * length, hidden] -> [batch, heads, length, head_dim]
    return tf.transpose(tf.reshape(x, [batch, length, this.numHeads, this.headDim]), [0, 2, 1, 3]);
  }

  /**
   * x: [batch, length, hidden]. cache: {key, value} of [batch, heads, past, head_dim] or null.
   * mask: [batch or 1, 1, length, past + length] additive (0 or -1e9), or null when one token
   * attends to everything before it. Returns {output, cache} with the grown cache.
   */
  call(x, { cache = null, mask = null } = {}) {
    const [batch, length, hidden] = x.shape;
    const qkv = tf.add(tf.matMul(tf.reshape(x, [batch * length, hidden]), this.qkvKernel), this.qkvBias);
    const [q, k, v] = tf.split(qkv, 3, 1).map((part) => this.splitHeads(part, batch, length));
    const key = cache ? tf.concat([cache.key, k], 2) : k;
    const value = cache ? tf.concat([cache.value, v], 2) : v;
    let scores = tf.mul(tf.matMul(q, key, false, true), 1 / Math.sqrt(this.headDim)); // [B, nh, T, S]
    if (mask) scores = tf.add(scores, mask);
    const attended = tf.matMul(tf.softmax(scores), value); // [B, nh, T, hd]
    const merged = tf.reshape(tf.transpose(attended, [0, 2, 1, 3]), [batch * length, hidden]);
    const output = tf.reshape(tf.add(tf.matMul(merged, this.outputKernel), this.outputBias), [batch, length, hidden]);
    return { output, cache: { key, value } };
  }
}
