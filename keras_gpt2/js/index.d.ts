// Type declarations of the keras-gpt2 runtime (index.js). Names mirror the Python package.
import type * as tfjs from '@tensorflow/tfjs';

export declare const tf: typeof tfjs;

export interface Progress {
  /** Weight bytes read so far (from the network or the browser's cache). */
  loaded: number;
  /** Weight bytes in all shards, from the manifest. */
  total: number;
}

export interface LoadOptions {
  onProgress?: (progress: Progress) => void;
  /** Keep shards and tokenizer files in Cache Storage for the next visit (default true). */
  cache?: boolean;
}

export interface SamplerOptions {
  temperature?: number;
  /** A seed gives the same choices as Python's sampler with that seed; null draws a fresh one per call. */
  seed?: number | null;
}

export declare class Sampler {
  constructor(options?: SamplerOptions);
  temperature: number;
  seed: number | null;
  validate(vocabularySize: number): void;
  /** The next token from one row of logits and its uniform number in [0, 1). */
  sample(logits: Float32Array | number[], uniform?: number): number;
}
export declare class GreedySampler extends Sampler {}
export declare class RandomSampler extends Sampler {}
export declare class TopKSampler extends Sampler {
  constructor(options?: SamplerOptions & { k?: number });
}
export declare class TopPSampler extends Sampler {
  constructor(options?: SamplerOptions & { p?: number; k?: number | null });
}
/** Hugging Face's beam search; with numReturnSequences, the best beams. */
export declare class BeamSampler extends Sampler {
  constructor(options?: { numBeams?: number; lengthPenalty?: number; temperature?: number });
  numBeams: number;
  lengthPenalty: number;
}
/** A sampler from a name or a {className, config} entry, as Python's samplers.get. */
export declare function getSampler(identifier: string | Sampler | { className: string; config?: object }): Sampler;
export declare const SAMPLERS: {
  greedy: typeof GreedySampler;
  random: typeof RandomSampler;
  top_k: typeof TopKSampler;
  top_p: typeof TopPSampler;
  beam: typeof BeamSampler;
};
/** Inverse-CDF draw among `candidates` of tempered logits, as Python's sample_from_logits. */
export declare function sampleFromLogits(values: Float32Array | number[], candidates: number[], uniform: number): number;
/** The uniform number row `row` uses at `position` (the same as Python's random_stream). */
export declare function uniform(seed: number, row: number, position: number): number;
export declare function newSeed(): number;

export type LogitsProcessor = (logits: Float32Array, tokenIds: number[], index: number) => Float32Array;
export declare function repetitionPenalty(penalty: number): LogitsProcessor;
export declare function suppressTokensBefore(tokens: number[], end: number): LogitsProcessor;
export declare function chain(processors: (LogitsProcessor | null)[]): LogitsProcessor | null;

export declare class TextStreamer {
  constructor(tokenizer: GPT2Tokenizer, stopStrings?: string[]);
  stopped: boolean;
  put(tokenId: number): string;
  end(): string;
}
export declare function stopStringEnd(tokenizer: GPT2Tokenizer, tokenIds: number[], stopStrings: string[]): number | null;

export interface BytePairTokenizerOptions {
  vocabulary: Record<string, number>;
  merges: string[];
  addPrefixSpace?: boolean;
  unsplittableTokens?: string[];
}
export declare class BytePairTokenizer {
  constructor(options: BytePairTokenizerOptions);
  vocabularySize(): number;
  tokenToId(token: string): number;
  tokenize(inputs: string): number[];
  tokenize(inputs: string[]): number[][];
  detokenize(ids: number[]): string;
}
export declare class GPT2Tokenizer extends BytePairTokenizer {
  constructor(options: {
    vocabulary: Record<string, number>;
    merges: string[];
    addPrefixSpace?: boolean;
    specialTokensInStrings?: boolean;
    padValue?: number;
  });
  endTokenId: number;
  startTokenId: number;
  padTokenId: number;
}
export declare function bytesToUnicode(): Record<number, string>;

export interface BackboneConfig {
  vocabularySize: number;
  numLayers: number;
  numHeads: number;
  hiddenDim: number;
  intermediateDim: number;
  maxSequenceLength: number;
  layerNormEpsilon?: number;
  dropout?: number;
}

export declare class GPT2Backbone {
  constructor(config: BackboneConfig);
  config: BackboneConfig;
  dispose(): void;
}

