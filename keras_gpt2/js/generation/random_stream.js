// The random numbers samplers consume; the same arithmetic as
// keras_gpt2/generation/random_stream.py, so Python and the browser draw the same numbers
// for the same (seed, row, position) and make the same choices from the same logits.

function mix(h) {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85EBCA6B);
  h ^= h >>> 13;
  h = Math.imul(h, 0xC2B2AE35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The uniform number in [0, 1) that row `row` uses to choose the token at `position`. */
export function uniform(seed, row, position) {
  let h = mix((Math.imul(position, 0x9E3779B1) + 0x7F4A7C15) >>> 0);
  h = mix((h ^ ((Math.imul(row, 0x85EBCA77) + 0x165667B1) >>> 0)) >>> 0);
  h = mix((h ^ (Number(BigInt.asUintN(32, BigInt(seed))))) >>> 0);
  return (h >>> 8) * 2 ** -24;
}

/** A fresh 32-bit seed, for samplers made without one. */
export function newSeed() {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}
