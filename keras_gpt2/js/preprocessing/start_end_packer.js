// Adds start/end tokens, truncates and pads id sequences; mirrors
// keras_gpt2/preprocessing/start_end_packer.py.

export class StartEndPacker {
  constructor({ sequenceLength, startValue = null, endValue = null, padValue = 0 }) {
    if (!Number.isInteger(sequenceLength) || sequenceLength < 1) {
      throw new Error(`sequenceLength must be a positive integer, got ${sequenceLength}.`);
    }
    Object.assign(this, { sequenceLength, startValue, endValue, padValue });
  }

  /** sequences: arrays of ids -> {tokenIds, paddingMask}, [batch][sequenceLength] arrays. */
  call(sequences, { addStartValue = true, addEndValue = true } = {}) {
    const start = addStartValue && this.startValue !== null ? [this.startValue] : [];
    const end = addEndValue && this.endValue !== null ? [this.endValue] : [];
    const room = this.sequenceLength - start.length - end.length;
    if (room < 0) throw new Error(`sequenceLength ${this.sequenceLength} is too short for the start/end tokens.`);
    const tokenIds = [];
    const paddingMask = [];
    for (const sequence of sequences) {
      const packed = [...start, ...sequence.slice(0, room), ...end];
      const pad = this.sequenceLength - packed.length;
      tokenIds.push([...packed, ...new Array(pad).fill(this.padValue)]);
      paddingMask.push([...new Array(packed.length).fill(true), ...new Array(pad).fill(false)]);
    }
    return { tokenIds, paddingMask };
  }
}
