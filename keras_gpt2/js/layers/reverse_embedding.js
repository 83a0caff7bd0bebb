// Token embedding tied to the output head; mirrors keras_gpt2/layers/reverse_embedding.py.
//
// The table is kept once, transposed to [hidden, vocabulary]: the head is then a plain
// x @ kernel product, which TF.js's wasm backend sends to XNNPACK, while a product with
// transposeB=true (x @ embeddings^T) falls back to a scalar loop there, 5-8x slower for
// GPT-2's 50,257 x 768 head. Looking tokens up reads columns instead of rows, which costs
// nothing that matters for the few ids of a step.
import tf from '../tf.js';

export class ReverseEmbedding {
  /** embeddings: [vocabulary, hidden], as in the file; this layer keeps its own transposed copy. */
  constructor(embeddings) {
    this.kernel = tf.keep(tf.transpose(embeddings)); // [hidden, vocabulary]
  }

  /** ids [batch, length] -> [batch, length, hidden]; with reverse, hidden [n, hidden] -> logits [n, vocabulary]. */
  call(inputs, { reverse = false } = {}) {
    if (reverse) return tf.matMul(inputs, this.kernel);
    const [batch, length] = inputs.shape;
    const columns = tf.gather(this.kernel, tf.reshape(inputs, [-1]), 1); // [hidden, batch * length]
    return tf.reshape(tf.transpose(columns), [batch, length, -1]);
  }

  dispose() {
    this.kernel.dispose();
  }
}
