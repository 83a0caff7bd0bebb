// Text to next-token training data, and for generation; mirrors
// keras_gpt2/preprocessing/gpt2_causal_lm_preprocessor.py.
import { GPT2Preprocessor } from './gpt2_preprocessor.js';

const shiftRows = (rows, from, to) => (Array.isArray(rows[0]) ? rows.map((r) => r.slice(from, to)) : rows.slice(from, to));

export class GPT2CausalLMPreprocessor extends GPT2Preprocessor {
  /** {x: {tokenIds, paddingMask}, y, sampleWeight}: `y` is `x` shifted by one, weighted where real. */
  call(x) {
    const { tokenIds, paddingMask } = this.pack(x, this.sequenceLength + 1);
    return {
      x: { tokenIds: shiftRows(tokenIds, 0, -1), paddingMask: shiftRows(paddingMask, 0, -1) },
      y: shiftRows(tokenIds, 1), sampleWeight: shiftRows(paddingMask, 1),
    };
  }

  /** Prompts to {tokenIds, paddingMask} with a start token and no end token. */
  generatePreprocess(x, sequenceLength = this.sequenceLength) {
    return this.pack(x, sequenceLength, { addEndToken: false });
  }

  /** Generated {tokenIds, paddingMask} back to strings, special tokens dropped. */
  generatePostprocess({ tokenIds, paddingMask }) {
    const batched = Array.isArray(tokenIds[0]);
    const special = new Set([this.tokenizer.startTokenId, this.tokenizer.endTokenId]);
    const texts = (batched ? tokenIds : [tokenIds]).map((ids, r) => {
      const mask = batched ? paddingMask[r] : paddingMask;
      return this.tokenizer.detokenize(ids.filter((id, i) => mask[i] && !special.has(id)));
    });
    return batched ? texts : texts[0];
  }
}
