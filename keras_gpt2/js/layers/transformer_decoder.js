// One pre-norm GPT-2 block; mirrors keras_gpt2/layers/transformer_decoder.py.
import tf from '../tf.js';
import { CachedMultiHeadAttention } from './cached_multi_head_attention.js';

/** GELU in the tanh approximation, as GPT-2 uses it. */
export function geluTanh(x) {
  const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
  return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
}

export function layerNorm(x, gamma, beta, epsilon) {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, epsilon))), gamma), beta);
}

/**
 * Additive causal mask [batch or 1, 1, length, past + length]: query i (at position
 * past + i) sees keys up to its own position, and with paddingMask ([batch][past + length]
 * of 0/1) only real ones.
 */
export function causalAttentionMask(length, past, paddingMask = null) {
  const total = past + length;
  const rows = paddingMask ?? [new Array(total).fill(1)];
  const values = new Float32Array(rows.length * length * total);
  rows.forEach((row, b) => {
    for (let i = 0; i < length; i++) {
      for (let j = 0; j < total; j++) {
        const visible = j <= past + i && row[j];
        values[(b * length + i) * total + j] = visible ? 0 : -1e9;
      }
    }
  });
  return tf.tensor4d(values, [rows.length, 1, length, total]);
}

export class TransformerDecoder {
  constructor(weights, prefix, { numHeads, layerNormEpsilon }) {
    const w = (name) => weights[`${prefix}/${name}`];
    this.epsilon = layerNormEpsilon;
    this.attentionNorm = [w('self_attention_layer_norm/gamma'), w('self_attention_layer_norm/beta')];
    this.selfAttention = new CachedMultiHeadAttention(weights, `${prefix}/self_attention`, numHeads);
    this.feedforwardNorm = [w('feedforward_layer_norm/gamma'), w('feedforward_layer_norm/beta')];
    this.intermediate = [w('feedforward_intermediate_dense/kernel'), w('feedforward_intermediate_dense/bias')];
    this.output = [w('feedforward_output_dense/kernel'), w('feedforward_output_dense/bias')];
  }

  dense(x, [kernel, bias]) {
    const [batch, length, width] = x.shape;
    const y = tf.add(tf.matMul(tf.reshape(x, [batch * length, width]), kernel), bias);
    return tf.reshape(y, [batch, length, kernel.shape[1]]);
  }

  /** x: [batch, length, hidden] -> {output, cache}. */
  call(x, { cache = null, mask = null } = {}) {
    const normed = layerNorm(x, ...this.attentionNorm, this.epsilon);
    const attention = this.selfAttention.call(normed, { cache, mask });
    const residual = tf.add(x, attention.output);
    const hidden = geluTanh(this.dense(layerNorm(residual, ...this.feedforwardNorm, this.epsilon), this.intermediate));
    return { output: tf.add(residual, this.dense(hidden, this.output)), cache: attention.cache };
  }
}
