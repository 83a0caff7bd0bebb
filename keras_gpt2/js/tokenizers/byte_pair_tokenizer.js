// Byte-level BPE with GPT-2's pre-tokenizer; mirrors keras_gpt2/tokenizers/byte_pair_tokenizer.py.

// GPT-2's split pattern, the same as the Python tokenizer's. Whitespace is Unicode's
// White_Space property, as in tiktoken and Python: JavaScript's \s differs (it takes U+FEFF
// and leaves out U+0085), which gave other ids than Python for text holding those.
const SPLIT_PATTERN =
  /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\p{White_Space}\p{L}\p{N}]+|\p{White_Space}+(?!\P{White_Space})|\p{White_Space}+/gu;

/** GPT-2's reversible map from the 256 byte values to printable characters. */
export function bytesToUnicode() {
  const printable = [];
  for (let b = '!'.charCodeAt(0); b <= '~'.charCodeAt(0); b++) printable.push(b);
  for (let b = '¡'.charCodeAt(0); b <= '¬'.charCodeAt(0); b++) printable.push(b);
  for (let b = '®'.charCodeAt(0); b <= 'ÿ'.charCodeAt(0); b++) printable.push(b);
  const codePoints = printable.slice();
  let shift = 0;
  for (let b = 0; b < 256; b++) {
    if (!printable.includes(b)) {
      printable.push(b);
      codePoints.push(256 + shift);
      shift += 1;
    }
  }
  const map = new Array(256);
  printable.forEach((b, i) => { map[b] = String.fromCharCode(codePoints[i]); });
  return map;
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export class BytePairTokenizer {
  /**
   * @param {{vocabulary: Object<string, number>, merges: string[], addPrefixSpace?: boolean,
   *          unsplittableTokens?: string[]}} config
   */
  constructor({ vocabulary, merges, addPrefixSpace = false, unsplittableTokens = [] }) {
    this.vocabulary = vocabulary;
    this.idToToken = [];
    for (const [token, id] of Object.entries(vocabulary)) this.idToToken[id] = token;
    this.ranks = new Map();
    merges.filter((line) => line && !line.startsWith('#version')).forEach((rule, rank) => {
      this.ranks.set(rule, rank);
    });
    this.addPrefixSpace = addPrefixSpace;
    this.unsplittableTokens = unsplittableTokens;
    this.unsplittablePattern = unsplittableTokens.length
      ? new RegExp(`(${unsplittableTokens.map(escapeRegExp).join('|')})`, 'u') : null;
    this.byteToSymbol = bytesToUnicode();
    this.symbolToByte = new Map(this.byteToSymbol.map((symbol, byte) => [symbol, byte]));
    this.encoder = new TextEncoder();
    this.decoder = new TextDecoder('utf-8', { ignoreBOM: true });
    this.cache = new Map();
  }

  vocabularySize() {
    return this.idToToken.length;
  }

  tokenToId(token) {
    const id = this.vocabulary[token];
    if (id === undefined) throw new Error(`Token ${JSON.stringify(token)} is not in the vocabulary.`);
    return id;
  }

  /** The merge loop: lowest-ranked adjacent pair first, until none applies. */
  bpe(word) {
    const cached = this.cache.get(word);
    if (cached) return cached;
    let parts = Array.from(word);
    while (parts.length > 1) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i < parts.length - 1; i++) {
        const rank = this.ranks.get(`${parts[i]} ${parts[i + 1]}`);
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          best = i;
        }
      }
      if (best < 0) break;
      const [first, second] = [parts[best], parts[best + 1]];
      const next = [];
      for (let i = 0; i < parts.length; i++) {
        if (parts[i] === first && parts[i + 1] === second) {
          next.push(first + second);
          i += 1;
        } else {
          next.push(parts[i]);
        }
      }
      parts = next;
    }
    const ids = parts.map((part) => {
      const id = this.vocabulary[part];
      if (id === undefined) throw new Error(`No token for ${JSON.stringify(part)} in this vocabulary.`);
      return id;
    });
    if (this.cache.size < 100000) this.cache.set(word, ids);
    return ids;
  }

  tokenizeText(text) {
    const ids = [];
    for (const match of text.matchAll(SPLIT_PATTERN)) {
      const symbols = Array.from(this.encoder.encode(match[0]), (b) => this.byteToSymbol[b]).join('');
      ids.push(...this.bpe(symbols));
    }
    return ids;
  }

  /** Text to ids (a string gives ids, an array of strings gives arrays of ids). */
  tokenize(inputs) {
    if (Array.isArray(inputs)) return inputs.map((text) => this.tokenize(text));
    if (typeof inputs !== 'string') throw new TypeError(`Expected text, got ${typeof inputs}.`);
    const text = this.addPrefixSpace ? ` ${inputs}` : inputs;
    if (!this.unsplittablePattern) return this.tokenizeText(text);
    return text.split(this.unsplittablePattern).flatMap((piece, i) => (
      i % 2 ? [this.vocabulary[piece]] : this.tokenizeText(piece)));
  }

  /** Ids to text; ids outside the vocabulary are an error. */
  detokenize(ids) {
    if (ids.length && Array.isArray(ids[0])) return ids.map((row) => this.detokenize(row));
    const bytes = [];
    for (const id of ids) {
      const token = this.idToToken[id];
      if (token === undefined) throw new Error(`Id ${id} is outside the vocabulary (size ${this.vocabularySize()}).`);
      for (const symbol of token) bytes.push(this.symbolToByte.get(symbol));
    }
    return this.decoder.decode(new Uint8Array(bytes));
  }
}
