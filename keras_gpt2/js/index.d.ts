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
  /** A seed makes sampling reproducible; null draws a fresh one. */
  seed?: number | null;
}

export declare class Sampler {
  constructor(options?: SamplerOptions);
  temperature: number;
  validate(vocabularySize: number): void;
  sample(logits: Float32Array | number[]): number;
}
export declare class GreedySampler extends Sampler {}
export declare class RandomSampler extends Sampler {}
export declare class TopKSampler extends Sampler {
  constructor(options?: SamplerOptions & { k?: number });
}
export declare class TopPSampler extends Sampler {
  constructor(options?: SamplerOptions & { p?: number; k?: number | null });
}
export declare const SAMPLERS: {
  greedy: typeof GreedySampler;
  random: typeof RandomSampler;
  top_k: typeof TopKSampler;
  top_p: typeof TopPSampler;
};
export declare function seededRandom(seed?: number | null): () => number;

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
  /** Default 50. */
  maxNewTokens?: number;
  /** Default greedy. */
  sampler?: Sampler;
  /** Default [<|endoftext|>] when the model has a tokenizer. */
  stopTokenIds?: number[];
  /** Default true; false recomputes the whole sequence at every step. */
  useCache?: boolean;
  /** Called as each token arrives; `text` is the new piece of decoded text. */
  onToken?: (token: { tokenId: number; text: string }) => void | Promise<void>;
  /** Generation stops cleanly after the current token once aborted. */
  signal?: AbortSignal | null;
}

export declare class GPT2CausalLM {
  backbone: GPT2Backbone;
  tokenizer: GPT2Tokenizer | null;
  /** Continues a string (tokenized) or token ids; resolves to the new ids and their text. */
  generate(prompt: string | number[], options?: GenerateOptions): Promise<{ tokenIds: number[]; text: string }>;
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
