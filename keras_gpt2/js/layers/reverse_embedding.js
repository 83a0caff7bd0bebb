// Token embedding tied to the output head; mirrors keras_gpt2/layers/reverse_embedding.py.
import tf from '../tf.js';

export class ReverseEmbedding {
  constructor(embeddings) {
    this.embeddings = embeddings; // [vocabulary, hidden]
  }

  /** ids [batch, length] -> [batch, length, hidden]; with reverse, hidden [n, hidden] -> logits [n, vocabulary]. */
  call(inputs, { reverse = false } = {}) {
    if (reverse) return tf.matMul(inputs, this.embeddings, false, true);
    return tf.gather(this.embeddings, inputs);
  }
}
