// One pre-norm GPT-2 block; mirrors keras_gpt2/layers/transformer_decoder.py.
// Both layer norms' gamma and beta are folded into the products after them at load time
// (see cached_multi_head_attention.js), and biases ride in fused products: fewer kernels.
import tf from '../tf.js';
import { CachedMultiHeadAttention, foldNorm } from './cached_multi_head_attention.js';

/** GELU in the tanh approximation, as GPT-2 uses it, written as x * sigmoid(2z), which equals 0.5x(1 + tanh(z)). */
export function geluTanh(x) {
  const c = 2 * Math.sqrt(2 / Math.PI);
  return tf.mul(x, tf.sigmoid(tf.mul(x, tf.add(c, tf.mul(c * 0.044715, tf.square(x))))));
}

/** (x - mean) / sqrt(variance + epsilon) over the last axis: a layer norm before its gamma and beta. */
export function normalize(x, epsilon) {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon)));
}

export function layerNorm(x, gamma, beta, epsilon) {
  return tf.add(tf.mul(normalize(x, epsilon), gamma), beta);
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

function dense(x, [kernel, bias]) {
  const [batch, length, width] = x.shape;
  const y = tf.fused.matMul({ a: tf.reshape(x, [batch * length, width]), b: kernel, bias });
  return tf.reshape(y, [batch, length, kernel.shape[1]]);
}

export class TransformerDecoder {
  constructor(weights, prefix, { numHeads, layerNormEpsilon }) {
    const w = (name) => weights[`${prefix}/${name}`];
    const norm = (name) => [w(`${name}/gamma`), w(`${name}/beta`)];
    this.epsilon = layerNormEpsilon;
    this.selfAttention = new CachedMultiHeadAttention(weights, `${prefix}/self_attention`, numHeads, {
      inputNorm: norm('self_attention_layer_norm'),
    });
    this.intermediate = tf.tidy(() => foldNorm(
      norm('feedforward_layer_norm'), w('feedforward_intermediate_dense/kernel'), w('feedforward_intermediate_dense/bias'),
    ).map((t) => tf.keep(t)));
    this.output = [w('feedforward_output_dense/kernel'), w('feedforward_output_dense/bias')];
  }

  /** x: [batch, length, hidden] -> {output, cache}. */
  call(x, { cache = null, mask = null } = {}) {
    const attention = this.selfAttention.call(normalize(x, this.epsilon), { cache, mask });
    const residual = tf.add(x, attention.output);
    const hidden = geluTanh(dense(normalize(residual, this.epsilon), this.intermediate));
    return { output: tf.add(residual, dense(hidden, this.output)), cache: attention.cache };
  }

  dispose() {
    this.selfAttention.dispose();
    this.intermediate.forEach((t) => t.dispose());
  }
}
