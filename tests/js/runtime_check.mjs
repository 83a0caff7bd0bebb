// Runs the keras-gpt2 JS runtime in Node for the Python tests. One JSON job in argv[2]:
//   {"backend": "wasm"|"cpu", "modelUrl": "http://.../model.json", "tasks": [...]}
// Tasks: {"kind": "tokenize", "texts": [...]}, {"kind": "predict", "tokenIds": [[...]]},
// {"kind": "generate", "prompt": [ids] or "text", "maxNewTokens": n, "useCache": bool}.
// Prints one JSON object with a result per task, and the tensor count around each task.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { loadGPT2CausalLM, GreedySampler } from '../../keras_gpt2/js/index.js';

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
    const out = await model.generate(task.prompt, {
      maxNewTokens: task.maxNewTokens, sampler: new GreedySampler(), useCache: task.useCache ?? true,
      stopTokenIds: task.stopTokenIds, onToken: ({ text }) => { pieces.push(text); },
    });
    value = { ...out, pieces };
  }
  results.push({ value, tensorsBefore: before, tensorsAfter: tf.memory().numTensors });
}
process.stdout.write(JSON.stringify({ backend: tf.getBackend(), results }));
