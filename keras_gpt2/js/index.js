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

export { tf };
export { GPT2Backbone } from './models/gpt2_backbone.js';
export { GPT2CausalLM } from './models/gpt2_causal_lm.js';
export { BytePairTokenizer, bytesToUnicode } from './tokenizers/byte_pair_tokenizer.js';
export { GPT2Tokenizer } from './tokenizers/gpt2_tokenizer.js';
export { isPlainName, safeChildUrl } from './io/paths.js';
export { useBackend, wasmThreadCount } from './backends.js';
export {
  Sampler, GreedySampler, RandomSampler, TopKSampler, TopPSampler, SAMPLERS, seededRandom,
} from './samplers/sampler.js';

async function fetchChecked(url, as) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`Could not load ${url}: HTTP ${response.status}`);
  return as === 'json' ? response.json() : response.text();
}

/**
 * Fetches model.json and its shards, then builds the model with tf.loadLayersModel.
 * The shards are fetched here, not by TF.js's HTTP loader: in Chromium 156 that loader
 * never resolved for a 60-shard (GPT-2 small) artifact, while plain fetch() takes a second.
 */
async function loadArtifacts(absolute) {
  const modelJson = await fetchChecked(absolute.href, 'json');
  const weightSpecs = [];
  const buffers = [];
  if (!Array.isArray(modelJson.weightsManifest)) throw new Error(`${absolute.href}: weightsManifest: must be a list`);
  const seen = new Set();
  for (const [g, group] of modelJson.weightsManifest.entries()) {
    if (!Array.isArray(group?.paths) || !Array.isArray(group?.weights)) {
      throw new Error(`${absolute.href}: weightsManifest[${g}]: needs a paths list and a weights list`);
    }
    weightSpecs.push(...group.weights);
    const urls = group.paths.map((path, p) => {
      const url = safeChildUrl(absolute, path, `weightsManifest[${g}].paths[${p}]`);
      if (seen.has(url)) throw new Error(`${absolute.href}: weightsManifest[${g}].paths[${p}]: ${path} is listed twice`);
      seen.add(url);
      return url;
    });
    buffers.push(...await Promise.all(urls.map((url) => fetch(url).then((response) => {
      if (!response.ok) throw new Error(`Could not load ${url}: HTTP ${response.status}`);
      return response.arrayBuffer();
    }))));
  }
  const weightData = tf.io.concatenateArrayBuffers(buffers);
  return tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs, weightData, format: modelJson.format });
}

/** Loads model.json + shards with tf.loadLayersModel, and the tokenizer files beside them. */
export async function loadGPT2CausalLM(modelUrl) {
  const absolute = new URL(modelUrl, globalThis.location?.href);
  const model = await tf.loadLayersModel(await loadArtifacts(absolute));
  if (!(model instanceof GPT2CausalLM)) throw new Error(`${modelUrl} holds a ${model.getClassName()}, not a GPT2CausalLM.`);
  const tokenizerConfig = model.config.preprocessor?.config?.tokenizer?.config;
  if (tokenizerConfig) {
    const file = (key, fallback) => safeChildUrl(
      absolute, tokenizerConfig[key] ?? fallback, `modelTopology.config.preprocessor.config.tokenizer.config.${key}`);
    const [vocabulary, merges] = await Promise.all([
      fetchChecked(file('vocabulary', 'vocabulary.json'), 'json'),
      fetchChecked(file('merges', 'merges.txt'), 'text'),
    ]);
    model.tokenizer = new GPT2Tokenizer({
      vocabulary,
      merges: merges.split('\n'),
      addPrefixSpace: tokenizerConfig.addPrefixSpace ?? false,
      specialTokensInStrings: tokenizerConfig.specialTokensInStrings ?? false,
      padValue: tokenizerConfig.padValue ?? 0,
    });
  }
  return model;
}
