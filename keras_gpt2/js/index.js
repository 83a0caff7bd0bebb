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

export { tf };
export { GPT2Backbone } from './models/gpt2_backbone.js';
export { GPT2CausalLM } from './models/gpt2_causal_lm.js';
export { BytePairTokenizer, bytesToUnicode } from './tokenizers/byte_pair_tokenizer.js';
export { GPT2Tokenizer } from './tokenizers/gpt2_tokenizer.js';
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
  for (const group of modelJson.weightsManifest) {
    weightSpecs.push(...group.weights);
    const urls = group.paths.map((path) => {
      if (path.includes('/') || path.includes('..')) throw new Error(`Shard ${path} must sit next to model.json.`);
      return new URL(path, absolute).href;
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
    const file = (name) => {
      if (name.includes('/') || name.includes('..')) throw new Error(`Tokenizer file ${name} must sit next to model.json.`);
      return new URL(name, absolute).href;
    };
    const [vocabulary, merges] = await Promise.all([
      fetchChecked(file(tokenizerConfig.vocabulary ?? 'vocabulary.json'), 'json'),
      fetchChecked(file(tokenizerConfig.merges ?? 'merges.txt'), 'text'),
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
