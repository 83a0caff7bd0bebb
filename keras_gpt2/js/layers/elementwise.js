// A layer norm's normalisation and GPT-2's GELU, each one kernel on the wasm backend.
//
// Written with TF.js ops, a normalisation is 8 kernels and the GELU 7; a GPT-2 step runs 36
// of them, and on wasm every kernel costs tens of microseconds of dispatch for a few
// thousand numbers of work. On wasm each is one kernel registered here, a plain loop over
// the tensor's memory in the backend's heap (how TF.js's own Fill kernel writes its output);
// on other backends (WebGPU, WebGL, CPU) the TF.js ops run.
import tf from '../tf.js';

const NORMALIZE = 'KerasGPT2Normalize';
const GELU = 'KerasGPT2GeluTanh';
const GELU_C = 2 * Math.sqrt(2 / Math.PI);

function normalizeKernel({ inputs: { x }, backend, attrs: { epsilon } }) {
  const out = backend.makeOutput(x.shape, 'float32');
  const values = backend.typedArrayFromHeap(x); // read after makeOutput: it may grow the heap
  const result = backend.typedArrayFromHeap(out);
  const width = x.shape[x.shape.length - 1];
  for (let start = 0; start < values.length; start += width) {
    let mean = 0;
    for (let i = start; i < start + width; i++) mean += values[i];
    mean /= width;
    let variance = 0;
    for (let i = start; i < start + width; i++) variance += (values[i] - mean) ** 2;
    const scale = 1 / Math.sqrt(variance / width + epsilon);
    for (let i = start; i < start + width; i++) result[i] = (values[i] - mean) * scale;
  }
  return out;
}

function geluKernel({ inputs: { x }, backend }) {
  const out = backend.makeOutput(x.shape, 'float32');
  const values = backend.typedArrayFromHeap(x);
  const result = backend.typedArrayFromHeap(out);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    result[i] = v / (1 + Math.exp(-GELU_C * (v + 0.044715 * v * v * v)));
  }
  return out;
}

let registered = false;

function onWasm() {
  if (tf.getBackend() !== 'wasm') return false;
  if (!registered) {
    tf.registerKernel({ kernelName: NORMALIZE, backendName: 'wasm', kernelFunc: normalizeKernel });
    tf.registerKernel({ kernelName: GELU, backendName: 'wasm', kernelFunc: geluKernel });
    registered = true;
  }
  return true;
}

/** (x - mean) / sqrt(variance + epsilon) over the last axis: a layer norm before its gamma and beta. */
export function normalize(x, epsilon) {
  if (onWasm()) return tf.engine().runKernel(NORMALIZE, { x }, { epsilon });
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon)));
}

/** GELU in the tanh approximation, as GPT-2 uses it: x * sigmoid(2z), which equals 0.5x(1 + tanh(z)). */
export function geluTanh(x) {
  if (onWasm()) return tf.engine().runKernel(GELU, { x }, {});
  return tf.mul(x, tf.sigmoid(tf.mul(x, tf.add(GELU_C, tf.mul(GELU_C * 0.044715, tf.square(x))))));
}
