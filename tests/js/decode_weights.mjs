// Decodes a TF.js weights manifest with the real @tensorflow/tfjs and prints, per
// weight, its shape and every value (as a list), for comparison in Python.
// Usage: node tests/js/decode_weights.mjs path/to/model.json
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';

const modelJsonPath = process.argv[2];
const modelJson = JSON.parse(fs.readFileSync(modelJsonPath, 'utf8'));
const folder = path.dirname(modelJsonPath);
const out = {};
for (const group of modelJson.weightsManifest) {
  const buffers = group.paths.map((p) => fs.readFileSync(path.join(folder, p)));
  const joined = Buffer.concat(buffers);
  const arrayBuffer = joined.buffer.slice(joined.byteOffset, joined.byteOffset + joined.byteLength);
  const tensors = tf.io.decodeWeights(arrayBuffer, group.weights);
  for (const [name, tensor] of Object.entries(tensors)) {
    out[name] = { shape: tensor.shape, dtype: tensor.dtype, values: Array.from(tensor.dataSync()) };
  }
}
process.stdout.write(JSON.stringify(out));
