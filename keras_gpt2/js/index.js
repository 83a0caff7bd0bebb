// keras-gpt2 browser runtime: load a model exported by `keras-gpt2 export-tfjs` and generate text.
//
//   import { loadGPT2CausalLM, TopKSampler } from './keras_gpt2/index.js';
//   const model = await loadGPT2CausalLM('model/model.json');
//   const { text } = await model.generate('To be, or not to be', {
//     maxNewTokens: 40, sampler: new TopKSampler({ k: 40, seed: 1 }),
//     onToken: ({ text }) => output.append(text),
//   });
import tf from './tf.js';
import { GPT2CausalLM } from './models/gpt2_causal_lm.js';
import { GPT2Tokenizer } from './tokenizers/gpt2_tokenizer.js';
import { safeChildUrl } from './io/paths.js';
import { GPT2CausalLMPreprocessor } from './preprocessing/gpt2_causal_lm_preprocessor.js';

export { tf };
export { GPT2Backbone } from './models/gpt2_backbone.js';
export { GPT2CausalLM } from './models/gpt2_causal_lm.js';
export { BytePairTokenizer, bytesToUnicode } from './tokenizers/byte_pair_tokenizer.js';
export { GPT2Tokenizer } from './tokenizers/gpt2_tokenizer.js';
export { isPlainName, safeChildUrl } from './io/paths.js';
export { BACKEND_PREFERENCE, isHardwareAccelerated, useBackend, wasmThreadCount } from './backends.js';
export {
  Sampler, GreedySampler, RandomSampler, TopKSampler, TopPSampler, BeamSampler, SAMPLERS, getSampler, sampleFromLogits,
} from './generation/samplers.js';
export { uniform, newSeed } from './generation/random_stream.js';
export { repetitionPenalty, suppressTokensBefore, chain } from './generation/logits_processors.js';
export { TextStreamer, stopStringEnd } from './generation/text_streamer.js';
export { Generator } from './generation/generator.js';
export { StartEndPacker } from './preprocessing/start_end_packer.js';
export { GPT2Preprocessor } from './preprocessing/gpt2_preprocessor.js';
export { GPT2CausalLMPreprocessor } from './preprocessing/gpt2_causal_lm_preprocessor.js';

const BYTES_PER_ELEMENT = { float32: 4, int32: 4, float16: 2, uint16: 2, uint8: 1, bool: 1 };
const CACHE_PREFIX = 'keras-gpt2 weights';

/** The bytes a manifest weight entry takes in its shard (quantized entries at their stored width). */
function storedBytes(spec) {
  const count = (spec.shape ?? []).reduce((a, b) => a * b, 1);
  return count * (BYTES_PER_ELEMENT[spec.quantization?.dtype ?? spec.dtype] ?? 4);
}

/**
 * The Cache Storage bucket for one model.json, named by its URL and a hash of its text:
 * a changed model.json gets a new bucket, and the buckets of its earlier versions are
 * deleted. null where Cache Storage is not offered (Node, pages not served securely).
 */
async function weightCache(modelUrl, modelJsonText) {
  if (!globalThis.caches || !globalThis.crypto?.subtle) return null;
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(modelJsonText));
  const hash = Array.from(new Uint8Array(digest).slice(0, 12), (b) => b.toString(16).padStart(2, '0')).join('');
  const name = `${CACHE_PREFIX} ${modelUrl} ${hash}`;
  for (const old of await caches.keys()) {
    if (old.startsWith(`${CACHE_PREFIX} ${modelUrl} `) && old !== name) await caches.delete(old);
  }
  return caches.open(name);
}

/** A file's bytes, from `cache` when an earlier visit stored it, else fetched (reporting bytes as they arrive) and stored. */
async function readCached(url, cache, onBytes = () => {}) {
  const cached = cache ? await cache.match(url) : undefined;
  if (cached) {
    const buffer = await cached.arrayBuffer();
    onBytes(buffer.byteLength);
    return buffer;
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`Could not load ${url}: HTTP ${response.status}`);
  const chunks = [];
  const reader = response.body.getReader();
  for (let part = await reader.read(); !part.done; part = await reader.read()) {
    chunks.push(part.value);
    onBytes(part.value.byteLength);
  }
  const buffer = await new Blob(chunks).arrayBuffer();
  if (cache) await cache.put(url, new Response(buffer, { headers: { 'Content-Type': 'application/octet-stream' } }));
  return buffer;
}

