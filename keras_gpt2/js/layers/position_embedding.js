// Learned absolute positions; mirrors keras_gpt2/layers/position_embedding.py.
import tf from '../tf.js';

export class PositionEmbedding {
  constructor(embeddings) {
    this.embeddings = embeddings; // [max_sequence_length, hidden]
  }

  /** Rows `startIndex .. startIndex + length` of the table: [length, hidden]. */
  call(length, startIndex = 0) {
    const maxLength = this.embeddings.shape[0];
    if (startIndex + length > maxLength) {
      throw new Error(`Position ${startIndex + length - 1} is beyond max_sequence_length ${maxLength}.`);
    }
    return tf.slice(this.embeddings, [startIndex, 0], [length, -1]);
  }
}
