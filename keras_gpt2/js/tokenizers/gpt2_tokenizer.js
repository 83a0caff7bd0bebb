// GPT-2's tokenizer; mirrors keras_gpt2/tokenizers/gpt2_tokenizer.py.
import { BytePairTokenizer } from './byte_pair_tokenizer.js';

export const END_OF_TEXT = '<|endoftext|>';

export class GPT2Tokenizer extends BytePairTokenizer {
  constructor({ vocabulary, merges, addPrefixSpace = false, specialTokensInStrings = false, padValue = 0 }) {
    super({
      vocabulary, merges, addPrefixSpace,
      unsplittableTokens: specialTokensInStrings ? [END_OF_TEXT] : [],
    });
    if (!(END_OF_TEXT in vocabulary)) throw new Error(`GPT-2 vocabularies must contain ${END_OF_TEXT}.`);
    this.endTokenId = vocabulary[END_OF_TEXT];
    this.startTokenId = this.endTokenId;
    this.padTokenId = padValue;
  }
}
