// Raw text to the tokenIds/paddingMask inputs of GPT2Backbone; mirrors
// keras_gpt2/preprocessing/gpt2_preprocessor.py (camelCase names, as TF.js's).
import { StartEndPacker } from './start_end_packer.js';

export class GPT2Preprocessor {
  constructor({ tokenizer, sequenceLength = 1024, addStartToken = true, addEndToken = true }) {
    Object.assign(this, { tokenizer, sequenceLength, addStartToken, addEndToken });
  }

  /** Packs strings to `sequenceLength` ids: {tokenIds, paddingMask}, a row per string (one row for a string). */
  pack(x, sequenceLength, { addStartToken = this.addStartToken, addEndToken = this.addEndToken } = {}) {
    const batched = Array.isArray(x);
    const packer = new StartEndPacker({
      sequenceLength, startValue: this.tokenizer.startTokenId, endValue: this.tokenizer.endTokenId, padValue: this.tokenizer.padTokenId,
    });
    const packed = packer.call(this.tokenizer.tokenize(batched ? x : [x]), { addStartValue: addStartToken, addEndValue: addEndToken });
    return batched ? packed : { tokenIds: packed.tokenIds[0], paddingMask: packed.paddingMask[0] };
  }

  call(x) {
    return this.pack(x, this.sequenceLength);
  }
}