/** A text file through `readCached` (no cache: always fetched). */
async function readText(url, cache = null) {
  return new TextDecoder().decode(await readCached(url, cache));
}

/**
 * Fetches model.json and its shards, then builds the model with tf.loadLayersModel.
 * The shards are fetched here, not by TF.js's HTTP loader: in Chromium 156 that loader
 * never resolved for a 60-shard (GPT-2 small) artifact, while plain fetch() takes a second.
 */
async function loadArtifacts(absolute, { onProgress = null, cache: useCache = true } = {}) {
  const modelJsonText = await readText(absolute.href);
  let modelJson;
  try {
    modelJson = JSON.parse(modelJsonText);
  } catch (error) {
    throw new Error(`${absolute.href}: is not valid JSON (${error.message})`);
  }
  const weightSpecs = [];
  const urls = [];
  if (!Array.isArray(modelJson.weightsManifest)) throw new Error(`${absolute.href}: weightsManifest: must be a list`);
  const seen = new Set();
  for (const [g, group] of modelJson.weightsManifest.entries()) {
    if (!Array.isArray(group?.paths) || !Array.isArray(group?.weights)) {
      throw new Error(`${absolute.href}: weightsManifest[${g}]: needs a paths list and a weights list`);
    }
    weightSpecs.push(...group.weights);
    urls.push(...group.paths.map((path, p) => {
      const url = safeChildUrl(absolute, path, `weightsManifest[${g}].paths[${p}]`);
      if (seen.has(url)) throw new Error(`${absolute.href}: weightsManifest[${g}].paths[${p}]: ${path} is listed twice`);
      seen.add(url);
      return url;
    }));
  }
  const total = weightSpecs.reduce((sum, spec) => sum + storedBytes(spec), 0);
  let loaded = 0;
  const onBytes = (count) => {
    loaded += count;
    onProgress?.({ loaded, total });
  };
  const cache = useCache ? await weightCache(absolute.href, modelJsonText) : null;
  const buffers = await Promise.all(urls.map((url) => readCached(url, cache, onBytes)));
  const weightData = tf.io.concatenateArrayBuffers(buffers);
  const artifacts = tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs, weightData, format: modelJson.format });
  return { artifacts, cache };
}

/**
 * Loads model.json + shards with tf.loadLayersModel, and the tokenizer files beside them.
 * Options: onProgress({loaded, total}) as weight bytes arrive; cache (default true): keep
 * the weight shards and tokenizer files in the browser's Cache Storage, so that a second
 * visit reads them from there (only model.json is fetched again) until model.json changes.
 */
export async function loadGPT2CausalLM(modelUrl, options = {}) {
  const absolute = new URL(modelUrl, globalThis.location?.href);
  const { artifacts, cache } = await loadArtifacts(absolute, options);
  const model = await tf.loadLayersModel(artifacts);
  if (!(model instanceof GPT2CausalLM)) throw new Error(`${modelUrl} holds a ${model.getClassName()}, not a GPT2CausalLM.`);
  const tokenizerConfig = model.config.preprocessor?.config?.tokenizer?.config;
  if (tokenizerConfig) {
    const file = (key, fallback) => safeChildUrl(
      absolute, tokenizerConfig[key] ?? fallback, `modelTopology.config.preprocessor.config.tokenizer.config.${key}`);
    const [vocabularyText, merges] = await Promise.all([
      readText(file('vocabulary', 'vocabulary.json'), cache), readText(file('merges', 'merges.txt'), cache),
    ]);
    const vocabulary = JSON.parse(vocabularyText);
    model.tokenizer = new GPT2Tokenizer({
      vocabulary,
      merges: merges.split('\n'),
      addPrefixSpace: tokenizerConfig.addPrefixSpace ?? false,
      specialTokensInStrings: tokenizerConfig.specialTokensInStrings ?? false,
      padValue: tokenizerConfig.padValue ?? 0,
    });
    const preprocessor = model.config.preprocessor.config;
    model.preprocessor = new GPT2CausalLMPreprocessor({
      tokenizer: model.tokenizer, sequenceLength: preprocessor.sequenceLength ?? 1024,
      addStartToken: preprocessor.addStartToken ?? true, addEndToken: preprocessor.addEndToken ?? true,
    });
  }
  return model;
}
