// Token ids to text as they are made; mirrors keras_gpt2/generation/text_streamer.py.

/** How many of `tokenIds` to keep: up to the token completing the first stop string, or null. */
export function stopStringEnd(tokenizer, tokenIds, stopStrings) {
  const holds = (text) => stopStrings.some((s) => text.includes(s));
  if (!stopStrings.length || !holds(tokenizer.detokenize(tokenIds))) return null;
  let low = 1;
  let high = tokenIds.length;
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    if (holds(tokenizer.detokenize(tokenIds.slice(0, middle)))) high = middle;
    else low = middle + 1;
  }
  return low;
}

/** Pieces of valid text (held back inside a multi-byte character); `stopped` once a stop string is in the text. */
export class TextStreamer {
  constructor(tokenizer, stopStrings = []) {
    this.tokenizer = tokenizer;
    this.stopStrings = stopStrings;
    this.tokenIds = [];
    this.emitted = '';
    this.stopped = false;
  }

  put(tokenId) {
    if (this.stopped) return '';
    this.tokenIds.push(tokenId);
    const text = this.tokenizer.detokenize(this.tokenIds);
    this.stopped = this.stopStrings.some((s) => text.includes(s));
    if (text.endsWith('\uFFFD') && !this.stopped) return '';
    return this.emit(text);
  }

  end() {
    return this.tokenIds.length ? this.emit(this.tokenizer.detokenize(this.tokenIds)) : '';
  }

  emit(text) {
    if (text.length <= this.emitted.length || !text.startsWith(this.emitted)) return '';
    const piece = text.slice(this.emitted.length);
    this.emitted = text;
    return piece;
  }
}
