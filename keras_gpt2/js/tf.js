// The TensorFlow.js namespace used by the whole runtime: the page's global `tf`
// (loaded with <script src="tf.min.js">) or, in Node, the npm package.
const tf = globalThis.tf ?? (await import('@tensorflow/tfjs'));
export default tf;