export interface GenerateOptions {
  /** New tokens for every prompt. */
  maxNewTokens?: number;
  /** Instead: the total length of every sequence; default the preprocessor's sequenceLength. */
  maxLength?: number;
  /** Default `model.sampler` (the exported model's sampler). */
  sampler?: Sampler;
  /** Default [<|endoftext|>] when the model has a tokenizer. */
  stopTokenIds?: number[];
  /** A sequence ends once its new text holds one (the token completing it is kept). */
  stopStrings?: string | string[];
  /** Hugging Face's repetition penalty (null or 1: off). */
  repetitionPenalty?: number | null;
  /** No stop token before this many new tokens. */
  minNewTokens?: number;
  logitsProcessors?: LogitsProcessor[];
  /** Default true; false recomputes the whole sequence at every step. */
  useCache?: boolean;
  /** Called as each token arrives; `text` is the row's new piece of decoded text. */
  onToken?: (token: { row: number; tokenId: number; text: string }) => void | Promise<void>;
  /** Generation stops cleanly after the current token once aborted. */
  signal?: AbortSignal | null;
}

/** Several sequences per prompt: the best beams with BeamSampler, else samples. */
export type GenerateManyOptions = GenerateOptions & { numReturnSequences: number };

export interface Generated {
  tokenIds: number[];
  /** The continuation only. */
  text: string;
}

export interface Packed<Row> {
  tokenIds: Row;
  paddingMask: Row extends number[][] ? boolean[][] : boolean[];
}

export declare class StartEndPacker {
  constructor(options: { sequenceLength: number; startValue?: number | null; endValue?: number | null; padValue?: number });
  call(sequences: number[][], options?: { addStartValue?: boolean; addEndValue?: boolean }): Packed<number[][]>;
}
export declare class GPT2Preprocessor {
  constructor(options: { tokenizer: GPT2Tokenizer; sequenceLength?: number; addStartToken?: boolean; addEndToken?: boolean });
  tokenizer: GPT2Tokenizer;
  sequenceLength: number;
  call(x: string): Packed<number[]>;
  call(x: string[]): Packed<number[][]>;
}
/** (At run time a subclass of GPT2Preprocessor whose `call` gives training data.) */
export declare class GPT2CausalLMPreprocessor {
  constructor(options: { tokenizer: GPT2Tokenizer; sequenceLength?: number; addStartToken?: boolean; addEndToken?: boolean });
  tokenizer: GPT2Tokenizer;
  sequenceLength: number;
  call(x: string): { x: Packed<number[]>; y: number[]; sampleWeight: boolean[] };
  call(x: string[]): { x: Packed<number[][]>; y: number[][]; sampleWeight: boolean[][] };
  generatePreprocess(x: string[], sequenceLength?: number): Packed<number[][]>;
  generatePostprocess(x: Packed<number[][]>): string[];
}

/** The generation loop of one model (GPT2CausalLM.generate runs it). */
export declare class Generator {
  constructor(model: GPT2CausalLM);
  /** Prompts as token ids; resolves to each sequence's new token ids. */
  run(prompts: number[][], options?: GenerateOptions | GenerateManyOptions): Promise<number[][]>;
}

export declare class GPT2CausalLM {
  backbone: GPT2Backbone;
  tokenizer: GPT2Tokenizer | null;
  preprocessor: GPT2CausalLMPreprocessor | null;
  generator: Generator;
  /** The sampler generate uses when none is given: the Python model's, from model.json. */
  sampler: Sampler;
  /** Continues a string (tokenized) or token ids; resolves to the new ids and their text. */
  generate(prompt: string | number[], options?: GenerateOptions): Promise<Generated>;
  generate(prompt: string | number[], options: GenerateManyOptions): Promise<Generated[]>;
  /** A batch of prompts of any lengths: one result per prompt (a list of them with numReturnSequences). */
  generate(prompts: (string | number[])[], options?: GenerateOptions): Promise<Generated[]>;
  generate(prompts: (string | number[])[], options: GenerateManyOptions): Promise<Generated[][]>;
  /** Logits [batch, vocabulary] of the last position of `tokenIds` placed at `index`, and the extended cache. */
  callWithCache(tokenIds: number[][], cache: unknown[] | null, index: number): { logits: tfjs.Tensor2D; cache: unknown[] };
  /** Logits [batch, length, vocabulary] of every position (no cache). */
  predict(tokenIds: number[][], paddingMask?: number[][] | null): tfjs.Tensor3D;
  dispose(): void;
}

/** Loads model.json, its weight shards and the tokenizer files beside it. */
export declare function loadGPT2CausalLM(modelUrl: string, options?: LoadOptions): Promise<GPT2CausalLM>;

export declare const BACKEND_PREFERENCE: readonly ['webgpu', 'webgl', 'wasm'];
export declare function isHardwareAccelerated(name: string): Promise<boolean>;
/** Starts a TF.js backend ('auto' picks a real GPU, else wasm); resolves to its name. */
export declare function useBackend(
  name?: 'auto' | 'webgpu' | 'webgl' | 'wasm' | 'cpu' | string,
  options?: { wasmPaths?: string | null; threads?: number },
): Promise<string>;
export declare function wasmThreadCount(): number | null;

export declare function isPlainName(name: string): boolean;
export declare function safeChildUrl(modelUrl: URL, name: string, where: string): string;
