// Runs the keras-gpt2 JS runtime in Node for the Python tests. One JSON job in argv[2]:
//   {"backend": "wasm"|"cpu", "modelUrl": "http://.../model.json", "tasks": [...]}
// Tasks: {"kind": "tokenize", "texts": [...]}, {"kind": "predict", "tokenIds": [[...]]},
// {"kind": "generate", "prompt": [ids] or "text" or a list of them, "maxNewTokens": n, "useCache": bool,
//  "sampler": {"name": "top_k", "options": {...}}, and generate's other options by their JS names},
// {"kind": "preprocess", "texts": [...], "sequenceLength": n}, {"kind": "uniforms", "seed": s, "rows": r, "length": n},
// {"kind": "jsTiktoken", "texts": [...]} (the reference JS tokenizer's ids).
// Prints one JSON object with a result per task, and the tensor count around each task.
import * as tf from '@tensorflow/tfjs';
import { Tiktoken } from 'js-tiktoken/lite';
import gpt2Ranks from 'js-tiktoken/ranks/gpt2';
import '@tensorflow/tfjs-backend-wasm';
import {
  GPT2CausalLMPreprocessor, GPT2Preprocessor, loadGPT2CausalLM, SAMPLERS, uniform,
} from '../../keras_gpt2/js/index.js';

const job = JSON.parse(process.argv[2]);
await tf.setBackend(job.backend ?? 'wasm');
await tf.ready();
const model = await loadGPT2CausalLM(job.modelUrl);
const results = [];
for (const task of job.tasks) {
  const before = tf.memory().numTensors;
  let value;
  if (task.kind === 'tokenize') {
    value = model.tokenizer.tokenize(task.texts);
  } else if (task.kind === 'detokenize') {
    value = model.tokenizer.detokenize(task.tokenIds);
  } else if (task.kind === 'predict') {
    const logits = model.predict(task.tokenIds);
    value = Array.from(await logits.data());
    logits.dispose();
  } else if (task.kind === 'generate') {
    const pieces = [];
    const { kind, prompt, sampler = null, ...options } = task; // eslint-disable-line no-unused-vars
    if (sampler) options.sampler = new SAMPLERS[sampler.name](sampler.options ?? {}); // else the model's own
    const out = await model.generate(prompt, { ...options, onToken: ({ text }) => { pieces.push(text); } });
    value = Array.isArray(out) ? out : { ...out, pieces };
  } else if (task.kind === 'preprocess') {
    const options = { tokenizer: model.tokenizer, sequenceLength: task.sequenceLength };
    const causal = new GPT2CausalLMPreprocessor(options);
    value = {
      packed: new GPT2Preprocessor(options).call(task.texts),
      training: causal.call(task.texts),
      prompts: causal.generatePreprocess(task.texts),
      loaded: model.preprocessor instanceof GPT2CausalLMPreprocessor && model.preprocessor.sequenceLength,
    };
  } else if (task.kind === 'jsTiktoken') {
    const encoding = new Tiktoken(gpt2Ranks);
    value = task.texts.map((text) => encoding.encode(text, [], []));
  } else if (task.kind === 'uniforms') {
    value = Array.from({ length: task.length }, (_, position) => Array.from({ length: task.rows }, (_, row) => uniform(task.seed, row, position)));
  }
  results.push({ value, tensorsBefore: before, tensorsAfter: tf.memory().numTensors });
}
process.stdout.write(JSON.stringify({ backend: tf.getBackend(), results }));
